//! The open model's clock: when each flow iteration is meant to start.
//!
//! A plan is a list of stages; in each, the arrival rate ramps linearly from the previous
//! stage's rate (0 before the first) to the stage's own, as in k6's
//! `ramping-arrival-rate`. `N(t)`, the iterations due by `t`, is the integral of that
//! rate; iteration `k` (from 0) is due when `N(t)` reaches `k` (evenly spaced), or when it
//! reaches the `k`-th arrival of a unit-rate Poisson process (`arrivals: poisson`), which
//! is the same process with exponential gaps, stretched to the ramping rate.
//!
//! A shard of a run split across processes (`--shard I/N`) computes the same whole
//! schedule, seeded Poisson draws included, and owns only slots `k·N + I − 1`: the N
//! shards' slots partition the whole plan's exactly.
//!
//! [`Slots`] hands the due times out in order to whichever user asks first. A slot that a
//! user takes later than [`LATE_BOUND`] after its due time is dropped and counted against
//! the stage it was due in: no user was free in time, and an iteration that starts late
//! measures the generator, not the target.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

/// How late a slot may start and still run. Past it, the iteration is dropped: every
/// user was busy (or the generator could not keep time) when it was due.
pub const LATE_BOUND: Duration = Duration::from_millis(100);

/// One open-model stage: the rate at its end, reached by a linear ramp over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStage {
    /// Iterations started per second at the stage's end.
    pub rate: f64,
    /// How long the stage lasts.
    pub duration: Duration,
}

/// How the due times are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spacing {
    /// Evenly: iteration `k` at `N(t) = k`.
    Even,
    /// As a Poisson process at the (ramping) rate, from this seed.
    Poisson(u64),
}

/// The due times of one flow's iterations.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Per stage: start rate, end rate, start offset, length (seconds).
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    from: f64,
    to: f64,
    start: f64,
    length: f64,
    /// Iterations due before this segment starts.
    due_before: f64,
}

impl Segment {
    fn due_within(&self) -> f64 {
        (self.from + self.to) / 2.0 * self.length
    }

    /// Seconds into the segment at which `count` more iterations are due (`count` within
    /// the segment's total).
    fn offset_of(&self, count: f64) -> f64 {
        if count <= 0.0 {
            return 0.0;
        }
        let slope = if self.length > 0.0 {
            (self.to - self.from) / self.length
        } else {
            0.0
        };
        // Solve from·τ + slope·τ²/2 = count in the form that stays exact as slope → 0.
        let root = (self.from * self.from + 2.0 * slope * count)
            .max(0.0)
            .sqrt();
        let denominator = self.from + root;
        if denominator <= 0.0 {
            return self.length;
        }
        (2.0 * count / denominator).min(self.length)
    }
}

impl Schedule {
    /// The schedule of `stages`, with every rate multiplied by `share` (a flow's weight
    /// over the total).
    pub fn new(stages: &[RateStage], share: f64) -> Self {
        let mut segments = Vec::with_capacity(stages.len());
        let (mut from, mut start, mut due) = (0.0, 0.0, 0.0);
        for stage in stages {
            let to = stage.rate * share;
            let segment = Segment {
                from,
                to,
                start,
                length: stage.duration.as_secs_f64(),
                due_before: due,
            };
            due += segment.due_within();
            start += segment.length;
            from = to;
            segments.push(segment);
        }
        Schedule { segments }
    }

    /// Iterations due over the whole plan, `N(end)`.
    pub fn total_due(&self) -> f64 {
        self.segments
            .last()
            .map_or(0.0, |s| s.due_before + s.due_within())
    }

    /// When, from the plan's start, `count` iterations have come due; `None` past the
    /// plan's end.
    pub fn time_of(&self, count: f64) -> Option<Duration> {
        if count >= self.total_due() {
            return None;
        }
        let segment = self
            .segments
            .iter()
            .rev()
            .find(|s| s.due_before <= count && s.due_within() > 0.0)?;
        let secs = segment.start + segment.offset_of(count - segment.due_before);
        Some(Duration::from_secs_f64(secs))
    }

