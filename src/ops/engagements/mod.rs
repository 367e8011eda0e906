//! The engagement family (placeholder while it is built).

pub mod search;
