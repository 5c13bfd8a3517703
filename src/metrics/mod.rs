//! Measurements: HDR histograms in microseconds per step, per (stage, step) and per
//! second, plus classified failures; recorded live by users, snapshotted for the gate
//! and the reports, serializable and mergeable across shards.
//!
//! - `recorder`: the live, shared sink; `snapshot`: the serializable result;
//! - `histogram`: the µs histogram and its compact encoding; `failure`: failure classes.

pub mod failure;
pub mod histogram;
pub mod recorder;
pub mod snapshot;

pub use failure::{Failure, FailureKind};
pub use histogram::LatencyHistogram;
pub use recorder::{LiveView, Recorder, Sample};
pub use snapshot::{FailureCount, RunMetrics, SecondSample, StageMetrics, StepKind, StepMetrics};
