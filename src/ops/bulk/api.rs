//! The API operations of bulk jobs: start (a ClientToken replays), read, list, per-record
//! results and report URLs. The work itself is the [`super::runner`]'s.

use chrono::Duration;
use serde_json::{Value, json};

use super::{COMPLETED, CUSTOMER_ACCOUNT, FAILED, IN_PROGRESS, Kind, OPPORTUNITY, SUBMITTED};
use super::{reports, view};
use crate::domain::{ids, time};
use crate::model::validate::Code;
use crate::ops::common::{
    idempotent, keyset_after, keyset_page, page_size, rendered_page, resolve_id, str_at,
};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{BulkJobRecord, Scope, Store};

/// Jobs of one kind an account may have waiting or running at once in a catalog (an
/// emulator decision; AWS publishes none).
pub const MAX_UNFINISHED: usize = 10;
/// How long a report URL works (AWS: 15 minutes).
pub const URL_MINUTES: i64 = 15;
/// How long a report is kept once generated (AWS: about 7 days), then `EXPIRED`.
pub const REPORT_DAYS: i64 = 7;

fn not_found(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "Bulk job {id} was not found in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

/// The caller's job of `kind` that `member` names (id, or for customer-account jobs an ARN).
fn job(
    tx: &dyn crate::store::Tx,
    ctx: &Context,
    kind: &Kind,
    input: &Value,
    member: &str,
) -> Result<BulkJobRecord, ServiceError> {
    let raw = str_at(input, member).unwrap_or_default();
    let id = resolve_id(member, raw, kind.arn_resource, &ctx.catalog)?
        .ok_or_else(|| not_found(ctx, ids::id_of(raw)))?;
    tx.get_bulk_job(&access::private(ctx), &id)?
        .filter(|j| j.kind == kind.name)
        .ok_or_else(|| not_found(ctx, &id))
}

fn start<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    kind: &'static Kind,
    answer: fn(&Context, &BulkJobRecord) -> Value,
) -> Result<Reply, ServiceError> {
    let scope = access::private(ctx);
    let uri = str_at(input, kind.file_member)
        .unwrap_or_default()
        .to_string();
    let out = svc.write(ctx, |w| {
        if let Some(feature) = kind.feature {
            crate::ops::features::require(w.tx, &ctx.account, &ctx.catalog, feature)?;
        }
        idempotent(w, svc.model, &scope, kind.start, input, |w| {
            let unfinished = w
                .tx
                .list_bulk_jobs(&scope, kind.name)?
                .iter()
                .filter(|j| j.status == SUBMITTED || j.status == IN_PROGRESS)
                .count();
            if unfinished >= MAX_UNFINISHED {
                return Err(ServiceError::QuotaExceeded(format!(
                    "Account {} already has {unfinished} {} bulk jobs waiting or running in catalog {}; \
                     start another once one of them has finished.",
                    ctx.account, kind.name, ctx.catalog
                )));
            }
            let rec = BulkJobRecord {
                id: format!("bulkjob-{}", ids::random_suffix(13)),
                kind: kind.name.to_string(),
                file_uri: uri.clone(),
                status: SUBMITTED.to_string(),
                created_at: w.stamp(),
                started_at: None,
                completed_at: None,
                file_name: None,
                operation_type: None,
                total_records: 0,
                processed_records: 0,
                success_count: 0,
                failure_count: 0,
                deleted_count: 0,
                failure_reason: None,
                resume_at: [0, 0, 0],
                reports: Default::default(),
            };
            w.tx.put_bulk_job(&scope, &rec)?;
            Ok(answer(ctx, &rec))
        })
    })?;
    svc.bulk.wake.notify_one();
    Ok(Reply::Doc(out))
}

pub fn start_customer_accounts<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    start(svc, ctx, input, &CUSTOMER_ACCOUNT, |ctx, rec| {
        json!({
            "Arn": view::arn(ctx, &CUSTOMER_ACCOUNT, &rec.id),
            "Id": rec.id,
            "Status": rec.status,
            "CreatedAt": rec.created_at,
        })
    })
}

pub fn start_opportunities<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    start(
        svc,
        ctx,
        input,
        &OPPORTUNITY,
        |_, rec| json!({"JobId": rec.id}),
    )
}

pub fn get_customer_account_job<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let rec = svc
        .store
        .read(|tx| job(tx, ctx, &CUSTOMER_ACCOUNT, input, "Identifier"))?;
    Ok(Reply::Doc(view::customer_account_job(ctx, &rec)))
}

/// The caller's jobs of `kind`, newest first, that `keep` admits.
fn jobs<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    kind: &Kind,
    keep: impl Fn(&BulkJobRecord) -> bool,
) -> Result<Vec<BulkJobRecord>, ServiceError> {
    let all = svc
        .store
        .read(|tx| tx.list_bulk_jobs(&access::private(ctx), kind.name))?;
    Ok(all.into_iter().filter(|j| keep(j)).collect())
}

pub fn list_customer_account_jobs<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let wanted_id = match str_at(input, "Filter.Identifier") {
        Some(raw) => Some(
            resolve_id(
                "Filter.Identifier",
                raw,
                CUSTOMER_ACCOUNT.arn_resource,
                &ctx.catalog,
            )?
            .unwrap_or_default(),
        ),
        None => None,
    };
    let status = str_at(input, "Filter.Status");
    let found = jobs(svc, ctx, &CUSTOMER_ACCOUNT, |j| {
        wanted_id.as_deref().is_none_or(|id| j.id == id) && status.is_none_or(|s| j.status == s)
    })?;
    Ok(Reply::Doc(rendered_page(input, found, 20, "items", |j| {
        view::customer_account_job(ctx, j)
    })?))
}

