//! The one set of unit formatters every format uses (terminal, HTML, Markdown, JUnit,
//! the comparison): budget figures in their unit, latencies, percentages, rates, stage
//! labels and durations, so every place says the same figure in the same words.

use crate::metrics::StepMetrics;
use crate::slo::{Unit, Verdict};
use crate::summary::RunSummary;

/// The most extra digits [`measured_and_limit`] adds to tell two close figures apart.
const MAX_EXTRA_DIGITS: usize = 4;

/// A budget figure in its unit with `extra` more digits than usual: `12.3ms`, `0.012%`,
/// `523.4/s`, `1200`. Non-finite values (never expected) print as `n/a`.
pub fn format_value(value: f64, unit: Unit, extra: usize) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    match unit {
        Unit::Micros => format_micros_f64(value, extra),
        Unit::Fraction => format_percent(value, extra),
        Unit::PerSecond => format!("{value:.prec$}/s", prec = 1 + extra),
        Unit::Bytes => format_bytes(value, extra),
        Unit::FractionPerHour => format!("{}/h", format_percent(value, extra)),
        Unit::Number => format_number(value, extra),
        Unit::Count => {
            if value.fract() == 0.0 && extra == 0 {
                format!("{value:.0}")
            } else {
                format!("{value:.prec$}", prec = 1 + extra)
            }
        }
    }
}

/// A verdict's measured value and limit, formatted with just enough digits that a
/// failing figure never reads the same as its limit (`200.04ms` against `200.0ms`, not
/// `200.0ms` against `200.0ms`). The measured side is `None` when nothing was measured,
/// and says so when an interrupted run measured only part of the window.
pub fn measured_and_limit(verdict: &Verdict) -> (Option<String>, String) {
    let Some(measured) = verdict.measured else {
        return (None, format_value(verdict.limit, verdict.unit, 0));
    };
    let mut extra = 0;
    loop {
        let m = format_value(measured, verdict.unit, extra);
        let l = format_value(verdict.limit, verdict.unit, extra);
        if m != l || measured == verdict.limit || extra >= MAX_EXTRA_DIGITS {
            let m = if verdict.partial {
                format!("{m} ({PARTIAL})")
            } else {
                m
            };
            return (Some(m), l);
        }
        extra += 1;
    }
}

/// The one-line statement of a verdict's figures: `measured 250.3ms, limit < 200.0ms`,
/// or the reason it could not be measured.
pub fn verdict_statement(verdict: &Verdict) -> String {
    let (measured, limit) = measured_and_limit(verdict);
    match measured {
        Some(m) => format!("measured {m}, limit {} {limit}", verdict.comparison),
        None => format!(
            "not measured: {}; limit {} {limit}",
            verdict.reason.as_deref().unwrap_or("no samples"),
            verdict.comparison
        ),
    }
}

/// Said beside every figure an interrupted run could judge only in part.
pub const PARTIAL: &str = "partial: the run was interrupted";

/// Microseconds as `850µs`, `12.3ms`, `1.52s` (like [`format_micros`]), for the
/// fractional values budgets carry (means, limits).
fn format_micros_f64(micros: f64, extra: usize) -> String {
    let abs = micros.abs();
    // A figure that rounds up to the next unit is written in that unit (`1.00s`, never
    // `1000.0ms`).
    let rounds_below = |value: f64, prec: usize| {
        let text = format!("{value:.prec$}");
        text.parse::<f64>().is_ok_and(|v| v.abs() < 1_000.0)
    };
    let us_prec = if micros.fract() == 0.0 && extra == 0 {
        0
    } else {
        extra.max(1)
    };
    if abs < 1_000.0 && rounds_below(micros, us_prec) {
        format!("{micros:.us_prec$}µs")
    } else if abs < 1_000_000.0 && rounds_below(micros / 1_000.0, 1 + extra) {
        format!("{:.prec$}ms", micros / 1_000.0, prec = 1 + extra)
    } else {
        format!("{:.prec$}s", micros / 1_000_000.0, prec = 2 + extra)
    }
}

