//! The HTML report's view model: every figure already formatted as text, so the
//! template only lays things out (and escapes every string it prints).

use super::format::{
    capacity_lines, format_duration, format_percent, measured_and_limit, ordered_steps, per_second,
    stage_label, stage_name, user_range, CapacityLine,
};
use crate::metrics::{StepKind, StepMetrics};
use crate::report::{format_micros, Chart};
use crate::slo::Verdict;
use crate::summary::RunSummary;
use std::collections::BTreeMap;

/// The verdict banner at the top.
pub(super) struct Banner {
    /// `PASS` or `FAIL`.
    pub word: &'static str,
    /// CSS modifier: `pass` or `fail`.
    pub class: &'static str,
    /// One line under the word: how many budgets held.
    pub detail: String,
}

/// One row of the budgets table.
pub(super) struct BudgetRow {
    pub rule: String,
    pub scope: String,
    pub stage: Option<String>,
    pub comparison: String,
    pub measured: Option<String>,
    pub limit: String,
    pub passed: bool,
    pub source: Option<String>,
    pub reason: Option<String>,
}

/// The capacity statement, one badge and sentence per line.
pub(super) struct CapacityView {
    pub lines: Vec<CapacityLine>,
}

/// One cell of the stage × rule matrix.
pub(super) struct MatrixCell {
    /// False when the rule was not judged on that stage.
    pub present: bool,
    pub passed: bool,
    pub value: String,
    /// Tooltip: the full measured-vs-limit statement.
    pub title: String,
}

/// One stage's row of the matrix.
pub(super) struct MatrixRow {
    pub label: String,
    /// `240`, or `120→240` for a ramp.
    pub users: String,
    pub rps: String,
    pub passed: bool,
    pub cells: Vec<MatrixCell>,
}

/// Every budget judged on every stage.
pub(super) struct Matrix {
    pub rules: Vec<String>,
    pub rows: Vec<MatrixRow>,
}

/// One row of a per-step table.
pub(super) struct StepRow {
    pub name: String,
    pub kind: &'static str,
    pub count: String,
    pub errors: String,
    pub error_pct: String,
    pub has_errors: bool,
    pub rps: String,
    pub p50: String,
    pub p90: String,
    pub p95: String,
    pub p99: String,
    pub max: String,
}

/// One chart, inlined as SVG markup (already escaped where it holds text: the chart
/// writer builds it, and the template inserts it as is).
pub(super) struct ChartView {
    pub svg: String,
}

/// One stage's own step table.
pub(super) struct StageSection {
    pub label: String,
    pub users: usize,
    pub duration: String,
    pub rps: String,
    /// The stage's verdict, when stages were judged.
    pub passed: Option<bool>,
    pub rows: Vec<StepRow>,
}

/// One failure class of one step.
pub(super) struct FailureRow {
    pub step: String,
    pub label: String,
    pub count: u64,
    pub example: String,
}

/// One line of the settings list.
pub(super) struct Setting {
    pub name: &'static str,
    pub value: String,
}

/// One planned stage, as run.
pub(super) struct PlannedStage {
    pub label: String,
    pub users: usize,
    pub duration: String,
}

/// One flow and its share of users.
pub(super) struct FlowRow {
    pub name: String,
    pub weight: usize,
    pub share: String,
}

/// Everything the template shows, in page order.
pub(super) struct Page {
    pub scenario: String,
    pub description: Option<String>,
    pub meta: String,
    pub banner: Banner,
    pub interrupted: bool,
    pub budgets: Vec<BudgetRow>,
    pub capacity: Option<CapacityView>,
    pub baseline: Option<BaselineView>,
    pub matrix: Option<Matrix>,
    pub steps: Vec<StepRow>,
    pub total: Option<StepRow>,
    pub charts: Vec<ChartView>,
    pub stages: Vec<StageSection>,
    pub failures: Vec<FailureRow>,
    pub settings: Vec<Setting>,
    pub planned_stages: Vec<PlannedStage>,
    pub flows: Vec<FlowRow>,
    pub tool: String,
}

