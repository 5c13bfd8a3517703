//! The engine: turns a checked scenario into Goose scenarios and runs them as a Goose
//! test plan, every step recording into the shared [`Recorder`].
//!
//! - `plan`: stages after `--time-scale`, as Goose's test plan; `arrivals`, `open`: the
//!   open model's clock and its users;
//! - `address`: how step paths join the target; `session`: per-user variables and
//!   WebSocket; `http`, `ws`: the step kinds;
//! - `checks`: `expect`, `until`, `extract`; `redact`: credentials kept out of failures;
//! - `stop`: cancelling in-flight steps when the plan ends or the run is interrupted;
//! - `transport`: the HTTP client the steps send with; `redirects`: which it follows;
//! - `quiet`: the logger and Goose's console; `interrupt`: Ctrl-C and SIGTERM;
//! - `watch`: the generator's own CPU and timer lag, so a run whose generator was the
//!   bottleneck says so; `open_files`: the open-files limit a run of many users needs.
//!
//! Goose runs the users and the test plan; loadgate keeps the books (`no_metrics`) and
//! sends the requests through its own `transport`: a pool per user by default, or with
//! `load.connections: shared` one pool every user shares. A user's WebSocket is always
//! its own.
//!
//! Each flow becomes a Goose scenario (weight = flow weight, wait time = think time); its
//! setup steps run in one `on_start` transaction, each step is one transaction run in
//! file order, and `on_stop` closes the user's WebSocket.

pub mod address;
pub mod arrivals;
pub mod checks;
pub mod http;
pub mod interrupt;
pub mod open;
pub mod open_files;
pub mod plan;
pub mod quiet;
pub mod redact;
pub mod redirects;
pub mod session;
pub mod stop;
pub mod transport;
pub mod watch;
pub mod ws;

use crate::metrics::{Failure, Recorder, Sample, StepKind};
use crate::scenario::{Action, Connections, Flow, Scenario, Step};
use address::Address;
use goose::client::GooseClientBuilder;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use plan::{goose_test_plan, PlannedStage};
use redact::Secrets;
use session::{session_of, UserState};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use stop::StopSignal;

/// What every step of a run shares.
pub struct RunContext {
    /// Where samples go.
    pub recorder: Arc<Recorder>,
    /// Timeout when a step sets none.
    pub default_timeout: Duration,
    /// How step paths join the target.
    pub address: Address,
    /// Run-wide values kept out of failure details (`${env.*}` values, the target's
    /// credentials and query values).
    pub secrets: Secrets,
    /// Fired when in-flight steps must give up (plan over or interrupted, plus grace).
    pub stop: StopSignal,
    /// When the plan's clock started: the first user's start (closed model), or when
    /// every user finished its setup (open model).
    pub started: Arc<OnceLock<Instant>>,
    /// Open model: users whose setup has not finished yet; the clock starts at 0.
    pub setup_pending: Option<std::sync::atomic::AtomicUsize>,
    /// `${user}` of this process's first user: 1, or past the earlier shards' users.
    pub first_user: usize,
    /// The generator watching itself (open model: users report slot lateness to it).
    pub watch: Arc<watch::Watch>,
    /// Where users get the service their HTTP steps send with.
    pub transport: transport::Transport,
}

impl RunContext {
    /// `failure` with every known credential replaced by `[redacted]`.
    pub fn redacted(&self, state: &UserState, mut failure: Failure) -> Failure {
        if !(self.secrets.is_empty() && state.secrets.is_empty()) {
            failure.detail = redact::redact(&failure.detail, &[&self.secrets, &state.secrets]);
        }
        failure
    }

