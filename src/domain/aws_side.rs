//! Rules of the AWS side of an opportunity (spec §6): what a new AWS opportunity starts with,
//! and how its next-steps history follows the next steps AWS shows. As the service answered in
//! 2026 (captured), the summary's `LifeCycle` is AWS's own: the partner's next steps are not
//! mirrored into it (2025 answers still did; the newest capture wins).

use serde_json::{Map, Value, json};

use crate::store::{AwsSummaryRecord, OpportunityRecord};

/// How many next-steps entries the history keeps (the model's list maximum).
pub const NEXT_STEPS_HISTORY_MAX: usize = 50;

/// The AWS side a new summary starts with: the canned Sandbox partner manager AWS answers
/// (captured 2026: `NAMER` / `SI Partner Manager`, no phone).
pub fn initial() -> Map<String, Value> {
    let mut aws = Map::new();
    aws.insert(
        "OpportunityTeam".into(),
        json!([{
            "BusinessTitle": "PDM",
            "Email": "pdm-sandbox@partnercentral.local",
            "FirstName": "NAMER",
            "LastName": "SI Partner Manager"
        }]),
    );
    aws
}

/// A new AWS opportunity for an approved partner opportunity (nothing of the partner's record
/// is copied: the summary renders what it mirrors live).
pub fn new_summary(opp: &OpportunityRecord) -> AwsSummaryRecord {
    AwsSummaryRecord {
        opportunity_id: opp.id.clone(),
        aws: initial(),
        next_steps_history: Vec::new(),
        last_next_steps: None,
    }
}

/// Appends `{Value, Time}` to the history when AWS's next steps changed.
/// Returns whether the record changed.
pub fn track_next_steps(summary: &mut AwsSummaryRecord, time: &str) -> bool {
    let now = summary
        .aws
        .get("LifeCycle")
        .and_then(|l| l.get("NextSteps"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if now == summary.last_next_steps {
        return false;
    }
    if let Some(value) = &now {
        summary
            .next_steps_history
            .push(json!({"Value": value, "Time": time}));
        let excess = summary
            .next_steps_history
            .len()
            .saturating_sub(NEXT_STEPS_HISTORY_MAX);
        summary.next_steps_history.drain(..excess);
    }
    summary.last_next_steps = now;
    true
}
