//! `partnercentral-local aws ...`: a small client of a running server's control plane for
//! the actions tests and people take most (approve, review, set the stage, add a seller).

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::config::{AwsAction, AwsArgs};

async fn call(
    args: &AwsArgs,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let url = format!("{}/_admin{path}", args.endpoint.trim_end_matches('/'));
    let mut req = Request::builder()
        .method(method)
        .uri(&url)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = &args.admin_token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
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
        AwsAction::Show { opportunity } => {
            call(args, Method::GET, &summary(opportunity), None).await
        }
    }
}
