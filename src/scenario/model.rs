//! The checked scenario: what a YAML file means once every field has been validated.
//!
//! The engine only ever sees these types, never raw YAML, so it can trust every value.

use super::diagnostic::Position;
use super::duration::ThinkTime;
use super::template::{JsonTemplate, Template};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// A whole load test: how many users over time, and what each of them does.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name; also names the report folder.
    pub name: String,
    /// One line for humans, shown in reports.
    pub description: Option<String>,
    /// The file the scenario was read from.
    pub source: PathBuf,
    /// The budgets file named by `slo:`, resolved relative to the scenario file.
    pub slo_file: Option<PathBuf>,
    /// Inline budget rules (`budgets:`), with where each stands for error messages.
    pub budgets: Vec<(String, Position)>,
    /// Default timeout for requests and WebSocket receives.
    pub timeout: Duration,
    /// The closed-model load profile.
    pub load: Load,
    /// What users do; users are split across flows by weight.
    pub flows: Vec<Flow>,
    /// Set when this process runs one shard of the scenario (`--shard`); `None` runs
    /// the whole.
    pub shard: Option<super::shard::ShardPart>,
    /// The `monitor:` block: the target's Prometheus metrics to scrape during the run.
    pub monitor: Option<super::monitor::Monitor>,
}

/// Load as a sequence of stages, run as a Goose test plan.
#[derive(Debug, Clone)]
pub struct Load {
    /// Ramps and holds, in order.
    pub stages: Vec<Stage>,
    /// Set when the stages give arrival rates (`rate:`): the open model.
    pub open: Option<OpenModel>,
    /// Whose HTTP connections a user's requests go over (`load.connections`).
    pub connections: Connections,
}

/// What a user owns of the HTTP connections. A user's WebSocket is always its own.
/// Written into `summary.json` as `per_user` or `shared`, since it changes what the
/// target saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connections {
    /// Each user has its own pool of keep-alive connections, as a browser would: the
    /// target sees one set of connections per user (the default, and Gatling's). It
    /// costs about 21 KB more per user than `Shared`.
    #[default]
    PerUser,
    /// Every user sends over one pool of keep-alive connections, as a service calling
    /// the target would; for runs of many thousands of users. No user keeps cookies
    /// either way: headers are explicit.
    Shared,
}

/// The open model's settings: iterations start on a clock, whatever the target does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenModel {
    /// Users Goose starts up front to carry the iterations (`load.max_users`).
    pub max_users: usize,
    /// How iterations are spaced (`load.arrivals`).
    pub arrivals: Arrivals,
}

/// How open-model iterations are spaced in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrivals {
    /// At even intervals (the default).
    Even,
    /// As a Poisson process: random, independent arrivals at the given rate.
    Poisson,
}

/// Move to `users` concurrent users over `over` (equal counts make a hold), or, in the
/// open model, ramp the arrival rate to `rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Optional name, so budgets can say `in stage steady`.
    pub name: Option<String>,
    /// Users Goose runs at the end of the stage: the stage's `users:`, or
    /// `load.max_users` in the open model.
    pub users: usize,
    /// Open model: flow iterations started per second at the end of the stage.
    pub rate: Option<f64>,
    /// How long the stage lasts.
    pub over: Duration,
}

/// One kind of user behaviour; becomes one Goose scenario.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Unique name of the flow.
    pub name: String,
    /// Relative share of users.
    pub weight: usize,
    /// Wait between steps, if any.
    pub think: Option<ThinkTime>,
    /// Steps run once per user before `steps` (Goose `on_start`).
    pub setup: Vec<Step>,
    /// Steps each user repeats until the run ends.
    pub steps: Vec<Step>,
}

/// One named action; its name keys the metrics.
#[derive(Debug, Clone)]
pub struct Step {
    /// Metric name (several steps may share one to be measured together).
    pub name: String,
    /// Where the step is written, for messages.
    pub position: Position,
    /// What the step does.
    pub action: Action,
}

