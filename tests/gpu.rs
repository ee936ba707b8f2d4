//! GPU correctness matrix: every path × dtype × group size × zeros × bias × awkward M, on fresh
//! random data, output poisoned (NaN) before every run, compared with the f64 CPU reference (small
//! shapes) or the fp32 GPU reference (large shapes; itself checked against the CPU reference).
//!
//! These tests need a GPU and are `#[ignore]`d so a GPU-less run reports them as ignored, never
//! as passed. `make test` runs them with `--include-ignored` when a GPU is present;
//! `make gpu-bundle` + `dist/gpu/run-gpu-tests.sh` runs them on a GPU machine without Rust.

use std::ffi::c_void;
use std::sync::Mutex;
use w4a16::dispatch::{self, Choice, Path, Reason, GEMV_MAX_M};
use w4a16::kernels::{self as k, GemmArgs};
use w4a16::reference::{reference_gemm, rel_error_bits, rel_error_f32};
use w4a16::rng::{random_bits, Rng};
use w4a16::testing::{gpu_unavailable_reason, use_device, DevBuf};
use w4a16::{quant, Dtype, Handle, Operands, WeightDesc};

const M_VALUES: [usize; 9] = [1, 3, 16, 17, 63, 64, 65, 256, 1000];
const PATHS: [Path; 2] = [Path::Gemv, Path::TensorCore];

/// Every kernel selection the matrices run, each forced explicitly: the GEMV, the mma.sync kernel,
/// and every row of the SM90 table (stream-K rows also as split-K with 3 splits).
fn choices() -> Vec<Choice> {
    let mut v = vec![Choice::forced(Path::Gemv), Choice::forced(Path::TensorCore)];
    for c in dispatch::sm90_configs() {
        v.push(Choice::tensor_core(c, 1));
        if dispatch::sm90_config_info(c).unwrap().is_stream_k() {
            v.push(Choice::tensor_core(c, 3));
        }
    }
    v
}

/// Whether `choice` can run `w` (an SM90 row needs group % its K tile == 0 or group == K).
fn runs(choice: &Choice, w: &WeightDesc) -> bool {
    !choice.is_sm90() || choice.is_supported(w)
}
const DTYPES: [Dtype; 2] = [Dtype::F16, Dtype::Bf16];

fn tolerance(d: Dtype) -> f64 {
    match d {
        Dtype::F16 => 5e-3,
        Dtype::Bf16 => 2e-2,
    }
}

fn group_sizes(k: usize) -> Vec<usize> {
    let mut g: Vec<usize> = [32, 64, 128].into_iter().filter(|g| k % g == 0).collect();
    if !g.contains(&k) {
        g.push(k);
    }
    g
}

/// Handle for device 0, or a loud message and None (the test then fails: it was asked to run).
fn gpu() -> Handle {
    if let Some(why) = gpu_unavailable_reason() {
        panic!("GPU TEST CANNOT RUN: {why}");
    }
    use_device(0).expect("cudaSetDevice(0)");
    Handle::new(0).expect("w4a16 handle for device 0")
}

/// One problem's host data (the plain weights and what the reference needs) and device copies.
struct Problem {
    w: WeightDesc,
    a: Vec<u16>,
    lda: usize,
    m_max: usize,
    q_plain: Vec<u8>,
    scales: Vec<u16>,
    zeros: Option<Vec<u16>>,
    bias: Vec<u16>,
    d_a: DevBuf,
    d_plain: DevBuf,
    d_packed: DevBuf,
    d_scales: DevBuf,
    d_zeros: Option<DevBuf>,
    d_bias: DevBuf,
}

