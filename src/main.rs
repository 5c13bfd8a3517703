//! loadgate: load tests for chat platforms, described in YAML and run on Goose.
fn main() {
    println!("loadgate: engine not built yet");
}
