//! The awsJson1_0 protocol: which operation a request names, how its body decodes, and
//! how answers are serialized and written. [`error_response`] is the only code that writes an
//! error; [`encode_reply`] and [`encode_page`] the only code that serializes an answer.

pub mod decode;
pub mod error;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use serde_json::{Map, Value};

pub use error::{ApiError, ErrorKind, ErrorStatus, ValidationReason};

use crate::model::conform::conform;
use crate::model::validate::{FieldViolation, quote};
use crate::model::{Model, Operation};

/// What an operation answers: a document (trimmed to the output shape when serialized) or
/// bytes already serialized (a cached answer, a page of pre-rendered entries).
#[derive(Debug)]
pub enum Reply {
    Doc(Value),
    Encoded(axum::body::Bytes),
}

/// Content type of every answer.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Finds the operation a request names: `POST /` with `X-Amz-Target:
/// AWSPartnerCentralSelling.<Operation>`, or `POST /<Operation>` (AWS's Postman form).
pub fn resolve_operation<'m>(
    model: &'m Model,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<&'m Operation, ApiError> {
    if method != Method::POST {
        return Err(ApiError::new(
            ErrorKind::MethodNotAllowed,
            format!(
                "partnercentral-selling accepts only POST requests; got {method} {}.",
                quote(path)
            ),
        )
        .with_header("allow", "POST"));
    }
    let target = headers
        .get("x-amz-target")
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let from_target = |t: &str| -> Result<&'m Operation, ApiError> {
        t.strip_prefix(&model.target_prefix)
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|name| model.operation(name))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::UnknownOperation,
                    format!(
                        "X-Amz-Target {} does not name an operation of partnercentral-selling.",
                        quote(t)
                    ),
                )
            })
    };
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return match target {
            Some(t) => from_target(t),
            None => Err(ApiError::new(
                ErrorKind::UnknownOperation,
                "The request has no X-Amz-Target header naming an operation.",
            )),
        };
    }
    let op = model.operation(trimmed).ok_or_else(|| {
        ApiError::new(
            ErrorKind::UnknownOperation,
            format!(
                "The path {} does not name an operation of partnercentral-selling.",
                quote(&format!("/{trimmed}"))
            ),
        )
    })?;
    if let Some(t) = target
        && from_target(t)?.name != op.name
    {
        return Err(ApiError::new(
            ErrorKind::UnknownOperation,
            format!(
                "X-Amz-Target {} and the path {} name different operations.",
                quote(t),
                quote(&format!("/{trimmed}"))
            ),
        ));
    }
    Ok(op)
}

/// Accepts `application/x-amz-json-1.0` and `application/json`, with parameters, or none.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == CONTENT_TYPE || essence == "application/json" {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            format!("Content-Type '{essence}' is not supported; send {CONTENT_TYPE}."),
        ))
    }
}

/// Decodes a request body along `op`'s input shape (see [`decode`]): empty means `{}`;
/// anything but a JSON object is refused. Also answers the lists and maps that were longer
/// than the model allows (counted, not built).
pub fn decode_body(
    model: &Model,
    op: &Operation,
    bytes: &[u8],
) -> Result<(Value, Vec<FieldViolation>), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((Value::Object(Map::new()), Vec::new()));
    }
    let decoded = decode::decode(model, op.input, bytes).map_err(|e| {
        ApiError::new(
            ErrorKind::Serialization,
            format!("The request body is not valid JSON: {e}."),
        )
    })?;
    if decoded.value.is_object() {
        Ok((decoded.value, decoded.oversized))
    } else {
        Err(ApiError::new(
            ErrorKind::Serialization,
            "The request body must be a JSON object.",
        ))
    }
}

/// Serializes an answer of `op`: a document is trimmed to the output shape first, so that
/// internal members can never leak.
pub fn encode_reply(model: &Model, op: Option<&Operation>, reply: Reply) -> axum::body::Bytes {
    match reply {
        Reply::Encoded(bytes) => bytes,
        Reply::Doc(doc) => {
            let value = match op.map(|o| o.output) {
                Some(Some(shape)) => conform(model, shape, doc),
                // An operation without output answers an empty body, as AWS does (captured
                // `Content-Length: 0` for AssignOpportunity, AssociateOpportunity and
                // SubmitOpportunity); every SDK reads it as the empty output.
                Some(None) => return axum::body::Bytes::new(),
                None => Value::Object(Map::new()),
            };
            axum::body::Bytes::from(serde_json::to_vec(&value).unwrap_or_else(|_| b"{}".to_vec()))
        }
    }
}

/// A page of entries serialized when they were stored: `{items_key: [..], NextToken?}`,
/// joined as they are.
pub fn encode_page<'a>(
    items_key: &str,
    items: impl Iterator<Item = &'a str> + Clone,
    next_token: Option<&str>,
) -> axum::body::Bytes {
    let size: usize = items.clone().map(|i| i.len() + 1).sum();
    let mut out = String::with_capacity(size + items_key.len() + 64);
    out.push('{');
    out.push_str(&Value::String(items_key.to_string()).to_string());
    out.push_str(":[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    if let Some(token) = next_token {
        out.push_str(",\"NextToken\":");
        out.push_str(&Value::String(token.to_string()).to_string());
    }
    out.push('}');
    axum::body::Bytes::from(out)
}

fn base(status: u16, request_id: &str, body: impl Into<Body>) -> Response<Body> {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    resp
}

/// A 200 answer carrying `body` (serialized JSON).
pub fn success_response(request_id: &str, body: axum::body::Bytes) -> Response<Body> {
    base(200, request_id, body)
}

/// The one place that writes an error: its status under `policy` (`--error-status`),
/// `X-Amzn-Errortype` as AWS sends it, and a body with the full shape id in `__type`, `Message`
/// and the shape's other members.
pub fn error_response(request_id: &str, err: &ApiError, policy: ErrorStatus) -> Response<Body> {
    let mut body = err.fields.clone();
    body.insert("__type".into(), Value::String(err.kind.type_id()));
    body.insert("Message".into(), Value::String(err.message.clone()));
    let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
    let mut resp = base(err.kind.status(policy), request_id, bytes);
    let h = resp.headers_mut();
    h.insert(
        "x-amzn-errortype",
        HeaderValue::from_static(err.kind.error_type_header()),
    );
    for (name, value) in &err.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    resp
}
