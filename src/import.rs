//! Importers for GPTQ and AWQ 4-bit checkpoints: their int32-packed values and integer zero
//! points become our plain layout and additive zeros.
//!
//! Both formats dequantize `w = (q - zp) · s` with an integer `zp`. Ours is
//! `w = (q - 8) · s + z`, so `z = (8 - zp) · s`, computed exactly in f64 from the dtype value of
//! `s` and then rounded to the dtype (the only inexact step: at most half an ulp of `z`).
//! Act-order (`desc_act`, `g_idx`) GPTQ checkpoints, whose groups are not consecutive runs of k,
//! are not supported; nothing here can detect them, so the caller must not pass them.

use crate::quant::Quantized;
use crate::types::{Dtype, WeightDesc};

/// AWQ's packing order: nibble slot `p` (bits 4p..4p+3) of each int32 holds column
/// `8j + AWQ_PACK_ORDER[p]` of its group of 8 output channels (AutoAWQ `order_map`).
pub const AWQ_PACK_ORDER: [usize; 8] = [0, 2, 4, 6, 1, 3, 5, 7];

fn nib(word: i32, slot: usize) -> u8 {
    ((word as u32 >> (4 * slot)) & 0xF) as u8
}

fn check_len(what: &str, got: usize, formula: &str, want: usize) -> Result<(), String> {
    if got != want {
        return Err(format!(
            "{what} has {got} elements, expected {formula} = {want}"
        ));
    }
    Ok(())
}

fn check_scales(desc: &WeightDesc, scales: &[u16]) -> Result<(), String> {
    check_len(
        "scales",
        scales.len(),
        &format!("K/group_size*N = {}*{}", desc.groups(), desc.n),
        desc.scale_elems(),
    )?;
    if let Some(i) = scales
        .iter()
        .position(|&b| !desc.dtype.from_bits(b).is_finite())
    {
        return Err(format!(
            "scales[{i}] (group {}, n={}) is {}, not finite",
            i / desc.n,
            i % desc.n,
            desc.dtype.from_bits(scales[i])
        ));
    }
    Ok(())
}

/// `z = (8 - zp) · s` rounded to the dtype; errors when it overflows (fp16 scales near the top
/// of the range).
fn additive_zero(dt: Dtype, zp: i32, s_bits: u16, idx: usize, n: usize) -> Result<u16, String> {
    let z = (8 - zp) as f64 * dt.from_bits(s_bits) as f64;
    let zb = dt.to_bits(z as f32);
    if !dt.from_bits(zb).is_finite() {
        return Err(format!(
            "zero of group {}, n={}: (8 - zp={zp}) * scale = {z} overflows {}",
            idx / n,
            idx % n,
            dt.name()
        ));
    }
    Ok(zb)
}

