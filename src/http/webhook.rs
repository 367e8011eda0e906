//! Delivery of events to `--events-webhook URL`: each event is POSTed as JSON by a
//! background task, retried with backoff, and dropped with a warning when the receiver stays
//! down. An API call never waits for it.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Request, Uri, header};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

/// Attempts per event before it is dropped.
pub const ATTEMPTS: u32 = 5;
/// Time one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Checks a webhook URL: only `http://` is supported.
pub fn parse_url(url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("invalid --events-webhook URL '{url}': {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(format!(
            "--events-webhook must be an http:// URL; got '{url}'"
        ));
    }
    Ok(uri)
}

/// Delivers events from `rx` to `uri` until the channel closes.
pub async fn deliver(uri: Uri, mut rx: UnboundedReceiver<Value>) {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    while let Some(event) = rx.recv().await {
        let body = Bytes::from(event.to_string());
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=ATTEMPTS {
            let req = Request::post(uri.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(body.clone()));
            let outcome = match req {
                Ok(req) => match tokio::time::timeout(TIMEOUT, client.request(req)).await {
                    Ok(Ok(resp)) if resp.status().is_success() => Ok(()),
                    Ok(Ok(resp)) => Err(format!("status {}", resp.status())),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("timed out".to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            match outcome {
                Ok(()) => break,
                Err(why) if attempt == ATTEMPTS => {
                    tracing::warn!(%uri, %why, event_id = %event["id"], "webhook delivery failed; event dropped");
                }
                Err(why) => {
                    tracing::debug!(%uri, %why, attempt, "webhook delivery failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 3;
                }
            }
        }
    }
}
