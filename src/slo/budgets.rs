//! Where a scenario's budgets come from: the budgets file named by `slo:` (each entry with
//! the requirement it comes from, optionally limited to some scenarios) and inline
//! `budgets:` rules. Every rule is checked against the scenario before anything runs: a
//! step or stage it names must exist.

use super::rule::{parse_rule, LimitKind, Measure, Rule, Scope, SeriesStat, StageRef};
use crate::metrics::server::SeriesUnit;
use crate::scenario::monitor::Monitor;
use crate::scenario::names::check_shown_text;
use crate::scenario::reader::{join, parse_tree, Reader};
use crate::scenario::source::{decode, read_input_file};
use crate::scenario::{Diagnostic, Diagnostics, Scenario};
use marked_yaml::Node;
use std::path::Path;

/// A budget ready to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// The rule as written.
    pub text: String,
    /// The parsed rule.
    pub rule: Rule,
    /// The requirement it comes from.
    pub source: Option<String>,
    /// The 0-based stage it is limited to, resolved from the rule.
    pub stage: Option<usize>,
}

/// Reads the budgets file and inline rules of `scenario`, reporting every problem.
pub fn load_budgets(scenario: &Scenario) -> Result<Vec<Budget>, Diagnostics> {
    let mut budgets = Vec::new();
    let mut problems: Vec<Diagnostic> = Vec::new();
    let names = scenario.metric_names();
    let mut stages = std::collections::HashMap::new();
    for (index, stage) in scenario.load.stages.iter().enumerate() {
        if let Some(name) = &stage.name {
            stages.entry(name.as_str()).or_insert(index);
        }
    }
    let known = Known {
        set: names.iter().map(String::as_str).collect(),
        listed: list_some(&names),
        stages,
    };
    if let Some(file) = &scenario.slo_file {
        match read_budget_file(file, Some((scenario, &known))) {
            Ok(found) => budgets.extend(found),
            Err(Diagnostics(found)) => problems.extend(found),
        }
    }
    for (index, (text, position)) in scenario.budgets.iter().enumerate() {
        let field = format!("budgets[{index}]");
        match check(text, None, scenario, &known) {
            Ok(budget) => budgets.push(budget),
            Err(message) => problems.push(Diagnostic {
                file: scenario.source.clone(),
                position: *position,
                field,
                message,
            }),
        }
    }
    if problems.is_empty() {
        Ok(budgets)
    } else {
        Err(Diagnostics::listed(problems, 0))
    }
}

/// The scenario's metric and stage names, for looking up and for messages.
struct Known<'s> {
    set: std::collections::HashSet<&'s str>,
    /// The first few names, as an error message lists them.
    listed: String,
    /// Stage names and the index of the first stage with each.
    stages: std::collections::HashMap<&'s str, usize>,
}

/// `a, b, c` for a few names; past ten, `… and N more`.
fn list_some(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|n| crate::scenario::diagnostic::shorten(n))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// Parses `text` and resolves it against the scenario's steps (`known`, its metric
/// names) and stages. Rule text is shown in every report, so it may hold no control
/// characters.
fn check(
    text: &str,
    source: Option<String>,
    scenario: &Scenario,
    known: &Known,
) -> Result<Budget, String> {
    let mut rule = parse_checked(text)?;
    if let Measure::Server {
        series,
        stat,
        limit,
    } = &rule.measure
    {
        let monitor = scenario.monitor.clone().unwrap_or_default();
        let kind = server_limit(text, &monitor, series, *stat, *limit, rule.limit)?;
        rule.measure = Measure::Server {
            series: series.clone(),
            stat: *stat,
            limit: kind,
        };
    }
    if let Scope::Steps(steps) = &rule.scope {
        for step in steps {
            if !known.set.contains(step.as_str()) {
                return Err(format!(
                    "`{text}`: scenario `{}` has no step `{step}` (its steps: {})",
                    scenario.name, known.listed
                ));
            }
        }
    }
    let stage = match &rule.stage {
        None => None,
        Some(StageRef::Number(n)) if *n <= scenario.load.stages.len() => Some(n - 1),
        Some(StageRef::Number(n)) => {
            return Err(format!(
                "`{text}`: there is no stage {n} (the scenario has {})",
                scenario.load.stages.len()
            ))
        }
        Some(StageRef::Name(name)) => Some(
            *known
                .stages
                .get(name.as_str())
                .ok_or_else(|| format!("`{text}`: no stage is named `{name}`"))?,
        ),
    };
    Ok(Budget {
        text: text.to_string(),
        rule,
        source,
        stage,
    })
}

