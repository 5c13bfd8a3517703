//! A property test: mutated copies of the shipped scenarios (byte flips, inserted control
//! characters, dropped and duplicated lines, deep nesting, huge scalars, stray YAML
//! tokens) must never make `validate` panic, hang or take more than a second. Each case
//! either validates or is refused with positioned problems.
//!
//! The normal suite runs a few hundred cases. For many more (see README.md):
//!
//! ```sh
//! LOADGATE_MUTATIONS=20000 cargo test --release --test mutations
//! ```
//!
//! Every case is seeded: a failure prints the seed and case number, and
//! `LOADGATE_MUTATION_SEED=<seed> LOADGATE_MUTATION_CASE=<n>` replays exactly that case.
//! Before each case, its input is written to `mutation-last-case.yaml` in Cargo's test
//! temp folder, so even a crash that kills the process leaves the input behind.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Cases in the normal suite when `LOADGATE_MUTATIONS` is not set.
const DEFAULT_CASES: u64 = 300;

/// The seed when `LOADGATE_MUTATION_SEED` is not set (fixed, so CI runs are repeatable).
const DEFAULT_SEED: u64 = 0x10AD_6A7E;

/// A hang detector, not a speed benchmark: a real check takes milliseconds.
const CASE_LIMIT: Duration = Duration::from_secs(1);

const SHIPPED: &[&str] = &["normal.yaml", "stress.yaml", "spike.yaml"];

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn shipped(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
    .expect("shipped scenario")
}

/// Text that makes YAML, templates or the checks work hard.
const TOKENS: &[&str] = &[
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "#",
    "\"",
    "'",
    "|\n",
    ">\n",
    "\t",
    "\r",
    "\r\n",
    "\0",
    "\u{1b}[31m",
    "\u{feff}",
    "\u{202e}",
    "${",
    "}",
    "${user}",
    "${env.X:-${user}}",
    "$${",
    "~",
    "~2",
    "\\e",
    "\\0",
    "\\u0000",
    "µs",
    "1 second",
    "0s",
    "[]",
    "{}",
    "null",
    "-1",
    "99999999999999999999",
    "1e308",
    "p95 < 1µs",
    " for ",
    " in stage ",
    "\u{FFFE}",
    "\u{85}",
    "%YAML 1.2\n",
];

/// One mutation, applied in place; returns a short description for failure messages.
fn mutate(rng: &mut StdRng, bytes: &mut Vec<u8>, donor: &[u8]) -> String {
    let len = bytes.len().max(1);
    match rng.random_range(0..12) {
        0 => {
            let at = rng.random_range(0..len).min(bytes.len().saturating_sub(1));
            let value: u8 = rng.random();
            if let Some(b) = bytes.get_mut(at) {
                *b = value;
            }
            format!("byte {at} := 0x{value:02x}")
        }
        1 => {
            let at = rng.random_range(0..len).min(bytes.len().saturating_sub(1));
            let bit = rng.random_range(0..8);
            if let Some(b) = bytes.get_mut(at) {
                *b ^= 1 << bit;
            }
            format!("flip bit {bit} of byte {at}")
        }
        2 => {
            let at = rng.random_range(0..=bytes.len());
            let value = rng.random_range(0u8..0x20);
            bytes.insert(at, value);
            format!("insert control 0x{value:02x} at {at}")
        }
        3 => {
            let at = rng.random_range(0..=bytes.len());
            let token = TOKENS[rng.random_range(0..TOKENS.len())];
            bytes.splice(at..at, token.bytes());
            format!("insert {token:?} at {at}")
        }
        4 => {
            let at = rng.random_range(0..=bytes.len());
            let end = (at + rng.random_range(1..200)).min(bytes.len());
            bytes.drain(at..end);
            format!("delete {at}..{end}")
        }
        5 | 6 => line_edit(rng, bytes),
        7 => {
            let depth = [65, 200, 5_000, 50_000][rng.random_range(0..4)];
            let at = line_start(rng, bytes);
            let nest = if rng.random_bool(0.5) {
                format!("{}1{}\n", "[".repeat(depth), "]".repeat(depth))
            } else {
                format!("{}1\n", "- ".repeat(depth))
            };
            bytes.splice(at..at, nest.bytes());
            format!("nesting {depth} deep at {at}")
        }
        8 => {
            let size = [1_000, 100_000, 1 << 20][rng.random_range(0..3)];
            let at = rng.random_range(0..=bytes.len());
            let fill = [b'x', b' ', b'[', b'-', b'\n', b'"'][rng.random_range(0..6)];
            bytes.splice(at..at, std::iter::repeat_n(fill, size));
            format!("{size} x {:?} at {at}", fill as char)
        }
        9 => {
            let cut = rng.random_range(0..=bytes.len());
            bytes.truncate(cut);
            format!("truncate at {cut}")
        }
        10 => {
            let start = rng.random_range(0..donor.len());
            let end = (start + rng.random_range(1..400)).min(donor.len());
            let at = rng.random_range(0..=bytes.len());
            bytes.splice(at..at, donor[start..end].iter().copied());
            format!("splice donor {start}..{end} at {at}")
        }
        _ => {
            let copy = bytes.clone();
            bytes.extend_from_slice(b"\n");
            bytes.extend_from_slice(&copy);
            "file twice".to_string()
        }
    }
}