impl Problem {
    fn new(h: &Handle, w: WeightDesc, m_max: usize, lda_pad: usize, rng: &mut Rng) -> Problem {
        let lda = w.k + lda_pad;
        let a = random_bits(w.dtype, m_max * lda, rng, -1.0, 1.0);
        // Random plain bytes cover every nibble value; scales and zeros span a realistic range.
        let q_plain: Vec<u8> = (0..w.weight_bytes()).map(|_| rng.next_u64() as u8).collect();
        let scales = random_bits(w.dtype, w.scale_elems(), rng, 0.002, 0.02);
        let zeros = w.has_zeros.then(|| random_bits(w.dtype, w.scale_elems(), rng, -0.05, 0.05));
        let bias = random_bits(w.dtype, w.n, rng, -1.0, 1.0);
        let d_plain = DevBuf::from_slice(&q_plain).unwrap();
        let d_packed = DevBuf::new(w.weight_bytes()).unwrap();
        d_packed.fill(0xA5).unwrap();
        unsafe { h.pack(&w, d_plain.ptr(), d_packed.ptr(), std::ptr::null_mut()) }.unwrap();
        Problem {
            d_a: DevBuf::from_slice(&a).unwrap(),
            d_scales: DevBuf::from_slice(&scales).unwrap(),
            d_zeros: zeros.as_ref().map(|z| DevBuf::from_slice(z).unwrap()),
            d_bias: DevBuf::from_slice(&bias).unwrap(),
            d_plain,
            d_packed,
            w,
            a,
            lda,
            m_max,
            q_plain,
            scales,
            zeros,
            bias,
        }
    }

    /// f64 CPU reference without bias, [m_max, N].
    fn cpu_reference(&self) -> Vec<f64> {
        reference_gemm(
            &self.w,
            self.m_max,
            &self.a,
            self.lda,
            &self.q_plain,
            &self.scales,
            self.zeros.as_deref(),
            None,
        )
    }

    /// fp32 GPU reference without bias, [m_max, N], widened to f64.
    fn gpu_reference(&self) -> Vec<f64> {
        let c32 = DevBuf::new(self.m_max * self.w.n * 4).unwrap();
        c32.fill(0xFF).unwrap();
        let args = self.args(self.m_max, std::ptr::null_mut(), 0, false);
        let err = unsafe {
            k::w4a16k_reference_gemm(&args, self.d_plain.ptr() as *const u8, c32.ptr() as *mut f32, std::ptr::null_mut())
        };
        assert_eq!(err, 0, "reference kernel launch failed: {}", w4a16::device::cuda_error_text(err));
        w4a16::testing::synchronize().unwrap();
        let v: Vec<f32> = c32.download(self.m_max * self.w.n).unwrap();
        assert!(v.iter().all(|x| x.is_finite()), "GPU reference left NaN/inf");
        v.into_iter().map(f64::from).collect()
    }

    fn args(&self, m: usize, c: *mut c_void, ldc: usize, bias: bool) -> GemmArgs {
        GemmArgs {
            a: self.d_a.ptr(),
            lda: self.lda as i64,
            packed_w: self.d_packed.ptr(),
            scales: self.d_scales.ptr(),
            zeros: self.d_zeros.as_ref().map_or(std::ptr::null(), |z| z.ptr() as *const c_void),
            bias: if bias { self.d_bias.ptr() } else { std::ptr::null() },
            c,
            ldc: ldc as i64,
            ..GemmArgs::shape(m as i64, self.w.n as i64, self.w.k as i64, self.w.group_size as i32, self.w.dtype.code())
        }
    }

    /// Runs one (path, M, bias) on a poisoned output; returns the relative error against `refc`
    /// (no-bias reference; the bias is added here in f64). Padding columns must stay poisoned.
    fn check_choice(&self, h: &Handle, choice: &Choice, m: usize, bias: bool, ldc_pad: usize, refc: &[f64]) -> f64 {
        let w = &self.w;
        let ldc = w.n + ldc_pad;
        let path = choice.config_name();
        let ws_bytes = choice.workspace_bytes(w, m);
        let ws = DevBuf::new(ws_bytes.max(16)).unwrap();
        let c = DevBuf::new(m * ldc * 2).unwrap();
        c.fill(0xFF).unwrap();
        let ops = Operands {
            a: self.d_a.ptr(),
            lda: self.lda,
            packed_w: self.d_packed.ptr(),
            scales: self.d_scales.ptr(),
            zeros: self.d_zeros.as_ref().map_or(std::ptr::null(), |z| z.ptr() as *const c_void),
            bias: if bias { self.d_bias.ptr() } else { std::ptr::null() },
            c: c.ptr(),
            ldc,
            m,
            workspace: if ws_bytes > 0 { ws.ptr() } else { std::ptr::null_mut() },
            workspace_bytes: ws_bytes,
        };
        unsafe { h.gemm_with(w, &ops, choice, std::ptr::null_mut()) }
            .unwrap_or_else(|e| panic!("{path} {w:?} M={m}: {e}"));
        w4a16::testing::synchronize().unwrap_or_else(|e| panic!("{path} {w:?} M={m}: {e}"));
        let got: Vec<u16> = c.download(m * ldc).unwrap();
        for r in 0..m {
            for j in w.n..ldc {
                assert_eq!(got[r * ldc + j], 0xFFFF, "{path} {w:?} M={m}: wrote past N at row {r} col {j}");
            }
        }
        let mut want = refc[..m * w.n].to_vec();
        if bias {
            for r in 0..m {
                for j in 0..w.n {
                    want[r * w.n + j] += w.dtype.from_bits(self.bias[j]) as f64;
                }
            }
        }
        rel_error_bits(w.dtype, &got, ldc, m, w.n, &want)
    }
}