/// Checks a server budget against the scenario's series: the series must exist, and
/// the limit must be written in its unit. Returns the limit's kind in that unit (a
/// plain number against a byte series is bytes, against a ratio a fraction).
fn server_limit(
    text: &str,
    monitor: &Monitor,
    series: &str,
    stat: SeriesStat,
    written: LimitKind,
    limit: f64,
) -> Result<LimitKind, String> {
    let Some(def) = monitor.series_named(series) else {
        let names: Vec<&str> = monitor.series.iter().map(|s| s.name.as_str()).collect();
        let hint = match crate::scenario::reader::closest(series, &names) {
            Some(close) => format!("; did you mean `{close}`?"),
            None => String::new(),
        };
        return Err(format!(
            "`{text}`: `{series}` is neither a measure (pNN, mean, max, error_rate, throughput, ws_connections, server_memory, server_cpu, server_memory_growth) nor a series of the scenario's `monitor:` (its series: {}){hint}",
            names.join(", ")
        ));
    };
    if stat == SeriesStat::Growth {
        return Ok(LimitKind::PercentPerHour);
    }
    let unit = SeriesUnit::of(def);
    match (unit, written) {
        (SeriesUnit::Bytes, LimitKind::Bytes | LimitKind::Number) => Ok(LimitKind::Bytes),
        (SeriesUnit::Cores, LimitKind::Percent) => Ok(LimitKind::Percent),
        (SeriesUnit::Cores, _) => Err(format!(
            "`{text}`: {series} is a share of the monitored cores (`monitor.cores`); write a percentage such as `70%`"
        )),
        (SeriesUnit::Fraction, LimitKind::Percent) => Ok(LimitKind::Percent),
        (SeriesUnit::Fraction, LimitKind::Number) if limit <= 1.0 => Ok(LimitKind::Percent),
        (SeriesUnit::Fraction, _) => Err(format!(
            "`{text}`: {series} is a ratio; write a percentage (`80%`) or a fraction up to 1"
        )),
        (SeriesUnit::PerSecond, LimitKind::PerSecond | LimitKind::Number) => {
            Ok(LimitKind::PerSecond)
        }
        (SeriesUnit::PerSecond, _) => Err(format!(
            "`{text}`: {series} is a rate; write it per second, e.g. `20/s`"
        )),
        (SeriesUnit::Number, LimitKind::Number | LimitKind::Bytes) => Ok(written),
        (SeriesUnit::Bytes | SeriesUnit::Number, _) => Err(format!(
            "`{text}`: {series} is a level ({}); write a size such as `512MB` or a number",
            def.source.describe()
        )),
    }
}

/// A rule's syntax, and text fit to be shown in reports (no control characters).
fn parse_checked(text: &str) -> Result<Rule, String> {
    check_shown_text(text).map_err(|e| format!("the rule {e}"))?;
    parse_rule(text)
}

/// Whether a YAML tree is a budgets file rather than a scenario: its only top-level key
/// is `budgets`, holding entries (`{ rule, source }` mappings) rather than the plain
/// rule strings of a scenario's inline `budgets:`. A scenario always needs `name`,
/// `load` and `flows`, so nothing that is meant as a scenario is taken for one.
pub fn is_budget_file(tree: &Node) -> bool {
    let Some(top) = tree.as_mapping() else {
        return false;
    };
    let Some(budgets) = top.get_node("budgets") else {
        return false;
    };
    top.len() == 1
        && budgets
            .as_sequence()
            .is_none_or(|items| items.is_empty() || items.iter().any(|i| i.as_scalar().is_none()))
}

/// Checks a budgets file on its own (`loadgate validate scenarios/slo.yaml`): its
/// shape, every rule's syntax, sources and `scenarios:` lists, with every problem
/// placed. Step and stage names can only be checked against a scenario, which
/// validating a scenario that points at the file (`slo:`) does. Returns the number of
/// budgets.
pub fn check_budget_file(file: &Path, tree: &Node) -> Result<usize, Diagnostics> {
    read_budget_tree(file, tree, None).map(|budgets| budgets.len())
}

