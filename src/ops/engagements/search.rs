//! What SearchEngagements searches on: the engagement field table (one entry per value of
//! the model's `EngagementSearchFilterName`, sortable = `EngagementSearchSortName`), the
//! texts its `Keyword` looks in, and [`search`], which applies `Keyword`, `Filter` and `Sort`
//! to the engagements a caller may see. The tree, keyword and sort semantics themselves are
//! [`crate::domain::search`]'s; paging, `GroupId` and rendering are the caller's.
//!
//! Where each key reads (research §3.1, §3.2; contexts are kept as `{Id, Type, Payload}` in
//! the model's member names):
//!
//! - `EngagementId`, `Title`; `CreatedAt`, `LastModifiedAt` (dates: created / modified);
//!   `MemberCount` (number: members, AWS included, as the engagement reports it);
//!   `PartnerId` (the partner members' account ids, AWS excluded); `ContextType` (each
//!   context's `Type`).
//! - `ProspectingCustomer*`: `Payload.ProspectingResult.Aws.Customer.*` of each prospecting
//!   context; `ProspectingInsights*`: `….Aws.Insights.*` (`MarketplaceEngagementScore` is a
//!   free string in the model, so text; it sorts lexically).
//! - `LeadQualificationStatus`, `LeadReadinessScore` (`Insights.LeadReadinessScore`, a
//!   string), `LeadCustomer*` (`Customer.*`, `CountryCode` under `Address`) of each lead
//!   context; `LeadInteractions*`: each interaction's member (contact names and title under
//!   `Contact`), so multi-valued.
//!
//! Every key except the dates and `MemberCount` is text. Multi-valued keys (for
//! `ContainsAll`): `PartnerId`, `ContextType` and the `LeadInteractions*` keys.

use serde_json::Value;

use crate::domain::AWS_PARTY;
use crate::domain::search::{self, Field, Kind, Scalar, SortSpec, Tree};
use crate::ops::ServiceError;
use crate::store::EngagementRecord;

/// The order when a search does not say: newest first (the model's documentation).
pub const DEFAULT_SORT: SortSpec = SortSpec {
    key: "CreatedAt",
    descending: true,
};

type Values = fn(&EngagementRecord) -> Vec<Scalar>;

const fn field(
    name: &'static str,
    kind: Kind,
    multi: bool,
    sortable: bool,
    values: Values,
) -> Field<EngagementRecord> {
    Field {
        name,
        kind,
        multi,
        sortable,
        values,
    }
}

/// A single-valued text key.
const fn text(name: &'static str, sortable: bool, values: Values) -> Field<EngagementRecord> {
    field(name, Kind::Text, false, sortable, values)
}

/// A multi-valued text key.
const fn texts(name: &'static str, sortable: bool, values: Values) -> Field<EngagementRecord> {
    field(name, Kind::Text, true, sortable, values)
}

