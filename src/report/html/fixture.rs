//! Fixed runs for the report writers' tests: a three-stage chat run with one broken and
//! one unmeasured budget, and the same run with hostile text in every user string.
//! Everything is deterministic so snapshots stay stable.

use crate::metrics::{FailureCount, RunMetrics, StageMetrics, StepKind, StepMetrics};
use crate::report::Chart;
use crate::slo::{Capacity, Judgement, StageRef, StageVerdicts, Unit, Verdict};
use crate::summary::{FlowSetting, RunSettings, RunSummary, ScenarioInfo, StageSetting};
use std::collections::BTreeMap;

/// Text that breaks HTML, Markdown tables and XML attributes if not escaped.
pub const HOSTILE: &str = "<script>alert(1)</script> \"q\" 'a' & | x\ny";

fn step(kind: StepKind, count: u64, errors: u64, base_micros: u64) -> StepMetrics {
    let mut s = StepMetrics::new(kind);
    s.count = count;
    s.errors = errors;
    for i in 0..count {
        // A skewed but fixed spread: most near the base, a tail up to ~4×.
        let spread = (i * 7919) % 100;
        let tail = if spread >= 95 { base_micros * 3 } else { 0 };
        s.latency
            .record(base_micros + base_micros * spread / 100 + tail);
    }
    s
}

fn steps(scale: u64, error_step_errors: u64) -> BTreeMap<String, StepMetrics> {
    let mut map = BTreeMap::new();
    map.insert(
        "login".to_string(),
        step(StepKind::Http, 20 * scale, 0, 18_000),
    );
    let mut rooms = step(StepKind::Http, 60 * scale, error_step_errors, 42_000);
    if error_step_errors > 0 {
        rooms.failures.insert(
            "http 503".to_string(),
            FailureCount {
                count: error_step_errors,
                example: "503 Service Unavailable: upstream pool exhausted".to_string(),
            },
        );
    }
    map.insert("list-rooms".to_string(), rooms);
    map.insert(
        "ws-connect".to_string(),
        step(StepKind::WsConnect, 20 * scale, 0, 9_000),
    );
    map.insert(
        "send-message".to_string(),
        step(StepKind::WsSend, 100 * scale, 0, 400),
    );
    let mut echo = step(StepKind::WsReceive, 100 * scale, scale / 2, 35_000);
    if scale >= 2 {
        echo.failures.insert(
            "timeout".to_string(),
            FailureCount {
                count: scale / 2,
                example: "no frame matched `type == \"echo\"` within 5s".to_string(),
            },
        );
    }
    map.insert("receive-echo".to_string(), echo);
    map
}

#[allow(clippy::too_many_arguments)]
fn verdict(
    rule: &str,
    measure: &str,
    comparison: &str,
    limit: f64,
    measured: Option<f64>,
    unit: Unit,
    scope: &str,
    stage: Option<usize>,
) -> Verdict {
    let passed = match measured {
        Some(m) => match comparison {
            "<" => m < limit,
            "<=" => m <= limit,
            ">" => m > limit,
            _ => m >= limit,
        },
        None => false,
    };
    Verdict {
        rule: rule.to_string(),
        source: None,
        measure: measure.to_string(),
        comparison: comparison.to_string(),
        limit,
        measured,
        unit,
        steps: vec![],
        scope: scope.to_string(),
        stage,
        passed,
        reason: None,
        partial: false,
    }
}

fn stage_verdicts(index: usize, p95: f64, errors: f64) -> Vec<Verdict> {
    vec![
        verdict(
            "p95 < 200ms for http",
            "p95",
            "<",
            200_000.0,
            Some(p95),
            Unit::Micros,
            "all HTTP steps",
            Some(index),
        ),
        verdict(
            "error_rate < 1%",
            "error_rate",
            "<",
            0.01,
            Some(errors),
            Unit::Fraction,
            "all steps",
            Some(index),
        ),
    ]
}

