//! ListSolutions, and the solution lookups other families use.

use serde_json::Value;

use super::view;
use crate::ops::common::{matches_filters, offset_page, str_at, strings};
use crate::ops::{Context, Service, ServiceError, access};
use crate::protocol::Reply;
use crate::store::{SolutionRecord, Store, StoreError, Tx};

/// The caller's solutions: the sample one plus any stored, by id.
pub(crate) fn all(tx: &dyn Tx, ctx: &Context) -> Result<Vec<SolutionRecord>, StoreError> {
    let mut list = tx.list_solutions(&access::private(ctx))?;
    for sample in view::samples() {
        if !list.iter().any(|s| s.id == sample.id) {
            list.push(sample);
        }
    }
    list.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(list)
}

/// Whether the caller has solution `id`.
pub(crate) fn exists(tx: &dyn Tx, ctx: &Context, id: &str) -> Result<bool, StoreError> {
    Ok(all(tx, ctx)?.iter().any(|s| s.id == id))
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let solutions = svc
        .store
        .read(|tx| all(tx, ctx).map_err(ServiceError::from))?;
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
        .map(|s| view::solution(ctx, s))
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
    Ok(Reply::Doc(offset_page(
        input,
        items,
        20,
        "SolutionSummaries",
    )?))
}
