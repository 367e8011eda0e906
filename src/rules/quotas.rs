//! The real service's per-account rate quotas (facts §5.2), enforced with `--quotas aws`:
//! a token bucket per second and a rolling 24-hour count, per account and quota class.
//! Over a limit the call answers `ThrottlingException` (400, or 429 with `--error-status model`;
//! every SDK retries it either way). The limits live in one table,
//! [`QuotaTable::aws`]; a JSON file can replace it (`--quotas-file`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::protocol::{ApiError, ErrorKind};

/// One quota class: which operations share it and its limits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuotaRule {
    pub name: String,
    pub operations: Vec<String>,
    #[serde(default)]
    pub per_second: Option<f64>,
    #[serde(default, rename = "per24Hours")]
    pub per_24_hours: Option<u64>,
}

/// The quota classes; an operation belongs to the first class that lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuotaTable {
    pub rules: Vec<QuotaRule>,
}

impl QuotaTable {
    /// AWS's published Partner Central Selling API quotas.
    pub fn aws() -> Self {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        QuotaTable {
            rules: vec![
                QuotaRule {
                    name: "read".into(),
                    operations: names(&[
                        "GetOpportunity",
                        "GetAwsOpportunitySummary",
                        "ListOpportunities",
                        "ListSolutions",
                        "GetEngagementInvitation",
                        "ListEngagementInvitations",
                    ]),
                    per_second: Some(10.0),
                    per_24_hours: Some(100_000),
                },
                QuotaRule {
                    name: "write".into(),
                    operations: names(&[
                        "CreateOpportunity",
                        "UpdateOpportunity",
                        "AssociateOpportunity",
                        "DisassociateOpportunity",
                        "RejectEngagementInvitation",
                        "AssignOpportunity",
                        "StartEngagementFromOpportunityTask",
                        "StartEngagementByAcceptingInvitationTask",
                    ]),
                    per_second: Some(1.0),
                    per_24_hours: Some(10_000),
                },
                QuotaRule {
                    name: "CreateEngagement".into(),
                    operations: names(&["CreateEngagement"]),
                    per_second: Some(15.0),
                    per_24_hours: None,
                },
            ],
        }
    }

    /// The class (rule name) operation `name` belongs to, if any.
    pub fn class_of(&self, name: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.operations.iter().any(|o| o == name))
            .map(|r| r.name.as_str())
    }

    /// Reads a table from JSON, checking operation names against the model.
    pub fn parse(text: &str, model: &Model) -> Result<Self, String> {
        let table: QuotaTable = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for rule in &table.rules {
            for op in &rule.operations {
                if model.operation(op).is_none() {
                    return Err(format!(
                        "quota '{}': '{op}' is not an operation of the service",
                        rule.name
                    ));
                }
            }
            if rule.per_second.is_some_and(|r| r <= 0.0) {
                return Err(format!("quota '{}': perSecond must be positive", rule.name));
            }
        }
        Ok(table)
    }
}

/// Usage of one class by one account: kept in memory, or in a shared store (serialized) when
/// several replicas count together.
#[derive(Debug, Serialize, Deserialize)]
pub struct Usage {
    tokens: f64,
    /// When `tokens` was last refilled, in milliseconds on the counting clock.
    refilled_ms: i64,
    /// (minute index, count) for the rolling 24 hours.
    minutes: VecDeque<(u64, u64)>,
    day_total: u64,
}

impl Usage {
    /// A class not used yet: a full bucket.
    pub fn fresh(rule: &QuotaRule, now_ms: i64) -> Self {
        Self {
            tokens: rule.per_second.unwrap_or(0.0),
            refilled_ms: now_ms,
            minutes: VecDeque::new(),
            day_total: 0,
        }
    }

    /// Counts one call at `now_ms` (milliseconds on a clock that does not jump: the
    /// process's, or the database's when replicas share the count); `ThrottlingException` if
    /// it is over a limit, and then nothing is counted. The rolling 24 hours follow the
    /// service clock (`clock_offset_ms` added).
    pub fn charge(
        &mut self,
        rule: &QuotaRule,
        account: &str,
        now_ms: i64,
        clock_offset_ms: i64,
    ) -> Result<(), ApiError> {
        let minute = (now_ms.saturating_add(clock_offset_ms) / 60_000).max(0) as u64;
        while let Some(&(m, n)) = self.minutes.front() {
            if m + DAY_MINUTES > minute {
                break;
            }
            self.day_total -= n;
            self.minutes.pop_front();
        }
        if let Some(limit) = rule.per_24_hours
            && self.day_total >= limit
        {
            return Err(throttled(format!(
                "Rate exceeded: account {account} used its {limit} {} requests of the last 24 hours.",
                rule.name
            )));
        }
        if let Some(rate) = rule.per_second {
            let elapsed = now_ms.saturating_sub(self.refilled_ms).max(0) as f64 / 1000.0;
            self.tokens = (self.tokens + elapsed * rate).min(rate.max(1.0));
            self.refilled_ms = self.refilled_ms.max(now_ms);
            if self.tokens < 1.0 {
                return Err(throttled(format!(
                    "Rate exceeded: account {account} is limited to {rate} {} requests per second.",
                    rule.name
                )));
            }
            self.tokens -= 1.0;
        }
        match self.minutes.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => self.minutes.push_back((minute, 1)),
        }
        self.day_total += 1;
        Ok(())
    }
}

