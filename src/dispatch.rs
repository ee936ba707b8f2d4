//! Problem → path + configuration. All selection policy lives here; kernels only run what they
//! are told. The choice is a small `Copy` value computed without allocation (hot path).

use crate::error::{Error, Result};
use crate::kernels;
use crate::types::WeightDesc;

/// Which kernel family runs the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// CUDA-core GEMV (kernels/gemv): streams the packed weights; for decode-sized M.
    Gemv,
    /// Tensor-core kernels: config ids 0..=2 are the mma.sync family (kernels/mma), ids >= 16
    /// the Hopper TMA + wgmma family (kernels/sm90, rows of kernels/sm90/configs.def).
    TensorCore,
}

impl Path {
    /// Value of `w4a16_path_t` in the C API.
    pub fn code(self) -> i32 {
        match self {
            Path::Gemv => 0,
            Path::TensorCore => 1,
        }
    }
    pub fn from_code(code: i32) -> Option<Path> {
        match code {
            0 => Some(Path::Gemv),
            1 => Some(Path::TensorCore),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Path::Gemv => "gemv",
            Path::TensorCore => "tensor_core",
        }
    }
    pub fn parse(s: &str) -> Option<Path> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gemv" => Some(Path::Gemv),
            "tensor_core" | "tensorcore" | "tc" | "mma" | "gemm" => Some(Path::TensorCore),
            _ => None,
        }
    }
}

/// Why a configuration was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The built-in rule (no measurement for this problem).
    Heuristic,
    /// A measured tuning-table entry.
    Tuned,
    /// An override (API or W4A16_FORCE_PATH) — for debugging and tests.
    Forced,
    /// No measurement for this problem: the configuration measured fastest for the same N x K
    /// and M with another dtype, group size or zero mode (the weight stream and the grid are
    /// the same, so the ranking mostly carries over; H100: bf16, group 32/64 with the heuristic
    /// ran up to 1.5-2x slower than with the fp16 group-128 table's choice, bench/NOTES.md
    /// session 3). Reported to C as W4A16_PLAN_HEURISTIC: the problem itself is not tuned.
    Similar,
}

impl Reason {
    pub fn code(self) -> i32 {
        match self {
            Reason::Heuristic => 0,
            Reason::Tuned => 1,
            Reason::Forced => 2,
            Reason::Similar => 3,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Reason::Heuristic => "heuristic",
            Reason::Tuned => "tuned",
            Reason::Forced => "forced",
            Reason::Similar => "similar",
        }
    }
}

/// A complete, valid kernel selection for one (problem, M).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub path: Path,
    /// Family-specific variant id (`config` in kernels/launch.h); 0 = the family default.
    pub config: i32,
    pub split_k: i32,
    pub reason: Reason,
}

/// Largest M for which the heuristic prefers the GEMV. A guess until the tuner (issue: dispatch)
/// measures the crossover per shape and GPU.
pub const GEMV_MAX_M: usize = 16;

/// Largest K split any family accepts.
pub const MAX_SPLIT_K: i32 = 64;

/// Largest M for which the tuner also tries the SM90 stream-K rows as split-K 2/3/4.
pub const SM90_SPLIT_CANDIDATE_MAX_M: usize = 512;

