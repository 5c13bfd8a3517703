//! The built-in check `load delivered`: a run whose generator was the bottleneck
//! measured loadgate, not the target, so its gate must not pass. It fails when any of
//! these held:
//!
//! - **dropped** (open model): more than [`MAX_DROPPED`] of the iterations that came due
//!   were dropped (not started within 100 ms of their due time: every user was busy,
//!   or the generator could not keep time; see `engine::arrivals`);
//! - **CPU-bound**: in some stage, the generator's own CPU averaged [`MAX_CPU`] or more
//!   of the cores it may use (stages with at least [`MIN_CPU_SECONDS`] one-second
//!   samples);
//! - **timer lag**: in some stage, the p99 of how late the generator's 10 ms timer probe
//!   woke passed [`MAX_TIMER_LAG_P99`] (stages with at least [`MIN_TICKS`] wake-ups;
//!   when no stage has that many, the whole run).
//!
//! Closed-model runs get the check too (the CPU and lag cases), as soon as the run has
//! generator figures; older `summary.json` files without them keep their verdicts.

use super::verdict::{Unit, Verdict};
use crate::metrics::{GeneratorMetrics, GeneratorWindow, RunMetrics, StageMetrics};

/// The rule's name, as every report shows it.
pub const RULE: &str = "load delivered";

/// The share of planned iterations that may be dropped: 0.1 %.
pub const MAX_DROPPED: f64 = 0.001;

/// Mean generator CPU over a stage at or above this share of its cores is CPU-bound.
/// Tokio runs one worker thread per core; at 90 % on average, tasks queue behind one
/// another for most of the stage, and the latencies include that wait.
pub const MAX_CPU: f64 = 0.9;

/// Stages with fewer one-second CPU samples are not judged on CPU: one or two seconds
/// (users being launched, say) are too few to call a stage CPU-bound.
pub const MIN_CPU_SECONDS: u64 = 3;

/// The p99 timer lag (µs) a stage may reach: 50 ms. See docs/budgets.md for why.
pub const MAX_TIMER_LAG_P99: u64 = 50_000;

/// Stages with fewer timer wake-ups (one second's worth) are not judged on lag.
pub const MIN_TICKS: u64 = 100;

/// Where the check comes from, as the reports' Source column shows it.
const SOURCE: &str = "built in: loadgate must deliver the load it was asked for without being the bottleneck (docs/budgets.md#load-delivered)";

/// One way the generator was the bottleneck, with its figures.
#[derive(Debug, Clone, PartialEq)]
enum Case {
    Dropped {
        dropped: u64,
        asked: u64,
    },
    Cpu {
        stage: String,
        mean: f64,
        peak: f64,
        cores: usize,
    },
    Lag {
        stage: String,
        p99: u64,
        max: u64,
    },
}

impl Case {
    fn measure(&self) -> &'static str {
        match self {
            Case::Dropped { .. } => "dropped",
            Case::Cpu { .. } => "generator_cpu",
            Case::Lag { .. } => "timer_lag_p99",
        }
    }

    fn unit(&self) -> Unit {
        match self {
            Case::Dropped { .. } | Case::Cpu { .. } => Unit::Fraction,
            Case::Lag { .. } => Unit::Micros,
        }
    }

    /// (comparison, limit, measured) as the verdict carries them.
    fn figures(&self) -> (&'static str, f64, f64) {
        match self {
            Case::Dropped { dropped, asked } => {
                ("<=", MAX_DROPPED, *dropped as f64 / (*asked).max(1) as f64)
            }
            Case::Cpu { mean, .. } => ("<", MAX_CPU, *mean),
            Case::Lag { p99, .. } => ("<=", MAX_TIMER_LAG_P99 as f64, *p99 as f64),
        }
    }

    fn failed(&self) -> bool {
        let (comparison, limit, measured) = self.figures();
        match comparison {
            "<" => measured >= limit,
            _ => measured > limit,
        }
    }

    /// What happened, with the figures.
    fn statement(&self) -> String {
        match self {
            Case::Dropped { dropped, asked } => format!(
                "{dropped} of {asked} iterations were dropped, not started in time"
            ),
            Case::Cpu {
                stage,
                mean,
                peak,
                cores,
            } => format!(
                "the generator was CPU-bound in {stage}: it used {} of its {cores} core{} on average (peak {}), the limit being under {}",
                percent(*mean),
                if *cores == 1 { "" } else { "s" },
                percent(*peak),
                percent(MAX_CPU)
            ),
            Case::Lag { stage, p99, max } => format!(
                "the generator's timers fired late in {stage}: p99 timer lag {} (max {}), over the {} limit",
                micros(*p99),
                micros(*max),
                micros(MAX_TIMER_LAG_P99)
            ),
        }
    }

    /// What to do about it.
    fn advice(&self) -> &'static str {
        match self {
            Case::Dropped { .. } => {
                "when every user was busy, raise load.max_users, or lower the rate"
            }
            Case::Cpu { .. } | Case::Lag { .. } => {
                "give loadgate more cores (or a machine of its own, away from the target), split the load over more shards, or lower the rate or users"
            }
        }
    }
}

