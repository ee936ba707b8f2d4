//! The C API: every exported `w4a16_*` function. Each one is a thin wrapper that checks its
//! pointers and sizes, converts to the Rust types, calls the engine or the host tools inside
//! `catch_unwind`, and turns the result into a status (+ the thread-local message).
//!
//! Thread safety: a handle may be shared by any number of threads once created; `w4a16_destroy`
//! must not race with other calls on the same handle. Functions without a handle are reentrant.

#![allow(non_camel_case_types)]
// The C API takes raw pointers from C callers; every one is checked before use.
#![allow(clippy::missing_safety_doc)]

use crate::dispatch::{Path, Reason};
use crate::engine::{self, Handle, Operands};
use crate::error::{last_error_ptr, set_last_error, Error, Result, Status};
use crate::types::{Dtype, WeightDesc};
use crate::{device, import, pack, quant};
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use crate::error::w4a16_status_t;

/// Activation element type: the type of A, scales, zeros, bias and C (all 16-bit).
/// Descriptor fields hold it as int32_t (the size of a C enum is up to the compiler).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum w4a16_dtype_t {
    /// IEEE half precision.
    W4A16_DTYPE_FP16 = 0,
    /// bfloat16.
    W4A16_DTYPE_BF16 = 1,
}

/// Kernel family, as reported by w4a16_plan and set by w4a16_force_path.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum w4a16_path_t {
    /// CUDA-core GEMV that streams the packed weights (decode-sized M).
    W4A16_PATH_GEMV = 0,
    /// Tensor-core GEMM (prefill-sized M).
    W4A16_PATH_TENSOR_CORE = 1,
}

/// Why w4a16_plan (and so w4a16_gemm) chose its configuration.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum w4a16_plan_reason_t {
    /// The built-in rule; no measurement exists for this problem.
    W4A16_PLAN_HEURISTIC = 0,
    /// A measured tuning-table entry.
    W4A16_PLAN_TUNED = 1,
    /// An override (W4A16_FORCE_PATH) for debugging and tests.
    W4A16_PLAN_FORCED = 2,
}

/// The weight side of a product (dtype, N, K, group size, zeros), fixed when the weights are
/// packed: one descriptor per weight matrix, used for packing, sizing and every w4a16_gemm on it.
///
/// Fill it with w4a16_desc_init, which sets struct_size and validates the fields; do not fill it
/// field by field. The struct may grow in a later minor version (fields appended); struct_size
/// tells the library which version the caller was compiled with. Caller-owned: the library reads
/// it during a call and keeps no pointer to it. N, K and group_size are counts of elements.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct w4a16_problem_desc_t {
    /// sizeof(w4a16_problem_desc_t) as the caller was compiled with.
    pub struct_size: u32,
    /// A w4a16_dtype_t value: the type of A, scales, zeros, bias and C.
    pub dtype: i32,
    /// Output features (rows of W): a positive multiple of 64, at most 2^20.
    pub n: i64,
    /// Input features (columns of W): a positive multiple of 64 and of group_size, at most 2^20.
    pub k: i64,
    /// Weights per scale (and zero) along K: 32, 64, 128, or K (one scale per output channel).
    pub group_size: i32,
    /// 1: dequantize as (q - 8)·s + z with additive zeros z; 0: (q - 8)·s.
    pub has_zeros: i32,
}

/// What w4a16_gemm would do for one problem and M, filled by w4a16_plan. The caller owns it and
/// sets struct_size = sizeof(w4a16_plan_t) before the call. The strings are for people (logs,
/// bug reports): their wording may change in any release; do not parse them.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct w4a16_plan_t {
    /// sizeof(w4a16_plan_t) as the caller was compiled with (set by the caller).
    pub struct_size: u32,
    /// A w4a16_path_t value.
    pub path: i32,
    /// 1 when path is W4A16_PATH_GEMV (the seed's `used_gemv`).
    pub used_gemv: i32,
    /// A w4a16_plan_reason_t value.
    pub reason: i32,
    /// Number of K splits (1 = none); split-K partial sums live in the workspace.
    pub split_k: i32,
    /// Family-specific configuration id (for diagnostics; values may change in any release).
    pub config_id: i32,
    /// Workspace bytes a call with this M needs (w4a16_workspace_size gives the maximum over a
    /// range of M: allocate that).
    pub workspace_bytes: u64,
    /// Configuration name, NUL-terminated (for logs; may change in any release).
    pub config_name: [c_char; 64],
    /// Why this configuration, in words, NUL-terminated.
    pub explanation: [c_char; 192],
}

/// Opaque per-device library state (see w4a16_handle_t).
pub struct w4a16_handle {
    inner: Handle,
}

/// Handle to the library state of one GPU: create with w4a16_create, release with w4a16_destroy.
/// It holds no device memory and no mutable state on the hot path, so one handle per device is
/// enough for a whole process: any number of threads may use it at once, each with its own
/// streams (w4a16_destroy excepted). Owned by the caller.
pub type w4a16_handle_t = *mut w4a16_handle;

