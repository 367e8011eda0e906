//! The API operations on customer accounts: create, read, update (optimistic locking on
//! `LastModifiedDate`), idempotent delete, search and statistics. Matching runs as
//! [`super::matching`] describes; every answer shows the outcome as of now.

use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::{Value, json};

use super::matching::{self, Outcome};
use super::search::{Resolved, fields};
use super::view;
use crate::domain::search as engine;
use crate::domain::{ids, time};
use crate::ops::common::{idempotent, rendered_page, str_at};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{CustomerAccountRecord, Store, Tx};

const RESOURCE: &str = "customer-account";

/// The id `Identifier` names (id or ARN of the caller's catalog).
fn account_id(ctx: &Context, input: &Value) -> Result<Option<String>, ServiceError> {
    let value = str_at(input, "Identifier").unwrap_or_default();
    crate::ops::common::resolve_id("Identifier", value, RESOURCE, &ctx.catalog)
}

fn not_found(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "Customer account {id} was not found in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

/// When matching of data written now completes.
fn matched_at<S: Store>(svc: &Service<S>, w: &Write<'_>) -> String {
    time::format(w.now + Duration::milliseconds(svc.task_delay.as_millis() as i64))
}

/// The outcome of `rec` now, among the caller's accounts.
pub(crate) fn resolve(
    tx: &dyn Tx,
    ctx: &Context,
    rec: &CustomerAccountRecord,
    now: &str,
) -> Result<Outcome, ServiceError> {
    let others = tx.list_customer_accounts(&access::private(ctx))?;
    Ok(matching::outcome(rec, &others, now, |id| {
        view::arn(ctx, id)
    }))
}

pub fn create<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        let make = |w: &mut Write<'_>| create_in(svc, w, ctx, input, None);
        // The token is optional here (the model): without one every call creates.
        if input.get("ClientToken").is_some() {
            idempotent(w, svc.model, &scope, "CreateCustomerAccount", input, make)
        } else {
            make(w)
        }
    })?;
    Ok(Reply::Doc(out))
}

/// CreateCustomerAccount inside a write already open, its token already handled: what the
/// API and bulk jobs (`import_id`: the job) share.
pub(crate) fn create_in<S: Store>(
    svc: &Service<S>,
    w: &mut Write<'_>,
    ctx: &Context,
    input: &Value,
    import_id: Option<&str>,
) -> Result<Value, ServiceError> {
    let scope = access::private(ctx);
    let now = w.stamp();
    let rec = CustomerAccountRecord {
        id: format!("cust-acc-{}", ids::random_suffix(13)),
        account: input.get("Account").cloned().unwrap_or(json!({})),
        partner_account_identifier: str_at(input, "PartnerAccountIdentifier").map(str::to_string),
        created_date: now.clone(),
        last_modified_date: now,
        matched_at: matched_at(svc, w),
        forced: None,
        import_id: import_id.map(str::to_string),
    };
    w.tx.put_customer_account(&scope, &rec)?;
    if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
        crate::ops::tagging::api::add_tags(w, &scope, &view::arn(ctx, &rec.id), tags)?;
    }
    Ok(view::written(ctx, &rec, matching::PENDING))
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let raw = str_at(input, "Identifier").unwrap_or_default();
    let Some(id) = account_id(ctx, input)? else {
        return Err(not_found(ctx, ids::id_of(raw)));
    };
    let now = time::format(svc.clock.now());
    let scope = access::private(ctx);
    let out = svc.store.read(|tx| {
        let rec = tx
            .get_customer_account(&scope, &id)?
            .ok_or_else(|| not_found(ctx, &id))?;
        let outcome = resolve(tx, ctx, &rec, &now)?;
        let tags = tx.get_tags(&scope, &view::arn(ctx, &id))?;
        Ok::<_, ServiceError>(view::account(ctx, &rec, &outcome, tags))
    })?;
    Ok(Reply::Doc(out))
}

pub fn update<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let raw = str_at(input, "Identifier").unwrap_or_default();
    let Some(id) = account_id(ctx, input)? else {
        return Err(not_found(ctx, ids::id_of(raw)));
    };
    let sent = str_at(input, "LastModifiedDate")
        .unwrap_or_default()
        .to_string();
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        let mut rec =
            w.tx.get_customer_account(&scope, &id)?
                .ok_or_else(|| not_found(ctx, &id))?;
        if time::parse(&sent) != time::parse(&rec.last_modified_date) {
            return Err(ServiceError::Conflict(format!(
                "Customer account {id} was modified at {}; the LastModifiedDate sent ({sent}) is \
                 stale. Read it again and retry with its LastModifiedDate.",
                rec.last_modified_date
            )));
        }
        rec.account = input.get("Account").cloned().unwrap_or(json!({}));
        if let Some(p) = str_at(input, "PartnerAccountIdentifier") {
            rec.partner_account_identifier = Some(p.to_string());
        }
        rec.last_modified_date = time::format(time::next_modified(&rec.last_modified_date, w.now));
        // New data is matched again.
        rec.matched_at = matched_at(svc, w);
        rec.forced = None;
        w.tx.put_customer_account(&scope, &rec)?;
        Ok(view::written(ctx, &rec, matching::PENDING))
    })?;
    Ok(Reply::Doc(out))
}

