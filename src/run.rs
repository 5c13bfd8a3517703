//! `loadgate run`: the pipeline from a scenario file to a verdict —
//! scenario → target → engine (with live progress) → metrics → summary and files.

use crate::baseline::read_run;
use crate::cli::RunArgs;
use crate::compare::Tolerance;
use crate::engine::{self, interrupt, plan};
use crate::exit::{AppError, Exit};
use crate::metrics::{Recorder, StagePlan};
use crate::report::comparison::comparison_lines;
use crate::report::{terminal, write_run_folder};
use crate::scenario::{load_scenario, Scenario};
use crate::slo::{judge, load_budgets, series_scopes, Budget};
use crate::summary::{
    FlowSetting, RunSettings, RunSummary, ScenarioInfo, StageSetting, SCHEMA_VERSION,
};
use crate::{progress::Progress, target};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs the scenario and returns the exit code its outcome calls for.
pub async fn run(args: &RunArgs) -> Result<Exit, AppError> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0 && args.time_scale <= 100.0) {
        return Err(AppError::Flag(format!(
            "--time-scale: {} must be a number above 0 and at most 100",
            args.time_scale
        )));
    }
    let scenario = load_scenario(&args.file, &|name| std::env::var(name).ok())?;
    let budgets = load_budgets(&scenario)?;
    let tolerance = Tolerance::try_from(&args.tolerance)?;
    let baseline = args.baseline.as_deref().map(read_run).transpose()?;
    if let Some(url) = &args.target {
        target::parse_target_url(url)?;
    }
    let target = target::resolve(args.target.as_deref()).await?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&scenario));
    if let Err(source) = std::fs::create_dir_all(&out_dir) {
        target.stop().await;
        return Err(AppError::Io {
            path: out_dir,
            source,
        });
    }
    let base_url = target.base_url();
    eprintln!(
        "loadgate: running `{}` against {}{}",
        scenario.name,
        base_url,
        if matches!(target, target::Target::Embedded(_)) {
            " (bundled reference server)"
        } else {
            ""
        }
    );
    let summary = measure(
        &scenario,
        &budgets,
        args,
        &base_url,
        matches!(target, target::Target::Embedded(_)),
    )
    .await;
    target.stop().await;
    let mut summary = summary?;
    summary.comparison = baseline.map(|b| summary.compared_with(&b, tolerance));
    println!("{}", terminal::step_table(&summary));
    for line in terminal::failure_lines(&summary) {
        println!("  {line}");
    }
    for line in terminal::verdict_lines(&summary) {
        println!("{line}");
    }
    if let Some(comparison) = &summary.comparison {
        for line in comparison_lines(comparison) {
            println!("{line}");
        }
    }
    write_run_folder(&out_dir, &summary)?;
    if summary.interrupted {
        println!("interrupted: the figures cover only part of the plan");
    }
    println!("run files: {}", out_dir.display());
    Ok(exit_for(&summary))
}

/// 130 when interrupted; otherwise 1 if any budget failed, 0 if all passed.
pub fn exit_for(summary: &RunSummary) -> Exit {
    if summary.interrupted {
        Exit::Interrupted
    } else if summary.judgement.passed() && summary.comparison.as_ref().is_none_or(|c| c.passed()) {
        Exit::Passed
    } else {
        Exit::Failed
    }
}

/// Runs the engine with the progress display and gathers the summary.
async fn measure(
    scenario: &Scenario,
    budgets: &[Budget],
    args: &RunArgs,
    base_url: &str,
    embedded: bool,
) -> Result<RunSummary, AppError> {
    let stages = plan::plan_stages(scenario, args.time_scale);
    let timings: Vec<StagePlan> = stages
        .iter()
        .map(|s| StagePlan {
            name: s.name.clone(),
            users: s.users,
            duration: s.duration,
        })
        .collect();
    let started_at = chrono::Utc::now();
    let recorder = Arc::new(Recorder::new(&timings, &series_scopes(budgets)));
    let progress = Progress::start(recorder.clone(), stages.clone());
    let outcome = engine::run_attack(scenario, &stages, base_url, recorder.clone()).await;
    progress.finish().await;
    outcome?;
    let metrics = recorder.snapshot();
    let judgement = judge(budgets, &metrics, interrupt::was_interrupted());
    Ok(RunSummary {
        schema_version: SCHEMA_VERSION,
        tool: format!("loadgate {}", env!("CARGO_PKG_VERSION")),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            file: args.file.display().to_string(),
        },
        settings: RunSettings {
            target: base_url.to_string(),
            embedded_target: embedded,
            time_scale: args.time_scale,
            stages: stages
                .iter()
                .map(|s| StageSetting {
                    name: s.name.clone(),
                    users: s.users,
                    duration_secs: s.duration.as_secs(),
                })
                .collect(),
            flows: scenario
                .flows
                .iter()
                .map(|f| FlowSetting {
                    name: f.name.clone(),
                    weight: f.weight,
                })
                .collect(),
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        interrupted: interrupt::was_interrupted(),
        step_order: scenario.metric_names(),
        metrics,
        judgement,
        comparison: None,
    })
}

/// `reports/<scenario>-<UTC timestamp>`.
fn default_out_dir(scenario: &Scenario) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    Path::new("reports").join(format!("{}-{stamp}", scenario.name))
}
