//! What one simulated user carries between its steps: variables, its WebSocket and the
//! time of its last send (WebSocket latencies are measured from it).
//!
//! Goose keeps per-user data that must be `Clone`; a socket is not, so the state lives
//! behind an `Arc<Mutex<…>>` that only its own user ever locks.

use super::redact::Secrets;
use crate::scenario::template::Vars;
use futures_util::stream::SplitSink;
use futures_util::StreamExt;
use goose::prelude::GooseUser;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket as tokio-tungstenite opens it.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Most bytes of frames a connection holds that the scenario has not read yet. Past it,
/// arriving frames are dropped and counted, and the next `ws_receive` fails as
/// `websocket overflow`; so memory stays bounded however fast a server sends.
pub const MAX_BUFFERED_BYTES: usize = 8 * 1024 * 1024;

/// What a buffered frame costs beyond its payload, so that a flood of empty frames is
/// bounded too.
const FRAME_OVERHEAD: usize = 128;

/// A frame (or read error) stamped with when it arrived.
pub struct Arrived {
    /// When the reader task got it off the socket.
    pub at: Instant,
    /// The frame, or why reading stopped.
    pub message: Result<Message, WsError>,
    /// Bytes it holds in the buffer.
    cost: usize,
}

/// Frames dropped because the buffer was full, not yet reported by a receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dropped {
    /// How many frames.
    pub frames: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

/// The byte count shared by the reader task and the user's receives.
#[derive(Default)]
struct Backlog {
    bytes: AtomicUsize,
    dropped_frames: AtomicU64,
    dropped_bytes: AtomicU64,
}

/// An open WebSocket whose frames a background task reads as they arrive, so that
/// receive latencies are arrival times, never inflated by the user's think time.
pub struct Connection {
    /// Where sends go.
    pub sink: SplitSink<Socket, Message>,
    /// Frames in arrival order; closed when the socket ends.
    frames: mpsc::UnboundedReceiver<Arrived>,
    backlog: Arc<Backlog>,
    reader: JoinHandle<()>,
}

impl Connection {
    /// Splits `socket` and starts its reader task. Pings and pongs are not buffered
    /// (tungstenite answers pings itself); data frames are, up to [`MAX_BUFFERED_BYTES`].
    pub fn start(socket: Socket) -> Self {
        let (sink, mut stream) = socket.split();
        let (tx, frames) = mpsc::unbounded_channel();
        let backlog = Arc::new(Backlog::default());
        let shared = backlog.clone();
        let reader = tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let at = Instant::now();
                let (cost, payload) = match &message {
                    Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                    Ok(m) => (m.len() + FRAME_OVERHEAD, m.len()),
                    Err(_) => (FRAME_OVERHEAD, 0),
                };
                let failed = message.is_err();
                if !failed && !shared.reserve(cost) {
                    shared.dropped_frames.fetch_add(1, Ordering::Relaxed);
                    shared
                        .dropped_bytes
                        .fetch_add(payload as u64, Ordering::Relaxed);
                    continue;
                }
                if failed {
                    shared.bytes.fetch_add(cost, Ordering::Relaxed);
                }
                if tx.send(Arrived { at, message, cost }).is_err() || failed {
                    break;
                }
            }
        });
        Connection {
            sink,
            frames,
            backlog,
            reader,
        }
    }

    /// The next frame in arrival order; `None` once the socket has ended.
    pub async fn next_frame(&mut self) -> Option<Arrived> {
        let arrived = self.frames.recv().await?;
        self.backlog
            .bytes
            .fetch_sub(arrived.cost, Ordering::Relaxed);
        Some(arrived)
    }

    /// Frames dropped since the last call.
    pub fn take_dropped(&self) -> Dropped {
        Dropped {
            frames: self.backlog.dropped_frames.swap(0, Ordering::Relaxed),
            bytes: self.backlog.dropped_bytes.swap(0, Ordering::Relaxed),
        }
    }

    /// Waits (bounded by the caller) for the reader to see the socket end.
    pub async fn reader_finished(&mut self) {
        let _ = (&mut self.reader).await;
    }
}

impl Backlog {
    /// Takes room for `cost` bytes; false when the buffer is too full. A frame that fits
    /// the limit on its own always gets in once the buffer has drained.
    fn reserve(&self, cost: usize) -> bool {
        let held = self.bytes.load(Ordering::Relaxed);
        if held > 0 && held + cost > MAX_BUFFERED_BYTES {
            return false;
        }
        self.bytes.fetch_add(cost, Ordering::Relaxed);
        true
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// One user's state.
#[derive(Default)]
pub struct UserState {
    /// `${user}` and extracted variables.
    pub vars: Vars,
    /// The WebSocket opened by `ws_connect`, until closed.
    pub socket: Option<Connection>,
    /// When the last frame was sent; receives measure from here.
    pub last_send: Option<Instant>,
    /// Credentials this user has sent or extracted, kept out of failure details.
    pub secrets: Secrets,
    /// Open model: set before each step of an iteration to how late the step started
    /// against its intended time (the iteration's lateness for its first step, zero
    /// after), so its sample is timed from the intended start. Taken by the next record.
    pub intended_lag: Option<std::time::Duration>,
    /// Set while one of the flow's `setup:` steps runs: its samples count in the step's
    /// totals but in no stage.
    pub in_setup: bool,
    /// What this user's HTTP steps send with, from its first one on.
    pub http: Option<super::transport::HttpService>,
}

/// Cloneable handle stored as Goose session data.
#[derive(Clone, Default)]
pub struct SessionHandle(pub Arc<Mutex<UserState>>);

/// The user's state handle, created on first use with `${user}` = Goose's index +
/// `first_user` (1, or past the users of the shards before this one).
pub fn session_of(user: &mut GooseUser, first_user: usize) -> SessionHandle {
    if let Some(handle) = user.get_session_data::<SessionHandle>() {
        return handle.clone();
    }
    let state = UserState {
        vars: Vars {
            user: user.weighted_users_index + first_user,
            ..Default::default()
        },
        ..Default::default()
    };
    let handle = SessionHandle(Arc::new(Mutex::new(state)));
    user.set_session_data(handle.clone());
    handle
}
