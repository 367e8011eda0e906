//! Prospecting: AWS enriches leads with what it knows of the customer
//! (Start/Get/ListProspectingFromEngagementTask(s)).
//!
//! A task works through its engagements one by one: an engagement the caller is a member of
//! that holds a Lead context gets a `ProspectingResult` context (replacing the one an earlier
//! task wrote) and is `COMPLETED`, with the context reported in the model's `ctx-…` form
//! ([`ids::prospecting_context_id`]); any other is `FAILED` with a reason. The result is the
//! control plane's (`/_admin/catalogs/{catalog}/prospecting`) or else derived from the lead,
//! so the same lead always gives the same insights. The task has its own statuses
//! (`COMPLETED`, not `COMPLETE`) and a 14-character id.

use chrono::Duration;
use serde_json::{Map, Value, json};

use super::{admin, api, contexts};
use crate::domain::{ids, time};
use crate::model::validate::Code;
use crate::ops::common::{idempotent, offset_page, str_at, strings};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{Store, TaskKind, TaskRecord};

const START: &str = "StartProspectingFromEngagementTask";

/// The overall status of a prospecting task (stored documents are the Get response, which
/// has none): running until it has an end time; `FAILED` when every engagement failed.
pub fn status(doc: &Map<String, Value>) -> &'static str {
    if doc.get("EndTime").is_none() {
        return "IN_PROGRESS";
    }
    let engagements = doc
        .get("Engagements")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !engagements.is_empty()
        && engagements
            .iter()
            .all(|e| str_at(e, "Status") == Some("FAILED"))
    {
        "FAILED"
    } else {
        "COMPLETED"
    }
}

fn start_reply(doc: &Map<String, Value>) -> Value {
    let ids: Vec<Value> = doc
        .get("Engagements")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e.get("EngagementIdentifier").cloned())
                .collect()
        })
        .unwrap_or_default();
    let mut out = json!({
        "TaskId": doc.get("TaskId"),
        "TaskArn": doc.get("TaskArn"),
        "TaskName": doc.get("TaskName"),
        "StartTime": doc.get("StartTime"),
        "TaskStatus": status(doc),
        "Identifiers": ids,
    });
    if status(doc) == "FAILED" {
        out["ReasonCode"] = json!("AllEngagementsFailed");
        out["Message"] =
            json!("No engagement of the task could be prospected; see each engagement's reason.");
    }
    out
}

pub fn start<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    crate::ops::invitations::flows::settle_tasks(svc)?;
    let scope = access::private(ctx);
    let identifiers = strings(input, "Identifiers");
    if identifiers.is_empty() {
        return Err(ServiceError::invalid(
            "Identifiers",
            Code::NotEnoughValues,
            "Identifiers must name at least one engagement.",
        ));
    }
    let delay = svc.task_delay;
    let out = svc.write(ctx, |w| {
        let first = idempotent(w, svc.model, &scope, START, input, |w| {
            let task_id = ids::prospecting_task_id();
            let mut doc = Map::new();
            doc.insert("TaskId".into(), json!(task_id));
            doc.insert(
                "TaskArn".into(),
                json!(ids::prospecting_task_arn(
                    &ctx.region,
                    &ctx.catalog,
                    &task_id
                )),
            );
            doc.insert(
                "TaskName".into(),
                json!(str_at(input, "TaskName").unwrap_or_default()),
            );
            doc.insert("StartTime".into(), json!(w.stamp()));
            let pending: Vec<Value> = identifiers
                .iter()
                .map(|e| json!({"EngagementIdentifier": e, "Status": "PENDING"}))
                .collect();
            doc.insert("Engagements".into(), Value::Array(pending));
            let mut task = TaskRecord {
                id: task_id,
                start_time: w.stamp(),
                doc,
                kind: TaskKind::ProspectingFromEngagement,
                complete_at: None,
                params: None,
            };
            if delay.is_zero() {
                complete(w, ctx, &mut task)?;
            } else {
                let due = w.now + Duration::milliseconds(delay.as_millis() as i64);
                task.complete_at = Some(time::format(due));
                w.tx.put_task(&scope, &task)?;
            }
            Ok(start_reply(&task.doc))
        })?;
        let task = str_at(&first, "TaskId").unwrap_or_default();
        Ok(match w.tx.get_task(&scope, task)? {
            Some(t) => start_reply(&t.doc),
            None => first,
        })
    })?;
    Ok(Reply::Doc(out))
}

