//! The operations: from validated JSON input to a [`Reply`] or a [`ServiceError`].
//!
//! Operations are grouped by resource family, one folder each with the same shape:
//! `mod.rs` (the family's operations table), `api.rs` (the API handlers), `admin.rs` (what the
//! control plane does to the family's records) and `view.rs` (records rendered as responses).
//! [`registry`] joins the families' tables with the model: dispatch, the implemented set and
//! the `NotImplemented` answer of every other operation derive from it.
//!
//! Every lookup goes through [`access`], which decides who may see a record (spec §8).
//! Every write goes through [`Service::write`]: one transaction, the time read inside it, and
//! a typed list of [`Change`]s that, once committed, drives the events and cache eviction.

pub mod access;
pub mod bulk;
pub mod cache;
pub mod common;
pub mod customers;
pub mod engagements;
pub mod features;
pub mod invitations;
pub mod opportunities;
pub mod registry;
pub mod settings;
pub mod snapshots;
pub mod solutions;
pub mod state;
pub mod tagging;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::changes::Change;
use crate::domain::events::{self, EventLog};
use crate::domain::time::{self, Clock};
use crate::model::Model;
use crate::model::validate::{Code, FieldViolation};
use crate::protocol::{self, ApiError, ErrorKind, Reply, ValidationReason};
use crate::store::{Store, StoreError, Tx};

pub use registry::Registry;

/// Who calls, and where.
#[derive(Debug, Clone)]
pub struct Context {
    pub account: String,
    pub catalog: String,
    pub region: String,
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    AccessDenied(String),
    /// `AccessDeniedException` with its modeled `Reason` (an `AccessDeniedExceptionErrorCode`,
    /// e.g. a feature switched off for the account: [`features`]).
    #[error("{message}")]
    Denied {
        reason: &'static str,
        message: String,
    },
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("business rule violated")]
    Business(Vec<FieldViolation>),
    #[error("invalid request")]
    Invalid(Vec<FieldViolation>),
    #[error("{0}")]
    NotImplemented(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn business(field: &str, code: Code, message: impl Into<String>) -> Self {
        ServiceError::Business(vec![FieldViolation::new(field, code, message)])
    }

    pub fn invalid(field: &str, code: Code, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldViolation::new(field, code, message)])
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => ApiError::new(ErrorKind::ResourceNotFound, m),
            ServiceError::Conflict(m) => ApiError::new(ErrorKind::Conflict, m),
            ServiceError::AccessDenied(m) => ApiError::new(ErrorKind::AccessDenied, m),
            ServiceError::Denied { reason, message } => {
                ApiError::new(ErrorKind::AccessDenied, message)
                    .with_field("Reason", Value::String(reason.to_string()))
            }
            ServiceError::QuotaExceeded(m) => ApiError::new(ErrorKind::ServiceQuotaExceeded, m),
            ServiceError::Business(v) => {
                // As AWS answers: lowerCamel field paths, and the captured `<TOKEN>
                // <field>:<text>` entries joined by `;` as the message.
                let named: Vec<FieldViolation> = v
                    .iter()
                    .map(|f| {
                        FieldViolation::new(
                            crate::rules::business::field_name(&f.field),
                            f.code,
                            f.message.clone(),
                        )
                    })
                    .collect();
                let mut e =
                    ApiError::validation(ValidationReason::BusinessValidationFailed, &named);
                e.message = crate::rules::business::summary(&v);
                e
            }
            ServiceError::Invalid(v) => {
                ApiError::validation(ValidationReason::RequestValidationFailed, &v)
            }
            ServiceError::NotImplemented(m) => ApiError::new(ErrorKind::NotImplemented, m),
            ServiceError::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                match err.condition() {
                    Some(condition) => ApiError::new(
                        ErrorKind::InternalServer,
                        format!("The data directory is {condition}; nothing was written."),
                    ),
                    None => ApiError::internal(),
                }
            }
        }
    }
}

/// One write in progress: its transaction, the time it happens at, and what it changed.
pub struct Write<'t> {
    pub tx: &'t mut dyn Tx,
    /// Read from the service clock inside the transaction.
    pub now: DateTime<Utc>,
    changes: Vec<Change>,
}

impl Write<'_> {
    /// Records what this write changed (published once it committed).
    pub fn changed(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// `now` as the service writes timestamps.
    pub fn stamp(&self) -> String {
        time::format(self.now)
    }
}

