//! The chat WebSocket protocol over a real socket: handshake auth, ack /
//! token / done streaming, ping / pong, error frames that keep the
//! connection usable, the 64 KiB limit (close 1009), protocol violations
//! (close 1007 for bad UTF-8, 1002 for the rest) and the connection cap.

mod common;

use std::time::Duration;

use common::{fast_config, metric, next_json, send_json, start};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

/// Reads one full exchange for client id `id`: ack, tokens, done. Returns
/// the concatenated token text and the reply's message id.
async fn read_exchange(ws: &mut common::Ws, id: &str) -> (String, i64) {
    let ack = next_json(ws).await;
    assert_eq!(ack, json!({"type": "ack", "id": id}));
    let mut text = String::new();
    loop {
        let frame = next_json(ws).await;
        assert_eq!(frame["id"], id, "{frame}");
        match frame["type"].as_str().unwrap() {
            "token" => text.push_str(frame["text"].as_str().unwrap()),
            "done" => return (text, frame["message_id"].as_i64().unwrap()),
            other => panic!("unexpected {other}: {frame}"),
        }
    }
}

#[tokio::test]
async fn message_is_acked_streamed_and_stored() {
    let ts = start(target_server::ServerConfig {
        token_delay: Duration::from_millis(2),
        ..fast_config()
    })
    .await;
    let token = ts.login("wendy").await;
    let conv = ts.conversation(&token, 5).await;
    let mut ws = ts.ws(&token).await;

    send_json(
        &mut ws,
        json!({"type": "message", "id": "c-1", "conversation_id": conv, "text": "Sing me a song"}),
    )
    .await;
    let (streamed, reply_id) = read_exchange(&mut ws, "c-1").await;
    assert!(streamed.split(' ').count() > 5, "{streamed}");

    // Both messages are stored, and the stored reply is what was streamed.
    let (status, history) = ts
        .call(
            Method::GET,
            &format!("/api/conversations/{conv}/messages"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["text"], "Sing me a song");
    assert_eq!(items[0]["role"], "user");
    assert_eq!(items[1]["id"], reply_id);
    assert_eq!(items[1]["text"], streamed.as_str());

    // The same text over REST gets the same reply.
    let (_, rest) = ts
        .call(
            Method::POST,
            &format!("/api/conversations/{conv}/messages"),
            Some(&token),
            Some(json!({"text": "Sing me a song"})),
        )
        .await;
    assert_eq!(rest["reply"]["text"], streamed.as_str());
}

#[tokio::test]
async fn concurrent_messages_on_one_socket_all_complete() {
    let ts = start(fast_config()).await;
    let token = ts.login("multi").await;
    let conv = ts.conversation(&token, 1).await;
    let mut ws = ts.ws(&token).await;
    for i in 0..5 {
        send_json(
            &mut ws,
            json!({"type": "message", "id": format!("m{i}"), "conversation_id": conv, "text": format!("question {i}")}),
        )
        .await;
    }
    let mut acked = 0;
    let mut done = std::collections::HashSet::new();
    while done.len() < 5 {
        let frame = next_json(&mut ws).await;
        match frame["type"].as_str().unwrap() {
            "ack" => acked += 1,
            "token" => {}
            "done" => {
                done.insert(frame["id"].as_str().unwrap().to_owned());
            }
            other => panic!("{other}: {frame}"),
        }
    }
    assert_eq!(acked, 5);
    let (items, _) = ts
        .walk(&format!("/api/conversations/{conv}/messages"), &token, 100)
        .await;
    assert_eq!(items.len(), 10);
}

#[tokio::test]
async fn ping_echoes_t_unchanged() {
    let ts = start(fast_config()).await;
    let token = ts.login("pinger").await;
    let mut ws = ts.ws(&token).await;
    for t in [
        json!(12345),
        json!(1.5),
        json!("abc"),
        json!({"nested": [1, 2, {"x": null}]}),
        Value::Null,
    ] {
        send_json(&mut ws, json!({"type": "ping", "t": t})).await;
        assert_eq!(next_json(&mut ws).await, json!({"type": "pong", "t": t}));
    }
    send_json(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_stays_usable() {
    let ts = start(fast_config()).await;
    let token = ts.login("sloppy").await;
    let conv = ts.conversation(&token, 2).await;
    let mut ws = ts.ws(&token).await;

    ws.send(WsMessage::text("{this is not json")).await.unwrap();
    let err = next_json(&mut ws).await;
    assert_eq!(err["type"], "error");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("malformed JSON"));
    assert!(err.get("id").is_none());

    send_json(
        &mut ws,
        json!({"type": "message", "id": "x7", "text": "hi"}),
    )
    .await;
    let err = next_json(&mut ws).await;
    assert_eq!(
        err,
        json!({"type": "error", "id": "x7", "message": "missing field `conversation_id`"})
    );

    send_json(&mut ws, json!({"type": "teleport", "id": "x8"})).await;
    let err = next_json(&mut ws).await;
    assert_eq!(err["type"], "error");
    assert_eq!(err["id"], "x8");

    send_json(&mut ws, json!({"id": "x9"})).await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "error", "id": "x9", "message": "missing field `type`"})
    );

    ws.send(WsMessage::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "error");

    send_json(
        &mut ws,
        json!({"type": "message", "id": "e", "conversation_id": conv, "text": "  "}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "error", "id": "e", "message": "text must not be empty"})
    );

    // Still usable after all that.
    send_json(&mut ws, json!({"type": "ping", "t": 1})).await;
    assert_eq!(next_json(&mut ws).await, json!({"type": "pong", "t": 1}));
    send_json(
        &mut ws,
        json!({"type": "message", "id": "ok", "conversation_id": conv, "text": "still there?"}),
    )
    .await;
    read_exchange(&mut ws, "ok").await;
}

