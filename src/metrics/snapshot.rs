//! What a run measured, as plain serializable data: per step, per (stage, step), and per
//! second. This is what the SLO gate judges and every report renders; it merges with
//! another run's snapshot (shards) by adding histograms and counts.

use super::generator::{merge_generator, GeneratorMetrics};
use super::histogram::LatencyHistogram;
use super::scope::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The measure a step's samples stand for, so budgets can scope "all HTTP" or "WebSocket".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// An HTTP request, timed until its body is read.
    Http,
    /// A WebSocket handshake.
    WsConnect,
    /// Writing one frame.
    WsSend,
    /// From the last send until the `until` condition held.
    WsReceive,
    /// From the last send until the first frame of a receive (`first:`).
    WsFirstFrame,
    /// Closing the WebSocket.
    WsClose,
}

impl StepKind {
    /// Whether the measure is a WebSocket one.
    pub fn is_websocket(self) -> bool {
        !matches!(self, StepKind::Http)
    }
}

/// Failures of one class, with the first detail seen as an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureCount {
    /// How many times it happened.
    pub count: u64,
    /// The first detail seen (already cut to a few hundred characters).
    pub example: String,
}

/// Everything measured for one step name (over a whole run or one stage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// What the samples measure.
    pub kind: StepKind,
    /// Attempts made.
    pub count: u64,
    /// Attempts that failed.
    pub errors: u64,
    /// WebSocket frames received during the step.
    pub frames: u64,
    /// Latency of every successful attempt (µs). Failed attempts are counted in
    /// `errors` and `failures`, never timed here: a step that fails fast must not look
    /// fast (latency budgets judge successes, as k6's `expected_response` does).
    pub latency: LatencyHistogram,
    /// Failures grouped by class label.
    pub failures: BTreeMap<String, FailureCount>,
    /// Attempts still in flight when the run stopped, cut off after the grace period;
    /// not in `count`, not errors.
    #[serde(default)]
    pub cancelled: u64,
    /// WebSocket frames the server sent past the per-connection buffer before the
    /// scenario read them, dropped unread (each such receive also fails).
    #[serde(default)]
    pub frames_dropped: u64,
    /// Open model: the same successful attempts timed from the actual send (service
    /// time), while `latency` is timed from the iteration's intended start. Absent in
    /// the closed model, where the two are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<LatencyHistogram>,
}

impl StepMetrics {
    /// An empty record for a step of `kind`.
    pub fn new(kind: StepKind) -> Self {
        StepMetrics {
            kind,
            count: 0,
            errors: 0,
            frames: 0,
            cancelled: 0,
            frames_dropped: 0,
            service: None,
            latency: LatencyHistogram::default(),
            failures: BTreeMap::new(),
        }
    }

    /// Attempts that succeeded (and so were timed).
    pub fn successes(&self) -> u64 {
        self.count - self.errors
    }

    /// Errors as a fraction of attempts (0 when nothing ran).
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.errors as f64 / self.count as f64
        }
    }

    /// Adds another record of the same step.
    pub fn merge(&mut self, other: &StepMetrics) {
        self.count += other.count;
        self.errors += other.errors;
        self.frames += other.frames;
        self.cancelled += other.cancelled;
        self.frames_dropped += other.frames_dropped;
        self.latency.merge(&other.latency);
        if let Some(theirs) = &other.service {
            self.service
                .get_or_insert_with(LatencyHistogram::default)
                .merge(theirs);
        }
        for (label, failure) in &other.failures {
            self.failures
                .entry(label.clone())
                .and_modify(|f| f.count += failure.count)
                .or_insert_with(|| failure.clone());
        }
    }
}

/// One stage of the load profile and what its steps measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageMetrics {
    /// 0-based position in `load.stages`.
    pub index: usize,
    /// The stage's `name:`, if it has one.
    pub name: Option<String>,
    /// Users at the end of the stage.
    pub users: usize,
    /// Users at the start of the stage (the previous stage's end; 0 for the first). With
    /// `users` it bounds the stage's load: capacity counts a stage as holding the lower
    /// of the two and as breaking at the higher.
    pub start_users: usize,
    /// Seconds from the run's start at which the stage began.
    pub start_secs: f64,
    /// Planned length in seconds (after the time scale).
    pub duration_secs: f64,
    /// Seconds of the stage the run covered: `duration_secs` for a stage that ran to
    /// its end, less for the stage an interrupted run stopped in, 0 for stages after.
    pub ran_secs: f64,
    /// Per step name.
    pub steps: BTreeMap<String, StepMetrics>,
    /// Open model: the stage's arrival rates and what became of its iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<StageArrivals>,
}

