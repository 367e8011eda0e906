//! The SigV4 verifier against requests signed by the official `aws-sigv4` crate, and the SDK
//! against a server that verifies signatures.

mod common;

use aws_sdk_partnercentralselling::error::ProvideErrorMetadata;
use partnercentral_local::auth::{AuthError, Authenticator, CredentialStore, SignedRequest};

use common::signed::sign_request;
use common::{Binary, client};

const CREDS: &str = r#"{"credentials": [
  {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "SECRETEXAMPLE", "accountId": "111111111111"}]}"#;

fn signed_request(secret: &str, body: &str, region: &str) -> http::Request<String> {
    sign_request(
        "http://127.0.0.1:4570",
        "AWSPartnerCentralSelling.ListSolutions",
        body.to_string(),
        "AKIDEXAMPLE",
        secret,
        region,
    )
}

fn verify(req: &http::Request<String>) -> Result<String, AuthError> {
    let auth = Authenticator::Verify(CredentialStore::parse(CREDS).unwrap());
    let caller = auth.authenticate(
        &SignedRequest {
            method: req.method().as_str(),
            path: req.uri().path(),
            query: req.uri().query().unwrap_or(""),
            headers: req.headers(),
            body: req.body().as_bytes(),
        },
        chrono::Utc::now(),
    )?;
    Ok(caller.account_id)
}

#[test]
fn requests_signed_by_aws_sigv4_verify_in_any_region() {
    for region in ["us-east-1", "eu-west-2", "ap-southeast-2"] {
        let req = signed_request("SECRETEXAMPLE", r#"{"Catalog":"AWS"}"#, region);
        assert_eq!(verify(&req).unwrap(), "111111111111");
    }
}

#[test]
fn a_changed_body_or_wrong_secret_fails_verification() {
    let mut req = signed_request("SECRETEXAMPLE", r#"{"Catalog":"AWS"}"#, "us-east-1");
    *req.body_mut() = r#"{"Catalog":"Sandbox"}"#.to_string();
    assert!(matches!(verify(&req), Err(AuthError::InvalidSignature(_))));
    let req = signed_request("WRONG", r#"{"Catalog":"AWS"}"#, "us-east-1");
    assert!(matches!(verify(&req), Err(AuthError::InvalidSignature(_))));
}

#[test]
fn a_dropped_signed_header_fails_verification() {
    let mut req = signed_request("SECRETEXAMPLE", r#"{"Catalog":"AWS"}"#, "us-east-1");
    req.headers_mut().remove("x-amz-target");
    assert!(verify(&req).is_err());
}

#[tokio::test]
async fn the_sdk_signs_and_the_server_verifies() {
    let dir = std::env::temp_dir().join(format!("pcl-creds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("credentials.json");
    std::fs::write(&path, CREDS).unwrap();
    // Signatures are the subject here, not AWS's business rules: an empty create is enough.
    let server = Binary::start(&[
        "--in-memory",
        "--business-rules",
        "off",
        "--credentials",
        path.to_str().unwrap(),
    ]);

    let ok = client(&server.url, "AKIDEXAMPLE", "SECRETEXAMPLE");
    let id = ok
        .create_opportunity()
        .catalog("AWS")
        .send()
        .await
        .unwrap()
        .id;
    let opp = ok
        .get_opportunity()
        .catalog("AWS")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert!(opp.arn().unwrap().contains(":111111111111:"));

    for (key, secret, code) in [
        ("AKIDEXAMPLE", "WRONG", "InvalidSignatureException"),
        ("AKIDOTHER", "x", "UnrecognizedClientException"),
    ] {
        let err = client(&server.url, key, secret)
            .list_solutions()
            .catalog("AWS")
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.as_service_error().and_then(|e| e.code()), Some(code));
    }
}
