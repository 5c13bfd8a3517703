//! The verdict part of the view: the headline (PASS or FAIL and why), one row per
//! deciding budget, and the capacity statement, in the words every format uses.

use super::format::{
    format_arrival_rate, measured_and_limit, stage_label, stage_name, verdict_statement,
};
use crate::slo::{Capacity, StageRef, Verdict};
use crate::summary::RunSummary;

/// The run's verdict in one word and one sentence, as every format opens with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    /// True when every budget held and nothing regressed against the baseline.
    pub passed: bool,
    /// `PASS` or `FAIL`.
    pub word: &'static str,
    /// How many budgets held or broke (the built-in `load delivered` check said apart),
    /// and any baseline regression: `2 of 5 budgets broken.`
    pub detail: String,
}

/// The headline of a run: budgets first, then the baseline comparison if one regressed.
pub fn headline(summary: &RunSummary) -> Headline {
    let (built_in, verdicts): (Vec<&Verdict>, Vec<&Verdict>) = summary
        .judgement
        .verdicts
        .iter()
        .partition(|v| v.rule == crate::slo::delivered::RULE);
    let total = verdicts.len();
    let broken = verdicts.iter().filter(|v| !v.passed).count();
    let plural = if total == 1 { "" } else { "s" };
    let mut budgets = match (total, broken) {
        (0, _) if built_in.is_empty() => "No budgets were set: nothing was gated.".to_string(),
        (0, _) => "No budgets were set.".to_string(),
        (1, 0) => "The budget was met.".to_string(),
        (n, 0) => format!("All {n} budgets were met."),
        (n, b) => format!("{b} of {n} budget{plural} broken."),
    };
    let built_in_broken = built_in.iter().any(|v| !v.passed);
    if built_in_broken {
        budgets.push_str(" The built-in load delivered check failed.");
    } else if total == 0 && !built_in.is_empty() {
        budgets.push_str(" The built-in load delivered check passed.");
    }
    let regressed = summary
        .comparison
        .as_ref()
        .map(|c| c.regressions())
        .unwrap_or_default();
    let detail = if regressed.is_empty() {
        budgets
    } else {
        format!(
            "{} Regressed against the baseline: {}.",
            budgets,
            regressed.join(", ")
        )
    };
    let passed = broken == 0 && !built_in_broken && regressed.is_empty();
    Headline {
        passed,
        word: if passed { "PASS" } else { "FAIL" },
        detail,
    }
}

/// Where a budget comes from, and a link when the source starts with a web address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The source as written in the budgets file.
    pub text: String,
    /// The `http(s)://` address it starts with, if any.
    pub href: Option<String>,
}

impl Source {
    fn new(text: &str) -> Source {
        let first = text.split_whitespace().next().unwrap_or("");
        let href = (first.starts_with("https://") || first.starts_with("http://"))
            .then(|| first.trim_end_matches([',', ';', '.', ':']).to_string());
        Source {
            text: text.to_string(),
            href,
        }
    }
}

/// One budget's verdict, every figure formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictRow {
    /// The rule as written: `p95 < 200ms for http`.
    pub rule: String,
    /// What the rule covers: `all HTTP steps`.
    pub scope: String,
    /// The stage it was judged on (`stage 2 · steady`), or `None` for the whole run.
    pub stage: Option<String>,
    /// `<`, `<=`, `>`, `>=`.
    pub comparison: String,
    /// The measured figure with enough digits to differ from the limit when it broke;
    /// `None` when nothing was measured.
    pub measured: Option<String>,
    /// The limit in the same precision as `measured`.
    pub limit: String,
    /// Whether the budget held.
    pub passed: bool,
    /// Where the budget comes from, when the budgets file says.
    pub source: Option<Source>,
    /// Why it could not be measured.
    pub reason: Option<String>,
    /// `measured 250.3ms, limit < 200.0ms`, or why it was not judged.
    pub statement: String,
}

