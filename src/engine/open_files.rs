//! The open-files limit. Every simulated user holds sockets (its WebSocket, and with
//! `load.connections: per_user` its own HTTP connections), so a run of thousands of
//! users needs more file descriptors than the usual soft limit of 1,024. loadgate
//! raises its soft limit to the hard one before the run (as any process may), and
//! warns when the plan still needs more than that.

use crate::scenario::{Action, Connections, Scenario};

/// Descriptors kept aside for everything that is not a user's socket: the runtime,
/// report files, the metrics scraper, the bundled server's listener.
const RESERVE: u64 = 256;

/// Raises the soft open-files limit to the hard one; returns the limit now in force
/// (`None` where it cannot be read).
pub fn raise_to_hard_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit.rlim_cur = limit.rlim_max;
                }
            }
        }
        Some(limit.rlim_cur)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Sockets one user of `scenario` may hold at once: its WebSocket, if a flow opens
/// one, and an HTTP connection: its own with `load.connections: per_user`; with
/// `shared`, the pool holds one per request in flight, so up to one per user when
/// the flows' steps send HTTP (a login in `setup:` only holds a few at a time).
pub fn sockets_per_user(scenario: &Scenario) -> u64 {
    let is_http = |step: &crate::scenario::Step| matches!(step.action, Action::Http(_));
    let ws = scenario.flows.iter().any(|f| {
        f.setup
            .iter()
            .chain(&f.steps)
            .any(|s| matches!(s.action, Action::WsConnect(_)))
    });
    let http = match scenario.load.connections {
        Connections::PerUser => scenario
            .flows
            .iter()
            .any(|f| f.setup.iter().chain(&f.steps).any(is_http)),
        Connections::Shared => scenario.flows.iter().any(|f| f.steps.iter().any(is_http)),
    };
    u64::from(ws) + u64::from(http)
}

/// Descriptors a run of `users` at once needs: a socket per user and per connection
/// it owns (`sockets_per_user`), twice over when the bundled server holds the other
/// ends in the same process, plus the reserve.
pub fn needed(users: usize, sockets_per_user: u64, embedded: bool) -> u64 {
    let ends = if embedded { 2 } else { 1 };
    users as u64 * sockets_per_user * ends + RESERVE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_rises_to_the_hard_one() {
        let limit = raise_to_hard_limit().expect("Linux has the limit");
        let mut now = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut now) };
        assert_eq!((limit, now.rlim_cur), (now.rlim_max, now.rlim_max));
    }

    #[test]
    fn ten_thousand_websocket_users_need_a_limit_above_ten_thousand() {
        assert_eq!(needed(10_000, 1, false), 10_256);
        assert_eq!(needed(10_000, 2, false), 20_256);
        assert_eq!(needed(10_000, 1, true), 20_256);
    }
}
