//! Invitation records rendered as responses: the ListEngagementInvitations entry (as the
//! caller's role sees it), the GetEngagementInvitation document, and accept tasks.

use serde_json::{Map, Value, json};

use crate::domain::ids;
use crate::ops::Context;
use crate::store::{EngagementRecord, InvitationRecord, Role, TaskRecord};

/// The role the caller has in an invitation (the receiver role wins for a self-invitation,
/// which the service never creates).
pub(crate) fn role_of(ctx: &Context, rec: &InvitationRecord) -> Role {
    if rec.receiver_aws_account_id == ctx.account {
        Role::Receiver
    } else {
        Role::Sender
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Sender => "SENDER",
        Role::Receiver => "RECEIVER",
    }
}

fn receiver(rec: &InvitationRecord) -> Value {
    let mut account = json!({"AwsAccountId": rec.receiver_aws_account_id});
    if let Some(alias) = &rec.receiver_alias {
        account["Alias"] = json!(alias);
    }
    json!({"Account": account})
}

/// The status as of `now`: a `PENDING` invitation past its expiration date reads `EXPIRED`
/// even before [`super::flows::settle`] committed it.
pub(crate) fn status_at<'r>(rec: &'r InvitationRecord, now: &str) -> &'r str {
    if super::flows::is_due(rec, now) {
        super::flows::EXPIRED
    } else {
        &rec.status
    }
}

/// Members both views share.
fn common(ctx: &Context, rec: &InvitationRecord, title: &str, now: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert(
        "Arn".into(),
        json!(ids::invitation_arn(&ctx.region, &ctx.catalog, &rec.id)),
    );
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("Id".into(), json!(rec.id));
    out.insert("EngagementId".into(), json!(rec.engagement_id));
    out.insert("EngagementTitle".into(), json!(title));
    out.insert("PayloadType".into(), json!(rec.payload_type));
    out.insert("Status".into(), json!(status_at(rec, now)));
    out.insert("InvitationDate".into(), json!(rec.invitation_date));
    if let Some(expiry) = &rec.expiration_date {
        out.insert("ExpirationDate".into(), json!(expiry));
    }
    out.insert(
        "SenderAwsAccountId".into(),
        json!(rec.sender_aws_account_id),
    );
    out.insert("SenderCompanyName".into(), json!(rec.sender_company_name));
    out.insert("Receiver".into(), receiver(rec));
    out
}

/// The ListEngagementInvitations entry.
pub(crate) fn summary(
    ctx: &Context,
    rec: &InvitationRecord,
    engagement: &EngagementRecord,
    now: &str,
) -> Value {
    let mut out = common(ctx, rec, &engagement.title, now);
    out.insert(
        "ParticipantType".into(),
        json!(role_name(role_of(ctx, rec))),
    );
    Value::Object(out)
}

/// The GetEngagementInvitation document (the same for both parties).
pub(crate) fn invitation(
    ctx: &Context,
    rec: &InvitationRecord,
    engagement: &EngagementRecord,
    now: &str,
) -> Value {
    let mut out = common(ctx, rec, &engagement.title, now);
    if let Some(d) = &engagement.description {
        out.insert("EngagementDescription".into(), json!(d));
    }
    if let Some(m) = &rec.message {
        out.insert("InvitationMessage".into(), json!(m));
    }
    let existing: Vec<Value> = engagement
        .members
        .iter()
        .filter(|m| m.account_id != rec.receiver_aws_account_id)
        .map(|m| {
            let mut member = json!({"CompanyName": m.company_name});
            if let Some(url) = &m.website_url {
                member["WebsiteUrl"] = json!(url);
            }
            member
        })
        .collect();
    out.insert("ExistingMembers".into(), Value::Array(existing));
    out.insert("Payload".into(), Value::Object(rec.payload.clone()));
    if rec.status == "REJECTED"
        && let Some(reason) = &rec.rejection_reason
    {
        out.insert("RejectionReason".into(), json!(reason));
    }
    Value::Object(out)
}

/// An accept task as its response and its listing show it.
pub(crate) fn task(rec: &TaskRecord) -> Value {
    Value::Object(rec.doc.clone())
}
