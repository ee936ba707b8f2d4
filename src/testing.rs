//! Device-memory helpers for the GPU tests, the examples' Rust side and the benchmark, over the
//! dynamically loaded driver (cudarc): the library itself never allocates.

use crate::device;
use crate::error::{Error, Result};
use cudarc::driver::{result as cu, sys};
use std::ffi::c_void;

/// Why the GPU is not usable here (None when it is): no driver library, or no device.
pub fn gpu_unavailable_reason() -> Option<String> {
    // SAFETY: only probes whether the driver library can be loaded.
    if !unsafe { sys::is_culib_present() } {
        return Some("no CUDA driver library (libcuda.so) on this machine".into());
    }
    match device::device_count() {
        Ok(_) => None,
        Err(e) => Some(e.message),
    }
}

/// Makes `ordinal` current on this thread (creating the primary context) so driver calls work.
/// (Since CUDA 12, cudaSetDevice initializes the primary context and makes it current.)
pub fn use_device(ordinal: i32) -> Result<()> {
    device::set_device(ordinal)
}

fn drv(e: cu::DriverError, what: &str) -> Error {
    Error::new(crate::Status::W4A16_STATUS_CUDA_ERROR, format!("{what}: {e:?}"))
}

/// An owned device allocation.
pub struct DevBuf {
    ptr: sys::CUdeviceptr,
    bytes: usize,
}

impl DevBuf {
    pub fn new(bytes: usize) -> Result<DevBuf> {
        // SAFETY: plain allocation; freed in Drop.
        let ptr = unsafe { cu::malloc_sync(bytes.max(1)) }.map_err(|e| drv(e, "cuMemAlloc"))?;
        Ok(DevBuf { ptr, bytes })
    }

    pub fn from_slice<T: Copy>(data: &[T]) -> Result<DevBuf> {
        let buf = DevBuf::new(std::mem::size_of_val(data))?;
        buf.upload(data)?;
        Ok(buf)
    }

    pub fn upload<T: Copy>(&self, data: &[T]) -> Result<()> {
        assert!(std::mem::size_of_val(data) <= self.bytes);
        // SAFETY: the destination holds at least the source's bytes.
        unsafe { cu::memcpy_htod_sync(self.ptr, data) }.map_err(|e| drv(e, "cuMemcpyHtoD"))
    }

    pub fn download<T: Copy + Default>(&self, len: usize) -> Result<Vec<T>> {
        assert!(len * std::mem::size_of::<T>() <= self.bytes);
        let mut out = vec![T::default(); len];
        // SAFETY: the source holds at least the destination's bytes.
        unsafe { cu::memcpy_dtoh_sync(&mut out, self.ptr) }.map_err(|e| drv(e, "cuMemcpyDtoH"))?;
        Ok(out)
    }

    /// Fills every byte with `byte` (0xFF makes every fp16/bf16/f32 element a NaN: the poison).
    pub fn fill(&self, byte: u8) -> Result<()> {
        // SAFETY: within the allocation.
        unsafe { cu::memset_d8_sync(self.ptr, byte, self.bytes) }.map_err(|e| drv(e, "cuMemsetD8"))
    }

    pub fn ptr(&self) -> *mut c_void {
        self.ptr as *mut c_void
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for DevBuf {
    fn drop(&mut self) {
        // SAFETY: allocated by malloc_sync and not freed elsewhere.
        let _ = unsafe { cu::free_sync(self.ptr) };
    }
}

/// Waits for all work of the current context.
pub fn synchronize() -> Result<()> {
    cu::ctx::synchronize().map_err(|e| drv(e, "cuCtxSynchronize"))
}
