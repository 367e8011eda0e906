//! The CSV columns of bulk jobs, derived from the model: a header cell names one member of
//! the operation's request (`Customer.Account.CompanyName`), with list indexes from 0 as the
//! model validation writes them (`Customer.Contacts[0].Email`); a list of plain values is one
//! column whose cell separates the values with `;` (`PrimaryNeedsFromAws`). `RequestId` (the
//! record's id in the results, default its row number) is the one column of our own;
//! `Catalog` and `ClientToken` belong to the job, not to a record.
//!
//! This module owns reading a header into [`Header`] (refusing unknown, duplicated and empty
//! column names) and turning one row into the request the operation would have received.

use std::collections::BTreeSet;

use serde_json::{Map, Number, Value};

use crate::model::{Model, ShapeId, ShapeKind};

/// The column naming a record in the results.
pub const REQUEST_ID: &str = "RequestId";
/// Members set by the job, never by a column.
const JOB_MEMBERS: [&str; 2] = ["Catalog", "ClientToken"];
/// Highest list index a column may name (lists of the model hold at most 100 items).
const MAX_INDEX: usize = 99;
/// Separator of the values of a list of plain values in one cell.
pub const LIST_SEPARATOR: char = ';';

/// What a column's cells hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Text,
    Integer,
    Double,
    Boolean,
    /// A list of plain values, `;`-separated.
    TextList,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Member(String),
    Index(usize),
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    path: Vec<Seg>,
    leaf: Leaf,
}

/// A header read against one request shape.
#[derive(Debug, Clone)]
pub struct Header {
    /// The column of each cell (`None`: the `RequestId` column).
    columns: Vec<Option<Column>>,
    request_id: Option<usize>,
    /// Whether the header names `Identifier` (an update file).
    pub names_identifier: bool,
}

