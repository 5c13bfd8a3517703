//! The live, thread-safe sink every user's steps record into while a run goes on.
//!
//! Each sample lands in its step's run-wide histogram, in the histogram of the stage the
//! run is in at that moment (from the planned stage timings), and in the current second
//! (per series scope). Only successful attempts are timed; failures are counted.

use super::failure::Failure;
use super::histogram::LatencyHistogram;
use super::scope::Scope;
use super::snapshot::{
    FailureCount, RunMetrics, SecondSample, StageArrivals, StageMetrics, StepKind, StepMetrics,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What one step attempt produced.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Time taken, when the attempt got far enough to be timed.
    pub latency: Option<Duration>,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
    /// WebSocket frames received during the attempt.
    pub frames: u64,
    /// Open model: the time from the actual send, when `latency` counts from the
    /// iteration's intended start.
    pub service: Option<Duration>,
}

/// A view of the run so far, for the progress display.
#[derive(Debug, Clone)]
pub struct LiveView {
    /// Time since the run started.
    pub elapsed: Duration,
    /// 0-based index of the current stage.
    pub stage: usize,
    /// Steps completed so far.
    pub requests: u64,
    /// Failures so far.
    pub errors: u64,
    /// Users active now.
    pub users: u64,
    /// Steps per second over the last few complete seconds.
    pub recent_rate: f64,
    /// Per series scope (the run's latency budget scopes): its short label and the 95th
    /// percentile of its successful attempts so far (µs), if any succeeded.
    pub p95: Vec<(String, Option<u64>)>,
}

/// A stage as planned (after `--time-scale`), for the recorder's stage clock.
#[derive(Debug, Clone, PartialEq)]
pub struct StagePlan {
    /// The stage's `name:`, if it has one.
    pub name: Option<String>,
    /// Users at the end of the stage.
    pub users: usize,
    /// How long it lasts.
    pub duration: Duration,
    /// Open model: iterations per second at the end of the stage.
    pub rate: Option<f64>,
}

struct State {
    metrics: RunMetrics,
    /// Successful latencies per series scope (same order), for the live p95s.
    live: Vec<LatencyHistogram>,
}

/// A scope that gets a per-second latency series, with its label computed once.
struct Series {
    scope: Scope,
    label: String,
}

/// Shared by all users of a run (behind an `Arc`).
pub struct Recorder {
    /// Set when the first user starts: Goose builds every user's HTTP client before the
    /// test plan begins, and the stage clock must match the plan, not that set-up.
    start: OnceLock<Instant>,
    /// Whether the first user's start starts the clock (the closed model), or
    /// [`Recorder::start_clock`] does (the open model, once every user is set up).
    starts_with_first_user: bool,
    /// When the first user started.
    first_user: OnceLock<Instant>,
    stage_ends: Vec<Duration>,
    series: Vec<Series>,
    state: Mutex<State>,
    users: AtomicU64,
    ws_open: AtomicU64,
}

impl Recorder {
    /// A recorder for a run with these planned (already time-scaled) stages, keeping a
    /// per-second latency series for each of `series` (the run's latency budget scopes).
    pub fn new(stages: &[StagePlan], series: &[Scope]) -> Self {
        let mut end = Duration::ZERO;
        let mut before = 0;
        let mut rate_before = 0.0;
        let mut stage_ends = Vec::with_capacity(stages.len());
        let mut stage_metrics = Vec::with_capacity(stages.len());
        for (index, stage) in stages.iter().enumerate() {
            stage_metrics.push(StageMetrics {
                index,
                name: stage.name.clone(),
                users: stage.users,
                start_users: before,
                start_secs: end.as_secs_f64(),
                duration_secs: stage.duration.as_secs_f64(),
                ran_secs: 0.0,
                steps: Default::default(),
                arrivals: stage.rate.map(|rate| StageArrivals {
                    start_rate: rate_before,
                    end_rate: rate,
                    planned: (rate_before + rate) / 2.0 * stage.duration.as_secs_f64(),
                    started: 0,
                    dropped: 0,
                }),
            });
            before = stage.users;
            rate_before = stage.rate.unwrap_or(0.0);
            end += stage.duration;
            stage_ends.push(end);
        }
        let mut unique: Vec<Series> = Vec::new();
        for scope in series {
            if !unique.iter().any(|s| s.scope == *scope) {
                unique.push(Series {
                    scope: scope.clone(),
                    label: scope.label(),
                });
            }
        }
        let metrics = RunMetrics {
            stages: stage_metrics,
            ..Default::default()
        };
        Recorder {
            start: OnceLock::new(),
            starts_with_first_user: true,
            first_user: OnceLock::new(),
            stage_ends,
            state: Mutex::new(State {
                metrics,
                live: vec![LatencyHistogram::with_precision(2); unique.len()],
            }),
            series: unique,
            users: AtomicU64::new(0),
            ws_open: AtomicU64::new(0),
        }
    }

