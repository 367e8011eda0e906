//! AWS's business validation of partner opportunities: the rules AWS applies beyond the
//! model's shapes at create, update, association and submission, and the error AWS sends
//! (`ValidationException`, `Reason: BUSINESS_VALIDATION_FAILED`, one `ErrorList` entry per
//! violated rule, all of a request's violations together).
//!
//! The rules themselves are one table, [`table::RULES`], that reads like AWS's data model
//! (rule, field, when, code, message, source); this module is the engine that runs it over
//! [`Facts`], and [`values`] holds the lists AWS checks that the model does not carry.
//! What a partner may still change after AWS's review is in [`crate::domain::lifecycle`].

pub mod table;
pub mod values;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::model::validate::{Code, FieldViolation};

/// When a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// CreateOpportunity.
    Create,
    /// UpdateOpportunity (the whole proposed document is checked again).
    Update,
    /// StartEngagementFromOpportunityTask and SubmitOpportunity.
    Submit,
    /// AssociateOpportunity.
    Associate,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Update => "update",
            Step::Submit => "submit",
            Step::Associate => "associate",
        }
    }
}

/// How sure we are that AWS applies a rule as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Stated by AWS (its data model, guides or the model's documentation).
    Documented,
    /// Seen in a real answer from AWS.
    Captured,
    /// Stated for AWS's older file integration only; applied as our decision.
    Legacy,
    /// Our inference where AWS is silent.
    Inferred,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Documented => "documented",
            Source::Captured => "captured",
            Source::Legacy => "legacy",
            Source::Inferred => "inferred",
        }
    }
}

/// What a rule's check says.
pub enum Verdict {
    Pass,
    /// Violated; the rule's message applies.
    Fail,
    /// Violated; the message depends on the request (e.g. a country's postal format).
    FailWith(String),
}

/// One business rule.
pub struct Rule {
    /// The rule's number in `business-rules.md` (C = create, U = update, S = submission,
    /// R = association).
    pub id: &'static str,
    /// The request member the rule is about (also the `FieldName` AWS reports, in its
    /// lowerCamel form).
    pub field: &'static str,
    pub steps: &'static [Step],
    pub code: Code,
    /// What the rule requires, in words (the README's rule list).
    pub rule: &'static str,
    /// The message AWS sends (its exact text where known).
    pub message: &'static str,
    pub source: Source,
    pub check: fn(&Facts) -> Verdict,
}

/// What the API cannot know about a partner, set per account through the control plane.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Profile {
    /// `Consulting` or `Software` (software partners are not asked for the customer's AWS
    /// account at `Launched`).
    #[serde(default = "Profile::default_partner_type")]
    pub partner_type: String,
    /// Programs the partner belongs to; `SRRP` or `ISV Accelerate` make `SoftwareRevenue`
    /// required at `Launched`.
    #[serde(default)]
    pub programs: Vec<String>,
    /// Whether AWS lets the partner submit with `Limited` visibility.
    #[serde(default = "Profile::yes")]
    pub limited_visibility_eligible: bool,
    /// The Partner Central user who owns the account's opportunities (AWS puts it first in
    /// `OpportunityTeam` as `OpportunityOwner`).
    #[serde(default = "Profile::default_user")]
    pub user: ProfileUser,
}

/// A Partner Central user.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProfileUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl Profile {
    fn default_partner_type() -> String {
        "Consulting".to_string()
    }
    fn yes() -> bool {
        true
    }
    fn default_user() -> ProfileUser {
        ProfileUser {
            email: "alliance.lead@example.com".to_string(),
            first_name: "Alliance".to_string(),
            last_name: "Lead".to_string(),
        }
    }

    /// Whether the partner is in a program that reports software revenue.
    pub fn special_program(&self) -> bool {
        self.programs
            .iter()
            .any(|p| matches!(p.as_str(), "SRRP" | "ISV Accelerate"))
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            partner_type: Self::default_partner_type(),
            programs: Vec::new(),
            limited_visibility_eligible: true,
            user: Self::default_user(),
        }
    }
}

/// What one check is about: the request's side of the facts.
pub struct Subject<'a> {
    pub step: Step,
    /// The opportunity as it will be stored (create: the request; update: the proposed
    /// document; submit and associate: the stored document).
    pub doc: &'a Map<String, Value>,
    /// The stored document before an update.
    pub previous: Option<&'a Map<String, Value>>,
    /// Associated entities (after an association).
    pub related: &'a BTreeMap<String, Vec<String>>,
    /// Submission: the involvement type and visibility asked for.
    pub involvement: Option<&'a str>,
    pub visibility: Option<&'a str>,
    /// Association: the `RelatedEntityType` being associated or disassociated.
    pub entity_type: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn new(
        step: Step,
        doc: &'a Map<String, Value>,
        related: &'a BTreeMap<String, Vec<String>>,
    ) -> Self {
        Subject {
            step,
            doc,
            previous: None,
            related,
            involvement: None,
            visibility: None,
            entity_type: None,
        }
    }
}

