//! EventBridge events, in the real envelope (facts §6): source `aws.partnercentral-selling`,
//! `detail-type`, `account` (the partner account the event is delivered to: each party of an
//! invitation gets its own), `region`, `time`, `resources` and a `detail` naming the catalog
//! and the opportunity, invitation or engagement. Only the detail-types of AWS's reference
//! ([`DOCUMENTED_DETAIL_TYPES`]) are emitted. [`EventLog`] keeps them, oldest first, and hands each
//! to a subscriber (the webhook) without ever blocking the operation that emitted it.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use super::changes::{Change, EngagementFacts, EngagementRef, InvitationEvent, InvitationFacts};
use super::{AWS_PARTY, company_name, ids};

pub const SOURCE: &str = "aws.partnercentral-selling";
/// How many events the log keeps (oldest dropped first).
pub const LOG_CAPACITY: usize = 10_000;

/// Where and when an event happens.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub catalog: &'a str,
    pub time: DateTime<Utc>,
}

fn envelope(o: &Origin<'_>, detail_type: &str, resources: Vec<String>, detail: Value) -> Value {
    json!({
        "version": "0",
        "id": uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string(),
        "detail-type": detail_type,
        "source": SOURCE,
        "account": o.account,
        "time": o.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": o.region,
        "resources": resources,
        "detail": detail,
    })
}

/// `Opportunity Created` or `Opportunity Updated`.
pub fn opportunity(o: &Origin<'_>, detail_type: &str, id: &str) -> Value {
    envelope(
        o,
        detail_type,
        vec![],
        json!({"schemaVersion": "1", "catalog": o.catalog, "opportunity": {"identifier": id}}),
    )
}

/// Every detail-type AWS's EventBridge reference lists for `aws.partnercentral-selling`, and
/// the two engagement events Partner Central's own events page adds (facts §6); the emulator
/// emits no other.
pub const DOCUMENTED_DETAIL_TYPES: [&str; 14] = [
    "Opportunity Created",
    "Opportunity Updated",
    "Opportunity Accepted",
    "Opportunity Rejected",
    "Engagement Invitation Created",
    "Engagement Invitation Accepted",
    "Engagement Invitation Rejected",
    "Engagement Invitation Expired",
    "Engagement Member Joined",
    "Engagement Member Added",
    "Resource Snapshot Created",
    "Engagement Resource Snapshot Created",
    "Engagement Created",
    "Engagement Updated",
];

/// The same origin, told to another account of another catalog.
fn to<'a>(o: &Origin<'a>, account: &'a str, catalog: &'a str) -> Origin<'a> {
    Origin {
        account,
        region: o.region,
        catalog,
        time: o.time,
    }
}

/// The invitation events of one transition, to each partner party (never to AWS), the
/// receiver first; `participantType` is the recipient's role.
fn invitation_events(o: &Origin<'_>, f: &InvitationFacts, event: InvitationEvent) -> Vec<Value> {
    let arn = ids::invitation_arn(o.region, &f.catalog, &f.id);
    [(&f.receiver, "RECEIVER"), (&f.sender, "SENDER")]
        .into_iter()
        .filter(|(party, _)| party.as_str() != AWS_PARTY)
        .map(|(party, role)| {
            let o = to(o, party, &f.catalog);
            let mut detail = json!({
                "arn": arn, "id": f.id, "engagementId": f.engagement_id,
                "senderAccountId": f.sender, "receiverAccountId": f.receiver,
                "senderCompanyName": f.sender_company,
                "participantType": role, "payloadType": f.payload_type});
            if let Some(expiry) = &f.expiration_date {
                detail["expirationDate"] = json!(expiry);
            }
            envelope(
                &o,
                event.detail_type(),
                vec![arn.clone()],
                json!({"schemaVersion": "1.0", "catalog": f.catalog, "engagementInvitation": detail}),
            )
        })
        .collect()
}

