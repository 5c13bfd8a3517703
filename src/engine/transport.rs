//! How `http` steps reach the target: hyper-util's pooled HTTP/1.1 client (the client
//! reqwest wraps) under tower-http's redirect and gzip layers, with rustls and the
//! platform's certificate verifier for `https`, set up as reqwest sets them up.
//!
//! Goose runs the users and the test plan; it does not carry the requests. reqwest's own
//! per-request layers (its redirect policy re-parses every URL, its retry layer clones
//! every request, each send clones the whole client) took about 40 % of a request's CPU
//! on loopback, which `bench/efficiency` measures.
//!
//! - `load.connections: per_user`: each user has its own pool ([`Transport::for_user`]);
//!   `shared`: every user holds a clone of one pool. All pools share one TLS setup.
//! - Redirects: up to [`MAX_REDIRECTS`] are followed (301–303 turn into `GET`, 307/308
//!   send the body again), and credentials are dropped when one leaves the origin.
//! - Responses sent with `Content-Encoding: gzip` are decompressed.
//! - Connections go straight to the target: proxy variables (`HTTP_PROXY`) are not read.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use tower::{Service, ServiceExt};
use tower_http::decompression::{Decompression, DecompressionBody};
use tower_http::follow_redirect::policy::{
    clone_body_fn, And, CloneBodyFn, FilterCredentials, Limited, PolicyExt,
};
use tower_http::follow_redirect::FollowRedirect;

/// What a request carries: the whole body, so a 307/308 redirect can send it again.
pub type RequestBody = Full<Bytes>;

/// A response's body, decompressed as it is read.
pub type ResponseBody = DecompressionBody<Incoming>;

/// Why a request got no response (connect, TLS, protocol).
pub type SendError = hyper_util::client::legacy::Error;

/// Redirects followed before the last 3xx answer is taken as the response, as reqwest.
pub const MAX_REDIRECTS: usize = 10;

type Pool = Client<HttpsConnector<HttpConnector>, RequestBody>;
type CloneBody = CloneBodyFn<fn(&RequestBody) -> Option<RequestBody>>;
type Redirects = And<And<Limited, FilterCredentials>, CloneBody>;

/// One user's way to the target: cloning it shares its connection pool.
pub type HttpService = Decompression<FollowRedirect<Pool, Redirects>>;

/// Builds the users' HTTP services for one run.
pub struct Transport {
    connector: HttpsConnector<HttpConnector>,
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
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let mut transport = Transport {
            connector,
            shared: None,
        };
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

    fn pool(&self) -> HttpService {
        let pool = Client::builder(TokioExecutor::new()).build(self.connector.clone());
        let clone: fn(&RequestBody) -> Option<RequestBody> = |body| Some(body.clone());
        let redirects = Limited::new(MAX_REDIRECTS)
            .and::<_, RequestBody, SendError>(FilterCredentials::new())
            .and::<_, RequestBody, SendError>(clone_body_fn(clone));
        Decompression::new(FollowRedirect::with_policy(pool, redirects))
    }
}

/// Sends `request` and waits for the response's head; the body is read from the result.
pub async fn send(
    service: &mut HttpService,
    request: http::Request<RequestBody>,
) -> Result<http::Response<ResponseBody>, SendError> {
    service.ready().await?.call(request).await
}
