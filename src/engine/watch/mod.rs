//! The generator watches itself while it runs, so that a run whose generator was the
//! bottleneck can say so (`slo::delivered` judges, every report shows it):
//!
//! - **CPU**: once a second, the CPU time of this process's threads (`cpu`), the bundled
//!   reference server's threads left out, as a share of the cores the process may use;
//! - **timer lag**: a probe task on the generator's runtime asks to wake every
//!   [`TICK`] and records how late it woke. When the runtime is saturated (or the
//!   process starved, or stopped), the probe wakes late as every user's timers do. A
//!   stall also swallows the wake-ups due during it; each is recorded as late as it
//!   would have been (as jHiccup does), so a one-second stall weighs as one second of
//!   late timers, not as a single sample;
//! - **slot lateness** (open model): how late each iteration started against its
//!   intended time, from the users themselves.
//!
//! Each figure goes to the run's window and to the window of the stage whose clock was
//! running at that moment (nothing before the plan's clock starts or after its end).
//! The cost is two small tasks (one wake-up per [`TICK`], one `/proc` read per second)
//! and, in the open model, one uncontended lock per iteration; nothing per request.

pub mod cpu;

use crate::metrics::{CpuFigures, GeneratorMetrics, GeneratorWindow};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often the timer probe asks to wake. Tokio's timers have millisecond
/// granularity, so a healthy probe wakes up to about a millisecond late; 10 ms keeps
/// the probe at 100 wake-ups a second.
pub const TICK: Duration = Duration::from_millis(10);

/// How often the CPU is sampled.
pub const CPU_SAMPLE: Duration = Duration::from_secs(1);

/// Threads whose name starts with this belong to the bundled reference server
/// (`EmbeddedServer` names its threads so), not to the generator.
pub const SERVER_THREADS: &str = "target-server";

/// The figures being gathered, shared by the probe, the sampler and the users.
pub struct Watch {
    /// When the plan's clock started (set by the engine).
    plan_start: Arc<OnceLock<Instant>>,
    /// Each stage's end, from the plan's start.
    stage_ends: Vec<Duration>,
    cores: usize,
    cpu_measured: bool,
    windows: Mutex<Windows>,
}

struct Windows {
    run: GeneratorWindow,
    stages: Vec<GeneratorWindow>,
}

/// The watch's running tasks; dropping it does not stop them, [`Running::stop`] does.
pub struct Running {
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops the probe and the sampler.
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

impl Watch {
    /// A watch for a plan of stages lasting `durations`, whose clock starts when
    /// `plan_start` is set; `open_model` adds slot lateness.
    pub fn new(
        durations: &[Duration],
        plan_start: Arc<OnceLock<Instant>>,
        open_model: bool,
    ) -> Watch {
        let stage_ends = durations
            .iter()
            .scan(Duration::ZERO, |end, d| {
                *end += *d;
                Some(*end)
            })
            .collect();
        Watch {
            plan_start,
            stage_ends,
            cores: cpu::usable_cores(),
            cpu_measured: cpu::threads().is_some(),
            windows: Mutex::new(Windows {
                run: GeneratorWindow::new(open_model),
                stages: vec![GeneratorWindow::new(open_model); durations.len()],
            }),
        }
    }

    /// Starts the timer probe and the CPU sampler on the current (the generator's)
    /// runtime.
    pub fn start(self: &Arc<Self>) -> Running {
        let mut tasks = vec![tokio::spawn(self.clone().probe())];
        if self.cpu_measured {
            tasks.push(tokio::spawn(self.clone().sample_cpu()));
        }
        Running { tasks }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The stage whose clock ran at `at`: none before the plan's clock started or
    /// after its last stage ended.
    fn stage_at(&self, at: Instant) -> Option<usize> {
        let start = *self.plan_start.get()?;
        let offset = at.checked_duration_since(start)?;
        self.stage_ends.iter().position(|end| offset < *end)
    }

    /// Open model: an iteration due at `due` started `late` after it.
    pub fn record_slot(&self, due: Instant, late: Duration) {
        let micros = micros(late);
        let stage = self.stage_at(due);
        let mut windows = self.lock();
        if let Some(h) = windows.run.slot_lateness.as_mut() {
            h.record(micros);
        }
        if let Some(h) = stage
            .and_then(|s| windows.stages.get_mut(s))
            .and_then(|w| w.slot_lateness.as_mut())
        {
            h.record(micros);
        }
    }

    /// The probe woke at `now` for a wake-up due at `due`: records it, and every
    /// wake-up due since that a stall swallowed, each with its own lateness. Returns
    /// when the next wake-up is due.
    fn record_wake(&self, due: Instant, now: Instant) -> Instant {
        let mut windows = self.lock();
        let mut at = due;
        loop {
            let late = micros(now.saturating_duration_since(at));
            windows.run.timer_lag.record(late);
            if let Some(window) = self.stage_at(at).and_then(|s| windows.stages.get_mut(s)) {
                window.timer_lag.record(late);
            }
            at += TICK;
            if at > now {
                return at;
            }
        }
    }

    /// Adds one CPU sample (a share of the cores) taken over the interval ending at
    /// `now` that started at `from`.
    fn record_cpu(&self, from: Instant, now: Instant, share: f64) {
        let middle = from + now.saturating_duration_since(from) / 2;
        let stage = self.stage_at(middle);
        let mut windows = self.lock();
        CpuFigures::add(&mut windows.run.cpu, share);
        if let Some(window) = stage.and_then(|s| windows.stages.get_mut(s)) {
            CpuFigures::add(&mut window.cpu, share);
        }
    }

    /// The timer probe: wakes every [`TICK`] and records how late.
    async fn probe(self: Arc<Self>) {
        let mut due = Instant::now() + TICK;
        loop {
            tokio::time::sleep_until(due.into()).await;
            due = self.record_wake(due, Instant::now());
        }
    }

    /// The CPU sampler: every [`CPU_SAMPLE`], the generator's CPU time since the last
    /// sample over the wall time since, divided by the cores.
    async fn sample_cpu(self: Arc<Self>) {
        let Some(mut meter) = cpu::CpuMeter::start(SERVER_THREADS) else {
            return;
        };
        let mut from = Instant::now();
        let mut interval = tokio::time::interval_at((from + CPU_SAMPLE).into(), CPU_SAMPLE);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let now = Instant::now();
            let Some(used) = meter.read() else { continue };
            let wall = now.saturating_duration_since(from).as_secs_f64();
            if wall > 0.0 {
                let share = used.as_secs_f64() / wall / self.cores as f64;
                self.record_cpu(from, now, share.clamp(0.0, 1.0));
            }
            from = now;
        }
    }

