//! The HTTP server: sockets, connection limits, the API's request path ([`api`]), request
//! ids, the per-request log line and graceful shutdown. [`body`] reads every request body, the
//! API's and the control plane's; [`recent`] keeps the last API calls for the web console. The
//! control plane is mounted beside [`api`] by the caller (`lib.rs`), so this module does not
//! depend on it.
//!
//! [`api`] is the request path in order: protocol → auth → validation → operation; the
//! operation runs on the blocking pool (store work never runs on the async workers).

pub mod body;
pub mod recent;
pub mod stream;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::http::Response;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::AppState;
use crate::auth::SignedRequest;
use crate::domain::CATALOGS;
use crate::model::conform::redact;
use crate::model::validate::{Code, FieldViolation, InputError, validate};
use crate::ops::Context;
use crate::protocol::{self, ApiError, ValidationReason};

/// Limits of the connection layer.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// A running server.
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, the endpoint URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes in-flight requests and closes storage.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Binds `listen` and serves `app` (the API router, see [`api`], with the control plane the
/// caller mounted beside it) until shut down. `admin_protected` says whether the control plane
/// requires a token: without one, only a loopback address may be served.
pub async fn serve(
    listen: &str,
    app: axum::Router,
    admin_protected: bool,
    limits: ConnectionLimits,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() && !admin_protected {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{addr} is reachable from other machines: set --admin-token so that the control plane \
                 (/_admin) is not open to them"
            ),
        ));
    }
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(accept_loop(listener, app, limits, rx));
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// What the log line of a request says.
#[derive(Default)]
struct Outcome {
    operation: Option<String>,
    account: Option<String>,
    catalog: Option<String>,
}

/// Accepts connections until shutdown: at most `max_connections` at once (further ones are
/// closed at once), each with a deadline for its headers; then stops accepting, lets
/// in-flight requests finish (30 s at most) and returns.
async fn accept_loop(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    use hyper::server::conn::http1;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving the others.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    tracing::warn!(limit = limits.max_connections, "connection limit reached; closing a new connection");
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
    Ok(())
}

/// The API: every request that is not the control plane's.
pub async fn api(State(state): State<Arc<AppState>>, req: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let request_id = uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string();
    let mut outcome = Outcome::default();
    let mut error = None;
    let resp = match handle(&state, req, &mut outcome).await {
        Ok(body) => protocol::success_response(&request_id, body),
        Err(err) => {
            error = Some(err.kind.name());
            protocol::error_response(&request_id, &err, state.error_status)
        }
    };
    let operation = outcome.operation.as_deref().unwrap_or("-");
    let account = outcome.account.as_deref().unwrap_or("-");
    let catalog = outcome.catalog.as_deref().unwrap_or("-");
    let status = resp.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    if !crate::logging::request(operation, account, catalog, status, latency_us, &request_id) {
        tracing::info!(
            operation,
            account,
            catalog,
            status,
            latency_us,
            request_id = %request_id,
            "request"
        );
    }
    // What the log line says, for the console's activity page (`recent`).
    state.recent.record(recent::Call {
        seq: 0,
        at: chrono::Utc::now(),
        operation: outcome.operation,
        account: outcome.account,
        catalog: outcome.catalog,
        status,
        error,
        latency_us,
        request_id,
    });
    resp
}

/// Whether a matching fault rule may act: always, unless replicas share a counted rule and
/// another used its last use.
async fn claimed(state: &Arc<AppState>, action: &crate::rules::faults::FaultAction) -> bool {
    let Some(id) = action.counted.clone().filter(|_| state.service.shared) else {
        return true;
    };
    match state
        .blocking(move |s| crate::replicas::claim_fault(s, &id))
        .await
    {
        Ok(Ok(claimed)) => claimed,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot claim a fault rule's use; applying it");
            true
        }
        Err(_) => true,
    }
}

async fn handle(
    state: &Arc<AppState>,
    req: Request<Body>,
    outcome: &mut Outcome,
) -> Result<axum::body::Bytes, ApiError> {
    let model = state.service.model;
    let (parts, body) = req.into_parts();
    let op = protocol::resolve_operation(model, &parts.method, parts.uri.path(), &parts.headers)?;
    outcome.operation = Some(op.name.clone());
    protocol::check_content_type(&parts.headers)?;
    let bytes = body::read(&parts.headers, body, state.body).await?;

    let caller = state.auth.authenticate(
        &SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &bytes,
        },
        chrono::Utc::now(),
    )?;
    outcome.account = Some(caller.account_id.clone());

    let (input, oversized) = protocol::decode_body(model, op, &bytes)?;
    drop(bytes);
    let catalog = input
        .get("Catalog")
        .and_then(Value::as_str)
        .map(str::to_string);
    outcome.catalog = catalog.clone();
    caller.authorize(&op.name, catalog.as_deref())?;

    if let Some(quotas) = &state.quotas {
        if state.service.shared {
            let (name, account) = (op.name.clone(), caller.account_id.clone());
            state
                .blocking(move |s| crate::replicas::charge_quota(s, &name, &account))
                .await
                .map_err(|_| ApiError::internal())??;
        } else {
            quotas.check(
                &op.name,
                &caller.account_id,
                state.service.clock.offset_millis(),
            )?;
        }
    }
    if let Some(action) = state.faults.check(op, &caller.account_id)
        && claimed(state, &action).await
    {
        if let Some(delay) = action.latency {
            tokio::time::sleep(delay).await;
        }
        if let Some(err) = action.error {
            return Err(err);
        }
    }

    if let Some(shape) = op.input
        && tracing::enabled!(tracing::Level::TRACE)
    {
        tracing::trace!(operation = %op.name, body = %redact(model, shape, &input), "request body");
    }
    let (mut violations, omitted) = match op.input.map(|shape| validate(model, shape, &input)) {
        Some(Err(InputError::Invalid(v, omitted))) => (v, omitted),
        Some(Err(other)) => return Err(other.into()),
        _ => (Vec::new(), 0),
    };
    violations.extend(oversized);
    if let Some(c) = catalog.as_deref().filter(|c| !CATALOGS.contains(c)) {
        violations.push(FieldViolation::new(
            "Catalog",
            Code::InvalidValue,
            format!(
                "Catalog must be one of [{}]; got {}.",
                CATALOGS.join(", "),
                crate::model::validate::quote(c)
            ),
        ));
    }
    if !violations.is_empty() {
        violations.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(ApiError::validation_of(
            ValidationReason::RequestValidationFailed,
            &violations,
            omitted,
        ));
    }
    let ctx = Context {
        account: caller.account_id,
        catalog: catalog.unwrap_or_default(),
        region: state.service.region.clone(),
    };
    if let Some(bytes) = state.service.call_fast(&op.name, &ctx, &input) {
        return Ok(bytes);
    }
    let name = op.name.clone();
    state
        .blocking(move |s| s.service.call(&name, &ctx, &input))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(ApiError::from)
}