/// Everything a rule may look at: the subject, and what the service knows besides.
pub struct Facts<'a> {
    pub subject: &'a Subject<'a>,
    pub catalog: &'a str,
    /// Today, by the emulator's clock.
    pub today: NaiveDate,
    pub profile: &'a Profile,
    /// Whether `Project.RelatedOpportunityIdentifier` names an opportunity of the caller
    /// (`None` when it names none).
    pub related_opportunity_exists: Option<bool>,
}

impl<'a> Facts<'a> {
    /// The value at a dotted path.
    pub fn get(&self, path: &str) -> Option<&'a Value> {
        at(self.subject.doc, path)
    }

    /// The string at a dotted path, when present and not empty.
    pub fn text(&self, path: &str) -> Option<&'a str> {
        self.get(path)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }

    /// Whether a member has a value (not null, not an empty string, list or object).
    pub fn has(&self, path: &str) -> bool {
        self.get(path).is_some_and(present)
    }

    /// The strings of a list member.
    pub fn strings(&self, path: &str) -> Vec<&'a str> {
        self.get(path)
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The entries of `Project.ExpectedCustomerSpend`.
    pub fn spend(&self) -> Vec<&'a Map<String, Value>> {
        self.get("Project.ExpectedCustomerSpend")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default()
    }

    /// Whether the value at `path` differs from the stored one (always on create).
    pub fn changed(&self, path: &str) -> bool {
        match self.subject.previous {
            None => true,
            Some(prev) => at(prev, path) != self.get(path),
        }
    }

    pub fn is(&self, path: &str, value: &str) -> bool {
        self.text(path) == Some(value)
    }

    pub fn national_security(&self) -> bool {
        self.is("NationalSecurity", "Yes")
    }
}

fn at<'v>(doc: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.get(p)?;
    }
    Some(cur).filter(|v| !v.is_null())
}

/// Whether a JSON value counts as given.
pub fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Whether business rules are applied (`--business-rules aws|off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    #[default]
    Aws,
    Off,
}

/// Runs every rule of `facts.step` over `facts`; the violations, in table order.
pub fn check(facts: &Facts) -> Vec<FieldViolation> {
    table::RULES
        .iter()
        .filter(|r| r.steps.contains(&facts.subject.step))
        .filter_map(|r| match (r.check)(facts) {
            Verdict::Pass => None,
            Verdict::Fail => Some(FieldViolation::new(r.field, r.code, r.message)),
            Verdict::FailWith(message) => Some(FieldViolation::new(r.field, r.code, message)),
        })
        .collect()
}

/// The `FieldName` AWS reports for a request member: its lowerCamel dotted path, without list
/// indices (`Customer.Account.WebsiteUrl` → `customer.account.websiteUrl`).
pub fn field_name(path: &str) -> String {
    path.split('.')
        .map(|part| {
            let part = part.split('[').next().unwrap_or(part);
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The top-level message of a business validation failure, in the grammar AWS's answers were
/// captured with: `<TOKEN> <field>:<text>` entries joined by `;`.
pub fn summary(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| match v.code {
            Code::ActionNotPermitted => format!("ACTION_NOT_PERMITTED:{}", v.message),
            _ => format!(
                "BUSINESS_VALIDATION_EXCEPTION {}:{}",
                field_name(&v.field),
                v.message
            ),
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_lower_camel_paths_without_indices() {
        assert_eq!(
            field_name("Customer.Account.WebsiteUrl"),
            "customer.account.websiteUrl"
        );
        assert_eq!(
            field_name("Project.ExpectedCustomerSpend[0].Amount"),
            "project.expectedCustomerSpend.amount"
        );
        assert_eq!(field_name("PrimaryNeedsFromAws"), "primaryNeedsFromAws");
    }

    #[test]
    fn every_rule_has_an_id_a_field_a_step_and_a_message() {
        let mut ids = std::collections::HashSet::new();
        for r in table::RULES {
            assert!(!r.field.is_empty() && !r.message.is_empty() && !r.rule.is_empty());
            assert!(!r.steps.is_empty(), "{}", r.id);
            assert!(ids.insert((r.id, r.field, r.message)), "{} twice", r.id);
        }
    }
}
