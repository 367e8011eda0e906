//! Snapshots and snapshot jobs rendered as responses, and the template views a snapshot
//! holds: `OpportunitySummaryView` (the partner's opportunity, trimmed to the model's view
//! shape; early captures call it `Opportunity`) and `AwsOpportunitySummaryFullView` (AWS's
//! summary of it).

use serde_json::{Map, Value, json};

use crate::domain::ids;
use crate::model::Model;
use crate::model::conform::conform;
use crate::ops::Context;
use crate::ops::opportunities::view as opportunity_view;
use crate::store::{AwsSummaryRecord, OpportunityRecord, SnapshotJobRecord, SnapshotRecord};

pub const SUMMARY_VIEW: &str = "OpportunitySummaryView";
/// The name early captures used for [`SUMMARY_VIEW`].
pub const SUMMARY_VIEW_ALIAS: &str = "Opportunity";
pub const AWS_FULL_VIEW: &str = "AwsOpportunitySummaryFullView";

/// Whether a template exists at all (reads name any; partners create only theirs).
pub fn known_template(name: &str) -> bool {
    partner_template(name) || name == AWS_FULL_VIEW
}

/// Whether partners may snapshot a template (AWS produces its own view).
pub fn partner_template(name: &str) -> bool {
    name == SUMMARY_VIEW || name == SUMMARY_VIEW_ALIAS
}

/// The `OpportunitySummaryView` payload of an opportunity, as its owner `ctx` renders it.
pub fn summary_payload(ctx: &Context, opp: &OpportunityRecord) -> Value {
    let mut doc = opportunity_view::opportunity(ctx, opp);
    if let Some(lc) = doc.as_object_mut().and_then(|m| m.remove("LifeCycle")) {
        doc["Lifecycle"] = lc;
    }
    let model = Model::get();
    let view = match model.shape_id("OpportunitySummaryView") {
        Some(shape) => conform(model, shape, doc),
        None => doc,
    };
    json!({"OpportunitySummary": view})
}

/// The `AwsOpportunitySummaryFullView` payload: AWS's summary of the opportunity.
pub fn aws_payload(ctx: &Context, opp: &OpportunityRecord, summary: &AwsSummaryRecord) -> Value {
    let doc = opportunity_view::aws_summary(ctx, &opp.id, Some(opp), summary);
    let model = Model::get();
    let view = match model.shape_id("AwsOpportunitySummaryFullView") {
        Some(shape) => conform(model, shape, doc),
        None => doc,
    };
    json!({"AwsOpportunitySummaryFullView": view})
}

/// A snapshot's ARN (the observed form: no account, the engagement's path).
pub fn arn(ctx: &Context, rec: &SnapshotRecord) -> String {
    format!(
        "{}/resource/{}/{}/template/{}/snapshot/{}",
        ids::engagement_arn(&ctx.region, &ctx.catalog, &rec.engagement_id),
        rec.resource_type,
        rec.resource_id,
        rec.template,
        rec.revision
    )
}

/// GetResourceSnapshot.
pub fn snapshot(ctx: &Context, rec: &SnapshotRecord) -> Value {
    json!({
        "Catalog": ctx.catalog,
        "Arn": arn(ctx, rec),
        "CreatedBy": rec.created_by,
        "CreatedAt": rec.created_at,
        "EngagementId": rec.engagement_id,
        "ResourceType": rec.resource_type,
        "ResourceId": rec.resource_id,
        "ResourceSnapshotTemplateName": rec.template,
        "Revision": rec.revision,
        "Payload": rec.payload,
        "TargetMemberAccounts": rec.target_member_accounts,
    })
}

/// A ListResourceSnapshots entry.
pub fn snapshot_summary(ctx: &Context, rec: &SnapshotRecord) -> Value {
    json!({
        "Arn": arn(ctx, rec),
        "Revision": rec.revision,
        "ResourceType": rec.resource_type,
        "ResourceId": rec.resource_id,
        "ResourceSnapshotTemplateName": rec.template,
        "CreatedBy": rec.created_by,
    })
}

pub fn job_arn(ctx: &Context, id: &str) -> String {
    format!(
        "arn:aws:partnercentral:{}:{}:catalog/{}/resource-snapshot-job/{id}",
        ctx.region, ctx.account, ctx.catalog
    )
}

/// GetResourceSnapshotJob.
pub fn job(ctx: &Context, rec: &SnapshotJobRecord) -> Value {
    let mut out = Map::new();
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("Id".into(), json!(rec.id));
    out.insert("Arn".into(), json!(job_arn(ctx, &rec.id)));
    out.insert("EngagementId".into(), json!(rec.engagement_id));
    out.insert("ResourceType".into(), json!(rec.resource_type));
    out.insert("ResourceId".into(), json!(rec.resource_id));
    out.insert(
        "ResourceArn".into(),
        json!(ids::opportunity_arn(
            &ctx.region,
            &ctx.account,
            &ctx.catalog,
            &rec.resource_id
        )),
    );
    out.insert("ResourceSnapshotTemplateName".into(), json!(rec.template));
    out.insert("CreatedAt".into(), json!(rec.created_at));
    out.insert("Status".into(), json!(rec.status));
    if let Some(d) = &rec.last_successful_execution_date {
        out.insert("LastSuccessfulExecutionDate".into(), json!(d));
    }
    if let Some(f) = &rec.last_failure {
        out.insert("LastFailure".into(), json!(f));
    }
    Value::Object(out)
}

/// A ListResourceSnapshotJobs entry.
pub fn job_summary(ctx: &Context, rec: &SnapshotJobRecord) -> Value {
    json!({"Id": rec.id, "Arn": job_arn(ctx, &rec.id), "EngagementId": rec.engagement_id,
           "Status": rec.status})
}