/// Tallies results and failures across the matrix; prints a summary.
#[derive(Default)]
struct Tally {
    runs: usize,
    failures: Vec<String>,
    worst: std::collections::BTreeMap<String, f64>,
}

impl Tally {
    fn record(&mut self, key: &str, what: String, err: f64, tol: f64) {
        self.runs += 1;
        let e = self.worst.entry(key.to_string()).or_insert(0.0);
        *e = e.max(if err.is_nan() { f64::INFINITY } else { err });
        if !(err <= tol) {
            self.failures.push(format!("{what}: rel err {err:.3e} > {tol:.0e}"));
        }
    }

    fn finish(self, name: &str) {
        println!("== {name}: {} runs, {} failed", self.runs, self.failures.len());
        for (k, v) in &self.worst {
            println!("   worst rel err {k:<22} {v:.3e}");
        }
        for f in self.failures.iter().take(40) {
            println!("   FAIL {f}");
        }
        assert!(self.failures.is_empty(), "{name}: {} of {} runs failed", self.failures.len(), self.runs);
    }
}

fn run_matrix(name: &str, shapes: &[(usize, usize)], m_values: &[usize], use_gpu_ref: bool, seed: u64) {
    let h = gpu();
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    let m_max = *m_values.iter().max().unwrap();
    for &(n, kk) in shapes {
        for dtype in DTYPES {
            for group in group_sizes(kk) {
                for zeros in [false, true] {
                    let w = WeightDesc::new(dtype, n, kk, group, zeros).unwrap();
                    let lda_pad = if rng.next_u64() % 2 == 0 { 0 } else { 8 };
                    let p = Problem::new(&h, w, m_max, lda_pad, &mut rng);
                    let refc = if use_gpu_ref { p.gpu_reference() } else { p.cpu_reference() };
                    for choice in choices().iter().filter(|c| runs(c, &w)) {
                        for &m in m_values {
                            for bias in [false, true] {
                                let ldc_pad = if (m + bias as usize) % 2 == 0 { 0 } else { 8 };
                                let err = p.check_choice(&h, choice, m, bias, ldc_pad, &refc);
                                let key = format!("{}/{}", choice.config_name(), dtype.name());
                                let what = format!(
                                    "{} {} N={n} K={kk} g={group} zeros={zeros} bias={bias} M={m} lda+{lda_pad} ldc+{ldc_pad}",
                                    choice.config_name(),
                                    dtype.name()
                                );
                                tally.record(&key, what, err, tolerance(dtype));
                            }
                        }
                    }
                    // The GEMV selection the dispatcher makes (configuration and split-K).
                    for &m in m_values.iter().filter(|&&m| m <= GEMV_MAX_M) {
                        let choice = Choice::heuristic(&w, m);
                        let err = p.check_choice(&h, &choice, m, true, 0, &refc);
                        let what = format!("{} {} N={n} K={kk} g={group} zeros={zeros} M={m}", choice.config_name(), dtype.name());
                        tally.record(&format!("gemv-heuristic/{}", dtype.name()), what, err, tolerance(dtype));
                    }
                }
            }
        }
    }
    tally.finish(name);
}

/// The device serializes these anyway; one at a time keeps memory and output readable.
static GPU_LOCK: Mutex<()> = Mutex::new(());

#[test]
#[ignore = "needs a GPU: make test runs it when one is present (see README)"]
fn gpu_matrix_small_shapes_cpu_reference() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Minimum multiples and a few awkward small shapes.
    run_matrix("small shapes vs f64 CPU reference", &[(64, 64), (128, 192), (192, 256), (256, 512)], &M_VALUES, false, 1);
}

