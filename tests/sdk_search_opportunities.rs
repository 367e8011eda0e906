//! SearchOpportunities from Rust against the real binary: keyword, filter tree (DoubleValue
//! included), sort, paging, the feature switches' AccessDenied reasons and another account's
//! opportunities staying invisible, with exact ids (README "SearchOpportunities",
//! src/ops/opportunities/search.rs).
//!
//! aws-sdk-partnercentralselling 1.84.0, the newest release on crates.io, has no
//! SearchOpportunities (it came with botocore 1.44.8's model, which the server bundles). Until a
//! release has it, its requests are written here in the SDK's wire form, as
//! tests/sdk_customer_accounts.rs does: awsJson 1.0 POSTs signed by `aws-sigv4` (the SDK's
//! signer), errors told apart by their `__type` as the SDK dispatches them. The opportunities
//! and tags are made through the SDK's typed client.

mod common;

use aws_sdk_partnercentralselling as pc;
use pc::types::Tag;
use serde_json::{Value, json};

use common::signed::Api;
use common::{Binary, admin, client, customer, life_cycle, project};

const CATALOG: &str = "Sandbox";
const A: &str = "111111111111";
const B: &str = "222222222222";

// ------------------------------------------------------------------------------ fixtures

/// Creates an opportunity of `account` titled `title` for `company`; its id.
async fn create(sdk: &pc::Client, title: &str, company: &str, stage: pc::types::Stage) -> String {
    let mut c = customer();
    if let Some(acct) = c.account.as_mut() {
        acct.company_name = company.to_string();
    }
    let mut life = life_cycle();
    life.stage = Some(stage);
    sdk.create_opportunity()
        .catalog(CATALOG)
        .customer(c)
        .project(project(
            title,
            "The customer runs out of capacity every quarter end.",
        ))
        .life_cycle(life)
        .primary_needs_from_aws(pc::types::PrimaryNeedFromAws::CoSellTechnicalConsultation)
        .send()
        .await
        .expect("CreateOpportunity")
        .id
}

fn ids(page: &Value) -> Vec<String> {
    page["OpportunitySearchSummaries"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|x| x["Id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn eq(key: &str, value: &str) -> Value {
    json!({"EqualsTo": {"Key": key, "Value": {"StringValue": value}}})
}

#[tokio::test]
async fn keyword_filter_sort_and_pages_answer_exact_ids() {
    let server = Binary::start(&["--in-memory", "--business-rules", "off"]);
    let sdk = client(&server.url, A, "secret");
    let api = Api::new(&server.url, A);
    let o1 = create(
        &sdk,
        "Data platform migration",
        "Acme Corp",
        pc::types::Stage::Prospect,
    )
    .await;
    let o2 = create(
        &sdk,
        "Plant analytics",
        "Globex",
        pc::types::Stage::Qualified,
    )
    .await;
    let o3 = create(
        &sdk,
        "Acme lookalike",
        "Initech",
        pc::types::Stage::Prospect,
    )
    .await;
    sdk.tag_resource()
        .resource_arn(format!(
            "arn:aws:partnercentral:us-east-1:{A}:catalog/{CATALOG}/opportunity/{o2}"
        ))
        .tags(Tag::builder().key("Team").value("EMEA").build().unwrap())
        .send()
        .await
        .expect("TagResource");
    // The other account's look-alike is never found.
    create(
        &client(&server.url, B, "secret"),
        "Acme",
        "Acme Corp",
        pc::types::Stage::Prospect,
    )
    .await;

    let asc = json!({"SortBy": "OpportunityId", "SortOrder": "ASCENDING"});
    let got = api
        .ok(
            "SearchOpportunities",
            json!({"Keyword": "acme", "Sort": asc}),
        )
        .await;
    assert_eq!(ids(&got), [o1.clone(), o3.clone()]);
    let got = api
        .ok(
            "SearchOpportunities",
            json!({"Keyword": "ACME", "Filter": eq("Stage", "prospect"),
                   "Sort": {"SortBy": "PartnerProjectTitle", "SortOrder": "DESCENDING"}}),
        )
        .await;
    assert_eq!(ids(&got), [o1.clone(), o3.clone()]);
    let got = api
        .ok(
            "SearchOpportunities",
            json!({"Filter": {"OrAllFilters": [eq("Tags", "team:emea"),
                                               {"NotFilter": eq("Stage", "Prospect")}]}}),
        )
        .await;
    assert_eq!(ids(&got), std::slice::from_ref(&o2));
    // No AWS summary yet: EstimatedMrr holds for nobody; its negation for everyone.
    let mrr = json!({"GreaterThan": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 0.5}}});
    assert!(ids(&api.ok("SearchOpportunities", json!({"Filter": mrr})).await).is_empty());
    let got = api
        .ok(
            "SearchOpportunities",
            json!({"Filter": {"NotFilter": mrr}, "Sort": asc}),
        )
        .await;
    assert_eq!(ids(&got), [o1.clone(), o2.clone(), o3.clone()]);
    // The result item has the model's members only: no ARN, catalog or contacts.
    let item = &api
        .ok(
            "SearchOpportunities",
            json!({"Filter": eq("OpportunityId", &o2)}),
        )
        .await["OpportunitySearchSummaries"][0];
    assert_eq!(item["Customer"]["Account"]["CompanyName"], "Globex");
    assert_eq!(item["Tags"], json!([{"Key": "Team", "Value": "EMEA"}]));
    assert!(item.get("Arn").is_none() && item.get("AwsOpportunitySummary").is_none());
    assert!(item["Customer"].get("Contacts").is_none(), "{item}");

    // Pages of one, in the default order (newest modification first).
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"MaxResults": 1});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = api.ok("SearchOpportunities", input).await;
        seen.extend(ids(&page));
        token = page["NextToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, [o3, o2, o1]);
}

#[tokio::test]
async fn refused_trees_and_switched_off_features_answer_modeled_errors() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let f = api
        .fails(
            "SearchOpportunities",
            json!({"Filter": {"EqualsTo": {"Key": "EstimatedMrr", "Value": {"StringValue": "1"}}}}),
            "ValidationException",
        )
        .await;
    assert_eq!(
        f.body["ErrorList"][0]["FieldName"],
        "Filter.EqualsTo.Value.StringValue"
    );
    assert!(ids(&api.ok("SearchOpportunities", json!({})).await).is_empty());
    let (status, _) = admin(
        &server.url,
        "PUT",
        &format!("/accounts/{A}/features/SearchDataRouted"),
        r#"{"enabled": false}"#,
    );
    assert_eq!(status, 200);
    let f = api
        .fails("SearchOpportunities", json!({}), "AccessDeniedException")
        .await;
    assert_eq!(
        f.body["Reason"],
        "SEARCH_OPPORTUNITIES_DATA_NOT_ROUTED_TO_DDB"
    );
    admin(
        &server.url,
        "PUT",
        &format!("/accounts/{A}/features/SearchOpportunities"),
        r#"{"enabled": false}"#,
    );
    let f = api
        .fails("SearchOpportunities", json!({}), "AccessDeniedException")
        .await;
    assert_eq!(f.body["Reason"], "SEARCH_OPPORTUNITIES_NOT_ENABLED");
    // Another account is not affected.
    assert!(
        ids(&Api::new(&server.url, B)
            .ok("SearchOpportunities", json!({}))
            .await)
        .is_empty()
    );
    let (status, body) = admin(
        &server.url,
        "PUT",
        &format!("/accounts/{A}/features/Bogus"),
        r#"{"enabled": false}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Bogus"), "{body}");
}