/// GEMV family configuration ids (kernels/gemv/gemv.cu).
/// CUDA-core kernel (token rows share each dequantized weight in fp32 FMAs); split-K through the
/// workspace. Fastest at M = 1.
pub const GEMV_CFG_CUDA_CORE: i32 = 0;
/// Tensor-core kernel (mma.sync with the weights as the A operand); split-K through the workspace.
pub const GEMV_CFG_TC_WORKSPACE: i32 = 1;
/// Tensor-core kernel; split-K as one thread-block cluster reduced through distributed shared
/// memory (split <= GEMV_MAX_CLUSTER, no workspace, one launch).
pub const GEMV_CFG_TC_CLUSTER: i32 = 2;
/// As GEMV_CFG_TC_WORKSPACE, but at M > 8 the 16-token kernel runs at 4 CTAs per SM (half the
/// weight ring in flight per warp, a third more warps): faster on some shapes, slower on others
/// (H100: 28672x8192 M = 16 1.13x, 4096² 0.9x), so only the tuning table picks it.
pub const GEMV_CFG_TC_WORKSPACE_OCC4: i32 = 3;
/// GEMV_CFG_CUDA_CORE's grid (32 rows per CTA, the warps split K, no second kernel without
/// split-K) with the multiply on mma.sync: ~18 instructions per packed weight word instead of ~31,
/// the same at every M <= 8 (H100: 8192² M = 1-4 88-89% of the memory floor, 4096×14336 M = 2-4
/// 83% instead of 67%; bench/NOTES.md, session 7). M > 8 runs 16 token rows per CTA (two mma
/// token tiles per weight word): 1.04-1.07x the tensor-core GEMV at M = 9-16 on 4096² and 8192²
/// with group 128 (session 8); with natural-order activation rows (session 9) 1.13-1.45x on most
/// shapes. Only tables pick it above M = 8. Weights with zeros (since session 10): the
/// dequantized pairs are scaled and offset before the mma (one HFMA2 each), so a problem with
/// zeros may tune, load and borrow it too.
pub const GEMV_CFG_CUDA_CORE_MMA: i32 = 4;
/// GEMV_CFG_CUDA_CORE_MMA with 3-warp CTAs (4 per SM) whatever the grid: each warp streams twice
/// the steps of a 6-warp CTA, and 4 CTAs per SM overlap one's start and end with the others'
/// streams. Faster on grids of many short CTAs (H100: 28672x4096 M = 1-4 1.05-1.10x over the
/// tensor-core GEMV; bench/NOTES.md, session 9), slower on one-wave grids, so only tables pick
/// it. Zeros as GEMV_CFG_CUDA_CORE_MMA.
pub const GEMV_CFG_CUDA_CORE_MMA_NARROW: i32 = 5;
/// GEMV_CFG_CUDA_CORE_MMA_NARROW held to 4 CTAs per SM (through its shared-memory request). Kernels
/// below 137 registers (v2.13's with zeros) fit 5, which cost the H100 3-6% at M = 1 and 4-8 on
/// 28672-wide shapes but helped the H200 (bench/NOTES.md, session 13): only tables pick it.
pub const GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED: i32 = 6;
/// GEMV_CFG_CUDA_CORE_MMA with its weights streamed by cp.async into a per-warp shared ring (and
/// every group's scales through the shared scale ring), so that its k loop waits by cp.async group
/// counts rather than on the one scoreboard all its register loads share; at most 2 CTAs per SM.
/// Only tables pick it: the H100 table in 103 decode buckets (4096² and 6144x4096 at most M, some
/// zeros / group-32 buckets of larger shapes; 4096² fp16 g128 M = 1 1.14x), the H200 table in 186
/// (bench/NOTES.md, session 16).
pub const GEMV_CFG_CUDA_CORE_MMA_SMEM_W: i32 = 7;
/// Every GEMV configuration (tests run each).
pub const GEMV_CONFIGS: [i32; 8] = [
    GEMV_CFG_CUDA_CORE,
    GEMV_CFG_TC_WORKSPACE,
    GEMV_CFG_TC_CLUSTER,
    GEMV_CFG_TC_WORKSPACE_OCC4,
    GEMV_CFG_CUDA_CORE_MMA,
    GEMV_CFG_CUDA_CORE_MMA_NARROW,
    GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED,
    GEMV_CFG_CUDA_CORE_MMA_SMEM_W,
];
/// Whether a GEMV configuration is the CUDA-core grid with the mma.sync multiply (configs 4-7).
pub fn gemv_config_is_mma_grid(config: i32) -> bool {
    matches!(
        config,
        GEMV_CFG_CUDA_CORE_MMA
            | GEMV_CFG_CUDA_CORE_MMA_NARROW
            | GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED
            | GEMV_CFG_CUDA_CORE_MMA_SMEM_W
    )
}
/// Largest split of GEMV_CFG_TC_CLUSTER (portable cluster size).
pub const GEMV_MAX_CLUSTER: i32 = 8;
/// Output channels per CTA of the tensor-core GEMV and of the CUDA-core GEMV.
const GEMV_TC_ROWS_PER_CTA: usize = 128;
const GEMV_CC_ROWS_PER_CTA: usize = 16;
/// Output channels per CTA of the mma grid (configurations 4-7).
const GEMV_MMA_ROWS_PER_CTA: usize = 32;
/// SM count the heuristic assumes when the caller has none to give (H100 SXM).
pub const DEFAULT_SM_COUNT: usize = 132;

/// Smallest N for which the GEMV heuristic runs the mma grid (configurations 4-7) at M <= 2 for
/// weights with zeros: below it N/32 CTAs leave most SMs idle where configuration 0 splits K
/// (H100, session 10: 1024x4096 0.82-0.86x; session 21: 1024x8192 0.84-0.96x).
const GEMV_MMA_MIN_N_ZEROS_AT_M2: usize = 2048;
/// CTAs of 32 output channels (configurations 4-7) per SM, times two, from which the heuristic
/// picks the 3-warp CTAs of configurations 5/6 (2.5 per SM: N >= 10560 on 132 SMs) and up to
/// which it picks configuration 7 at M <= GEMV_SMEM_W_MAX_M (1.5 per SM: N <= 6336 on 132 SMs).
const GEMV_NARROW_MIN_HALF_CTAS_PER_SM: usize = 5;
const GEMV_SMEM_W_MAX_HALF_CTAS_PER_SM: usize = 3;
/// Largest M for which the heuristic picks configuration 7 (at M = 9-16 it was within 0.91-1.06x
/// of configuration 4 on the session 21 shapes).
const GEMV_SMEM_W_MAX_M: usize = 8;

/// The GEMV heuristic: (config, split_k) for M token rows — a pure function of (M, N, K,
/// sm_count, whether the weights are scale-only) (dtype and group size do not change the choice).
/// Tuning tables answer for the shapes they hold; this answers for every other shape (and for
/// every shape on a card without a table). Since session 21 (H100, 12 untuned layer shapes of
/// common models from 1024x4096 to 57344x8192, fp16, groups 128 and 32, scale-only and zeros,
/// M = 1-16, every configuration forced; bench/NOTES.md session 21), by C = N / 32 CTAs of the mma
/// grid per SM:
/// - C >= 2.5: the 3-warp CTAs, configuration 5 (scale-only) or 6 (zeros: held to four CTAs per
///   SM, which won on most such shapes at M <= 8), at every M. The previous rule (configuration
///   4 at M <= 2, the 128-channel tensor-core GEMV above) was 1.05-1.99x slower at M >= 3 and
///   up to 1.5x at M <= 2 with zeros. 57344x8192 (C = 13.6) is the exception: configuration 7
///   ran 1.03-1.08x ahead of 5/6 at M <= 8, and configuration 5 0.98x of 4 at M = 1-2.
/// - 1.5 < C < 2.5 (8192- and 10240-wide): configuration 4 at every M (10240x8192: 1.06-1.31x
///   over the previous picks at M = 1 with zeros and M >= 3).
/// - C <= 1.5: configuration 7 at M <= GEMV_SMEM_W_MAX_M (1.01-1.21x over configuration 4,
///   1.14-1.78x over the tensor-core GEMV the previous rule ran at M = 3-8 with zeros or group 32,
///   1.05-1.56x over configuration 0 with zeros at M = 1), configuration 4 at M = 9-16; except
///   zeros at M <= 2 below N = GEMV_MMA_MIN_N_ZEROS_AT_M2, where configuration 0 splits K over
///   the idle SMs.
/// The tensor-core GEMV (configurations 1-3) is left to the tables.
pub fn gemv_config(
    m: usize,
    n: usize,
    k: usize,
    sm_count: usize,
    scale_only: bool,
) -> (i32, i32) {
    let sm = sm_count.max(1);
    let half_ctas_per_sm = 2 * n.div_ceil(GEMV_MMA_ROWS_PER_CTA);
    if half_ctas_per_sm >= GEMV_NARROW_MIN_HALF_CTAS_PER_SM * sm {
        let config = if scale_only { GEMV_CFG_CUDA_CORE_MMA_NARROW } else { GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED };
        return (config, 1);
    }
    if half_ctas_per_sm > GEMV_SMEM_W_MAX_HALF_CTAS_PER_SM * sm {
        return (GEMV_CFG_CUDA_CORE_MMA, 1);
    }
    if !scale_only && m <= 2 && n < GEMV_MMA_MIN_N_ZEROS_AT_M2 {
        return (GEMV_CFG_CUDA_CORE, cuda_core_split(n, k, sm));
    }
    (if m <= GEMV_SMEM_W_MAX_M { GEMV_CFG_CUDA_CORE_MMA_SMEM_W } else { GEMV_CFG_CUDA_CORE_MMA }, 1)
}