/// The check; `None` for a run with neither arrivals nor generator figures (a
/// closed-model run recorded before loadgate watched itself).
pub fn load_delivered(metrics: &RunMetrics) -> Option<Verdict> {
    let mut cases: Vec<Case> = Vec::new();
    cases.extend(dropped(metrics));
    if let Some(generator) = &metrics.generator {
        cases.extend(cpu(generator, &metrics.stages));
        cases.extend(lag(generator, &metrics.stages));
    }
    let failed: Vec<&Case> = cases.iter().filter(|c| c.failed()).collect();
    // The verdict shows the first failing case's figure (dropped, CPU, lag: the first
    // often explains the others), or on a pass the dropped iterations in the open
    // model, else the timer lag (measured everywhere), else the CPU.
    let on_pass = |c: &&Case| match c {
        Case::Dropped { .. } => 0,
        Case::Lag { .. } => 1,
        Case::Cpu { .. } => 2,
    };
    let shown = failed
        .first()
        .copied()
        .or_else(|| cases.iter().min_by_key(on_pass))?;
    let (comparison, limit, measured) = shown.figures();
    let reason = (!failed.is_empty()).then(|| {
        // Drops alongside a CPU-bound or late generator come from the generator: more
        // users would not help, so only the generator's advice is given.
        let generator_bound = failed.iter().any(|c| !matches!(c, Case::Dropped { .. }));
        let mut advice: Vec<&str> = Vec::new();
        for case in &failed {
            let dropped = matches!(case, Case::Dropped { .. });
            if !(advice.contains(&case.advice()) || dropped && generator_bound) {
                advice.push(case.advice());
            }
        }
        let statements: Vec<String> = failed.iter().map(|c| c.statement()).collect();
        format!("{}; {}", statements.join("; "), advice.join("; "))
    });
    Some(Verdict {
        rule: RULE.to_string(),
        source: Some(SOURCE.to_string()),
        measure: shown.measure().to_string(),
        comparison: comparison.to_string(),
        limit,
        measured: Some(measured),
        unit: shown.unit(),
        steps: Vec::new(),
        scope: "the load generator".to_string(),
        stage: None,
        passed: failed.is_empty(),
        reason,
        partial: false,
    })
}

/// Open model: the iterations dropped against those that came due.
fn dropped(metrics: &RunMetrics) -> Option<Case> {
    let arrivals: Vec<_> = metrics
        .stages
        .iter()
        .filter_map(|s| s.arrivals.as_ref())
        .collect();
    if arrivals.is_empty() {
        return None;
    }
    Some(Case::Dropped {
        dropped: arrivals.iter().map(|a| a.dropped).sum(),
        asked: arrivals.iter().map(|a| a.started + a.dropped).sum(),
    })
}

/// The stage windows with their labels, in plan order.
fn windows<'a>(
    generator: &'a GeneratorMetrics,
    stages: &'a [StageMetrics],
) -> impl Iterator<Item = (String, &'a GeneratorWindow)> {
    generator.stages.iter().enumerate().map(|(index, window)| {
        let name = stages.get(index).and_then(|s| s.name.as_deref());
        (stage_label(index, name), window)
    })
}

