//! `loadgate merge DIR... --out DIR`: the run folders of a split run's shards
//! (`loadgate run --shard I/N`) added up into one run folder, judged on the whole.
//!
//! - `check`: the folders are every shard of one run (same version, scenario and plan),
//!   each once; otherwise exit 2 with every problem named;
//! - `add`: histograms, counts and per-second series added exactly, aligned on
//!   wall-clock time.
//!
//! The budgets each shard recorded are judged again on the sum ([`crate::slo::judge`]),
//! and the usual report folder is written from the merged `summary.json`, as
//! `loadgate report` would.

pub mod add;
pub mod check;

use crate::baseline::read_run;
use crate::cli::MergeArgs;
use crate::exit::{AppError, Exit};
use crate::report::terminal::Terminal;
use crate::report::write_run_folder;
use crate::run::{check_writable, keep_summary};
use crate::shard::{MergeRecord, MergedShard};
use crate::slo::{judge, Budget};
use crate::summary::{FlowSetting, RunSettings, RunSummary, StageSetting};
use check::ShardRun;

/// Shards whose clocks started further apart than this get a warning: for that long,
/// the target saw only part of the planned load.
const SKEW_WARNING_SECS: u64 = 5;

/// Reads, checks and adds up the shards, writes the merged run folder, and returns the
/// exit code: 0 when every budget was met on the whole and every shard ran its plan to
/// the end, 1 otherwise.
pub fn merge(args: &MergeArgs) -> Result<Exit, AppError> {
    let mut runs = args
        .dirs
        .iter()
        .map(|folder| {
            read_run(folder).map(|summary| ShardRun {
                folder: folder.clone(),
                summary,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check::check_together(&mut runs).map_err(AppError::Input)?;
    if let Some(run) = runs.iter().find(|run| same_folder(&run.folder, &args.out)) {
        return Err(AppError::Input(format!(
            "--out {}: that is shard {}'s folder; write the merged run to a folder of its own",
            args.out.display(),
            run.record().index
        )));
    }
    let summary = add_up(&runs).map_err(AppError::Input)?;
    if let Err(source) = check_writable(&args.out) {
        return Err(AppError::OutDir {
            path: args.out.clone(),
            source,
        });
    }
    let terminal = Terminal::detect();
    for line in terminal.summary(&summary) {
        println!("{line}");
    }
    if let Err(source) = write_run_folder(&args.out, &summary) {
        let kept = keep_summary(&summary).ok();
        return Err(AppError::ReportNotWritten {
            source: Box::new(AppError::Io {
                path: args.out.clone(),
                source,
            }),
            path: args.out.clone(),
            kept,
        });
    }
    let interrupted: Vec<String> = runs
        .iter()
        .filter(|run| run.summary.interrupted)
        .map(|run| run.record().index.to_string())
        .collect();
    if !interrupted.is_empty() {
        println!(
            "shard(s) {} stopped early (Ctrl-C or SIGTERM): the merged figures cover only part of the plan",
            interrupted.join(", ")
        );
    }
    println!(
        "merged {} shards of `{}`; run files: {}",
        runs.len(),
        summary.scenario.name,
        args.out.display()
    );
    Ok(if summary.judgement.passed() && interrupted.is_empty() {
        Exit::Passed
    } else {
        Exit::Failed
    })
}

/// Whether `shard` (a run folder or its summary.json) is the folder `out`.
fn same_folder(shard: &std::path::Path, out: &std::path::Path) -> bool {
    let folder = if shard.is_dir() {
        shard
    } else {
        shard.parent().unwrap_or(shard)
    };
    match (folder.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The whole run's summary from its checked, sorted shards.
pub fn add_up(runs: &[ShardRun]) -> Result<RunSummary, String> {
    let first = &runs[0];
    let record = first.record();
    let plan = &record.plan;
    let offsets = add::clock_offsets(runs)?;
    let planned_secs: u64 = plan.stages.iter().map(|s| s.duration_secs).sum();
    for (run, (_, offset)) in runs.iter().zip(&offsets) {
        if *offset > planned_secs.max(1) {
            return Err(format!(
                "{}: shard {} started {offset} s after the earliest shard, longer than the whole plan ({planned_secs} s): these shards did not run together",
                run.folder.display(),
                run.record().index
            ));
        }
    }
    let skew = offsets.iter().map(|(_, o)| *o).max().unwrap_or(0);
    if skew > SKEW_WARNING_SECS {
        eprintln!(
            "loadgate: warning: the shards' clocks started up to {skew} s apart; for that long the target saw only part of the planned load"
        );
    }
    let targets: Vec<&str> = runs
        .iter()
        .map(|run| run.summary.settings.target.as_str())
        .collect();
    if targets.iter().any(|t| *t != targets[0]) {
        eprintln!(
            "loadgate: warning: the shards ran against different targets: {}",
            crate::scenario::diagnostic::printable(&targets.join(", "))
        );
    }
    let budgets = record
        .budgets
        .iter()
        .map(|b| b.budget())
        .collect::<Result<Vec<Budget>, String>>()
        .map_err(|e| format!("{}: {e}", first.folder.display()))?;
    let interrupted = runs.iter().any(|run| run.summary.interrupted);
    let offset_secs: Vec<u64> = offsets.iter().map(|(_, o)| *o).collect();
    let metrics = add::add_metrics(runs, &offset_secs, plan);
    let judgement = judge(&budgets, &metrics, interrupted);
    let earliest = |of: fn(&RunSummary) -> &String| runs.iter().map(|r| of(&r.summary)).min();
    let latest = |of: fn(&RunSummary) -> &String| runs.iter().map(|r| of(&r.summary)).max();
    Ok(RunSummary {
        schema_version: first.summary.schema_version,
        tool: first.summary.tool.clone(),
        scenario: first.summary.scenario.clone(),
        settings: RunSettings {
            target: first.summary.settings.target.clone(),
            embedded_target: runs.iter().any(|r| r.summary.settings.embedded_target),
            time_scale: plan.time_scale,
            // The same in every shard: they ran the same scenario bytes.
            connections: first.summary.settings.connections,
            stages: plan
                .stages
                .iter()
                .map(|s| StageSetting {
                    name: s.name.clone(),
                    users: s.users,
                    duration_secs: s.duration_secs,
                })
                .collect(),
            flows: plan
                .flows
                .iter()
                .map(|f| FlowSetting {
                    name: f.name.clone(),
                    weight: f.weight,
                })
                .collect(),
            started_at: earliest(|s| &s.settings.started_at)
                .cloned()
                .unwrap_or_default(),
            finished_at: latest(|s| &s.settings.finished_at)
                .cloned()
                .unwrap_or_default(),
        },
        interrupted,
        step_order: first.summary.step_order.clone(),
        metrics,
        judgement,
        comparison: None,
        shard: None,
        merged: Some(MergeRecord {
            count: record.count,
            scenario_sha256: record.scenario_sha256.clone(),
            plan: plan.clone(),
            shards: runs
                .iter()
                .zip(&offsets)
                .map(|(run, (start, offset))| MergedShard {
                    index: run.record().index,
                    folder: run.folder.display().to_string(),
                    clock_started_at: start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    offset_secs: *offset,
                    interrupted: run.summary.interrupted,
                })
                .collect(),
        }),
    })
}

#[cfg(test)]
mod tests;