/// The CUDA-core kernel's split: 1 when N/16 CTAs fill the SMs, else about two CTAs per SM,
/// keeping >= 1024 k per split.
fn cuda_core_split(n: usize, k: usize, sm: usize) -> i32 {
    let ctas = n.div_ceil(GEMV_CC_ROWS_PER_CTA);
    let split = if ctas >= sm { 1 } else { (2 * sm / ctas).clamp(1, (k / 1024).max(1)) };
    split as i32
}

/// The tensor-core GEMV's split (configurations 1-3, forced with split 0; the heuristic's rule
/// for them until session 21): when ceil(N/128)·ceil(M/MT) CTAs leave SMs idle, about three CTAs
/// per SM (its occupancy), keeping >= 4 k-steps (512 k) per split, at most GEMV_MAX_CLUSTER.
fn tc_gemv_split(m: usize, n: usize, k: usize, sm: usize) -> i32 {
    let mt = if m <= 8 { 8 } else { 16 };
    let ctas = n.div_ceil(GEMV_TC_ROWS_PER_CTA) * m.div_ceil(mt);
    if ctas >= sm {
        return 1;
    }
    let max_by_k = (k.div_ceil(128) / 4).max(1);
    (3 * sm / ctas).clamp(1, (GEMV_MAX_CLUSTER as usize).min(max_by_k)) as i32
}

/// `W4A16_GEMV_CONFIG=<config>[:<split>]` replaces the GEMV heuristic's choice (M <= GEMV_MAX_M),
/// for measuring one configuration against another; read once per process.
fn gemv_config_override() -> Option<(i32, i32)> {
    static OVERRIDE: std::sync::OnceLock<Option<(i32, i32)>> = std::sync::OnceLock::new();
    *OVERRIDE.get_or_init(|| {
        let v = std::env::var("W4A16_GEMV_CONFIG").ok()?;
        let mut it = v.trim().split(':');
        let cfg: i32 = it.next()?.trim().parse().ok()?;
        let split: i32 = it.next().map_or(Some(0), |s| s.trim().parse().ok())?;
        GEMV_CONFIGS.contains(&cfg).then_some((cfg, split))
    })
}

/// First config id of the SM90 (TMA + wgmma) family; below it: the mma.sync family.
pub const SM90_FIRST_CONFIG: i32 = 16;

/// SM90 configuration ids the heuristic uses (rows of kernels/sm90/configs.def; a unit test checks
/// that each exists in the table).
pub mod sm90_cfg {
    /// Cooperative 128 (weights) x 128 (tokens), persistent.
    pub const COOP_128X128: i32 = 16;
    /// Cooperative 128 x 256, persistent.
    pub const COOP_128X256: i32 = 17;
    /// Cooperative 128 x 128, cluster 2x1 (tokens multicast to two weight tiles).
    pub const COOP_128X128_C2X1: i32 = 18;
    /// Cooperative 128 x 64.
    pub const COOP_128X64: i32 = 19;
    /// Cooperative 128 x 256, cluster 2x1.
    pub const COOP_128X256_C2X1: i32 = 20;
    /// Cooperative 256 x 128 (128 weight rows per consumer warp group).
    pub const COOP_256X128: i32 = 21;
    /// Ping-pong 64 x 128 / 64 x 64 / 64 x 32 / 64 x 16.
    pub const PP_64X128: i32 = 24;
    pub const PP_64X64: i32 = 25;
    pub const PP_64X32: i32 = 26;
    pub const PP_64X16: i32 = 27;
    /// Cooperative with the stream-K / split-K scheduler (deterministic reduction).
    pub const SK_128X64: i32 = 32;
    pub const SK_128X32: i32 = 33;
    pub const SK_128X128: i32 = 34;
    pub const SK_128X256: i32 = 35;
    /// Cooperative 256 x 64 with the stream-K / split-K scheduler.
    pub const SK_256X64: i32 = 36;
    /// Stream-K 128 x 64 and 128 x 128 with a 128-deep K tile (group_size % 128 == 0).
    pub const SK_128X64_K128: i32 = 40;
    pub const SK_128X128_K128: i32 = 41;
    /// Stream-K 256 x 64, cooperative 256 x 128 and 128 x 128, stream-K 128 x 32, all with a
    /// 128-deep K tile (group_size % 128 == 0).
    pub const SK_256X64_K128: i32 = 42;
    pub const COOP_256X128_K128: i32 = 43;
    pub const COOP_128X128_K128: i32 = 44;
    pub const SK_128X32_K128: i32 = 47;
}

