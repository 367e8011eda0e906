//! Customer accounts from Rust against the real binary: CreateCustomerAccount,
//! GetCustomerAccount, UpdateCustomerAccount, DeleteCustomerAccount, SearchCustomerAccounts,
//! GetCustomerAccountStatistics and the control plane's forced matching, with exact values
//! (README "Customer accounts", src/ops/customers/).
//!
//! aws-sdk-partnercentralselling 1.84.0, the newest release on crates.io, has none of the six
//! customer-account operations (they came with botocore 1.44.8's model, which the server
//! bundles). Until a release has them, their requests are written here in the SDK's wire form:
//! awsJson 1.0 POSTs signed by `aws-sigv4` (the SDK's signer), `LastModifiedDate` read and
//! written back through the SDK's own `DateTime`, errors told apart by their `__type` as the SDK
//! dispatches them. The tagging operations, which the SDK has, go through its typed client and
//! typed errors. When the SDK ships the operations, swap [`Api`] for its builders.

mod common;

use std::time::Duration;

use aws_sdk_partnercentralselling as pc;
use pc::primitives::{DateTime, DateTimeFormat};
use pc::types::Tag;
use serde_json::{Value, json};

use common::signed::Api;
use common::{Binary, admin, client, is_id};

const CATALOG: &str = "Sandbox";
const A: &str = "111111111111";
const B: &str = "222222222222";
/// A well-formed id no account has.
const UNKNOWN: &str = "cust-acc-0000000000000";

// ------------------------------------------------------------ the signed JSON client's helpers

impl Api {
    async fn create(&self, input: Value) -> Value {
        self.ok("CreateCustomerAccount", input).await
    }

    async fn get(&self, identifier: &str) -> Value {
        self.ok("GetCustomerAccount", json!({"Identifier": identifier}))
            .await
    }

    async fn search(&self, input: Value) -> Value {
        self.ok("SearchCustomerAccounts", input).await
    }

    async fn statistics(&self, input: Value) -> Value {
        self.ok("GetCustomerAccountStatistics", input).await
    }
}

// ------------------------------------------------------------------------------ fixtures

fn arn(account: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:us-east-1:{account}:catalog/{CATALOG}/customer-account/{id}")
}

fn acme() -> Value {
    json!({"CompanyName": "Acme Corp", "Domain": "acme.example.com",
           "WebsiteUrl": "https://acme.example.com", "Industry": "Software",
           "Address": {"CountryCode": "US", "City": "Seattle"}})
}

/// What AWS's matching derives from `acme()` (matching.rs: geo and region by country, segment
/// by the name's length, scores by the sum of its bytes: "Acme Corp" is 9 long, sums to 810).
fn acme_enrichment() -> Value {
    json!({
        "Customer": {"AccountName": "Acme Corp", "Industry": "Software", "Country": "US",
                     "Geo": "AMER", "Region": "NAMER", "Segment": "SMB",
                     "CustomerAccountPlanningQualification": "Qualified",
                     "EligiblePrograms": ["MAP"]},
        "Insights": {"MarketplaceEngagementScore": "Low", "SolutionScore": "Low",
                     "SolutionCategory": "Analytics"}
    })
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn s<'v>(doc: &'v Value, key: &str) -> &'v str {
    doc[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {doc}"))
}

/// A timestamp of an answer read by the SDK's `DateTime` (as its deserializer does).
fn date(doc: &Value, key: &str) -> DateTime {
    DateTime::from_str(s(doc, key), DateTimeFormat::DateTime)
        .unwrap_or_else(|e| panic!("{key} {doc}: {e}"))
}

/// Which of `doc`'s members are present.
fn has(doc: &Value, keys: &[&str]) -> Vec<bool> {
    keys.iter().map(|k| doc.get(*k).is_some()).collect()
}

fn matching_path(account: &str, id: &str) -> String {
    format!("/accounts/{account}/catalogs/{CATALOG}/customer-accounts/{id}/matching")
}

fn equals(key: &str, value: &str) -> Value {
    json!({"EqualsTo": {"Key": key, "Value": {"StringValue": value}}})
}

fn contains_any(key: &str, values: &[&str]) -> Value {
    json!({"ContainsAny": {"Key": key, "Value": {"StringListValue": values}}})
}

fn by_name() -> Value {
    json!({"SortBy": "COMPANY_NAME", "SortOrder": "ASCENDING"})
}

