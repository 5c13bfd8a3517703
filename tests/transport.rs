//! What HTTP steps send and follow, seen from the server's side: the real binary against
//! rogue servers on loopback. Gzip bodies are judged decompressed, and the body cap
//! counts decompressed bytes; redirects are followed, at most 10 (a loop fails), with the
//! body sent again on a 307 and the credentials dropped once a redirect leaves the
//! origin, for the rest of the chain; requests name loadgate as their user agent; an
//! `https` step against a plain-HTTP port fails as a counted transport error.

mod common;
mod rogue;

use common::*;
use rogue::{Rogue, GZIP_TEXT};

#[test]
fn gzip_redirects_and_credentials_behave_as_a_browser_would() {
    let rogue = Rogue::start();
    let elsewhere = Rogue::start();
    let port = rogue.url.rsplit(':').next().unwrap();
    let scenario = format!(
        r#"name: transport
timeout: 5s
load:
  stages:
    - {{ users: 1, over: 3s }}
flows:
  - name: f
    think: 100ms
    steps:
      - http: {{ name: gzip, path: /gzip, expect: {{ body_contains: "{GZIP_TEXT}" }} }}
      - http: {{ name: badgzip, path: /badgzip }}
      - http: {{ name: gzip-bomb, path: /gzip-bomb }}
      - http: {{ name: loop, path: /loop }}
      - http:
          name: same-origin
          path: /redirect?to=/sink-same
          headers: {{ Authorization: "Bearer same-origin-secret" }}
      - http:
          name: cross-origin
          path: "/redirect?to={elsewhere}/sink-away"
          headers: {{ Authorization: "Bearer cross-origin-secret" }}
      - http:
          name: two-hops
          path: "/redirect?to={elsewhere}/redirect?to=/sink-second-hop"
          headers: {{ Authorization: "Bearer two-hop-secret", Cookie: "session=two-hop-cookie" }}
      - http:
          name: resent
          method: POST
          path: /redirect307?to=/sink-posted
          json: {{ note: kept-through-307 }}
      - http: {{ name: tls-to-plain, path: "https://127.0.0.1:{port}/plain" }}
"#,
        elsewhere = elsewhere.url,
    );
    let (dir, path) = scenario_file(&scenario);
    let out_dir = dir.path().join("out");
    let out = run_against(&path, &rogue.url, &out_dir);
    assert!(out.status.code().is_some(), "{}", text(&out));
    let summary = read_summary(&out_dir);
    let step = |name: &str| &summary.metrics.steps[name];
    let classes = |name: &str| -> Vec<String> { step(name).failures.keys().cloned().collect() };

    assert!(step("gzip").count > 0);
    assert_eq!(step("gzip").errors, 0, "the body is judged decompressed");
    assert_eq!(classes("badgzip"), ["invalid response body"]);
    let bomb = &step("gzip-bomb").failures;
    assert_eq!(bomb.keys().collect::<Vec<_>>(), ["invalid response body"]);
    let example = &bomb["invalid response body"].example;
    assert!(
        example.contains("larger than 8 MiB"),
        "decompressed bytes count: {example}"
    );
    assert_eq!(classes("loop"), ["transport error"]);
    let looped = &step("loop").failures["transport error"].example;
    assert!(looped.contains("too many redirects"), "{looped}");
    for name in ["same-origin", "cross-origin", "two-hops", "resent"] {
        assert!(step(name).count > 0, "{name} ran");
        assert_eq!(step(name).errors, 0, "{name}: {:?}", step(name).failures);
    }
    assert!(step("tls-to-plain").count > 0, "tls-to-plain ran");
    assert_eq!(classes("tls-to-plain"), ["transport error"]);

    let heads = rogue.heads();
    let sink = |path: &str, heads: &[String]| -> Vec<String> {
        heads
            .iter()
            .filter(|h| h.starts_with(&format!("GET {path} ")))
            .map(|h| h.to_ascii_lowercase())
            .collect()
    };
    let same = sink("/sink-same", &heads);
    assert!(!same.is_empty(), "the 302 was followed: {heads:?}");
    assert!(
        same.iter()
            .all(|h| h.contains("authorization: bearer same-origin-secret")),
        "credentials stay within the origin: {same:?}"
    );
    let away = sink("/sink-away", &elsewhere.heads());
    assert!(!away.is_empty(), "the cross-origin 302 was followed");
    assert!(
        away.iter().all(|h| !h.contains("authorization")),
        "credentials never leave the origin: {away:?}"
    );
    let second_hop = sink("/sink-second-hop", &elsewhere.heads());
    assert!(!second_hop.is_empty(), "both hops were followed");
    assert!(
        second_hop
            .iter()
            .all(|h| !h.contains("authorization") && !h.contains("cookie")),
        "credentials stay dropped after a hop back within the other origin: {second_hop:?}"
    );
    let loops = heads.iter().filter(|h| h.starts_with("GET /loop ")).count();
    let loop_steps = step("loop").count as usize;
    assert_eq!(
        loops,
        loop_steps * 11,
        "each loop step sent 1 + 10 requests"
    );
    assert!(
        heads.iter().any(|h| h.starts_with("POST /sink-posted ")),
        "a 307 keeps the method: {heads:?}"
    );
    assert!(
        heads
            .iter()
            .filter(|h| h.starts_with("sink: "))
            .any(|h| h == r#"sink: {"note":"kept-through-307"}"#),
        "a 307 sends the body again: {heads:?}"
    );
    let gzip = heads
        .iter()
        .find(|h| h.starts_with("GET /gzip "))
        .unwrap()
        .to_ascii_lowercase();
    assert!(gzip.contains("accept-encoding: gzip"), "{gzip}");
    assert!(
        gzip.contains(&format!(
            "user-agent: loadgate/{}",
            env!("CARGO_PKG_VERSION")
        )),
        "{gzip}"
    );
}
