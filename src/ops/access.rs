//! Who may see a record (spec §8). This is the one place that turns a caller into the
//! records it may read or change; handlers never build a store [`Scope`] themselves.
//!
//! Two kinds of record exist:
//! - **private** records (opportunities, their AWS side, tasks, solutions, idempotency
//!   tokens, and later snapshot jobs, settings, customer accounts, bulk jobs, tags) belong
//!   to one account in one catalog and are seen by that account only;
//! - **shared** records (invitations, engagements and what hangs off them) live in a catalog
//!   and are seen by the parties they name, by role ([`Audience::Parties`]).
//!
//! `AWS` and `Sandbox` never see each other's records. A record the caller may not see is
//! reported exactly like a record that does not exist — except an engagement, which a
//! non-member is told it may not access ([`engagement`]).

use super::{Context, ServiceError};
pub use crate::domain::AWS_PARTY;
use crate::store::{
    AwsSummaryRecord, EngagementRecord, InvitationRecord, OpportunityRecord, Scope, StoreError, Tx,
};

/// Who may see a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// One account in one catalog.
    Private(Scope),
    /// The parties named by a shared record (account ids, or [`AWS_PARTY`]), in a catalog.
    Parties {
        catalog: String,
        accounts: Vec<String>,
    },
}

/// Whether the caller may see a record with this audience.
pub fn may_see(ctx: &Context, audience: &Audience) -> bool {
    match audience {
        Audience::Private(scope) => scope.account == ctx.account && scope.catalog == ctx.catalog,
        Audience::Parties { catalog, accounts } => {
            *catalog == ctx.catalog && accounts.contains(&ctx.account)
        }
    }
}

/// Where the caller's private records are kept.
pub fn private(ctx: &Context) -> Scope {
    Scope {
        account: ctx.account.clone(),
        catalog: ctx.catalog.clone(),
    }
}

/// What a caller gets for an opportunity it cannot see.
pub fn opportunity_not_found(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "Opportunity {id} was not found in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

/// The caller's opportunity `id`, if it may see one.
pub fn find_opportunity(
    tx: &dyn Tx,
    ctx: &Context,
    id: &str,
) -> Result<Option<OpportunityRecord>, StoreError> {
    tx.get_opportunity(&private(ctx), id)
}

/// The caller's opportunity `id`, or `ResourceNotFoundException`.
pub fn opportunity(
    tx: &dyn Tx,
    ctx: &Context,
    id: &str,
) -> Result<OpportunityRecord, ServiceError> {
    find_opportunity(tx, ctx, id)?.ok_or_else(|| opportunity_not_found(ctx, id))
}

/// The AWS side of the caller's opportunity `id`, if there is one it may see.
pub fn aws_summary(
    tx: &dyn Tx,
    ctx: &Context,
    id: &str,
) -> Result<Option<AwsSummaryRecord>, StoreError> {
    tx.get_aws_summary(&private(ctx), id)
}

/// Who may see an invitation: its sender and its receiver, in its catalog.
pub fn invitation_audience(catalog: &str, rec: &InvitationRecord) -> Audience {
    Audience::Parties {
        catalog: catalog.to_string(),
        accounts: vec![
            rec.sender_aws_account_id.clone(),
            rec.receiver_aws_account_id.clone(),
        ],
    }
}

/// Who may see an engagement: its members, in its catalog.
pub fn engagement_audience(catalog: &str, rec: &EngagementRecord) -> Audience {
    Audience::Parties {
        catalog: catalog.to_string(),
        accounts: rec.members.iter().map(|m| m.account_id.clone()).collect(),
    }
}

/// What a caller gets for an invitation it cannot see.
pub fn invitation_not_found(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "Engagement invitation {id} was not found in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

/// The invitation `id` of the caller's catalog, if the caller is its sender or receiver.
pub fn invitation(tx: &dyn Tx, ctx: &Context, id: &str) -> Result<InvitationRecord, ServiceError> {
    tx.get_invitation(&ctx.catalog, id)?
        .filter(|rec| may_see(ctx, &invitation_audience(&ctx.catalog, rec)))
        .ok_or_else(|| invitation_not_found(ctx, id))
}

/// What a caller gets for an engagement that does not exist in its catalog.
pub fn engagement_not_found(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "Engagement {id} was not found in catalog {}.",
        ctx.catalog
    ))
}

/// The engagement `id` of the caller's catalog, if the caller is a member. Engagements are
/// AWS's records shared by their members, so their existence is no secret within a catalog:
/// a non-member gets `AccessDeniedException` (no `Reason`), the same from every operation
/// (research §9), and only an id that names nothing in the catalog is not found.
pub fn engagement(tx: &dyn Tx, ctx: &Context, id: &str) -> Result<EngagementRecord, ServiceError> {
    let rec = tx
        .get_engagement(&ctx.catalog, id)?
        .ok_or_else(|| engagement_not_found(ctx, id))?;
    if may_see(ctx, &engagement_audience(&ctx.catalog, &rec)) {
        Ok(rec)
    } else {
        Err(not_a_member(ctx, id))
    }
}

/// What a non-member gets for an engagement.
pub fn not_a_member(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::AccessDenied(format!(
        "Account {} is not a member of engagement {id}.",
        ctx.account
    ))
}

/// The engagements of the caller's catalog it is a member of.
pub fn member_engagements(tx: &dyn Tx, ctx: &Context) -> Result<Vec<EngagementRecord>, StoreError> {
    tx.member_engagements(&ctx.catalog, &ctx.account)
}

/// The engagement an invitation belongs to, as its parties see it (the invitation's audience
/// already admitted the caller; a receiver is not yet a member).
pub fn engagement_of(
    tx: &dyn Tx,
    ctx: &Context,
    inv: &InvitationRecord,
) -> Result<EngagementRecord, ServiceError> {
    tx.get_engagement(&ctx.catalog, &inv.engagement_id)?
        .ok_or_else(|| invitation_not_found(ctx, &inv.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(account: &str, catalog: &str) -> Context {
        Context {
            account: account.into(),
            catalog: catalog.into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn private_records_are_seen_by_their_account_in_their_catalog_only() {
        let owner = ctx("111111111111", "AWS");
        let audience = Audience::Private(private(&owner));
        assert!(may_see(&owner, &audience));
        assert!(!may_see(&ctx("222222222222", "AWS"), &audience));
        assert!(!may_see(&ctx("111111111111", "Sandbox"), &audience));
    }

    #[test]
    fn shared_records_are_seen_by_their_parties_in_their_catalog_only() {
        let audience = Audience::Parties {
            catalog: "Sandbox".into(),
            accounts: vec!["111111111111".into(), AWS_PARTY.into()],
        };
        assert!(may_see(&ctx("111111111111", "Sandbox"), &audience));
        assert!(!may_see(&ctx("111111111111", "AWS"), &audience));
        assert!(!may_see(&ctx("222222222222", "Sandbox"), &audience));
    }
}
