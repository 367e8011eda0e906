//! Solutions an account can associate with opportunities. Every account starts with the
//! sample solution AWS's sandbox documents (`S-1234567`) in both catalogs.

use serde_json::{Value, json};

use super::{Context, Service, ServiceError, matches_filters, offset_page, str_at, strings};
use crate::store::{Scope, SolutionRecord, Store, StoreError, Tx};

/// The solution every account has.
pub const SAMPLE_SOLUTION_ID: &str = "S-1234567";

fn sample_solution() -> SolutionRecord {
    let doc = json!({
        "Id": SAMPLE_SOLUTION_ID,
        "Name": "Sample Solution",
        "Status": "Active",
        "Category": "Compute",
        "CreatedDate": "2024-01-01T00:00:00.000Z"
    });
    SolutionRecord {
        id: SAMPLE_SOLUTION_ID.to_string(),
        doc: doc.as_object().cloned().unwrap_or_default(),
    }
}

/// The account's solutions: the sample one plus any stored, by id.
pub fn all(tx: &dyn Tx, scope: &Scope) -> Result<Vec<SolutionRecord>, StoreError> {
    let mut list = tx.list_solutions(scope)?;
    if !list.iter().any(|s| s.id == SAMPLE_SOLUTION_ID) {
        list.push(sample_solution());
    }
    list.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(list)
}

pub fn exists(tx: &dyn Tx, scope: &Scope, id: &str) -> Result<bool, StoreError> {
    Ok(all(tx, scope)?.iter().any(|s| s.id == id))
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let solutions = svc
        .store
        .transaction(|tx| all(tx, &scope).map_err(ServiceError::from))?;
    let filters = [
        ("Id", strings(input, "Identifier")),
        ("Status", strings(input, "Status")),
        ("Category", strings(input, "Category")),
        (
            "AwsMarketplaceSolutionArn",
            strings(input, "AwsMarketplaceSolutionArn"),
        ),
    ];
    let mut items: Vec<Value> = solutions
        .into_iter()
        .map(|s| {
            let mut doc = s.doc;
            doc.insert("Catalog".into(), json!(ctx.catalog));
            Value::Object(doc)
        })
        .filter(|doc| matches_filters(doc, &filters))
        .collect();
    let by = match str_at(input, "Sort.SortBy").unwrap_or("Identifier") {
        "Identifier" => "Id",
        other => other,
    }
    .to_string();
    items.sort_by(|a, b| {
        str_at(a, &by)
            .cmp(&str_at(b, &by))
            .then(str_at(a, "Id").cmp(&str_at(b, "Id")))
    });
    if str_at(input, "Sort.SortOrder") == Some("DESCENDING") {
        items.reverse();
    }
    offset_page(input, items, 20, "SolutionSummaries")
}
