//! The service model as data.
//!
//! `model/partnercentral-selling.json` (extracted from botocore by `model/refresh.py`) is
//! compiled into the binary and parsed once. This module owns the in-memory form of that
//! model: every shape with its constraints, every operation with its input, output and
//! modeled errors. Nothing else in the crate types an enum value or a pattern by hand:
//! [`validate`] checks requests against these shapes and [`conform`] trims responses to them.

pub mod conform;
pub mod validate;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

/// The raw model text, as checked in.
const MODEL_JSON: &str = include_str!("../../model/partnercentral-selling.json");

/// Index of a shape in [`Model::shapes`].
pub type ShapeId = usize;

/// One member of a structure.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub shape: ShapeId,
    pub idempotency_token: bool,
}

/// A string pattern, compiled on first use (most patterns are never exercised in a run).
#[derive(Debug)]
pub struct Pattern {
    pub source: String,
    compiled: OnceLock<Option<fancy_regex::Regex>>,
}

impl Pattern {
    fn new(source: String) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// Whole-value match, as the service applies its patterns.
    /// A pattern that cannot be compiled matches everything (and is caught by a unit test).
    pub fn matches(&self, value: &str) -> bool {
        let re = self
            .compiled
            .get_or_init(|| fancy_regex::Regex::new(&format!(r"\A(?:{})\z", self.source)).ok());
        match re {
            Some(re) => re.is_match(value).unwrap_or(false),
            None => true,
        }
    }

    /// Whether the pattern compiles (used by tests over the whole model).
    pub fn compiles(&self) -> bool {
        fancy_regex::Regex::new(&format!(r"\A(?:{})\z", self.source)).is_ok()
    }
}

/// What kind of value a shape describes, with its constraints.
#[derive(Debug)]
pub enum ShapeKind {
    Structure {
        members: Vec<Member>,
        required: Vec<String>,
        union: bool,
    },
    List {
        member: ShapeId,
        min: Option<i64>,
        max: Option<i64>,
    },
    Map {
        key: ShapeId,
        value: ShapeId,
        min: Option<i64>,
        max: Option<i64>,
    },
    String {
        enum_values: Option<Vec<String>>,
        pattern: Option<Pattern>,
        min: Option<i64>,
        max: Option<i64>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Long {
        min: Option<i64>,
        max: Option<i64>,
    },
    Double,
    Boolean,
    Timestamp,
    Blob,
}

/// A named shape of the model.
#[derive(Debug)]
pub struct Shape {
    pub name: String,
    pub kind: ShapeKind,
    /// The model marks the value as sensitive: it must never be logged.
    pub sensitive: bool,
}

/// An operation of the service.
#[derive(Debug)]
pub struct Operation {
    pub name: String,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// Names of the error shapes the operation may return.
    pub errors: Vec<String>,
}

/// The whole service model.
#[derive(Debug)]
pub struct Model {
    pub shapes: Vec<Shape>,
    pub operations: BTreeMap<String, Operation>,
    pub target_prefix: String,
    pub botocore_version: String,
    index: HashMap<String, ShapeId>,
}

impl Model {
    /// The model compiled into this binary, parsed once per process.
    pub fn get() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| {
            Model::parse(MODEL_JSON).expect("the bundled service model is valid (checked by tests)")
        })
    }

    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id]
    }

    pub fn shape_id(&self, name: &str) -> Option<ShapeId> {
        self.index.get(name).copied()
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The enum values of a named string shape (empty when it has none).
    pub fn enum_values(&self, shape_name: &str) -> &[String] {
        match self.shape_id(shape_name).map(|id| &self.shape(id).kind) {
            Some(ShapeKind::String {
                enum_values: Some(values),
                ..
            }) => values,
            _ => &[],
        }
    }

    /// The input member the model marks as operation `name`'s idempotency token, if any.
    pub fn idempotency_member(&self, name: &str) -> Option<&str> {
        let input = self.operation(name)?.input?;
        match &self.shape(input).kind {
            ShapeKind::Structure { members, .. } => members
                .iter()
                .find(|m| m.idempotency_token)
                .map(|m| m.name.as_str()),
            _ => None,
        }
    }

    /// The member `name` of structure `shape`, if any.
    pub fn member(&self, shape: ShapeId, name: &str) -> Option<&Member> {
        match &self.shape(shape).kind {
            ShapeKind::Structure { members, .. } => members.iter().find(|m| m.name == name),
            _ => None,
        }
    }

    /// Parses botocore's JSON form of a service model.
    pub fn parse(text: &str) -> Result<Model, String> {
        let raw: RawModel = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let names: Vec<String> = raw.shapes.keys().cloned().collect();
        let index: HashMap<String, ShapeId> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let resolve = |name: &str| -> Result<ShapeId, String> {
            index
                .get(name)
                .copied()
                .ok_or_else(|| format!("unknown shape {name}"))
        };
        let mut shapes = Vec::with_capacity(names.len());
        for name in &names {
            let rs = &raw.shapes[name];
            let kind = match rs.kind.as_str() {
                "structure" => {
                    let mut members = Vec::new();
                    for (mname, m) in rs.members.iter().flatten() {
                        members.push(Member {
                            name: mname.clone(),
                            shape: resolve(&m.shape)?,
                            idempotency_token: m.idempotency_token,
                        });
                    }
                    ShapeKind::Structure {
                        members,
                        required: rs.required.clone(),
                        union: rs.union,
                    }
                }
                "list" => ShapeKind::List {
                    member: resolve(&rs.member.as_ref().ok_or("list without member")?.shape)?,
                    min: rs.min,
                    max: rs.max,
                },
                "map" => ShapeKind::Map {
                    key: resolve(&rs.key.as_ref().ok_or("map without key")?.shape)?,
                    value: resolve(&rs.value.as_ref().ok_or("map without value")?.shape)?,
                    min: rs.min,
                    max: rs.max,
                },
                "string" => ShapeKind::String {
                    enum_values: rs.enum_values.clone(),
                    pattern: rs.pattern.clone().map(Pattern::new),
                    min: rs.min,
                    max: rs.max,
                },
                "integer" => ShapeKind::Integer {
                    min: rs.min,
                    max: rs.max,
                },
                "long" => ShapeKind::Long {
                    min: rs.min,
                    max: rs.max,
                },
                "double" | "float" => ShapeKind::Double,
                "boolean" => ShapeKind::Boolean,
                "timestamp" => ShapeKind::Timestamp,
                "blob" => ShapeKind::Blob,
                other => return Err(format!("shape {name}: unsupported type {other}")),
            };
            shapes.push(Shape {
                name: name.clone(),
                kind,
                sensitive: rs.sensitive,
            });
        }
        let mut operations = BTreeMap::new();
        for (name, op) in &raw.operations {
            operations.insert(
                name.clone(),
                Operation {
                    name: name.clone(),
                    input: op.input.as_ref().map(|r| resolve(&r.shape)).transpose()?,
                    output: op.output.as_ref().map(|r| resolve(&r.shape)).transpose()?,
                    errors: op.errors.iter().map(|r| r.shape.clone()).collect(),
                },
            );
        }
        Ok(Model {
            shapes,
            operations,
            target_prefix: raw.metadata.target_prefix,
            botocore_version: raw.metadata.botocore_version.unwrap_or_default(),
            index,
        })
    }
}

