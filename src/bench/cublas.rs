//! The cuBLAS baseline: `C[M,N] = A[M,K] · Wᵀ` on dense fp16/bf16 weights `W[N,K]` (row-major,
//! K contiguous), fp32 compute, through `cublasGemmEx` of the dynamically loaded libcublas.
//!
//! Row-major → column-major: cuBLAS sees row-major `C[M,N]` as column-major `Cᵀ[N,M]` (ldc = N),
//! `A[M,K]` as `Aᵀ[K,M]` (ld = K) and `W[N,K]` as `Wᵀ[K,N]` (ld = K). So
//! `Cᵀ[N,M] = W[N,K] · Aᵀ[K,M] = op_T(Wᵀ storage) · op_N(Aᵀ storage)`:
//! `transa = T, transb = N, m = N, n = M, k = K, A-arg = W (lda = K), B-arg = A (ldb = K),
//! ldc = N` — the usual "TN" GEMM, what `torch.nn.functional.linear` runs.
//!
//! cudarc panics when libcublas (or one of its symbols) is missing; every first use of a symbol
//! happens inside [`Cublas::load`] under `catch_unwind`, which turns the panic into an error.

use super::gpu::{alloc, Res, Stream};
use crate::testing::DevBuf;
use crate::types::Dtype;
use cudarc::cublas::{result as cb, sys};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// cuBLAS workspace (NVIDIA recommends 32 MiB on Hopper); set explicitly so that graph capture
/// never makes cuBLAS allocate.
pub const WORKSPACE_BYTES: usize = 32 << 20;

pub struct Cublas {
    handle: sys::cublasHandle_t,
    workspace: DevBuf,
}

fn data_type(dtype: Dtype) -> sys::cudaDataType {
    match dtype {
        Dtype::F16 => sys::cudaDataType::CUDA_R_16F,
        Dtype::Bf16 => sys::cudaDataType::CUDA_R_16BF,
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Runs `f`, turning a panic into Err (the default panic message is suppressed meanwhile).
fn guarded<T>(what: &str, f: impl FnOnce() -> Res<T>) -> Res<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    match r {
        Ok(r) => r,
        Err(p) => Err(format!("{what}: {}", panic_text(p.as_ref()))),
    }
}

impl Cublas {
    /// Loads libcublas, creates a handle bound to `stream` with its own workspace, and runs one
    /// tiny product so that every symbol the benchmark uses is resolved here.
    pub fn load(stream: &Stream) -> Res<Cublas> {
        // SAFETY: only probes whether the library can be opened.
        if !unsafe { sys::is_culib_present() } {
            return Err(
                "cannot load libcublas (libcublas.so.13): put its directory on LD_LIBRARY_PATH \
                 (e.g. <venv>/lib/python3.*/site-packages/nvidia/cu13/lib or nvidia/cublas/lib), \
                 or pass --no-cublas"
                    .into(),
            );
        }
        let workspace = alloc(WORKSPACE_BYTES, "cuBLAS workspace")?;
        guarded("cuBLAS", move || {
            let handle = cb::create_handle().map_err(|e| format!("cublasCreate: {e:?}"))?;
            let me = Cublas { handle, workspace };
            // SAFETY: live handle, stream and workspace (kept alive by `me`).
            unsafe {
                cb::set_stream(me.handle, stream.raw() as sys::cudaStream_t)
                    .map_err(|e| format!("cublasSetStream: {e:?}"))?;
                sys::cublasSetWorkspace_v2(me.handle, me.workspace.ptr(), WORKSPACE_BYTES)
                    .result()
                    .map_err(|e| format!("cublasSetWorkspace: {e:?}"))?;
            }
            // Resolve cublasGemmEx and check it runs: 64×64×64 on zeroed memory.
            let a = alloc(64 * 64 * 2, "cuBLAS probe")?;
            let c = alloc(64 * 64 * 2, "cuBLAS probe")?;
            a.fill(0).map_err(|e| e.to_string())?;
            super::gpu::sync_all()?;
            for dt in [Dtype::F16, Dtype::Bf16] {
                // SAFETY: 64×64 buffers of 2-byte elements.
                unsafe { me.gemm(dt, 64, 64, 64, a.ptr(), a.ptr(), c.ptr()) }?;
            }
            stream.sync()?;
            Ok(me)
        })
    }

    /// Row-major `C[m,n] = A[m,k] · W[n,k]ᵀ` in `dtype`, fp32 compute, on the handle's stream.
    ///
    /// # Safety
    /// `a`, `w`, `c` are device buffers of at least m·k, n·k, m·n elements of `dtype`.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn gemm(
        &self,
        dtype: Dtype,
        m: usize,
        n: usize,
        k: usize,
        a: *const c_void,
        w: *const c_void,
        c: *mut c_void,
    ) -> Res<()> {
        let (alpha, beta) = (1.0f32, 0.0f32);
        let dt = data_type(dtype);
        let dim = |x: usize, what: &str| {
            i32::try_from(x).map_err(|_| format!("cuBLAS: {what}={x} does not fit in int"))
        };
        cb::gemm_ex(
            self.handle,
            sys::cublasOperation_t::CUBLAS_OP_T,
            sys::cublasOperation_t::CUBLAS_OP_N,
            dim(n, "N")?,
            dim(m, "M")?,
            dim(k, "K")?,
            &alpha as *const f32 as *const c_void,
            w,
            dt,
            dim(k, "K")?,
            a,
            dt,
            dim(k, "K")?,
            &beta as *const f32 as *const c_void,
            c,
            dt,
            dim(n, "N")?,
            sys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
            sys::cublasGemmAlgo_t::CUBLAS_GEMM_DFALT,
        )
        .map_err(|e| format!("cublasGemmEx(M={m}, N={n}, K={k}, {}): {e:?}", dtype.name()))
    }
}

impl Drop for Cublas {
    fn drop(&mut self) {
        // SAFETY: created in load, destroyed once (the library is loaded if a handle exists).
        let _ = unsafe { cb::destroy_handle(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_turns_panics_into_errors() {
        let r: Res<()> =
            guarded("probe", || panic!("Unable to dynamically load the \"cublas\" shared library"));
        let e = r.unwrap_err();
        assert!(e.starts_with("probe: Unable to dynamically load"), "{e}");
        let r: Res<i32> = guarded("probe", || Err("plain".into()));
        assert_eq!(r.unwrap_err(), "plain");
        assert_eq!(guarded("probe", || Ok(3)).unwrap(), 3);
    }
}
