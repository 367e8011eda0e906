//! Bulk jobs from Rust against the real binary: a file uploaded to the control plane, the
//! Start operations, the runner's statuses and counts, per-record results, the records made
//! (read back with the SDK's typed GetOpportunity / ListOpportunities where it has them), the
//! report URL and its CSV, ClientToken replays and a failed header (README "Bulk jobs: files,
//! columns, progress", src/ops/bulk/).
//!
//! aws-sdk-partnercentralselling 1.84.0 has none of the nine bulk operations (they came with
//! botocore 1.44.8's model, which the server bundles), so their requests are written here in
//! the SDK's wire form: awsJson 1.0 POSTs signed by `aws-sigv4` (the SDK's signer), errors told
//! apart by their `__type` as the SDK dispatches them — the client of
//! tests/sdk_customer_accounts.rs, copied. When the SDK ships the operations, swap [`Api`] for
//! its builders.

mod common;

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use common::signed::{Api, Fault};
use common::{Binary, admin, client, is_id};

const CATALOG: &str = "Sandbox";
const A: &str = "111111111111";
const OPPORTUNITIES: &str = include_str!("../examples/bulk/opportunities.csv");
const CUSTOMER_ACCOUNTS: &str = include_str!("../examples/bulk/customer-accounts.csv");
const REPORT_HEADER: &str = "RequestId,Status,ResourceIdentifier,ErrorCode,ErrorMessage\n";
const INDUSTRY_ERROR: &str = "REQUEST_VALIDATION_FAILED: Customer.Account.Industry must be one \
     of the 28 values of Industry; got 'Not an industry'.";

// ------------------------------------------------------------ the signed JSON client's helpers

impl Api {
    async fn start_opportunities(&self, token: &str, uri: &str) -> Result<Value, Fault> {
        self.call(
            "StartOpportunityBulkJob",
            json!({"ClientToken": token, "FileURI": uri, "FileFormat": "CSV"}),
        )
        .await
    }

    /// The job's summary as ListOpportunityBulkJobs answers it.
    async fn opportunity_job(&self, job: &str) -> Value {
        let page = self
            .ok("ListOpportunityBulkJobs", json!({"JobId": job}))
            .await;
        let found = page["OpportunityBulkJobSummaries"]
            .as_array()
            .expect("summaries");
        assert_eq!(found.len(), 1, "{page}");
        found[0].clone()
    }