/// The ids of a search page.
fn ids(page: &Value) -> Vec<String> {
    page["CustomerAccountSummaries"]
        .as_array()
        .expect("summaries")
        .iter()
        .map(|x| s(x, "Id").to_string())
        .collect()
}

/// Seven accounts of `api`, oldest first: Acme (US, domain), Globex (DE, website), Initech
/// (JP, DUNS), Hooli (US, domain), Nameless (US, name only: NO_MATCH_FOUND), Acme again (the
/// domain in other case: ACTION_REQUIRED), Umbrella (BR, website).
async fn seed(api: &Api) -> Seeded {
    let mut made = Vec::new();
    for (name, country, extra) in [
        ("Acme", "US", json!({"Domain": "acme.example.com"})),
        (
            "Globex",
            "DE",
            json!({"WebsiteUrl": "https://globex.example.com"}),
        ),
        ("Initech", "JP", json!({"Duns": "123456789"})),
        ("Hooli", "US", json!({"Domain": "hooli.example.com"})),
        ("Nameless", "US", json!({})),
        ("Acme", "US", json!({"Domain": "ACME.Example.com"})),
        (
            "Umbrella",
            "BR",
            json!({"WebsiteUrl": "https://umbrella.example.com"}),
        ),
    ] {
        let mut account = json!({"CompanyName": name, "Address": {"CountryCode": country}});
        for (k, v) in extra.as_object().unwrap() {
            account[k] = v.clone();
        }
        let out = api.create(json!({"Account": account})).await;
        made.push(s(&out, "Id").to_string());
        // Distinct creation instants: "older" decides which Acme is the duplicate.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    Seeded {
        acme: made[0].clone(),
        globex: made[1].clone(),
        initech: made[2].clone(),
        hooli: made[3].clone(),
        nameless: made[4].clone(),
        acme_again: made[5].clone(),
        umbrella: made[6].clone(),
    }
}

struct Seeded {
    acme: String,
    globex: String,
    initech: String,
    hooli: String,
    nameless: String,
    acme_again: String,
    umbrella: String,
}

// --------------------------------------------------------------------------------- tests

#[tokio::test]
async fn create_replays_its_token_and_reads_back_enriched_with_tags() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let sdk = client(&server.url, A, "secret");
    let input = json!({"Account": acme(), "PartnerAccountIdentifier": "crm-42",
                       "Tags": [{"Key": "crm", "Value": "sf"}], "ClientToken": "token-1"});
    let made = api.create(input.clone()).await;
    let id = s(&made, "Id").to_string();
    assert!(is_id(&id, "cust-acc-", 13), "{made}");
    // The model's CreateCustomerAccountResponse has no LastModifiedDate.
    assert_eq!(
        made,
        json!({"Arn": arn(A, &id), "Id": id, "Catalog": CATALOG,
               "CreatedDate": made["CreatedDate"], "PartnerAccountIdentifier": "crm-42",
               "Status": "PENDING"})
    );
    // The token replays the first answer; another body with it conflicts.
    assert_eq!(api.create(input.clone()).await, made);
    let mut other = input.clone();
    other["Account"]["CompanyName"] = json!("Other Corp");
    api.fails("CreateCustomerAccount", other, "ConflictException")
        .await;
    assert_eq!(api.statistics(json!({})).await, json!({"TotalCount": 1}));

    let by_id = api.get(&id).await;
    assert_eq!(api.get(&arn(A, &id)).await, by_id);
    assert_eq!(
        by_id,
        json!({"Arn": arn(A, &id), "Id": id, "Catalog": CATALOG,
               "CreatedDate": made["CreatedDate"], "LastModifiedDate": made["CreatedDate"],
               "PartnerAccountIdentifier": "crm-42", "Account": acme(),
               "EnrichmentStatus": "ENRICHED", "AwsEnrichment": acme_enrichment(),
               "Tags": [{"Key": "crm", "Value": "sf"}]})
    );
    // The SDK reads the dates.
    assert_eq!(date(&by_id, "CreatedDate"), date(&made, "CreatedDate"));

    // Tags through the SDK's typed tagging operations.
    let listed = sdk
        .list_tags_for_resource()
        .resource_arn(arn(A, &id))
        .send()
        .await
        .expect("the owner lists its account's tags");
    assert_eq!(pairs(listed.tags()), [("crm".into(), "sf".into())]);
    sdk.tag_resource()
        .resource_arn(arn(A, &id))
        .tags(tag("team", "emea"))
        .send()
        .await
        .expect("the account is taggable");
    assert_eq!(
        api.get(&id).await["Tags"],
        json!([{"Key": "crm", "Value": "sf"}, {"Key": "team", "Value": "emea"}])
    );
}

