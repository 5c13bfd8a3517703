//! Ctrl-C (SIGINT) and SIGTERM, which CI sends when it cancels a job: the first one stops
//! the users through Goose's killswitch, so that what was measured is kept and reported as
//! interrupted; a second one exits at once.
//!
//! The Ctrl-C handler is installed before Goose starts, so Goose's own handler (which would
//! exit 1 on a second press) is refused and ours stays in charge. SIGTERM is watched by a
//! tokio task. The exit code tells them apart: 130 after SIGINT, 143 after SIGTERM.
//!
//! `loadgate run` installs them before it starts the target, and the stop supervisor
//! keeps a caught signal in force while Goose starts up (see [`keep_in_force`]), so no
//! interrupt is lost, however early it comes.

use std::sync::atomic::{AtomicU8, Ordering};

/// Which signal stopped the run (0: none yet).
static STOPPED_BY: AtomicU8 = AtomicU8::new(0);

/// A signal that stops a run early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignalKind {
    /// Ctrl-C at a terminal.
    Interrupt = 2,
    /// `kill`, or a CI job being cancelled.
    Terminate = 15,
}

impl StopSignalKind {
    /// The signal's usual name.
    pub fn name(self) -> &'static str {
        match self {
            StopSignalKind::Interrupt => "Ctrl-C",
            StopSignalKind::Terminate => "SIGTERM",
        }
    }

    /// The conventional exit status for a process stopped by it: 128 + signal number.
    pub fn exit_status(self) -> i32 {
        128 + self as i32
    }
}

/// Installs the handlers (once per process); call from inside the tokio runtime.
pub fn install() {
    let _ = ctrlc::set_handler(|| on_signal(StopSignalKind::Interrupt));
    install_sigterm();
}

#[cfg(unix)]
fn install_sigterm() {
    use std::sync::Once;
    use tokio::signal::unix::{signal, SignalKind};
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::spawn(async move {
                while terminate.recv().await.is_some() {
                    on_signal(StopSignalKind::Terminate);
                }
            });
        }
    });
}

#[cfg(not(unix))]
fn install_sigterm() {}

fn on_signal(kind: StopSignalKind) {
    if STOPPED_BY
        .compare_exchange(0, kind as u8, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        eprintln!("\nloadgate: {} again, exiting now", kind.name());
        std::process::exit(kind.exit_status());
    }
    eprintln!(
        "\nloadgate: {}; stopping users and keeping what was measured ({} again to quit now)",
        match kind {
            StopSignalKind::Interrupt => "interrupted",
            StopSignalKind::Terminate => "terminated (SIGTERM)",
        },
        kind.name()
    );
    goose::trigger_killswitch(&format!("stopped by {}", kind.name()));
}

/// Re-triggers Goose's killswitch if a signal came and the killswitch has since been
/// cleared: Goose clears it when it initializes and when its run starts, so a signal
/// caught just before would otherwise be lost. The stop supervisor calls this while the
/// attack runs.
pub fn keep_in_force() {
    if let Some(kind) = stopped_by() {
        if !goose::is_killswitch_triggered() {
            goose::trigger_killswitch(&format!("stopped by {}", kind.name()));
        }
    }
}

/// Whether a signal stopped the run during this process.
pub fn was_interrupted() -> bool {
    stopped_by().is_some()
}

/// The first signal that stopped the run, if any.
pub fn stopped_by() -> Option<StopSignalKind> {
    match STOPPED_BY.load(Ordering::SeqCst) {
        2 => Some(StopSignalKind::Interrupt),
        15 => Some(StopSignalKind::Terminate),
        _ => None,
    }
}
