//! Measurements: HDR histograms in microseconds per step, per (stage, step) and per
//! second, plus classified failures; recorded live by users, snapshotted for the gate
//! and the reports, serializable and mergeable across shards.
//!
//! - `recorder`: the live, shared sink; `snapshot`: the serializable result;
//! - `histogram`: the µs histogram and its compact encoding; `failure`: failure classes;
//! - `scope`: which steps a figure covers (all, HTTP, WebSocket, named);
//! - `generator`: the load generator's own CPU and timer lag, per stage.
//! - `server`: the target's own metrics over the run (memory, CPU, named series), from
//!   the scenario's `monitor:`.

pub mod failure;
pub mod generator;
pub mod histogram;
pub mod recorder;
pub mod scope;
pub mod server;
pub mod snapshot;

pub use failure::{Failure, FailureKind};
pub use generator::{CpuFigures, GeneratorMetrics, GeneratorWindow};
pub use histogram::LatencyHistogram;
pub use recorder::{LiveView, Recorder, Sample, StagePlan};
pub use scope::Scope;
pub use server::{ServerMetrics, ServerSeries};
pub use snapshot::{
    FailureCount, RunMetrics, SecondSample, StageArrivals, StageMetrics, StepKind, StepMetrics,
};