fn member_added(o: &Origin<'_>, engagement: &str, account: &str, company: &str) -> Value {
    envelope(
        o,
        "Engagement Member Added",
        vec![ids::engagement_arn(o.region, o.catalog, engagement)],
        json!({"catalog": o.catalog, "engagement": {"id": engagement},
               "engagementMember": {"accountId": account, "companyName": company}}),
    )
}

/// `Engagement Resource Snapshot Created`, one per partner account the snapshot targets.
fn snapshot(
    o: &Origin<'_>,
    engagement: &str,
    opportunity: &str,
    template: &str,
    revision: u32,
    created_by: &str,
    recipients: &[String],
) -> Vec<Value> {
    let engagement_arn = ids::engagement_arn(o.region, o.catalog, engagement);
    let arn = format!(
        "{engagement_arn}/resource/Opportunity/{opportunity}/template/{template}/snapshot/{revision}"
    );
    recipients
        .iter()
        .filter(|r| r.as_str() != AWS_PARTY)
        .map(|r| {
            envelope(
                &to(o, r, o.catalog),
                "Engagement Resource Snapshot Created",
                vec![engagement_arn.clone()],
                json!({"schemaVersion": "1", "catalog": o.catalog, "resourceSnapshot": {
                    "arn": arn, "engagementId": engagement, "resourceId": opportunity,
                    "resourceType": "Opportunity", "createdBy": created_by,
                    "targetMemberAccounts": recipients,
                    "resourceSnapshotTemplateName": template}}),
            )
        })
        .collect()
}

/// `Engagement Created` / `Engagement Updated`, one per partner member.
fn engagement_events(o: &Origin<'_>, created: bool, f: &EngagementFacts) -> Vec<Value> {
    let arn = ids::engagement_arn(o.region, o.catalog, &f.id);
    let (detail_type, at, by) = if created {
        ("Engagement Created", "CreatedAt", "CreatedBy")
    } else {
        ("Engagement Updated", "LastModifiedAt", "LastModifiedBy")
    };
    f.recipients
        .iter()
        .filter(|r| r.as_str() != AWS_PARTY)
        .map(|r| {
            let mut engagement = serde_json::Map::new();
            engagement.insert("engagementArn".into(), json!(arn));
            engagement.insert("engagementId".into(), json!(f.id));
            engagement.insert(at.into(), json!(f.at));
            engagement.insert(by.into(), json!(f.by));
            engagement.insert("ContextTypes".into(), json!(f.context_types));
            envelope(
                &to(o, r, o.catalog),
                detail_type,
                vec![arn.clone()],
                json!({"catalog": o.catalog, "engagement": engagement}),
            )
        })
        .collect()
}

fn submission_facts(o: &Origin<'_>, e: &EngagementRef) -> Option<InvitationFacts> {
    Some(InvitationFacts {
        catalog: o.catalog.to_string(),
        id: e.invitation_id.clone()?,
        engagement_id: e.engagement_id.clone(),
        sender: o.account.to_string(),
        sender_company: company_name(o.account),
        receiver: AWS_PARTY.to_string(),
        expiration_date: None,
        payload_type: "OpportunityInvitation".to_string(),
    })
}

/// What StartEngagementFromOpportunityTask emits (facts §6; AWS's reference lists no
/// `Engagement Created`).
pub fn submitted(o: &Origin<'_>, e: &EngagementRef) -> Vec<Value> {
    let mut out = vec![opportunity(o, "Opportunity Updated", &e.opportunity_id)];
    if e.engagement_created {
        out.extend(engagement_events(
            o,
            true,
            &EngagementFacts {
                id: e.engagement_id.clone(),
                at: crate::domain::time::format(o.time),
                by: o.account.to_string(),
                context_types: vec!["CustomerProject".to_string()],
                recipients: vec![o.account.to_string()],
            },
        ));
    }
    out.push(member_added(
        o,
        &e.engagement_id,
        o.account,
        &company_name(o.account),
    ));
    if let Some(facts) = submission_facts(o, e) {
        out.extend(invitation_events(o, &facts, InvitationEvent::Created));
    }
    out
}

