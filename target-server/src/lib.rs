//! Reference chatbot backend that loadgate drives in its tests, demos and
//! benchmarks.
//!
//! It is a small but honest service: token auth, bots, conversations and
//! messages stored in embedded SQLite, replies streamed over WebSocket,
//! Prometheus metrics, bounded concurrency, graceful shutdown and fault
//! injection (latency, jitter, error rate) so a load test has something real
//! to measure and something to catch.
//!
//! Use [`spawn`] to run it in the background of a tokio runtime (what the
//! loadgate CLI and the tests do) or [`serve`] to run it on a listener you
//! bound yourself until a shutdown future completes (what the binary does).
//!
//! # Layout
//!
//! - [`config`]: [`ServerConfig`], its defaults and the fixed limits.
//! - [`error`]: [`ServerError`] for start-up and `ApiError`, the JSON error
//!   body every failed request gets.
//! - [`model`]: the JSON shapes of bots, conversations, messages and pages.
//! - `server`: [`spawn`], [`serve`], [`RunningServer`] and graceful shutdown.
//! - `conn`: accepting and serving connections: the `max_connections` cap,
//!   the header and idle timeouts, graceful connection shutdown.
//! - `router`: which routes exist and which middleware wraps each of them.
//! - `state`: the shared state handed to every handler.
//! - `db`: SQLite behind a small async connection pool (`db::pool`), the
//!   schema and seed data (`db::schema`) and every query (`db::store`).
//! - `auth`: bearer tokens and the extractor that resolves them to a user;
//!   `sessions`: the in-memory token map in front of the database.
//! - `cache`: the bot list cache with hit/miss counters.
//! - `chat`: the send-a-message flow shared by REST and WebSocket.
//! - `reply`: the deterministic reply generator and its tokenizer.
//! - `extract`: request extractors whose failures are JSON `ApiError`s.
//! - `metrics`: counters, histogram and gauges, rendered as Prometheus text;
//!   `process`: the standard `process_*` figures read from `/proc`.
//! - `middleware`: request accounting, body reading (size limit and body
//!   timeout), the in-flight limit, fault injection and the catch-all that
//!   turns non-JSON error bodies into JSON.
//! - `routes`: one module per resource (auth, bots, conversations, messages,
//!   health, metrics).
//! - `ws`: the WebSocket upgrade (`ws`), frame types (`ws::protocol`) and the
//!   per-connection loop (`ws::session`); `ws_slots`: the `max_ws` count.
//! - `slowdown`: the `--slowdown` switch that stretches every answer; `leak`:
//!   the `--leak-kb-per-request` switch that keeps memory on purpose.
//! - `time`: clock and RFC 3339 formatting.
//! - [`cli`]: the command-line flags of the `target-server` binary.

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod error;
pub mod model;

mod auth;
mod cache;
mod chat;
mod conn;
mod db;
mod extract;
mod leak;
mod metrics;
mod middleware;
mod process;
mod reply;
mod router;
mod routes;
mod server;
mod sessions;
mod slowdown;
mod state;
mod time;
mod ws;
mod ws_slots;

pub use config::ServerConfig;
pub use db::DbError;
pub use error::ServerError;
pub use server::{serve, spawn, RunningServer};
