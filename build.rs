//! Build script: only tells the browser test (`tests/browser.rs`) whether Debian's
//! Chromium is installed, as the `chromium_present` cfg. Cargo cannot skip a test at
//! run time, so without a browser the test is compiled `#[ignore]`d with a reason and
//! the test runner counts it as ignored rather than passed. Nothing else is built here.

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
}
