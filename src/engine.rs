//! The engine behind the C API: a per-device handle that validates a call, chooses a kernel
//! (dispatch.rs) and launches it (kernels.rs). Safe to share between threads: it holds no
//! mutable state on the hot path.

use crate::device::{self, check_cuda, DeviceInfo};
use crate::dispatch::{self, Choice, Path};
use crate::error::{Error, Result, Status};
use crate::kernels::{self as k, GemmArgs, Stream};
use crate::tune::{self, DeviceKey, Table};
use crate::types::WeightDesc;
use arc_swap::ArcSwap;
use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// Device pointers must be aligned to this many bytes (16-byte vector loads and stores).
pub const POINTER_ALIGNMENT: usize = 16;
/// Leading dimensions must be multiples of this many elements (16 bytes of fp16/bf16).
pub const LD_MULTIPLE: usize = 8;
/// Largest M accepted by one call.
pub const MAX_M: usize = 1 << 22;

/// The operands of one product (device pointers) and the caller's scratch memory.
#[derive(Clone, Copy, Debug)]
pub struct Operands {
    pub a: *const c_void,
    pub lda: usize,
    pub packed_w: *const c_void,
    pub scales: *const c_void,
    pub zeros: *const c_void,
    pub bias: *const c_void,
    pub c: *mut c_void,
    pub ldc: usize,
    pub m: usize,
    pub workspace: *mut c_void,
    pub workspace_bytes: usize,
}

/// One GPU's worth of library state.
#[derive(Debug)]
pub struct Handle {
    info: DeviceInfo,
    device_key: DeviceKey,
    /// Measured choices; replaced whole (never mutated) so calls read it without locks.
    table: ArcSwap<Table>,
    /// Path code forced on every call (-1 = none); atomic so a shared handle can be switched.
    forced: AtomicI32,
    /// Launch the GEMV family with programmatic dependent launch (w4a16_set_pdl).
    pdl: AtomicBool,
}

const NOT_FORCED: i32 = -1;

/// Reads the W4A16_PDL switch ("1" on, "0" off); unset or empty = off.
pub fn pdl_from_env() -> Result<bool> {
    match std::env::var("W4A16_PDL") {
        Ok(v) if !v.trim().is_empty() => match v.trim() {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(Error::invalid(format!("W4A16_PDL={v:?} must be \"0\" or \"1\""))),
        },
        _ => Ok(false),
    }
}

fn check_aligned(name: &str, p: *const c_void) -> Result<()> {
    if p as usize % POINTER_ALIGNMENT != 0 {
        return Err(Error::invalid(format!(
            "{name}={p:p} is not {POINTER_ALIGNMENT}-byte aligned"
        )));
    }
    Ok(())
}

fn check_non_null(name: &str, p: *const c_void) -> Result<()> {
    if p.is_null() {
        return Err(Error::invalid(format!("{name} is NULL")));
    }
    check_aligned(name, p)
}

pub fn check_m(m: usize) -> Result<()> {
    if m == 0 || m > MAX_M {
        return Err(Error::invalid(format!("M={m} must be in 1..={MAX_M}")));
    }
    Ok(())
}

