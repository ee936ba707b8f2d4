//! What a benchmark point is and what it must move: shapes, weight configurations, the bytes and
//! FLOPs of one product, the bandwidth floor, and how many weight copies the cold-L2 rotation
//! needs. Pure arithmetic: unit-tested on the CPU, shared by `--dry-run` and the GPU sweep.

use crate::types::{Dtype, WeightDesc};

/// The shapes of /work/shared/ANCHORS.md (N × K), the built-in preset.
pub const ANCHOR_SHAPES: &[(usize, usize)] = &[
    (4096, 4096),
    (4096, 14336),
    (6144, 4096),
    (8192, 8192),
    (8192, 28672),
    (28672, 4096),
    (28672, 8192),
];

/// Default token counts of the sweep.
pub const DEFAULT_MS: &[usize] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096];

/// The seed program's sweep (`--seed-table`).
pub const SEED_MS: &[usize] = &[1, 4, 16, 32, 64, 128, 256, 512];
/// The seed program's default shape (N = K = 1024).
pub const SEED_SHAPE: (usize, usize) = (1024, 1024);

/// L2 size assumed by `--dry-run` (H100: 50 MiB).
pub const ASSUMED_L2_BYTES: u64 = 50 << 20;
/// Device memory assumed by `--dry-run` (H100 80 GB).
pub const ASSUMED_GLOBAL_MEM_BYTES: u64 = 80 << 30;
/// Copy bandwidth assumed by `--dry-run` for its floor column (ANCHORS.md: 2.98 TB/s).
pub const ASSUMED_COPY_BW_GBS: f64 = 2980.0;

/// The rotated set must be at least this many times the L2 size.
pub const L2_FACTOR: u64 = 3;
/// Never fewer copies than this in cold mode (a shape larger than L2 still gets 3).
pub const MIN_COPIES: usize = 3;
/// Never more copies than this (tiny shapes would otherwise ask for hundreds).
pub const MAX_COPIES: usize = 1024;
/// Fraction of device memory the int4 rotated set may use.
pub const OURS_MEM_FRACTION: f64 = 0.20;
/// Fraction of device memory the fp16 (cuBLAS) rotated set may use. Together ≤ 50%.
pub const CUBLAS_MEM_FRACTION: f64 = 0.30;
/// Sub-buffers of one weight copy (packed | scales | zeros) start at multiples of this.
pub const SUB_ALIGN: u64 = 256;

/// Scale granularity along K.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// One scale per `g` consecutive k (32, 64 or 128).
    Size(usize),
    /// One scale per output channel (group = K).
    PerChannel,
}

impl Group {
    pub fn size(self, k: usize) -> usize {
        match self {
            Group::Size(g) => g,
            Group::PerChannel => k,
        }
    }
    /// "128", or "k" for per-channel.
    pub fn label(self) -> String {
        match self {
            Group::Size(g) => g.to_string(),
            Group::PerChannel => "k".to_string(),
        }
    }
}

pub fn round_up(x: u64, a: u64) -> u64 {
    x.div_ceil(a) * a
}

/// One weight configuration of the sweep (everything fixed when the weights are packed, plus
/// whether a bias is passed). Each is measured at every M of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Problem {
    pub n: usize,
    pub k: usize,
    pub dtype: Dtype,
    pub group: Group,
    pub zeros: bool,
    pub bias: bool,
}

impl Problem {
    pub fn group_size(&self) -> usize {
        self.group.size(self.k)
    }

    /// The library's descriptor; Err names the unsupported combination.
    pub fn desc(&self) -> Result<WeightDesc, String> {
        WeightDesc::new(self.dtype, self.n, self.k, self.group_size(), self.zeros).map_err(|e| {
            format!("{}x{} {} group {}: {e}", self.n, self.k, self.dtype.name(), self.group.label())
        })
    }

    /// "8192x28672 fp16 g128" (+ " +z" with zeros, + " +bias").
    pub fn label(&self) -> String {
        format!(
            "{}x{} {} g{}{}{}",
            self.n,
            self.k,
            self.dtype.name(),
            self.group.label(),
            if self.zeros { " +z" } else { "" },
            if self.bias { " +bias" } else { "" }
        )
    }