pub fn list_opportunity_jobs<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let wanted_id = str_at(input, "JobId");
    let status = str_at(input, "Status");
    let found = jobs(svc, ctx, &OPPORTUNITY, |j| {
        wanted_id.is_none_or(|id| j.id == id) && status.is_none_or(|s| j.status == s)
    })?;
    Ok(Reply::Doc(rendered_page(
        input,
        found,
        20,
        "OpportunityBulkJobSummaries",
        view::opportunity_job,
    )?))
}

/// One page of a job's record outcomes, in file order.
fn results<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    kind: &Kind,
    member: &str,
) -> Result<Reply, ServiceError> {
    let fp = crate::domain::pagination::fingerprint(input);
    let after = match keyset_after(input, &fp)? {
        Some((_, seq)) => seq
            .parse::<i64>()
            .map_err(|_| crate::ops::common::bad_token())?,
        None => 0,
    };
    let size = page_size(input, 20);
    let status = str_at(input, "Status");
    let scope = access::private(ctx);
    let page = svc.store.read(|tx| {
        let rec = job(tx, ctx, kind, input, member)?;
        Ok::<_, ServiceError>(tx.bulk_results(&scope, &rec.id, status, after, size + 1)?)
    })?;
    let more = page.len() > size;
    let shown: Vec<_> = page.into_iter().take(size).collect();
    let last = shown.last().map(|(seq, _)| seq.to_string());
    let items = shown.iter().map(|(_, r)| view::result(r)).collect();
    Ok(Reply::Doc(keyset_page(
        &fp,
        "Results",
        items,
        last.as_deref().filter(|_| more).map(|s| (s, s)),
    )))
}

pub fn customer_account_results<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    results(svc, ctx, input, &CUSTOMER_ACCOUNT, "Identifier")
}

pub fn opportunity_results<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    results(svc, ctx, input, &OPPORTUNITY, "JobId")
}

/// A report of a finished job: generated on the first ask (`IN_PROGRESS`), then `AVAILABLE`
/// at a URL that works for 15 minutes, until it is 7 days old (`EXPIRED`).
fn report<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    kind: &Kind,
    member: &str,
) -> Result<Value, ServiceError> {
    let report_type = str_at(input, "ReportType").unwrap_or(reports::FAILED_RECORDS);
    if report_type == reports::ALL_RECORDS && !kind.all_records_report {
        return Err(ServiceError::invalid(
            "ReportType",
            Code::InvalidValue,
            "ReportType ALL_RECORDS is not supported yet for opportunity bulk jobs; ask for FAILED_RECORDS.",
        ));
    }
    let scope = access::private(ctx);
    svc.write(ctx, |w| {
        let mut rec = job(w.tx, ctx, kind, input, member)?;
        if rec.status != COMPLETED && rec.status != FAILED {
            return Err(ServiceError::Conflict(format!(
                "Bulk job {} is {}; its report can be asked for once it is COMPLETED or FAILED.",
                rec.id, rec.status
            )));
        }
        let mut out = json!({"ReportType": report_type});
        let asked = rec.reports.get(report_type).and_then(|t| time::parse(t));
        match asked {
            None => {
                rec.reports.insert(report_type.to_string(), w.stamp());
                w.tx.put_bulk_job(&scope, &rec)?;
                out["ReportStatus"] = json!("IN_PROGRESS");
            }
            Some(at) if w.now - at > Duration::days(REPORT_DAYS) => {
                out["ReportStatus"] = json!("EXPIRED");
            }
            Some(_) => {
                // Whole seconds: the URL's `Expires` and `ExpiresAt` are the same instant.
                let at = (w.now + Duration::minutes(URL_MINUTES)).timestamp();
                let expires = chrono::DateTime::from_timestamp(at, 0).unwrap_or(w.now);
                out["ReportStatus"] = json!("AVAILABLE");
                out["Url"] = json!(reports::url(
                    &svc.bulk,
                    &scope,
                    &rec.id,
                    report_type,
                    expires
                ));
                out["ExpiresAt"] = json!(time::format(expires));
            }
        }
        Ok(out)
    })
}

pub fn customer_account_report<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    Ok(Reply::Doc(report(
        svc,
        ctx,
        input,
        &CUSTOMER_ACCOUNT,
        "Identifier",
    )?))
}

pub fn opportunity_report<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let mut out = report(svc, ctx, input, &OPPORTUNITY, "JobId")?;
    out["ReportFormat"] = json!(str_at(input, "ReportFormat").unwrap_or("CSV"));
    Ok(Reply::Doc(out))
}

/// Counts one more account of `job` as deleted (DeleteCustomerAccount of an imported one).
pub(crate) fn count_deleted(
    w: &mut Write<'_>,
    scope: &Scope,
    job: &str,
) -> Result<(), ServiceError> {
    if let Some(mut rec) = w.tx.get_bulk_job(scope, job)? {
        rec.deleted_count += 1;
        w.tx.put_bulk_job(scope, &rec)?;
    }
    Ok(())
}
