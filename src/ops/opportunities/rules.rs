//! Where the opportunity operations meet AWS's business rule table
//! ([`crate::rules::business`]): the facts a rule may look at (the partner's profile, the
//! service clock, associations, the related opportunity) gathered inside the operation's
//! transaction, and the partner profile the control plane sets.

use serde_json::Value;

use crate::model::validate::FieldViolation;
use crate::ops::{Context, Service, ServiceError, access};
pub use crate::rules::business::Subject;
use crate::rules::business::{self, Facts, Mode, Profile};
use crate::store::{Store, Tx};

/// The store setting holding an account's profile.
fn profile_setting(account: &str) -> String {
    format!("profile:{account}")
}

/// The account's partner profile (the defaults when none was set).
pub fn profile(tx: &dyn Tx, account: &str) -> Result<Profile, ServiceError> {
    Ok(match tx.setting(&profile_setting(account))? {
        Some(text) if !text.is_empty() => serde_json::from_str(&text)
            .map_err(|e| ServiceError::Store(crate::store::StoreError::Corrupt(e)))?,
        _ => Profile::default(),
    })
}

/// Replaces the account's profile (`None`: back to the defaults).
pub fn set_profile(
    tx: &mut dyn Tx,
    account: &str,
    profile: Option<&Profile>,
) -> Result<(), ServiceError> {
    let text = match profile {
        Some(p) => serde_json::to_string(p)
            .map_err(|e| ServiceError::Store(crate::store::StoreError::Corrupt(e)))?,
        None => String::new(),
    };
    tx.put_setting(&profile_setting(account), &text)?;
    Ok(())
}

/// The business rules `subject` breaks (none with `--business-rules off`).
pub fn violations<S: Store>(
    svc: &Service<S>,
    tx: &dyn Tx,
    ctx: &Context,
    now: chrono::DateTime<chrono::Utc>,
    subject: &Subject<'_>,
) -> Result<Vec<FieldViolation>, ServiceError> {
    if svc.business_rules == Mode::Off {
        return Ok(Vec::new());
    }
    let profile = profile(tx, &ctx.account)?;
    let related_opportunity_exists = match subject
        .doc
        .get("Project")
        .and_then(|p| p.get("RelatedOpportunityIdentifier"))
        .and_then(Value::as_str)
    {
        Some(id) if !id.is_empty() => Some(access::find_opportunity(tx, ctx, id)?.is_some()),
        _ => None,
    };
    Ok(business::check(&Facts {
        subject,
        catalog: &ctx.catalog,
        today: now.date_naive(),
        profile: &profile,
        related_opportunity_exists,
    }))
}

/// `Err` with every violation when there are any.
pub fn enforce<S: Store>(
    svc: &Service<S>,
    tx: &dyn Tx,
    ctx: &Context,
    now: chrono::DateTime<chrono::Utc>,
    subject: &Subject<'_>,
) -> Result<(), ServiceError> {
    let found = violations(svc, tx, ctx, now, subject)?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Business(found))
    }
}
