//! The open model on Goose: Goose starts `load.max_users` users up front and keeps them
//! for the plan; each user, in a loop, takes the next due slot of its flow from the
//! flow's [`Slots`], waits for the slot's time, and runs one iteration of the flow's
//! steps. How many iterations start is set by the clock, not by how fast the target
//! answers, so a slow target cannot slow the sending (no coordinated omission).
//!
//! Each flow gets the run's rate times its weight's share, and Goose gives it the same
//! share of the users. The first step of an iteration is timed from the slot's intended
//! time: a user that starts it late (every user was busy) adds that lateness to the
//! latency, as wrk2 does. Later steps are timed from their own start, after the think
//! time. Both figures are kept: latency (from the intended start, which budgets judge)
//! and service time (from the actual send).
//!
//! Tokio's timers tick each millisecond and round a deadline up, so a user wakes one
//! tick before its slot: an iteration starts within about a millisecond of its due
//! time, early or late, and one that starts early is timed from its actual start.

use super::arrivals::{RateStage, Schedule, Slot, Slots, Spacing};
use super::plan::PlannedStage;
use super::{run_step, Ran, RunContext, Timing};
use crate::scenario::duration::ThinkTime;
use crate::scenario::shard::ShardPart;
use crate::scenario::{Arrivals, Flow};
use goose::prelude::GooseUser;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The resolution of tokio's timers.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// How long a user with no slot left waits before Goose asks it again, until the plan
/// stops it.
const IDLE: Duration = Duration::from_millis(50);

/// The slots of every flow, in flow order; a shard's (`shard` given) are its own share of
/// the whole schedule.
pub fn flow_slots(
    flows: &[Flow],
    stages: &[PlannedStage],
    arrivals: Arrivals,
    shard: Option<ShardPart>,
) -> Vec<Arc<Slots>> {
    let rate_stages: Vec<RateStage> = stages
        .iter()
        .map(|s| RateStage {
            rate: s.rate.unwrap_or(0.0),
            duration: s.duration,
        })
        .collect();
    let total: usize = flows.iter().map(|f| f.weight).sum();
    flows
        .iter()
        .enumerate()
        .map(|(index, flow)| {
            let share = flow.weight as f64 / total.max(1) as f64;
            let spacing = match arrivals {
                Arrivals::Even => Spacing::Even,
                // Reproducible: the same scenario asks for the same arrivals.
                Arrivals::Poisson => Spacing::Poisson(0x10ad_9a7e ^ index as u64),
            };
            let slots = Slots::new(Schedule::new(&rate_stages, share), spacing);
            Arc::new(match shard {
                Some(part) => slots.partitioned(part.position, part.count),
                None => slots,
            })
        })
        .collect()
}

/// Notes that a user finished its setup; the last one starts the arrival clock (and the
/// recorder's), so that setup never competes with the first stage's iterations.
pub fn user_ready(ctx: &RunContext) {
    let Some(pending) = &ctx.setup_pending else {
        return;
    };
    let left = pending
        .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
        .saturating_sub(1);
    if left == 0 {
        start_clock(ctx);
    }
}

/// Starts the arrival clock now (once).
fn start_clock(ctx: &RunContext) {
    let now = *ctx.started.get_or_init(Instant::now);
    ctx.recorder.start_clock(now);
}

/// One pass of Goose's transaction for an open-model user: take a slot, wait for it,
/// run the iteration. With no slot left, idles until the plan ends.
pub async fn iteration(user: &mut GooseUser, ctx: &RunContext, flow: &Flow, slots: &Slots) {
    let Some(start) = ctx.started.get().copied() else {
        // Waiting for the other users' setup; past the bound, start without them.
        if ctx.recorder.elapsed_since_first_user() >= super::stop::SETUP_BOUND {
            start_clock(ctx);
        }
        tokio::time::sleep(IDLE).await;
        return;
    };
    if ctx.stop.is_cancelled() {
        return;
    }
    let due = match slots.take(start.elapsed()) {
        Slot::Due(offset) => start + offset,
        Slot::Done => {
            tokio::select! {
                () = tokio::time::sleep(IDLE) => {}
                () = ctx.stop.cancelled() => {}
            }
            return;
        }
    };
    // Tokio's timers tick every millisecond and round a deadline up to the next tick,
    // so waking at `due` would send up to a tick late, every time, and that lateness
    // would count as the target's latency. Waking one tick early sends within a tick of
    // the due time; an early send is timed from the send itself (its lag is zero), a
    // late one from its due time.
    tokio::select! {
        () = tokio::time::sleep_until(due.checked_sub(TIMER_TICK).unwrap_or(due).into()) => {}
        () = ctx.stop.cancelled() => return,
    }
    let late = Instant::now().saturating_duration_since(due);
    ctx.watch.record_slot(due, late);
    ctx.recorder.record_iteration();
    for (index, step) in flow.steps.iter().enumerate() {
        if index > 0 {
            if let Some(think) = flow.think {
                tokio::time::sleep(think_for(think)).await;
            }
        }
        let lag = if index == 0 { late } else { Duration::ZERO };
        if run_step(user, ctx, step, Timing::Intended(lag)).await == Ran::Stopped {
            return;
        }
    }
}

/// A think time drawn from its range.
fn think_for(think: ThinkTime) -> Duration {
    if think.max <= think.min {
        return think.min;
    }
    rand::random_range(think.min..=think.max)
}

/// After the attack: counts the slots of every flow that came due before `now` (the
/// plan's end, or the interrupt) and were never taken, against their stages.
pub fn count_dropped(slots: &[Arc<Slots>], now: Duration, ctx: &RunContext) {
    for flow_slots in slots {
        flow_slots.close(now);
        ctx.recorder.record_dropped(&flow_slots.dropped());
    }
}
