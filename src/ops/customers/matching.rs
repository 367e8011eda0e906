//! What AWS's matching makes of a customer account, deterministically: while `PENDING` (until
//! `matched_at`, which `--task-delay-ms` sets after each create or update), then
//! - `ACTION_REQUIRED` with `DUPLICATE_CUSTOMER_MATCH` and the existing account's ARN when an
//!   older account of the caller's has the same domain (case-insensitive), or the same company
//!   name (case and spaces aside) in the same country;
//! - `NO_MATCH_FOUND` when nothing identifies the company beyond its name (no domain, website
//!   or DUNS number);
//! - `ENRICHED` otherwise, with AWS's enrichment derived from the data (the same data always
//!   gives the same enrichment).
//!
//! The control plane can force any outcome and enrichment (`admin.rs`).

use serde_json::{Map, Value, json};

use crate::ops::common::str_at;
use crate::store::CustomerAccountRecord;

pub const PENDING: &str = "PENDING";
pub const ENRICHED: &str = "ENRICHED";
pub const NO_MATCH_FOUND: &str = "NO_MATCH_FOUND";
pub const ACTION_REQUIRED: &str = "ACTION_REQUIRED";

/// What matching says of an account at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: String,
    pub enrichment: Option<Value>,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// The existing account a duplicate matches.
    pub existing: Option<String>,
}

fn normalized(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn same_customer(a: &Value, b: &Value) -> bool {
    let domain = |v: &Value| str_at(v, "Domain").map(str::to_lowercase);
    if let (Some(x), Some(y)) = (domain(a), domain(b))
        && x == y
    {
        return true;
    }
    let name = |v: &Value| str_at(v, "CompanyName").map(normalized);
    let country = |v: &Value| str_at(v, "Address.CountryCode").map(str::to_string);
    name(a).is_some() && name(a) == name(b) && country(a) == country(b)
}

const GEOS: [(&str, &str, &str); 8] = [
    ("US", "AMER", "NAMER"),
    ("CA", "AMER", "NAMER"),
    ("BR", "AMER", "LATAM"),
    ("GB", "EMEA", "UKI"),
    ("DE", "EMEA", "Central Europe"),
    ("FR", "EMEA", "Southern Europe"),
    ("JP", "APJ", "Japan"),
    ("IN", "APJ", "India"),
];

/// The enrichment AWS returns for an account's data (derived; the same data, the same answer).
pub fn derived_enrichment(account: &Value) -> Value {
    let name = str_at(account, "CompanyName").unwrap_or_default();
    let country = str_at(account, "Address.CountryCode").unwrap_or("US");
    let (geo, region) = GEOS
        .iter()
        .find(|(c, _, _)| *c == country)
        .map(|(_, g, r)| (*g, *r))
        .unwrap_or(("AMER", "NAMER"));
    let score = ["Low", "Medium", "High"][name.bytes().map(usize::from).sum::<usize>() % 3];
    let segment = ["SMB", "Mid-Market", "Enterprise"][name.len() % 3];
    let mut customer = Map::new();
    customer.insert("AccountName".into(), json!(name));
    if let Some(i) = str_at(account, "Industry") {
        customer.insert("Industry".into(), json!(i));
    }
    customer.insert("Country".into(), json!(country));
    customer.insert("Geo".into(), json!(geo));
    customer.insert("Region".into(), json!(region));
    customer.insert("Segment".into(), json!(segment));
    customer.insert(
        "CustomerAccountPlanningQualification".into(),
        json!("Qualified"),
    );
    customer.insert("EligiblePrograms".into(), json!(["MAP"]));
    json!({"Customer": customer, "Insights": {"MarketplaceEngagementScore": score,
           "SolutionScore": score, "SolutionCategory": "Analytics"}})
}

/// The outcome of `rec` at `now`, among the caller's `others` (for duplicates).
pub fn outcome(
    rec: &CustomerAccountRecord,
    others: &[CustomerAccountRecord],
    now: &str,
    arn_of: impl Fn(&str) -> String,
) -> Outcome {
    let pending = Outcome {
        status: PENDING.to_string(),
        enrichment: None,
        reason: None,
        message: None,
        existing: None,
    };
    if rec.matched_at.as_str() > now {
        return pending;
    }
    if let Some(f) = &rec.forced {
        let status = str_at(f, "Status").unwrap_or(ENRICHED).to_string();
        return Outcome {
            enrichment: (status == ENRICHED).then(|| {
                f.get("AwsEnrichment")
                    .cloned()
                    .unwrap_or_else(|| derived_enrichment(&rec.account))
            }),
            reason: str_at(f, "ReasonCode").map(str::to_string),
            message: str_at(f, "Message").map(str::to_string),
            existing: str_at(f, "ExistingCustomerAccountArn").map(str::to_string),
            status,
        };
    }
    if let Some(dup) = others.iter().find(|o| {
        o.id != rec.id
            && (o.created_date.as_str(), o.id.as_str())
                < (rec.created_date.as_str(), rec.id.as_str())
            && same_customer(&o.account, &rec.account)
    }) {
        return Outcome {
            status: ACTION_REQUIRED.to_string(),
            enrichment: None,
            reason: Some("DUPLICATE_CUSTOMER_MATCH".to_string()),
            message: Some(format!(
                "Customer account {} matches the customer of your account {}.",
                rec.id, dup.id
            )),
            existing: Some(arn_of(&dup.id)),
        };
    }
    let identified = ["Domain", "WebsiteUrl", "Duns"]
        .iter()
        .any(|m| str_at(&rec.account, m).is_some_and(|v| !v.is_empty()));
    if !identified {
        return Outcome {
            status: NO_MATCH_FOUND.to_string(),
            ..pending
        };
    }
    Outcome {
        status: ENRICHED.to_string(),
        enrichment: Some(derived_enrichment(&rec.account)),
        ..pending
    }
}