#[tokio::test]
async fn someone_elses_conversation_is_an_error_frame() {
    let ts = start(fast_config()).await;
    let owner = ts.login("owner").await;
    let other = ts.login("other").await;
    let conv = ts.conversation(&owner, 1).await;
    let mut ws = ts.ws(&other).await;
    send_json(
        &mut ws,
        json!({"type": "message", "id": "steal", "conversation_id": conv, "text": "hello"}),
    )
    .await;
    assert_eq!(
        next_json(&mut ws).await,
        json!({"type": "error", "id": "steal", "message": format!("conversation {conv} not found")})
    );
    // Nothing was stored in the owner's conversation.
    let (items, _) = ts
        .walk(&format!("/api/conversations/{conv}/messages"), &owner, 10)
        .await;
    assert!(items.is_empty());
}

#[tokio::test]
async fn handshake_needs_a_valid_token() {
    let ts = start(fast_config()).await;
    let ws_base = ts.base.replacen("http", "ws", 1);
    for url in [format!("{ws_base}/ws"), format!("{ws_base}/ws?token=nope")] {
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Err(WsError::Http(resp)) => {
                assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{url}");
                let body: Value = serde_json::from_slice(resp.body().as_ref().unwrap()).unwrap();
                assert!(body["error"].is_string());
            }
            other => panic!("{url}: expected 401, got {other:?}"),
        }
    }
    // A bearer header works as well as the query parameter.
    let token = ts.login("header").await;
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("{ws_base}/ws"),
    )
    .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    send_json(&mut ws, json!({"type": "ping", "t": 9})).await;
    assert_eq!(next_json(&mut ws).await["t"], 9);
}

#[tokio::test]
async fn oversized_frame_closes_with_1009() {
    let ts = start(fast_config()).await;
    let token = ts.login("big").await;
    let mut ws = ts.ws(&token).await;
    let huge = json!({"type": "ping", "t": "z".repeat(100 * 1024)}).to_string();
    ws.send(WsMessage::text(huge)).await.unwrap();
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(close.unwrap().code, CloseCode::Size);

    // A frame just under the limit is fine on a new connection.
    let mut ws = ts.ws(&token).await;
    let t = "q".repeat(60 * 1024);
    send_json(&mut ws, json!({"type": "ping", "t": t})).await;
    assert_eq!(next_json(&mut ws).await["t"], t.as_str());
}

/// Waits (bounded) for the server's close frame and returns its code.
async fn close_code(ws: &mut common::Ws) -> CloseCode {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Close(Some(frame)))) => return frame.code,
                Some(Ok(WsMessage::Close(None))) => panic!("close frame without a code"),
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the server closes in time")
}

