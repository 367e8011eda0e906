//! Files for bulk jobs over HTTP: the control plane's uploads (`PUT|GET|DELETE
//! /_admin/files/{key}`, `GET /_admin/files`), which `s3://…/{key}` file URIs resolve to, and
//! the report downloads (`GET /_bulk-reports/…`) that report URLs name — outside the control
//! plane, since like S3's presigned URLs they carry their own signature and expiry.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, Uri, header};
use axum::routing::get;
use serde_json::json;

use super::{AdminError, answer, internal};
use crate::app::AppState;
use crate::ops::bulk::files::UploadError;
use crate::ops::bulk::reports::{self, ALL_RECORDS, FAILED_RECORDS, Refused};
use crate::store::{Scope, Store};

impl From<UploadError> for AdminError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::BadKey(_) | UploadError::Unreadable(_) => AdminError::bad(e.to_string()),
            UploadError::TooLarge => AdminError(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            UploadError::Store(err) => {
                tracing::error!(error = %err, "cannot store an uploaded file");
                AdminError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the file could not be stored; see the server log".into(),
                )
            }
        }
    }
}

/// The URI a bulk job names an uploaded file with.
pub fn s3_uri(key: &str) -> String {
    format!(
        "s3://partnercentral-local/{}",
        crate::ops::bulk::files::encode_key(key)
    )
}

/// `PUT /_admin/files/{key}`: stores the body (streamed to disk, never held whole).
pub async fn upload(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    req: Request<Body>,
) -> Response<Body> {
    let (reader, pump) = crate::http::stream::request_body(req.into_body(), state.body.timeout);
    let stored_key = key.clone();
    let (_, stored) = tokio::join!(
        pump,
        state.blocking(move |state| state.service.bulk.files.upload(&stored_key, reader))
    );
    answer(match stored {
        Ok(Ok(size)) => Ok(json!({"key": key, "size": size, "uri": s3_uri(&key)})),
        Ok(Err(UploadError::Unreadable(io))) if io.kind() == std::io::ErrorKind::TimedOut => {
            Err(AdminError(
                StatusCode::REQUEST_TIMEOUT,
                format!("{io}; nothing was stored"),
            ))
        }
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(internal()),
    })
}

/// `GET /_admin/files`: every stored file, by key.
pub async fn list(State(state): State<Arc<AppState>>) -> Response<Body> {
    super::run(&state, |state| {
        let files = state
            .service
            .bulk
            .files
            .uploads()
            .map_err(UploadError::Store)?;
        Ok(json!({"files": files.iter().map(|(key, size)| json!({"key": key, "size": size, "uri": s3_uri(key)})).collect::<Vec<_>>()}))
    })
    .await
}

/// `DELETE /_admin/files/{key}`.
pub async fn delete(State(state): State<Arc<AppState>>, Path(key): Path<String>) -> Response<Body> {
    super::run(&state, move |state| {
        let deleted = state.service.bulk.files.delete(&key)?;
        if deleted {
            Ok(json!({"deleted": key}))
        } else {
            Err(AdminError(
                StatusCode::NOT_FOUND,
                format!(
                    "no file is stored under the key {}",
                    crate::model::validate::quote(&key)
                ),
            ))
        }
    })
    .await
}

/// The report downloads' route (no control-plane token: the URL's signature is the key).
pub fn reports_router() -> Router<Arc<AppState>> {
    Router::new().route(
        "/_bulk-reports/{account}/{catalog}/{job}/{file}",
        get(report),
    )
}

/// An S3-style XML error, as a presigned URL's client expects.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut resp = Response::new(Body::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    resp
}

fn query_param<'u>(uri: &'u Uri, name: &str) -> Option<&'u str> {
    uri.query()?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn report(
    State(state): State<Arc<AppState>>,
    Path((account, catalog, job, file)): Path<(String, String, String, String)>,
    uri: Uri,
) -> Response<Body> {
    let report_type = match file.strip_suffix(".csv") {
        Some(t @ (FAILED_RECORDS | ALL_RECORDS)) => t.to_string(),
        _ => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            );
        }
    };
    let expires = query_param(&uri, "Expires").and_then(|v| v.parse::<i64>().ok());
    let signature = query_param(&uri, "Signature").unwrap_or_default();
    let scope = Scope { account, catalog };
    let now = state.service.clock.now();
    let checked = match expires {
        Some(at) => reports::check(
            &state.service.bulk,
            &scope,
            &job,
            &report_type,
            at,
            signature,
            now,
        ),
        None => Err(Refused::Signature),
    };
    match checked {
        Ok(()) => {}
        Err(Refused::Expired) => {
            return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
        }
        Err(Refused::Signature) => {
            return s3_error(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            );
        }
    }
    // An object that is gone (its job was reset away) is S3's NoSuchKey.
    let (st, lookup) = (Arc::clone(&state), (scope.clone(), job.clone()));
    let exists = st
        .blocking(move |st| {
            st.service
                .store
                .read(|tx| tx.get_bulk_job(&lookup.0, &lookup.1))
                .map(|j| j.is_some())
        })
        .await;
    match exists {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            );
        }
        _ => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            );
        }
    }
    let status = (report_type == FAILED_RECORDS).then_some("FAILED");
    let (mut writer, body) = crate::http::stream::response_body();
    let st = Arc::clone(&state);
    tokio::spawn(async move {
        let _ = st
            .blocking(move |st| {
                if let Err(e) = write_report(&st.service.store, &scope, &job, status, &mut writer) {
                    tracing::warn!(error = %e, "a bulk report was cut short");
                    writer.abort("the report could not be read");
                }
            })
            .await;
    });
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    resp
}

/// Writes a job's outcomes as CSV, a page at a time.
fn write_report<S: Store>(
    store: &S,
    scope: &Scope,
    job: &str,
    status: Option<&str>,
    out: &mut crate::http::stream::BodyWriter,
) -> Result<(), Box<dyn std::error::Error>> {
    const PAGE: usize = 1000;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(reports::COLUMNS)?;
    let mut after = 0;
    loop {
        let page = store.read(|tx| tx.bulk_results(scope, job, status, after, PAGE))?;
        for (seq, r) in &page {
            csv.write_record([
                r.request_id.as_str(),
                r.status.as_str(),
                r.resource_identifier.as_deref().unwrap_or(""),
                r.error_code.as_deref().unwrap_or(""),
                r.error_message.as_deref().unwrap_or(""),
            ])?;
            after = *seq;
        }
        if page.len() < PAGE {
            break;
        }
    }
    csv.flush()?;
    Ok(())
}
