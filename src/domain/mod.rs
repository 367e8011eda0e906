//! The service's rules, free of HTTP and SQL: timestamps, identifiers and ARNs, page
//! tokens, the opportunity lifecycle (who may change what, when), the AWS side of an
//! opportunity, and the typed changes a write reports.

pub mod aws_side;
pub mod changes;
pub mod events;
pub mod ids;
pub mod lifecycle;
pub mod pagination;
pub mod time;

/// The catalogs that exist; any other value is refused (spec §3).
pub const CATALOGS: [&str; 2] = ["AWS", "Sandbox"];
/// The catalog where the partner may simulate AWS's review (spec §7).
pub const SANDBOX: &str = "Sandbox";