/// A finished three-stage run: two budgets met, one broken, one unmeasured.
pub fn sample_summary() -> RunSummary {
    let mut metrics = RunMetrics {
        duration_secs: 120.0,
        steps: steps(6, 3),
        stages: vec![],
        series: vec![],
        peak_ws_connections: 100,
        peak_users: 100,
        generator: None,
        server: None,
    };
    let plan = [
        ("warmup", 10, 30.0, 1, 0),
        ("steady", 50, 60.0, 3, 0),
        ("peak", 100, 30.0, 2, 3),
    ];
    let mut start = 0.0;
    for (index, (_, users, duration, scale, errors)) in plan.iter().enumerate() {
        metrics.stages.push(StageMetrics {
            index,
            name: Some(plan[index].0.to_string()),
            users: *users,
            start_users: *users,
            start_secs: start,
            duration_secs: *duration,
            ran_secs: *duration,
            steps: steps(*scale, *errors),
            arrivals: None,
        });
        start += duration;
    }
    let mut verdicts = vec![
        verdict(
            "p95 < 200ms for http",
            "p95",
            "<",
            200_000.0,
            Some(81_900.0),
            Unit::Micros,
            "all HTTP steps",
            None,
        ),
        verdict(
            "error_rate < 0.1%",
            "error_rate",
            "<",
            0.001,
            Some(0.00012 * 55.0),
            Unit::Fraction,
            "all steps",
            None,
        ),
        verdict(
            "throughput > 5/s",
            "throughput",
            ">",
            5.0,
            Some(15.0),
            Unit::PerSecond,
            "whole run",
            None,
        ),
        verdict(
            "ws_connections >= 100",
            "ws_connections",
            ">=",
            100.0,
            Some(100.0),
            Unit::Count,
            "whole run",
            None,
        ),
        verdict(
            "p99 < 500ms for upload-avatar",
            "p99",
            "<",
            500_000.0,
            None,
            Unit::Micros,
            "upload-avatar",
            None,
        ),
    ];
    verdicts[0].source = Some("REQ-7 chat latency".to_string());
    verdicts[1].source = Some("SLA §3.2".to_string());
    verdicts[4].reason = Some("the step never ran".to_string());
    let stage_rps = [1.0, 3.0, 4.0];
    let stages: Vec<StageVerdicts> = plan
        .iter()
        .enumerate()
        .map(|(i, (name, users, _, _, _))| {
            let verdicts =
                stage_verdicts(i, [61_000.0, 79_000.0, 230_500.0][i], [0.0, 0.0, 0.0125][i]);
            StageVerdicts {
                stage: i,
                name: Some(name.to_string()),
                start_users: *users,
                users: *users,
                rates: None,
                requests_per_sec: stage_rps[i] * 10.0,
                passed: verdicts.iter().all(|v| v.passed),
                verdicts,
                complete: true,
            }
        })
        .collect();
    let stage_ref = |s: &StageVerdicts| StageRef {
        stage: s.stage,
        name: s.name.clone(),
        users: s.users,
        rate: None,
        requests_per_sec: s.requests_per_sec,
    };
    let capacity = Capacity {
        held: Some(stage_ref(&stages[1])),
        broke: Some(stage_ref(&stages[2])),
        broken_rules: vec![
            "p95 < 200ms for http".to_string(),
            "error_rate < 1%".to_string(),
        ],
        run_wide_broken: vec![],
        not_judged: vec![],
    };
    // Start from the charts' fixture so fields added to the summary later get their
    // defaults there; every field the reports show is set here.
    let mut summary = crate::report::charts::fixture::sample_summary();
    summary.schema_version = crate::summary::SCHEMA_VERSION;
    summary.tool = "loadgate 0.1.0".to_string();
    summary.scenario = ScenarioInfo {
        name: "chat-baseline".to_string(),
        description: Some("Log in, list rooms, chat over WebSocket.".to_string()),
        file: "scenarios/chat-baseline.yaml".to_string(),
    };
    summary.settings = RunSettings {
        target: "http://127.0.0.1:8080".to_string(),
        embedded_target: true,
        time_scale: 1.0,
        connections: Default::default(),
        stages: plan
            .iter()
            .map(|(name, users, duration, _, _)| StageSetting {
                name: Some(name.to_string()),
                users: *users,
                duration_secs: *duration as u64,
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
        started_at: "2025-01-15T10:00:00Z".to_string(),
        finished_at: "2025-01-15T10:02:00Z".to_string(),
    };
    summary.interrupted = false;
    summary.step_order = [
        "login",
        "list-rooms",
        "ws-connect",
        "send-message",
        "receive-echo",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    summary.metrics = metrics;
    summary.judgement = Judgement {
        verdicts,
        stages,
        capacity: Some(capacity),
    };
    summary
}

/// The sample run, interrupted, with [`HOSTILE`] in every string a user or a server
/// controls: scenario, description, step names, failure labels and examples, rules,
/// sources, reasons, flows, stage names and the target.
pub fn hostile_summary() -> RunSummary {
    let mut s = sample_summary();
    let h = |tag: &str| format!("{tag} {HOSTILE}");
    s.interrupted = true;
    s.scenario.name = h("scenario");
    s.scenario.description = Some(h("description"));
    s.scenario.file = h("file");
    s.settings.target = format!("http://127.0.0.1:8080/?q={HOSTILE}");
    s.settings.flows[0].name = h("flow");
    for stage in &mut s.settings.stages {
        stage.name = Some(h("stage"));
    }
    let rename = |steps: &mut BTreeMap<String, StepMetrics>| {
        let old = std::mem::take(steps);
        for (name, mut step) in old {
            let failures = std::mem::take(&mut step.failures);
            for (label, mut failure) in failures {
                failure.example = h("example");
                step.failures.insert(format!("{label} {HOSTILE}"), failure);
            }
            steps.insert(format!("{name} {HOSTILE}"), step);
        }
    };
    rename(&mut s.metrics.steps);
    for stage in &mut s.metrics.stages {
        rename(&mut stage.steps);
    }
    for name in &mut s.step_order {
        *name = format!("{name} {HOSTILE}");
    }
    let judgement = &mut s.judgement;
    let all = judgement.verdicts.iter_mut().chain(
        judgement
            .stages
            .iter_mut()
            .flat_map(|st| st.verdicts.iter_mut()),
    );
    for v in all {
        v.rule = format!("{} {HOSTILE}", v.rule);
        v.scope = h("scope");
        v.source = Some(h("source"));
        if v.reason.is_some() {
            v.reason = Some(h("reason"));
        }
    }
    for stage in &mut judgement.stages {
        stage.name = Some(h("stage"));
    }
    if let Some(c) = &mut judgement.capacity {
        for r in &mut c.broken_rules {
            *r = format!("{r} {HOSTILE}");
        }
        if let Some(l) = &mut c.held {
            l.name = Some(h("stage"));
        }
        if let Some(f) = &mut c.broke {
            f.name = Some(h("stage"));
        }
        c.run_wide_broken
            .push(format!("throughput > 5/s {HOSTILE}"));
        c.not_judged.push(2);
    }
    s
}

/// `summary` with the generator's own figures for its three stages, and the built-in
/// `load delivered` verdict judged on them. With `bottleneck`, the last stage's timers
/// fired late (p99 1.50s) and its CPU averaged 93 % of 2 cores, so the check fails.
pub fn with_generator(mut summary: RunSummary, bottleneck: bool) -> RunSummary {
    use crate::metrics::{CpuFigures, GeneratorMetrics, GeneratorWindow};
    let window = |share: f64, late: u64| {
        let mut w = GeneratorWindow::new(false);
        for i in 0..30 {
            CpuFigures::add(&mut w.cpu, share + if i == 0 { 0.02 } else { 0.0 });
        }
        for i in 0..3_000 {
            w.timer_lag.record(if i < 60 { late } else { 1_100 });
        }
        w
    };
    let last = if bottleneck {
        window(0.93, 1_500_000)
    } else {
        window(0.41, 2_400)
    };
    let stages = vec![window(0.12, 2_000), window(0.35, 2_200), last];
    let mut run = GeneratorWindow::new(false);
    for stage in &stages {
        run.merge(stage);
    }
    summary.metrics.generator = Some(GeneratorMetrics {
        cores: 2,
        cpu_measured: true,
        tick_micros: 10_000,
        run,
        stages,
    });
    summary
        .judgement
        .verdicts
        .extend(crate::slo::delivered::load_delivered(&summary.metrics));
    summary
}

/// A tiny stand-in chart: a one-rectangle SVG whose accessible name and tooltip are
/// `alt` (escaped as the chart writer escapes), and a fake PNG (writers only copy it).
pub fn sample_charts(alt: &str) -> Vec<Chart> {
    let escaped = quick_xml::escape::escape(alt);
    vec![Chart {
        file_name: "latency-over-time.png".to_string(),
        title: "Latency over time".to_string(),
        alt: alt.to_string(),
        svg: format!(
            "<svg width=\"1200\" height=\"600\" viewBox=\"0 0 1200 600\" \
             xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{escaped}\">\n\
             <rect width=\"1200\" height=\"600\" fill=\"#fff\"><title>{escaped}</title></rect>\n\
             </svg>\n"
        ),
        png: b"\x89PNG\r\n\x1a\nfixture".to_vec(),
    }]
}