/// Runs `body` with panics caught; records the message of a failure for w4a16_last_error.
/// The success path touches nothing (no allocation): the last error keeps the last failure.
fn guard(body: impl FnOnce() -> Result<()>) -> w4a16_status_t {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Status::W4A16_STATUS_SUCCESS,
        Ok(Err(e)) => {
            set_last_error(&e.message);
            e.status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            set_last_error(&format!("internal error (caught panic): {what}"));
            Status::W4A16_STATUS_INTERNAL
        }
    }
}

fn non_null<'a, T>(name: &str, p: *const T) -> Result<&'a T> {
    // SAFETY: the caller promises p points to a valid T when it is not NULL.
    unsafe { p.as_ref() }.ok_or_else(|| Error::invalid(format!("{name} is NULL")))
}

fn out_ptr<'a, T>(name: &str, p: *mut T) -> Result<&'a mut T> {
    // SAFETY: as for non_null, for an output.
    unsafe { p.as_mut() }.ok_or_else(|| Error::invalid(format!("{name} is NULL")))
}

fn handle_ref<'a>(h: w4a16_handle_t) -> Result<&'a Handle> {
    Ok(&non_null("handle", h as *const w4a16_handle)?.inner)
}

fn to_usize(name: &str, v: i64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::invalid(format!("{name}={v} is negative")))
}

/// Validates a C descriptor and converts it.
fn weight_desc(desc: *const w4a16_problem_desc_t) -> Result<WeightDesc> {
    let d = non_null("desc", desc)?;
    let v0 = std::mem::size_of::<w4a16_problem_desc_t>() as u32;
    if d.struct_size < v0 {
        return Err(Error::invalid(format!(
            "desc->struct_size={} is smaller than sizeof(w4a16_problem_desc_t)={v0} (use w4a16_desc_init)",
            d.struct_size
        )));
    }
    let dtype = Dtype::from_code(d.dtype).ok_or_else(|| {
        Error::invalid(format!("desc->dtype={} is not a w4a16_dtype_t (0 = fp16, 1 = bf16)", d.dtype))
    })?;
    let has_zeros = match d.has_zeros {
        0 => false,
        1 => true,
        v => return Err(Error::invalid(format!("desc->has_zeros={v} must be 0 or 1"))),
    };
    let group = usize::try_from(d.group_size)
        .map_err(|_| Error::invalid(format!("desc->group_size={} is negative", d.group_size)))?;
    WeightDesc::new(dtype, to_usize("desc->n", d.n)?, to_usize("desc->k", d.k)?, group, has_zeros)
        .map_err(|m| Error::invalid(format!("desc: {m}")))
}

/// Borrows `len` elements at `p` (host memory) after a NULL check.
fn host_slice<'a, T>(name: &str, p: *const T, len: usize) -> Result<&'a [T]> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} is NULL")));
    }
    if (p as usize) % std::mem::align_of::<T>() != 0 {
        return Err(Error::invalid(format!("{name}={p:p} is not aligned for its element type")));
    }
    // SAFETY: the caller promises `len` readable elements (documented size).
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

fn host_slice_mut<'a, T>(name: &str, p: *mut T, len: usize) -> Result<&'a mut [T]> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} is NULL")));
    }
    if (p as usize) % std::mem::align_of::<T>() != 0 {
        return Err(Error::invalid(format!("{name}={p:p} is not aligned for its element type")));
    }
    // SAFETY: the caller promises `len` writable elements (documented size).
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

fn check_buffer_bytes(name: &str, given: usize, need: usize) -> Result<()> {
    if given < need {
        return Err(Error::invalid(format!("{name}={given} bytes but {need} are needed")));
    }
    Ok(())
}

fn copy_cstr(dst: &mut [c_char], s: &str) {
    let n = s.len().min(dst.len() - 1);
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        *d = *b as c_char;
    }
    dst[n] = 0;
}

/// Version of the loaded library as major * 10000 + minor * 100 + patch (0.3.0 -> 300). Compare
/// with W4A16_VERSION (the header's) to detect a header/library mismatch; programs built against
/// major version X need a library of the same major version (docs/API.md, versioning policy).
/// Thread-safe; needs no GPU.
#[no_mangle]
pub extern "C" fn w4a16_version() -> u32 {
    crate::VERSION_ENCODED
}

/// Short description of a status value (a w4a16_status_t; "unknown status" for other values).
/// Returns a NUL-terminated string in static storage: never NULL, never to be freed.
/// Thread-safe; needs no GPU.
#[no_mangle]
pub extern "C" fn w4a16_status_string(status: i32) -> *const c_char {
    use Status::*;
    let all = [
        W4A16_STATUS_SUCCESS,
        W4A16_STATUS_INVALID_ARGUMENT,
        W4A16_STATUS_NOT_SUPPORTED,
        W4A16_STATUS_NO_DEVICE,
        W4A16_STATUS_CUDA_ERROR,
        W4A16_STATUS_OUT_OF_MEMORY,
        W4A16_STATUS_INTERNAL,
        W4A16_STATUS_WORKSPACE_TOO_SMALL,
        W4A16_STATUS_WRONG_DEVICE,
        W4A16_STATUS_CACHE_IGNORED,
        W4A16_STATUS_IO_ERROR,
    ];
    match all.iter().find(|s| **s as i32 == status) {
        Some(s) => s.as_cstr().as_ptr(),
        None => c"unknown status".as_ptr(),
    }
}

