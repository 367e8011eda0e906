//! Filter trees, keywords and sorts of the Search… operations (SearchEngagements,
//! SearchOpportunities and SearchCustomerAccounts, whose filter trees have the same form).
//!
//! This module owns the resource-independent part: reading a filter tree into a [`Tree`]
//! (refusing what it cannot mean), evaluating it on a record, keyword matching and ordering.
//! What a resource offers to search on is a table of [`Field`]s: a name (the model's filter
//! key), a [`Kind`], whether it holds several values, whether it can be sorted on, and how to
//! read its values from a record. The resource's own module owns that table.
//!
//! A node of the tree sets exactly one of `AndAllFilters` (1–10 nodes), `OrAllFilters`
//! (1–10), `NotFilter` (one node) or a predicate `{Key, Value}` under one of the operators
//! below. `Value` sets exactly one of `StringValue`, `StringListValue` (1–20 strings),
//! `LongValue` or `DateValue` — and, in the unions that have it (SearchOpportunities'
//! `OpportunitySearchFilterValue`: parse with [`parse_in`] and [`WITH_DOUBLE`]), `DoubleValue`
//! (a finite JSON number); strings are 1–255 characters. A union without `DoubleValue` ignores
//! one sent, as it ignores every member it does not have. Trees nest at most
//! [`MAX_DEPTH`] nodes deep. Members set to `null` count as absent and unknown members are
//! ignored, as the model validation does; anything else is refused with a
//! `ValidationException` entry naming the offending member (`Filter.AndAllFilters[0].
//! EqualsTo.Key`, list indexes from 0 as the model validation writes them).
//!
//! Which operator takes which values (decided here, research §3.2):
//!
//! | Operator | Text field | Number field | Double field | Date field |
//! |---|---|---|---|---|
//! | `EqualsTo` | `StringValue` | `LongValue` | `DoubleValue` or `LongValue` | `DateValue` |
//! | `ContainsAny`, `ContainsAll` | `StringValue` or `StringListValue` | refused | refused | refused |
//! | `GreaterThan(OrEquals)`, `LessThan(OrEquals)` | refused | `LongValue` | `DoubleValue` or `LongValue` | `DateValue` |
//!
//! A number field counts things (integers: `LongValue` only); a double field holds amounts
//! (SearchOpportunities' `EstimatedMrr`) and takes a `DoubleValue`, or a `LongValue` read as
//! the same number. Both compare numerically.
//!
//! What they mean; a field may hold several values (contexts, interactions, members), and a
//! predicate holds when one of them satisfies it; a record without a value never does:
//!
//! - `EqualsTo`: equality. Text compares case-insensitively, numbers numerically, dates as
//!   instants (a `DateValue` is an RFC 3339 string with any offset, or epoch seconds, read at
//!   the millisecond precision records are kept at).
//! - `ContainsAny`: one of the given values is a case-insensitive substring of a field value.
//! - `ContainsAll`: every given value equals (case-insensitively, whole value) one of the
//!   field's values. On a single-valued field more than one given value matches nothing.
//! - Range operators: the field value compared with the given one (numbers numerically, dates
//!   chronologically).
//! - `NotFilter` negates its node, so it holds on records lacking the field.
//!
//! Sorting ([`sort`]) orders text case-insensitively (then by exact text), numbers
//! numerically and dates chronologically. A multi-valued field sorts by its smallest value
//! ascending and its largest descending. Records without a value come last in both orders;
//! ties are broken by a tie key (the id), ascending, so pages are stable.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::time;
use crate::model::validate::{Code, FieldViolation, quote, size_violation};
use crate::ops::ServiceError;

/// How deep filter nodes may nest (the root node is level 1); deeper trees are refused so
/// that parsing and evaluation stay shallow on the stack.
pub const MAX_DEPTH: usize = 32;
/// How many nodes `AndAllFilters` and `OrAllFilters` take.
const BRANCHES: (i64, i64) = (1, 10);
/// How many strings a `StringListValue` takes.
const LIST_VALUES: (i64, i64) = (1, 20);
/// How long a string value is, in characters.
const STRING_CHARS: (usize, usize) = (1, 255);

const AND: &str = "AndAllFilters";
const OR: &str = "OrAllFilters";
const NOT: &str = "NotFilter";

/// The members of a filter node, of which exactly one is set.
const NODE_MEMBERS: [&str; 10] = [
    AND,
    OR,
    NOT,
    "EqualsTo",
    "ContainsAny",
    "ContainsAll",
    "GreaterThan",
    "GreaterThanOrEquals",
    "LessThan",
    "LessThanOrEquals",
];

const STRING_VALUE: &str = "StringValue";
const STRING_LIST_VALUE: &str = "StringListValue";
const LONG_VALUE: &str = "LongValue";
const DATE_VALUE: &str = "DateValue";
const DOUBLE_VALUE: &str = "DoubleValue";

/// The members of a predicate's `Value`, of which exactly one is set: the union of
/// SearchEngagements and SearchCustomerAccounts.
pub const VALUE_MEMBERS: &[&str] = &[STRING_VALUE, STRING_LIST_VALUE, LONG_VALUE, DATE_VALUE];
/// The same with `DoubleValue` (SearchOpportunities' `OpportunitySearchFilterValue`).
pub const WITH_DOUBLE: &[&str] = &[
    STRING_VALUE,
    STRING_LIST_VALUE,
    LONG_VALUE,
    DOUBLE_VALUE,
    DATE_VALUE,
];

/// What a field holds, which decides the operators and values it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A count: integers, `LongValue`.
    Number,
    /// An amount: `DoubleValue` (or `LongValue`), compared as a number.
    Double,
    Date,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Text => "a text",
            Kind::Number => "a number",
            Kind::Double => "a decimal number",
            Kind::Date => "a date",
        }
    }
}

/// One value of a field, or one value a predicate compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Date(DateTime<Utc>),
}

impl Scalar {
    /// The instant a stored timestamp names, if it is one.
    pub fn date(text: &str) -> Option<Scalar> {
        time::parse(text).map(Scalar::Date)
    }
}

/// One thing a resource can be filtered (and perhaps sorted) on.
pub struct Field<T> {
    /// The model's filter key.
    pub name: &'static str,
    pub kind: Kind,
    /// Whether a record may hold several values (`ContainsAll` with several values can only
    /// match such a field).
    pub multi: bool,
    /// Whether the model's sort enum names it.
    pub sortable: bool,
    /// The record's values (none when the record lacks the field).
    pub values: fn(&T) -> Vec<Scalar>,
}