/// The operations over one store.
pub struct Service<S: Store> {
    pub store: S,
    pub region: String,
    pub model: &'static Model,
    pub registry: Registry<S>,
    /// Events emitted by committed operations.
    pub events: EventLog,
    /// Rendered GetAwsOpportunitySummary answers.
    pub summaries: cache::ResponseCache,
    pub clock: Clock,
    /// How long Start…Task tasks stay `IN_PROGRESS` (`--task-delay-ms`); zero completes them
    /// inside the request, as the real service's answers show.
    pub task_delay: std::time::Duration,
    /// Whether AWS's business rules are applied (`--business-rules`).
    pub business_rules: crate::rules::business::Mode,
    /// Bulk jobs' files, runner wake-up and report signing.
    pub bulk: bulk::Runtime,
    /// Whether other servers share the store (PostgreSQL): events are then kept in the store,
    /// and cached answers are validated against the store's write count (another replica's
    /// write would not evict them).
    pub shared: bool,
}

/// How long a control change waits for the other replicas to apply it.
const PEERS_SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

/// The events a write's changes emit.
fn events_of(ctx: &Context, now: DateTime<Utc>, changes: &[Change]) -> Vec<Value> {
    let origin = events::Origin {
        account: &ctx.account,
        region: &ctx.region,
        catalog: &ctx.catalog,
        time: now,
    };
    changes
        .iter()
        .flat_map(|c| events::for_change(&origin, c))
        .collect()
}

/// The store setting that says what stored listings were rendered with.
const LISTINGS_SETTING: &str = "listings";
/// The store setting that keeps the clock's offset (`/_admin/clock`) across restarts.
pub(crate) const CLOCK_SETTING: &str = "clock.offsetMs";