/// Bytes in the largest unit of 1,024 that keeps the figure at or above 1: `850B`,
/// `12.5KB`, `412.3MB`, `1.25GB` (MB is 1,024 × 1,024 bytes, as budgets read it).
pub fn format_bytes(bytes: f64, extra: usize) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 && extra == 0 && value.fract() == 0.0 {
        return format!("{value:.0}B");
    }
    let prec = if unit >= 3 { 2 } else { 1 } + extra;
    format!("{value:.prec$}{}", UNITS[unit])
}

/// A plain number with three significant digits and no trailing zeros: `0.953`,
/// `12.5`, `1200`.
pub fn format_number(value: f64, extra: usize) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i64;
    let decimals = (2 - magnitude).clamp(0, 8) as usize + extra;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A fraction as a percentage with three significant digits and no trailing zeros, so
/// small error rates stay visible: `0.00012` → `0.012%`, `0.05` → `5%`.
pub fn format_percent(fraction: f64, extra: usize) -> String {
    let pct = fraction * 100.0;
    if pct == 0.0 {
        return "0%".to_string();
    }
    let magnitude = pct.abs().log10().floor() as i64;
    let decimals = (2 - magnitude).clamp(0, 8) as usize + extra;
    let text = format!("{pct:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}%")
}

/// A stage as people name it, 1-based, with its name when it has one: `stage 2 · peak`.
pub fn stage_label(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) if !name.trim().is_empty() => format!("stage {} · {name}", index + 1),
        _ => format!("stage {}", index + 1),
    }
}

/// The name of stage `index` from the run's settings, if it has one.
pub fn stage_name(summary: &RunSummary, index: usize) -> Option<&str> {
    summary
        .settings
        .stages
        .get(index)
        .and_then(|s| s.name.as_deref())
}

/// Step names in scenario order, then any measured step the order does not list (so a
/// report never hides data), each at most once.
pub fn ordered_steps<'a>(
    summary: &'a RunSummary,
    steps: &'a std::collections::BTreeMap<String, StepMetrics>,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for name in summary
        .step_order
        .iter()
        .map(String::as_str)
        .chain(steps.keys().map(String::as_str))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A duration in seconds for people: `45s`, `2m 30s`, `1h 05m`.
pub fn format_duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "n/a".to_string();
    }
    let whole = secs.round() as u64;
    if secs < 10.0 && secs.fract() != 0.0 {
        format!("{secs:.1}s")
    } else if whole < 60 {
        format!("{whole}s")
    } else if whole < 3_600 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h {:02}m", whole / 3_600, (whole % 3_600) / 60)
    }
}

/// An arrival rate: `50/s`, `2.5/s`, `0.03/s` (iterations started per second).
pub fn format_arrival_rate(per_second: f64) -> String {
    let text = if per_second >= 100.0 || per_second == per_second.round() {
        format!("{per_second:.0}")
    } else if per_second >= 1.0 {
        format!("{per_second:.1}")
    } else {
        format!("{per_second:.2}")
    };
    format!("{text}/s")
}

/// An open-model stage's target rate: `200/s`, or `50/s→200/s` for a ramp.
pub fn rate_range(start: f64, end: f64) -> String {
    if start == end {
        format_arrival_rate(end)
    } else {
        format!(
            "{}→{}",
            format_arrival_rate(start),
            format_arrival_rate(end)
        )
    }
}

/// A stage's users: `240`, or `120→240` for a ramp, so a ramp is never mistaken for a
/// stage that held its end load throughout.
pub fn user_range(start: usize, end: usize) -> String {
    if start == end {
        end.to_string()
    } else {
        format!("{start}→{end}")
    }
}

/// Microseconds for people: `850µs`, `12.3ms`, `1.52s` (histogram figures are whole
/// microseconds).
pub fn format_micros(micros: u64) -> String {
    format_micros_f64(micros as f64, 0)
}

