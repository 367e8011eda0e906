//! The API operations of the invitation family: listing and reading invitations (sender and
//! receiver), accepting and rejecting them, the task that accepts an opportunity invitation
//! into the receiver's pipeline and its listing, and a member inviting another account.
//! Every operation first settles what the service clock made due (expiry, delayed tasks).

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::flows::{self, OPPORTUNITY_INVITATION, Sending};
use super::view;
use crate::domain::pagination;
use crate::domain::time;
use crate::domain::{AWS_PARTY, company_name, ids};
use crate::model::validate::Code;
use crate::ops::common::{
    keyset_after, keyset_page, page_size, resolve_id, str_at, strings, task_page,
};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{
    EngagementRecord, IdempotencyRecord, InvitationQuery, InvitationRecord, Role, Store, TaskKind,
    TaskRecord,
};

const INVITATION: &str = "engagement-invitation";
const ACCEPT_TASK: &str = "StartEngagementByAcceptingInvitationTask";
const CREATE_INVITATION: &str = "CreateEngagementInvitation";

/// Most members an engagement may have, and most open invitations one member may have sent
/// to it (Partner Central's multi-partner limits).
const MAX_MEMBERS: usize = 10;
const MAX_SENT: usize = 9;

/// The invitation `Identifier` names, as the caller may see it.
fn invitation_named(
    w_or_tx: &dyn crate::store::Tx,
    ctx: &Context,
    input: &Value,
) -> Result<InvitationRecord, ServiceError> {
    let value = str_at(input, "Identifier").unwrap_or_default();
    match resolve_id("Identifier", value, INVITATION, &ctx.catalog)? {
        Some(id) => access::invitation(w_or_tx, ctx, &id),
        None => Err(access::invitation_not_found(ctx, ids::id_of(value))),
    }
}

/// Refuses anyone but the receiver.
fn receiver_only(ctx: &Context, inv: &InvitationRecord, verb: &str) -> Result<(), ServiceError> {
    if inv.receiver_aws_account_id == ctx.account {
        Ok(())
    } else {
        Err(ServiceError::AccessDenied(format!(
            "Only the receiver of engagement invitation {} can {verb} it.",
            inv.id
        )))
    }
}

/// Refuses to decide an invitation an accept task is working on.
fn no_task_running(
    w: &Write<'_>,
    ctx: &Context,
    inv: &InvitationRecord,
) -> Result<(), ServiceError> {
    if let Some(task) = &inv.accepting_task_id
        && let Some(t) = w.tx.get_task(&access::private(ctx), task)?
        && t.status() == "IN_PROGRESS"
    {
        return Err(ServiceError::Conflict(format!(
            "Engagement invitation {} is being accepted by task {task}, which is in progress.",
            inv.id
        )));
    }
    Ok(())
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let fp = pagination::fingerprint(input);
    let after = keyset_after(input, &fp)?;
    let mut engagement_ids = Vec::new();
    for v in strings(input, "EngagementIdentifier") {
        // An engagement of another catalog matches nothing.
        engagement_ids.push(
            resolve_id("EngagementIdentifier", &v, "engagement", &ctx.catalog)?
                .unwrap_or_else(|| format!("{v}#elsewhere")),
        );
    }
    let limit = page_size(input, 20);
    let now = time::format(svc.clock.now());
    let query = InvitationQuery {
        account: ctx.account.clone(),
        role: match str_at(input, "ParticipantType") {
            Some("SENDER") => Role::Sender,
            _ => Role::Receiver,
        },
        statuses: strings(input, "Status"),
        payload_types: strings(input, "PayloadType"),
        engagement_ids,
        senders: strings(input, "SenderAwsAccountId"),
        now: now.clone(),
        descending: str_at(input, "Sort.SortOrder") != Some("ASCENDING"),
        after,
        limit: limit + 1,
    };
    let (mut page, engagements) = svc.store.read(|tx| {
        let mut page = tx.list_invitations(&ctx.catalog, &query)?;
        page.truncate(limit + 1);
        let mut engagements: HashMap<String, EngagementRecord> = HashMap::new();
        for inv in page.iter().take(limit) {
            if !engagements.contains_key(&inv.engagement_id)
                && let Some(e) = tx.get_engagement(&ctx.catalog, &inv.engagement_id)?
            {
                engagements.insert(e.id.clone(), e);
            }
        }
        Ok::<_, ServiceError>((page, engagements))
    })?;
    let more = page.len() > limit;
    page.truncate(limit);
    let items: Vec<Value> = page
        .iter()
        .filter_map(|inv| {
            let e = engagements.get(&inv.engagement_id)?;
            Some(view::summary(ctx, inv, e, &now))
        })
        .collect();
    let last = page
        .last()
        .filter(|_| more)
        .map(|l| (l.invitation_date.as_str(), l.id.as_str()));
    Ok(Reply::Doc(keyset_page(
        &fp,
        "EngagementInvitationSummaries",
        items,
        last,
    )))
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let now = time::format(svc.clock.now());
    let (inv, engagement) = svc.store.read(|tx| {
        let inv = invitation_named(tx, ctx, input)?;
        let engagement = access::engagement_of(tx, ctx, &inv)?;
        Ok::<_, ServiceError>((inv, engagement))
    })?;
    Ok(Reply::Doc(view::invitation(ctx, &inv, &engagement, &now)))
}