impl<S: Store> Service<S> {
    /// The service over `store`; stored renderings made under other settings (another
    /// region, another model) are rebuilt first, in one transaction.
    pub fn open(store: S, region: String) -> Result<Self, StoreError> {
        let model = Model::get();
        let wanted = opportunities::view::listing_settings(&region);
        let clock = Clock::default();
        store.transaction(|tx| {
            if let Some(offset) = tx.setting(CLOCK_SETTING)?.and_then(|v| v.parse().ok()) {
                clock.set_offset_millis(offset);
            }
            if tx.setting(LISTINGS_SETTING)?.as_deref() != Some(wanted.as_str()) {
                let rebuilt = tx.rebuild_listings(&opportunities::view::listing_in(&region))?;
                tx.put_setting(LISTINGS_SETTING, &wanted)?;
                if rebuilt > 0 {
                    tracing::info!(rebuilt, settings = %wanted, "stored listings rebuilt");
                }
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(Self {
            region,
            model,
            registry: Registry::build(model),
            events: EventLog::default(),
            summaries: if store.peers().is_some() {
                cache::ResponseCache::validated()
            } else {
                cache::ResponseCache::default()
            },
            clock,
            task_delay: std::time::Duration::ZERO,
            business_rules: crate::rules::business::Mode::Aws,
            bulk: bulk::Runtime::default(),
            shared: store.peers().is_some(),
            store,
        })
    }

    /// Runs `f` in one transaction, with the time read inside it; once committed, the changes
    /// it recorded evict the answers they made stale and are published as events.
    pub(crate) fn write<T>(
        &self,
        ctx: &Context,
        f: impl FnOnce(&mut Write<'_>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let (out, now, changes, events) = self.store.transaction(|tx| {
            let mut w = Write {
                tx,
                now: self.clock.now(),
                changes: Vec::new(),
            };
            let out = f(&mut w)?;
            // Running snapshot jobs follow the opportunities this write changed, in the same
            // transaction (and AWS's own view follows AWS's decisions).
            snapshots::flows::follow(&mut w, ctx)?;
            // A shared store keeps the events, committed with what they tell of.
            let events = if self.shared {
                let events = events_of(ctx, w.now, &w.changes);
                w.tx.append_events(&events)?;
                Some(events)
            } else {
                None
            };
            Ok::<_, ServiceError>((out, w.now, w.changes, events))
        })?;
        self.committed(ctx, now, &changes, events);
        Ok(out)
    }

    fn committed(
        &self,
        ctx: &Context,
        now: DateTime<Utc>,
        changes: &[Change],
        stored: Option<Vec<Value>>,
    ) {
        if changes.is_empty() {
            return;
        }
        for change in changes {
            if let Some(id) = change.opportunity_id() {
                self.summaries.evict(&ctx.account, &ctx.catalog, id);
            }
            if let Change::ForAccount { account, change } = change
                && let Some(id) = change.opportunity_id()
            {
                self.summaries.evict(account, &ctx.catalog, id);
            }
        }
        match stored {
            // Kept by the store: only the webhook of the replica that committed them.
            Some(events) => self.events.deliver(&events),
            None => self.events.publish(events_of(ctx, now, changes)),
        }
    }

    /// The events kept, oldest first: this process's log, or the store's when shared.
    pub fn event_log(&self) -> Result<Vec<Value>, ServiceError> {
        if self.shared {
            return Ok(self.store.read(|tx| tx.events(events::LOG_CAPACITY))?);
        }
        Ok(self.events.list())
    }

    /// Up to `limit` of the newest kept events that `keep` admits, newest first.
    pub fn newest_events(
        &self,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<Vec<Value>, ServiceError> {
        if self.shared {
            // The newest `limit` first (the whole answer when `keep` takes them all), else the
            // whole log.
            let newest = self.store.read(|tx| tx.events(limit))?;
            let all = if newest.iter().all(&keep) {
                newest
            } else {
                self.event_log()?
            };
            return Ok(all
                .into_iter()
                .rev()
                .filter(|e| keep(e))
                .take(limit)
                .collect());
        }
        Ok(self.events.newest(limit, keep))
    }

    /// Waits until every replica sharing the store applied what this one just announced (a
    /// clock or fault change), so that the next request sees it whichever replica answers.
    pub fn settle_peers(&self) {
        if let Some(peers) = self.store.peers() {
            match peers.settle(PEERS_SETTLE) {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    "a replica did not acknowledge a control change within {PEERS_SETTLE:?}"
                ),
                Err(e) => tracing::warn!(error = %e, "cannot wait for the replicas"),
            }
        }
    }

    /// The answer `name` can give without touching the store (a cached rendering), if any.
    /// Cheap enough for the async request path.
    pub fn call_fast(&self, name: &str, ctx: &Context, input: &Value) -> Option<Bytes> {
        (self.registry.entry(name)?.fast?)(self, ctx, input)
    }

    /// Runs operation `name` on a validated `input`. Blocking: call it off the async runtime.
    pub fn call(&self, name: &str, ctx: &Context, input: &Value) -> Result<Bytes, ServiceError> {
        let Some(entry) = self.registry.entry(name) else {
            return Err(ServiceError::NotImplemented(format!(
                "The operation {name} of partnercentral-selling is not implemented by partnercentral-local yet."
            )));
        };
        Ok(self.encode(name, (entry.run)(self, ctx, input)?))
    }

    /// Serializes a reply of operation `name`.
    pub(crate) fn encode(&self, name: &str, reply: Reply) -> Bytes {
        protocol::encode_reply(self.model, self.model.operation(name), reply)
    }

    /// Wipes all state, or one account's and/or catalog's.
    pub fn reset(&self, account: Option<&str>, catalog: Option<&str>) -> Result<(), ServiceError> {
        let everything = account.is_none() && catalog.is_none();
        self.store.transaction(|tx| {
            tx.reset(account, catalog)?;
            if everything {
                tx.put_setting(CLOCK_SETTING, "0")?;
                tx.clear_events()?;
                tx.announce()?;
            }
            // Feature switches are per account: a reset of everything or of the account
            // switches its features back on; a catalog-only reset keeps them.
            if everything || catalog.is_none() {
                features::reset(tx, account)?;
            }
            Ok::<_, ServiceError>(())
        })?;
        self.summaries.clear();
        if everything {
            // A full reset also returns to real time.
            self.clock.set_offset_millis(0);
            self.events.clear();
            self.settle_peers();
        }
        Ok(())
    }

    /// Sets the clock's offset from the system's time (kept across restarts), then settles
    /// what became due.
    pub fn set_clock_offset(&self, offset_millis: i64) -> Result<(), ServiceError> {
        self.store.transaction(|tx| {
            tx.put_setting(CLOCK_SETTING, &offset_millis.to_string())?;
            tx.announce()
        })?;
        self.clock.set_offset_millis(offset_millis);
        self.settle_peers();
        invitations::flows::settle(self)
    }
}
