//! How invitations and engagements come and go, for this family's operations and for the
//! other doors that create or decide them: an AWS referral (Sandbox CreateOpportunity, the
//! control plane), a partner's submission to AWS (StartEngagementFromOpportunityTask) and
//! AWS's review of it, accepting (at once or as a delayed task), and expiry on the service
//! clock ([`settle`]).

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::domain::changes::{Change, InvitationEvent, InvitationFacts};
use crate::domain::lifecycle::{self, APPROVED, SUBMITTED};
use crate::domain::{AWS_PARTY, aws_side, company_name, ids, time};
use crate::ops::opportunities::view as opportunity_view;
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::store::{
    EngagementMember, EngagementRecord, InvitationRecord, OpportunityRecord, Referral, Scope,
    Store, Submission, TaskKind, TaskRecord,
};

pub const PENDING: &str = "PENDING";
pub const ACCEPTED: &str = "ACCEPTED";
pub const REJECTED: &str = "REJECTED";
pub const EXPIRED: &str = "EXPIRED";

pub const OPPORTUNITY_INVITATION: &str = "OpportunityInvitation";
pub const LEAD_INVITATION: &str = "LeadInvitation";

/// How long an invitation to a partner stays open (model docs, captures: exactly 15 days).
pub const EXPIRY_DAYS: i64 = 15;

/// The message of an AWS referral (ours; the real text is AWS's).
pub const REFERRAL_MESSAGE: &str = "AWS referred this opportunity to you. Accepting the invitation creates an AWS-originated opportunity in your pipeline.";
/// The message of a lead AWS shares.
pub const LEAD_MESSAGE: &str =
    "AWS shares a lead with you. Accept the invitation to see the contact details.";

/// The sandbox partner development manager an AWS referral names as its sender contact.
fn aws_sender_contacts() -> Value {
    json!([{"BusinessTitle": "PDM", "Email": "pdm-sandbox@partnercentral.local",
            "FirstName": "Sandbox", "LastName": "Partner Development Manager"}])
}

/// The first `n` characters of `text`.
fn cut(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

fn text_at<'v>(doc: &'v Map<String, Value>, path: &str) -> Option<&'v str> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Copies the members of `from` that are present into a new object, under new names.
fn pick(doc: &Map<String, Value>, members: &[(&str, &str)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (to, path) in members {
        let mut parts = path.split('.');
        let Some(first) = parts.next() else { continue };
        let mut cur = doc.get(first);
        for p in parts {
            cur = cur.and_then(|c| c.get(p));
        }
        if let Some(v) = cur.filter(|v| !v.is_null()) {
            out.insert((*to).into(), v.clone());
        }
    }
    out
}

/// The `OpportunityInvitation` payload an opportunity document (CreateOpportunity's member
/// names) is shown as: customer and project only; the address beyond the country, contacts,
/// the customer's AWS account and related entities are withheld until acceptance.
pub fn opportunity_payload(
    doc: &Map<String, Value>,
    responsibilities: &[&str],
    sender_contacts: Value,
) -> Map<String, Value> {
    let customer = pick(
        doc,
        &[
            ("CompanyName", "Customer.Account.CompanyName"),
            ("CountryCode", "Customer.Account.Address.CountryCode"),
            ("Industry", "Customer.Account.Industry"),
            ("WebsiteUrl", "Customer.Account.WebsiteUrl"),
        ],
    );
    let mut project = pick(
        doc,
        &[
            ("Title", "Project.Title"),
            ("BusinessProblem", "Project.CustomerBusinessProblem"),
            ("TargetCompletionDate", "LifeCycle.TargetCloseDate"),
        ],
    );
    let spend: Vec<Value> = doc
        .get("Project")
        .and_then(|p| p.get("ExpectedCustomerSpend"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let mut item = item.clone();
                    if let Some(m) = item.as_object_mut() {
                        m.remove("EstimationUrl");
                    }
                    item
                })
                .collect()
        })
        .unwrap_or_default();
    project.insert("ExpectedCustomerSpend".into(), Value::Array(spend));
    let mut inner = Map::new();
    inner.insert("Customer".into(), Value::Object(customer));
    inner.insert("Project".into(), Value::Object(project));
    inner.insert("ReceiverResponsibilities".into(), json!(responsibilities));
    if sender_contacts.as_array().is_some_and(|a| !a.is_empty()) {
        inner.insert("SenderContacts".into(), sender_contacts);
    }
    let mut payload = Map::new();
    payload.insert(OPPORTUNITY_INVITATION.into(), Value::Object(inner));
    payload
}

