//! Colours, text limits and number formats shared by the charts, so that the same
//! thing (p95, errors, a budget) looks the same in every picture.

use plotters::style::RGBColor;

/// Page background.
pub(crate) const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Titles, labels, budget lines.
pub(crate) const INK: RGBColor = RGBColor(33, 37, 41);
/// Subtitles and notes.
pub(crate) const MUTED: RGBColor = RGBColor(108, 117, 125);
/// Grid lines and frames.
pub(crate) const GRID: RGBColor = RGBColor(206, 212, 218);
/// Empty panels.
pub(crate) const PANEL: RGBColor = RGBColor(248, 249, 250);
/// Every other stage band (the rest stay white).
pub(crate) const BAND: RGBColor = RGBColor(236, 240, 245);
/// Stage boundaries.
pub(crate) const BOUNDARY: RGBColor = RGBColor(173, 181, 189);

/// p50 / requests.
pub(crate) const BLUE: RGBColor = RGBColor(31, 119, 180);
/// p95.
pub(crate) const ORANGE: RGBColor = RGBColor(242, 142, 43);
/// p99 / errors / over budget.
pub(crate) const RED: RGBColor = RGBColor(214, 39, 40);
/// Within budget.
pub(crate) const GREEN: RGBColor = RGBColor(44, 160, 44);
/// No budget.
pub(crate) const NEUTRAL: RGBColor = RGBColor(134, 148, 166);
/// Active users.
pub(crate) const PURPLE: RGBColor = RGBColor(117, 76, 170);
/// A budget line.
pub(crate) const BUDGET: RGBColor = RGBColor(52, 58, 64);

/// One colour per series when several steps share a chart (colour-blind friendly order).
pub(crate) const SERIES: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(242, 142, 43),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Longest step name or rule shown before it is cut with an ellipsis.
pub(crate) const MAX_NAME_CHARS: usize = 40;

/// `text` with every character an SVG (XML 1.0) cannot hold — control characters,
/// U+FFFE, U+FFFF — replaced by a space, so no name can break the document.
pub(crate) fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `text` cut to `max` characters, the last one an ellipsis; characters an SVG cannot
/// hold become spaces (see [`sanitize`]).
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let clean = sanitize(text);
    if clean.chars().count() <= max {
        clean
    } else {
        let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// A step name as charts show it: long ones keep their start and their end around an
/// ellipsis, since names that share a long prefix usually differ at the end.
pub(crate) fn step_name(name: &str) -> String {
    let clean = shorten(name, usize::MAX);
    let count = clean.chars().count();
    if count <= MAX_NAME_CHARS {
        return clean;
    }
    let tail = MAX_NAME_CHARS / 3;
    let head = MAX_NAME_CHARS - tail - 1;
    let mut cut: String = clean.chars().take(head).collect();
    cut.push('…');
    cut.extend(clean.chars().skip(count - tail));
    cut
}

/// Milliseconds for an axis tick: `0`, `2.5`, `120`, `1,500`.
pub(crate) fn ms_tick(ms: f64) -> String {
    if ms.abs() < 10.0 {
        trim_zeros(format!("{ms:.2}"))
    } else if ms.abs() < 100.0 {
        trim_zeros(format!("{ms:.1}"))
    } else {
        thousands(ms.round() as i64)
    }
}

/// A budget limit in µs as people write it: `400ms`, `1.5s`, `850µs` (no `.0`).
pub(crate) fn limit_label(micros: f64) -> String {
    let micros = if micros.is_finite() {
        micros.max(0.0)
    } else {
        0.0
    };
    if micros >= 1_000_000.0 {
        trim_zeros(format!("{:.2}", micros / 1_000_000.0)) + "s"
    } else if micros >= 1_000.0 {
        trim_zeros(format!("{:.1}", micros / 1_000.0)) + "ms"
    } else {
        format!("{micros:.0}µs")
    }
}

/// A count or rate for an axis tick: `0`, `2.5`, `1,200`.
pub(crate) fn count_tick(value: f64) -> String {
    if value.abs() < 10.0 && value.fract() != 0.0 {
        trim_zeros(format!("{value:.1}"))
    } else {
        thousands(value.round() as i64)
    }
}

/// Seconds since the start for a time axis: `45s` for short runs, `12:30` for long ones,
/// `1:15:00` past an hour.
pub(crate) fn time_tick(secs: f64, run_secs: f64) -> String {
    if run_secs < 120.0 {
        trim_zeros(format!("{secs:.1}")) + "s"
    } else {
        let whole = secs.max(0.0).round() as u64;
        if run_secs < 3_600.0 {
            format!("{}:{:02}", whole / 60, whole % 60)
        } else {
            format!("{}:{:02}:{:02}", whole / 3_600, whole / 60 % 60, whole % 60)
        }
    }
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// An axis top a little above `max` (never zero or non-finite, so ranges stay valid).
pub(crate) fn axis_top(max: f64, headroom: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * headroom
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_names_with_an_ellipsis() {
        assert_eq!(shorten("short", 40), "short");
        let long = "x".repeat(100);
        let cut = shorten(&long, 40);
        assert_eq!(cut.chars().count(), 40);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("a\nb", 40), "a b");
        let name = format!("{}-login", "a".repeat(60));
        let shown = step_name(&name);
        assert_eq!(shown.chars().count(), MAX_NAME_CHARS);
        assert!(shown.ends_with("-login") && shown.contains('…'), "{shown}");
    }

    #[test]
    fn formats_ticks() {
        assert_eq!(ms_tick(0.0), "0");
        assert_eq!(ms_tick(2.5), "2.5");
        assert_eq!(ms_tick(1500.0), "1,500");
        assert_eq!(count_tick(1200.0), "1,200");
        assert_eq!(limit_label(400_000.0), "400ms");
        assert_eq!(limit_label(2_000_000.0), "2s");
        assert_eq!(limit_label(1_500_000.0), "1.5s");
        assert_eq!(limit_label(850.0), "850µs");
        assert_eq!(time_tick(30.0, 60.0), "30s");
        assert_eq!(time_tick(750.0, 900.0), "12:30");
        assert_eq!(time_tick(4_500.0, 7_200.0), "1:15:00");
    }
}