#[tokio::test]
async fn protocol_violations_close_with_1007_or_1002() {
    let ts = start(fast_config()).await;
    let token = ts.login("rude").await;
    let text = OpCode::Data(Data::Text);
    let rsv1 = {
        let mut frame = Frame::message(b"{}".to_vec(), text, true);
        frame.header_mut().rsv1 = true;
        frame
    };
    let fragmented_ping = Frame::from_payload(
        FrameHeader {
            is_final: false,
            opcode: OpCode::Control(Control::Ping),
            ..FrameHeader::default()
        },
        b"p".to_vec().into(),
    );
    let cases: Vec<(&str, Vec<Frame>, CloseCode)> = vec![
        (
            "text frame that is not UTF-8",
            vec![Frame::message(vec![b'{', 0xff, 0xfe, b'}'], text, true)],
            CloseCode::Invalid,
        ),
        (
            "fragmented text that is not UTF-8 once joined",
            vec![
                Frame::message(vec![b'"', 0xc3], text, false),
                Frame::message(vec![0x28, b'"'], OpCode::Data(Data::Continue), true),
            ],
            CloseCode::Invalid,
        ),
        ("reserved bit set", vec![rsv1], CloseCode::Protocol),
        (
            "continuation without a first frame",
            vec![Frame::message(
                b"x".to_vec(),
                OpCode::Data(Data::Continue),
                true,
            )],
            CloseCode::Protocol,
        ),
        (
            "reserved data opcode",
            vec![Frame::message(
                b"x".to_vec(),
                OpCode::Data(Data::Reserved(3)),
                true,
            )],
            CloseCode::Protocol,
        ),
        (
            "fragmented ping",
            vec![fragmented_ping],
            CloseCode::Protocol,
        ),
    ];
    for (what, frames, expected) in cases {
        let mut ws = ts.ws(&token).await;
        for frame in frames {
            ws.send(WsMessage::Frame(frame)).await.unwrap();
        }
        assert_eq!(close_code(&mut ws).await, expected, "{what}");
    }

    // Non-JSON text is not a protocol violation: an error frame, and the
    // connection stays usable.
    let mut ws = ts.ws(&token).await;
    ws.send(WsMessage::text("not json")).await.unwrap();
    let error = next_json(&mut ws).await;
    assert_eq!(error["type"], "error", "{error}");
    send_json(&mut ws, json!({"type": "ping", "t": 1})).await;
    assert_eq!(next_json(&mut ws).await["type"], "pong");
    // The violators' connections are all gone; this one is still open.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while metric(&ts.metrics().await, "websocket_connections_open") != 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "violating connections stay open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn connection_cap_refuses_with_503() {
    let ts = start(target_server::ServerConfig {
        max_ws: 2,
        ..fast_config()
    })
    .await;
    let token = ts.login("crowd").await;
    let mut first = ts.ws(&token).await;
    let _second = ts.ws(&token).await;
    let url = format!("{}/ws?token={token}", ts.base.replacen("http", "ws", 1));
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(WsError::Http(resp)) => {
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
            let body: Value = serde_json::from_slice(resp.body().as_ref().unwrap()).unwrap();
            assert!(body["error"].as_str().unwrap().contains("WebSocket"));
        }
        other => panic!("expected 503, got {other:?}"),
    }
    let text = ts.metrics().await;
    assert_eq!(metric(&text, "websocket_connections_open"), 2.0);

    // Closing one frees a place.
    first.close(None).await.unwrap();
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if metric(&ts.metrics().await, "websocket_connections_open") < 2.0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _third = ts.ws(&token).await;
}

#[tokio::test]
async fn frames_are_counted_in_metrics() {
    let ts = start(fast_config()).await;
    let token = ts.login("counted").await;
    let conv = ts.conversation(&token, 1).await;
    let mut ws = ts.ws(&token).await;
    for t in 0..3 {
        send_json(&mut ws, json!({"type": "ping", "t": t})).await;
        next_json(&mut ws).await;
    }
    send_json(
        &mut ws,
        json!({"type": "message", "id": "a", "conversation_id": conv, "text": "count me"}),
    )
    .await;
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "ack");
    let mut sent_by_server = 4; // three pongs and the ack
    loop {
        sent_by_server += 1;
        if next_json(&mut ws).await["type"] == "done" {
            break;
        }
    }
    let text = ts.metrics().await;
    assert_eq!(metric(&text, "websocket_messages_received_total"), 4.0);
    assert_eq!(
        metric(&text, "websocket_messages_sent_total"),
        sent_by_server as f64
    );
    assert_eq!(metric(&text, "websocket_connections_open"), 1.0);
    assert_eq!(
        common::requests(&text, "GET", "/ws", 101),
        1,
        "the handshake is counted as a request"
    );
}