    /// Records one attempt of `step`, its failure detail redacted first. In the open
    /// model the latency is timed from the intended start, and the time from the actual
    /// send is kept as the service time.
    pub fn record(&self, state: &mut UserState, step: &str, kind: StepKind, mut sample: Sample) {
        sample.failure = sample.failure.map(|f| self.redacted(state, f));
        if let Some(lag) = state.intended_lag.take() {
            sample.service = sample.latency;
            sample.latency = sample.latency.map(|latency| latency + lag);
        }
        if state.in_setup {
            self.recorder.record_setup(step, kind, sample);
        } else {
            self.recorder.record(step, kind, sample);
        }
    }
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
/// when the test plan ends or a signal stops it, at most [`stop::GRACE`] (plus a
/// WebSocket close) after either. `secrets` are values never to show in failure details.
pub async fn run_attack(
    scenario: &Scenario,
    stages: &[PlannedStage],
    target: &str,
    recorder: Arc<Recorder>,
    mut secrets: Secrets,
) -> Result<(), EngineError> {
    quiet::install_logger();
    interrupt::install();
    let mut address = Address::parse(target).map_err(EngineError)?;
    for step in scenario
        .flows
        .iter()
        .flat_map(|f| f.setup.iter().chain(&f.steps))
    {
        if let Action::Http(http) = &step.action {
            if let Some(fixed) = http.path.as_literal() {
                address.learn(fixed);
            }
        }
    }
    for secret in address.secrets() {
        secrets.add(&secret);
    }
    let planned: Duration = stages.iter().map(|s| s.duration).sum();
    let started = Arc::new(OnceLock::new());
    let open_model = scenario.load.open.is_some();
    let (stop, supervisor) = stop::supervise(planned, stop::GRACE, started.clone(), open_model);
    let durations: Vec<Duration> = stages.iter().map(|s| s.duration).collect();
    let watch = Arc::new(watch::Watch::new(&durations, started.clone(), open_model));
    let watching = watch.start();
    let host = address.http_base().to_string();
    let transport = transport::Transport::new(scenario.load.connections == Connections::Shared)
        .map_err(EngineError)?;
    let ctx = Arc::new(RunContext {
        recorder,
        default_timeout: scenario.timeout,
        address,
        secrets,
        stop,
        started,
        setup_pending: scenario
            .load
            .open
            .map(|open| std::sync::atomic::AtomicUsize::new(open.max_users)),
        first_user: 1 + scenario.shard.map_or(0, |part| part.user_offset),
        watch: watch.clone(),
        transport,
    });
    let outcome = attack(scenario, stages, &host, &ctx).await;
    supervisor.abort();
    watching.stop();
    ctx.recorder.set_generator(watch.figures());
    outcome
}

async fn attack(
    scenario: &Scenario,
    stages: &[PlannedStage],
    host: &str,
    ctx: &Arc<RunContext>,
) -> Result<(), EngineError> {
    let mut config = GooseConfiguration::default();
    config.no_telnet = true;
    config.no_print_metrics = true;
    config.no_error_summary = true;
    config.quiet = 1;
    // loadgate records every sample itself; Goose's own request books would only be
    // computed and thrown away.
    config.no_metrics = true;
    // Requests go through loadgate's transport, never Goose's reqwest client: Goose's
    // shared-client strategy builds that client once instead of once per user.
    let mut attack = GooseAttack::initialize_with_config(config)?
        .set_client_builder_without_cookies(GooseClientBuilder::new().without_cookies())?;
    let slots = scenario
        .load
        .open
        .map(|open| open::flow_slots(&scenario.flows, stages, open.arrivals, scenario.shard));
    for (index, flow) in scenario.flows.iter().enumerate() {
        let flow_slots = slots.as_ref().map(|all| all[index].clone());
        attack = attack.register_scenario(goose_scenario(flow, ctx, flow_slots)?);
    }
    let test_plan = goose_test_plan(stages);
    log::debug!(
        "Goose test plan `{test_plan}`, {} scenario(s)",
        scenario.flows.len()
    );
    let attack = attack
        .set_default(GooseDefault::Host, host)?
        .set_default(GooseDefault::TestPlan, test_plan.as_str())?;
    let _gag = quiet::gag_stdout();
    attack.execute().await?;
    if let Some(slots) = &slots {
        let planned: Duration = stages.iter().map(|s| s.duration).sum();
        let ran = ctx.started.get().map_or(Duration::ZERO, Instant::elapsed);
        open::count_dropped(slots, ran.min(planned), ctx);
    }
    Ok(())
}

/// The flow as a Goose scenario: in the closed model one transaction per step, with the
/// think time as Goose's wait time; in the open model (`slots` given) one transaction that
/// runs an iteration when its slot comes due.
fn goose_scenario(
    flow: &Flow,
    ctx: &Arc<RunContext>,
    slots: Option<Arc<arrivals::Slots>>,
) -> Result<goose::goose::Scenario, GooseError> {
    let mut scenario = goose::goose::Scenario::new(&flow.name).set_weight(flow.weight)?;
    if let (Some(think), None) = (flow.think, &slots) {
        scenario = scenario.set_wait_time(think.min, think.max)?;
    }
    let setup: Arc<Vec<Step>> = Arc::new(flow.setup.clone());
    let start_ctx = ctx.clone();
    let on_start: TransactionFunction = Arc::new(move |user| {
        let (ctx, setup) = (start_ctx.clone(), setup.clone());
        Box::pin(async move {
            if ctx.setup_pending.is_none() {
                ctx.started.get_or_init(Instant::now);
            }
            ctx.recorder.user_started();
            for step in setup.iter() {
                if run_step(user, &ctx, step, Timing::Setup).await == Ran::Stopped {
                    break;
                }
            }
            open::user_ready(&ctx);
            Ok(())
        })
    });
    scenario =
        scenario.register_transaction(Transaction::new(on_start).set_name("setup").set_on_start());
    let slots_absent = slots.is_none();
    if let Some(slots) = slots {
        let (ctx, flow) = (ctx.clone(), Arc::new(flow.clone()));
        let function: TransactionFunction = Arc::new(move |user| {
            let (ctx, flow, slots) = (ctx.clone(), flow.clone(), slots.clone());
            Box::pin(async move {
                open::iteration(user, &ctx, &flow, &slots).await;
                Ok(())
            })
        });
        scenario = scenario.register_transaction(Transaction::new(function).set_name("iteration"));
    }
    for (index, step) in flow.steps.iter().enumerate().filter(|_| slots_absent) {
        let (ctx, step) = (ctx.clone(), Arc::new(step.clone()));
        let name = step.name.clone();
        let function: TransactionFunction = Arc::new(move |user| {
            let (ctx, step) = (ctx.clone(), step.clone());
            Box::pin(async move {
                run_step(user, &ctx, &step, Timing::Plain).await;
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
            let session = session_of(user, ctx.first_user);
            let mut state = session.0.lock().await;
            ws::close_quietly(&ctx, &mut state).await;
            ctx.recorder.user_stopped();
            Ok(())
        })
    });
    Ok(scenario.register_transaction(Transaction::new(on_stop).set_name("teardown").set_on_stop()))
}

/// Whether a step ran to its end, or the run's stop signal cut it off (or came first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    Finished,
    Stopped,
}

/// How a step's sample is placed and timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    /// A flow's `setup:` step: in the step's totals, in no stage.
    Setup,
    /// Timed from its own start.
    Plain,
    /// Open model: timed from its intended start, this long before its actual start.
    Intended(Duration),
}

