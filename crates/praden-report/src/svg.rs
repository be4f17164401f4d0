//! The report's charts as SVG strings, drawn on the server: no JavaScript, no external
//! reference (fonts are named, not loaded), the same string for the same input, so a page can
//! inline them, a print can keep them and a test can compare them.
//!
//! Every chart is 720 units wide (it fits the text width of an A4 page at print scale), uses
//! "Sarabun, sans-serif", carries a `<title>` and a `<desc>` that lists its figures as text
//! for screen readers, and escapes every piece of text ([`esc`]). Element ids are derived
//! from the chart's content, so two different charts inlined in one page do not collide.
//!
//! Colours (on white): in time green `#1f7a3a`, late amber `#c98a00`, not clarified red
//! `#b3261e`; text `#1f2328`. Segments of a stacked bar are separated by a white gap so they
//! stay apart in greyscale and for colour-blind readers, and each bar is also labelled in
//! numbers.

use praden_core::kpi::{self, Period, PeriodKind, Row, LATENESS_BUCKETS};

const WIDTH: f64 = 720.0;
const PAD: f64 = 16.0;
const FONT: &str = "Sarabun, sans-serif";
const TEXT: &str = "#1f2328";
const MUTED: &str = "#57606a";
const GRID: &str = "#d0d7de";
const IN_TIME: &str = "#1f7a3a";
const LATE: &str = "#c98a00";
const NOT_CLARIFIED: &str = "#b3261e";

/// Escapes text for XML content and attribute values as the pages escape HTML. Control
/// characters other than tab, LF and CR are dropped first, since XML 1.0 cannot hold them at
/// all and a news title may carry one.
pub fn esc(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    praden_core::html::escape(&kept)
}

/// "ไตรมาส 1/2570" for a fiscal quarter; other periods by their code (`2570H1`, `2570`, …).
pub fn quarter_label(period: &Period) -> String {
    match period.kind {
        PeriodKind::Quarter { year, quarter } => format!("ไตรมาส {quarter}/{year}"),
        _ => period.code(),
    }
}

/// `72.5%`: the one decimal the KPI is given in.
fn pct(p: f64) -> String {
    format!("{p:.1}%")
}

/// A coordinate, one decimal: enough for the eye, and stable as text.
fn n(x: f64) -> String {
    format!("{x:.1}")
}

/// Thai marks written above or below the letter before them take no width of their own.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

/// About how wide `s` is at `font_px`: ~0.64 em a letter (about 9 px at 14 px, on the wide
/// side for Sarabun, so a label rather falls short than overflows), 0.3 em a space, nothing
/// for the marks above and below.
fn text_width(s: &str, font_px: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            c if is_combining(c) => 0.0,
            ' ' => 0.3,
            _ => 0.64,
        })
        .sum::<f64>()
        * font_px
}

/// `s` cut to fit `max_px` at `font_px`, ending in "…" if cut. It is cut before a letter only,
/// so a letter keeps its marks, and not after a vowel that is written before its consonant.
fn fit(s: &str, max_px: f64, font_px: f64) -> String {
    if text_width(s, font_px) <= max_px {
        return s.to_string();
    }
    let room = max_px - text_width("…", font_px);
    let mut out = String::new();
    for c in s.chars() {
        if !is_combining(c)
            && text_width(&out, font_px) + text_width(&c.to_string(), font_px) > room
        {
            break;
        }
        out.push(c);
    }
    while out.ends_with(['เ', 'แ', 'โ', 'ใ', 'ไ', ' ']) {
        out.pop();
    }
    out.push('…');
    out
}

