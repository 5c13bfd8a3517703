//! `loadgate compare` and `run --baseline`: the flags turned into a [`Tolerance`], the
//! runs read, and the comparison printed as a table or as JSON.

use crate::cli::ToleranceArgs;
use crate::compare::{Comparison, Correction, Tolerance};
use crate::exit::{AppError, Exit};
use crate::report::comparison::comparison_lines;
use crate::scenario::diagnostic::printable;
use crate::summary::RunSummary;
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
        let correction = match args.correction.as_str() {
            "holm" => Correction::Holm,
            "none" => Correction::None,
            other => return Err(flag(format!("--correction: {other} must be holm or none"))),
        };
        Ok(Tolerance {
            relative: args.tolerance / 100.0,
            latency_floor_micros: floor.as_micros() as f64,
            error_rate: args.error_rate_tolerance / 100.0,
            confidence: args.confidence,
            correction,
            gate_p99: args.gate_p99,
        })
    }
}

/// Reads a baseline or current run for comparison; unreadable input is exit 2.
pub fn read_run(path: &Path) -> Result<RunSummary, AppError> {
    RunSummary::read(path).map_err(|e| AppError::Input(e.to_string()))
}

/// How the two runs' plans differ, one sentence each; empty when they ran the same
/// plan. A comparison of different plans is still made, but a different time scale,
/// stage list or scenario changes the figures as much as a regression would, so it is
/// said before the table.
pub fn plan_differences(baseline: &RunSummary, current: &RunSummary) -> Vec<String> {
    let (b, c) = (&baseline.settings, &current.settings);
    let mut found = Vec::new();
    if baseline.scenario.file != current.scenario.file
        || baseline.scenario.name != current.scenario.name
    {
        found.push(format!(
            "the runs used different scenarios: `{}` ({}) in the baseline, `{}` ({}) now",
            baseline.scenario.name,
            baseline.scenario.file,
            current.scenario.name,
            current.scenario.file
        ));
    }
    if b.time_scale != c.time_scale {
        found.push(format!(
            "the runs used different time scales: --time-scale {} in the baseline, {} now",
            b.time_scale, c.time_scale
        ));
    }
    let plan = |stages: &[crate::summary::StageSetting]| {
        stages
            .iter()
            .map(|s| stage_text(s.users, s.duration_secs))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if b.stages.len() != c.stages.len() {
        found.push(format!(
            "the runs had different stages: {} in the baseline ({}), {} now ({})",
            b.stages.len(),
            plan(&b.stages),
            c.stages.len(),
            plan(&c.stages)
        ));
    } else {
        // Stages record their scaled lengths: with different time scales, lengths
        // differ anyway and the time-scale sentence says why.
        let same_scale = b.time_scale == c.time_scale;
        for (i, (bs, cs)) in b.stages.iter().zip(&c.stages).enumerate() {
            if bs.users != cs.users || (same_scale && bs.duration_secs != cs.duration_secs) {
                found.push(format!(
                    "stage {} differs: {} in the baseline, {} now",
                    i + 1,
                    stage_text(bs.users, bs.duration_secs),
                    stage_text(cs.users, cs.duration_secs)
                ));
            }
        }
    }
    let flows = |flows: &[crate::summary::FlowSetting]| {
        flows
            .iter()
            .map(|f| format!("{}×{}", f.name, f.weight))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if b.flows != c.flows {
        found.push(format!(
            "the runs had different flows or weights: {} in the baseline, {} now",
            flows(&b.flows),
            flows(&c.flows)
        ));
    }
    found
}

/// `1 user over 2s`, `30 users over 60s`.
fn stage_text(users: usize, seconds: u64) -> String {
    format!(
        "{users} user{} over {seconds}s",
        if users == 1 { "" } else { "s" }
    )
}

/// Prints [`plan_differences`] as warnings on stderr, so that a table comparing
/// different plans is never read as like for like (stdout stays the table or JSON).
pub fn warn_plan_differences(differences: &[String]) {
    for difference in differences {
        // Names come from summary.json files, which need not be loadgate's own.
        eprintln!("loadgate: warning: {}", printable(difference));
    }
    if !differences.is_empty() {
        eprintln!(
            "loadgate: warning: the runs followed different plans, so their figures differ for that reason too; compare runs of the same plan"
        );
    }
}

/// What `loadgate compare --json` prints: the verdict, how the plans differ, then the
/// whole comparison.
#[derive(serde::Serialize)]
struct JsonComparison<'a> {
    passed: bool,
    regressions: Vec<String>,
    plan_differences: &'a [String],
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// `loadgate compare BASELINE CURRENT`.
pub fn compare_command(
    baseline: &Path,
    current: &Path,
    tolerance: &ToleranceArgs,
    json: bool,
) -> Result<Exit, AppError> {
    let tolerance = Tolerance::try_from(tolerance)?;
    let (baseline, current) = (read_run(baseline)?, read_run(current)?);
    let comparison = current.compared_with(&baseline, tolerance);
    let differences = plan_differences(&baseline, &current);
    warn_plan_differences(&differences);
    if json {
        let out = JsonComparison {
            passed: comparison.passed(),
            regressions: comparison.regressions(),
            plan_differences: &differences,
            comparison: &comparison,
        };
        let text = serde_json::to_string_pretty(&out)
            .map_err(|e| AppError::Input(format!("cannot write the comparison as JSON: {e}")))?;
        println!("{text}");
    } else {
        for line in comparison_lines(&comparison) {
            println!("{line}");
        }
    }
    Ok(if comparison.passed() {
        Exit::Passed
    } else {
        Exit::Failed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_flag_defaults_are_the_documented_defaults() {
        let cli = crate::cli::Cli::try_parse_from(["loadgate", "compare", "a", "b"]).unwrap();
        let crate::cli::Command::Compare { tolerance, .. } = cli.command else {
            panic!("compare parsed as something else");
        };
        assert_eq!(
            Tolerance::try_from(&tolerance).unwrap(),
            Tolerance::default()
        );
    }

    #[test]
    fn an_unknown_correction_is_a_flag_error() {
        assert!(crate::cli::Cli::try_parse_from([
            "loadgate",
            "compare",
            "a",
            "b",
            "--correction",
            "bonferroni"
        ])
        .is_err());
    }
}
