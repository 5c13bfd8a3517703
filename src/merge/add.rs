//! Adding the shards' measurements up into the whole run's: HDR histograms, counts and
//! failures add exactly; stages line up by index (each shard ran the same plan on its
//! own clock) and take the whole plan's users and rates; the per-second series line up
//! on wall-clock time, each shard's shifted by its clock start against the earliest
//! one's, rounded to the second.

use super::check::ShardRun;
use crate::metrics::server::{ServerMetrics, ServerSeries};
use crate::metrics::{RunMetrics, SecondSample, StageArrivals, StageMetrics, StepMetrics};
use crate::shard::WholePlan;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Each shard's clock start, and its offset in whole seconds from the earliest one.
pub fn clock_offsets(runs: &[ShardRun]) -> Result<Vec<(DateTime<Utc>, u64)>, String> {
    let starts = runs
        .iter()
        .map(|run| {
            DateTime::parse_from_rfc3339(&run.record().clock_started_at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    format!(
                        "{}: clock_started_at `{}` is not an RFC 3339 time: {e}",
                        run.folder.display(),
                        run.record().clock_started_at
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let earliest = starts.iter().min().copied().unwrap_or_else(Utc::now);
    Ok(starts
        .into_iter()
        .map(|start| {
            let late = (start - earliest).num_milliseconds() as f64 / 1000.0;
            (start, late.round().max(0.0) as u64)
        })
        .collect())
}

/// The whole run's measurements from its shards' (`offsets` as [`clock_offsets`] gives).
pub fn add_metrics(runs: &[ShardRun], offsets: &[u64], plan: &WholePlan) -> RunMetrics {
    let mut whole = RunMetrics {
        stages: plan_stages(plan),
        ..RunMetrics::default()
    };
    let (mut users_peaks, mut ws_peaks) = (0, 0);
    for (run, &offset) in runs.iter().zip(offsets) {
        let shard = &run.summary.metrics;
        whole.duration_secs = whole.duration_secs.max(offset as f64 + shard.duration_secs);
        add_steps(&mut whole.steps, &shard.steps);
        for stage in &shard.stages {
            let Some(mine) = whole.stages.get_mut(stage.index) else {
                continue;
            };
            mine.ran_secs = mine.ran_secs.max(stage.ran_secs);
            add_steps(&mut mine.steps, &stage.steps);
            if let (Some(mine), Some(theirs)) = (&mut mine.arrivals, &stage.arrivals) {
                mine.started += theirs.started;
                mine.dropped += theirs.dropped;
            }
        }
        for sample in &shard.series {
            add_second(&mut whole.series, sample, offset);
        }
        crate::metrics::generator::merge_generator(&mut whole.generator, &shard.generator);
        if let Some(server) = &shard.server {
            add_server(&mut whole.server, server, offset);
        }
        users_peaks += shard.peak_users;
        ws_peaks += shard.peak_ws_connections;
        whole.peak_users = whole.peak_users.max(shard.peak_users);
        whole.peak_ws_connections = whole.peak_ws_connections.max(shard.peak_ws_connections);
    }
    fill_gaps(&mut whole.series);
    // At once, the shards held at most the sum of their peaks, and at least what the
    // busiest second of the aligned series shows.
    let busiest = |of: fn(&SecondSample) -> u64| whole.series.iter().map(of).max().unwrap_or(0);
    whole.peak_users = whole.peak_users.max(busiest(|s| s.users)).min(users_peaks);
    whole.peak_ws_connections = whole
        .peak_ws_connections
        .max(busiest(|s| s.ws_open))
        .min(ws_peaks);
    whole
}

/// Adds a shard's view of the server, `offset` seconds later on the whole run's clock.
/// Shards that scraped the same metrics URL watched the same server, each on its own
/// clock, so their points together are a denser sampling of it: every point is kept
/// (a memory peak seen by any shard is the peak), in time order, thinned evenly to the
/// usual cap, and the scrape counts add up. A shard that watched another URL (another
/// server) is left out, with a warning: its figures are not the same server's.
fn add_server(whole: &mut Option<ServerMetrics>, shard: &ServerMetrics, offset: u64) {
    let shifted = |series: &ServerSeries| {
        let mut series = series.clone();
        for point in &mut series.points {
            point.0 += offset as f64;
        }
        series
    };
    let Some(whole) = whole else {
        let mut first = shard.clone();
        first.series = shard.series.iter().map(shifted).collect();
        *whole = Some(first);
        return;
    };
    if whole.url != shard.url {
        log::warn!(
            "a shard monitored {} where another monitored {}: the merged server figures are the latter's alone",
            shard.url,
            whole.url
        );
        return;
    }
    whole.scrapes += shard.scrapes;
    whole.failed += shard.failed;
    for (reason, failure) in &shard.failures {
        whole
            .failures
            .entry(reason.clone())
            .and_modify(|f| f.count += failure.count)
            .or_insert_with(|| failure.clone());
    }
    for series in &shard.series {
        let theirs = shifted(series);
        match whole.series.iter_mut().find(|s| s.name == series.name) {
            Some(mine) => {
                let mut points = std::mem::take(&mut mine.points);
                points.extend(theirs.points);
                points.sort_by(|a, b| a.at().total_cmp(&b.at()));
                let mut merged = ServerSeries::new(&mine.name, mine.source.clone(), mine.unit);
                merged.absent = mine.absent + theirs.absent;
                for point in points {
                    merged.push(point.at(), point.value());
                }
                *mine = merged;
            }
            None => whole.series.push(theirs),
        }
    }
}

/// The whole plan's stages, with nothing measured yet.
fn plan_stages(plan: &WholePlan) -> Vec<StageMetrics> {
    let (mut start, mut users_before, mut rate_before) = (0.0, 0, 0.0);
    plan.stages
        .iter()
        .enumerate()
        .map(|(index, stage)| {
            let duration = stage.duration_secs as f64;
            let metrics = StageMetrics {
                index,
                name: stage.name.clone(),
                users: stage.users,
                start_users: users_before,
                start_secs: start,
                duration_secs: duration,
                ran_secs: 0.0,
                steps: BTreeMap::new(),
                arrivals: stage.rate.map(|rate| StageArrivals {
                    start_rate: rate_before,
                    end_rate: rate,
                    planned: (rate_before + rate) / 2.0 * duration,
                    started: 0,
                    dropped: 0,
                }),
            };
            start += duration;
            users_before = stage.users;
            rate_before = stage.rate.unwrap_or(0.0);
            metrics
        })
        .collect()
}

fn add_steps(into: &mut BTreeMap<String, StepMetrics>, from: &BTreeMap<String, StepMetrics>) {
    for (name, step) in from {
        match into.get_mut(name) {
            Some(mine) => mine.merge(step),
            None => {
                into.insert(name.clone(), step.clone());
            }
        }
    }
}

/// Adds a shard's second `sample`, `offset` seconds later on the whole run's clock.
fn add_second(series: &mut Vec<SecondSample>, sample: &SecondSample, offset: u64) {
    let second = sample.second + offset;
    let at = match series.binary_search_by_key(&second, |s| s.second) {
        Ok(at) => at,
        Err(at) => {
            series.insert(at, SecondSample::new(second));
            at
        }
    };
    let mine = &mut series[at];
    mine.requests += sample.requests;
    mine.errors += sample.errors;
    mine.users += sample.users;
    mine.ws_open += sample.ws_open;
    for (scope, histogram) in &sample.latency {
        mine.latency
            .entry(scope.clone())
            .and_modify(|h| h.merge(histogram))
            .or_insert_with(|| histogram.clone());
    }
}

/// Every second from 0 to the last, empty where no shard had one.
fn fill_gaps(series: &mut Vec<SecondSample>) {
    let Some(last) = series.last().map(|s| s.second) else {
        return;
    };
    let mut filled = Vec::with_capacity(last as usize + 1);
    let mut samples = std::mem::take(series).into_iter().peekable();
    for second in 0..=last {
        match samples.next_if(|s| s.second == second) {
            Some(sample) => filled.push(sample),
            None => filled.push(SecondSample::new(second)),
        }
    }
    *series = filled;
}