/// The `CustomerProject` payload made from an opportunity document.
pub(crate) fn customer_project_of(doc: &Map<String, Value>) -> Value {
    let customer = pick(
        doc,
        &[
            ("Industry", "Customer.Account.Industry"),
            ("CompanyName", "Customer.Account.CompanyName"),
            ("WebsiteUrl", "Customer.Account.WebsiteUrl"),
            ("CountryCode", "Customer.Account.Address.CountryCode"),
        ],
    );
    let project = pick(
        doc,
        &[
            ("Title", "Project.Title"),
            ("BusinessProblem", "Project.CustomerBusinessProblem"),
            ("TargetCompletionDate", "LifeCycle.TargetCloseDate"),
        ],
    );
    json!({"Customer": customer, "Project": project})
}

/// The CustomerProject context of an engagement made from an opportunity document.
fn customer_project(doc: &Map<String, Value>) -> Value {
    json!({"Id": "1", "Type": "CustomerProject",
           "Payload": {"CustomerProject": customer_project_of(doc)}})
}

fn member(account: &str, company: &str, joined: &str) -> EngagementMember {
    EngagementMember {
        account_id: account.to_string(),
        company_name: company.to_string(),
        website_url: (account == AWS_PARTY).then(|| "www.aws.com".to_string()),
        joined_at: joined.to_string(),
    }
}

/// An engagement's next modification time: strictly after its last one, so that
/// `EngagementLastModifiedAt` (UpdateEngagementContext's concurrency token) tells every version
/// apart.
pub(crate) fn engagement_modified(previous: &str, w: &Write<'_>) -> String {
    time::format(time::next_modified(previous, w.now))
}

/// Who sends an invitation and how it reads.
pub struct Sending {
    pub sender: String,
    pub sender_company: String,
    pub receiver: String,
    pub receiver_alias: Option<String>,
    pub message: Option<String>,
    /// A pinned id (control plane), else a new one.
    pub invitation_id: Option<String>,
    pub engagement_title: Option<String>,
    pub engagement_description: Option<String>,
}

/// What sending created.
pub struct Sent {
    pub invitation_id: String,
    pub engagement_id: String,
    pub opportunity_id: Option<String>,
}

fn new_invitation(
    w: &Write<'_>,
    s: &Sending,
    engagement_id: &str,
    payload: Map<String, Value>,
) -> InvitationRecord {
    let expiry =
        (s.receiver != AWS_PARTY).then(|| time::format(w.now + Duration::days(EXPIRY_DAYS)));
    InvitationRecord {
        id: s.invitation_id.clone().unwrap_or_else(ids::invitation_id),
        engagement_id: engagement_id.to_string(),
        payload_type: payload.keys().next().cloned().unwrap_or_default(),
        status: PENDING.to_string(),
        invitation_date: w.stamp(),
        expiration_date: expiry,
        sender_aws_account_id: s.sender.clone(),
        sender_company_name: s.sender_company.clone(),
        receiver_aws_account_id: s.receiver.clone(),
        receiver_alias: s.receiver_alias.clone(),
        message: s.message.clone(),
        payload,
        rejection_reason: None,
        decided_at: None,
        accepting_task_id: None,
        referral: None,
    }
}

fn new_engagement(
    w: &Write<'_>,
    s: &Sending,
    title: String,
    description: Option<String>,
    context: Value,
) -> EngagementRecord {
    let now = w.stamp();
    EngagementRecord {
        id: ids::engagement_id(),
        title: cut(s.engagement_title.as_deref().unwrap_or(&title), 40),
        description: s
            .engagement_description
            .clone()
            .or(description)
            .map(|d| cut(&d, 255)),
        created_at: now.clone(),
        created_by: s.sender.clone(),
        modified_at: now.clone(),
        modified_by: s.sender.clone(),
        members: vec![member(&s.sender, &s.sender_company, &now)],
        contexts: vec![context],
        resources: Vec::new(),
    }
}

