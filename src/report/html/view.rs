//! The HTML report's page: the shared [`RunView`] plus what only the page shows (the
//! charts, the run's settings, the planned stages and flows). Every figure is already
//! text, so the template only lays things out (and escapes every string it prints).

use crate::report::view::format::{format_duration, format_percent, stage_label};
use crate::report::view::RunView;
use crate::report::Chart;
use crate::scenario::Connections;
use crate::summary::RunSummary;

/// One chart, inlined as SVG markup (already escaped where it holds text: the chart
/// writer builds it, and the template inserts it as is).
pub(super) struct ChartView {
    pub svg: String,
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

/// The verdict banner's colour: `pass` or `fail`.
fn banner_class(passed: bool) -> &'static str {
    if passed {
        "pass"
    } else {
        "fail"
    }
}

/// Everything the template shows, in page order.
pub(super) struct Page {
    pub scenario: String,
    pub description: Option<String>,
    pub meta: String,
    /// CSS modifier of the banner: `pass` or `fail`.
    pub banner_class: &'static str,
    /// The figures every format shows.
    pub view: RunView,
    pub charts: Vec<ChartView>,
    pub settings: Vec<Setting>,
    pub planned_stages: Vec<PlannedStage>,
    pub flows: Vec<FlowRow>,
    pub tool: String,
}

impl Page {
    /// Builds the page for a run and its rendered charts.
    pub fn new(summary: &RunSummary, charts: &[Chart]) -> Page {
        let view = RunView::new(summary);
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
                format_duration(summary.metrics.duration_secs),
                summary.settings.target
            ),
            banner_class: banner_class(view.headline.passed),
            view,
            charts: charts.iter().map(chart_view).collect(),
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

fn chart_view(chart: &Chart) -> ChartView {
    ChartView {
        svg: chart.svg.clone(),
    }
}

/// For a shard or a merged run, which part of a split run it is.
fn split_run(summary: &RunSummary) -> Option<String> {
    if let Some(shard) = &summary.shard {
        return Some(format!(
            "shard {} of {}: this shard's share of the load, judged alone; `loadgate merge` judges the whole run",
            shard.index, shard.count
        ));
    }
    summary
        .merged
        .as_ref()
        .map(|merged| format!("merged from {} shards", merged.count))
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
        Setting {
            name: "HTTP connections",
            value: match s.connections {
                Connections::PerUser => "per user (each user its own keep-alive pool)",
                Connections::Shared => "shared (one keep-alive pool for all users)",
            }
            .to_string(),
        },
    ];
    if let Some(value) = split_run(summary) {
        list.push(Setting {
            name: "Split run",
            value,
        });
    }
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
