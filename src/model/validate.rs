//! Request validation against the service model.
//!
//! Walks a decoded JSON value along an input shape and reports every violation the model
//! describes: required members, enums, whole-value patterns, string lengths, list and map
//! sizes, integer ranges and union arity. A value of the wrong JSON type is not a
//! constraint violation but a decoding failure ([`InputError::Serialization`]), as the
//! real service reports it. Unknown members are ignored, as AWS ignores them.
//!
//! What a bad request costs is bounded: at most [`MAX_REPORTED`] violations are kept (the
//! others are only counted), and a list or map past its maximum size is reported once, not
//! walked item by item.

use serde_json::Value;

use super::{Model, ShapeId, ShapeKind};

/// The `Code` of a `ValidationException` `ErrorList` entry. Each value is one of the
/// model's `ValidationExceptionErrorCode` enum (checked by a unit test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    RequiredFieldMissing,
    InvalidEnumValue,
    InvalidStringFormat,
    InvalidValue,
    NotEnoughValues,
    TooManyValues,
    InvalidResourceState,
    ValueOutOfRange,
    ActionNotPermitted,
}

impl Code {
    pub const ALL: [Code; 9] = [
        Code::RequiredFieldMissing,
        Code::InvalidEnumValue,
        Code::InvalidStringFormat,
        Code::InvalidValue,
        Code::NotEnoughValues,
        Code::TooManyValues,
        Code::InvalidResourceState,
        Code::ValueOutOfRange,
        Code::ActionNotPermitted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::RequiredFieldMissing => "REQUIRED_FIELD_MISSING",
            Code::InvalidEnumValue => "INVALID_ENUM_VALUE",
            Code::InvalidStringFormat => "INVALID_STRING_FORMAT",
            Code::InvalidValue => "INVALID_VALUE",
            Code::NotEnoughValues => "NOT_ENOUGH_VALUES",
            Code::TooManyValues => "TOO_MANY_VALUES",
            Code::InvalidResourceState => "INVALID_RESOURCE_STATE",
            Code::ValueOutOfRange => "VALUE_OUT_OF_RANGE",
            Code::ActionNotPermitted => "ACTION_NOT_PERMITTED",
        }
    }
}

/// Values the real service accepts (and answers) that the model's enums lack: (enum shape,
/// value).
pub const BEYOND_THE_MODEL: &[(&str, &str)] = &[(
    "PrimaryNeedFromAws",
    crate::rules::business::values::NO_SUPPORT_NEEDED,
)];

/// One entry of a `ValidationException` `ErrorList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Dotted path of the member, e.g. `Customer.Contacts[0].Email`.
    pub field: String,
    pub code: Code,
    pub message: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// The most violations one answer reports; the others are counted.
pub const MAX_REPORTED: usize = 50;

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// The value does not have the JSON type the shape needs (`SerializationException`).
    Serialization(String),
    /// The value breaks one or more constraints (`ValidationException`): the first
    /// [`MAX_REPORTED`] violations, and how many more there were.
    Invalid(Vec<FieldViolation>, usize),
}

/// The violation of a list or map of `len` items against its size bounds, if any.
pub fn size_violation(
    path: &str,
    len: usize,
    min: Option<i64>,
    max: Option<i64>,
    noun: &str,
) -> Option<FieldViolation> {
    let n = i64::try_from(len).unwrap_or(i64::MAX);
    let code = if min.is_some_and(|lo| n < lo) {
        Code::NotEnoughValues
    } else if max.is_some_and(|hi| n > hi) {
        Code::TooManyValues
    } else {
        return None;
    };
    let message = format!(
        "{} must contain {} {noun}; it has {n}.",
        where_(path),
        range_text(min, max)
    );
    Some(FieldViolation::new(path, code, message))
}

/// Validates `value` against shape `shape`.
pub fn validate(model: &Model, shape: ShapeId, value: &Value) -> Result<(), InputError> {
    let mut walker = Walker {
        model,
        violations: Vec::new(),
        omitted: 0,
    };
    walker.value(shape, value, &mut String::new())?;
    if walker.violations.is_empty() {
        Ok(())
    } else {
        Err(InputError::Invalid(walker.violations, walker.omitted))
    }
}

struct Walker<'m> {
    model: &'m Model,
    violations: Vec<FieldViolation>,
    /// Violations found past [`MAX_REPORTED`].
    omitted: usize,
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn where_(path: &str) -> String {
    if path.is_empty() {
        "the request body".to_string()
    } else {
        path.to_string()
    }
}

fn type_error(path: &str, expected: &str, value: &Value) -> InputError {
    InputError::Serialization(format!(
        "Expected {expected} at {} but found {}.",
        where_(path),
        json_type(value)
    ))
}

