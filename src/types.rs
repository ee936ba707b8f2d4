//! Plain Rust descriptions of a problem, shared by the engine, the host tools and the tests.

use half::{bf16, f16};

/// Activation (and scale, zero, bias, output) element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    F16,
    Bf16,
}

impl Dtype {
    /// The value used by the C API and kernels/launch.h (`W4A16_DTYPE_*`, `W4A16K_*`).
    pub fn code(self) -> i32 {
        match self {
            Dtype::F16 => 0,
            Dtype::Bf16 => 1,
        }
    }

    pub fn from_code(code: i32) -> Option<Dtype> {
        match code {
            0 => Some(Dtype::F16),
            1 => Some(Dtype::Bf16),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dtype::F16 => "fp16",
            Dtype::Bf16 => "bf16",
        }
    }

    /// Bits of `x` rounded to this type (round to nearest even).
    pub fn to_bits(self, x: f32) -> u16 {
        match self {
            Dtype::F16 => f16::from_f32(x).to_bits(),
            Dtype::Bf16 => bf16::from_f32(x).to_bits(),
        }
    }

    /// The value held by `bits` of this type.
    pub fn from_bits(self, bits: u16) -> f32 {
        match self {
            Dtype::F16 => f16::from_bits(bits).to_f32(),
            Dtype::Bf16 => bf16::from_bits(bits).to_f32(),
        }
    }

    /// Rounds `x` to this type and back.
    pub fn round(self, x: f32) -> f32 {
        self.from_bits(self.to_bits(x))
    }
}

/// The weight side of a problem: everything that is fixed when the weights are packed.
/// Invariants (checked by [`WeightDesc::new`]): n, k > 0, n % 64 == 0, k % 64 == 0,
/// group_size ∈ {32, 64, 128} or group_size == k, k % group_size == 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeightDesc {
    pub dtype: Dtype,
    pub n: usize,
    pub k: usize,
    pub group_size: usize,
    pub has_zeros: bool,
}

/// Largest N or K accepted: keeps every element offset of A, W, C well inside i64 and
/// per-row offsets inside i32 where kernels use them.
pub const MAX_DIM: usize = 1 << 20;

impl WeightDesc {
    pub fn new(
        dtype: Dtype,
        n: usize,
        k: usize,
        group_size: usize,
        has_zeros: bool,
    ) -> Result<WeightDesc, String> {
        if n == 0 || n % 64 != 0 || n > MAX_DIM {
            return Err(format!("N={n} must be a positive multiple of 64 and at most {MAX_DIM}"));
        }
        if k == 0 || k % 64 != 0 || k > MAX_DIM {
            return Err(format!("K={k} must be a positive multiple of 64 and at most {MAX_DIM}"));
        }
        if !(matches!(group_size, 32 | 64 | 128) || group_size == k) {
            return Err(format!(
                "group_size={group_size} is not supported (32, 64, 128, or K={k} for per-channel)"
            ));
        }
        if k % group_size != 0 {
            return Err(format!("K={k} is not a multiple of group_size={group_size}"));
        }
        Ok(WeightDesc { dtype, n, k, group_size, has_zeros })
    }

    /// Number of scale (and zero) rows: K / group_size.
    pub fn groups(&self) -> usize {
        self.k / self.group_size
    }

    /// Bytes of the plain layout and of the packed layout v2 (both N·K/2).
    pub fn weight_bytes(&self) -> usize {
        self.n * self.k / 2
    }

    /// Elements of the scale (and zero) matrix: (K / group_size) · N.
    pub fn scale_elems(&self) -> usize {
        self.groups() * self.n
    }
}
