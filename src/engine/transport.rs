//! How `http` steps reach the target: hyper-util's pooled HTTP/1.1 client (the client
//! reqwest wraps) under tower-http's redirect and gzip layers, with rustls and the
//! platform's certificate verifier for `https`, and reqwest's connection settings (TCP
//! no-delay, TCP keep-alive every 15 s, idle connections closed after 90 s).
//!
//! Goose runs the users and the test plan; it does not carry the requests. reqwest's own
//! per-request layers (its redirect policy re-parses every URL, its retry layer clones
//! every request, each send clones the whole client) took about 40 % of a request's CPU
//! on loopback, which `bench/efficiency` measures.
//!
//! - `load.connections: per_user`: each user has its own pool and its own TLS session
//!   cache, as each browser would ([`Transport::for_user`]); `shared`: every user holds a
//!   clone of one pool. The certificate verifier is set up once for all of them.
//! - Redirects: see `redirects`. Responses sent with `Content-Encoding: gzip` are
//!   decompressed.
//! - Connections go straight to the target: proxy variables (`HTTP_PROXY`) are not read.

use super::redirects::Redirects;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tower::{Service, ServiceExt};
use tower_http::decompression::{Decompression, DecompressionBody};
use tower_http::follow_redirect::FollowRedirect;

/// What a request carries: the whole body, so a 307/308 redirect can send it again.
pub type RequestBody = Full<Bytes>;

/// A response's body, decompressed as it is read.
pub type ResponseBody = DecompressionBody<Incoming>;

/// Why a request got no response (connect, TLS, protocol).
pub type SendError = hyper_util::client::legacy::Error;

/// TLS sessions a user's pool remembers for resumption, per server name.
const TLS_SESSIONS: usize = 32;

type Pool = Client<HttpsConnector<HttpConnector>, RequestBody>;

/// One user's way to the target: cloning it shares its connection pool.
pub type HttpService = Decompression<FollowRedirect<Pool, Redirects>>;

/// Builds the users' HTTP services for one run.
pub struct Transport {
    /// TLS settings with the verifier; each pool gets its own session cache.
    tls: rustls::ClientConfig,
    /// With `load.connections: shared`, the one pool every user clones.
    shared: Option<HttpService>,
}

impl Transport {
    /// The run's transport; `shared` gives every user the same pool.
    pub fn new(shared: bool) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(rustls_platform_verifier::BuilderVerifierExt::with_platform_verifier)
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_no_client_auth();
        let mut transport = Transport { tls, shared: None };
        if shared {
            transport.shared = Some(transport.pool());
        }
        Ok(transport)
    }

    /// The service a new user sends with: a clone of the shared pool, or its own.
    pub fn for_user(&self) -> HttpService {
        match &self.shared {
            Some(shared) => shared.clone(),
            None => self.pool(),
        }
    }

    /// A new pool, with a TLS session cache of its own (the verifier is shared).
    fn pool(&self) -> HttpService {
        let mut tls = self.tls.clone();
        tls.resumption = rustls::client::Resumption::in_memory_sessions(TLS_SESSIONS);
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(15)));
        http.set_keepalive_interval(Some(Duration::from_secs(15)));
        http.set_keepalive_retries(Some(3));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Decompression::new(FollowRedirect::with_policy(pool, Redirects::default()))
    }
}

/// Sends `request` and waits for the response's head; the body is read from the result.
pub async fn send(
    service: &mut HttpService,
    request: http::Request<RequestBody>,
) -> Result<http::Response<ResponseBody>, SendError> {
    service.ready().await?.call(request).await
}
