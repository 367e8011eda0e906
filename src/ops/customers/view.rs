//! Customer accounts rendered as responses.

use serde_json::{Map, Value, json};

use super::matching::{ENRICHED, Outcome};
use crate::ops::Context;
use crate::ops::common::str_at;
use crate::store::CustomerAccountRecord;

pub fn arn(ctx: &Context, id: &str) -> String {
    format!(
        "arn:aws:partnercentral:{}:{}:catalog/{}/customer-account/{id}",
        ctx.region, ctx.account, ctx.catalog
    )
}

fn common(ctx: &Context, rec: &CustomerAccountRecord) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("Arn".into(), json!(arn(ctx, &rec.id)));
    out.insert("Id".into(), json!(rec.id));
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("CreatedDate".into(), json!(rec.created_date));
    out.insert("LastModifiedDate".into(), json!(rec.last_modified_date));
    if let Some(p) = &rec.partner_account_identifier {
        out.insert("PartnerAccountIdentifier".into(), json!(p));
    }
    out
}

/// Create and Update answers.
pub fn written(ctx: &Context, rec: &CustomerAccountRecord, status: &str) -> Value {
    let mut out = common(ctx, rec);
    out.insert("Status".into(), json!(status));
    Value::Object(out)
}

/// GetCustomerAccount.
pub fn account(ctx: &Context, rec: &CustomerAccountRecord, o: &Outcome, tags: Vec<Value>) -> Value {
    let mut out = common(ctx, rec);
    out.insert("Account".into(), rec.account.clone());
    out.insert("EnrichmentStatus".into(), json!(o.status));
    if let Some(e) = &o.enrichment {
        out.insert("AwsEnrichment".into(), e.clone());
    }
    if let Some(r) = &o.reason {
        out.insert("ReasonCode".into(), json!(r));
    }
    if let Some(m) = &o.message {
        out.insert("Message".into(), json!(m));
    }
    if let Some(a) = &o.existing {
        out.insert("ExistingCustomerAccountArn".into(), json!(a));
    }
    out.insert("Tags".into(), Value::Array(tags));
    Value::Object(out)
}

/// A SearchCustomerAccounts entry.
pub fn summary(ctx: &Context, rec: &CustomerAccountRecord, o: &Outcome) -> Value {
    let mut out = common(ctx, rec);
    out.insert("EnrichmentStatus".into(), json!(o.status));
    out.insert(
        "CustomerAccount".into(),
        json!({"CompanyName": str_at(&rec.account, "CompanyName").unwrap_or_default()}),
    );
    if o.status == ENRICHED
        && let Some(e) = &o.enrichment
    {
        let c = e.get("Customer").cloned().unwrap_or(json!({}));
        let mut customer = Map::new();
        for (to, from) in [
            ("Industry", "Industry"),
            (
                "AccountPlanningQualification",
                "CustomerAccountPlanningQualification",
            ),
            ("EligiblePrograms", "EligiblePrograms"),
            ("Geo", "Geo"),
            ("Country", "Country"),
            ("Segment", "Segment"),
        ] {
            if let Some(v) = c.get(from) {
                customer.insert(to.into(), v.clone());
            }
        }
        let i = e.get("Insights").cloned().unwrap_or(json!({}));
        let mut insights = Map::new();
        for m in [
            "MarketplaceEngagementScore",
            "SolutionCategory",
            "SolutionScore",
        ] {
            if let Some(v) = i.get(m) {
                insights.insert(m.into(), v.clone());
            }
        }
        out.insert(
            "AwsEnrichment".into(),
            json!({"Customer": customer, "Insights": insights}),
        );
    }
    Value::Object(out)
}
