//! The tuner: times every applicable configuration of a problem on the device, per M, with the
//! cold-L2 method (weights rotated over at least 3× the L2 size), and keeps the fastest per M
//! bucket in the handle's table. Not for the hot path: it allocates and synchronizes.

use crate::dispatch::{self, Choice, Reason};
use crate::engine::{check_m, Handle, Operands};
use crate::error::{Error, Result, Status};
use crate::kernels::Stream;
use crate::testing::DevBuf;
use crate::tune::{Bucket, ProblemKey, Table};
use crate::types::WeightDesc;
use cudarc::driver::{result as cu, sys};

/// Most M values one call may tune.
pub const MAX_M_VALUES: usize = 64;
/// Timed batches per candidate (the median is kept).
const BATCHES: usize = 5;

fn drv(e: cu::DriverError, what: &str) -> Error {
    Error::new(Status::W4A16_STATUS_CUDA_ERROR, format!("{what}: {e:?}"))
}

/// CUDA events of the driver API, destroyed on drop.
struct Event(sys::CUevent);

impl Event {
    fn new() -> Result<Event> {
        cu::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT).map(Event).map_err(|e| drv(e, "cuEventCreate"))
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: created by cuEventCreate, destroyed once.
        let _ = unsafe { cu::event::destroy(self.0) };
    }
}

/// Device buffers for timing one problem: rotating weight copies, activations, output, scratch.
struct Rig {
    weights: Vec<DevBuf>,
    scales: DevBuf,
    zeros: Option<DevBuf>,
    a: DevBuf,
    c: DevBuf,
    workspace: DevBuf,
    workspace_bytes: usize,
    m_max: usize,
}

impl Rig {
    fn new(h: &Handle, w: &WeightDesc, m_max: usize, workspace_bytes: usize) -> Result<Rig> {
        let copies = rotation_copies(h.device().l2_bytes.max(0) as usize, h.device().global_mem_bytes.max(0) as usize, w);
        let mut rng = crate::rng::Rng::new(0x5eed);
        let bytes: Vec<u8> = (0..w.weight_bytes()).map(|_| rng.next_u64() as u8).collect();
        let weights = (0..copies).map(|_| DevBuf::from_slice(&bytes)).collect::<Result<Vec<_>>>()?;
        let small = |lo: f32, hi: f32, len: usize, rng: &mut crate::rng::Rng| crate::rng::random_bits(w.dtype, len, rng, lo, hi);
        let scales = DevBuf::from_slice(&small(0.001, 0.01, w.scale_elems(), &mut rng))?;
        let zeros = if w.has_zeros { Some(DevBuf::from_slice(&small(-0.01, 0.01, w.scale_elems(), &mut rng))?) } else { None };
        let a = DevBuf::from_slice(&small(-1.0, 1.0, m_max * w.k, &mut rng))?;
        let c = DevBuf::new(m_max * w.n * 2)?;
        let workspace = DevBuf::new(workspace_bytes.max(16))?;
        Ok(Rig { weights, scales, zeros, a, c, workspace, workspace_bytes, m_max })
    }

    fn operands(&self, w: &WeightDesc, copy: usize, m: usize) -> Operands {
        debug_assert!(m <= self.m_max);
        Operands {
            a: self.a.ptr(),
            lda: w.k,
            packed_w: self.weights[copy].ptr(),
            scales: self.scales.ptr(),
            zeros: self.zeros.as_ref().map_or(std::ptr::null(), |z| z.ptr()),
            bias: std::ptr::null(),
            c: self.c.ptr(),
            ldc: w.n,
            m,
            workspace: self.workspace.ptr(),
            workspace_bytes: self.workspace_bytes,
        }
    }

