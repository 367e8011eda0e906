//! The opportunity family: the partner opportunity and its lifecycle, the engagement task
//! that submits it to AWS, and its AWS side (GetAwsOpportunitySummary).
//!
//! `api.rs` holds the API operations, `admin.rs` what the control plane does as AWS,
//! `view.rs` how records are rendered, `search.rs` SearchOpportunities and its field table.

pub mod admin;
pub mod api;
pub mod rules;
pub mod search;
pub mod view;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("CreateOpportunity", api::create),
        Handler::new("GetOpportunity", api::get),
        Handler::new("UpdateOpportunity", api::update),
        Handler::new("ListOpportunities", api::list),
        Handler::new("AssignOpportunity", api::assign),
        Handler::new("AssociateOpportunity", api::associate),
        Handler::new("DisassociateOpportunity", api::disassociate),
        Handler::new("SubmitOpportunity", api::submit),
        Handler::new("StartEngagementFromOpportunityTask", api::start_task),
        Handler::new("ListEngagementFromOpportunityTasks", api::list_tasks),
        Handler::new("GetAwsOpportunitySummary", api::get_summary)
            .with_fast(api::get_summary_cached),
        Handler::new("SearchOpportunities", search::search),
    ]
}