/// Every SM90 configuration id of the table (ids >= 16 for which the kernels library has a row).
pub fn sm90_configs() -> Vec<i32> {
    (SM90_FIRST_CONFIG..256).filter(|&c| sm90_config_info(c).is_some()).collect()
}

/// The SM90 row with the same tiles, cluster and schedule as `config` and the 64-deep K tile, for a
/// row with a deeper one (e.g. 44, coop 128x128 with K tile 128 -> 16). Built once from the
/// kernels' table; no allocation after the first call.
pub fn sm90_k64_twin(config: i32) -> Option<i32> {
    static TWINS: std::sync::OnceLock<Vec<(i32, i32)>> = std::sync::OnceLock::new();
    let twins = TWINS.get_or_init(|| {
        let rows: Vec<(i32, kernels::Sm90Config)> =
            sm90_configs().into_iter().filter_map(|c| sm90_config_info(c).map(|r| (c, r))).collect();
        rows.iter()
            .filter(|(_, r)| r.tile_k != 64)
            .filter_map(|&(c, r)| {
                let shallow = kernels::Sm90Config { tile_k: 64, ..r };
                rows.iter().find(|(_, t)| *t == shallow).map(|&(t, _)| (c, t))
            })
            .collect()
    });
    twins.iter().find(|&&(c, _)| c == config).map(|&(_, t)| t)
}

/// The table row of an SM90 config id.
pub fn sm90_config_info(config: i32) -> Option<kernels::Sm90Config> {
    if config < SM90_FIRST_CONFIG {
        return None;
    }
    let mut info = kernels::Sm90Config::default();
    // SAFETY: pure table lookup in the kernels library; `info` is a valid out pointer.
    (unsafe { kernels::w4a16k_sm90_config_info(config, &mut info) } == 1).then_some(info)
}

/// Whether the SM90 family can run this weight configuration at all: CUTLASS's mixed-input
/// mainloop needs the group to be a multiple of its K tile (64 for most rows) or the whole K
/// (per-channel). A row's own K tile may be deeper: see [`sm90_row_supports`].
pub fn sm90_supports(w: &WeightDesc) -> bool {
    w.group_size % 64 == 0 || w.group_size == w.k
}

/// Whether one SM90 row can run this weight configuration: the group must be a multiple of the
/// row's K tile, or the whole K with K a multiple of it (rows with a 128-deep K tile leave group 64
/// to the others).
pub fn sm90_row_supports(w: &WeightDesc, row: &kernels::Sm90Config) -> bool {
    let tile_k = row.tile_k.max(1) as usize;
    w.group_size % tile_k == 0 || (w.group_size == w.k && w.k % tile_k == 0)
}

/// Overrides the tensor-core configuration (and split) from W4A16_TC_CONFIG="id" or "id:split",
/// read once per process: for measuring each configuration with the unchanged benchmark tool.
fn tc_config_override() -> Option<(i32, i32)> {
    static OVERRIDE: std::sync::OnceLock<Option<(i32, i32)>> = std::sync::OnceLock::new();
    *OVERRIDE.get_or_init(|| {
        let v = std::env::var("W4A16_TC_CONFIG").ok()?;
        let mut it = v.trim().split(':');
        let config = it.next()?.trim().parse::<i32>().ok()?;
        let split = it.next().map_or(Some(1), |s| s.trim().parse::<i32>().ok())?;
        Some((config, split.max(1)))
    })
}

impl Choice {
    /// The built-in rule; always yields a valid configuration for any validated problem.
    pub fn heuristic(w: &WeightDesc, m: usize) -> Choice {
        Choice::heuristic_sm(w, m, DEFAULT_SM_COUNT)
    }

    /// The built-in rule for a device with `sm_count` SMs (after the environment's overrides).
    pub fn heuristic_sm(w: &WeightDesc, m: usize, sm_count: usize) -> Choice {
        if let Some(choice) = Self::env_override(w, m, sm_count) {
            return choice;
        }
        if m > GEMV_MAX_M {
            let (config, split_k) = Self::tensor_core_rule(w, m);
            return Choice { path: Path::TensorCore, config, split_k, reason: Reason::Heuristic };
        }
        let (config, split_k) = gemv_config(m, w.n, w.k, sm_count, !w.has_zeros);
        Choice { path: Path::Gemv, config, split_k, reason: Reason::Heuristic }
    }

    /// The configuration `W4A16_GEMV_CONFIG` (M <= GEMV_MAX_M) or `W4A16_TC_CONFIG` (larger M)
    /// names, if set and runnable for (w, m): it takes precedence over tuning tables and the
    /// heuristic, so that the unchanged benchmark tool measures one configuration.
    pub fn env_override(w: &WeightDesc, m: usize, sm_count: usize) -> Option<Choice> {
        let choice = if m > GEMV_MAX_M {
            let (config, split_k) = tc_config_override()?;
            Choice { path: Path::TensorCore, config, split_k, reason: Reason::Forced }
        } else {
            let (config, split) = gemv_config_override()?;
            // split 0: the heuristic's split for that family (clamped to the cluster limit).
            let mut split_k = if split > 0 {
                split
            } else {
                match config {
                    GEMV_CFG_CUDA_CORE => cuda_core_split(w.n, w.k, sm_count.max(1)),
                    c if gemv_config_is_mma_grid(c) => 1,
                    _ => tc_gemv_split(m, w.n, w.k, sm_count.max(1)),
                }
            };
            if config == GEMV_CFG_TC_CLUSTER {
                split_k = split_k.min(GEMV_MAX_CLUSTER);
            }
            Choice { path: Path::Gemv, config, split_k, reason: Reason::Forced }
        };
        choice.is_supported(w).then_some(choice)
    }

