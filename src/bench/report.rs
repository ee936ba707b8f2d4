//! Results of a sweep and their forms: terminal table, JSON (written by hand), Markdown, and the
//! seed program's table.

use super::model::{self, Group, Problem};
use super::stats::Summary;
use std::fmt::Write as _;

/// Above this relative error (ours vs cuBLAS on the same dequantized weights, or vs the CPU
/// reference) a row is WRONG and its speed is not reported.
pub const WRONG_THRESHOLD: f64 = 5e-2;
/// Expected agreement; between this and WRONG_THRESHOLD a row is reported with a warning.
pub const GOOD_THRESHOLD: f64 = 1e-2;

/// The state of one row.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Ok,
    /// The output disagrees with the baseline or the reference: no speed is reported.
    Wrong(String),
    /// The call or the measurement failed.
    Error(String),
}

/// One (problem, M) point.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub problem: Problem,
    pub m: usize,
    pub path: String,
    pub config: String,
    pub ours: Option<Summary>,
    pub cublas: Option<Summary>,
    /// Bytes the product must move (int4 weights, scales, zeros, A, C, bias).
    pub bytes: u64,
    pub floor_us: Option<f64>,
    /// Ours vs cuBLAS on the same weights (vs the CPU reference row 0 without cuBLAS).
    pub rel_err: Option<f64>,
    pub status: Status,
    /// The GPU may have waited for the host during timing (launch gaps counted).
    pub host_bound: bool,
    /// Anything else worth saying about the row (e.g. a baseline that failed its own check).
    pub note: Option<String>,
    /// `--oracle`: the fastest candidate configuration's median µs and its name.
    pub oracle: Option<(f64, String)>,
}

impl Row {
    pub fn new(problem: Problem, m: usize, copy_bw_gbs: Option<f64>) -> Row {
        let bytes = problem.moved_bytes(m);
        Row {
            problem,
            m,
            path: String::new(),
            config: String::new(),
            ours: None,
            cublas: None,
            bytes,
            floor_us: copy_bw_gbs.map(|bw| model::floor_us(bytes, bw)),
            rel_err: None,
            status: Status::Ok,
            host_bound: false,
            note: None,
            oracle: None,
        }
    }
    pub fn ok(&self) -> bool {
        self.status == Status::Ok
    }
    /// Our median µs, only for a correct row.
    pub fn us(&self) -> Option<f64> {
        self.ours.filter(|_| self.ok()).map(|s| s.median)
    }
    pub fn cublas_us(&self) -> Option<f64> {
        self.cublas.map(|s| s.median)
    }
    pub fn gbs(&self) -> Option<f64> {
        self.us().map(|us| model::gbs(self.bytes, us))
    }
    pub fn tflops(&self) -> Option<f64> {
        self.us().map(|us| model::tflops(self.problem.flops(self.m), us))
    }
    pub fn frac_floor(&self) -> Option<f64> {
        Some(self.floor_us? / self.us()?)
    }
    pub fn speedup(&self) -> Option<f64> {
        Some(self.cublas_us()? / self.us()?)
    }
    pub fn group_size(&self) -> usize {
        self.problem.group_size()
    }
    /// "128", "k", with "+z" for zeros.
    pub fn group_label(&self) -> String {
        let g = match self.problem.group {
            Group::Size(g) => g.to_string(),
            Group::PerChannel => "k".into(),
        };
        if self.problem.zeros {
            format!("{g}+z")
        } else {
            g
        }
    }
    pub fn shape(&self) -> String {
        format!("{}x{}", self.problem.n, self.problem.k)
    }
}

/// What is known about the run as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub tool_version: String,
    pub gpu: String,
    pub sm_count: i32,
    pub date: String,
    pub copy_bw_gbs: Option<f64>,
    pub cublas_tflops: Option<f64>,
    pub host_overhead_us: Option<f64>,
    /// Timing method in words (terminal and Markdown only; the JSON schema is fixed).
    pub method: String,
}

pub fn tool_version() -> String {
    format!("w4a16-bench {}", env!("CARGO_PKG_VERSION"))
}