fn find<'f, T>(fields: &'f [Field<T>], name: &str) -> Option<&'f Field<T>> {
    fields.iter().find(|f| f.name == name)
}

/// A predicate's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    EqualsTo,
    ContainsAny,
    ContainsAll,
    GreaterThan,
    GreaterThanOrEquals,
    LessThan,
    LessThanOrEquals,
}

impl Op {
    fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "EqualsTo" => Op::EqualsTo,
            "ContainsAny" => Op::ContainsAny,
            "ContainsAll" => Op::ContainsAll,
            "GreaterThan" => Op::GreaterThan,
            "GreaterThanOrEquals" => Op::GreaterThanOrEquals,
            "LessThan" => Op::LessThan,
            "LessThanOrEquals" => Op::LessThanOrEquals,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::EqualsTo => "EqualsTo",
            Op::ContainsAny => "ContainsAny",
            Op::ContainsAll => "ContainsAll",
            Op::GreaterThan => "GreaterThan",
            Op::GreaterThanOrEquals => "GreaterThanOrEquals",
            Op::LessThan => "LessThan",
            Op::LessThanOrEquals => "LessThanOrEquals",
        }
    }

    fn is_range(self) -> bool {
        matches!(
            self,
            Op::GreaterThan | Op::GreaterThanOrEquals | Op::LessThan | Op::LessThanOrEquals
        )
    }

    /// The `Value` members this operator takes on a field of `kind`; empty when it does not
    /// apply to such fields at all.
    fn takes(self, kind: Kind) -> &'static [&'static str] {
        match (kind, self) {
            (Kind::Text, Op::EqualsTo) => &[STRING_VALUE],
            (Kind::Text, Op::ContainsAny | Op::ContainsAll) => &[STRING_VALUE, STRING_LIST_VALUE],
            (Kind::Text, _) => &[],
            (Kind::Number, Op::ContainsAny | Op::ContainsAll) => &[],
            (Kind::Number, _) => &[LONG_VALUE],
            (Kind::Double, Op::ContainsAny | Op::ContainsAll) => &[],
            (Kind::Double, _) => &[DOUBLE_VALUE, LONG_VALUE],
            (Kind::Date, Op::ContainsAny | Op::ContainsAll) => &[],
            (Kind::Date, _) => &[DATE_VALUE],
        }
    }

    /// Whether `field` compared with `given` gives what a range operator asks for.
    fn accepts(self, field: Ordering) -> bool {
        match self {
            Op::GreaterThan => field == Ordering::Greater,
            Op::GreaterThanOrEquals => field != Ordering::Less,
            Op::LessThan => field == Ordering::Less,
            Op::LessThanOrEquals => field != Ordering::Greater,
            Op::EqualsTo | Op::ContainsAny | Op::ContainsAll => field == Ordering::Equal,
        }
    }
}

/// A parsed filter tree. Evaluate it with the field table it was parsed with.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    /// `AndAllFilters`: every node holds.
    All(Vec<Tree>),
    /// `OrAllFilters`: some node holds.
    Any(Vec<Tree>),
    /// `NotFilter`.
    Not(Box<Tree>),
    Leaf(Predicate),
}

/// A predicate: a field, an operator and the values it compares with (one, except for
/// `ContainsAny`/`ContainsAll`).
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    pub key: &'static str,
    pub op: Op,
    pub values: Vec<Scalar>,
}

impl Tree {
    /// Whether `rec` satisfies the tree.
    pub fn matches<T>(&self, rec: &T, fields: &[Field<T>]) -> bool {
        match self {
            Tree::All(nodes) => nodes.iter().all(|n| n.matches(rec, fields)),
            Tree::Any(nodes) => nodes.iter().any(|n| n.matches(rec, fields)),
            Tree::Not(node) => !node.matches(rec, fields),
            Tree::Leaf(p) => p.matches(rec, fields),
        }
    }
}

impl Predicate {
    fn matches<T>(&self, rec: &T, fields: &[Field<T>]) -> bool {
        let Some(field) = find(fields, self.key) else {
            return false;
        };
        let have = (field.values)(rec);
        match self.op {
            Op::ContainsAny => self
                .values
                .iter()
                .any(|want| have.iter().any(|h| contains(h, want))),
            Op::ContainsAll => {
                (field.multi || self.values.len() <= 1)
                    && self.values.iter().all(|want| {
                        have.iter()
                            .any(|h| compare(h, want) == Some(Ordering::Equal))
                    })
            }
            op => self.values.iter().all(|want| {
                have.iter()
                    .any(|h| compare(h, want).is_some_and(|o| op.accepts(o)))
            }),
        }
    }
}

/// Text as compared: case-insensitively.
fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(char::to_lowercase)
}

/// How a field value compares with a given value of the same kind (text case-insensitively);
/// `None` across kinds or with a NaN.
fn compare(have: &Scalar, want: &Scalar) -> Option<Ordering> {
    match (have, want) {
        (Scalar::Text(a), Scalar::Text(b)) => Some(folded(a).cmp(folded(b))),
        (Scalar::Number(a), Scalar::Number(b)) => a.partial_cmp(b),
        (Scalar::Date(a), Scalar::Date(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn contains(have: &Scalar, want: &Scalar) -> bool {
    match (have, want) {
        (Scalar::Text(a), Scalar::Text(b)) => a.to_lowercase().contains(&b.to_lowercase()),
        _ => false,
    }
}

/// Whether `keyword` (trimmed; an empty one matches everything) is a case-insensitive
/// substring of one of `haystacks`.
pub fn keyword_matches(haystacks: &[&str], keyword: &str) -> bool {
    let keyword = keyword.trim().to_lowercase();
    keyword.is_empty()
        || haystacks
            .iter()
            .any(|h| h.to_lowercase().contains(&keyword))
}

// ---------------------------------------------------------------------------------------
// Parsing

type Parsed<X> = Result<X, FieldViolation>;

/// Reads the filter tree at `filter` (found at member `member` of the request, which names it
/// in error paths) against a resource's `fields`.
pub fn parse<T>(filter: &Value, fields: &[Field<T>], member: &str) -> Result<Tree, ServiceError> {
    parse_in(filter, fields, member, VALUE_MEMBERS)
}

/// [`parse`] for a filter whose `Value` union has the members `values` ([`VALUE_MEMBERS`] or
/// [`WITH_DOUBLE`]); members it does not have are ignored like any unknown member.
pub fn parse_in<T>(
    filter: &Value,
    fields: &[Field<T>],
    member: &str,
    values: &[&'static str],
) -> Result<Tree, ServiceError> {
    let grammar = Grammar { fields, values };
    node(filter, &grammar, member, 1).map_err(|v| ServiceError::Invalid(vec![v]))
}

/// What a tree is read against: the resource's fields and its `Value` union's members.
struct Grammar<'g, T> {
    fields: &'g [Field<T>],
    values: &'g [&'static str],
}

fn invalid(path: &str, message: String) -> FieldViolation {
    FieldViolation::new(path, Code::InvalidValue, message)
}

fn required(path: &str) -> FieldViolation {
    FieldViolation::new(
        path,
        Code::RequiredFieldMissing,
        format!("{path} is required."),
    )
}

fn object<'v>(value: &'v Value, path: &str) -> Parsed<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| invalid(path, format!("{path} must be an object.")))
}

