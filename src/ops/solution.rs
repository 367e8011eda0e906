//! Solutions an account can associate with opportunities. Every account starts with the
//! sample solution AWS's sandbox documents (`S-1234567`) in both catalogs.

use serde_json::{Value, json};

use super::{
    Context, Service, ServiceError, check_shape, matches_filters, offset_page, str_at, strings,
};
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
        .read(|tx| all(tx, &scope).map_err(ServiceError::from))?;
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

/// Adds (or replaces) a solution AWS lists for the account, from the control plane.
/// `Id` defaults to a new `S-` number, `Status` to `Active`, `CreatedDate` to now.
pub fn admin_add<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    body: serde_json::Map<String, Value>,
) -> Result<Value, ServiceError> {
    let mut doc = body;
    doc.remove("Catalog");
    doc.entry("Id").or_insert_with(|| {
        json!(format!(
            "S-{}",
            rand::random_range(1_000_000..10_000_000u32)
        ))
    });
    doc.entry("Status").or_insert_with(|| json!("Active"));
    doc.entry("CreatedDate")
        .or_insert_with(|| json!(crate::domain::time::format(ctx.now)));
    let mut check = doc.clone();
    check.insert("Catalog".into(), json!(ctx.catalog));
    check_shape(svc.model, "SolutionBase", &Value::Object(check))?;
    let id = str_at(&Value::Object(doc.clone()), "Id")
        .unwrap_or_default()
        .to_string();
    let scope = ctx.scope();
    let rec = SolutionRecord { id, doc };
    svc.store
        .transaction(|tx| tx.put_solution(&scope, &rec).map_err(ServiceError::from))?;
    let mut out = rec.doc;
    out.insert("Catalog".into(), json!(ctx.catalog));
    Ok(Value::Object(out))
}

/// The account's solutions as ListSolutions shows them.
pub fn admin_list<S: Store>(svc: &Service<S>, ctx: &Context) -> Result<Value, ServiceError> {
    list(svc, ctx, &json!({"MaxResults": 100}))
}