/// Imports a GPTQ checkpoint (AutoGPTQ / GPTQModel / HF `GPTQConfig` layout).
///
/// - `qweight`: int32 `[K/8, N]`; bits 4i..4i+3 of `qweight[r][n]` hold `q[n][8r + i]`.
/// - `qzeros`: int32 `[K/g, N/8]`; bits 4i..4i+3 of `qzeros[g][j]` hold the stored zero point of
///   column `8j + i`. `None` means symmetric with zp = 8 (our form exactly, no zeros output).
/// - `scales`: `[K/g, N]` dtype bits.
/// - `zero_offset`: added to each stored zero point. Use 1 for classic AutoGPTQ ("gptq" / v1)
///   checkpoints, which store `zp - 1` and dequantize with `stored + 1`; use 0 for "gptq_v2"
///   checkpoints, which store `zp` itself. Other values are rejected.
///
/// `desc.has_zeros` must be true when `qzeros` is given, with one exception: symmetric GPTQ
/// checkpoints still ship `qzeros` (all zp = 8); those are accepted with `has_zeros == false`,
/// and any zp other than 8 is then an error rather than a silently dropped offset.
pub fn import_gptq(
    desc: &WeightDesc,
    qweight: &[i32],
    qzeros: Option<&[i32]>,
    scales: &[u16],
    zero_offset: i32,
) -> Result<Quantized, String> {
    let (n, k, dt) = (desc.n, desc.k, desc.dtype);
    let groups = desc.groups();
    if zero_offset != 0 && zero_offset != 1 {
        return Err(format!(
            "zero_offset={zero_offset} is not supported (1 for GPTQ v1 checkpoints, 0 for v2)"
        ));
    }
    check_len(
        "qweight",
        qweight.len(),
        &format!("K/8*N = {}*{n}", k / 8),
        k / 8 * n,
    )?;
    check_scales(desc, scales)?;
    if let Some(qz) = qzeros {
        check_len(
            "qzeros",
            qz.len(),
            &format!("K/group_size*N/8 = {groups}*{}", n / 8),
            groups * n / 8,
        )?;
    } else if desc.has_zeros {
        return Err(
            "qzeros is missing but has_zeros=true (pass has_zeros=false for a \
                    symmetric checkpoint without qzeros)"
                .to_string(),
        );
    }

    // The little-endian bytes of a GPTQ word are already plain bytes for 8 consecutive k
    // (nibble 2j = even k in the low half of byte j).
    let kb = k / 2;
    let mut q_plain = vec![0u8; n * kb];
    for r in 0..k / 8 {
        for ni in 0..n {
            let bytes = (qweight[r * n + ni] as u32).to_le_bytes();
            q_plain[ni * kb + 4 * r..ni * kb + 4 * r + 4].copy_from_slice(&bytes);
        }
    }

    let zeros = match qzeros {
        None => None,
        Some(qz) => {
            let mut z = vec![0u16; groups * n];
            for g in 0..groups {
                for j in 0..n / 8 {
                    let word = qz[g * (n / 8) + j];
                    for i in 0..8 {
                        let col = 8 * j + i;
                        let zp = nib(word, i) as i32 + zero_offset;
                        let idx = g * n + col;
                        if !desc.has_zeros && zp != 8 {
                            return Err(format!(
                                "qzeros gives zero point {zp} (stored {} + zero_offset {zero_offset}) \
                                 at group {g}, n={col}, but has_zeros=false needs 8 everywhere",
                                nib(word, i)
                            ));
                        }
                        z[idx] = additive_zero(dt, zp, scales[idx], idx, n)?;
                    }
                }
            }
            if desc.has_zeros {
                Some(z)
            } else {
                None
            }
        }
    };
    Ok(Quantized {
        q_plain,
        scales: scales.to_vec(),
        zeros,
    })
}