static FIELDS: [Field<EngagementRecord>; 29] = [
    text("EngagementId", true, |r| vec![Scalar::Text(r.id.clone())]),
    text("Title", true, |r| vec![Scalar::Text(r.title.clone())]),
    texts("PartnerId", true, |r| {
        r.members
            .iter()
            .filter(|m| m.account_id != AWS_PARTY)
            .map(|m| Scalar::Text(m.account_id.clone()))
            .collect()
    }),
    field("CreatedAt", Kind::Date, false, true, |r| {
        Scalar::date(&r.created_at).into_iter().collect()
    }),
    field("LastModifiedAt", Kind::Date, false, true, |r| {
        Scalar::date(&r.modified_at).into_iter().collect()
    }),
    field("MemberCount", Kind::Number, false, true, |r| {
        vec![Scalar::Number(r.members.len() as f64)]
    }),
    text("ProspectingCustomerGeo", true, |r| {
        prospecting(r, &["Customer", "Geo"])
    }),
    text("ProspectingCustomerRegion", true, |r| {
        prospecting(r, &["Customer", "Region"])
    }),
    text("ProspectingCustomerIndustry", true, |r| {
        prospecting(r, &["Customer", "Industry"])
    }),
    text("ProspectingCustomerSegment", true, |r| {
        prospecting(r, &["Customer", "Segment"])
    }),
    text("ProspectingCustomerCountry", true, |r| {
        prospecting(r, &["Customer", "Country"])
    }),
    text("ProspectingCustomerCompanySize", true, |r| {
        prospecting(r, &["Customer", "CompanySize"])
    }),
    text("ProspectingInsightsMarketplaceEngagementScore", true, |r| {
        prospecting(r, &["Insights", "MarketplaceEngagementScore"])
    }),
    text("ProspectingInsightsSolutionCategory", true, |r| {
        prospecting(r, &["Insights", "SolutionCategory"])
    }),
    text("ProspectingInsightsSolutionSubCategory", true, |r| {
        prospecting(r, &["Insights", "SolutionSubCategory"])
    }),
    text("LeadQualificationStatus", true, |r| {
        lead(r, &["QualificationStatus"])
    }),
    text("LeadReadinessScore", true, |r| {
        lead(r, &["Insights", "LeadReadinessScore"])
    }),
    text("LeadCustomerIndustry", true, |r| {
        lead(r, &["Customer", "Industry"])
    }),
    text("LeadCustomerCountryCode", true, |r| {
        lead(r, &["Customer", "Address", "CountryCode"])
    }),
    text("LeadCustomerAwsMaturity", true, |r| {
        lead(r, &["Customer", "AwsMaturity"])
    }),
    text("LeadCustomerMarketSegment", true, |r| {
        lead(r, &["Customer", "MarketSegment"])
    }),
    texts("LeadInteractionsSourceType", false, |r| {
        interactions(r, &["SourceType"])
    }),
    text("LeadCustomerCompanyName", true, |r| {
        lead(r, &["Customer", "CompanyName"])
    }),
    texts("LeadInteractionsContactFirstName", true, |r| {
        interactions(r, &["Contact", "FirstName"])
    }),
    texts("LeadInteractionsContactLastName", true, |r| {
        interactions(r, &["Contact", "LastName"])
    }),
    texts("LeadInteractionsUsecase", true, |r| {
        interactions(r, &["Usecase"])
    }),
    texts("LeadInteractionsSourceName", false, |r| {
        interactions(r, &["SourceName"])
    }),
    texts("LeadInteractionsContactBusinessTitle", true, |r| {
        interactions(r, &["Contact", "BusinessTitle"])
    }),
    texts("ContextType", false, |r| {
        r.contexts
            .iter()
            .filter_map(|c| c.get("Type")?.as_str())
            .map(|t| Scalar::Text(t.to_string()))
            .collect()
    }),
];

/// The engagement field table.
pub fn fields() -> &'static [Field<EngagementRecord>] {
    &FIELDS
}

/// The payloads of one context type (`Lead`, `ProspectingResult` …) of an engagement.
fn payloads<'r>(rec: &'r EngagementRecord, kind: &'r str) -> impl Iterator<Item = &'r Value> {
    rec.contexts
        .iter()
        .filter_map(move |c| c.get("Payload")?.get(kind))
}

/// The string at `path` under `value`, if there is one (`null` is none).
fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |v, p| v.get(p))?.as_str()
}

fn strings<'v>(values: impl Iterator<Item = &'v Value>, path: &[&str]) -> Vec<Scalar> {
    values
        .filter_map(|v| str_at(v, path))
        .map(|s| Scalar::Text(s.to_string()))
        .collect()
}

/// A member of `Aws` in each prospecting result.
fn prospecting(rec: &EngagementRecord, path: &[&str]) -> Vec<Scalar> {
    strings(
        payloads(rec, "ProspectingResult").filter_map(|p| p.get("Aws")),
        path,
    )
}

/// A member of each lead context.
fn lead(rec: &EngagementRecord, path: &[&str]) -> Vec<Scalar> {
    strings(payloads(rec, "Lead"), path)
}

/// A member of each interaction of each lead context.
fn interactions(rec: &EngagementRecord, path: &[&str]) -> Vec<Scalar> {
    strings(
        payloads(rec, "Lead")
            .filter_map(|p| p.get("Interactions")?.as_array())
            .flatten(),
        path,
    )
}