/// A short id from the chart's kind and content (FNV-1a), so ids are deterministic and two
/// different charts on one page do not share them.
fn chart_id(kind: &str, title: &str, desc: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain(title.bytes()).chain(desc.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("kpi-{kind}-{:08x}", h >> 32)
}

/// The opening of a chart: the root element, its title and its description.
fn open(kind: &str, height: f64, title: &str, desc: &str) -> String {
    let id = chart_id(kind, title, desc);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"{FONT}\">\n\
         <title id=\"{id}-title\">{t}</title>\n<desc id=\"{id}-desc\">{d}</desc>\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n\
         <text x=\"{PAD}\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"{TEXT}\">{heading}</text>\n",
        // Whole units: the sizes a reader of the markup expects.
        w = format!("{WIDTH:.0}"),
        h = format!("{:.0}", height.ceil()),
        t = esc(title),
        // The visible heading is cut to the width if it must; `<title>` keeps it whole.
        heading = esc(&fit(title, WIDTH - 2.0 * PAD, 18.0)),
        d = esc(desc),
    )
}

fn text(x: f64, y: f64, size: f64, anchor: &str, fill: &str, content: &str) -> String {
    format!(
        "<text x=\"{}\" y=\"{}\" font-size=\"{size}\" text-anchor=\"{anchor}\" fill=\"{fill}\">{}</text>\n",
        n(x),
        n(y),
        esc(content)
    )
}

fn rect(x: f64, y: f64, w: f64, h: f64, fill: &str) -> String {
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>\n",
        n(x),
        n(y),
        n(w),
        n(h)
    )
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) -> String {
    format!(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{extra}/>\n",
        n(x1),
        n(y1),
        n(x2),
        n(y2)
    )
}

/// A percentage as given, or `None` if it is not a number; clamped to 0–100 for drawing.
fn clamp_pct(p: Option<f64>) -> Option<f64> {
    p.filter(|p| p.is_finite()).map(|p| p.clamp(0.0, 100.0))
}

/// `72.5% (29/40)`: in time of decided. `None` while nothing is decided.
fn bar_label(r: &Row) -> Option<String> {
    let f = &r.figures;
    f.percent_in_time
        .map(|p| format!("{} ({}/{})", pct(p), f.in_time, f.decided()))
}

// Layout of `bars`: the name column, then the bars, then their labels.
const LABEL_FONT: f64 = 14.0;
const LABEL_X: f64 = BAR_X - 8.0;
const LABEL_W: f64 = LABEL_X - PAD;
const BAR_X: f64 = 360.0;
const BAR_W: f64 = 230.0;
const BAR_H: f64 = 20.0;
/// A row's height with a name on one line, and on two.
const ROW_H: f64 = 32.0;
const ROW_H2: f64 = 46.0;

/// A row's figures in words, for its `<title>` and the chart's `<desc>`.
fn row_summary(r: &Row) -> String {
    let f = &r.figures;
    match bar_label(r) {
        Some(label) => format!(
            "{}: ทันเวลา {label}, ล่าช้า {}, ไม่ได้ชี้แจง {}, ยังไม่ถึงกำหนด {}",
            r.name, f.late, f.not_clarified, f.pending
        ),
        None => format!("{}: ยังไม่มีผล, ยังไม่ถึงกำหนด {}", r.name, f.pending),
    }
}

/// A name as it fits the label column: one line if it can, else broken at the last space
/// that lets the first line fit (Thai names put spaces between their parts: "กระทรวงการ
/// อุดมศึกษา วิทยาศาสตร์ วิจัยและนวัตกรรม"), the second line cut with "…" if still too long.
/// A name with no such space is cut on one line.
fn label_lines(name: &str) -> Vec<String> {
    if text_width(name, LABEL_FONT) <= LABEL_W {
        return vec![name.to_string()];
    }
    let split = name
        .char_indices()
        .filter(|&(_, c)| c == ' ')
        .map(|(i, _)| i)
        .rfind(|&i| text_width(&name[..i], LABEL_FONT) <= LABEL_W);
    match split {
        Some(i) => vec![
            name[..i].trim_end().to_string(),
            fit(name[i..].trim_start(), LABEL_W, LABEL_FONT),
        ],
        None => vec![fit(name, LABEL_W, LABEL_FONT)],
    }
}