impl Page {
    /// Builds the page for a run and its rendered charts.
    pub fn new(summary: &RunSummary, charts: &[Chart]) -> Page {
        let judgement = &summary.judgement;
        let duration = summary.metrics.duration_secs;
        Page {
            scenario: summary.scenario.name.clone(),
            description: summary
                .scenario
                .description
                .clone()
                .filter(|d| !d.trim().is_empty()),
            meta: format!(
                "{} · {} · {}",
                summary.settings.started_at,
                format_duration(duration),
                summary.settings.target
            ),
            banner: banner(&judgement.verdicts, summary.comparison.as_ref()),
            interrupted: summary.interrupted,
            budgets: judgement
                .verdicts
                .iter()
                .map(|v| budget_row(summary, v))
                .collect(),
            capacity: judgement.capacity.as_ref().map(|c| CapacityView {
                lines: capacity_lines(summary, c),
            }),
            baseline: summary.comparison.as_ref().map(baseline_view),
            matrix: matrix(summary),
            steps: ordered_steps(summary, &summary.metrics.steps)
                .into_iter()
                .map(|name| step_row(name, summary.metrics.steps.get(name), duration))
                .collect(),
            total: total_row(&summary.metrics.steps, duration),
            charts: charts.iter().map(chart_view).collect(),
            stages: stage_sections(summary),
            failures: failure_rows(summary),
            settings: settings(summary),
            planned_stages: summary
                .settings
                .stages
                .iter()
                .enumerate()
                .map(|(i, s)| PlannedStage {
                    label: stage_label(i, s.name.as_deref()),
                    users: s.users,
                    duration: format_duration(s.duration_secs as f64),
                })
                .collect(),
            flows: flow_rows(summary),
            tool: summary.tool.clone(),
        }
    }
}

/// The baseline comparison section.
pub(super) struct BaselineView {
    pub against: String,
    pub passed: bool,
    pub rows: Vec<BaselineRow>,
    pub not_compared: String,
    /// The settings the comparison used, in one phrase.
    pub settings: String,
    /// Which latency figures had too little data to rule out a large regression.
    pub weak: String,
}

/// One compared figure.
pub(super) struct BaselineRow {
    pub step: String,
    pub figure: String,
    pub baseline: String,
    pub current: String,
    pub change: String,
    pub confidence: String,
    /// Minimum detectable effect: the smallest worsening this pair would have caught.
    pub detectable: String,
    /// False for a figure shown but unable to fail the comparison (p99 by default).
    pub gated: bool,
    pub regression: bool,
}

fn baseline_view(c: &crate::compare::Comparison) -> BaselineView {
    use crate::report::comparison::{detectable_text, settings_text, value_text, weak_text};
    BaselineView {
        against: c.baseline.clone(),
        passed: c.passed(),
        rows: c
            .figures
            .iter()
            .map(|f| BaselineRow {
                step: f.step.clone(),
                figure: f.figure.clone(),
                baseline: value_text(f, f.baseline),
                current: value_text(f, f.current),
                change: f.change_text(),
                confidence: format!("{:.1}%", f.confidence * 100.0),
                detectable: detectable_text(f),
                gated: f.gated,
                regression: f.regression,
            })
            .collect(),
        not_compared: c.unmatched_steps.join(", "),
        settings: settings_text(c),
        weak: weak_text(c).unwrap_or_default(),
    }
}

fn banner(verdicts: &[Verdict], comparison: Option<&crate::compare::Comparison>) -> Banner {
    let total = verdicts.len();
    let broken = verdicts.iter().filter(|v| !v.passed).count();
    if let Some(regressed) = comparison
        .map(|c| c.regressions())
        .filter(|r| !r.is_empty())
    {
        return Banner {
            word: "FAIL",
            class: "fail",
            detail: format!(
                "{broken} of {total} budgets broken; regressed against the baseline: {}.",
                regressed.join(", ")
            ),
        };
    }
    if broken == 0 {
        Banner {
            word: "PASS",
            class: "pass",
            detail: match total {
                0 => "No budgets were set: nothing was gated.".to_string(),
                1 => "The budget was met.".to_string(),
                n => format!("All {n} budgets were met."),
            },
        }
    } else {
        Banner {
            word: "FAIL",
            class: "fail",
            detail: format!(
                "{broken} of {total} budget{} broken.",
                if total == 1 { "" } else { "s" }
            ),
        }
    }
}

