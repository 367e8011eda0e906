//! The partner opportunity's review lifecycle (facts §1.2, spec §7): which review statuses
//! lock an opportunity, which fields a partner may still change in `Action Required`, which
//! become frozen once AWS approved, and which review decisions AWS may take from where.

use serde_json::{Map, Value};

use crate::model::validate::{Code, FieldViolation};

pub const PENDING_SUBMISSION: &str = "Pending Submission";
pub const SUBMITTED: &str = "Submitted";
pub const IN_REVIEW: &str = "In review";
pub const APPROVED: &str = "Approved";
pub const REJECTED: &str = "Rejected";
pub const ACTION_REQUIRED: &str = "Action Required";

/// `Origin` of partner-created opportunities.
pub const PARTNER_REFERRAL: &str = "Partner Referral";
/// The origin of an opportunity AWS referred to the partner.
pub const AWS_REFERRAL: &str = "AWS Referral";
/// `Visibility` when the submission does not say.
pub const DEFAULT_VISIBILITY: &str = "Full";

/// Members of `LifeCycle` only AWS writes.
pub const REVIEW_MEMBERS: [&str; 3] = ["ReviewStatus", "ReviewComments", "ReviewStatusReason"];

/// What a partner may still change while AWS asks for action.
pub const ACTION_REQUIRED_EDITABLE: [&str; 10] = [
    "Customer.Account.Address.City",
    "Customer.Account.Address.CountryCode",
    "Customer.Account.Address.PostalCode",
    "Customer.Account.Address.StateOrRegion",
    "Customer.Account.Address.StreetAddress",
    "Customer.Account.WebsiteUrl",
    "LifeCycle.TargetCloseDate",
    "Project.ExpectedCustomerSpend",
    "Project.CustomerBusinessProblem",
    "PartnerOpportunityIdentifier",
];

/// What a partner can no longer change once AWS approved: AWS's guide, plus what its data
/// model also freezes (state, company name, national security).
pub const FROZEN_AFTER_APPROVAL: [&str; 10] = [
    "Customer.Account.Address.CountryCode",
    "Customer.Account.Address.PostalCode",
    "Customer.Account.Address.StateOrRegion",
    "Customer.Account.CompanyName",
    "Customer.Account.Industry",
    "Customer.Account.WebsiteUrl",
    "NationalSecurity",
    "Project.CustomerBusinessProblem",
    "PartnerOpportunityIdentifier",
    "Project.Title",
];

/// What a partner may still change once the opportunity is `Launched` (AWS's data model);
/// a `Closed Lost` opportunity takes no change at all.
pub const EDITABLE_AFTER_LAUNCH: [&str; 5] = [
    "Project.AdditionalComments",
    "Project.DeliveryModels",
    "OpportunityType",
    "Project.RelatedOpportunityIdentifier",
    "SoftwareRevenue",
];

/// The message AWS's partners relay for a change to a launched or lost opportunity.
pub const CLOSED_STAGE_MESSAGE: &str =
    "Changes are not allowed when an opportunity stage is \"Closed Lost\" or \"Launched.\"";

/// Review decisions AWS takes (and the Sandbox lets a partner simulate).
pub const REVIEW_DECISIONS: [&str; 4] = [IN_REVIEW, APPROVED, ACTION_REQUIRED, REJECTED];

/// Paths (dotted) whose values differ between two documents. Objects are compared member by
/// member; lists and scalars as whole values; `null` counts as absent.
pub fn changed_paths(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    diff(old, new, "", &mut out);
    out
}

fn diff(old: &Map<String, Value>, new: &Map<String, Value>, prefix: &str, out: &mut Vec<String>) {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let a = old.get(key).filter(|v| !v.is_null());
        let b = new.get(key).filter(|v| !v.is_null());
        match (a, b) {
            (Some(Value::Object(x)), Some(Value::Object(y))) => diff(x, y, &path, out),
            (Some(Value::Object(x)), None) => diff(x, &Map::new(), &path, out),
            (None, Some(Value::Object(y))) => diff(&Map::new(), y, &path, out),
            (x, y) if x != y => out.push(path),
            _ => {}
        }
    }
}

fn within(path: &str, allowed: &[&str]) -> bool {
    allowed
        .iter()
        .any(|a| path == *a || (path.starts_with(a) && path.as_bytes().get(a.len()) == Some(&b'.')))
}

