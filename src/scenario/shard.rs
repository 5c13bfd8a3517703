//! Splitting a scenario into shards (`--shard I/N`): N processes, on one machine or many,
//! that together run exactly the whole scenario.
//!
//! - Closed model: each stage's `users` is split so the shards sum to it exactly; shard
//!   `I` gets `⌊(users + N − I) / N⌋`, so the first `users mod N` shards get one more.
//!   That share never falls when the total rises, so every shard ramps up and down with
//!   the whole, over the same stage lengths.
//! - Open model: `max_users` is split the same way. The arrival rates are not divided
//!   here: every shard computes the whole plan's due times (the same seeded Poisson draws
//!   too) and runs only every N-th of them, from the I-th on (the engine's `Slots`), so
//!   the shards' iterations partition the whole schedule exactly.
//! - `${user}`: Goose numbers a process's users 1, 2, … in launch order. Shard `I` adds
//!   the users the shards before it launch over the whole plan, so the shards together
//!   use exactly the numbers 1 … (users the whole plan launches), none twice.

use super::model::Scenario;

/// Most shards one run may be split into.
pub const MAX_SHARDS: usize = 10_000;

/// A shard as given on the command line: `index` of `count`, 1-based (`--shard 1/3` is
/// the first of three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1 … `count`.
    pub index: usize,
    /// How many shards run the scenario together.
    pub count: usize,
}

/// What the engine needs about its shard: which due slots are its own, and where its
/// `${user}` numbers start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardPart {
    /// 0-based position among the shards: this shard runs open-model slots
    /// `k·count + position`.
    pub position: usize,
    /// How many shards run the scenario together.
    pub count: usize,
    /// Added to Goose's user number: the users the shards before this one launch.
    pub user_offset: usize,
}