#[tokio::test]
async fn matching_finds_duplicates_and_no_match_and_the_control_plane_forces_an_outcome() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let first = s(&api.create(json!({"Account": acme()})).await, "Id").to_string();
    tokio::time::sleep(Duration::from_millis(3)).await;
    let dup_data = json!({"CompanyName": "Acme Inc", "Domain": "ACME.Example.COM"});
    let dup = s(&api.create(json!({"Account": dup_data})).await, "Id").to_string();
    let lone_data = json!({"CompanyName": "Nameless Ltd"});
    let lone = s(&api.create(json!({"Account": lone_data})).await, "Id").to_string();

    let got = api.get(&dup).await;
    assert_eq!(
        got,
        json!({"Arn": arn(A, &dup), "Id": dup, "Catalog": CATALOG,
               "CreatedDate": got["CreatedDate"], "LastModifiedDate": got["CreatedDate"],
               "Account": dup_data, "EnrichmentStatus": "ACTION_REQUIRED",
               "ReasonCode": "DUPLICATE_CUSTOMER_MATCH",
               "Message": format!("Customer account {dup} matches the customer of your account {first}."),
               "ExistingCustomerAccountArn": arn(A, &first), "Tags": []})
    );
    let got = api.get(&lone).await;
    assert_eq!(got["EnrichmentStatus"], "NO_MATCH_FOUND");
    assert_eq!(
        has(
            &got,
            &[
                "AwsEnrichment",
                "ReasonCode",
                "Message",
                "ExistingCustomerAccountArn"
            ]
        ),
        [false; 4],
        "{got}"
    );
    assert_eq!(got["Account"], lone_data);
    // The older one is the original: still ENRICHED.
    let got = api.get(&first).await;
    assert_eq!(
        (&got["EnrichmentStatus"], &got["AwsEnrichment"]),
        (&json!("ENRICHED"), &acme_enrichment())
    );

    // AWS's matching, forced through the control plane, then computed again.
    let forced = json!({"Customer": {"AccountName": "NAMELESS LIMITED", "Country": "GB",
                                     "Geo": "EMEA", "Segment": "Strategic"},
                        "Insights": {"MarketplaceEngagementScore": "High"}});
    let body = json!({"Status": "ENRICHED", "AwsEnrichment": forced});
    let (status, answer) = admin(
        &server.url,
        "PUT",
        &matching_path(A, &lone),
        &body.to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap(),
        json!({"Id": lone, "Forced": body})
    );
    let got = api.get(&lone).await;
    assert_eq!(
        (&got["EnrichmentStatus"], &got["AwsEnrichment"]),
        (&json!("ENRICHED"), &forced)
    );
    let enriched = api
        .search(json!({"Filter": equals("ENRICHMENT_STATUS", "ENRICHED"), "Sort": by_name()}))
        .await;
    assert_eq!(ids(&enriched), [first.clone(), lone.clone()]);
    let (status, answer) = admin(&server.url, "DELETE", &matching_path(A, &lone), "");
    assert_eq!(status, 200, "{answer}");
    let got = api.get(&lone).await;
    assert_eq!(got["EnrichmentStatus"], "NO_MATCH_FOUND", "{got}");
    assert!(got.get("AwsEnrichment").is_none(), "{got}");
    // Another account's id is not found there.
    let (status, answer) = admin(
        &server.url,
        "PUT",
        &matching_path(B, &lone),
        r#"{"Status":"ENRICHED"}"#,
    );
    assert_eq!(status, 404, "{answer}");
}

#[tokio::test]
async fn matching_is_pending_for_the_task_delay() {
    let server = Binary::start(&["--in-memory", "--task-delay-ms", "1500"]);
    let api = Api::new(&server.url, A);
    let id = s(&api.create(json!({"Account": acme()})).await, "Id").to_string();
    let got = api.get(&id).await;
    assert_eq!(got["EnrichmentStatus"], "PENDING", "{got}");
    assert!(got.get("AwsEnrichment").is_none(), "{got}");
    let stats = api
        .statistics(json!({"Aggregations": [{"GroupBy": ["ENRICHMENT_STATUS"]}]}))
        .await;
    assert_eq!(
        stats["Aggregations"][0]["Buckets"],
        json!([{"Values": ["PENDING"], "Count": 1}])
    );
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let got = api.get(&id).await;
    assert_eq!(
        (&got["EnrichmentStatus"], &got["AwsEnrichment"]),
        (&json!("ENRICHED"), &acme_enrichment())
    );
}

