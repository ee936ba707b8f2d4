//! Device discovery and CUDA error translation, through the statically linked CUDA runtime
//! (which loads the driver at run time and returns errors, never crashes, where there is none).

use crate::error::{Error, Result, Status};
use crate::kernels as k;
use std::ffi::CStr;

/// What the library needs to know about a GPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub ordinal: i32,
    pub name: String,
    pub cc_major: i32,
    pub cc_minor: i32,
    pub sm_count: i32,
    pub l2_bytes: i64,
    pub global_mem_bytes: i64,
}

/// The CUDA error's name and description, e.g. "cudaErrorNoDevice (no CUDA-capable device is detected)".
pub fn cuda_error_text(err: k::CudaError) -> String {
    // SAFETY: the runtime returns pointers to static NUL-terminated strings (or NULL).
    let text = |p: *const std::ffi::c_char| {
        if p.is_null() {
            String::from("?")
        } else {
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    let (name, desc) = unsafe { (text(k::w4a16k_error_name(err)), text(k::w4a16k_error_string(err))) };
    format!("{name} ({desc})")
}

/// Maps a CUDA error of `what` to the library's status.
pub fn check_cuda(err: k::CudaError, what: &str) -> Result<()> {
    if err == k::CUDA_SUCCESS {
        return Ok(());
    }
    let status = match err {
        k::CUDA_ERROR_NO_DEVICE | k::CUDA_ERROR_INSUFFICIENT_DRIVER | k::CUDA_ERROR_STUB_LIBRARY => {
            Status::W4A16_STATUS_NO_DEVICE
        }
        k::CUDA_ERROR_MEMORY_ALLOCATION => Status::W4A16_STATUS_OUT_OF_MEMORY,
        _ => Status::W4A16_STATUS_CUDA_ERROR,
    };
    Err(Error::new(status, format!("{what}: {}", cuda_error_text(err))))
}

/// Whether the CUDA driver library can be loaded at all (the runtime reports its absence as
/// "driver version is insufficient", which misleads people who have no driver).
fn driver_library_present() -> bool {
    // SAFETY: dlopen/dlclose of a system library name; the handle is closed at once.
    unsafe {
        let h = libc::dlopen(c"libcuda.so.1".as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
        if h.is_null() {
            return false;
        }
        libc::dlclose(h);
        true
    }
}

/// Number of visible CUDA devices; NO_DEVICE when there is no driver or no GPU.
pub fn device_count() -> Result<i32> {
    let mut count = 0i32;
    let err = unsafe { k::w4a16k_device_count(&mut count) };
    if err == k::CUDA_ERROR_INSUFFICIENT_DRIVER && !driver_library_present() {
        return Err(Error::new(
            Status::W4A16_STATUS_NO_DEVICE,
            "no CUDA driver: libcuda.so.1 cannot be loaded (no NVIDIA driver installed?)",
        ));
    }
    check_cuda(err, "cudaGetDeviceCount")?;
    if count == 0 {
        return Err(Error::new(Status::W4A16_STATUS_NO_DEVICE, "no CUDA device is visible"));
    }
    Ok(count)
}

pub fn device_info(ordinal: i32) -> Result<DeviceInfo> {
    let count = device_count()?;
    if ordinal < 0 || ordinal >= count {
        return Err(Error::invalid(format!(
            "device={ordinal} does not exist ({count} CUDA device(s) visible)"
        )));
    }
    // SAFETY: DeviceInfo is plain old data; the runtime fills it.
    let mut raw: k::DeviceInfo = unsafe { std::mem::zeroed() };
    check_cuda(unsafe { k::w4a16k_get_device_info(ordinal, &mut raw) }, "cudaGetDeviceProperties")?;
    let name = unsafe { CStr::from_ptr(raw.name.as_ptr()) }.to_string_lossy().into_owned();
    Ok(DeviceInfo {
        ordinal,
        name,
        cc_major: raw.cc_major,
        cc_minor: raw.cc_minor,
        sm_count: raw.sm_count,
        l2_bytes: raw.l2_bytes,
        global_mem_bytes: raw.global_mem_bytes,
    })
}

/// The calling thread's current CUDA device.
pub fn current_device() -> Result<i32> {
    let mut dev = -1i32;
    check_cuda(unsafe { k::w4a16k_current_device(&mut dev) }, "cudaGetDevice")?;
    Ok(dev)
}

pub fn set_device(ordinal: i32) -> Result<()> {
    check_cuda(unsafe { k::w4a16k_set_device(ordinal) }, "cudaSetDevice")
}

/// CUDA runtime version linked into the library (e.g. 13000).
pub fn runtime_version() -> i32 {
    unsafe { k::w4a16k_runtime_version() }
}
