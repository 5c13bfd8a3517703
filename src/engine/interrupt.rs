//! Ctrl-C: the first press stops the users through Goose's killswitch so that what was
//! measured is kept and reported as interrupted; a second press exits at once with 130.
//!
//! Installed before Goose starts, so Goose's own handler (which would exit 1 on a second
//! press) is refused and ours stays in charge.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("\nloadgate: interrupted twice, exiting now");
            std::process::exit(130);
        }
        eprintln!("\nloadgate: interrupted; stopping users and keeping what was measured (Ctrl-C again to quit now)");
        goose::trigger_killswitch("interrupted by Ctrl-C");
    });
}

/// Whether the user pressed Ctrl-C during this process.
pub fn was_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
