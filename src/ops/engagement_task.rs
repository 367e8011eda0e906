//! StartEngagementFromOpportunityTask and its listing. The task completes at once: it
//! submits the opportunity and records the engagement, invitation and snapshot job it
//! creates (facts §1.4: the real task is observed COMPLETE in the response).

use serde_json::{Map, Value, json};

use super::opportunity::{load, request_hash, save, submit_record};
use super::{Context, Service, ServiceError, page_by_offset, str_at, strings};
use crate::domain::{ids, time};
use crate::store::{IdempotencyRecord, Store, TaskRecord};

const OPERATION: &str = "StartEngagementFromOpportunityTask";

pub fn start<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let token = str_at(input, "ClientToken").unwrap_or_default().to_string();
    let hash = request_hash(input);
    let id = str_at(input, "Identifier").unwrap_or_default();
    svc.store.transaction(|tx| {
        if let Some(prior) = tx.get_idempotency(&scope, OPERATION, &token)? {
            return if prior.request_hash == hash {
                Ok(prior.response)
            } else {
                Err(ServiceError::Conflict(
                    "Conflicting client token submitted for a new request body.".to_string(),
                ))
            };
        }
        let mut rec = load(tx, ctx, &scope, id)?;
        let task_id = ids::task_id();
        let start_time = time::format(ctx.now);
        let mut doc = Map::new();
        doc.insert("TaskId".into(), json!(task_id));
        doc.insert(
            "TaskArn".into(),
            json!(ids::engagement_from_opportunity_task_arn(
                &ctx.region,
                &ctx.catalog,
                &task_id
            )),
        );
        doc.insert("StartTime".into(), json!(start_time));
        doc.insert("OpportunityId".into(), json!(rec.id));
        let submitted = submit_record(
            ctx,
            &mut rec,
            str_at(input, "AwsSubmission.InvolvementType").unwrap_or_default(),
            str_at(input, "AwsSubmission.Visibility"),
        );
        match submitted {
            Ok(()) => {
                save(tx, &scope, &rec)?;
                doc.insert("TaskStatus".into(), json!("COMPLETE"));
                doc.insert("EngagementId".into(), json!(ids::engagement_id()));
                doc.insert("EngagementInvitationId".into(), json!(ids::invitation_id()));
                doc.insert(
                    "ResourceSnapshotJobId".into(),
                    json!(ids::snapshot_job_id()),
                );
            }
            Err(ServiceError::Business(violations)) => {
                doc.insert("TaskStatus".into(), json!("FAILED"));
                doc.insert("ReasonCode".into(), json!("OpportunitySubmissionFailed"));
                let message = violations
                    .into_iter()
                    .map(|v| v.message)
                    .collect::<Vec<_>>()
                    .join(" ");
                doc.insert("Message".into(), json!(message));
            }
            Err(other) => return Err(other),
        }
        tx.put_task(
            &scope,
            &TaskRecord {
                id: task_id,
                start_time,
                doc: doc.clone(),
            },
        )?;
        let response = Value::Object(doc);
        tx.put_idempotency(
            &scope,
            OPERATION,
            &token,
            &IdempotencyRecord {
                request_hash: hash.clone(),
                response: response.clone(),
            },
        )?;
        Ok(response)
    })
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let tasks = svc
        .store
        .transaction(|tx| tx.list_tasks(&scope).map_err(ServiceError::from))?;
    let bare = |values: Vec<String>| -> Vec<String> {
        values.iter().map(|v| ids::id_of(v).to_string()).collect()
    };
    let filters = [
        ("TaskId", bare(strings(input, "TaskIdentifier"))),
        ("OpportunityId", strings(input, "OpportunityIdentifier")),
        ("EngagementId", bare(strings(input, "EngagementIdentifier"))),
        ("TaskStatus", strings(input, "TaskStatus")),
    ];
    let mut items: Vec<Value> = tasks
        .into_iter()
        .map(|t| Value::Object(t.doc))
        .filter(|doc| {
            filters.iter().all(|(member, wanted)| {
                wanted.is_empty()
                    || str_at(doc, member).is_some_and(|v| wanted.iter().any(|w| w == v))
            })
        })
        .collect();
    if str_at(input, "Sort.SortOrder") != Some("ASCENDING") {
        items.reverse();
    }
    let (page, token) = page_by_offset(input, items, 20)?;
    let mut out = json!({"TaskSummaries": page});
    if let Some(t) = token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}
