//! The operation registry: the model's operations joined with the handlers the families
//! declare (`<family>::operations()`). Dispatch, the implemented set, the `NotImplemented`
//! answer of every other operation and the `/_admin/operations` listing all derive from it;
//! nothing else keeps a list of operation names.

use std::collections::HashMap;

use axum::body::Bytes;
use serde_json::{Value, json};

use super::{Context, Service, ServiceError};
use crate::model::Model;
use crate::protocol::Reply;
use crate::rules::quotas::QuotaTable;
use crate::store::Store;

/// An operation's handler: validated input to a reply. Runs off the async runtime.
pub type Run<S> = fn(&Service<S>, &Context, &Value) -> Result<Reply, ServiceError>;
/// An answer that needs no store (a cached rendering); runs on the async request path.
pub type Fast<S> = fn(&Service<S>, &Context, &Value) -> Option<Bytes>;

/// One implemented operation.
pub struct Handler<S: Store> {
    pub name: &'static str,
    pub run: Run<S>,
    pub fast: Option<Fast<S>>,
}

impl<S: Store> Handler<S> {
    pub const fn new(name: &'static str, run: Run<S>) -> Self {
        Self {
            name,
            run,
            fast: None,
        }
    }

    pub const fn with_fast(mut self, fast: Fast<S>) -> Self {
        self.fast = Some(fast);
        self
    }
}

/// Every operation of the model, and the handlers of those implemented.
pub struct Registry<S: Store> {
    handlers: HashMap<&'static str, Handler<S>>,
    model: &'static Model,
}

/// The handlers every family declares, family by family: the one list of families.
fn families<S: Store>() -> Vec<Handler<S>> {
    [
        super::opportunities::operations::<S>(),
        super::solutions::operations::<S>(),
        super::invitations::operations::<S>(),
        super::engagements::operations::<S>(),
        super::snapshots::operations::<S>(),
        super::settings::operations::<S>(),
        super::tagging::operations::<S>(),
        super::customers::operations::<S>(),
        super::bulk::operations::<S>(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl<S: Store> Registry<S> {
    /// Joins the families' handlers with the model's operations.
    pub fn build(model: &'static Model) -> Self {
        let mut handlers = HashMap::new();
        for h in families::<S>() {
            debug_assert!(
                model.operation(h.name).is_some(),
                "{} is not an operation of the model",
                h.name
            );
            let name = h.name;
            let previous = handlers.insert(name, h);
            debug_assert!(previous.is_none(), "{name} has two handlers");
        }
        Self { handlers, model }
    }

    /// The handler of `name`, when it is implemented.
    pub fn entry(&self, name: &str) -> Option<&Handler<S>> {
        self.handlers.get(name)
    }

    /// The implemented operations, sorted.
    pub fn implemented(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.handlers.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Every operation of the model: implemented or not, its quota class and its
    /// idempotency-token member (`GET /_admin/operations`).
    pub fn describe(&self, quotas: &QuotaTable) -> Value {
        let ops: Vec<Value> = self
            .model
            .operations
            .keys()
            .map(|name| {
                json!({
                    "name": name,
                    "implemented": self.handlers.contains_key(name.as_str()),
                    "quota": quotas.class_of(name),
                    "idempotencyToken": self.model.idempotency_member(name),
                })
            })
            .collect();
        json!({"operations": ops, "implemented": self.handlers.len(), "total": ops.len()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[test]
    fn every_handler_names_an_operation_of_the_model_once() {
        let model = Model::get();
        let all: Vec<&str> = super::families::<SqliteStore>()
            .iter()
            .map(|h| h.name)
            .collect();
        for name in &all {
            assert!(model.operation(name).is_some(), "{name}");
        }
        let registry = Registry::<SqliteStore>::build(model);
        assert_eq!(
            registry.implemented().len(),
            all.len(),
            "a name is handled twice"
        );
        let missing: Vec<&String> = model
            .operations
            .keys()
            .filter(|name| !all.contains(&name.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "operations without a handler: {missing:?}"
        );
    }

    #[test]
    fn the_listing_covers_every_operation_of_the_model() {
        let registry = Registry::<SqliteStore>::build(Model::get());
        let listing = registry.describe(&QuotaTable::aws());
        assert_eq!(listing["total"], 63);
        let create = listing["operations"]
            .as_array()
            .and_then(|ops| ops.iter().find(|o| o["name"] == "CreateOpportunity"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(create["implemented"], true);
        assert_eq!(create["quota"], "write");
        assert_eq!(create["idempotencyToken"], "ClientToken");
    }
}
