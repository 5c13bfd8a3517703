//! Turning a [`RunSummary`] into what people read: the terminal table and the files of
//! the report folder.

pub mod terminal;

/// Formats microseconds for people: `850µs`, `12.3ms`, `1.52s`.
pub fn format_micros(micros: u64) -> String {
    if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{:.1}ms", micros as f64 / 1_000.0)
    } else {
        format!("{:.2}s", micros as f64 / 1_000_000.0)
    }
}