/// The message of the most recent failed w4a16_* call on the calling thread, naming the argument
/// and its value (e.g. "desc: K=1000 is not a multiple of 64"); "" if no call failed on this
/// thread yet. Successful calls do not clear it: read it right after the failing call.
/// Returns a NUL-terminated string owned by the library (thread-local storage): never NULL, never
/// to be freed, valid until the next failing call on the same thread or the thread's exit.
/// Thread-safe (each thread has its own message); needs no GPU.
#[no_mangle]
pub extern "C" fn w4a16_last_error() -> *const c_char {
    last_error_ptr()
}

/// Number of visible CUDA devices (as the CUDA runtime counts them, after CUDA_VISIBLE_DEVICES).
/// `count` (out, not NULL): set to 0 first, then to the count on success.
/// Returns SUCCESS; NO_DEVICE without a driver or without a GPU (count stays 0); CUDA_ERROR for
/// another CUDA failure; INVALID_ARGUMENT if count is NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn w4a16_device_count(count: *mut i32) -> w4a16_status_t {
    guard(|| {
        let out = out_ptr("count", count)?;
        *out = 0;
        *out = device::device_count()?;
        Ok(())
    })
}

/// Fills `desc` (out, not NULL; caller-owned) with the given fields and its struct_size, then
/// validates it. `dtype`: a w4a16_dtype_t value. `n`: output features (rows of W), `k`: input
/// features (columns of W): each a positive multiple of 64 and at most W4A16_MAX_DIM (2^20).
/// `group_size`: weights per scale along K: 32, 64, 128, or k (one scale per output channel);
/// k must be a multiple of it. `has_zeros`: 1 for additive zeros ((q - 8) * s + z), 0 for
/// symmetric weights ((q - 8) * s).
/// Returns SUCCESS, or INVALID_ARGUMENT naming the offending field (e.g. "K=1000 is not a
/// multiple of 64"); desc is written in both cases. Host only: thread-safe, needs no GPU.
#[no_mangle]
pub unsafe extern "C" fn w4a16_desc_init(
    desc: *mut w4a16_problem_desc_t,
    dtype: i32,
    n: i64,
    k: i64,
    group_size: i32,
    has_zeros: i32,
) -> w4a16_status_t {
    guard(|| {
        let d = out_ptr("desc", desc)?;
        *d = w4a16_problem_desc_t {
            struct_size: std::mem::size_of::<w4a16_problem_desc_t>() as u32,
            dtype,
            n,
            k,
            group_size,
            has_zeros,
        };
        weight_desc(d).map(|_| ())
    })
}

/// Creates a handle for CUDA device `device` (an ordinal as cudaSetDevice takes it) and stores it
/// in `*handle` (out, not NULL; set to NULL on failure). The handle is owned by the caller until
/// w4a16_destroy. Reads W4A16_FORCE_PATH ("gemv" or "tensor_core": see w4a16_force_path) and
/// W4A16_PDL ("0" or "1": see w4a16_set_pdl).
/// Returns SUCCESS; NO_DEVICE without a driver or a GPU; INVALID_ARGUMENT if handle is NULL, the
/// device does not exist or W4A16_FORCE_PATH or W4A16_PDL has another value; NOT_SUPPORTED on a GPU this build
/// has no kernels for (it targets sm_90a: H100/H200); CUDA_ERROR for another CUDA failure.
///
/// Thread safety: once created, a handle may be used by any number of host threads at once,
/// typically each with its own stream (calls keep no mutable per-call state in the handle).
/// Every call with a handle must come from a thread whose current CUDA device (cudaSetDevice) is
/// `device`, else it returns WRONG_DEVICE; use one handle per GPU. w4a16_force_path and
/// w4a16_set_pdl change the handle for all threads. w4a16_destroy must not race with any other call on the same handle.
/// w4a16_last_error() is per thread. Concurrent calls writing the same C or workspace buffer on
/// different streams race like any other CUDA work: order them with the streams. Any thread may
/// create handles, for any device.
#[no_mangle]
pub unsafe extern "C" fn w4a16_create(device: i32, handle: *mut w4a16_handle_t) -> w4a16_status_t {
    guard(|| {
        let out = out_ptr("handle", handle)?;
        *out = std::ptr::null_mut();
        let inner = Handle::new(device)?;
        *out = Box::into_raw(Box::new(w4a16_handle { inner }));
        Ok(())
    })
}

/// Destroys a handle created by w4a16_create; NULL is accepted and ignored (returns SUCCESS).
/// Does not synchronize any stream. No other call may use the handle concurrently or afterwards
/// (this is the one call on a handle that is not thread-safe).
#[no_mangle]
pub unsafe extern "C" fn w4a16_destroy(handle: w4a16_handle_t) -> w4a16_status_t {
    guard(|| {
        if !handle.is_null() {
            // SAFETY: created by Box::into_raw in w4a16_create; the caller gives it up.
            drop(unsafe { Box::from_raw(handle) });
        }
        Ok(())
    })
}

