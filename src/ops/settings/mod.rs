//! The settings family: Get/PutSellingSystemSettings, an account's settings per catalog
//! (the role snapshot jobs run under).

pub mod api;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("GetSellingSystemSettings", api::get),
        Handler::new("PutSellingSystemSettings", api::put),
    ]
}
