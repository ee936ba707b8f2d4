//! Round-to-nearest 4-bit quantization of a float weight matrix into the plain layout, and the
//! matching dequantization used as ground truth by the tests and the CPU reference.
//!
//! Dequantized weight: `W[n][k] = (q[n][k] - 8) · s[k/g][n] (+ z[k/g][n])`, with `s` and `z`
//! held in the activation dtype (z is an additive offset, not an integer zero point).

use crate::pack::plain_from_q;
use crate::types::{Dtype, WeightDesc};

/// The output of a quantizer or importer: everything the C API takes for one weight matrix,
/// in the plain layout and dtype bits, so it can be handed to the packer or to the reference
/// unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantized {
    /// Plain layout `[N, K/2]` bytes (low nibble = even k).
    pub q_plain: Vec<u8>,
    /// Scales `[K/g, N]` row-major, dtype bits.
    pub scales: Vec<u16>,
    /// Additive zeros `[K/g, N]` row-major, dtype bits; `Some` exactly when `desc.has_zeros`.
    pub zeros: Option<Vec<u16>>,
}

/// Smallest positive normal value of `dtype`: the floor for scales, so a scale is never 0
/// (which would make q = w / s undefined) nor subnormal (which kernels may flush to zero).
pub fn min_scale(dtype: Dtype) -> f32 {
    match dtype {
        Dtype::F16 => f32::from_bits(0x3880_0000),  // 2^-14
        Dtype::Bf16 => f32::from_bits(0x0080_0000), // 2^-126
    }
}

/// Rounds a scale to the dtype, floored at [`min_scale`]; `None` when it overflows the dtype.
fn round_scale(dtype: Dtype, s: f64) -> Option<u16> {
    let floor = min_scale(dtype);
    let bits = dtype.to_bits(s as f32);
    let v = dtype.from_bits(bits);
    if !v.is_finite() {
        None
    } else if v < floor {
        Some(dtype.to_bits(floor))
    } else {
        Some(bits)
    }
}

