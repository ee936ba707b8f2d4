//! Streams, events, CUDA graphs and the two timing loops, over cudarc's driver result API.
//!
//! Timing method (see `time_calls` and `time_graph`):
//! * per-call: each timed call is bracketed by its own pair of CUDA events. Calls are enqueued in
//!   batches of [`BATCH`] behind a large device-to-device copy (the "delay"), so the host has
//!   queued the whole batch before the GPU reaches it and host launch latency does not leak into
//!   the events. If the delay finished before the host was done enqueuing, the batch is flagged
//!   (`host_bound`).
//! * graph: the calls are captured once into a CUDA graph; each replay is bracketed by events
//!   (also behind the delay) and the per-call time is the replay time / calls in the graph.

use crate::testing::DevBuf;
use cudarc::driver::{result as cu, sys};
use std::ffi::c_void;

pub type Res<T> = std::result::Result<T, String>;

/// Calls timed between two syncs (each with its own event pair).
pub const BATCH: usize = 32;
/// Bytes of each delay copy (source and destination each).
pub const DELAY_BYTES: usize = 256 << 20;
/// Delay copies enqueued before each batch (~0.35 ms at 3 TB/s in all).
pub const DELAY_COPIES: usize = 2;

pub fn drv(e: cu::DriverError, what: &str) -> String {
    format!("{what}: {e:?}")
}

pub fn lib(e: crate::Error, what: &str) -> String {
    format!("{what}: {e}")
}

pub fn alloc(bytes: usize, what: &str) -> Res<DevBuf> {
    DevBuf::new(bytes).map_err(|e| lib(e, &format!("allocating {what} ({bytes} bytes)")))
}

/// `buf`'s device address plus `offset` bytes.
pub fn at(buf: &DevBuf, offset: u64) -> *mut c_void {
    debug_assert!(offset as usize <= buf.bytes());
    (buf.ptr() as u64 + offset) as *mut c_void
}

/// Waits for all work of the current context (legacy-stream memsets and copies included).
pub fn sync_all() -> Res<()> {
    crate::testing::synchronize().map_err(|e| lib(e, "cuCtxSynchronize"))
}

/// Device-to-device copy of `bytes` from `src` to `dst`, on `stream`.
pub fn copy_async(dst: &DevBuf, src: &DevBuf, bytes: usize, stream: &Stream) -> Res<()> {
    assert!(bytes <= dst.bytes() && bytes <= src.bytes());
    // SAFETY: both ranges lie inside live allocations.
    unsafe { cu::memcpy_dtod_async(dst.ptr() as u64, src.ptr() as u64, bytes, stream.raw()) }
        .map_err(|e| drv(e, "cuMemcpyDtoDAsync"))
}

/// A non-blocking stream of the current context.
pub struct Stream(sys::CUstream);

impl Stream {
    pub fn new() -> Res<Stream> {
        cu::stream::create(cu::stream::StreamKind::NonBlocking)
            .map(Stream)
            .map_err(|e| drv(e, "cuStreamCreate"))
    }
    pub fn raw(&self) -> sys::CUstream {
        self.0
    }
    /// As the library takes it (`cudaStream_t` = `CUstream`).
    pub fn ptr(&self) -> *mut c_void {
        self.0 as *mut c_void
    }
    pub fn sync(&self) -> Res<()> {
        // SAFETY: a live stream.
        unsafe { cu::stream::synchronize(self.0) }.map_err(|e| drv(e, "cuStreamSynchronize"))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: created by cuStreamCreate, destroyed once.
        let _ = unsafe { cu::stream::destroy(self.0) };
    }
}

/// A timing event.
pub struct Event(sys::CUevent);

impl Event {
    pub fn new() -> Res<Event> {
        cu::event::create(sys::CUevent_flags::CU_EVENT_DEFAULT)
            .map(Event)
            .map_err(|e| drv(e, "cuEventCreate"))
    }
    pub fn record(&self, stream: &Stream) -> Res<()> {
        // SAFETY: live event and stream.
        unsafe { cu::event::record(self.0, stream.raw()) }.map_err(|e| drv(e, "cuEventRecord"))
    }
    /// Milliseconds from `self` to `end` (both recorded and complete).
    pub fn elapsed_ms(&self, end: &Event) -> Res<f32> {
        // SAFETY: live events.
        unsafe { cu::event::elapsed(self.0, end.0) }.map_err(|e| drv(e, "cuEventElapsedTime"))
    }
    /// Whether the work before the event's record has completed.
    pub fn is_done(&self) -> Res<bool> {
        // SAFETY: live event.
        match unsafe { cu::event::query(self.0) } {
            Ok(()) => Ok(true),
            Err(e) if e.0 == sys::cudaError_enum::CUDA_ERROR_NOT_READY => Ok(false),
            Err(e) => Err(drv(e, "cuEventQuery")),
        }
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: created by cuEventCreate, destroyed once.
        let _ = unsafe { cu::event::destroy(self.0) };
    }
}