/// Horizontal bars, one per row (ministries or agencies) in the order given, on a 0–100 %
/// scale.
///
/// Each bar is stacked: of the row's decided issues, the share in time (green), late (amber)
/// and not clarified (red), so the green part's length *is* the percentage in time and the
/// rest shows what kept it from 100 %. Pending issues are not drawn (they are not in the
/// percentage). A bar is labelled "72.5% (29/40)": per cent in time (in time / decided). A
/// row with nothing decided yet gets an empty outlined bar labelled "ยังไม่มีผล", not a zero.
///
/// Names get a 336-unit column (about 37 Thai letters at 14 px, marks above and below not
/// counted); a longer name wraps onto a second line at a space, and is cut with "…" only if
/// that is not enough. Every row's group carries a `<title>` with the full name and figures
/// for hover and screen readers. `target` (e.g. `Some(80.0)`) draws a dashed line labelled
/// "เป้าหมาย 80%".
pub fn bars(title: &str, rows: &[Row], target: Option<f64>) -> String {
    let target = clamp_pct(target);
    let labels: Vec<Vec<String>> = rows.iter().map(|r| label_lines(&r.name)).collect();
    let row_h = |lines: &[String]| if lines.len() > 1 { ROW_H2 } else { ROW_H };
    let top = 90.0;
    let bottom = top
        + if rows.is_empty() {
            ROW_H
        } else {
            labels.iter().map(|l| row_h(l)).sum()
        };
    let height = bottom + 24.0 + 28.0 + PAD;
    let undecided = rows.iter().any(|r| r.figures.decided() == 0);

    let mut desc: Vec<String> = rows.iter().map(row_summary).collect();
    if rows.is_empty() {
        desc.push("ไม่มีข้อมูล".into());
    }
    if let Some(t) = target {
        desc.push(format!("เป้าหมาย {}%", trim_pct(t)));
    }
    let mut out = open("bars", height, title, &desc.join("\n"));

    // Legend.
    let mut x = PAD;
    let mut legend = vec![
        (IN_TIME, "ทันเวลา"),
        (LATE, "ล่าช้า"),
        (NOT_CLARIFIED, "ไม่ได้ชี้แจง"),
    ];
    if undecided {
        legend.push(("none", "ยังไม่มีผล"));
    }
    for (colour, label) in legend {
        if colour == "none" {
            out.push_str(&outline(x, 44.0, 14.0, 14.0));
        } else {
            out.push_str(&rect(x, 44.0, 14.0, 14.0, colour));
        }
        out.push_str(&text(x + 20.0, 56.0, 13.0, "start", TEXT, label));
        x += 20.0 + text_width(label, 13.0) + 24.0;
    }

    // Scale: grid lines and their labels below the bars.
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let gx = BAR_X + tick / 100.0 * BAR_W;
        out.push_str(&line(gx, top - 4.0, gx, bottom, GRID, ""));
        out.push_str(&text(
            gx,
            bottom + 16.0,
            12.0,
            "middle",
            MUTED,
            &format!("{tick:.0}%"),
        ));
    }

    if rows.is_empty() {
        out.push_str(&text(
            BAR_X + BAR_W / 2.0,
            top + 20.0,
            14.0,
            "middle",
            MUTED,
            "ไม่มีข้อมูล",
        ));
    }
    let mut y = top;
    for (r, lines) in rows.iter().zip(&labels) {
        let h = row_h(lines);
        let centre = y + h / 2.0 - 2.0;
        y += h;
        let f = &r.figures;
        out.push_str(&format!("<g>\n<title>{}</title>\n", esc(&row_summary(r))));
        match lines.as_slice() {
            [one] => out.push_str(&text(LABEL_X, centre + 5.0, LABEL_FONT, "end", TEXT, one)),
            many => {
                out.push_str(&format!(
                    "<text x=\"{x}\" y=\"{}\" font-size=\"{LABEL_FONT}\" text-anchor=\"end\" fill=\"{TEXT}\">",
                    n(centre - 3.5),
                    x = n(LABEL_X)
                ));
                for (k, l) in many.iter().enumerate() {
                    let dy = if k == 0 { 0.0 } else { 17.0 };
                    out.push_str(&format!(
                        "<tspan x=\"{}\" dy=\"{dy}\">{}</tspan>",
                        n(LABEL_X),
                        esc(l)
                    ));
                }
                out.push_str("</text>\n");
            }
        }
        let bar_y = centre - BAR_H / 2.0;
        let decided = f.decided();
        if decided == 0 {
            out.push_str(&outline(BAR_X, bar_y, BAR_W, BAR_H));
            out.push_str(&text(
                BAR_X + BAR_W + 8.0,
                centre + 5.0,
                13.0,
                "start",
                MUTED,
                "ยังไม่มีผล",
            ));
        } else {
            // Cumulative edges, so the segments meet exactly and end at 100 %.
            let mut start = 0u32;
            for (count, colour) in [
                (f.in_time, IN_TIME),
                (f.late, LATE),
                (f.not_clarified, NOT_CLARIFIED),
            ] {
                if count == 0 {
                    continue;
                }
                let x0 = BAR_X + BAR_W * f64::from(start) / f64::from(decided);
                let x1 = BAR_X + BAR_W * f64::from(start + count) / f64::from(decided);
                out.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n",
                    n(x0),
                    n(bar_y),
                    n(x1 - x0),
                    n(BAR_H)
                ));
                start += count;
            }
            out.push_str(&text(
                BAR_X + BAR_W + 8.0,
                centre + 5.0,
                13.0,
                "start",
                TEXT,
                &bar_label(r).unwrap_or_default(),
            ));
        }
        out.push_str("</g>\n");
    }

    if let Some(t) = target {
        let tx = BAR_X + t / 100.0 * BAR_W;
        out.push_str(&line(
            tx,
            top - 10.0,
            tx,
            bottom + 2.0,
            TEXT,
            " stroke-width=\"1.5\" stroke-dasharray=\"6 4\"",
        ));
        out.push_str(&text(
            tx,
            top - 14.0,
            12.0,
            "middle",
            TEXT,
            &format!("เป้าหมาย {}%", trim_pct(t)),
        ));
    }

    out.push_str(&text(
        PAD,
        bottom + 44.0,
        12.0,
        "start",
        MUTED,
        "ความยาวแถบ = ประเด็นที่ทราบผลแล้ว (ทันเวลา + ล่าช้า + ไม่ได้ชี้แจง); ตัวเลข = ร้อยละที่ทันเวลา (ทันเวลา/ทราบผล)",
    ));
    out.push_str("</svg>\n");
    out
}