/// Quantizes `w` (`[N, K]` row-major f32) with round-to-nearest, one scale (and zero) per
/// (group of `group_size` consecutive k, output channel n).
///
/// Symmetric (`!desc.has_zeros`): `s = absmax / 7.5`, rounded to the dtype, then
/// `q = clamp(round(w / s) + 8, 0, 15)`. Dividing by 7.5 rather than 7 uses all 16 levels
/// (-8..7 times s): the negative extreme maps to -7.5 → -8 and the positive one to 7.5 → 7,
/// both within s/2, so the worst-case error is absmax/15 instead of absmax/14.
///
/// Asymmetric (`desc.has_zeros`): `s = (max - min) / 15` rounded to the dtype first, then
/// `z = min + 8·s` (with the rounded s) rounded to the dtype, and
/// `q = clamp(round((w - z) / s) + 8, 0, 15)`, so `(q - 8)·s + z` spans [min, max].
///
/// Scales are never below [`min_scale`], so an all-zero group gets q = 8 (symmetric) and
/// dequantizes to exactly 0; a constant group dequantizes to that constant up to dtype rounding.
/// Errors: wrong `w` length, a non-finite weight, or a scale/zero that overflows the dtype.
pub fn quantize(desc: &WeightDesc, w: &[f32]) -> Result<Quantized, String> {
    let (n, k, gs, dt) = (desc.n, desc.k, desc.group_size, desc.dtype);
    if w.len() != n * k {
        return Err(format!(
            "w has {} elements, expected N*K = {n}*{k} = {}",
            w.len(),
            n * k
        ));
    }
    if let Some(i) = w.iter().position(|x| !x.is_finite()) {
        return Err(format!(
            "w[{i}] (n={}, k={}) is {}, not finite",
            i / k,
            i % k,
            w[i]
        ));
    }
    let groups = desc.groups();
    let mut q = vec![0u8; n * k];
    let mut scales = vec![0u16; groups * n];
    let mut zeros = if desc.has_zeros {
        Some(vec![0u16; groups * n])
    } else {
        None
    };

    for ni in 0..n {
        for g in 0..groups {
            let row = &w[ni * k + g * gs..ni * k + (g + 1) * gs];
            let qrow = &mut q[ni * k + g * gs..ni * k + (g + 1) * gs];
            let idx = g * n + ni;
            if let Some(zeros) = zeros.as_mut() {
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for &x in row {
                    lo = lo.min(x as f64);
                    hi = hi.max(x as f64);
                }
                let sb = round_scale(dt, (hi - lo) / 15.0).ok_or_else(|| {
                    format!(
                        "group {g} of row n={ni}: range [{lo}, {hi}] needs a scale of {} \
                         that overflows {}",
                        (hi - lo) / 15.0,
                        dt.name()
                    )
                })?;
                let s = dt.from_bits(sb) as f64;
                let z_exact = lo + 8.0 * s;
                let zb = dt.to_bits(z_exact as f32);
                let z = dt.from_bits(zb) as f64;
                if !z.is_finite() {
                    return Err(format!(
                        "group {g} of row n={ni}: zero {z_exact} overflows {}",
                        dt.name()
                    ));
                }
                for (qv, &x) in qrow.iter_mut().zip(row) {
                    *qv = ((x as f64 - z) / s + 8.0).round().clamp(0.0, 15.0) as u8;
                }
                scales[idx] = sb;
                zeros[idx] = zb;
            } else {
                let absmax = row.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
                let sb = round_scale(dt, absmax / 7.5).ok_or_else(|| {
                    format!(
                        "group {g} of row n={ni}: absmax {absmax} needs a scale of {} \
                         that overflows {}",
                        absmax / 7.5,
                        dt.name()
                    )
                })?;
                let s = dt.from_bits(sb) as f64;
                for (qv, &x) in qrow.iter_mut().zip(row) {
                    *qv = (x as f64 / s + 8.0).round().clamp(0.0, 15.0) as u8;
                }
                scales[idx] = sb;
            }
        }
    }
    Ok(Quantized {
        q_plain: plain_from_q(n, k, &q),
        scales,
        zeros,
    })
}

/// Checks the lengths of a quantized weight against `desc`, so callers that take the pieces
/// separately (the reference, the C API) report a clear message instead of indexing past the end.
pub fn check_parts(
    desc: &WeightDesc,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
) -> Result<(), String> {
    let g = desc.groups();
    if q_plain.len() != desc.weight_bytes() {
        return Err(format!(
            "q_plain has {} bytes, expected N*K/2 = {}*{}/2 = {}",
            q_plain.len(),
            desc.n,
            desc.k,
            desc.weight_bytes()
        ));
    }
    if scales.len() != desc.scale_elems() {
        return Err(format!(
            "scales has {} elements, expected K/group_size*N = {g}*{} = {}",
            scales.len(),
            desc.n,
            desc.scale_elems()
        ));
    }
    match (desc.has_zeros, zeros) {
        (true, None) => return Err("zeros is missing but the weight has zeros".to_string()),
        (false, Some(_)) => {
            return Err("zeros was given but the weight has no zeros (has_zeros=false)".to_string())
        }
        (true, Some(z)) if z.len() != desc.scale_elems() => {
            return Err(format!(
                "zeros has {} elements, expected K/group_size*N = {g}*{} = {}",
                z.len(),
                desc.n,
                desc.scale_elems()
            ))
        }
        _ => {}
    }
    Ok(())
}

