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

impl Choice {
    /// The built-in rule; always yields a valid configuration for any validated problem.
    pub fn heuristic(_w: &WeightDesc, m: usize) -> Choice {
        let path = if m <= GEMV_MAX_M { Path::Gemv } else { Path::TensorCore };
        Choice { path, config: 0, split_k: 1, reason: Reason::Heuristic }
    }

    /// The same selection on a forced path.
    pub fn forced(path: Path) -> Choice {
        Choice { path, config: 0, split_k: 1, reason: Reason::Forced }
    }

    /// Whether the kernels can run this selection for this problem (a tuning-cache entry that
    /// names anything else is rejected, never launched).
    pub fn is_supported(&self, _w: &WeightDesc) -> bool {
        match self.path {
            Path::Gemv => self.config == 0 && (1..=MAX_SPLIT_K).contains(&self.split_k),
            Path::TensorCore => (0..=2).contains(&self.config) && self.split_k == 1,
        }
    }

    /// Human-readable configuration name (stable enough for logs and the tuning cache).
    pub fn config_name(&self) -> String {
        match self.path {
            Path::Gemv => format!("gemv.v0.cfg{}.splitk{}", self.config, self.split_k),
            Path::TensorCore => format!("mma_sync.v0.cfg{}", self.config),
        }
    }

    /// Device scratch this selection needs for `m` token rows.
    pub fn workspace_bytes(&self, w: &WeightDesc, m: usize) -> usize {
        match self.path {
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
                    "heuristic: M={m} <= {GEMV_MAX_M}, memory-bound: CUDA-core GEMV streams the packed weights"
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
        for split_k in [1, 2, 4, 8] {
            v.push(mk(Path::Gemv, 0, split_k));
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
