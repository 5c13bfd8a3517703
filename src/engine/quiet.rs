//! Logging, and keeping Goose's own console output off the user's screen: loadgate's
//! progress display and summary replace it.
//!
//! Goose logs through `log` and installs its own logger unless one exists. We install
//! `env_logger` first, with a default filter that shows warnings and silences Goose, so
//! that `RUST_LOG` works for loadgate, reqwest and the bundled server
//! (`RUST_LOG=debug`, or `RUST_LOG=goose=trace` to hear Goose too). Goose also prints one
//! line to stdout per test plan that no option turns off, so stdout is gagged while the
//! attack runs.

/// The filter used when `RUST_LOG` is unset: warnings, but nothing from Goose, whose
/// warnings repeat what loadgate reports in its own words, and only errors from the SVG
/// rasterizer (it warns about harmless details of our own charts, such as a bar too
/// short to have a width).
pub const DEFAULT_FILTER: &str = "warn,goose=off,usvg=error";

/// Installs the process logger to stderr (once per process; later calls are no-ops).
pub fn install_logger() {
    let env = env_logger::Env::default().default_filter_or(DEFAULT_FILTER);
    let _ = env_logger::Builder::from_env(env)
        .target(env_logger::Target::Stderr)
        .try_init();
}

/// While alive, stdout goes nowhere; `None` when stdout cannot be redirected (then Goose's
/// single "users launched" line shows, which is harmless).
pub fn gag_stdout() -> Option<gag::Gag> {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    gag::Gag::stdout().ok()
}