/// Size in bytes of the packed weights for `desc` (packed layout v2: N * K / 2), i.e. of the
/// buffers that w4a16_pack_weights and w4a16_pack_weights_host write (the plain layout has the
/// same size). `bytes` (out, not NULL).
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, invalid desc). Host only; thread-safe.
#[no_mangle]
pub unsafe extern "C" fn w4a16_packed_weight_bytes(
    desc: *const w4a16_problem_desc_t,
    bytes: *mut usize,
) -> w4a16_status_t {
    guard(|| {
        let out = out_ptr("bytes", bytes)?;
        *out = weight_desc(desc)?.weight_bytes();
        Ok(())
    })
}

/// Packs plain weights into the kernels' layout (docs/LAYOUT.md) on the device, once per weight
/// matrix, typically at model load. Asynchronous: enqueued on `stream` (a cudaStream_t passed as
/// void*; NULL = the legacy default stream); synchronize before reading packed_out on the host
/// or freeing plain_qweight.
/// `plain_qweight`: device pointer, N * K / 2 bytes, [N, K/2] row-major, unsigned q in 0..15, two
/// per byte, low nibble = even k. `packed_out`: device pointer, w4a16_packed_weight_bytes bytes;
/// must not overlap plain_qweight. Both 16-byte aligned (W4A16_POINTER_ALIGNMENT). Both buffers
/// stay owned by the caller; the library keeps no pointer after the call returns.
/// Returns SUCCESS; INVALID_ARGUMENT (NULL pointer, invalid desc); WRONG_DEVICE if the calling
/// thread's current device is not the handle's; CUDA_ERROR if the launch fails (errors of the
/// kernel itself surface later on the stream, as for any CUDA work). Thread-safe.
/// Deterministic: same bytes as w4a16_pack_weights_host.
#[no_mangle]
pub unsafe extern "C" fn w4a16_pack_weights(
    handle: w4a16_handle_t,
    desc: *const w4a16_problem_desc_t,
    plain_qweight: *const c_void,
    packed_out: *mut c_void,
    stream: *mut c_void,
) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        let w = weight_desc(desc)?;
        // SAFETY: device pointers of the documented sizes (caller's contract).
        unsafe { h.pack(&w, plain_qweight, packed_out, stream) }
    })
}

/// Packs plain weights on the host: the same bytes as w4a16_pack_weights, with no GPU (e.g. to
/// pack offline and store packed weights). `plain_qweight`: plain_bytes bytes of plain layout
/// (see w4a16_pack_weights); `packed_out`: packed_bytes bytes, not overlapping it. Both sizes must
/// be at least w4a16_packed_weight_bytes (only that many bytes are read and written). Host
/// memory, caller-owned, no alignment requirement.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, buffer too small, invalid desc).
/// Thread-safe; deterministic.
#[no_mangle]
pub unsafe extern "C" fn w4a16_pack_weights_host(
    desc: *const w4a16_problem_desc_t,
    plain_qweight: *const u8,
    plain_bytes: usize,
    packed_out: *mut u8,
    packed_bytes: usize,
) -> w4a16_status_t {
    guard(|| {
        let w = weight_desc(desc)?;
        let need = w.weight_bytes();
        check_buffer_bytes("plain_bytes", plain_bytes, need)?;
        check_buffer_bytes("packed_bytes", packed_bytes, need)?;
        let plain = host_slice("plain_qweight", plain_qweight, need)?;
        let packed = host_slice_mut("packed_out", packed_out, need)?;
        pack::pack_host(&w, plain, packed).map_err(Error::invalid)
    })
}

/// Inverse of w4a16_pack_weights_host: packed layout v2 -> plain [N, K/2] bytes, on the host.
/// `packed`: packed_bytes bytes; `plain_out`: plain_bytes bytes, not overlapping it; both at least
/// w4a16_packed_weight_bytes. Host memory, caller-owned.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, buffer too small, invalid desc).
/// Thread-safe; deterministic.
#[no_mangle]
pub unsafe extern "C" fn w4a16_unpack_weights_host(
    desc: *const w4a16_problem_desc_t,
    packed: *const u8,
    packed_bytes: usize,
    plain_out: *mut u8,
    plain_bytes: usize,
) -> w4a16_status_t {
    guard(|| {
        let w = weight_desc(desc)?;
        let need = w.weight_bytes();
        check_buffer_bytes("packed_bytes", packed_bytes, need)?;
        check_buffer_bytes("plain_bytes", plain_bytes, need)?;
        let src = host_slice("packed", packed, need)?;
        let dst = host_slice_mut("plain_out", plain_out, need)?;
        pack::unpack_host(&w, src, dst).map_err(Error::invalid)
    })
}