    /// Polls until the opportunity job is COMPLETED or FAILED.
    async fn finished_opportunity_job(&self, job: &str) -> Value {
        for _ in 0..600 {
            let summary = self.opportunity_job(job).await;
            if matches!(s(&summary, "Status"), "COMPLETED" | "FAILED") {
                return summary;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {job} did not finish in 30 s");
    }

    async fn finished_customer_account_job(&self, identifier: &str) -> Value {
        for _ in 0..600 {
            let job = self
                .ok(
                    "GetCustomerAccountBulkJob",
                    json!({"Identifier": identifier}),
                )
                .await;
            if matches!(s(&job, "Status"), "COMPLETED" | "FAILED") {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {identifier} did not finish in 30 s");
    }
}

// ------------------------------------------------------------------------------ fixtures

fn s<'v>(doc: &'v Value, key: &str) -> &'v str {
    doc[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {doc}"))
}

/// Stores `body` under `key` with the control plane; the `s3://` URI of another bucket that
/// names it.
fn upload(url: &str, key: &str, body: &str) -> String {
    let (status, answer) = admin(url, "PUT", &format!("/files/{key}"), body);
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(
        answer,
        json!({"key": key, "size": body.len(), "uri": format!("s3://partnercentral-local/{key}")})
    );
    format!("s3://any-bucket/{key}")
}

/// The summary without its three timestamps, which are checked apart.
fn untimed(summary: &Value) -> Value {
    let mut out = summary.clone();
    for key in ["CreatedAt", "StartedAt", "CompletedAt"] {
        out.as_object_mut().unwrap().remove(key);
    }
    out
}

// --------------------------------------------------------------------------------- tests

#[tokio::test]
async fn a_create_job_runs_from_an_upload_to_its_report() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let sdk = client(&server.url, A, "secret");
    let uri = upload(&server.url, "crm/opportunities.csv", OPPORTUNITIES);

    let started = api.start_opportunities("nightly-1", &uri).await.unwrap();
    let job = s(&started, "JobId").to_string();
    assert!(is_id(&job, "bulkjob-", 13), "{started}");
    assert_eq!(started, json!({"JobId": job}));

    let summary = api.finished_opportunity_job(&job).await;
    assert_eq!(
        untimed(&summary),
        json!({"JobId": job, "Status": "COMPLETED", "TotalRecords": 3, "ProcessedRecords": 3,
               "SuccessCount": 2, "FailureCount": 1, "FileName": "opportunities.csv",
               "OperationType": "BULK_CREATE"})
    );
    let (created, began, ended) = (
        s(&summary, "CreatedAt"),
        s(&summary, "StartedAt"),
        s(&summary, "CompletedAt"),
    );
    assert!(created <= began && began <= ended, "{summary}");

    // A fresh server numbers opportunities from O1000001, in file order.
    let results = api
        .ok("ListOpportunityBulkJobResults", json!({"JobId": job}))
        .await;
    assert_eq!(
        results,
        json!({"Results": [
            {"RequestId": "crm-0001", "Status": "SUCCEEDED", "ResourceIdentifier": "O1000001"},
            {"RequestId": "crm-0002", "Status": "SUCCEEDED", "ResourceIdentifier": "O1000002"},
            {"RequestId": "crm-0003", "Status": "FAILED", "ErrorCode": "ValidationException",
             "ErrorMessage": INDUSTRY_ERROR},
        ]})
    );
    let failed = api
        .ok(
            "ListOpportunityBulkJobResults",
            json!({"JobId": job, "Status": "FAILED", "MaxResults": 1}),
        )
        .await;
    assert_eq!(failed["Results"], json!([results["Results"][2]]));
    assert!(failed.get("NextToken").is_none(), "{failed}");

    // The records, through the SDK's typed operations.
    let listed = sdk
        .list_opportunities()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    let mut ids: Vec<&str> = listed
        .opportunity_summaries()
        .iter()
        .filter_map(|o| o.id())
        .collect();
    ids.sort();
    assert_eq!(ids, ["O1000001", "O1000002"]);
    let globex = sdk
        .get_opportunity()
        .catalog(CATALOG)
        .identifier("O1000002")
        .send()
        .await
        .unwrap();
    let account = globex.customer().and_then(|c| c.account()).unwrap();
    assert_eq!(account.company_name(), "Globex");
    assert_eq!(
        account.industry().map(|i| i.as_str()),
        Some("Manufacturing")
    );
    let address = account.address().unwrap();
    assert_eq!(
        (
            address.country_code().map(|c| c.as_str()),
            address.postal_code(),
            address.state_or_region()
        ),
        (Some("DE"), Some("10115"), None)
    );
    let project = globex.project().unwrap();
    assert_eq!(project.title(), Some("Plant analytics"));
    let models: Vec<&str> = project
        .delivery_models()
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert_eq!(models, ["Professional Services", "Managed Services"]);
    let life_cycle = globex.life_cycle().unwrap();
    assert_eq!(
        (
            life_cycle.next_steps(),
            life_cycle.target_close_date(),
            life_cycle.stage().map(|x| x.as_str())
        ),
        (
            Some("Workshop, then a pilot"),
            Some("2030-09-30"),
            Some("Qualified")
        )
    );
    assert_eq!(globex.partner_opportunity_identifier(), Some("006A000002"));

    // The report: generated on the first ask, then a signed URL valid for 15 minutes.
    let ask = json!({"JobId": job, "ReportFormat": "CSV"});
    assert_eq!(
        api.ok("GetOpportunityBulkJobReportUrl", ask.clone()).await,
        json!({"ReportStatus": "IN_PROGRESS", "ReportType": "FAILED_RECORDS", "ReportFormat": "CSV"})
    );
    let report = api.ok("GetOpportunityBulkJobReportUrl", ask.clone()).await;
    assert_eq!(s(&report, "ReportStatus"), "AVAILABLE");
    let url = s(&report, "Url");
    assert!(
        url.starts_with(&format!(
            "{}/_bulk-reports/{A}/{CATALOG}/{job}/FAILED_RECORDS.csv?Expires=",
            server.url
        )),
        "{url}"
    );
    let expires = epoch_seconds(s(&report, "ExpiresAt"));
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((expires - now - 900).abs() < 30, "{report}");
    assert_eq!(
        api.fetch(url).await,
        (
            200,
            format!("{REPORT_HEADER}crm-0003,FAILED,,ValidationException,{INDUSTRY_ERROR}\n")
        )
    );
    let flipped = if url.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &url[..url.len() - 1]);
    let (status, body) = api.fetch(&tampered).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
    api.fails(
        "GetOpportunityBulkJobReportUrl",
        json!({"JobId": job, "ReportFormat": "CSV", "ReportType": "ALL_RECORDS"}),
        "ValidationException",
    )
    .await;
}

/// Epoch seconds of an RFC 3339 `YYYY-MM-DDTHH:MM:SS(.sss)Z` (through the SDK's DateTime).
fn epoch_seconds(text: &str) -> i64 {
    use aws_sdk_partnercentralselling::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .secs()
}

#[tokio::test]
async fn a_customer_account_job_is_named_by_its_arn() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let uri = upload(&server.url, "crm/accounts.csv", CUSTOMER_ACCOUNTS);
    let started = api
        .ok(
            "StartCustomerAccountBulkJob",
            json!({"ClientToken": "accounts-1", "FileUri": uri}),
        )
        .await;
    let id = s(&started, "Id").to_string();
    let arn = format!(
        "arn:aws:partnercentral:us-east-1:{A}:catalog/{CATALOG}/customer-account-bulk-job/{id}"
    );
    assert!(is_id(&id, "bulkjob-", 13), "{started}");
    assert_eq!(
        (s(&started, "Arn"), s(&started, "Status")),
        (arn.as_str(), "SUBMITTED")
    );

