//! The awsJson1_0 protocol: which operation a request names, how its body decodes, and
//! how answers are written. [`error_response`] is the only code that writes an error.

pub mod error;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use serde_json::{Map, Value};

pub use error::{ApiError, ErrorKind, ValidationReason};

use crate::model::validate::quote;
use crate::model::{Model, Operation};

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

/// Decodes a request body: empty means `{}`; anything but a JSON object is refused.
pub fn decode_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorKind::Serialization,
            format!("The request body is not valid JSON: {e}."),
        )
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::new(
            ErrorKind::Serialization,
            "The request body must be a JSON object.",
        ))
    }
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

/// The one place that writes an error: status, `X-Amzn-Errortype`, and a body with the full
/// shape id in `__type`, `Message` and the shape's other members.
pub fn error_response(request_id: &str, err: &ApiError) -> Response<Body> {
    let mut body = err.fields.clone();
    body.insert("__type".into(), Value::String(err.kind.type_id()));
    body.insert("Message".into(), Value::String(err.message.clone()));
    let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
    let mut resp = base(err.kind.status(), request_id, bytes);
    let h = resp.headers_mut();
    h.insert(
        "x-amzn-errortype",
        HeaderValue::from_static(err.kind.name()),
    );
    for (name, value) in &err.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    resp
}