    /// The stage (index) that contains `offset` from the plan's start.
    pub fn stage_at(&self, offset: Duration) -> usize {
        let secs = offset.as_secs_f64();
        self.segments
            .iter()
            .rposition(|s| s.start <= secs)
            .unwrap_or(0)
    }
}

/// What a user gets when it asks for work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Start an iteration at this offset from the plan's start (it may be a little past).
    Due(Duration),
    /// The plan has no more iterations.
    Done,
}

/// The slots of one flow, handed out in order; counts what it drops per stage.
#[derive(Debug)]
pub struct Slots {
    schedule: Schedule,
    state: Mutex<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    /// Index of the next slot in the whole schedule (one of this shard's).
    next: u64,
    /// Which slots are this process's: every `step`-th from `first`.
    first: u64,
    step: u64,
    /// For Poisson spacing: the arrival count of the next slot, and the generator.
    poisson: Option<(f64, StdRng)>,
    dropped: Vec<u64>,
}

impl Slots {
    /// Slots for `schedule`, spaced as `spacing` says.
    pub fn new(schedule: Schedule, spacing: Spacing) -> Self {
        let stages = schedule.segments.len();
        let poisson = match spacing {
            Spacing::Even => None,
            Spacing::Poisson(seed) => {
                let mut rng = StdRng::seed_from_u64(seed);
                Some((exponential(&mut rng), rng))
            }
        };
        Slots {
            schedule,
            state: Mutex::new(SlotState {
                next: 0,
                first: 0,
                step: 1,
                poisson,
                dropped: vec![0; stages],
            }),
        }
    }

    /// Keeps only the slots of shard `position` (0-based) of `count`: slots
    /// `k·count + position` of the whole schedule.
    pub fn partitioned(self, position: usize, count: usize) -> Self {
        let mut state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        state.first = position as u64;
        state.step = count.max(1) as u64;
        state.skip(state.first);
        Slots {
            schedule: self.schedule,
            state: Mutex::new(state),
        }
    }

    /// The next slot for a user asking `now` (offset from the plan's start): the first
    /// not yet taken that is due no earlier than `now - LATE_BOUND`. Slots it passes over
    /// are dropped and counted.
    pub fn take(&self, now: Duration) -> Slot {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let count = match &state.poisson {
                Some((arrival, _)) => *arrival,
                None => state.next as f64,
            };
            let Some(due) = self.schedule.time_of(count) else {
                return Slot::Done;
            };
            let step = state.step;
            state.skip(step);
            if due + LATE_BOUND >= now {
                return Slot::Due(due);
            }
            let stage = self.schedule.stage_at(due);
            state.dropped[stage] += 1;
        }
    }

    /// Ends the plan at `now`: every slot due before it that no user took is dropped
    /// and counted.
    pub fn close(&self, now: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let count = match &state.poisson {
                Some((arrival, _)) => *arrival,
                None => state.next as f64,
            };
            match self.schedule.time_of(count) {
                Some(due) if due < now => {
                    let step = state.step;
                    state.skip(step);
                    let stage = self.schedule.stage_at(due);
                    state.dropped[stage] += 1;
                }
                _ => return,
            }
        }
    }

    /// Slots dropped so far, per stage.
    pub fn dropped(&self) -> Vec<u64> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.dropped.clone()
    }

    /// This process's slots handed out or dropped so far.
    pub fn taken(&self) -> u64 {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (state.next - state.first) / state.step
    }
}

impl SlotState {
    /// Moves `slots` slots on in the whole schedule (drawing the Poisson gaps passed).
    fn skip(&mut self, slots: u64) {
        self.next += slots;
        if let Some((arrival, rng)) = &mut self.poisson {
            for _ in 0..slots {
                *arrival += exponential(rng);
            }
        }
    }
}

