//! The service's rules, free of HTTP and SQL: timestamps, identifiers and ARNs, page
//! tokens, and the opportunity lifecycle (who may change what, when).

pub mod events;
pub mod ids;
pub mod lifecycle;
pub mod pagination;
pub mod time;

/// The catalogs that exist; any other value is refused (spec §3).
pub const CATALOGS: [&str; 2] = ["AWS", "Sandbox"];
/// The catalog where the partner may simulate AWS's review (spec §7).
pub const SANDBOX: &str = "Sandbox";
