//! The sweep: plan, ceilings, host overhead, then every (problem, M) point — correctness guard
//! first, then our timing and cuBLAS's on the same data sizes — and the outputs.

use super::args::{self, Options, USAGE};
use super::cublas::Cublas;
use super::gpu::{self, alloc, at, lib, Res, Stream, Timer, Timing};
use super::model::{self, human_bytes, Problem, Rotation};
use super::report::{self, Row, RunInfo, Status, GOOD_THRESHOLD, WRONG_THRESHOLD};
use super::stats;
use super::svg;
use crate::device::DeviceInfo;
use crate::dispatch::{Choice, Path, Reason};
use crate::engine::{Handle, Operands};
use crate::error::Status as LibStatus;
use crate::quant::dequantize_row;
use crate::reference::reference_gemm;
use crate::rng::{random_bits, Rng};
use crate::testing::DevBuf;
use crate::types::{Dtype, WeightDesc};
use std::fmt::Write as _;
use std::time::Instant;

/// Bytes of each copy-bandwidth buffer (source and destination).
const COPY_BW_BYTES: usize = 1 << 30;
const COPY_BW_REPS: usize = 10;
/// The large GEMM of the cuBLAS ceiling: fp16 8192³.
const PEAK_DIM: usize = 8192;
/// Host-overhead measurement: calls in all, and per batch (synchronised between batches so the
/// launch queue never fills and blocks the host).
const HOST_CALLS: usize = 10_000;
const HOST_BATCH: usize = 250;
/// Timed graph replays are preceded by this many untimed ones.
const GRAPH_WARMUP_LAUNCHES: usize = 2;

/// An error that ends the program with `code`.
#[derive(Debug)]
pub struct Fatal {
    pub code: i32,
    pub msg: String,
}

fn fatal(code: i32) -> impl Fn(String) -> Fatal {
    move |msg| Fatal { code, msg }
}

/// Entry point of the `w4a16-bench` binary: returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let opts = match args::parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("w4a16-bench: {e}\n(see w4a16-bench --help)");
            return 2;
        }
    };
    if opts.help {
        print!("{USAGE}");
        return 0;
    }
    if opts.dry_run {
        print!("{}", plan_text(&opts, None));
        return 0;
    }
    match run(&opts) {
        Ok(code) => code,
        Err(Fatal { code, msg }) => {
            eprintln!("w4a16-bench: {msg}");
            code
        }
    }
}

/// The timing method in words.
pub fn method_text(opts: &Options, l2_bytes: u64) -> String {
    let mut s = if opts.graph {
        format!(
            "CUDA graph of back-to-back calls (a multiple of the copy count, >= {} calls), {} timed replays after {} untimed; per-call = replay / calls; median (p10/p90 over replays)",
            opts.reps, opts.graph_launches, GRAPH_WARMUP_LAUNCHES
        )
    } else {
        format!(
            "per-call CUDA events, {} warm-up + {} timed calls (batches of {} queued behind a copy), median (p10/p90)",
            opts.warmup,
            opts.reps,
            gpu::BATCH
        )
    };
    if opts.hot {
        s.push_str("; hot L2 (one weight buffer)");
    } else {
        let _ = write!(
            s,
            "; cold L2: rotating weight copies >= {}x L2 ({}) for ours and cuBLAS",
            model::L2_FACTOR,
            human_bytes(l2_bytes)
        );
    }
    match opts.path {
        Some(p) => {
            let _ = write!(s, "; path forced: {}", p.name());
        }
        None => s.push_str("; default dispatch"),
    }
    if opts.pdl {
        s.push_str("; programmatic dependent launch on the GEMV path (--pdl)");
    }
    if opts.no_cublas {
        s.push_str("; no cuBLAS baseline");
    }
    s
}

/// Rotation counts of one problem (ours, cuBLAS's dense weights).
fn rotations(p: &Problem, l2: u64, mem: u64, hot: bool) -> (Rotation, Rotation) {
    (
        model::rotation(p.copy_bytes(), l2, (mem as f64 * model::OURS_MEM_FRACTION) as u64, hot),
        model::rotation(
            p.dense_weight_bytes(),
            l2,
            (mem as f64 * model::CUBLAS_MEM_FRACTION) as u64,
            hot,
        ),
    )
}