/// The stage with the highest mean CPU among those with enough samples.
fn cpu(generator: &GeneratorMetrics, stages: &[StageMetrics]) -> Option<Case> {
    if !generator.cpu_measured {
        return None;
    }
    windows(generator, stages)
        .filter_map(|(stage, w)| w.cpu.map(|cpu| (stage, cpu)))
        .filter(|(_, cpu)| cpu.seconds >= MIN_CPU_SECONDS)
        .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
        .map(|(stage, cpu)| Case::Cpu {
            stage,
            mean: cpu.mean,
            peak: cpu.peak,
            cores: generator.cores,
        })
}

/// The stage with the highest p99 timer lag among those with enough wake-ups; the
/// whole run when no stage has enough.
fn lag(generator: &GeneratorMetrics, stages: &[StageMetrics]) -> Option<Case> {
    let case = |stage: String, w: &GeneratorWindow| Case::Lag {
        stage,
        p99: w.timer_lag.percentile(99.0),
        max: w.timer_lag.max(),
    };
    let worst = windows(generator, stages)
        .filter(|(_, w)| w.timer_lag.count() >= MIN_TICKS)
        .max_by_key(|(_, w)| w.timer_lag.percentile(99.0));
    match worst {
        Some((stage, w)) => Some(case(stage, w)),
        None if generator.run.timer_lag.count() > 0 => {
            Some(case("the run".to_string(), &generator.run))
        }
        None => None,
    }
}

/// `stage 2 · hold`, as the reports name stages.
fn stage_label(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) if !name.trim().is_empty() => format!("stage {} · {name}", index + 1),
        _ => format!("stage {}", index + 1),
    }
}

