//! Engagement records rendered as responses: GetEngagement, the ListEngagements and
//! SearchEngagements entries, members and resource associations.

use serde_json::{Map, Value, json};

use crate::domain::ids;
use crate::ops::Context;
use crate::store::{EngagementMember, EngagementRecord};

/// Members every view of an engagement shares.
fn common(ctx: &Context, rec: &EngagementRecord) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "Arn".into(),
        json!(ids::engagement_arn(&ctx.region, &ctx.catalog, &rec.id)),
    );
    out.insert("Id".into(), json!(rec.id));
    if !rec.title.is_empty() {
        out.insert("Title".into(), json!(rec.title));
    }
    out.insert("CreatedAt".into(), json!(rec.created_at));
    out.insert("CreatedBy".into(), json!(rec.created_by));
    out.insert("MemberCount".into(), json!(rec.members.len()));
    out.insert("ModifiedAt".into(), json!(rec.modified_at));
    out.insert("ModifiedBy".into(), json!(rec.modified_by));
    out
}

/// GetEngagement.
pub(crate) fn engagement(ctx: &Context, rec: &EngagementRecord) -> Value {
    Value::Object(with_details(ctx, rec))
}

fn with_details(ctx: &Context, rec: &EngagementRecord) -> Map<String, Value> {
    let mut out = common(ctx, rec);
    if let Some(d) = &rec.description {
        out.insert("Description".into(), json!(d));
    }
    out.insert("Contexts".into(), Value::Array(rec.contexts.clone()));
    out
}

/// A ListEngagements entry.
pub(crate) fn summary(ctx: &Context, rec: &EngagementRecord) -> Value {
    let mut out = common(ctx, rec);
    out.insert("ContextTypes".into(), json!(rec.context_types()));
    Value::Object(out)
}

/// A SearchEngagements entry.
pub(crate) fn search_summary(ctx: &Context, rec: &EngagementRecord) -> Value {
    Value::Object(with_details(ctx, rec))
}

/// A ListEngagementMembers entry.
pub(crate) fn member(m: &EngagementMember) -> Value {
    let mut out = json!({"AccountId": m.account_id, "CompanyName": m.company_name});
    if let Some(url) = &m.website_url {
        out["WebsiteUrl"] = json!(url);
    }
    out
}

/// A ListEngagementResourceAssociations entry (`resource`: `{accountId, resourceType,
/// resourceId}` as an engagement keeps it).
pub(crate) fn association(ctx: &Context, engagement: &str, resource: &Value) -> Value {
    json!({
        "Catalog": ctx.catalog,
        "EngagementId": engagement,
        "ResourceType": resource.get("resourceType").cloned().unwrap_or(json!("Opportunity")),
        "ResourceId": resource.get("resourceId").cloned().unwrap_or(Value::Null),
        "CreatedBy": resource.get("accountId").cloned().unwrap_or(Value::Null),
    })
}