/// An instantiated CUDA graph.
pub struct Graph {
    graph: sys::CUgraph,
    exec: sys::CUgraphExec,
}

impl Graph {
    /// Captures what `enqueue` puts on `stream` (thread-local capture mode) and instantiates it.
    pub fn capture(stream: &Stream, enqueue: &mut dyn FnMut() -> Res<()>) -> Res<Graph> {
        // SAFETY: a live stream, not already capturing.
        unsafe {
            cu::stream::begin_capture(
                stream.raw(),
                sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
            )
        }
        .map_err(|e| drv(e, "cuStreamBeginCapture"))?;
        let body = enqueue();
        // Always end the capture, even after a failed enqueue, so the stream is usable again.
        // SAFETY: the stream is capturing.
        let ended = unsafe { cu::stream::end_capture(stream.raw()) };
        let graph = match (body, ended) {
            (Ok(()), Ok(g)) => g,
            (Err(e), Ok(g)) => {
                // SAFETY: a graph returned by end_capture.
                let _ = unsafe { cu::graph::destroy(g) };
                return Err(format!("during graph capture: {e}"));
            }
            (Err(e), Err(e2)) => return Err(format!("during graph capture: {e} ({e2:?})")),
            (Ok(()), Err(e)) => return Err(drv(e, "cuStreamEndCapture")),
        };
        // SAFETY: a valid graph.
        match unsafe { cu::graph::instantiate(graph, sys::CUgraphInstantiate_flags(0)) } {
            Ok(exec) => Ok(Graph { graph, exec }),
            Err(e) => {
                // SAFETY: a valid graph, not instantiated.
                let _ = unsafe { cu::graph::destroy(graph) };
                Err(drv(e, "cuGraphInstantiate"))
            }
        }
    }
    pub fn upload(&self, stream: &Stream) -> Res<()> {
        // SAFETY: live exec and stream.
        unsafe { cu::graph::upload(self.exec, stream.raw()) }.map_err(|e| drv(e, "cuGraphUpload"))
    }
    pub fn launch(&self, stream: &Stream) -> Res<()> {
        // SAFETY: live exec and stream.
        unsafe { cu::graph::launch(self.exec, stream.raw()) }.map_err(|e| drv(e, "cuGraphLaunch"))
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        // SAFETY: created in capture, destroyed once.
        unsafe {
            let _ = cu::graph::exec_destroy(self.exec);
            let _ = cu::graph::destroy(self.graph);
        }
    }
}

/// Per-call times (µs) and whether the GPU may have waited for the host.
#[derive(Clone, Debug, Default)]
pub struct Timing {
    pub samples_us: Vec<f64>,
    pub host_bound: bool,
}

/// The timing machinery of one stream: event pairs, the delay buffers.
pub struct Timer<'s> {
    pub stream: &'s Stream,
    pairs: Vec<(Event, Event)>,
    marker: Event,
    delay: Option<(DevBuf, DevBuf)>,
}

