//! `loadgate validate`: check a scenario, or a budgets file, without running it.
//!
//! [`check`] is the whole check as a library call (tests run it in-process on many
//! files); whatever it accepts, `loadgate run` must be able to run.

use crate::exit::{AppError, Exit};
use crate::scenario::diagnostic::printable;
use crate::scenario::reader::parse_tree;
use crate::scenario::source::{decode, read_input_file};
use crate::scenario::{parse_scenario_bytes, Diagnostics, Scenario};
use crate::slo::budgets::{check_budget_file, is_budget_file};
use crate::slo::Budget;
use std::path::Path;

/// Reads and checks the scenario at `file` and its budgets, resolving `${env.…}` with
/// `env`; every problem is in the error.
pub fn check(
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Scenario, Vec<Budget>), Diagnostics> {
    let bytes = read_input_file(file, "scenario")?;
    check_bytes(file, &bytes, env)
}

/// [`check`] on the file's contents, once read.
fn check_bytes(
    file: &Path,
    bytes: &[u8],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Scenario, Vec<Budget>), Diagnostics> {
    let scenario = parse_scenario_bytes(file, bytes, env)?;
    let budgets = crate::slo::load_budgets(&scenario)?;
    Ok((scenario, budgets))
}

/// Prints a one-line description of a valid scenario or budgets file; every problem
/// otherwise.
pub fn validate(file: &Path) -> Result<Exit, AppError> {
    let bytes = read_input_file(file, "scenario")?;
    let tree = parse_tree(file, decode(file, &bytes)?)?;
    if is_budget_file(&tree) {
        let count = check_budget_file(file, &tree)?;
        println!(
            "{}: ok — a budgets file, not a scenario: {count} budget(s), each rule well-formed; \
             the steps and stages they name are checked when a scenario that uses it (`slo:`) is validated",
            printable(&file.display().to_string()),
        );
        return Ok(Exit::Passed);
    }
    let (scenario, budgets) = check_bytes(file, &bytes, &|name| std::env::var(name).ok())?;
    let steps: usize = scenario
        .flows
        .iter()
        .map(|f| f.setup.len() + f.steps.len())
        .sum();
    println!(
        "{}: ok — scenario `{}`, {} flow(s), {steps} step(s), {} stage(s), peak {} users, {}, {} budget(s)",
        printable(&file.display().to_string()),
        scenario.name,
        scenario.flows.len(),
        scenario.load.stages.len(),
        scenario.peak_users(),
        crate::scenario::duration::format_duration(scenario.planned_duration()),
        budgets.len(),
    );
    Ok(Exit::Passed)
}
