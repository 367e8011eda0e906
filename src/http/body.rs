//! The one reader of request bodies, for the API and the control plane alike: a declared
//! length over the limit is refused before any byte is read, a body that grows past it is
//! cut off, and a body that does not arrive in time is abandoned.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::protocol::{ApiError, ErrorKind};

/// Limits of a request body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// Time a client has to send the whole body.
    pub timeout: Duration,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    TooLarge(usize),
    TimedOut(Duration),
    Unreadable(String),
}

impl BodyError {
    /// HTTP status of the error.
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge(_) => 413,
            BodyError::TimedOut(_) => 408,
            BodyError::Unreadable(_) => 400,
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(limit) => {
                write!(f, "The request body exceeds the limit of {limit} bytes.")
            }
            BodyError::TimedOut(t) => write!(
                f,
                "The request body did not arrive within {} ms.",
                t.as_millis()
            ),
            BodyError::Unreadable(e) => write!(f, "The request body could not be read: {e}."),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        let kind = match e {
            BodyError::TooLarge(_) => ErrorKind::RequestEntityTooLarge,
            BodyError::TimedOut(_) => ErrorKind::RequestTimeout,
            BodyError::Unreadable(_) => ErrorKind::Serialization,
        };
        ApiError::new(kind, e.to_string())
    }
}

/// Reads a whole body within `limits`.
pub async fn read(headers: &HeaderMap, body: Body, limits: BodyLimits) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(BodyError::TooLarge(limits.max_bytes));
    }
    let collected = tokio::time::timeout(
        limits.timeout,
        Limited::new(body, limits.max_bytes).collect(),
    )
    .await
    .map_err(|_| BodyError::TimedOut(limits.timeout))?;
    collected.map(|c| c.to_bytes()).map_err(|e| {
        if e.downcast_ref::<LengthLimitError>().is_some() {
            BodyError::TooLarge(limits.max_bytes)
        } else {
            BodyError::Unreadable(e.to_string())
        }
    })
}