/// What `Keyword` looks in: title, description, the customer's company name in each context
/// (lead, customer project and customer account customers, prospecting account name) and the
/// members' company names.
pub fn keyword_haystacks(rec: &EngagementRecord) -> Vec<&str> {
    let mut out = vec![rec.title.as_str()];
    out.extend(rec.description.as_deref());
    for c in &rec.contexts {
        let Some(payload) = c.get("Payload") else {
            continue;
        };
        out.extend(
            [
                &["Lead", "Customer", "CompanyName"][..],
                &["CustomerProject", "Customer", "CompanyName"],
                &["CustomerAccount", "Customer", "CompanyName"],
                &["ProspectingResult", "Aws", "Customer", "AccountName"],
            ]
            .into_iter()
            .filter_map(|path| str_at(payload, path)),
        );
    }
    out.extend(rec.members.iter().map(|m| m.company_name.as_str()));
    out
}

/// Reads a filter tree (found at `Filter`) against the engagement fields.
pub fn parse_filter(filter: &Value) -> Result<Tree, ServiceError> {
    search::parse(filter, fields(), "Filter")
}

/// Checks a filter tree, e.g. an engagement group's stored predicate, without using it.
pub fn check_filter(filter: &Value) -> Result<(), ServiceError> {
    parse_filter(filter).map(drop)
}