/// Stores a new invitation with its engagement and records it as sent (events to its parties).
fn record_sent(
    w: &mut Write<'_>,
    catalog: &str,
    engagement: &EngagementRecord,
    inv: &InvitationRecord,
) -> Result<(), ServiceError> {
    w.tx.put_engagement(catalog, engagement)?;
    w.tx.put_invitation(catalog, inv)?;
    w.changed(Change::Invitation {
        event: InvitationEvent::Created,
        facts: InvitationFacts::of(catalog, inv),
    });
    Ok(())
}

/// Refuses a pinned invitation id that is taken in the catalog.
fn check_pinned(w: &Write<'_>, catalog: &str, s: &Sending) -> Result<(), ServiceError> {
    if let Some(id) = &s.invitation_id
        && w.tx.get_invitation(catalog, id)?.is_some()
    {
        return Err(ServiceError::Conflict(format!(
            "Engagement invitation {id} already exists in catalog {catalog}."
        )));
    }
    Ok(())
}

/// AWS refers an opportunity (`document`, in CreateOpportunity's member names, without
/// `Catalog`, `ClientToken` and `Origin`) to `s.receiver`: the opportunity id is reserved
/// now, and an engagement and a `PENDING` invitation are created; the opportunity itself
/// reaches the receiver's pipeline when the invitation is accepted.
pub fn send_referral(
    w: &mut Write<'_>,
    catalog: &str,
    s: &Sending,
    document: Map<String, Value>,
) -> Result<Sent, ServiceError> {
    check_pinned(w, catalog, s)?;
    let num = w.tx.next_opportunity_number()?;
    let title = text_at(&document, "Project.Title")
        .unwrap_or_default()
        .to_string();
    let description = text_at(&document, "Project.CustomerBusinessProblem").map(str::to_string);
    let mut engagement = new_engagement(w, s, title, description, customer_project(&document));
    let contacts = if s.sender == AWS_PARTY {
        aws_sender_contacts()
    } else {
        json!([])
    };
    let payload = opportunity_payload(
        &document,
        &["Services Partner", "Software Partner"],
        contacts,
    );
    let mut inv = new_invitation(w, s, &engagement.id, payload);
    inv.referral = Some(Referral {
        opportunity_id: ids::opportunity_id(num),
        opportunity_number: num,
        created_date: w.stamp(),
        document,
    });
    engagement.modified_at = inv.invitation_date.clone();
    record_sent(w, catalog, &engagement, &inv)?;
    Ok(Sent {
        invitation_id: inv.id,
        engagement_id: engagement.id,
        opportunity_id: Some(ids::opportunity_id(num)),
    })
}

/// AWS (or a partner) shares a lead (`lead`: a `LeadInvitationPayload`) with `s.receiver`.
/// `contact` (`LeadContact`) reaches the engagement's Lead context only.
pub fn send_lead(
    w: &mut Write<'_>,
    catalog: &str,
    s: &Sending,
    lead: Map<String, Value>,
    contact: Option<Value>,
) -> Result<Sent, ServiceError> {
    check_pinned(w, catalog, s)?;
    let company = text_at(&lead, "Customer.CompanyName").unwrap_or("Customer");
    let title = format!("{company} lead");
    let mut interaction = lead.get("Interaction").cloned().unwrap_or(json!({}));
    let mut contact = contact.unwrap_or_else(
        || json!({"FirstName": "Lead", "LastName": "Contact", "Email": "lead-contact@example.com"}),
    );
    if let Some(t) = interaction.get("ContactBusinessTitle").cloned() {
        contact["BusinessTitle"] = t;
    }
    if let Some(i) = interaction.as_object_mut() {
        i.remove("ContactBusinessTitle");
        i.insert("Contact".into(), contact);
        // AWS dates an interaction sent without a date (captured: the request's time).
        i.entry("InteractionDate")
            .or_insert_with(|| json!(w.stamp()));
    }
    // The invitation's customer has a flat CountryCode; the lead context's is under Address.
    let mut customer = lead
        .get("Customer")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(code) = customer.remove("CountryCode") {
        customer.insert("Address".into(), json!({"CountryCode": code}));
    }
    let context = json!({"Id": "1", "Type": "Lead", "Payload": {"Lead": {
        "Customer": customer,
        "Interactions": [interaction]}}});
    let engagement = new_engagement(w, s, title, None, context);
    let mut payload = Map::new();
    payload.insert(LEAD_INVITATION.into(), Value::Object(lead));
    let inv = new_invitation(w, s, &engagement.id, payload);
    record_sent(w, catalog, &engagement, &inv)?;
    Ok(Sent {
        invitation_id: inv.id,
        engagement_id: engagement.id,
        opportunity_id: None,
    })
}