/// The plan: problems × M, buffer sizes, rotation counts. `dev` = None: assumed H100 values.
pub fn plan_text(opts: &Options, dev: Option<&DeviceInfo>) -> String {
    let (l2, mem, assumed) = match dev {
        Some(d) => (d.l2_bytes.max(0) as u64, d.global_mem_bytes.max(0) as u64, ""),
        None => (model::ASSUMED_L2_BYTES, model::ASSUMED_GLOBAL_MEM_BYTES, " (assumed)"),
    };
    let problems = opts.problems().unwrap_or_default();
    let max_m = opts.max_m();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "w4a16-bench plan: {} problem(s) x {} M = {} points{}",
        problems.len(),
        opts.ms.len(),
        problems.len() * opts.ms.len(),
        if dev.is_none() { "  [dry run: no GPU used]" } else { "" }
    );
    let ms: Vec<String> = opts.ms.iter().map(|m| m.to_string()).collect();
    let _ = writeln!(s, "M: {}", ms.join(","));
    let _ = writeln!(s, "timing: {}", method_text(opts, l2));
    let _ = writeln!(
        s,
        "L2 = {}{assumed}, device memory = {}{assumed}; floor columns below at {} GB/s (assumed; the run uses the measured copy bandwidth)",
        human_bytes(l2),
        human_bytes(mem),
        model::ASSUMED_COPY_BW_GBS
    );
    let _ = writeln!(
        s,
        "ceilings: DtoD copy of {} (x{} timed), cuBLAS fp16 {}^3; host overhead: {} calls",
        human_bytes(COPY_BW_BYTES as u64),
        COPY_BW_REPS,
        PEAK_DIM,
        HOST_CALLS
    );
    let headers = [
        "problem",
        "int4 copy",
        "copies",
        "int4 set",
        "fp16 W",
        "copies",
        "fp16 set",
        "A+C max M",
        "peak mem",
        "floor M=1",
        "floor max M",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for p in &problems {
        let (ro, rd) = rotations(p, l2, mem, opts.hot);
        let ac = (max_m as u64) * (p.k as u64) * 2 + 2 * (max_m as u64) * (p.n as u64) * 2;
        let dense_set = if opts.no_cublas { 0 } else { rd.set_bytes };
        let peak = ro.set_bytes + dense_set + ac + p.bias_bytes();
        let flag = |r: &Rotation| if r.capped { "!" } else { "" };
        rows.push(vec![
            p.label(),
            human_bytes(p.copy_bytes()),
            format!("{}{}", ro.copies, flag(&ro)),
            human_bytes(ro.set_bytes),
            human_bytes(p.dense_weight_bytes()),
            if opts.no_cublas { "-".into() } else { format!("{}{}", rd.copies, flag(&rd)) },
            if opts.no_cublas { "-".into() } else { human_bytes(rd.set_bytes) },
            human_bytes(ac),
            human_bytes(peak),
            format!("{:.1} us", model::floor_us(p.moved_bytes(1), model::ASSUMED_COPY_BW_GBS)),
            format!("{:.1} us", model::floor_us(p.moved_bytes(max_m), model::ASSUMED_COPY_BW_GBS)),
        ]);
    }
    let mut w: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = " ".repeat(w[i] - c.chars().count());
                if i == 0 {
                    format!("{c}{pad}")
                } else {
                    format!("{pad}{c}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    s.push_str(&line(headers.iter().map(|h| h.to_string()).collect()));
    for r in rows {
        s.push_str(&line(r));
    }
    if problems.iter().any(|p| {
        let (a, b) = rotations(p, l2, mem, opts.hot);
        a.capped || b.capped
    }) {
        s.push_str("! copies capped by device memory: the rotated set is smaller than 3x L2\n");
    }
    s
}

fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(len);
    v
}

/// The dense weights cuBLAS reads: the library's dequantization of (q, s, z), rounded to the
/// dtype, `[N, K]` row-major bits. Parallel over rows.
fn dense_weights(
    desc: &WeightDesc,
    q_plain: &[u8],
    scales: &[u16],
    zeros: Option<&[u16]>,
) -> Vec<u16> {
    let (n, k) = (desc.n, desc.k);
    let mut out = vec![0u16; n * k];
    let threads = std::thread::available_parallelism().map_or(4, |t| t.get()).min(64);
    let rows_per = n.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (ci, chunk) in out.chunks_mut(rows_per * k).enumerate() {
            scope.spawn(move || {
                let mut row = vec![0.0f64; k];
                for (r, dst) in chunk.chunks_mut(k).enumerate() {
                    dequantize_row(desc, q_plain, scales, zeros, ci * rows_per + r, &mut row);
                    for (d, &x) in dst.iter_mut().zip(&row) {
                        *d = desc.dtype.to_bits(x as f32);
                    }
                }
            });
        }
    });
    out
}

/// Device buffers and host references of one problem.
struct Setup {
    p: Problem,
    desc: WeightDesc,
    copies: Vec<DevBuf>,
    scales_off: u64,
    zeros_off: u64,
    dense: Vec<DevBuf>,
    a: DevBuf,
    c: DevBuf,
    c_ref: Option<DevBuf>,
    bias: Option<DevBuf>,
    bias_host: Option<Vec<f64>>,
    ws: Option<DevBuf>,
    ws_bytes: usize,
    /// CPU reference (f64) of output row 0 without bias.
    row0_ref: Vec<f64>,
}