/// Every GEMV configuration and several split-K factors (the heuristic picks only some of them),
/// including K with a 64-element tail past the last 128-k step, vs the f64 CPU reference.
#[test]
#[ignore = "needs a GPU"]
fn gpu_gemv_configs_small_shapes() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(8);
    let mut tally = Tally::default();
    let configs: [(i32, i32); 19] = [
        (0, 1), (0, 3), (1, 1), (1, 3), (2, 1), (2, 2), (2, 5), (2, 8), (1, 40), (3, 1), (3, 4), (4, 1), (4, 3),
        (5, 1), (5, 3), (6, 1), (6, 3), (7, 1), (7, 3),
    ];
    let m_values = [1, 2, 3, 8, 9, 12, 16, 17, 33];
    for (n, kk) in [(64, 64), (128, 192), (192, 256), (256, 512), (320, 1088)] {
        for dtype in DTYPES {
            for group in group_sizes(kk) {
                for zeros in [false, true] {
                    let w = WeightDesc::new(dtype, n, kk, group, zeros).unwrap();
                    let p = Problem::new(&h, w, 33, 8, &mut rng);
                    let refc = p.cpu_reference();
                    for (config, split_k) in configs {
                        let choice = Choice { path: Path::Gemv, config, split_k, reason: Reason::Forced };
                        for m in m_values {
                            for bias in [false, true] {
                                let err = p.check_choice(&h, &choice, m, bias, 8 * (m % 2), &refc);
                                let what = format!("{} {} N={n} K={kk} g={group} zeros={zeros} bias={bias} M={m}", choice.config_name(), dtype.name());
                                tally.record(&format!("gemv.cfg{config}/{}", dtype.name()), what, err, tolerance(dtype));
                            }
                        }
                    }
                }
            }
        }
    }
    tally.finish("GEMV configurations vs f64 CPU reference");
}

/// Configs 4-6 at M = 9..16 on grids past one full wave, where the launcher runs the row blocks of
/// a last wave at most half full as a second launch of wider CTAs: on a 132-SM card these N leave
/// 32, 200 and 300 row blocks of 32 past config 5's 528-CTA wave (two launches, two, one) and 32,
/// 200, 36 past config 4's 264 or 792 (two, one, two).
#[test]
#[ignore = "needs a GPU"]
fn gpu_gemv_balanced_last_wave() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(21);
    let mut tally = Tally::default();
    for n in [(528 + 32) * 32, (528 + 200) * 32, (528 + 300) * 32] {
        for dtype in DTYPES {
            for (kk, group, zeros) in [(256, 128, false), (192, 32, true), (128, 64, false)] {
                let w = WeightDesc::new(dtype, n, kk, group, zeros).unwrap();
                let p = Problem::new(&h, w, 16, 8, &mut rng);
                let refc = p.cpu_reference();
                for config in [4, 5, 6] {
                    let choice = Choice { path: Path::Gemv, config, split_k: 1, reason: Reason::Forced };
                    for m in [9, 16] {
                        for bias in [false, true] {
                            let err = p.check_choice(&h, &choice, m, bias, 8 * (m % 2), &refc);
                            let what = format!("{} {} N={n} K={kk} g={group} zeros={zeros} bias={bias} M={m}", choice.config_name(), dtype.name());
                            tally.record(&format!("gemv.cfg{config}/{}", dtype.name()), what, err, tolerance(dtype));
                        }
                    }
                }
            }
        }
    }
    tally.finish("GEMV last-wave balancing vs f64 CPU reference");
}

#[test]
#[ignore = "needs a GPU"]
fn gpu_reference_matches_cpu_reference() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(2);
    for dtype in DTYPES {
        for (group, zeros) in [(32, true), (128, false), (1024, true)] {
            let w = WeightDesc::new(dtype, 384, 1024, group, zeros).unwrap();
            let p = Problem::new(&h, w, 65, 8, &mut rng);
            let cpu = p.cpu_reference();
            let gpu = p.gpu_reference();
            let err = rel_error_f32(&gpu.iter().map(|&x| x as f32).collect::<Vec<_>>(), &cpu);
            println!("GPU fp32 reference vs CPU f64 reference {w:?}: {err:.2e}");
            assert!(err < 1e-5, "GPU reference disagrees with the CPU reference: {err:e} for {w:?}");
        }
    }
}