pub fn delete<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    // Idempotent (the model): an account that is not there is deleted already.
    if let Some(id) = account_id(ctx, input)? {
        let scope = access::private(ctx);
        svc.write(ctx, |w| {
            let Some(rec) = w.tx.get_customer_account(&scope, &id)? else {
                return Ok(());
            };
            w.tx.delete_customer_account(&scope, &id)?;
            w.tx.put_tags(&scope, &view::arn(ctx, &id), &[])?;
            // The bulk job that imported it counts it as deleted.
            if let Some(job) = rec.import_id.as_deref() {
                crate::ops::bulk::api::count_deleted(w, &scope, job)?;
            }
            Ok(())
        })?;
    }
    Ok(Reply::Doc(json!({})))
}

/// The caller's accounts, resolved now, that `Filter` admits.
fn filtered<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Vec<Resolved>, ServiceError> {
    let tree = match input.get("Filter") {
        None | Some(Value::Null) => None,
        Some(f) => Some(engine::parse(f, fields(), "Filter")?),
    };
    let now = time::format(svc.clock.now());
    let records = svc
        .store
        .read(|tx| tx.list_customer_accounts(&access::private(ctx)))?;
    Ok(records
        .iter()
        .map(|rec| Resolved {
            outcome: matching::outcome(rec, &records, &now, |id| view::arn(ctx, id)),
            rec: rec.clone(),
        })
        .filter(|r| tree.as_ref().is_none_or(|t| t.matches(r, fields())))
        .collect())
}

pub fn search<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let order = match input.get("Sort") {
        None | Some(Value::Null) => engine::SortSpec {
            key: "CREATED_DATE",
            descending: true,
        },
        Some(sort) => engine::parse_sort(sort, fields())?,
    };
    let mut found = filtered(svc, ctx, input)?;
    engine::sort(&mut found, fields(), order.key, order.descending, |r| {
        r.rec.id.as_str()
    });
    Ok(Reply::Doc(rendered_page(
        input,
        found,
        20,
        "CustomerAccountSummaries",
        |r| view::summary(ctx, &r.rec, &r.outcome),
    )?))
}

/// The value a bucket of accounts without one gets (`IncludeMissing`).
pub const MISSING: &str = "MISSING";
/// Most buckets an aggregation answers (the model's bound); the rest is `OtherCount`.
const MAX_BUCKETS: usize = 100;

pub fn statistics<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let found = filtered(svc, ctx, input)?;
    let include_missing = input
        .get("IncludeMissing")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut results = Vec::new();
    for agg in input
        .get("Aggregations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let group_by: Vec<String> = crate::ops::common::strings(agg, "GroupBy");
        let Some(field) = group_by
            .first()
            .and_then(|g| fields().iter().find(|f| f.name == g.as_str()))
        else {
            continue;
        };
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for r in &found {
            let values: Vec<String> = (field.values)(r)
                .into_iter()
                .filter_map(|v| match v {
                    engine::Scalar::Text(t) => Some(t),
                    _ => None,
                })
                .collect();
            if values.is_empty() {
                if include_missing {
                    *counts.entry(MISSING.to_string()).or_default() += 1;
                }
                continue;
            }
            for v in values {
                *counts.entry(v).or_default() += 1;
            }
        }
        let mut buckets: Vec<(String, u64)> = counts.into_iter().collect();
        buckets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let other: u64 = buckets.iter().skip(MAX_BUCKETS).map(|b| b.1).sum();
        buckets.truncate(MAX_BUCKETS);
        results.push(json!({
            "GroupBy": group_by,
            "Buckets": buckets.iter().map(|(v, n)| json!({"Values": [v], "Count": n})).collect::<Vec<_>>(),
            "OtherCount": other,
        }));
    }
    let mut out = json!({"TotalCount": found.len()});
    if input.get("Aggregations").is_some() {
        out["Aggregations"] = Value::Array(results);
    }
    Ok(Reply::Doc(out))
}