/// The start of a random line.
fn line_start(rng: &mut StdRng, bytes: &[u8]) -> usize {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    starts[rng.random_range(0..starts.len())]
}

/// Drops, duplicates (up to a thousand times) or swaps whole lines.
fn line_edit(rng: &mut StdRng, bytes: &mut Vec<u8>) -> String {
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let i = rng.random_range(0..lines.len());
    let what = match rng.random_range(0..3) {
        0 => {
            lines.remove(i);
            format!("drop line {}", i + 1)
        }
        1 => {
            let times = [1, 2, 10, 1_000][rng.random_range(0..4)];
            let line = lines[i].clone();
            for _ in 0..times {
                lines.insert(i, line.clone());
            }
            format!("duplicate line {} x{times}", i + 1)
        }
        _ => {
            let j = rng.random_range(0..lines.len());
            lines.swap(i, j);
            format!("swap lines {} and {}", i + 1, j + 1)
        }
    };
    *bytes = lines.join(&b'\n');
    what
}

/// The mutated scenario for `case`, with what was done to it; 1 to 4 mutations of a
/// shipped scenario (and sometimes of the budgets file it points at).
fn make_case(seed: u64, case: u64) -> (Vec<u8>, Option<Vec<u8>>, Vec<String>) {
    let mut rng = StdRng::seed_from_u64(seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let base = SHIPPED[rng.random_range(0..SHIPPED.len())];
    let donor = shipped(SHIPPED[rng.random_range(0..SHIPPED.len())]);
    let mut scenario = shipped(base);
    let mut slo = None;
    let mut what = vec![format!("from {base}")];
    for _ in 0..rng.random_range(1..=4) {
        if rng.random_bool(0.15) {
            let budgets = slo.get_or_insert_with(|| shipped("slo.yaml"));
            what.push(format!("slo.yaml: {}", mutate(&mut rng, budgets, &donor)));
        } else {
            what.push(mutate(&mut rng, &mut scenario, &donor));
        }
    }
    (scenario, slo, what)
}

/// Validates `scenario` in its own thread; `Err` if it panicked or overran the limit.
fn validate_with_limit(dir: &Path, scenario: &[u8], slo: &[u8]) -> Result<Duration, String> {
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, scenario).unwrap();
    std::fs::write(dir.join("slo.yaml"), slo).unwrap();
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    let worker = std::thread::spawn(move || {
        let outcome = loadgate::validate::check(&path, &|_| None);
        let positioned = match &outcome {
            Ok(_) => true,
            Err(problems) => {
                !problems.0.is_empty() && problems.0.iter().all(|d| d.position.line > 0)
            }
        };
        let _ = tx.send(positioned);
    });
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(true) => {
            let _ = worker.join();
            Ok(started.elapsed())
        }
        Ok(false) => Err("refused without a line:column for every problem".into()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("took longer than {CASE_LIMIT:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("validate panicked".into()),
    }
}

#[test]
fn mutated_shipped_scenarios_never_panic_hang_or_crawl() {
    let seed = env_number("LOADGATE_MUTATION_SEED").unwrap_or(DEFAULT_SEED);
    let cases: Vec<u64> = match env_number("LOADGATE_MUTATION_CASE") {
        Some(one) => vec![one],
        None => (0..env_number("LOADGATE_MUTATIONS").unwrap_or(DEFAULT_CASES)).collect(),
    };
    let dir = tempfile::tempdir().unwrap();
    let last_case = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutation-last-case.yaml");
    let original_slo = shipped("slo.yaml");
    let (mut slowest, mut slowest_case) = (Duration::ZERO, 0);
    for &case in &cases {
        let (scenario, slo, what) = make_case(seed, case);
        std::fs::write(&last_case, &scenario).unwrap();
        let slo = slo.unwrap_or_else(|| original_slo.clone());
        match validate_with_limit(dir.path(), &scenario, &slo) {
            Ok(took) if took > slowest => (slowest, slowest_case) = (took, case),
            Ok(_) => {}
            Err(problem) => panic!(
                "case {case} (seed {seed:#x}): {problem}\nmutations: {}\ninput kept in {}\nreplay: LOADGATE_MUTATION_SEED={seed:#x} LOADGATE_MUTATION_CASE={case} cargo test --test mutations",
                what.join("; "),
                last_case.display()
            ),
        }
    }
    eprintln!(
        "{} mutated scenarios validated (seed {seed:#x}); slowest: case {slowest_case}, {slowest:?}",
        cases.len()
    );
}
