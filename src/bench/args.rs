//! Command line of `w4a16-bench`, parsed by hand (no dependency).

use super::model::{Group, Problem, ANCHOR_SHAPES, DEFAULT_MS, SEED_MS, SEED_SHAPE};
use crate::dispatch::Path;
use crate::engine::MAX_M;
use crate::types::Dtype;

pub const USAGE: &str = "\
w4a16-bench: speed of w4a16 GEMM (C = A·Wᵀ, int4 weights) against cuBLAS fp16/bf16 and the
memory-bandwidth floor, on one Hopper GPU.

USAGE: w4a16-bench [OPTIONS]

Sweep (every combination is measured):
  --shapes NxK,...       weight shapes (default: the ANCHORS.md preset
                         4096x4096,4096x14336,6144x4096,8192x8192,8192x28672,28672x4096,28672x8192)
  --m M,...              token counts (default 1,2,4,8,16,32,64,128,256,1024,4096)
  --dtype fp16,bf16      activation dtype(s) (default fp16)
  --group G,...          group size(s): 32, 64, 128, or k (per-channel) (default 128)
  --zeros                weights with additive zeros
  --bias                 pass a bias (its N·2 bytes count in the floor)
  --path gemv|tensor_core  force one path (default: the library's dispatch)
  --pdl                  programmatic dependent launch on the GEMV path (w4a16_set_pdl; off by
                         default, whatever W4A16_PDL says)

Timing:
  --warmup N             warm-up calls before timing (default 10)
  --reps N               timed calls (default 50); median, p10, p90 of per-call CUDA-event times
  --hot                  one weight buffer (hot L2); default is cold L2: rotate over weight copies
                         whose total is >= 3x the L2 size (for ours and for cuBLAS alike)
  --tune                 run the library's tuner (w4a16_tune) on each problem for the sweep's
                         M values first, so the dispatched rows use the measured table
  --save-table FILE      write the handle's tuning table (cache-file JSON) at the end
  --load-table FILE      load a tuning table (cache-file JSON) before the sweep
  --oracle               also time every candidate configuration (dispatch::candidates) and
                         report the fastest as oracle_us beside the dispatched us
  --oracle-rounds N      time the candidates N times, forward then backward order, and take
                         each one's median over the rounds (default 1)
  --ab-rounds N          time ours and cuBLAS N times each, alternating which goes first, and
                         report each side's median over its rounds (p10/p90 over the rounds):
                         at large M the card's clocks drift between back-to-back measurements
                         (default 1: ours, then cuBLAS, each summarized over its own calls)
  --graph                capture the calls in a CUDA graph and time graph replays
                         (per-call time = replay time / calls in the graph)
  --graph-launches N     timed graph replays (default 20)
  --no-cublas            no cuBLAS baseline (outputs checked against the CPU reference only)
  --device N             CUDA device ordinal (default 0)
  --seed N               data seed (default 1)

Output:
  --json FILE            JSON {tool_version, gpu, sm_count, date, copy_bw_GBs, cublas_tflops,
                         host_overhead_us, rows: [...]}
  --md FILE              Markdown table
  --svg-prefix P         P-speedup.svg (speedup over cuBLAS vs M) and P-floor.svg (fraction of floor)
  --seed-table           the seed program's sweep (M = 1,4,16,32,64,128,256,512 at N=K=1024 unless
                         --shapes/--m) printed as `M | path | time (us) | TFLOP/s | GB/s`
  --dry-run              print the plan (no GPU needed) and exit
  -h, --help             this text

Exit status: 0 all rows measured and correct; 1 some row WRONG or failed; 2 bad arguments, no GPU
or unsupported GPU; 3 cuBLAS could not be loaded (set LD_LIBRARY_PATH or pass --no-cublas).
";

