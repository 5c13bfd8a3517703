//! `loadgate run`: the pipeline from a scenario file to a verdict —
//! scenario → target → engine (with live progress) → metrics → summary and files.
//!
//! Nothing measured is lost: the `--out` folder is checked writable before any load is
//! sent, and if the files still cannot be written at the end, `summary.json` is kept in
//! the system's temp folder, which the error names.

use crate::baseline::read_run;
use crate::cli::RunArgs;
use crate::compare::Tolerance;
use crate::engine::interrupt::{self, StopSignalKind};
use crate::engine::redact::Secrets;
use crate::engine::{self, plan};
use crate::exit::{AppError, Exit};
use crate::metrics::{Recorder, StagePlan};
use crate::report::terminal::Terminal;
use crate::report::{comparison, write_run_folder};
use crate::scenario::shard::Shard;
use crate::scenario::{load_scenario, Scenario};
use crate::shard::{fingerprint, BudgetRecord, ShardRecord, WholePlan};
use crate::slo::{judge, load_budgets, series_scopes, Budget};
use crate::summary::{
    FlowSetting, RunSettings, RunSummary, ScenarioInfo, StageSetting, SCHEMA_VERSION,
};
use crate::{progress::Progress, target};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Runs the scenario and returns the exit code its outcome calls for.
pub async fn run(args: &RunArgs) -> Result<Exit, AppError> {
    // Before anything slow (the target's start-up): a signal from here on stops the run
    // with a report, however early it comes.
    interrupt::install();
    crate::cli::check_time_scale(args.time_scale)
        .map_err(|e| AppError::Flag(format!("--time-scale: {e}")))?;
    let env_values = Mutex::new(Secrets::default());
    let scenario = load_scenario(&args.file, &|name| {
        let value = std::env::var(name).ok();
        if let (Some(value), Ok(mut seen)) = (&value, env_values.lock()) {
            seen.add(value);
        }
        value
    })?;
    let secrets = env_values
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let budgets = load_budgets(&scenario)?;
    let (part, shard) = shard_of(&scenario, &budgets, args)?;
    let whole = scenario;
    let scenario = part.as_ref().unwrap_or(&whole);
    let tolerance = Tolerance::try_from(&args.tolerance)?;
    let baseline = args.baseline.as_deref().map(read_run).transpose()?;
    if let Some(url) = &args.target {
        target::parse_target_url(url)?;
    }
    let target = target::resolve(args.target.as_deref()).await?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(scenario, args.shard));
    if let Err(source) = check_writable(&out_dir) {
        target.stop().await;
        return Err(AppError::OutDir {
            path: out_dir,
            source,
        });
    }
    let base_url = target.base_url();
    let shown_target = target.display();
    eprintln!(
        "loadgate: running `{}`{} against {}{}",
        scenario.name,
        args.shard
            .map_or(String::new(), |shard| format!(" (shard {shard})")),
        shown_target,
        if matches!(target, target::Target::Embedded(_)) {
            " (bundled reference server)"
        } else {
            ""
        }
    );
    let summary = measure(
        scenario,
        &budgets,
        args,
        Endpoint {
            url: &base_url,
            shown: &shown_target,
            embedded: matches!(target, target::Target::Embedded(_)),
        },
        secrets,
    )
    .await
    .map(|mut summary| {
        summary.shard = shard.map(|record| ShardRecord {
            clock_started_at: clock_started_at(&summary),
            ..record
        });
        summary
    });
    target.stop().await;
    let mut summary = summary?;
    if let Some(baseline) = &baseline {
        crate::baseline::warn_plan_differences(&crate::baseline::plan_differences(
            baseline, &summary,
        ));
    }
    summary.comparison = baseline.map(|b| summary.compared_with(&b, tolerance));
    let terminal = Terminal::detect();
    for line in terminal.summary(&summary) {
        println!("{line}");
    }
    if let Some(comparison) = &summary.comparison {
        for line in comparison::lines(&terminal, comparison) {
            println!("{line}");
        }
    }
    if let Err(source) = write_run_folder(&out_dir, &summary) {
        let kept = keep_summary(&summary).ok();
        return Err(AppError::ReportNotWritten {
            source: Box::new(AppError::Io {
                path: out_dir.clone(),
                source,
            }),
            path: out_dir,
            kept,
        });
    }
    if summary.interrupted {
        let by = interrupt::stopped_by().unwrap_or(StopSignalKind::Interrupt);
        println!(
            "interrupted by {}: the figures cover only part of the plan",
            by.name()
        );
    }
    if let Some(shard) = &summary.shard {
        println!(
            "shard {}/{}: the verdicts above judge this shard's share only and do not set its exit code; `loadgate merge` judges the budgets on the whole run",
            shard.index, shard.count
        );
    }
    println!("run files: {}", out_dir.display());
    Ok(exit_for(&summary))
}

