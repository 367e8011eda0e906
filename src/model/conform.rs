//! Shape-guided transforms of JSON values going out of the service.
//!
//! [`conform`] trims a response to its output shape: members the shape does not declare
//! and `null`s are dropped, so internal bookkeeping can never leak onto the wire and absent
//! members are omitted (spec §7). [`redact`] replaces every value the model marks sensitive,
//! for the one place that logs request bodies.

use serde_json::{Map, Value};

use super::{Model, ShapeId, ShapeKind};

/// Text that stands in for a sensitive value in logs.
pub const REDACTED: &str = "*** sensitive ***";

/// Returns `value` restricted to what shape `shape` declares.
pub fn conform(model: &Model, shape: ShapeId, value: Value) -> Value {
    match (&model.shape(shape).kind, value) {
        (ShapeKind::Structure { members, .. }, Value::Object(mut obj)) => {
            let mut out = Map::new();
            for member in members {
                if let Some(v) = obj.remove(&member.name)
                    && !v.is_null()
                {
                    out.insert(member.name.clone(), conform(model, member.shape, v));
                }
            }
            Value::Object(out)
        }
        (ShapeKind::List { member, .. }, Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .filter(|v| !v.is_null())
                .map(|v| conform(model, *member, v))
                .collect(),
        ),
        (ShapeKind::Map { value: vshape, .. }, Value::Object(obj)) => Value::Object(
            obj.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, conform(model, *vshape, v)))
                .collect(),
        ),
        (_, v) => v,
    }
}

/// Returns a copy of `value` in which every value of a sensitive shape is replaced.
pub fn redact(model: &Model, shape: ShapeId, value: &Value) -> Value {
    let s = model.shape(shape);
    if s.sensitive {
        return Value::String(REDACTED.to_string());
    }
    match (&s.kind, value) {
        (ShapeKind::Structure { members, .. }, Value::Object(obj)) => Value::Object(
            obj.iter()
                .map(|(k, v)| {
                    let red = match members.iter().find(|m| &m.name == k) {
                        Some(m) => redact(model, m.shape, v),
                        // Unknown members are not interpreted; they may hold anything.
                        None => Value::String(REDACTED.to_string()),
                    };
                    (k.clone(), red)
                })
                .collect(),
        ),
        (ShapeKind::List { member, .. }, Value::Array(items)) => {
            Value::Array(items.iter().map(|v| redact(model, *member, v)).collect())
        }
        (ShapeKind::Map { value: vshape, .. }, Value::Object(obj)) => Value::Object(
            obj.iter()
                .map(|(k, v)| (k.clone(), redact(model, *vshape, v)))
                .collect(),
        ),
        (_, v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conform_drops_undeclared_members_and_nulls() {
        let model = Model::get();
        let out = model
            .operation("CreateOpportunity")
            .and_then(|o| o.output)
            .unwrap();
        let v = conform(
            model,
            out,
            json!({"Id": "O1", "Secret": "x", "PartnerOpportunityIdentifier": null}),
        );
        assert_eq!(v, json!({"Id": "O1"}));
    }

    #[test]
    fn redact_hides_sensitive_customer_data() {
        let model = Model::get();
        let input = model
            .operation("CreateOpportunity")
            .and_then(|o| o.input)
            .unwrap();
        let v = redact(
            model,
            input,
            &json!({"Catalog": "AWS", "Customer": {"Contacts": [{"Email": "a@b.co", "FirstName": "Ann"}]}}),
        );
        let text = v.to_string();
        assert!(!text.contains("a@b.co") && !text.contains("Ann"), "{text}");
        assert!(text.contains("AWS"));
    }
}
