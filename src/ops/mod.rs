//! The operations: one handler per operation, from validated JSON input to JSON output or
//! a [`ServiceError`]. Handlers are grouped by resource family; [`Service::call`] is the
//! dispatch table. Operations of the model not handled here answer `NotImplemented`.

pub mod aws_summary;
pub mod cache;
mod engagement_task;
pub mod opportunity;
pub mod solution;
pub mod state;

use axum::body::Bytes;
use serde_json::{Map, Value};

use crate::domain::events::{self, EventLog};
use crate::model::validate::{Code, FieldViolation};
use crate::model::{Model, conform::conform};
use crate::protocol::{ApiError, ErrorKind, ValidationReason};
use sha2::{Digest, Sha256};

use crate::store::{IdempotencyRecord, Scope, Store, StoreError, Tx};

/// Who calls, where, and when.
#[derive(Debug, Clone)]
pub struct Context {
    pub account: String,
    pub catalog: String,
    pub region: String,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl Context {
    pub fn scope(&self) -> Scope {
        Scope {
            account: self.account.clone(),
            catalog: self.catalog.clone(),
        }
    }

    /// Where and when events of this call happen.
    pub fn origin(&self) -> events::Origin<'_> {
        events::Origin {
            account: &self.account,
            region: &self.region,
            catalog: &self.catalog,
            time: self.now,
        }
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
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
            ServiceError::Business(v) => {
                ApiError::validation(ValidationReason::BusinessValidationFailed, &v)
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

/// The operations over one store.
pub struct Service<S: Store> {
    pub store: S,
    pub region: String,
    pub model: &'static Model,
    /// Events emitted by committed operations.
    pub events: EventLog,
    /// Rendered GetAwsOpportunitySummary answers.
    pub summaries: cache::ResponseCache,
}

/// Operations this emulator implements.
pub const IMPLEMENTED: [&str; 12] = [
    "AssignOpportunity",
    "AssociateOpportunity",
    "CreateOpportunity",
    "DisassociateOpportunity",
    "GetAwsOpportunitySummary",
    "GetOpportunity",
    "ListEngagementFromOpportunityTasks",
    "ListOpportunities",
    "ListSolutions",
    "StartEngagementFromOpportunityTask",
    "SubmitOpportunity",
    "UpdateOpportunity",
];

impl<S: Store> Service<S> {
    pub fn new(store: S, region: String) -> Self {
        Self {
            store,
            region,
            model: Model::get(),
            events: EventLog::default(),
            summaries: cache::ResponseCache::default(),
        }
    }

    /// Runs `f` in one transaction; the events it queues are published once it committed.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx, &mut Vec<Value>) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let mut pending = Vec::new();
        let out = self.store.transaction(|tx| f(tx, &mut pending))?;
        self.summaries.invalidate(&pending);
        self.events.publish(pending);
        Ok(out)
    }

    /// Runs operation `name` on a validated `input`; the output is trimmed to its shape.
    pub fn call(&self, name: &str, ctx: &Context, input: &Value) -> Result<Bytes, ServiceError> {
        match name {
            "GetAwsOpportunitySummary" => return aws_summary::get_cached(self, ctx, input),
            "ListOpportunities" => return opportunity::list(self, ctx, input),
            _ => {}
        }
        let out = match name {
            "CreateOpportunity" => opportunity::create(self, ctx, input),
            "GetOpportunity" => opportunity::get(self, ctx, input),
            "UpdateOpportunity" => opportunity::update(self, ctx, input),
            "AssignOpportunity" => opportunity::assign(self, ctx, input),
            "AssociateOpportunity" => opportunity::associate(self, ctx, input, true),
            "DisassociateOpportunity" => opportunity::associate(self, ctx, input, false),
            "SubmitOpportunity" => opportunity::submit(self, ctx, input),
            "StartEngagementFromOpportunityTask" => engagement_task::start(self, ctx, input),
            "ListEngagementFromOpportunityTasks" => engagement_task::list(self, ctx, input),
            "ListSolutions" => solution::list(self, ctx, input),
            "GetAwsOpportunitySummary" => aws_summary::get(self, ctx, input),
            other => Err(ServiceError::NotImplemented(format!(
                "The operation {other} of partnercentral-selling is not implemented by partnercentral-local yet."
            ))),
        }?;
        Ok(self.finish(name, out))
    }

    /// Trims an output to its shape and serializes it.
    pub(crate) fn finish(&self, name: &str, out: Value) -> Bytes {
        let value = match self.model.operation(name).and_then(|op| op.output) {
            Some(shape) => conform(self.model, shape, out),
            None => Value::Object(Map::new()),
        };
        Bytes::from(serde_json::to_vec(&value).unwrap_or_else(|_| b"{}".to_vec()))
    }

    /// Wipes all state, or one account's and/or catalog's.
    pub fn reset(&self, account: Option<&str>, catalog: Option<&str>) -> Result<(), ServiceError> {
        self.store.transaction(|tx| tx.reset(account, catalog))?;
        self.summaries.clear();
        if account.is_none() && catalog.is_none() {
            self.events.clear();
        }
        Ok(())
    }
}

/// Checks a document the control plane writes against a named shape of the model.
pub(crate) fn check_shape(model: &Model, shape: &str, value: &Value) -> Result<(), ServiceError> {
    use crate::model::validate::{InputError, validate};
    let Some(id) = model.shape_id(shape) else {
        return Ok(());
    };
    validate(model, id, value).map_err(|e| match e {
        InputError::Invalid(v) => ServiceError::Invalid(v),
        InputError::Serialization(m) => ServiceError::invalid("", Code::InvalidValue, m),
    })
}

/// The string at a dotted path of a JSON value.
pub(crate) fn str_at<'v>(value: &'v Value, path: &str) -> Option<&'v str> {
    path.split('.').try_fold(value, |v, p| v.get(p))?.as_str()
}