impl Setup {
    #[allow(clippy::too_many_arguments)]
    fn new(
        p: &Problem,
        opts: &Options,
        dev: &DeviceInfo,
        handle: &Handle,
        with_cublas: bool,
        stream: &Stream,
        rng: &mut Rng,
    ) -> Res<Setup> {
        let desc = p.desc()?;
        let (n, k, dt) = (p.n, p.k, p.dtype);
        let max_m = opts.max_m();
        let (l2, mem) = (dev.l2_bytes.max(0) as u64, dev.global_mem_bytes.max(0) as u64);
        let (rot, rot_dense) = rotations(p, l2, mem, opts.hot);

        // Host data: random 4-bit weights, scales ~ 1/sqrt(K) so outputs stay O(1).
        let q_plain = random_bytes(rng, desc.weight_bytes());
        let mut packed = vec![0u8; q_plain.len()];
        crate::pack::pack_host(&desc, &q_plain, &mut packed)?;
        let sk = 1.0 / (k as f32).sqrt();
        let scales = random_bits(dt, desc.scale_elems(), rng, 0.5 * sk, 1.5 * sk);
        let zeros = p.zeros.then(|| random_bits(dt, desc.scale_elems(), rng, -sk, sk));
        let a_host = random_bits(dt, max_m * k, rng, -1.0, 1.0);
        let bias_bits = p.bias.then(|| random_bits(dt, n, rng, -1.0, 1.0));

        // The int4 weight side, rotated copies (each: packed | scales | zeros).
        let (scales_off, zeros_off, copy_bytes) = p.copy_layout();
        let first = alloc(copy_bytes as usize, "weight copy")?;
        first.upload(&packed).map_err(|e| lib(e, "upload"))?;
        let up_at = |off: u64, data: &[u16]| -> Res<()> {
            // SAFETY: off + data lies inside `first` (copy_layout).
            unsafe { cudarc::driver::result::memcpy_htod_sync(first.ptr() as u64 + off, data) }
                .map_err(|e| gpu::drv(e, "cuMemcpyHtoD"))
        };
        up_at(scales_off, &scales)?;
        if let Some(z) = &zeros {
            up_at(zeros_off, z)?;
        }
        gpu::sync_all()?;
        let mut copies = vec![first];
        for _ in 1..rot.copies {
            let b = alloc(copy_bytes as usize, "weight copy")?;
            gpu::copy_async(&b, &copies[0], copy_bytes as usize, stream)?;
            copies.push(b);
        }

        // cuBLAS's dense weights (same values as ours, rounded to the dtype), rotated.
        let mut dense = Vec::new();
        if with_cublas {
            let w = dense_weights(&desc, &q_plain, &scales, zeros.as_deref());
            let d0 = DevBuf::from_slice(&w).map_err(|e| lib(e, "dense weights"))?;
            drop(w);
            gpu::sync_all()?;
            dense.push(d0);
            for _ in 1..rot_dense.copies {
                let b = alloc(p.dense_weight_bytes() as usize, "dense weight copy")?;
                gpu::copy_async(&b, &dense[0], p.dense_weight_bytes() as usize, stream)?;
                dense.push(b);
            }
        }

        let a = DevBuf::from_slice(&a_host).map_err(|e| lib(e, "A"))?;
        let c = alloc(max_m * n * 2, "C")?;
        let c_ref = if with_cublas { Some(alloc(max_m * n * 2, "cuBLAS C")?) } else { None };
        let bias = match &bias_bits {
            Some(b) => Some(DevBuf::from_slice(b).map_err(|e| lib(e, "bias"))?),
            None => None,
        };
        // The oracle times every candidate: the workspace must fit the hungriest of them.
        let candidates_ws = (1..=max_m)
            .filter(|m| m.is_power_of_two() || *m == max_m)
            .flat_map(|m| crate::dispatch::candidates(&desc, m).into_iter().map(move |c| c.workspace_bytes(&desc, m)))
            .max()
            .unwrap_or(0);
        let ws_bytes = handle.workspace_size(&desc, max_m).map_err(|e| lib(e, "workspace size"))?.max(candidates_ws);
        let ws = if ws_bytes > 0 { Some(alloc(ws_bytes, "workspace")?) } else { None };
        let row0_ref =
            reference_gemm(&desc, 1, &a_host[..k], k, &q_plain, &scales, zeros.as_deref(), None);
        let bias_host = bias_bits.map(|b| b.iter().map(|&x| dt.from_bits(x) as f64).collect());
        stream.sync()?;
        gpu::sync_all()?;
        Ok(Setup {
            p: *p,
            desc,
            copies,
            scales_off,
            zeros_off,
            dense,
            a,
            c,
            c_ref,
            bias,
            bias_host,
            ws,
            ws_bytes,
            row0_ref,
        })
    }

    fn ops(&self, i: usize, m: usize) -> Operands {
        let w = &self.copies[i % self.copies.len()];
        Operands {
            a: self.a.ptr(),
            lda: self.p.k,
            packed_w: at(w, 0),
            scales: at(w, self.scales_off),
            zeros: if self.p.zeros { at(w, self.zeros_off) } else { std::ptr::null_mut() },
            bias: self.bias.as_ref().map_or(std::ptr::null_mut(), |b| b.ptr()),
            c: self.c.ptr(),
            ldc: self.p.n,
            m,
            workspace: self.ws.as_ref().map_or(std::ptr::null_mut(), |b| b.ptr()),
            workspace_bytes: self.ws_bytes,
        }
    }
}

fn ours_call(h: &Handle, s: &Setup, stream: &Stream, i: usize, m: usize) -> Res<()> {
    // SAFETY: every operand is a live device buffer of the documented size (Setup).
    unsafe { h.gemm(&s.desc, &s.ops(i, m), stream.ptr()) }.map_err(|e| e.to_string())
}

fn cublas_call(cb: &Cublas, s: &Setup, i: usize, m: usize) -> Res<()> {
    let w = &s.dense[i % s.dense.len()];
    let c = s.c_ref.as_ref().expect("cuBLAS output buffer");
    // SAFETY: A is max_m×K, W is N×K, C is max_m×N elements of the dtype.
    unsafe { cb.gemm(s.p.dtype, m, s.p.n, s.p.k, s.a.ptr(), w.ptr(), c.ptr()) }
}

fn time(
    timer: &Timer,
    opts: &Options,
    copies: usize,
    call: &mut dyn FnMut(usize) -> Res<()>,
) -> Res<Timing> {
    if opts.graph {
        timer.time_graph(
            model::graph_calls(opts.reps, copies),
            GRAPH_WARMUP_LAUNCHES,
            opts.graph_launches,
            call,
        )
    } else {
        timer.time_calls(opts.warmup, opts.reps, call)
    }
}