/// Quantizes float weights to 4 bits on the host, per group of group_size consecutive k.
/// `weights`: [N, K] row-major float (the nn.Linear weight), N * K elements.
/// Writes `plain_out` (N * K / 2 bytes, plain layout), `scales_out` (K/group * N elements of
/// desc->dtype, i.e. 16-bit values, [K/group, N] row-major) and, when desc->has_zeros, `zeros_out`
/// (same shape and type; must be NULL otherwise). Round to nearest, per group:
/// symmetric: s = absmax / 7.5 (rounded to the dtype), q = clamp(round(w / s) + 8, 0, 15);
/// with zeros: s = (max - min) / 15, z = min + 8 * s (each rounded to the dtype),
/// q = clamp(round((w - z) / s) + 8, 0, 15). Scales are floored at the dtype's smallest normal
/// value. All host memory, caller-owned, aligned for their element types.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, zeros_out inconsistent with has_zeros,
/// misaligned pointer, a group whose scale overflows the dtype, invalid desc).
/// Thread-safe; deterministic; needs no GPU.
#[no_mangle]
pub unsafe extern "C" fn w4a16_quantize_host(
    desc: *const w4a16_problem_desc_t,
    weights: *const f32,
    plain_out: *mut u8,
    scales_out: *mut c_void,
    zeros_out: *mut c_void,
) -> w4a16_status_t {
    guard(|| {
        let w = weight_desc(desc)?;
        check_zeros_out(&w, zeros_out)?;
        let src = host_slice("weights", weights, w.n * w.k)?;
        let plain = host_slice_mut("plain_out", plain_out, w.weight_bytes())?;
        let scales = host_slice_mut("scales_out", scales_out as *mut u16, w.scale_elems())?;
        let q = quant::quantize(&w, src).map_err(Error::invalid)?;
        write_quantized(&w, &q, plain, scales, zeros_out)
    })
}

/// Imports a GPTQ checkpoint tensor set on the host into the plain layout + additive zeros.
/// `qweight`: int32 [K/8, N]; `qzeros`: int32 [K/group, N/8] (NULL for symmetric checkpoints;
/// must match desc->has_zeros); `scales`: [K/group, N] of desc->dtype (read only: the library's
/// scales are the checkpoint's, pass the same array to w4a16_gemm). `zero_offset`: 1 for
/// checkpoints that store zero - 1 (the original GPTQ format), 0 for those that store the zero.
/// Writes `plain_out` (N * K / 2 bytes) and, when desc->has_zeros, `zeros_out` ([K/group, N] of
/// desc->dtype; NULL otherwise). Host memory, caller-owned, aligned for the element types.
/// Act-order (g_idx) checkpoints are not supported.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, inconsistent zeros, out-of-range values,
/// invalid desc). Thread-safe; deterministic; needs no GPU.
#[no_mangle]
pub unsafe extern "C" fn w4a16_import_gptq_host(
    desc: *const w4a16_problem_desc_t,
    qweight: *const i32,
    qzeros: *const i32,
    scales: *const c_void,
    zero_offset: i32,
    plain_out: *mut u8,
    zeros_out: *mut c_void,
) -> w4a16_status_t {
    guard(|| {
        let w = weight_desc(desc)?;
        check_zeros_out(&w, zeros_out)?;
        let qw = host_slice("qweight", qweight, w.k / 8 * w.n)?;
        let qz = if qzeros.is_null() {
            None
        } else {
            Some(host_slice("qzeros", qzeros, w.groups() * w.n / 8)?)
        };
        let s = host_slice("scales", scales as *const u16, w.scale_elems())?;
        let plain = host_slice_mut("plain_out", plain_out, w.weight_bytes())?;
        let q = import::import_gptq(&w, qw, qz, s, zero_offset).map_err(Error::invalid)?;
        write_quantized(&w, &q, plain, &mut [], zeros_out)
    })
}

/// Imports an AWQ checkpoint tensor set on the host into the plain layout + additive zeros.
/// `qweight`: int32 [K, N/8] in AWQ's nibble order; `qzeros`: int32 [K/group, N/8] (not NULL);
/// `scales`: [K/group, N] of desc->dtype (read only; pass the same array to w4a16_gemm).
/// desc->has_zeros must be 1. Writes `plain_out` (N * K / 2 bytes) and `zeros_out` ([K/group, N]
/// of desc->dtype). Host memory, caller-owned, aligned for the element types.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, has_zeros = 0, invalid desc).
/// Thread-safe; deterministic; needs no GPU.
#[no_mangle]
pub unsafe extern "C" fn w4a16_import_awq_host(
    desc: *const w4a16_problem_desc_t,
    qweight: *const i32,
    qzeros: *const i32,
    scales: *const c_void,
    plain_out: *mut u8,
    zeros_out: *mut c_void,
) -> w4a16_status_t {
    guard(|| {
        let w = weight_desc(desc)?;
        check_zeros_out(&w, zeros_out)?;
        let qw = host_slice("qweight", qweight, w.k * w.n / 8)?;
        let qz = host_slice("qzeros", qzeros, w.groups() * w.n / 8)?;
        let s = host_slice("scales", scales as *const u16, w.scale_elems())?;
        let plain = host_slice_mut("plain_out", plain_out, w.weight_bytes())?;
        let q = import::import_awq(&w, qw, qz, s).map_err(Error::invalid)?;
        write_quantized(&w, &q, plain, &mut [], zeros_out)
    })
}

fn check_zeros_out(w: &WeightDesc, zeros_out: *mut c_void) -> Result<()> {
    match (w.has_zeros, zeros_out.is_null()) {
        (true, true) => Err(Error::invalid("zeros/zeros_out is NULL but desc->has_zeros=1")),
        (false, false) => Err(Error::invalid("zeros/zeros_out is not NULL but desc->has_zeros=0")),
        _ => Ok(()),
    }
}