fn range_text(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => String::new(),
    }
}

fn outside(n: i64, min: Option<i64>, max: Option<i64>) -> bool {
    min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi)
}

impl Walker<'_> {
    /// Checks the size of a list or map against the shape's bounds; whether it is too long
    /// (its items are then not walked).
    fn size(
        &mut self,
        path: &str,
        len: usize,
        min: Option<i64>,
        max: Option<i64>,
        noun: &str,
    ) -> bool {
        match size_violation(path, len, min, max, noun) {
            Some(v) => {
                let too_long = v.code == Code::TooManyValues;
                self.keep(v);
                too_long
            }
            None => false,
        }
    }

    fn keep(&mut self, v: FieldViolation) {
        if self.violations.len() < MAX_REPORTED {
            self.violations.push(v);
        } else {
            self.omitted += 1;
        }
    }

    /// Keeps a violation; its message is written only when it will be reported.
    fn push(&mut self, path: &str, code: Code, message: impl FnOnce() -> String) {
        if self.violations.len() < MAX_REPORTED {
            self.violations
                .push(FieldViolation::new(path, code, message()));
        } else {
            self.omitted += 1;
        }
    }

    fn value(
        &mut self,
        shape: ShapeId,
        value: &Value,
        path: &mut String,
    ) -> Result<(), InputError> {
        let model = self.model;
        let s = model.shape(shape);
        match &s.kind {
            ShapeKind::Structure {
                members,
                required,
                union,
            } => {
                let Value::Object(obj) = value else {
                    return Err(type_error(path, "an object", value));
                };
                let mut set = 0usize;
                for member in members {
                    match obj.get(&member.name) {
                        None | Some(Value::Null) => {
                            if required.contains(&member.name) {
                                let p = join(path, &member.name);
                                self.push(&p, Code::RequiredFieldMissing, || {
                                    format!("{p} is required.")
                                });
                            }
                        }
                        Some(v) => {
                            set += 1;
                            let len = path.len();
                            push_member(path, &member.name);
                            let r = self.value(member.shape, v, path);
                            path.truncate(len);
                            r?;
                        }
                    }
                }
                if *union && set != 1 {
                    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                    self.push(path, Code::InvalidValue, || {
                        format!(
                            "{} must set exactly one of [{}]; {set} were set.",
                            where_(path),
                            names.join(", ")
                        )
                    });
                }
            }
            ShapeKind::List { member, min, max } => {
                let Value::Array(items) = value else {
                    return Err(type_error(path, "a list", value));
                };
                if self.size(path, items.len(), *min, *max, "items") {
                    return Ok(());
                }
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let r = if item.is_null() {
                        Err(type_error(path, "a value", item))
                    } else {
                        self.value(*member, item, path)
                    };
                    path.truncate(len);
                    r?;
                }
            }
            ShapeKind::Map {
                key,
                value: vshape,
                min,
                max,
            } => {
                let Value::Object(obj) = value else {
                    return Err(type_error(path, "an object", value));
                };
                if self.size(path, obj.len(), *min, *max, "entries") {
                    return Ok(());
                }
                for (k, v) in obj {
                    let len = path.len();
                    push_member(path, k);
                    let r = self
                        .value(*key, &Value::String(k.clone()), path)
                        .and_then(|_| self.value(*vshape, v, path));
                    path.truncate(len);
                    r?;
                }
            }
            ShapeKind::String {
                enum_values,
                pattern,
                min,
                max,
            } => {
                let Value::String(text) = value else {
                    return Err(type_error(path, "a string", value));
                };
                if let Some(values) = enum_values
                    && !values.iter().any(|v| v == text)
                    && !BEYOND_THE_MODEL.contains(&(s.name.as_str(), text.as_str()))
                {
                    let allowed = if values.len() <= 12 {
                        format!("one of [{}]", values.join(", "))
                    } else {
                        format!("one of the {} values of {}", values.len(), s.name)
                    };
                    let shown = if s.sensitive {
                        "a value".to_string()
                    } else {
                        quote(text)
                    };
                    self.push(path, Code::InvalidEnumValue, || {
                        format!("{path} must be {allowed}; got {shown}.")
                    });
                    return Ok(());
                }
                let n = text.chars().count() as i64;
                if outside(n, *min, *max) {
                    self.push(path, Code::InvalidStringFormat, || {
                        format!(
                            "{path} must be {} characters long; it has {n}.",
                            range_text(*min, *max)
                        )
                    });
                    return Ok(());
                }
                if let Some(p) = pattern
                    && !p.matches(text)
                {
                    self.push(path, Code::InvalidStringFormat, || {
                        format!("{path} must match the pattern {}.", p.source)
                    });
                }
            }
            ShapeKind::Integer { min, max } | ShapeKind::Long { min, max } => {
                let limit = if matches!(s.kind, ShapeKind::Integer { .. }) {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                } else {
                    (i64::MIN, i64::MAX)
                };
                let Some(n) = value.as_i64().filter(|n| *n >= limit.0 && *n <= limit.1) else {
                    return Err(type_error(path, "an integer", value));
                };
                if outside(n, *min, *max) {
                    self.push(path, Code::ValueOutOfRange, || {
                        format!("{path} must be {}; got {n}.", range_text(*min, *max))
                    });
                }
            }
            ShapeKind::Double => {
                if !value.is_number() {
                    return Err(type_error(path, "a number", value));
                }
            }
            ShapeKind::Boolean => {
                if !value.is_boolean() {
                    return Err(type_error(path, "a boolean", value));
                }
            }
            ShapeKind::Timestamp => {
                let ok = value
                    .as_str()
                    .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
                if !ok {
                    return Err(type_error(path, "an ISO-8601 timestamp string", value));
                }
            }
            ShapeKind::Blob => {
                if !value.is_string() {
                    return Err(type_error(path, "a base64 string", value));
                }
            }
        }
        Ok(())
    }
}

