//! Keeps Goose's own console output off the user's screen: loadgate's progress display
//! and summary replace it.
//!
//! Goose logs through `log` (a logger it installs unless one exists) and prints one line
//! to stdout per test plan that no option turns off; we install a logger that drops
//! everything and gag stdout for the duration of the attack.

/// Drops every log record: loadgate reports through its own output, not `log`.
struct Silent;

impl log::Log for Silent {
    fn enabled(&self, _: &log::Metadata) -> bool {
        false
    }
    fn log(&self, _: &log::Record) {}
    fn flush(&self) {}
}

/// Installs the silent logger (once per process; later calls are no-ops).
pub fn silence_goose_logging() {
    static SILENT: Silent = Silent;
    let _ = log::set_logger(&SILENT);
}

/// While alive, stdout goes nowhere; `None` when stdout cannot be redirected (then Goose's
/// single "users launched" line shows, which is harmless).
pub fn gag_stdout() -> Option<gag::Gag> {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    gag::Gag::stdout().ok()
}
