//! Checks that what a step will send is sendable: header names and values, request and
//! WebSocket URLs, JSON pointers. `validate` must refuse what `run` could never send.
//!
//! Templated values are checked with each `${var}` and `${user}` replaced by a harmless
//! placeholder, so the fixed text (including `${env.…}` values, which are resolved when
//! the scenario loads) is checked now; only text extracted at run time is checked then.

use super::template::{Template, Vars};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

/// The text a template gives when every per-user value is a plain placeholder.
fn placeholder_render(template: &Template) -> String {
    let mut vars = Vars {
        user: 1,
        ..Vars::default()
    };
    for name in template.variables() {
        vars.values.insert(name.to_string(), Value::from("x"));
    }
    template.render(&vars).unwrap_or_default()
}

/// Checks a header name (`Authorization`, `X-Request-Id`): an HTTP token, no spaces.
pub fn check_header_name(name: &str) -> Result<(), String> {
    HeaderName::from_bytes(name.as_bytes()).map(|_| ()).map_err(|_| {
        "is not a valid HTTP header name (letters, digits and `!#$%&'*+-.^_`|~`; no spaces or `:`)"
            .to_string()
    })
}

/// Checks a header value's fixed text: no line breaks or other control characters. The
/// value is not echoed, since it may hold a secret from the environment.
pub fn check_header_value(value: &Template) -> Result<(), String> {
    let text = placeholder_render(value);
    if HeaderValue::from_bytes(text.as_bytes()).is_ok() {
        return Ok(());
    }
    let at = text
        .chars()
        .position(|c| (c < ' ' && c != '\t') || c == '\u{7f}')
        .map(|i| format!(" (character {} after substitution)", i + 1))
        .unwrap_or_default();
    Err(format!(
        "is not a valid HTTP header value: it contains a line break or control character{at}"
    ))
}

/// Checks an HTTP step's `path`: a `/path` must hold no control characters (the URL
/// parser would drop line breaks silently), and a full URL must parse and have a host.
pub fn check_http_path(path: &Template) -> Result<(), String> {
    let text = placeholder_render(path);
    if let Some(i) = text.chars().position(char::is_control) {
        return Err(format!(
            "contains a control character (character {} after substitution)",
            i + 1
        ));
    }
    if text.starts_with('/') {
        return Ok(());
    }
    match reqwest::Url::parse(&text) {
        Ok(url) if url.host().is_some() => Ok(()),
        Ok(_) => Err("is not a URL with a host".to_string()),
        Err(e) => Err(format!("is not a valid URL: {e}")),
    }
}

/// Checks a `ws_connect` path: it must make a valid WebSocket request URI, joined to the
/// target when it starts with `/`.
pub fn check_ws_path(path: &Template) -> Result<(), String> {
    use tokio_tungstenite::tungstenite::http::Uri;
    let text = placeholder_render(path);
    let full = if text.starts_with('/') {
        format!("ws://127.0.0.1{text}")
    } else {
        text
    };
    match full.parse::<Uri>() {
        Ok(uri) if uri.host().is_some() => Ok(()),
        Ok(_) => Err("is not a URL with a host".to_string()),
        Err(_) => Err(
            "does not make a valid WebSocket URL (spaces, quotes, `<>{}|\\^` and non-ASCII text must be percent-encoded)"
                .to_string(),
        ),
    }
}

/// Checks an RFC 6901 JSON pointer: empty (the whole document) or `/`-separated tokens
/// where `~` is only ever `~0` (a `~`) or `~1` (a `/`).
pub fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "`{pointer}` is not a JSON pointer; it must start with `/` (e.g. `/token`)"
        ));
    }
    let mut chars = pointer.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "`{pointer}` has a bad escape: in a JSON pointer `~` must be followed by `0` (for `~`) or `1` (for `/`)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Template {
        Template::parse(text, &|_| None).unwrap()
    }

    #[test]
    fn header_names_and_values() {
        assert!(check_header_name("X-Request-Id").is_ok());
        assert!(check_header_name("Bad Name").is_err());
        assert!(check_header_name("").is_err());
        assert!(check_header_value(&t("Bearer ${token}")).is_ok());
        assert!(check_header_value(&t("naïve ok")).is_ok());
        let err = check_header_value(&t("a\r\nInjected: 1")).unwrap_err();
        assert!(err.contains("character 2"), "{err}");
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        for good in ["", "/", "/a/0/b", "/a~0b", "/a~1b"] {
            assert!(check_pointer(good).is_ok(), "{good}");
        }
        for bad in ["a", "/a~2", "/a~", "/~x/y"] {
            assert!(check_pointer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert!(check_http_path(&t("/api/${id}?q=a b")).is_ok());
        assert!(check_http_path(&t("/a\nb")).is_err());
        assert!(check_http_path(&t("http://[::1/x")).is_err());
        assert!(check_http_path(&t("https://example.com/${x}")).is_ok());
        assert!(check_ws_path(&t("/ws?token=${token}")).is_ok());
        assert!(check_ws_path(&t("/ws?q=a b")).is_err());
        assert!(check_ws_path(&t("ws://[::1/ws")).is_err());
        assert!(check_ws_path(&t("ws://127.0.0.1:9/ws")).is_ok());
    }
}