/// A member of an engagement invites another account (CreateEngagementInvitation), after
/// the caller's checks.
pub fn send_to_member(
    w: &mut Write<'_>,
    ctx: &Context,
    engagement: &mut EngagementRecord,
    s: &Sending,
    payload: Map<String, Value>,
) -> Result<InvitationRecord, ServiceError> {
    let inv = new_invitation(w, s, &engagement.id, payload);
    engagement.modified_at = engagement_modified(&engagement.modified_at, w);
    engagement.modified_by = ctx.account.clone();
    record_sent(w, &ctx.catalog, engagement, &inv)?;
    Ok(inv)
}

/// The engagement and the invitation to AWS a partner's submission creates
/// (StartEngagementFromOpportunityTask), with the ids the task reports.
pub fn record_submission(
    w: &mut Write<'_>,
    ctx: &Context,
    opp: &OpportunityRecord,
    engagement_id: &str,
    invitation_id: Option<&str>,
) -> Result<(), ServiceError> {
    let s = Sending {
        sender: ctx.account.clone(),
        sender_company: company_name(&ctx.account),
        receiver: AWS_PARTY.to_string(),
        receiver_alias: Some("AWS".to_string()),
        message: Some(format!(
            "Opportunity {} submitted to AWS for co-sell review.",
            opp.id
        )),
        invitation_id: invitation_id.map(str::to_string),
        engagement_title: None,
        engagement_description: None,
    };
    let mut engagement = match w.tx.get_engagement(&ctx.catalog, engagement_id)? {
        // A converted lead's engagement: the submission joins it.
        Some(mut e) => {
            e.modified_at = engagement_modified(&e.modified_at, w);
            e.modified_by = ctx.account.clone();
            e
        }
        None => {
            let title = opp.text("Project.Title").unwrap_or(&opp.id).to_string();
            let description = opp
                .text("Project.CustomerBusinessProblem")
                .map(str::to_string);
            let mut e = new_engagement(w, &s, title, description, customer_project(&opp.doc));
            e.id = engagement_id.to_string();
            e
        }
    };
    let linked = engagement.resources.iter().any(|r| {
        r.get("resourceId").and_then(Value::as_str) == Some(opp.id.as_str())
            && r.get("accountId").and_then(Value::as_str) == Some(ctx.account.as_str())
    });
    if !linked {
        engagement.resources.push(json!({"accountId": ctx.account,
            "resourceType": "Opportunity", "resourceId": opp.id}));
    }
    let contacts: Vec<Value> = opp
        .doc
        .get("OpportunityTeam")
        .and_then(Value::as_array)
        .map(|team| {
            team.iter()
                .filter(|m| m.get("Email").is_some())
                .take(3)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    w.tx.put_engagement(&ctx.catalog, &engagement)?;
    if invitation_id.is_some() {
        let payload = opportunity_payload(&opp.doc, &["Co-Sell Facilitator"], json!(contacts));
        let inv = new_invitation(w, &s, engagement_id, payload);
        w.tx.put_invitation(&ctx.catalog, &inv)?;
    }
    Ok(())
}

/// AWS's review decides the invitation a submission sent it: approval accepts it (AWS joins
/// the engagement), rejection rejects it. Other decisions leave it pending.
pub fn record_review(
    w: &mut Write<'_>,
    ctx: &Context,
    opp: &OpportunityRecord,
    decision: &str,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    let Some(sub) = &opp.submission else {
        return Ok(());
    };
    let (Some(eng_id), Some(inv_id)) = (&sub.engagement_id, &sub.invitation_id) else {
        return Ok(());
    };
    let Some(mut inv) = w.tx.get_invitation(&ctx.catalog, inv_id)? else {
        return Ok(());
    };
    if inv.status != PENDING {
        return Ok(());
    }
    let now = w.stamp();
    match decision {
        APPROVED => {
            inv.status = ACCEPTED.to_string();
            if let Some(mut e) = w.tx.get_engagement(&ctx.catalog, eng_id)?
                && !e.is_member(AWS_PARTY)
            {
                e.members.push(member(AWS_PARTY, "AWS", &now));
                e.modified_at = engagement_modified(&e.modified_at, w);
                e.modified_by = AWS_PARTY.to_string();
                w.tx.put_engagement(&ctx.catalog, &e)?;
            }
            approve_followers(w, ctx, eng_id)?;
        }
        lifecycle::REJECTED => {
            inv.status = REJECTED.to_string();
            inv.rejection_reason = reason.map(str::to_string);
        }
        _ => return Ok(()),
    }
    inv.decided_at = Some(now);
    w.tx.put_invitation(&ctx.catalog, &inv)?;
    Ok(())
}

/// The partners the caller invited follow its approval (the documented multi-partner flow):
/// each one's opportunity in the engagement that came from the caller's invitation and is
/// still `Submitted` becomes `Approved`, with its AWS summary, in the same transaction.
fn approve_followers(
    w: &mut Write<'_>,
    ctx: &Context,
    engagement_id: &str,
) -> Result<(), ServiceError> {
    let Some(e) = w.tx.get_engagement(&ctx.catalog, engagement_id)? else {
        return Ok(());
    };
    for r in &e.resources {
        let (Some(account), Some(id)) = (
            r.get("accountId").and_then(Value::as_str),
            r.get("resourceId").and_then(Value::as_str),
        ) else {
            continue;
        };
        if account == ctx.account {
            continue;
        }
        let scope = Scope {
            account: account.to_string(),
            catalog: ctx.catalog.clone(),
        };
        let Some(mut opp) = w.tx.get_opportunity(&scope, id)? else {
            continue;
        };
        if opp.text("LifeCycle.ReviewStatus") != Some(SUBMITTED) {
            continue;
        }
        let invited_by_caller = match opp
            .submission
            .as_ref()
            .and_then(|s| s.invitation_id.as_ref())
        {
            Some(inv) => {
                w.tx.get_invitation(&ctx.catalog, inv)?
                    .is_some_and(|i| i.sender_aws_account_id == ctx.account)
            }
            None => false,
        };
        if !invited_by_caller {
            continue;
        }
        if let Some(lc) = opp.doc.get_mut("LifeCycle").and_then(Value::as_object_mut) {
            lc.insert("ReviewStatus".into(), json!(APPROVED));
        }
        opp.last_modified_date = time::format(time::next_modified(&opp.last_modified_date, w.now));
        let other = Context {
            account: account.to_string(),
            catalog: ctx.catalog.clone(),
            region: ctx.region.clone(),
        };
        w.tx.put_opportunity(&scope, &opp, &opportunity_view::listing(&other, &opp))?;
        if w.tx.get_aws_summary(&scope, id)?.is_none() {
            w.tx.put_aws_summary(&scope, &aws_side::new_summary(&opp))?;
        }
        // AWS's decision, for the member's opportunity (its AWS view follows, as the owner's).
        w.changed(Change::ForAccount {
            account: account.to_string(),
            change: Box::new(Change::Reviewed {
                id: id.to_string(),
                decision: APPROVED.to_string(),
                engagement: None,
            }),
        });
    }
    Ok(())
}

/// Why an invitation cannot be acted on at `now`, if it cannot (an invitation past its
/// expiration date is `EXPIRED`, settled or not).
pub fn not_pending(inv: &InvitationRecord, now: &str, verb: &str) -> Option<ServiceError> {
    let status = super::view::status_at(inv, now);
    (status != PENDING).then(|| {
        ServiceError::Conflict(format!(
            "Engagement invitation {} is {status}; only a PENDING invitation can be {verb}.",
            inv.id
        ))
    })
}

/// Adds the receiver of `inv` to its engagement, recording the change for every partner
/// member.
fn join(
    w: &mut Write<'_>,
    catalog: &str,
    inv: &InvitationRecord,
    resource: Option<&str>,
) -> Result<(), ServiceError> {
    let Some(mut e) = w.tx.get_engagement(catalog, &inv.engagement_id)? else {
        return Ok(());
    };
    let now = w.stamp();
    let account = inv.receiver_aws_account_id.clone();
    if !e.is_member(&account) {
        e.members
            .push(member(&account, &company_name(&account), &now));
    }
    if let Some(id) = resource {
        e.resources.push(json!({"accountId": account,
            "resourceType": "Opportunity", "resourceId": id}));
    }
    e.modified_at = engagement_modified(&e.modified_at, w);
    e.modified_by = account.clone();
    w.tx.put_engagement(catalog, &e)?;
    w.changed(Change::MemberAdded {
        catalog: catalog.to_string(),
        engagement_id: e.id.clone(),
        account: account.clone(),
        company: company_name(&account),
        recipients: e.members.iter().map(|m| m.account_id.clone()).collect(),
    });
    Ok(())
}

/// Marks `inv` accepted by its receiver (AcceptEngagementInvitation, or a completing task).
pub fn accept(
    w: &mut Write<'_>,
    catalog: &str,
    inv: &mut InvitationRecord,
    opportunity: Option<&str>,
) -> Result<(), ServiceError> {
    inv.status = ACCEPTED.to_string();
    inv.decided_at = Some(w.stamp());
    w.tx.put_invitation(catalog, inv)?;
    w.changed(Change::Invitation {
        event: InvitationEvent::Accepted,
        facts: InvitationFacts::of(catalog, inv),
    });
    join(w, catalog, inv, opportunity)
}

/// Marks `inv` rejected by its receiver.
pub fn reject(
    w: &mut Write<'_>,
    catalog: &str,
    inv: &mut InvitationRecord,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    inv.status = REJECTED.to_string();
    inv.rejection_reason = reason.map(str::to_string);
    inv.decided_at = Some(w.stamp());
    w.tx.put_invitation(catalog, inv)?;
    w.changed(Change::Invitation {
        event: InvitationEvent::Rejected,
        facts: InvitationFacts::of(catalog, inv),
    });
    Ok(())
}

/// Whether `inv` is past its expiration date at `now` (and still pending).
pub fn is_due(inv: &InvitationRecord, now: &str) -> bool {
    inv.status == PENDING
        && inv
            .expiration_date
            .as_deref()
            .is_some_and(|expiry| expiry <= now)
}

fn expire(
    w: &mut Write<'_>,
    catalog: &str,
    inv: &mut InvitationRecord,
) -> Result<(), ServiceError> {
    inv.status = EXPIRED.to_string();
    inv.decided_at = inv.expiration_date.clone();
    w.tx.put_invitation(catalog, inv)?;
    w.changed(Change::Invitation {
        event: InvitationEvent::Expired,
        facts: InvitationFacts::of(catalog, inv),
    });
    Ok(())
}

/// The opportunity an accepted invitation puts into the receiver's pipeline.
fn opportunity_for(
    w: &mut Write<'_>,
    ctx: &Context,
    inv: &InvitationRecord,
) -> Result<OpportunityRecord, ServiceError> {
    let now = w.stamp();
    let (num, created, mut doc, origin, review) = match &inv.referral {
        Some(r) => (
            r.opportunity_number,
            r.created_date.clone(),
            r.document.clone(),
            lifecycle::AWS_REFERRAL,
            APPROVED.to_string(),
        ),
        None => {
            let payload = inv
                .payload
                .get(OPPORTUNITY_INVITATION)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (
                w.tx.next_opportunity_number()?,
                now.clone(),
                partner_referral_document(&payload),
                lifecycle::PARTNER_REFERRAL,
                sender_review_status(w, ctx, inv)?,
            )
        }
    };
    doc.insert("Origin".into(), json!(origin));
    // The model makes LifeCycle an object; anything else the document held is replaced.
    let lc = doc.entry("LifeCycle").or_insert_with(|| json!({}));
    if !lc.is_object() {
        *lc = json!({});
    }
    if let Some(lc) = lc.as_object_mut() {
        for m in lifecycle::REVIEW_MEMBERS {
            lc.remove(m);
        }
        lc.remove("NextStepsHistory");
        lc.insert("ReviewStatus".into(), json!(review));
        lc.entry("Stage").or_insert_with(|| json!("Prospect"));
    }
    Ok(OpportunityRecord {
        id: ids::opportunity_id(num),
        num,
        last_modified_date: time::format(time::next_modified(&created, w.now)),
        created_date: created,
        doc,
        related: Default::default(),
        submission: Some(Submission {
            involvement_type: "Co-Sell".to_string(),
            visibility: lifecycle::DEFAULT_VISIBILITY.to_string(),
            engagement_id: Some(inv.engagement_id.clone()),
            invitation_id: Some(inv.id.clone()),
        }),
        engagement_id: None,
    })
}

/// The opportunity document a partner's `OpportunityInvitation` payload becomes.
fn partner_referral_document(payload: &Map<String, Value>) -> Map<String, Value> {
    let account = pick(
        payload,
        &[
            ("CompanyName", "Customer.CompanyName"),
            ("Industry", "Customer.Industry"),
            ("WebsiteUrl", "Customer.WebsiteUrl"),
        ],
    );
    let mut account = account;
    if let Some(c) = payload.get("Customer").and_then(|c| c.get("CountryCode")) {
        account.insert("Address".into(), json!({"CountryCode": c}));
    }
    let mut project = pick(
        payload,
        &[
            ("Title", "Project.Title"),
            ("CustomerBusinessProblem", "Project.BusinessProblem"),
            ("ExpectedCustomerSpend", "Project.ExpectedCustomerSpend"),
        ],
    );
    if project
        .get("ExpectedCustomerSpend")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        project.remove("ExpectedCustomerSpend");
    }
    let mut lc = Map::new();
    if let Some(d) = payload
        .get("Project")
        .and_then(|p| p.get("TargetCompletionDate"))
    {
        lc.insert("TargetCloseDate".into(), d.clone());
    }
    let mut doc = Map::new();
    doc.insert("Customer".into(), json!({"Account": account}));
    doc.insert("Project".into(), Value::Object(project));
    doc.insert("LifeCycle".into(), Value::Object(lc));
    doc.insert("OpportunityType".into(), json!("Net New Business"));
    doc
}

/// A partner referral starts `Approved` when the sender's own opportunity in the engagement
/// already is, else `Submitted` (AWS reviews it).
fn sender_review_status(
    w: &Write<'_>,
    ctx: &Context,
    inv: &InvitationRecord,
) -> Result<String, ServiceError> {
    let Some(e) = w.tx.get_engagement(&ctx.catalog, &inv.engagement_id)? else {
        return Ok(SUBMITTED.to_string());
    };
    for r in &e.resources {
        let (Some(account), Some(id)) = (
            r.get("accountId").and_then(Value::as_str),
            r.get("resourceId").and_then(Value::as_str),
        ) else {
            continue;
        };
        if account != inv.sender_aws_account_id {
            continue;
        }
        let scope = Scope {
            account: account.to_string(),
            catalog: ctx.catalog.clone(),
        };
        if let Some(opp) = w.tx.get_opportunity(&scope, id)?
            && opp.text("LifeCycle.ReviewStatus") == Some(APPROVED)
        {
            return Ok(APPROVED.to_string());
        }
    }
    Ok(SUBMITTED.to_string())
}

/// Completes an accept task (in the receiver's context): the opportunity joins the receiver's
/// pipeline, with its AWS summary when it arrives approved; the invitation is accepted; the
/// task is `COMPLETE` — or `FAILED` when the invitation is no longer pending.
pub fn complete_accept_task(
    w: &mut Write<'_>,
    ctx: &Context,
    task: &mut TaskRecord,
) -> Result<(), ServiceError> {
    task.complete_at = None;
    let inv_id = task
        .doc
        .get("EngagementInvitationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(mut inv) = w.tx.get_invitation(&ctx.catalog, &inv_id)? else {
        return crate::ops::common::fail_task(
            w,
            ctx,
            task,
            "ResourceNotFound",
            format!("Engagement invitation {inv_id} no longer exists."),
        );
    };
    if is_due(&inv, &w.stamp()) {
        expire(w, &ctx.catalog, &mut inv)?;
    }
    if inv.status != PENDING {
        inv.accepting_task_id = None;
        w.tx.put_invitation(&ctx.catalog, &inv)?;
        let message = format!(
            "Engagement invitation {inv_id} is {}; only a PENDING invitation can be accepted.",
            inv.status
        );
        return crate::ops::common::fail_task(
            w,
            ctx,
            task,
            "EngagementInvitationConflict",
            message,
        );
    }
    let opp = opportunity_for(w, ctx, &inv)?;
    let scope = access::private(ctx);
    if w.tx.get_opportunity(&scope, &opp.id)?.is_some() {
        let message = format!(
            "Opportunity {} already exists in account {}.",
            opp.id, ctx.account
        );
        return crate::ops::common::fail_task(w, ctx, task, "OpportunityConflict", message);
    }
    w.tx.put_opportunity(&scope, &opp, &opportunity_view::listing(ctx, &opp))?;
    if opp.text("LifeCycle.ReviewStatus") == Some(APPROVED) {
        w.tx.put_aws_summary(&scope, &aws_side::new_summary(&opp))?;
    }
    accept(w, &ctx.catalog, &mut inv, Some(&opp.id))?;
    w.changed(Change::OpportunityCreated { id: opp.id.clone() });
    // The task's tags land on the opportunity it creates; its job starts at once.
    let job = crate::ops::snapshots::flows::follow_task_opportunity(
        w,
        ctx,
        &inv.engagement_id,
        &opp,
        task,
    )?;
    task.doc.insert("TaskStatus".into(), json!("COMPLETE"));
    task.doc.insert("OpportunityId".into(), json!(opp.id));
    task.doc.insert("ResourceSnapshotJobId".into(), json!(job));
    w.tx.put_task(&scope, task)?;
    Ok(())
}

/// Completes the delayed tasks that are due, when tasks are delayed at all (`--task-delay-ms`):
/// what a task listing or a repeated start must show. Expiry needs no settling to be seen:
/// invitations past their date read `EXPIRED` at once.
pub fn settle_tasks<S: Store>(svc: &Service<S>) -> Result<(), ServiceError> {
    if svc.task_delay.is_zero() {
        return Ok(());
    }
    settle(svc)
}

/// Commits what the service clock made due: expired invitations (each emits its event once)
/// and delayed tasks whose time came. Cheap when nothing is due (one indexed read); runs every
/// second in the background, and when the clock is moved.
pub fn settle<S: Store>(svc: &Service<S>) -> Result<(), ServiceError> {
    let now = time::format(svc.clock.now());
    let (invitations, tasks) = svc
        .store
        .read(|tx| Ok::<_, ServiceError>((tx.due_invitations(&now)?, tx.due_tasks(&now)?)))?;
    for (catalog, inv) in invitations {
        let ctx = Context {
            account: AWS_PARTY.to_string(),
            catalog: catalog.clone(),
            region: svc.region.clone(),
        };
        svc.write(&ctx, |w| {
            // Read again inside the transaction: another settle may have got there first.
            if let Some(mut current) = w.tx.get_invitation(&catalog, &inv.id)?
                && is_due(&current, &w.stamp())
            {
                expire(w, &catalog, &mut current)?;
            }
            Ok(())
        })?;
    }
    for (scope, task) in tasks {
        let ctx = Context {
            account: scope.account.clone(),
            catalog: scope.catalog.clone(),
            region: svc.region.clone(),
        };
        svc.write(&ctx, |w| {
            let Some(mut current) = w.tx.get_task(&scope, &task.id)? else {
                return Ok(());
            };
            if current
                .complete_at
                .as_deref()
                .is_none_or(|due| due > w.stamp().as_str())
            {
                return Ok(());
            }
            match current.kind {
                TaskKind::EngagementByAcceptingInvitation => {
                    complete_accept_task(w, &ctx, &mut current)
                }
                TaskKind::EngagementFromOpportunity => {
                    crate::ops::opportunities::api::complete_submission_task(w, &ctx, &mut current)
                }
                TaskKind::OpportunityFromEngagement => {
                    crate::ops::engagements::leads::complete(w, &ctx, &mut current)
                }
                TaskKind::ProspectingFromEngagement => {
                    crate::ops::engagements::prospecting::complete(w, &ctx, &mut current)
                }
            }
        })?;
    }
    Ok(())
}
