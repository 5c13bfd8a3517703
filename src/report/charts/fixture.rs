//! A synthetic but realistic [`RunSummary`] for tests and examples: every report writer
//! can render it without running a load test, and its figures are consistent (the
//! verdicts are computed from the histograms it holds).
//!
//! The run: scenario `chat-fixture`, 30 seconds in 3 stages (warm-up 10 users, steady 50,
//! spike 100), five steps (three HTTP, two WebSocket) whose latency grows with load,
//! errors on `send-message` during the spike. Budgets: `p95 < 200ms for send-message`
//! (fails), `p95 < 400ms for http` (passes), `p99.9 < 2s for http`, `error_rate < 1%`,
//! and a stage-scoped `p95 < 100ms for login in stage warm-up`, judged by the real gate
//! ([`crate::slo::judge`]).
//!
//! Compiled only for the crate's own tests and, through the `fixtures` feature that the
//! integration tests turn on, for those: no normal or release build contains it.

use crate::metrics::{
    FailureCount, LatencyHistogram, RunMetrics, SecondSample, StageMetrics, StepKind, StepMetrics,
};
use crate::slo::rule::parse_rule;
use crate::slo::{judge, series_scopes, Budget, Judgement};
use crate::summary::{FlowSetting, RunSettings, RunSummary, ScenarioInfo, StageSetting};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// The fixture's steps: name, kind, typical latency in ms at light load.
const STEPS: [(&str, StepKind, f64); 5] = [
    ("login", StepKind::Http, 38.0),
    ("list-rooms", StepKind::Http, 14.0),
    ("send-message", StepKind::Http, 62.0),
    ("ws-connect", StepKind::WsConnect, 22.0),
    ("ws-receive", StepKind::WsReceive, 7.0),
];

/// The fixture's stages: name, users at the end, seconds, latency factor at the end.
const STAGES: [(&str, usize, u64, f64); 3] = [
    ("warm-up", 10, 10, 1.0),
    ("steady", 50, 10, 1.5),
    ("spike", 100, 10, 2.6),
];

/// Steps each user completes per second at light load; fewer as the server saturates.
const STEPS_PER_USER: f64 = 2.0;

/// A positive multiplier around 1 with a long right tail, like real latencies.
fn latency_noise(rng: &mut StdRng) -> f64 {
    let bell: f64 = (0..4).map(|_| rng.random::<f64>()).sum::<f64>() - 2.0;
    let tail = if rng.random::<f64>() < 0.01 {
        3.0 + 3.0 * rng.random::<f64>()
    } else {
        1.0
    };
    (bell * 0.55).exp() * tail
}

