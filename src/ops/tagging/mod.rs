//! The tagging family: TagResource, UntagResource, ListTagsForResource on the caller's
//! taggable resources, and the tags given when a resource is created. The ARN decides: its
//! account must be the caller's, its catalog names the scope, its resource type must be one
//! of [`api::TAGGABLE`].

pub mod api;

use crate::ops::registry::Handler;
use crate::store::Store;

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("TagResource", api::tag),
        Handler::new("UntagResource", api::untag),
        Handler::new("ListTagsForResource", api::list),
    ]
}