fn budget_row(summary: &RunSummary, v: &Verdict) -> BudgetRow {
    let (measured, limit) = measured_and_limit(v);
    BudgetRow {
        rule: v.rule.clone(),
        scope: v.scope.clone(),
        stage: v.stage.map(|i| stage_label(i, stage_name(summary, i))),
        comparison: v.comparison.clone(),
        measured,
        limit,
        passed: v.passed,
        source: v.source.clone(),
        reason: v.reason.clone(),
    }
}

fn matrix(summary: &RunSummary) -> Option<Matrix> {
    let stages = &summary.judgement.stages;
    if stages.is_empty() {
        return None;
    }
    let mut rules: Vec<String> = Vec::new();
    for stage in stages {
        for v in &stage.verdicts {
            if !rules.contains(&v.rule) {
                rules.push(v.rule.clone());
            }
        }
    }
    let rows = stages
        .iter()
        .map(|stage| MatrixRow {
            label: stage_label(stage.stage, stage.name.as_deref()),
            users: user_range(stage.start_users, stage.users),
            rps: format!("{:.1}", stage.requests_per_sec),
            passed: stage.passed,
            cells: rules
                .iter()
                .map(
                    |rule| match stage.verdicts.iter().find(|v| &v.rule == rule) {
                        Some(v) => {
                            let (measured, limit) = measured_and_limit(v);
                            MatrixCell {
                                present: true,
                                passed: v.passed,
                                value: measured.clone().unwrap_or_else(|| "n/a".to_string()),
                                title: match measured {
                                    Some(m) => format!("{m} (limit {} {limit})", v.comparison),
                                    None => v
                                        .reason
                                        .clone()
                                        .unwrap_or_else(|| "not measured".to_string()),
                                },
                            }
                        }
                        None => MatrixCell {
                            present: false,
                            passed: true,
                            value: String::new(),
                            title: String::new(),
                        },
                    },
                )
                .collect(),
        })
        .collect();
    Some(Matrix { rules, rows })
}

fn kind_label(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Http => "HTTP",
        StepKind::WsConnect => "WS connect",
        StepKind::WsSend => "WS send",
        StepKind::WsReceive => "WS receive",
        StepKind::WsFirstFrame => "WS first frame",
        StepKind::WsClose => "WS close",
    }
}

fn step_row(name: &str, step: Option<&StepMetrics>, seconds: f64) -> StepRow {
    let Some(step) = step else {
        let dash = || "–".to_string();
        return StepRow {
            name: name.to_string(),
            kind: "",
            count: "0".into(),
            errors: "0".into(),
            error_pct: dash(),
            has_errors: false,
            rps: dash(),
            p50: dash(),
            p90: dash(),
            p95: dash(),
            p99: dash(),
            max: dash(),
        };
    };
    figures_row(name.to_string(), kind_label(step.kind), step, seconds)
}

fn figures_row(name: String, kind: &'static str, step: &StepMetrics, seconds: f64) -> StepRow {
    let h = &step.latency;
    let timed = h.count() > 0;
    let latency = |micros: u64| {
        if timed {
            format_micros(micros)
        } else {
            "–".to_string()
        }
    };
    StepRow {
        name,
        kind,
        count: step.count.to_string(),
        errors: step.errors.to_string(),
        error_pct: if step.count == 0 {
            "–".to_string()
        } else {
            format_percent(step.error_rate(), 0)
        },
        has_errors: step.errors > 0,
        rps: format!("{:.1}", per_second(step.count, seconds)),
        p50: latency(h.percentile(50.0)),
        p90: latency(h.percentile(90.0)),
        p95: latency(h.percentile(95.0)),
        p99: latency(h.percentile(99.0)),
        max: latency(h.max()),
    }
}