#[tokio::test]
async fn update_needs_the_last_modified_date_the_sdk_read() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let made = api
        .create(json!({"Account": acme(), "PartnerAccountIdentifier": "crm-42"}))
        .await;
    let id = s(&made, "Id").to_string();
    let before = api.get(&id).await;
    // The SDK's round trip: parsed as its DateTime, written back in its own form.
    let read = date(&before, "LastModifiedDate");
    let sent = read.fmt(DateTimeFormat::DateTime).unwrap();
    let changed = json!({"CompanyName": "Acme Corporation", "Domain": "acme.example.com",
                         "Address": {"CountryCode": "DE"}});
    let done = api
        .ok(
            "UpdateCustomerAccount",
            json!({"Identifier": id, "LastModifiedDate": sent, "Account": changed,
                   "PartnerAccountIdentifier": "crm-7"}),
        )
        .await;
    assert_eq!(
        done,
        json!({"Arn": arn(A, &id), "Id": id, "Catalog": CATALOG,
               "CreatedDate": made["CreatedDate"], "LastModifiedDate": done["LastModifiedDate"],
               "PartnerAccountIdentifier": "crm-7", "Status": "PENDING"})
    );
    assert!(
        date(&done, "LastModifiedDate") > read,
        "{done} after {before}"
    );

    let got = api.get(&id).await;
    assert_eq!(got["Account"], changed);
    assert_eq!(got["PartnerAccountIdentifier"], "crm-7");
    assert_eq!(got["LastModifiedDate"], done["LastModifiedDate"]);
    assert_eq!(got["EnrichmentStatus"], "ENRICHED");
    assert_eq!(
        got["AwsEnrichment"]["Customer"],
        json!({"AccountName": "Acme Corporation", "Country": "DE", "Geo": "EMEA",
               "Region": "Central Europe", "Segment": "Mid-Market",
               "CustomerAccountPlanningQualification": "Qualified",
               "EligiblePrograms": ["MAP"]})
    );

    // The date read before the update is stale now.
    let stale = api
        .fails(
            "UpdateCustomerAccount",
            json!({"Identifier": id, "LastModifiedDate": sent, "Account": acme()}),
            "ConflictException",
        )
        .await;
    assert!(
        s(&stale.body, "Message").contains("stale"),
        "{:?}",
        stale.body
    );
    assert_eq!(api.get(&id).await["Account"], changed);
    // By ARN with the current date it goes through.
    let current = date(&got, "LastModifiedDate")
        .fmt(DateTimeFormat::DateTime)
        .unwrap();
    let again = api
        .ok(
            "UpdateCustomerAccount",
            json!({"Identifier": arn(A, &id), "LastModifiedDate": current, "Account": acme()}),
        )
        .await;
    assert_eq!(again["Status"], "PENDING");
    assert_eq!(again["PartnerAccountIdentifier"], "crm-7");
    assert_eq!(api.get(&id).await["Account"], acme());

    api.fails(
        "UpdateCustomerAccount",
        json!({"Identifier": UNKNOWN, "LastModifiedDate": current, "Account": acme()}),
        "ResourceNotFoundException",
    )
    .await;
}

#[tokio::test]
async fn delete_is_idempotent_and_takes_the_tags() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let sdk = client(&server.url, A, "secret");
    let made = api
        .create(json!({"Account": acme(), "Tags": [{"Key": "x", "Value": "1"}]}))
        .await;
    let id = s(&made, "Id").to_string();
    for identifier in [id.as_str(), id.as_str(), UNKNOWN] {
        let out = api
            .ok("DeleteCustomerAccount", json!({"Identifier": identifier}))
            .await;
        assert_eq!(out, json!({}), "{identifier}");
    }
    api.ok("DeleteCustomerAccount", json!({"Identifier": arn(A, &id)}))
        .await;
    api.fails(
        "GetCustomerAccount",
        json!({"Identifier": id}),
        "ResourceNotFoundException",
    )
    .await;
    let err = sdk
        .list_tags_for_resource()
        .resource_arn(arn(A, &id))
        .send()
        .await
        .expect_err("the tags went with the account")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(api.statistics(json!({})).await, json!({"TotalCount": 0}));
}

