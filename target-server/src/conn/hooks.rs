//! The service hyper calls for each request on a connection: the app, plus
//! the bookkeeping that keeps the connection's [`Activity`] in step with
//! its requests. A request makes the connection `Busy`; a `101` response
//! makes it `Upgraded`; any other response makes it `Idle` again once its
//! body has been sent (or dropped), which is when the idle timeout starts.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tower_service::Service as _;

use crate::conn::activity::{Activity, Phase};

/// The app as served on one connection.
#[derive(Clone)]
pub(crate) struct Hooked {
    app: Router,
    activity: Arc<Activity>,
}

impl Hooked {
    /// Serves `app`, reporting request boundaries to `activity`.
    pub(crate) fn new(app: Router, activity: Arc<Activity>) -> Self {
        Self { app, activity }
    }
}

impl hyper::service::Service<Request<Incoming>> for Hooked {
    type Response = Response<EndSignal>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let generation = self.activity.enter(Phase::Busy);
        let activity = self.activity.clone();
        let mut app = self.app.clone();
        Box::pin(async move {
            let response = match app.call(req.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                activity.enter(Phase::Upgraded);
            }
            Ok(response.map(|body| EndSignal {
                body,
                ending: Some((activity, generation)),
            }))
        })
    }
}

/// A response body that returns its connection to `Idle` when it is done:
/// at its end, or when hyper drops it unsent.
pub(crate) struct EndSignal {
    body: Body,
    /// The connection and the generation its request made it `Busy` at.
    ending: Option<(Arc<Activity>, u64)>,
}

impl EndSignal {
    fn finish(&mut self) {
        if let Some((activity, generation)) = self.ending.take() {
            activity.request_done(generation);
        }
    }
}

impl HttpBody for EndSignal {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            this.finish();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for EndSignal {
    fn drop(&mut self) {
        self.finish();
    }
}