/// The receiver decides a `PENDING` invitation (`verb`: "accept" or "reject"), in one write.
fn decide<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    verb: &str,
    apply: impl FnOnce(&mut Write<'_>, &mut InvitationRecord) -> Result<(), ServiceError>,
) -> Result<Reply, ServiceError> {
    svc.write(ctx, |w| {
        let mut inv = invitation_named(w.tx, ctx, input)?;
        receiver_only(ctx, &inv, verb)?;
        no_task_running(w, ctx, &inv)?;
        if let Some(e) = flows::not_pending(&inv, &w.stamp(), &format!("{verb}ed")) {
            return Err(e);
        }
        apply(w, &mut inv)
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn accept<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    decide(svc, ctx, input, "accept", |w, inv| {
        flows::accept(w, &ctx.catalog, inv, None)
    })
}

pub fn reject<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let reason = str_at(input, "RejectionReason");
    decide(svc, ctx, input, "reject", |w, inv| {
        flows::reject(w, &ctx.catalog, inv, reason)
    })
}

/// StartEngagementByAcceptingInvitationTask. Calling it again for an invitation the caller
/// is accepting answers that task as it is now (the documented way to poll); a client token
/// replays the task it started, as it is now.
pub fn start_task<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    flows::settle_tasks(svc)?;
    let scope = access::private(ctx);
    let token = str_at(input, "ClientToken").unwrap_or_default().to_string();
    let hash = hex::encode(Sha256::digest(input.to_string().as_bytes()));
    let delay = svc.task_delay;
    let out = svc.write(ctx, |w| {
        let current = |w: &Write<'_>, id: &str| -> Result<Value, ServiceError> {
            let task = w.tx.get_task(&scope, id)?.ok_or_else(|| {
                ServiceError::NotFound(format!("Task {id} was not found."))
            })?;
            Ok(view::task(&task))
        };
        let mut inv = invitation_named(w.tx, ctx, input)?;
        receiver_only(ctx, &inv, "accept")?;
        if let Some(task) = &inv.accepting_task_id
            && w.tx.get_task(&scope, task)?.is_some()
        {
            return current(w, task);
        }
        if let Some(prior) = w.tx.get_idempotency(&scope, ACCEPT_TASK, &token)? {
            if prior.request_hash != hash {
                return Err(ServiceError::Conflict(
                    "Conflicting client token submitted for a new request body.".to_string(),
                ));
            }
            let id = prior.response.get("TaskId").and_then(Value::as_str).unwrap_or_default();
            return current(w, id);
        }
        if let Some(e) = flows::not_pending(&inv, &w.stamp(), "accepted") {
            return Err(e);
        }
        let task_id = ids::task_id();
        let mut doc = Map::new();
        doc.insert("TaskId".into(), json!(task_id));
        doc.insert(
            "TaskArn".into(),
            json!(ids::accepting_task_arn(&ctx.region, &ctx.catalog, &task_id)),
        );
        doc.insert("StartTime".into(), json!(w.stamp()));
        doc.insert("EngagementInvitationId".into(), json!(inv.id));
        doc.insert("TaskStatus".into(), json!("IN_PROGRESS"));
        let mut task = TaskRecord {
            id: task_id.clone(),
            start_time: w.stamp(),
            doc,
            kind: TaskKind::EngagementByAcceptingInvitation,
            complete_at: None,
            params: input.get("Tags").map(|t| json!({"Tags": t})),
        };
        w.tx.put_idempotency(
            &scope,
            ACCEPT_TASK,
            &token,
            &IdempotencyRecord {
                request_hash: hash.clone(),
                response: json!({"TaskId": task_id}),
            },
        )?;
        if inv.payload_type != OPPORTUNITY_INVITATION {
            task.doc.insert("TaskStatus".into(), json!("FAILED"));
            task.doc.insert("ReasonCode".into(), json!("InvitationValidationFailed"));
            task.doc.insert(
                "Message".into(),
                json!(format!(
                    "Engagement invitation {} carries a {}; accept it with AcceptEngagementInvitation.",
                    inv.id, inv.payload_type
                )),
            );
            w.tx.put_task(&scope, &task)?;
            return Ok(view::task(&task));
        }
        inv.accepting_task_id = Some(task_id);
        w.tx.put_invitation(&ctx.catalog, &inv)?;
        if delay.is_zero() {
            flows::complete_accept_task(w, ctx, &mut task)?;
        } else {
            let due = w.now + chrono::Duration::milliseconds(delay.as_millis() as i64);
            task.complete_at = Some(crate::domain::time::format(due));
            w.tx.put_task(&scope, &task)?;
        }
        Ok(view::task(&task))
    })?;
    Ok(Reply::Doc(out))
}

