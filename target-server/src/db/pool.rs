//! A tiny async pool of SQLite connections.
//!
//! Callers wait for a free connection on a semaphore (never blocking a
//! runtime thread), and the query itself runs on tokio's blocking pool. The
//! connection travels into the blocking task together with its permit and is
//! handed back from there, so dropping the caller's future (a client hanging
//! up) can never lose a connection or leave a permit without one.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::DbError;

/// A fixed set of connections shared by all requests.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

/// A connection on loan; returns itself to the pool when dropped, even if
/// the query panicked.
struct Lease {
    conn: Option<Connection>,
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.inner
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(conn);
        }
    }
}

impl Pool {
    /// Wraps already configured connections.
    pub(crate) fn new(conns: Vec<Connection>) -> Self {
        let permits = Arc::new(Semaphore::new(conns.len()));
        Self {
            inner: Arc::new(Inner {
                idle: Mutex::new(conns),
                permits,
            }),
        }
    }

    /// Runs `f` with a connection on the blocking pool once one is free.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| DbError::Closed)?;
        let conn = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
            .ok_or(DbError::Closed)?;
        let mut lease = Lease {
            conn: Some(conn),
            inner: Arc::clone(&self.inner),
            _permit: permit,
        };
        tokio::task::spawn_blocking(move || {
            let conn = lease.conn.as_mut().expect("lease holds a connection");
            f(conn)
        })
        .await
        .map_err(|_| DbError::Panicked)?
        .map_err(DbError::from)
    }
}