/// Reads a budgets file: `budgets:` entries of `{ rule, source, scenarios }`. The file
/// gets the same input limits as a scenario (size, file type, encoding, nesting).
/// With a scenario, only the entries that apply to it are kept and their step and
/// stage names are checked against it.
fn read_budget_file(
    file: &Path,
    for_scenario: Option<(&Scenario, &Known)>,
) -> Result<Vec<Budget>, Diagnostics> {
    let bytes = read_input_file(file, "budgets file")?;
    let tree = parse_tree(file, decode(file, &bytes)?)?;
    read_budget_tree(file, &tree, for_scenario)
}

/// [`read_budget_file`] once the file is a YAML tree.
fn read_budget_tree(
    file: &Path,
    tree: &Node,
    for_scenario: Option<(&Scenario, &Known)>,
) -> Result<Vec<Budget>, Diagnostics> {
    let no_env = |_: &str| None;
    let mut r = Reader::new(file, &no_env);
    let mut budgets = Vec::new();
    if let Some(top) = r.mapping(tree, "", &["budgets"]) {
        if let Some(items) = r
            .required(top, "", "budgets")
            .and_then(|n| r.sequence(n, "budgets"))
        {
            for (index, item) in items.iter().enumerate() {
                let field = format!("budgets[{index}]");
                let Some(entry) = r.mapping(item, &field, &["rule", "source", "scenarios"]) else {
                    continue;
                };
                let source = entry.get_node("source").and_then(|n| {
                    let text = r.string(n, &join(&field, "source"))?;
                    match check_shown_text(&text) {
                        Ok(()) => Some(text),
                        Err(message) => {
                            r.error(n, &join(&field, "source"), message);
                            None
                        }
                    }
                });
                if let Some(only) = entry.get_node("scenarios") {
                    let names: Vec<String> = match r.sequence(only, &join(&field, "scenarios")) {
                        Some(list) => list
                            .iter()
                            .filter_map(|n| r.string(n, &join(&field, "scenarios")))
                            .collect(),
                        None => continue,
                    };
                    if for_scenario.is_some_and(|(scenario, _)| !names.contains(&scenario.name)) {
                        continue;
                    }
                }
                let Some(rule_node) = r.required(entry, &field, "rule") else {
                    continue;
                };
                let Some(text) = r.string(rule_node, &join(&field, "rule")) else {
                    continue;
                };
                let checked = match for_scenario {
                    Some((scenario, known)) => check(&text, source, scenario, known),
                    None => parse_checked(&text).map(|rule| Budget {
                        text: text.clone(),
                        rule,
                        source,
                        stage: None,
                    }),
                };
                match checked {
                    Ok(budget) => budgets.push(budget),
                    Err(message) => r.error(rule_node, &join(&field, "rule"), message),
                }
            }
        }
    }
    r.finish(Some(budgets))
}

#[cfg(test)]
mod server_tests {
    use super::*;
    use crate::scenario::parse_scenario;

    fn budgets_of(monitor: &str, rules: &[&str]) -> Result<Vec<Budget>, Diagnostics> {
        let list: Vec<String> = rules.iter().map(|r| format!("  - \"{r}\"\n")).collect();
        let text = format!(
            "name: s\nload:\n  stages:\n    - {{ name: hold, users: 1, over: 1s }}\nflows:\n  - name: f\n    steps:\n      - http: {{ path: / }}\n{monitor}budgets:\n{}",
            list.concat()
        );
        let scenario = parse_scenario(Path::new("s.yaml"), &text, &|_| None).unwrap();
        load_budgets(&scenario)
    }

    #[test]
    fn server_budgets_are_checked_against_the_series() {
        let ok = budgets_of(
            "monitor:\n  series:\n    - { name: cache_hit_rate, ratio: { of: h, over: [h, m] } }\n",
            &[
                "server_memory < 512MB",
                "server_cpu < 70% in stage hold",
                "server_memory_growth < 5%/h",
                "cache_hit_rate > 0.8",
            ],
        )
        .unwrap();
        assert_eq!(ok.len(), 4);
        assert_eq!(ok[1].stage, Some(0));
        assert_eq!(ok[3].rule.measure.unit(), crate::slo::Unit::Fraction);
        let err = budgets_of("", &["cache_hit_rate > 80%"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "nor a series of the scenario's `monitor:` (its series: server_memory, server_cpu)"
            ),
            "{err}"
        );
        let err = budgets_of("", &["server_cpu < 2"]).unwrap_err().to_string();
        assert!(err.contains("write a percentage such as `70%`"), "{err}");
        let err = budgets_of("", &["server_memroy < 1GB"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `server_memory`?"), "{err}");
    }
}