/// An open-model stage's iterations: asked for, started, and dropped because no user was
/// free in time. Delivered rate is `started / ran_secs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageArrivals {
    /// Target rate at the stage's start (the previous stage's rate; 0 for the first), per
    /// second.
    pub start_rate: f64,
    /// Target rate at the stage's end, per second.
    pub end_rate: f64,
    /// Iterations the plan asks of the stage: the integral of its rate.
    pub planned: f64,
    /// Iterations that started.
    pub started: u64,
    /// Iterations dropped: due while every user was busy, or too late to start.
    pub dropped: u64,
}

impl StageArrivals {
    /// The target rate over the whole stage, per second (the mean of its ramp).
    pub fn target_rate(&self) -> f64 {
        (self.start_rate + self.end_rate) / 2.0
    }
}

/// One second of the run, for charts over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondSample {
    /// Seconds since the run's start.
    pub second: u64,
    /// Steps completed in this second.
    pub requests: u64,
    /// Steps that failed in this second.
    pub errors: u64,
    /// Highest number of active users seen in this second.
    pub users: u64,
    /// Highest number of open WebSockets seen in this second.
    pub ws_open: u64,
    /// Latencies of the successful steps completed in this second, per chart scope
    /// (keyed by [`Scope::label`](super::Scope::label); 2 significant digits). The
    /// scopes are those of the run's latency budgets, so each chart line shows what
    /// its budget judges.
    pub latency: BTreeMap<String, LatencyHistogram>,
}

impl SecondSample {
    /// An empty second.
    pub fn new(second: u64) -> Self {
        SecondSample {
            second,
            requests: 0,
            errors: 0,
            users: 0,
            ws_open: 0,
            latency: BTreeMap::new(),
        }
    }
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunMetrics {
    /// Seconds from the first user's start to the end of measuring.
    pub duration_secs: f64,
    /// Per step name, over the whole run.
    pub steps: BTreeMap<String, StepMetrics>,
    /// Per stage, per step name.
    pub stages: Vec<StageMetrics>,
    /// Per second of the run.
    pub series: Vec<SecondSample>,
    /// Most WebSockets open at once.
    pub peak_ws_connections: u64,
    /// Most users active at once.
    pub peak_users: u64,
    /// The generator's own CPU and timing (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<GeneratorMetrics>,
    /// The target's own metrics, scraped during the run (the scenario's `monitor:`);
    /// absent when nothing was monitored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<super::server::ServerMetrics>,
}

impl RunMetrics {
    /// Total attempts over every step.
    pub fn total_count(&self) -> u64 {
        self.steps.values().map(|s| s.count).sum()
    }

    /// Total failures over every step.
    pub fn total_errors(&self) -> u64 {
        self.steps.values().map(|s| s.errors).sum()
    }

    /// Adds a shard's measurements: histograms and counts add, stages and seconds align
    /// by index, peaks add (shards run side by side).
    pub fn merge(&mut self, other: &RunMetrics) {
        self.duration_secs = self.duration_secs.max(other.duration_secs);
        merge_steps(&mut self.steps, &other.steps);
        for stage in &other.stages {
            match self.stages.iter_mut().find(|s| s.index == stage.index) {
                Some(mine) => {
                    mine.users += stage.users;
                    mine.start_users += stage.start_users;
                    mine.ran_secs = mine.ran_secs.max(stage.ran_secs);
                    merge_steps(&mut mine.steps, &stage.steps);
                }
                None => self.stages.push(stage.clone()),
            }
        }
        for sample in &other.series {
            match self.series.iter_mut().find(|s| s.second == sample.second) {
                Some(mine) => {
                    mine.requests += sample.requests;
                    mine.errors += sample.errors;
                    mine.users += sample.users;
                    mine.ws_open += sample.ws_open;
                    for (scope, histogram) in &sample.latency {
                        mine.latency
                            .entry(scope.clone())
                            .and_modify(|h| h.merge(histogram))
                            .or_insert_with(|| histogram.clone());
                    }
                }
                None => self.series.push(sample.clone()),
            }
        }
        self.series.sort_by_key(|s| s.second);
        self.peak_ws_connections += other.peak_ws_connections;
        self.peak_users += other.peak_users;
        merge_generator(&mut self.generator, &other.generator);
        // Shards watch the same server: the first shard's view of it stands.
        if self.server.is_none() {
            self.server = other.server.clone();
        }
    }
}

/// Merges the steps of `scope`; `None` when none of them ran.
pub fn merge_scope(steps: &BTreeMap<String, StepMetrics>, scope: &Scope) -> Option<StepMetrics> {
    let mut merged: Option<StepMetrics> = None;
    for (name, step) in steps {
        if scope.matches(name, step.kind) {
            match &mut merged {
                Some(m) => m.merge(step),
                None => merged = Some(step.clone()),
            }
        }
    }
    merged
}

fn merge_steps(into: &mut BTreeMap<String, StepMetrics>, from: &BTreeMap<String, StepMetrics>) {
    for (name, step) in from {
        match into.get_mut(name) {
            Some(mine) => mine.merge(step),
            None => {
                into.insert(name.clone(), step.clone());
            }
        }
    }
}
