//! A lead becomes an opportunity: StartOpportunityFromEngagementTask and its listing.
//!
//! The task (research §5.1, observed twice): a draft opportunity made from the lead context
//! (title "Converted from Lead", target close 90 days out, the lead's customer and business
//! problem), linked to the engagement (a resource association and a CustomerProject context,
//! whose id the task returns as `ContextId`), with a snapshot job id. A later
//! StartEngagementFromOpportunityTask submits it in the same engagement. Business failures are
//! `FAILED` tasks with the model's reason codes; a missing engagement or a non-member is an
//! exception, as for every engagement operation.

use chrono::Duration;
use serde_json::{Map, Value, json};

use super::{api, contexts};
use crate::domain::changes::Change;
use crate::domain::lifecycle::{self, PENDING_SUBMISSION};
use crate::domain::{ids, time};
use crate::ops::common::{idempotent, resolve_id, str_at, strings, task_page};
use crate::ops::opportunities::{api as opportunity_api, view as opportunity_view};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{EngagementRecord, OpportunityRecord, Store, TaskKind, TaskRecord};

const START: &str = "StartOpportunityFromEngagementTask";
/// How far out a converted lead's target close date is (both captures: +90 days).
const TARGET_CLOSE_DAYS: i64 = 90;
/// The title a converted lead's opportunity gets (captured).
pub const CONVERTED_TITLE: &str = "Converted from Lead";

pub fn start<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    crate::ops::invitations::flows::settle_tasks(svc)?;
    let scope = access::private(ctx);
    let id = api::engagement_id(ctx, "Identifier", input)?;
    let context_id = str_at(input, "ContextIdentifier")
        .unwrap_or_default()
        .to_string();
    let delay = svc.task_delay;
    let out = svc.write(ctx, |w| {
        let first = idempotent(w, svc.model, &scope, START, input, |w| {
            access::engagement(w.tx, ctx, &id)?;
            let task_id = ids::task_id();
            let mut doc = Map::new();
            doc.insert("TaskId".into(), json!(task_id));
            doc.insert(
                "TaskArn".into(),
                json!(ids::opportunity_from_engagement_task_arn(
                    &ctx.region,
                    &ctx.catalog,
                    &task_id
                )),
            );
            doc.insert("StartTime".into(), json!(w.stamp()));
            doc.insert("TaskStatus".into(), json!("IN_PROGRESS"));
            doc.insert("EngagementId".into(), json!(id));
            doc.insert("ContextId".into(), json!(context_id));
            let mut task = TaskRecord {
                id: task_id,
                start_time: w.stamp(),
                doc,
                kind: TaskKind::OpportunityFromEngagement,
                complete_at: None,
                params: input.get("Tags").map(|t| json!({"Tags": t})),
            };
            if delay.is_zero() {
                complete(w, ctx, &mut task)?;
            } else {
                let due = w.now + Duration::milliseconds(delay.as_millis() as i64);
                task.complete_at = Some(time::format(due));
                w.tx.put_task(&scope, &task)?;
            }
            Ok(Value::Object(task.doc))
        })?;
        // A replayed token answers the task as it is now.
        let task = str_at(&first, "TaskId").unwrap_or_default();
        Ok(match w.tx.get_task(&scope, task)? {
            Some(t) => Value::Object(t.doc),
            None => first,
        })
    })?;
    Ok(Reply::Doc(out))
}

/// Why a conversion cannot happen, as the task reports it.
struct Refusal {
    reason: &'static str,
    message: String,
}

fn refuse(reason: &'static str, message: String) -> Refusal {
    Refusal { reason, message }
}

