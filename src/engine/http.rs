//! The `http` step: render the request from templates, send it with the user's
//! [`HttpService`](super::transport::HttpService), read the body within a size cap and the
//! step's timeout, judge and extract.

use super::checks::{apply_extracts, check_response, remember_extracted};
use super::redirects::{self, MAX_REDIRECTS};
use super::session::UserState;
use super::transport::{self, RequestBody, ResponseBody};
use super::RunContext;
use crate::metrics::{Failure, FailureKind, Sample, StepKind};
use crate::scenario::model::{Body, HttpStep};
use crate::scenario::template::UnsetVariable;
use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http_body_util::BodyExt;
use std::time::Instant;

/// Bodies past this are a failure, so a misbehaving server cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What requests say they are, unless a step sets its own `User-Agent`.
const USER_AGENT_VALUE: &str = concat!("loadgate/", env!("CARGO_PKG_VERSION"));

/// Runs one HTTP step for the user and records its sample under `name`.
pub async fn run(ctx: &RunContext, name: &str, step: &HttpStep, state: &mut UserState) {
    let sample = attempt(ctx, step, state).await;
    ctx.record(state, name, StepKind::Http, sample);
}

async fn attempt(ctx: &RunContext, step: &HttpStep, state: &mut UserState) -> Sample {
    let request = match build(ctx, step, state) {
        Ok(request) => request,
        Err(failure) => {
            return Sample {
                failure: Some(failure),
                ..Default::default()
            }
        }
    };
    let timeout = step.timeout.unwrap_or(ctx.default_timeout);
    let service = state.http.get_or_insert_with(|| ctx.transport.for_user());
    let started = Instant::now();
    // One deadline for the whole exchange: the response and all of its body.
    let deadline = tokio::time::Instant::from_std(started) + timeout;
    let exchange = async {
        let response = transport::send(service, request)
            .await
            .map_err(|err| Failure::from_send_error(&err))?;
        if redirects::too_many(response.status(), response.headers()) {
            return Err(Failure::new(
                FailureKind::Transport,
                format!(
                    "too many redirects: still {} after {MAX_REDIRECTS}",
                    response.status().as_u16()
                ),
            ));
        }
        let status = response.status().as_u16();
        Ok::<_, Failure>((status, read_capped(response.into_body()).await))
    };
    let answer = tokio::time::timeout_at(deadline, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(Failure::new(
                FailureKind::Timeout,
                format!("no complete response within {timeout:?}"),
            ))
        });
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(failure) => {
            return Sample {
                latency: Some(started.elapsed()),
                failure: Some(failure),
                ..Default::default()
            }
        }
    };
    let latency = started.elapsed();
    let verdict = body.and_then(|bytes| {
        let text = String::from_utf8_lossy(&bytes);
        let parsed = std::cell::OnceCell::new();
        let json = || {
            parsed
                .get_or_init(|| serde_json::from_str::<serde_json::Value>(&text).ok())
                .clone()
        };
        check_response(&step.expect, status, &text, &json, &state.vars)?;
        if step.extract.is_empty() {
            return Ok(());
        }
        apply_extracts(&step.extract, json().as_ref(), &mut state.vars)?;
        remember_extracted(&step.extract, state);
        Ok(())
    });
    let verdict = verdict.map_err(|failure| ctx.redacted(state, failure));
    Sample {
        latency: Some(latency),
        failure: verdict.err(),
        ..Default::default()
    }
}

/// Renders the request; an unset variable fails the step before anything is sent. What
/// it sends under credential-like names is remembered in the user's secrets.
fn build(
    ctx: &RunContext,
    step: &HttpStep,
    state: &mut UserState,
) -> Result<http::Request<RequestBody>, Failure> {
    let unset = |e: UnsetVariable| Failure::new(FailureKind::VariableUnset, e.to_string());
    let rendered;
    let path = match step.path.as_literal() {
        Some(fixed) => fixed,
        None => {
            rendered = step.path.render(&state.vars).map_err(unset)?;
            rendered.as_str()
        }
    };
    let query: Vec<(String, String)> = step
        .query
        .iter()
        .map(|(k, v)| Ok((k.clone(), v.render(&state.vars)?)))
        .collect::<Result<_, UnsetVariable>>()
        .map_err(unset)?;
    let (uri, joined) = ctx
        .address
        .http_uri(path, &query)
        .map_err(|reason| Failure::new(FailureKind::Transport, reason))?;
    // The target's, the path's and the step's query parameters alike.
    state.secrets.add_uri_query(&uri);
    let mut request = http::Request::builder()
        .method(step.method.clone())
        .uri(uri);
    let headers = request
        .headers_mut()
        .expect("a request built from checked parts");
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    let mut authorized = false;
    let mut typed = false;
    for (header, value) in &step.headers {
        let value = value.render(&state.vars).map_err(unset)?;
        state.secrets.add_sent(header, &value);
        let name = http::HeaderName::from_bytes(header.as_bytes()).map_err(|_| {
            Failure::new(
                FailureKind::Transport,
                format!("`{header}` is not a header name"),
            )
        })?;
        let value = HeaderValue::from_str(&value).map_err(|_| {
            Failure::new(
                FailureKind::Transport,
                format!("the value of header `{header}` cannot be sent (a line break or control character)"),
            )
        })?;
        authorized |= name == AUTHORIZATION;
        typed |= name == CONTENT_TYPE;
        if name == USER_AGENT || name == ACCEPT {
            headers.remove(&name);
        }
        headers.append(name, value);
    }
    if let (true, false, Some(basic)) = (joined, authorized, ctx.address.basic_authorization()) {
        let mut value = HeaderValue::from_str(&basic).map_err(|_| {
            Failure::new(
                FailureKind::Transport,
                "the target's credentials cannot be sent",
            )
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let body = match &step.body {
        Some(Body::Json(json)) => {
            let doc = json.render(&state.vars).map_err(unset)?;
            state.secrets.add_json(&doc);
            if !typed {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Bytes::from(serde_json::to_vec(&doc).map_err(|e| {
                Failure::new(
                    FailureKind::Transport,
                    format!("the JSON body cannot be written: {e}"),
                )
            })?)
        }
        Some(Body::Raw(raw)) => {
            let text = raw.render(&state.vars).map_err(unset)?;
            state.secrets.add_raw_body(&text);
            Bytes::from(text)
        }
        None => Bytes::new(),
    };
    request
        .body(RequestBody::new(body))
        .map_err(|e| Failure::new(FailureKind::Transport, e.to_string()))
}

/// Reads the body frame by frame, failing once it passes [`MAX_BODY_BYTES`].
async fn read_capped(mut body: ResponseBody) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| Failure::from_body_error(&*err))?;
        let Some(chunk) = frame.data_ref() else {
            continue;
        };
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Failure::new(
                FailureKind::InvalidBody,
                format!("body larger than {} MiB", MAX_BODY_BYTES / (1024 * 1024)),
            ));
        }
        bytes.extend_from_slice(chunk);
    }
    Ok(bytes)
}
