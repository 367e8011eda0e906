//! Identifiers and ARNs in the forms the real service uses.

use rand::Rng;

const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// `n` random characters of `[0-9a-z]`.
pub fn random_suffix(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Whether `value` has the form of an AWS account id (12 digits).
pub fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// The first opportunity number a new store hands out, so that ids look like real ones
/// (`O` + 7 digits).
pub const FIRST_OPPORTUNITY_NUMBER: i64 = 1_000_001;
/// The last opportunity number ever handed out (18 digits, far inside `i64` and the
/// model's `O[0-9]{1,19}`); past it, creates are refused rather than overflow.
pub const MAX_OPPORTUNITY_NUMBER: i64 = 999_999_999_999_999_999;

pub fn opportunity_id(num: i64) -> String {
    format!("O{num}")
}

pub fn opportunity_arn(region: &str, account: &str, catalog: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:{region}:{account}:catalog/{catalog}/opportunity/{id}")
}

pub fn task_id() -> String {
    format!("task-{}", random_suffix(13))
}

/// Prospecting tasks have one more character than the other tasks (the model's pattern).
pub fn prospecting_task_id() -> String {
    format!("task-{}", random_suffix(14))
}

pub fn opportunity_from_engagement_task_arn(region: &str, catalog: &str, task: &str) -> String {
    format!(
        "arn:aws:partnercentral:{region}::catalog/{catalog}/opportunity-from-engagement-task/{task}"
    )
}

pub fn prospecting_task_arn(region: &str, catalog: &str, task: &str) -> String {
    format!(
        "arn:aws:partnercentral:{region}::catalog/{catalog}/prospecting-from-engagement-task/{task}"
    )
}

pub fn engagement_group_arn(region: &str, catalog: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:{region}::catalog/{catalog}/engagement-group/{id}")
}

/// The `ctx-…` form a prospecting result reports for engagement context `id` (`"3"` is
/// `ctx-00000000000003`): the model gives results that form while engagements number their
/// contexts `1`, `2`, …, so the one maps to the other.
pub fn prospecting_context_id(id: &str) -> String {
    format!("ctx-{id:0>14}")
}

pub fn engagement_id() -> String {
    format!("eng-{}", random_suffix(14))
}

pub fn invitation_id() -> String {
    format!("engi-{}", random_suffix(13))
}

pub fn snapshot_job_id() -> String {
    format!("job-{}", random_suffix(13))
}

/// Engagement-side ARNs carry no account (as observed on the real service).
pub fn engagement_from_opportunity_task_arn(region: &str, catalog: &str, task: &str) -> String {
    format!(
        "arn:aws:partnercentral:{region}::catalog/{catalog}/engagement-from-opportunity-task/{task}"
    )
}

pub fn engagement_arn(region: &str, catalog: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:{region}::catalog/{catalog}/engagement/{id}")
}

pub fn invitation_arn(region: &str, catalog: &str, id: &str) -> String {
    format!("arn:aws:partnercentral:{region}::catalog/{catalog}/engagement-invitation/{id}")
}

pub fn accepting_task_arn(region: &str, catalog: &str, task: &str) -> String {
    format!(
        "arn:aws:partnercentral:{region}::catalog/{catalog}/engagement-by-accepting-invitation-task/{task}"
    )
}

/// Whether `value` has the form of an invitation id (`engi-` and 13 of `[0-9a-z]`).
pub fn is_invitation_id(value: &str) -> bool {
    value.strip_prefix("engi-").is_some_and(|rest| {
        rest.len() == 13
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// The last path segment of an ARN, or the value itself when it is a bare id.
pub fn id_of(arn_or_id: &str) -> &str {
    arn_or_id.rsplit('/').next().unwrap_or(arn_or_id)
}
