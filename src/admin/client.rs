//! `partnercentral-local aws ...`: a small client of a running server's control plane for
//! the actions tests and people take most (approve, review, set the stage, add a seller,
//! refer an opportunity or share a lead).

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::config::{AwsAction, AwsArgs};

/// One control-plane request: `body` (of `content_type`) to `/_admin{path}`, with the token
/// when one is set; the JSON answer, or the status and the server's `error`.
async fn send(
    args: &AwsArgs,
    method: Method,
    path: &str,
    content_type: &'static str,
    body: Bytes,
) -> Result<Value, String> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let url = format!("{}/_admin{path}", args.endpoint.trim_end_matches('/'));
    let mut req = Request::builder()
        .method(method)
        .uri(&url)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(token) = &args.admin_token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
    let resp = client
        .request(req)
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!(
            "{status}: {}",
            value
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no message")
        ))
    }
}

async fn call(
    args: &AwsArgs,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(args, method, path, "application/json", Bytes::from(body)).await
}

/// Stores a file through the control plane (read whole: bulk files are at most 100 MB).
async fn upload(
    args: &AwsArgs,
    file: &std::path::Path,
    key: Option<&str>,
) -> Result<Value, String> {
    let key = match key {
        Some(k) => k.to_string(),
        None => file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .ok_or_else(|| format!("{} names no file", file.display()))?,
    };
    let data = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let path = format!("/files/{}", crate::ops::bulk::files::encode_key(&key));
    send(args, Method::PUT, &path, "text/csv", Bytes::from(data)).await
}

/// Runs one action; returns what to print.
pub async fn run(args: &AwsArgs) -> Result<Value, String> {
    let scope = format!("/accounts/{}/catalogs/{}", args.account, args.catalog);
    let review = |id: &str| format!("{scope}/opportunities/{id}/review");
    let summary = |id: &str| format!("{scope}/aws-opportunities/{id}");
    match &args.action {
        AwsAction::Approve { opportunity } => {
            call(
                args,
                Method::POST,
                &review(opportunity),
                Some(json!({"ReviewStatus": "Approved"})),
            )
            .await
        }
        AwsAction::Review {
            opportunity,
            status,
            comments,
            reason,
        } => {
            let body = json!({"ReviewStatus": status, "ReviewComments": comments, "ReviewStatusReason": reason});
            call(args, Method::POST, &review(opportunity), Some(body)).await
        }
        AwsAction::SetStage { opportunity, stage } => {
            let patch = json!({"LifeCycle": {"Stage": stage}});
            call(args, Method::PATCH, &summary(opportunity), Some(patch)).await
        }
        AwsAction::AddTeamMember {
            opportunity,
            email,
            first_name,
            last_name,
            title,
        } => {
            let current = call(args, Method::GET, &summary(opportunity), None).await?;
            let mut team = current
                .get("OpportunityTeam")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            team.push(json!({"Email": email, "FirstName": first_name, "LastName": last_name, "BusinessTitle": title}));
            call(
                args,
                Method::PATCH,
                &summary(opportunity),
                Some(json!({"OpportunityTeam": team})),
            )
            .await
        }
        AwsAction::Upload { file, key } => upload(args, file, key.as_deref()).await,
        AwsAction::Show { opportunity } => {
            call(args, Method::GET, &summary(opportunity), None).await
        }
        AwsAction::Refer {
            file,
            lead,
            title,
            company,
            sender,
            message,
            invitation_id,
        } => {
            let mut body = if *lead {
                json!({"LeadInvitation": {
                    "Customer": {"CompanyName": company},
                    "Interaction": {"SourceType": "Campaign", "SourceId": "partnercentral-local",
                                    "SourceName": "partnercentral-local", "ContactBusinessTitle": "Director"}}})
            } else {
                let opportunity = match file.as_deref() {
                    Some(path) => read_json(path)?,
                    None => example_referral(title.as_deref().unwrap_or("AWS Referral"), company),
                };
                json!({"Opportunity": opportunity})
            };
            for (key, value) in [
                ("SenderAwsAccountId", sender),
                ("Message", message),
                ("InvitationId", invitation_id),
            ] {
                if let Some(v) = value {
                    body[key] = json!(v);
                }
            }
            if let (true, Some(title)) = (*lead, title) {
                body["EngagementTitle"] = json!(title.chars().take(40).collect::<String>());
            }
            call(
                args,
                Method::POST,
                &format!("{scope}/invitations"),
                Some(body),
            )
            .await
        }
    }
}

/// A JSON document from a file, or standard input for `-`.
fn read_json(path: &str) -> Result<Value, String> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{path} is not JSON: {e}"))
}

/// The smallest opportunity AWS can refer: a customer, a project, a stage and a close date.
fn example_referral(title: &str, company: &str) -> Value {
    let close = (chrono::Utc::now() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    json!({
        "Customer": {"Account": {"CompanyName": company, "Industry": "Other",
                                 "WebsiteUrl": "https://www.example.com",
                                 "Address": {"CountryCode": "US"}}},
        "Project": {"Title": title,
                    "CustomerBusinessProblem": "The customer wants to move its workloads to AWS.",
                    "ExpectedCustomerSpend": [{"Amount": "1000", "CurrencyCode": "USD",
                                               "Frequency": "Monthly", "TargetCompany": "AWS"}]},
        "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": close}
    })
}
