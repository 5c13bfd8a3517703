//! `loadgate compare` and `run --baseline`: the flags, and the table the user reads.

use super::{compare, Comparison, Tolerance};
use crate::cli::ToleranceArgs;
use crate::exit::{AppError, Exit};
use crate::report::format_micros;
use crate::summary::RunSummary;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;
use std::path::Path;

impl TryFrom<&ToleranceArgs> for Tolerance {
    type Error = AppError;

    fn try_from(args: &ToleranceArgs) -> Result<Self, AppError> {
        let flag = |text: String| AppError::Flag(text);
        if !(args.tolerance.is_finite() && (0.0..=1000.0).contains(&args.tolerance)) {
            return Err(flag(format!(
                "--tolerance: {} must be a percentage from 0 to 1000",
                args.tolerance
            )));
        }
        if !(args.error_rate_tolerance.is_finite()
            && (0.0..=100.0).contains(&args.error_rate_tolerance))
        {
            return Err(flag(format!(
                "--error-rate-tolerance: {} must be from 0 to 100 points",
                args.error_rate_tolerance
            )));
        }
        if !(0.5..=0.999).contains(&args.confidence) {
            return Err(flag(format!(
                "--confidence: {} must be from 0.5 to 0.999",
                args.confidence
            )));
        }
        let floor = crate::scenario::duration::parse_duration(&args.latency_floor)
            .map_err(|e| flag(format!("--latency-floor: {e}")))?;
        Ok(Tolerance {
            relative: args.tolerance / 100.0,
            latency_floor_micros: floor.as_micros() as f64,
            error_rate: args.error_rate_tolerance / 100.0,
            confidence: args.confidence,
        })
    }
}

/// Reads a baseline or current run for comparison; unreadable input is exit 2.
pub fn read_run(path: &Path) -> Result<RunSummary, AppError> {
    RunSummary::read(path).map_err(|e| AppError::Input(e.to_string()))
}

/// `loadgate compare BASELINE CURRENT`.
pub fn compare_command(
    baseline: &Path,
    current: &Path,
    tolerance: &ToleranceArgs,
) -> Result<Exit, AppError> {
    let tolerance = Tolerance::try_from(tolerance)?;
    let (baseline, current) = (read_run(baseline)?, read_run(current)?);
    let comparison = compare(&baseline, &current, tolerance);
    for line in comparison_lines(&comparison) {
        println!("{line}");
    }
    Ok(if comparison.passed() {
        Exit::Passed
    } else {
        Exit::Failed
    })
}

/// The comparison as a table plus a one-line result.
pub fn comparison_lines(comparison: &Comparison) -> Vec<String> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "step",
        "figure",
        "baseline",
        "current",
        "change",
        "confidence",
        "verdict",
    ]);
    for f in &comparison.figures {
        table.add_row(vec![
            f.step.clone(),
            f.figure.clone(),
            f.display(f.baseline),
            f.display(f.current),
            f.change_text(),
            format!("{:.1}%", f.confidence * 100.0),
            if f.regression {
                "REGRESSION".into()
            } else {
                "ok".into()
            },
        ]);
    }
    let mut lines = vec![
        format!("Baseline comparison against {}:", comparison.baseline),
        table.to_string(),
    ];
    if !comparison.unmatched_steps.is_empty() {
        lines.push(format!(
            "not compared (in one run only): {}",
            comparison.unmatched_steps.join(", ")
        ));
    }
    let regressions = comparison.regressions();
    let t = &comparison.tolerance;
    lines.push(if regressions.is_empty() {
        format!(
            "Baseline: PASS (no figure worse beyond {:.0}% / {} / +{:.2} points at {:.0}% confidence)",
            t.relative * 100.0,
            format_micros(t.latency_floor_micros as u64),
            t.error_rate * 100.0,
            t.confidence * 100.0
        )
    } else {
        format!("Baseline: FAIL, regressed: {}", regressions.join(", "))
    });
    lines
}
