//! The whole state as one versioned document: export, and a checked import that replaces
//! everything or changes nothing (`GET|PUT /_admin/state`, `--seed`).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::common::check_shape;
use super::opportunities::view;
use super::{Context, Service, ServiceError};
use crate::domain::{AWS_PARTY, CATALOGS, ids, time};
use crate::model::Model;
use crate::store::{STATE_FORMAT, STATE_VERSION, StateDocument, Store, TaskKind};

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

/// Checks the shared records of a state document: ids, statuses, payloads, and that every
/// invitation names an engagement of its catalog.
fn check_catalogs(model: &Model, doc: &StateDocument) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (i, c) in doc.catalogs.iter().enumerate() {
        let at = format!("catalogs[{i}]");
        if !CATALOGS.contains(&c.catalog.as_str()) {
            return Err(format!(
                "{at}.catalog must be one of [{}]",
                CATALOGS.join(", ")
            ));
        }
        if !seen.insert(&c.catalog) {
            return Err(format!("{at}: catalog {} appears twice", c.catalog));
        }
        let mut engagements = HashSet::new();
        for (j, e) in c.engagements.iter().enumerate() {
            let at = format!("{at}.engagements[{j}]");
            against(
                model,
                "EngagementIdentifier",
                &json!(e.id),
                &format!("{at}.id"),
            )?;
            if !engagements.insert(e.id.as_str()) {
                return Err(format!("{at}: id {} appears twice", e.id));
            }
            let mut members = HashSet::new();
            for m in &e.members {
                if m.account_id != AWS_PARTY && !ids::is_account_id(&m.account_id) {
                    return Err(format!("{at}: member '{}' is not an account", m.account_id));
                }
                if !members.insert(m.account_id.as_str()) {
                    return Err(format!("{at}: member {} appears twice", m.account_id));
                }
            }
            for stamp in [&e.created_at, &e.modified_at] {
                if time::parse(stamp).is_none() {
                    return Err(format!("{at}: '{stamp}' is not a timestamp"));
                }
            }
        }
        let mut invitations = HashSet::new();
        for (j, inv) in c.invitations.iter().enumerate() {
            let at = format!("{at}.invitations[{j}]");
            if !ids::is_invitation_id(&inv.id) {
                return Err(format!(
                    "{at}: id '{}' must match engi-[0-9a-z]{{13}}",
                    inv.id
                ));
            }
            if !invitations.insert(inv.id.as_str()) {
                return Err(format!("{at}: id {} appears twice", inv.id));
            }
            if !engagements.contains(inv.engagement_id.as_str()) {
                return Err(format!(
                    "{at}: engagement {} is not among the engagements of catalog {}",
                    inv.engagement_id, c.catalog
                ));
            }
            in_enum(
                model,
                "InvitationStatus",
                &inv.status,
                &format!("{at}.status"),
            )?;
            in_enum(
                model,
                "EngagementInvitationPayloadType",
                &inv.payload_type,
                &format!("{at}.payloadType"),
            )?;
            for party in [&inv.sender_aws_account_id, &inv.receiver_aws_account_id] {
                if party != AWS_PARTY && !ids::is_account_id(party) {
                    return Err(format!("{at}: party '{party}' is not an account"));
                }
            }
            for stamp in std::iter::once(&inv.invitation_date).chain(inv.expiration_date.iter()) {
                if time::parse(stamp).is_none() {
                    return Err(format!("{at}: '{stamp}' is not a timestamp"));
                }
            }
            against(
                model,
                "Payload",
                &Value::Object(inv.payload.clone()),
                &format!("{at}.payload"),
            )?;
        }
    }
    Ok(())
}

/// Checks a state document; the error names where it is wrong.
pub fn check(model: &Model, region: &str, doc: &StateDocument) -> Result<(), String> {
    if doc.format != STATE_FORMAT || !(1..=STATE_VERSION).contains(&doc.version) {
        return Err(format!(
            "format must be '{STATE_FORMAT}' and version 1 to {STATE_VERSION}; got '{}' version {}",
            doc.format, doc.version
        ));
    }
    if doc.version < 2 && !doc.catalogs.is_empty() {
        return Err("catalogs appear in state version 2; set version to 2".to_string());
    }
    check_catalogs(model, doc)?;
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
            let shape = match rec.kind {
                TaskKind::EngagementFromOpportunity => "ListEngagementFromOpportunityTaskSummary",
                TaskKind::EngagementByAcceptingInvitation => {
                    "ListEngagementByAcceptingInvitationTaskSummary"
                }
            };
            against(model, shape, &Value::Object(rec.doc.clone()), &at)?;
            if let Some(due) = &rec.complete_at
                && time::parse(due).is_none()
            {
                return Err(format!("{at}: completeAt '{due}' is not a timestamp"));
            }
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
