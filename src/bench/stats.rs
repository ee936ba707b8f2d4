//! Order statistics of timing samples and the error measure between two outputs.

use crate::types::Dtype;

/// Median and spread of a set of per-call times (µs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

/// The `p`-th percentile (0..=100) of sorted `v`, linear interpolation between closest ranks
/// (numpy's default). NaN for an empty slice.
pub fn percentile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let p = p.clamp(0.0, 100.0);
    let pos = p / 100.0 * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    v[lo] + (v[hi] - v[lo]) * frac
}

/// Summary of `samples` (non-finite samples are dropped); None when nothing is left.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(Summary {
        median: percentile_sorted(&v, 50.0),
        p10: percentile_sorted(&v, 10.0),
        p90: percentile_sorted(&v, 90.0),
        min: v[0],
        max: v[v.len() - 1],
        count: v.len(),
    })
}

/// ‖got − want‖_F / ‖want‖_F over pairs; +∞ on any non-finite value, and for an all-zero
/// `want` unless `got` is all zero too (0). NaN can never pass a tolerance check.
pub fn rel_err_pairs<I: Iterator<Item = (f64, f64)>>(pairs: I) -> f64 {
    let (mut d2, mut w2) = (0.0f64, 0.0f64);
    for (g, w) in pairs {
        if !g.is_finite() || !w.is_finite() {
            return f64::INFINITY;
        }
        d2 += (g - w) * (g - w);
        w2 += w * w;
    }
    if w2 == 0.0 {
        return if d2 == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let r = (d2 / w2).sqrt();
    if r.is_finite() {
        r
    } else {
        f64::INFINITY
    }
}

/// Relative error of `got` against `want + add` (both dtype bits, same length; `add[j % add.len()]`
/// is added to `want[j]` when `add` is given: a bias the baseline did not apply). +∞ on a length
/// mismatch.
pub fn rel_err_bits(dtype: Dtype, got: &[u16], want: &[u16], add: Option<&[f64]>) -> f64 {
    if got.len() != want.len() || add.is_some_and(|a| a.is_empty()) {
        return f64::INFINITY;
    }
    rel_err_pairs(got.iter().zip(want).enumerate().map(|(j, (&g, &w))| {
        let extra = add.map_or(0.0, |a| a[j % a.len()]);
        (dtype.from_bits(g) as f64, dtype.from_bits(w) as f64 + extra)
    }))
}

/// Relative error of dtype bits `got` against f64 `want` (same length; +∞ otherwise).
pub fn rel_err_bits_f64(dtype: Dtype, got: &[u16], want: &[f64]) -> f64 {
    if got.len() != want.len() {
        return f64::INFINITY;
    }
    rel_err_pairs(got.iter().zip(want).map(|(&g, &w)| (dtype.from_bits(g) as f64, w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=11).map(|x| x as f64).collect();
        assert_eq!(percentile_sorted(&v, 50.0), 6.0);
        assert_eq!(percentile_sorted(&v, 10.0), 2.0);
        assert_eq!(percentile_sorted(&v, 90.0), 10.0);
        assert_eq!(percentile_sorted(&v, 0.0), 1.0);
        assert_eq!(percentile_sorted(&v, 100.0), 11.0);
        // Even count: median interpolates.
        assert_eq!(percentile_sorted(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.5);
        assert_eq!(percentile_sorted(&[7.0], 90.0), 7.0);
        assert!(percentile_sorted(&[], 50.0).is_nan());
    }

    #[test]
    fn summary_sorts_and_drops_nan() {
        let s = summarize(&[5.0, 1.0, f64::NAN, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.count), (3.0, 1.0, 5.0, 5));
        assert!((s.p10 - 1.4).abs() < 1e-12);
        assert!((s.p90 - 4.6).abs() < 1e-12);
        assert!(s.p10 <= s.median && s.median <= s.p90);
        assert!(summarize(&[]).is_none());
        assert!(summarize(&[f64::INFINITY]).is_none());
    }

    #[test]
    fn rel_errors() {
        let dt = Dtype::F16;
        let a: Vec<u16> = [1.0f32, 2.0, -3.0].iter().map(|&x| dt.to_bits(x)).collect();
        assert_eq!(rel_err_bits(dt, &a, &a, None), 0.0);
        let b: Vec<u16> = [1.0f32, 2.0, -2.0].iter().map(|&x| dt.to_bits(x)).collect();
        let e = rel_err_bits(dt, &b, &a, None);
        assert!((e - (1.0f64 / 14.0).sqrt()).abs() < 1e-12, "{e}");
        // NaN never passes.
        let nan = vec![0x7E00u16, 0, 0];
        assert_eq!(rel_err_bits(dt, &nan, &a, None), f64::INFINITY);
        assert_eq!(rel_err_bits(dt, &a[..2], &a, None), f64::INFINITY);
        // A bias added to the baseline.
        let c: Vec<u16> = [2.0f32, 3.0, -2.0].iter().map(|&x| dt.to_bits(x)).collect();
        assert_eq!(rel_err_bits(dt, &c, &a, Some(&[1.0, 1.0, 1.0])), 0.0);
        assert_eq!(rel_err_bits_f64(dt, &a, &[1.0, 2.0, -3.0]), 0.0);
        assert_eq!(rel_err_bits_f64(dt, &a, &[0.0, 0.0, 0.0]), f64::INFINITY);
        assert_eq!(rel_err_pairs([(0.0, 0.0)].into_iter()), 0.0);
    }
}
