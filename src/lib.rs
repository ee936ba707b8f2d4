//! w4a16: 4-bit-weight × fp16/bf16-activation matrix products on NVIDIA Hopper GPUs.
//!
//! `C[M,N] = A[M,K] · Wᵀ (+ bias)` with W stored as 4-bit integers and per-group scales (and
//! optional additive zeros). C and C++ programs use the C API (`include/w4a16.h`, src/capi.rs);
//! Rust programs use [`engine::Handle`] and the host tools directly.
//!
//! Layout: policy in Rust (dispatch.rs, engine.rs, capi.rs), kernels in CUDA (kernels/), one FFI
//! file between them (kernels.rs ↔ kernels/launch.h).

pub mod bench;
pub mod autotune;
pub mod capi;
pub mod device;
pub mod dispatch;
pub mod engine;
pub mod error;
pub mod import;
/// cbindgen:ignore
/// (the kernels' FFI is internal: it must not appear in w4a16.h)
pub mod kernels;
pub mod pack;
pub mod quant;
pub mod reference;
pub mod rng;
pub mod testing;
pub mod tune;
pub mod types;

pub use engine::{Handle, Operands};
pub use error::{Error, Result, Status};
pub use types::{Dtype, WeightDesc};

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u32;
    while i < b.len() {
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    v
}

pub const VERSION_MAJOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MAJOR"));
pub const VERSION_MINOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MINOR"));
pub const VERSION_PATCH: u32 = parse_u32(env!("CARGO_PKG_VERSION_PATCH"));
/// major * 10000 + minor * 100 + patch, as `w4a16_version()` returns it.
pub const VERSION_ENCODED: u32 = VERSION_MAJOR * 10000 + VERSION_MINOR * 100 + VERSION_PATCH;
