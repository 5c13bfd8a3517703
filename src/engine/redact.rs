//! Keeping credentials out of stored text: a server that echoes the request would
//! otherwise copy tokens into failure examples, and from there into stdout,
//! `summary.json` and every report.
//!
//! A step knows what it sent. Each value sent under a credential-like name (a header such
//! as `Authorization` or `Cookie`, a query parameter, a JSON field such as `password`), each
//! extracted variable with such a name, every `${env.*}` value and the target's user,
//! password and query values is remembered; failure details have each occurrence replaced
//! by `[redacted]` before they are recorded. Values shorter than [`MIN_SECRET_CHARS`] are
//! not redacted, so that short everyday text is not blotted out.

use base64::Engine as _;
use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Values shorter than this (in characters) are never redacted.
pub const MIN_SECRET_CHARS: usize = 4;

/// A set keeps at most this many values, dropping the oldest: a user that logs in again
/// and again must not grow it without bound.
const MAX_SECRETS: usize = 64;

/// Auth-scheme words in a credential header that are not themselves secret.
const SCHEMES: [&str; 5] = ["bearer", "basic", "token", "digest", "negotiate"];

/// Whether a header, parameter, field or variable name looks like it holds a credential.
pub fn is_credential_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    [
        "auth",
        "cookie",
        "token",
        "password",
        "passwd",
        "secret",
        "apikey",
        "accesskey",
        "privatekey",
        "session",
        "jwt",
        "credential",
        "signature",
    ]
    .iter()
    .any(|needle| folded.contains(needle))
        || folded == "key"
        || folded == "pwd"
        || folded == "sid"
}