/// Runs one step, racing the run's stop signal: a step still in flight when it fires is
/// recorded as cancelled; a step that would start after it is not run at all.
async fn run_step(user: &mut GooseUser, ctx: &RunContext, step: &Step, timing: Timing) -> Ran {
    if ctx.stop.is_cancelled() {
        return Ran::Stopped;
    }
    let session = session_of(user, ctx.first_user);
    let mut state = session.0.lock().await;
    let state = &mut *state;
    state.intended_lag = match timing {
        Timing::Intended(lag) => Some(lag),
        Timing::Setup | Timing::Plain => None,
    };
    state.in_setup = timing == Timing::Setup;
    let action = async {
        match &step.action {
            Action::Http(http_step) => http::run(ctx, &step.name, http_step, state).await,
            Action::WsConnect(connect) => ws::connect(ctx, &step.name, connect, state).await,
            Action::WsSend(send) => ws::send(ctx, &step.name, send, state).await,
            Action::WsReceive(receive) => ws::receive(ctx, &step.name, receive, state).await,
            Action::WsClose => ws::close(ctx, &step.name, state).await,
        }
    };
    let finished = tokio::select! {
        biased;
        () = action => true,
        () = ctx.stop.cancelled() => false,
    };
    // A step cut off before it recorded leaves no lag for whatever records next.
    state.intended_lag = None;
    state.in_setup = false;
    if finished {
        return Ran::Finished;
    }
    let kind = step_kind(&step.action);
    if timing == Timing::Setup {
        ctx.recorder.record_setup_cancelled(&step.name, kind);
    } else {
        ctx.recorder.record_cancelled(&step.name, kind);
    }
    Ran::Stopped
}

/// The measure a step's samples stand for.
fn step_kind(action: &Action) -> StepKind {
    match action {
        Action::Http(_) => StepKind::Http,
        Action::WsConnect(_) => StepKind::WsConnect,
        Action::WsSend(_) => StepKind::WsSend,
        Action::WsReceive(_) => StepKind::WsReceive,
        Action::WsClose => StepKind::WsClose,
    }
}
