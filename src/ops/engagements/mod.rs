//! The engagement family: engagements (the space where AWS and up to ten partners work one
//! customer opportunity or lead), their contexts, members, resource associations and groups,
//! a lead's conversion into an opportunity and prospecting. Engagements are shared records:
//! their members see them ([`crate::ops::access::engagement`]); tasks are the caller's own.
//!
//! `api.rs` holds the engagement operations, `contexts.rs` the context types' rules,
//! `leads.rs` StartOpportunityFromEngagementTask and its listing, `prospecting.rs` the
//! prospecting tasks, `search.rs` SearchEngagements' fields, `admin.rs` the control plane's
//! groups and prospecting fixtures, and `view.rs` how records are rendered.

pub mod admin;
pub mod api;
pub mod contexts;
pub mod leads;
pub mod prospecting;
pub mod search;
pub mod view;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("CreateEngagement", api::create),
        Handler::new("GetEngagement", api::get),
        Handler::new("ListEngagements", api::list),
        Handler::new("SearchEngagements", api::search),
        Handler::new("ListEngagementGroups", api::list_groups),
        Handler::new("ListEngagementMembers", api::list_members),
        Handler::new("ListEngagementResourceAssociations", api::list_associations),
        Handler::new("CreateEngagementContext", api::create_context),
        Handler::new("UpdateEngagementContext", api::update_context),
        Handler::new("StartOpportunityFromEngagementTask", leads::start),
        Handler::new("ListOpportunityFromEngagementTasks", leads::list),
        Handler::new("StartProspectingFromEngagementTask", prospecting::start),
        Handler::new("GetProspectingFromEngagementTask", prospecting::get),
        Handler::new("ListProspectingFromEngagementTasks", prospecting::list),
    ]
}