/// A share as a whole percentage: `93%`.
fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Microseconds as the reports print them: `850µs`, `12.3ms`, `1.52s`.
fn micros(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 999_950 {
        format!("{:.1}ms", us as f64 / 1_000.0)
    } else {
        format!("{:.2}s", us as f64 / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{CpuFigures, LatencyHistogram, Recorder, StagePlan};
    use std::time::Duration;

    fn open_run(started: u64, dropped: u64) -> RunMetrics {
        let plan = StagePlan {
            name: None,
            users: 10,
            duration: Duration::from_secs(10),
            rate: Some(100.0),
        };
        let recorder = Recorder::new(&[plan], &[]);
        recorder.record_dropped(&[dropped]);
        let mut metrics = recorder.snapshot();
        metrics.stages[0].arrivals.as_mut().unwrap().started = started;
        metrics
    }

    /// A window with `seconds` CPU samples at `share` and 1,000 timer wake-ups, 1 % of
    /// them `late` µs late and the rest 1 ms.
    fn window(share: f64, seconds: u64, late: u64) -> GeneratorWindow {
        let mut w = GeneratorWindow::new(false);
        for _ in 0..seconds {
            CpuFigures::add(&mut w.cpu, share);
        }
        let mut lag = LatencyHistogram::default();
        for i in 0..1_000 {
            lag.record(if i < 11 { late } else { 1_000 });
        }
        w.timer_lag = lag;
        w
    }

    /// A closed-model run of two stages (`hold` is the second) with these windows.
    fn closed_run(stages: [GeneratorWindow; 2]) -> RunMetrics {
        let plan = |name: &str| StagePlan {
            name: Some(name.to_string()),
            users: 10,
            duration: Duration::from_secs(10),
            rate: None,
        };
        let mut metrics = Recorder::new(&[plan("warm"), plan("hold")], &[]).snapshot();
        metrics.generator = Some(GeneratorMetrics {
            cores: 2,
            cpu_measured: true,
            tick_micros: 10_000,
            run: window(0.3, 20, 2_000),
            stages: stages.to_vec(),
        });
        metrics
    }

    fn healthy() -> GeneratorWindow {
        window(0.4, 10, 3_000)
    }

    #[test]
    fn passes_when_the_load_was_delivered_and_fails_when_it_was_not() {
        let delivered = load_delivered(&open_run(1000, 1)).unwrap();
        assert!(delivered.passed, "1 in 1001 dropped is within 0.1 %");
        let short = load_delivered(&open_run(900, 100)).unwrap();
        assert!(!short.passed);
        assert_eq!(short.measured, Some(0.1));
        let reason = short.reason.unwrap();
        assert!(reason.starts_with("100 of 1000 iterations were dropped"));
        assert!(reason.contains("raise load.max_users"), "{reason}");
    }

    #[test]
    fn a_closed_model_run_without_generator_figures_has_no_such_check() {
        let recorder = Recorder::new(&[], &[]);
        assert!(load_delivered(&recorder.snapshot()).is_none());
    }

    #[test]
    fn a_healthy_generator_passes_and_shows_its_timer_lag() {
        let verdict = load_delivered(&closed_run([healthy(), healthy()])).unwrap();
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(verdict.measure, "timer_lag_p99");
        let p99 = verdict.measured.unwrap();
        assert!((3_000.0..3_010.0).contains(&p99), "{p99}");
        assert_eq!(verdict.reason, None);
    }

    #[test]
    fn a_cpu_bound_stage_fails_and_says_which() {
        let verdict = load_delivered(&closed_run([healthy(), window(0.93, 5, 3_000)])).unwrap();
        assert!(!verdict.passed);
        assert_eq!(verdict.measure, "generator_cpu");
        assert_eq!((verdict.comparison.as_str(), verdict.limit), ("<", 0.9));
        assert_eq!(verdict.measured, Some(0.93));
        let reason = verdict.reason.unwrap();
        assert!(
            reason.starts_with("the generator was CPU-bound in stage 2 · hold: it used 93% of its 2 cores on average (peak 93%)"),
            "{reason}"
        );
        assert!(reason.contains("more cores"), "{reason}");
        assert!(reason.contains("more shards"), "{reason}");
    }

    #[test]
    fn exactly_at_the_cpu_limit_fails_and_short_stages_are_not_judged_on_cpu() {
        let at = load_delivered(&closed_run([healthy(), window(0.9, 3, 3_000)])).unwrap();
        assert!(!at.passed, "90 % is CPU-bound");
        let short = load_delivered(&closed_run([window(1.0, 2, 3_000), healthy()])).unwrap();
        assert!(short.passed, "2 seconds are too few: {:?}", short.reason);
    }

    #[test]
    fn a_late_timer_fails_with_the_lag_reason() {
        let verdict = load_delivered(&closed_run([window(0.4, 10, 1_500_000), healthy()])).unwrap();
        assert!(!verdict.passed);
        assert_eq!(verdict.measure, "timer_lag_p99");
        assert_eq!(verdict.unit, Unit::Micros);
        assert!(verdict.measured.unwrap() >= 1_400_000.0, "{verdict:?}");
        let reason = verdict.reason.unwrap();
        assert!(
            reason.starts_with("the generator's timers fired late in stage 1 · warm: p99 timer lag 1.50s (max 1.50s), over the 50.0ms limit"),
            "{reason}"
        );
        // Just under the limit passes.
        let under = load_delivered(&closed_run([window(0.4, 10, 49_000), healthy()])).unwrap();
        assert!(under.passed, "{:?}", under.reason);
    }

    #[test]
    fn every_failing_case_is_named_and_the_dropped_one_is_shown_first() {
        let mut metrics = open_run(900, 100);
        metrics.generator = Some(GeneratorMetrics {
            cores: 1,
            cpu_measured: true,
            tick_micros: 10_000,
            run: window(0.95, 10, 900_000),
            stages: vec![window(0.95, 10, 900_000)],
        });
        let verdict = load_delivered(&metrics).unwrap();
        assert!(!verdict.passed);
        assert_eq!(verdict.measure, "dropped");
        let reason = verdict.reason.unwrap();
        for part in [
            "100 of 1000 iterations were dropped",
            "CPU-bound in stage 1: it used 95% of its 1 core on average",
            "timers fired late in stage 1",
            "more cores",
        ] {
            assert!(reason.contains(part), "{part} in {reason}");
        }
        assert!(
            !reason.contains("max_users"),
            "more users would not help a stalled generator: {reason}"
        );
    }

    #[test]
    fn without_cpu_figures_the_lag_decides_and_a_short_plan_is_judged_whole() {
        let mut metrics = closed_run([GeneratorWindow::new(false), GeneratorWindow::new(false)]);
        let generator = metrics.generator.as_mut().unwrap();
        generator.cpu_measured = false;
        generator.run = window(0.0, 0, 80_000);
        let verdict = load_delivered(&metrics).unwrap();
        assert_eq!(verdict.measure, "timer_lag_p99");
        assert!(!verdict.passed);
        assert!(
            verdict.reason.unwrap().contains("fired late in the run"),
            "no stage had a second of wake-ups"
        );
    }
}