/// Dequantizes output channel `n_idx` into `out` (length K) in f64: the one place the weight
/// formula is written for the host, shared by [`dequantize`] and the reference GEMM.
///
/// # Panics
/// If the parts do not match `desc` (see [`check_parts`]) or `out.len() != K`.
pub fn dequantize_row(
    desc: &WeightDesc,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
    n_idx: usize,
    out: &mut [f64],
) {
    if let Err(e) = check_parts(desc, q_plain, scales, zeros) {
        panic!("dequantize_row: {e}");
    }
    assert!(
        out.len() == desc.k,
        "dequantize_row: out has {} elements, expected K = {}",
        out.len(),
        desc.k
    );
    assert!(
        n_idx < desc.n,
        "dequantize_row: n_idx={n_idx} is not below N={}",
        desc.n
    );
    let (n, k, gs, dt) = (desc.n, desc.k, desc.group_size, desc.dtype);
    let row = &q_plain[n_idx * (k / 2)..(n_idx + 1) * (k / 2)];
    for g in 0..desc.groups() {
        let s = dt.from_bits(scales[g * n + n_idx]) as f64;
        let z = zeros.map_or(0.0, |z| dt.from_bits(z[g * n + n_idx]) as f64);
        let bytes = &row[g * gs / 2..(g + 1) * gs / 2];
        let dst = &mut out[g * gs..(g + 1) * gs];
        for (pair, &b) in dst.chunks_exact_mut(2).zip(bytes) {
            pair[0] = ((b & 0xF) as f64 - 8.0) * s + z;
            pair[1] = ((b >> 4) as f64 - 8.0) * s + z;
        }
    }
}

