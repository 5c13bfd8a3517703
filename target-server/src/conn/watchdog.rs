//! The socket wrapper that enforces the header and idle timeouts.
//!
//! hyper has a header read timeout, but it starts whenever the connection
//! waits for a head, so it cannot tell a keep-alive connection resting
//! between requests (allowed `idle_timeout`) from a client trickling a head
//! (allowed `header_timeout`). This wrapper can: it sees every read, and the
//! connection's [`Activity`] tells it whether a request is in progress.
//!
//! - `Head` (a fresh connection, or the first byte of a later request has
//!   arrived): the head must be complete within `header_timeout`.
//! - `Idle` (a response is done): the next request must start within
//!   `idle_timeout`.
//! - `Busy`, `Upgraded`: no deadline here.
//!
//! A missed deadline turns the pending read into a `TimedOut` error, which
//! makes hyper drop the connection. The wrapper also owns the connection's
//! [`Registered`] entry, so the connection counts against
//! `max_connections` exactly as long as its socket is open, even after a
//! WebSocket upgrade has taken the socket away from hyper.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::conn::activity::{Activity, Phase};
use crate::conn::registry::Registered;
use crate::metrics::{DropReason, Metrics};

/// The two connection-level deadlines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    /// Time allowed for a whole request head.
    pub(crate) header: Duration,
    /// Time allowed between a response and the next request's first byte.
    pub(crate) idle: Duration,
}

/// A socket whose reads fail once the current phase's deadline has passed.
pub(crate) struct Watchdog<IO> {
    io: IO,
    entry: Registered,
    activity: Arc<Activity>,
    deadlines: Deadlines,
    metrics: Arc<Metrics>,
    /// Generation of the activity the deadline was armed for.
    seen: u64,
    /// Which timeout `sleep` stands for, if one is armed.
    armed: Option<DropReason>,
    sleep: Pin<Box<Sleep>>,
}

impl<IO> Watchdog<IO> {
    /// Wraps a freshly accepted socket; the header deadline starts now.
    pub(crate) fn new(
        io: IO,
        entry: Registered,
        deadlines: Deadlines,
        metrics: Arc<Metrics>,
    ) -> Self {
        let activity = entry.activity().clone();
        let (phase, seen) = activity.snapshot();
        let mut watchdog = Self {
            io,
            entry,
            activity,
            deadlines,
            metrics,
            seen,
            armed: None,
            sleep: Box::pin(tokio::time::sleep(deadlines.header)),
        };
        watchdog.arm(phase);
        watchdog
    }

    /// The connection's registry entry.
    pub(crate) fn entry(&self) -> &Registered {
        &self.entry
    }

    /// Re-arms the deadline if the phase changed since it was last armed.
    fn follow(&mut self) {
        let (phase, generation) = self.activity.snapshot();
        if generation != self.seen {
            self.seen = generation;
            self.arm(phase);
        }
    }

    fn arm(&mut self, phase: Phase) {
        let (reason, after) = match phase {
            Phase::Head => (DropReason::HeaderTimeout, self.deadlines.header),
            Phase::Idle => (DropReason::IdleTimeout, self.deadlines.idle),
            Phase::Busy | Phase::Upgraded => {
                self.armed = None;
                return;
            }
        };
        self.armed = Some(reason);
        self.sleep.as_mut().reset(Instant::now() + after);
    }

    /// Called when a read found no data: fails it if the deadline passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(reason) = self.armed else {
            return Poll::Pending;
        };
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.armed = None;
        self.metrics.connection_dropped(reason);
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("connection closed: {}", reason.label()),
        )))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watchdog<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.activity.watch(cx.waker());
        this.follow();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && this.activity.phase() == Phase::Idle {
                    // The first byte of the next request: its head is due.
                    this.seen = this.activity.enter(Phase::Head);
                    this.arm(Phase::Head);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => this.poll_deadline(cx),
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watchdog<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::registry::Registry;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    fn watched(io: DuplexStream, header_ms: u64, idle_ms: u64) -> Watchdog<DuplexStream> {
        let metrics = Arc::new(Metrics::default());
        let entry = Registry::new(4, metrics.clone()).admit().unwrap();
        let deadlines = Deadlines {
            header: Duration::from_millis(header_ms),
            idle: Duration::from_millis(idle_ms),
        };
        Watchdog::new(io, entry, deadlines, metrics)
    }

    /// Reads once, bounded so a broken deadline fails the test instead of
    /// hanging it.
    async fn read_once(watchdog: &mut Watchdog<DuplexStream>) -> io::Result<usize> {
        let mut buf = [0u8; 64];
        tokio::time::timeout(Duration::from_secs(10), watchdog.read(&mut buf))
            .await
            .expect("the read ends by itself")
    }

    #[tokio::test]
    async fn a_head_that_never_completes_times_out() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut watchdog = watched(server, 100, 5_000);
        client.write_all(b"GET / HT").await.unwrap();
        assert_eq!(read_once(&mut watchdog).await.unwrap(), 8);
        let started = Instant::now();
        let err = read_once(&mut watchdog).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("header_timeout"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn busy_connections_have_no_deadline_idle_ones_the_idle_one() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut watchdog = watched(server, 50, 300);
        let activity = watchdog.entry().activity().clone();
        let busy = activity.enter(Phase::Busy);
        // Well past the header deadline, a busy connection still reads.
        let late = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            client.write_all(b"x").await.unwrap();
        };
        let (read, ()) = tokio::join!(read_once(&mut watchdog), late);
        assert_eq!(read.unwrap(), 1);

        // Back to idle: the idle deadline (not the header one) applies.
        activity.request_done(busy);
        let started = Instant::now();
        let err = read_once(&mut watchdog).await.unwrap_err();
        assert!(err.to_string().contains("idle_timeout"), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn a_read_parked_while_busy_gets_the_idle_deadline_once_idle() {
        let (_client, server) = tokio::io::duplex(64);
        let mut watchdog = watched(server, 50, 200);
        let activity = watchdog.entry().activity().clone();
        let busy = activity.enter(Phase::Busy);
        // The response ends, on another task, while the read is parked:
        // only the activity's wake-up can get the idle deadline armed.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            activity.request_done(busy);
        });
        let err = read_once(&mut watchdog).await.unwrap_err();
        assert!(err.to_string().contains("idle_timeout"), "{err}");
    }

    #[tokio::test]
    async fn upgraded_connections_have_no_deadline() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut watchdog = watched(server, 50, 50);
        watchdog.entry().activity().enter(Phase::Upgraded);
        let late = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            client.write_all(b"y").await.unwrap();
        };
        let (read, ()) = tokio::join!(read_once(&mut watchdog), late);
        assert_eq!(read.unwrap(), 1);
    }

    #[tokio::test]
    async fn the_first_byte_after_idle_starts_the_header_deadline() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut watchdog = watched(server, 100, 60_000);
        watchdog.entry().activity().enter(Phase::Idle);
        client.write_all(b"G").await.unwrap();
        assert_eq!(read_once(&mut watchdog).await.unwrap(), 1);
        assert_eq!(watchdog.entry().activity().phase(), Phase::Head);
        let err = read_once(&mut watchdog).await.unwrap_err();
        assert!(err.to_string().contains("header_timeout"), "{err}");
    }
}
