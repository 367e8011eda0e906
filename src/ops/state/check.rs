//! The checks of one record of a state document, each on its own: what the importer runs on
//! every record as it arrives. Each error starts with where the record is (`at`).

use serde_json::{Value, json};

use super::super::common::check_shape;
use super::super::opportunities::view;
use super::super::{Context, ServiceError};
use crate::domain::{AWS_PARTY, CATALOGS, ids, time};
use crate::model::Model;
use crate::store::{
    AwsSummaryRecord, EngagementRecord, IdempotencyEntry, InvitationRecord, OpportunityRecord,
    STATE_FORMAT, STATE_VERSION, SolutionRecord, TaskKind, TaskRecord,
};

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

fn timestamp(stamp: &str, at: &str) -> Result<(), String> {
    match time::parse(stamp) {
        Some(_) => Ok(()),
        None => Err(format!("{at}: '{stamp}' is not a timestamp")),
    }
}

/// The document's `format` and `version`.
pub fn header(format: &str, version: u32) -> Result<(), String> {
    if format != STATE_FORMAT || !(1..=STATE_VERSION).contains(&version) {
        return Err(format!(
            "format must be '{STATE_FORMAT}' and version 1 to {STATE_VERSION}; got '{format}' version {version}"
        ));
    }
    Ok(())
}

/// `nextOpportunityNumber`.
pub fn next_opportunity_number(next: i64) -> Result<(), String> {
    if !(1..=ids::MAX_OPPORTUNITY_NUMBER + 1).contains(&next) {
        return Err(format!(
            "nextOpportunityNumber must be between 1 and {}; got {next}",
            ids::MAX_OPPORTUNITY_NUMBER + 1
        ));
    }
    Ok(())
}

/// A catalog name.
pub fn catalog(catalog: &str, at: &str) -> Result<(), String> {
    if CATALOGS.contains(&catalog) {
        Ok(())
    } else {
        Err(format!(
            "{at}.catalog must be one of [{}]",
            CATALOGS.join(", ")
        ))
    }
}

/// A scope's account and catalog.
pub fn scope(account: &str, catalog_name: &str, at: &str) -> Result<(), String> {
    if !ids::is_account_id(account) {
        return Err(format!("{at}.accountId must be 12 digits"));
    }
    catalog(catalog_name, at)
}

/// An opportunity of a scope (its number against `nextOpportunityNumber` and its uniqueness
/// are the importer's to check).
pub fn opportunity(
    model: &Model,
    ctx: &Context,
    rec: &OpportunityRecord,
    at: &str,
) -> Result<(), String> {
    if rec.id != ids::opportunity_id(rec.num) || rec.num < 1 {
        return Err(format!(
            "{at}: id '{}' must be 'O' followed by num {}",
            rec.id, rec.num
        ));
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
        &view::opportunity(ctx, rec),
        at,
    )
}

/// The AWS side of an opportunity.
pub fn aws_summary(
    model: &Model,
    ctx: &Context,
    rec: &AwsSummaryRecord,
    at: &str,
) -> Result<(), String> {
    let rendered = view::aws_summary(ctx, &rec.opportunity_id, None, rec);
    against(model, "GetAwsOpportunitySummaryResponse", &rendered, at)
}

/// A solution of a scope.
pub fn solution(
    model: &Model,
    catalog: &str,
    rec: &SolutionRecord,
    at: &str,
) -> Result<(), String> {
    if rec.doc.get("Id").and_then(Value::as_str) != Some(rec.id.as_str()) {
        return Err(format!("{at}: doc.Id must equal id '{}'", rec.id));
    }
    let mut doc = rec.doc.clone();
    doc.insert("Catalog".into(), json!(catalog));
    // A real solution ARN (captured) does not match the model's `SolutionArn` pattern.
    doc.remove("Arn");
    against(model, "SolutionBase", &Value::Object(doc), at)
}

/// A task of a scope.
pub fn task(model: &Model, rec: &TaskRecord, at: &str) -> Result<(), String> {
    if rec.doc.get("TaskId").and_then(Value::as_str) != Some(rec.id.as_str()) {
        return Err(format!("{at}: doc.TaskId must equal id '{}'", rec.id));
    }
    let shape = match rec.kind {
        TaskKind::EngagementFromOpportunity => "ListEngagementFromOpportunityTaskSummary",
        TaskKind::EngagementByAcceptingInvitation => {
            "ListEngagementByAcceptingInvitationTaskSummary"
        }
        TaskKind::OpportunityFromEngagement => "ListOpportunityFromEngagementTaskSummary",
        TaskKind::ProspectingFromEngagement => "GetProspectingFromEngagementTaskResponse",
    };
    against(model, shape, &Value::Object(rec.doc.clone()), at)?;
    if let Some(due) = &rec.complete_at {
        timestamp(due, &format!("{at}: completeAt"))?;
    }
    Ok(())
}

