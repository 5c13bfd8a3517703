//! One scrape over HTTP: a GET of the metrics URL within the scrape timeout, its body
//! read up to [`MAX_BODY_BYTES`] and decoded as UTF-8. Whatever goes wrong becomes a
//! [`ScrapeFailure`] with a short reason (the class the report counts) and a detail
//! fit to show: control characters escaped, no URL (it may hold credentials).

use crate::scenario::diagnostic::printable;
use std::time::Duration;

/// The largest body read from a metrics endpoint: 16 MiB, far above any real
/// exposition (the reference server's is a few kilobytes), so memory stays bounded
/// whatever the target sends.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Why a scrape failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeFailure {
    /// The class the report counts: `timeout`, `connection`, `status 404`, `too
    /// large`, `not UTF-8`, `no samples`.
    pub reason: String,
    /// The first detail, to show beside the count.
    pub detail: String,
}

impl ScrapeFailure {
    /// A failure of class `reason`.
    pub fn new(reason: &str, detail: impl Into<String>) -> Self {
        let detail: String = printable(&detail.into()).chars().take(200).collect();
        ScrapeFailure {
            reason: reason.to_string(),
            detail,
        }
    }
}

/// The HTTP client scrapes use: the whole request within `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| e.without_url().to_string())
}

/// GETs `url` and returns its body as text.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, ScrapeFailure> {
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "text/plain;version=0.0.4")
        .send()
        .await
        .map_err(classify)?;
    let status = response.status();
    let mut response = response;
    let mut body: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ScrapeFailure::new(
                        "too large",
                        format!("the body passed {} MiB", MAX_BODY_BYTES >> 20),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(classify(e)),
        }
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(ScrapeFailure::new(
            &format!("status {}", status.as_u16()),
            format!("{status}: {}", text.trim()),
        ));
    }
    String::from_utf8(body).map_err(|e| {
        ScrapeFailure::new(
            "not UTF-8",
            format!(
                "the body is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

fn classify(error: reqwest::Error) -> ScrapeFailure {
    let reason = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection"
    } else if error.is_body() || error.is_decode() {
        "broken body"
    } else {
        "request"
    };
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    ScrapeFailure::new(reason, detail)
}