fn bad(err: f64) -> bool {
    // NaN-proof: anything not provably small (NaN included) is bad.
    err.is_nan() || err > WRONG_THRESHOLD
}

fn add_note(row: &mut Row, note: String) {
    row.note = Some(match row.note.take() {
        Some(prev) => format!("{prev}; {note}"),
        None => note,
    });
}

/// One point: correctness guard, then timing of ours and of cuBLAS.
#[allow(clippy::too_many_arguments)]
fn measure_point(
    h: &Handle,
    cb: Option<&Cublas>,
    s: &Setup,
    m: usize,
    opts: &Options,
    timer: &Timer,
    stream: &Stream,
    bw: f64,
) -> Row {
    let mut row = Row::new(s.p, m, Some(bw));
    let choice = h.choose(&s.desc, m);
    row.path = choice.path.name().to_string();
    row.config = choice.config_name();
    let (n, dt) = (s.p.n, s.p.dtype);

    // 1. Correctness: outputs poisoned with NaN first, so an unwritten element cannot pass.
    let check = || -> Res<(f64, Option<f64>, Option<f64>)> {
        s.c.fill(0xFF).map_err(|e| lib(e, "poison C"))?;
        if let Some(c) = &s.c_ref {
            c.fill(0xFF).map_err(|e| lib(e, "poison C"))?;
        }
        gpu::sync_all()?;
        ours_call(h, s, stream, 0, m)?;
        if let Some(cb) = cb {
            cublas_call(cb, s, 0, m)?;
        }
        stream.sync()?;
        let got: Vec<u16> = s.c.download(m * n).map_err(|e| lib(e, "download C"))?;
        let want0: Vec<f64> = match &s.bias_host {
            Some(b) => s.row0_ref.iter().zip(b).map(|(x, y)| x + y).collect(),
            None => s.row0_ref.clone(),
        };
        let ours_row0 = stats::rel_err_bits_f64(dt, &got[..n], &want0);
        let (cub_row0, full) = match &s.c_ref {
            Some(c) if cb.is_some() => {
                let want: Vec<u16> = c.download(m * n).map_err(|e| lib(e, "download cuBLAS C"))?;
                let cub_row0 = stats::rel_err_bits_f64(dt, &want[..n], &s.row0_ref);
                let full = stats::rel_err_bits(dt, &got, &want, s.bias_host.as_deref());
                (Some(cub_row0), Some(full))
            }
            _ => (None, None),
        };
        Ok((ours_row0, cub_row0, full))
    };
    let (ours_row0, cub_row0, full) = match check() {
        Ok(x) => x,
        Err(e) => {
            row.status = Status::Error(e);
            return row;
        }
    };
    let cublas_ok = cub_row0.is_some_and(|e| !bad(e));
    if let Some(e) = cub_row0.filter(|&e| bad(e)) {
        add_note(&mut row, format!(
            "cuBLAS baseline disagrees with the CPU reference (row 0 rel err {e:.2e}): baseline not reported"
        ));
    }
    row.rel_err = if cublas_ok { full } else { Some(ours_row0) };
    if bad(ours_row0) || (cublas_ok && full.is_some_and(bad)) {
        row.status = Status::Wrong(format!(
            "rel err vs cuBLAS {}, row 0 vs CPU reference {:.2e} (limit {WRONG_THRESHOLD:.0e})",
            full.map_or("-".into(), |e| format!("{e:.2e}")),
            ours_row0
        ));
    } else if row.rel_err.is_some_and(|e| e > GOOD_THRESHOLD) {
        let e = row.rel_err.unwrap_or(f64::NAN);
        add_note(&mut row, format!("rel err {e:.2e} above the expected {GOOD_THRESHOLD:.0e}"));
    }

    // 2. Timing (not for a WRONG row: its speed is not reported). With --ab-rounds N > 1, ours
    // and cuBLAS alternate N times (odd rounds cuBLAS first) and each side reports the median of
    // its round medians: both sides then see the same mix of clock states.
    let baseline = cb.filter(|_| cublas_ok);
    let rounds = opts.ab_rounds.max(1);
    let (mut ours_rounds, mut cub_rounds) = (Vec::new(), Vec::new());
    // One side's timing: the summary of its calls (a single round) or its median (one of several).
    let keep = |samples: &[f64], whole: &mut Option<stats::Summary>, medians: &mut Vec<f64>| {
        if rounds == 1 {
            *whole = stats::summarize(samples);
        } else if let Some(x) = stats::summarize(samples) {
            medians.push(x.median);
        }
    };
    for round in 0..rounds {
        let cub_first = round % 2 == 1;
        for side in [cub_first, !cub_first] {
            if side {
                let Some(cb) = baseline else { continue };
                match time(timer, opts, s.dense.len(), &mut |i| cublas_call(cb, s, i, m)) {
                    Ok(t) => keep(&t.samples_us, &mut row.cublas, &mut cub_rounds),
                    Err(e) => add_note(&mut row, format!("cuBLAS timing failed: {e}")),
                }
            } else if row.ok() {
                match time(timer, opts, s.copies.len(), &mut |i| ours_call(h, s, stream, i, m)) {
                    Ok(t) => {
                        row.host_bound |= t.host_bound;
                        keep(&t.samples_us, &mut row.ours, &mut ours_rounds);
                    }
                    Err(e) => {
                        row.status = Status::Error(e);
                        return row;
                    }
                }
            }
        }
        if rounds > 1 {
            eprintln!(
                "ab-round {round} {}x{} M={m} ours {} cublas {}",
                s.desc.n,
                s.desc.k,
                ours_rounds.last().map_or("-".into(), |v| format!("{v:.2}")),
                cub_rounds.last().map_or("-".into(), |v| format!("{v:.2}"))
            );
        }
    }
    if rounds > 1 {
        row.ours = stats::summarize(&ours_rounds);
        row.cublas = stats::summarize(&cub_rounds);
    }
    if opts.oracle && row.ok() {
        // Each round times every candidate, forward on even rounds and backward on odd ones, so a
        // candidate's neighbours differ between rounds; its time is the median of its rounds.
        let cands = crate::dispatch::candidates(&s.desc, m);
        let mut per_cand: Vec<Vec<f64>> = vec![Vec::new(); cands.len()];
        for round in 0..opts.oracle_rounds.max(1) {
            let order: Vec<usize> =
                if round % 2 == 0 { (0..cands.len()).collect() } else { (0..cands.len()).rev().collect() };
            for ci in order {
                let cand = &cands[ci];
                let mut call = |i: usize| -> Res<()> {
                    // SAFETY: as ours_call; the workspace fits every candidate (Setup).
                    unsafe { h.gemm_with(&s.desc, &s.ops(i, m), cand, stream.ptr()) }.map_err(|e| e.to_string())
                };
                if let Ok(t) = time(timer, opts, s.copies.len(), &mut call) {
                    if let Some(x) = stats::summarize(&t.samples_us) {
                        per_cand[ci].push(x.median);
                        if opts.oracle_rounds > 1 {
                            eprintln!("oracle-round {round} {}x{} M={m} {} {:.2}", s.desc.n, s.desc.k, cand.config_name(), x.median);
                        }
                    }
                }
            }
        }
        let mut best: Option<(f64, String)> = None;
        let d = &s.desc;
        let g = if d.group_size == d.k { "k".to_string() } else { d.group_size.to_string() };
        for (cand, times) in cands.iter().zip(&per_cand) {
            let Some(us) = stats::summarize(times).map(|x| x.median) else { continue };
            // Every candidate's time on stderr: the data behind a table edit.
            eprintln!(
                "oracle-candidate {}x{} M={m} {} g{g} z{} {} {us:.2}",
                d.n, d.k, d.dtype.name(), u8::from(d.has_zeros), cand.config_name()
            );
            if best.as_ref().is_none_or(|(b, _)| us < *b) {
                best = Some((us, cand.config_name()));
            }
        }
        row.oracle = best;
    }
    row
}