/// A remembered first answer to an idempotency token.
pub fn idempotency(model: &Model, e: &IdempotencyEntry, at: &str) -> Result<(), String> {
    if model.operation(&e.operation).is_none() {
        return Err(format!("{at}: '{}' is not an operation", e.operation));
    }
    Ok(())
}

/// An engagement of a catalog.
pub fn engagement(model: &Model, e: &EngagementRecord, at: &str) -> Result<(), String> {
    against(
        model,
        "EngagementIdentifier",
        &json!(e.id),
        &format!("{at}.id"),
    )?;
    let mut members = std::collections::HashSet::new();
    for m in &e.members {
        if m.account_id != AWS_PARTY && !ids::is_account_id(&m.account_id) {
            return Err(format!("{at}: member '{}' is not an account", m.account_id));
        }
        if !members.insert(m.account_id.as_str()) {
            return Err(format!("{at}: member {} appears twice", m.account_id));
        }
    }
    timestamp(&e.created_at, at)?;
    timestamp(&e.modified_at, at)
}

/// An invitation of a catalog (that its engagement exists is the importer's to check).
pub fn invitation(model: &Model, inv: &InvitationRecord, at: &str) -> Result<(), String> {
    if !ids::is_invitation_id(&inv.id) {
        return Err(format!(
            "{at}: id '{}' must match engi-[0-9a-z]{{13}}",
            inv.id
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
        timestamp(stamp, at)?;
    }
    against(
        model,
        "Payload",
        &Value::Object(inv.payload.clone()),
        &format!("{at}.payload"),
    )
}

/// A snapshot job of a scope.
pub fn snapshot_job(
    model: &Model,
    ctx: &Context,
    rec: &crate::store::SnapshotJobRecord,
    at: &str,
) -> Result<(), String> {
    against(
        model,
        "GetResourceSnapshotJobResponse",
        &crate::ops::snapshots::view::job(ctx, rec),
        at,
    )?;
    if !(rec.id.starts_with("job-") && rec.id.len() == 17) {
        return Err(format!(
            "{at}: id '{}' must be job- and 13 characters",
            rec.id
        ));
    }
    timestamp(&rec.created_at, &format!("{at}: createdAt"))
}

/// The tags of one resource.
pub fn tags(model: &Model, rec: &crate::store::TagsRecord, at: &str) -> Result<(), String> {
    against(
        model,
        "ListTagsForResourceResponse",
        &json!({"Tags": rec.tags}),
        at,
    )?;
    against(
        model,
        "ListTagsForResourceRequest",
        &json!({"ResourceArn": rec.resource_arn}),
        at,
    )
}

/// An account's selling-system settings.
pub fn selling_settings(
    model: &Model,
    rec: &crate::store::SellingSettings,
    at: &str,
) -> Result<(), String> {
    against(
        model,
        "GetSellingSystemSettingsResponse",
        &json!({"Catalog": "AWS", "ResourceSnapshotJobRoleArn": rec.resource_snapshot_job_role_arn}),
        at,
    )
}

/// A snapshot of a catalog.
pub fn snapshot(model: &Model, rec: &crate::store::SnapshotRecord, at: &str) -> Result<(), String> {
    if rec.revision < 1 {
        return Err(format!("{at}: revision must be 1 or more"));
    }
    timestamp(&rec.created_at, &format!("{at}: createdAt"))?;
    against(
        model,
        "GetResourceSnapshotResponse",
        &json!({"Catalog": "AWS", "EngagementId": rec.engagement_id, "ResourceId": rec.resource_id,
                "ResourceType": rec.resource_type, "ResourceSnapshotTemplateName": rec.template,
                "Revision": rec.revision, "CreatedBy": rec.created_by,
                "TargetMemberAccounts": rec.target_member_accounts, "Payload": rec.payload}),
        at,
    )
}

/// A customer account of a scope.
pub fn customer_account(
    model: &Model,
    ctx: &Context,
    rec: &crate::store::CustomerAccountRecord,
    at: &str,
) -> Result<(), String> {
    if !(rec.id.starts_with("cust-acc-") && rec.id.len() == 22) {
        return Err(format!(
            "{at}: id '{}' must be cust-acc- and 13 characters",
            rec.id
        ));
    }
    for (name, stamp) in [
        ("createdDate", &rec.created_date),
        ("lastModifiedDate", &rec.last_modified_date),
        ("matchedAt", &rec.matched_at),
    ] {
        timestamp(stamp, &format!("{at}: {name}"))?;
    }
    against(
        model,
        "GetCustomerAccountResponse",
        &json!({"Arn": crate::ops::customers::view::arn(ctx, &rec.id), "Id": rec.id,
                "Catalog": ctx.catalog, "CreatedDate": rec.created_date,
                "LastModifiedDate": rec.last_modified_date, "EnrichmentStatus": "PENDING",
                "Account": rec.account}),
        at,
    )
}