/// Prospects one engagement: its result entry.
fn prospect(
    w: &mut Write<'_>,
    ctx: &Context,
    task: &TaskRecord,
    id: &str,
    fixtures: &Value,
) -> Result<Value, ServiceError> {
    let failed = |reason: &str, message: String| json!({"EngagementIdentifier": id, "Status": "FAILED", "ReasonCode": reason, "Message": message});
    let mut engagement = match access::engagement(w.tx, ctx, id) {
        Ok(e) => e,
        Err(ServiceError::NotFound(m)) => return Ok(failed("EngagementNotFound", m)),
        Err(ServiceError::AccessDenied(m)) => return Ok(failed("NotAMember", m)),
        Err(e) => return Err(e),
    };
    let Some(lead) = engagement
        .contexts
        .iter()
        .find(|c| contexts::type_of(c) == "Lead")
        .cloned()
    else {
        return Ok(failed(
            "NoLeadContext",
            format!("Engagement {id} has no Lead context to prospect."),
        ));
    };
    let forced = fixtures.pointer(&format!("/Engagements/{id}"));
    if let Some(reason) = forced
        .and_then(|f| f.get("ReasonCode"))
        .and_then(Value::as_str)
    {
        let message = forced
            .and_then(|f| f.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("The control plane made this engagement fail.")
            .to_string();
        return Ok(failed(reason, message));
    }
    let mut aws = admin::prospecting_result(&lead, fixtures, forced);
    aws.insert("StartTime".into(), json!(task.start_time));
    aws.insert("EndTime".into(), json!(w.stamp()));
    aws.insert("TaskId".into(), json!(task.id));
    aws.insert(
        "TaskArn".into(),
        task.doc.get("TaskArn").cloned().unwrap_or_default(),
    );
    aws.insert(
        "TaskName".into(),
        task.doc.get("TaskName").cloned().unwrap_or_default(),
    );
    let payload = json!({"ProspectingResult": {"Aws": aws}});
    let existing = engagement
        .contexts
        .iter()
        .position(|c| contexts::type_of(c) == "ProspectingResult");
    let context_id = match existing {
        Some(pos) => {
            engagement.contexts[pos]["Payload"] = payload;
            contexts::id_of(&engagement.contexts[pos]).to_string()
        }
        None => {
            if engagement.contexts.len() >= contexts::MAX_CONTEXTS {
                return Ok(failed(
                    "ServiceQuotaExceeded",
                    format!(
                        "Engagement {id} already has the maximum of {} contexts.",
                        contexts::MAX_CONTEXTS
                    ),
                ));
            }
            let next = contexts::next_id(&engagement.contexts);
            engagement.contexts.push(contexts::new_context(
                &next,
                "ProspectingResult",
                &payload,
                &w.stamp(),
            ));
            next
        }
    };
    api::touch(w, ctx, &mut engagement);
    w.tx.put_engagement(&ctx.catalog, &engagement)?;
    Ok(json!({"EngagementIdentifier": id, "Status": "COMPLETED",
              "EngagementContextId": ids::prospecting_context_id(&context_id)}))
}

/// Completes a prospecting task: every engagement gets its result.
pub(crate) fn complete(
    w: &mut Write<'_>,
    ctx: &Context,
    task: &mut TaskRecord,
) -> Result<(), ServiceError> {
    task.complete_at = None;
    let fixtures = admin::prospecting(w.tx, &ctx.catalog)?;
    let ids: Vec<String> = task
        .doc
        .get("Engagements")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| str_at(e, "EngagementIdentifier").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut results = Vec::new();
    for id in ids {
        results.push(prospect(w, ctx, task, &id, &fixtures)?);
    }
    task.doc.insert("Engagements".into(), Value::Array(results));
    task.doc.insert("EndTime".into(), json!(w.stamp()));
    w.tx.put_task(&access::private(ctx), task)?;
    Ok(())
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    crate::ops::invitations::flows::settle_tasks(svc)?;
    let scope = access::private(ctx);
    let id = ids::id_of(str_at(input, "TaskIdentifier").unwrap_or_default()).to_string();
    let task = svc
        .store
        .read(|tx| tx.get_task(&scope, &id))?
        .filter(|t| t.kind == TaskKind::ProspectingFromEngagement)
        .ok_or_else(|| ServiceError::NotFound(format!("Prospecting task {id} was not found.")))?;
    Ok(Reply::Doc(Value::Object(task.doc)))
}

fn summary(doc: &Map<String, Value>) -> Value {
    let engagements = doc
        .get("Engagements")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |s: &str| {
        engagements
            .iter()
            .filter(|e| str_at(e, "Status") == Some(s))
            .count()
    };
    let mut out = json!({
        "TaskId": doc.get("TaskId"),
        "TaskArn": doc.get("TaskArn"),
        "TaskName": doc.get("TaskName"),
        "StartTime": doc.get("StartTime"),
        "TotalEngagementCount": engagements.len(),
        "CompletedEngagementCount": count("COMPLETED"),
        "FailedEngagementCount": count("FAILED"),
    });
    if let Some(end) = doc.get("EndTime") {
        out["EndTime"] = end.clone();
    }
    out
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    crate::ops::invitations::flows::settle_tasks(svc)?;
    let scope = access::private(ctx);
    let tasks = svc.store.read(|tx| tx.list_tasks(&scope))?;
    let wanted_ids: Vec<String> = strings(input, "TaskIdentifier")
        .iter()
        .map(|v| ids::id_of(v).to_string())
        .collect();
    let names = strings(input, "TaskName");
    let after = str_at(input, "StartAfter").and_then(time::parse);
    let before = str_at(input, "StartBefore").and_then(time::parse);
    let mut items: Vec<Value> = tasks
        .iter()
        .filter(|t| t.kind == TaskKind::ProspectingFromEngagement)
        .map(|t| summary(&t.doc))
        .filter(|s| {
            wanted_ids.is_empty()
                || str_at(s, "TaskId").is_some_and(|i| wanted_ids.iter().any(|w| w == i))
        })
        .filter(|s| {
            names.is_empty() || str_at(s, "TaskName").is_some_and(|n| names.iter().any(|w| w == n))
        })
        .filter(|s| {
            let start = str_at(s, "StartTime").and_then(time::parse);
            after.is_none_or(|a| start.is_some_and(|t| t > a))
                && before.is_none_or(|b| start.is_some_and(|t| t < b))
        })
        .collect();
    let by = str_at(input, "Sort.SortBy").unwrap_or("StartTime");
    items.sort_by(|a, b| {
        let key = |v: &Value| match by {
            "TaskName" => str_at(v, "TaskName").unwrap_or_default().to_lowercase(),
            "FailedEngagementCount" => format!(
                "{:010}",
                v.get("FailedEngagementCount")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            ),
            _ => str_at(v, "StartTime").unwrap_or_default().to_string(),
        };
        (key(a), str_at(a, "TaskId")).cmp(&(key(b), str_at(b, "TaskId")))
    });
    if str_at(input, "Sort.SortOrder") != Some("ASCENDING") {
        items.reverse();
    }
    Ok(Reply::Doc(offset_page(input, items, 20, "TaskSummaries")?))
}
