//! Whether the folders given to `loadgate merge` are the shards of one split run: every
//! one a shard, all from one loadgate version, one scenario (by fingerprint) and one
//! plan, each shard exactly once and none missing. Every problem is listed, each naming
//! its folder and what differs.

use crate::shard::{ShardRecord, WholePlan};
use crate::summary::RunSummary;
use std::path::PathBuf;

/// One shard's run, read from its folder.
#[derive(Debug, Clone)]
pub struct ShardRun {
    /// The folder (or summary.json) as given on the command line.
    pub folder: PathBuf,
    /// Its summary.
    pub summary: RunSummary,
}

impl ShardRun {
    /// The shard record; [`check_together`] made sure there is one.
    pub fn record(&self) -> &ShardRecord {
        self.summary
            .shard
            .as_ref()
            .expect("checked: every merged run is a shard")
    }
}

/// Checks that `runs` are all the shards of one split run; on success they are sorted
/// by shard index. On failure, every problem found, one per line.
pub fn check_together(runs: &mut [ShardRun]) -> Result<(), String> {
    let mut problems = Vec::new();
    for run in runs.iter() {
        if run.summary.shard.is_none() {
            problems.push(format!(
                "{}: not a shard's run (it was not run with --shard I/N), so it cannot be merged",
                run.folder.display()
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    runs.sort_by_key(|run| run.record().index);
    let first = &runs[0];
    let (tool, record) = (&first.summary.tool, first.record());
    let name = |run: &ShardRun| {
        format!(
            "{} (shard {}/{})",
            run.folder.display(),
            run.record().index,
            run.record().count
        )
    };
    for run in &runs[1..] {
        let theirs = run.record();
        if run.summary.tool != *tool {
            problems.push(format!(
                "{}: written by {}, but {} by {}: shards must come from one loadgate version",
                name(run),
                run.summary.tool,
                name(first),
                tool
            ));
        }
        if theirs.scenario_sha256 != record.scenario_sha256 {
            problems.push(format!(
                "{}: ran a different scenario than {}: `{}` (sha256 {}…) against `{}` (sha256 {}…); the scenario and budgets files must be the same bytes",
                name(run),
                name(first),
                run.summary.scenario.file,
                &theirs.scenario_sha256[..theirs.scenario_sha256.len().min(12)],
                first.summary.scenario.file,
                &record.scenario_sha256[..record.scenario_sha256.len().min(12)],
            ));
        }
        if theirs.count != record.count {
            problems.push(format!(
                "{}: one of {} shards, but {} is one of {}",
                name(run),
                theirs.count,
                name(first),
                record.count
            ));
        } else if let Some(difference) = plan_difference(&record.plan, &theirs.plan) {
            problems.push(format!(
                "{}: ran a different plan than {}: {difference}",
                name(run),
                name(first)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let count = record.count;
    for pair in runs.windows(2) {
        if pair[0].record().index == pair[1].record().index {
            problems.push(format!(
                "{} and {} are both shard {}/{count}: give each shard's folder once",
                pair[0].folder.display(),
                pair[1].folder.display(),
                pair[0].record().index
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|index| !runs.iter().any(|run| run.record().index == *index))
        .map(|index| format!("{index}/{count}"))
        .collect();
    if !missing.is_empty() {
        let given: Vec<String> = runs
            .iter()
            .map(|run| run.record().index.to_string())
            .collect();
        problems.push(format!(
            "shard {} missing: the folders given hold shard(s) {} of {count}; merge needs every shard",
            missing.join(", ") + if missing.len() == 1 { " is" } else { " are" },
            given.join(", "),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The first way plan `b` differs from plan `a`, in words; `None` when they are equal.
fn plan_difference(a: &WholePlan, b: &WholePlan) -> Option<String> {
    if a.time_scale != b.time_scale {
        return Some(format!(
            "--time-scale {} against {}",
            b.time_scale, a.time_scale
        ));
    }
    if a.stages.len() != b.stages.len() {
        return Some(format!(
            "{} stages against {}",
            b.stages.len(),
            a.stages.len()
        ));
    }
    for (index, (x, y)) in a.stages.iter().zip(&b.stages).enumerate() {
        if x != y {
            let show = |s: &crate::shard::PlanStage| {
                let load = match s.rate {
                    Some(rate) => format!("{rate}/s"),
                    None => format!("{} users", s.users),
                };
                format!("{load} over {} s", s.duration_secs)
            };
            return Some(format!(
                "stage {} is {} against {}",
                index + 1,
                show(y),
                show(x)
            ));
        }
    }
    if a.flows != b.flows {
        return Some("the flows or their weights differ".into());
    }
    if a.max_users != b.max_users || a.arrivals != b.arrivals {
        return Some(format!(
            "max_users {:?}, arrivals {:?} against {:?}, {:?}",
            b.max_users, b.arrivals, a.max_users, a.arrivals
        ));
    }
    (a != b).then(|| "the plans differ".into())
}