#[derive(Deserialize)]
struct RawModel {
    metadata: RawMetadata,
    operations: BTreeMap<String, RawOperation>,
    shapes: BTreeMap<String, RawShape>,
}

#[derive(Deserialize)]
struct RawMetadata {
    #[serde(rename = "targetPrefix")]
    target_prefix: String,
    #[serde(rename = "x-botocore-version")]
    botocore_version: Option<String>,
}

#[derive(Deserialize)]
struct RawOperation {
    input: Option<RawRef>,
    output: Option<RawRef>,
    #[serde(default)]
    errors: Vec<RawRef>,
}

#[derive(Deserialize)]
struct RawRef {
    shape: String,
    #[serde(default, rename = "idempotencyToken")]
    idempotency_token: bool,
}

#[derive(Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    members: Option<BTreeMap<String, RawRef>>,
    #[serde(default)]
    required: Vec<String>,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
    min: Option<i64>,
    max: Option<i64>,
    #[serde(rename = "enum")]
    enum_values: Option<Vec<String>>,
    pattern: Option<String>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    union: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_model_parses_with_every_operation() {
        let model = Model::get();
        assert_eq!(model.operations.len(), 63);
        assert_eq!(model.target_prefix, "AWSPartnerCentralSelling");
        assert!(model.operation("GetAwsOpportunitySummary").is_some());
    }

    #[test]
    fn every_pattern_of_the_model_compiles() {
        let model = Model::get();
        for shape in &model.shapes {
            if let ShapeKind::String {
                pattern: Some(p), ..
            } = &shape.kind
            {
                assert!(
                    p.compiles(),
                    "pattern of {} does not compile: {}",
                    shape.name,
                    p.source
                );
            }
        }
    }

    #[test]
    fn patterns_match_whole_values_only() {
        let model = Model::get();
        let id = model.shape_id("OpportunityIdentifier").unwrap();
        let ShapeKind::String {
            pattern: Some(p), ..
        } = &model.shape(id).kind
        else {
            panic!("OpportunityIdentifier has a pattern")
        };
        assert!(p.matches("O1234567"));
        assert!(!p.matches("xO1234567"));
        assert!(!p.matches("O1234567x"));
    }
}