/// With `--shard`: this shard's part of `scenario`, and the record its summary.json
/// will carry (its clock start filled in after the run). Checked before any load is
/// sent: a shard too small for the scenario, or `--baseline` (compare the merged run
/// instead), is bad input.
fn shard_of(
    scenario: &Scenario,
    budgets: &[Budget],
    args: &RunArgs,
) -> Result<(Option<Scenario>, Option<ShardRecord>), AppError> {
    let Some(shard) = args.shard else {
        return Ok((None, None));
    };
    if args.baseline.is_some() {
        return Err(AppError::Flag(
            "--baseline cannot be used with --shard: a shard runs only part of the load; merge the shards, then compare the merged run (`loadgate compare BASELINE MERGED`)".into(),
        ));
    }
    let part = scenario
        .for_shard(shard)
        .map_err(|e| AppError::Flag(format!("--shard {shard}: {e}")))?;
    let scenario_sha256 =
        fingerprint(&scenario.source, scenario.slo_file.as_deref()).map_err(|source| {
            AppError::Io {
                path: scenario.source.clone(),
                source,
            }
        })?;
    let record = ShardRecord {
        index: shard.index,
        count: shard.count,
        scenario_sha256,
        plan: WholePlan::of(
            scenario,
            &plan::plan_stages(scenario, args.time_scale),
            args.time_scale,
        ),
        budgets: budgets.iter().map(BudgetRecord::of).collect(),
        clock_started_at: String::new(),
    };
    Ok((Some(part), Some(record)))
}

/// When the run's stage clock started, in UTC with milliseconds: now, less the time
/// measured.
fn clock_started_at(summary: &RunSummary) -> String {
    let measured =
        chrono::TimeDelta::milliseconds((summary.metrics.duration_secs * 1000.0).round() as i64);
    (chrono::Utc::now() - measured).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Creates `dir` and writes and removes a probe file in it, so that a folder that cannot
/// take the run's files is found before any load is sent.
pub fn check_writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".loadgate-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"loadgate")?;
    std::fs::remove_file(&probe)
}

/// Writes `summary.json` into a fresh folder under the system's temp folder (`TMPDIR`)
/// and returns that folder.
pub fn keep_summary(summary: &RunSummary) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = std::env::temp_dir().join(format!("loadgate-{stamp}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bytes = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("summary.json"), bytes)?;
    Ok(dir)
}

/// 130 after Ctrl-C, 143 after SIGTERM; otherwise 1 if any budget (or the baseline
/// comparison) failed, 0 if all passed. A shard exits 0 whatever its budgets: it ran
/// only part of the load, and `loadgate merge` judges the whole.
pub fn exit_for(summary: &RunSummary) -> Exit {
    if summary.interrupted {
        match interrupt::stopped_by() {
            Some(StopSignalKind::Terminate) => Exit::Terminated,
            _ => Exit::Interrupted,
        }
    } else if summary.shard.is_some()
        || (summary.judgement.passed() && summary.comparison.as_ref().is_none_or(|c| c.passed()))
    {
        Exit::Passed
    } else {
        Exit::Failed
    }
}

/// The target as the engine uses it and as reports show it.
struct Endpoint<'a> {
    /// The full base URL, credentials included.
    url: &'a str,
    /// The same with its secrets redacted.
    shown: &'a str,
    /// Whether it is the bundled server.
    embedded: bool,
}

