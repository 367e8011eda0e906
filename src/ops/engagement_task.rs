//! StartEngagementFromOpportunityTask and its listing. The task completes at once: it
//! submits the opportunity and records the engagement, invitation and snapshot job it
//! creates (facts §1.4: the real task is observed COMPLETE in the response).

use serde_json::{Map, Value, json};

use super::opportunity::{engagement, load, save, submit_record};
use super::{
    Context, Service, ServiceError, idempotent, matches_filters, offset_page, str_at, strings,
};
use crate::domain::{events, ids, time};
use crate::store::{Store, TaskRecord};

const OPERATION: &str = "StartEngagementFromOpportunityTask";

pub fn start<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "Identifier").unwrap_or_default();
    svc.write(|tx, emitted| {
        idempotent(tx, &scope, OPERATION, input, |tx| {
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
                    let engagement_id = ids::engagement_id();
                    let invitation_id = ids::invitation_id();
                    if let Some(sub) = rec.submission.as_mut() {
                        sub.engagement_id = Some(engagement_id.clone());
                        sub.invitation_id = Some(invitation_id.clone());
                    }
                    save(tx, ctx, &scope, &rec)?;
                    if let Some(e) = engagement(ctx, &rec) {
                        emitted.extend(events::submitted(&ctx.origin(), &e));
                    }
                    doc.insert("TaskStatus".into(), json!("COMPLETE"));
                    doc.insert("EngagementId".into(), json!(engagement_id));
                    doc.insert("EngagementInvitationId".into(), json!(invitation_id));
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
            Ok(Value::Object(doc))
        })
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
        .read(|tx| tx.list_tasks(&scope).map_err(ServiceError::from))?;
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
        .filter(|doc| matches_filters(doc, &filters))
        .collect();
    if str_at(input, "Sort.SortOrder") != Some("ASCENDING") {
        items.reverse();
    }
    offset_page(input, items, 20, "TaskSummaries")
}