/// An Exp(1) draw: the gap between arrivals of a unit-rate Poisson process.
fn exponential(rng: &mut StdRng) -> f64 {
    let uniform: f64 = rng.random();
    -(1.0 - uniform).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn stage(rate: f64, over: f64) -> RateStage {
        RateStage {
            rate,
            duration: secs(over),
        }
    }

    /// Every slot of a plan, taken by an ever-free user.
    fn all_due(slots: &Slots) -> Vec<Duration> {
        let mut due = Vec::new();
        while let Slot::Due(at) = slots.take(Duration::ZERO) {
            due.push(at);
        }
        due
    }

    #[test]
    fn a_constant_rate_is_evenly_spaced() {
        // A ramp from 0 over no time, then 10/s for 2 s.
        let schedule = Schedule::new(&[stage(10.0, 0.0), stage(10.0, 2.0)], 1.0);
        assert_eq!(schedule.total_due(), 20.0);
        let due = all_due(&Slots::new(schedule, Spacing::Even));
        assert_eq!(due.len(), 20);
        for (k, at) in due.iter().enumerate() {
            assert!(
                (at.as_secs_f64() - k as f64 * 0.1).abs() < 1e-9,
                "{k}: {at:?}"
            );
        }
    }

    #[test]
    fn a_ramp_delivers_its_integral_and_speeds_up() {
        // 0 → 100/s over 10 s: 500 iterations, due at t = sqrt(k / 5).
        let schedule = Schedule::new(&[stage(100.0, 10.0)], 1.0);
        assert_eq!(schedule.total_due(), 500.0);
        let due = all_due(&Slots::new(schedule, Spacing::Even));
        assert_eq!(due.len(), 500);
        for (k, at) in due.iter().enumerate() {
            let expected = (k as f64 / 5.0).sqrt();
            assert!((at.as_secs_f64() - expected).abs() < 1e-9, "{k}: {at:?}");
        }
        // Gaps shrink as the rate grows.
        assert!(due[2] - due[1] > due[499] - due[498]);
    }

    #[test]
    fn a_falling_ramp_and_later_stages_line_up() {
        // 0 → 40/s over 1 s (20), hold 40/s for 1 s (40), 40 → 0 over 2 s (40).
        let schedule = Schedule::new(&[stage(40.0, 1.0), stage(40.0, 1.0), stage(0.0, 2.0)], 1.0);
        assert_eq!(schedule.total_due(), 100.0);
        let due = all_due(&Slots::new(schedule.clone(), Spacing::Even));
        assert_eq!(due.len(), 100);
        assert!(due.windows(2).all(|w| w[0] < w[1]), "in order");
        assert_eq!(schedule.stage_at(due[19]), 0);
        assert_eq!(schedule.stage_at(due[20]), 1);
        assert!((due[20].as_secs_f64() - 1.0).abs() < 1e-9);
        assert_eq!(schedule.stage_at(due[60]), 2);
        assert!(due[99] < secs(4.0));
    }

    #[test]
    fn a_flow_gets_its_share_of_the_rate() {
        let schedule = Schedule::new(&[stage(30.0, 0.0), stage(30.0, 10.0)], 1.0 / 3.0);
        assert!((schedule.total_due() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn late_slots_are_dropped_and_counted_per_stage() {
        let schedule = Schedule::new(&[stage(10.0, 0.0), stage(10.0, 1.0), stage(10.0, 1.0)], 1.0);
        let slots = Slots::new(schedule, Spacing::Even);
        // A user asking at 1.25 s: slots due before 1.15 s are dropped (0.0 … 1.1 s).
        assert_eq!(slots.take(secs(1.25)), Slot::Due(secs(1.2)));
        assert_eq!(slots.dropped(), vec![0, 10, 2]);
        assert_eq!(slots.taken(), 13);
        // A slot due within the bound still runs.
        assert_eq!(slots.take(secs(1.35)), Slot::Due(secs(1.3)));
        // Closing the plan early drops what came due and was never taken.
        slots.close(secs(1.55));
        assert_eq!(slots.dropped(), vec![0, 10, 4]);
        assert_eq!(slots.take(secs(1.5)), Slot::Due(secs(1.6)));
        // Past the plan: done, and the rest is dropped.
        assert_eq!(slots.take(secs(5.0)), Slot::Done);
        assert_eq!(slots.dropped(), vec![0, 10, 7]);
        assert_eq!(slots.taken(), 20);
    }

    #[test]
    fn poisson_arrivals_keep_the_rate_and_vary_the_gaps() {
        let schedule = Schedule::new(&[stage(200.0, 0.0), stage(200.0, 50.0)], 1.0);
        let due = all_due(&Slots::new(schedule, Spacing::Poisson(7)));
        // 10,000 expected; a Poisson count has a standard deviation of 100.
        assert!((9_500..=10_500).contains(&due.len()), "{}", due.len());
        let gaps: Vec<f64> = due
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        // Exponential gaps: the standard deviation equals the mean (5 ms); even ones: 0.
        assert!((mean - 0.005).abs() < 0.0005, "mean gap {mean}");
        assert!(
            (var.sqrt() / mean - 1.0).abs() < 0.1,
            "cv {}",
            var.sqrt() / mean
        );
        // The same seed gives the same arrivals.
        let again = Schedule::new(&[stage(200.0, 0.0), stage(200.0, 50.0)], 1.0);
        assert_eq!(all_due(&Slots::new(again, Spacing::Poisson(7))), due);
    }

    #[test]
    fn shards_partition_the_whole_schedule_exactly() {
        let plan = [
            stage(7.0, 0.0),
            stage(7.0, 1.3),
            stage(23.0, 2.1),
            stage(0.0, 1.7),
        ];
        for spacing in [Spacing::Even, Spacing::Poisson(11)] {
            let whole = all_due(&Slots::new(Schedule::new(&plan, 1.0), spacing));
            assert!(whole.len() > 40, "{}", whole.len());
            for count in [1, 2, 3, 7] {
                let mut union: Vec<(Duration, usize)> = Vec::new();
                for position in 0..count {
                    let slots =
                        Slots::new(Schedule::new(&plan, 1.0), spacing).partitioned(position, count);
                    let own = all_due(&slots);
                    assert_eq!(slots.taken(), own.len() as u64);
                    // Shard `position` runs slots position, position + count, …
                    let expected: Vec<Duration> = whole
                        .iter()
                        .copied()
                        .skip(position)
                        .step_by(count)
                        .collect();
                    assert_eq!(own, expected, "{spacing:?}, {position}/{count}");
                    union.extend(own.into_iter().map(|at| (at, position)));
                }
                union.sort();
                let times: Vec<Duration> = union.iter().map(|(at, _)| *at).collect();
                assert_eq!(times, whole, "{spacing:?}: {count} shards give the whole");
            }
        }
    }

    #[test]
    fn a_shard_drops_and_closes_only_its_own_slots() {
        let plan = [stage(10.0, 0.0), stage(10.0, 1.0), stage(10.0, 1.0)];
        let slots = Slots::new(Schedule::new(&plan, 1.0), Spacing::Even).partitioned(1, 2);
        // Its slots are due at 0.1, 0.3, … 1.9 s; asking at 1.25 s drops 0.1 … 0.9 and 1.1.
        assert_eq!(slots.take(secs(1.25)), Slot::Due(secs(1.3)));
        assert_eq!(slots.dropped(), vec![0, 5, 1]);
        slots.close(secs(1.8));
        assert_eq!(slots.dropped(), vec![0, 5, 3]);
        assert_eq!(slots.take(secs(1.8)), Slot::Due(secs(1.9)));
        assert_eq!(slots.take(secs(1.8)), Slot::Done);
        assert_eq!(slots.taken(), 10);
    }

    #[test]
    fn a_zero_rate_plan_has_no_slots() {
        let slots = Slots::new(Schedule::new(&[stage(0.0, 10.0)], 1.0), Spacing::Even);
        assert_eq!(slots.take(Duration::ZERO), Slot::Done);
    }
}