    /// Tensor-core configuration and split for (w, m): the SM90 family where it applies, the
    /// mma.sync kernel for group 32 (below the SM90 K tile).
    fn tensor_core_rule(w: &WeightDesc, m: usize) -> (i32, i32) {
        if !sm90_supports(w) {
            return (0, 1);
        }
        use sm90_cfg::*;
        // Measured on H100 (bench/NOTES.md, sm90.v1): the int4 -> 16-bit conversion in the
        // mainloop is paid once per (weight, token tile), so the widest token tile the machine can
        // fill wins; small M has few output tiles (N/128 for an 8192-wide layer: 64 CTAs for 132
        // SMs), there stream-K spreads the K loop over the SMs (deterministic reduction).
        let tiles = |tile_n: usize, tile_m: usize| w.n.div_ceil(tile_n) * m.div_ceil(tile_m);
        let config = if m <= 32 {
            SK_128X32
        } else if m <= 64 {
            SK_128X64
        } else if m >= 2048 && tiles(128, 256) >= 100 {
            // Cluster 2x1 multicasts the token tile to two weight tiles: ~5% at M=4096.
            COOP_128X256_C2X1
        } else if m >= 256 && tiles(128, 256) >= 100 {
            COOP_128X256
        } else if m >= 256 && w.k >= 16384 {
            SK_128X256
        } else if tiles(128, 128) >= 100 {
            COOP_128X128
        } else if w.k >= 16384 || tiles(64, 128) < 100 {
            SK_128X128
        } else {
            PP_64X128
        };
        (config, 1)
    }

    /// The same selection on a forced path, with that path's default configuration.
    pub fn forced(path: Path) -> Choice {
        Choice { path, config: 0, split_k: 1, reason: Reason::Forced }
    }

    /// Whether the kernels can run this selection for this problem (a tuning-cache entry that
    /// names anything else is rejected, never launched).
    pub fn is_supported(&self, w: &WeightDesc) -> bool {
        match self.path {
            Path::Gemv => match self.config {
                GEMV_CFG_TC_CLUSTER => (1..=GEMV_MAX_CLUSTER).contains(&self.split_k),
                c => GEMV_CONFIGS.contains(&c) && (1..=MAX_SPLIT_K).contains(&self.split_k),
            },
            Path::TensorCore if self.config >= SM90_FIRST_CONFIG => {
                sm90_supports(w)
                    && sm90_config_info(self.config).is_some_and(|row| sm90_row_supports(w, &row))
                    && (1..=MAX_SPLIT_K).contains(&self.split_k)
            }
            Path::TensorCore => (0..=2).contains(&self.config) && self.split_k == 1,
        }
    }

    /// This selection if it can run `w`; else, where only an SM90 row's 128-deep K tile rules it
    /// out (a choice tuned for group 128 looked up for group 64 of the same shape), the row with
    /// the same tiles, cluster, schedule and split but the 64-deep K tile.
    pub fn supported_for(&self, w: &WeightDesc) -> Option<Choice> {
        if self.is_supported(w) {
            return Some(*self);
        }
        if self.path != Path::TensorCore {
            return None;
        }
        let twin = Choice { config: sm90_k64_twin(self.config)?, ..*self };
        twin.is_supported(w).then_some(twin)
    }

    /// A forced path with the configuration the rule picks on that path for (w, m).
    pub fn forced_for(path: Path, w: &WeightDesc, m: usize) -> Choice {
        match path {
            Path::Gemv => Choice::forced(path),
            Path::TensorCore => {
                let (config, split_k) = Self::tensor_core_rule(w, m);
                Choice { path, config, split_k, reason: Reason::Forced }
            }
        }
    }

    /// An explicit tensor-core configuration (tests force every one).
    pub fn tensor_core(config: i32, split_k: i32) -> Choice {
        Choice { path: Path::TensorCore, config, split_k, reason: Reason::Forced }
    }

    /// Whether a handle with programmatic dependent launch on (w4a16_set_pdl) launches this
    /// selection with it. Measured on H100, CUDA-graph replay of back-to-back calls
    /// (bench/NOTES.md, session 3): the GEMV family gains 1.02-1.34x, except the tensor-core
    /// GEMV's 16-token kernel (M > 8) on large weights, which lost 6-14% on 4 of the 5 shapes
    /// over 16 MiB (and gained 1.06-1.21x on the two under it). The SM90 family (session 6):
    /// stream-K rows 1.04-1.18x at M = 32-128 (their barrier reset becomes a PDL kernel instead of
    /// a memset node), the others 1.00-1.03x, no loss beyond noise. The mma.sync family never uses it.
    pub fn uses_pdl(&self, w: &WeightDesc, m: usize) -> bool {
        const TC16_PDL_MAX_WEIGHT_BYTES: usize = 16 << 20;
        match self.path {
            Path::TensorCore => self.is_sm90(),
            Path::Gemv
                if self.config == GEMV_CFG_CUDA_CORE
                    || gemv_config_is_mma_grid(self.config)
                    || m <= 8 =>
            {
                true
            }
            Path::Gemv => w.weight_bytes() <= TC16_PDL_MAX_WEIGHT_BYTES,
        }
    }

    /// Whether this selection is an SM90 (TMA + wgmma) configuration.
    pub fn is_sm90(&self) -> bool {
        self.path == Path::TensorCore && self.config >= SM90_FIRST_CONFIG
    }