/// Host (CPU) time per call, µs, each averaged over [`HOST_CALLS`] calls on 4096×4096 fp16 g128.
pub struct HostTimes {
    /// `Handle::gemm` at M=1 (dispatch picks the GEMV): the figure issue #6 bounds.
    pub gemv: f64,
    /// The SM90 (CUTLASS) path at M=256, persistent ping-pong configuration, forced.
    pub sm90: Option<f64>,
    /// The SM90 stream-K configuration at M=64 (adds a workspace memset per call), forced.
    pub sm90_stream_k: Option<f64>,
    /// As `sm90`, cycling over more output buffers than the launcher's per-thread parameter
    /// cache holds: every call rebuilds the kernel parameters (the cost before the cache).
    pub sm90_uncached: Option<f64>,
    /// Launching an empty kernel on the same stream: the floor under every call.
    pub bare_launch: f64,
    /// One cuBLAS fp16 call at M=1.
    pub cublas: Option<f64>,
}

impl HostTimes {
    /// One line for the report's method text.
    pub fn describe(&self) -> String {
        let o = |v: Option<f64>| v.map_or("-".to_string(), |t| format!("{t:.2}"));
        format!(
            "host time per call (4096x4096 fp16 g128, {HOST_CALLS} calls): GEMV M=1 {:.2} us, SM90 M=256 {} us (uncached {} us), SM90 stream-K M=64 {} us, empty-kernel launch {:.2} us, cuBLAS M=1 {} us",
            self.gemv,
            o(self.sm90),
            o(self.sm90_uncached),
            o(self.sm90_stream_k),
            self.bare_launch,
            o(self.cublas)
        )
    }
}

/// SM90 configurations the host-time measurement forces (rows of kernels/sm90/configs.def).
const HOST_SM90_CONFIG: i32 = 25; // ping-pong 64x64, persistent
const HOST_SM90_STREAM_K_CONFIG: i32 = 32; // cooperative 128x64, stream-K
/// Entries of the SM90 launcher's per-thread parameter cache (kCacheEntries, sm90_gemm.cuh).
const SM90_CACHE_ENTRIES: usize = 4;

