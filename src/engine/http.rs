//! The `http` step: render the request from templates, send it with the user's Goose
//! client (Goose keeps no request books: loadgate records the sample), read the body
//! within a size cap, judge and extract.

use super::checks::{apply_extracts, check_response, remember_extracted};
use super::session::UserState;
use super::RunContext;
use crate::metrics::{Failure, FailureKind, Sample, StepKind};
use crate::scenario::model::{Body, HttpStep};
use crate::scenario::template::UnsetVariable;
use goose::prelude::GooseUser;
use std::time::Instant;

/// Bodies past this are a failure, so a misbehaving server cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Runs one HTTP step for `user` and records its sample under `name`.
pub async fn run(
    user: &mut GooseUser,
    ctx: &RunContext,
    name: &str,
    step: &HttpStep,
    state: &mut UserState,
) {
    let sample = attempt(user, ctx, step, state).await;
    ctx.record(state, name, StepKind::Http, sample);
}

async fn attempt(
    user: &GooseUser,
    ctx: &RunContext,
    step: &HttpStep,
    state: &mut UserState,
) -> Sample {
    let request = match build(user, ctx, step, state) {
        Ok(request) => request,
        Err(failure) => {
            return Sample {
                failure: Some(failure),
                ..Default::default()
            }
        }
    };
    let started = Instant::now();
    let http_response = match request.send().await {
        Ok(http_response) => http_response,
        Err(err) => {
            let failure = Failure::from_reqwest(&err);
            return Sample {
                latency: Some(started.elapsed()),
                failure: Some(failure),
                ..Default::default()
            };
        }
    };
    let status = http_response.status().as_u16();
    let body = read_capped(http_response).await;
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
    user: &GooseUser,
    ctx: &RunContext,
    step: &HttpStep,
    state: &mut UserState,
) -> Result<reqwest::RequestBuilder, Failure> {
    let unset = |e: UnsetVariable| Failure::new(FailureKind::VariableUnset, e.to_string());
    let rendered;
    let path = match step.path.as_literal() {
        Some(fixed) => fixed,
        None => {
            rendered = step.path.render(&state.vars).map_err(unset)?;
            rendered.as_str()
        }
    };
    let (url, joined) = ctx
        .address
        .http_url(path)
        .map_err(|reason| Failure::new(FailureKind::Transport, reason))?;
    state.secrets.add_query(&url);
    let mut request = user
        .client
        .request(step.method.clone(), url)
        .timeout(step.timeout.unwrap_or(ctx.default_timeout));
    if !step.query.is_empty() {
        let query: Vec<(String, String)> = step
            .query
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.render(&state.vars)?)))
            .collect::<Result<_, UnsetVariable>>()
            .map_err(unset)?;
        for (name, value) in &query {
            state.secrets.add_sent(name, value);
        }
        request = request.query(&query);
    }
    let mut authorized = false;
    for (header, value) in &step.headers {
        let value = value.render(&state.vars).map_err(unset)?;
        state.secrets.add_sent(header, &value);
        authorized |= header.eq_ignore_ascii_case("authorization");
        request = request.header(header.as_str(), value);
    }
    if let (true, false, Some((user, pass))) = (joined, authorized, ctx.address.credentials()) {
        request = request.basic_auth(user, Some(pass));
    }
    match &step.body {
        Some(Body::Json(json)) => {
            let doc = json.render(&state.vars).map_err(unset)?;
            state.secrets.add_json(&doc);
            request = request.json(&doc);
        }
        Some(Body::Raw(raw)) => {
            let text = raw.render(&state.vars).map_err(unset)?;
            state.secrets.add_raw_body(&text);
            request = request.body(text);
        }
        None => {}
    }
    Ok(request)
}

/// Reads the body chunk by chunk, failing once it passes [`MAX_BODY_BYTES`].
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(Failure::new(
                        FailureKind::InvalidBody,
                        format!("body larger than {} MiB", MAX_BODY_BYTES / (1024 * 1024)),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) => return Err(Failure::from_reqwest_body(&err)),
        }
    }
}