/// The one member of `obj` among `names` that is set (not `null`), refusing none or several.
fn the_one<'v>(
    obj: &'v Map<String, Value>,
    names: &[&'static str],
    path: &str,
) -> Parsed<(&'static str, &'v Value)> {
    let set: Vec<(&'static str, &Value)> = names
        .iter()
        .filter_map(|n| obj.get(*n).filter(|v| !v.is_null()).map(|v| (*n, v)))
        .collect();
    match set[..] {
        [one] => Ok(one),
        _ => {
            let which = if set.is_empty() {
                "none was".to_string()
            } else {
                let named: Vec<&str> = set.iter().map(|(n, _)| *n).collect();
                format!("{} were ({})", set.len(), named.join(", "))
            };
            Err(invalid(
                path,
                format!(
                    "{path} must set exactly one of [{}]; {which} set.",
                    names.join(", ")
                ),
            ))
        }
    }
}

fn node<T>(value: &Value, grammar: &Grammar<'_, T>, path: &str, depth: usize) -> Parsed<Tree> {
    if depth > MAX_DEPTH {
        return Err(invalid(
            path,
            format!("{path} nests filters more than {MAX_DEPTH} levels deep."),
        ));
    }
    let obj = object(value, path)?;
    let (name, inner) = the_one(obj, &NODE_MEMBERS, path)?;
    let at = format!("{path}.{name}");
    match name {
        AND | OR => {
            let items = inner
                .as_array()
                .ok_or_else(|| invalid(&at, format!("{at} must be a list of filters.")))?;
            if let Some(v) = size_violation(
                &at,
                items.len(),
                Some(BRANCHES.0),
                Some(BRANCHES.1),
                "filters",
            ) {
                return Err(v);
            }
            let nodes = items
                .iter()
                .enumerate()
                .map(|(i, item)| node(item, grammar, &format!("{at}[{i}]"), depth + 1))
                .collect::<Parsed<Vec<Tree>>>()?;
            Ok(if name == AND {
                Tree::All(nodes)
            } else {
                Tree::Any(nodes)
            })
        }
        NOT => Ok(Tree::Not(Box::new(node(inner, grammar, &at, depth + 1)?))),
        _ => {
            let op = Op::from_name(name)
                .ok_or_else(|| invalid(&at, format!("{at} is not an operator.")))?;
            predicate(op, inner, grammar, &at).map(Tree::Leaf)
        }
    }
}

fn predicate<T>(op: Op, value: &Value, grammar: &Grammar<'_, T>, path: &str) -> Parsed<Predicate> {
    let fields = grammar.fields;
    let obj = object(value, path)?;
    let key_path = format!("{path}.Key");
    let key = match obj.get("Key") {
        None | Some(Value::Null) => return Err(required(&key_path)),
        Some(Value::String(k)) => k,
        Some(_) => return Err(invalid(&key_path, format!("{key_path} must be a string."))),
    };
    let Some(field) = find(fields, key) else {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(FieldViolation::new(
            &key_path,
            Code::InvalidEnumValue,
            format!(
                "{key_path} must be one of [{}]; got {}.",
                names.join(", "),
                quote(key)
            ),
        ));
    };
    let takes = op.takes(field.kind);
    if takes.is_empty() {
        let applies = if op.is_range() {
            "number and date fields"
        } else {
            "text fields"
        };
        return Err(invalid(
            path,
            format!(
                "{} applies to {applies} only; {} is {} field.",
                op.name(),
                field.name,
                field.kind.noun()
            ),
        ));
    }
    let value_path = format!("{path}.Value");
    let vobj = match obj.get("Value") {
        None | Some(Value::Null) => return Err(required(&value_path)),
        Some(v) => object(v, &value_path)?,
    };
    let (member, given) = the_one(vobj, grammar.values, &value_path)?;
    let at = format!("{value_path}.{member}");
    if !takes.contains(&member) {
        return Err(invalid(
            &at,
            format!(
                "{} is {} field: {} takes {} for it, not {member}.",
                field.name,
                field.kind.noun(),
                op.name(),
                takes.join(" or ")
            ),
        ));
    }
    let values = match member {
        STRING_VALUE => vec![Scalar::Text(string(given, &at)?)],
        STRING_LIST_VALUE => {
            let items = given
                .as_array()
                .ok_or_else(|| invalid(&at, format!("{at} must be a list of strings.")))?;
            if let Some(v) = size_violation(
                &at,
                items.len(),
                Some(LIST_VALUES.0),
                Some(LIST_VALUES.1),
                "values",
            ) {
                return Err(v);
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| string(item, &format!("{at}[{i}]")).map(Scalar::Text))
                .collect::<Parsed<Vec<Scalar>>>()?
        }
        LONG_VALUE => {
            let n = given
                .as_i64()
                .ok_or_else(|| invalid(&at, format!("{at} must be an integer.")))?;
            // Exact for every count and size a record holds (below 2^53).
            vec![Scalar::Number(n as f64)]
        }
        DOUBLE_VALUE => {
            let n = given
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| invalid(&at, format!("{at} must be a number.")))?;
            vec![Scalar::Number(n)]
        }
        _ => vec![Scalar::Date(date(given, &at)?)],
    };
    Ok(Predicate {
        key: field.name,
        op,
        values,
    })
}