/// A verdict as a row.
pub fn verdict_row(summary: &RunSummary, v: &Verdict) -> VerdictRow {
    let (measured, limit) = measured_and_limit(v);
    VerdictRow {
        rule: v.rule.clone(),
        scope: v.scope.clone(),
        stage: v.stage.map(|i| stage_label(i, stage_name(summary, i))),
        comparison: v.comparison.clone(),
        measured,
        limit,
        passed: v.passed,
        source: v.source.as_deref().map(Source::new),
        reason: v.reason.clone(),
        statement: verdict_statement(v),
    }
}

/// The deciding verdicts (whole run, and rules pinned to a stage), in budget order.
pub fn verdict_rows(summary: &RunSummary) -> Vec<VerdictRow> {
    summary
        .judgement
        .verdicts
        .iter()
        .map(|v| verdict_row(summary, v))
        .collect()
}

/// One sentence of the capacity statement, with the badge the HTML report puts in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityLine {
    /// `HELD`, `NONE`, `BROKE`, `ABOVE`, `RUN-WIDE` or `NOT JUDGED`.
    pub badge: &'static str,
    /// Whether the line is good news (green) or not (red).
    pub good: bool,
    /// The sentence, ending with a full stop.
    pub text: String,
}

/// The capacity statement in the words every format uses: the highest load that met
/// every budget applying to its stage, the lowest that broke one and the rules it broke,
/// rules that broke over the whole run only, and stages an interruption left unjudged.
pub fn capacity_lines(summary: &RunSummary, capacity: &Capacity) -> Vec<CapacityLine> {
    let stage = |s: &StageRef| match s.rate {
        Some(rate) => format!(
            "an arrival rate of {} ({}, {} users, {:.1} req/s)",
            format_arrival_rate(rate),
            stage_label(s.stage, s.name.as_deref()),
            s.users,
            s.requests_per_sec
        ),
        None => format!(
            "{} users ({}, {:.1} req/s)",
            s.users,
            stage_label(s.stage, s.name.as_deref()),
            s.requests_per_sec
        ),
    };
    let mut lines = Vec::new();
    let nothing_finished = capacity.held.is_none() && capacity.broke.is_none();
    match &capacity.held {
        _ if nothing_finished && !capacity.not_judged.is_empty() => {}
        Some(held) => lines.push(CapacityLine {
            badge: "HELD",
            good: true,
            text: format!(
                "The highest load that met every budget applying to its stage: {}.",
                stage(held)
            ),
        }),
        None => lines.push(CapacityLine {
            badge: "NONE",
            good: false,
            text: "No stage that ran to its end met every budget applying to it.".to_string(),
        }),
    }
    match &capacity.broke {
        Some(broke) => lines.push(CapacityLine {
            badge: "BROKE",
            good: false,
            text: format!(
                "The lowest load that broke a budget: {}, breaking {}.",
                stage(broke),
                capacity.broken_rules.join("; ")
            ),
        }),
        None if capacity.not_judged.is_empty() => lines.push(CapacityLine {
            badge: "ABOVE",
            good: true,
            text: "No stage broke a budget: the capacity lies above the highest load tried."
                .to_string(),
        }),
        None => {}
    }
    if !capacity.run_wide_broken.is_empty() {
        lines.push(CapacityLine {
            badge: "RUN-WIDE",
            good: false,
            text: format!(
                "Over the whole run, {} broke as well (judged on the whole run, not stage by stage).",
                capacity.run_wide_broken.join("; ")
            ),
        });
    }
    if !capacity.not_judged.is_empty() {
        let names: Vec<String> = capacity
            .not_judged
            .iter()
            .map(|i| stage_label(*i, stage_name(summary, *i)))
            .collect();
        lines.push(CapacityLine {
            badge: "NOT JUDGED",
            good: false,
            text: format!(
                "Not counted: {} did not run to the end (the run was interrupted).",
                names.join(", ")
            ),
        });
    }
    lines
}
