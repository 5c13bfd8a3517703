//! REST API behaviour over real loopback HTTP: auth, bots, conversations,
//! messages, pagination, isolation between users, bad input, compression,
//! health and unknown routes.

mod common;

use std::io::Read;

use common::{fast_config, start};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn login_creates_users_and_rejects_wrong_password() {
    let ts = start(fast_config()).await;
    let (status, first) = ts
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "alice", "password": "demo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["token"].as_str().unwrap().len(), 32);
    let (_, again) = ts
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "alice", "password": "demo"})),
        )
        .await;
    assert_eq!(again["user_id"], first["user_id"], "same user on re-login");
    assert_ne!(again["token"], first["token"], "a fresh token per login");

    let (status, body) = ts
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "alice", "password": "nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].is_string());

    let (status, body) = ts
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "  ", "password": "demo"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn custom_password_is_the_one_that_works() {
    let ts = start(target_server::ServerConfig {
        password: "s3cret".into(),
        ..fast_config()
    })
    .await;
    let login = |password: &'static str| {
        ts.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "u", "password": password})),
        )
    };
    assert_eq!(login("demo").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(login("s3cret").await.0, StatusCode::OK);
}

#[tokio::test]
async fn endpoints_need_a_valid_token() {
    let ts = start(fast_config()).await;
    let paths = [
        (Method::GET, "/api/bots"),
        (Method::GET, "/api/conversations"),
        (Method::POST, "/api/conversations"),
        (Method::GET, "/api/conversations/1/messages"),
        (Method::POST, "/api/conversations/1/messages"),
    ];
    for (method, path) in paths {
        let (status, body) = ts.call(method.clone(), path, None, Some(json!({}))).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without token"
        );
        assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
        let (status, _) = ts
            .call(method.clone(), path, Some("deadbeef"), Some(json!({})))
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} bad token"
        );
    }
    let resp = ts
        .http
        .get(ts.url("/api/bots"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn bots_are_listed() {
    let ts = start(fast_config()).await;
    let token = ts.login("bob").await;
    let (status, bots) = ts.call(Method::GET, "/api/bots", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let bots = bots.as_array().unwrap();
    assert_eq!(bots.len(), 5);
    for bot in bots {
        assert!(bot["id"].is_i64());
        assert!(!bot["name"].as_str().unwrap().is_empty());
        assert!(!bot["persona"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn conversations_are_created_and_unknown_bots_are_404() {
    let ts = start(fast_config()).await;
    let token = ts.login("carol").await;
    let resp = ts
        .http
        .post(ts.url("/api/conversations"))
        .bearer_auth(&token)
        .json(&json!({"bot_id": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let conv: Value = resp.json().await.unwrap();
    assert_eq!(conv["bot_id"], 3);
    assert!(conv["id"].as_i64().unwrap() > 0);
    assert!(conv["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(location, format!("/api/conversations/{}", conv["id"]));

    let (status, body) = ts
        .call(
            Method::POST,
            "/api/conversations",
            Some(&token),
            Some(json!({"bot_id": 999})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "bot 999 not found");
}

#[tokio::test]
async fn conversation_pages_cover_everything_once_newest_first() {
    let ts = start(fast_config()).await;
    let token = ts.login("dave").await;
    let mut created = Vec::new();
    for i in 0..25 {
        created.push(ts.conversation(&token, 1 + i % 5).await);
    }
    // Someone else's conversations must not show up.
    let other = ts.login("eve").await;
    ts.conversation(&other, 1).await;

    let (items, pages) = ts.walk("/api/conversations", &token, 10).await;
    assert_eq!(pages, 3);
    let ids: Vec<i64> = items.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(ids, expected, "all 25 exactly once, newest first");

    // Default limit is 20; a limit equal to the count gives one page.
    let (status, body) = ts
        .call(Method::GET, "/api/conversations", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().unwrap().len(), 20);
    assert!(body["next_cursor"].is_string());
    let (_, pages) = ts.walk("/api/conversations", &token, 25).await;
    assert_eq!(pages, 1);
    let (items, _) = ts.walk("/api/conversations", &token, 100).await;
    assert_eq!(items.len(), 25);
}

#[tokio::test]
async fn messages_get_replies_and_history_pages() {
    let ts = start(fast_config()).await;
    let token = ts.login("frank").await;
    let conv = ts.conversation(&token, 2).await;
    let path = format!("/api/conversations/{conv}/messages");

    let (status, first) = ts
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"text": "How long should pasta boil?"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["message"]["role"], "user");
    assert_eq!(first["message"]["text"], "How long should pasta boil?");
    assert_eq!(first["message"]["conversation_id"], conv);
    assert_eq!(first["reply"]["role"], "bot");
    let reply = first["reply"]["text"].as_str().unwrap();
    assert!(reply.contains("pasta"), "{reply}");
    assert!(first["reply"]["id"].as_i64() > first["message"]["id"].as_i64());

    // Same text, same bot: the same reply (deterministic).
    let (_, second) = ts
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"text": "How long should pasta boil?"})),
        )
        .await;
    assert_eq!(second["reply"]["text"], first["reply"]["text"]);

    for i in 0..10 {
        let (status, _) = ts
            .call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"text": format!("message number {i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // 12 exchanges = 24 messages, oldest first, alternating user/bot.
    let (items, pages) = ts.walk(&path, &token, 5).await;
    assert_eq!(items.len(), 24);
    assert_eq!(pages, 5);
    let ids: Vec<i64> = items.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
    for (i, m) in items.iter().enumerate() {
        assert_eq!(m["role"], if i % 2 == 0 { "user" } else { "bot" });
    }
    assert_eq!(items[0], first["message"]);
    assert_eq!(items[1], first["reply"]);
    assert!(!items[23]["text"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn other_users_conversations_are_404() {
    let ts = start(fast_config()).await;
    let owner = ts.login("owner").await;
    let intruder = ts.login("intruder").await;
    let conv = ts.conversation(&owner, 1).await;
    let path = format!("/api/conversations/{conv}/messages");

    let (status, body) = ts.call(Method::GET, &path, Some(&intruder), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (missing_status, missing) = ts
        .call(
            Method::GET,
            "/api/conversations/987654/messages",
            Some(&intruder),
            None,
        )
        .await;
    assert_eq!(missing_status, StatusCode::NOT_FOUND);
    // Same shape of answer as a conversation that does not exist.
    assert_eq!(
        body["error"]
            .as_str()
            .unwrap()
            .replace(&conv.to_string(), "N"),
        missing["error"].as_str().unwrap().replace("987654", "N")
    );

    let (status, _) = ts
        .call(
            Method::POST,
            &path,
            Some(&intruder),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = ts.call(Method::GET, &path, Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_gets_json_errors() {
    let ts = start(fast_config()).await;
    let token = ts.login("grace").await;
    let conv = ts.conversation(&token, 1).await;
    let path = format!("/api/conversations/{conv}/messages");

    let raw = |body: Vec<u8>| {
        ts.http
            .post(ts.url(&path))
            .bearer_auth(&token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let check = |resp: reqwest::Response, status: StatusCode| async move {
        assert_eq!(resp.status(), status);
        assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
        let body: Value = resp.json().await.unwrap();
        body["error"].as_str().unwrap().to_owned()
    };

    let error = check(
        raw(b"{\"text\": ".to_vec()).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(error.starts_with("malformed JSON"), "{error}");
    let error = check(
        raw(b"{\"txt\": \"hi\"}".to_vec()).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(error, "missing field `text`");
    let error = check(
        raw(b"{\"text\": 5}".to_vec()).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(error.contains("invalid type"), "{error}");
    let error = check(raw(Vec::new()).await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert!(error.contains("empty"), "{error}");
    let error = check(
        raw(b"{\"text\": \"   \"}".to_vec()).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(error.contains("empty"), "{error}");

    let big = json!({"text": "x".repeat(70 * 1024)})
        .to_string()
        .into_bytes();
    let error = check(raw(big).await.unwrap(), StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(error.contains("65536"), "{error}");
    // Just under the limit is fine.
    let fits = json!({"text": "y".repeat(60 * 1024)})
        .to_string()
        .into_bytes();
    assert_eq!(raw(fits).await.unwrap().status(), StatusCode::CREATED);

    let (status, body) = ts
        .call(
            Method::POST,
            "/api/conversations",
            Some(&token),
            Some(json!({"bot": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "missing field `bot_id`");

    for query in [
        "limit=101",
        "limit=0",
        "limit=-3",
        "limit=ten",
        "cursor=zzz",
        "cursor=5",
    ] {
        let (status, body) = ts
            .call(
                Method::GET,
                &format!("/api/conversations?{query}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["error"].is_string());
    }
    let (status, body) = ts
        .call(
            Method::GET,
            "/api/conversations?limit=101",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "limit must be at most 100, got 101");
    let (status, _) = ts
        .call(
            Method::GET,
            "/api/conversations?cursor=&limit=",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "empty parameters mean defaults");
    let (status, _) = ts
        .call(
            Method::GET,
            "/api/conversations/abc/messages",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json() {
    let ts = start(fast_config()).await;
    let resp = ts.http.get(ts.url("/no/such/thing")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "no route for GET /no/such/thing");

    let resp = ts.http.delete(ts.url("/api/bots")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn large_bodies_are_gzipped_when_asked() {
    let ts = start(fast_config()).await;
    let token = ts.login("heidi").await;
    for _ in 0..30 {
        ts.conversation(&token, 4).await;
    }
    let raw_client = reqwest::Client::builder().no_gzip().build().unwrap();
    let get = |encoding: Option<&'static str>, path: &'static str| {
        let mut req = raw_client.get(ts.url(path)).bearer_auth(&token);
        if let Some(encoding) = encoding {
            req = req.header(ACCEPT_ENCODING, encoding);
        }
        req.send()
    };

    let resp = get(Some("gzip"), "/api/conversations?limit=30")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    let compressed = resp.bytes().await.unwrap();
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut plain)
        .unwrap();
    let page: Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 30);
    assert!(compressed.len() < plain.len());

    let resp = get(None, "/api/conversations?limit=30").await.unwrap();
    assert!(resp.headers().get(CONTENT_ENCODING).is_none());
    // Small bodies are not worth compressing.
    let resp = get(Some("gzip"), "/api/conversations?limit=1")
        .await
        .unwrap();
    assert!(resp.headers().get(CONTENT_ENCODING).is_none());

    // The default client negotiates and decodes transparently.
    let (status, page) = ts
        .call(
            Method::GET,
            "/api/conversations?limit=30",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn health_is_ok() {
    let ts = start(fast_config()).await;
    let (status, body) = ts.call(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn base_url_points_at_the_bound_port() {
    let ts = start(fast_config()).await;
    let addr = ts.server.addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(
        ts.server.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    ts.server.shutdown().await;
}
