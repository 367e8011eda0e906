//! The solution family: the partner solutions an account can associate with opportunities.
//! Every account starts with the sample solution AWS's sandbox documents (`S-1234567`) in
//! both catalogs.
//!
//! `api.rs` holds the API operations, `admin.rs` what the control plane adds as AWS,
//! `view.rs` how records are rendered.

pub mod admin;
pub mod api;
pub mod view;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![Handler::new("ListSolutions", api::list)]
}
