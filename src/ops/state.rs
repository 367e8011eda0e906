//! The whole state as one versioned document: export, and a checked import that replaces
//! everything or changes nothing (`GET|PUT /_admin/state`, `--seed`).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::common::check_shape;
use super::opportunities::view;
use super::{Context, Service, ServiceError};
use crate::domain::{CATALOGS, ids};
use crate::model::Model;
use crate::store::{STATE_FORMAT, STATE_VERSION, StateDocument, Store};

/// Prepares an export: the brief part, which writers may wait for (see [`Store::Snapshot`]).
pub fn prepare_export<S: Store>(svc: &Service<S>) -> Result<S::Snapshot, ServiceError> {
    Ok(svc.store.snapshot()?)
}

/// Everything stored, as a state document in JSON, read from one prepared snapshot.
pub fn export<S: Store>(snapshot: S::Snapshot) -> Result<Vec<u8>, ServiceError> {
    let mut out = Vec::new();
    S::read_snapshot(snapshot, |tx| tx.export_json(&mut out))?;
    Ok(out)
}

/// Replaces everything stored with `doc`, after checking all of it.
pub fn import<S: Store>(svc: &Service<S>, doc: &StateDocument) -> Result<Value, String> {
    check(svc.model, &svc.region, doc)?;
    let listing = view::listing_in(&svc.region);
    svc.store
        .transaction(|tx| tx.import(doc, &listing))
        .map_err(|e| format!("storage failure: {e}"))?;
    svc.summaries.clear();
    svc.events.clear();
    let opportunities: usize = doc.scopes.iter().map(|s| s.opportunities.len()).sum();
    Ok(json!({"scopes": doc.scopes.len(), "opportunities": opportunities}))
}

fn against(model: &Model, shape: &str, value: &Value, at: &str) -> Result<(), String> {
    check_shape(model, shape, value).map_err(|e| match e {
        ServiceError::Invalid(v) => format!(
            "{at}: {}",
            v.iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => format!("{at}: {other}"),
    })
}

fn in_enum(model: &Model, shape: &str, value: &str, at: &str) -> Result<(), String> {
    if model.enum_values(shape).iter().any(|v| v == value) {
        Ok(())
    } else {
        Err(format!("{at}: '{value}' is not a {shape} value"))
    }
}

/// Checks a state document; the error names where it is wrong.
pub fn check(model: &Model, region: &str, doc: &StateDocument) -> Result<(), String> {
    if doc.format != STATE_FORMAT || doc.version != STATE_VERSION {
        return Err(format!(
            "format must be '{STATE_FORMAT}' and version {STATE_VERSION}; got '{}' version {}",
            doc.format, doc.version
        ));
    }
    if !(1..=ids::MAX_OPPORTUNITY_NUMBER + 1).contains(&doc.next_opportunity_number) {
        return Err(format!(
            "nextOpportunityNumber must be between 1 and {}; got {}",
            ids::MAX_OPPORTUNITY_NUMBER + 1,
            doc.next_opportunity_number
        ));
    }
    let mut seen_scopes = HashSet::new();
    for (i, scope) in doc.scopes.iter().enumerate() {
        let at = format!("scopes[{i}]");
        if !ids::is_account_id(&scope.account_id) {
            return Err(format!("{at}.accountId must be 12 digits"));
        }
        if !CATALOGS.contains(&scope.catalog.as_str()) {
            return Err(format!(
                "{at}.catalog must be one of [{}]",
                CATALOGS.join(", ")
            ));
        }
        if !seen_scopes.insert((&scope.account_id, &scope.catalog)) {
            return Err(format!(
                "{at}: account {} and catalog {} appear twice",
                scope.account_id, scope.catalog
            ));
        }
        let ctx = Context {
            account: scope.account_id.clone(),
            catalog: scope.catalog.clone(),
            region: region.to_string(),
        };
        let mut ids = HashSet::new();
        for (j, rec) in scope.opportunities.iter().enumerate() {
            let at = format!("{at}.opportunities[{j}]");
            if rec.id != ids::opportunity_id(rec.num) || rec.num < 1 {
                return Err(format!(
                    "{at}: id '{}' must be 'O' followed by num {}",
                    rec.id, rec.num
                ));
            }
            if rec.num >= doc.next_opportunity_number {
                return Err(format!(
                    "{at}: num {} must be below nextOpportunityNumber",
                    rec.num
                ));
            }
            if !ids.insert(rec.id.as_str()) {
                return Err(format!("{at}: id {} appears twice", rec.id));
            }
            for kind in rec.related.keys() {
                in_enum(model, "RelatedEntityType", kind, &format!("{at}.related"))?;
            }
            if let Some(sub) = &rec.submission {
                in_enum(
                    model,
                    "SalesInvolvementType",
                    &sub.involvement_type,
                    &format!("{at}.submission"),
                )?;
                in_enum(
                    model,
                    "Visibility",
                    &sub.visibility,
                    &format!("{at}.submission"),
                )?;
            }
            against(
                model,
                "GetOpportunityResponse",
                &view::opportunity(&ctx, rec),
                &at,
            )?;
        }
        for (j, rec) in scope.aws_summaries.iter().enumerate() {
            let at = format!("{at}.awsSummaries[{j}]");
            let rendered = view::aws_summary(&ctx, &rec.opportunity_id, None, rec);
            against(model, "GetAwsOpportunitySummaryResponse", &rendered, &at)?;
        }
        for (j, rec) in scope.solutions.iter().enumerate() {
            let at = format!("{at}.solutions[{j}]");
            let mut doc = rec.doc.clone();
            doc.insert("Catalog".into(), json!(scope.catalog));
            if doc.get("Id").and_then(Value::as_str) != Some(rec.id.as_str()) {
                return Err(format!("{at}: doc.Id must equal id '{}'", rec.id));
            }
            against(model, "SolutionBase", &Value::Object(doc), &at)?;
        }
        for (j, rec) in scope.tasks.iter().enumerate() {
            let at = format!("{at}.tasks[{j}]");
            if rec.doc.get("TaskId").and_then(Value::as_str) != Some(rec.id.as_str()) {
                return Err(format!("{at}: doc.TaskId must equal id '{}'", rec.id));
            }
            against(
                model,
                "ListEngagementFromOpportunityTaskSummary",
                &Value::Object(rec.doc.clone()),
                &at,
            )?;
        }
        for (j, e) in scope.idempotency.iter().enumerate() {
            if model.operation(&e.operation).is_none() {
                return Err(format!(
                    "{at}.idempotency[{j}]: '{}' is not an operation",
                    e.operation
                ));
            }
        }
    }
    Ok(())
}
