//! Per-account feature switches: the partner features AWS enables account by account
//! (research §1.3: SearchOpportunities and opportunity bulk jobs are allow-listed), and the
//! `AccessDeniedException` — with its modeled `Reason` — an operation answers when one is off.
//!
//! This module owns the one table of features ([`FEATURES`]) and where their state is kept.
//! Every feature is **enabled by default**; the control plane switches one off or on again
//! (`GET /_admin/accounts/{account}/features`, `PUT …/features/{feature}` with
//! `{"enabled": false}`, `DELETE …/features`). An operation gated by a feature calls
//! [`require`] inside its transaction (a read or a write), before it does anything:
//!
//! ```ignore
//! svc.store.read(|tx| {
//!     features::require(tx, &ctx.account, &ctx.catalog, Feature::OpportunityBulkJobs)?;
//!     ...
//! })
//! ```
//!
//! Switches are per account, for both catalogs (AWS enables a partner, not a catalog; the
//! catalog only names where the caller was in the message). They are kept with the store's
//! settings, like partner profiles: they survive restarts and are not part of state documents
//! (`GET /_admin/state`), since they are the emulator's configuration rather than the partner's
//! records. Unlike profiles, a reset of everything or of the account (`POST /_admin/reset`
//! without `catalog`) switches the account's features back on, so that a test suite resetting
//! between tests starts each test with every feature enabled.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::ops::ServiceError;
use crate::store::{StoreError, Tx};

/// A feature AWS enables per partner account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// SearchOpportunities itself.
    SearchOpportunities,
    /// The account's opportunities are routed to the search store (SearchOpportunities).
    SearchDataRouted,
    /// Opportunity bulk jobs (StartOpportunityBulkJob).
    OpportunityBulkJobs,
}

/// One row of the feature table.
pub struct FeatureInfo {
    pub feature: Feature,
    /// Its name in the control plane's paths and answers.
    pub name: &'static str,
    /// The `AccessDeniedException.Reason` an operation answers while it is off (a value of the
    /// model's `AccessDeniedExceptionErrorCode`).
    pub reason: &'static str,
    /// What the message says is not enabled.
    pub what: &'static str,
}

/// Every feature, in the order [`require`]'s callers check them and the control plane lists
/// them.
pub const FEATURES: [FeatureInfo; 3] = [
    FeatureInfo {
        feature: Feature::SearchOpportunities,
        name: "SearchOpportunities",
        reason: "SEARCH_OPPORTUNITIES_NOT_ENABLED",
        what: "SearchOpportunities is not enabled",
    },
    FeatureInfo {
        feature: Feature::SearchDataRouted,
        name: "SearchDataRouted",
        reason: "SEARCH_OPPORTUNITIES_DATA_NOT_ROUTED_TO_DDB",
        what: "Opportunity data is not routed to the search store",
    },
    FeatureInfo {
        feature: Feature::OpportunityBulkJobs,
        name: "OpportunityBulkJobs",
        reason: "OPPORTUNITY_BULK_JOB_NOT_ENABLED",
        what: "Opportunity bulk jobs are not enabled",
    },
];

impl Feature {
    pub fn info(self) -> &'static FeatureInfo {
        // Every variant has its row (a unit test checks it).
        FEATURES
            .iter()
            .find(|f| f.feature == self)
            .unwrap_or(&FEATURES[0])
    }

    /// The feature named `name` in the control plane.
    pub fn named(name: &str) -> Option<Feature> {
        FEATURES.iter().find(|f| f.name == name).map(|f| f.feature)
    }
}

/// The store setting holding every account's switched-off features:
/// `{"<account>": ["<feature name>", ...]}`.
const SETTING: &str = "features";

type Switches = BTreeMap<String, Vec<String>>;

fn load(tx: &dyn Tx) -> Result<Switches, StoreError> {
    match tx.setting(SETTING)? {
        Some(text) if !text.is_empty() => Ok(serde_json::from_str(&text)?),
        _ => Ok(Switches::new()),
    }
}

fn save(tx: &mut dyn Tx, switches: &Switches) -> Result<(), StoreError> {
    tx.put_setting(SETTING, &serde_json::to_string(switches)?)
}

/// Whether `feature` is enabled for `account`.
pub fn enabled(tx: &dyn Tx, account: &str, feature: Feature) -> Result<bool, StoreError> {
    let name = feature.info().name;
    Ok(!load(tx)?
        .get(account)
        .is_some_and(|off| off.iter().any(|n| n == name)))
}

/// `Ok` when `feature` is enabled for `account`, else the `AccessDeniedException` carrying the
/// feature's `Reason`. `catalog` is where the caller is (named in the message).
pub fn require(
    tx: &dyn Tx,
    account: &str,
    catalog: &str,
    feature: Feature,
) -> Result<(), ServiceError> {
    if enabled(tx, account, feature)? {
        return Ok(());
    }
    let info = feature.info();
    Err(ServiceError::Denied {
        reason: info.reason,
        message: format!("{} for account {account} (catalog {catalog}).", info.what),
    })
}

/// Switches `feature` on or off for `account`.
pub fn set(tx: &mut dyn Tx, account: &str, feature: Feature, on: bool) -> Result<(), StoreError> {
    let mut switches = load(tx)?;
    let name = feature.info().name.to_string();
    let off = switches.entry(account.to_string()).or_default();
    off.retain(|n| *n != name);
    if !on {
        off.push(name);
        off.sort();
    }
    if off.is_empty() {
        switches.remove(account);
    }
    save(tx, &switches)
}

/// Every feature back on: for `account`, or for every account (`None`).
pub fn reset(tx: &mut dyn Tx, account: Option<&str>) -> Result<(), StoreError> {
    let mut switches = load(tx)?;
    let before = switches.len();
    match account {
        Some(a) => {
            switches.remove(a);
        }
        None => switches.clear(),
    }
    if switches.len() != before {
        save(tx, &switches)?;
    }
    Ok(())
}

/// The control plane's view of an account's features:
/// `{"accountId", "features": {"<name>": {"enabled", "reason"}}}`.
pub fn describe(tx: &dyn Tx, account: &str) -> Result<Value, StoreError> {
    let switches = load(tx)?;
    let off = switches.get(account);
    let mut features = serde_json::Map::new();
    for f in &FEATURES {
        let enabled = !off.is_some_and(|o| o.iter().any(|n| n == f.name));
        features.insert(
            f.name.to_string(),
            json!({"enabled": enabled, "reason": f.reason}),
        );
    }
    Ok(json!({"accountId": account, "features": features}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    #[test]
    fn every_feature_has_its_row_and_a_modeled_reason() {
        let reasons = Model::get().enum_values("AccessDeniedExceptionErrorCode");
        for f in [
            Feature::SearchOpportunities,
            Feature::SearchDataRouted,
            Feature::OpportunityBulkJobs,
        ] {
            let info = f.info();
            assert_eq!(info.feature, f);
            assert_eq!(Feature::named(info.name), Some(f));
            assert!(reasons.iter().any(|r| r == info.reason), "{}", info.reason);
        }
        assert_eq!(Feature::named("Nope"), None);
    }
}