fn string(value: &Value, path: &str) -> Parsed<String> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid(path, format!("{path} must be a string.")))?;
    let n = text.chars().count();
    if n < STRING_CHARS.0 || n > STRING_CHARS.1 {
        return Err(FieldViolation::new(
            path,
            Code::InvalidStringFormat,
            format!(
                "{path} must be between {} and {} characters long; it has {n}.",
                STRING_CHARS.0, STRING_CHARS.1
            ),
        ));
    }
    Ok(text.to_string())
}

/// A `DateValue`: an RFC 3339 timestamp, or epoch seconds (as the JSON protocol sends
/// timestamps), at millisecond precision.
fn date(value: &Value, path: &str) -> Parsed<DateTime<Utc>> {
    let parsed = match value {
        Value::String(text) => time::parse(text),
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && s.abs() < 1e14)
            .and_then(|s| DateTime::from_timestamp_millis((s * 1000.0).round() as i64)),
        _ => None,
    };
    parsed.ok_or_else(|| {
        invalid(
            path,
            format!("{path} must be an RFC 3339 timestamp or a number of epoch seconds."),
        )
    })
}

// ---------------------------------------------------------------------------------------
// Sorting

/// A validated `Sort`: a sortable field and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortSpec {
    pub key: &'static str,
    pub descending: bool,
}

/// Reads a request's `Sort` (`{SortBy, SortOrder}`, both required) against `fields`,
/// refusing a key that is unknown or not sortable.
pub fn parse_sort<T>(sort: &Value, fields: &[Field<T>]) -> Result<SortSpec, ServiceError> {
    sort_spec(sort, fields).map_err(|v| ServiceError::Invalid(vec![v]))
}

/// Reads a request's optional `Keyword`, which must be a string.
pub fn parse_keyword(input: &Value) -> Result<Option<&str>, ServiceError> {
    match input.get("Keyword") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(k)) => Ok(Some(k.as_str())),
        Some(_) => Err(ServiceError::Invalid(vec![invalid(
            "Keyword",
            "Keyword must be a string.".to_string(),
        )])),
    }
}

fn sort_spec<T>(sort: &Value, fields: &[Field<T>]) -> Parsed<SortSpec> {
    const BY: &str = "Sort.SortBy";
    const ORDER: &str = "Sort.SortOrder";
    let obj = object(sort, "Sort")?;
    let by = match obj.get("SortBy") {
        None | Some(Value::Null) => return Err(required(BY)),
        Some(Value::String(by)) => by,
        Some(_) => return Err(invalid(BY, format!("{BY} must be a string."))),
    };
    let sortable: Vec<&str> = fields
        .iter()
        .filter(|f| f.sortable)
        .map(|f| f.name)
        .collect();
    let field = find(fields, by).filter(|f| f.sortable).ok_or_else(|| {
        let why = if find(fields, by).is_some() {
            format!("{} can be filtered on but not sorted by", quote(by))
        } else {
            format!("got {}", quote(by))
        };
        FieldViolation::new(
            BY,
            Code::InvalidEnumValue,
            format!("{BY} must be one of [{}]; {why}.", sortable.join(", ")),
        )
    })?;
    let descending = match obj.get("SortOrder") {
        None | Some(Value::Null) => return Err(required(ORDER)),
        Some(Value::String(o)) if o == "ASCENDING" => false,
        Some(Value::String(o)) if o == "DESCENDING" => true,
        Some(_) => {
            return Err(FieldViolation::new(
                ORDER,
                Code::InvalidEnumValue,
                format!("{ORDER} must be one of [ASCENDING, DESCENDING]."),
            ));
        }
    };
    Ok(SortSpec {
        key: field.name,
        descending,
    })
}