/// JSON string literal of `s` (quotes included), RFC 8259 escaping.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7F}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `x` rounded to 6 significant digits as a JSON number; `null` for None or non-finite.
pub fn json_num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => {
            if v == 0.0 {
                return "0".into();
            }
            let digits = 6 - 1 - v.abs().log10().floor() as i32;
            let r = if digits > 0 {
                let p = 10f64.powi(digits.min(300));
                (v * p).round() / p
            } else {
                v.round()
            };
            // Rust never prints exponents for f64 Display, and "-0" is valid JSON.
            format!("{r}")
        }
        _ => "null".into(),
    }
}

pub fn to_json(info: &RunInfo, rows: &[Row]) -> String {
    let mut s = String::new();
    s.push_str("{\n");
    let _ = writeln!(s, "  \"tool_version\": {},", json_str(&info.tool_version));
    let _ = writeln!(s, "  \"gpu\": {},", json_str(&info.gpu));
    let _ = writeln!(s, "  \"sm_count\": {},", info.sm_count);
    let _ = writeln!(s, "  \"date\": {},", json_str(&info.date));
    let _ = writeln!(s, "  \"copy_bw_GBs\": {},", json_num(info.copy_bw_gbs));
    let _ = writeln!(s, "  \"cublas_tflops\": {},", json_num(info.cublas_tflops));
    let _ = writeln!(s, "  \"host_overhead_us\": {},", json_num(info.host_overhead_us));
    s.push_str("  \"rows\": [");
    for (i, r) in rows.iter().enumerate() {
        s.push_str(if i == 0 { "\n" } else { ",\n" });
        let ours_ok = r.ours.filter(|_| r.ok());
        let _ = write!(
            s,
            "    {{\"N\": {}, \"K\": {}, \"M\": {}, \"dtype\": {}, \"group\": {}, \"zeros\": {}, \
             \"path\": {}, \"config\": {}, \"us\": {}, \"p10_us\": {}, \"p90_us\": {}, \
             \"cublas_us\": {}, \"floor_us\": {}, \"GBs\": {}, \"TFLOPs\": {}, \
             \"frac_floor\": {}, \"speedup\": {}, \"rel_err\": {}{}}}",
            r.problem.n,
            r.problem.k,
            r.m,
            json_str(r.problem.dtype.name()),
            r.group_size(),
            r.problem.zeros,
            json_str(&r.path),
            json_str(&r.config),
            json_num(r.us()),
            json_num(ours_ok.map(|s| s.p10)),
            json_num(ours_ok.map(|s| s.p90)),
            json_num(r.cublas_us()),
            json_num(r.floor_us),
            json_num(r.gbs()),
            json_num(r.tflops()),
            json_num(r.frac_floor()),
            json_num(r.speedup()),
            json_num(r.rel_err),
            match &r.oracle {
                Some((us, cfg)) => format!(", \"oracle_us\": {}, \"oracle_config\": {}", json_num(Some(*us)), json_str(cfg)),
                None => String::new(),
            },
        );
    }
    s.push_str(if rows.is_empty() { "]\n" } else { "\n  ]\n" });
    s.push_str("}\n");
    s
}

fn f(x: Option<f64>, prec: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.prec$}"),
        _ => "-".into(),
    }
}

fn pct(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

fn times(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or("-".into(), |v| format!("{v:.2}x"))
}

fn err(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.1e}"),
        Some(_) => "inf/nan".into(),
        None => "-".into(),
    }
}

/// Time cell: the median µs, or WRONG / ERROR; a trailing '*' marks possible launch gaps.
fn us_cell(r: &Row) -> String {
    match &r.status {
        Status::Ok => {
            let t = f(r.us(), 1);
            if r.host_bound {
                format!("{t}*")
            } else {
                t
            }
        }
        Status::Wrong(_) => "WRONG".into(),
        Status::Error(_) => "ERROR".into(),
    }
}

const HEADERS: [&str; 14] = [
    "shape",
    "M",
    "dtype",
    "group",
    "path/config",
    "us",
    "cublas_us",
    "floor_us",
    "%floor",
    "xcuBLAS",
    "GB/s",
    "TFLOP/s",
    "rel_err",
    "oracle_us",
];

