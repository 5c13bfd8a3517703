//! Where steps send their requests: a step `path` that starts with `/` is joined to the
//! target the same way for HTTP and WebSocket steps.
//!
//! - the target's path is a prefix: `/api/bots` against `http://h/prefix` goes to
//!   `http://h/prefix/api/bots`, and `/ws` to `ws://h/prefix/ws`;
//! - the target's query parameters (`?api_key=…`) are added to every joined request;
//! - the target's user and password (`http://user:pass@h`) are sent as HTTP Basic
//!   authentication on joined requests whose step sets no `Authorization` header.
//!
//! A full `http(s)://` or `ws(s)://` URL in a step is used as written.

use base64::Engine as _;
use reqwest::Url;
use std::collections::HashMap;

/// The target, split into the parts every joined request uses.
#[derive(Debug, Clone)]
pub struct Address {
    /// `scheme://host:port/prefix`, without user, query or trailing slash.
    http_base: String,
    /// The same with `ws` or `wss`.
    ws_base: String,
    /// The target's raw query, added to every joined request.
    query: Option<String>,
    /// The target's user and password, decoded.
    credentials: Option<(String, String)>,
    /// Request URIs of the scenario's fixed paths, parsed once ([`Address::learn`])
    /// rather than on every request.
    known: HashMap<String, http::Uri>,
}

impl Address {
    /// Splits a checked http(s) target URL.
    pub fn parse(target: &str) -> Result<Self, String> {
        let url = Url::parse(target).map_err(|e| format!("the target is not a URL: {e}"))?;
        let ws_scheme = match url.scheme() {
            "http" => "ws",
            "https" => "wss",
            other => {
                return Err(format!(
                    "the target's scheme `{other}` is not http or https"
                ))
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| "the target has no host".to_string())?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let path = url.path().trim_end_matches('/');
        let authority = format!("{host}{port}{path}");
        let credentials = (!url.username().is_empty() || url.password().is_some()).then(|| {
            (
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or("")),
            )
        });
        Ok(Address {
            http_base: format!("{}://{authority}", url.scheme()),
            ws_base: format!("{ws_scheme}://{authority}"),
            query: url.query().filter(|q| !q.is_empty()).map(str::to_string),
            credentials,
            known: HashMap::new(),
        })
    }

    /// Parses the URI of a path that never changes (a step's path with no `${…}`), so
    /// that [`Address::http_uri`] hands out a copy instead of parsing it per request.
    pub fn learn(&mut self, path: &str) {
        if let Ok((uri, _)) = self.http_uri(path, &[]) {
            self.known.insert(path.to_string(), uri);
        }
    }

    /// The base URL without user or query, for Goose's own bookkeeping.
    pub fn http_base(&self) -> &str {
        &self.http_base
    }

    /// The HTTP URL for a step's rendered `path`, and whether it was joined to the target
    /// (only joined requests carry the target's query and credentials).
    pub fn http_url(&self, path: &str) -> Result<(Url, bool), String> {
        let joined = path.starts_with('/');
        let text = if joined {
            self.with_query(format!("{}{path}", self.http_base))
        } else {
            path.to_string()
        };
        let url = Url::parse(&text).map_err(|e| format!("`{path}` does not make a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{path}` is not an http(s) URL"));
        }
        Ok((url, joined))
    }

    /// The request URI for a step's rendered `path` with the step's `query` pairs added
    /// (form-encoded), and whether it was joined to the target.
    pub fn http_uri(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<(http::Uri, bool), String> {
        if let (true, Some(uri)) = (query.is_empty(), self.known.get(path)) {
            return Ok((uri.clone(), path.starts_with('/')));
        }
        let (mut url, joined) = self.http_url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let uri = http::Uri::try_from(url.as_str())
            .map_err(|e| format!("`{path}` does not make a request URI: {e}"))?;
        Ok((uri, joined))
    }

    /// The WebSocket URL for a step's rendered `path`, and whether it was joined.
    pub fn ws_url(&self, path: &str) -> (String, bool) {
        if path.starts_with('/') {
            (self.with_query(format!("{}{path}", self.ws_base)), true)
        } else {
            (path.to_string(), false)
        }
    }

    /// The target's user and password, for Basic authentication of joined requests.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(user, pass)| (user.as_str(), pass.as_str()))
    }

    /// The `Authorization` value Basic authentication with the target's credentials sends.
    pub fn basic_authorization(&self) -> Option<String> {
        self.credentials().map(|(user, pass)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            format!("Basic {encoded}")
        })
    }

    /// What the target itself carries that must never be shown: its user, password,
    /// their Basic encoding, and its query values.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        if let Some((user, pass)) = self.credentials() {
            secrets.extend([user.to_string(), pass.to_string()]);
            if let Some(basic) = self.basic_authorization() {
                secrets.push(basic.trim_start_matches("Basic ").to_string());
            }
        }
        if let Some(query) = &self.query {
            let probe = Url::parse(&format!("http://x/?{query}"));
            if let Ok(probe) = probe {
                for (key, value) in probe.query_pairs() {
                    secrets.push(if value.is_empty() {
                        key.into_owned()
                    } else {
                        value.into_owned()
                    });
                }
            }
        }
        secrets
    }

    fn with_query(&self, url: String) -> String {
        match &self.query {
            None => url,
            Some(query) if url.contains('?') => format!("{url}&{query}"),
            Some(query) => format!("{url}?{query}"),
        }
    }
}

