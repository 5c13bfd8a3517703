//! Merging synthetic shards: the checks that refuse a set of folders, and the exact
//! adding up of counts, histograms and wall-clock-aligned seconds.

use super::add_up;
use super::check::{check_together, ShardRun};
use crate::report::charts::fixture::sample_summary;
use crate::shard::{BudgetRecord, PlanFlow, PlanStage, ShardRecord, WholePlan};
use crate::summary::RunSummary;
use std::path::PathBuf;

const START: &str = "2026-11-24T03:00:00.000Z";

/// Shard `index` of `count`, measured like the fixture run, its clock started
/// `late_ms` after [`START`].
fn shard(index: usize, count: usize, late_ms: i64) -> ShardRun {
    let mut summary: RunSummary = sample_summary();
    let start = chrono::DateTime::parse_from_rfc3339(START).unwrap()
        + chrono::TimeDelta::milliseconds(late_ms);
    summary.shard = Some(ShardRecord {
        index,
        count,
        scenario_sha256: "ab".repeat(32),
        plan: WholePlan {
            time_scale: summary.settings.time_scale,
            stages: summary
                .settings
                .stages
                .iter()
                .map(|s| PlanStage {
                    name: s.name.clone(),
                    users: s.users * count,
                    rate: None,
                    duration_secs: s.duration_secs,
                })
                .collect(),
            flows: vec![PlanFlow {
                name: "f".into(),
                weight: 1,
            }],
            max_users: None,
            arrivals: None,
        },
        budgets: vec![BudgetRecord {
            rule: "error_rate < 50%".into(),
            source: None,
            stage: None,
        }],
        clock_started_at: start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    ShardRun {
        folder: PathBuf::from(format!("shard-{index}")),
        summary,
    }
}

#[test]
fn shards_add_up_exactly_on_wall_clock_time() {
    let mut runs = vec![shard(3, 3, 1600), shard(1, 3, 0), shard(2, 3, 400)];
    check_together(&mut runs).unwrap();
    let indices: Vec<usize> = runs.iter().map(|r| r.record().index).collect();
    assert_eq!(indices, [1, 2, 3], "sorted by shard");
    let merged = add_up(&runs).unwrap();
    let one = &runs[0].summary.metrics;
    let whole = &merged.metrics;
    for (name, step) in &one.steps {
        let sum = &whole.steps[name];
        assert_eq!(sum.count, 3 * step.count, "{name}");
        assert_eq!(sum.errors, 3 * step.errors, "{name}");
        assert_eq!(sum.latency.count(), 3 * step.latency.count());
        // Three copies of one distribution have its percentiles.
        for p in [50.0, 99.0] {
            assert_eq!(sum.latency.percentile(p), step.latency.percentile(p));
        }
    }
    // Shard 3 started 1.6 s late: its seconds move 2 on; shard 2's (0.4 s) stay.
    let record = merged.merged.as_ref().unwrap();
    let offsets: Vec<u64> = record.shards.iter().map(|s| s.offset_secs).collect();
    assert_eq!(offsets, [0, 0, 2]);
    let at = |second: u64| {
        one.series
            .iter()
            .find(|s| s.second == second)
            .map_or(0, |s| s.requests)
    };
    for sample in &whole.series {
        let s = sample.second;
        let expected = 2 * at(s) + if s >= 2 { at(s - 2) } else { 0 };
        assert_eq!(sample.requests, expected, "second {s}");
    }
    assert_eq!(whole.series.len(), one.series.len() + 2);
    assert_eq!(
        whole.series.iter().map(|s| s.requests).sum::<u64>(),
        3 * one.series.iter().map(|s| s.requests).sum::<u64>()
    );
    assert_eq!(whole.duration_secs, one.duration_secs + 2.0);
    assert!(whole.peak_users <= 3 * one.peak_users);
    assert!(whole.peak_users >= one.peak_users);
    // The whole plan's users, and the budgets judged on the sum.
    for (stage, plan) in whole.stages.iter().zip(&record.plan.stages) {
        assert_eq!(stage.users, plan.users);
    }
    assert_eq!(merged.judgement.verdicts[0].rule, "error_rate < 50%");
    assert!(merged.shard.is_none());
    assert_eq!(
        merged.settings.stages[0].users,
        3 * runs[0].summary.settings.stages[0].users
    );
}

fn refusal(mut runs: Vec<ShardRun>) -> String {
    check_together(&mut runs).unwrap_err()
}

#[test]
fn a_missing_or_repeated_shard_is_named() {
    let err = refusal(vec![shard(1, 3, 0), shard(3, 3, 0)]);
    assert!(err.contains("shard 2/3 is missing"), "{err}");
    let err = refusal(vec![shard(2, 4, 0)]);
    assert!(err.contains("shard 1/4, 3/4, 4/4 are missing"), "{err}");
    let err = refusal(vec![shard(1, 2, 0), shard(2, 2, 0), shard(2, 2, 0)]);
    assert!(
        err.contains("shard-2 and shard-2 are both shard 2/2"),
        "{err}"
    );
}

#[test]
fn shards_of_another_version_scenario_or_plan_are_refused() {
    let mut other = shard(2, 2, 0);
    other.summary.tool = "loadgate 9.0.0".into();
    let record = other.summary.shard.as_mut().unwrap();
    record.scenario_sha256 = "cd".repeat(32);
    record.plan.stages[1].users += 1;
    let err = refusal(vec![shard(1, 2, 0), other]);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].starts_with("shard-2 (shard 2/2): written by loadgate 9.0.0"));
    assert!(lines[1].contains("ran a different scenario than shard-1 (shard 1/2)"));
    assert!(lines[2].contains("stage 2 is"), "{err}");
    let err = refusal(vec![shard(1, 2, 0), shard(2, 3, 0)]);
    assert!(
        err.contains("one of 3 shards, but shard-1 (shard 1/2) is one of 2"),
        "{err}"
    );
    let mut plain = shard(2, 2, 0);
    plain.summary.shard = None;
    let err = refusal(vec![shard(1, 2, 0), plain]);
    assert!(err.contains("shard-2: not a shard's run"), "{err}");
}