impl Handle {
    /// Binds a handle to `ordinal`. NO_DEVICE without a driver/GPU; NOT_SUPPORTED on a GPU this
    /// build has no kernels for (sm_90a only).
    pub fn new(ordinal: i32) -> Result<Handle> {
        let info = device::device_info(ordinal)?;
        if (info.cc_major, info.cc_minor) != (9, 0) {
            return Err(Error::not_supported(format!(
                "device {ordinal} ({}) has compute capability {}.{}; this build has kernels for sm_90a (Hopper) only",
                info.name, info.cc_major, info.cc_minor
            )));
        }
        let forced = dispatch::forced_path_from_env()?.map_or(NOT_FORCED, Path::code);
        let device_key = DeviceKey::of(&info);
        let mut table = tune::shipped_table(&device_key);
        // The user's cache (W4A16_CACHE_PATH) refines the shipped table. A file that cannot be
        // used is skipped here; w4a16_cache_load reports why.
        if let Some(path) = std::env::var_os(tune::CACHE_ENV) {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if let Ok(user) = tune::from_json(&text, &device_key, false) {
                    table.merge(&user);
                }
            }
        }
        let pdl = pdl_from_env()?;
        Ok(Handle {
            info,
            device_key,
            table: ArcSwap::from_pointee(table),
            forced: AtomicI32::new(forced),
            pdl: AtomicBool::new(pdl),
        })
    }

    pub fn device(&self) -> &DeviceInfo {
        &self.info
    }

    /// Forces every call of this handle onto `path` (None = normal dispatch). Debugging and tests.
    pub fn set_forced_path(&self, path: Option<Path>) {
        self.forced.store(path.map_or(NOT_FORCED, Path::code), Ordering::Relaxed);
    }

    /// Programmatic dependent launch for the GEMV family on later calls (see w4a16_set_pdl).
    pub fn set_pdl(&self, enable: bool) {
        self.pdl.store(enable, Ordering::Relaxed);
    }

    pub fn pdl(&self) -> bool {
        self.pdl.load(Ordering::Relaxed)
    }

    pub fn forced_path(&self) -> Option<Path> {
        Path::from_code(self.forced.load(Ordering::Relaxed))
    }

    /// The selection `gemm` makes for this problem and M.
    pub fn choose(&self, w: &WeightDesc, m: usize) -> Choice {
        if let Some(path) = self.forced_path() {
            return Choice::forced_for(path, w, m);
        }
        let sm_count = self.info.sm_count.max(1) as usize;
        if let Some(choice) = Choice::env_override(w, m, sm_count) {
            return choice;
        }
        let table = self.table.load();
        table
            .lookup(w, m)
            .or_else(|| table.lookup_similar(w, m))
            .unwrap_or_else(|| Choice::heuristic_sm(w, m, sm_count))
    }

    /// Identity used to match tuning tables to this device.
    pub fn device_key(&self) -> &DeviceKey {
        &self.device_key
    }

    /// A snapshot of the tuning table in use.
    pub fn table(&self) -> Arc<Table> {
        self.table.load_full()
    }

    /// Replaces the tuning table (atomically: concurrent calls see the old or the new one).
    pub fn set_table(&self, table: Table) {
        self.table.store(Arc::new(table));
    }

    /// Scratch bytes a call with any M in 1..=max_m may need.
    pub fn workspace_size(&self, w: &WeightDesc, max_m: usize) -> Result<usize> {
        check_m(max_m)?;
        // The need is not monotone in M (tuned buckets, heuristic thresholds, stream-K unit
        // counts), so ask every M up to 4096 and every 64th M beyond (token tiles are at most
        // 256 wide, and the need changes only with the tile count), plus max_m itself.
        const DENSE_UNTIL: usize = 4096;
        let mut need = 0usize;
        let mut m = 1usize;
        while m <= max_m {
            need = need.max(self.choose(w, m).workspace_bytes(w, m));
            m = if m < DENSE_UNTIL.min(max_m) {
                m + 1
            } else if m == max_m {
                max_m + 1
            } else {
                (m + 64).min(max_m)
            };
        }
        Ok(need)
    }

    /// Fails with WRONG_DEVICE unless the calling thread's current device is this handle's.
    pub fn check_current_device(&self) -> Result<()> {
        let current = device::current_device()?;
        if current != self.info.ordinal {
            return Err(Error::new(
                Status::W4A16_STATUS_WRONG_DEVICE,
                format!(
                    "handle belongs to device {} but the thread's current device is {current} (call cudaSetDevice first)",
                    self.info.ordinal
                ),
            ));
        }
        Ok(())
    }

    /// Plain [N, K/2] weights → packed layout v2, on `stream`.
    ///
    /// # Safety
    /// `plain` and `packed` must be device allocations of at least `w.weight_bytes()` bytes.
    pub unsafe fn pack(
        &self,
        w: &WeightDesc,
        plain: *const c_void,
        packed: *mut c_void,
        stream: Stream,
    ) -> Result<()> {
        check_non_null("plain_qweight", plain)?;
        check_non_null("packed_out", packed)?;
        self.check_current_device()?;
        let err = k::w4a16k_pack(plain as *const u8, packed as *mut u8, w.n as i64, w.k as i64, stream);
        check_cuda(err, "pack kernel launch")
    }

    /// C = A·Wᵀ (+ bias) with the dispatched selection.
    ///
    /// # Safety
    /// The operands must be device memory of the documented sizes, valid for the stream's work.
    pub unsafe fn gemm(&self, w: &WeightDesc, ops: &Operands, stream: Stream) -> Result<()> {
        check_m(ops.m)?;
        let choice = self.choose(w, ops.m);
        self.gemm_with(w, ops, &choice, stream)
    }

    /// C = A·Wᵀ (+ bias) with an explicit selection (tests force every path and configuration).
    ///
    /// # Safety
    /// As for [`Handle::gemm`].
    pub unsafe fn gemm_with(
        &self,
        w: &WeightDesc,
        ops: &Operands,
        choice: &Choice,
        stream: Stream,
    ) -> Result<()> {
        validate_operands(w, ops)?;
        if choice.is_sm90() {
            // The family's group rule, then the row's own K tile (an unknown row or split is the
            // launcher's to reject, as before the rows had K tiles of their own).
            let deep_tile = dispatch::sm90_config_info(choice.config)
                .filter(|row| !dispatch::sm90_row_supports(w, row))
                .map(|row| row.tile_k);
            if !dispatch::sm90_supports(w) || deep_tile.is_some() {
                let tile_k = deep_tile.unwrap_or(64);
                return Err(Error::not_supported(format!(
                    "{} needs group_size % {tile_k} == 0 or group_size == K (a multiple of {tile_k}) (group_size={}, K={})",
                    choice.config_name(),
                    w.group_size,
                    w.k
                )));
            }
        }
        let need = choice.workspace_bytes(w, ops.m);
        if ops.workspace_bytes < need {
            return Err(Error::new(
                Status::W4A16_STATUS_WORKSPACE_TOO_SMALL,
                format!(
                    "workspace_bytes={} but {} needs {need} (ask w4a16_workspace_size)",
                    ops.workspace_bytes,
                    choice.config_name()
                ),
            ));
        }
        self.check_current_device()?;
        let args = GemmArgs {
            a: ops.a,
            lda: ops.lda as i64,
            packed_w: ops.packed_w,
            scales: ops.scales,
            zeros: ops.zeros,
            bias: ops.bias,
            c: ops.c,
            ldc: ops.ldc as i64,
            config: choice.config,
            split_k: choice.split_k,
            workspace: ops.workspace,
            workspace_bytes: ops.workspace_bytes,
            flags: if self.pdl() && choice.uses_pdl(w, ops.m) { k::FLAG_PDL } else { 0 },
            ..GemmArgs::shape(ops.m as i64, w.n as i64, w.k as i64, w.group_size as i32, w.dtype.code())
        };
        let err = match choice.path {
            Path::Gemv => k::w4a16k_gemv(&args, stream),
            Path::TensorCore if choice.is_sm90() => k::w4a16k_sm90(&args, stream),
            Path::TensorCore => k::w4a16k_mma(&args, stream),
        };
        if err != k::CUDA_SUCCESS {
            // Formatting only on failure: the success path allocates nothing.
            return check_cuda(err, &format!("{} launch", choice.config_name()));
        }
        Ok(())
    }
}

