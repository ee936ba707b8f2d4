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
    /// Tensor-core kernel (kernels/mma): for prefill-sized M.
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
}

impl Reason {
    pub fn code(self) -> i32 {
        match self {
            Reason::Heuristic => 0,
            Reason::Tuned => 1,
            Reason::Forced => 2,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Reason::Heuristic => "heuristic",
            Reason::Tuned => "tuned",
            Reason::Forced => "forced",
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

/// GEMV family configuration ids (kernels/gemv/gemv.cu).
/// CUDA-core kernel (token rows share each dequantized weight in fp32 FMAs); split-K through the
/// workspace. Fastest at M = 1.
pub const GEMV_CFG_CUDA_CORE: i32 = 0;
/// Tensor-core kernel (mma.sync with the weights as the A operand); split-K through the workspace.
pub const GEMV_CFG_TC_WORKSPACE: i32 = 1;
/// Tensor-core kernel; split-K as one thread-block cluster reduced through distributed shared
/// memory (split <= GEMV_MAX_CLUSTER, no workspace, one launch).
pub const GEMV_CFG_TC_CLUSTER: i32 = 2;
/// Every GEMV configuration (tests run each).
pub const GEMV_CONFIGS: [i32; 3] = [GEMV_CFG_CUDA_CORE, GEMV_CFG_TC_WORKSPACE, GEMV_CFG_TC_CLUSTER];
/// Largest split of GEMV_CFG_TC_CLUSTER (portable cluster size).
pub const GEMV_MAX_CLUSTER: i32 = 8;
/// Output channels per CTA of the tensor-core GEMV and of the CUDA-core GEMV.
const GEMV_TC_ROWS_PER_CTA: usize = 128;
const GEMV_CC_ROWS_PER_CTA: usize = 16;
/// SM count the heuristic assumes when the caller has none to give (H100 SXM).
pub const DEFAULT_SM_COUNT: usize = 132;

/// The GEMV heuristic: (config, split_k) for M token rows — a pure function of (M, N, K, sm_count)
/// (group and dtype do not change the choice today).
/// - M <= 2: the CUDA-core kernel (N/16 CTAs fill the card for every N >= 2048); at M = 2 it beat
///   the tensor-core kernel on every measured shape but 28672x4096 (equal) — H100, 2026-11-26.
/// - M >= 2: the tensor-core kernel; when ceil(N/128)·ceil(M/MT) CTAs leave SMs idle, split K
///   as a cluster so that about three CTAs per SM (its occupancy) run in one wave, keeping >= 4
///   k-steps (512 k) per split.
pub fn gemv_config(m: usize, n: usize, k: usize, sm_count: usize) -> (i32, i32) {
    let sm = sm_count.max(1);
    if m <= 2 {
        let ctas = n.div_ceil(GEMV_CC_ROWS_PER_CTA);
        let split = if ctas >= sm { 1 } else { (2 * sm / ctas).clamp(1, (k / 1024).max(1)) };
        return (GEMV_CFG_CUDA_CORE, split as i32);
    }
    let mt = if m <= 8 { 8 } else { 16 };
    let ctas = n.div_ceil(GEMV_TC_ROWS_PER_CTA) * m.div_ceil(mt);
    if ctas >= sm {
        return (GEMV_CFG_TC_CLUSTER, 1);
    }
    let max_by_k = (k.div_ceil(128) / 4).max(1);
    let split = (3 * sm / ctas).clamp(1, (GEMV_MAX_CLUSTER as usize).min(max_by_k));
    (GEMV_CFG_TC_CLUSTER, split as i32)
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

impl Choice {
    /// The built-in rule; always yields a valid configuration for any validated problem.
    pub fn heuristic(w: &WeightDesc, m: usize) -> Choice {
        Choice::heuristic_sm(w, m, DEFAULT_SM_COUNT)
    }

    /// The built-in rule for a device with `sm_count` SMs.
    pub fn heuristic_sm(w: &WeightDesc, m: usize, sm_count: usize) -> Choice {
        if m > GEMV_MAX_M {
            return Choice { path: Path::TensorCore, config: 0, split_k: 1, reason: Reason::Heuristic };
        }
        let (mut config, mut split_k) = gemv_config(m, w.n, w.k, sm_count);
        if let Some((cfg, split)) = gemv_config_override() {
            // split 0: the heuristic's split for that family (clamped to the cluster limit).
            let auto = if cfg == GEMV_CFG_CUDA_CORE { gemv_config(1, w.n, w.k, sm_count).1 } else { split_k };
            config = cfg;
            split_k = if split > 0 { split } else { auto };
            if cfg == GEMV_CFG_TC_CLUSTER {
                split_k = split_k.min(GEMV_MAX_CLUSTER);
            }
        }
        Choice { path: Path::Gemv, config, split_k, reason: Reason::Heuristic }
    }

    /// The same selection on a forced path.
    pub fn forced(path: Path) -> Choice {
        Choice { path, config: 0, split_k: 1, reason: Reason::Forced }
    }

    /// Whether the kernels can run this selection for this problem (a tuning-cache entry that
    /// names anything else is rejected, never launched).
    pub fn is_supported(&self, _w: &WeightDesc) -> bool {
        match self.path {
            Path::Gemv => match self.config {
                GEMV_CFG_TC_CLUSTER => (1..=GEMV_MAX_CLUSTER).contains(&self.split_k),
                c => GEMV_CONFIGS.contains(&c) && (1..=MAX_SPLIT_K).contains(&self.split_k),
            },
            Path::TensorCore => (0..=2).contains(&self.config) && self.split_k == 1,
        }
    }

    /// Human-readable configuration name (stable enough for logs and the tuning cache).
    pub fn config_name(&self) -> String {
        match self.path {
            Path::Gemv => format!("gemv.v1.cfg{}.splitk{}", self.config, self.split_k),
            Path::TensorCore => format!("mma_sync.v0.cfg{}", self.config),
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
            Path::TensorCore => 0,
        }
    }

    /// Why this selection, in words, for `w4a16_plan`.
    pub fn explain(&self, m: usize) -> String {
        match self.reason {
            Reason::Heuristic => match self.path {
                Path::Gemv => format!(
                    "heuristic: M={m} <= {GEMV_MAX_M}, memory-bound: {} streams the packed weights{}",
                    if self.config == GEMV_CFG_CUDA_CORE { "CUDA-core GEMV" } else { "tensor-core GEMV (mma.sync, weights as A)" },
                    if self.split_k > 1 { format!(", K split {} ways to fill the SMs", self.split_k) } else { String::new() }
                ),
                Path::TensorCore => format!(
                    "heuristic: M={m} > {GEMV_MAX_M}: tensor-core kernel"
                ),
            },
            Reason::Tuned => format!("tuned: fastest measured candidate for M={m}"),
            Reason::Forced => format!("forced: path {} requested by override", self.path.name()),
        }
    }
}

/// Every configuration the tuner times for this problem and M (all supported, all valid).
pub fn candidates(w: &WeightDesc, m: usize) -> Vec<Choice> {
    let mut v = Vec::new();
    let mk = |path, config, split_k| Choice { path, config, split_k, reason: Reason::Tuned };
    if m <= 64 {
        for config in GEMV_CONFIGS {
            for split_k in [1, 2, 4, 8] {
                v.push(mk(Path::Gemv, config, split_k));
            }
        }
    }
    for config in 0..=2 {
        v.push(mk(Path::TensorCore, config, 1));
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

    #[test]
    fn gemv_heuristic_is_valid_for_every_shape_and_m() {
        for &(n, k) in &[(64, 64), (4096, 4096), (6144, 4096), (8192, 8192), (28672, 4096), (4096, 14336), (1024, 57344)] {
            for m in 1..=GEMV_MAX_M {
                for sm in [1, 78, 132, 1000] {
                    let (cfg, split) = gemv_config(m, n, k, sm);
                    assert!(GEMV_CONFIGS.contains(&cfg));
                    assert!(split >= 1);
                    if cfg == GEMV_CFG_TC_CLUSTER {
                        assert!(split <= GEMV_MAX_CLUSTER, "{n}x{k} M={m}: split {split}");
                    }
                }
            }
        }
        assert_eq!(gemv_config(1, 8192, 8192, 132).0, GEMV_CFG_CUDA_CORE);
        assert_eq!(gemv_config(2, 8192, 8192, 132).0, GEMV_CFG_CUDA_CORE);
        assert_eq!(gemv_config(4, 28672, 8192, 132), (GEMV_CFG_TC_CLUSTER, 1));
        assert_eq!(gemv_config(16, 4096, 4096, 132), (GEMV_CFG_TC_CLUSTER, 8));
    }
}