    /// Human-readable configuration name (stable enough for logs and the tuning cache; < 64 bytes).
    /// The vN after the family is the kernel generation: v2 = the kernels of packed layout v2.
    pub fn config_name(&self) -> String {
        match self.path {
            Path::Gemv => format!("gemv.v2.cfg{}.splitk{}", self.config, self.split_k),
            Path::TensorCore if self.is_sm90() => match sm90_config_info(self.config) {
                Some(c) => {
                    let sched = match c.schedule {
                        kernels::SM90_COOP => "coop",
                        kernels::SM90_PINGPONG => "pp",
                        _ => "sk",
                    };
                    let split = if self.split_k > 1 { format!(".splitk{}", self.split_k) } else { String::new() };
                    let deep = if c.tile_k != 64 { format!(".k{}", c.tile_k) } else { String::new() };
                    format!(
                        "sm90.v2.cfg{}.{sched}{}x{}{deep}.c{}x{}{split}",
                        self.config, c.tile_w, c.tile_t, c.cluster_w, c.cluster_t
                    )
                }
                None => format!("sm90.v2.cfg{}(unknown)", self.config),
            },
            Path::TensorCore => format!("mma_sync.v1.cfg{}", self.config),
        }
    }

    /// Device scratch this selection needs for `m` token rows.
    pub fn workspace_bytes(&self, w: &WeightDesc, m: usize) -> usize {
        match self.path {
            // The cluster configuration reduces on chip.
            Path::Gemv if self.config == GEMV_CFG_TC_CLUSTER => 0,
            // SAFETY: pure size computation in the kernels library.
            Path::Gemv => unsafe {
                kernels::w4a16k_gemv_workspace_bytes(m as i64, w.n as i64, self.split_k)
            },
            Path::TensorCore if self.is_sm90() => {
                let args = kernels::GemmArgs {
                    // Only NULL-ness is read (which zero mode); never dereferenced.
                    zeros: if w.has_zeros { 16usize as *const std::ffi::c_void } else { std::ptr::null() },
                    config: self.config,
                    split_k: self.split_k,
                    ..kernels::GemmArgs::shape(m as i64, w.n as i64, w.k as i64, w.group_size as i32, w.dtype.code())
                };
                // SAFETY: pure size computation; no pointer of `args` is dereferenced.
                unsafe { kernels::w4a16k_sm90_workspace_bytes(&args) }
            }
            Path::TensorCore => 0,
        }
    }

    /// Why this selection, in words, for `w4a16_plan`.
    pub fn explain(&self, m: usize) -> String {
        match self.reason {
            Reason::Heuristic => match self.path {
                Path::Gemv => format!(
                    "heuristic: M={m} <= {GEMV_MAX_M}, memory-bound: {} streams the packed weights{}",
                    match self.config {
                        GEMV_CFG_CUDA_CORE => "CUDA-core GEMV",
                        GEMV_CFG_CUDA_CORE_MMA => "CUDA-core-grid GEMV with the multiply on mma.sync",
                        GEMV_CFG_CUDA_CORE_MMA_NARROW => {
                            "CUDA-core-grid GEMV with the multiply on mma.sync, 3-warp CTAs"
                        }
                        GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED => {
                            "CUDA-core-grid GEMV with the multiply on mma.sync, 3-warp CTAs, 4 per SM"
                        }
                        GEMV_CFG_CUDA_CORE_MMA_SMEM_W => {
                            "CUDA-core-grid GEMV with the multiply on mma.sync, weights through shared memory"
                        }
                        _ => "tensor-core GEMV (mma.sync, weights as A)",
                    },
                    if self.split_k > 1 { format!(", K split {} ways to fill the SMs", self.split_k) } else { String::new() }
                ),
                Path::TensorCore if self.is_sm90() => format!(
                    "heuristic: M={m} > {GEMV_MAX_M}: Hopper TMA+wgmma mixed-input GEMM, tokens on the narrow tile side"
                ),
                Path::TensorCore => format!(
                    "heuristic: M={m} > {GEMV_MAX_M}, group 32 < the wgmma K tile (64): mma.sync tensor-core kernel"
                ),
            },
            Reason::Tuned => format!("tuned: fastest measured candidate for M={m}"),
            Reason::Similar => format!(
                "heuristic: this problem is not tuned; the configuration measured fastest for the same N x K at M={m} with another dtype, group size or zero mode (w4a16_tune measures this one)"
            ),
            Reason::Forced => format!(
                "forced: path {} requested by an override (w4a16_force_path, W4A16_FORCE_PATH, W4A16_GEMV_CONFIG or W4A16_TC_CONFIG)",
                self.path.name()
            ),
        }
    }
}

/// Every configuration the tuner times for this problem and M (all supported, all valid).
pub fn candidates(w: &WeightDesc, m: usize) -> Vec<Choice> {
    let mut v = Vec::new();
    let mk = |path, config, split_k| Choice { path, config, split_k, reason: Reason::Tuned };
    if m <= 64 {
        // 3 and 6 as well as powers of two: the grid of a 128-row CTA times the split should
        // come close to whole waves of the card (H100: 3 tensor-core GEMV CTAs on each of 132
        // SMs; 28672 rows at split 4 make 2.26 waves, and the 16-token kernel pays for the tail).
        for config in GEMV_CONFIGS {
            if config == GEMV_CFG_TC_WORKSPACE_OCC4 && m <= 8 {
                continue; // the same kernel as GEMV_CFG_TC_WORKSPACE there
            }
            for split_k in [1, 2, 3, 4, 6, 8] {
                v.push(mk(Path::Gemv, config, split_k));
            }
        }
    }
    for config in 0..=2 {
        v.push(mk(Path::TensorCore, config, 1));
    }
    if sm90_supports(w) {
        for config in sm90_configs() {
            v.push(mk(Path::TensorCore, config, 1));
            // The stream-K rows also run as plain split-K (split 1 = CUTLASS's stream-K
            // decomposition): with few output tiles (M <= 512) a fixed split that makes whole
            // waves can beat stream-K's per-unit fixup.
            let stream_k = sm90_config_info(config).is_some_and(|c| c.is_stream_k());
            if stream_k && m <= SM90_SPLIT_CANDIDATE_MAX_M {
                for split_k in [2, 3, 4] {
                    v.push(mk(Path::TensorCore, config, split_k));
                }
            }
        }
    }
    v.retain(|c| c.is_supported(w));
    v
}

