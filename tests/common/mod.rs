//! Helpers shared by tests/reliability_gpu.rs and tests/multi_gpu.rs (GPU tests of issue #8):
//! C handles, streams, problems with host and device copies, the fp32 GPU reference, row
//! sampling of large outputs. Everything goes through the C API where the C API can do it.
#![allow(dead_code, unused_imports)]

use cudarc::driver::{result as cu, sys};
use std::ffi::{c_void, CStr};
use std::ptr::null_mut;
use w4a16::capi::*;
use w4a16::kernels::{self as k, GemmArgs};
use w4a16::rng::{random_bits, Rng};
use w4a16::testing::{gpu_unavailable_reason, use_device, DevBuf};
use w4a16::{Dtype, WeightDesc};

pub use w4a16::bench::gpu::{Graph, Stream};
pub use w4a16_status_t::*;

pub fn last_error() -> String {
    unsafe { CStr::from_ptr(w4a16_last_error()) }.to_string_lossy().into_owned()
}

pub fn tolerance(d: Dtype) -> f64 {
    match d {
        Dtype::F16 => 5e-3,
        Dtype::Bf16 => 2e-2,
    }
}

/// Number of visible GPUs; panics (the test FAILS, it never passes by skipping) when fewer than
/// `need` are present.
pub fn require_gpus(need: i32) -> i32 {
    if let Some(why) = gpu_unavailable_reason() {
        panic!("GPU TEST CANNOT RUN: {why}");
    }
    let mut count = 0;
    assert_eq!(unsafe { w4a16_device_count(&mut count) }, W4A16_STATUS_SUCCESS, "{}", last_error());
    if count < need {
        panic!(
            "MULTI-GPU TEST CANNOT RUN: it needs {need} GPUs and {count} is/are visible. \
             It does not pass by skipping: run it on a 2-GPU machine (nvidia-h100-x2) with \
             `run-gpu-tests.sh --multi-gpu`."
        );
    }
    count
}

/// A C handle (w4a16_create) on `device`, made current on the calling thread first.
pub struct CHandle {
    pub h: w4a16_handle_t,
    pub device: i32,
}

// The C API documents a handle as shareable between threads once created.
unsafe impl Send for CHandle {}
unsafe impl Sync for CHandle {}

impl CHandle {
    pub fn new(device: i32) -> CHandle {
        use_device(device).expect("cudaSetDevice");
        let mut h = null_mut();
        let s = unsafe { w4a16_create(device, &mut h) };
        assert_eq!(s, W4A16_STATUS_SUCCESS, "w4a16_create({device}): {}", last_error());
        CHandle { h, device }
    }

    /// Forces a path (Some(0) GEMV, Some(1) tensor core) or restores dispatch (None).
    pub fn force(&self, path: Option<i32>) {
        let s = unsafe { w4a16_force_path(self.h, path.unwrap_or(-1)) };
        assert_eq!(s, W4A16_STATUS_SUCCESS, "{}", last_error());
    }

    pub fn plan(&self, desc: &w4a16_problem_desc_t, m: i64) -> w4a16_plan_t {
        let mut p = unsafe { std::mem::zeroed::<w4a16_plan_t>() };
        p.struct_size = std::mem::size_of::<w4a16_plan_t>() as u32;
        let s = unsafe { w4a16_plan(self.h, desc, m, &mut p) };
        assert_eq!(s, W4A16_STATUS_SUCCESS, "{}", last_error());
        p
    }

    pub fn workspace_size(&self, desc: &w4a16_problem_desc_t, max_m: i64) -> usize {
        let mut b = 0usize;
        let s = unsafe { w4a16_workspace_size(self.h, desc, max_m, &mut b) };
        assert_eq!(s, W4A16_STATUS_SUCCESS, "{}", last_error());
        b
    }
}

impl Drop for CHandle {
    fn drop(&mut self) {
        unsafe { w4a16_destroy(self.h) };
    }
}

pub fn c_desc(w: &WeightDesc) -> w4a16_problem_desc_t {
    let mut d = unsafe { std::mem::zeroed::<w4a16_problem_desc_t>() };
    let s = unsafe {
        w4a16_desc_init(&mut d, w.dtype.code(), w.n as i64, w.k as i64, w.group_size as i32, w.has_zeros as i32)
    };
    assert_eq!(s, W4A16_STATUS_SUCCESS, "{}", last_error());
    d
}