/// How two values of a field order: text case-insensitively, then exactly; numbers and dates
/// by value; across kinds (which one field never mixes) text < number < date.
fn order(a: &Scalar, b: &Scalar) -> Ordering {
    fn rank(s: &Scalar) -> u8 {
        match s {
            Scalar::Text(_) => 0,
            Scalar::Number(_) => 1,
            Scalar::Date(_) => 2,
        }
    }
    match (a, b) {
        (Scalar::Text(x), Scalar::Text(y)) => folded(x).cmp(folded(y)).then_with(|| x.cmp(y)),
        (Scalar::Number(x), Scalar::Number(y)) => x.total_cmp(y),
        (Scalar::Date(x), Scalar::Date(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// A record's place in a sort: its value (if any), then its tie key.
struct Rank {
    value: Option<Scalar>,
    descending: bool,
    tie: String,
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_value = match (&self.value, &other.value) {
            (Some(a), Some(b)) if self.descending => order(b, a),
            (Some(a), Some(b)) => order(a, b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_value.then_with(|| self.tie.cmp(&other.tie))
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Rank {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rank {}

/// Orders `records` by field `key` (a multi-valued field by its smallest value ascending, its
/// largest descending); records without a value come last in both orders, and ties go by
/// `tie` ascending. An unknown key orders by `tie` alone.
pub fn sort<T>(
    records: &mut [T],
    fields: &[Field<T>],
    key: &str,
    descending: bool,
    tie: fn(&T) -> &str,
) {
    let field = find(fields, key);
    records.sort_by_cached_key(|rec| {
        let values = field.map(|f| (f.values)(rec)).unwrap_or_default();
        let value = if descending {
            values.into_iter().max_by(order)
        } else {
            values.into_iter().min_by(order)
        };
        Rank {
            value,
            descending,
            tie: tie(rec).to_string(),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A record with one field of each kind, single and multi-valued.
    struct Rec {
        id: &'static str,
        name: Option<&'static str>,
        tags: Vec<&'static str>,
        count: Option<i64>,
        at: Option<&'static str>,
    }

    fn rec(id: &'static str) -> Rec {
        Rec {
            id,
            name: None,
            tags: Vec::new(),
            count: None,
            at: None,
        }
    }

    static FIELDS: [Field<Rec>; 5] = [
        Field {
            name: "Id",
            kind: Kind::Text,
            multi: false,
            sortable: true,
            values: |r| vec![Scalar::Text(r.id.to_string())],
        },
        Field {
            name: "Name",
            kind: Kind::Text,
            multi: false,
            sortable: true,
            values: |r| {
                r.name
                    .map(|n| Scalar::Text(n.to_string()))
                    .into_iter()
                    .collect()
            },
        },
        Field {
            name: "Tag",
            kind: Kind::Text,
            multi: true,
            sortable: false,
            values: |r| r.tags.iter().map(|t| Scalar::Text(t.to_string())).collect(),
        },
        Field {
            name: "Count",
            kind: Kind::Number,
            multi: false,
            sortable: true,
            values: |r| {
                r.count
                    .map(|n| Scalar::Number(n as f64))
                    .into_iter()
                    .collect()
            },
        },
        Field {
            name: "At",
            kind: Kind::Date,
            multi: false,
            sortable: true,
            values: |r| r.at.and_then(Scalar::date).into_iter().collect(),
        },
    ];

    fn tree(filter: Value) -> Tree {
        match parse(&filter, &FIELDS, "Filter") {
            Ok(t) => t,
            Err(e) => panic!("{filter} refused: {e:?}"),
        }
    }

    fn hit(filter: Value, r: &Rec) -> bool {
        tree(filter).matches(r, &FIELDS)
    }

    /// The one violation a refused filter reports: (path, code, message).
    fn refused(filter: Value) -> (String, Code, String) {
        match parse(&filter, &FIELDS, "Filter") {
            Err(ServiceError::Invalid(v)) if v.len() == 1 => {
                (v[0].field.clone(), v[0].code, v[0].message.clone())
            }
            other => panic!("{filter}: expected one violation, got {other:?}"),
        }
    }

    fn leaf(op: &str, key: &str, value: Value) -> Value {
        json!({op: {"Key": key, "Value": value}})
    }

    fn s(v: &str) -> Value {
        json!({"StringValue": v})
    }

    fn list(v: &[&str]) -> Value {
        json!({"StringListValue": v})
    }

    fn long(n: i64) -> Value {
        json!({"LongValue": n})
    }

    fn date(v: Value) -> Value {
        json!({"DateValue": v})
    }

    fn named(name: &'static str) -> Rec {
        Rec {
            name: Some(name),
            ..rec("e-1")
        }
    }

    fn tagged(tags: &[&'static str]) -> Rec {
        Rec {
            tags: tags.to_vec(),
            ..rec("e-1")
        }
    }

    fn counted(n: i64) -> Rec {
        Rec {
            count: Some(n),
            ..rec("e-1")
        }
    }

    fn dated(at: &'static str) -> Rec {
        Rec {
            at: Some(at),
            ..rec("e-1")
        }
    }

    #[test]
    fn equals_to_text_is_whole_value_and_case_insensitive() {
        let r = named("Acme Corp");
        assert!(hit(leaf("EqualsTo", "Name", s("acme corp")), &r));
        assert!(hit(leaf("EqualsTo", "Name", s("ACME CORP")), &r));
        assert!(!hit(leaf("EqualsTo", "Name", s("Acme")), &r));
        assert!(!hit(leaf("EqualsTo", "Name", s("Acme")), &rec("e-1")));
        // A multi-valued field equals when one of its values does.
        let t = tagged(&["red", "Blue"]);
        assert!(hit(leaf("EqualsTo", "Tag", s("blue")), &t));
        assert!(!hit(leaf("EqualsTo", "Tag", s("green")), &t));
    }

    #[test]
    fn equals_to_numbers_and_dates() {
        assert!(hit(leaf("EqualsTo", "Count", long(3)), &counted(3)));
        assert!(!hit(leaf("EqualsTo", "Count", long(4)), &counted(3)));
        assert!(!hit(leaf("EqualsTo", "Count", long(0)), &rec("e-1")));
        let r = dated("2025-01-02T03:04:05.000Z");
        assert!(hit(
            leaf("EqualsTo", "At", date(json!("2025-01-02T03:04:05Z"))),
            &r
        ));
        // Another offset, the same instant.
        assert!(hit(
            leaf("EqualsTo", "At", date(json!("2025-01-02T05:04:05+02:00"))),
            &r
        ));
        // Epoch seconds, as the JSON protocol may send timestamps.
        assert!(hit(leaf("EqualsTo", "At", date(json!(1_735_787_045))), &r));
        assert!(hit(
            leaf("EqualsTo", "At", date(json!(1_735_787_045.0))),
            &r
        ));
        assert!(!hit(leaf("EqualsTo", "At", date(json!(1_735_787_046))), &r));
    }

    #[test]
    fn contains_any_is_a_case_insensitive_substring_of_any_value() {
        let r = named("Acme Corp");
        assert!(hit(leaf("ContainsAny", "Name", list(&["zzz", "CME"])), &r));
        assert!(hit(leaf("ContainsAny", "Name", s("corp")), &r));
        assert!(!hit(leaf("ContainsAny", "Name", list(&["zzz", "yyy"])), &r));
        assert!(!hit(leaf("ContainsAny", "Name", s("a")), &rec("e-1")));
        let t = tagged(&["alpha", "Beta"]);
        assert!(hit(leaf("ContainsAny", "Tag", list(&["ET"])), &t));
        assert!(!hit(leaf("ContainsAny", "Tag", list(&["gamma"])), &t));
    }

    #[test]
    fn contains_all_needs_every_value_held_exactly() {
        let t = tagged(&["alpha", "Beta", "gamma"]);
        assert!(hit(
            leaf("ContainsAll", "Tag", list(&["beta", "ALPHA"])),
            &t
        ));
        assert!(hit(leaf("ContainsAll", "Tag", s("gamma")), &t));
        assert!(!hit(
            leaf("ContainsAll", "Tag", list(&["alpha", "delta"])),
            &t
        ));
        // Exact values, not substrings.
        assert!(!hit(leaf("ContainsAll", "Tag", list(&["alph"])), &t));
        assert!(!hit(
            leaf("ContainsAll", "Tag", list(&["alpha"])),
            &tagged(&[])
        ));
        // A single-valued field holds one value: several given values match nothing.
        let r = named("Acme");
        assert!(hit(leaf("ContainsAll", "Name", list(&["acme"])), &r));
        assert!(!hit(
            leaf("ContainsAll", "Name", list(&["acme", "acme"])),
            &r
        ));
    }

    #[test]
    fn range_operators_compare_numbers_numerically() {
        let r = counted(10);
        assert!(hit(leaf("GreaterThan", "Count", long(9)), &r));
        assert!(!hit(leaf("GreaterThan", "Count", long(10)), &r));
        assert!(hit(leaf("GreaterThanOrEquals", "Count", long(10)), &r));
        assert!(!hit(leaf("GreaterThanOrEquals", "Count", long(11)), &r));
        assert!(hit(leaf("LessThan", "Count", long(11)), &r));
        assert!(!hit(leaf("LessThan", "Count", long(10)), &r));
        assert!(hit(leaf("LessThanOrEquals", "Count", long(10)), &r));
        assert!(!hit(leaf("LessThanOrEquals", "Count", long(9)), &r));
        // Numerically, not as text ("10" < "9").
        assert!(hit(leaf("GreaterThan", "Count", long(9)), &counted(10)));
        assert!(hit(leaf("GreaterThan", "Count", long(-1)), &counted(0)));
        // No value: no range holds.
        for op in [
            "GreaterThan",
            "GreaterThanOrEquals",
            "LessThan",
            "LessThanOrEquals",
        ] {
            assert!(!hit(leaf(op, "Count", long(0)), &rec("e-1")), "{op}");
        }
    }

    #[test]
    fn range_operators_compare_dates_chronologically() {
        let r = dated("2025-06-01T12:00:00.000Z");
        let same = json!("2025-06-01T14:00:00+02:00");
        assert!(hit(
            leaf("GreaterThan", "At", date(json!("2025-06-01T11:59:59.999Z"))),
            &r
        ));
        assert!(!hit(leaf("GreaterThan", "At", date(same.clone())), &r));
        assert!(hit(
            leaf("GreaterThanOrEquals", "At", date(same.clone())),
            &r
        ));
        assert!(hit(
            leaf("LessThan", "At", date(json!("2025-06-01T12:00:00.001Z"))),
            &r
        ));
        assert!(!hit(leaf("LessThan", "At", date(same.clone())), &r));
        assert!(hit(leaf("LessThanOrEquals", "At", date(same)), &r));
        assert!(hit(leaf("LessThan", "At", date(json!(1_800_000_000))), &r));
        assert!(!hit(
            leaf("GreaterThan", "At", date(json!("2025-06-01T00:00:00Z"))),
            &rec("e-1")
        ));
    }

    #[test]
    fn and_or_not_nest() {
        let r = Rec {
            name: Some("Acme"),
            tags: vec!["red"],
            count: Some(2),
            ..rec("e-1")
        };
        let name = leaf("EqualsTo", "Name", s("acme"));
        let red = leaf("EqualsTo", "Tag", s("red"));
        let big = leaf("GreaterThan", "Count", long(5));
        assert!(hit(json!({"AndAllFilters": [name, red]}), &r));
        assert!(!hit(json!({"AndAllFilters": [name, big]}), &r));
        assert!(hit(json!({"OrAllFilters": [big, red]}), &r));
        assert!(!hit(json!({"OrAllFilters": [big, big]}), &r));
        assert!(hit(json!({"NotFilter": big}), &r));
        assert!(!hit(json!({"NotFilter": name}), &r));
        assert!(hit(json!({"NotFilter": {"NotFilter": name}}), &r));
        let nested = json!({"AndAllFilters": [
            {"OrAllFilters": [big, {"NotFilter": leaf("EqualsTo", "Tag", s("blue"))}]},
            {"NotFilter": {"AndAllFilters": [name, big]}},
        ]});
        assert!(hit(nested, &r));
        // A record lacking the field satisfies the negation.
        assert!(hit(json!({"NotFilter": name}), &rec("e-2")));
    }

    #[test]
    fn null_members_are_absent_and_unknown_members_ignored() {
        let r = named("Acme");
        let f = json!({"EqualsTo": {"Key": "Name", "Value": {"StringValue": "acme", "LongValue": null},
                       "Extra": 1}, "NotFilter": null, "Whatever": {}});
        assert!(hit(f, &r));
    }

    #[test]
    fn nodes_set_exactly_one_member() {
        let (path, code, msg) = refused(json!({}));
        assert_eq!((path.as_str(), code), ("Filter", Code::InvalidValue));
        assert!(
            msg.contains("exactly one of [AndAllFilters") && msg.contains("none was set"),
            "{msg}"
        );
        let two = json!({"AndAllFilters": [{"NotFilter": {
            "EqualsTo": {"Key": "Name", "Value": s("a")},
            "NotFilter": {"EqualsTo": {"Key": "Name", "Value": s("a")}}}}]});
        let (path, code, msg) = refused(two);
        assert_eq!(path, "Filter.AndAllFilters[0].NotFilter");
        assert_eq!(code, Code::InvalidValue);
        assert!(msg.contains("2 were (NotFilter, EqualsTo)"), "{msg}");
        let (path, _, msg) = refused(json!("Name"));
        assert_eq!(path, "Filter");
        assert!(msg.contains("must be an object"), "{msg}");
    }

    #[test]
    fn branch_lists_hold_one_to_ten_filters() {
        let (path, code, _) = refused(json!({"OrAllFilters": []}));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.OrAllFilters", Code::NotEnoughValues)
        );
        let eleven: Vec<Value> = (0..11).map(|_| leaf("EqualsTo", "Name", s("a"))).collect();
        let (path, code, _) = refused(json!({"AndAllFilters": eleven}));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.AndAllFilters", Code::TooManyValues)
        );
        let (path, _, _) = refused(json!({"AndAllFilters": {"EqualsTo": {}}}));
        assert_eq!(path, "Filter.AndAllFilters");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_path() {
        let f = json!({"AndAllFilters": [
            leaf("EqualsTo", "Name", s("a")),
            leaf("ContainsAny", "Colour", list(&["red"])),
        ]});
        let (path, code, msg) = refused(f);
        assert_eq!(path, "Filter.AndAllFilters[1].ContainsAny.Key");
        assert_eq!(code, Code::InvalidEnumValue);
        assert!(
            msg.contains("[Id, Name, Tag, Count, At]") && msg.contains("'Colour'"),
            "{msg}"
        );
        let (path, code, _) = refused(json!({"EqualsTo": {"Value": s("a")}}));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.EqualsTo.Key", Code::RequiredFieldMissing)
        );
        let (path, code, _) = refused(json!({"EqualsTo": {"Key": 3, "Value": s("a")}}));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.EqualsTo.Key", Code::InvalidValue)
        );
        let (path, _, _) = refused(json!({"EqualsTo": []}));
        assert_eq!(path, "Filter.EqualsTo");
    }

    #[test]
    fn values_set_exactly_one_member() {
        let (path, code, _) = refused(json!({"EqualsTo": {"Key": "Name"}}));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.EqualsTo.Value", Code::RequiredFieldMissing)
        );
        let (path, code, msg) = refused(leaf("EqualsTo", "Name", json!({})));
        assert_eq!(
            (path.as_str(), code),
            ("Filter.EqualsTo.Value", Code::InvalidValue)
        );
        assert!(
            msg.contains("[StringValue, StringListValue, LongValue, DateValue]"),
            "{msg}"
        );
        let (path, _, msg) = refused(leaf(
            "EqualsTo",
            "Count",
            json!({"LongValue": 1, "StringValue": "1"}),
        ));
        assert_eq!(path, "Filter.EqualsTo.Value");
        assert!(msg.contains("2 were (StringValue, LongValue)"), "{msg}");
        // DoubleValue is not a member of this union: ignored, so nothing is set.
        let (path, _, _) = refused(leaf("EqualsTo", "Count", json!({"DoubleValue": 1.5})));
        assert_eq!(path, "Filter.EqualsTo.Value");
        let (path, _, _) = refused(leaf("EqualsTo", "Count", json!("1")));
        assert_eq!(path, "Filter.EqualsTo.Value");
    }

    #[test]
    fn values_must_suit_the_field_kind() {
        let cases = [
            (
                "EqualsTo",
                "At",
                s("2025-01-01T00:00:00Z"),
                "DateValue",
                "StringValue",
            ),
            ("EqualsTo", "Name", long(1), "StringValue", "LongValue"),
            (
                "ContainsAny",
                "Name",
                long(1),
                "StringValue or StringListValue",
                "LongValue",
            ),
            (
                "ContainsAll",
                "Tag",
                date(json!(0)),
                "StringValue or StringListValue",
                "DateValue",
            ),
            (
                "EqualsTo",
                "Count",
                date(json!(0)),
                "LongValue",
                "DateValue",
            ),
            ("GreaterThan", "Count", s("3"), "LongValue", "StringValue"),
            ("LessThan", "At", long(0), "DateValue", "LongValue"),
            (
                "EqualsTo",
                "Name",
                list(&["a"]),
                "StringValue",
                "StringListValue",
            ),
            (
                "EqualsTo",
                "Count",
                list(&["1"]),
                "LongValue",
                "StringListValue",
            ),
        ];
        for (op, key, value, takes, got) in cases {
            let member = value
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap();
            let (path, code, msg) = refused(leaf(op, key, value));
            assert_eq!(path, format!("Filter.{op}.Value.{member}"));
            assert_eq!(code, Code::InvalidValue);
            assert!(
                msg.contains(&format!("{op} takes {takes} for it, not {got}"))
                    && msg.starts_with(key),
                "{msg}"
            );
        }
    }

    #[test]
    fn operators_must_suit_the_field_kind() {
        for op in [
            "GreaterThan",
            "GreaterThanOrEquals",
            "LessThan",
            "LessThanOrEquals",
        ] {
            let (path, code, msg) = refused(leaf(op, "Name", s("a")));
            assert_eq!((path, code), (format!("Filter.{op}"), Code::InvalidValue));
            assert!(
                msg.contains("number and date fields only; Name is a text field"),
                "{msg}"
            );
        }
        for (op, key, kind) in [
            ("ContainsAny", "Count", "number"),
            ("ContainsAll", "Count", "number"),
            ("ContainsAny", "At", "date"),
            ("ContainsAll", "At", "date"),
        ] {
            let (path, _, msg) = refused(leaf(op, key, list(&["1"])));
            assert_eq!(path, format!("Filter.{op}"));
            assert!(
                msg.contains(&format!("text fields only; {key} is a {kind} field")),
                "{msg}"
            );
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        let (path, code, _) = refused(leaf("EqualsTo", "Name", s("")));
        assert_eq!(
            (path.as_str(), code),
            (
                "Filter.EqualsTo.Value.StringValue",
                Code::InvalidStringFormat
            )
        );
        let long_text = "x".repeat(256);
        let (path, code, _) = refused(leaf("EqualsTo", "Name", s(&long_text)));
        assert_eq!(
            (path.as_str(), code),
            (
                "Filter.EqualsTo.Value.StringValue",
                Code::InvalidStringFormat
            )
        );
        let (path, code, _) = refused(leaf("ContainsAny", "Name", list(&[])));
        assert_eq!(
            (path.as_str(), code),
            (
                "Filter.ContainsAny.Value.StringListValue",
                Code::NotEnoughValues
            )
        );
        let many: Vec<&str> = vec!["a"; 21];
        let (path, code, _) = refused(leaf("ContainsAny", "Name", list(&many)));
        assert_eq!(
            (path.as_str(), code),
            (
                "Filter.ContainsAny.Value.StringListValue",
                Code::TooManyValues
            )
        );
        let (path, _, _) = refused(leaf(
            "ContainsAny",
            "Name",
            json!({"StringListValue": ["a", 2]}),
        ));
        assert_eq!(path, "Filter.ContainsAny.Value.StringListValue[1]");
        let (path, _, _) = refused(leaf("ContainsAny", "Name", json!({"StringListValue": "a"})));
        assert_eq!(path, "Filter.ContainsAny.Value.StringListValue");
        let (path, _, msg) = refused(leaf("EqualsTo", "Count", json!({"LongValue": 1.5})));
        assert_eq!(path, "Filter.EqualsTo.Value.LongValue");
        assert!(msg.contains("integer"), "{msg}");
        for bad in [
            json!("yesterday"),
            json!("2025-13-01T00:00:00Z"),
            json!(true),
            json!(1e300),
        ] {
            let (path, _, msg) = refused(leaf("LessThan", "At", date(bad)));
            assert_eq!(path, "Filter.LessThan.Value.DateValue");
            assert!(msg.contains("RFC 3339"), "{msg}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut f = leaf("EqualsTo", "Name", s("acme"));
        for _ in 1..MAX_DEPTH {
            f = json!({"NotFilter": f});
        }
        // Ten levels (nine negations): accepted.
        assert!(!hit(f.clone(), &named("Acme")));
        let (path, code, msg) = refused(json!({"AndAllFilters": [f]}));
        assert_eq!(code, Code::InvalidValue);
        assert_eq!(
            path,
            format!(
                "Filter.AndAllFilters[0]{}",
                ".NotFilter".repeat(MAX_DEPTH - 1)
            )
        );
        assert!(msg.contains("more than 32 levels"), "{msg}");
        // Far deeper than that is refused without trouble.
        let mut deep = leaf("EqualsTo", "Name", s("a"));
        for _ in 0..100 {
            deep = json!({"OrAllFilters": [deep]});
        }
        assert!(parse(&deep, &FIELDS, "Filter").is_err());
    }

    #[test]
    fn the_member_name_roots_paths() {
        match parse(&json!({}), &FIELDS, "Group.Filter") {
            Err(ServiceError::Invalid(v)) => assert_eq!(v[0].field, "Group.Filter"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keywords_are_case_insensitive_substrings() {
        assert!(keyword_matches(&["Acme Corp", "other"], "CME c"));
        assert!(keyword_matches(&["x", "Ünïcode Straße"], "straße"));
        assert!(keyword_matches(&["Acme"], "  acme "));
        assert!(!keyword_matches(&["Acme"], "acne"));
        assert!(!keyword_matches(&[], "acme"));
        assert!(keyword_matches(&[], " "));
    }

    fn order_of(records: &mut [Rec], key: &str, descending: bool) -> Vec<&'static str> {
        sort(records, &FIELDS, key, descending, |r| r.id);
        records.iter().map(|r| r.id).collect()
    }

    #[test]
    fn sort_puts_missing_values_last_both_ways_and_breaks_ties_by_id() {
        let mut rs = vec![
            Rec {
                count: Some(10),
                ..rec("d")
            },
            rec("z"),
            Rec {
                count: Some(2),
                ..rec("c")
            },
            rec("y"),
            Rec {
                count: Some(2),
                ..rec("a")
            },
        ];
        assert_eq!(order_of(&mut rs, "Count", false), ["a", "c", "d", "y", "z"]);
        assert_eq!(order_of(&mut rs, "Count", true), ["d", "a", "c", "y", "z"]);
        // Unknown key: by id alone.
        assert_eq!(order_of(&mut rs, "Nope", true), ["a", "c", "d", "y", "z"]);
    }

    #[test]
    fn sort_orders_text_case_insensitively_and_dates_chronologically() {
        let mut rs = vec![
            named("beta"),
            named("Alpha"),
            named("alpha"),
            named("Gamma"),
        ];
        for (r, id) in rs.iter_mut().zip(["1", "2", "3", "4"]) {
            r.id = id;
        }
        assert_eq!(order_of(&mut rs, "Name", false), ["2", "3", "1", "4"]);
        assert_eq!(order_of(&mut rs, "Name", true), ["4", "1", "3", "2"]);
        let mut ds = vec![
            Rec {
                at: Some("2025-01-01T10:00:00+05:00"),
                ..rec("x")
            }, // 05:00Z
            Rec {
                at: Some("2025-01-01T06:00:00.000Z"),
                ..rec("y")
            },
            Rec {
                at: Some("not a date"),
                ..rec("w")
            },
            Rec {
                at: Some("2024-12-31T23:00:00-08:00"),
                ..rec("z")
            }, // 07:00Z
        ];
        assert_eq!(order_of(&mut ds, "At", false), ["x", "y", "z", "w"]);
        assert_eq!(order_of(&mut ds, "At", true), ["z", "y", "x", "w"]);
    }

    #[test]
    fn sort_uses_the_smallest_or_largest_of_several_values() {
        let mut rs = vec![
            Rec {
                tags: vec!["m", "b"],
                ..rec("1")
            },
            Rec {
                tags: vec!["c"],
                ..rec("2")
            },
            Rec {
                tags: vec!["a", "z"],
                ..rec("3")
            },
            rec("4"),
        ];
        assert_eq!(order_of(&mut rs, "Tag", false), ["3", "1", "2", "4"]);
        assert_eq!(order_of(&mut rs, "Tag", true), ["3", "1", "2", "4"]);
        let mut rs = vec![
            Rec {
                tags: vec!["m", "b"],
                ..rec("1")
            },
            Rec {
                tags: vec!["c"],
                ..rec("2")
            },
            Rec {
                tags: vec!["n"],
                ..rec("3")
            },
        ];
        assert_eq!(order_of(&mut rs, "Tag", false), ["1", "2", "3"]);
        assert_eq!(order_of(&mut rs, "Tag", true), ["3", "1", "2"]);
    }

    fn sort_refused(sort: Value) -> (String, Code, String) {
        match parse_sort(&sort, &FIELDS) {
            Err(ServiceError::Invalid(v)) if v.len() == 1 => {
                (v[0].field.clone(), v[0].code, v[0].message.clone())
            }
            other => panic!("{sort}: expected one violation, got {other:?}"),
        }
    }

    #[test]
    fn parse_sort_takes_sortable_fields_only() {
        let ok = parse_sort(
            &json!({"SortBy": "Count", "SortOrder": "DESCENDING"}),
            &FIELDS,
        );
        assert_eq!(
            ok.ok(),
            Some(SortSpec {
                key: "Count",
                descending: true
            })
        );
        let ok = parse_sort(&json!({"SortBy": "At", "SortOrder": "ASCENDING"}), &FIELDS);
        assert_eq!(
            ok.ok(),
            Some(SortSpec {
                key: "At",
                descending: false
            })
        );
        let (path, code, msg) = sort_refused(json!({"SortBy": "Tag", "SortOrder": "ASCENDING"}));
        assert_eq!(
            (path.as_str(), code),
            ("Sort.SortBy", Code::InvalidEnumValue)
        );
        assert!(
            msg.contains("[Id, Name, Count, At]") && msg.contains("not sorted by"),
            "{msg}"
        );
        let (path, _, msg) = sort_refused(json!({"SortBy": "Colour", "SortOrder": "ASCENDING"}));
        assert_eq!(path, "Sort.SortBy");
        assert!(msg.contains("got 'Colour'"), "{msg}");
        let (path, code, _) = sort_refused(json!({"SortOrder": "ASCENDING"}));
        assert_eq!(
            (path.as_str(), code),
            ("Sort.SortBy", Code::RequiredFieldMissing)
        );
        let (path, code, _) = sort_refused(json!({"SortBy": "Id"}));
        assert_eq!(
            (path.as_str(), code),
            ("Sort.SortOrder", Code::RequiredFieldMissing)
        );
        let (path, code, _) = sort_refused(json!({"SortBy": "Id", "SortOrder": "UP"}));
        assert_eq!(
            (path.as_str(), code),
            ("Sort.SortOrder", Code::InvalidEnumValue)
        );
        let (path, _, _) = sort_refused(json!({"SortBy": 1, "SortOrder": "UP"}));
        assert_eq!(path, "Sort.SortBy");
        let (path, _, _) = sort_refused(json!("Id"));
        assert_eq!(path, "Sort");
    }
}