#[tokio::test]
async fn search_filters_sorts_and_pages() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let k = seed(&api).await;

    // Newest first by default.
    let every = api.search(json!({})).await;
    assert_eq!(
        ids(&every),
        [
            k.umbrella.as_str(),
            k.acme_again.as_str(),
            k.nameless.as_str(),
            k.hooli.as_str(),
            k.initech.as_str(),
            k.globex.as_str(),
            k.acme.as_str()
        ]
    );
    assert!(every.get("NextToken").is_none(), "{every}");

    let and = json!({"AndAllFilters": [equals("ENRICHMENT_STATUS", "ENRICHED"),
                                       contains_any("COMPANY_NAME", &["AC", "hoo", "rell"])]});
    let page = api.search(json!({"Filter": and, "Sort": by_name()})).await;
    assert_eq!(
        ids(&page),
        [k.acme.as_str(), k.hooli.as_str(), k.umbrella.as_str()]
    );
    // An ENRICHED summary carries the summary's part of the enrichment ("Acme": 4 long, sums
    // to 374).
    let acme = &page["CustomerAccountSummaries"][0];
    assert_eq!(
        acme,
        &json!({"Arn": arn(A, k.acme.as_str()), "Id": k.acme, "Catalog": CATALOG,
                "CreatedDate": acme["CreatedDate"], "LastModifiedDate": acme["CreatedDate"],
                "EnrichmentStatus": "ENRICHED", "CustomerAccount": {"CompanyName": "Acme"},
                "AwsEnrichment": {
                    "Customer": {"AccountPlanningQualification": "Qualified",
                                 "EligiblePrograms": ["MAP"], "Geo": "AMER", "Country": "US",
                                 "Segment": "Mid-Market"},
                    "Insights": {"MarketplaceEngagementScore": "High",
                                 "SolutionCategory": "Analytics", "SolutionScore": "High"}}})
    );

    let not = json!({"AndAllFilters": [equals("ENRICHMENT_STATUS", "ENRICHED"),
                                       {"NotFilter": contains_any("COMPANY_NAME", &["acme", "HOOLI"])}]});
    let page = api.search(json!({"Filter": not, "Sort": by_name()})).await;
    assert_eq!(
        ids(&page),
        [k.globex.as_str(), k.initech.as_str(), k.umbrella.as_str()]
    );
    // Not ENRICHED: the duplicate and the unmatched, newest first, without enrichment.
    let page = api
        .search(json!({"Filter": {"NotFilter": equals("ENRICHMENT_STATUS", "ENRICHED")}}))
        .await;
    assert_eq!(ids(&page), [k.acme_again.as_str(), k.nameless.as_str()]);
    let statuses: Vec<(&Value, bool)> = page["CustomerAccountSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (&x["EnrichmentStatus"], x.get("AwsEnrichment").is_some()))
        .collect();
    assert_eq!(
        statuses,
        [
            (&json!("ACTION_REQUIRED"), false),
            (&json!("NO_MATCH_FOUND"), false)
        ]
    );
    // Descending by name, ties by id.
    let page = api
        .search(
            json!({"Sort": {"SortBy": "COMPANY_NAME", "SortOrder": "DESCENDING"},
                       "Filter": contains_any("COMPANY_NAME", &["acme"])}),
        )
        .await;
    let mut acmes = vec![k.acme.clone(), k.acme_again.clone()];
    acmes.sort();
    assert_eq!(ids(&page), acmes);

    // Pages of two over the ENRICHED accounts by name.
    let enriched = equals("ENRICHMENT_STATUS", "ENRICHED");
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut input = json!({"Filter": enriched, "Sort": by_name(), "MaxResults": 2});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = api.search(input).await;
        pages += 1;
        assert!(ids(&page).len() <= 2, "{page}");
        seen.extend(ids(&page));
        match page.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            k.acme.as_str(),
            k.globex.as_str(),
            k.hooli.as_str(),
            k.initech.as_str(),
            k.umbrella.as_str()
        ]
    );

    // Range operators take no text field.
    let fault = api
        .fails(
            "SearchCustomerAccounts",
            json!({"Filter": {"GreaterThan": {"Key": "COMPANY_NAME",
                                              "Value": {"StringValue": "A"}}}}),
            "ValidationException",
        )
        .await;
    assert_eq!(
        fault.body["ErrorList"][0]["FieldName"], "Filter.GreaterThan",
        "{:?}",
        fault.body
    );
}