/// `len` random bytes, 8 at a time (fast enough for gigabytes).
pub fn random_bytes(len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let mut chunks = v.chunks_exact_mut(8);
    for c in &mut chunks {
        c.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    for b in chunks.into_remainder() {
        *b = rng.next_u64() as u8;
    }
    v
}

/// Device address `buf + bytes`.
pub fn at(buf: &DevBuf, bytes: usize) -> *mut c_void {
    assert!(bytes <= buf.bytes());
    (buf.ptr() as usize + bytes) as *mut c_void
}

/// Downloads `len` elements starting `offset_elems` elements into `buf`.
pub fn download_at<T: Copy + Default>(buf: &DevBuf, offset_elems: usize, len: usize) -> Vec<T> {
    let sz = std::mem::size_of::<T>();
    assert!((offset_elems + len) * sz <= buf.bytes());
    let mut out = vec![T::default(); len];
    unsafe { cu::memcpy_dtoh_sync(&mut out, buf.ptr() as u64 + (offset_elems * sz) as u64) }.expect("cuMemcpyDtoH");
    out
}

/// Stream-ordered memset of the whole buffer.
pub fn fill_async(buf: &DevBuf, byte: u8, stream: &Stream) {
    unsafe { cu::memset_d8_async(buf.ptr() as u64, byte, buf.bytes(), stream.raw()) }.expect("cuMemsetD8Async");
}

pub fn sync() {
    w4a16::testing::synchronize().expect("cuCtxSynchronize");
}

/// (free, total) device memory of the current device.
pub fn mem_info() -> (usize, usize) {
    cu::mem_get_info().expect("cuMemGetInfo")
}

pub fn null_stream() -> *mut c_void {
    null_mut()
}

pub fn raw_stream(s: &Stream) -> *mut c_void {
    s.raw() as *mut c_void
}

#[allow(unused_imports)]
pub use sys::CUstream;

/// One problem: host data and device copies (weights packed on the device by
/// w4a16_pack_weights through `h`, checked against the host packer).
pub struct Problem {
    pub w: WeightDesc,
    pub desc: w4a16_problem_desc_t,
    pub m_max: usize,
    pub lda: usize,
    pub a: Vec<u16>,
    pub q_plain: Vec<u8>,
    pub scales: Vec<u16>,
    pub zeros: Option<Vec<u16>>,
    pub bias: Vec<u16>,
    pub d_a: DevBuf,
    pub d_plain: DevBuf,
    pub d_packed: DevBuf,
    pub d_scales: DevBuf,
    pub d_zeros: Option<DevBuf>,
    pub d_bias: DevBuf,
    /// Scratch for c_gemm calls that pass no workspace: sized by w4a16_workspace_size(m_max)
    /// of the handle the problem was made with (forced paths need none). Not for calls that
    /// may run concurrently (give each its own workspace).
    pub d_ws: DevBuf,
    pub ws_bytes: usize,
}

impl Problem {
    pub fn random(h: &CHandle, w: WeightDesc, m_max: usize, lda: usize, rng: &mut Rng) -> Problem {
        let a = random_bits(w.dtype, m_max * lda, rng, -1.0, 1.0);
        let q_plain = random_bytes(w.weight_bytes(), rng);
        let scales = random_bits(w.dtype, w.scale_elems(), rng, 0.002, 0.02);
        let zeros = w.has_zeros.then(|| random_bits(w.dtype, w.scale_elems(), rng, -0.05, 0.05));
        let bias = random_bits(w.dtype, w.n, rng, -1.0, 1.0);
        Problem::from_parts(h, w, m_max, lda, a, q_plain, scales, zeros, bias)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        h: &CHandle,
        w: WeightDesc,
        m_max: usize,
        lda: usize,
        a: Vec<u16>,
        q_plain: Vec<u8>,
        scales: Vec<u16>,
        zeros: Option<Vec<u16>>,
        bias: Vec<u16>,
    ) -> Problem {
        assert!(a.len() >= m_max * lda && lda >= w.k);
        let desc = c_desc(&w);
        let d_plain = DevBuf::from_slice(&q_plain).unwrap();
        let d_packed = DevBuf::new(w.weight_bytes()).unwrap();
        d_packed.fill(0xA5).unwrap();
        let s = unsafe { w4a16_pack_weights(h.h, &desc, d_plain.ptr(), d_packed.ptr(), null_mut()) };
        assert_eq!(s, W4A16_STATUS_SUCCESS, "w4a16_pack_weights: {}", last_error());
        sync();
        // Enough for whatever dispatch picks (tuned, heuristic or forced) for M up to m_max.
        let ws_bytes = h.workspace_size(&desc, m_max.max(1) as i64).max(16);
        Problem {
            d_ws: DevBuf::new(ws_bytes).unwrap(),
            ws_bytes,
            d_a: DevBuf::from_slice(&a).unwrap(),
            d_scales: DevBuf::from_slice(&scales).unwrap(),
            d_zeros: zeros.as_ref().map(|z| DevBuf::from_slice(z).unwrap()),
            d_bias: DevBuf::from_slice(&bias).unwrap(),
            d_plain,
            d_packed,
            w,
            desc,
            m_max,
            lda,
            a,
            q_plain,
            scales,
            zeros,
            bias,
        }
    }

    pub fn zeros_ptr(&self) -> *const c_void {
        self.d_zeros.as_ref().map_or(std::ptr::null(), |z| z.ptr() as *const c_void)
    }

    pub fn bias_ptr(&self, bias: bool) -> *const c_void {
        if bias {
            self.d_bias.ptr()
        } else {
            std::ptr::null()
        }
    }

    /// w4a16_gemm through the C API.
    #[allow(clippy::too_many_arguments)]
    pub fn c_gemm(
        &self,
        h: &CHandle,
        m: usize,
        c: *mut c_void,
        ldc: usize,
        bias: bool,
        ws: *mut c_void,
        ws_bytes: usize,
        stream: *mut c_void,
    ) -> w4a16_status_t {
        // No workspace given: use the problem's own (dispatch may split K and need one).
        let (ws, ws_bytes) = if ws.is_null() && ws_bytes == 0 { (self.d_ws.ptr(), self.ws_bytes) } else { (ws, ws_bytes) };
        unsafe {
            w4a16_gemm(
                h.h,
                &self.desc,
                self.d_a.ptr(),
                self.lda as i64,
                self.d_packed.ptr(),
                self.d_scales.ptr(),
                self.zeros_ptr(),
                self.bias_ptr(bias),
                c,
                ldc as i64,
                m as i64,
                ws,
                ws_bytes,
                stream,
            )
        }
    }

    /// The operands for Handle::gemm_with (explicit configurations the C API never picks).
    pub fn operands(&self, m: usize, c: *mut c_void, ldc: usize, bias: bool, ws: *mut c_void, ws_bytes: usize) -> w4a16::Operands {
        w4a16::Operands {
            a: self.d_a.ptr(),
            lda: self.lda,
            packed_w: self.d_packed.ptr(),
            scales: self.d_scales.ptr(),
            zeros: self.zeros_ptr(),
            bias: self.bias_ptr(bias),
            c,
            ldc,
            m,
            workspace: ws,
            workspace_bytes: ws_bytes,
        }
    }

    /// fp32 GPU reference [m, N] (bias included when asked) of the first `m` rows, as f64.
    pub fn gpu_reference(&self, m: usize, bias: bool) -> Vec<f64> {
        gpu_reference(&self.w, m, self.d_a.ptr(), self.lda, &self.d_plain, &self.d_scales, self.zeros_ptr(), self.bias_ptr(bias))
    }

    /// f64 CPU reference [m, N] (small shapes).
    pub fn cpu_reference(&self, m: usize, bias: bool) -> Vec<f64> {
        w4a16::reference::reference_gemm(
            &self.w,
            m,
            &self.a,
            self.lda,
            &self.q_plain,
            &self.scales,
            self.zeros.as_deref(),
            if bias { Some(&self.bias) } else { None },
        )
    }
}

/// The fp32 GPU reference kernel over device operands: [m, N] as f64.
#[allow(clippy::too_many_arguments)]
pub fn gpu_reference(
    w: &WeightDesc,
    m: usize,
    a: *const c_void,
    lda: usize,
    d_plain: &DevBuf,
    d_scales: &DevBuf,
    zeros: *const c_void,
    bias: *const c_void,
) -> Vec<f64> {
    let c32 = DevBuf::new(m * w.n * 4).unwrap();
    c32.fill(0xFF).unwrap();
    let args = GemmArgs {
        a,
        lda: lda as i64,
        scales: d_scales.ptr(),
        zeros,
        bias,
        ..GemmArgs::shape(m as i64, w.n as i64, w.k as i64, w.group_size as i32, w.dtype.code())
    };
    let err = unsafe { k::w4a16k_reference_gemm(&args, d_plain.ptr() as *const u8, c32.ptr() as *mut f32, null_mut()) };
    assert_eq!(err, 0, "reference kernel launch: {}", w4a16::device::cuda_error_text(err));
    sync();
    let v: Vec<f32> = c32.download(m * w.n).unwrap();
    assert!(v.iter().all(|x| x.is_finite()), "GPU reference left NaN/inf");
    v.into_iter().map(f64::from).collect()
}

/// Relative error of rows [m, N] (dtype bits, leading dimension ldc) against a dense reference.
pub fn rel_err(d: Dtype, got: &[u16], ldc: usize, m: usize, n: usize, want: &[f64]) -> f64 {
    w4a16::reference::rel_error_bits(d, got, ldc, m, n, want)
}

/// Count of NaN/inf elements in the first `n` columns of every row (the poison was 0xFF = NaN).
pub fn count_non_finite(d: Dtype, got: &[u16], ldc: usize, m: usize, n: usize) -> usize {
    (0..m).map(|r| got[r * ldc..r * ldc + n].iter().filter(|&&b| !d.from_bits(b).is_finite()).count()).sum()
}

/// Runs `f` and prints how long it took.
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    println!("   {what}: {:.2} s", t.elapsed().as_secs_f64());
    r
}
