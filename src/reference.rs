//! CPU reference GEMM and the error measures the tests and the bench judge kernels by.
//!
//! The reference dequantizes W from the dtype values exactly (in f64) and accumulates in f64, so
//! its own error is negligible next to any fp16/bf16 kernel's; results stay in f64 so that
//! comparing with it measures the kernel, not the reference.

use crate::quant::{check_parts, dequantize_row};
use crate::types::{Dtype, WeightDesc};

/// Output channels handled together: their dequantized rows are interleaved along K so the inner
/// loop is a broadcast-multiply over contiguous values (vectorizes) and each row of A is read
/// once per block instead of once per channel.
const NB: usize = 16;

/// Checks every argument of [`reference_gemm`], so a wrong length is a message, not an index
/// panic deep in a worker thread.
#[allow(clippy::too_many_arguments)]
fn check_gemm_args(
    desc: &WeightDesc,
    m: usize,
    a: &[u16],
    lda: usize,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
    bias: Option<&[u16]>,
) -> Result<(), String> {
    check_parts(desc, q_plain, scales, zeros)?;
    if lda < desc.k {
        return Err(format!("lda={lda} is less than K={}", desc.k));
    }
    if m > 0 {
        let need = (m - 1) * lda + desc.k;
        if a.len() < need {
            return Err(format!(
                "a has {} elements, expected at least (M-1)*lda+K = ({m}-1)*{lda}+{} = {need}",
                a.len(),
                desc.k
            ));
        }
    }
    if let Some(b) = bias {
        if b.len() != desc.n {
            return Err(format!(
                "bias has {} elements, expected N = {}",
                b.len(),
                desc.n
            ));
        }
    }
    Ok(())
}

/// `C = A · Wᵀ (+ bias)` on the CPU, `[M, N]` row-major in f64: the ground truth for every GPU
/// path. `a` holds dtype bits, row-major with leading dimension `lda >= K`. Work is split over
/// output channels across all cores (`std::thread::available_parallelism`).
///
/// Returns `Err` with a message naming the argument when a length does not match `desc`.
#[allow(clippy::too_many_arguments)]
pub fn try_reference_gemm(
    desc: &WeightDesc,
    m: usize,
    a: &[u16],
    lda: usize,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
    bias: Option<&[u16]>,
) -> Result<Vec<f64>, String> {
    check_gemm_args(desc, m, a, lda, q_plain, scales, zeros, bias)?;
    let (n, k, dt) = (desc.n, desc.k, desc.dtype);
    if m == 0 {
        return Ok(Vec::new());
    }
    // A converted once; every output channel block reuses it.
    let mut af = vec![0.0f64; m * k];
    for (mi, row) in af.chunks_exact_mut(k).enumerate() {
        for (x, &b) in row.iter_mut().zip(&a[mi * lda..mi * lda + k]) {
            *x = dt.from_bits(b) as f64;
        }
    }
    let blocks = n.div_ceil(NB);
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, blocks);
    let per = blocks.div_ceil(threads);
    let af = &af;

    // Each worker owns the contiguous channel range [n0, n1) and returns it as [M, n1 - n0].
    let parts: Vec<(usize, usize, Vec<f64>)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let n0 = (t * per * NB).min(n);
                let n1 = ((t + 1) * per * NB).min(n);
                sc.spawn(move || {
                    let w = n1 - n0;
                    let mut out = vec![0.0f64; m * w];
                    let mut row = vec![0.0f64; k];
                    let mut wt = vec![0.0f64; k * NB];
                    let mut nb0 = n0;
                    while nb0 < n1 {
                        let nb = NB.min(n1 - nb0);
                        wt.iter_mut().for_each(|x| *x = 0.0);
                        for j in 0..nb {
                            dequantize_row(desc, q_plain, scales, zeros, nb0 + j, &mut row);
                            for (kk, &v) in row.iter().enumerate() {
                                wt[kk * NB + j] = v;
                            }
                        }
                        for mi in 0..m {
                            let mut acc = [0.0f64; NB];
                            for (&x, wk) in af[mi * k..(mi + 1) * k].iter().zip(wt.chunks_exact(NB))
                            {
                                for j in 0..NB {
                                    acc[j] += x * wk[j];
                                }
                            }
                            let dst = &mut out[mi * w + (nb0 - n0)..mi * w + (nb0 - n0) + nb];
                            dst.copy_from_slice(&acc[..nb]);
                        }
                        nb0 += nb;
                    }
                    (n0, n1, out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("reference worker panicked"))
            .collect()
    });

    let mut c = vec![0.0f64; m * n];
    for (n0, n1, out) in parts {
        let w = n1 - n0;
        for mi in 0..m {
            c[mi * n + n0..mi * n + n1].copy_from_slice(&out[mi * w..(mi + 1) * w]);
        }
    }
    if let Some(b) = bias {
        for row in c.chunks_exact_mut(n) {
            for (x, &bb) in row.iter_mut().zip(b) {
                *x += dt.from_bits(bb) as f64;
            }
        }
    }
    Ok(c)
}

