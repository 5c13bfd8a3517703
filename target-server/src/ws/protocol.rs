//! The JSON frames of the chat WebSocket protocol.
//!
//! Client to server: `message` (`id`, `conversation_id`, `text`) and `ping`
//! (`t`, any JSON value). Server to client: `ack`, `token`, `done`, `pong`
//! and `error`. Parsing goes through a generic JSON value first so an error
//! frame can carry the client's `id` even when the rest of the frame is bad.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::extract::describe_json_error;

/// A chat message sent over the socket.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatRequest {
    /// Client-chosen correlation id, echoed in every answer frame.
    pub(crate) id: Value,
    /// Conversation to post into; must belong to the connection's user.
    pub(crate) conversation_id: i64,
    /// The message text.
    pub(crate) text: String,
}

/// A well-formed client frame.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// `{"type":"message",...}`
    Message(ChatRequest),
    /// `{"type":"ping","t":...}`, with `t` if it was given.
    Ping(Option<Value>),
}

/// Why a client frame was rejected, with the client id if it had one.
#[derive(Debug)]
pub(crate) struct FrameError {
    /// The frame's `id`, if present.
    pub(crate) id: Option<Value>,
    /// What is wrong with it.
    pub(crate) message: String,
}

/// A frame the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Outgoing<'a> {
    /// The user's message is stored.
    Ack {
        /// Client id of the message.
        id: &'a Value,
    },
    /// The next piece of the reply.
    Token {
        /// Client id of the message being answered.
        id: &'a Value,
        /// Reply text; all tokens concatenated give the whole reply.
        text: &'a str,
    },
    /// The reply is complete and stored as message `message_id`.
    Done {
        /// Client id of the message answered.
        id: &'a Value,
        /// Id of the stored reply.
        message_id: i64,
    },
    /// Answer to a ping, echoing its `t` unchanged.
    Pong {
        /// The ping's `t`.
        #[serde(skip_serializing_if = "Option::is_none")]
        t: Option<Value>,
    },
    /// Something went wrong; the connection stays open.
    Error {
        /// Client id of the frame at fault, if it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a Value>,
        /// What went wrong.
        message: &'a str,
    },
}

impl Outgoing<'_> {
    /// The frame as JSON text.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("frames always serialize")
    }
}

/// Parses one text frame from a client.
pub(crate) fn parse(text: &str) -> Result<Incoming, FrameError> {
    let value: Value = serde_json::from_str(text).map_err(|err| FrameError {
        id: None,
        message: describe_json_error(&err),
    })?;
    let Value::Object(map) = &value else {
        return Err(FrameError {
            id: None,
            message: "frame must be a JSON object".to_owned(),
        });
    };
    let id = map.get("id").cloned();
    let fail = |message: String| FrameError {
        id: id.clone(),
        message,
    };
    match map.get("type") {
        None => Err(fail("missing field `type`".to_owned())),
        Some(Value::String(kind)) if kind == "ping" => Ok(Incoming::Ping(map.get("t").cloned())),
        Some(Value::String(kind)) if kind == "message" => serde_json::from_value(value.clone())
            .map(Incoming::Message)
            .map_err(|err| fail(describe_json_error(&err))),
        Some(Value::String(kind)) => Err(fail(format!(
            "unknown frame type `{kind}`, expected `message` or `ping`"
        ))),
        Some(_) => Err(fail("field `type` must be a string".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_messages_and_pings() {
        let frame = r#"{"type":"message","id":"c1","conversation_id":3,"text":"hi"}"#;
        match parse(frame).unwrap() {
            Incoming::Message(m) => {
                assert_eq!(m.id, json!("c1"));
                assert_eq!(m.conversation_id, 3);
            }
            other => panic!("{other:?}"),
        }
        match parse(r#"{"type":"ping","t":{"a":[1]}}"#).unwrap() {
            Incoming::Ping(t) => assert_eq!(t, Some(json!({"a":[1]}))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_keep_the_client_id() {
        let err = parse(r#"{"type":"message","id":"c9","text":"hi"}"#).unwrap_err();
        assert_eq!(err.id, Some(json!("c9")));
        assert_eq!(err.message, "missing field `conversation_id`");
        assert!(parse("{nope")
            .unwrap_err()
            .message
            .starts_with("malformed JSON"));
        assert!(parse(r#"{"type":"dance"}"#).is_err());
        assert!(parse("[1]").is_err());
    }

    #[test]
    fn serializes_frames() {
        let id = json!("c1");
        assert_eq!(
            Outgoing::Done {
                id: &id,
                message_id: 7
            }
            .to_json(),
            r#"{"type":"done","id":"c1","message_id":7}"#
        );
        assert_eq!(
            Outgoing::Pong {
                t: Some(json!(1.5))
            }
            .to_json(),
            r#"{"type":"pong","t":1.5}"#
        );
        assert_eq!(
            Outgoing::Error {
                id: None,
                message: "x"
            }
            .to_json(),
            r#"{"type":"error","message":"x"}"#
        );
    }
}
