//! Injected faults: rules that make matching API calls fail with an error the operation
//! models (or `InternalServerException`), or wait first. A rule with `count` is used that many
//! times and then expires, so a retrying SDK sees exactly the failures it promised.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::model::{Model, Operation};
use crate::protocol::{ApiError, ErrorKind};

/// A fault rule, as the control plane shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default)]
    pub id: String,
    /// An operation name, or `*` for every operation.
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The error to answer, e.g. `ThrottlingException`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Chance (0..1) that a matching call is affected; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Uses left before the rule expires; absent means forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// What a matching rule does to one call.
#[derive(Debug, Default)]
pub struct FaultAction {
    pub latency: Option<Duration>,
    pub error: Option<ApiError>,
    /// The rule's id when it has a `count`: replicas sharing the rules must also claim the
    /// use in their store (`crate::replicas::claim_fault`).
    pub counted: Option<String>,
}

/// The modeled error kinds by name.
fn kind_of(name: &str) -> Option<ErrorKind> {
    [
        ErrorKind::Validation,
        ErrorKind::AccessDenied,
        ErrorKind::ResourceNotFound,
        ErrorKind::Conflict,
        ErrorKind::ServiceQuotaExceeded,
        ErrorKind::Throttling,
        ErrorKind::InternalServer,
    ]
    .into_iter()
    .find(|k| k.name() == name)
}

fn operation_raises(op: &Operation, error: &str) -> bool {
    error == ErrorKind::InternalServer.name() || op.errors.iter().any(|e| e == error)
}

/// The fault rules in force.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    /// Checks a new rule and gives it its id; `crate::replicas::edit_faults` adds it.
    pub fn prepare(model: &Model, mut rule: FaultRule) -> Result<FaultRule, String> {
        if rule.operation != "*" && model.operation(&rule.operation).is_none() {
            return Err(format!(
                "operation '{}' is not an operation of the service (or '*')",
                rule.operation
            ));
        }
        if let Some(account) = &rule.account_id
            && !crate::domain::ids::is_account_id(account)
        {
            return Err(format!(
                "accountId must be 12 digits; got {}",
                crate::model::validate::quote(account)
            ));
        }
        if rule.error.is_none() && rule.latency_ms.is_none() {
            return Err("a rule needs an error, a latencyMs, or both".to_string());
        }
        if let Some(error) = &rule.error {
            if kind_of(error).is_none() {
                return Err(format!(
                    "error '{error}' is not an error shape of the service"
                ));
            }
            if let Some(op) = model.operation(&rule.operation)
                && !operation_raises(op, error)
            {
                return Err(format!(
                    "{} never returns {error}; it returns [{}] and InternalServerException",
                    op.name,
                    op.errors.join(", ")
                ));
            }
        }
        if let Some(p) = rule.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("probability must be between 0 and 1; got {p}"));
        }
        if rule.count == Some(0) {
            return Err("count must be at least 1".to_string());
        }
        if rule.latency_ms.is_some_and(|ms| ms > 600_000) {
            return Err("latencyMs must be at most 600000".to_string());
        }
        rule.id = format!("fault-{}", crate::domain::ids::random_suffix(10));
        Ok(rule)
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().clone()
    }

    /// Changes the rules in force with `edit`.
    pub fn edit<T>(&self, edit: impl FnOnce(&mut Vec<FaultRule>) -> T) -> T {
        edit(&mut self.lock())
    }

    /// Replaces the rules in force (with those another replica stored).
    pub fn replace(&self, rules: Vec<FaultRule>) {
        *self.lock() = rules;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first rule that applies to this call (each use counted), if any.
    pub fn check(&self, op: &Operation, account: &str) -> Option<FaultAction> {
        let mut rules = self.lock();
        let mut rng = rand::rng();
        let index = rules.iter().position(|r| {
            (r.operation == "*" || r.operation == op.name)
                && r.account_id.as_deref().is_none_or(|a| a == account)
                && r.error.as_deref().is_none_or(|e| operation_raises(op, e))
                && r.probability.is_none_or(|p| rng.random::<f64>() < p)
        })?;
        let rule = rules[index].clone();
        use_once(&mut rules, index);
        drop(rules);
        let error = rule.error.as_deref().and_then(kind_of).map(|kind| {
            let message = rule.message.clone().unwrap_or_else(|| {
                format!("Injected by partnercentral-local fault rule {}.", rule.id)
            });
            let err = ApiError::new(kind, message);
            if kind == ErrorKind::Validation {
                err.with_field("Reason", json!("REQUEST_VALIDATION_FAILED"))
                    .with_field("ErrorList", json!([]))
            } else {
                err
            }
        });
        Some(FaultAction {
            latency: rule.latency_ms.map(Duration::from_millis),
            error,
            counted: rule.count.map(|_| rule.id.clone()),
        })
    }
}

/// Removes one rule (by id) or all from `rules`; how many were removed.
pub fn remove(rules: &mut Vec<FaultRule>, id: Option<&str>) -> usize {
    let before = rules.len();
    match id {
        Some(id) => rules.retain(|r| r.id != id),
        None => rules.clear(),
    }
    before - rules.len()
}

/// Counts one use of the rule at `index`: a rule with a `count` expires after its last.
pub fn use_once(rules: &mut Vec<FaultRule>, index: usize) {
    if let Some(n) = rules.get_mut(index).and_then(|r| r.count.as_mut()) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            rules.remove(index);
        }
    }
}