/// Copies a quantization result to the caller's buffers (scales only when `scales` is non-empty).
fn write_quantized(
    w: &WeightDesc,
    q: &quant::Quantized,
    plain: &mut [u8],
    scales: &mut [u16],
    zeros_out: *mut c_void,
) -> Result<()> {
    plain.copy_from_slice(&q.q_plain);
    if !scales.is_empty() {
        scales.copy_from_slice(&q.scales);
    }
    if let (Some(z), false) = (&q.zeros, zeros_out.is_null()) {
        host_slice_mut("zeros_out", zeros_out as *mut u16, w.scale_elems())?.copy_from_slice(z);
    }
    Ok(())
}

/// Forces every later w4a16_gemm / w4a16_plan / w4a16_workspace_size on this handle onto one
/// path (`path`: a w4a16_path_t value), or back to normal dispatch with -1. For debugging, tests
/// and comparisons, not for production. Affects all threads using the handle; calls already
/// enqueued are not affected. Query w4a16_workspace_size again after changing it. The initial
/// value comes from the W4A16_FORCE_PATH environment variable ("gemv" or "tensor_core") read by
/// w4a16_create.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL handle, path not -1, 0 or 1). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn w4a16_force_path(handle: w4a16_handle_t, path: i32) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        let forced = match path {
            -1 => None,
            p => Some(Path::from_code(p).ok_or_else(|| {
                Error::invalid(format!("path={p} is not a w4a16_path_t (0 = GEMV, 1 = TENSOR_CORE) or -1"))
            })?),
        };
        h.set_forced_path(forced);
        Ok(())
    })
}

/// Turns programmatic dependent launch (PDL, Hopper) on (`enable` = 1) or off (0) for later
/// w4a16_gemm calls on this handle that run on the GEMV path or on the SM90 tensor-core family.
/// With it on, a GEMV kernel may start while the kernel ahead of it in the stream is still
/// finishing: it fetches its packed weights, scales and zeros at once and waits for that kernel
/// only before it reads the activations or the bias or writes the output or the workspace. An
/// SM90 kernel's thread blocks may be placed early but wait before they touch any memory, and its
/// stream-K configurations reset their reduction flags with a small PDL kernel instead of a
/// memset. In a step of back-to-back layers this hides the launch gap and the previous kernel's
/// tail (the figures are in bench/NOTES.md). The library applies it only to the configurations it
/// was measured to speed up (docs/DISPATCH.md). CUDA-graph capturable.
/// The caller's promise while it is on: the kernel launched just before a w4a16_gemm in the same
/// stream does not write that call's packed weights, scales or zeros (w4a16_pack_weights
/// included: put any other work, an event or a synchronization between packing and the first
/// product). Off by default; the initial value comes from the W4A16_PDL environment variable
/// ("1" or "0") read by w4a16_create.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL handle, enable not 0 or 1). Thread-safe; calls
/// already enqueued are not affected.
#[no_mangle]
pub unsafe extern "C" fn w4a16_set_pdl(handle: w4a16_handle_t, enable: i32) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        match enable {
            0 | 1 => h.set_pdl(enable == 1),
            e => return Err(Error::invalid(format!("enable={e} must be 0 or 1"))),
        }
        Ok(())
    })
}

/// Dequantizes plain weights on the host to float [N, K] row-major: W[n][k] = (q - 8) * s (+ z),
/// computed exactly as the library defines the weights: the reference for checking results.
/// `plain_qweight`: N * K / 2 bytes; `scales`: [K/group, N] of desc->dtype; `zeros`: the same
/// shape, NULL unless desc->has_zeros; `weights_out`: N * K floats. Host memory, caller-owned,
/// aligned for the element types.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, zeros inconsistent with has_zeros,
/// invalid desc). Thread-safe; deterministic; needs no GPU.
#[no_mangle]
pub unsafe extern "C" fn w4a16_dequantize_host(
    desc: *const w4a16_problem_desc_t,
    plain_qweight: *const u8,
    scales: *const c_void,
    zeros: *const c_void,
    weights_out: *mut f32,
) -> w4a16_status_t {
    guard(|| {
        let w = weight_desc(desc)?;
        check_zeros_out(&w, zeros as *mut c_void)?;
        let q = host_slice("plain_qweight", plain_qweight, w.weight_bytes())?;
        let s = host_slice("scales", scales as *const u16, w.scale_elems())?;
        let z = if zeros.is_null() { None } else { Some(host_slice("zeros", zeros as *const u16, w.scale_elems())?) };
        let out = host_slice_mut("weights_out", weights_out, w.n * w.k)?;
        let deq = quant::dequantize(&w, q, s, z);
        for (o, v) in out.iter_mut().zip(deq) {
            *o = v as f32;
        }
        Ok(())
    })
}

/// Measures every applicable configuration of `desc` at each of the `count` M values on the
/// device (cold L2: weights rotated over at least 3x the L2 size) and makes the fastest per M
/// bucket the handle's choice: afterwards w4a16_plan reports W4A16_PLAN_TUNED for M in
/// (previous tuned M, this M]. Allocates device memory and synchronizes `stream`: call it at
/// load time, never on the hot path, and not while other threads call w4a16_gemm with a
/// workspace sized before tuning (a tuned choice may need more: query w4a16_workspace_size again).
#[no_mangle]
pub unsafe extern "C" fn w4a16_tune(
    handle: w4a16_handle_t,
    desc: *const w4a16_problem_desc_t,
    m_values: *const i64,
    count: usize,
    stream: *mut c_void,
) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        let w = weight_desc(desc)?;
        if count == 0 || count > crate::autotune::MAX_M_VALUES {
            return Err(Error::invalid(format!(
                "count={count}: give 1..={} M values",
                crate::autotune::MAX_M_VALUES
            )));
        }
        let ms = host_slice("m_values", m_values, count)?
            .iter()
            .map(|&m| to_usize("m_values[i]", m))
            .collect::<Result<Vec<_>>>()?;
        h.check_current_device()?;
        // SAFETY: the caller's stream belongs to the handle's device (checked above).
        let (_, table) = unsafe { crate::autotune::tune(h, &w, &ms, stream) }?;
        h.set_table(table);
        Ok(())
    })
}

