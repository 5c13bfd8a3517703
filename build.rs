//! Build script: only tells two tests whether the tools they drive are installed:
//! Debian's Chromium for the browser test (`tests/browser.rs`, the `chromium_present`
//! cfg) and `kubernetes-validate` for the manifest test (`tests/deploy.rs`, the
//! `kubernetes_validate_present` cfg). Cargo cannot skip a test at run time, so without
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
    println!("cargo::rustc-check-cfg=cfg(kubernetes_validate_present)");
    println!("cargo::rerun-if-env-changed=PATH");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut found = false;
    for dir in std::env::split_paths(&path).filter(|dir| dir.is_dir()) {
        println!("cargo::rerun-if-changed={}", dir.display());
        found |= dir.join(KUBERNETES_VALIDATE).is_file();
    }
    if found {
        println!("cargo::rustc-cfg=kubernetes_validate_present");
    }
}

/// The command `pip install kubernetes-validate` puts on the PATH.
const KUBERNETES_VALIDATE: &str = "kubernetes-validate";