    /// Packed int4 weights: N·K/2.
    pub fn weight_bytes(&self) -> u64 {
        (self.n as u64) * (self.k as u64) / 2
    }
    /// Scales: (K/g)·N·2.
    pub fn scale_bytes(&self) -> u64 {
        (self.k / self.group_size()) as u64 * self.n as u64 * 2
    }
    /// Zeros: as scales when present, else 0.
    pub fn zero_bytes(&self) -> u64 {
        if self.zeros {
            self.scale_bytes()
        } else {
            0
        }
    }
    pub fn bias_bytes(&self) -> u64 {
        if self.bias {
            self.n as u64 * 2
        } else {
            0
        }
    }
    /// Offsets of scales and zeros inside one rotated copy, and the copy's allocation size.
    pub fn copy_layout(&self) -> (u64, u64, u64) {
        let scales_off = round_up(self.weight_bytes(), SUB_ALIGN);
        let zeros_off = round_up(scales_off + self.scale_bytes(), SUB_ALIGN);
        let total = round_up(zeros_off + self.zero_bytes(), SUB_ALIGN);
        (scales_off, zeros_off, total)
    }
    /// Bytes of one rotated copy of the int4 weight side (packed + scales + zeros, aligned).
    pub fn copy_bytes(&self) -> u64 {
        self.copy_layout().2
    }
    /// Bytes of the fp16/bf16 weights cuBLAS reads: N·K·2.
    pub fn dense_weight_bytes(&self) -> u64 {
        (self.n as u64) * (self.k as u64) * 2
    }
    /// Bytes one product must move at least: int4 weights + scales (+ zeros) + A (M·K·2) +
    /// C (M·N·2) (+ bias N·2).
    pub fn moved_bytes(&self, m: usize) -> u64 {
        self.weight_bytes()
            + self.scale_bytes()
            + self.zero_bytes()
            + (m as u64) * (self.k as u64) * 2
            + (m as u64) * (self.n as u64) * 2
            + self.bias_bytes()
    }
    /// 2·M·N·K.
    pub fn flops(&self, m: usize) -> f64 {
        2.0 * m as f64 * self.n as f64 * self.k as f64
    }
}

/// µs to move `bytes` at `bw_gbs` GB/s (1 GB = 1e9 bytes).
pub fn floor_us(bytes: u64, bw_gbs: f64) -> f64 {
    bytes as f64 / (bw_gbs * 1e9) * 1e6
}

/// GB/s (1e9 bytes per second) of `bytes` in `us` µs.
pub fn gbs(bytes: u64, us: f64) -> f64 {
    bytes as f64 / (us * 1e-6) / 1e9
}

/// TFLOP/s (1e12 FLOP per second) of `flops` in `us` µs.
pub fn tflops(flops: f64, us: f64) -> f64 {
    flops / (us * 1e-6) / 1e12
}

/// How many copies the cold-L2 rotation uses for one buffer set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub copies: usize,
    /// Bytes of all copies together.
    pub set_bytes: u64,
    /// True when the memory cap gave fewer copies than the L2 rule asked for.
    pub capped: bool,
}

/// Copies of a `copy_bytes` buffer needed so that the rotated set is ≥ 3× L2 (at least
/// [`MIN_COPIES`], at most [`MAX_COPIES`]), limited to `max_set_bytes` in all; 1 when `hot`.
pub fn rotation(copy_bytes: u64, l2_bytes: u64, max_set_bytes: u64, hot: bool) -> Rotation {
    let copy_bytes = copy_bytes.max(1);
    if hot {
        return Rotation { copies: 1, set_bytes: copy_bytes, capped: false };
    }
    let want = ((L2_FACTOR * l2_bytes).div_ceil(copy_bytes) as usize).clamp(MIN_COPIES, MAX_COPIES);
    let cap = ((max_set_bytes / copy_bytes) as usize).max(1);
    let copies = want.min(cap);
    Rotation { copies, set_bytes: copies as u64 * copy_bytes, capped: copies < want }
}