/// Values that must not appear in stored text.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// Remembers `value` (ignored when shorter than [`MIN_SECRET_CHARS`]).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() < MIN_SECRET_CHARS || self.values.iter().any(|v| v == value) {
            return;
        }
        if self.values.len() >= MAX_SECRETS {
            self.values.remove(0);
        }
        self.values.push(value.to_string());
    }

    /// Remembers a value sent under `name` when the name looks like a credential: the
    /// whole value, and its parts (`Bearer X` → `X`, `a=X; b=Y` → `X`, `Y`; a Basic
    /// value also decoded).
    pub fn add_sent(&mut self, name: &str, value: &str) {
        if !is_credential_name(name) {
            return;
        }
        self.add(value);
        let mut basic = false;
        for part in value.split(|c: char| c.is_whitespace() || c == ';' || c == ',') {
            let part = part.trim();
            if SCHEMES.contains(&part.to_ascii_lowercase().as_str()) {
                basic = part.eq_ignore_ascii_case("basic");
                continue;
            }
            self.add(part);
            if let Some((_, v)) = part.split_once('=') {
                self.add(v);
            }
            if basic {
                if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(part) {
                    let decoded = String::from_utf8_lossy(&decoded).into_owned();
                    if let Some((_, password)) = decoded.split_once(':') {
                        self.add(password);
                    }
                    self.add(&decoded);
                }
            }
        }
    }

    /// Remembers the values of credential-like fields anywhere in a JSON body.
    pub fn add_json(&mut self, doc: &Value) {
        match doc {
            Value::Object(fields) => {
                for (key, value) in fields {
                    if is_credential_name(key) {
                        self.add_scalars(value);
                    }
                    self.add_json(value);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.add_json(item)),
            _ => {}
        }
    }

    /// Remembers the credential-like parameters of a URL's query.
    pub fn add_query(&mut self, url: &reqwest::Url) {
        for (key, value) in url.query_pairs() {
            self.add_sent(&key, &value);
        }
    }

    /// Remembers the credential-like parameters of a request URI's query.
    pub fn add_uri_query(&mut self, uri: &http::Uri) {
        if let Some(query) = uri.query() {
            self.add_form(query);
        }
    }

    fn add_form(&mut self, form: &str) {
        if let Ok(url) = reqwest::Url::parse(&format!("http://x/?{form}")) {
            self.add_query(&url);
        }
    }

    /// Remembers what a raw body carries: JSON fields, or `a=b&c=d` form parameters.
    pub fn add_raw_body(&mut self, body: &str) {
        if let Ok(doc) = serde_json::from_str::<Value>(body) {
            self.add_json(&doc);
        } else if body.contains('=') && !body.contains(char::is_whitespace) {
            self.add_form(body);
        }
    }

    fn add_scalars(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|i| self.add_scalars(i)),
            Value::Object(fields) => fields.values().for_each(|v| self.add_scalars(v)),
            _ => {}
        }
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// `text` with every value of `sets` replaced by [`REDACTED`], longest first; a text
/// that was cut off in the middle of a value (it ends with the value's first three or
/// more characters) has that tail redacted too.
pub fn redact(text: &str, sets: &[&Secrets]) -> String {
    let mut values: Vec<&str> = sets
        .iter()
        .flat_map(|s| s.values.iter().map(String::as_str))
        .collect();
    if values.is_empty() {
        return text.to_string();
    }
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_string();
    for value in &values {
        if out.contains(value) {
            out = out.replace(value, REDACTED);
        }
    }
    let (body, ellipsis) = match out.strip_suffix('…') {
        Some(body) => (body.to_string(), "…"),
        None => (out.clone(), ""),
    };
    for value in &values {
        let cut_points = value
            .char_indices()
            .map(|(i, _)| i)
            .skip(3)
            .collect::<Vec<_>>();
        if let Some(&len) = cut_points
            .iter()
            .rev()
            .find(|&&len| body.ends_with(&value[..len]))
        {
            return format!("{}{REDACTED}{ellipsis}", &body[..body.len() - len]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credential_names() {
        for name in [
            "Authorization",
            "Cookie",
            "X-Api-Key",
            "api_key",
            "token",
            "refresh_token",
            "password",
            "client_secret",
            "key",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "Content-Type",
            "text",
            "username",
            "conversation_id",
            "monkey",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn sent_values_are_redacted_wherever_they_appear() {
        let mut secrets = Secrets::default();
        secrets.add_sent("Authorization", "Bearer sk-TOKEN-123");
        secrets.add_sent("Cookie", "sid=ck-COOKIE-55; theme=dark");
        secrets.add_sent("Content-Type", "application/json");
        secrets.add_json(&json!({"user": {"name": "u1", "password": "pw-SECRET-9"}}));
        secrets.add("abc");
        let echoed = "authorization: Bearer sk-TOKEN-123 cookie: sid=ck-COOKIE-55; theme=dark \
                      {\"password\":\"pw-SECRET-9\"} content-type: application/json abc";
        let redacted = redact(echoed, &[&secrets]);
        for leaked in ["sk-TOKEN", "ck-COOKIE", "pw-SECRET"] {
            assert!(!redacted.contains(leaked), "{redacted}");
        }
        assert!(redacted.contains("application/json"), "{redacted}");
        assert!(redacted.ends_with(" abc"), "short values stay: {redacted}");
        assert!(redacted.contains("Bearer [redacted]") || redacted.contains("[redacted]"));
    }

    #[test]
    fn a_value_cut_off_at_the_end_is_redacted_too() {
        let mut secrets = Secrets::default();
        secrets.add("sk-TOPSECRET-token");
        assert_eq!(
            redact("status 500: echo sk-TOPSE…", &[&secrets]),
            "status 500: echo [redacted]…"
        );
        assert_eq!(redact("ends with sk", &[&secrets]), "ends with sk");
    }

    #[test]
    fn basic_credentials_are_decoded() {
        let mut secrets = Secrets::default();
        secrets.add_sent("Authorization", "Basic dHVzZXI6cGFzc3dvcmQ5OQ==");
        assert_eq!(redact("got password99", &[&secrets]), "got [redacted]");
    }

    #[test]
    fn sets_are_bounded() {
        let mut secrets = Secrets::default();
        for i in 0..1000 {
            secrets.add(&format!("token-{i:04}"));
        }
        assert_eq!(secrets.values.len(), MAX_SECRETS);
    }
}
