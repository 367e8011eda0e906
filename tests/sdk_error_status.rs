//! `serve --error-status aws|model` with aws-sdk-rust: the status each modeled error has on the
//! wire in each mode (400 as AWS sends it, or the Smithy model's), the `X-Amzn-Errortype`
//! header AWS sends, and that the SDK raises the same typed error, and retries a
//! ThrottlingException (standard mode, 3 attempts counted at the server) whatever its status.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};

use aws_sdk_partnercentralselling as pc;
use pc::error::ProvideErrorMetadata;
use pc::types::{AwsSubmission, SalesInvolvementType};

use common::{Binary, admin, client, retrying_client};

const CORAL_SUFFIX: &str =
    ":http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/";

/// The statuses one mode answers, by error.
struct Statuses {
    access_denied: u16,
    not_found: u16,
    conflict: u16,
    quota: u16,
    throttling: u16,
}

const AWS: Statuses = Statuses {
    access_denied: 400,
    not_found: 400,
    conflict: 400,
    quota: 400,
    throttling: 400,
};

const MODEL: Statuses = Statuses {
    access_denied: 403,
    not_found: 404,
    conflict: 409,
    quota: 402,
    throttling: 429,
};

/// One API request over a plain socket, signed (unverified) as `account`; returns the
/// status, the headers (lowercase names) and the body.
fn raw_call(
    url: &str,
    account: &str,
    operation: &str,
    body: &str,
) -> (u16, HashMap<String, String>, serde_json::Value) {
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("the server accepts connections");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: AWSPartnerCentralSelling.{operation}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/partnercentral-selling/aws4_request, SignedHeaders=host, Signature=00\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request is written");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the answer is read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    (status, headers, body)
}

fn fault(url: &str, operation: &str, error: &str, account: &str, count: u32) -> String {
    let rule = format!(
        r#"{{"operation": "{operation}", "error": "{error}", "accountId": "{account}", "count": {count}}}"#
    );
    let (status, body) = admin(url, "POST", "/faults", &rule);
    assert_eq!(status, 200, "{body}");
    let rule: serde_json::Value = serde_json::from_str(&body).expect("a JSON rule");
    rule["id"].as_str().expect("an id").to_string()
}