    let mut job = api.finished_customer_account_job(&arn).await;
    let created_at = job.as_object_mut().unwrap().remove("CreatedAt").unwrap();
    assert_eq!(created_at, started["CreatedAt"]);
    assert!(job.as_object_mut().unwrap().remove("CompletedAt").is_some());
    assert_eq!(
        job,
        json!({"Arn": arn, "Id": id, "Status": "COMPLETED", "FileName": "accounts.csv",
               "TotalRecords": 2, "ProcessedRecords": 2, "SuccessCount": 2, "FailureCount": 0,
               "DeletedCount": 0})
    );

    let listed = api
        .ok(
            "ListCustomerAccountBulkJobs",
            json!({"Filter": {"Identifier": arn, "Status": "COMPLETED"}}),
        )
        .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["Id"], json!(id));
    let none = api
        .ok(
            "ListCustomerAccountBulkJobs",
            json!({"Filter": {"Status": "FAILED"}}),
        )
        .await;
    assert_eq!(none, json!({"items": []}));

    let results = api
        .ok(
            "ListCustomerAccountBulkJobResults",
            json!({"Identifier": arn}),
        )
        .await;
    let rows = results["Results"].as_array().expect("results");
    let requests: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (s(r, "RequestId"), s(r, "Status")))
        .collect();
    assert_eq!(requests, [("acct-1", "SUCCEEDED"), ("acct-2", "SUCCEEDED")]);
    let globex = api
        .ok(
            "GetCustomerAccount",
            json!({"Identifier": s(&rows[1], "ResourceIdentifier")}),
        )
        .await;
    assert_eq!(
        globex["Account"],
        json!({"CompanyName": "Globex", "Domain": "globex.example.com",
               "WebsiteUrl": "https://globex.example.com", "Industry": "Manufacturing",
               "Address": {"CountryCode": "DE", "City": "Berlin"}})
    );
    assert_eq!(globex["PartnerAccountIdentifier"], json!("001A000002"));

    // Every record, as CSV, at the URL of an ALL_RECORDS report.
    let ask = json!({"Identifier": id, "ReportType": "ALL_RECORDS"});
    let first = api
        .ok("GetCustomerAccountBulkJobReportUrl", ask.clone())
        .await;
    assert_eq!(
        first,
        json!({"ReportStatus": "IN_PROGRESS", "ReportType": "ALL_RECORDS"})
    );
    let report = api.ok("GetCustomerAccountBulkJobReportUrl", ask).await;
    let (status, body) = api.fetch(s(&report, "Url")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        format!(
            "{REPORT_HEADER}acct-1,SUCCEEDED,{},,\nacct-2,SUCCEEDED,{},,\n",
            s(&rows[0], "ResourceIdentifier"),
            s(&rows[1], "ResourceIdentifier")
        )
    );

    // Another account does not see it, by id or by ARN.
    let other = Api::new(&server.url, "222222222222");
    for identifier in [id.as_str(), arn.as_str()] {
        other
            .fails(
                "GetCustomerAccountBulkJob",
                json!({"Identifier": identifier}),
                "ResourceNotFoundException",
            )
            .await;
    }
}

