//! Partner Central Selling over awsJson 1.0, each request signed by `aws-sigv4` (the SDK's own
//! signer) as the SDK signs it: for the operations the newest aws-sdk-partnercentralselling
//! (1.84.0) does not have (customer accounts, bulk jobs, SearchOpportunities, all from
//! botocore 1.44.8's model). Errors are told apart by their `__type`, as the SDK dispatches
//! them. A test file adds its own helpers with an `impl Api` block of its own.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// A modeled error as the SDK would dispatch it: HTTP status, the name after `#` in `__type`,
/// and the whole body.
#[derive(Debug)]
pub struct Fault {
    pub status: u16,
    pub kind: String,
    pub body: Value,
}

/// Partner Central Selling over awsJson 1.0 for one account, each request signed by
/// `aws-sigv4` as the SDK signs it (access key = account id, as `common::client`).
pub struct Api {
    url: String,
    account: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    pub fn new(url: &str, account: &str) -> Api {
        Api {
            url: url.to_string(),
            account: account.to_string(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// `op` with `input` (and `Catalog: Sandbox` when `input` names none).
    pub async fn call(&self, op: &str, mut input: Value) -> Result<Value, Fault> {
        if input.get("Catalog").is_none() {
            input["Catalog"] = json!("Sandbox");
        }
        let body = input.to_string();
        let target = format!("AWSPartnerCentralSelling.{op}");
        let req = sign_request(
            &self.url,
            &target,
            body,
            &self.account,
            "secret",
            "us-east-1",
        );
        let resp = self
            .http
            .request(req.map(|b| Full::new(Bytes::from(b))))
            .await
            .expect("the server answers");
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let doc: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{op}: a JSON answer ({e}): {bytes:?}"));
        if status == 200 {
            return Ok(doc);
        }
        let kind = doc["__type"]
            .as_str()
            .and_then(|t| t.rsplit('#').next())
            .unwrap_or_default()
            .to_string();
        Err(Fault {
            status,
            kind,
            body: doc,
        })
    }

    pub async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input.clone()).await {
            Ok(doc) => doc,
            Err(f) => panic!("{op} {input} failed: {f:?}"),
        }
    }

    /// `op` fails with the modeled error `kind` (HTTP 400, as AWS sends every client error).
    pub async fn fails(&self, op: &str, input: Value, kind: &str) -> Fault {
        match self.call(op, input.clone()).await {
            Ok(doc) => panic!("{op} {input} succeeded, {kind} expected: {doc}"),
            Err(f) => {
                assert_eq!(
                    (f.status, f.kind.as_str()),
                    (400, kind),
                    "{op} {input}: {f:?}"
                );
                f
            }
        }
    }

    /// A plain GET of a URL the server handed out (no credentials): status and body.
    pub async fn fetch(&self, url: &str) -> (u16, String) {
        let req = http::Request::get(url)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = self.http.request(req).await.expect("the server answers");
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).expect("UTF-8"))
    }
}

/// A POST of awsJson `body` to `url` (`http://host:port`) for action `target`
/// (`AWSPartnerCentralSelling.{op}`), signed by `aws-sigv4` as the SDK signs it.
pub fn sign_request(
    url: &str,
    target: &str,
    body: String,
    access_key: &str,
    secret: &str,
    region: &str,
) -> http::Request<String> {
    let uri = format!("{url}/");
    let host = url.trim_start_matches("http://");
    let mut req = http::Request::builder()
        .method("POST")
        .uri(&uri)
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", target)
        .body(body)
        .unwrap();
    let identity = Credentials::new(access_key, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("partnercentral-selling")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers: Vec<(&str, &str)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
        .collect();
    let signable = SignableRequest::new(
        "POST",
        &uri,
        headers.into_iter(),
        SignableBody::Bytes(req.body().as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut req);
    req
}
