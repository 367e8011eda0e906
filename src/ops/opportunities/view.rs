//! Opportunity records rendered as responses: GetOpportunity, the ListOpportunities entry
//! (rendered once when written), the AWS summary behind GetAwsOpportunitySummary and the
//! SearchOpportunities result item.

use serde_json::{Map, Value, json};

use crate::domain::{ids, lifecycle};
use crate::model::conform::conform;
use crate::ops::Context;
use crate::store::{AwsSummaryRecord, OpportunityRecord, Scope};

/// The GetOpportunity view of a record.
pub(crate) fn opportunity(ctx: &Context, rec: &OpportunityRecord) -> Value {
    let mut out = rec.doc.clone();
    out.insert("Id".into(), json!(rec.id));
    out.insert(
        "Arn".into(),
        json!(ids::opportunity_arn(
            &ctx.region,
            &ctx.account,
            &ctx.catalog,
            &rec.id
        )),
    );
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("CreatedDate".into(), json!(rec.created_date));
    out.insert("LastModifiedDate".into(), json!(rec.last_modified_date));
    with_defaults(&mut out);
    // The four lists AWS always answers, empty when nothing is associated (captured).
    let mut related = Map::new();
    for kind in [
        "AwsMarketplaceOffers",
        "AwsMarketplaceOfferSets",
        "AwsProducts",
        "Solutions",
    ] {
        related.insert(kind.into(), json!([]));
    }
    for (kind, list) in &rec.related {
        // An offer associated by its ARN comes back as its bare id (captured 2025-02).
        let shown: Vec<&str> = if kind == "AwsMarketplaceOffers" {
            list.iter()
                .map(|arn| arn.rsplit_once("Offer/").map_or(arn.as_str(), |(_, id)| id))
                .collect()
        } else {
            list.iter().map(String::as_str).collect()
        };
        related.insert(kind.clone(), json!(shown));
    }
    out.insert("RelatedEntityIdentifiers".into(), Value::Object(related));
    Value::Object(out)
}

/// What AWS answers for members a creator left out: empty contact and spend lists, and the
/// server defaults of `Marketing.Source`, `NationalSecurity` and `OpportunityType` (captured
/// on records AWS created from leads and invitations).
pub(crate) fn with_defaults(out: &mut Map<String, Value>) {
    let object = |out: &mut Map<String, Value>, key: &str| -> Option<Map<String, Value>> {
        match out.get(key) {
            Some(Value::Object(m)) => Some(m.clone()),
            None | Some(Value::Null) => Some(Map::new()),
            Some(_) => None,
        }
    };
    if let Some(mut customer) = object(out, "Customer") {
        if customer.get("Contacts").is_none_or(Value::is_null) {
            customer.insert("Contacts".into(), json!([]));
        }
        out.insert("Customer".into(), Value::Object(customer));
    }
    if let Some(mut project) = object(out, "Project") {
        if project
            .get("ExpectedCustomerSpend")
            .is_none_or(Value::is_null)
        {
            project.insert("ExpectedCustomerSpend".into(), json!([]));
        }
        out.insert("Project".into(), Value::Object(project));
    }
    if let Some(mut marketing) = object(out, "Marketing") {
        if marketing.get("Source").is_none_or(Value::is_null) {
            marketing.insert("Source".into(), json!("None"));
        }
        out.insert("Marketing".into(), Value::Object(marketing));
    }
    for (key, default) in [
        ("NationalSecurity", "No"),
        ("OpportunityType", "Net New Business"),
    ] {
        if out.get(key).is_none_or(Value::is_null) {
            out.insert(key.into(), json!(default));
        }
    }
}

/// The ListOpportunities entry of a record, rendered once when it is written. It depends on
/// the region (its ARN): the store rebuilds every entry when the region changes.
pub(crate) fn listing(ctx: &Context, rec: &OpportunityRecord) -> String {
    let model = crate::model::Model::get();
    let value = match model.shape_id("OpportunitySummary") {
        Some(shape) => conform(model, shape, opportunity(ctx, rec)),
        None => opportunity(ctx, rec),
    };
    value.to_string()
}

/// The listing renderer of a region, for whole-store rebuilds and imports.
pub(crate) fn listing_in(region: &str) -> impl Fn(&Scope, &OpportunityRecord) -> String + '_ {
    move |scope, rec| {
        let ctx = Context {
            account: scope.account.clone(),
            catalog: scope.catalog.clone(),
            region: region.to_string(),
        };
        listing(&ctx, rec)
    }
}

