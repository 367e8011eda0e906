//! The service's rules, free of HTTP and SQL: timestamps, identifiers and ARNs, page
//! tokens, the opportunity lifecycle (who may change what, when), the AWS side of an
//! opportunity, and the typed changes a write reports.

pub mod aws_side;
pub mod changes;
pub mod events;
pub mod ids;
pub mod lifecycle;
pub mod opportunity_search;
pub mod pagination;
pub mod search;
pub mod time;

/// The catalogs that exist; any other value is refused (spec §3).
pub const CATALOGS: [&str; 2] = ["AWS", "Sandbox"];
/// The catalog where the partner may simulate AWS's review (spec §7).
pub const SANDBOX: &str = "Sandbox";

/// The party AWS is in invitations and engagements.
pub const AWS_PARTY: &str = "aws";

/// The company name a party shows in invitations, engagements and events. Partner profiles
/// are not modelled yet, so a partner's company is named after its account.
pub fn company_name(account: &str) -> String {
    if account == AWS_PARTY {
        "AWS".to_string()
    } else {
        format!("Partner {account}")
    }
}