    /// For the open model: the clock waits for [`Recorder::start_clock`] instead of the
    /// first user, so that users' setup is not counted against the first stage.
    pub fn started_by_the_engine(mut self) -> Self {
        self.starts_with_first_user = false;
        self
    }

    /// Time since the first user started, whether or not the clock has started.
    pub fn elapsed_since_first_user(&self) -> Duration {
        self.first_user
            .get()
            .map(Instant::elapsed)
            .unwrap_or_default()
    }

    /// Time since the run's clock started (`None` before), for the metrics scraper.
    pub fn run_clock(&self) -> Option<Duration> {
        self.start.get().map(Instant::elapsed)
    }

    /// Starts the run's clock now (once; later calls change nothing).
    pub fn start_clock(&self, at: Instant) {
        self.start.get_or_init(|| at);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere must not take measurements down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Time since the first user started (zero before that).
    fn elapsed(&self) -> Duration {
        self.start.get().map(Instant::elapsed).unwrap_or_default()
    }

    fn stage_at(&self, elapsed: Duration) -> usize {
        self.stage_ends
            .iter()
            .position(|end| elapsed < *end)
            .unwrap_or(self.stage_ends.len().saturating_sub(1))
    }

    /// Records one attempt of `step`.
    pub fn record(&self, step: &str, kind: StepKind, sample: Sample) {
        self.record_staged(step, kind, sample, true);
    }

    /// Records one attempt of a flow's `setup:` step: in the step's totals and the
    /// per-second series, but in no stage's figures (a user's setup belongs to no stage's
    /// load: in the closed model it runs whenever Goose launches the user, in the open
    /// model before the arrival clock starts).
    pub fn record_setup(&self, step: &str, kind: StepKind, sample: Sample) {
        self.record_staged(step, kind, sample, false);
    }

    fn record_staged(&self, step: &str, kind: StepKind, sample: Sample, staged: bool) {
        let elapsed = self.elapsed();
        // `usize::MAX` is no stage: the sample stays out of every stage's figures.
        let stage = if staged {
            self.stage_at(elapsed)
        } else {
            usize::MAX
        };
        let second = elapsed.as_secs();
        let (users, ws_open) = (
            self.users.load(Ordering::Relaxed),
            self.ws_open.load(Ordering::Relaxed),
        );
        // Only successes are timed: a failure's latency says how fast it failed.
        let micros = sample
            .latency
            .filter(|_| sample.failure.is_none())
            .map(|d| d.as_micros().min(u64::MAX as u128) as u64);
        let service = sample
            .service
            .filter(|_| sample.failure.is_none())
            .map(|d| d.as_micros().min(u64::MAX as u128) as u64);
        let mut state = self.lock();
        let State { metrics, live } = &mut *state;
        let add = |step_metrics: &mut StepMetrics| {
            step_metrics.count += 1;
            step_metrics.frames += sample.frames;
            if let Some(m) = micros {
                step_metrics.latency.record(m);
            }
            if let Some(failure) = &sample.failure {
                step_metrics.errors += 1;
                step_metrics
                    .failures
                    .entry(failure.kind.label())
                    .and_modify(|f| f.count += 1)
                    .or_insert_with(|| FailureCount {
                        count: 1,
                        example: failure.detail.clone(),
                    });
            }
        };
        let whole = step_entry(&mut metrics.steps, step, kind);
        add(whole);
        if let Some(m) = service {
            whole
                .service
                .get_or_insert_with(LatencyHistogram::default)
                .record(m);
        }
        if let Some(stage_metrics) = metrics.stages.get_mut(stage) {
            add(step_entry(&mut stage_metrics.steps, step, kind));
        }
        let slot = second_slot(&mut metrics.series, second);
        slot.requests += 1;
        slot.errors += u64::from(sample.failure.is_some());
        slot.users = slot.users.max(users);
        slot.ws_open = slot.ws_open.max(ws_open);
        if let Some(m) = micros {
            for (series, live) in self.series.iter().zip(live.iter_mut()) {
                if series.scope.matches(step, kind) {
                    live.record(m);
                    // Looked up by reference: the label is cloned once per second, not
                    // once per sample.
                    match slot.latency.get_mut(&series.label) {
                        Some(histogram) => histogram.record(m),
                        None => {
                            let mut histogram = LatencyHistogram::with_precision(2);
                            histogram.record(m);
                            slot.latency.insert(series.label.clone(), histogram);
                        }
                    }
                }
            }
        }
    }

    /// Counts an open-model iteration that started now, against the current stage.
    pub fn record_iteration(&self) {
        let stage = self.stage_at(self.elapsed());
        let mut state = self.lock();
        if let Some(arrivals) = state
            .metrics
            .stages
            .get_mut(stage)
            .and_then(|s| s.arrivals.as_mut())
        {
            arrivals.started += 1;
        }
    }

    /// Adds open-model iterations dropped, per stage (index as in the plan).
    pub fn record_dropped(&self, per_stage: &[u64]) {
        let mut state = self.lock();
        for (stage, dropped) in state.metrics.stages.iter_mut().zip(per_stage) {
            if let Some(arrivals) = stage.arrivals.as_mut() {
                arrivals.dropped += dropped;
            }
        }
    }

    /// Counts an attempt of `step` cut off when the run stopped: not timed, not an
    /// error, not in `count` or the per-second series.
    pub fn record_cancelled(&self, step: &str, kind: StepKind) {
        self.add_to_step(step, kind, true, |m| m.cancelled += 1);
    }

    /// [`Self::record_cancelled`] for a `setup:` step: in no stage's figures.
    pub fn record_setup_cancelled(&self, step: &str, kind: StepKind) {
        self.add_to_step(step, kind, false, |m| m.cancelled += 1);
    }

    /// Counts WebSocket frames dropped unread before an attempt of `step` (the
    /// connection's buffer was full); the attempt itself is recorded with [`Self::record`].
    pub fn record_frames_dropped(&self, step: &str, kind: StepKind, frames: u64) {
        self.add_to_step(step, kind, true, |m| m.frames_dropped += frames);
    }

    /// Applies `change` to the step's run-wide record, and to its current-stage record
    /// when `staged`.
    fn add_to_step(
        &self,
        step: &str,
        kind: StepKind,
        staged: bool,
        change: impl Fn(&mut StepMetrics),
    ) {
        let stage = if staged {
            self.stage_at(self.elapsed())
        } else {
            usize::MAX
        };
        let mut state = self.lock();
        let metrics = &mut state.metrics;
        let apply = |steps: &mut std::collections::BTreeMap<String, StepMetrics>| {
            change(
                steps
                    .entry(step.to_string())
                    .or_insert_with(|| StepMetrics::new(kind)),
            )
        };
        apply(&mut metrics.steps);
        if let Some(stage_metrics) = metrics.stages.get_mut(stage) {
            apply(&mut stage_metrics.steps);
        }
    }

    /// Notes the current users and sockets in this second even when nothing completes,
    /// so charts show load during a stall; the progress display calls it on each tick.
    pub fn tick(&self) {
        let second = self.elapsed().as_secs();
        let (users, ws_open) = (
            self.users.load(Ordering::Relaxed),
            self.ws_open.load(Ordering::Relaxed),
        );
        let mut state = self.lock();
        let slot = second_slot(&mut state.metrics.series, second);
        slot.users = slot.users.max(users);
        slot.ws_open = slot.ws_open.max(ws_open);
        let metrics = &mut state.metrics;
        metrics.peak_users = metrics.peak_users.max(users);
        metrics.peak_ws_connections = metrics.peak_ws_connections.max(ws_open);
    }

    /// A user began (its setup runs next).
    pub fn user_started(&self) {
        self.first_user.get_or_init(Instant::now);
        if self.starts_with_first_user {
            self.start.get_or_init(Instant::now);
        }
        let now = self.users.fetch_add(1, Ordering::Relaxed) + 1;
        let mut state = self.lock();
        state.metrics.peak_users = state.metrics.peak_users.max(now);
    }

    /// A user finished.
    pub fn user_stopped(&self) {
        let _ = self
            .users
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// A WebSocket opened; tracks the peak for the concurrent-connections budget.
    pub fn ws_opened(&self) {
        let now = self.ws_open.fetch_add(1, Ordering::Relaxed) + 1;
        let mut state = self.lock();
        state.metrics.peak_ws_connections = state.metrics.peak_ws_connections.max(now);
    }

    /// A WebSocket closed (by either side).
    pub fn ws_closed(&self) {
        let _ = self
            .ws_open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Stores the generator's own figures (`engine::watch`), once the run is over.
    pub fn set_generator(&self, figures: super::GeneratorMetrics) {
        self.lock().metrics.generator = Some(figures);
    }

    /// What the progress display shows.
    pub fn live(&self) -> LiveView {
        let elapsed = self.elapsed();
        let state = self.lock();
        let now = elapsed.as_secs();
        let window: Vec<&SecondSample> = state
            .metrics
            .series
            .iter()
            .filter(|s| s.second < now && s.second + 5 >= now)
            .collect();
        let recent_rate = if window.is_empty() {
            0.0
        } else {
            window.iter().map(|s| s.requests).sum::<u64>() as f64 / window.len() as f64
        };
        LiveView {
            elapsed,
            stage: self.stage_at(elapsed),
            requests: state.metrics.total_count(),
            errors: state.metrics.total_errors(),
            users: self.users.load(Ordering::Relaxed),
            recent_rate,
            p95: self
                .series
                .iter()
                .zip(&state.live)
                .map(|(series, h)| {
                    let p95 = (h.count() > 0).then(|| h.percentile(95.0));
                    (series.scope.short_label(), p95)
                })
                .collect(),
        }
    }

    /// Everything measured so far, with gaps in the per-second series filled.
    pub fn snapshot(&self) -> RunMetrics {
        let elapsed = self.elapsed();
        let state = self.lock();
        let mut metrics = state.metrics.clone();
        metrics.duration_secs = elapsed.as_secs_f64();
        for stage in &mut metrics.stages {
            stage.ran_secs =
                (metrics.duration_secs - stage.start_secs).clamp(0.0, stage.duration_secs);
        }
        let last = metrics.series.last().map(|s| s.second).unwrap_or(0);
        let mut filled = Vec::with_capacity(last as usize + 1);
        let mut samples = metrics.series.into_iter().peekable();
        for second in 0..=last {
            match samples.next_if(|s| s.second == second) {
                Some(sample) => filled.push(sample),
                None => filled.push(SecondSample::new(second)),
            }
        }
        metrics.series = filled;
        metrics
    }
}

/// The sample for `second`, created (in order) if this is its first event.
fn second_slot(series: &mut Vec<SecondSample>, second: u64) -> &mut SecondSample {
    let at = match series.binary_search_by_key(&second, |s| s.second) {
        Ok(at) => at,
        Err(at) => {
            series.insert(at, SecondSample::new(second));
            at
        }
    };
    &mut series[at]
}

/// The step's metrics in `steps`, created on its first sample. The name is looked up by
/// reference and copied only then, so the hot path allocates nothing.
fn step_entry<'a>(
    steps: &'a mut std::collections::BTreeMap<String, StepMetrics>,
    step: &str,
    kind: StepKind,
) -> &'a mut StepMetrics {
    if !steps.contains_key(step) {
        steps.insert(step.to_string(), StepMetrics::new(kind));
    }
    steps.get_mut(step).expect("inserted above")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Failure, FailureKind};

