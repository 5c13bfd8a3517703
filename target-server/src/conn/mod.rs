//! Accepting and serving TCP connections, with the protections a server
//! needs against slow and idle clients (axum's own `serve` has none):
//!
//! - `registry`: the `max_connections` cap; at the cap a new connection
//!   evicts the oldest one with no request in progress.
//! - `watchdog`: the header timeout (a request head must arrive in time) and
//!   the idle timeout (a keep-alive connection must start its next request
//!   in time), enforced on the socket's reads.
//! - `activity`: the per-connection phase those two read and update.
//! - `hooks`: the service wrapper that tells the activity when a request
//!   starts and when its response is done.
//!
//! The body timeout is per request and lives in the `middleware::body`
//! layer, where the body is read.
//!
//! Graceful shutdown: stop accepting, let hyper finish every in-flight
//! request and close idle connections, wait until every connection task has
//! ended. WebSocket connections leave hyper at the upgrade; their own
//! shutdown is the `ws` module's business.

mod activity;
mod hooks;
mod registry;
mod watchdog;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::Metrics;
use hooks::Hooked;
use registry::Registry;
pub(crate) use watchdog::Deadlines;
use watchdog::Watchdog;

/// Pause after an `accept` error that is not about one connection (such as
/// running out of file descriptors), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(250);

/// The connection-level limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Header and idle timeouts.
    pub(crate) deadlines: Deadlines,
    /// Connections served at once.
    pub(crate) max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes, then shuts down
/// gracefully and returns once every connection has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let registry = Registry::new(limits.max_connections, metrics.clone());
    let connections = TaskTracker::new();
    let draining = CancellationToken::new();
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => tcp,
                Err(err) => {
                    on_accept_error(&err).await;
                    continue;
                }
            },
        };
        // Refused at the cap: dropping the socket closes it.
        let Some(entry) = registry.admit() else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let watched = Watchdog::new(tcp, entry, limits.deadlines, metrics.clone());
        connections.spawn(serve_connection(watched, app.clone(), draining.clone()));
    }
    drop(listener);
    draining.cancel();
    connections.close();
    connections.wait().await;
}

/// Serves one connection until it closes, is evicted, or (on shutdown)
/// has finished its request in progress.
async fn serve_connection(watched: Watchdog<TcpStream>, app: Router, draining: CancellationToken) {
    let activity = watched.entry().activity().clone();
    let service = Hooked::new(app, activity.clone());
    let mut builder = http1::Builder::new();
    // The watchdog enforces the header timeout; hyper's own would also cut
    // keep-alive connections resting between requests.
    builder.header_read_timeout(None);
    let conn = builder
        .serve_connection(TokioIo::new(watched), service)
        .with_upgrades();
    tokio::pin!(conn);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            // An error here is the client's doing (reset, garbage, a missed
            // deadline); the connection is simply closed.
            _ = conn.as_mut() => break,
            () = draining.cancelled(), if !shutting_down => {
                shutting_down = true;
                conn.as_mut().graceful_shutdown();
            }
            // Dropping the connection closes its socket.
            () = activity.evicted() => break,
        }
    }
}

/// Errors about one connection (it was reset before we took it) are
/// ignored; anything else (out of file descriptors, ...) is reported and
/// followed by a short pause.
async fn on_accept_error(err: &io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    eprintln!("target-server: accept failed: {err}");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}
