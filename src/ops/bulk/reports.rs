//! Report URLs: a job's report is served by the emulator itself at
//! `/_bulk-reports/{account}/{catalog}/{job}/{type}.csv?Expires=…&Signature=…`, a URL that,
//! like S3's presigned ones, needs no credentials, is signed (HMAC-SHA256 with a secret of the
//! server process) and stops working at `Expires` (epoch seconds, read on the service clock,
//! so that `/_admin/clock` can age it).
//!
//! A report is CSV: `RequestId,Status,ResourceIdentifier,ErrorCode,ErrorMessage`, one row per
//! record in file order (`FAILED_RECORDS`: the failed ones only).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Runtime;
use crate::store::Scope;

pub const FAILED_RECORDS: &str = "FAILED_RECORDS";
pub const ALL_RECORDS: &str = "ALL_RECORDS";
/// The report's columns.
pub const COLUMNS: [&str; 5] = [
    "RequestId",
    "Status",
    "ResourceIdentifier",
    "ErrorCode",
    "ErrorMessage",
];

fn signature(rt: &Runtime, scope: &Scope, job: &str, report_type: &str, expires: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(&rt.secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(
        format!(
            "{}\n{}\n{job}\n{report_type}\n{expires}",
            scope.account, scope.catalog
        )
        .as_bytes(),
    );
    hex::encode(mac.finalize().into_bytes())
}

/// The URL of a report, working until `expires`.
pub fn url(
    rt: &Runtime,
    scope: &Scope,
    job: &str,
    report_type: &str,
    expires: DateTime<Utc>,
) -> String {
    let base = rt
        .base_url
        .get()
        .map(String::as_str)
        .unwrap_or("http://127.0.0.1:4570");
    let at = expires.timestamp();
    format!(
        "{base}/_bulk-reports/{}/{}/{job}/{report_type}.csv?Expires={at}&Signature={}",
        scope.account,
        scope.catalog,
        signature(rt, scope, job, report_type, at)
    )
}

/// Why a report URL does not work.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a URL this server signed.
    Signature,
    /// Signed, but past `Expires`.
    Expired,
}

/// Checks a report URL's signature and expiry at `now`.
pub fn check(
    rt: &Runtime,
    scope: &Scope,
    job: &str,
    report_type: &str,
    expires: i64,
    sent: &str,
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let want = signature(rt, scope, job, report_type, expires);
    let same: bool = subtle::ConstantTimeEq::ct_eq(want.as_bytes(), sent.as_bytes()).into();
    if !same || want.is_empty() {
        return Err(Refused::Signature);
    }
    if now.timestamp() > expires {
        return Err(Refused::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_signed_and_expire() {
        let rt = Runtime::default();
        let scope = Scope {
            account: "111111111111".into(),
            catalog: "Sandbox".into(),
        };
        let now = Utc::now();
        let at = now.timestamp() + 60;
        let sig = signature(&rt, &scope, "bulkjob-x", FAILED_RECORDS, at);
        assert_eq!(
            check(&rt, &scope, "bulkjob-x", FAILED_RECORDS, at, &sig, now),
            Ok(())
        );
        assert_eq!(
            check(&rt, &scope, "bulkjob-y", FAILED_RECORDS, at, &sig, now),
            Err(Refused::Signature)
        );
        assert_eq!(
            check(
                &rt,
                &scope,
                "bulkjob-x",
                FAILED_RECORDS,
                at,
                &sig,
                now + chrono::Duration::minutes(2)
            ),
            Err(Refused::Expired)
        );
        assert!(
            url(&rt, &scope, "bulkjob-x", FAILED_RECORDS, now).contains(
                "/_bulk-reports/111111111111/Sandbox/bulkjob-x/FAILED_RECORDS.csv?Expires="
            )
        );
    }
}