/// The "all steps" row, shown only when there is more than one step to add up.
fn total_row(steps: &BTreeMap<String, StepMetrics>, seconds: f64) -> Option<StepRow> {
    if steps.len() < 2 {
        return None;
    }
    let mut all = steps.values();
    let mut merged = all.next()?.clone();
    for step in all {
        merged.merge(step);
    }
    Some(figures_row("all steps".to_string(), "", &merged, seconds))
}

fn chart_view(chart: &Chart) -> ChartView {
    ChartView {
        svg: chart.svg.clone(),
    }
}

fn stage_sections(summary: &RunSummary) -> Vec<StageSection> {
    summary
        .metrics
        .stages
        .iter()
        .map(|stage| {
            let total: u64 = stage.steps.values().map(|s| s.count).sum();
            StageSection {
                label: stage_label(stage.index, stage_name(summary, stage.index)),
                users: stage.users,
                duration: format_duration(stage.duration_secs),
                rps: format!("{:.1}", per_second(total, stage.ran_secs)),
                passed: summary
                    .judgement
                    .stages
                    .iter()
                    .find(|v| v.stage == stage.index)
                    .map(|v| v.passed),
                rows: ordered_steps(summary, &stage.steps)
                    .into_iter()
                    .filter_map(|name| {
                        let step = stage.steps.get(name)?;
                        Some(figures_row(
                            name.to_string(),
                            kind_label(step.kind),
                            step,
                            stage.duration_secs,
                        ))
                    })
                    .collect(),
            }
        })
        .collect()
}

fn failure_rows(summary: &RunSummary) -> Vec<FailureRow> {
    let mut rows = Vec::new();
    for name in ordered_steps(summary, &summary.metrics.steps) {
        if let Some(step) = summary.metrics.steps.get(name) {
            for (label, failure) in &step.failures {
                rows.push(FailureRow {
                    step: name.to_string(),
                    label: label.clone(),
                    count: failure.count,
                    example: failure.example.clone(),
                });
            }
            if step.cancelled > 0 {
                rows.push(FailureRow {
                    step: name.to_string(),
                    label: "cancelled".to_string(),
                    count: step.cancelled,
                    example: "still in flight when the run stopped; not counted as errors"
                        .to_string(),
                });
            }
        }
    }
    rows
}

fn settings(summary: &RunSummary) -> Vec<Setting> {
    let s = &summary.settings;
    let m = &summary.metrics;
    let mut list = vec![
        Setting {
            name: "Target",
            value: if s.embedded_target {
                format!("{} (bundled reference server)", s.target)
            } else {
                s.target.clone()
            },
        },
        Setting {
            name: "Scenario file",
            value: summary.scenario.file.clone(),
        },
        Setting {
            name: "Started",
            value: s.started_at.clone(),
        },
        Setting {
            name: "Finished",
            value: s.finished_at.clone(),
        },
        Setting {
            name: "Measured for",
            value: format_duration(m.duration_secs),
        },
        Setting {
            name: "Time scale",
            value: format!("×{}", s.time_scale),
        },
        Setting {
            name: "Peak users",
            value: m.peak_users.to_string(),
        },
    ];
    if m.peak_ws_connections > 0 {
        list.push(Setting {
            name: "Peak WebSockets",
            value: m.peak_ws_connections.to_string(),
        });
    }
    list.push(Setting {
        name: "Completed",
        value: if summary.interrupted {
            "no: interrupted, figures cover part of the plan".to_string()
        } else {
            "yes".to_string()
        },
    });
    list
}

fn flow_rows(summary: &RunSummary) -> Vec<FlowRow> {
    let flows = &summary.settings.flows;
    let total: usize = flows.iter().map(|f| f.weight).sum();
    flows
        .iter()
        .map(|f| FlowRow {
            name: f.name.clone(),
            weight: f.weight,
            share: if total == 0 {
                "–".to_string()
            } else {
                format_percent(f.weight as f64 / total as f64, 0)
            },
        })
        .collect()
}
