//! Rules of the AWS side of an opportunity (spec §6) that both the partner's writes and
//! AWS's own touch: what a new AWS opportunity starts with, and how its next-steps history
//! follows the next steps it shows.

use serde_json::{Map, Value, json};

use crate::store::{AwsSummaryRecord, OpportunityRecord};

/// How many next-steps entries the history keeps (the model's list maximum).
pub const NEXT_STEPS_HISTORY_MAX: usize = 50;

/// The AWS side a new summary starts with: one sandbox partner development manager.
pub fn initial() -> Map<String, Value> {
    let mut aws = Map::new();
    aws.insert(
        "OpportunityTeam".into(),
        json!([{
            "BusinessTitle": "PDM",
            "Email": "pdm-sandbox@partnercentral.local",
            "FirstName": "Sandbox",
            "LastName": "Partner Development Manager"
        }]),
    );
    aws
}

/// A new AWS opportunity for an approved partner opportunity.
pub fn new_summary(opp: &OpportunityRecord) -> AwsSummaryRecord {
    AwsSummaryRecord {
        opportunity_id: opp.id.clone(),
        aws: initial(),
        next_steps_history: Vec::new(),
        last_next_steps: opp.text("LifeCycle.NextSteps").map(str::to_string),
    }
}

/// The next steps the summary shows: AWS's own when set, else the partner's.
fn effective_next_steps(
    summary: &AwsSummaryRecord,
    opp: Option<&OpportunityRecord>,
) -> Option<String> {
    summary
        .aws
        .get("LifeCycle")
        .and_then(|l| l.get("NextSteps"))
        .and_then(Value::as_str)
        .or_else(|| opp.and_then(|o| o.text("LifeCycle.NextSteps")))
        .map(str::to_string)
}

/// Appends `{Value, Time}` to the history when the shown next steps changed.
/// Returns whether the record changed.
pub fn track_next_steps(
    summary: &mut AwsSummaryRecord,
    opp: Option<&OpportunityRecord>,
    time: &str,
) -> bool {
    let now = effective_next_steps(summary, opp);
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
