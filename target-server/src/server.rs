//! Starting and stopping a server: [`spawn`] for background use, [`serve`]
//! for running on a caller's listener until a shutdown future completes.
//!
//! Connections are accepted and served by the `conn` module (timeouts and
//! the connection cap). Shutdown order: stop accepting connections and let
//! in-flight HTTP requests finish, while every WebSocket
//! connection finishes the messages it has acknowledged and closes with
//! 1001; only then does `serve` return. Every write is committed before it
//! is acknowledged, so nothing acknowledged is lost.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::conn::{self, Deadlines, Limits};
use crate::db::Db;
use crate::error::ServerError;
use crate::router;
use crate::state::AppState;

/// A server serving in the background. Dropping it without calling
/// [`RunningServer::shutdown`] also starts a graceful shutdown, without
/// waiting for it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl RunningServer {
    /// The address actually bound (with the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL for clients, e.g. `http://127.0.0.1:8080`; a wildcard bind
    /// address is replaced by loopback so the URL is connectable.
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Shuts down gracefully and waits until the server has stopped: every
    /// in-flight request answered, every WebSocket closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => eprintln!("target-server: stopped with error: {err}"),
                Err(err) => eprintln!("target-server: server task failed: {err}"),
            }
        }
    }
}

/// Binds `addr`, starts serving in the background on the current tokio
/// runtime.
pub async fn spawn(config: ServerConfig, addr: SocketAddr) -> Result<RunningServer, ServerError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let addr = listener.local_addr()?;
    let state = prepare(config)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, state, async move {
        // A dropped sender (the RunningServer was dropped) also means stop.
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Lower level, mini-redis style: serve an already bound listener until
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let state = prepare(config)?;
    run(listener, state, shutdown).await
}

/// Validates the configuration and opens the database, so start-up errors
/// surface before anything is served.
fn prepare(config: ServerConfig) -> Result<AppState, ServerError> {
    config.validate()?;
    let db = Db::open(config.db_path.as_deref(), config.db_readers)?;
    Ok(AppState::new(config, db))
}

async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router::build(state.clone());
    let cancel = state.shutdown.clone();
    let signal = async move {
        shutdown.await;
        cancel.cancel();
    };
    let limits = Limits {
        deadlines: Deadlines {
            header: state.config.header_timeout,
            idle: state.config.idle_timeout,
        },
        max_connections: state.config.max_connections,
    };
    conn::serve(listener, app, limits, state.metrics.clone(), signal).await;
    state.shutdown.cancel();
    state.ws.wait_all_closed().await;
    Ok(())
}
