//! The generator's own figures as every format shows them: its CPU (mean and peak, as a
//! share of its cores), how late its timers fired (p50, p99, max) and, in the open
//! model, how late iterations started (p99), for the whole run and each stage; and,
//! when the built-in `load delivered` check failed, the sentence that says loadgate
//! itself was the bottleneck.

use super::format::{format_micros, format_percent, stage_label, stage_name, NONE};
use crate::metrics::{GeneratorMetrics, GeneratorWindow, LatencyHistogram};
use crate::slo::delivered::{MAX_CPU, MAX_TIMER_LAG_P99, RULE};
use crate::summary::RunSummary;

/// The generator section of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorView {
    /// One row for the whole run, then one per stage that ran.
    pub rows: Vec<GeneratorRow>,
    /// Whether the rows carry slot lateness (open model).
    pub open_model: bool,
    /// What the figures are and what the check allows, in one paragraph.
    pub note: String,
}

/// One window's figures, as text (`–` where there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorRow {
    /// `whole run` or `stage 2 · hold`.
    pub window: String,
    /// Mean CPU over the window's one-second samples: `43%`.
    pub cpu_mean: String,
    /// The busiest second: `71%`.
    pub cpu_peak: String,
    /// Timer lag percentiles and maximum: `1.1ms`.
    pub lag_p50: String,
    /// See `lag_p50`.
    pub lag_p99: String,
    /// See `lag_p50`.
    pub lag_max: String,
    /// Open model: p99 of how late iterations started; `None` in the closed model.
    pub slot_p99: Option<String>,
}

/// The sentence said near the headline when the generator was the bottleneck.
pub const BOTTLENECK: &str =
    "loadgate itself was the bottleneck: these latencies measure the generator, not the target.";

/// The generator section; `None` for runs recorded without generator figures.
pub fn generator_view(summary: &RunSummary) -> Option<GeneratorView> {
    let generator = summary.metrics.generator.as_ref()?;
    let open_model = generator.run.slot_lateness.is_some();
    let mut rows = vec![row("whole run".to_string(), &generator.run)];
    for (index, window) in generator.stages.iter().enumerate() {
        let ran = summary
            .metrics
            .stages
            .get(index)
            .is_none_or(|s| s.ran_secs > 0.0);
        if ran {
            rows.push(row(stage_label(index, stage_name(summary, index)), window));
        }
    }
    Some(GeneratorView {
        rows,
        open_model,
        note: note(generator),
    })
}

/// "loadgate itself was the bottleneck…" and the check's reason, when it failed.
pub fn bottleneck(summary: &RunSummary) -> Option<String> {
    let check = summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule == RULE && !v.passed)?;
    Some(match &check.reason {
        Some(reason) => format!("{BOTTLENECK} {}.", capitalized(reason)),
        None => BOTTLENECK.to_string(),
    })
}

fn row(window: String, w: &GeneratorWindow) -> GeneratorRow {
    let cpu = |f: fn(&crate::metrics::CpuFigures) -> f64| {
        w.cpu
            .as_ref()
            .map_or(NONE.to_string(), |c| whole_percent(f(c)))
    };
    let lag = |f: fn(&LatencyHistogram) -> u64| {
        if w.timer_lag.count() == 0 {
            NONE.to_string()
        } else {
            format_micros(f(&w.timer_lag))
        }
    };
    GeneratorRow {
        window,
        cpu_mean: cpu(|c| c.mean),
        cpu_peak: cpu(|c| c.peak),
        lag_p50: lag(|h| h.percentile(50.0)),
        lag_p99: lag(|h| h.percentile(99.0)),
        lag_max: lag(LatencyHistogram::max),
        slot_p99: w.slot_lateness.as_ref().map(|h| {
            if h.count() == 0 {
                NONE.to_string()
            } else {
                format_micros(h.percentile(99.0))
            }
        }),
    }
}

fn note(generator: &GeneratorMetrics) -> String {
    let cores = match generator.cores {
        1 => "1 core".to_string(),
        n => format!("{n} cores"),
    };
    let cpu = if generator.cpu_measured {
        format!(
            "CPU is loadgate's own (the bundled server's threads left out), sampled each second, as a share of the {cores} it may use"
        )
    } else {
        "CPU was not measured on this platform (Linux only)".to_string()
    };
    let slots = if generator.run.slot_lateness.is_some() {
        "; slot lateness is how late iterations started against their intended time"
    } else {
        ""
    };
    format!(
        "What loadgate measured about itself. {cpu}; timer lag is how late a {} timer woke{slots}. The built-in `{RULE}` check fails when a stage's mean CPU reaches {} or its p99 timer lag passes {}.",
        format_micros(generator.tick_micros),
        whole_percent(MAX_CPU),
        format_micros(MAX_TIMER_LAG_P99)
    )
}

/// CPU shares are read at a glance: whole percentages (`43%`), with `<1%` for an
/// idle-looking but non-zero share.
fn whole_percent(share: f64) -> String {
    if share > 0.0 && share < 0.005 {
        "<1%".to_string()
    } else if share >= 0.995 {
        "100%".to_string()
    } else {
        format_percent((share * 100.0).round() / 100.0, 0)
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_shares_read_as_whole_percentages() {
        assert_eq!(whole_percent(0.0), "0%");
        assert_eq!(whole_percent(0.001), "<1%");
        assert_eq!(whole_percent(0.434), "43%");
        assert_eq!(whole_percent(0.9), "90%");
        assert_eq!(whole_percent(0.999), "100%");
    }
}