#[tokio::test]
async fn a_reused_token_with_another_file_is_a_conflict() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let one = upload(&server.url, "one.csv", OPPORTUNITIES);
    let two = upload(&server.url, "two.csv", OPPORTUNITIES);
    let job = api.start_opportunities("token-1", &one).await.unwrap();
    assert_eq!(api.start_opportunities("token-1", &one).await.unwrap(), job);
    let finished = api.finished_opportunity_job(s(&job, "JobId")).await;
    assert_eq!(s(&finished, "Status"), "COMPLETED");
    assert_eq!(api.start_opportunities("token-1", &one).await.unwrap(), job);

    let fault = api.start_opportunities("token-1", &two).await.unwrap_err();
    assert_eq!(
        (fault.status, fault.kind.as_str()),
        (400, "ConflictException"),
        "{fault:?}"
    );
    assert!(fault.body["Message"].is_string(), "{fault:?}");
    let all = api.ok("ListOpportunityBulkJobs", json!({})).await;
    assert_eq!(
        all["OpportunityBulkJobSummaries"].as_array().map(Vec::len),
        Some(1)
    );

    let accounts = upload(&server.url, "accounts.csv", CUSTOMER_ACCOUNTS);
    let started = api
        .ok(
            "StartCustomerAccountBulkJob",
            json!({"ClientToken": "token-2", "FileUri": accounts}),
        )
        .await;
    let replay = api
        .ok(
            "StartCustomerAccountBulkJob",
            json!({"ClientToken": "token-2", "FileUri": accounts}),
        )
        .await;
    assert_eq!(replay, started);
    api.fails(
        "StartCustomerAccountBulkJob",
        json!({"ClientToken": "token-2", "FileUri": one}),
        "ConflictException",
    )
    .await;
    api.finished_customer_account_job(s(&started, "Id")).await;
    // Two jobs made one opportunity file's records once.
    let sdk = client(&server.url, A, "secret");
    let listed = sdk
        .list_opportunities()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.opportunity_summaries().len(), 2);
}

#[tokio::test]
async fn a_bad_header_fails_the_job_before_any_record() {
    let server = Binary::start(&["--in-memory"]);
    let api = Api::new(&server.url, A);
    let sdk = client(&server.url, A, "secret");
    let bad = OPPORTUNITIES
        .replacen("Project.Title", "Project.Colour", 1)
        .replacen("RequestId", "Catalog", 1);
    let uri = upload(&server.url, "bad.csv", &bad);
    let started = api.start_opportunities("bad-1", &uri).await.unwrap();
    let job = s(&started, "JobId");
    let summary = api.finished_opportunity_job(job).await;
    assert_eq!(
        untimed(&summary),
        json!({"JobId": job, "Status": "FAILED", "TotalRecords": 0, "ProcessedRecords": 0,
               "SuccessCount": 0, "FailureCount": 0,
               "FailureReason": "The header row is not valid: 'Catalog' is set by the job, not by \
                                 a column; 'Project.Colour' is not a member of the request. \
                                 Nothing was imported."})
    );
    assert!(summary.get("StartedAt").is_some() && summary.get("CompletedAt").is_some());
    assert_eq!(
        api.ok("ListOpportunityBulkJobResults", json!({"JobId": job}))
            .await,
        json!({"Results": []})
    );
    let listed = sdk
        .list_opportunities()
        .catalog(CATALOG)
        .send()
        .await
        .unwrap();
    assert!(listed.opportunity_summaries().is_empty());
    // Its report: the header and no row.
    let ask = json!({"JobId": job, "ReportFormat": "CSV"});
    api.ok("GetOpportunityBulkJobReportUrl", ask.clone()).await;
    let report = api.ok("GetOpportunityBulkJobReportUrl", ask).await;
    assert_eq!(
        api.fetch(s(&report, "Url")).await,
        (200, REPORT_HEADER.to_string())
    );
    // An http:// file is refused at Start, naming the member.
    let fault = api
        .fails(
            "StartOpportunityBulkJob",
            json!({"ClientToken": "bad-2", "FileURI": "http://127.0.0.1/x.csv", "FileFormat": "CSV"}),
            "ValidationException",
        )
        .await;
    assert!(fault.body.to_string().contains("FileURI"), "{fault:?}");
}
