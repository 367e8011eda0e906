//! The customer-account family: partners map their CRM accounts to AWS customers
//! (Create/Get/Update/Delete CustomerAccount, SearchCustomerAccounts,
//! GetCustomerAccountStatistics), and AWS matches and enriches them ([`matching`]). Accounts
//! are the caller's own. `api.rs` holds the operations, `matching.rs` the outcome, `search.rs`
//! the search and statistics fields, `admin.rs` the control plane's forced outcomes, `view.rs`
//! the renderings.

pub mod admin;
pub mod api;
pub mod matching;
pub mod search;
pub mod view;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("CreateCustomerAccount", api::create),
        Handler::new("GetCustomerAccount", api::get),
        Handler::new("UpdateCustomerAccount", api::update),
        Handler::new("DeleteCustomerAccount", api::delete),
        Handler::new("SearchCustomerAccounts", api::search),
        Handler::new("GetCustomerAccountStatistics", api::statistics),
    ]
}
