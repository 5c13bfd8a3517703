//! The engine: turns a checked scenario into Goose scenarios and runs them as a Goose
//! test plan, every step recording into the shared [`Recorder`].
//!
//! - `plan`: stages after `--time-scale`, as Goose's test plan;
//! - `session`: per-user variables and WebSocket; `http`, `ws`: the step kinds;
//! - `checks`: `expect`, `until`, `extract`; `quiet`, `interrupt`: Goose's console and Ctrl-C.
//!
//! Each flow becomes a Goose scenario (weight = flow weight, wait time = think time); its
//! setup steps run in one `on_start` transaction, each step is one transaction run in
//! file order, and `on_stop` closes the user's WebSocket.

pub mod checks;
pub mod http;
pub mod interrupt;
pub mod plan;
pub mod quiet;
pub mod session;
pub mod ws;

use crate::metrics::Recorder;
use crate::scenario::{Action, Flow, Scenario, Step};
use goose::config::GooseConfiguration;
use goose::prelude::*;
use plan::{goose_test_plan, PlannedStage};
use session::session_of;
use std::sync::Arc;
use std::time::Duration;

/// What every step of a run shares.
pub struct RunContext {
    /// Where samples go.
    pub recorder: Arc<Recorder>,
    /// Timeout when a step sets none.
    pub default_timeout: Duration,
    /// The target as a WebSocket base URL (`ws://host:port`).
    pub ws_base: String,
}

/// Goose refused the attack (a configuration it cannot run).
#[derive(Debug, thiserror::Error)]
#[error("the load engine could not run the scenario: {0}")]
pub struct EngineError(String);

impl From<GooseError> for EngineError {
    fn from(err: GooseError) -> Self {
        EngineError(err.to_string())
    }
}

/// Runs `scenario` against `target` (an http(s) base URL) with the planned stages; returns
/// when the test plan ends or Ctrl-C stops it.
pub async fn run_attack(
    scenario: &Scenario,
    stages: &[PlannedStage],
    target: &str,
    recorder: Arc<Recorder>,
) -> Result<(), EngineError> {
    quiet::silence_goose_logging();
    interrupt::install();
    let ctx = Arc::new(RunContext {
        recorder,
        default_timeout: scenario.timeout,
        ws_base: ws_base(target),
    });
    let mut config = GooseConfiguration::default();
    config.no_telnet = true;
    config.no_print_metrics = true;
    config.no_error_summary = true;
    config.quiet = 1;
    let mut attack = GooseAttack::initialize_with_config(config)?;
    for flow in &scenario.flows {
        attack = attack.register_scenario(goose_scenario(flow, &ctx)?);
    }
    let attack = attack
        .set_default(GooseDefault::Host, target)?
        .set_default(GooseDefault::TestPlan, goose_test_plan(stages).as_str())?;
    let _gag = quiet::gag_stdout();
    attack.execute().await?;
    Ok(())
}

/// `http://h:p/` → `ws://h:p`, `https://…` → `wss://…`.
pub fn ws_base(target: &str) -> String {
    let trimmed = target.trim_end_matches('/');
    match trimmed.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some((_, rest)) => format!("ws://{rest}"),
        None => format!("ws://{trimmed}"),
    }
}

fn goose_scenario(
    flow: &Flow,
    ctx: &Arc<RunContext>,
) -> Result<goose::goose::Scenario, GooseError> {
    let mut scenario = goose::goose::Scenario::new(&flow.name).set_weight(flow.weight)?;
    if let Some(think) = flow.think {
        scenario = scenario.set_wait_time(think.min, think.max)?;
    }
    let setup: Arc<Vec<Step>> = Arc::new(flow.setup.clone());
    let start_ctx = ctx.clone();
    let on_start: TransactionFunction = Arc::new(move |user| {
        let (ctx, setup) = (start_ctx.clone(), setup.clone());
        Box::pin(async move {
            ctx.recorder.user_started();
            for step in setup.iter() {
                run_step(user, &ctx, step).await;
            }
            Ok(())
        })
    });
    scenario =
        scenario.register_transaction(Transaction::new(on_start).set_name("setup").set_on_start());
    for (index, step) in flow.steps.iter().enumerate() {
        let (ctx, step) = (ctx.clone(), Arc::new(step.clone()));
        let name = step.name.clone();
        let function: TransactionFunction = Arc::new(move |user| {
            let (ctx, step) = (ctx.clone(), step.clone());
            Box::pin(async move {
                run_step(user, &ctx, &step).await;
                Ok(())
            })
        });
        scenario = scenario.register_transaction(
            Transaction::new(function)
                .set_name(&name)
                .set_sequence(index + 1),
        );
    }
    let stop_ctx = ctx.clone();
    let on_stop: TransactionFunction = Arc::new(move |user| {
        let ctx = stop_ctx.clone();
        Box::pin(async move {
            let session = session_of(user);
            let mut state = session.0.lock().await;
            ws::close_quietly(&ctx, &mut state).await;
            ctx.recorder.user_stopped();
            Ok(())
        })
    });
    Ok(scenario.register_transaction(Transaction::new(on_stop).set_name("teardown").set_on_stop()))
}

async fn run_step(user: &mut GooseUser, ctx: &RunContext, step: &Step) {
    let session = session_of(user);
    let mut state = session.0.lock().await;
    match &step.action {
        Action::Http(http_step) => http::run(user, ctx, &step.name, http_step, &mut state).await,
        Action::WsConnect(connect) => ws::connect(ctx, &step.name, connect, &mut state).await,
        Action::WsSend(send) => ws::send(ctx, &step.name, send, &mut state).await,
        Action::WsReceive(receive) => ws::receive(ctx, &step.name, receive, &mut state).await,
        Action::WsClose => ws::close(ctx, &step.name, &mut state).await,
    }
}
