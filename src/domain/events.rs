//! EventBridge events, in the real envelope (facts §6): source `aws.partnercentral-selling`,
//! `detail-type`, `account`, `region`, `time`, `resources` and a `detail` naming the catalog
//! and the opportunity or engagement. [`EventLog`] keeps them, oldest first, and hands each
//! to a subscriber (the webhook) without ever blocking the operation that emitted it.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use super::changes::Change;

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

/// The engagement a submission created.
#[derive(Debug, Clone)]
pub struct Engagement<'a> {
    pub engagement_id: &'a str,
    pub invitation_id: &'a str,
    pub opportunity_id: &'a str,
    pub company_name: &'a str,
}

fn engagement_arn(o: &Origin<'_>, id: &str) -> String {
    format!(
        "arn:aws:partnercentral:{}::catalog/{}/engagement/{id}",
        o.region, o.catalog
    )
}

fn invitation(o: &Origin<'_>, e: &Engagement<'_>, detail_type: &str) -> Value {
    let arn = format!(
        "arn:aws:partnercentral:{}::catalog/{}/engagement-invitation/{}",
        o.region, o.catalog, e.invitation_id
    );
    envelope(
        o,
        detail_type,
        vec![arn.clone()],
        json!({"schemaVersion": "1.0", "catalog": o.catalog, "engagementInvitation": {
            "arn": arn, "id": e.invitation_id, "engagementId": e.engagement_id,
            "senderAccountId": o.account, "receiverAccountId": "aws",
            "participantType": "SENDER", "payloadType": "OpportunityInvitation"}}),
    )
}

fn member_added(o: &Origin<'_>, e: &Engagement<'_>, account: &str, company: &str) -> Value {
    envelope(
        o,
        "Engagement Member Added",
        vec![engagement_arn(o, e.engagement_id)],
        json!({"catalog": o.catalog, "engagement": {"id": e.engagement_id},
               "engagementMember": {"accountId": account, "companyName": company}}),
    )
}

fn snapshot(o: &Origin<'_>, e: &Engagement<'_>, revision: u32) -> Value {
    let arn = format!(
        "{}/resource/Opportunity/{}/template/OpportunitySummaryView/snapshot/{revision}",
        engagement_arn(o, e.engagement_id),
        e.opportunity_id
    );
    envelope(
        o,
        "Engagement Resource Snapshot Created",
        vec![engagement_arn(o, e.engagement_id)],
        json!({"schemaVersion": "1", "catalog": o.catalog, "resourceSnapshot": {
            "arn": arn, "engagementId": e.engagement_id, "resourceId": e.opportunity_id,
            "resourceType": "Opportunity", "createdBy": o.account,
            "resourceSnapshotTemplateName": "OpportunitySummaryView"}}),
    )
}

/// What StartEngagementFromOpportunityTask emits (facts §6).
pub fn submitted(o: &Origin<'_>, e: &Engagement<'_>) -> Vec<Value> {
    let time = o.time.to_rfc3339_opts(SecondsFormat::Millis, true);
    vec![
        opportunity(o, "Opportunity Updated", e.opportunity_id),
        envelope(
            o,
            "Engagement Created",
            vec![engagement_arn(o, e.engagement_id)],
            json!({"catalog": o.catalog, "engagement": {
                "engagementArn": engagement_arn(o, e.engagement_id), "engagementId": e.engagement_id,
                "CreatedAt": time, "CreatedBy": o.account, "ContextTypes": ["CustomerProject"]}}),
        ),
        snapshot(o, e, 1),
        member_added(o, e, o.account, e.company_name),
        invitation(o, e, "Engagement Invitation Created"),
    ]
}

/// What AWS's review decision emits.
pub fn reviewed(
    o: &Origin<'_>,
    id: &str,
    decision: &str,
    e: Option<&Engagement<'_>>,
) -> Vec<Value> {
    let updated = opportunity(o, "Opportunity Updated", id);
    match (decision, e) {
        ("Approved", Some(e)) => vec![
            invitation(o, e, "Engagement Invitation Accepted"),
            member_added(o, e, "aws", "AWS"),
            updated,
            snapshot(o, e, 2),
        ],
        ("Rejected", Some(e)) => {
            vec![
                invitation(o, e, "Engagement Invitation Rejected"),
                updated,
                snapshot(o, e, 2),
            ]
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
        Change::Submitted(e) => submitted(o, &e.as_engagement(o.account)),
        Change::Reviewed {
            id,
            decision,
            engagement,
        } => reviewed(
            o,
            id,
            decision,
            engagement
                .as_ref()
                .map(|e| e.as_engagement(o.account))
                .as_ref(),
        ),
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

    pub fn publish(&self, batch: Vec<Value>) {
        if batch.is_empty() {
            return;
        }
        if let Some(tx) = self
            .subscriber
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            for e in &batch {
                let _ = tx.send(e.clone());
            }
        }
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.extend(batch);
        let excess = events.len().saturating_sub(LOG_CAPACITY);
        events.drain(..excess);
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

    pub fn clear(&self) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
