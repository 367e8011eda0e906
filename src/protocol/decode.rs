//! Request bodies decoded along the operation's input shape, so that what a request costs is
//! bounded by the model rather than by what a client chose to send:
//! - members the shape does not have are skipped without being built (AWS ignores them);
//! - a list or map longer than its model maximum keeps its first `max` items; the rest are
//!   counted, not built, and the overflow is reported as `TOO_MANY_VALUES` with the real size;
//! - a value of the wrong JSON type is kept as an empty value of its type, enough for the
//!   validator to report the type error.
//!
//! serde_json's own recursion limit still refuses absurdly deep nesting.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::model::validate::{FieldViolation, size_violation};
use crate::model::{Model, ShapeId, ShapeKind};

/// A decoded body and the size violations found while decoding it.
#[derive(Debug)]
pub struct Decoded {
    pub value: Value,
    pub oversized: Vec<FieldViolation>,
}

/// Decodes `bytes` (one JSON value, nothing after it) along `shape`.
pub fn decode(model: &Model, shape: Option<ShapeId>, bytes: &[u8]) -> serde_json::Result<Decoded> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut path = String::new();
    let mut oversized = Vec::new();
    let value = Guided {
        model,
        shape,
        path: &mut path,
        oversized: &mut oversized,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(Decoded { value, oversized })
}

/// A value read and thrown away. Unlike serde's `IgnoredAny` it nests through
/// `deserialize_any`, so serde_json's recursion limit applies to skipped values too.
struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

struct Guided<'a> {
    model: &'a Model,
    shape: Option<ShapeId>,
    path: &'a mut String,
    oversized: &'a mut Vec<FieldViolation>,
}

impl Guided<'_> {
    fn kind(&self) -> Option<&ShapeKind> {
        self.shape.map(|s| &self.model.shape(s).kind)
    }

    fn child(&mut self, shape: Option<ShapeId>) -> Guided<'_> {
        Guided {
            model: self.model,
            shape,
            path: &mut *self.path,
            oversized: &mut *self.oversized,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Guided<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn push_member(path: &mut String, name: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
    len
}

impl<'de> Visitor<'de> for Guided<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let (member, min, max) = match self.kind() {
            Some(ShapeKind::List { member, min, max }) => (Some(*member), *min, *max),
            Some(_) => {
                // Not a list where the model wants one: the validator reports the type.
                while seq.next_element::<Skip>()?.is_some() {}
                return Ok(Value::Array(Vec::new()));
            }
            None => (None, None, None),
        };
        let keep = max.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
        let mut items = Vec::new();
        let mut total = 0usize;
        loop {
            if items.len() < keep {
                let len = self.path.len();
                self.path.push_str(&format!("[{total}]"));
                let item = seq.next_element_seed(self.child(member))?;
                self.path.truncate(len);
                match item {
                    Some(v) => items.push(v),
                    None => break,
                }
            } else if seq.next_element::<Skip>()?.is_none() {
                break;
            }
            total += 1;
        }
        if total > items.len()
            && let Some(v) = size_violation(self.path, total, min, max, "items")
        {
            self.oversized.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        match self.kind() {
            Some(ShapeKind::Structure { members, .. }) => {
                let members = members.clone();
                while let Some(key) = map.next_key::<String>()? {
                    match members.iter().find(|m| m.name == key) {
                        Some(m) => {
                            let len = push_member(self.path, &key);
                            let v = map.next_value_seed(self.child(Some(m.shape)));
                            self.path.truncate(len);
                            out.insert(key, v?);
                        }
                        None => {
                            map.next_value::<Skip>()?;
                        }
                    }
                }
            }
            Some(ShapeKind::Map {
                value, min, max, ..
            }) => {
                let (value, min, max) = (*value, *min, *max);
                let keep = max.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
                let mut total = 0usize;
                while let Some(key) = map.next_key::<String>()? {
                    total += 1;
                    if out.len() < keep {
                        let len = push_member(self.path, &key);
                        let v = map.next_value_seed(self.child(Some(value)));
                        self.path.truncate(len);
                        out.insert(key, v?);
                    } else {
                        map.next_value::<Skip>()?;
                    }
                }
                if total > out.len()
                    && let Some(v) = size_violation(self.path, total, min, max, "entries")
                {
                    self.oversized.push(v);
                }
            }
            Some(_) => {
                // Not an object where the model wants one: the validator reports the type.
                while map.next_entry::<Skip, Skip>()?.is_some() {}
            }
            None => {
                while let Some(key) = map.next_key::<String>()? {
                    let v = map.next_value_seed(self.child(None))?;
                    out.insert(key, v);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(op: &str) -> Option<ShapeId> {
        Model::get().operation(op).and_then(|o| o.input)
    }

    #[test]
    fn a_list_past_its_maximum_is_counted_not_built() {
        let ids: Vec<String> = (0..100_000).map(|i| format!("\"x{i}\"")).collect();
        let body = format!("{{\"Catalog\":\"AWS\",\"Identifier\":[{}]}}", ids.join(","));
        let d = decode(Model::get(), input("ListOpportunities"), body.as_bytes()).unwrap();
        assert_eq!(d.value["Identifier"].as_array().map(Vec::len), Some(20));
        assert_eq!(d.oversized.len(), 1);
        assert_eq!(d.oversized[0].field, "Identifier");
        assert!(
            d.oversized[0].message.contains("it has 100000"),
            "{:?}",
            d.oversized
        );
    }

    #[test]
    fn unknown_members_are_skipped_and_wrong_types_kept_empty() {
        let body =
            br#"{"Catalog":"AWS","Nope":[1,2,{"a":[3]}],"Identifier":{"x":1},"MaxResults":5}"#;
        let d = decode(Model::get(), input("ListOpportunities"), body).unwrap();
        assert_eq!(
            d.value,
            serde_json::json!({"Catalog": "AWS", "Identifier": {}, "MaxResults": 5})
        );
        assert!(d.oversized.is_empty());
    }

    #[test]
    fn trailing_bytes_and_deep_nesting_are_refused() {
        let model = Model::get();
        assert!(decode(model, input("ListSolutions"), b"{} x").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        for member in ["Catalog", "NotAMember"] {
            let body = format!("{{\"{member}\":{deep}}}");
            assert!(decode(model, input("ListSolutions"), body.as_bytes()).is_err());
        }
    }
}
