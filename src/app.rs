//! What every request handler shares, API and control plane alike: the service, the
//! authenticator, the body limits, the control-plane token, faults, quotas and the
//! error-status policy; and the one way handlers run store work — on tokio's blocking pool,
//! never on the async workers.

use std::sync::Arc;

use crate::auth::{Authenticator, Secret};
use crate::http::body::BodyLimits;
use crate::http::recent::RecentCalls;
use crate::ops::Service;
use crate::protocol::ErrorStatus;
use crate::rules::{Faults, Quotas};
use crate::store::AnyStore;

/// The state behind every route.
pub struct AppState {
    pub service: Service<AnyStore>,
    pub auth: Authenticator,
    /// Size and time limits of request bodies, for the API and the control plane.
    pub body: BodyLimits,
    /// The control plane's bearer token, if it requires one.
    pub admin_token: Option<Secret>,
    pub faults: Faults,
    /// Enforced rate quotas (`--quotas aws`).
    pub quotas: Option<Quotas>,
    /// The statuses modeled errors are answered with (`--error-status`).
    pub error_status: ErrorStatus,
    /// The last API calls (`http::api` records each), for the web console.
    pub recent: RecentCalls,
}

/// Store work that panicked (already logged); the store itself rolled back and stays usable.
#[derive(Debug, Clone, Copy)]
pub struct Panicked;

impl AppState {
    /// Runs `f` (SQLite and JSON work) on the blocking pool. A panic inside it is caught
    /// there: the transaction it was in rolls back, and the caller gets [`Panicked`].
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> T + Send + 'static,
    ) -> Result<T, Panicked> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "a request panicked; its transaction was rolled back");
                Panicked
            })
    }

    /// Runs long whole-store work (an export) on a thread of its own at a lower scheduling
    /// priority, so that on a small machine the requests served meanwhile keep their latency.
    pub async fn background<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> T + Send + 'static,
    ) -> Result<T, Panicked> {
        let state = Arc::clone(self);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("pcl-background".into())
            .spawn(move || {
                lower_priority();
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&state)));
                let _ = tx.send(out);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start a background thread");
            return Err(Panicked);
        }
        match rx.await {
            Ok(Ok(out)) => Ok(out),
            _ => {
                tracing::error!("background work panicked; its transaction was rolled back");
                Err(Panicked)
            }
        }
    }
}

/// Lowers the calling thread's scheduling priority (Linux: `nice` is per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; `0` names the calling thread on Linux.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}