    /// Everything gathered so far.
    pub fn figures(&self) -> GeneratorMetrics {
        let windows = self.lock();
        GeneratorMetrics {
            cores: self.cores,
            cpu_measured: self.cpu_measured,
            tick_micros: micros(TICK),
            run: windows.run.clone(),
            stages: windows.stages.clone(),
        }
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started_watch(stages: &[u64], open: bool) -> (Watch, Instant) {
        let start = Instant::now();
        let clock = Arc::new(OnceLock::new());
        clock.set(start).unwrap();
        let durations: Vec<Duration> = stages.iter().map(|s| Duration::from_secs(*s)).collect();
        (Watch::new(&durations, clock, open), start)
    }

    #[test]
    fn a_stall_counts_every_wake_up_it_swallowed() {
        let (watch, start) = started_watch(&[10, 10], false);
        let due = start + Duration::from_secs(1);
        // Woke 1.5 s late: 151 wake-ups were due, from 1.5 s late down to 0.
        let next = watch.record_wake(due, due + Duration::from_millis(1500));
        assert_eq!(next, due + Duration::from_millis(1510));
        let figures = watch.figures();
        let lag = &figures.stages[0].timer_lag;
        assert_eq!(lag.count(), 151);
        assert!(lag.max() >= 1_499_000, "{}", lag.max());
        assert!(lag.percentile(50.0) >= 700_000, "{}", lag.percentile(50.0));
        assert_eq!(figures.run.timer_lag.count(), 151);
        assert_eq!(figures.stages[1].timer_lag.count(), 0);
    }

    #[test]
    fn figures_go_to_the_stage_whose_clock_ran() {
        let (watch, start) = started_watch(&[2, 3], true);
        watch.record_cpu(
            start + Duration::from_secs(2),
            start + Duration::from_secs(3),
            0.5,
        );
        watch.record_slot(start + Duration::from_millis(500), Duration::from_millis(7));
        // After the plan: the run's window only.
        watch.record_slot(start + Duration::from_secs(9), Duration::from_millis(7));
        let figures = watch.figures();
        assert!(figures.stages[0].cpu.is_none());
        assert_eq!(figures.stages[1].cpu.unwrap().mean, 0.5);
        let lateness = |w: &GeneratorWindow| w.slot_lateness.as_ref().unwrap().count();
        assert_eq!(lateness(&figures.stages[0]), 1);
        assert_eq!(lateness(&figures.stages[1]), 0);
        assert_eq!(lateness(&figures.run), 2);
    }

    #[test]
    fn before_the_clock_starts_figures_belong_to_no_stage() {
        let watch = Watch::new(&[Duration::from_secs(5)], Arc::new(OnceLock::new()), false);
        let now = Instant::now();
        watch.record_wake(now, now + Duration::from_millis(3));
        let figures = watch.figures();
        assert_eq!(figures.run.timer_lag.count(), 1);
        assert_eq!(figures.stages[0].timer_lag.count(), 0);
        assert!(figures.run.slot_lateness.is_none(), "closed model");
    }

    #[tokio::test]
    async fn the_probe_runs_and_stops() {
        let (watch, _) = started_watch(&[60], false);
        let watch = Arc::new(watch);
        let running = watch.start();
        tokio::time::sleep(Duration::from_millis(100)).await;
        running.stop();
        let figures = watch.figures();
        assert!(figures.run.timer_lag.count() >= 1, "the probe woke");
        assert!(figures.cores >= 1);
        assert_eq!(figures.cpu_measured, cfg!(target_os = "linux"));
    }
}
