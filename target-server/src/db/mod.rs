//! The embedded SQLite database: how it is opened and how async code reaches
//! it.
//!
//! A file database (`--db PATH`) runs in WAL mode with `synchronous=FULL`, so
//! a committed message survives a crash, and uses one writer connection plus
//! a few read-only ones so reads never wait behind a write. An in-memory
//! database is private to one connection, so both roles share that single
//! connection.

pub(crate) mod pool;
pub(crate) mod schema;
pub(crate) mod store;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use pool::Pool;

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite reported an error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The pool has no connection to hand out (it was shut down).
    #[error("database pool closed")]
    Closed,
    /// The blocking task running the query panicked.
    #[error("database task panicked")]
    Panicked,
}

/// How long a connection waits on a lock held by another connection before
/// giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Handle to the database, cheap to clone into every request.
#[derive(Clone)]
pub(crate) struct Db {
    writer: Pool,
    readers: Pool,
}

impl Db {
    /// Opens (creating if needed) and migrates the database: in memory when
    /// `path` is `None`, else the file at `path` with `readers` read-only
    /// connections.
    pub(crate) fn open(path: Option<&Path>, readers: usize) -> Result<Self, DbError> {
        match path {
            None => {
                let conn = Connection::open_in_memory()?;
                configure(&conn, false)?;
                schema::migrate(&conn)?;
                let pool = Pool::new(vec![conn]);
                Ok(Self {
                    writer: pool.clone(),
                    readers: pool,
                })
            }
            Some(path) => {
                let writer = Connection::open(path)?;
                configure(&writer, true)?;
                schema::migrate(&writer)?;
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let readers = (0..readers)
                    .map(|_| {
                        let conn = Connection::open_with_flags(path, flags)?;
                        configure(&conn, false)?;
                        Ok(conn)
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(Self {
                    writer: Pool::new(vec![writer]),
                    readers: Pool::new(readers),
                })
            }
        }
    }

    /// Runs a read-only query on a reader connection.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.readers.run(f).await
    }

    /// Runs a write on the single writer connection; when this returns `Ok`
    /// the change is committed (and, for a file database, on disk).
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.writer.run(f).await
    }
}

/// Applies the per-connection settings; `file_writer` also switches the
/// database to WAL with full fsync on commit.
fn configure(conn: &Connection, file_writer: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    if file_writer {
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    conn.set_prepared_statement_cache_capacity(32);
    Ok(())
}