/// Checks that context `context_id` of `engagement` is a lead the caller may convert.
fn convertible<'e>(
    ctx: &Context,
    engagement: &'e EngagementRecord,
    context_id: &str,
) -> Result<&'e Value, Refusal> {
    let Some(context) = engagement
        .contexts
        .iter()
        .find(|c| contexts::id_of(c) == context_id)
    else {
        return Err(refuse(
            "ContextNotFound",
            format!("Engagement {} has no context {context_id}.", engagement.id),
        ));
    };
    let type_name = contexts::type_of(context);
    if let Some(Err(reason)) = contexts::kind(type_name).map(|k| k.converts) {
        return Err(refuse(
            reason,
            format!(
                "Context {context_id} of engagement {} is a {type_name} context; only a Lead context \
                 converts into an opportunity.",
                engagement.id
            ),
        ));
    }
    if contexts::is_disqualified(context) {
        return Err(refuse(
            "DisqualifiedLeadNotPermitted",
            format!(
                "The lead in context {context_id} of engagement {} is Disqualified.",
                engagement.id
            ),
        ));
    }
    let owns_one = engagement.resources.iter().any(|r| {
        str_at(r, "accountId") == Some(ctx.account.as_str())
            && str_at(r, "resourceType") == Some("Opportunity")
    });
    if owns_one {
        return Err(refuse(
            "EngagementConflict",
            format!(
                "Account {} already has an opportunity in engagement {}; a lead converts once.",
                ctx.account, engagement.id
            ),
        ));
    }
    Ok(context)
}