/// Runs the engine with the progress display and gathers the summary.
async fn measure(
    scenario: &Scenario,
    budgets: &[Budget],
    args: &RunArgs,
    target: Endpoint<'_>,
    secrets: Secrets,
) -> Result<RunSummary, AppError> {
    let stages = plan::plan_stages(scenario, args.time_scale);
    check_open_files(scenario, &stages, target.embedded);
    // A shard runs every N-th slot of the whole arrival plan: its share of the rate.
    let rate_share = scenario.shard.map_or(1.0, |part| part.count as f64);
    let timings: Vec<StagePlan> = stages
        .iter()
        .map(|s| StagePlan {
            name: s.name.clone(),
            users: s.users,
            duration: s.duration,
            rate: s.rate.map(|rate| rate / rate_share),
        })
        .collect();
    let started_at = chrono::Utc::now();
    let mut recorder = Recorder::new(&timings, &series_scopes(budgets));
    if scenario.load.open.is_some() {
        recorder = recorder.started_by_the_engine();
    }
    let recorder = Arc::new(recorder);
    let progress = Progress::start(recorder.clone(), stages.clone());
    let scraper = start_monitor(scenario, budgets, &target, recorder.clone());
    let outcome =
        engine::run_attack(scenario, &stages, target.url, recorder.clone(), secrets).await;
    progress.finish().await;
    let server = match scraper {
        Some(scraper) => scraper.finish().await,
        None => None,
    };
    outcome?;
    let mut metrics = recorder.snapshot();
    metrics.server = server;
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
            target: target.shown.to_string(),
            embedded_target: target.embedded,
            time_scale: args.time_scale,
            connections: scenario.load.connections,
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
        shard: None,
        merged: None,
    })
}

/// Raises the open-files limit as far as it goes, and warns when the plan's users may
/// still need more sockets than it allows (their connects would then fail).
fn check_open_files(scenario: &Scenario, stages: &[plan::PlannedStage], embedded: bool) {
    use crate::engine::open_files;
    let limit = open_files::raise_to_hard_limit();
    let users = match scenario.load.open {
        Some(open) => open.max_users,
        None => stages.iter().map(|s| s.users).max().unwrap_or(0),
    };
    let needed = open_files::needed(users, open_files::sockets_per_user(scenario), embedded);
    if let Some(limit) = limit.filter(|limit| needed > *limit) {
        let shared = match scenario.load.connections {
            crate::scenario::Connections::PerUser => "set `load.connections: shared`, ",
            crate::scenario::Connections::Shared => "",
        };
        let own = if embedded {
            "run target-server as its own process (--target), "
        } else {
            ""
        };
        log::warn!(
            "{users} users may hold up to {needed} open files, above this process's limit of {limit}: raise the hard limit (`ulimit -Hn`, or LimitNOFILE), {shared}{own}or split the run with --shard"
        );
    }
}

/// Starts scraping the target's metrics when the run monitors it (see
/// [`crate::monitor::plan`]).
fn start_monitor(
    scenario: &Scenario,
    budgets: &[Budget],
    target: &Endpoint<'_>,
    recorder: Arc<Recorder>,
) -> Option<crate::monitor::Scraper> {
    let needed = budgets.iter().any(|b| b.rule.measure.is_server());
    let monitor = crate::monitor::plan(scenario.monitor.as_ref(), needed, target.embedded)?;
    let url = crate::monitor::metrics_url(&monitor, target.url);
    let shown = target::display_url(&url);
    Some(crate::monitor::Scraper::start(
        &monitor, url, shown, recorder,
    ))
}

/// `reports/<scenario>-<UTC timestamp>`, with `-shard-I-of-N` for a shard.
fn default_out_dir(scenario: &Scenario, shard: Option<Shard>) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let suffix = shard.map_or(String::new(), |s| {
        format!("-shard-{}-of-{}", s.index, s.count)
    });
    Path::new("reports").join(format!("{}-{stamp}{suffix}", scenario.name))
}
