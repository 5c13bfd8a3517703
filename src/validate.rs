//! `loadgate validate`: check a scenario without running it.
//!
//! [`check`] is the whole check as a library call (tests run it in-process on many
//! files); whatever it accepts, `loadgate run` must be able to run.

use crate::exit::{AppError, Exit};
use crate::scenario::diagnostic::printable;
use crate::scenario::{load_scenario, Diagnostics, Scenario};
use crate::slo::Budget;
use std::path::Path;

/// Reads and checks the scenario at `file` and its budgets, resolving `${env.…}` with
/// `env`; every problem is in the error.
pub fn check(
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Scenario, Vec<Budget>), Diagnostics> {
    let scenario = load_scenario(file, env)?;
    let budgets = crate::slo::load_budgets(&scenario)?;
    Ok((scenario, budgets))
}

/// Prints a one-line description of a valid scenario; every problem otherwise.
pub fn validate(file: &Path) -> Result<Exit, AppError> {
    let (scenario, budgets) = check(file, &|name| std::env::var(name).ok())?;
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