/// What AWS's review decision emits.
pub fn reviewed(o: &Origin<'_>, id: &str, decision: &str, e: Option<&EngagementRef>) -> Vec<Value> {
    let updated = opportunity(o, "Opportunity Updated", id);
    let Some(e) = e else {
        return vec![updated];
    };
    // AWS decides its invitation; when AWS already was a member (a lead it shared) there is none.
    let facts = submission_facts(o, e);
    let decided = |event| {
        facts
            .as_ref()
            .map(|f| invitation_events(o, f, event))
            .unwrap_or_default()
    };
    match decision {
        "Approved" => {
            let mut out = decided(InvitationEvent::Accepted);
            if facts.is_some() {
                out.push(member_added(o, &e.engagement_id, AWS_PARTY, "AWS"));
            }
            out.push(updated);
            out
        }
        "Rejected" => {
            let mut out = decided(InvitationEvent::Rejected);
            out.push(updated);
            out
        }
        _ => vec![updated],
    }
}

/// The events one committed change emits, in order.
pub fn for_change(o: &Origin<'_>, change: &Change) -> Vec<Value> {
    match change {
        Change::OpportunityCreated { id } => vec![opportunity(o, "Opportunity Created", id)],
        Change::OpportunityUpdated { id } | Change::AwsSideChanged { id } => {
            vec![opportunity(o, "Opportunity Updated", id)]
        }
        Change::Submitted(e) => submitted(o, e),
        Change::Reviewed {
            id,
            decision,
            engagement,
        } => reviewed(o, id, decision, engagement.as_ref()),
        Change::Invitation { event, facts } => invitation_events(o, facts, *event),
        Change::MemberAdded {
            catalog,
            engagement_id,
            account,
            company,
            recipients,
        } => recipients
            .iter()
            .filter(|r| r.as_str() != AWS_PARTY)
            .map(|r| member_added(&to(o, r, catalog), engagement_id, account, company))
            .collect(),
        Change::Snapshot {
            engagement_id,
            opportunity_id,
            template,
            revision,
            created_by,
            recipients,
        } => snapshot(
            o,
            engagement_id,
            opportunity_id,
            template,
            *revision,
            created_by,
            recipients,
        ),
        Change::Engagement { created, facts } => engagement_events(o, *created, facts),
        Change::ForAccount { account, change } => for_change(&to(o, account, o.catalog), change),
    }
}

/// The events emitted so far, and the subscriber that receives each new one.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Mutex<VecDeque<Value>>,
    subscriber: Mutex<Option<UnboundedSender<Value>>>,
}

impl EventLog {
    /// Every new event is also sent to `tx` (never blocking).
    pub fn subscribe(&self, tx: UnboundedSender<Value>) {
        *self.subscriber.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    }

    /// Keeps the events and hands them to the subscriber.
    pub fn publish(&self, batch: Vec<Value>) {
        if batch.is_empty() {
            return;
        }
        self.deliver(&batch);
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.extend(batch);
        let excess = events.len().saturating_sub(LOG_CAPACITY);
        events.drain(..excess);
    }

    /// Hands the events to the subscriber only (a shared store keeps them).
    pub fn deliver(&self, batch: &[Value]) {
        if let Some(tx) = self
            .subscriber
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            for e in batch {
                let _ = tx.send(e.clone());
            }
        }
    }

    /// All kept events, oldest first.
    pub fn list(&self) -> Vec<Value> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Up to `limit` of the newest kept events that `keep` admits, newest first (the web
    /// console's activity page and timelines), without copying the others.
    pub fn newest(&self, limit: usize, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .rev()
            .filter(|e| keep(e))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
