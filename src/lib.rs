//! partnercentral-local: a local implementation of the AWS Partner Central Selling API.
//!
//! A request travels `http` (socket, routing, body reader) → `protocol` (awsJson1_0, decoding
//! along the model) → `auth` (SigV4, account, allow lists) → `model` (validation against the
//! service model) → `ops` (one folder per resource family; store work on the blocking pool) →
//! `domain` (lifecycle rules, ids, tokens, typed changes) → `store`. `app` holds the state
//! every handler shares; `admin` is the control plane, a second door into the same `ops`.
//!
//! Rust tests can run the server in-process:
//! ```no_run
//! # async fn demo() -> Result<(), partnercentral_local::StartError> {
//! let server = partnercentral_local::start(partnercentral_local::Config::ephemeral()).await?;
//! let endpoint = server.url(); // give this to the SDK as its endpoint URL
//! # let _ = endpoint;
//! server.shutdown().await.ok();
//! # Ok(()) }
//! ```

pub mod admin;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod http;
pub mod logging;
pub mod model;
pub mod ops;
pub mod protocol;
pub mod replicas;
pub mod rules;
pub mod store;

pub use app::AppState;
pub use config::{Config, Storage};
pub use http::RunningServer;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Credentials(String),
    #[error("{0}")]
    Quotas(String),
    #[error("{0}")]
    Webhook(String),
    #[error("{0}")]
    Seed(String),
    #[error(transparent)]
    Storage(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// Opens storage, binds the listen address and starts serving.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    let auth = match &config.credentials {
        Some(path) => auth::Authenticator::Verify(
            auth::CredentialStore::load(path).map_err(StartError::Credentials)?,
        ),
        None => auth::Authenticator::Open,
    };
    let quotas = match config.quotas {
        config::QuotaMode::Off => None,
        config::QuotaMode::Aws => Some(rules::Quotas::new(match &config.quotas_file {
            None => rules::quotas::QuotaTable::aws(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    StartError::Quotas(format!("cannot read {}: {e}", path.display()))
                })?;
                rules::quotas::QuotaTable::parse(&text, model::Model::get()).map_err(|e| {
                    StartError::Quotas(format!("quota file {}: {e}", path.display()))
                })?
            }
        })),
    };
    let webhook = config
        .events_webhook
        .as_deref()
        .map(http::webhook::parse_url)
        .transpose()
        .map_err(StartError::Webhook)?;
    // Opening, migrating and seeding block (a PostgreSQL client refuses to on an async
    // worker): on the blocking pool.
    let opening = config.clone();
    let service = tokio::task::spawn_blocking(move || open_service(&opening))
        .await
        .map_err(|e| {
            StartError::Storage(store::StoreError::Open(format!("opening panicked: {e}")))
        })??;
    if let Some(uri) = webhook {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        service.events.subscribe(tx);
        tokio::spawn(http::webhook::deliver(uri, rx));
    }
    let state = AppState {
        service,
        auth,
        body: http::body::BodyLimits {
            max_bytes: config.max_body_bytes,
            timeout: config.body_timeout,
        },
        admin_token: config.admin_token.clone().map(auth::Secret::new),
        faults: rules::Faults::default(),
        quotas,
        error_status: config.error_status,
        recent: http::recent::RecentCalls::default(),
    };
    let limits = http::ConnectionLimits {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
    };
    let protected = state.admin_token.is_some();
    let state = std::sync::Arc::new(state);
    // Replicas sharing the store: load what they share, then follow their changes (blocking).
    let following = state.clone();
    tokio::task::spawn_blocking(move || replicas::follow(&following))
        .await
        .map_err(|e| {
            StartError::Storage(store::StoreError::Open(format!("following panicked: {e}")))
        })??;
    tokio::spawn(settle_on_time(std::sync::Arc::downgrade(&state)));
    let app = admin::router(state.clone())
        .merge(admin::ui::router(state.clone()))
        .merge(admin::files::reports_router())
        .route("/", axum::routing::any(admin::ui::root))
        .fallback(http::api)
        .with_state(state.clone());
    let server = http::serve(&config.listen, app, protected, limits)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen.clone(),
            source,
        })?;
    // Report URLs name the address clients reach (an unspecified one: this machine).
    let addr = server.local_addr();
    let host = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let _ = state.service.bulk.base_url.set(format!("http://{host}"));
    tokio::spawn(ops::bulk::runner::run(std::sync::Arc::downgrade(&state)));
    Ok(server)
}

/// Opens the configured store and the service on it, and loads the seed file if any.
fn open_service(config: &Config) -> Result<ops::Service<store::AnyStore>, StartError> {
    let store: store::AnyStore = match &config.storage {
        Storage::DataDir(dir) => store::SqliteStore::open(dir)?.into(),
        Storage::InMemory => store::SqliteStore::in_memory()?.into(),
        Storage::Postgres { url, .. } => store::PostgresStore::open(url)?.into(),
    };
    let mut service = ops::Service::open(store, config.region.clone())?;
    service.task_delay = config.task_delay;
    service.business_rules = config.business_rules;
    service.bulk.record_delay = config.bulk_record_delay;
    if let Storage::DataDir(dir)
    | Storage::Postgres {
        files_dir: Some(dir),
        ..
    } = &config.storage
    {
        service.bulk.files = ops::bulk::files::Files::at(dir.join("files"));
    }
    if let Some(path) = &config.seed {
        seed(&service, path)
            .map_err(|e| StartError::Seed(format!("seed file {}: {e}", path.display())))?;
    }
    Ok(service)
}

/// Commits what the service clock makes due (invitations expiring, delayed tasks
/// completing) even when no request asks, so that event consumers see it: every 100 ms with
/// delayed tasks, else every second. Operations that read such records settle first anyway.
async fn settle_on_time(state: std::sync::Weak<AppState>) {
    // A weak reference: the state (and the store, whose close checkpoints the WAL) goes when
    // the server stops, not when this task does.
    let period = match state.upgrade() {
        Some(s) if !s.service.task_delay.is_zero() => std::time::Duration::from_millis(100),
        Some(_) => std::time::Duration::from_secs(1),
        None => return,
    };
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        let settled = state
            .blocking(|state| ops::invitations::flows::settle(&state.service))
            .await;
        if let Ok(Err(e)) = settled {
            tracing::warn!(error = %e, "settling due invitations and tasks failed");
        }
    }
}

/// Loads a state document into an empty store (a store with records is left alone).
fn seed(service: &ops::Service<store::AnyStore>, path: &std::path::Path) -> Result<(), String> {
    use store::Store;
    let empty = service
        .store
        .transaction(|tx| tx.is_empty())
        .map_err(|e| e.to_string())?;
    if !empty {
        tracing::info!(path = %path.display(), "store is not empty; seed file not loaded");
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let counts = ops::state::import(service, std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|e| e.to_string())?;
    let counts = serde_json::to_string(&counts).unwrap_or_default();
    tracing::info!(path = %path.display(), %counts, "seed loaded");
    Ok(())
}
