//! Which redirects an HTTP step follows, and what it still sends after them: the
//! [`Redirects`] policy under tower-http's `FollowRedirect` (see `transport`).
//!
//! - at most [`MAX_REDIRECTS`]; past that the last 3xx answer comes back, and the step
//!   fails on it ([`too_many`]), as reqwest's "too many redirects" did;
//! - once any hop leaves the request's origin (scheme, host, port), `Authorization`,
//!   `Cookie` and `Proxy-Authorization` are dropped from that hop and every later one,
//!   even one that comes back: a chain A → B → B never hands B the credentials meant
//!   for A (tower-http's own filter judges each hop alone);
//! - 307 and 308 send the body again (it is whole in memory).

use super::transport::{RequestBody, SendError};
use http::header::{AUTHORIZATION, COOKIE, LOCATION, PROXY_AUTHORIZATION};
use http::{Request, StatusCode, Uri};
use tower_http::follow_redirect::policy::{Action, Attempt, Policy};

/// Redirects followed for one request before its last 3xx answer is taken as final.
pub const MAX_REDIRECTS: usize = 10;

/// The state of one request's redirect chain; the template is cloned for each request.
#[derive(Debug, Clone, Default)]
pub struct Redirects {
    followed: usize,
    /// The origin of the request the step sent, from its first redirect on.
    origin: Option<Origin>,
    left_origin: bool,
}

/// Scheme, host and port (the scheme's default when the URI names none).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn of(uri: &Uri) -> Origin {
        let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        Origin {
            host: uri.host().unwrap_or("").to_ascii_lowercase(),
            port: uri.port_u16().or(default),
            scheme,
        }
    }
}

impl Policy<RequestBody, SendError> for Redirects {
    fn redirect(&mut self, attempt: &Attempt<'_>) -> Result<Action, SendError> {
        if self.followed >= MAX_REDIRECTS {
            return Ok(Action::Stop);
        }
        self.followed += 1;
        // At the first redirect, the request before it is the one the step sent; no
        // work is done for the (usual) request that is not redirected.
        let origin = self
            .origin
            .get_or_insert_with(|| Origin::of(attempt.previous()));
        if *origin != Origin::of(attempt.location()) {
            self.left_origin = true;
        }
        Ok(Action::Follow)
    }

    fn on_request(&mut self, request: &mut Request<RequestBody>) {
        if self.left_origin {
            let headers = request.headers_mut();
            for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                headers.remove(name);
            }
        }
    }

    fn clone_body(&self, body: &RequestBody) -> Option<RequestBody> {
        Some(body.clone())
    }
}

/// Whether a response is a redirect the chain stopped at because it was too long:
/// a redirect status with a `Location` that would have been followed.
pub fn too_many(status: StatusCode, headers: &http::HeaderMap) -> bool {
    let redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
    redirect
        && headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|location| location.parse::<Uri>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port_with_defaults() {
        let of = |text: &str| Origin::of(&text.parse().unwrap());
        assert_eq!(of("http://h/a"), of("http://H:80/b"));
        assert_eq!(of("https://h/"), of("https://h:443/x"));
        assert_ne!(of("http://h/"), of("https://h/"));
        assert_ne!(of("http://h:8080/"), of("http://h:8081/"));
        assert_ne!(of("http://h/"), of("http://other/"));
    }

    #[test]
    fn only_a_followable_redirect_counts_as_too_many() {
        let mut headers = http::HeaderMap::new();
        assert!(!too_many(StatusCode::FOUND, &headers), "no Location");
        headers.insert(LOCATION, "/next".parse().unwrap());
        assert!(too_many(StatusCode::FOUND, &headers));
        assert!(too_many(StatusCode::PERMANENT_REDIRECT, &headers));
        assert!(!too_many(StatusCode::NOT_MODIFIED, &headers));
        assert!(!too_many(StatusCode::OK, &headers));
    }
}
