//! The load generator's own CPU time, read per thread from `/proc/self/task/*/stat`
//! (Linux), leaving out threads whose name starts with a given prefix: the bundled
//! reference server runs in this process on threads of its own, and its CPU is the
//! target's, not the generator's.
//!
//! Each read is compared per thread with the previous one, so a thread that exits
//! between two reads loses at most its last interval, and one that starts in between
//! counts in full. Elsewhere than on Linux nothing is read: CPU is "not measured".

use std::collections::HashMap;
use std::time::Duration;

/// One thread's name and CPU time (user + system) so far, in clock ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadTime {
    /// The thread id.
    pub tid: u32,
    /// Its name (`comm`, at most 15 bytes).
    pub name: String,
    /// User plus system time, in clock ticks.
    pub ticks: u64,
}

/// Reads the generator's CPU time interval by interval.
#[derive(Debug)]
pub struct CpuMeter {
    /// Threads whose name starts with this are not the generator's.
    excluded: String,
    /// Clock ticks per second.
    ticks_per_sec: f64,
    /// Each counted thread's ticks at the previous read.
    last: HashMap<u32, u64>,
}

impl CpuMeter {
    /// A meter that leaves out threads named `excluded…`, primed with the threads'
    /// current times; `None` where per-thread CPU cannot be read (not Linux, no /proc).
    pub fn start(excluded: &str) -> Option<CpuMeter> {
        let ticks_per_sec = clock_ticks_per_sec()?;
        let mut meter = CpuMeter {
            excluded: excluded.to_string(),
            ticks_per_sec,
            last: HashMap::new(),
        };
        meter.read()?;
        Some(meter)
    }

    /// The generator's CPU time since the previous read (or the start); `None` when
    /// `/proc` could not be read this time.
    pub fn read(&mut self) -> Option<Duration> {
        let threads = threads()?;
        let (ticks, seen) = delta(&self.excluded, &self.last, &threads);
        self.last = seen;
        Some(Duration::from_secs_f64(ticks as f64 / self.ticks_per_sec))
    }
}

/// The ticks the counted threads used since `last`, and the counted threads' ticks now.
fn delta(
    excluded: &str,
    last: &HashMap<u32, u64>,
    threads: &[ThreadTime],
) -> (u64, HashMap<u32, u64>) {
    let mut total = 0;
    let mut seen = HashMap::with_capacity(threads.len());
    for thread in threads.iter().filter(|t| !t.name.starts_with(excluded)) {
        let before = last.get(&thread.tid).copied().unwrap_or(0);
        // A reused thread id starts again from a smaller count: count nothing for it.
        total += thread.ticks.saturating_sub(before);
        seen.insert(thread.tid, thread.ticks);
    }
    (total, seen)
}

/// Parses one `/proc/…/task/<tid>/stat` line: the name sits in parentheses and may hold
/// spaces and parentheses itself, so fields are counted after the last `)`. User and
/// system time are fields 14 and 15.
pub fn parse_stat(tid: u32, line: &str) -> Option<ThreadTime> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let name = line.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = line.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (the state), so field n is rest[n - 3].
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some(ThreadTime {
        tid,
        name,
        ticks: utime.saturating_add(stime),
    })
}

/// Every thread of this process with its CPU time; `None` when `/proc` is unavailable.
#[cfg(target_os = "linux")]
pub fn threads() -> Option<Vec<ThreadTime>> {
    let mut threads = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        // A thread may end between listing and reading: skip it.
        if let Ok(line) = std::fs::read_to_string(entry.path().join("stat")) {
            threads.extend(parse_stat(tid, &line));
        }
    }
    Some(threads)
}

/// Not on Linux: per-thread CPU is not measured.
#[cfg(not(target_os = "linux"))]
pub fn threads() -> Option<Vec<ThreadTime>> {
    None
}

#[cfg(target_os = "linux")]
fn clock_ticks_per_sec() -> Option<f64> {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then_some(ticks as f64)
}

#[cfg(not(target_os = "linux"))]
fn clock_ticks_per_sec() -> Option<f64> {
    None
}

/// Cores this process may run on: its CPU affinity (and, where the platform says, its
/// quota); 1 when unknown.
pub fn usable_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_spaces_and_parentheses() {
        let line = "4242 (tokio (w) 1) S 1 2 3 0 -1 4194304 143 0 0 0 170 30 0 0 20 0 1 0 2170834";
        let t = parse_stat(4242, line).expect("parses");
        assert_eq!(t.name, "tokio (w) 1");
        assert_eq!(t.ticks, 200);
        assert_eq!(parse_stat(1, "garbage"), None);
        assert_eq!(parse_stat(1, "1 (x) S 1 2"), None, "too few fields");
    }

    #[test]
    fn counts_each_thread_since_its_last_read_and_leaves_the_server_out() {
        let thread = |tid, name: &str, ticks| ThreadTime {
            tid,
            name: name.to_string(),
            ticks,
        };
        let last = HashMap::from([(1, 100), (2, 50)]);
        let now = [
            thread(1, "loadgate", 130),
            thread(3, "tokio-runtime-w", 20),
            thread(4, "target-server", 500),
        ];
        let (ticks, seen) = delta("target-server", &last, &now);
        assert_eq!(ticks, 30 + 20, "thread 2 ended; thread 3 is new");
        assert_eq!(seen, HashMap::from([(1, 130), (3, 20)]));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_busy_server_thread_is_not_the_generators_cpu() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        const NAME: &str = "lg-test-server";
        let spun = || {
            threads()
                .unwrap()
                .into_iter()
                .filter(|t| t.name == NAME)
                .map(|t| t.ticks)
                .sum::<u64>()
        };
        let mut generator = CpuMeter::start(NAME).expect("Linux has /proc");
        let mut everything = CpuMeter::start("\u{0}").unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let spinner = std::thread::Builder::new()
            .name(NAME.into())
            .spawn(move || {
                let mut x = 0u64;
                while !flag.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
            })
            .unwrap();
        // Until the spinner has used 20 ticks (200 ms at the usual 100 Hz); bounded.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while spun() < 20 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let generator_cpu = generator.read().unwrap();
        let all_cpu = everything.read().unwrap();
        let spinner_cpu = Duration::from_secs_f64(spun() as f64 / generator.ticks_per_sec);
        done.store(true, Ordering::Relaxed);
        spinner.join().unwrap();
        assert!(spinner_cpu >= Duration::from_millis(200), "{spinner_cpu:?}");
        // Everything else (other tests run in this process) counts in both meters; the
        // spinner only in the one that leaves nothing out. One tick of slack.
        let tick = Duration::from_secs_f64(1.0 / generator.ticks_per_sec);
        assert!(
            all_cpu + tick >= generator_cpu + spinner_cpu - tick,
            "all {all_cpu:?}, generator {generator_cpu:?}, spinner {spinner_cpu:?}"
        );
    }
}
