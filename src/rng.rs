//! A tiny deterministic random number generator shared by the tests, the examples and the bench.
//!
//! No dependency: every run with the same seed sees the same data on every machine, so a failure
//! can be reproduced from the seed printed next to it.

use crate::types::Dtype;

/// splitmix64: one u64 of state, full period, good enough statistics for test data, and trivially
/// seedable (any seed, zero included, gives a well-mixed stream).
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// Seeds the generator; the same seed always gives the same stream.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The raw stream every other draw is derived from.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits, for draws that must not collapse onto an f32 grid.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi): the usual way to make activations, weights and scales.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        loop {
            let u = self.next_f64();
            let x = (lo as f64 + (hi as f64 - lo as f64) * u) as f32;
            // Rounding to f32 can land on `hi` (rarely); draw again to keep the half-open promise.
            if x < hi || hi <= lo {
                return x;
            }
        }
    }

    /// Standard normal (Box–Muller), for weights that look like trained ones (heavier tails than
    /// uniform, which exercises the per-group absmax).
    pub fn normal(&mut self) -> f32 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
    }

    /// Uniform integer in [0, n) (n > 0), for random shapes and indices; returns 0 when n == 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: bias is below 2^-64 · n, irrelevant for test data.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// `len` values uniform in [lo, hi), each rounded to `dtype`, as raw bits: what the C API and
/// the kernels take for activations, scales, zeros and bias.
pub fn random_bits(dtype: Dtype, len: usize, rng: &mut Rng, lo: f32, hi: f32) -> Vec<u16> {
    (0..len)
        .map(|_| dtype.to_bits(rng.uniform(lo, hi)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let a: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(43);
            (0..8).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        // splitmix64 reference value for seed 0 (first output).
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn uniform_range_and_mean() {
        let mut r = Rng::new(1);
        let n = 100_000;
        let mut sum = 0.0f64;
        for _ in 0..n {
            let x = r.uniform(-2.0, 3.0);
            assert!((-2.0..3.0).contains(&x));
            sum += x as f64;
        }
        assert!((sum / n as f64 - 0.5).abs() < 0.03);
    }

    #[test]
    fn normal_moments() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let x = r.normal() as f64;
            assert!(x.is_finite());
            s1 += x;
            s2 += x * x;
        }
        let mean = s1 / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn below_range() {
        let mut r = Rng::new(3);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.below(5);
            assert!(v < 5);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn random_bits_are_in_dtype_and_range() {
        let mut r = Rng::new(9);
        for dt in [Dtype::F16, Dtype::Bf16] {
            let v = random_bits(dt, 1000, &mut r, 0.5, 1.5);
            for &b in &v {
                let x = dt.from_bits(b);
                // Rounding to the dtype may reach hi itself.
                assert!((0.5..=1.5).contains(&x), "{x}");
                assert_eq!(dt.to_bits(x), b);
            }
        }
    }
}
