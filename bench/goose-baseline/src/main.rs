//! The smallest honest Goose load test: `USERS` users GET `/` of `HOST` in a closed
//! loop for `SECS` seconds, reading every body; prints `requests N`. Goose keeps its
//! own metrics (its default), as a hand-written Goose test would.

use goose::config::GooseConfiguration;
use goose::prelude::*;

async fn get_root(user: &mut GooseUser) -> TransactionResult {
    let goose = user.get("/").await?;
    if let Ok(response) = goose.response {
        let _ = response.bytes().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or(default.into());
    let (users, secs) = (var("USERS", "50"), var("SECS", "10"));
    let plan = format!("{users},0s;{users},{secs}s;0,0s");
    let metrics = GooseAttack::initialize_with_config(GooseConfiguration::default())?
        .register_scenario(scenario!("baseline").register_transaction(transaction!(get_root)))
        .set_default(
            GooseDefault::Host,
            var("HOST", "http://127.0.0.1:18080").as_str(),
        )?
        .set_default(GooseDefault::TestPlan, plan.as_str())?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoErrorSummary, true)?
        .set_default(GooseDefault::Quiet, 1)?
        .execute()
        .await?;
    let requests: usize = metrics
        .requests
        .values()
        .map(|r| r.success_count + r.fail_count)
        .sum();
    println!("requests {requests}");
    Ok(())
}
