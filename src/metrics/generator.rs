//! What the load generator measured about itself: its own CPU (the bundled server's
//! threads left out) and how late its timers and open-model slots fired, for the whole
//! run and per stage. A generator that ran out of CPU or could not keep time measured
//! itself, not the target; `slo::delivered` judges these figures, every report shows
//! them.
//!
//! The figures are plain data, filled by `engine::watch` while the run goes on.

use super::histogram::LatencyHistogram;
use serde::{Deserialize, Serialize};

/// The generator's own figures for one run (`metrics.generator` in `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorMetrics {
    /// Cores the generator may run on (its CPU affinity and quota): CPU shares are of
    /// these.
    pub cores: usize,
    /// Whether CPU could be measured at all (Linux only); `false` elsewhere, where every
    /// window's `cpu` is absent.
    pub cpu_measured: bool,
    /// How often the timer probe asks to wake, in µs: its lateness is the timer lag.
    pub tick_micros: u64,
    /// Everything from the first user's launch to the end of the run, setup and the
    /// final grace period included.
    pub run: GeneratorWindow,
    /// Per stage, in plan order: only what happened while that stage's clock ran.
    pub stages: Vec<GeneratorWindow>,
}

/// The generator's figures over one window (the run, or one stage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GeneratorWindow {
    /// Its CPU, sampled each second; absent when not measured or when no one-second
    /// sample fell in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuFigures>,
    /// How late the timer probe woke (µs), with the wake-ups a stall swallowed counted
    /// too, each as late as it would have been.
    pub timer_lag: LatencyHistogram,
    /// Open model: how late iterations started against their intended time (µs),
    /// whether every user was busy or the generator could not keep time. Absent in
    /// the closed model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_lateness: Option<LatencyHistogram>,
}

/// The generator's CPU over a window, as shares of its [`GeneratorMetrics::cores`]
/// (1.0 = every core busy all the time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuFigures {
    /// Mean of the one-second samples.
    pub mean: f64,
    /// The busiest second.
    pub peak: f64,
    /// How many one-second samples the window holds.
    pub seconds: u64,
}

impl CpuFigures {
    /// Adds one second's share.
    pub fn add(figures: &mut Option<CpuFigures>, share: f64) {
        match figures {
            Some(f) => {
                f.mean = (f.mean * f.seconds as f64 + share) / (f.seconds + 1) as f64;
                f.peak = f.peak.max(share);
                f.seconds += 1;
            }
            None => {
                *figures = Some(CpuFigures {
                    mean: share,
                    peak: share,
                    seconds: 1,
                })
            }
        }
    }

    /// The worse of two shards' figures: a merged run was generator-bound if any of its
    /// generators was.
    fn worse(a: Option<CpuFigures>, b: Option<CpuFigures>) -> Option<CpuFigures> {
        match (a, b) {
            (Some(a), Some(b)) => Some(CpuFigures {
                mean: a.mean.max(b.mean),
                peak: a.peak.max(b.peak),
                seconds: a.seconds.max(b.seconds),
            }),
            (a, b) => a.or(b),
        }
    }
}

impl GeneratorWindow {
    /// An empty window; with `slots` (the open model) it keeps slot lateness too.
    pub fn new(slots: bool) -> Self {
        GeneratorWindow {
            cpu: None,
            timer_lag: LatencyHistogram::default(),
            slot_lateness: slots.then(LatencyHistogram::default),
        }
    }

    /// Adds another shard's window: lateness histograms pool, CPU keeps the worse shard
    /// (each shard's CPU is a share of its own cores).
    pub fn merge(&mut self, other: &GeneratorWindow) {
        self.timer_lag.merge(&other.timer_lag);
        if let Some(theirs) = &other.slot_lateness {
            self.slot_lateness
                .get_or_insert_with(LatencyHistogram::default)
                .merge(theirs);
        }
        self.cpu = CpuFigures::worse(self.cpu, other.cpu);
    }
}

impl GeneratorMetrics {
    /// Adds another shard's figures (see [`GeneratorWindow::merge`]).
    pub fn merge(&mut self, other: &GeneratorMetrics) {
        self.cores = self.cores.max(other.cores);
        self.cpu_measured |= other.cpu_measured;
        self.run.merge(&other.run);
        for (index, theirs) in other.stages.iter().enumerate() {
            match self.stages.get_mut(index) {
                Some(mine) => mine.merge(theirs),
                None => self.stages.push(theirs.clone()),
            }
        }
    }
}

/// Merges `other` into `into`, either of which may be absent (older files, or a
/// shard that did not measure).
pub fn merge_generator(into: &mut Option<GeneratorMetrics>, other: &Option<GeneratorMetrics>) {
    match (into.as_mut(), other) {
        (Some(mine), Some(theirs)) => mine.merge(theirs),
        (None, Some(theirs)) => *into = Some(theirs.clone()),
        (_, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_figures_keep_a_running_mean_and_the_peak() {
        let mut cpu = None;
        for share in [0.2, 0.4, 0.9] {
            CpuFigures::add(&mut cpu, share);
        }
        let cpu = cpu.unwrap();
        assert!((cpu.mean - 0.5).abs() < 1e-9, "{cpu:?}");
        assert_eq!((cpu.peak, cpu.seconds), (0.9, 3));
    }

    #[test]
    fn shards_pool_lateness_and_keep_the_busier_cpu() {
        let mut a = GeneratorWindow::new(true);
        a.timer_lag.record(1_000);
        CpuFigures::add(&mut a.cpu, 0.3);
        let mut b = GeneratorWindow::new(false);
        b.timer_lag.record(2_000_000);
        CpuFigures::add(&mut b.cpu, 0.95);
        a.merge(&b);
        assert_eq!(a.timer_lag.count(), 2);
        assert_eq!(a.cpu.unwrap().mean, 0.95);
        assert!(a.slot_lateness.is_some());
    }

    #[test]
    fn optional_figures_are_left_out_and_read_back_as_absent() {
        let round: GeneratorMetrics = serde_json::from_str(
            &serde_json::to_string(&GeneratorMetrics {
                cores: 2,
                cpu_measured: false,
                tick_micros: 10_000,
                run: GeneratorWindow::new(false),
                stages: vec![],
            })
            .unwrap(),
        )
        .unwrap();
        assert!(round.run.cpu.is_none() && round.run.slot_lateness.is_none());
    }
}