/// CPU time of one call (launch included) for the cases of [`HostTimes`], one buffer each.
fn host_overhead(h: &Handle, cb: Option<&Cublas>, stream: &Stream) -> Res<HostTimes> {
    const MAX_M: usize = 256;
    let p = Problem {
        n: 4096,
        k: 4096,
        dtype: Dtype::F16,
        group: model::Group::Size(128),
        zeros: false,
        bias: false,
    };
    let desc = p.desc()?;
    let (scales_off, _, copy_bytes) = p.copy_layout();
    let w = alloc(copy_bytes as usize, "weights")?;
    let a = alloc(MAX_M * p.k * 2, "A")?;
    // One output buffer per parameter-cache slot and one more, for the uncached measurement.
    let c = alloc((SM90_CACHE_ENTRIES + 1) * MAX_M * p.n * 2, "C")?;
    let tc = |config: i32| Choice { path: Path::TensorCore, config, split_k: 1, reason: Reason::Forced };
    let ws_bytes = [1, 64, MAX_M]
        .iter()
        .map(|&m| h.workspace_size(&desc, m))
        .chain([tc(HOST_SM90_CONFIG), tc(HOST_SM90_STREAM_K_CONFIG)].iter().map(|ch| Ok(ch.workspace_bytes(&desc, MAX_M))))
        .try_fold(0usize, |acc, r| r.map(|b| acc.max(b)))
        .map_err(|e| lib(e, "workspace size"))?;
    let ws = if ws_bytes > 0 { Some(alloc(ws_bytes, "workspace")?) } else { None };
    for b in [&w, &a, &c] {
        b.fill(0).map_err(|e| lib(e, "memset"))?;
    }
    gpu::sync_all()?;
    let ops = |m: usize| Operands {
        a: a.ptr(),
        lda: p.k,
        packed_w: w.ptr(),
        scales: at(&w, scales_off),
        zeros: std::ptr::null(),
        bias: std::ptr::null(),
        c: c.ptr(),
        ldc: p.n,
        m,
        workspace: ws.as_ref().map_or(std::ptr::null_mut(), |b| b.ptr()),
        workspace_bytes: ws_bytes,
    };
    let measure = |call: &mut dyn FnMut() -> Res<()>| -> Res<f64> {
        for _ in 0..100 {
            call()?;
        }
        stream.sync()?;
        let mut total = 0.0f64;
        for _ in 0..HOST_CALLS / HOST_BATCH {
            let t0 = Instant::now();
            for _ in 0..HOST_BATCH {
                call()?;
            }
            total += t0.elapsed().as_secs_f64();
            stream.sync()?;
        }
        Ok(total / (HOST_CALLS / HOST_BATCH * HOST_BATCH) as f64 * 1e6)
    };
    let gemv_ops = ops(1);
    // SAFETY (all calls below): live buffers of the sizes above, M <= MAX_M.
    let gemv = measure(&mut || unsafe { h.gemm(&desc, &gemv_ops, stream.ptr()) }.map_err(|e| e.to_string()))?;
    let forced = |config: i32, m: usize, outputs: usize| -> Option<f64> {
        let choice = tc(config);
        let o: Vec<Operands> = (0..outputs).map(|i| Operands { c: at(&c, (i * MAX_M * p.n * 2) as u64), ..ops(m) }).collect();
        let mut i = 0usize;
        let t = measure(&mut || {
            i += 1;
            unsafe { h.gemm_with(&desc, &o[i % outputs], &choice, stream.ptr()) }.map_err(|e| e.to_string())
        });
        match t {
            Ok(t) => Some(t),
            Err(e) => {
                // Not an SM90 device (or the configuration is not built): no figure, said loudly.
                eprintln!("  host time of {} not measured: {e}", choice.config_name());
                None
            }
        }
    };
    let sm90 = forced(HOST_SM90_CONFIG, MAX_M, 1);
    let sm90_uncached = forced(HOST_SM90_CONFIG, MAX_M, SM90_CACHE_ENTRIES + 1);
    let sm90_stream_k = forced(HOST_SM90_STREAM_K_CONFIG, 64, 1);
    let bare_launch = measure(&mut || match unsafe { crate::kernels::w4a16k_noop(stream.ptr()) } {
        0 => Ok(()),
        e => Err(crate::device::cuda_error_text(e)),
    })?;
    let cublas = match cb {
        Some(cb) => {
            let dense = alloc(p.n * p.k * 2, "dense weights")?;
            dense.fill(0).map_err(|e| lib(e, "memset"))?;
            gpu::sync_all()?;
            // SAFETY: A 1×K, W N×K, C 1×N fp16.
            Some(measure(&mut || unsafe {
                cb.gemm(Dtype::F16, 1, p.n, p.k, a.ptr(), dense.ptr(), c.ptr())
            })?)
        }
        None => None,
    };
    Ok(HostTimes { gemv, sm90, sm90_stream_k, sm90_uncached, bare_launch, cublas })
}

/// cuBLAS fp16 8192³ rate, TFLOP/s (1e12 FLOP/s), median of 10 after 3 warm-ups.
fn cublas_peak(cb: &Cublas, stream: &Stream, rng: &mut Rng) -> Res<f64> {
    let n = PEAK_DIM;
    let host = random_bits(Dtype::F16, n * n, rng, -1.0, 1.0);
    let a = DevBuf::from_slice(&host).map_err(|e| lib(e, "peak A"))?;
    let w = DevBuf::from_slice(&host).map_err(|e| lib(e, "peak W"))?;
    drop(host);
    let c = alloc(n * n * 2, "peak C")?;
    gpu::sync_all()?;
    let timer = Timer::new(stream, false)?;
    // SAFETY: n×n fp16 buffers.
    let t = timer.time_calls(3, 10, &mut |_| unsafe {
        cb.gemm(Dtype::F16, n, n, n, a.ptr(), w.ptr(), c.ptr())
    })?;
    let us = stats::summarize(&t.samples_us).ok_or("no valid sample")?.median;
    Ok(model::tflops(2.0 * (n as f64).powi(3), us))
}

fn write_file(path: &str, text: &str) -> Res<()> {
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))?;
    eprintln!("wrote {path}");
    Ok(())
}