const DAY_MINUTES: u64 = 24 * 60;

/// Quota enforcement state.
pub struct Quotas {
    table: QuotaTable,
    start: Instant,
    usage: Mutex<HashMap<(String, usize), Usage>>,
}

impl Quotas {
    pub fn new(table: QuotaTable) -> Self {
        Self {
            table,
            start: Instant::now(),
            usage: Mutex::new(HashMap::new()),
        }
    }

    pub fn table(&self) -> &QuotaTable {
        &self.table
    }

    /// The quota class `operation` counts against, and its index in the table.
    pub fn rule_of(&self, operation: &str) -> Option<(usize, &QuotaRule)> {
        self.table
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.operations.iter().any(|o| o == operation))
    }

    /// Counts one call in this process; `ThrottlingException` if it is over a limit. The
    /// rolling 24 hours follow the service clock (`clock_offset_ms`, moved by
    /// `/_admin/clock`); the per-second buckets stay on real time.
    pub fn check(
        &self,
        operation: &str,
        account: &str,
        clock_offset_ms: i64,
    ) -> Result<(), ApiError> {
        self.check_at(operation, account, Instant::now(), clock_offset_ms)
    }

    fn check_at(
        &self,
        operation: &str,
        account: &str,
        now: Instant,
        clock_offset_ms: i64,
    ) -> Result<(), ApiError> {
        let Some((index, rule)) = self.rule_of(operation) else {
            return Ok(());
        };
        let now_ms = i64::try_from(now.duration_since(self.start).as_millis()).unwrap_or(i64::MAX);
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        usage
            .entry((account.to_string(), index))
            .or_insert_with(|| Usage::fresh(rule, now_ms))
            .charge(rule, account, now_ms, clock_offset_ms)
    }
}

fn throttled(message: String) -> ApiError {
    ApiError::new(ErrorKind::Throttling, message)
}

/// Time a full bucket needs to refill, for tests and docs.
pub fn refill_time(rate: f64) -> Duration {
    Duration::from_secs_f64(1.0 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_one_per_second_and_reads_ten() {
        let q = Quotas::new(QuotaTable::aws());
        let t0 = Instant::now();
        assert!(
            q.check_at("CreateOpportunity", "111111111111", t0, 0)
                .is_ok()
        );
        assert!(
            q.check_at("CreateOpportunity", "111111111111", t0, 0)
                .is_err()
        );
        assert!(
            q.check_at("CreateOpportunity", "222222222222", t0, 0)
                .is_ok(),
            "per account"
        );
        assert!(
            q.check_at(
                "UpdateOpportunity",
                "111111111111",
                t0 + refill_time(1.0),
                0
            )
            .is_ok()
        );
        for _ in 0..10 {
            assert!(q.check_at("GetOpportunity", "111111111111", t0, 0).is_ok());
        }
        assert!(
            q.check_at("ListOpportunities", "111111111111", t0, 0)
                .is_err()
        );
        assert!(
            q.check_at("SubmitOpportunity", "111111111111", t0, 0)
                .is_ok(),
            "not in the table"
        );
    }

    #[test]
    fn the_daily_quota_rolls_over_24_hours() {
        let table = QuotaTable {
            rules: vec![QuotaRule {
                name: "tiny".into(),
                operations: vec!["GetOpportunity".into()],
                per_second: None,
                per_24_hours: Some(2),
            }],
        };
        let q = Quotas::new(table);
        let t0 = Instant::now();
        assert!(q.check_at("GetOpportunity", "1", t0, 0).is_ok());
        assert!(
            q.check_at("GetOpportunity", "1", t0 + Duration::from_secs(3600), 0)
                .is_ok()
        );
        assert!(
            q.check_at("GetOpportunity", "1", t0 + Duration::from_secs(7200), 0)
                .is_err()
        );
        assert!(
            q.check_at(
                "GetOpportunity",
                "1",
                t0 + Duration::from_secs(24 * 3600 + 60),
                0
            )
            .is_ok()
        );
    }

    #[test]
    fn the_daily_quota_follows_the_service_clock() {
        let table = QuotaTable {
            rules: vec![QuotaRule {
                name: "tiny".into(),
                operations: vec!["GetOpportunity".into()],
                per_second: None,
                per_24_hours: Some(1),
            }],
        };
        let q = Quotas::new(table);
        let t0 = Instant::now();
        assert!(q.check_at("GetOpportunity", "1", t0, 0).is_ok());
        assert!(q.check_at("GetOpportunity", "1", t0, 3_600_000).is_err());
        let next_day = (24 * 3600 + 60) * 1000;
        assert!(q.check_at("GetOpportunity", "1", t0, next_day).is_ok());
    }

    #[test]
    fn the_built_in_table_names_real_operations() {
        let text = serde_json::to_string(&QuotaTable::aws()).unwrap();
        assert_eq!(
            QuotaTable::parse(&text, Model::get()).unwrap(),
            QuotaTable::aws()
        );
    }
}