/// Smallest multiple of `copies` that is ≥ `reps`: the number of calls a captured graph holds,
/// so that replaying it keeps every copy `copies - 1` calls away from its previous use.
pub fn graph_calls(reps: usize, copies: usize) -> usize {
    let c = copies.max(1);
    reps.max(1).div_ceil(c) * c
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// "8.25 MiB", "1.41 GiB", "512 B".
pub fn human_bytes(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else if bytes >= 1 << 20 {
        format!("{:.2} MiB", mib(bytes))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: usize, k: usize) -> Problem {
        Problem { n, k, dtype: Dtype::F16, group: Group::Size(128), zeros: false, bias: false }
    }

    #[test]
    fn bytes_and_flops() {
        let q = p(4096, 4096);
        assert_eq!(q.weight_bytes(), 8 << 20);
        assert_eq!(q.scale_bytes(), 32 * 4096 * 2);
        assert_eq!(q.zero_bytes(), 0);
        assert_eq!(q.moved_bytes(1), 8_388_608 + 262_144 + 8192 + 8192);
        assert_eq!(q.flops(1), 2.0 * 4096.0 * 4096.0);
        let z = Problem { zeros: true, bias: true, ..q };
        assert_eq!(z.moved_bytes(2), 8_388_608 + 2 * 262_144 + 2 * 8192 + 2 * 8192 + 8192);
        let pc = Problem { group: Group::PerChannel, ..q };
        assert_eq!(pc.group_size(), 4096);
        assert_eq!(pc.scale_bytes(), 4096 * 2);
        assert_eq!(q.dense_weight_bytes(), 32 << 20);
    }

    #[test]
    fn floors_match_the_anchors_table() {
        // ANCHORS.md: floor at 2.98 TB/s, int4 g128, A and C included.
        let cases = [
            ((4096, 4096), 1, 2.9),
            ((4096, 4096), 4096, 25.4),
            ((8192, 28672), 1, 40.7),
            ((8192, 28672), 4096, 142.0),
            ((28672, 4096), 256, 26.0),
            ((6144, 4096), 16, 4.5),
        ];
        for ((n, k), m, want) in cases {
            let f = floor_us(p(n, k).moved_bytes(m), 2980.0);
            assert!((f - want).abs() < 0.06, "{n}x{k} M={m}: {f} vs {want}");
        }
    }

    #[test]
    fn units() {
        // 1 GB in 1000 µs = 1000 GB/s; 1 TFLOP in 1 s = 1 TFLOP/s.
        assert!((gbs(1_000_000_000, 1000.0) - 1000.0).abs() < 1e-9);
        assert!((tflops(1e12, 1e6) - 1.0).abs() < 1e-12);
        // The seed's M=1 N=K=1024 at 15 µs: 2.1 MFLOP → 0.14 TFLOP/s, not 140.
        let t = tflops(p(1024, 1024).flops(1), 15.0);
        assert!((t - 0.1398).abs() < 1e-3, "{t}");
        assert!((floor_us(2_980_000, 2980.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn copy_layout_is_aligned() {
        let q = Problem { zeros: true, ..p(1088, 192) };
        let (s, z, t) = q.copy_layout();
        assert_eq!(s % SUB_ALIGN, 0);
        assert_eq!(z % SUB_ALIGN, 0);
        assert_eq!(t % SUB_ALIGN, 0);
        assert!(s >= q.weight_bytes() && z >= s + q.scale_bytes() && t >= z + q.zero_bytes());
    }

    #[test]
    fn rotation_rules() {
        let l2 = 50u64 << 20;
        let big = 80u64 << 30;
        // 4096x4096 int4 g128: 8.25 MiB a copy → 19 copies ≥ 150 MiB.
        let r = rotation(p(4096, 4096).copy_bytes(), l2, big, false);
        assert_eq!(r.copies, 19);
        assert!(r.set_bytes >= 3 * l2 && !r.capped);
        // Larger than L2: still 3 copies.
        let r = rotation(p(28672, 8192).copy_bytes(), l2, big, false);
        assert_eq!(r.copies, 3);
        // Hot: one.
        assert_eq!(rotation(123, l2, big, true).copies, 1);
        // Capped by memory, never below 1.
        let r = rotation(1 << 30, l2, 1 << 30, false);
        assert_eq!((r.copies, r.capped), (1, true));
        let r = rotation(1 << 30, l2, 1 << 20, false);
        assert_eq!(r.copies, 1);
        // Tiny copies: at most MAX_COPIES.
        assert_eq!(rotation(1024, l2, big, false).copies, MAX_COPIES);
    }

    #[test]
    fn graph_call_count() {
        assert_eq!(graph_calls(50, 19), 57);
        assert_eq!(graph_calls(50, 3), 51);
        assert_eq!(graph_calls(50, 1), 50);
        assert_eq!(graph_calls(50, 100), 100);
        assert_eq!(graph_calls(0, 0), 1);
    }

    #[test]
    fn labels() {
        assert_eq!(Group::Size(64).label(), "64");
        assert_eq!(Group::PerChannel.label(), "k");
        let q = Problem { zeros: true, ..p(64, 128) };
        assert_eq!(q.label(), "64x128 fp16 g128 +z");
        assert!(Problem { group: Group::Size(128), ..p(64, 192) }.desc().is_err());
        assert!(p(64, 128).desc().is_ok());
        assert_eq!(human_bytes(8 << 20), "8.00 MiB");
        assert_eq!(human_bytes(512), "512 B");
    }
}