/// [`try_reference_gemm`] for tests and the bench, where a wrong length is a bug in the caller.
///
/// # Panics
/// With the argument check's message when a length does not match `desc`.
#[allow(clippy::too_many_arguments)]
pub fn reference_gemm(
    desc: &WeightDesc,
    m: usize,
    a: &[u16],
    lda: usize,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
    bias: Option<&[u16]>,
) -> Vec<f64> {
    try_reference_gemm(desc, m, a, lda, q_plain, scales, zeros, bias)
        .unwrap_or_else(|e| panic!("reference_gemm: {e}"))
}

/// ‖got − want‖_F / ‖want‖_F over paired values. Any non-finite `got` (or `want`), or a length
/// mismatch, gives +∞ so that NaN output can never pass a tolerance check. An all-zero `want`
/// gives 0 when `got` matches exactly and +∞ otherwise.
fn rel_frobenius<I: Iterator<Item = (f64, f64)>>(pairs: I) -> f64 {
    let (mut diff2, mut want2) = (0.0f64, 0.0f64);
    for (g, w) in pairs {
        if !g.is_finite() || !w.is_finite() {
            return f64::INFINITY;
        }
        diff2 += (g - w) * (g - w);
        want2 += w * w;
    }
    if want2 == 0.0 {
        return if diff2 == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let r = (diff2 / want2).sqrt();
    if r.is_nan() {
        f64::INFINITY
    } else {
        r
    }
}

/// Relative Frobenius error of an f64 result (e.g. another reference) against `want`;
/// +∞ on any NaN/inf or on a length mismatch, so it can never pass by accident.
pub fn rel_frobenius_error(got: &[f64], want: &[f64]) -> f64 {
    if got.len() != want.len() {
        return f64::INFINITY;
    }
    rel_frobenius(got.iter().copied().zip(want.iter().copied()))
}

/// Relative Frobenius error of an f32 result (a kernel's fp32 accumulators or converted output)
/// against `want`; +∞ on any NaN/inf or on a length mismatch.
pub fn rel_error_f32(got: &[f32], want: &[f64]) -> f64 {
    if got.len() != want.len() {
        return f64::INFINITY;
    }
    rel_frobenius(got.iter().map(|&x| x as f64).zip(want.iter().copied()))
}

/// Relative Frobenius error of a kernel's output as it lies in memory: dtype bits, `[M, N]` with
/// leading dimension `ldc >= N` (padding between rows is ignored), against the dense `[M, N]`
/// `want`. +∞ on any NaN/inf or when `got`/`want` are too short for `m`, `n`, `ldc`.
pub fn rel_error_bits(
    dtype: Dtype,
    got: &[u16],
    ldc: usize,
    m: usize,
    n: usize,
    want: &[f64],
) -> f64 {
    if ldc < n || want.len() != m * n || (m > 0 && got.len() < (m - 1) * ldc + n) {
        return f64::INFINITY;
    }
    rel_frobenius(
        (0..m)
            .flat_map(|mi| (0..n).map(move |ni| (mi, ni)))
            .map(|(mi, ni)| {
                (
                    dtype.from_bits(got[mi * ldc + ni]) as f64,
                    want[mi * n + ni],
                )
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::plain_from_q;
    use crate::quant::{dequantize, quantize};
    use crate::rng::{random_bits, Rng};

    #[allow(clippy::too_many_arguments)]
    fn naive(
        desc: &WeightDesc,
        m: usize,
        a: &[u16],
        lda: usize,
        q: &[u8],
        s: &[u16],
        z: Option<&[u16]>,
        bias: Option<&[u16]>,
    ) -> Vec<f64> {
        let w = dequantize(desc, q, s, z);
        let (n, k, dt) = (desc.n, desc.k, desc.dtype);
        let mut c = vec![0.0; m * n];
        for mi in 0..m {
            for ni in 0..n {
                let mut acc = 0.0f64;
                for kk in 0..k {
                    acc += dt.from_bits(a[mi * lda + kk]) as f64 * w[ni * k + kk];
                }
                c[mi * n + ni] = acc + bias.map_or(0.0, |b| dt.from_bits(b[ni]) as f64);
            }
        }
        c
    }

    #[test]
    fn matches_naive_all_options() {
        let mut rng = Rng::new(21);
        for dt in [Dtype::F16, Dtype::Bf16] {
            for &has_zeros in &[false, true] {
                for &(m, n, k, gs, lda) in &[
                    (1, 64, 64, 32, 64),
                    (5, 128, 256, 64, 300),
                    (17, 192, 128, 128, 128),
                ] {
                    let desc = WeightDesc::new(dt, n, k, gs, has_zeros).unwrap();
                    let w: Vec<f32> = (0..n * k).map(|_| rng.normal() * 0.05).collect();
                    let qz = quantize(&desc, &w).unwrap();
                    let a = random_bits(dt, (m - 1) * lda + k, &mut rng, -1.0, 1.0);
                    let bias = random_bits(dt, n, &mut rng, -0.5, 0.5);
                    for b in [None, Some(&bias[..])] {
                        let got = reference_gemm(
                            &desc,
                            m,
                            &a,
                            lda,
                            &qz.q_plain,
                            &qz.scales,
                            qz.zeros.as_deref(),
                            b,
                        );
                        let want = naive(
                            &desc,
                            m,
                            &a,
                            lda,
                            &qz.q_plain,
                            &qz.scales,
                            qz.zeros.as_deref(),
                            b,
                        );
                        let e = rel_frobenius_error(&got, &want);
                        assert!(e < 1e-13, "{desc:?} m={m}: {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn hand_computed() {
        // N=64, K=64, group 32. Row 0: q = 9 everywhere (w = 1·s), s = 0.5 in group 0 and 2 in
        // group 1, zero 0.25 in group 1. A row 0 = all 1, row 1 = 1 at k=0 only.
        let dt = Dtype::F16;
        let desc = WeightDesc::new(dt, 64, 64, 32, true).unwrap();
        let q = vec![9u8; 64 * 64];
        let plain = plain_from_q(64, 64, &q);
        let mut s = vec![dt.to_bits(1.0); 2 * 64];
        let mut z = vec![dt.to_bits(0.0); 2 * 64];
        s[0] = dt.to_bits(0.5);
        s[64] = dt.to_bits(2.0);
        z[64] = dt.to_bits(0.25);
        let mut a = vec![dt.to_bits(1.0); 64];
        a.extend((0..64).map(|i| dt.to_bits(if i == 0 { 1.0 } else { 0.0 })));
        let bias: Vec<u16> = (0..64).map(|i| dt.to_bits(i as f32)).collect();
        let c = reference_gemm(&desc, 2, &a, 64, &plain, &s, Some(&z), Some(&bias));
        // Row 0, n=0: 32·0.5 + 32·(2 + 0.25) = 16 + 72 = 88, + bias 0.
        assert_eq!(c[0], 88.0);
        // n=1: 32·1 + 32·1 = 64, + bias 1.
        assert_eq!(c[1], 65.0);
        // Row 1, n=0: only k=0: 0.5; n=5: 1 + 5.
        assert_eq!(c[64], 0.5);
        assert_eq!(c[64 + 5], 6.0);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let dt = Dtype::F16;
        let desc = WeightDesc::new(dt, 64, 128, 64, false).unwrap();
        let q = vec![0x88u8; desc.weight_bytes()];
        let s = vec![dt.to_bits(1.0); desc.scale_elems()];
        let a = vec![0u16; 3 * 128];
        let e = try_reference_gemm(&desc, 4, &a, 128, &q, &s, None, None).unwrap_err();
        assert!(e.contains("a has 384") && e.contains("512"), "{e}");
        let e = try_reference_gemm(&desc, 3, &a, 100, &q, &s, None, None).unwrap_err();
        assert!(e.contains("lda=100"), "{e}");
        let e = try_reference_gemm(&desc, 3, &a, 128, &q, &s, None, Some(&s[..10])).unwrap_err();
        assert!(e.contains("bias has 10"), "{e}");
        assert!(try_reference_gemm(&desc, 3, &a, 128, &q[1..], &s, None, None).is_err());
        assert!(try_reference_gemm(&desc, 3, &a, 128, &q, &s, Some(&s), None).is_err());
        assert_eq!(
            try_reference_gemm(&desc, 0, &[], 128, &q, &s, None, None).unwrap(),
            Vec::<f64>::new()
        );
        assert!(
            std::panic::catch_unwind(|| reference_gemm(&desc, 4, &a, 128, &q, &s, None, None))
                .is_err()
        );
    }

    #[test]
    fn error_measures() {
        let want = vec![3.0, 4.0];
        assert_eq!(rel_frobenius_error(&want, &want), 0.0);
        assert!((rel_frobenius_error(&[3.0, 4.5], &want) - 0.1).abs() < 1e-15);
        assert!((rel_error_f32(&[3.0, 4.5], &want) - 0.1).abs() < 1e-15);
        assert_eq!(rel_error_f32(&[f32::NAN, 4.0], &want), f64::INFINITY);
        assert_eq!(rel_error_f32(&[f32::INFINITY, 4.0], &want), f64::INFINITY);
        assert_eq!(rel_frobenius_error(&[3.0, f64::NAN], &want), f64::INFINITY);
        assert_eq!(rel_frobenius_error(&[3.0], &want), f64::INFINITY);
        assert_eq!(rel_frobenius_error(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
        assert_eq!(
            rel_frobenius_error(&[1e-9, 0.0], &[0.0, 0.0]),
            f64::INFINITY
        );
        // Bits with padding: M=2, N=2, ldc=3; the padding holds NaN and must be ignored.
        for dt in [Dtype::F16, Dtype::Bf16] {
            let nan = dt.to_bits(f32::NAN);
            let got = vec![
                dt.to_bits(3.0),
                dt.to_bits(4.0),
                nan,
                dt.to_bits(3.0),
                dt.to_bits(4.0),
            ];
            let want4 = vec![3.0, 4.0, 3.0, 4.0];
            assert_eq!(rel_error_bits(dt, &got, 3, 2, 2, &want4), 0.0);
            let mut bad = got.clone();
            bad[4] = nan;
            assert_eq!(rel_error_bits(dt, &bad, 3, 2, 2, &want4), f64::INFINITY);
            assert_eq!(
                rel_error_bits(dt, &got[..4], 3, 2, 2, &want4),
                f64::INFINITY
            );
            assert_eq!(rel_error_bits(dt, &got, 1, 2, 2, &want4), f64::INFINITY);
        }
    }

    /// Speed check for the size the brief names; run with `cargo test --release -- --ignored`.
    #[test]
    #[ignore]
    fn speed_m64_n4096_k4096() {
        let mut rng = Rng::new(22);
        let dt = Dtype::F16;
        let desc = WeightDesc::new(dt, 4096, 4096, 128, true).unwrap();
        let q: Vec<u8> = (0..desc.weight_bytes())
            .map(|_| rng.next_u64() as u8)
            .collect();
        let s = random_bits(dt, desc.scale_elems(), &mut rng, 0.001, 0.01);
        let z = random_bits(dt, desc.scale_elems(), &mut rng, -0.01, 0.01);
        let a = random_bits(dt, 64 * 4096, &mut rng, -1.0, 1.0);
        let t = std::time::Instant::now();
        let c = reference_gemm(&desc, 64, &a, 4096, &q, &s, Some(&z), None);
        let dt_s = t.elapsed().as_secs_f64();
        eprintln!("reference M=64 N=4096 K=4096: {dt_s:.3} s");
        assert!(c.iter().all(|x| x.is_finite()));
    }
}