/// Completes a conversion task: the opportunity, its link to the engagement and the
/// CustomerProject context — or a `FAILED` task.
pub(crate) fn complete(
    w: &mut Write<'_>,
    ctx: &Context,
    task: &mut TaskRecord,
) -> Result<(), ServiceError> {
    task.complete_at = None;
    let scope = access::private(ctx);
    let id = task
        .doc
        .get("EngagementId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let context_id = task
        .doc
        .get("ContextId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut engagement = match access::engagement(w.tx, ctx, &id) {
        Ok(e) => e,
        Err(ServiceError::AccessDenied(m)) => {
            return crate::ops::common::fail_task(w, ctx, task, "EngagementAccessDenied", m);
        }
        Err(ServiceError::NotFound(m)) => {
            return crate::ops::common::fail_task(w, ctx, task, "EngagementValidationFailed", m);
        }
        Err(e) => return Err(e),
    };
    let lead = match convertible(ctx, &engagement, &context_id) {
        Ok(c) => c.clone(),
        Err(r) => return crate::ops::common::fail_task(w, ctx, task, r.reason, r.message),
    };
    if engagement.contexts.len() >= contexts::MAX_CONTEXTS {
        let message = format!(
            "Engagement {} already has the maximum of {} contexts; the CustomerProject context \
             cannot be added.",
            engagement.id,
            contexts::MAX_CONTEXTS
        );
        return crate::ops::common::fail_task(w, ctx, task, "ServiceQuotaExceeded", message);
    }
    let num = w.tx.next_opportunity_number()?;
    let now = w.stamp();
    let today = w.now.date_naive();
    let mut doc = document(
        &lead,
        &(today + Duration::days(TARGET_CLOSE_DAYS)).to_string(),
    );
    let profile = crate::ops::opportunities::rules::profile(w.tx, &ctx.account)?;
    opportunity_api::put_owner_first(&mut doc, &profile);
    let opp = OpportunityRecord {
        id: ids::opportunity_id(num),
        num,
        created_date: now.clone(),
        last_modified_date: now.clone(),
        doc,
        related: Default::default(),
        submission: None,
        engagement_id: Some(engagement.id.clone()),
    };
    w.tx.put_opportunity(&scope, &opp, &opportunity_view::listing(ctx, &opp))?;
    w.changed(Change::OpportunityCreated { id: opp.id.clone() });
    let project_id = contexts::next_id(&engagement.contexts);
    engagement.contexts.push(contexts::new_context(
        &project_id,
        "CustomerProject",
        &json!({"CustomerProject": crate::ops::invitations::flows::customer_project_of(&opp.doc)}),
        &now,
    ));
    engagement.resources.push(json!({"accountId": ctx.account,
        "resourceType": "Opportunity", "resourceId": opp.id}));
    api::touch(w, ctx, &mut engagement);
    w.tx.put_engagement(&ctx.catalog, &engagement)?;
    // The task's tags land on the opportunity it creates; its job starts at once.
    let job =
        crate::ops::snapshots::flows::follow_task_opportunity(w, ctx, &engagement.id, &opp, task)?;
    task.doc.insert("TaskStatus".into(), json!("COMPLETE"));
    task.doc.insert("OpportunityId".into(), json!(opp.id));
    task.doc.insert("ContextId".into(), json!(project_id));
    task.doc.insert("ResourceSnapshotJobId".into(), json!(job));
    w.tx.put_task(&scope, task)?;
    Ok(())
}

/// A value of a model enum, or nothing (lead fields are free text; the opportunity's are
/// enums).
fn in_enum(shape: &str, value: Option<&Value>) -> Option<Value> {
    let v = value?.as_str()?;
    crate::model::Model::get()
        .enum_values(shape)
        .iter()
        .any(|e| e == v)
        .then(|| json!(v))
}

/// The opportunity document a lead context becomes (CreateOpportunity's member names).
fn document(lead: &Value, target_close: &str) -> Map<String, Value> {
    let customer = lead
        .pointer("/Payload/Lead/Customer")
        .cloned()
        .unwrap_or(json!({}));
    let mut account = Map::new();
    if let Some(n) = customer.get("CompanyName") {
        account.insert("CompanyName".into(), n.clone());
    }
    if let Some(i) = in_enum("Industry", customer.get("Industry")) {
        account.insert("Industry".into(), i);
    }
    if let Some(u) = customer
        .get("WebsiteUrl")
        .filter(|u| u.as_str().is_some_and(|s| !s.is_empty()))
    {
        account.insert("WebsiteUrl".into(), u.clone());
    }
    if let Some(c) = in_enum("CountryCode", customer.pointer("/Address/CountryCode")) {
        account.insert("Address".into(), json!({"CountryCode": c}));
    }
    let problem = lead
        .pointer("/Payload/Lead/Interactions")
        .and_then(Value::as_array)
        .and_then(|items| {
            items.iter().rev().find_map(|i| {
                i.get("BusinessProblem")
                    .and_then(Value::as_str)
                    .filter(|p| !p.is_empty())
            })
        });
    let mut project = json!({"Title": CONVERTED_TITLE, "ExpectedCustomerSpend": []});
    if let Some(p) = problem {
        project["CustomerBusinessProblem"] = json!(p);
    }
    let mut doc = Map::new();
    doc.insert(
        "Customer".into(),
        json!({"Account": account, "Contacts": []}),
    );
    doc.insert("Project".into(), project);
    doc.insert(
        "LifeCycle".into(),
        json!({"Stage": "Prospect", "ReviewStatus": PENDING_SUBMISSION, "TargetCloseDate": target_close}),
    );
    doc.insert("OpportunityType".into(), json!("Net New Business"));
    doc.insert("Marketing".into(), json!({"Source": "None"}));
    doc.insert("NationalSecurity".into(), json!("No"));
    doc.insert("Origin".into(), json!(lifecycle::PARTNER_REFERRAL));
    doc
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let bare = |member: &str, resource: &str| -> Result<Vec<String>, ServiceError> {
        strings(input, member)
            .iter()
            .map(|v| {
                Ok(resolve_id(member, v, resource, &ctx.catalog)?
                    .unwrap_or_else(|| format!("{v}#elsewhere")))
            })
            .collect()
    };
    let filters = [
        (
            "TaskId",
            bare("TaskIdentifier", "opportunity-from-engagement-task")?,
        ),
        ("OpportunityId", strings(input, "OpportunityIdentifier")),
        ("EngagementId", bare("EngagementIdentifier", "engagement")?),
        ("ContextId", strings(input, "ContextIdentifier")),
        ("TaskStatus", strings(input, "TaskStatus")),
    ];
    task_page(
        svc,
        ctx,
        input,
        TaskKind::OpportunityFromEngagement,
        &filters,
    )
}
