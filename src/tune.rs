//! Measured dispatch: a tuning table (problem × M bucket → configuration), its versioned JSON
//! cache file, the tables shipped for H100/H200, and the tuner that fills it on the device.
//!
//! The table is immutable once built; a handle swaps in a new one atomically (engine.rs), so the
//! hot path reads it without locks or allocation.

use crate::dispatch::{Choice, Path, Reason};
use crate::types::{Dtype, WeightDesc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path as FsPath;

/// Version of the cache-file format; files of another format are ignored.
pub const CACHE_FORMAT: u32 = 1;

/// Environment variable naming the default cache file (load at create, save/load with NULL path).
pub const CACHE_ENV: &str = "W4A16_CACHE_PATH";

/// The weight side of a problem, as a table key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProblemKey {
    pub dtype: Dtype,
    pub n: usize,
    pub k: usize,
    pub group: usize,
    pub zeros: bool,
}

impl From<&WeightDesc> for ProblemKey {
    fn from(w: &WeightDesc) -> ProblemKey {
        ProblemKey { dtype: w.dtype, n: w.n, k: w.k, group: w.group_size, zeros: w.has_zeros }
    }
}

/// The best measured configuration for M in m_min..=m_max.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub m_min: usize,
    pub m_max: usize,
    pub choice: Choice,
    /// Measured time of the winner at the tuned M (µs), for reports.
    pub us: f64,
}

/// Measured choices per problem; buckets sorted by m_min and disjoint.
#[derive(Clone, Debug, Default)]
pub struct Table {
    map: HashMap<ProblemKey, Vec<Bucket>>,
    /// The problems of each N x K (what `lookup_similar` compares), so that the hot path looks
    /// at a handful of keys instead of the whole table.
    by_shape: HashMap<(usize, usize), Vec<ProblemKey>>,
}

/// The bucket of a problem's (sorted, disjoint) buckets that covers M.
fn bucket_of(buckets: &[Bucket], m: usize) -> Option<&Bucket> {
    buckets.iter().find(|b| b.m_min <= m && m <= b.m_max)
}

impl Table {
    /// The tuned choice for this problem and M, if one was measured (no allocation).
    pub fn lookup(&self, w: &WeightDesc, m: usize) -> Option<Choice> {
        bucket_of(self.map.get(&ProblemKey::from(w))?, m).map(|b| b.choice)
    }

    /// No entry for this exact problem: the tuned choice for the same N x K and M measured with
    /// another dtype, group size or zero mode, if one is valid for `w` (an SM90 choice is not for
    /// group 32; an SM90 row with a 128-deep K tile is replaced by its 64-deep twin for group 64:
    /// Choice::supported_for). Preference: same dtype and group (zeros differ), then same group,
    /// then same dtype, then any; ties go to the smallest (dtype, group, zeros), so the pick never
    /// depends on hash order. No allocation (after the first twin lookup).
    pub fn lookup_similar(&self, w: &WeightDesc, m: usize) -> Option<Choice> {
        let rank = |k: &ProblemKey| {
            let pref = match (k.dtype == w.dtype, k.group == w.group_size) {
                (true, true) => 0,
                (false, true) => 1,
                (true, false) => 2,
                (false, false) => 3,
            };
            (pref, k.dtype.code(), k.group, k.zeros)
        };
        self.by_shape
            .get(&(w.n, w.k))?
            .iter()
            .filter_map(|k| {
                let b = bucket_of(self.map.get(k)?, m)?;
                b.choice.supported_for(w).map(|c| (rank(k), c))
            })
            .min_by_key(|(r, _)| *r)
            .map(|(_, c)| Choice { reason: Reason::Similar, ..c })
    }

    /// Adds a bucket, replacing the ranges it overlaps.
    pub fn insert(&mut self, key: ProblemKey, bucket: Bucket) {
        let keys = self.by_shape.entry((key.n, key.k)).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
        let v = self.map.entry(key).or_default();
        v.retain(|b| b.m_max < bucket.m_min || b.m_min > bucket.m_max);
        v.push(bucket);
        v.sort_by_key(|b| b.m_min);
    }

