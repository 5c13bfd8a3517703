//! Build script: only tells three tests whether the tools they drive are installed:
//! Debian's Chromium for the browser test (`tests/browser.rs`, the `chromium_present`
//! cfg), `kubernetes-validate` for the manifest test (`tests/deploy.rs`, the
//! `kubernetes_validate_present` cfg) and `openssl` for the TLS test (`tests/tls.rs`,
//! the `openssl_present` cfg). Cargo cannot skip a test at run time, so without
//! the tool the test is compiled `#[ignore]`d with a reason and the test runner counts
//! it as ignored rather than passed. Nothing else is built here.

use std::path::Path;

/// Where Debian's `chromium` package puts the browser (the same path the test uses).
const CHROMIUM: &str = "/usr/bin/chromium";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(chromium_present)");
    // Installing or removing a program changes its folder; that is when to look again.
    println!("cargo::rerun-if-changed=/usr/bin");
    println!("cargo::rerun-if-changed=build.rs");
    if Path::new(CHROMIUM).exists() {
        println!("cargo::rustc-cfg=chromium_present");
    }
    println!("cargo::rerun-if-env-changed=PATH");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<_> = std::env::split_paths(&path)
        .filter(|dir| dir.is_dir())
        .collect();
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    for (command, cfg) in COMMANDS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if dirs.iter().any(|dir| dir.join(command).is_file()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}

/// Commands looked for on the PATH, and the cfg each one's presence sets:
/// `pip install kubernetes-validate` and Debian's `openssl` put them there.
const COMMANDS: [(&str, &str); 2] = [
    ("kubernetes-validate", "kubernetes_validate_present"),
    ("openssl", "openssl_present"),
];
