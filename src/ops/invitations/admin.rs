//! What the control plane does with invitations, playing AWS (or another partner): send an
//! AWS referral or a lead to an account, and read or move the service clock that expiry and
//! delayed tasks follow. Bodies are checked against the model before anything is written.

use serde_json::{Map, Value, json};

use super::flows::{self, LEAD_MESSAGE, REFERRAL_MESSAGE, Sending};
use crate::domain::{AWS_PARTY, company_name, ids, time};
use crate::model::validate::Code;
use crate::ops::common::check_shape;
use crate::ops::{Context, Service, ServiceError};
use crate::store::Store;

/// The members a control-plane invitation body may have.
const MEMBERS: [&str; 11] = [
    "Opportunity",
    "LeadInvitation",
    "LeadContact",
    "SenderAwsAccountId",
    "SenderCompanyName",
    "Message",
    "ReceiverAlias",
    "EngagementTitle",
    "EngagementDescription",
    "InvitationId",
    "OpportunityId",
];

fn bad(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, Code::InvalidValue, message)
}

/// An optional string member of at most `max` characters.
fn text(body: &Map<String, Value>, name: &str, max: usize) -> Result<Option<String>, ServiceError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(bad(name, format!("{name} must have 1 to {max} characters"))),
        Some(_) => Err(bad(name, format!("{name} must be a string"))),
    }
}

/// Sends an invitation to the account of `ctx` in its catalog: an AWS referral
/// (`Opportunity`: CreateOpportunity's own members) or a lead (`LeadInvitation`). Answers the
/// ids it created.
pub fn send<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    body: &Map<String, Value>,
) -> Result<Value, ServiceError> {
    if let Some(unknown) = body.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(bad(
            unknown,
            format!(
                "{unknown} is not a member of an invitation; members: {}",
                MEMBERS.join(", ")
            ),
        ));
    }
    let sender = text(body, "SenderAwsAccountId", 12)?.unwrap_or_else(|| AWS_PARTY.to_string());
    if sender != AWS_PARTY && !ids::is_account_id(&sender) {
        return Err(bad(
            "SenderAwsAccountId",
            "SenderAwsAccountId must be 'aws' or 12 digits",
        ));
    }
    if sender == ctx.account {
        return Err(bad("SenderAwsAccountId", "an account cannot invite itself"));
    }
    let invitation_id = text(body, "InvitationId", 18)?;
    if let Some(id) = &invitation_id
        && !ids::is_invitation_id(id)
    {
        return Err(bad(
            "InvitationId",
            format!("InvitationId '{id}' must match engi-[0-9a-z]{{13}}"),
        ));
    }
    let mut s = Sending {
        sender_company: text(body, "SenderCompanyName", 120)?
            .unwrap_or_else(|| company_name(&sender)),
        sender,
        receiver: ctx.account.clone(),
        receiver_alias: text(body, "ReceiverAlias", 80)?,
        message: text(body, "Message", 255)?,
        invitation_id,
        engagement_title: text(body, "EngagementTitle", 40)?,
        engagement_description: text(body, "EngagementDescription", 255)?,
    };
    let sent = match (body.get("Opportunity"), body.get("LeadInvitation")) {
        (Some(Value::Object(opp)), None) => {
            let mut request = opp.clone();
            for m in ["Catalog", "ClientToken", "Origin"] {
                if request.contains_key(m) {
                    return Err(bad(
                        &format!("Opportunity.{m}"),
                        format!("Opportunity.{m} is set by the emulator"),
                    ));
                }
            }
            request.insert("Catalog".into(), json!(ctx.catalog));
            request.insert("ClientToken".into(), json!("control-plane"));
            request.insert("Origin".into(), json!("AWS Referral"));
            check_shape(
                svc.model,
                "CreateOpportunityRequest",
                &Value::Object(request),
            )
            .map_err(|e| prefix(e, "Opportunity."))?;
            check_referral(opp).map_err(|e| prefix(e, "Opportunity."))?;
            s.message
                .get_or_insert_with(|| REFERRAL_MESSAGE.to_string());
            let opp = opp.clone();
            svc.write(ctx, |w| flows::send_referral(w, &ctx.catalog, &s, opp))?
        }
        (None, Some(Value::Object(lead))) => {
            check_shape(
                svc.model,
                "LeadInvitationPayload",
                &Value::Object(lead.clone()),
            )
            .map_err(|e| prefix(e, "LeadInvitation."))?;
            let contact = match body.get("LeadContact") {
                None | Some(Value::Null) => None,
                Some(c) => {
                    // The title the lead's interaction names, unless the contact has its own.
                    let mut c = c.clone();
                    if let (Some(m), Some(t)) = (
                        c.as_object_mut(),
                        lead.get("Interaction")
                            .and_then(|i| i.get("ContactBusinessTitle")),
                    ) {
                        m.entry("BusinessTitle").or_insert_with(|| t.clone());
                    }
                    check_shape(svc.model, "LeadContact", &c)
                        .map_err(|e| prefix(e, "LeadContact."))?;
                    Some(c)
                }
            };
            s.message.get_or_insert_with(|| LEAD_MESSAGE.to_string());
            let lead = lead.clone();
            svc.write(ctx, |w| {
                flows::send_lead(w, &ctx.catalog, &s, lead, contact)
            })?
        }
        _ => {
            return Err(bad(
                "Opportunity",
                "the body needs exactly one of Opportunity (an AWS referral, in CreateOpportunity's members) \
                 or LeadInvitation (a LeadInvitationPayload), as an object",
            ));
        }
    };
    let payload_type = if sent.opportunity_id.is_some() {
        flows::OPPORTUNITY_INVITATION
    } else {
        flows::LEAD_INVITATION
    };
    let mut out = json!({
        "InvitationId": sent.invitation_id,
        "InvitationArn": ids::invitation_arn(&ctx.region, &ctx.catalog, &sent.invitation_id),
        "EngagementId": sent.engagement_id,
        "EngagementArn": ids::engagement_arn(&ctx.region, &ctx.catalog, &sent.engagement_id),
        "PayloadType": payload_type,
    });
    if let Some(id) = sent.opportunity_id {
        out["OpportunityId"] = json!(id);
    }
    Ok(out)
}