/// What stored listings depend on besides the record: the region (ARNs) and the model
/// (the members of `OpportunitySummary`). A store whose listings were rendered under other
/// settings has them rebuilt on start.
pub(crate) fn listing_settings(region: &str) -> String {
    // `defaults=1`: listings carry the server defaults AWS answers (see `with_defaults`).
    format!(
        "region={region};model={};defaults=1",
        crate::model::Model::get().botocore_version
    )
}

/// Merges `over` into `base`: objects member by member, anything else replaced.
fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The summary response: what is mirrored from the partner opportunity (when there is one;
/// a standalone summary written by the control plane has none), overlaid by the AWS side.
pub(crate) fn aws_summary(
    ctx: &Context,
    id: &str,
    opp: Option<&OpportunityRecord>,
    summary: &AwsSummaryRecord,
) -> Value {
    let mut out = Map::new();
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("RelatedOpportunityId".into(), json!(id));
    if let Some(opp) = opp {
        out.insert(
            "Origin".into(),
            json!(opp.text("Origin").unwrap_or(lifecycle::PARTNER_REFERRAL)),
        );
        if let Some(contacts) = opp.doc.get("Customer").and_then(|c| c.get("Contacts")) {
            out.insert("Customer".into(), json!({"Contacts": contacts}));
        }
        if let Some(spend) = opp
            .doc
            .get("Project")
            .and_then(|p| p.get("ExpectedCustomerSpend"))
        {
            out.insert("Project".into(), json!({"ExpectedCustomerSpend": spend}));
        }
        let mut related = Map::new();
        for kind in [
            "Solutions",
            "AwsProducts",
            "AwsMarketplaceSolutions",
            "AwsMarketplaceProducts",
        ] {
            let list = opp.related.get(kind).cloned().unwrap_or_default();
            if !list.is_empty() || kind == "Solutions" || kind == "AwsProducts" {
                related.insert(kind.into(), json!(list));
            }
        }
        out.insert("RelatedEntityIds".into(), Value::Object(related));
        if let Some(sub) = &opp.submission {
            out.insert("InvolvementType".into(), json!(sub.involvement_type));
            out.insert("Visibility".into(), json!(sub.visibility));
        }
    }
    merge(&mut out, &summary.aws);
    if !summary.next_steps_history.is_empty() {
        let life = out
            .entry("LifeCycle")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(life) = life {
            life.insert("NextStepsHistory".into(), json!(summary.next_steps_history));
        }
    }
    if out
        .get("LifeCycle")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        out.remove("LifeCycle");
    }
    Value::Object(out)
}

/// The SearchOpportunities result item (`OpportunitySearchSummary`): the partner's record as
/// GetOpportunity shows it, restricted to the members the shape has (team members without
/// email or phone, spend without frequency), its marketplace offers, offer sets and solutions
/// as associated, its tags (absent when it has none: the model's list has at least one), and
/// `AwsOpportunitySummary` (`Origin`, `CosellMotion`, `Insights`) as GetAwsOpportunitySummary
/// shows it — absent when AWS has not approved it (no summary).
pub(crate) fn search_summary(
    ctx: &Context,
    rec: &OpportunityRecord,
    summary: Option<&AwsSummaryRecord>,
    tags: Vec<Value>,
) -> Value {
    let mut out = rec.doc.clone();
    out.insert("Id".into(), json!(rec.id));
    out.insert("CreatedDate".into(), json!(rec.created_date));
    out.insert("LastModifiedDate".into(), json!(rec.last_modified_date));
    with_defaults(&mut out);
    let mut related = Map::new();
    for kind in [
        "AwsMarketplaceOffers",
        "AwsMarketplaceOfferSets",
        "AwsMarketplaceSolutions",
        "Solutions",
    ] {
        related.insert(
            kind.into(),
            json!(rec.related.get(kind).cloned().unwrap_or_default()),
        );
    }
    out.insert("RelatedEntityIdentifiers".into(), Value::Object(related));
    if !tags.is_empty() {
        out.insert("Tags".into(), Value::Array(tags));
    }
    if let Some(summary) = summary {
        let aws = aws_summary(ctx, &rec.id, Some(rec), summary);
        let mut side = Map::new();
        for member in ["Origin", "CosellMotion", "Insights"] {
            if let Some(v) = aws.get(member).filter(|v| !v.is_null()) {
                side.insert(member.into(), v.clone());
            }
        }
        out.insert("AwsOpportunitySummary".into(), Value::Object(side));
    }
    let model = crate::model::Model::get();
    match model.shape_id("OpportunitySearchSummary") {
        Some(shape) => conform(model, shape, Value::Object(out)),
        None => Value::Object(out),
    }
}