/// The list of strings at a member (absent = empty).
pub(crate) fn strings(value: &Value, member: &str) -> Vec<String> {
    value
        .get(member)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `MaxResults` or its default.
pub(crate) fn page_size(input: &Value, default: usize) -> usize {
    input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .unwrap_or(default)
        .max(1)
}

/// The error a token we did not issue gets.
pub(crate) fn bad_token() -> ServiceError {
    ServiceError::invalid(
        "NextToken",
        Code::InvalidValue,
        "NextToken is not valid for this request; pass the NextToken of the previous page of the same query.",
    )
}

/// Whether a document's string members match every non-empty filter list.
pub(crate) fn matches_filters(doc: &Value, filters: &[(&str, Vec<String>)]) -> bool {
    filters.iter().all(|(member, wanted)| {
        wanted.is_empty() || str_at(doc, member).is_some_and(|v| wanted.iter().any(|w| w == v))
    })
}

/// One page of an in-memory list, as `{items_key: [...], NextToken?}`, with an offset token
/// (for small collections only).
pub(crate) fn offset_page(
    input: &Value,
    items: Vec<Value>,
    default_size: usize,
    items_key: &str,
) -> Result<Value, ServiceError> {
    use crate::domain::pagination::{Position, decode, encode, fingerprint};
    let fp = fingerprint(input);
    let start = match input.get("NextToken").and_then(Value::as_str) {
        Some(t) => decode(&fp, t).ok_or_else(bad_token)?.number.max(0) as usize,
        None => 0,
    };
    let size = page_size(input, default_size);
    let total = items.len();
    let end = start.saturating_add(size).min(total);
    let page: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let mut out = Map::new();
    out.insert(items_key.to_string(), Value::Array(page));
    if end < total {
        let token = encode(
            &fp,
            Position {
                value: String::new(),
                number: end as i64,
            },
        );
        out.insert("NextToken".into(), Value::String(token));
    }
    Ok(Value::Object(out))
}

/// Runs `create` once per idempotency token: a repeated token with the same input replays
/// the first answer; with another input it is a `ConflictException`.
pub(crate) fn idempotent(
    tx: &mut dyn Tx,
    scope: &Scope,
    operation: &str,
    input: &Value,
    create: impl FnOnce(&mut dyn Tx) -> Result<Value, ServiceError>,
) -> Result<Value, ServiceError> {
    let token = str_at(input, "ClientToken").unwrap_or_default();
    let hash = hex::encode(Sha256::digest(input.to_string().as_bytes()));
    if let Some(prior) = tx.get_idempotency(scope, operation, token)? {
        return if prior.request_hash == hash {
            Ok(prior.response)
        } else {
            Err(ServiceError::Conflict(
                "Conflicting client token submitted for a new request body.".to_string(),
            ))
        };
    }
    let response = create(tx)?;
    let record = IdempotencyRecord {
        request_hash: hash,
        response: response.clone(),
    };
    tx.put_idempotency(scope, operation, token, &record)?;
    Ok(response)
}