/// The dashed outline of a bar (or legend swatch) with nothing to fill it.
fn outline(x: f64, y: f64, w: f64, h: f64) -> String {
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{MUTED}\" stroke-dasharray=\"3 2\"/>\n",
        n(x),
        n(y),
        n(w),
        n(h)
    )
}

/// `80` for 80.0, `72.5` for 72.5: a target is usually whole.
fn trim_pct(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

// Plot area of `trend` and `lateness`.
const PLOT_X0: f64 = 64.0;
const PLOT_X1: f64 = WIDTH - PAD;

/// The percentage in time over quarters, oldest first: one point per quarter, labelled
/// "ไตรมาส 1/2570" ([`quarter_label`]), on a 0–100 % axis. Consecutive points are joined by a
/// line and labelled with their value. A `None` (nothing decided that quarter) is a gap: the
/// line breaks there and the slot says "ไม่มีผล", so it is never read as zero.
pub fn trend(title: &str, points: &[(Period, Option<f64>)]) -> String {
    let (top, bottom) = (60.0, 250.0);
    let slot = (PLOT_X1 - PLOT_X0) / points.len().max(1) as f64;
    // Labels of about 90 units side by side would run into each other: slant them.
    let slant = slot < 96.0;
    let height = if slant { 340.0 } else { 300.0 };
    let x_of = |i: usize| PLOT_X0 + slot * (i as f64 + 0.5);
    let y_of = |p: f64| bottom - p / 100.0 * (bottom - top);
    let values: Vec<Option<f64>> = points.iter().map(|(_, v)| clamp_pct(*v)).collect();

    let mut desc: Vec<String> = points
        .iter()
        .zip(&values)
        .map(|((period, _), v)| match v {
            Some(v) => format!("{}: {}", quarter_label(period), pct(*v)),
            None => format!("{}: ไม่มีผล", quarter_label(period)),
        })
        .collect();
    if points.is_empty() {
        desc.push("ไม่มีข้อมูล".into());
    }
    let mut out = open("trend", height, title, &desc.join("\n"));

    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let gy = y_of(tick);
        out.push_str(&line(PLOT_X0, gy, PLOT_X1, gy, GRID, ""));
        out.push_str(&text(
            PLOT_X0 - 8.0,
            gy + 4.0,
            12.0,
            "end",
            MUTED,
            &format!("{tick:.0}%"),
        ));
    }
    if points.is_empty() {
        out.push_str(&text(
            (PLOT_X0 + PLOT_X1) / 2.0,
            (top + bottom) / 2.0,
            14.0,
            "middle",
            MUTED,
            "ไม่มีข้อมูล",
        ));
    }

    // The line, broken at every gap.
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut String| {
        if run.len() >= 2 {
            out.push_str(&format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{IN_TIME}\" stroke-width=\"2.5\"/>\n",
                run.join(" ")
            ));
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push(format!("{},{}", n(x_of(i)), n(y_of(*v)))),
            None => flush(&mut run, &mut out),
        }
    }
    flush(&mut run, &mut out);

    for (i, ((period, _), v)) in points.iter().zip(&values).enumerate() {
        let x = x_of(i);
        let label = quarter_label(period);
        out.push_str(&format!("<g>\n<title>{}</title>\n", esc(&desc[i])));
        match v {
            Some(v) => {
                let y = y_of(*v);
                out.push_str(&format!(
                    "<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{IN_TIME}\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>\n",
                    n(x),
                    n(y)
                ));
                out.push_str(&text(x, y - 10.0, 13.0, "middle", TEXT, &pct(*v)));
            }
            None => out.push_str(&text(x, bottom - 8.0, 12.0, "middle", MUTED, "ไม่มีผล")),
        }
        if slant {
            out.push_str(&format!(
                "<text x=\"{x}\" y=\"{y}\" font-size=\"12\" text-anchor=\"end\" fill=\"{TEXT}\" transform=\"rotate(-35 {x} {y})\">{}</text>\n",
                esc(&label),
                x = n(x),
                y = n(bottom + 18.0),
            ));
        } else {
            out.push_str(&text(x, bottom + 20.0, 12.0, "middle", TEXT, &label));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// How late the late ones were: one column per bucket of [`LATENESS_BUCKETS`] (1, 2, 3–7,
/// 8–14, over 14 days), counted by [`kpi::lateness`], the count on top of each column (0
/// included, so an empty bucket is visibly empty rather than missing). The columns share one
/// scale from 0 to the largest count.
pub fn lateness(title: &str, late_days: &[i64]) -> String {
    let counts = kpi::lateness(late_days);
    let total: u32 = counts.iter().sum();
    let (top, bottom) = (84.0, 240.0);
    let height = bottom + 32.0 + PAD;
    let slot = (PLOT_X1 - PLOT_X0) / LATENESS_BUCKETS.len() as f64;
    let col_w = slot * 0.56;
    let max = counts.iter().copied().max().unwrap_or(0).max(1);

    let mut desc: Vec<String> = vec![format!("ล่าช้าทั้งหมด {total} เรื่อง")];
    desc.extend(
        LATENESS_BUCKETS
            .iter()
            .zip(counts)
            .map(|((label, _, _), c)| format!("{label}: {c} เรื่อง")),
    );
    let mut out = open("lateness", height, title, &desc.join("\n"));
    let subtitle = if total == 0 {
        "ไม่มีประเด็นที่ชี้แจงล่าช้า".to_string()
    } else {
        format!("ชี้แจงล่าช้าทั้งหมด {total} เรื่อง จำแนกตามจำนวนวันที่เกินกำหนด")
    };
    out.push_str(&text(PAD, 52.0, 13.0, "start", MUTED, &subtitle));

    for (i, ((label, _, _), c)) in LATENESS_BUCKETS.iter().zip(counts).enumerate() {
        let cx = PLOT_X0 + slot * (i as f64 + 0.5);
        let h = f64::from(c) / f64::from(max) * (bottom - top);
        out.push_str(&format!(
            "<g>\n<title>{}</title>\n",
            esc(&format!("{label}: {c} เรื่อง"))
        ));
        if c > 0 {
            out.push_str(&rect(cx - col_w / 2.0, bottom - h, col_w, h, LATE));
        }
        out.push_str(&text(
            cx,
            bottom - h - 6.0,
            14.0,
            "middle",
            TEXT,
            &c.to_string(),
        ));
        out.push_str(&text(cx, bottom + 20.0, 13.0, "middle", TEXT, label));
        out.push_str("</g>\n");
    }
    out.push_str(&line(PLOT_X0, bottom, PLOT_X1, bottom, MUTED, ""));
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{self, MHESI, MNRE, MOC};
    use praden_core::kpi::Figures;

    /// Parses `svg` as XML and returns its root's text content, all of it: what a screen
    /// reader or a search could see.
    fn parse(svg: &str) -> roxmltree::Document<'_> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(root.attribute("role"), Some("img"));
        assert!(root.attribute("viewBox").unwrap().starts_with("0 0 720 "));
        assert_eq!(root.attribute("font-family"), Some("Sarabun, sans-serif"));
        // aria-labelledby names the title and the description, which exist.
        let ids: Vec<&str> = root
            .attribute("aria-labelledby")
            .unwrap()
            .split(' ')
            .collect();
        assert_eq!(ids.len(), 2);
        for id in ids {
            let node = doc
                .descendants()
                .find(|n| n.attribute("id") == Some(id))
                .unwrap_or_else(|| panic!("no element {id}"));
            assert!(["title", "desc"].contains(&node.tag_name().name()));
        }
        fits_the_page(&doc);
        for n in doc.descendants() {
            assert_ne!(n.tag_name().name(), "script");
            assert_ne!(n.tag_name().name(), "image");
            assert!(n
                .attribute(("http://www.w3.org/1999/xlink", "href"))
                .is_none());
            assert!(n.attribute("href").is_none());
        }
        doc
    }

    /// Every text, by the width estimate the layout uses, lies within the 720 units (slanted
    /// labels aside).
    fn fits_the_page(doc: &roxmltree::Document<'_>) {
        for t in doc.descendants().filter(|n| n.tag_name().name() == "text") {
            if t.attribute("transform").is_some() {
                continue;
            }
            let x: f64 = t.attribute("x").unwrap().parse().unwrap();
            let size: f64 = t.attribute("font-size").unwrap().parse().unwrap();
            let lines: Vec<&str> = match t.text() {
                Some(one) => vec![one],
                None => t.children().filter_map(|c| c.text()).collect(),
            };
            for l in lines {
                let w = text_width(l, size);
                let (lo, hi) = match t.attribute("text-anchor") {
                    Some("end") => (x - w, x),
                    Some("middle") => (x - w / 2.0, x + w / 2.0),
                    _ => (x, x + w),
                };
                assert!(lo >= 0.0 && hi <= WIDTH, "{l:?} spans {lo}..{hi}");
            }
        }
    }

    fn texts<'a>(doc: &'a roxmltree::Document<'a>, tag: &str) -> Vec<&'a str> {
        doc.descendants()
            .filter(|n| n.tag_name().name() == tag)
            .filter_map(|n| n.text())
            .collect()
    }

    #[test]
    fn bars_show_each_ministrys_percentage_and_the_target() {
        let kpi = testdata::kpi();
        let svg = bars("ร้อยละที่ทันเวลา รายกระทรวง", &kpi.by_ministry, Some(80.0));
        let doc = parse(&svg);
        let shown = texts(&doc, "text");
        assert!(shown.contains(&"66.7% (2/3)"), "{shown:?}");
        assert!(shown.contains(&"0.0% (0/1)"), "{shown:?}");
        assert!(shown.contains(&"ยังไม่มีผล"), "{shown:?}");
        assert!(shown.contains(&"เป้าหมาย 80%"), "{shown:?}");
        assert!(shown.contains(&MOC) && shown.contains(&MNRE));
        // The long name wraps at a space onto a second line, whole.
        let wrapped: Vec<&str> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "tspan")
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(wrapped, ["กระทรวงการอุดมศึกษา วิทยาศาสตร์", "วิจัยและนวัตกรรม"]);
        assert_eq!(wrapped.join(" "), MHESI);
        let desc = texts(&doc, "desc").join("");
        assert!(desc.contains(&format!("{MOC}: ทันเวลา 66.7% (2/3), ล่าช้า 1")));
        assert!(desc.contains(&format!("{MHESI}: ยังไม่มีผล")));
        // Stacked: 2 in time, 1 late of 3 decided; no red segment for กระทรวงพาณิชย์.
        let rects: Vec<(&str, f64)> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "rect")
            .filter_map(|n| {
                Some((
                    n.attribute("fill")?,
                    n.attribute("width")?.parse::<f64>().ok()?,
                ))
            })
            .collect();
        assert!(rects.contains(&(IN_TIME, 153.3)), "{rects:?}");
        assert!(rects.contains(&(LATE, 76.7)), "{rects:?}");
        assert!(rects.contains(&(NOT_CLARIFIED, BAR_W)), "{rects:?}");
        assert_eq!(
            svg,
            bars("ร้อยละที่ทันเวลา รายกระทรวง", &kpi.by_ministry, Some(80.0)),
            "deterministic"
        );
        // No target, no target line.
        assert!(!bars("t", &kpi.by_ministry, None).contains("เป้าหมาย"));
    }

    #[test]
    fn bars_escape_names_and_cut_very_long_ones() {
        let long = "กรมทดสอบความยาวของชื่อหน่วยงานที่ยาวมากจนเกินกว่าคอลัมน์จะรับไหวแน่นอน";
        let rows = [
            Row {
                name: "กรม <A> & \"B\" 'C'".into(),
                ministry: "x".into(),
                figures: Figures {
                    assigned: 1,
                    in_time: 1,
                    percent_in_time: Some(100.0),
                    ..Figures::default()
                },
            },
            Row {
                name: long.into(),
                ministry: "x".into(),
                figures: Figures::default(),
            },
        ];
        let svg = bars("A & B <ทดสอบ>", &rows, Some(72.5));
        assert!(svg.contains("กรม &lt;A&gt; &amp; &quot;B&quot; &#39;C&#39;"));
        assert!(svg.contains("<title id=\"kpi-bars-"));
        assert!(svg.contains(">A &amp; B &lt;ทดสอบ&gt;</title>"));
        let doc = parse(&svg);
        let shown = texts(&doc, "text");
        assert!(shown.contains(&"กรม <A> & \"B\" 'C'"));
        assert!(shown.contains(&"100.0% (1/1)"));
        assert!(shown.contains(&"เป้าหมาย 72.5%"));
        let cut = shown
            .iter()
            .find(|t| t.ends_with('…'))
            .expect("the long name is cut");
        assert!(long.starts_with(cut.trim_end_matches('…')));
        assert!(text_width(cut, LABEL_FONT) <= BAR_X - 8.0 - PAD);
        // The full name stays in the row's title.
        assert!(texts(&doc, "title").iter().any(|t| t.starts_with(long)));
    }

    #[test]
    fn the_trend_breaks_at_a_quarter_without_results() {
        let q = |y, n| Period::quarter(y, n).unwrap();
        let points = [
            (q(2569, 3), Some(60.0)),
            (q(2569, 4), Some(72.5)),
            (q(2570, 1), None),
            (q(2570, 2), Some(50.0)),
        ];
        let svg = trend("แนวโน้มรายไตรมาส", &points);
        let doc = parse(&svg);
        let shown = texts(&doc, "text");
        for label in [
            "ไตรมาส 3/2569",
            "ไตรมาส 4/2569",
            "ไตรมาส 1/2570",
            "ไตรมาส 2/2570",
            "60.0%",
            "72.5%",
            "50.0%",
            "ไม่มีผล",
        ] {
            assert!(shown.contains(&label), "{label} in {shown:?}");
        }
        assert!(!shown.contains(&"0.0%"), "a gap is not a zero: {shown:?}");
        // One line joins the first two; the last point stands alone after the gap.
        let lines: Vec<&str> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "polyline")
            .filter_map(|n| n.attribute("points"))
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].split(' ').count(), 2);
        let dots = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "circle")
            .count();
        assert_eq!(dots, 3);
        let desc = texts(&doc, "desc").join("");
        assert!(desc.contains("ไตรมาส 1/2570: ไม่มีผล"), "{desc}");
        assert_eq!(quarter_label(&Period::parse("2570H1").unwrap()), "2570H1");
        assert_eq!(quarter_label(&Period::parse("2570").unwrap()), "2570");
        // Many quarters: still well-formed, labels slanted.
        let many: Vec<_> = (1..=4)
            .flat_map(|n| [(q(2569, n), Some(10.0)), (q(2570, n), None)])
            .collect();
        assert!(parse(&trend("t", &many))
            .descendants()
            .any(|n| n.attribute("transform").is_some()));
        parse(&trend("ว่าง", &[]));
    }

    #[test]
    fn lateness_counts_each_bucket_on_top_of_its_column() {
        let svg = lateness("ความล่าช้า", &[1, 1, 2, 3, 7, 8, 14, 15, 400]);
        let doc = parse(&svg);
        let groups: Vec<Vec<&str>> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "g")
            .map(|g| {
                g.children()
                    .filter(|n| n.tag_name().name() == "text")
                    .filter_map(|n| n.text())
                    .collect()
            })
            .collect();
        assert_eq!(
            groups,
            [
                ["2", "1 วัน"],
                ["1", "2 วัน"],
                ["2", "3–7 วัน"],
                ["2", "8–14 วัน"],
                ["2", "เกิน 14 วัน"],
            ]
        );
        assert!(texts(&doc, "desc").join("").contains("ล่าช้าทั้งหมด 9 เรื่อง"));
        let empty = lateness("ความล่าช้า", &[]);
        assert!(parse(&empty)
            .descendants()
            .all(|n| n.attribute("fill") != Some(LATE)));
        assert!(empty.contains("ไม่มีประเด็นที่ชี้แจงล่าช้า"));
    }

    #[test]
    fn esc_escapes_the_five_and_drops_what_xml_cannot_hold() {
        assert_eq!(esc("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assert_eq!(esc("ก\u{0}ข\u{1b}ค\tง"), "กขค\tง");
    }
}