#[test]
fn shards_that_never_overlapped_are_refused() {
    let plan: u64 = sample_summary()
        .settings
        .stages
        .iter()
        .map(|s| s.duration_secs)
        .sum();
    let mut runs = vec![shard(1, 2, 0), shard(2, 2, (plan as i64 + 5) * 1000)];
    check_together(&mut runs).unwrap();
    let err = add_up(&runs).unwrap_err();
    assert!(err.contains("did not run together"), "{err}");
}

#[test]
fn every_shards_server_points_are_kept_on_the_whole_clock() {
    use crate::metrics::server::{Point, ServerMetrics};
    // One scrape each half second past the second.
    let watched = |url: &str, values: &[f64]| {
        let points: Vec<(f64, f64)> = (0..)
            .map(|i| i as f64 + 0.5)
            .zip(values.iter().copied())
            .collect();
        ServerMetrics::memory_only(url, &points)
    };
    let mut runs = vec![shard(1, 3, 0), shard(2, 3, 2000), shard(3, 3, 0)];
    runs[0].summary.metrics.server = Some(watched("http://t/metrics", &[1.0, 2.0]));
    runs[1].summary.metrics.server = Some(watched("http://t/metrics", &[9.0, 3.0]));
    // Another server's figures are not this one's: left out.
    runs[2].summary.metrics.server = Some(watched("http://other/metrics", &[100.0]));
    check_together(&mut runs).unwrap();
    let merged = add_up(&runs).unwrap();
    let server = merged.metrics.server.as_ref().unwrap();
    assert_eq!(server.scrapes, 4);
    // Shard 2 started 2 s late: its points move 2 s on, between shard 1's in time.
    assert_eq!(
        server.series[0].points,
        [
            Point(0.5, 1.0),
            Point(1.5, 2.0),
            Point(2.5, 9.0),
            Point(3.5, 3.0)
        ]
    );
}