/// A rate of steps per second as the tables print it: `143.2` (the column says `req/s`).
pub fn format_rate(per_second: f64) -> String {
    if per_second.is_finite() {
        format!("{per_second:.1}")
    } else {
        "n/a".to_string()
    }
}

/// What a table shows where there is no figure (a step that never ran or never
/// succeeded).
pub const NONE: &str = "–";

/// Requests per second over `seconds` (0 when the span is empty).
pub fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(measured: Option<f64>, limit: f64, unit: Unit) -> Verdict {
        Verdict {
            rule: "r".into(),
            source: None,
            measure: "p95".into(),
            comparison: "<".into(),
            limit,
            measured,
            unit,
            steps: vec![],
            scope: "all HTTP steps".into(),
            stage: None,
            passed: false,
            reason: None,
            partial: false,
        }
    }

    #[test]
    fn values_by_unit() {
        assert_eq!(format_value(850.0, Unit::Micros, 0), "850µs");
        assert_eq!(format_value(12_345.0, Unit::Micros, 0), "12.3ms");
        assert_eq!(format_value(1_520_000.0, Unit::Micros, 0), "1.52s");
        assert_eq!(format_value(0.00012, Unit::Fraction, 0), "0.012%");
        assert_eq!(format_value(0.01, Unit::Fraction, 0), "1%");
        assert_eq!(format_value(0.0123, Unit::Fraction, 0), "1.23%");
        assert_eq!(format_value(1.0, Unit::Fraction, 0), "100%");
        assert_eq!(format_value(0.0, Unit::Fraction, 0), "0%");
        assert_eq!(format_value(523.44, Unit::PerSecond, 0), "523.4/s");
        assert_eq!(format_value(1200.0, Unit::Count, 0), "1200");
        assert_eq!(format_value(512.0 * 1048576.0, Unit::Bytes, 0), "512.0MB");
        assert_eq!(format_value(850.0, Unit::Bytes, 0), "850B");
        assert_eq!(format_value(1.5 * 1073741824.0, Unit::Bytes, 0), "1.50GB");
        assert_eq!(format_value(0.05, Unit::FractionPerHour, 0), "5%/h");
        assert_eq!(format_value(-0.0123, Unit::FractionPerHour, 0), "-1.23%/h");
        assert_eq!(format_value(0.9534, Unit::Number, 0), "0.953");
        assert_eq!(format_value(1234.0, Unit::Number, 0), "1234");
        assert_eq!(format_micros(850), "850µs");
        assert_eq!(format_micros(200_000), "200.0ms");
        assert_eq!(format_micros(1_520_000), "1.52s");
        assert_eq!(format_rate(143.25), "143.2");
        assert_eq!(format_micros(999_960), "1.00s");
        assert_eq!(format_value(999.96, Unit::Micros, 0), "1.0ms");
    }

    #[test]
    fn close_figures_get_more_digits() {
        let v = verdict(Some(200_040.0), 200_000.0, Unit::Micros);
        let (m, l) = measured_and_limit(&v);
        assert_eq!(
            (m.unwrap(), l),
            ("200.04ms".to_string(), "200.00ms".to_string())
        );
        let v = verdict(Some(0.0100001), 0.01, Unit::Fraction);
        let (m, l) = measured_and_limit(&v);
        assert_ne!(m.unwrap(), l);
    }

    #[test]
    fn statements() {
        let v = verdict(Some(250_300.0), 200_000.0, Unit::Micros);
        assert_eq!(verdict_statement(&v), "measured 250.3ms, limit < 200.0ms");
        let mut v = verdict(None, 0.01, Unit::Fraction);
        v.reason = Some("the step never ran".into());
        assert_eq!(
            verdict_statement(&v),
            "not measured: the step never ran; limit < 1%"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(45.0), "45s");
        assert_eq!(format_duration(2.5), "2.5s");
        assert_eq!(format_duration(150.0), "2m 30s");
        assert_eq!(format_duration(3_900.0), "1h 05m");
    }
}