/// The cache path: the argument, else W4A16_CACHE_PATH.
fn cache_path(path: *const c_char) -> Result<std::path::PathBuf> {
    if !path.is_null() {
        // SAFETY: the caller passes a NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(path) };
        let s = s.to_str().map_err(|_| Error::invalid("path is not valid UTF-8"))?;
        if s.is_empty() {
            return Err(Error::invalid("path is empty"));
        }
        return Ok(s.into());
    }
    std::env::var_os(crate::tune::CACHE_ENV)
        .filter(|v| !v.is_empty())
        .map(Into::into)
        .ok_or_else(|| Error::invalid(format!("path is NULL and {} is not set", crate::tune::CACHE_ENV)))
}

/// Writes the handle's tuning table (shipped + loaded + tuned entries) to a versioned JSON file,
/// atomically (temporary file + rename). `path` NULL: the W4A16_CACHE_PATH environment variable.
/// IO_ERROR names the file and the OS error.
#[no_mangle]
pub unsafe extern "C" fn w4a16_cache_save(handle: w4a16_handle_t, path: *const c_char) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        let p = cache_path(path)?;
        let text = crate::tune::to_json(&h.table(), h.device_key());
        crate::tune::write_atomic(&p, &text)
            .map_err(|e| Error::new(Status::W4A16_STATUS_IO_ERROR, format!("cannot write {}: {e}", p.display())))
    })
}

/// Loads a tuning cache file written by w4a16_cache_save (`path` NULL: W4A16_CACHE_PATH) and
/// merges it into the handle's table. A file that cannot be used — corrupt, truncated, another
/// format, measured on another GPU or by another library version, or naming a configuration
/// this build cannot run — changes nothing and returns the warning W4A16_STATUS_CACHE_IGNORED
/// with the reason in w4a16_last_error(). A missing or unreadable file is IO_ERROR.
/// Not concurrently with w4a16_tune or another w4a16_cache_load on the same handle.
#[no_mangle]
pub unsafe extern "C" fn w4a16_cache_load(handle: w4a16_handle_t, path: *const c_char) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        let p = cache_path(path)?;
        let text = std::fs::read_to_string(&p)
            .map_err(|e| Error::new(Status::W4A16_STATUS_IO_ERROR, format!("cannot read {}: {e}", p.display())))?;
        let loaded = crate::tune::from_json(&text, h.device_key(), false).map_err(|why| {
            Error::new(Status::W4A16_STATUS_CACHE_IGNORED, format!("{} ignored: {why}", p.display()))
        })?;
        let mut table = (*h.table()).clone();
        table.merge(&loaded);
        h.set_table(table);
        Ok(())
    })
}

/// Device scratch, in bytes, that every w4a16_gemm call on this handle and problem with
/// 1 <= M <= max_m needs (0 is a valid answer: then pass workspace = NULL, workspace_bytes = 0).
/// Allocate it once (e.g. for the largest batch) and reuse it for every call and every layer
/// whose calls are serialized on one stream; calls that may run concurrently (different streams)
/// need separate workspaces. `max_m`: 1..W4A16_MAX_M. `bytes` (out, not NULL).
/// Depends on the handle's device, forced path and tuning table: query it again after
/// w4a16_force_path, w4a16_tune or w4a16_cache_load.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, invalid desc, max_m out of range).
/// Thread-safe; no allocation, no synchronization.
#[no_mangle]
pub unsafe extern "C" fn w4a16_workspace_size(
    handle: w4a16_handle_t,
    desc: *const w4a16_problem_desc_t,
    max_m: i64,
    bytes: *mut usize,
) -> w4a16_status_t {
    guard(|| {
        let out = out_ptr("bytes", bytes)?;
        let h = handle_ref(handle)?;
        let w = weight_desc(desc)?;
        let max_m = to_usize("max_m", max_m)?;
        // Named as the caller knows it (engine::check_m would say "M=").
        if max_m == 0 || max_m > engine::MAX_M {
            return Err(Error::invalid(format!("max_m={max_m} must be in 1..={}", engine::MAX_M)));
        }
        *out = h.workspace_size(&w, max_m)?;
        Ok(())
    })
}