/// The kinds of step.
#[derive(Debug, Clone)]
pub enum Action {
    /// One HTTP request.
    Http(HttpStep),
    /// Open the user's WebSocket.
    WsConnect(WsConnect),
    /// Send one frame on the user's WebSocket.
    WsSend(WsSend),
    /// Read frames until a condition holds.
    WsReceive(WsReceive),
    /// Close the user's WebSocket.
    WsClose,
}

/// An HTTP request with its checks and captures.
#[derive(Debug, Clone)]
pub struct HttpStep {
    /// HTTP method.
    pub method: reqwest::Method,
    /// Path (joined to the target) or absolute URL.
    pub path: Template,
    /// Query parameters, appended in order.
    pub query: Vec<(String, Template)>,
    /// Request headers.
    pub headers: Vec<(String, Template)>,
    /// Request body, if any.
    pub body: Option<Body>,
    /// What makes the response a success.
    pub expect: Expect,
    /// Variables to capture from the JSON response.
    pub extract: Vec<Extract>,
    /// Overrides the scenario timeout.
    pub timeout: Option<Duration>,
}

/// A request or frame body.
#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON document (sent with `Content-Type: application/json`).
    Json(JsonTemplate),
    /// Raw text, sent as written.
    Raw(Template),
}

/// Checks on an HTTP response; with no `status`, any status below 400 passes.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Acceptable status codes.
    pub status: Option<Vec<u16>>,
    /// Text the body must contain.
    pub body_contains: Option<Template>,
    /// JSON-pointer equalities the body must satisfy.
    pub json: Vec<PointerEquals>,
}

/// `pointer` in the JSON document must equal `equals`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointerEquals {
    /// RFC 6901 JSON pointer.
    pub pointer: String,
    /// The expected value (compared as JSON; a string also matches a number of the same text).
    pub equals: Value,
}

/// Capture the value at `pointer` into the per-user variable `var`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extract {
    /// Variable name.
    pub var: String,
    /// RFC 6901 JSON pointer.
    pub pointer: String,
}

/// Open a WebSocket that lives across the user's steps.
#[derive(Debug, Clone)]
pub struct WsConnect {
    /// Path (joined to the target, http→ws) or absolute ws:// URL.
    pub path: Template,
    /// Handshake headers.
    pub headers: Vec<(String, Template)>,
    /// Overrides the scenario timeout for the handshake.
    pub timeout: Option<Duration>,
}

/// Send one text frame.
#[derive(Debug, Clone)]
pub struct WsSend {
    /// Frame content (JSON is serialized to text).
    pub body: Body,
}

/// Read frames until `until` holds (or one frame when `until` is absent).
#[derive(Debug, Clone)]
pub struct WsReceive {
    /// The condition that ends the read.
    pub until: Option<PointerEquals>,
    /// Also record the time from the last send to the first frame under this name.
    pub first: Option<String>,
    /// How long to wait for the condition.
    pub timeout: Option<Duration>,
    /// Variables to capture from the frame that met the condition.
    pub extract: Vec<Extract>,
}

impl Scenario {
    /// Total planned duration, before any time scale.
    pub fn planned_duration(&self) -> Duration {
        self.load.stages.iter().map(|s| s.over).sum()
    }

    /// Highest user count any stage reaches.
    pub fn peak_users(&self) -> usize {
        self.load.stages.iter().map(|s| s.users).max().unwrap_or(0)
    }

    /// Every step, setup steps included, in file order.
    pub fn all_steps(&self) -> impl Iterator<Item = &Step> {
        self.flows
            .iter()
            .flat_map(|f| f.setup.iter().chain(f.steps.iter()))
    }

    /// Every metric name a run can record: step names plus `first:` names.
    pub fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for step in self.all_steps() {
            let mut push = |n: &str| {
                if seen.insert(n.to_string()) {
                    names.push(n.to_string());
                }
            };
            push(&step.name);
            if let Action::WsReceive(WsReceive {
                first: Some(first), ..
            }) = &step.action
            {
                push(first);
            }
        }
        names
    }
}