/// Everything the command line says.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub shapes: Vec<(usize, usize)>,
    pub ms: Vec<usize>,
    pub dtypes: Vec<Dtype>,
    pub groups: Vec<Group>,
    pub zeros: bool,
    pub bias: bool,
    pub path: Option<Path>,
    pub warmup: usize,
    pub reps: usize,
    pub hot: bool,
    pub graph: bool,
    pub pdl: bool,
    pub oracle: bool,
    /// --oracle-rounds: how many times the oracle times every candidate (alternating order).
    pub oracle_rounds: usize,
    /// --ab-rounds: rounds of ours and cuBLAS timed alternately (each side: median of its rounds).
    pub ab_rounds: usize,
    pub tune: bool,
    pub save_table: Option<String>,
    pub load_table: Option<String>,
    pub graph_launches: usize,
    pub no_cublas: bool,
    pub device: i32,
    pub seed: u64,
    pub json: Option<String>,
    pub md: Option<String>,
    pub svg_prefix: Option<String>,
    pub seed_table: bool,
    pub dry_run: bool,
    pub help: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            shapes: ANCHOR_SHAPES.to_vec(),
            ms: DEFAULT_MS.to_vec(),
            dtypes: vec![Dtype::F16],
            groups: vec![Group::Size(128)],
            zeros: false,
            bias: false,
            path: None,
            warmup: 10,
            reps: 50,
            hot: false,
            graph: false,
            pdl: false,
            oracle: false,
            oracle_rounds: 1,
            ab_rounds: 1,
            tune: false,
            save_table: None,
            load_table: None,
            graph_launches: 20,
            no_cublas: false,
            device: 0,
            seed: 1,
            json: None,
            md: None,
            svg_prefix: None,
            seed_table: false,
            dry_run: false,
            help: false,
        }
    }
}