    #[test]
    fn times_successes_only_and_keeps_a_series_per_scope() {
        let recorder = Recorder::new(&[], &[Scope::Http, Scope::Steps(vec!["ack".into()])]);
        let ok = |ms| Sample {
            latency: Some(Duration::from_millis(ms)),
            failure: None,
            frames: 0,
            service: None,
        };
        recorder.record("get", StepKind::Http, ok(10));
        recorder.record(
            "get",
            StepKind::Http,
            Sample {
                latency: Some(Duration::from_micros(5)),
                failure: Some(Failure::new(FailureKind::Status(500), "boom")),
                frames: 0,
                service: None,
            },
        );
        recorder.record("ack", StepKind::WsReceive, ok(2));
        recorder.record("reply", StepKind::WsReceive, ok(300));
        let metrics = recorder.snapshot();
        let get = &metrics.steps["get"];
        assert_eq!((get.count, get.errors, get.latency.count()), (2, 1, 1));
        assert!(get.latency.min() >= 9_000, "the 5µs failure is not timed");
        let second = &metrics.series[0];
        assert_eq!(second.requests, 4);
        let keys: Vec<&String> = second.latency.keys().collect();
        assert_eq!(keys, ["ack", "all HTTP steps"]);
        assert_eq!(second.latency["all HTTP steps"].count(), 1);
        assert!(
            second.latency["ack"].max() < 3_000,
            "reply is not in ack's series"
        );
    }

    #[test]
    fn setup_steps_count_in_the_totals_and_in_no_stage() {
        let plan = StagePlan {
            name: None,
            users: 2,
            duration: Duration::from_secs(60),
            rate: None,
        };
        let recorder = Recorder::new(&[plan], &[]);
        recorder.user_started();
        let ok = Sample {
            latency: Some(Duration::from_millis(3)),
            ..Default::default()
        };
        recorder.record_setup("login", StepKind::Http, ok.clone());
        recorder.record_setup_cancelled("login", StepKind::Http);
        recorder.record("list", StepKind::Http, ok);
        let metrics = recorder.snapshot();
        let login = &metrics.steps["login"];
        assert_eq!((login.count, login.cancelled), (1, 1));
        let stage = &metrics.stages[0].steps;
        assert!(!stage.contains_key("login"), "{:?}", stage.keys());
        assert_eq!(stage["list"].count, 1);
    }
}