/// Splits a column name into members and indexes: `A.B[0].C`.
fn segments(name: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in name.split('.') {
        let (member, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if member.is_empty() {
            return None;
        }
        out.push(Seg::Member(member.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index: usize = rest.get(1..close)?.parse().ok()?;
            if index > MAX_INDEX || (close > 2 && rest.as_bytes()[1] == b'0') {
                return None;
            }
            out.push(Seg::Index(index));
            rest = &rest[close + 1..];
        }
    }
    Some(out)
}

/// The column `name` against request shape `root`, or why it names nothing.
fn column(model: &Model, root: ShapeId, name: &str) -> Result<Column, String> {
    let unknown = || format!("'{name}' is not a member of the request");
    let path = segments(name).ok_or_else(unknown)?;
    if matches!(path.first(), Some(Seg::Member(m)) if JOB_MEMBERS.contains(&m.as_str())) {
        return Err(format!("'{name}' is set by the job, not by a column"));
    }
    let mut shape = root;
    let mut i = 0;
    while i < path.len() {
        match (&model.shape(shape).kind, &path[i]) {
            (ShapeKind::Structure { .. }, Seg::Member(m)) => {
                shape = model.member(shape, m).ok_or_else(unknown)?.shape;
            }
            (ShapeKind::List { member, .. }, Seg::Index(_)) => shape = *member,
            _ => return Err(unknown()),
        }
        i += 1;
    }
    let leaf = match &model.shape(shape).kind {
        ShapeKind::String { .. } | ShapeKind::Timestamp => Leaf::Text,
        ShapeKind::Integer { .. } | ShapeKind::Long { .. } => Leaf::Integer,
        ShapeKind::Double => Leaf::Double,
        ShapeKind::Boolean => Leaf::Boolean,
        ShapeKind::List { member, .. } => match &model.shape(*member).kind {
            ShapeKind::String { .. } => Leaf::TextList,
            _ => {
                return Err(format!(
                    "'{name}' is a list of structures: name one member of one item, e.g. '{name}[0].…'"
                ));
            }
        },
        _ => {
            return Err(format!(
                "'{name}' is a structure: name one of its members, e.g. '{name}.…'"
            ));
        }
    };
    Ok(Column {
        name: name.to_string(),
        path,
        leaf,
    })
}

/// Reads a header row against the request shape `root`: every cell must name a member (or be
/// `RequestId`), once. The error lists the offending cells.
pub fn header(model: &Model, root: ShapeId, cells: &[&str]) -> Result<Header, String> {
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    let mut columns = Vec::with_capacity(cells.len());
    let mut request_id = None;
    for (i, raw) in cells.iter().enumerate() {
        // A byte-order mark before the first name is an editor's, not the name's.
        let name = if i == 0 {
            raw.trim_start_matches('\u{feff}')
        } else {
            raw
        };
        if name.trim().is_empty() {
            problems.push(format!("column {} has no name", i + 1));
            columns.push(None);
            continue;
        }
        if !seen.insert(name.to_string()) {
            problems.push(format!("'{name}' appears more than once"));
        }
        if name == REQUEST_ID {
            request_id = Some(i);
            columns.push(None);
            continue;
        }
        match column(model, root, name) {
            Ok(c) => columns.push(Some(c)),
            Err(e) => {
                problems.push(e);
                columns.push(None);
            }
        }
    }
    if problems.is_empty() && columns.iter().all(Option::is_none) {
        problems.push("no column names a member of the request".to_string());
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(5);
        problems.truncate(5);
        let mut reason = format!("The header row is not valid: {}", problems.join("; "));
        if more > 0 {
            reason.push_str(&format!("; and {more} more"));
        }
        reason.push_str(". Nothing was imported.");
        return Err(reason);
    }
    let names_identifier = columns
        .iter()
        .flatten()
        .any(|c| c.path == [Seg::Member("Identifier".into())]);
    Ok(Header {
        columns,
        request_id,
        names_identifier,
    })
}

impl Header {
    /// The record's id in the results: its `RequestId` cell, else its row number (from 1).
    pub fn request_id(&self, row: &csv::StringRecord, number: i64) -> String {
        self.request_id
            .and_then(|i| row.get(i))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| number.to_string())
    }

    /// The request members a row sets (empty cells set nothing), or why it cannot be read.
    pub fn record(&self, row: &csv::StringRecord) -> Result<Map<String, Value>, String> {
        if row.len() != self.columns.len() {
            return Err(format!(
                "The row has {} fields; the header has {}.",
                row.len(),
                self.columns.len()
            ));
        }
        let mut out = Value::Object(Map::new());
        for (column, cell) in self.columns.iter().zip(row.iter()) {
            let Some(column) = column else { continue };
            if cell.is_empty() {
                continue;
            }
            let value = convert(column, cell)?;
            set(&mut out, &column.path, value);
        }
        match out {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        }
    }
}

fn convert(column: &Column, cell: &str) -> Result<Value, String> {
    let bad = |what: &str| {
        format!(
            "{}: {} is not {what}.",
            column.name,
            crate::model::validate::quote(cell)
        )
    };
    Ok(match column.leaf {
        Leaf::Text => Value::String(cell.to_string()),
        Leaf::Integer => Value::Number(
            cell.trim()
                .parse::<i64>()
                .map_err(|_| bad("an integer"))?
                .into(),
        ),
        Leaf::Double => {
            let n: f64 = cell.trim().parse().map_err(|_| bad("a number"))?;
            Value::Number(Number::from_f64(n).ok_or_else(|| bad("a finite number"))?)
        }
        Leaf::Boolean => match cell.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Leaf::TextList => Value::Array(
            cell.split(LIST_SEPARATOR)
                .map(|v| Value::String(v.trim().to_string()))
                .collect(),
        ),
    })
}

/// Sets `value` at `path` of `target`, making the objects and list items on the way (items
/// before an index become empty objects, which validation then reports).
fn set(target: &mut Value, path: &[Seg], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return;
    };
    let slot = match first {
        Seg::Member(m) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            match target {
                Value::Object(map) => map.entry(m.clone()).or_insert(Value::Null),
                _ => return,
            }
        }
        Seg::Index(i) => {
            if !target.is_array() {
                *target = Value::Array(Vec::new());
            }
            match target {
                Value::Array(items) => {
                    while items.len() <= *i {
                        items.push(Value::Object(Map::new()));
                    }
                    &mut items[*i]
                }
                _ => return,
            }
        }
    };
    set(slot, rest, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(name: &str) -> ShapeId {
        Model::get().shape_id(name).expect("shape")
    }

    #[test]
    fn columns_follow_the_model() {
        let root = shape("CreateOpportunityRequest");
        let h = header(
            Model::get(),
            root,
            &[
                "RequestId",
                "Customer.Account.CompanyName",
                "Customer.Contacts[1].Email",
                "PrimaryNeedsFromAws",
            ],
        )
        .expect("valid header");
        assert!(!h.names_identifier);
        let row = csv::StringRecord::from(vec!["r-1", "Acme", "a@example.com", "A; B"]);
        let rec = h.record(&row).expect("row");
        assert_eq!(
            Value::Object(rec),
            serde_json::json!({
                "Customer": {"Account": {"CompanyName": "Acme"},
                             "Contacts": [{}, {"Email": "a@example.com"}]},
                "PrimaryNeedsFromAws": ["A", "B"]
            })
        );
        assert_eq!(h.request_id(&row, 7), "r-1");
    }

    #[test]
    fn bad_headers_are_refused_with_every_reason() {
        let root = shape("CreateOpportunityRequest");
        let err = header(
            Model::get(),
            root,
            &[
                "Nope",
                "Customer",
                "Catalog",
                "Project.Title",
                "Project.Title",
                "",
                "Customer.Contacts",
                "Customer.Contacts[01].Email",
            ],
        )
        .expect_err("refused");
        for needle in [
            "'Nope' is not a member",
            "'Customer' is a structure",
            "'Catalog' is set by the job",
            "'Project.Title' appears more than once",
            "column 6 has no name",
            "and 2 more",
        ] {
            assert!(err.contains(needle), "{needle} in {err}");
        }
        assert!(header(Model::get(), root, &["RequestId"]).is_err());
    }

    #[test]
    fn rows_of_the_wrong_width_fail_alone() {
        let root = shape("CreateCustomerAccountRequest");
        let h = header(
            Model::get(),
            root,
            &["Account.CompanyName", "Account.Domain"],
        )
        .expect("ok");
        let err = h
            .record(&csv::StringRecord::from(vec!["only one"]))
            .expect_err("short row");
        assert!(err.contains("1 fields; the header has 2"), "{err}");
    }
}
