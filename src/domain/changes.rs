//! What a committed write changed, as typed facts. One list of [`Change`]s per write drives
//! everything that follows a commit: the EventBridge events ([`super::events::for_change`])
//! and the eviction of rendered answers that depended on the changed records.

/// The engagement and invitation a submission created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementRef {
    pub engagement_id: String,
    pub invitation_id: String,
    pub opportunity_id: String,
}

impl EngagementRef {
    /// The borrowed form events are written from; the partner's company is its account.
    pub fn as_engagement<'a>(&'a self, company: &'a str) -> super::events::Engagement<'a> {
        super::events::Engagement {
            engagement_id: &self.engagement_id,
            invitation_id: &self.invitation_id,
            opportunity_id: &self.opportunity_id,
            company_name: company,
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
}

impl Change {
    /// The opportunity whose rendered answers this change makes stale.
    pub fn opportunity_id(&self) -> &str {
        match self {
            Change::OpportunityCreated { id }
            | Change::OpportunityUpdated { id }
            | Change::Reviewed { id, .. }
            | Change::AwsSideChanged { id } => id,
            Change::Submitted(e) => &e.opportunity_id,
        }
    }
}
