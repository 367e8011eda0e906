//! What a committed write changed, as typed facts. One list of [`Change`]s per write drives
//! everything that follows a commit: the EventBridge events ([`super::events::for_change`])
//! and the eviction of rendered answers that depended on the changed records.

/// The engagement and invitation a submission created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementRef {
    pub engagement_id: String,
    /// The invitation to AWS, unless AWS already was a member (a lead AWS shared).
    pub invitation_id: Option<String>,
    pub opportunity_id: String,
    /// Whether the submission created the engagement (a converted lead's reuses its own).
    pub engagement_created: bool,
}

/// What the events of an invitation say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationFacts {
    pub catalog: String,
    pub id: String,
    pub engagement_id: String,
    pub sender: String,
    pub sender_company: String,
    pub receiver: String,
    pub expiration_date: Option<String>,
    pub payload_type: String,
}

impl InvitationFacts {
    pub fn of(catalog: &str, rec: &crate::store::InvitationRecord) -> Self {
        Self {
            catalog: catalog.to_string(),
            id: rec.id.clone(),
            engagement_id: rec.engagement_id.clone(),
            sender: rec.sender_aws_account_id.clone(),
            sender_company: rec.sender_company_name.clone(),
            receiver: rec.receiver_aws_account_id.clone(),
            expiration_date: rec.expiration_date.clone(),
            payload_type: rec.payload_type.clone(),
        }
    }
}

/// What happened to an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationEvent {
    Created,
    Accepted,
    Rejected,
    Expired,
}

impl InvitationEvent {
    pub fn detail_type(self) -> &'static str {
        match self {
            InvitationEvent::Created => "Engagement Invitation Created",
            InvitationEvent::Accepted => "Engagement Invitation Accepted",
            InvitationEvent::Rejected => "Engagement Invitation Rejected",
            InvitationEvent::Expired => "Engagement Invitation Expired",
        }
    }
}

/// What the events of an engagement say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementFacts {
    pub id: String,
    /// When and by whom it was created (`Created`) or last modified (`Updated`).
    pub at: String,
    pub by: String,
    pub context_types: Vec<String>,
    /// The partner members told (AWS gets no events).
    pub recipients: Vec<String>,
}

impl EngagementFacts {
    /// The facts of `rec` as just created or modified.
    pub fn of(rec: &crate::store::EngagementRecord, created: bool) -> Self {
        let (at, by) = if created {
            (&rec.created_at, &rec.created_by)
        } else {
            (&rec.modified_at, &rec.modified_by)
        };
        Self {
            id: rec.id.clone(),
            at: at.clone(),
            by: by.clone(),
            context_types: rec.context_types(),
            recipients: rec.members.iter().map(|m| m.account_id.clone()).collect(),
        }
    }
}

/// One change a write made, in the caller's account and catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    OpportunityCreated {
        id: String,
    },
    /// The partner changed its opportunity (update, assign, associate, submit).
    OpportunityUpdated {
        id: String,
    },
    /// StartEngagementFromOpportunityTask submitted the opportunity.
    Submitted(EngagementRef),
    /// AWS's review decision.
    Reviewed {
        id: String,
        decision: String,
        engagement: Option<EngagementRef>,
    },
    /// The AWS side of an opportunity (its summary) was written or removed.
    AwsSideChanged {
        id: String,
    },
    /// An invitation was sent, accepted, rejected or expired: told to its partner parties.
    Invitation {
        event: InvitationEvent,
        facts: InvitationFacts,
    },
    /// `account` joined an engagement: told to every partner member in `recipients`.
    MemberAdded {
        catalog: String,
        engagement_id: String,
        account: String,
        company: String,
        recipients: Vec<String>,
    },
    /// A snapshot of the caller's opportunity was taken in an engagement: told to the partner
    /// accounts it targets.
    Snapshot {
        engagement_id: String,
        opportunity_id: String,
        template: String,
        revision: u32,
        /// The account that took it (the owner, or `aws` for AWS's own view).
        created_by: String,
        recipients: Vec<String>,
    },
    /// An engagement was created, or its contexts changed: told to its partner members.
    Engagement {
        created: bool,
        facts: EngagementFacts,
    },
    /// A change to another account's records in the caller's catalog (a member's opportunity
    /// following the inviter's review): its events go to, and its cache eviction is for, that
    /// account.
    ForAccount {
        account: String,
        change: Box<Change>,
    },
}

impl Change {
    /// The caller's opportunity whose rendered answers this change makes stale, if any.
    pub fn opportunity_id(&self) -> Option<&str> {
        match self {
            Change::OpportunityCreated { id }
            | Change::OpportunityUpdated { id }
            | Change::Reviewed { id, .. }
            | Change::AwsSideChanged { id } => Some(id),
            Change::Submitted(e) => Some(&e.opportunity_id),
            Change::Invitation { .. }
            | Change::MemberAdded { .. }
            | Change::Snapshot { .. }
            | Change::Engagement { .. }
            | Change::ForAccount { .. } => None,
        }
    }
}
