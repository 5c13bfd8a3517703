//! The scenario layer: YAML in, a checked [`Scenario`] out, or every problem with its
//! file, line, column and field.
//!
//! - `reader`: span-aware YAML reading that collects problems instead of stopping;
//! - `parse`: the scenario format itself; `rules`: checks across a flow's steps;
//! - `model`: the checked types the engine runs; `template`: `${…}` references;
//! - `duration`: `10s`, `250ms`, `200ms..1s`; `rate`: `50/s`; `diagnostic`: how problems
//!   print;
//! - `source`: what text may reach the parser (size, file type, encoding, characters);
//!   `tree`: the YAML tree, built without recursion, with a depth limit and one document;
//! - `names`: what names may hold; `http_values`: header names and values, JSON pointers;
//! - `shard`: one shard's part of a scenario split across processes (`--shard I/N`).
//! - `monitor`: the `monitor:` block (metrics URL, scrape interval, named series).

pub mod diagnostic;
pub mod duration;
pub mod http_values;
pub mod model;
pub mod monitor;
#[cfg(test)]
mod monitor_tests;
pub mod names;
pub mod parse;
#[cfg(test)]
mod parse_tests;
pub mod rate;
pub mod reader;
pub mod rules;
pub mod shard;
pub mod source;
pub mod template;
pub mod tree;

pub use diagnostic::{Diagnostic, Diagnostics, Position};
pub use model::*;
pub use parse::{load_scenario, parse_scenario, parse_scenario_bytes};