pub fn list_tasks<S: Store>(
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
            bare("TaskIdentifier", "engagement-by-accepting-invitation-task")?,
        ),
        ("OpportunityId", strings(input, "OpportunityIdentifier")),
        (
            "EngagementInvitationId",
            bare("EngagementInvitationIdentifier", INVITATION)?,
        ),
        ("TaskStatus", strings(input, "TaskStatus")),
    ];
    task_page(
        svc,
        ctx,
        input,
        TaskKind::EngagementByAcceptingInvitation,
        &filters,
    )
}

/// CreateEngagementInvitation: a member of an engagement invites another partner account.
pub fn create<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        crate::ops::common::idempotent(w, svc.model, &scope, CREATE_INVITATION, input, |w| {
            let engagement_id = str_at(input, "EngagementIdentifier").unwrap_or_default();
            let mut engagement = access::engagement(w.tx, ctx, engagement_id)?;
            let receiver = str_at(input, "Invitation.Receiver.Account.AwsAccountId")
                .unwrap_or_default()
                .to_string();
            const RECEIVER: &str = "Invitation.Receiver.Account.AwsAccountId";
            if receiver == AWS_PARTY || receiver == ctx.account || !ids::is_account_id(&receiver) {
                return Err(ServiceError::business(
                    RECEIVER,
                    Code::InvalidValue,
                    format!(
                        "{RECEIVER} must be the 12-digit account of another partner; got '{receiver}'."
                    ),
                ));
            }
            let now = w.stamp();
            let open = |i: &InvitationRecord| {
                matches!(view::status_at(i, &now), flows::PENDING | flows::ACCEPTED)
            };
            let sent = w.tx.engagement_invitations(&ctx.catalog, &engagement.id)?;
            if let Some(prior) = sent
                .iter()
                .find(|i| i.receiver_aws_account_id == receiver && open(i))
            {
                return Err(ServiceError::Conflict(format!(
                    "Account {receiver} already has a {} invitation ({}) to engagement {}.",
                    view::status_at(prior, &now),
                    prior.id,
                    engagement.id
                )));
            }
            if engagement.is_member(&receiver) {
                return Err(ServiceError::Conflict(format!(
                    "Account {receiver} is already a member of engagement {}.",
                    engagement.id
                )));
            }
            if engagement.members.len() >= MAX_MEMBERS {
                return Err(ServiceError::QuotaExceeded(format!(
                    "Engagement {} already has the maximum of {MAX_MEMBERS} members.",
                    engagement.id
                )));
            }
            let open_sent = sent
                .iter()
                .filter(|i| i.sender_aws_account_id == ctx.account && open(i))
                .count();
            if open_sent >= MAX_SENT {
                return Err(ServiceError::QuotaExceeded(format!(
                    "Account {} already has {MAX_SENT} open invitations to engagement {}.",
                    ctx.account, engagement.id
                )));
            }
            let payload = input
                .get("Invitation")
                .and_then(|i| i.get("Payload"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let s = Sending {
                sender: ctx.account.clone(),
                sender_company: company_name(&ctx.account),
                receiver,
                receiver_alias: str_at(input, "Invitation.Receiver.Account.Alias")
                    .map(str::to_string),
                message: str_at(input, "Invitation.Message").map(str::to_string),
                invitation_id: None,
                engagement_title: None,
                engagement_description: None,
            };
            let inv = flows::send_to_member(w, ctx, &mut engagement, &s, payload)?;
            Ok(json!({"Id": inv.id, "Arn": ids::invitation_arn(&ctx.region, &ctx.catalog, &inv.id)}))
        })
    })?;
    Ok(Reply::Doc(out))
}
