//! The invitation family: engagement invitations (AWS referrals, leads, a partner inviting
//! another), accepting them into the receiver's pipeline, and the engagements they belong
//! to as far as invitations need them. Invitations and engagements are shared records: their
//! parties see them (`access::invitation`, `access::engagement`).
//!
//! `api.rs` holds the API operations, `admin.rs` what the control plane does as AWS (send an
//! invitation, move the clock), `view.rs` how records are rendered, and `flows.rs` the
//! transitions other families' operations also drive (a Sandbox referral, a submission to
//! AWS and its review) and [`flows::settle`], which commits what the clock made due.

pub mod admin;
pub mod api;
pub mod flows;
pub mod view;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("ListEngagementInvitations", api::list),
        Handler::new("GetEngagementInvitation", api::get),
        Handler::new("AcceptEngagementInvitation", api::accept),
        Handler::new("RejectEngagementInvitation", api::reject),
        Handler::new("StartEngagementByAcceptingInvitationTask", api::start_task),
        Handler::new("ListEngagementByAcceptingInvitationTasks", api::list_tasks),
        Handler::new("CreateEngagementInvitation", api::create),
    ]
}
