//! What one simulated user carries between its steps: variables, its WebSocket and the
//! time of its last send (WebSocket latencies are measured from it).
//!
//! Goose keeps per-user data that must be `Clone`; a socket is not, so the state lives
//! behind an `Arc<Mutex<…>>` that only its own user ever locks.

use crate::scenario::template::Vars;
use futures_util::stream::SplitSink;
use futures_util::StreamExt;
use goose::prelude::GooseUser;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket as tokio-tungstenite opens it.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Frames buffered between the reader task and the user's receives.
const FRAME_BUFFER: usize = 4096;

/// A frame (or read error) stamped with when it arrived.
pub struct Arrived {
    /// When the reader task got it off the socket.
    pub at: Instant,
    /// The frame, or why reading stopped.
    pub message: Result<Message, WsError>,
}

/// An open WebSocket whose frames a background task reads as they arrive, so that
/// receive latencies are arrival times, never inflated by the user's think time.
pub struct Connection {
    /// Where sends go.
    pub sink: SplitSink<Socket, Message>,
    /// Frames in arrival order; closed when the socket ends.
    pub frames: mpsc::Receiver<Arrived>,
    reader: JoinHandle<()>,
}

impl Connection {
    /// Splits `socket` and starts its reader task.
    pub fn start(socket: Socket) -> Self {
        let (sink, mut stream) = socket.split();
        let (tx, frames) = mpsc::channel(FRAME_BUFFER);
        let reader = tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let failed = message.is_err();
                if tx
                    .send(Arrived {
                        at: Instant::now(),
                        message,
                    })
                    .await
                    .is_err()
                    || failed
                {
                    break;
                }
            }
        });
        Connection {
            sink,
            frames,
            reader,
        }
    }

    /// Waits (bounded by the caller) for the reader to see the socket end.
    pub async fn reader_finished(&mut self) {
        let _ = (&mut self.reader).await;
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
}

/// Cloneable handle stored as Goose session data.
#[derive(Clone, Default)]
pub struct SessionHandle(pub Arc<Mutex<UserState>>);

/// The user's state handle, created on first use with `${user}` = Goose's index + 1.
pub fn session_of(user: &mut GooseUser) -> SessionHandle {
    if let Some(handle) = user.get_session_data::<SessionHandle>() {
        return handle.clone();
    }
    let state = UserState {
        vars: Vars {
            user: user.weighted_users_index + 1,
            ..Default::default()
        },
        ..Default::default()
    };
    let handle = SessionHandle(Arc::new(Mutex::new(state)));
    user.set_session_data(handle.clone());
    handle
}