#[test]
#[ignore = "needs a GPU"]
fn gpu_matrix_large_shapes_gpu_reference() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    run_matrix("4096x4096 vs GPU reference", &[(4096, 4096)], &M_VALUES, true, 3);
}

#[test]
#[ignore = "needs a GPU"]
fn gpu_largest_shapes_gpu_reference() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(4);
    let mut tally = Tally::default();
    // The largest layer shapes, a subset of options (the small matrix covers every combination).
    for (n, kk) in [(8192, 28672), (28672, 8192)] {
        for (dtype, group, zeros) in [(Dtype::F16, 128, false), (Dtype::Bf16, 32, true), (Dtype::F16, kk, true)] {
            let w = WeightDesc::new(dtype, n, kk, group, zeros).unwrap();
            let p = Problem::new(&h, w, 1000, 0, &mut rng);
            let refc = p.gpu_reference();
            for choice in choices().iter().filter(|c| runs(c, &w)) {
                for m in [1, 16, 17, 1000] {
                    let err = p.check_choice(&h, choice, m, true, 0, &refc);
                    let name = choice.config_name();
                    let what = format!("{name} {} N={n} K={kk} g={group} zeros={zeros} M={m}", dtype.name());
                    tally.record(&format!("{name}/{}", dtype.name()), what, err, tolerance(dtype));
                }
            }
            for m in [1, 2, 8, 16] {
                let choice = Choice::heuristic(&w, m);
                let err = p.check_choice(&h, &choice, m, true, 0, &refc);
                let what = format!("{} {} N={n} K={kk} g={group} zeros={zeros} M={m}", choice.config_name(), dtype.name());
                tally.record(&format!("gemv-heuristic/{}", dtype.name()), what, err, tolerance(dtype));
            }
        }
    }
    tally.finish("largest shapes vs GPU reference");
}

#[test]
#[ignore = "needs a GPU"]
fn gpu_pack_matches_host_pack() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(5);
    for (n, kk) in [(64, 64), (4096, 1024)] {
        let w = WeightDesc::new(Dtype::F16, n, kk, 64, false).unwrap();
        let p = Problem::new(&h, w, 1, 0, &mut rng);
        w4a16::testing::synchronize().unwrap();
        let dev: Vec<u8> = p.d_packed.download(w.weight_bytes()).unwrap();
        let mut host = vec![0u8; w.weight_bytes()];
        w4a16::pack::pack_host(&w, &p.q_plain, &mut host).unwrap();
        assert!(dev == host, "device pack differs from host pack for {w:?}");
    }
}

#[test]
#[ignore = "needs a GPU"]
fn gpu_repeated_calls_are_bitwise_identical() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(6);
    let w = WeightDesc::new(Dtype::F16, 1024, 2048, 128, true).unwrap();
    let p = Problem::new(&h, w, 64, 0, &mut rng);
    for choice in choices().iter().filter(|c| runs(c, &w)) {
        for m in [1, 16, 64] {
            let run = || {
                let c = DevBuf::new(m * w.n * 2).unwrap();
                c.fill(0xFF).unwrap();
                let ops = Operands {
                    a: p.d_a.ptr(), lda: p.lda, packed_w: p.d_packed.ptr(), scales: p.d_scales.ptr(),
                    zeros: p.d_zeros.as_ref().unwrap().ptr(), bias: p.d_bias.ptr(), c: c.ptr(), ldc: w.n, m,
                    workspace: std::ptr::null_mut(), workspace_bytes: 0,
                };
                let ws = DevBuf::new(choice.workspace_bytes(&w, m).max(16)).unwrap();
                let ops = Operands { workspace: ws.ptr(), workspace_bytes: choice.workspace_bytes(&w, m), ..ops };
                unsafe { h.gemm_with(&w, &ops, choice, std::ptr::null_mut()) }.unwrap();
                w4a16::testing::synchronize().unwrap();
                c.download::<u16>(m * w.n).unwrap()
            };
            let first = run();
            for _ in 0..5 {
                assert!(run() == first, "{} M={m}: results differ between identical calls", choice.config_name());
            }
        }
    }
}