/// Names the control-plane member a violation is under.
fn prefix(e: ServiceError, at: &str) -> ServiceError {
    match e {
        ServiceError::Invalid(mut v) | ServiceError::Business(mut v) => {
            for f in &mut v {
                f.field = if f.field.is_empty() {
                    at.trim_end_matches('.').to_string()
                } else {
                    format!("{at}{}", f.field)
                };
            }
            ServiceError::Invalid(v)
        }
        other => other,
    }
}

/// What an AWS referral needs beyond CreateOpportunity's model: every member its invitation
/// shows and the model requires there (`OpportunityInvitationPayload`).
const REFERRAL_REQUIRES: [&str; 7] = [
    "Customer.Account.CompanyName",
    "Customer.Account.Industry",
    "Customer.Account.WebsiteUrl",
    "Customer.Account.Address.CountryCode",
    "Project.Title",
    "Project.CustomerBusinessProblem",
    "LifeCycle.TargetCloseDate",
];

/// Refuses an AWS referral its invitation could not show (`REQUIRED_FIELD_MISSING`, one entry
/// per missing member).
pub fn check_referral(doc: &Map<String, Value>) -> Result<(), ServiceError> {
    let has = |path: &str| {
        let mut parts = path.split('.');
        let first = parts.next().and_then(|p| doc.get(p));
        parts
            .try_fold(first, |cur, p| Some(cur.and_then(|c| c.get(p))))
            .flatten()
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let mut missing = Vec::new();
    for path in REFERRAL_REQUIRES {
        if !has(path) {
            missing.push(crate::model::validate::FieldViolation::new(
                path,
                Code::RequiredFieldMissing,
                format!("{path} is required for an AWS referral: its invitation shows it."),
            ));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Business(missing))
    }
}

/// The clock as `GET /_admin/clock` shows it.
pub fn clock<S: Store>(svc: &Service<S>) -> Value {
    let offset = svc.clock.offset_millis();
    json!({
        "now": time::format(svc.clock.now()),
        "mode": if offset == 0 { "real" } else { "offset" },
        "offsetMs": offset,
    })
}

/// `POST /_admin/clock`: `{"now": "<RFC 3339>"}` or `{"advance": "<ISO 8601 duration>"}`.
pub fn set_clock<S: Store>(
    svc: &Service<S>,
    body: &Map<String, Value>,
) -> Result<Value, ServiceError> {
    let offset = match (body.get("now"), body.get("advance"), body.len()) {
        (Some(Value::String(now)), None, 1) => {
            let target = time::parse(now).ok_or_else(|| {
                bad(
                    "now",
                    format!("now '{now}' is not an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z)"),
                )
            })?;
            target.timestamp_millis() - time::now().timestamp_millis()
        }
        (None, Some(Value::String(d)), 1) => {
            let step = time::parse_duration(d).map_err(|m| bad("advance", m))?;
            svc.clock.offset_millis().saturating_add(step)
        }
        _ => {
            return Err(bad(
                "body",
                "the body needs exactly one of {\"now\": \"<RFC 3339>\"} or {\"advance\": \"<ISO 8601 duration, e.g. P16D>\"}, as a string",
            ));
        }
    };
    svc.set_clock_offset(offset)?;
    Ok(clock(svc))
}