/// Checks a partner's update of an opportunity in review status `status`, given the stored
/// and the proposed partner documents (review members excluded from both).
pub fn check_partner_update(
    id: &str,
    status: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), Vec<FieldViolation>> {
    let stage = old
        .get("LifeCycle")
        .and_then(|lc| lc.get("Stage"))
        .and_then(Value::as_str);
    if let Some(stage @ ("Launched" | "Closed Lost")) = stage {
        let allowed: &[&str] = if stage == "Launched" {
            &EDITABLE_AFTER_LAUNCH
        } else {
            &[]
        };
        let refused: Vec<FieldViolation> = changed_paths(old, new)
            .into_iter()
            .filter(|p| !within(p, allowed))
            .map(|p| FieldViolation::new(p, Code::ActionNotPermitted, CLOSED_STAGE_MESSAGE))
            .collect();
        return if refused.is_empty() {
            Ok(())
        } else {
            Err(refused)
        };
    }
    match status {
        SUBMITTED | IN_REVIEW | REJECTED => Err(vec![FieldViolation::new(
            "LifeCycle.ReviewStatus",
            Code::InvalidResourceState,
            format!("Opportunity {id} cannot be updated while its review status is '{status}'."),
        )]),
        ACTION_REQUIRED => {
            let refused: Vec<FieldViolation> = changed_paths(old, new)
                .into_iter()
                .filter(|p| !within(p, &ACTION_REQUIRED_EDITABLE))
                .map(|p| {
                    FieldViolation::new(
                        p.clone(),
                        Code::ActionNotPermitted,
                        format!("{p} cannot be changed while opportunity {id} is in '{ACTION_REQUIRED}'."),
                    )
                })
                .collect();
            if refused.is_empty() {
                Ok(())
            } else {
                Err(refused)
            }
        }
        APPROVED => {
            let refused: Vec<FieldViolation> = changed_paths(old, new)
                .into_iter()
                .filter(|p| within(p, &FROZEN_AFTER_APPROVAL))
                .map(|p| {
                    FieldViolation::new(
                        p.clone(),
                        Code::ActionNotPermitted,
                        format!("{p} cannot be changed after opportunity {id} was approved."),
                    )
                })
                .collect();
            if refused.is_empty() {
                Ok(())
            } else {
                Err(refused)
            }
        }
        _ => Ok(()),
    }
}

/// Checks that AWS may move an opportunity from review status `current` to `target`.
pub fn check_review_decision(id: &str, current: &str, target: &str) -> Result<(), FieldViolation> {
    let field = "LifeCycle.ReviewStatus";
    if !REVIEW_DECISIONS.contains(&target) {
        return Err(FieldViolation::new(
            field,
            Code::ActionNotPermitted,
            format!(
                "A review decision must be one of [{}]; '{target}' is set by the partner's own actions.",
                REVIEW_DECISIONS.join(", ")
            ),
        ));
    }
    if matches!(current, SUBMITTED | IN_REVIEW | ACTION_REQUIRED) {
        Ok(())
    } else {
        let why = match current {
            PENDING_SUBMISSION => "it has not been submitted yet".to_string(),
            APPROVED | REJECTED => format!("its review is over ('{current}')"),
            _ => format!("its review status is '{current}'"),
        };
        Err(FieldViolation::new(
            field,
            Code::InvalidResourceState,
            format!("Opportunity {id} cannot move to review status '{target}': {why}."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn every_named_value_is_in_the_model() {
        let model = Model::get();
        for s in [
            PENDING_SUBMISSION,
            SUBMITTED,
            IN_REVIEW,
            APPROVED,
            REJECTED,
            ACTION_REQUIRED,
        ] {
            assert!(
                model.enum_values("ReviewStatus").iter().any(|v| v == s),
                "{s}"
            );
        }
        assert!(
            model
                .enum_values("OpportunityOrigin")
                .iter()
                .any(|v| v == PARTNER_REFERRAL)
        );
        assert!(
            model
                .enum_values("Visibility")
                .iter()
                .any(|v| v == DEFAULT_VISIBILITY)
        );
    }

    #[test]
    fn action_required_allows_only_the_whitelist() {
        let old = map(json!({"Project": {"Title": "A", "CustomerBusinessProblem": "x"}}));
        let ok = map(json!({"Project": {"Title": "A", "CustomerBusinessProblem": "y"}}));
        assert!(check_partner_update("O1", ACTION_REQUIRED, &old, &ok).is_ok());
        let bad = map(json!({"Project": {"Title": "B", "CustomerBusinessProblem": "y"}}));
        let err = check_partner_update("O1", ACTION_REQUIRED, &old, &bad).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "Project.Title");
    }

    #[test]
    fn approval_freezes_fields() {
        let old = map(json!({"Project": {"Title": "A"}, "LifeCycle": {"NextSteps": "a"}}));
        let ok = map(json!({"Project": {"Title": "A"}, "LifeCycle": {"NextSteps": "b"}}));
        assert!(check_partner_update("O1", APPROVED, &old, &ok).is_ok());
        let bad = map(json!({"LifeCycle": {"NextSteps": "b"}}));
        assert_eq!(
            check_partner_update("O1", APPROVED, &old, &bad).unwrap_err()[0].field,
            "Project.Title"
        );
    }

    #[test]
    fn review_decisions_follow_submission() {
        assert!(check_review_decision("O1", SUBMITTED, APPROVED).is_ok());
        assert!(check_review_decision("O1", ACTION_REQUIRED, APPROVED).is_ok());
        assert!(check_review_decision("O1", PENDING_SUBMISSION, APPROVED).is_err());
        assert!(check_review_decision("O1", REJECTED, APPROVED).is_err());
        assert!(check_review_decision("O1", SUBMITTED, PENDING_SUBMISSION).is_err());
    }
}