/// The whole dequantized weight `[N, K]` in f64 (exact products of the dtype values), the ground
/// truth that quantizers, importers and kernels are compared against.
///
/// # Panics
/// If the parts do not match `desc` (see [`check_parts`]).
pub fn dequantize(
    desc: &WeightDesc,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
) -> Vec<f64> {
    if let Err(e) = check_parts(desc, q_plain, scales, zeros) {
        panic!("dequantize: {e}");
    }
    let mut w = vec![0.0f64; desc.n * desc.k];
    for (ni, row) in w.chunks_exact_mut(desc.k).enumerate() {
        dequantize_row(desc, q_plain, scales, zeros, ni, row);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::q_from_plain;
    use crate::rng::Rng;

    fn ulp_slack(x: f64) -> f64 {
        x.abs() * 1e-6 + 1e-30
    }

    /// Checks every element against the bound derived in `quantize`'s doc, from the actual
    /// rounded scale/zero of its group.
    fn check_bounds(desc: &WeightDesc, w: &[f32], qz: &Quantized) -> f64 {
        let (n, k, gs, dt) = (desc.n, desc.k, desc.group_size, desc.dtype);
        let deq = dequantize(desc, &qz.q_plain, &qz.scales, qz.zeros.as_deref());
        let mut worst_rel = 0.0f64;
        for ni in 0..n {
            for g in 0..desc.groups() {
                let row = &w[ni * k + g * gs..ni * k + (g + 1) * gs];
                let s = dt.from_bits(qz.scales[g * n + ni]) as f64;
                assert!(s >= min_scale(dt) as f64 && s.is_finite());
                let lo = row.iter().fold(f64::INFINITY, |m, &x| m.min(x as f64));
                let hi = row.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x as f64));
                let bound = match &qz.zeros {
                    Some(zs) => {
                        let z = dt.from_bits(zs[g * n + ni]) as f64;
                        let s_exact = (hi - lo) / 15.0;
                        let dz = (z - (lo + 8.0 * s)).abs();
                        // The scale is the dtype value nearest (hi - lo)/15 unless floored.
                        if s_exact >= min_scale(dt) as f64 {
                            assert!(
                                (s - s_exact).abs() <= s_exact * 2f64.powi(-7),
                                "{s} {s_exact}"
                            );
                        }
                        s / 2.0 + dz + 15.0 * (s_exact - s).max(0.0)
                    }
                    None => {
                        let absmax = lo.abs().max(hi.abs());
                        let s_exact = absmax / 7.5;
                        if s_exact >= min_scale(dt) as f64 {
                            assert!(
                                (s - s_exact).abs() <= s_exact * 2f64.powi(-7),
                                "{s} {s_exact}"
                            );
                        }
                        s / 2.0 + 7.5 * (s_exact - s).max(0.0)
                    }
                };
                for (kk, &x) in row.iter().enumerate() {
                    let d = deq[ni * k + g * gs + kk];
                    let err = (x as f64 - d).abs();
                    assert!(
                        err <= bound + ulp_slack(hi.abs().max(lo.abs())),
                        "{:?} n={ni} g={g} k={kk}: w={x} deq={d} err={err} bound={bound}",
                        desc
                    );
                    if s > 0.0 {
                        worst_rel = worst_rel.max(err / s);
                    }
                }
            }
        }
        worst_rel
    }

    #[test]
    fn error_bounds_all_configs() {
        let mut rng = Rng::new(11);
        for dt in [Dtype::F16, Dtype::Bf16] {
            for &has_zeros in &[false, true] {
                for &gs in &[32usize, 64, 128, 256] {
                    let (n, k) = (64, 256); // gs = 256 is per-channel (== K)
                    let desc = WeightDesc::new(dt, n, k, gs, has_zeros).unwrap();
                    // Shifted normal data: asymmetric groups, some large values.
                    let w: Vec<f32> = (0..n * k).map(|_| 0.02 * rng.normal() + 0.01).collect();
                    let qz = quantize(&desc, &w).unwrap();
                    assert_eq!(qz.q_plain.len(), desc.weight_bytes());
                    assert_eq!(qz.scales.len(), desc.scale_elems());
                    assert_eq!(qz.zeros.is_some(), has_zeros);
                    let worst = check_bounds(&desc, &w, &qz);
                    // Rounding to nearest really happens (errors near s/2 occur, not far above).
                    assert!(
                        worst > 0.3 && worst < 0.6,
                        "{dt:?} zeros={has_zeros} gs={gs}: {worst}"
                    );
                }
            }
        }
    }

    #[test]
    fn all_levels_used_symmetric() {
        // With s = absmax/7.5 the most negative value maps to q = 0.
        let desc = WeightDesc::new(Dtype::F16, 64, 64, 64, false).unwrap();
        let mut w = vec![0.0f32; 64 * 64];
        for (i, x) in w.iter_mut().enumerate() {
            *x = (i % 64) as f32 / 63.0 * 2.0 - 1.0; // -1 ..= 1 along each row
        }
        let qz = quantize(&desc, &w).unwrap();
        let q = q_from_plain(64, 64, &qz.q_plain);
        assert_eq!(q[0], 0);
        assert_eq!(q[63], 15);
        check_bounds(&desc, &w, &qz);
    }

    #[test]
    fn zeros_help_shifted_data() {
        let mut rng = Rng::new(12);
        let (n, k) = (64, 128);
        let w: Vec<f32> = (0..n * k).map(|_| rng.uniform(1.0, 1.5)).collect();
        let err = |has_zeros| {
            let desc = WeightDesc::new(Dtype::F16, n, k, 32, has_zeros).unwrap();
            let qz = quantize(&desc, &w).unwrap();
            check_bounds(&desc, &w, &qz);
            let d = dequantize(&desc, &qz.q_plain, &qz.scales, qz.zeros.as_deref());
            w.iter()
                .zip(&d)
                .map(|(&a, &b)| (a as f64 - b).powi(2))
                .sum::<f64>()
        };
        let (sym, asym) = (err(false), err(true));
        assert!(asym * 10.0 < sym, "asym {asym} sym {sym}");
    }

    #[test]
    fn all_zero_and_constant_groups() {
        for dt in [Dtype::F16, Dtype::Bf16] {
            for &has_zeros in &[false, true] {
                let (n, k) = (64, 128);
                let desc = WeightDesc::new(dt, n, k, 64, has_zeros).unwrap();
                let mut rng = Rng::new(13);
                let mut w: Vec<f32> = (0..n * k).map(|_| rng.normal()).collect();
                // Row 0 all zero; row 1 first group zero; row 2 first group constant.
                w[..k].fill(0.0);
                w[k..k + 64].fill(0.0);
                w[2 * k..2 * k + 64].fill(0.75);
                let qz = quantize(&desc, &w).unwrap();
                let d = dequantize(&desc, &qz.q_plain, &qz.scales, qz.zeros.as_deref());
                assert!(d[..k].iter().all(|&x| x == 0.0), "{dt:?} {has_zeros}");
                assert!(d[k..k + 64].iter().all(|&x| x == 0.0), "{dt:?} {has_zeros}");
                // With zeros a constant group is exact; symmetric can only reach 7·s of 7.5·s.
                if has_zeros {
                    assert!(d[2 * k..2 * k + 64].iter().all(|&x| x == 0.75), "{dt:?}");
                }
                for g in 0..desc.groups() {
                    let s = dt.from_bits(qz.scales[g * n]);
                    assert!(s > 0.0 && s == min_scale(dt), "{dt:?} scale {s}");
                }
                check_bounds(&desc, &w, &qz);
            }
        }
    }

    #[test]
    fn tiny_values_floor_the_scale() {
        // fp16: absmax/7.5 below 2^-14 uses the floor; error still within s/2.
        let desc = WeightDesc::new(Dtype::F16, 64, 64, 32, false).unwrap();
        let mut rng = Rng::new(14);
        let w: Vec<f32> = (0..64 * 64).map(|_| rng.uniform(-1e-5, 1e-5)).collect();
        let qz = quantize(&desc, &w).unwrap();
        assert!(qz
            .scales
            .iter()
            .all(|&b| Dtype::F16.from_bits(b) == min_scale(Dtype::F16)));
        check_bounds(&desc, &w, &qz);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let desc = WeightDesc::new(Dtype::F16, 64, 64, 32, false).unwrap();
        let e = quantize(&desc, &[0.0; 100]).unwrap_err();
        assert!(e.contains("100") && e.contains("4096"), "{e}");
        let mut w = vec![0.5f32; 64 * 64];
        w[70] = f32::NAN;
        let e = quantize(&desc, &w).unwrap_err();
        assert!(e.contains("w[70]") && e.contains("n=1"), "{e}");
        w[70] = 1.0e6; // scale 1.3e5 overflows fp16
        let e = quantize(&desc, &w).unwrap_err();
        assert!(e.contains("overflows fp16"), "{e}");
        let desc_z = WeightDesc::new(Dtype::F16, 64, 64, 32, true).unwrap();
        assert!(quantize(&desc_z, &w).is_err());
        // bf16 holds it.
        let desc_b = WeightDesc::new(Dtype::Bf16, 64, 64, 32, false).unwrap();
        assert!(quantize(&desc_b, &w).is_ok());
    }

    #[test]
    fn check_parts_messages() {
        let d = WeightDesc::new(Dtype::F16, 64, 128, 32, true).unwrap();
        let q = vec![0u8; d.weight_bytes()];
        let s = vec![0u16; d.scale_elems()];
        assert!(check_parts(&d, &q, &s, Some(&s)).is_ok());
        assert!(check_parts(&d, &q, &s, None).unwrap_err().contains("zeros"));
        assert!(check_parts(&d, &q[1..], &s, Some(&s))
            .unwrap_err()
            .contains("q_plain"));
        let e = check_parts(&d, &q, &s[1..], Some(&s)).unwrap_err();
        assert!(e.contains("scales has 255") && e.contains("256"), "{e}");
        assert!(check_parts(&d, &q, &s, Some(&s[1..]))
            .unwrap_err()
            .contains("zeros has 255"));
        let d2 = WeightDesc::new(Dtype::F16, 64, 128, 32, false).unwrap();
        assert!(check_parts(&d2, &q, &s, Some(&s)).is_err());
    }
}