/// Uses left of fault rule `id` (0 once it is used up and gone).
fn uses_left(url: &str, id: &str) -> u64 {
    let (_, body) = admin(url, "GET", "/faults", "");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("a JSON list");
    doc["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .find(|r| r["id"] == id)
        .and_then(|r| r["count"].as_u64())
        .unwrap_or(0)
}

fn check_wire(
    (status, headers, body): (u16, HashMap<String, String>, serde_json::Value),
    error: &str,
    want: u16,
) {
    assert_eq!(status, want, "{error}: {body}");
    assert_eq!(
        body["__type"],
        format!("com.amazonaws.partnercentralselling#{error}")
    );
    assert_eq!(
        headers.get("x-amzn-errortype").map(String::as_str),
        Some(format!("{error}{CORAL_SUFFIX}").as_str())
    );
}

/// The HTTP status the SDK received with an error.
fn status_of<E>(err: &pc::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}

/// Every modeled error the SDK can meet, in one mode: its status and its typed variant.
async fn each_error_is_typed_with_the_mode_status(args: &[&str], want: &Statuses) {
    let server = Binary::start(args);
    let url = &server.url;
    let account = "121212121212";
    let c = client(url, account, "secret");

    // Validation: 400 in both modes.
    let err = c
        .get_opportunity()
        .catalog("AWS")
        .identifier("not-an-id")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_validation_exception())
    );
    assert_eq!(status_of(&err), 400);

    // ResourceNotFound: an unknown opportunity.
    let err = c
        .get_opportunity()
        .catalog("AWS")
        .identifier("O999999999")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
    assert_eq!(status_of(&err), want.not_found);
    check_wire(
        raw_call(
            url,
            account,
            "GetOpportunity",
            r#"{"Catalog": "AWS", "Identifier": "O999999999"}"#,
        ),
        "ResourceNotFoundException",
        want.not_found,
    );

    // Conflict (injected: the status is chosen where every error is written, whoever raised it).
    fault(url, "CreateOpportunity", "ConflictException", account, 1);
    let err = c
        .create_opportunity()
        .catalog("AWS")
        .client_token("token-1")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_conflict_exception()),
        "{err:?}"
    );
    assert_eq!(
        err.as_service_error().and_then(|e| e.code()),
        Some("ConflictException")
    );
    assert_eq!(status_of(&err), want.conflict);

    // AccessDenied, Throttling, InternalServer (injected into ListSolutions).
    fault(url, "ListSolutions", "AccessDeniedException", account, 1);
    let err = c.list_solutions().catalog("AWS").send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_access_denied_exception())
    );
    assert_eq!(status_of(&err), want.access_denied);

    fault(url, "ListSolutions", "ThrottlingException", account, 1);
    let err = c.list_solutions().catalog("AWS").send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_throttling_exception())
    );
    assert_eq!(status_of(&err), want.throttling);
    fault(url, "ListSolutions", "ThrottlingException", account, 1);
    check_wire(
        raw_call(url, account, "ListSolutions", r#"{"Catalog": "AWS"}"#),
        "ThrottlingException",
        want.throttling,
    );

    fault(url, "ListSolutions", "InternalServerException", account, 1);
    let err = c.list_solutions().catalog("AWS").send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_internal_server_exception())
    );
    assert_eq!(status_of(&err), 500);

    // ServiceQuotaExceeded (injected into a task that models it).
    fault(
        url,
        "StartEngagementFromOpportunityTask",
        "ServiceQuotaExceededException",
        account,
        1,
    );
    let err = c
        .start_engagement_from_opportunity_task()
        .catalog("AWS")
        .identifier("O1")
        .aws_submission(
            AwsSubmission::builder()
                .involvement_type(SalesInvolvementType::CoSell)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_service_quota_exceeded_exception()),
        "{err:?}"
    );
    assert_eq!(status_of(&err), want.quota);
}

#[tokio::test]
async fn by_default_modeled_client_errors_are_400_and_stay_typed() {
    each_error_is_typed_with_the_mode_status(&["--in-memory"], &AWS).await;
}

#[tokio::test]
async fn with_error_status_model_they_have_the_smithy_statuses() {
    each_error_is_typed_with_the_mode_status(&["--in-memory", "--error-status", "model"], &MODEL)
        .await;
}

/// Standard mode, 3 attempts: a throttle is retried to the limit, two are ridden out, and a
/// ResourceNotFoundException (same status in `aws` mode) is not retried.
async fn retries_follow_the_error_not_the_status(args: &[&str], throttle_status: u16) {
    let server = Binary::start(args);
    let url = &server.url;
    let account = "131313131313";
    let c = retrying_client(url, account);

    let rule = fault(url, "ListSolutions", "ThrottlingException", account, 10);
    let err = c.list_solutions().catalog("AWS").send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_throttling_exception())
    );
    assert_eq!(status_of(&err), throttle_status);
    assert_eq!(10 - uses_left(url, &rule), 3, "the server saw 3 attempts");
    admin(url, "DELETE", &format!("/faults/{rule}"), "");

    let rule = fault(url, "ListSolutions", "ThrottlingException", account, 2);
    let out = c.list_solutions().catalog("AWS").send().await.unwrap();
    assert!(!out.solution_summaries().is_empty());
    assert_eq!(uses_left(url, &rule), 0, "both throttles were used");

    let rule = fault(
        url,
        "ListSolutions",
        "ResourceNotFoundException",
        account,
        10,
    );
    let err = c.list_solutions().catalog("AWS").send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );
    assert_eq!(10 - uses_left(url, &rule), 1, "a client error is sent once");
}

#[tokio::test]
async fn a_throttle_sent_with_400_is_retried_three_times() {
    retries_follow_the_error_not_the_status(&["--in-memory"], 400).await;
}

#[tokio::test]
async fn a_throttle_sent_with_429_is_retried_three_times() {
    retries_follow_the_error_not_the_status(&["--in-memory", "--error-status", "model"], 429).await;
}