fn svg_plots(info: &RunInfo, rows: &[Row], problems: &[Problem]) -> (String, String) {
    let series = |f: &dyn Fn(&Row) -> Option<f64>| -> Vec<svg::Series> {
        problems
            .iter()
            .map(|p| svg::Series {
                label: p.label(),
                points: rows
                    .iter()
                    .filter(|r| r.problem == *p)
                    .map(|r| (r.m as f64, f(r)))
                    .collect(),
            })
            .collect()
    };
    let speedup = svg::Plot {
        title: format!("w4a16 speedup over cuBLAS — {}", info.gpu),
        x_label: "M (tokens), log2".into(),
        y_label: "cuBLAS time / w4a16 time".into(),
        log2_x: true,
        reference: Some((1.0, "cuBLAS parity".into())),
        y_percent: false,
        series: series(&|r| r.speedup()),
    };
    let floor = svg::Plot {
        title: format!("w4a16 fraction of the bandwidth floor — {}", info.gpu),
        x_label: "M (tokens), log2".into(),
        y_label: "floor time / w4a16 time".into(),
        log2_x: true,
        reference: Some((1.0, "floor".into())),
        y_percent: true,
        series: series(&|r| r.frac_floor()),
    };
    (svg::render(&speedup), svg::render(&floor))
}

fn progress_line(r: &Row) -> String {
    match &r.status {
        Status::Ok => format!(
            "{} us ({}), cuBLAS {} us, {:.2}x cuBLAS, {:.0}% of floor, rel err {:.1e}",
            r.us().map_or("-".into(), |v| format!("{v:.1}")),
            r.config,
            r.cublas_us().map_or("-".into(), |v| format!("{v:.1}")),
            r.speedup().unwrap_or(f64::NAN),
            r.frac_floor().unwrap_or(f64::NAN) * 100.0,
            r.rel_err.unwrap_or(f64::NAN)
        ),
        Status::Wrong(m) => format!("WRONG: {m}"),
        Status::Error(m) => format!("ERROR: {m}"),
    }
}