/// Reads the W4A16_FORCE_PATH override ("gemv" or "tensor_core"); unset or empty = none.
pub fn forced_path_from_env() -> Result<Option<Path>> {
    match std::env::var("W4A16_FORCE_PATH") {
        Ok(v) if !v.trim().is_empty() => Path::parse(&v).map(Some).ok_or_else(|| {
            Error::invalid(format!(
                "W4A16_FORCE_PATH={v:?} is not a path (use \"gemv\" or \"tensor_core\")"
            ))
        }),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Dtype;

    #[test]
    fn pdl_only_where_measured_to_pay() {
        let big = WeightDesc::new(Dtype::F16, 8192, 8192, 128, false).unwrap(); // 32 MiB
        let small = WeightDesc::new(Dtype::F16, 4096, 4096, 128, false).unwrap(); // 8 MiB
        let gemv = |config| Choice { path: Path::Gemv, config, split_k: 1, reason: Reason::Forced };
        for w in [&big, &small] {
            for m in [1, 8, 16] {
                assert!(gemv(GEMV_CFG_CUDA_CORE).uses_pdl(w, m));
                assert!(!Choice::tensor_core(0, 1).uses_pdl(w, m)); // mma.sync family
            }
            for m in [16, 64, 1024] {
                for c in sm90_configs() {
                    assert!(Choice::tensor_core(c, 1).uses_pdl(w, m), "SM90 config {c}");
                }
            }
            for cfg in [GEMV_CFG_TC_WORKSPACE, GEMV_CFG_TC_CLUSTER] {
                assert!(gemv(cfg).uses_pdl(w, 8));
            }
        }
        assert!(!gemv(GEMV_CFG_TC_WORKSPACE).uses_pdl(&big, 16));
        assert!(gemv(GEMV_CFG_TC_CLUSTER).uses_pdl(&small, 16));
    }

    #[test]
    fn gemv_heuristic_is_valid_for_every_shape_and_m() {
        for &(n, k) in &[(64, 64), (4096, 4096), (6144, 4096), (8192, 8192), (28672, 4096), (4096, 14336), (1024, 57344)] {
            for m in 1..=GEMV_MAX_M {
                for sm in [1, 78, 132, 1000] {
                    for scale_only in [false, true] {
                        let (cfg, split) = gemv_config(m, n, k, sm, scale_only);
                        assert!(GEMV_CONFIGS.contains(&cfg));
                        assert!(split >= 1);
                        // The mma grid everywhere but zeros at M <= 2 below N = 2048, where
                        // configuration 0 may split K (unless N/32 CTAs fill the SMs anyway).
                        if scale_only || m > 2 || n >= GEMV_MMA_MIN_N_ZEROS_AT_M2 {
                            assert!(gemv_config_is_mma_grid(cfg), "{n}x{k} M={m} sm={sm}: {cfg}");
                        } else {
                            assert!(cfg == GEMV_CFG_CUDA_CORE || gemv_config_is_mma_grid(cfg));
                        }
                        assert!(split == 1 || cfg == GEMV_CFG_CUDA_CORE);
                    }
                }
            }
        }
        let (narrow, capped, mma, smem_w) = (
            GEMV_CFG_CUDA_CORE_MMA_NARROW,
            GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED,
            GEMV_CFG_CUDA_CORE_MMA,
            GEMV_CFG_CUDA_CORE_MMA_SMEM_W,
        );
        // By CTAs of the mma grid per SM (132 SMs): >= 2.5 (N >= 10560) the 3-warp CTAs, above
        // 1.5 (N > 6336) configuration 4, below configuration 7 at M <= 8.
        for m in [1, 3, 8, 16] {
            assert_eq!(gemv_config(m, 28672, 8192, 132, true), (narrow, 1));
            assert_eq!(gemv_config(m, 14336, 4096, 132, false), (capped, 1));
            assert_eq!(gemv_config(m, 10560, 4096, 132, true), (narrow, 1));
            assert_eq!(gemv_config(m, 10528, 4096, 132, false), (mma, 1));
            assert_eq!(gemv_config(m, 8192, 8192, 132, false), (mma, 1));
            assert_eq!(gemv_config(m, 6400, 4096, 132, true), (mma, 1));
            let small = if m <= 8 { smem_w } else { mma };
            assert_eq!(gemv_config(m, 6336, 4096, 132, true), (small, 1));
            assert_eq!(gemv_config(m, 4096, 14336, 132, false), (small, 1));
            // Fewer SMs: the same N is more CTAs per SM (H100 PCIe, 114 SMs: 9120 = 2.5 per SM).
            assert_eq!(gemv_config(m, 9120, 4096, 114, true), (narrow, 1));
        }
        // Zeros at M <= 2 below N = 2048: configuration 0 splits K.
        assert_eq!(gemv_config(1, 1024, 4096, 132, false), (GEMV_CFG_CUDA_CORE, 4));
        assert_eq!(gemv_config(2, 1024, 4096, 132, false).0, GEMV_CFG_CUDA_CORE);
        assert_eq!(gemv_config(3, 1024, 4096, 132, false), (smem_w, 1));
        assert_eq!(gemv_config(1, 1024, 4096, 132, true), (smem_w, 1));
        assert_eq!(gemv_config(1, 2048, 4096, 132, false), (smem_w, 1));
        // The tensor-core GEMV's split, for W4A16_GEMV_CONFIG=1|2|3:0.
        assert_eq!(tc_gemv_split(16, 4096, 4096, 132), 8);
        assert_eq!(tc_gemv_split(4, 28672, 8192, 132), 1);
        assert_eq!(tc_gemv_split(8, 8192, 1024, 132), 2);
    }

    #[test]
    fn gemv_mma_grid_configs_run_scales_and_zeros() {
        // Since session 10 the mma grid applies zeros in its own kernels, so a problem with zeros
        // tunes, loads and borrows configs 4-7 like any other.
        let scale_only = WeightDesc::new(Dtype::F16, 8192, 8192, 128, false).unwrap();
        let zeros = WeightDesc::new(Dtype::F16, 8192, 8192, 128, true).unwrap();
        for config in [
            GEMV_CFG_CUDA_CORE_MMA,
            GEMV_CFG_CUDA_CORE_MMA_NARROW,
            GEMV_CFG_CUDA_CORE_MMA_NARROW_CAPPED,
            GEMV_CFG_CUDA_CORE_MMA_SMEM_W,
        ] {
            assert!(gemv_config_is_mma_grid(config));
            let mma = Choice { path: Path::Gemv, config, split_k: 1, reason: Reason::Tuned };
            assert_eq!(mma.supported_for(&scale_only), Some(mma));
            assert_eq!(mma.supported_for(&zeros), Some(mma));
            let has = |w: &WeightDesc| candidates(w, 4).iter().any(|c| c.path == Path::Gemv && c.config == config);
            assert!(has(&scale_only));
            assert!(has(&zeros));
        }
        assert!(!gemv_config_is_mma_grid(GEMV_CFG_CUDA_CORE));
    }

    #[test]
    fn every_deep_k_row_has_a_64_deep_twin_that_group_64_can_run() {
        use sm90_cfg::*;
        for (deep, twin) in [(SK_128X64_K128, SK_128X64), (SK_128X128_K128, SK_128X128), (SK_256X64_K128, SK_256X64),
                             (COOP_256X128_K128, COOP_256X128), (COOP_128X128_K128, COOP_128X128), (SK_128X32_K128, SK_128X32)] {
            assert_eq!(sm90_k64_twin(deep), Some(twin), "row {deep}");
        }
        assert_eq!(sm90_k64_twin(COOP_128X128), None);
        let g64 = WeightDesc::new(Dtype::F16, 6144, 4096, 64, false).unwrap();
        let g128 = WeightDesc::new(Dtype::F16, 6144, 4096, 128, false).unwrap();
        let deep = Choice::tensor_core(SK_128X64_K128, 2);
        assert_eq!(deep.supported_for(&g128), Some(deep));
        assert_eq!(deep.supported_for(&g64), Some(Choice::tensor_core(SK_128X64, 2)));
        let g32 = WeightDesc::new(Dtype::F16, 6144, 4096, 32, false).unwrap();
        assert_eq!(deep.supported_for(&g32), None); // the SM90 family cannot run group 32
    }

    #[test]
    fn sm90_ids_used_by_the_rule_exist_in_the_table() {
        use sm90_cfg::*;
        for id in [COOP_128X128, COOP_128X256, COOP_128X128_C2X1, COOP_128X64, COOP_128X256_C2X1, PP_64X128,
                   PP_64X64, PP_64X32, PP_64X16, SK_128X64, SK_128X32, SK_128X128, SK_128X256,
                   COOP_256X128, SK_256X64, SK_128X64_K128, SK_128X128_K128, SK_256X64_K128,
                   COOP_256X128_K128, COOP_128X128_K128, SK_128X32_K128] {
            assert!(sm90_config_info(id).is_some(), "config {id} is not a row of configs.def");
        }
        let all = sm90_configs();
        assert!(all.len() >= 11, "{all:?}");
        for c in all {
            let name = Choice::tensor_core(c, 1).config_name();
            assert!(name.len() < 64 && !name.contains("unknown"), "{name}");
        }
    }

    #[test]
    fn rows_with_a_deep_k_tile_need_a_group_multiple_of_it() {
        let row = sm90_config_info(sm90_cfg::SK_128X64_K128).expect("row 40");
        assert_eq!(row.tile_k, 128);
        assert_eq!(sm90_config_info(sm90_cfg::SK_128X64).unwrap().tile_k, 64);
        let w = |g: usize, k: usize| WeightDesc::new(Dtype::F16, 4096, k, g, false).unwrap();
        for (g, k, ok) in [(128, 4096, true), (64, 4096, false), (4096, 4096, true), (256, 256, true), (192, 192, false)] {
            assert_eq!(sm90_row_supports(&w(g, k), &row), ok, "group {g}, K {k}");
            assert_eq!(Choice::tensor_core(sm90_cfg::SK_128X64_K128, 2).is_supported(&w(g, k)), ok, "group {g}, K {k}");
        }
        assert!(Choice::tensor_core(sm90_cfg::SK_128X64, 1).is_supported(&w(64, 4096)));
        assert!(candidates(&w(64, 4096), 64).iter().all(|c| c.config != sm90_cfg::SK_128X64_K128));
    }

    #[test]
    fn group_32_goes_to_mma_sync_and_the_rest_to_sm90() {
        for (g, sm90) in [(32, false), (64, true), (128, true), (4096, true)] {
            let w = WeightDesc::new(Dtype::F16, 4096, 4096, g, false).unwrap();
            for m in [17, 64, 256, 4096] {
                let c = Choice::heuristic(&w, m);
                assert_eq!(c.path, Path::TensorCore);
                assert_eq!(c.is_sm90(), sm90, "g={g} M={m}: {}", c.config_name());
            }
        }
    }
}
