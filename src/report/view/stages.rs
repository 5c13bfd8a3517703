//! The per-stage part of the view: every budget judged on every stage (the matrix the
//! capacity statement is read from).

use super::format::{
    format_rate, measured_and_limit, rate_range, stage_label, user_range, verdict_statement,
};
use crate::slo::StageVerdicts;
use crate::summary::RunSummary;

/// One budget on one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixCell {
    /// The rule, so a cell read alone (a phone card) still says what it judges.
    pub rule: String,
    /// False when the rule was not judged on that stage.
    pub present: bool,
    /// Whether it held there.
    pub passed: bool,
    /// The measured figure, `n/a` when nothing was measured.
    pub value: String,
    /// The full statement: `12.3ms (limit < 200.0ms)`, or why it was not measured.
    pub title: String,
}

/// One stage's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// `stage 2 · steady`.
    pub label: String,
    /// `240`, or `120→240` for a ramp.
    pub users: String,
    /// Attempts per second during the stage.
    pub rps: String,
    /// Whether every budget held on the stage.
    pub passed: bool,
    /// One cell per rule of [`Matrix::rules`], in that order.
    pub cells: Vec<MatrixCell>,
    /// `stage 2 · steady (240 users, 30.0 req/s): PASS`, then one line per budget.
    pub lines: Vec<String>,
}

/// Every budget judged on every stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// The load column's heading: `Users`, or `Arrivals` in the open model.
    pub load_header: &'static str,
    /// The rules, in the order first met.
    pub rules: Vec<String>,
    /// One row per stage.
    pub rows: Vec<MatrixRow>,
}

/// The matrix of a multi-stage run; `None` when stages were not judged.
pub fn matrix(summary: &RunSummary) -> Option<Matrix> {
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
        .map(|stage| matrix_row(stage, &rules))
        .collect();
    let load_header = if stages.iter().any(|s| s.rates.is_some()) {
        "Arrivals"
    } else {
        "Users"
    };
    Some(Matrix {
        load_header,
        rules,
        rows,
    })
}

fn matrix_row(stage: &StageVerdicts, rules: &[String]) -> MatrixRow {
    let label = stage_label(stage.stage, stage.name.as_deref());
    let users = match stage.rates {
        Some(r) => rate_range(r.start, r.end),
        None => user_range(stage.start_users, stage.users),
    };
    let rps = format_rate(stage.requests_per_sec);
    let verdict = if stage.passed { "PASS" } else { "FAIL" };
    let load = match stage.rates {
        Some(_) => format!("{users} arrivals"),
        None => format!("{users} users"),
    };
    let mut lines = vec![format!("{label} ({load}, {rps} req/s): {verdict}")];
    lines.extend(stage.verdicts.iter().map(|v| {
        format!(
            "  {} {}: {}",
            if v.passed { "pass" } else { "FAIL" },
            v.rule,
            verdict_statement(v)
        )
    }));
    let cells = rules
        .iter()
        .map(
            |rule| match stage.verdicts.iter().find(|v| &v.rule == rule) {
                Some(v) => {
                    let (measured, limit) = measured_and_limit(v);
                    MatrixCell {
                        rule: rule.clone(),
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
                    rule: rule.clone(),
                    present: false,
                    passed: true,
                    value: String::new(),
                    title: String::new(),
                },
            },
        )
        .collect();
    MatrixRow {
        label,
        users,
        rps,
        passed: stage.passed,
        cells,
        lines,
    }
}
