//! Minimal hand-written SVG line plots (axes, ticks, legend): speedup over cuBLAS and fraction of
//! the bandwidth floor against M. No dependency.

use std::fmt::Write as _;

/// One line of a plot: (x, y) points; a `None` y breaks the line (a WRONG or failed point).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, Option<f64>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// x is drawn on a log2 axis (x must be > 0; other points are skipped).
    pub log2_x: bool,
    /// A dashed horizontal reference (e.g. 1.0 = parity with cuBLAS, or 100% of the floor).
    pub reference: Option<(f64, String)>,
    /// Show y ticks as percentages (y = 0.85 → "85%").
    pub y_percent: bool,
    pub series: Vec<Series>,
}

const W: f64 = 960.0;
const H: f64 = 560.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 700.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 490.0;
const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Escapes text for SVG content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over `range`.
pub fn nice_step(range: f64, target: usize) -> f64 {
    if !(range.is_finite() && range > 0.0) {
        return 1.0;
    }
    let raw = range / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn fmt_tick(v: f64, step: f64, percent: bool) -> String {
    let (v, step) = if percent { (v * 100.0, step * 100.0) } else { (v, step) };
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    let s = format!("{v:.decimals$}");
    if percent {
        format!("{s}%")
    } else {
        s
    }
}

pub fn render(plot: &Plot) -> String {
    let tx = |x: f64| if plot.log2_x { x.log2() } else { x };
    let valid = |x: f64| x.is_finite() && (!plot.log2_x || x > 0.0);
    // Data ranges.
    let xs: Vec<f64> = plot
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .filter(|&x| valid(x))
        .map(tx)
        .collect();
    let (mut x0, mut x1) =
        xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if plot.log2_x {
        x0 = x0.floor();
        x1 = x1.ceil();
    }
    if x1 - x0 < 1e-9 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let ymax_data = plot
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .filter(|y| y.is_finite())
        .chain(plot.reference.as_ref().map(|r| r.0))
        .fold(0.0f64, f64::max);
    let ymax_raw = if ymax_data > 0.0 { ymax_data * 1.08 } else { 1.0 };
    let ystep = nice_step(ymax_raw, 6);
    let ymax = (ymax_raw / ystep).ceil() * ystep;
    let px = |x: f64| LEFT + (tx(x) - x0) / (x1 - x0) * (RIGHT - LEFT);
    let py = |y: f64| BOTTOM - (y.clamp(0.0, ymax) / ymax) * (BOTTOM - TOP);

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">{}</text>",
        (LEFT + RIGHT) / 2.0,
        xml_escape(&plot.title)
    );
    // Grid and y ticks.
    let mut yv = 0.0;
    while yv <= ymax + ystep * 1e-6 {
        let y = py(yv);
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{RIGHT}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            fmt_tick(yv, ystep, plot.y_percent)
        );
        yv += ystep;
    }
    // x ticks.
    let span = x1 - x0;
    if plot.log2_x {
        let stride = ((span / 14.0).ceil() as i64).max(1);
        let mut e = x0 as i64;
        while e as f64 <= x1 + 1e-9 {
            let x = LEFT + (e as f64 - x0) / span * (RIGHT - LEFT);
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{BOTTOM}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                BOTTOM + 5.0,
                BOTTOM + 19.0,
                2f64.powi(e as i32)
            );
            e += stride;
        }
    } else {
        let step = nice_step(span, 8);
        let mut v = (x0 / step).ceil() * step;
        while v <= x1 + step * 1e-6 {
            let x = LEFT + (v - x0) / span * (RIGHT - LEFT);
            let _ = writeln!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{BOTTOM}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                BOTTOM + 5.0,
                BOTTOM + 19.0,
                fmt_tick(v, step, false)
            );
            v += step;
        }
    }
    // Axes and labels.
    let _ = writeln!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{BOTTOM}\" x2=\"{RIGHT}\" y2=\"{BOTTOM}\" stroke=\"black\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{BOTTOM}\" stroke=\"black\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 42.0,
        xml_escape(&plot.x_label)
    );
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 20 {:.1})\">{}</text>",
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0,
        xml_escape(&plot.y_label)
    );
    // Reference line.
    if let Some((v, label)) = &plot.reference {
        if v.is_finite() && *v >= 0.0 {
            let y = py(*v);
            let _ = writeln!(
                s,
                "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{RIGHT}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
                RIGHT - 4.0,
                y - 5.0,
                xml_escape(label)
            );
        }
    }
    // Series and legend.
    for (i, ser) in plot.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let flush = |seg: &mut Vec<(f64, f64)>, s: &mut String| {
            if seg.len() >= 2 {
                let pts: Vec<String> = seg.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = writeln!(
                    s,
                    "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
                    pts.join(" ")
                );
            }
            seg.clear();
        };
        let mut pts: Vec<(f64, Option<f64>)> =
            ser.points.iter().copied().filter(|p| valid(p.0)).collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (x, y) in pts {
            match y.filter(|v| v.is_finite()) {
                Some(y) => {
                    let (cx, cy) = (px(x), py(y));
                    let _ = writeln!(
                        s,
                        "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"{color}\"/>"
                    );
                    segment.push((cx, cy));
                }
                None => flush(&mut segment, &mut s),
            }
        }
        flush(&mut segment, &mut s);
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{color}\" stroke-width=\"3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            RIGHT + 20.0,
            RIGHT + 44.0,
            RIGHT + 50.0,
            ly + 4.0,
            xml_escape(&ser.label)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot(series: Vec<Series>) -> Plot {
        Plot {
            title: "speedup <over> cuBLAS & co".into(),
            x_label: "M".into(),
            y_label: "x cuBLAS".into(),
            log2_x: true,
            reference: Some((1.0, "parity".into())),
            y_percent: false,
            series,
        }
    }

    fn well_formed(s: &str) {
        assert!(s.starts_with("<svg"), "{s}");
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
        // Raw '<' only opens tags; '&' only starts entities.
        assert!(!s.contains("<over>") && s.contains("&lt;over&gt;") && s.contains("&amp; co"));
        let opens = s.matches("<svg").count();
        assert_eq!(opens, 1);
        // Every element is self-closed or closed.
        for tag in ["text", "svg"] {
            assert_eq!(
                s.matches(&format!("<{tag}")).count(),
                s.matches(&format!("</{tag}>")).count(),
                "{tag}"
            );
        }
    }

    #[test]
    fn renders_series_with_gaps() {
        let s = render(&plot(vec![
            Series {
                label: "4096x4096".into(),
                points: vec![
                    (1.0, Some(3.1)),
                    (2.0, Some(2.9)),
                    (4.0, None),
                    (8.0, Some(1.5)),
                    (16.0, Some(1.2)),
                ],
            },
            Series {
                label: "8192x8192".into(),
                points: vec![(1.0, Some(2.0)), (4096.0, Some(0.9))],
            },
        ]));
        well_formed(&s);
        assert_eq!(s.matches("<polyline").count(), 3);
        assert_eq!(s.matches("<circle").count(), 6);
        assert!(s.contains(">4096</text>") && s.contains(">1</text>"));
        assert!(s.contains("4096x4096") && s.contains("parity"));
    }

    #[test]
    fn empty_and_degenerate() {
        well_formed(&render(&plot(vec![])));
        well_formed(&render(&plot(vec![Series { label: "x".into(), points: vec![(1.0, None)] }])));
        let mut p = plot(vec![Series { label: "one".into(), points: vec![(16.0, Some(0.5))] }]);
        p.y_percent = true;
        let s = render(&p);
        well_formed(&s);
        assert!(s.contains("%</text>"));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(1.0, 5), 0.2);
        assert_eq!(nice_step(3.3, 6), 1.0);
        assert_eq!(nice_step(0.0, 5), 1.0);
        assert_eq!(fmt_tick(0.25, 0.05, true), "25%");
        assert_eq!(fmt_tick(0.4, 0.2, false), "0.4");
    }
}