/// C[M, N] = A[M, K] * W^T (+ bias[N]) with W the packed 4-bit weights of `desc`: one quantized
/// nn.Linear. fp32 accumulation, result rounded to desc->dtype.
/// Asynchronous: enqueued on `stream` (a cudaStream_t passed as void*; NULL = the legacy default
/// stream). Allocates nothing and never synchronizes, so it may be captured in a CUDA graph
/// (the graph then holds these pointers and M). Inputs must stay valid and unchanged, and C must
/// not be read, until the work completes on the stream; the caller owns every buffer and the
/// library keeps no pointer after the call returns.
/// All pointers are device pointers, 16-byte aligned (W4A16_POINTER_ALIGNMENT), of desc->dtype
/// elements unless stated. Leading dimensions are in elements, multiples of W4A16_LD_MULTIPLE (8).
/// - `a`: A, M rows of lda elements (lda >= K); only the first K of each row are read.
/// - `packed_w`: N * K / 2 bytes from w4a16_pack_weights (or w4a16_pack_weights_host) with the
///   same desc.
/// - `scales`: [K/group, N] row-major. `zeros`: same shape when desc->has_zeros, else NULL.
/// - `bias`: [N], or NULL for none.
/// - `c`: C, M rows of ldc elements (ldc >= N); only the first N of each row are written. C must
///   not overlap any input.
/// - `m`: 1..W4A16_MAX_M (tokens of this step).
/// - `workspace`: workspace_bytes bytes, at least what w4a16_workspace_size returns for this M;
///   NULL with workspace_bytes = 0 when that is 0. Not to be used by concurrent calls.
/// Returns SUCCESS; INVALID_ARGUMENT (NULL or misaligned pointer, bad lda/ldc/M, zeros
/// inconsistent with desc->has_zeros, invalid desc); WORKSPACE_TOO_SMALL; WRONG_DEVICE if the
/// calling thread's current device is not the handle's; CUDA_ERROR if a launch fails. Nothing is
/// enqueued when a check fails. Errors of a kernel that has started surface later on the stream,
/// as for any CUDA work.
/// Thread-safe: concurrent calls on one handle are fine (with separate workspaces).
/// Deterministic: the same inputs, M and handle settings give bitwise identical C (no atomics).
/// The configuration (and so the exact rounding) may differ between values of M and between
/// paths: a row's result can differ in the last bits between an M = 1 and an M = 512 call.
#[no_mangle]
pub unsafe extern "C" fn w4a16_gemm(
    handle: w4a16_handle_t,
    desc: *const w4a16_problem_desc_t,
    a: *const c_void,
    lda: i64,
    packed_w: *const c_void,
    scales: *const c_void,
    zeros: *const c_void,
    bias: *const c_void,
    c: *mut c_void,
    ldc: i64,
    m: i64,
    workspace: *mut c_void,
    workspace_bytes: usize,
    stream: *mut c_void,
) -> w4a16_status_t {
    guard(|| {
        let h = handle_ref(handle)?;
        let w = weight_desc(desc)?;
        let ops = Operands {
            a,
            lda: to_usize("lda", lda)?,
            packed_w,
            scales,
            zeros,
            bias,
            c,
            ldc: to_usize("ldc", ldc)?,
            m: to_usize("M", m)?,
            workspace,
            workspace_bytes,
        };
        // SAFETY: device pointers of the documented sizes (caller's contract); checked for
        // NULL, alignment and consistency by the engine before any launch.
        unsafe { h.gemm(&w, &ops, stream) }
    })
}

/// Says what w4a16_gemm would do for this problem and M on this handle: path (GEMV or tensor
/// core), configuration, split-K, the reason for the choice and the workspace this M needs.
/// `plan` (in/out, not NULL, caller-owned): the caller sets plan->struct_size =
/// sizeof(w4a16_plan_t) first; the library fills the rest. `m`: 1..W4A16_MAX_M.
/// Returns SUCCESS or INVALID_ARGUMENT (NULL pointer, struct_size too small, invalid desc, M out
/// of range). Thread-safe; host only (no GPU work, no synchronization).
#[no_mangle]
pub unsafe extern "C" fn w4a16_plan(
    handle: w4a16_handle_t,
    desc: *const w4a16_problem_desc_t,
    m: i64,
    plan: *mut w4a16_plan_t,
) -> w4a16_status_t {
    guard(|| {
        let out = out_ptr("plan", plan)?;
        let v0 = std::mem::size_of::<w4a16_plan_t>() as u32;
        if out.struct_size < v0 {
            return Err(Error::invalid(format!(
                "plan->struct_size={} is smaller than sizeof(w4a16_plan_t)={v0}; set it before the call",
                out.struct_size
            )));
        }
        let h = handle_ref(handle)?;
        let w = weight_desc(desc)?;
        let m = to_usize("M", m)?;
        engine::check_m(m)?;
        let choice = h.choose(&w, m);
        out.path = choice.path.code();
        out.used_gemv = (choice.path == Path::Gemv) as i32;
        out.reason = match choice.reason {
            Reason::Heuristic | Reason::Similar => w4a16_plan_reason_t::W4A16_PLAN_HEURISTIC,
            Reason::Tuned => w4a16_plan_reason_t::W4A16_PLAN_TUNED,
            Reason::Forced => w4a16_plan_reason_t::W4A16_PLAN_FORCED,
        } as i32;
        out.split_k = choice.split_k;
        out.config_id = choice.config;
        out.workspace_bytes = choice.workspace_bytes(&w, m) as u64;
        copy_cstr(&mut out.config_name, &choice.config_name());
        copy_cstr(&mut out.explanation, &choice.explain(m));
        Ok(())
    })
}
