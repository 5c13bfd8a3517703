//! The standard `process_*` figures every Prometheus client library exports, read
//! from Linux's `/proc/self`: resident memory, CPU time, open file descriptors and
//! the start time. A load tool that scrapes `/metrics` (loadgate's `monitor:`) can
//! then judge memory and CPU budgets without knowing anything about this server.
//!
//! Where `/proc` does not exist (not Linux) every figure reads 0.

/// One reading of the process's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ProcessStats {
    /// Resident set size, in bytes.
    pub(crate) resident_bytes: u64,
    /// User plus system CPU time, in seconds.
    pub(crate) cpu_seconds: f64,
    /// File descriptors open now.
    pub(crate) open_fds: u64,
    /// When the process started, in seconds since the Unix epoch.
    pub(crate) start_time_seconds: f64,
}

/// Reads every figure now.
pub(crate) fn read() -> ProcessStats {
    let ticks = clock_ticks_per_second();
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields = stat_fields(&stat);
    let field = |n: usize| -> f64 {
        fields
            .get(n)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command name, counted from `state` (field 3 of proc(5)) as 0:
    // utime is field 14, stime 15, starttime 22.
    let cpu_seconds = (field(11) + field(12)) / ticks;
    let start_time_seconds = match boot_time_seconds() {
        Some(boot) if !fields.is_empty() => boot + field(19) / ticks,
        _ => 0.0,
    };
    ProcessStats {
        resident_bytes: resident_bytes(),
        cpu_seconds,
        open_fds: std::fs::read_dir("/proc/self/fd")
            .map(|dir| dir.count() as u64)
            .unwrap_or(0),
        start_time_seconds,
    }
}

/// The fields of `/proc/self/stat` after the command name, which is in parentheses
/// and may itself hold spaces and parentheses.
fn stat_fields(stat: &str) -> Vec<&str> {
    match stat.rfind(')') {
        Some(end) => stat[end + 1..].split_whitespace().collect(),
        None => Vec::new(),
    }
}

/// `btime` from `/proc/stat`: when the machine booted, in seconds since the epoch.
fn boot_time_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse::<f64>().ok())
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// Resident set size from `/proc/self/statm` (second field, in pages); 0 where that
/// file does not exist.
fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a configuration value.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page_size).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_figures_are_read() {
        let before = read();
        assert!(before.resident_bytes > 0);
        assert!(before.open_fds >= 3, "{before:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            before.start_time_seconds > now - 86_400.0 && before.start_time_seconds <= now + 1.0,
            "{before:?}"
        );
        // Burn a little CPU: the counter only goes up.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(read().cpu_seconds >= before.cpu_seconds);
    }

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_skipped() {
        let fields = stat_fields("42 (a (b) c) S 1 2 3");
        assert_eq!(fields, ["S", "1", "2", "3"]);
        assert!(stat_fields("garbage").is_empty());
    }
}