    /// Median per-call µs of `choice` at `m` on `stream`; Err if it cannot run.
    ///
    /// # Safety
    /// `stream` must be a valid stream of the handle's device (or NULL).
    unsafe fn time(&self, h: &Handle, w: &WeightDesc, m: usize, choice: &Choice, stream: Stream) -> Result<f64> {
        let calls = self.weights.len();
        for copy in 0..calls.min(3) {
            h.gemm_with(w, &self.operands(w, copy, m), choice, stream)?;
        }
        let (start, stop) = (Event::new()?, Event::new()?);
        let cu_stream = stream as sys::CUstream;
        let mut per_call = Vec::with_capacity(BATCHES);
        for _ in 0..BATCHES {
            cu::event::record(start.0, cu_stream).map_err(|e| drv(e, "cuEventRecord"))?;
            for copy in 0..calls {
                h.gemm_with(w, &self.operands(w, copy, m), choice, stream)?;
            }
            cu::event::record(stop.0, cu_stream).map_err(|e| drv(e, "cuEventRecord"))?;
            cu::event::synchronize(stop.0).map_err(|e| drv(e, "cuEventSynchronize"))?;
            let ms = cu::event::elapsed(start.0, stop.0).map_err(|e| drv(e, "cuEventElapsedTime"))?;
            per_call.push(ms as f64 * 1000.0 / calls as f64);
        }
        per_call.sort_by(f64::total_cmp);
        Ok(per_call[BATCHES / 2])
    }
}

/// One M's measurements: every candidate's median µs (None: it failed to run) and the winner.
#[derive(Clone, Debug)]
pub struct Measured {
    pub m: usize,
    pub candidates: Vec<(Choice, Option<f64>)>,
    pub best: Choice,
    pub best_us: f64,
}

/// Times every candidate of `w` at each M of `m_values` on `stream`, and returns the measurements
/// and the table of `h` with the winners merged in (buckets: M in (previous tuned M, this M]).
/// The caller installs the table (Handle::set_table) — the C API does so at once.
///
/// # Safety
/// `stream` must be a valid stream of the handle's device (or NULL); it is synchronized.
pub unsafe fn tune(h: &Handle, w: &WeightDesc, m_values: &[usize], stream: Stream) -> Result<(Vec<Measured>, Table)> {
    if m_values.is_empty() || m_values.len() > MAX_M_VALUES {
        return Err(Error::invalid(format!(
            "count={} M values: give 1..={MAX_M_VALUES}",
            m_values.len()
        )));
    }
    for &m in m_values {
        check_m(m)?;
    }
    let mut ms: Vec<usize> = m_values.to_vec();
    ms.sort_unstable();
    ms.dedup();
    let m_max = *ms.last().unwrap();
    crate::device::set_device(h.device().ordinal)?;
    let workspace = ms
        .iter()
        .flat_map(|&m| dispatch::candidates(w, m).into_iter().map(move |c| c.workspace_bytes(w, m)))
        .max()
        .unwrap_or(0);
    let rig = Rig::new(h, w, m_max, workspace)?;

    let mut measured = Vec::new();
    let mut table = (*h.table()).clone();
    let mut prev = 0usize;
    for &m in &ms {
        let mut results = Vec::new();
        for choice in dispatch::candidates(w, m) {
            // A candidate that cannot run (e.g. a launch limit) is recorded and skipped.
            results.push((choice, rig.time(h, w, m, &choice, stream).ok()));
        }
        let (best, best_us) = results
            .iter()
            .filter_map(|(c, t)| t.map(|t| (*c, t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or_else(|| Error::internal(format!("no configuration ran for M={m} ({w:?})")))?;
        let best = Choice { reason: Reason::Tuned, ..best };
        table.insert(ProblemKey::from(w), Bucket { m_min: prev + 1, m_max: m, choice: best, us: best_us });
        measured.push(Measured { m, candidates: results, best, best_us });
        prev = m;
    }
    Ok((measured, table))
}

/// Weight copies to rotate over: enough that a round exceeds 3× L2, so every call reads its
/// weights from HBM as in real decoding (each layer's weights read once per step); at least 2,
/// and within a quarter of the device memory.
pub fn rotation_copies(l2_bytes: usize, global_mem_bytes: usize, w: &WeightDesc) -> usize {
    let per_copy = w.weight_bytes() + w.scale_elems() * 2;
    (3 * l2_bytes).div_ceil(per_copy).max(2).min((global_mem_bytes / 4 / per_copy).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Dtype;

    #[test]
    fn rotation_exceeds_three_l2() {
        let l2 = 50 << 20;
        let w = WeightDesc::new(Dtype::F16, 4096, 4096, 128, false).unwrap();
        let copies = rotation_copies(l2, 80 << 30, &w);
        assert!(copies * (w.weight_bytes() + w.scale_elems() * 2) >= 3 * l2);
        let big = WeightDesc::new(Dtype::F16, 28672, 8192, 128, false).unwrap();
        assert_eq!(rotation_copies(l2, 80 << 30, &big), 2);
    }
}
