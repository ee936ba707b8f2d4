//! FFI of kernels/launch.h — the only unsafe boundary between Rust and the CUDA code.
//! Keep this file a line-by-line mirror of launch.h.

use std::ffi::{c_char, c_void};

/// `cudaError_t` (a C enum: int).
pub type CudaError = i32;
pub const CUDA_SUCCESS: CudaError = 0;
pub const CUDA_ERROR_MEMORY_ALLOCATION: CudaError = 2;
pub const CUDA_ERROR_INSUFFICIENT_DRIVER: CudaError = 35;
pub const CUDA_ERROR_NO_DEVICE: CudaError = 100;
pub const CUDA_ERROR_STUB_LIBRARY: CudaError = 34;
pub const CUDA_ERROR_INVALID_DEVICE: CudaError = 101;

/// `cudaStream_t`; NULL is the legacy default stream.
pub type Stream = *mut c_void;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GemmArgs {
    pub a: *const c_void,
    pub lda: i64,
    pub packed_w: *const c_void,
    pub scales: *const c_void,
    pub zeros: *const c_void,
    pub bias: *const c_void,
    pub c: *mut c_void,
    pub ldc: i64,
    pub m: i64,
    pub n: i64,
    pub k: i64,
    pub group_size: i32,
    pub dtype: i32,
    pub config: i32,
    pub split_k: i32,
    pub workspace: *mut c_void,
    pub workspace_bytes: usize,
    pub flags: i32,
}

/// `W4A16K_FLAG_PDL`: programmatic dependent launch (GEMV family; others ignore it).
pub const FLAG_PDL: i32 = 1;

impl GemmArgs {
    /// The arguments of an M x N x K product with every pointer NULL, lda = K, ldc = N, the
    /// family's default configuration, no split, no workspace and no flags: callers fill in
    /// the rest with struct update syntax.
    pub fn shape(m: i64, n: i64, k: i64, group_size: i32, dtype: i32) -> GemmArgs {
        GemmArgs {
            a: std::ptr::null(),
            lda: k,
            packed_w: std::ptr::null(),
            scales: std::ptr::null(),
            zeros: std::ptr::null(),
            bias: std::ptr::null(),
            c: std::ptr::null_mut(),
            ldc: n,
            m,
            n,
            k,
            group_size,
            dtype,
            config: 0,
            split_k: 1,
            workspace: std::ptr::null_mut(),
            workspace_bytes: 0,
            flags: 0,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct DeviceInfo {
    pub name: [c_char; 256],
    pub cc_major: i32,
    pub cc_minor: i32,
    pub sm_count: i32,
    pub l2_bytes: i64,
    pub global_mem_bytes: i64,
    pub max_smem_per_block_optin: i32,
}

/// Schedules of `w4a16k_sm90_config::schedule`.
pub const SM90_COOP: i32 = 0;
pub const SM90_PINGPONG: i32 = 1;
pub const SM90_STREAMK: i32 = 2;

/// One row of kernels/sm90/configs.def.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sm90Config {
    pub tile_w: i32,
    pub tile_t: i32,
    pub cluster_w: i32,
    pub cluster_t: i32,
    pub schedule: i32,
    /// K depth of a pipeline stage (64 or 128); the group size must be a multiple of it.
    pub tile_k: i32,
}

impl Sm90Config {
    /// Whether the row uses the stream-K / split-K tile scheduler (it also runs as split-K N).
    pub fn is_stream_k(&self) -> bool {
        self.schedule == SM90_STREAMK
    }
}

extern "C" {
    pub fn w4a16k_gemv(args: *const GemmArgs, stream: Stream) -> CudaError;
    pub fn w4a16k_gemv_workspace_bytes(m: i64, n: i64, split_k: i32) -> usize;
    pub fn w4a16k_mma(args: *const GemmArgs, stream: Stream) -> CudaError;
    pub fn w4a16k_sm90(args: *const GemmArgs, stream: Stream) -> CudaError;
    pub fn w4a16k_sm90_workspace_bytes(args: *const GemmArgs) -> usize;
    pub fn w4a16k_sm90_config_info(config: i32, out: *mut Sm90Config) -> i32;
    pub fn w4a16k_pack(plain: *const u8, packed: *mut u8, n: i64, k: i64, stream: Stream) -> CudaError;
    pub fn w4a16k_reference_gemm(
        args: *const GemmArgs,
        plain_w: *const u8,
        c32: *mut f32,
        stream: Stream,
    ) -> CudaError;

    pub fn w4a16k_device_count(count: *mut i32) -> CudaError;
    pub fn w4a16k_get_device_info(device: i32, out: *mut DeviceInfo) -> CudaError;
    pub fn w4a16k_current_device(device: *mut i32) -> CudaError;
    pub fn w4a16k_set_device(device: i32) -> CudaError;
    pub fn w4a16k_error_name(err: CudaError) -> *const c_char;
    pub fn w4a16k_error_string(err: CudaError) -> *const c_char;
    pub fn w4a16k_runtime_version() -> i32;
    pub fn w4a16k_noop(stream: Stream) -> CudaError;
}