/// A value as error messages show it: quoted, and cut short when long (a message never
/// echoes a huge input back).
pub fn quote(value: &str) -> String {
    const SHOWN: usize = 64;
    let n = value.chars().count();
    if n <= SHOWN {
        format!("'{value}'")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("'{head}…' ({n} characters)")
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn push_member(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(op: &str, body: Value) -> Result<(), InputError> {
        let model = Model::get();
        let input = model.operation(op).and_then(|o| o.input).unwrap();
        validate(model, input, &body)
    }

    fn codes(r: Result<(), InputError>) -> Vec<(String, &'static str)> {
        match r {
            Err(InputError::Invalid(v, _)) => {
                v.into_iter().map(|f| (f.field, f.code.as_str())).collect()
            }
            other => panic!("expected violations, got {other:?}"),
        }
    }

    #[test]
    fn every_code_is_in_the_model_enum() {
        let values = Model::get().enum_values("ValidationExceptionErrorCode");
        for code in Code::ALL {
            assert!(
                values.iter().any(|v| v == code.as_str()),
                "{}",
                code.as_str()
            );
        }
    }

    #[test]
    fn reports_each_violation_with_its_path() {
        let r = check(
            "CreateOpportunity",
            json!({"Catalog": "AWS", "Customer": {"Account": {"Industry": "Nope"},
                   "Contacts": [{"Email": "not-an-email"}]}}),
        );
        assert_eq!(
            codes(r),
            vec![
                ("ClientToken".to_string(), "REQUIRED_FIELD_MISSING"),
                (
                    "Customer.Account.CompanyName".to_string(),
                    "REQUIRED_FIELD_MISSING"
                ),
                (
                    "Customer.Account.Industry".to_string(),
                    "INVALID_ENUM_VALUE"
                ),
                (
                    "Customer.Contacts[0].Email".to_string(),
                    "INVALID_STRING_FORMAT"
                ),
            ]
        );
    }

    #[test]
    fn wrong_json_type_is_a_serialization_error() {
        let r = check("GetOpportunity", json!({"Catalog": 5, "Identifier": "O1"}));
        assert!(matches!(r, Err(InputError::Serialization(m)) if m.contains("Catalog")));
    }

    #[test]
    fn integer_range_and_list_size() {
        let r = check(
            "ListOpportunities",
            json!({"Catalog": "AWS", "MaxResults": 1000, "LifeCycleStage": vec!["Prospect"; 11]}),
        );
        assert_eq!(
            codes(r),
            vec![
                ("LifeCycleStage".to_string(), "TOO_MANY_VALUES"),
                ("MaxResults".to_string(), "VALUE_OUT_OF_RANGE"),
            ]
        );
    }

    #[test]
    fn look_ahead_patterns_are_applied() {
        let long_email = format!("{}@example.com", "a".repeat(80));
        let r = check(
            "AssignOpportunity",
            json!({"Catalog": "AWS", "Identifier": "O1", "Assignee": {"Email": long_email,
                   "FirstName": "A", "LastName": "B", "BusinessTitle": "OpportunityOwner"}}),
        );
        assert_eq!(
            codes(r),
            vec![("Assignee.Email".to_string(), "INVALID_STRING_FORMAT")]
        );
    }
}