/// Imports an AutoAWQ (GEMM-layout) checkpoint.
///
/// - `qweight`: int32 `[K, N/8]`; nibble slot p of `qweight[k][j]` holds `q[8j + AWQ_PACK_ORDER[p]][k]`.
/// - `qzeros`: int32 `[K/g, N/8]`, same nibble order; integer zero points used as stored.
/// - `scales`: `[K/g, N]` dtype bits.
///
/// AWQ is always asymmetric, so `desc.has_zeros` must be true.
pub fn import_awq(
    desc: &WeightDesc,
    qweight: &[i32],
    qzeros: &[i32],
    scales: &[u16],
) -> Result<Quantized, String> {
    let (n, k, dt) = (desc.n, desc.k, desc.dtype);
    let groups = desc.groups();
    if !desc.has_zeros {
        return Err("AWQ checkpoints always have zeros: has_zeros must be true".to_string());
    }
    check_len(
        "qweight",
        qweight.len(),
        &format!("K*N/8 = {k}*{}", n / 8),
        k * n / 8,
    )?;
    check_len(
        "qzeros",
        qzeros.len(),
        &format!("K/group_size*N/8 = {groups}*{}", n / 8),
        groups * n / 8,
    )?;
    check_scales(desc, scales)?;

    let kb = k / 2;
    let mut q_plain = vec![0u8; n * kb];
    for kk in 0..k {
        let shift = 4 * (kk % 2);
        for j in 0..n / 8 {
            let word = qweight[kk * (n / 8) + j];
            for (p, &c) in AWQ_PACK_ORDER.iter().enumerate() {
                q_plain[(8 * j + c) * kb + kk / 2] |= nib(word, p) << shift;
            }
        }
    }

    let mut z = vec![0u16; groups * n];
    for g in 0..groups {
        for j in 0..n / 8 {
            let word = qzeros[g * (n / 8) + j];
            for (p, &c) in AWQ_PACK_ORDER.iter().enumerate() {
                let idx = g * n + 8 * j + c;
                z[idx] = additive_zero(dt, nib(word, p) as i32, scales[idx], idx, n)?;
            }
        }
    }
    Ok(Quantized {
        q_plain,
        scales: scales.to_vec(),
        zeros: Some(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::q_from_plain;
    use crate::quant::dequantize;
    use crate::rng::{random_bits, Rng};

    /// AutoGPTQ's `pack`: qweight[r][n] |= q[n][8r + i] << 4i.
    fn gptq_pack_qweight(n: usize, k: usize, q: &[u8]) -> Vec<i32> {
        let mut out = vec![0u32; k / 8 * n];
        for r in 0..k / 8 {
            for ni in 0..n {
                for i in 0..8 {
                    out[r * n + ni] |= (q[ni * k + 8 * r + i] as u32) << (4 * i);
                }
            }
        }
        out.into_iter().map(|x| x as i32).collect()
    }

    /// AutoGPTQ's zero packing: qzeros[g][j] |= stored[g][8j + i] << 4i.
    fn gptq_pack_qzeros(groups: usize, n: usize, stored: &[u8]) -> Vec<i32> {
        let mut out = vec![0u32; groups * n / 8];
        for g in 0..groups {
            for j in 0..n / 8 {
                for i in 0..8 {
                    out[g * (n / 8) + j] |= (stored[g * n + 8 * j + i] as u32) << (4 * i);
                }
            }
        }
        out.into_iter().map(|x| x as i32).collect()
    }

    /// AutoAWQ's `pack` over an int matrix `m[rows][cols]`:
    /// `for i in 0..8: col = 8j + order_map[i]; packed[r][j] |= m[r][col] << 4i`.
    fn awq_pack(rows: usize, cols: usize, m: &[u8]) -> Vec<i32> {
        let order_map = [0usize, 2, 4, 6, 1, 3, 5, 7];
        let mut out = vec![0u32; rows * cols / 8];
        for r in 0..rows {
            for j in 0..cols / 8 {
                for (i, &o) in order_map.iter().enumerate() {
                    out[r * (cols / 8) + j] |= (m[r * cols + 8 * j + o] as u32) << (4 * i);
                }
            }
        }
        out.into_iter().map(|x| x as i32).collect()
    }

    /// Compares our dequantization with the checkpoint's own `(q - zp) · s`: the only allowed
    /// difference is the rounding of z to the dtype, the same for every element of a group.
    fn check_against_checkpoint(desc: &WeightDesc, imp: &Quantized, q: &[u8], zp: &[i32]) {
        let (n, k, dt) = (desc.n, desc.k, desc.dtype);
        assert_eq!(q_from_plain(n, k, &imp.q_plain), q);
        let deq = dequantize(desc, &imp.q_plain, &imp.scales, imp.zeros.as_deref());
        for ni in 0..n {
            for kk in 0..k {
                let idx = (kk / desc.group_size) * n + ni;
                let s = dt.from_bits(imp.scales[idx]) as f64;
                let want = (q[ni * k + kk] as f64 - zp[idx] as f64) * s;
                let dz = match &imp.zeros {
                    Some(z) => dt.from_bits(z[idx]) as f64 - (8 - zp[idx]) as f64 * s,
                    None => 0.0,
                };
                // z is (8 - zp)·s rounded: within half an ulp of |8 - zp|·|s| ≤ 8|s|.
                let half_ulp = match dt {
                    Dtype::F16 => 2f64.powi(-11),
                    Dtype::Bf16 => 2f64.powi(-8),
                } * 8.0
                    * s.abs();
                assert!(dz.abs() <= half_ulp, "dz {dz} s {s}");
                assert_eq!(deq[ni * k + kk], want + dz, "n={ni} k={kk}");
            }
        }
    }

    #[test]
    fn gptq_hand_computed() {
        let desc = WeightDesc::new(Dtype::F16, 64, 64, 64, false).unwrap();
        let mut qw = vec![0x7777_7777u32 as i32; 8 * 64];
        qw[0] = 0x7654_3210;
        qw[1] = 0xFEDC_BA98u32 as i32; // n = 1, k = 0..8 -> 8..15
        let s = vec![Dtype::F16.to_bits(1.0); 64];
        let imp = import_gptq(&desc, &qw, None, &s, 1).unwrap();
        assert_eq!(&imp.q_plain[..4], &[0x10, 0x32, 0x54, 0x76]);
        assert_eq!(&imp.q_plain[32..36], &[0x98, 0xBA, 0xDC, 0xFE]);
        assert_eq!(imp.q_plain[4], 0x77);
        assert!(imp.zeros.is_none());
    }

    #[test]
    fn gptq_round_trip() {
        let mut rng = Rng::new(31);
        for dt in [Dtype::F16, Dtype::Bf16] {
            for &(n, k, gs) in &[
                (64usize, 128usize, 32usize),
                (128, 256, 128),
                (64, 192, 192),
            ] {
                let groups = k / gs;
                let q: Vec<u8> = (0..n * k).map(|_| rng.below(16) as u8).collect();
                let qw = gptq_pack_qweight(n, k, &q);
                let s = random_bits(dt, groups * n, &mut rng, -0.02, 0.02);
                for zero_offset in [0, 1] {
                    // v1 stores zp - 1 in a nibble, so zp in 1..=16; v2 stores zp in 0..=15.
                    let stored: Vec<u8> = (0..groups * n).map(|_| rng.below(16) as u8).collect();
                    let zp: Vec<i32> = stored.iter().map(|&x| x as i32 + zero_offset).collect();
                    let qz = gptq_pack_qzeros(groups, n, &stored);
                    let desc = WeightDesc::new(dt, n, k, gs, true).unwrap();
                    let imp = import_gptq(&desc, &qw, Some(&qz), &s, zero_offset).unwrap();
                    assert_eq!(imp.scales, s);
                    check_against_checkpoint(&desc, &imp, &q, &zp);
                }
                // Symmetric without qzeros: exact.
                let desc = WeightDesc::new(dt, n, k, gs, false).unwrap();
                let imp = import_gptq(&desc, &qw, None, &s, 1).unwrap();
                check_against_checkpoint(&desc, &imp, &q, &vec![8; groups * n]);
                // Symmetric checkpoint shipping qzeros (v1 stores 7): accepted, zeros dropped.
                let qz7 = gptq_pack_qzeros(groups, n, &vec![7; groups * n]);
                let imp2 = import_gptq(&desc, &qw, Some(&qz7), &s, 1).unwrap();
                assert_eq!(imp2, imp);
                // ... but not if the zero points are not all 8.
                let mut stored = vec![7u8; groups * n];
                stored[5] = 3;
                let qz = gptq_pack_qzeros(groups, n, &stored);
                let e = import_gptq(&desc, &qw, Some(&qz), &s, 1).unwrap_err();
                assert!(e.contains("zero point 4") && e.contains("n=5"), "{e}");
            }
        }
    }

    #[test]
    fn gptq_bad_arguments() {
        let desc = WeightDesc::new(Dtype::F16, 64, 128, 64, true).unwrap();
        let qw = vec![0i32; 128 / 8 * 64];
        let qz = vec![0i32; 2 * 64 / 8];
        let s = vec![Dtype::F16.to_bits(0.1); 2 * 64];
        assert!(import_gptq(&desc, &qw, Some(&qz), &s, 1).is_ok());
        let e = import_gptq(&desc, &qw[1..], Some(&qz), &s, 1).unwrap_err();
        assert_eq!(
            e,
            "qweight has 1023 elements, expected K/8*N = 16*64 = 1024"
        );
        let e = import_gptq(&desc, &qw, Some(&qz[1..]), &s, 1).unwrap_err();
        assert!(e.contains("qzeros has 15") && e.contains("16"), "{e}");
        let e = import_gptq(&desc, &qw, Some(&qz), &s[1..], 1).unwrap_err();
        assert!(e.contains("scales has 127") && e.contains("128"), "{e}");
        let e = import_gptq(&desc, &qw, Some(&qz), &s, 2).unwrap_err();
        assert!(e.contains("zero_offset=2"), "{e}");
        assert!(import_gptq(&desc, &qw, None, &s, 1)
            .unwrap_err()
            .contains("qzeros is missing"));
        let mut s_nan = s.clone();
        s_nan[65] = Dtype::F16.to_bits(f32::NAN);
        let e = import_gptq(&desc, &qw, Some(&qz), &s_nan, 1).unwrap_err();
        assert!(
            e.contains("scales[65]") && e.contains("group 1") && e.contains("n=1"),
            "{e}"
        );
        // z = (8 - 1)·60000 overflows fp16.
        let s_big = vec![Dtype::F16.to_bits(60000.0); 2 * 64];
        let e = import_gptq(&desc, &qw, Some(&qz), &s_big, 1).unwrap_err();
        assert!(e.contains("overflows fp16"), "{e}");
    }

    #[test]
    fn awq_hand_computed() {
        // Columns 0..7 of row k=0 hold q = 0..7: AWQ packs slot p <- column order_map[p],
        // i.e. nibbles (low to high) 0,2,4,6,1,3,5,7 = 0x75316420.
        let q_row: Vec<u8> = (0..8).collect();
        assert_eq!(awq_pack(1, 8, &q_row), vec![0x7531_6420]);
        let desc = WeightDesc::new(Dtype::F16, 64, 64, 64, true).unwrap();
        let mut qw = vec![0i32; 64 * 8];
        qw[0] = 0x7531_6420; // k = 0, columns 0..7
        qw[8] = 0x7531_6420; // k = 1, columns 0..7
        let qz = vec![0x8888_8888u32 as i32; 8];
        let s = vec![Dtype::F16.to_bits(1.0); 64];
        let imp = import_awq(&desc, &qw, &qz, &s).unwrap();
        let kb = 32;
        for c in 0..8 {
            assert_eq!(
                imp.q_plain[c * kb],
                (c as u8) | ((c as u8) << 4),
                "column {c}"
            );
        }
        // zp = 8 everywhere -> additive zero 0.
        assert!(imp
            .zeros
            .unwrap()
            .iter()
            .all(|&z| Dtype::F16.from_bits(z) == 0.0));
    }

    #[test]
    fn awq_round_trip() {
        let mut rng = Rng::new(32);
        for dt in [Dtype::F16, Dtype::Bf16] {
            for &(n, k, gs) in &[(64usize, 128usize, 32usize), (128, 256, 128), (192, 64, 64)] {
                let groups = k / gs;
                let q: Vec<u8> = (0..n * k).map(|_| rng.below(16) as u8).collect();
                // AWQ packs the transposed matrix [K, N].
                let mut qt = vec![0u8; k * n];
                for ni in 0..n {
                    for kk in 0..k {
                        qt[kk * n + ni] = q[ni * k + kk];
                    }
                }
                let qw = awq_pack(k, n, &qt);
                let zp8: Vec<u8> = (0..groups * n).map(|_| rng.below(16) as u8).collect();
                let qz = awq_pack(groups, n, &zp8);
                let s = random_bits(dt, groups * n, &mut rng, 0.001, 0.05);
                let desc = WeightDesc::new(dt, n, k, gs, true).unwrap();
                let imp = import_awq(&desc, &qw, &qz, &s).unwrap();
                let zp: Vec<i32> = zp8.iter().map(|&x| x as i32).collect();
                check_against_checkpoint(&desc, &imp, &q, &zp);
            }
        }
    }

    #[test]
    fn awq_bad_arguments() {
        let desc = WeightDesc::new(Dtype::Bf16, 64, 128, 32, true).unwrap();
        let qw = vec![0i32; 128 * 8];
        let qz = vec![0i32; 4 * 8];
        let s = vec![Dtype::Bf16.to_bits(0.1); 4 * 64];
        assert!(import_awq(&desc, &qw, &qz, &s).is_ok());
        let e = import_awq(&desc, &qw[..100], &qz, &s).unwrap_err();
        assert_eq!(e, "qweight has 100 elements, expected K*N/8 = 128*8 = 1024");
        assert!(import_awq(&desc, &qw, &qz[1..], &s)
            .unwrap_err()
            .contains("qzeros has 31"));
        assert!(import_awq(&desc, &qw, &qz, &s[1..])
            .unwrap_err()
            .contains("scales has 255"));
        let sym = WeightDesc::new(Dtype::Bf16, 64, 128, 32, false).unwrap();
        assert!(import_awq(&sym, &qw, &qz, &s)
            .unwrap_err()
            .contains("has_zeros"));
    }
}
