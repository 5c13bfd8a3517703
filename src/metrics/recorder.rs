//! The live, thread-safe sink every user's steps record into while a run goes on.
//!
//! Each sample lands in its step's run-wide histogram, in the histogram of the stage the
//! run is in at that moment (from the planned stage timings), and in the current second.

use super::failure::Failure;
use super::histogram::LatencyHistogram;
use super::snapshot::{
    FailureCount, RunMetrics, SecondSample, StageMetrics, StepKind, StepMetrics,
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
}

/// A view of the run so far, for the progress display.
#[derive(Debug, Clone, Copy)]
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
    /// 95th percentile over the whole run so far (µs).
    pub p95_micros: u64,
}

struct State {
    metrics: RunMetrics,
    overall: LatencyHistogram,
}

/// Shared by all users of a run (behind an `Arc`).
pub struct Recorder {
    /// Set when the first user starts: Goose builds every user's HTTP client before the
    /// test plan begins, and the stage clock must match the plan, not that set-up.
    start: OnceLock<Instant>,
    stage_ends: Vec<Duration>,
    state: Mutex<State>,
    users: AtomicU64,
    ws_open: AtomicU64,
}

impl Recorder {
    /// Starts the clock for a run with these planned (already time-scaled) stages.
    pub fn new(stages: &[(usize, Duration)]) -> Self {
        let mut end = Duration::ZERO;
        let mut stage_ends = Vec::with_capacity(stages.len());
        let mut stage_metrics = Vec::with_capacity(stages.len());
        for (index, (users, over)) in stages.iter().enumerate() {
            stage_metrics.push(StageMetrics {
                index,
                users: *users,
                start_secs: end.as_secs_f64(),
                duration_secs: over.as_secs_f64(),
                steps: Default::default(),
            });
            end += *over;
            stage_ends.push(end);
        }
        let metrics = RunMetrics {
            stages: stage_metrics,
            ..Default::default()
        };
        Recorder {
            start: OnceLock::new(),
            stage_ends,
            state: Mutex::new(State {
                metrics,
                overall: LatencyHistogram::default(),
            }),
            users: AtomicU64::new(0),
            ws_open: AtomicU64::new(0),
        }
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
        let elapsed = self.elapsed();
        let stage = self.stage_at(elapsed);
        let second = elapsed.as_secs();
        let (users, ws_open) = (
            self.users.load(Ordering::Relaxed),
            self.ws_open.load(Ordering::Relaxed),
        );
        let micros = sample
            .latency
            .map(|d| d.as_micros().min(u64::MAX as u128) as u64);
        let mut state = self.lock();
        let State { metrics, overall } = &mut *state;
        if let Some(m) = micros {
            overall.record(m);
        }
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
        add(metrics
            .steps
            .entry(step.to_string())
            .or_insert_with(|| StepMetrics::new(kind)));
        if let Some(stage_metrics) = metrics.stages.get_mut(stage) {
            add(stage_metrics
                .steps
                .entry(step.to_string())
                .or_insert_with(|| StepMetrics::new(kind)));
        }
        let slot = second_slot(&mut metrics.series, second);
        slot.requests += 1;
        slot.errors += u64::from(sample.failure.is_some());
        slot.users = slot.users.max(users);
        slot.ws_open = slot.ws_open.max(ws_open);
        if let Some(m) = micros {
            slot.latency.record(m);
        }
    }

    /// Counts an attempt of `step` cut off when the run stopped: not timed, not an
    /// error, not in `count` or the per-second series.
    pub fn record_cancelled(&self, step: &str, kind: StepKind) {
        self.add_to_step(step, kind, |m| m.cancelled += 1);
    }

    /// Counts WebSocket frames dropped unread before an attempt of `step` (the
    /// connection's buffer was full); the attempt itself is recorded with [`Self::record`].
    pub fn record_frames_dropped(&self, step: &str, kind: StepKind, frames: u64) {
        self.add_to_step(step, kind, |m| m.frames_dropped += frames);
    }

    /// Applies `change` to the step's run-wide and current-stage records.
    fn add_to_step(&self, step: &str, kind: StepKind, change: impl Fn(&mut StepMetrics)) {
        let stage = self.stage_at(self.elapsed());
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
        self.start.get_or_init(Instant::now);
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
            p95_micros: state.overall.percentile(95.0),
        }
    }

    /// Everything measured so far, with gaps in the per-second series filled.
    pub fn snapshot(&self) -> RunMetrics {
        let elapsed = self.elapsed();
        let state = self.lock();
        let mut metrics = state.metrics.clone();
        metrics.duration_secs = elapsed.as_secs_f64();
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