/// Every check a product's operands need before any kernel sees them.
pub fn validate_operands(w: &WeightDesc, ops: &Operands) -> Result<()> {
    check_m(ops.m)?;
    check_non_null("A", ops.a)?;
    check_non_null("packed_w", ops.packed_w)?;
    check_non_null("scales", ops.scales)?;
    check_non_null("C", ops.c as *const c_void)?;
    match (w.has_zeros, ops.zeros.is_null()) {
        (true, true) => return Err(Error::invalid("zeros is NULL but the descriptor has has_zeros=1")),
        (false, false) => {
            return Err(Error::invalid("zeros is not NULL but the descriptor has has_zeros=0"))
        }
        _ => {}
    }
    if !ops.zeros.is_null() {
        check_aligned("zeros", ops.zeros)?;
    }
    if !ops.bias.is_null() {
        check_aligned("bias", ops.bias)?;
    }
    if ops.lda < w.k || ops.lda % LD_MULTIPLE != 0 {
        return Err(Error::invalid(format!(
            "lda={} must be >= K={} and a multiple of {LD_MULTIPLE}",
            ops.lda, w.k
        )));
    }
    if ops.ldc < w.n || ops.ldc % LD_MULTIPLE != 0 {
        return Err(Error::invalid(format!(
            "ldc={} must be >= N={} and a multiple of {LD_MULTIPLE}",
            ops.ldc, w.n
        )));
    }
    if ops.workspace.is_null() && ops.workspace_bytes != 0 {
        return Err(Error::invalid(format!(
            "workspace is NULL but workspace_bytes={}",
            ops.workspace_bytes
        )));
    }
    if !ops.workspace.is_null() {
        check_aligned("workspace", ops.workspace)?;
    }
    // Overflow guard: the largest element offset of A and C must fit in i64.
    let a_end = (ops.m as u128) * (ops.lda as u128);
    let c_end = (ops.m as u128) * (ops.ldc as u128);
    if a_end > i64::MAX as u128 || c_end > i64::MAX as u128 {
        return Err(Error::invalid(format!(
            "M={} with lda={} / ldc={} overflows 64-bit offsets",
            ops.m, ops.lda, ops.ldc
        )));
    }
    Ok(())
}
