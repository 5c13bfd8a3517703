//! `loadgate validate`: check a scenario without running it.

use crate::exit::{AppError, Exit};
use crate::scenario::load_scenario;
use std::path::Path;

/// Prints a one-line description of a valid scenario; every problem otherwise.
pub fn validate(file: &Path) -> Result<Exit, AppError> {
    let scenario = load_scenario(file, &|name| std::env::var(name).ok())?;
    let budgets = crate::slo::load_budgets(&scenario)?;
    let steps: usize = scenario
        .flows
        .iter()
        .map(|f| f.setup.len() + f.steps.len())
        .sum();
    println!(
        "{}: ok — scenario `{}`, {} flow(s), {steps} step(s), {} stage(s), peak {} users, {}, {} budget(s)",
        file.display(),
        scenario.name,
        scenario.flows.len(),
        scenario.load.stages.len(),
        scenario.peak_users(),
        crate::scenario::duration::format_duration(scenario.planned_duration()),
        budgets.len(),
    );
    Ok(Exit::Passed)
}