    /// Adds every bucket of `other` (its entries win where they overlap).
    pub fn merge(&mut self, other: &Table) {
        for (key, buckets) in &other.map {
            for b in buckets {
                self.insert(*key, *b);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn entries(&self) -> impl Iterator<Item = (&ProblemKey, &Bucket)> {
        self.map.iter().flat_map(|(k, v)| v.iter().map(move |b| (k, b)))
    }
}

/// The device a table was measured on; a table is used only on a device with the same identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKey {
    pub gpu: String,
    pub sm_count: i32,
    pub compute_capability: String,
}

impl DeviceKey {
    pub fn of(info: &crate::device::DeviceInfo) -> DeviceKey {
        DeviceKey {
            gpu: info.name.clone(),
            sm_count: info.sm_count,
            compute_capability: format!("{}.{}", info.cc_major, info.cc_minor),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CacheFile {
    format: u32,
    library_version: String,
    device: DeviceKey,
    entries: Vec<EntryJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson {
    dtype: String,
    n: usize,
    k: usize,
    group: usize,
    zeros: bool,
    m_min: usize,
    m_max: usize,
    path: String,
    config: i32,
    split_k: i32,
    us: f64,
}

/// The table as a cache file's text (entries in a stable order so files diff well).
pub fn to_json(table: &Table, device: &DeviceKey) -> String {
    let mut entries: Vec<EntryJson> = table
        .entries()
        .map(|(k, b)| EntryJson {
            dtype: k.dtype.name().to_string(),
            n: k.n,
            k: k.k,
            group: k.group,
            zeros: k.zeros,
            m_min: b.m_min,
            m_max: b.m_max,
            path: b.choice.path.name().to_string(),
            config: b.choice.config,
            split_k: b.choice.split_k,
            us: (b.us * 1000.0).round() / 1000.0,
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.dtype, a.n, a.k, a.group, a.zeros, a.m_min).cmp(&(&b.dtype, b.n, b.k, b.group, b.zeros, b.m_min))
    });
    let file = CacheFile {
        format: CACHE_FORMAT,
        library_version: env!("CARGO_PKG_VERSION").to_string(),
        device: device.clone(),
        entries,
    };
    serde_json::to_string_pretty(&file).expect("a table always serializes") + "\n"
}

/// Parses a cache file's text for `device`. Every reason to ignore the file is an Err naming it:
/// not JSON / truncated, another format, another device, another library version (unless
/// `any_version`, for the tables shipped inside the library), an entry that is not a valid
/// problem or configuration. A file is used whole or not at all.
pub fn from_json(text: &str, device: &DeviceKey, any_version: bool) -> Result<Table, String> {
    let file: CacheFile = serde_json::from_str(text).map_err(|e| format!("not a valid cache file: {e}"))?;
    if file.format != CACHE_FORMAT {
        return Err(format!("cache format {} is not supported (this library reads format {CACHE_FORMAT})", file.format));
    }
    if file.device != *device {
        return Err(format!(
            "measured on {} ({} SMs, sm_{}), not on this device {} ({} SMs, sm_{})",
            file.device.gpu,
            file.device.sm_count,
            file.device.compute_capability,
            device.gpu,
            device.sm_count,
            device.compute_capability
        ));
    }
    if !any_version && file.library_version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "written by library version {}, this is {}",
            file.library_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    let mut table = Table::default();
    for (i, e) in file.entries.iter().enumerate() {
        let bad = |why: String| format!("entry {i}: {why}");
        let dtype = match e.dtype.as_str() {
            "fp16" => Dtype::F16,
            "bf16" => Dtype::Bf16,
            other => return Err(bad(format!("dtype {other:?} is not fp16 or bf16"))),
        };
        let w = WeightDesc::new(dtype, e.n, e.k, e.group, e.zeros).map_err(bad)?;
        if e.m_min == 0 || e.m_min > e.m_max || e.m_max > crate::engine::MAX_M {
            return Err(bad(format!("M range {}..={} is invalid", e.m_min, e.m_max)));
        }
        let path = Path::parse(&e.path).ok_or_else(|| bad(format!("path {:?} is unknown", e.path)))?;
        let choice = Choice { path, config: e.config, split_k: e.split_k, reason: Reason::Tuned };
        if !choice.is_supported(&w) {
            return Err(bad(format!("configuration {} is not supported for this problem", choice.config_name())));
        }
        if !(e.us.is_finite() && e.us >= 0.0) {
            return Err(bad(format!("time {} is not a duration", e.us)));
        }
        table.insert(ProblemKey::from(&w), Bucket { m_min: e.m_min, m_max: e.m_max, choice, us: e.us });
    }
    Ok(table)
}

/// Writes `text` to `path` atomically: a temporary file in the same folder, synced, then renamed
/// over the target, so a reader never sees a half-written cache.
pub fn write_atomic(path: &FsPath, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(FsPath::new("."));
    let name = path.file_name().ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let tmp = dir.join(format!(".{}.tmp.{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Tables produced by the tuner on our machines and compiled into the library (tables/*.json).
const SHIPPED: &[&str] = &[include_str!("../tables/h100.json"), include_str!("../tables/h200.json")];

/// The shipped table for this device, if one matches (empty otherwise).
pub fn shipped_table(device: &DeviceKey) -> Table {
    let mut table = Table::default();
    for text in SHIPPED {
        if let Ok(t) = from_json(text, device, true) {
            table.merge(&t);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> DeviceKey {
        DeviceKey { gpu: "NVIDIA H100 80GB HBM3".into(), sm_count: 132, compute_capability: "9.0".into() }
    }

    fn w() -> WeightDesc {
        WeightDesc::new(Dtype::F16, 4096, 4096, 128, false).unwrap()
    }

    fn choice(path: Path) -> Choice {
        Choice { path, config: 0, split_k: 1, reason: Reason::Tuned }
    }

    #[test]
    fn lookup_finds_the_bucket_of_m() {
        let mut t = Table::default();
        t.insert((&w()).into(), Bucket { m_min: 1, m_max: 8, choice: choice(Path::Gemv), us: 5.0 });
        t.insert((&w()).into(), Bucket { m_min: 9, m_max: 64, choice: choice(Path::TensorCore), us: 9.0 });
        assert_eq!(t.lookup(&w(), 1).unwrap().path, Path::Gemv);
        assert_eq!(t.lookup(&w(), 8).unwrap().path, Path::Gemv);
        assert_eq!(t.lookup(&w(), 9).unwrap().path, Path::TensorCore);
        assert!(t.lookup(&w(), 65).is_none());
        let other = WeightDesc::new(Dtype::Bf16, 4096, 4096, 128, false).unwrap();
        assert!(t.lookup(&other, 1).is_none());
        // Overlapping insert replaces.
        t.insert((&w()).into(), Bucket { m_min: 4, m_max: 16, choice: choice(Path::TensorCore), us: 1.0 });
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn lookup_similar_prefers_the_closest_tuned_problem_and_skips_invalid_choices() {
        let gemv = |config: i32, split_k: i32| Choice { path: Path::Gemv, config, split_k, reason: Reason::Tuned };
        let sm90 = Choice { path: Path::TensorCore, config: crate::dispatch::SM90_FIRST_CONFIG, split_k: 1, reason: Reason::Tuned };
        let desc = |dtype, group, zeros| WeightDesc::new(dtype, 4096, 4096, group, zeros).unwrap();
        let mut t = Table::default();
        let put = |t: &mut Table, w: &WeightDesc, c: Choice| t.insert(w.into(), Bucket { m_min: 1, m_max: 64, choice: c, us: 1.0 });
        put(&mut t, &desc(Dtype::F16, 128, false), gemv(1, 4));
        put(&mut t, &desc(Dtype::Bf16, 64, false), gemv(2, 6));
        put(&mut t, &desc(Dtype::F16, 32, false), sm90); // not valid for group 32 (cannot happen
        // from the tuner; here to check the filter)
        // Exact entries are not "similar"; another shape has none.
        assert!(t.lookup_similar(&WeightDesc::new(Dtype::F16, 8192, 4096, 128, false).unwrap(), 1).is_none());
        // bf16 g128: same group (fp16 g128) wins over same dtype (bf16 g64).
        let c = t.lookup_similar(&desc(Dtype::Bf16, 128, false), 8).unwrap();
        assert_eq!((c.config, c.split_k, c.reason), (1, 4, Reason::Similar));
        // fp16 g128 with zeros: same dtype and group.
        assert_eq!(t.lookup_similar(&desc(Dtype::F16, 128, true), 8).unwrap().config, 1);
        // bf16 g32: the fp16 g32 entry (same group) is SM90, invalid for group 32: next best is
        // same dtype (bf16 g64).
        let c = t.lookup_similar(&desc(Dtype::Bf16, 32, false), 8).unwrap();
        assert_eq!((c.config, c.split_k), (2, 6));
        // Outside every bucket: none.
        assert!(t.lookup_similar(&desc(Dtype::Bf16, 128, false), 65).is_none());
        // GEMV config 4 runs zeros too (since session 10): both borrow it.
        put(&mut t, &desc(Dtype::F16, 128, false), gemv(crate::dispatch::GEMV_CFG_CUDA_CORE_MMA, 1));
        assert_eq!(t.lookup_similar(&desc(Dtype::Bf16, 128, false), 8).unwrap().config, 4);
        let c = t.lookup_similar(&desc(Dtype::F16, 128, true), 8).unwrap();
        assert_eq!((c.path, c.config), (Path::Gemv, crate::dispatch::GEMV_CFG_CUDA_CORE_MMA));
    }

    #[test]
    fn json_round_trip_and_rejections() {
        let mut t = Table::default();
        t.insert((&w()).into(), Bucket { m_min: 1, m_max: 16, choice: choice(Path::Gemv), us: 5.25 });
        t.insert((&w()).into(), Bucket { m_min: 17, m_max: 4096, choice: choice(Path::TensorCore), us: 50.0 });
        let text = to_json(&t, &dev());
        let back = from_json(&text, &dev(), false).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.lookup(&w(), 100).unwrap().path, Path::TensorCore);
        assert_eq!(back.lookup(&w(), 100).unwrap().reason, Reason::Tuned);

        // Truncated, garbage, empty: ignored with a reason.
        assert!(from_json(&text[..text.len() / 2], &dev(), false).unwrap_err().contains("not a valid cache file"));
        assert!(from_json("", &dev(), false).is_err());
        assert!(from_json("\u{0}\u{1}garbage", &dev(), false).is_err());
        // Foreign device.
        let h200 = DeviceKey { gpu: "NVIDIA H200".into(), ..dev() };
        assert!(from_json(&text, &h200, false).unwrap_err().contains("not on this device"));
        // Other format / version.
        let v2 = text.replace("\"format\": 1", "\"format\": 2");
        assert!(from_json(&v2, &dev(), false).unwrap_err().contains("format 2"));
        let old = text.replace(env!("CARGO_PKG_VERSION"), "0.0.1");
        assert!(from_json(&old, &dev(), false).unwrap_err().contains("0.0.1"));
        assert!(from_json(&old, &dev(), true).is_ok());
        // An entry that would select something unsupported.
        let bad = text.replace("\"config\": 0", "\"config\": 999");
        assert!(from_json(&bad, &dev(), false).unwrap_err().contains("not supported"));
        let bad = text.replace("\"n\": 4096", "\"n\": 100");
        assert!(from_json(&bad, &dev(), false).unwrap_err().contains("N=100"));
        let bad = text.replace("\"m_min\": 17", "\"m_min\": 0");
        assert!(from_json(&bad, &dev(), false).unwrap_err().contains("M range"));
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = std::env::temp_dir().join(format!("w4a16-tune-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("cache.json");
        write_atomic(&p, "first").unwrap();
        write_atomic(&p, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second");
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).collect();
        assert_eq!(leftovers.len(), 1, "no temporary file may remain");
        assert!(write_atomic(&dir.join("no/such/dir/x.json"), "x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shipped_tables_parse() {
        for text in SHIPPED {
            let file: CacheFile = serde_json::from_str(text).expect("shipped table is valid JSON");
            assert!(from_json(text, &file.device, true).is_ok(), "shipped table for {} is valid", file.device.gpu);
        }
    }
}