/// The SM90 launcher caches kernel parameters per thread (4 entries per instantiation, keyed by
/// every argument): interleave more distinct calls than it holds — other shapes, M, output
/// pointers, split-K — with immediate repeats (hits), each checked against the f64 reference.
#[test]
#[ignore = "needs a GPU"]
fn gpu_sm90_parameter_cache_hits_and_evictions() {
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(9);
    let mut tally = Tally::default();
    let problems: Vec<Problem> = [(128, 256), (192, 512), (256, 128)]
        .iter()
        .map(|&(n, kk)| Problem::new(&h, WeightDesc::new(Dtype::F16, n, kk, 64, false).unwrap(), 65, 0, &mut rng))
        .collect();
    let refs: Vec<Vec<f64>> = problems.iter().map(Problem::cpu_reference).collect();
    let mut configs: Vec<Choice> = dispatch::sm90_configs().into_iter().map(|c| Choice::tensor_core(c, 1)).collect();
    configs.extend(
        dispatch::sm90_configs()
            .into_iter()
            .filter(|&c| dispatch::sm90_config_info(c).unwrap().is_stream_k())
            .map(|c| Choice::tensor_core(c, 2)),
    );
    // Group 64: rows with a 128-deep K tile do not run it.
    configs.retain(|c| problems.iter().all(|p| c.is_supported(&p.w)));
    for round in 0..3 {
        for choice in &configs {
            for (p, refc) in problems.iter().zip(&refs) {
                for m in [17, 65] {
                    // Twice in a row: the second call is a cache hit (a new output buffer each
                    // time; check_choice allocates it, so the pointer may or may not repeat).
                    for repeat in 0..2 {
                        let err = p.check_choice(&h, choice, m, round % 2 == 1, 8 * (round % 2), refc);
                        let what = format!("{} N={} K={} M={m} round {round} repeat {repeat}", choice.config_name(), p.w.n, p.w.k);
                        tally.record(&choice.config_name(), what, err, tolerance(Dtype::F16));
                    }
                }
            }
        }
    }
    tally.finish("SM90 parameter cache: hits, evictions, pointer changes");
}

#[test]
#[ignore = "needs a GPU"]
fn gpu_quantized_model_weights_roundtrip() {
    // End to end through the library's own quantizer: float weights → quantize → pack → GEMM,
    // compared with the reference on the dequantized weights.
    let _g = GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let h = gpu();
    let mut rng = Rng::new(7);
    for dtype in DTYPES {
        let w = WeightDesc::new(dtype, 512, 1024, 64, true).unwrap();
        let wf: Vec<f32> = (0..w.n * w.k).map(|_| rng.normal() * 0.05).collect();
        let qz = quant::quantize(&w, &wf).unwrap();
        let m = 33;
        let a = random_bits(dtype, m * w.k, &mut rng, -1.0, 1.0);
        let d_a = DevBuf::from_slice(&a).unwrap();
        let d_plain = DevBuf::from_slice(&qz.q_plain).unwrap();
        let d_packed = DevBuf::new(w.weight_bytes()).unwrap();
        let d_s = DevBuf::from_slice(&qz.scales).unwrap();
        let d_z = DevBuf::from_slice(qz.zeros.as_ref().unwrap()).unwrap();
        let c = DevBuf::new(m * w.n * 2).unwrap();
        unsafe { h.pack(&w, d_plain.ptr(), d_packed.ptr(), std::ptr::null_mut()) }.unwrap();
        let want = reference_gemm(&w, m, &a, w.k, &qz.q_plain, &qz.scales, qz.zeros.as_deref(), None);
        for path in PATHS {
            c.fill(0xFF).unwrap();
            let ops = Operands {
                a: d_a.ptr(), lda: w.k, packed_w: d_packed.ptr(), scales: d_s.ptr(), zeros: d_z.ptr(),
                bias: std::ptr::null(), c: c.ptr(), ldc: w.n, m, workspace: std::ptr::null_mut(), workspace_bytes: 0,
            };
            unsafe { h.gemm_with(&w, &ops, &Choice::forced(path), std::ptr::null_mut()) }.unwrap();
            w4a16::testing::synchronize().unwrap();
            let got: Vec<u16> = c.download(m * w.n).unwrap();
            let err = rel_error_bits(dtype, &got, w.n, m, w.n, &want);
            assert!(err <= tolerance(dtype), "{path:?} {dtype:?}: {err:e}");
        }
    }
}