/// The engagements of `records` (those the caller may see) that match the request's
/// `Keyword` and `Filter`, in the order its `Sort` asks (default: newest first), ties by id.
/// The request is checked whole before anything is filtered.
pub fn search(
    records: Vec<EngagementRecord>,
    input: &Value,
) -> Result<Vec<EngagementRecord>, ServiceError> {
    let tree = match input.get("Filter") {
        None | Some(Value::Null) => None,
        Some(filter) => Some(parse_filter(filter)?),
    };
    let order = match input.get("Sort") {
        None | Some(Value::Null) => DEFAULT_SORT,
        Some(sort) => search::parse_sort(sort, fields())?,
    };
    let keyword = search::parse_keyword(input)?;
    let mut found: Vec<EngagementRecord> = records
        .into_iter()
        .filter(|r| keyword.is_none_or(|k| search::keyword_matches(&keyword_haystacks(r), k)))
        .filter(|r| tree.as_ref().is_none_or(|t| t.matches(r, fields())))
        .collect();
    search::sort(&mut found, fields(), order.key, order.descending, |r| {
        r.id.as_str()
    });
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::model::validate::Code;
    use crate::store::EngagementMember;
    use serde_json::json;

    fn member(account: &str, company: &str) -> EngagementMember {
        EngagementMember {
            account_id: account.to_string(),
            company_name: company.to_string(),
            website_url: None,
            joined_at: "2025-01-01T00:00:00.000Z".to_string(),
        }
    }

    fn engagement(id: &str, title: &str, created: &str) -> EngagementRecord {
        EngagementRecord {
            id: id.to_string(),
            title: title.to_string(),
            description: None,
            created_at: created.to_string(),
            created_by: "111111111111".to_string(),
            modified_at: created.to_string(),
            modified_by: "111111111111".to_string(),
            members: vec![member("111111111111", "Partner 111111111111")],
            contexts: Vec::new(),
            resources: Vec::new(),
        }
    }

    fn lead_context() -> Value {
        json!({"Id": "1", "Type": "Lead", "Payload": {"Lead": {
        "QualificationStatus": "Qualified",
        "Customer": {"CompanyName": "Globex", "Industry": "Retail", "AwsMaturity": null,
                     "MarketSegment": "Enterprise",
                     "Address": {"CountryCode": "DE", "City": null}},
        "Insights": {"LeadReadinessScore": "High"},
        "Interactions": [
            {"SourceType": "Webinar", "SourceName": "re:Invent", "Usecase": "Migration",
             "Contact": {"FirstName": "Ada", "LastName": "Lovelace", "BusinessTitle": "CTO",
                         "Email": "ada@example.com"}},
            {"SourceType": "Event", "SourceName": "Summit", "Usecase": "Analytics",
             "Contact": {"FirstName": "Alan", "LastName": "Turing", "BusinessTitle": "CIO",
                         "Email": "alan@example.com"}}
        ]}}})
    }

    fn prospecting_context() -> Value {
        json!({"Id": "2", "Type": "ProspectingResult", "Payload": {"ProspectingResult": {"Aws": {
            "Customer": {"AccountName": "Initech", "Geo": "EMEA", "Region": "Europe",
                         "Industry": "Software and Internet", "Segment": "SMB", "Country": "FR",
                         "CompanySize": "51-200"},
            "Insights": {"MarketplaceEngagementScore": "Medium", "SolutionCategory": "Security",
                         "SolutionSubCategory": "IAM"}}}}})
    }

    /// A lead engagement AWS created, one partner joined, with every searchable context.
    fn rich() -> EngagementRecord {
        let mut r = engagement("eng-rich", "Lead for Globex", "2025-03-01T00:00:00.000Z");
        r.description = Some("Cloud migration opportunity".to_string());
        r.modified_at = "2025-03-05T00:00:00.000Z".to_string();
        r.members = vec![
            member(AWS_PARTY, "AWS"),
            member("222222222222", "Partner Hooli"),
        ];
        r.contexts = vec![
            lead_context(),
            prospecting_context(),
            json!({"Id": "3", "Type": "CustomerProject", "Payload": {"CustomerProject": {
                "Customer": {"CompanyName": "Umbrella", "Industry": "Retail",
                             "WebsiteUrl": "https://u.example", "CountryCode": "US"}}}}),
        ];
        r
    }

    fn values(rec: &EngagementRecord, key: &str) -> Vec<Scalar> {
        let f = fields().iter().find(|f| f.name == key);
        f.map(|f| (f.values)(rec)).unwrap_or_default()
    }

    fn text(v: &[&str]) -> Vec<Scalar> {
        v.iter().map(|s| Scalar::Text(s.to_string())).collect()
    }

    fn ids(found: &[EngagementRecord]) -> Vec<&str> {
        found.iter().map(|r| r.id.as_str()).collect()
    }

    fn invalid_field(e: Result<Vec<EngagementRecord>, ServiceError>) -> (String, Code) {
        match e {
            Err(ServiceError::Invalid(v)) => (v[0].field.clone(), v[0].code),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_table_covers_the_model_enums_exactly() {
        let model = Model::get();
        let names: Vec<&str> = fields().iter().map(|f| f.name).collect();
        let filter: Vec<&str> = model
            .enum_values("EngagementSearchFilterName")
            .iter()
            .map(String::as_str)
            .collect();
        assert!(!filter.is_empty());
        assert_eq!(
            names, filter,
            "one field per filter key, in the model's order"
        );
        let sortable: Vec<&str> = fields()
            .iter()
            .filter(|f| f.sortable)
            .map(|f| f.name)
            .collect();
        let sort: Vec<&str> = model
            .enum_values("EngagementSearchSortName")
            .iter()
            .map(String::as_str)
            .collect();
        assert!(!sort.is_empty());
        assert_eq!(sortable, sort);
        assert!(
            fields()
                .iter()
                .any(|f| f.name == DEFAULT_SORT.key && f.sortable)
        );
    }

    #[test]
    fn kinds_follow_the_model_types() {
        for f in fields() {
            let want = match f.name {
                "CreatedAt" | "LastModifiedAt" => Kind::Date,
                "MemberCount" => Kind::Number,
                _ => Kind::Text,
            };
            assert_eq!(f.kind, want, "{}", f.name);
        }
    }

    #[test]
    fn every_key_reads_its_member() {
        let r = rich();
        let expected: &[(&str, Vec<Scalar>)] = &[
            ("EngagementId", text(&["eng-rich"])),
            ("Title", text(&["Lead for Globex"])),
            ("PartnerId", text(&["222222222222"])),
            ("MemberCount", vec![Scalar::Number(2.0)]),
            ("ProspectingCustomerGeo", text(&["EMEA"])),
            ("ProspectingCustomerRegion", text(&["Europe"])),
            (
                "ProspectingCustomerIndustry",
                text(&["Software and Internet"]),
            ),
            ("ProspectingCustomerSegment", text(&["SMB"])),
            ("ProspectingCustomerCountry", text(&["FR"])),
            ("ProspectingCustomerCompanySize", text(&["51-200"])),
            (
                "ProspectingInsightsMarketplaceEngagementScore",
                text(&["Medium"]),
            ),
            ("ProspectingInsightsSolutionCategory", text(&["Security"])),
            ("ProspectingInsightsSolutionSubCategory", text(&["IAM"])),
            ("LeadQualificationStatus", text(&["Qualified"])),
            ("LeadReadinessScore", text(&["High"])),
            ("LeadCustomerIndustry", text(&["Retail"])),
            ("LeadCustomerCountryCode", text(&["DE"])),
            ("LeadCustomerAwsMaturity", Vec::new()),
            ("LeadCustomerMarketSegment", text(&["Enterprise"])),
            ("LeadInteractionsSourceType", text(&["Webinar", "Event"])),
            ("LeadCustomerCompanyName", text(&["Globex"])),
            ("LeadInteractionsContactFirstName", text(&["Ada", "Alan"])),
            (
                "LeadInteractionsContactLastName",
                text(&["Lovelace", "Turing"]),
            ),
            ("LeadInteractionsUsecase", text(&["Migration", "Analytics"])),
            ("LeadInteractionsSourceName", text(&["re:Invent", "Summit"])),
            (
                "LeadInteractionsContactBusinessTitle",
                text(&["CTO", "CIO"]),
            ),
            (
                "ContextType",
                text(&["Lead", "ProspectingResult", "CustomerProject"]),
            ),
        ];
        for (key, want) in expected {
            assert_eq!(&values(&r, key), want, "{key}");
        }
        assert_eq!(
            values(&r, "CreatedAt"),
            Scalar::date("2025-03-01T00:00:00Z")
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(
            values(&r, "LastModifiedAt"),
            Scalar::date("2025-03-05T00:00:00Z")
                .into_iter()
                .collect::<Vec<_>>()
        );
        // Without contexts, the context keys hold nothing.
        let bare = engagement("eng-bare", "Bare", "2025-01-01T00:00:00.000Z");
        for f in fields() {
            let n = (f.values)(&bare).len();
            let want = usize::from(matches!(
                f.name,
                "EngagementId"
                    | "Title"
                    | "PartnerId"
                    | "CreatedAt"
                    | "LastModifiedAt"
                    | "MemberCount"
            ));
            assert_eq!(n, want, "{}", f.name);
        }
    }

    #[test]
    fn keyword_looks_at_titles_customers_and_members() {
        let r = rich();
        let hay = keyword_haystacks(&r);
        for word in [
            "Lead for Globex",
            "Cloud migration opportunity",
            "Globex",
            "Umbrella",
            "Initech",
            "AWS",
            "Partner Hooli",
        ] {
            assert!(hay.contains(&word), "{word} in {hay:?}");
        }
        for (keyword, n) in [
            ("globex", 1),
            ("UMBRELLA", 1),
            ("initech", 1),
            ("hooli", 1),
            ("migration", 1),
            ("Ada", 0),
            ("Retail", 0),
        ] {
            let found = search(vec![rich()], &json!({"Keyword": keyword}))
                .ok()
                .unwrap_or_default();
            assert_eq!(found.len(), n, "{keyword}");
        }
    }

    fn three() -> Vec<EngagementRecord> {
        let a = engagement("eng-a", "Alpha", "2025-01-01T00:00:00.000Z");
        let mut b = rich();
        b.id = "eng-b".to_string();
        let mut c = engagement("eng-c", "Gamma", "2025-02-01T00:00:00.000Z");
        c.members
            .push(member("333333333333", "Partner 333333333333"));
        c.contexts = vec![json!({"Id": "1", "Type": "Lead", "Payload": {"Lead": {
            "QualificationStatus": "Unqualified", "Customer": {"CompanyName": "Acme"},
            "Interactions": [{"SourceType": "Webinar", "Contact": {"FirstName": "Grace"}}]}}})];
        vec![c, a, b]
    }

    #[test]
    fn search_defaults_to_newest_first() {
        let found = search(three(), &json!({"Catalog": "Sandbox"}))
            .ok()
            .unwrap_or_default();
        assert_eq!(ids(&found), ["eng-b", "eng-c", "eng-a"]);
    }

    #[test]
    fn search_applies_filter_keyword_and_sort_together() {
        let input = json!({
            "Filter": {"AndAllFilters": [
                {"EqualsTo": {"Key": "ContextType", "Value": {"StringValue": "lead"}}},
                {"ContainsAny": {"Key": "LeadInteractionsSourceType", "Value": {"StringListValue": ["webinar"]}}}
            ]},
            "Sort": {"SortBy": "Title", "SortOrder": "ASCENDING"}});
        let found = search(three(), &input).ok().unwrap_or_default();
        assert_eq!(ids(&found), ["eng-c", "eng-b"]);
        let mut with_keyword = input.clone();
        with_keyword["Keyword"] = json!("acme");
        let found = search(three(), &with_keyword).ok().unwrap_or_default();
        assert_eq!(ids(&found), ["eng-c"]);
        let partners = json!({"Filter": {"ContainsAll": {"Key": "PartnerId",
            "Value": {"StringListValue": ["111111111111", "333333333333"]}}}});
        assert_eq!(
            ids(&search(three(), &partners).ok().unwrap_or_default()),
            ["eng-c"]
        );
        let members = json!({"Filter": {"GreaterThanOrEquals": {"Key": "MemberCount", "Value": {"LongValue": 2}}},
                             "Sort": {"SortBy": "MemberCount", "SortOrder": "ASCENDING"}});
        assert_eq!(
            ids(&search(three(), &members).ok().unwrap_or_default()),
            ["eng-b", "eng-c"]
        );
        let recent = json!({"Filter": {"GreaterThan": {"Key": "CreatedAt", "Value": {"DateValue": "2025-01-15T00:00:00Z"}}},
                            "Sort": {"SortBy": "CreatedAt", "SortOrder": "ASCENDING"}});
        assert_eq!(
            ids(&search(three(), &recent).ok().unwrap_or_default()),
            ["eng-c", "eng-b"]
        );
        let not_lead = json!({"Filter": {"NotFilter": {"EqualsTo": {"Key": "ContextType", "Value": {"StringValue": "Lead"}}}}});
        assert_eq!(
            ids(&search(three(), &not_lead).ok().unwrap_or_default()),
            ["eng-a"]
        );
    }

    #[test]
    fn sorting_by_a_context_key_puts_engagements_without_it_last() {
        for order in ["ASCENDING", "DESCENDING"] {
            let input = json!({"Sort": {"SortBy": "LeadQualificationStatus", "SortOrder": order}});
            let found = search(three(), &input).ok().unwrap_or_default();
            let want = if order == "ASCENDING" {
                ["eng-b", "eng-c", "eng-a"]
            } else {
                ["eng-c", "eng-b", "eng-a"]
            };
            assert_eq!(ids(&found), want, "{order}");
        }
    }

    #[test]
    fn search_refuses_bad_requests_before_filtering() {
        let (path, code) = invalid_field(search(
            Vec::new(),
            &json!({"Sort": {"SortBy": "ContextType", "SortOrder": "ASCENDING"}}),
        ));
        assert_eq!(
            (path.as_str(), code),
            ("Sort.SortBy", Code::InvalidEnumValue)
        );
        let (path, code) = invalid_field(search(
            Vec::new(),
            &json!({"Filter": {"OrAllFilters": [
            {"GreaterThan": {"Key": "Title", "Value": {"StringValue": "a"}}}]}}),
        ));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.OrAllFilters[0].GreaterThan", Code::InvalidValue)
        );
        let (path, _) = invalid_field(search(
            Vec::new(),
            &json!({"Filter": {"EqualsTo": {"Key": "MemberCount",
            "Value": {"StringValue": "2"}}}}),
        ));
        assert_eq!(path, "Filter.EqualsTo.Value.StringValue");
        let (path, _) = invalid_field(search(Vec::new(), &json!({"Keyword": 7})));
        assert_eq!(path, "Keyword");
    }

    #[test]
    fn check_filter_validates_stored_predicates() {
        assert!(check_filter(&json!({"EqualsTo": {"Key": "LeadReadinessScore", "Value": {"StringValue": "High"}}})).is_ok());
        assert!(
            check_filter(
                &json!({"EqualsTo": {"Key": "Readiness", "Value": {"StringValue": "High"}}})
            )
            .is_err()
        );
        let tree = parse_filter(
            &json!({"EqualsTo": {"Key": "LeadReadinessScore", "Value": {"StringValue": "high"}}}),
        );
        assert!(tree.is_ok_and(|t| t.matches(&rich(), fields())));
    }
}
