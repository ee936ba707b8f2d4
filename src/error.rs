//! Status codes, error values and the thread-local last-error message of the C API.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

/// Result of every `w4a16_*` call that can fail. The values are fixed: new codes are only ever
/// appended (in a minor release), so treat unknown values as failures. Every value other than
/// W4A16_STATUS_SUCCESS leaves a message for w4a16_last_error() on the calling thread;
/// w4a16_status_string() names the value.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum w4a16_status_t {
    /// The call did what it was asked (for asynchronous calls: the work was enqueued).
    W4A16_STATUS_SUCCESS = 0,
    /// An argument is NULL, out of range, misaligned or inconsistent; w4a16_last_error() names it.
    W4A16_STATUS_INVALID_ARGUMENT = 1,
    /// The request is well formed but this build or this GPU cannot do it (e.g. not a Hopper GPU).
    W4A16_STATUS_NOT_SUPPORTED = 2,
    /// No CUDA driver or no GPU is present.
    W4A16_STATUS_NO_DEVICE = 3,
    /// A CUDA call or kernel launch failed; w4a16_last_error() has the CUDA error name.
    W4A16_STATUS_CUDA_ERROR = 4,
    /// The device or the host ran out of memory.
    W4A16_STATUS_OUT_OF_MEMORY = 5,
    /// A bug in the library (a caught panic, a broken invariant). Please report it.
    W4A16_STATUS_INTERNAL = 6,
    /// The workspace passed to w4a16_gemm is smaller than w4a16_workspace_size() asks for.
    W4A16_STATUS_WORKSPACE_TOO_SMALL = 7,
    /// The handle belongs to another device than the calling thread's current CUDA device.
    W4A16_STATUS_WRONG_DEVICE = 8,
    /// A warning: the tuning cache file was not used (corrupt, truncated, another format, device
    /// or library version); the library keeps its current choices. The message says why.
    W4A16_STATUS_CACHE_IGNORED = 9,
    /// A file could not be read or written (the message names it and the OS error).
    W4A16_STATUS_IO_ERROR = 10,
}

pub use w4a16_status_t as Status;

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::W4A16_STATUS_SUCCESS => "success",
            Status::W4A16_STATUS_INVALID_ARGUMENT => "invalid argument",
            Status::W4A16_STATUS_NOT_SUPPORTED => "not supported",
            Status::W4A16_STATUS_NO_DEVICE => "no CUDA device or driver",
            Status::W4A16_STATUS_CUDA_ERROR => "CUDA error",
            Status::W4A16_STATUS_OUT_OF_MEMORY => "out of memory",
            Status::W4A16_STATUS_INTERNAL => "internal error",
            Status::W4A16_STATUS_WORKSPACE_TOO_SMALL => "workspace too small",
            Status::W4A16_STATUS_WRONG_DEVICE => "handle used on the wrong device",
            Status::W4A16_STATUS_CACHE_IGNORED => "tuning cache ignored",
            Status::W4A16_STATUS_IO_ERROR => "file I/O error",
        }
    }

    /// NUL-terminated form for the C API (static storage).
    pub(crate) fn as_cstr(self) -> &'static std::ffi::CStr {
        match self {
            Status::W4A16_STATUS_SUCCESS => c"success",
            Status::W4A16_STATUS_INVALID_ARGUMENT => c"invalid argument",
            Status::W4A16_STATUS_NOT_SUPPORTED => c"not supported",
            Status::W4A16_STATUS_NO_DEVICE => c"no CUDA device or driver",
            Status::W4A16_STATUS_CUDA_ERROR => c"CUDA error",
            Status::W4A16_STATUS_OUT_OF_MEMORY => c"out of memory",
            Status::W4A16_STATUS_INTERNAL => c"internal error",
            Status::W4A16_STATUS_WORKSPACE_TOO_SMALL => c"workspace too small",
            Status::W4A16_STATUS_WRONG_DEVICE => c"handle used on the wrong device",
            Status::W4A16_STATUS_CACHE_IGNORED => c"tuning cache ignored",
            Status::W4A16_STATUS_IO_ERROR => c"file I/O error",
        }
    }
}

/// An error of the library: a status for programs, a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: Status,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Status::W4A16_STATUS_INVALID_ARGUMENT, message)
    }
    pub fn not_supported(message: impl Into<String>) -> Error {
        Error::new(Status::W4A16_STATUS_NOT_SUPPORTED, message)
    }
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(Status::W4A16_STATUS_INTERNAL, message)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records the message of the last failed call on this thread ("" after a success).
pub(crate) fn set_last_error(message: &str) {
    // Interior NULs would cut the message short; replace them rather than lose it.
    let msg = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = msg);
}

/// Pointer to this thread's last message; valid until the next w4a16_* call on this thread.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// The message recorded by the last failed call on this thread, for Rust callers.
pub fn last_error() -> String {
    LAST_ERROR.with(|slot| slot.borrow().to_string_lossy().into_owned())
}