#[tokio::test]
async fn statistics_count_per_value_most_first_then_by_value() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    seed(&api).await;

    let aggregations = json!([{"GroupBy": ["ENRICHMENT_STATUS"]}, {"GroupBy": ["COUNTRY"]}]);
    let stats = api.statistics(json!({"Aggregations": aggregations})).await;
    assert_eq!(
        stats,
        json!({"TotalCount": 7, "Aggregations": [
            {"GroupBy": ["ENRICHMENT_STATUS"], "OtherCount": 0, "Buckets": [
                {"Values": ["ENRICHED"], "Count": 5},
                {"Values": ["ACTION_REQUIRED"], "Count": 1},
                {"Values": ["NO_MATCH_FOUND"], "Count": 1}]},
            {"GroupBy": ["COUNTRY"], "OtherCount": 0, "Buckets": [
                {"Values": ["US"], "Count": 2},
                {"Values": ["BR"], "Count": 1},
                {"Values": ["DE"], "Count": 1},
                {"Values": ["JP"], "Count": 1}]}]})
    );
    // The duplicate and the unmatched have no enrichment, so no country: MISSING.
    let stats = api
        .statistics(json!({"Aggregations": aggregations, "IncludeMissing": true}))
        .await;
    assert_eq!(
        stats["Aggregations"][1]["Buckets"],
        json!([{"Values": ["MISSING"], "Count": 2}, {"Values": ["US"], "Count": 2},
               {"Values": ["BR"], "Count": 1}, {"Values": ["DE"], "Count": 1},
               {"Values": ["JP"], "Count": 1}])
    );
    assert_eq!(stats["Aggregations"][0]["Buckets"][0]["Count"], 5);
    assert_eq!(
        stats["Aggregations"][0]["Buckets"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A filter narrows the count; no aggregation asked, none answered.
    let stats = api
        .statistics(json!({"Filter": equals("GEO", "AMER")}))
        .await;
    assert_eq!(stats, json!({"TotalCount": 3}));
    let stats = api
        .statistics(
            json!({"Filter": equals("GEO", "AMER"), "IncludeMissing": true,
                           "Aggregations": [{"GroupBy": ["REGION"]}]}),
        )
        .await;
    assert_eq!(
        stats["Aggregations"][0]["Buckets"],
        json!([{"Values": ["NAMER"], "Count": 2}, {"Values": ["LATAM"], "Count": 1}])
    );
}

#[tokio::test]
async fn another_account_sees_none_of_them() {
    let server = Binary::start(&["--in-memory"]);
    let a = Api::new(&server.url, A);
    let b = Api::new(&server.url, B);
    let b_sdk = client(&server.url, B, "secret");
    let id = s(
        &a.create(json!({"Account": acme(), "Tags": [{"Key": "crm", "Value": "sf"}]}))
            .await,
        "Id",
    )
    .to_string();

    assert_eq!(
        b.search(json!({})).await,
        json!({"CustomerAccountSummaries": []})
    );
    assert_eq!(
        b.statistics(json!({"Aggregations": [{"GroupBy": ["ENRICHMENT_STATUS"]}]}))
            .await,
        json!({"TotalCount": 0, "Aggregations": [
            {"GroupBy": ["ENRICHMENT_STATUS"], "Buckets": [], "OtherCount": 0}]})
    );
    for identifier in [id.clone(), arn(A, &id)] {
        b.fails(
            "GetCustomerAccount",
            json!({"Identifier": identifier}),
            "ResourceNotFoundException",
        )
        .await;
    }
    let lmd = s(&a.get(&id).await, "LastModifiedDate").to_string();
    b.fails(
        "UpdateCustomerAccount",
        json!({"Identifier": id, "LastModifiedDate": lmd, "Account": {"CompanyName": "Mine"}}),
        "ResourceNotFoundException",
    )
    .await;
    // B's delete finds nothing of its own to delete.
    b.ok("DeleteCustomerAccount", json!({"Identifier": id}))
        .await;
    let still = a.get(&id).await;
    assert_eq!(
        (&still["Account"], &still["EnrichmentStatus"]),
        (&acme(), &json!("ENRICHED"))
    );

    let err = b_sdk
        .list_tags_for_resource()
        .resource_arn(arn(A, &id))
        .send()
        .await
        .expect_err("another account's tags are not B's to read")
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    let err = b_sdk
        .tag_resource()
        .resource_arn(arn(A, &id))
        .tags(tag("mine", "yes"))
        .send()
        .await
        .expect_err("another account's resource is not B's to tag")
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    assert_eq!(
        a.get(&id).await["Tags"],
        json!([{"Key": "crm", "Value": "sf"}])
    );
}