/// The GPU run. Ok(exit status) once results exist; Err for what prevents any result.
pub fn run(opts: &Options) -> Result<i32, Fatal> {
    if let Some(reason) = crate::testing::gpu_unavailable_reason() {
        return Err(fatal(2)(format!("no GPU: {reason}")));
    }
    let handle = Handle::new(opts.device).map_err(|e| {
        fatal(2)(match e.status {
            LibStatus::W4A16_STATUS_NO_DEVICE => format!("no GPU: {}", e.message),
            _ => e.to_string(),
        })
    })?;
    if opts.path.is_some() {
        handle.set_forced_path(opts.path);
    }
    handle.set_pdl(opts.pdl);
    crate::testing::use_device(opts.device).map_err(|e| fatal(2)(e.to_string()))?;
    cudarc::driver::result::init().map_err(|e| fatal(2)(gpu::drv(e, "cuInit")))?;
    let dev = handle.device().clone();
    let stream = Stream::new().map_err(fatal(1))?;
    let cublas = if opts.no_cublas { None } else { Some(Cublas::load(&stream).map_err(fatal(3))?) };
    eprint!("{}", plan_text(opts, Some(&dev)));

    let mut rng = Rng::new(opts.seed);
    eprintln!("measuring ceilings: device-to-device copy bandwidth ...");
    let (bw, _) =
        gpu::copy_bandwidth_gbs(&stream, COPY_BW_BYTES, COPY_BW_REPS).map_err(fatal(1))?;
    eprintln!("  copy bandwidth {bw:.0} GB/s (read + write)");
    let peak = match &cublas {
        Some(cb) => {
            let t = cublas_peak(cb, &stream, &mut rng).map_err(fatal(1))?;
            eprintln!("  cuBLAS fp16 {PEAK_DIM}^3: {t:.1} TFLOP/s");
            Some(t)
        }
        None => None,
    };
    let host = match host_overhead(&handle, cublas.as_ref(), &stream) {
        Ok(t) => {
            eprintln!("  {}", t.describe());
            Some(t)
        }
        Err(e) => {
            eprintln!("  host overhead not measured: {e}");
            None
        }
    };
    let mut method = method_text(opts, dev.l2_bytes.max(0) as u64);
    if let Some(t) = &host {
        let _ = write!(method, "; {}", t.describe());
    }
    let info = RunInfo {
        tool_version: report::tool_version(),
        gpu: dev.name.clone(),
        sm_count: dev.sm_count,
        date: report::now_iso8601(),
        copy_bw_gbs: Some(bw),
        cublas_tflops: peak,
        host_overhead_us: host.as_ref().map(|t| t.gemv),
        method,
    };

    if let Some(path) = &opts.load_table {
        let text = std::fs::read_to_string(path).map_err(|e| fatal(2)(format!("cannot read {path}: {e}")))?;
        let loaded = crate::tune::from_json(&text, handle.device_key(), true)
            .map_err(|why| fatal(2)(format!("{path} not used: {why}")))?;
        let mut table = (*handle.table()).clone();
        table.merge(&loaded);
        handle.set_table(table);
        eprintln!("loaded {} tuned buckets from {path}", loaded.len());
    }
    let timer = Timer::new(&stream, true).map_err(fatal(1))?;
    let problems = opts.problems().map_err(fatal(2))?;
    let total = problems.len() * opts.ms.len();
    let mut rows: Vec<Row> = Vec::with_capacity(total);
    let mut aborted: Option<String> = None;
    let mut done = 0usize;
    'sweep: for p in &problems {
        eprintln!("setting up {} ...", p.label());
        let t0 = Instant::now();
        let setup = match Setup::new(p, opts, &dev, &handle, cublas.is_some(), &stream, &mut rng) {
            Ok(s) => s,
            Err(e) => {
                for &m in &opts.ms {
                    let mut r = Row::new(*p, m, Some(bw));
                    r.status = Status::Error(format!("setup: {e}"));
                    rows.push(r);
                }
                done += opts.ms.len();
                eprintln!("  setup failed: {e}");
                if let Err(e2) = gpu::sync_all() {
                    aborted = Some(format!("CUDA context unusable after {}: {e2}", p.label()));
                    break 'sweep;
                }
                continue;
            }
        };
        if opts.tune {
            let t1 = Instant::now();
            // SAFETY: the bench's stream belongs to the handle's device.
            match unsafe { crate::autotune::tune(&handle, &setup.desc, &opts.ms, stream.ptr()) } {
                Ok((measured, table)) => {
                    handle.set_table(table);
                    for x in &measured {
                        eprintln!("  tuned M={}: {} ({:.1} us)", x.m, x.best.config_name(), x.best_us);
                    }
                    eprintln!("  tuned in {:.1} s", t1.elapsed().as_secs_f64());
                }
                Err(e) => eprintln!("  tuning failed (heuristic kept): {e}"),
            }
        }
        eprintln!(
            "  {} int4 copies, {} dense copies, set up in {:.1} s",
            setup.copies.len(),
            setup.dense.len(),
            t0.elapsed().as_secs_f64()
        );
        for &m in &opts.ms {
            done += 1;
            eprintln!("[{done}/{total}] {} M={m} ...", p.label());
            let row = measure_point(&handle, cublas.as_ref(), &setup, m, opts, &timer, &stream, bw);
            eprintln!("    {}", progress_line(&row));
            let failed = matches!(row.status, Status::Error(_));
            rows.push(row);
            if failed {
                if let Err(e) = gpu::sync_all() {
                    aborted = Some(format!("CUDA context unusable after {} M={m}: {e}", p.label()));
                    break 'sweep;
                }
            }
        }
    }

    // Outputs: files first, the table last.
    let mut io_failed = false;
    let mut emit = |path: &Option<String>, text: &dyn Fn() -> String| {
        if let Some(path) = path {
            if let Err(e) = write_file(path, &text()) {
                eprintln!("w4a16-bench: {e}");
                io_failed = true;
            }
        }
    };
    emit(&opts.save_table, &|| crate::tune::to_json(&handle.table(), handle.device_key()));
    emit(&opts.json, &|| report::to_json(&info, &rows));
    emit(&opts.md, &|| report::to_markdown(&info, &rows));
    if let Some(prefix) = &opts.svg_prefix {
        let (sp, fl) = svg_plots(&info, &rows, &problems);
        emit(&Some(format!("{prefix}-speedup.svg")), &|| sp.clone());
        emit(&Some(format!("{prefix}-floor.svg")), &|| fl.clone());
    }
    if opts.seed_table {
        print!("{}", report::header(&info));
        print!("{}", report::seed_table(&rows));
    } else {
        print!("{}", report::terminal_table(&info, &rows));
    }
    if let Some(a) = &aborted {
        println!("sweep aborted: {a}");
    }
    let all_ok = aborted.is_none() && rows.iter().all(|r| r.ok()) && !io_failed;
    Ok(if all_ok { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(s: &str) -> Options {
        let v: Vec<String> = s.split_whitespace().map(String::from).collect();
        args::parse(&v).unwrap()
    }

    #[test]
    fn plan_without_gpu() {
        let t = plan_text(&opts(""), None);
        assert!(t.contains("7 problem(s) x 11 M = 77 points"));
        assert!(t.contains("4096x4096 fp16 g128"));
        assert!(t.contains("28672x8192 fp16 g128"));
        assert!(t.contains("(assumed)"));
        let t = plan_text(
            &opts("--hot --shapes 64x128 --group 64 --dtype bf16 --zeros --no-cublas"),
            None,
        );
        assert!(t.contains("64x128 bf16 g64 +z") && t.contains("hot L2"));
    }

    #[test]
    fn dense_weights_match_dequantize() {
        let desc = WeightDesc::new(Dtype::Bf16, 64, 128, 32, true).unwrap();
        let mut rng = Rng::new(3);
        let q = random_bytes(&mut rng, desc.weight_bytes());
        assert_eq!(q.len(), 64 * 64);
        let s = random_bits(Dtype::Bf16, desc.scale_elems(), &mut rng, 0.01, 0.02);
        let z = random_bits(Dtype::Bf16, desc.scale_elems(), &mut rng, -0.01, 0.01);
        let w = dense_weights(&desc, &q, &s, Some(&z));
        let want = crate::quant::dequantize(&desc, &q, &s, Some(&z));
        assert_eq!(w.len(), want.len());
        for (&b, &x) in w.iter().zip(&want) {
            assert_eq!(b, Dtype::Bf16.to_bits(x as f32));
        }
    }

    #[test]
    fn no_gpu_is_exit_2_or_runs() {
        // Without a GPU the run must refuse cleanly with status 2 (with one, this test is not
        // the place to run a sweep).
        if crate::testing::gpu_unavailable_reason().is_some() {
            let e = run(&opts("--shapes 64x128 --m 1")).unwrap_err();
            assert_eq!(e.code, 2);
            assert!(e.msg.starts_with("no GPU: "), "{}", e.msg);
        }
    }
}
