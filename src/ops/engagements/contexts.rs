//! Engagement contexts: what each context type allows (the table [`KINDS`]), checking a new
//! context, the next context id, and applying UpdateEngagementContext to a stored context.
//!
//! Decisions where AWS is silent (README "Engagements and leads"): context ids are `"1"`,
//! `"2"`, … per engagement (as captured); an engagement holds at most five contexts (the
//! model's list bound), the sixth is `ServiceQuotaExceededException`; the `Type` must name the
//! one payload member given and, on update, the stored context's type; an update of a `Lead`
//! replaces its customer, sets the qualification status and insights that are given and
//! appends the interaction (the oldest goes beyond ten); other types are replaced whole.

use serde_json::{Map, Value, json};

use crate::model::validate::Code;
use crate::ops::ServiceError;

/// Most contexts an engagement holds (the model's `EngagementContexts` bound).
pub const MAX_CONTEXTS: usize = 5;
/// Most interactions a lead context keeps (the model's `LeadInteractionList` bound).
pub const MAX_INTERACTIONS: usize = 10;

/// What one context type allows.
pub struct ContextKind {
    pub name: &'static str,
    /// Whether UpdateEngagementContext can change it (its payload has a member of this name).
    pub updatable: bool,
    /// Whether StartOpportunityFromEngagementTask converts it into an opportunity, and the
    /// task's failure reason when it does not.
    pub converts: Result<(), &'static str>,
}

/// Every context type of the model (`EngagementContextType`).
pub const KINDS: [ContextKind; 4] = [
    ContextKind {
        name: "CustomerProject",
        updatable: true,
        converts: Err("CustomerProjectContextNotPermitted"),
    },
    ContextKind {
        name: "Lead",
        updatable: true,
        converts: Ok(()),
    },
    ContextKind {
        name: "ProspectingResult",
        updatable: true,
        converts: Err("EngagementValidationFailed"),
    },
    ContextKind {
        name: "CustomerAccount",
        updatable: false,
        converts: Err("EngagementValidationFailed"),
    },
];