/// The fixture run described in the module docs.
pub fn sample_summary() -> RunSummary {
    let mut rng = StdRng::seed_from_u64(0x5eed_c4a7);
    let budgets = budgets();
    let scopes = series_scopes(&budgets);
    let mut steps: BTreeMap<String, StepMetrics> = STEPS
        .iter()
        .map(|(name, kind, _)| (name.to_string(), StepMetrics::new(*kind)))
        .collect();
    let mut stages = Vec::new();
    let mut series = Vec::new();
    let mut second = 0u64;
    let (mut users_before, mut factor_before) = (0usize, 1.0f64);
    for (index, (_, users, duration, factor)) in STAGES.iter().enumerate() {
        let mut stage = StageMetrics {
            index,
            name: Some(STAGES[index].0.to_string()),
            users: *users,
            start_users: users_before,
            start_secs: second as f64,
            duration_secs: *duration as f64,
            ran_secs: *duration as f64,
            steps: BTreeMap::new(),
            arrivals: None,
        };
        for tick in 0..*duration {
            let progress = (tick + 1) as f64 / *duration as f64;
            let active = users_before as f64 + (*users as f64 - users_before as f64) * progress;
            let load = factor_before + (factor - factor_before) * progress;
            let mut sample = SecondSample::new(second);
            sample.users = active.round() as u64;
            sample.ws_open = (active * 0.6).round() as u64;
            let pace = STEPS_PER_USER / load.sqrt();
            for n in 0..(active * pace).round() as u64 {
                let (name, kind, base) = STEPS[(n as usize * 7 + second as usize) % STEPS.len()];
                let micros = (base * load * latency_noise(&mut rng) * 1_000.0) as u64;
                let failed = name == "send-message" && index == 2 && rng.random::<f64>() < 0.12;
                for metrics in [
                    steps.get_mut(name),
                    Some(
                        stage
                            .steps
                            .entry(name.to_string())
                            .or_insert_with(|| StepMetrics::new(kind)),
                    ),
                ]
                .into_iter()
                .flatten()
                {
                    metrics.count += 1;
                    if !failed {
                        metrics.latency.record(micros);
                    }
                    if kind == StepKind::WsReceive {
                        metrics.frames += 1;
                    }
                    if failed {
                        metrics.errors += 1;
                        metrics
                            .failures
                            .entry("http 503".to_string())
                            .and_modify(|f| f.count += 1)
                            .or_insert_with(|| FailureCount {
                                count: 1,
                                example: "503 Service Unavailable: upstream overloaded".into(),
                            });
                    }
                }
                sample.requests += 1;
                sample.errors += u64::from(failed);
                for scope in scopes.iter().filter(|s| !failed && s.matches(name, kind)) {
                    sample
                        .latency
                        .entry(scope.label())
                        .or_insert_with(|| LatencyHistogram::with_precision(2))
                        .record(micros);
                }
            }
            series.push(sample);
            second += 1;
        }
        stages.push(stage);
        users_before = *users;
        factor_before = *factor;
    }
    let metrics = RunMetrics {
        duration_secs: second as f64,
        steps,
        stages,
        series,
        peak_ws_connections: 60,
        peak_users: 100,
        generator: None,
        server: None,
    };
    let judgement = judge(&budgets, &metrics, false);
    RunSummary {
        schema_version: crate::summary::SCHEMA_VERSION,
        tool: format!("loadgate {}", env!("CARGO_PKG_VERSION")),
        scenario: ScenarioInfo {
            name: "chat-fixture".to_string(),
            description: Some("Synthetic run for tests and examples".to_string()),
            file: "scenarios/chat-fixture.yaml".to_string(),
        },
        settings: RunSettings {
            target: "http://127.0.0.1:8080".to_string(),
            embedded_target: true,
            time_scale: 1.0,
            connections: Default::default(),
            stages: STAGES
                .iter()
                .map(|(name, users, duration, _)| StageSetting {
                    name: Some(name.to_string()),
                    users: *users,
                    duration_secs: *duration,
                })
                .collect(),
            flows: vec![
                FlowSetting {
                    name: "chatter".to_string(),
                    weight: 3,
                },
                FlowSetting {
                    name: "lurker".to_string(),
                    weight: 1,
                },
            ],
            started_at: "2025-01-01T12:00:00Z".to_string(),
            finished_at: "2025-01-01T12:00:30Z".to_string(),
        },
        interrupted: false,
        step_order: STEPS.iter().map(|(name, _, _)| name.to_string()).collect(),
        metrics,
        judgement,
        comparison: None,
        shard: None,
        merged: None,
    }
}

/// A run that measured nothing: no steps, no stages, no seconds, no budgets.
pub fn empty_summary() -> RunSummary {
    let mut summary = sample_summary();
    summary.step_order.clear();
    summary.settings.stages.clear();
    summary.settings.flows.clear();
    summary.metrics = RunMetrics::default();
    summary.judgement = Judgement::default();
    summary
}

/// The fixture's budgets, as a scenario would declare them.
fn budgets() -> Vec<Budget> {
    [
        ("p95 < 200ms for send-message", None),
        ("p95 < 400ms for http", None),
        ("p99.9 < 2s for http", None),
        ("error_rate < 1%", None),
        ("p95 < 100ms for login in stage warm-up", Some(0)),
    ]
    .into_iter()
    .map(|(text, stage)| Budget {
        text: text.to_string(),
        rule: parse_rule(text).expect("the fixture's rules parse"),
        source: Some("SLO doc §2.1".to_string()),
        stage,
    })
    .collect()
}