impl Shard {
    /// Reads `I/N` (1 ≤ I ≤ N ≤ [`MAX_SHARDS`]).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let hint = "write I/N, the I-th of N shards counted from 1, e.g. `--shard 1/3`";
        let (index, count) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a shard: {hint}"))?;
        let number = |part: &str| {
            let part = part.trim();
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("`{text}`: `{part}` is not a whole number: {hint}"));
            }
            part.parse::<usize>()
                .map_err(|_| format!("`{text}`: `{part}` is too large: {hint}"))
        };
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "`{text}`: the number of shards must be from 1 to {MAX_SHARDS}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{text}`: the shard must be from 1 to {count} (shards count from 1; a Kubernetes completion index counts from 0, so add 1)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// This shard's share of `total`: the shards' shares add up to `total` exactly.
    pub fn share(&self, total: usize) -> usize {
        share_of(total, self.index - 1, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The share of `total` for the shard at 0-based `position` of `count`:
/// `⌊(total + count − 1 − position) / count⌋`. Shares add up to `total` (Hermite's
/// identity) and never fall as `total` rises.
pub fn share_of(total: usize, position: usize, count: usize) -> usize {
    (total / count) + usize::from(position < total % count)
}

/// Users Goose launches over a plan that moves through `users` (one count per stage):
/// every rise launches new users, whose numbers continue after the earlier ones.
fn launched(users: impl Iterator<Item = usize>) -> usize {
    let mut before = 0;
    let mut total = 0;
    for now in users {
        total += now.saturating_sub(before);
        before = now;
    }
    total
}

impl Scenario {
    /// The part of this scenario that `shard` runs. Refused when the smallest shard would
    /// get fewer users than the scenario has flows (some flow would never run there).
    pub fn for_shard(&self, shard: Shard) -> Result<Scenario, String> {
        let count = shard.count;
        let position = shard.index - 1;
        let peak = match self.load.open {
            Some(open) => open.max_users,
            None => self.peak_users(),
        };
        let needed = self.flows.len().max(1);
        if peak / count < needed {
            let what = if self.load.open.is_some() {
                "load.max_users is"
            } else {
                "the scenario peaks at"
            };
            return Err(format!(
                "{what} {peak} user(s): split {count} ways, a shard would get {} but needs at least {needed} (one per flow); use at most {} shards",
                peak / count,
                (peak / needed).max(1)
            ));
        }
        let plan_of = |position: usize| -> Vec<usize> {
            self.load
                .stages
                .iter()
                .map(|stage| share_of(stage.users, position, count))
                .collect()
        };
        let user_offset = (0..position)
            .map(|before| launched(plan_of(before).into_iter()))
            .sum();
        let mut part = self.clone();
        for (stage, users) in part.load.stages.iter_mut().zip(plan_of(position)) {
            stage.users = users;
        }
        if let Some(open) = &mut part.load.open {
            open.max_users = share_of(open.max_users, position, count);
        }
        part.shard = Some(ShardPart {
            position,
            count,
            user_offset,
        });
        Ok(part)
    }

    /// Users the whole plan launches: `${user}` runs from 1 to this.
    pub fn users_launched(&self) -> usize {
        launched(self.load.stages.iter().map(|s| s.users))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    fn scenario(load: &str, flows: usize) -> Scenario {
        let mut yaml = format!("name: t\nload:\n{load}flows:\n");
        for f in 0..flows {
            yaml.push_str(&format!(
                "  - name: f{f}\n    steps:\n      - http: {{ path: / }}\n"
            ));
        }
        parse_scenario("t.yaml".as_ref(), &yaml, &|_| None).unwrap()
    }

    #[test]
    fn reads_i_of_n_counted_from_one() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(Shard::parse(" 1/1 ").unwrap().to_string(), "1/1");
        for bad in [
            "0/3", "4/3", "3", "/3", "1/", "1/0", "-1/3", "a/3", "1.5/3", "1/99999",
        ] {
            let err = Shard::parse(bad).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
        }
        assert!(Shard::parse("0/3").unwrap_err().contains("add 1"));
    }

    #[test]
    fn shares_add_up_exactly_and_never_fall_as_the_total_rises() {
        for count in 1..=9 {
            let mut before = vec![0; count];
            for total in 0..=200 {
                let shares: Vec<usize> = (0..count).map(|p| share_of(total, p, count)).collect();
                assert_eq!(shares.iter().sum::<usize>(), total, "{total}/{count}");
                assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
                assert!(shares.iter().zip(&before).all(|(now, was)| now >= was));
                before = shares;
            }
        }
    }

    #[test]
    fn stages_split_so_ramps_sum_to_the_whole() {
        let whole = scenario(
            "  stages:\n    - { users: 121, over: 10s }\n    - { users: 121, over: 60s }\n    - { users: 7, over: 5s }\n    - { users: 50, over: 5s }\n    - { users: 0, over: 5s }\n",
            2,
        );
        let parts: Vec<Scenario> = (1..=3)
            .map(|index| whole.for_shard(Shard { index, count: 3 }).unwrap())
            .collect();
        let users = |s: &Scenario| s.load.stages.iter().map(|s| s.users).collect::<Vec<_>>();
        assert_eq!(users(&parts[0]), [41, 41, 3, 17, 0]);
        assert_eq!(users(&parts[1]), [40, 40, 2, 17, 0]);
        assert_eq!(users(&parts[2]), [40, 40, 2, 16, 0]);
        for (stage, whole) in whole.load.stages.iter().enumerate() {
            let sum: usize = parts.iter().map(|p| p.load.stages[stage].users).sum();
            assert_eq!(sum, whole.users);
            for part in &parts {
                assert_eq!(part.load.stages[stage].over, whole.over, "same ramps");
            }
        }
        // `${user}` ranges: 1..=84, 85..=141, 142..=197; the whole launches 121 + 43.
        let offsets: Vec<usize> = parts.iter().map(|p| p.shard.unwrap().user_offset).collect();
        assert_eq!(offsets, [0, 41 + 14, 41 + 14 + 40 + 15]);
        let launched: usize = parts.iter().map(Scenario::users_launched).sum();
        assert_eq!(launched, whole.users_launched());
        assert_eq!(whole.users_launched(), 121 + 43);
        assert_eq!(offsets[2] + parts[2].users_launched(), launched);
    }

    #[test]
    fn the_open_model_splits_max_users_and_keeps_the_rates() {
        let whole = scenario(
            "  max_users: 10\n  stages:\n    - { rate: 7/s, over: 3s }\n    - { rate: 7/s, over: 3s }\n",
            1,
        );
        let parts: Vec<Scenario> = (1..=3)
            .map(|index| whole.for_shard(Shard { index, count: 3 }).unwrap())
            .collect();
        let max: Vec<usize> = parts
            .iter()
            .map(|p| p.load.open.unwrap().max_users)
            .collect();
        assert_eq!(max, [4, 3, 3]);
        assert_eq!(parts[1].load.stages[0].users, 3);
        assert_eq!(
            parts[2].load.stages[1].rate,
            Some(7.0),
            "the engine partitions slots"
        );
        let offsets: Vec<usize> = parts.iter().map(|p| p.shard.unwrap().user_offset).collect();
        assert_eq!(offsets, [0, 4, 7]);
    }

    #[test]
    fn a_shard_too_small_for_every_flow_is_refused() {
        let whole = scenario("  stages:\n    - { users: 5, over: 10s }\n", 2);
        assert!(whole.for_shard(Shard { index: 1, count: 2 }).is_ok());
        let err = whole.for_shard(Shard { index: 1, count: 3 }).unwrap_err();
        assert!(err.contains("at most 2 shards"), "{err}");
    }
}