pub fn kind(name: &str) -> Option<&'static ContextKind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The type of a stored context.
pub fn type_of(context: &Value) -> &str {
    context
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The id of a stored context.
pub fn id_of(context: &Value) -> &str {
    context
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Checks that `payload` holds exactly the member `type_name` names; `at` is the request path
/// of the context (`Contexts[0]` or empty for the request itself).
pub fn check_payload(at: &str, type_name: &str, payload: &Value) -> Result<(), ServiceError> {
    let join = |m: &str| {
        if at.is_empty() {
            m.to_string()
        } else {
            format!("{at}.{m}")
        }
    };
    if kind(type_name).is_none() {
        return Err(ServiceError::invalid(
            &join("Type"),
            Code::InvalidEnumValue,
            format!("{} '{type_name}' is not a context type.", join("Type")),
        ));
    }
    let given: Vec<&str> = payload
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default();
    if given != [type_name] {
        return Err(ServiceError::invalid(
            &join("Payload"),
            Code::InvalidValue,
            format!(
                "{} must hold exactly the member its Type names ({type_name}); it holds [{}].",
                join("Payload"),
                given.join(", ")
            ),
        ));
    }
    Ok(())
}

/// A new context `{Id, Type, Payload}` from a request's `Type` and `Payload`; a lead's
/// interactions sent without a date are dated `now` (as AWS answered in its captures).
pub fn new_context(id: &str, type_name: &str, payload: &Value, now: &str) -> Value {
    let mut payload = payload.clone();
    if let Some(items) = payload
        .pointer_mut("/Lead/Interactions")
        .and_then(Value::as_array_mut)
    {
        for i in items.iter_mut().filter_map(Value::as_object_mut) {
            i.entry("InteractionDate").or_insert_with(|| json!(now));
        }
    }
    json!({"Id": id, "Type": type_name, "Payload": payload})
}

/// The id the next context of an engagement gets: one above the highest numeric id.
pub fn next_id(contexts: &[Value]) -> String {
    let highest = contexts
        .iter()
        .filter_map(|c| id_of(c).parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    (highest + 1).to_string()
}

/// Refuses a context beyond [`MAX_CONTEXTS`].
pub fn check_room(engagement: &str, contexts: &[Value]) -> Result<(), ServiceError> {
    if contexts.len() >= MAX_CONTEXTS {
        return Err(ServiceError::QuotaExceeded(format!(
            "Engagement {engagement} already has the maximum of {MAX_CONTEXTS} contexts."
        )));
    }
    Ok(())
}

/// Applies an UpdateEngagementContext payload to the stored `context` (same type, checked by
/// the caller); an interaction sent without a date is dated `now`.
pub fn apply_update(context: &mut Value, type_name: &str, payload: &Value, now: &str) {
    let mut new = payload.get(type_name).cloned().unwrap_or(json!({}));
    if let Some(i) = new.get_mut("Interaction").and_then(Value::as_object_mut) {
        i.entry("InteractionDate").or_insert_with(|| json!(now));
    }
    if type_name != "Lead" {
        context["Payload"] = json!({ type_name: new });
        return;
    }
    let lead = context
        .get_mut("Payload")
        .and_then(|p| p.get_mut("Lead"))
        .and_then(Value::as_object_mut);
    let Some(lead) = lead else {
        context["Payload"] = json!({"Lead": lead_from_update(&new)});
        return;
    };
    if let Some(c) = new.get("Customer") {
        lead.insert("Customer".into(), c.clone());
    }
    for member in ["QualificationStatus", "Insights"] {
        if let Some(v) = new.get(member).filter(|v| !v.is_null()) {
            lead.insert(member.into(), v.clone());
        }
    }
    if let Some(i) = new.get("Interaction").filter(|v| !v.is_null()) {
        let list = lead
            .entry("Interactions")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        if let Some(items) = list.as_array_mut() {
            items.push(i.clone());
            let excess = items.len().saturating_sub(MAX_INTERACTIONS);
            items.drain(..excess);
        }
    }
}

/// A lead context made from an update's payload (when the stored one was damaged).
fn lead_from_update(new: &Value) -> Map<String, Value> {
    let mut lead = Map::new();
    if let Some(c) = new.get("Customer") {
        lead.insert("Customer".into(), c.clone());
    }
    for member in ["QualificationStatus", "Insights"] {
        if let Some(v) = new.get(member).filter(|v| !v.is_null()) {
            lead.insert(member.into(), v.clone());
        }
    }
    let interactions: Vec<Value> = new.get("Interaction").cloned().into_iter().collect();
    lead.insert("Interactions".into(), Value::Array(interactions));
    lead
}

/// Whether a lead context is disqualified (its qualification status, in any case).
pub fn is_disqualified(context: &Value) -> bool {
    context
        .pointer("/Payload/Lead/QualificationStatus")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("Disqualified"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_context_type_of_the_model() {
        let model = crate::model::Model::get();
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        let mut wanted: Vec<&str> = model
            .enum_values("EngagementContextType")
            .iter()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(names, wanted);
    }

    #[test]
    fn ids_count_up_from_the_highest() {
        assert_eq!(next_id(&[]), "1");
        let c = [json!({"Id": "1"}), json!({"Id": "3"})];
        assert_eq!(next_id(&c), "4");
    }

    #[test]
    fn the_payload_must_hold_the_member_its_type_names() {
        assert!(check_payload("", "Lead", &json!({"Lead": {}})).is_ok());
        assert!(check_payload("", "Lead", &json!({"CustomerProject": {}})).is_err());
        assert!(check_payload("", "Lead", &json!({"Lead": {}, "CustomerProject": {}})).is_err());
        assert!(check_payload("Contexts[0]", "Lead", &json!({})).is_err());
    }

    #[test]
    fn a_lead_update_appends_the_interaction_and_keeps_ten() {
        let mut c = json!({"Id": "1", "Type": "Lead", "Payload": {"Lead": {
            "Customer": {"CompanyName": "A"}, "Interactions": [{"SourceId": "0"}]}}});
        for i in 1..=12 {
            apply_update(
                &mut c,
                "Lead",
                &json!({"Lead": {"Customer": {"CompanyName": "B"},
                    "QualificationStatus": "Qualified", "Interaction": {"SourceId": i.to_string()}}}),
                "2026-01-01T00:00:00.000Z",
            );
        }
        let lead = &c["Payload"]["Lead"];
        assert_eq!(lead["Customer"]["CompanyName"], "B");
        assert_eq!(lead["QualificationStatus"], "Qualified");
        let items = lead["Interactions"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 10);
        assert_eq!(items[0]["SourceId"], "3");
        assert_eq!(items[9]["SourceId"], "12");
    }
}