fn percent_decode(text: &str) -> String {
    let probe = Url::parse(&format!("http://x/?v={text}"));
    probe
        .ok()
        .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
        .unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learned_path_gives_the_uri_parsing_would() {
        let fresh = Address::parse("http://u:p@h:8080/prefix?api_key=K").unwrap();
        let mut learned = fresh.clone();
        for path in ["/api/bots", "/x?y=1", "https://elsewhere/z", "not a url"] {
            learned.learn(path);
            assert_eq!(
                learned.http_uri(path, &[]),
                fresh.http_uri(path, &[]),
                "{path}"
            );
        }
        assert_eq!(learned.known.len(), 3, "the bad path is not kept");
        let (uri, _) = fresh
            .http_uri("/x?y=1", &[("q".into(), "a b&c".into())])
            .unwrap();
        assert_eq!(
            uri.to_string(),
            "http://h:8080/prefix/x?y=1&api_key=K&q=a+b%26c"
        );
    }

    #[test]
    fn the_prefix_is_kept_for_http_and_websocket_alike() {
        let address = Address::parse("http://h:8080/prefix/").unwrap();
        let (url, joined) = address.http_url("/api/bots?x=1").unwrap();
        assert_eq!(url.as_str(), "http://h:8080/prefix/api/bots?x=1");
        assert!(joined);
        assert_eq!(
            address.ws_url("/ws?token=t").0,
            "ws://h:8080/prefix/ws?token=t"
        );
        let (other, joined) = address.http_url("https://elsewhere/x").unwrap();
        assert_eq!(other.as_str(), "https://elsewhere/x");
        assert!(!joined);
        assert_eq!(address.ws_url("wss://elsewhere/ws").0, "wss://elsewhere/ws");
    }

    #[test]
    fn the_target_query_and_credentials_reach_joined_requests() {
        let address = Address::parse("https://u%40x:p%3Ass@h/base?api_key=K123").unwrap();
        assert_eq!(address.http_base(), "https://h/base");
        let (url, _) = address.http_url("/a?b=1").unwrap();
        assert_eq!(url.as_str(), "https://h/base/a?b=1&api_key=K123");
        assert_eq!(address.ws_url("/ws").0, "wss://h/base/ws?api_key=K123");
        assert_eq!(address.credentials(), Some(("u@x", "p:ss")));
        let secrets = address.secrets();
        for expected in ["u@x", "p:ss", "K123"] {
            assert!(secrets.iter().any(|s| s == expected), "{secrets:?}");
        }
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets() {
        let address = Address::parse("http://[::1]:9000").unwrap();
        assert_eq!(
            address.http_url("/x").unwrap().0.as_str(),
            "http://[::1]:9000/x"
        );
        assert_eq!(address.ws_url("/ws").0, "ws://[::1]:9000/ws");
    }
}