impl<'s> Timer<'s> {
    /// `with_delay`: allocate the delay buffers (2 × [`DELAY_BYTES`]); without them a batch starts
    /// as soon as the first call is enqueued.
    pub fn new(stream: &'s Stream, with_delay: bool) -> Res<Timer<'s>> {
        let mut pairs = Vec::with_capacity(BATCH);
        for _ in 0..BATCH {
            pairs.push((Event::new()?, Event::new()?));
        }
        let delay = if with_delay {
            let a = alloc(DELAY_BYTES, "delay buffer")?;
            let b = alloc(DELAY_BYTES, "delay buffer")?;
            a.fill(0).map_err(|e| lib(e, "cuMemsetD8"))?;
            b.fill(0).map_err(|e| lib(e, "cuMemsetD8"))?;
            sync_all()?;
            Some((a, b))
        } else {
            None
        };
        Ok(Timer { stream, pairs, marker: Event::new()?, delay })
    }

    /// Enqueues the delay copies and records the marker after them.
    fn delay(&self) -> Res<()> {
        if let Some((a, b)) = &self.delay {
            for i in 0..DELAY_COPIES {
                let (dst, src) = if i % 2 == 0 { (b, a) } else { (a, b) };
                copy_async(dst, src, DELAY_BYTES, self.stream)?;
            }
            self.marker.record(self.stream)?;
        }
        Ok(())
    }

    /// True when the delay has already finished (the GPU caught up with the host).
    fn caught_up(&self) -> Res<bool> {
        if self.delay.is_none() {
            return Ok(false);
        }
        self.marker.is_done()
    }

    /// `warmup` untimed calls, then `reps` calls each timed by its own event pair.
    /// `call(i)` enqueues call number i (0-based over warm-up and timed calls) on the stream.
    pub fn time_calls(
        &self,
        warmup: usize,
        reps: usize,
        call: &mut dyn FnMut(usize) -> Res<()>,
    ) -> Res<Timing> {
        let mut idx = 0usize;
        for _ in 0..warmup {
            call(idx)?;
            idx += 1;
        }
        self.stream.sync()?;
        let mut t = Timing { samples_us: Vec::with_capacity(reps), host_bound: false };
        let mut done = 0;
        while done < reps {
            let b = BATCH.min(reps - done);
            self.delay()?;
            for (start, end) in &self.pairs[..b] {
                start.record(self.stream)?;
                call(idx)?;
                end.record(self.stream)?;
                idx += 1;
            }
            t.host_bound |= self.caught_up()?;
            self.stream.sync()?;
            for (start, end) in &self.pairs[..b] {
                t.samples_us.push(start.elapsed_ms(end)? as f64 * 1e3);
            }
            done += b;
        }
        Ok(t)
    }

    /// Captures `calls` calls (`call(i)`, i in 0..calls) into a graph, replays it `warmup`
    /// times untimed, then `launches` times each timed; samples are replay time / `calls`.
    pub fn time_graph(
        &self,
        calls: usize,
        warmup: usize,
        launches: usize,
        call: &mut dyn FnMut(usize) -> Res<()>,
    ) -> Res<Timing> {
        let graph = Graph::capture(self.stream, &mut || {
            for i in 0..calls {
                call(i)?;
            }
            Ok(())
        })?;
        graph.upload(self.stream)?;
        for _ in 0..warmup.max(1) {
            graph.launch(self.stream)?;
        }
        self.stream.sync()?;
        let mut t = Timing { samples_us: Vec::with_capacity(launches), host_bound: false };
        let mut done = 0;
        while done < launches {
            let b = BATCH.min(launches - done);
            self.delay()?;
            for (start, end) in &self.pairs[..b] {
                start.record(self.stream)?;
                graph.launch(self.stream)?;
                end.record(self.stream)?;
            }
            t.host_bound |= self.caught_up()?;
            self.stream.sync()?;
            for (start, end) in &self.pairs[..b] {
                t.samples_us.push(start.elapsed_ms(end)? as f64 * 1e3 / calls as f64);
            }
            done += b;
        }
        Ok(t)
    }
}

/// Device-to-device copy bandwidth in GB/s (bytes read + written, 1 GB = 1e9 B): median of
/// `reps` copies of `bytes` after 3 warm-ups. Allocates and frees 2 × `bytes`.
pub fn copy_bandwidth_gbs(stream: &Stream, bytes: usize, reps: usize) -> Res<(f64, Vec<f64>)> {
    let src = alloc(bytes, "copy-bandwidth source")?;
    let dst = alloc(bytes, "copy-bandwidth destination")?;
    src.fill(0x5A).map_err(|e| lib(e, "cuMemsetD8"))?;
    dst.fill(0).map_err(|e| lib(e, "cuMemsetD8"))?;
    sync_all()?;
    let timer = Timer::new(stream, false)?;
    let t = timer.time_calls(3, reps, &mut |_| copy_async(&dst, &src, bytes, stream))?;
    let gbs: Vec<f64> =
        t.samples_us.iter().map(|&us| 2.0 * bytes as f64 / (us * 1e-6) / 1e9).collect();
    let med = super::stats::summarize(&gbs).ok_or("copy bandwidth: no valid sample")?.median;
    Ok((med, gbs))
}
