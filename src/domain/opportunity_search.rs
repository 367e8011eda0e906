//! What SearchOpportunities finds in an opportunity: its search entry, one per opportunity,
//! read from the opportunity's three records (the partner's record, its AWS summary if AWS
//! approved it, and its tags). This module owns what each filter key, sort key and the
//! `Keyword` read; the store keeps one entry per opportunity, rewritten in the same
//! transaction as every write of those records (`store::sqlite`), and
//! `ops::opportunities::search` evaluates filter trees on entries.
//!
//! Where each value comes from (the partner's record is what GetOpportunity shows; the AWS
//! side is what GetAwsOpportunitySummary shows):
//!
//! | key | value |
//! |---|---|
//! | `OpportunityId` | the id |
//! | `Stage`, `ReviewStatus`, `NextStep`, `TargetCloseDate` | `LifeCycle.Stage`, `.ReviewStatus`, `.NextSteps`, `.TargetCloseDate` (a date: midnight UTC) |
//! | `CustomerCompanyName`, `Industry`, `AwsAccountId`, `CountryCode` | `Customer.Account.CompanyName`, `.Industry`, `.AwsAccountId`, `.Address.CountryCode` |
//! | `PartnerProjectTitle`, `ApnPrograms` | `Project.Title`, `Project.ApnPrograms` (several) |
//! | `OpportunityType`, `PartnerOpportunityIdentifier` | as GetOpportunity shows them (`OpportunityType` defaults to `Net New Business`) |
//! | `CreatedDate`, `LastModifiedDate` | the record's timestamps |
//! | `OpportunityOwner` | the team member titled `OpportunityOwner`: `FirstName LastName` |
//! | `Tags` | each tag twice: its key, and `Key:Value` (several) |
//! | `OfferId`, `OfferSetId`, `AwsMarketplaceSolution` | the associated Marketplace offers, offer sets, solutions: each as associated (its ARN) and its last path segment (`offer-…`) (several) |
//! | `Origin` | the AWS summary's `Origin`; without a summary, the opportunity's own (`Partner Referral` unless it came from an AWS referral) |
//! | `CosellMotion` | the AWS summary's `CosellMotion` |
//! | `EngagementScore` | the AWS summary's `Insights.EngagementScore` |
//! | `EstimatedMrr` | the AWS summary's expected monthly spend: the sum of the `Amount`s of its `Project.ExpectedCustomerSpend` (AWS's own when AWS set one, else the partner's, as GetAwsOpportunitySummary shows it; every frequency the model has is `Monthly`; currencies are not converted) |
//!
//! An opportunity without an AWS summary (not approved yet) has no `CosellMotion`,
//! `EngagementScore` or `EstimatedMrr`: no predicate on them holds for it (a `NotFilter` of one
//! does), and it sorts after every opportunity that has one, in both orders.
//!
//! `Keyword` looks in the id, `Project.Title`, `Customer.Account.CompanyName`,
//! `PartnerOpportunityIdentifier` and `LifeCycle.NextSteps`: a case-insensitive substring of
//! one of them (the texts a search result shows to tell opportunities apart).

use chrono::{NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::lifecycle;
use crate::store::{AwsSummaryRecord, OpportunityRecord};

/// What search reads of one opportunity. Text as the records hold it (search folds case
/// itself); `None` and empty lists where the records have nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(rename = "i")]
    pub id: String,
    #[serde(rename = "n")]
    pub num: i64,
    #[serde(rename = "c")]
    pub created: String,
    #[serde(rename = "m")]
    pub last_modified: String,
    #[serde(rename = "st", default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(rename = "rs", default, skip_serializing_if = "Option::is_none")]
    pub review_status: Option<String>,
    #[serde(rename = "cn", default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(rename = "tc", default, skip_serializing_if = "Option::is_none")]
    pub target_close_date: Option<String>,
    #[serde(rename = "cc", default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(rename = "ti", default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "ot", default, skip_serializing_if = "Option::is_none")]
    pub opportunity_type: Option<String>,
    #[serde(rename = "po", default, skip_serializing_if = "Option::is_none")]
    pub partner_opportunity_identifier: Option<String>,
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    #[serde(rename = "aa", default, skip_serializing_if = "Option::is_none")]
    pub aws_account_id: Option<String>,
    #[serde(rename = "ap", default, skip_serializing_if = "Vec::is_empty")]
    pub apn_programs: Vec<String>,
    #[serde(rename = "or", default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(rename = "tg", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(rename = "ns", default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<String>,
    #[serde(rename = "of", default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<String>,
    #[serde(rename = "os", default, skip_serializing_if = "Vec::is_empty")]
    pub offer_sets: Vec<String>,
    #[serde(rename = "ms", default, skip_serializing_if = "Vec::is_empty")]
    pub marketplace_solutions: Vec<String>,
    #[serde(rename = "cm", default, skip_serializing_if = "Option::is_none")]
    pub cosell_motion: Option<String>,
    #[serde(rename = "ow", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(rename = "mr", default, skip_serializing_if = "Option::is_none")]
    pub estimated_mrr: Option<f64>,
    #[serde(rename = "es", default, skip_serializing_if = "Option::is_none")]
    pub engagement_score: Option<String>,
}

fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, p| v.get(p))
}

fn text_at(value: &Value, path: &[&str]) -> Option<String> {
    at(value, path)?.as_str().map(str::to_string)
}

fn texts_at(value: &Value, path: &[&str]) -> Vec<String> {
    at(value, path)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Each identifier as associated, then its last path segment when that differs.
fn with_last_segment(list: Option<&Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for v in list.into_iter().flatten() {
        out.push(v.clone());
        if let Some((_, last)) = v.rsplit_once('/')
            && !last.is_empty()
        {
            out.push(last.to_string());
        }
    }
    out
}

/// The sum of the `Amount`s of an `ExpectedCustomerSpend` list (none when it has none).
fn monthly_spend(spend: Option<&Value>) -> Option<f64> {
    let items = spend?.as_array()?;
    let amounts: Vec<f64> = items
        .iter()
        .filter_map(|s| s.get("Amount")?.as_str()?.parse::<f64>().ok())
        .filter(|a| a.is_finite())
        .collect();
    (!amounts.is_empty()).then(|| amounts.iter().sum())
}

/// The search entry of `rec`, with its AWS summary (if AWS approved it) and its tags
/// (`{Key, Value}` objects, under any ARN that names it).
pub fn entry(rec: &OpportunityRecord, summary: Option<&AwsSummaryRecord>, tags: &[Value]) -> Entry {
    let doc = Value::Object(rec.doc.clone());
    let owner = at(&doc, &["OpportunityTeam"])
        .and_then(Value::as_array)
        .and_then(|team| {
            team.iter().find(|m| {
                m.get("BusinessTitle").and_then(Value::as_str) == Some("OpportunityOwner")
            })
        })
        .map(|m| {
            let name = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
            format!("{} {}", name("FirstName"), name("LastName"))
                .trim()
                .to_string()
        })
        .filter(|n| !n.is_empty());
    let mut tag_values = Vec::new();
    for t in tags {
        if let Some(key) = t.get("Key").and_then(Value::as_str) {
            let value = t.get("Value").and_then(Value::as_str).unwrap_or_default();
            tag_values.push(key.to_string());
            tag_values.push(format!("{key}:{value}"));
        }
    }
    let own_origin = rec
        .text("Origin")
        .unwrap_or(lifecycle::PARTNER_REFERRAL)
        .to_string();
    let (origin, cosell_motion, engagement_score, estimated_mrr) = match summary {
        Some(s) => {
            let aws = Value::Object(s.aws.clone());
            let spend = at(&aws, &["Project", "ExpectedCustomerSpend"])
                .filter(|v| !v.is_null())
                .or_else(|| at(&doc, &["Project", "ExpectedCustomerSpend"]));
            (
                text_at(&aws, &["Origin"]).unwrap_or(own_origin),
                text_at(&aws, &["CosellMotion"]),
                text_at(&aws, &["Insights", "EngagementScore"]),
                monthly_spend(spend),
            )
        }
        None => (own_origin, None, None, None),
    };
    Entry {
        id: rec.id.clone(),
        num: rec.num,
        created: rec.created_date.clone(),
        last_modified: rec.last_modified_date.clone(),
        stage: text_at(&doc, &["LifeCycle", "Stage"]),
        review_status: text_at(&doc, &["LifeCycle", "ReviewStatus"]),
        company_name: text_at(&doc, &["Customer", "Account", "CompanyName"]),
        target_close_date: text_at(&doc, &["LifeCycle", "TargetCloseDate"]),
        country_code: text_at(&doc, &["Customer", "Account", "Address", "CountryCode"]),
        title: text_at(&doc, &["Project", "Title"]),
        opportunity_type: Some(
            text_at(&doc, &["OpportunityType"]).unwrap_or_else(|| "Net New Business".to_string()),
        ),
        partner_opportunity_identifier: text_at(&doc, &["PartnerOpportunityIdentifier"]),
        industry: text_at(&doc, &["Customer", "Account", "Industry"]),
        aws_account_id: text_at(&doc, &["Customer", "Account", "AwsAccountId"]),
        apn_programs: texts_at(&doc, &["Project", "ApnPrograms"]),
        origin: Some(origin),
        tags: tag_values,
        next_step: text_at(&doc, &["LifeCycle", "NextSteps"]),
        offers: with_last_segment(rec.related.get("AwsMarketplaceOffers")),
        offer_sets: with_last_segment(rec.related.get("AwsMarketplaceOfferSets")),
        marketplace_solutions: with_last_segment(rec.related.get("AwsMarketplaceSolutions")),
        cosell_motion,
        owner,
        estimated_mrr,
        engagement_score,
    }
}

impl Entry {
    /// The texts `Keyword` looks in.
    pub fn keyword_texts(&self) -> Vec<&str> {
        let mut out = vec![self.id.as_str()];
        out.extend(
            [
                &self.title,
                &self.company_name,
                &self.partner_opportunity_identifier,
                &self.next_step,
            ]
            .into_iter()
            .filter_map(|t| t.as_deref()),
        );
        out
    }

    /// The keyword texts as one lower-cased document (a line each), for a substring index:
    /// lower-cased as [`crate::domain::search::keyword_matches`] lower-cases, so that a keyword
    /// found there is found in the index.
    pub fn keyword_document(&self) -> String {
        self.keyword_texts()
            .iter()
            .map(|t| t.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A `YYYY-MM-DD` date as the instant search compares it at: midnight UTC.
pub fn date_only(text: &str) -> Option<chrono::DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

/// Text as search compares it: each character lower-cased (as the filter engine folds).
pub fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(doc: Value) -> OpportunityRecord {
        OpportunityRecord {
            id: "O1000001".into(),
            num: 1_000_001,
            created_date: "2026-01-01T00:00:00.000Z".into(),
            last_modified_date: "2026-01-02T00:00:00.000Z".into(),
            doc: doc.as_object().cloned().unwrap_or_default(),
            related: [(
                "AwsMarketplaceOffers".to_string(),
                vec![
                    "arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/Offer/offer-abc"
                        .to_string(),
                ],
            )]
            .into_iter()
            .collect(),
            submission: None,
            engagement_id: None,
        }
    }

    #[test]
    fn reads_the_partner_record_and_the_aws_side() {
        let rec = record(json!({
            "Customer": {"Account": {"CompanyName": "Acme", "Address": {"CountryCode": "DE"}}},
            "Project": {"Title": "Lake", "ApnPrograms": ["APN Immersion Days"],
                        "ExpectedCustomerSpend": [{"Amount": "100.50", "CurrencyCode": "USD"},
                                                  {"Amount": "20", "CurrencyCode": "USD"}]},
            "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": "2027-06-30"},
            "OpportunityTeam": [{"BusinessTitle": "OpportunityOwner", "FirstName": "Ann", "LastName": "Lee"}]
        }));
        let tags = [json!({"Key": "Team", "Value": "EMEA"})];
        let e = entry(&rec, None, &tags);
        assert_eq!(e.origin.as_deref(), Some("Partner Referral"));
        assert_eq!(e.estimated_mrr, None);
        assert_eq!(e.opportunity_type.as_deref(), Some("Net New Business"));
        assert_eq!(e.owner.as_deref(), Some("Ann Lee"));
        assert_eq!(e.tags, ["Team", "Team:EMEA"]);
        assert_eq!(e.offers[1], "offer-abc");
        let summary = AwsSummaryRecord {
            opportunity_id: rec.id.clone(),
            aws: json!({"Insights": {"EngagementScore": "High"}, "CosellMotion": "Co-Sell"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..Default::default()
        };
        let e = entry(&rec, Some(&summary), &[]);
        assert_eq!(e.estimated_mrr, Some(120.5));
        assert_eq!(e.engagement_score.as_deref(), Some("High"));
        assert_eq!(e.cosell_motion.as_deref(), Some("Co-Sell"));
        // AWS's own spend wins over the partner's, as the summary shows it.
        let mut aws = summary.clone();
        aws.aws.insert(
            "Project".into(),
            json!({"ExpectedCustomerSpend": [{"Amount": "7", "CurrencyCode": "USD"}]}),
        );
        aws.aws.insert("Origin".into(), json!("AWS Referral"));
        let e = entry(&rec, Some(&aws), &[]);
        assert_eq!(e.estimated_mrr, Some(7.0));
        assert_eq!(e.origin.as_deref(), Some("AWS Referral"));
        let back: Entry = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.keyword_document(), "o1000001\nlake\nacme");
    }

    #[test]
    fn dates_and_folding() {
        assert_eq!(
            date_only("2027-06-30").map(|d| d.to_rfc3339()),
            Some("2027-06-30T00:00:00+00:00".to_string())
        );
        assert_eq!(date_only("2027-13-30"), None);
        assert_eq!(fold("ÄcMe"), "äcme");
    }
}