impl Options {
    /// The weight configurations of the sweep, in order: shape, then dtype, then group.
    pub fn problems(&self) -> Result<Vec<Problem>, String> {
        let mut out = Vec::new();
        for &(n, k) in &self.shapes {
            for &dtype in &self.dtypes {
                for &group in &self.groups {
                    let p = Problem { n, k, dtype, group, zeros: self.zeros, bias: self.bias };
                    p.desc()?;
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    pub fn max_m(&self) -> usize {
        self.ms.iter().copied().max().unwrap_or(1)
    }
}

fn parse_usize(what: &str, s: &str) -> Result<usize, String> {
    let t = s.trim().replace('_', "");
    t.parse::<usize>().map_err(|_| format!("{what}: {s:?} is not a non-negative integer"))
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// "4096x14336" (also 'X' or '×') → (N, K).
pub fn parse_shape(s: &str) -> Result<(usize, usize), String> {
    let norm = s.trim().replace(['X', '×'], "x");
    let (n, k) = norm
        .split_once('x')
        .ok_or_else(|| format!("--shapes: {s:?} is not NxK (e.g. 4096x14336)"))?;
    let n = parse_usize("--shapes N", n)?;
    let k = parse_usize("--shapes K", k)?;
    if n == 0 || k == 0 || n % 64 != 0 || k % 64 != 0 {
        return Err(format!("--shapes: {s:?}: N and K must be positive multiples of 64"));
    }
    Ok((n, k))
}

pub fn parse_group(s: &str) -> Result<Group, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "k" | "per-channel" | "channel" | "perchannel" => Ok(Group::PerChannel),
        t => match parse_usize("--group", t)? {
            g @ (32 | 64 | 128) => Ok(Group::Size(g)),
            g => Err(format!("--group: {g} is not 32, 64, 128 or k")),
        },
    }
}

pub fn parse_dtype(s: &str) -> Result<Dtype, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "fp16" | "f16" | "half" | "float16" => Ok(Dtype::F16),
        "bf16" | "bfloat16" => Ok(Dtype::Bf16),
        _ => Err(format!("--dtype: {s:?} is not fp16 or bf16")),
    }
}

fn dedup<T: PartialEq + Clone>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut shapes_given = false;
    let mut ms_given = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        // The option's value: inline (--x=v) or the next argument.
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i).cloned().ok_or_else(|| format!("{name} needs a value"))
        };
        let takes_no_value = |name: &str| -> Result<(), String> {
            if inline.is_some() {
                Err(format!("{name} takes no value"))
            } else {
                Ok(())
            }
        };
        match flag {
            "-h" | "--help" => {
                takes_no_value(flag)?;
                o.help = true
            }
            "--shapes" => {
                let v = value(flag)?;
                o.shapes = dedup(list(&v).map(parse_shape).collect::<Result<Vec<_>, _>>()?);
                shapes_given = true;
            }
            "--m" => {
                let v = value(flag)?;
                let ms = list(&v).map(|x| parse_usize("--m", x)).collect::<Result<Vec<_>, _>>()?;
                if let Some(&bad) = ms.iter().find(|&&m| m == 0 || m > MAX_M) {
                    return Err(format!("--m: {bad} is not in 1..={MAX_M}"));
                }
                o.ms = dedup(ms);
                ms_given = true;
            }
            "--dtype" => {
                let v = value(flag)?;
                o.dtypes = dedup(list(&v).map(parse_dtype).collect::<Result<Vec<_>, _>>()?);
            }
            "--group" => {
                let v = value(flag)?;
                o.groups = dedup(list(&v).map(parse_group).collect::<Result<Vec<_>, _>>()?);
            }
            "--zeros" => {
                takes_no_value(flag)?;
                o.zeros = true
            }
            "--bias" => {
                takes_no_value(flag)?;
                o.bias = true
            }
            "--path" => {
                let v = value(flag)?;
                o.path = match v.trim().to_ascii_lowercase().as_str() {
                    "auto" | "default" | "dispatch" => None,
                    _ => Some(Path::parse(&v).ok_or_else(|| {
                        format!("--path: {v:?} is not gemv, tensor_core or auto")
                    })?),
                };
            }
            "--warmup" => o.warmup = parse_usize(flag, &value(flag)?)?,
            "--reps" => o.reps = parse_usize(flag, &value(flag)?)?,
            "--graph-launches" => o.graph_launches = parse_usize(flag, &value(flag)?)?,
            "--hot" => {
                takes_no_value(flag)?;
                o.hot = true
            }
            "--graph" => {
                takes_no_value(flag)?;
                o.graph = true
            }
            "--pdl" => {
                takes_no_value(flag)?;
                o.pdl = true
            }
            "--tune" => {
                takes_no_value(flag)?;
                o.tune = true
            }
            "--save-table" => o.save_table = Some(value(flag)?),
            "--load-table" => o.load_table = Some(value(flag)?),
            "--oracle" => {
                takes_no_value(flag)?;
                o.oracle = true
            }
            "--oracle-rounds" => {
                o.oracle_rounds = parse_usize(flag, &value(flag)?)?;
                if o.oracle_rounds == 0 {
                    return Err("--oracle-rounds must be at least 1".into());
                }
            }
            "--ab-rounds" => {
                o.ab_rounds = parse_usize(flag, &value(flag)?)?;
                if o.ab_rounds == 0 {
                    return Err("--ab-rounds must be at least 1".into());
                }
            }
            "--no-cublas" => {
                takes_no_value(flag)?;
                o.no_cublas = true
            }
            "--device" => {
                let d = parse_usize(flag, &value(flag)?)?;
                o.device = i32::try_from(d).map_err(|_| format!("--device: {d} is too large"))?;
            }
            "--seed" => {
                let v = value(flag)?;
                o.seed = v
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("--seed: {v:?} is not an unsigned integer"))?;
            }
            "--json" => o.json = Some(value(flag)?),
            "--md" => o.md = Some(value(flag)?),
            "--svg-prefix" => o.svg_prefix = Some(value(flag)?),
            "--seed-table" => {
                takes_no_value(flag)?;
                o.seed_table = true
            }
            "--dry-run" => {
                takes_no_value(flag)?;
                o.dry_run = true
            }
            _ => return Err(format!("unknown argument {arg:?} (see --help)")),
        }
        i += 1;
    }
    if o.seed_table {
        if !shapes_given {
            o.shapes = vec![SEED_SHAPE];
        }
        if !ms_given {
            o.ms = SEED_MS.to_vec();
        }
    }
    for (name, list_empty) in [
        ("--shapes", o.shapes.is_empty()),
        ("--m", o.ms.is_empty()),
        ("--dtype", o.dtypes.is_empty()),
        ("--group", o.groups.is_empty()),
    ] {
        if list_empty {
            return Err(format!("{name} is empty"));
        }
    }
    if o.reps == 0 {
        return Err("--reps must be at least 1".into());
    }
    if o.graph_launches == 0 {
        return Err("--graph-launches must be at least 1".into());
    }
    // Every (shape, group) pair must be a valid problem: fail before touching the GPU.
    o.problems()?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Options, String> {
        let v: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&v)
    }

    #[test]
    fn defaults() {
        let o = p("").unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(o.shapes.len(), 7);
        assert_eq!(o.ms, DEFAULT_MS);
        assert_eq!(o.problems().unwrap().len(), 7);
        assert_eq!(o.max_m(), 4096);
    }

    #[test]
    fn lists_and_flags() {
        let o =
            p("--shapes 128x256,4096X14336 --m 1,16,16,3 --dtype fp16,bf16 --group 64,k --zeros \
                   --bias --path gemv --hot --graph --reps 7 --warmup=2 --json out.json --md=o.md \
                   --svg-prefix plots/x --device 1 --seed 5 --graph-launches 3 --no-cublas --pdl")
            .unwrap();
        assert!(o.pdl);
        assert_eq!(o.shapes, vec![(128, 256), (4096, 14336)]);
        assert_eq!(o.ms, vec![1, 16, 3]);
        assert_eq!(o.dtypes, vec![Dtype::F16, Dtype::Bf16]);
        assert_eq!(o.groups, vec![Group::Size(64), Group::PerChannel]);
        assert!(o.zeros && o.bias && o.hot && o.graph && o.no_cublas);
        assert_eq!(o.path, Some(Path::Gemv));
        assert_eq!((o.reps, o.warmup, o.device, o.seed, o.graph_launches), (7, 2, 1, 5, 3));
        assert_eq!(o.json.as_deref(), Some("out.json"));
        assert_eq!(o.md.as_deref(), Some("o.md"));
        assert_eq!(o.svg_prefix.as_deref(), Some("plots/x"));
        let probs = o.problems().unwrap();
        assert_eq!(probs.len(), 2 * 2 * 2);
        assert_eq!(probs[1].group, Group::PerChannel);
        assert_eq!(probs[1].group_size(), 256);
        assert_eq!(p("--path tensor_core").unwrap().path, Some(Path::TensorCore));
        assert_eq!(p("--path auto").unwrap().path, None);
        assert_eq!(o.oracle_rounds, 1);
        let o = p("--oracle --oracle-rounds 3").unwrap();
        assert!(o.oracle);
        assert_eq!(o.oracle_rounds, 3);
        assert_eq!(o.ab_rounds, 1);
        assert_eq!(p("--ab-rounds 4").unwrap().ab_rounds, 4);
        assert!(p("--ab-rounds 0").is_err());
    }

    #[test]
    fn seed_table_defaults() {
        let o = p("--seed-table").unwrap();
        assert_eq!(o.shapes, vec![(1024, 1024)]);
        assert_eq!(o.ms, SEED_MS);
        let o = p("--seed-table --shapes 2048x2048 --m 2").unwrap();
        assert_eq!((o.shapes, o.ms), (vec![(2048, 2048)], vec![2]));
    }

    #[test]
    fn errors() {
        for bad in [
            "--shapes 100x64",
            "--shapes 64",
            "--shapes",
            "--m 0",
            "--oracle-rounds 0",
            "--m x",
            "--m 99999999",
            "--dtype fp8",
            "--group 16",
            "--path fast",
            "--reps 0",
            "--frobnicate",
            "--hot=1",
            "--shapes 64x192 --group 128",
            "--shapes ,",
        ] {
            assert!(p(bad).is_err(), "{bad} should fail");
        }
        // The message names the option.
        assert!(p("--group 16").unwrap_err().contains("--group"));
        assert!(p("--shapes 64x192").unwrap_err().contains("group_size"));
        assert!(p("--help").unwrap().help);
        assert!(p("--dry-run").unwrap().dry_run);
    }
}