fn cells(r: &Row) -> Vec<String> {
    vec![
        r.shape(),
        r.m.to_string(),
        r.problem.dtype.name().to_string(),
        r.group_label(),
        if r.config.is_empty() { r.path.clone() } else { r.config.clone() },
        us_cell(r),
        f(r.cublas_us(), 1),
        f(r.floor_us, 1),
        pct(r.frac_floor()),
        times(r.speedup()),
        f(r.gbs(), 0),
        f(r.tflops(), 2),
        err(r.rel_err),
        r.oracle.as_ref().map_or("-".into(), |(us, _)| format!("{us:.1}")),
    ]
}

/// Column-aligned text table.
fn aligned(headers: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cs: Vec<String>| -> String {
        let mut s = String::new();
        for (i, c) in cs.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if i > 0 {
                s.push_str("  ");
            }
            if i < left {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.iter().map(|s| s.to_string()).collect());
    out.push_str(&line(w.iter().map(|&n| "-".repeat(n)).collect()));
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

/// The run's header lines (GPU, ceilings, method).
pub fn header(info: &RunInfo) -> String {
    format!(
        "GPU: {} ({} SMs), {}\n\
         copy bandwidth (DtoD, read+write): {} GB/s; cuBLAS fp16 8192^3: {} TFLOP/s; host overhead of one gemm call: {} us\n\
         timing: {}\n",
        info.gpu,
        info.sm_count,
        info.date,
        f(info.copy_bw_gbs, 0),
        f(info.cublas_tflops, 1),
        f(info.host_overhead_us, 2),
        info.method
    )
}

/// The terminal table, with notes for WRONG / ERROR rows underneath.
pub fn terminal_table(info: &RunInfo, rows: &[Row]) -> String {
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let mut out = header(info);
    out.push('\n');
    out.push_str(&aligned(&HEADERS, &body, 5));
    out.push_str(&notes(rows));
    out
}

fn notes(rows: &[Row]) -> String {
    let mut out = String::new();
    if rows.iter().any(|r| r.host_bound && r.ok()) {
        out.push_str("* the GPU may have waited for the host during timing (launch gaps included); try --graph\n");
    }
    for r in rows {
        if let Some(n) = &r.note {
            let _ = writeln!(out, "NOTE {} M={}: {n}", r.problem.label(), r.m);
        }
        match &r.status {
            Status::Ok => {}
            Status::Wrong(m) => {
                let _ = writeln!(out, "WRONG {} M={}: {m}", r.problem.label(), r.m);
            }
            Status::Error(m) => {
                let _ = writeln!(out, "ERROR {} M={}: {m}", r.problem.label(), r.m);
            }
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn to_markdown(info: &RunInfo, rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# w4a16-bench: {}\n", md_escape(&info.gpu));
    let _ = writeln!(
        s,
        "- {}, {}, {} SMs\n- copy bandwidth (DtoD, read+write): {} GB/s\n- cuBLAS fp16 8192³: {} TFLOP/s\n\
         - host overhead of one gemm call: {} µs\n- timing: {}\n- floor = bytes (int4 weights + scales (+zeros) + A + C (+bias)) / copy bandwidth\n",
        md_escape(&info.tool_version),
        md_escape(&info.date),
        info.sm_count,
        f(info.copy_bw_gbs, 0),
        f(info.cublas_tflops, 1),
        f(info.host_overhead_us, 2),
        md_escape(&info.method)
    );
    s.push_str(
        "| N×K | M | dtype | group | path/config | µs | p10 | p90 | cuBLAS µs | floor µs | % floor | × cuBLAS | GB/s | TFLOP/s | rel err |\n",
    );
    s.push_str("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let ok = r.ours.filter(|_| r.ok());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.shape(),
            r.m,
            r.problem.dtype.name(),
            r.group_label(),
            md_escape(if r.config.is_empty() { &r.path } else { &r.config }),
            us_cell(r),
            f(ok.map(|x| x.p10), 1),
            f(ok.map(|x| x.p90), 1),
            f(r.cublas_us(), 1),
            f(r.floor_us, 1),
            pct(r.frac_floor()),
            times(r.speedup()),
            f(r.gbs(), 0),
            f(r.tflops(), 2),
            err(r.rel_err),
        );
    }
    let n = notes(rows);
    if !n.is_empty() {
        s.push('\n');
        for l in n.lines() {
            let _ = writeln!(s, "- {}", md_escape(l));
        }
    }
    s
}

/// The seed program's table, with true units: `M | path | time (us) | TFLOP/s | GB/s`, one block
/// per problem.
pub fn seed_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < rows.len() {
        let p = rows[i].problem;
        let _ = writeln!(
            out,
            "\nN={} K={} {} group {}{}",
            p.n,
            p.k,
            p.dtype.name(),
            p.group.label(),
            if p.zeros { " +zeros" } else { "" }
        );
        out.push_str("    M | path        | time (us) | TFLOP/s |    GB/s\n");
        out.push_str("------|-------------|-----------|---------|--------\n");
        while i < rows.len() && rows[i].problem == p {
            let r = &rows[i];
            let _ = writeln!(
                out,
                "{:>5} | {:<11} | {:>9} | {:>7} | {:>7}",
                r.m,
                r.path,
                us_cell(r),
                f(r.tflops(), 3),
                f(r.gbs(), 0)
            );
            i += 1;
        }
    }
    out
}

/// Civil date (UTC) of a Unix time, as "YYYY-MM-DDThh:mm:ssZ" (Howard Hinnant's days→civil).
pub fn iso8601_utc(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let sod = unix_secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let mut y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    if m <= 2 {
        y += 1;
    }
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", sod / 3600, (sod / 60) % 60, sod % 60)
}

pub fn now_iso8601() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601_utc(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Dtype;

    fn summary(us: f64) -> Summary {
        Summary {
            median: us,
            p10: us * 0.9,
            p90: us * 1.1,
            min: us * 0.8,
            max: us * 1.2,
            count: 50,
        }
    }

    fn problem() -> Problem {
        Problem {
            n: 4096,
            k: 4096,
            dtype: Dtype::F16,
            group: Group::Size(128),
            zeros: false,
            bias: false,
        }
    }

    fn info() -> RunInfo {
        RunInfo {
            tool_version: tool_version(),
            gpu: "NVIDIA H100 80GB HBM3 \"test\"\n".into(),
            sm_count: 132,
            date: iso8601_utc(0),
            copy_bw_gbs: Some(2980.0),
            cublas_tflops: None,
            host_overhead_us: Some(1.25),
            method: "per-call events".into(),
        }
    }

    fn rows() -> Vec<Row> {
        let mut a = Row::new(problem(), 1, Some(2980.0));
        a.path = "gemv".into();
        a.config = "gemv.v0.cfg0.splitk1".into();
        a.ours = Some(summary(4.0));
        a.cublas = Some(summary(16.0));
        a.rel_err = Some(3e-4);
        let mut b = Row::new(problem(), 64, Some(2980.0));
        b.path = "tensor_core".into();
        b.ours = Some(summary(10.0));
        b.rel_err = Some(f64::NAN);
        b.status = Status::Wrong("rel err NaN".into());
        vec![a, b]
    }

    #[test]
    fn derived_values() {
        let r = &rows()[0];
        let bytes = problem().moved_bytes(1) as f64;
        assert_eq!(r.us(), Some(4.0));
        assert!((r.speedup().unwrap() - 4.0).abs() < 1e-12);
        assert!((r.gbs().unwrap() - bytes / 4e-6 / 1e9).abs() < 1e-9);
        assert!((r.tflops().unwrap() - 2.0 * 4096.0 * 4096.0 / 4e-6 / 1e12).abs() < 1e-12);
        let fl = bytes / 2980e9 * 1e6;
        assert!((r.frac_floor().unwrap() - fl / 4.0).abs() < 1e-12);
        // WRONG rows report no speed.
        let w = &rows()[1];
        assert_eq!((w.us(), w.gbs(), w.speedup(), w.frac_floor()), (None, None, None, None));
    }

    #[test]
    fn json_escaping_and_numbers() {
        assert_eq!(json_str("a\"b\\c\nd\te\u{1}"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
        assert_eq!(json_str("µs ×"), "\"µs ×\"");
        assert_eq!(json_num(None), "null");
        assert_eq!(json_num(Some(f64::NAN)), "null");
        assert_eq!(json_num(Some(f64::INFINITY)), "null");
        assert_eq!(json_num(Some(0.0)), "0");
        assert_eq!(json_num(Some(2.9080123456)), "2.90801");
        assert_eq!(json_num(Some(1234567.0)), "1234567");
        assert_eq!(json_num(Some(0.000123456789)), "0.000123457");
        assert_eq!(json_num(Some(3.0)), "3");
        assert!(!json_num(Some(1e-9)).contains('e'));
    }

    #[test]
    fn json_shape() {
        let j = to_json(&info(), &rows());
        assert!(j.starts_with("{\n") && j.ends_with("}\n"));
        for key in [
            "\"tool_version\"",
            "\"gpu\"",
            "\"sm_count\": 132",
            "\"date\": \"1970-01-01T00:00:00Z\"",
            "\"copy_bw_GBs\": 2980",
            "\"cublas_tflops\": null",
            "\"host_overhead_us\": 1.25",
            "\"rows\": [",
        ] {
            assert!(j.contains(key), "{key} missing in {j}");
        }
        // The GPU name's quote and newline are escaped.
        assert!(j.contains("\\\"test\\\"\\n"));
        // Row keys, in order, and nulls for the WRONG row.
        let row_keys = [
            "N",
            "K",
            "M",
            "dtype",
            "group",
            "zeros",
            "path",
            "config",
            "us",
            "p10_us",
            "p90_us",
            "cublas_us",
            "floor_us",
            "GBs",
            "TFLOPs",
            "frac_floor",
            "speedup",
            "rel_err",
        ];
        let lines: Vec<&str> = j.lines().filter(|l| l.trim_start().starts_with("{\"N\"")).collect();
        assert_eq!(lines.len(), 2);
        for l in &lines {
            let mut pos = 0;
            for k in row_keys {
                let at =
                    l[pos..].find(&format!("\"{k}\": ")).unwrap_or_else(|| panic!("{k} in {l}"));
                pos += at + 1;
            }
            assert_eq!(l.matches("\": ").count(), row_keys.len());
        }
        assert!(lines[0].contains("\"us\": 4,") && lines[0].contains("\"speedup\": 4,"));
        assert!(lines[0].contains("\"zeros\": false") && lines[0].contains("\"group\": 128"));
        assert!(lines[1].contains("\"us\": null") && lines[1].contains("\"rel_err\": null"));
        // Balanced brackets/braces outside strings.
        let (mut depth, mut in_str, mut esc) = (0i32, false, false);
        for c in j.chars() {
            if in_str {
                match (esc, c) {
                    (true, _) => esc = false,
                    (false, '\\') => esc = true,
                    (false, '"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0);
        }
        assert_eq!((depth, in_str), (0, false));
        let empty = to_json(&info(), &[]);
        assert!(empty.contains("\"rows\": []"));
    }

    #[test]
    fn tables() {
        let t = terminal_table(&info(), &rows());
        assert!(t.contains("WRONG") && t.contains("4.00x") && t.contains("gemv.v0.cfg0.splitk1"));
        assert!(t.contains("WRONG 4096x4096 fp16 g128 M=64: rel err NaN"));
        let md = to_markdown(&info(), &rows());
        assert!(md.contains("| 4096x4096 | 1 | fp16 | 128 |"));
        assert_eq!(md.lines().filter(|l| l.starts_with("| 4096x4096")).count(), 2);
        let s = seed_table(&rows());
        assert!(s.contains("N=4096 K=4096 fp16 group 128"));
        assert!(s.contains("    1 | gemv        |       4.0 |   8.389 |"));
        assert!(s.contains("   64 | tensor_core |     WRONG |       - |"));
    }

    #[test]
    fn dates() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
