//! The background runner of bulk jobs: one job at a time, oldest first.
//!
//! A `SUBMITTED` job is *prepared*: its file is copied ([`super::files`]), read once to check
//! the header and that every row is UTF-8 CSV, and counted; the job becomes `IN_PROGRESS`
//! (or `FAILED` with the reason, nothing applied; or `COMPLETED` with no record). An
//! `IN_PROGRESS` job *advances* a batch at a time: up to [`BATCH`] records, read from where
//! the last batch ended, applied in one transaction together with their outcomes and the
//! job's progress (where the next record starts in the file). Each record runs in a
//! savepoint: one that fails is undone alone and recorded with its error.
//!
//! Memory stays bounded whatever the file's size: the file is streamed from disk, a batch is
//! the most held at once, and outcomes go to the store. A restart resumes every unfinished job
//! from its last committed batch: a record is applied with its outcome or not at all.
//!
//! **Several servers on one database** (PostgreSQL) each run a runner. A job is worked by one
//! runner at a time: the runner first claims it in the store ([`crate::store::Tx::claim_bulk_job`],
//! a lease of [`LEASE`] by the database's clock), renews the claim in every batch's
//! transaction (a batch whose runner lost its claim writes nothing), and ends it when the job
//! finishes. A job whose runner died is taken over once its lease ran out, from its last
//! committed batch. Runners share the job's copy of its file through a shared files
//! directory (README, "PostgreSQL").

use std::sync::{Arc, Mutex, Weak};

use serde_json::{Map, Value, json};

use super::columns::{self, Header};
use super::{COMPLETED, FAILED, IN_PROGRESS, Kind, SUBMITTED};
use crate::app::AppState;
use crate::model::Model;
use crate::ops::common::{check_shape, str_at};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::ApiError;
use crate::store::{BulkJobRecord, BulkResultRecord, Scope, Store};

/// Records applied in one transaction (the longest a job holds the writer: a few ms).
pub const BATCH: usize = 256;
/// How long the runner sleeps when no job waits and nobody wakes it.
const IDLE: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a runner's claim on a job lasts without renewal (each batch renews it, and a batch
/// takes milliseconds): how long a job waits when the server working it died.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(10);

pub const SUCCEEDED: &str = "SUCCEEDED";
const RECORD_FAILED: &str = "FAILED";

/// Works through unfinished jobs until the server stops (holding it only while working).
pub async fn run(state: Weak<AppState>) {
    let Some(wake) = state.upgrade().map(|s| Arc::clone(&s.service.bulk.wake)) else {
        return;
    };
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let Some(s) = state.upgrade() else {
            return;
        };
        let current: Arc<Mutex<Option<(Scope, String)>>> = Arc::default();
        let seen = Arc::clone(&current);
        let outcome = s.background(move |st| step(&st.service, &seen)).await;
        let idle = match outcome {
            Ok(Ok(worked)) => !worked,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "a bulk job step failed; retrying");
                true
            }
            Err(_) => {
                // A panic: the job it was working on fails rather than panicking forever.
                let job = current.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some((scope, id)) = job {
                    let _ = s
                        .blocking(move |st| {
                            fail(
                                &st.service,
                                &scope,
                                &id,
                                "The emulator failed while processing this job; see its log.",
                            )
                        })
                        .await;
                }
                false
            }
        };
        drop(s);
        if idle {
            let _ = tokio::time::timeout(IDLE, notified).await;
        }
    }
}

/// Prepares or advances the oldest unfinished job this runner can claim; whether there was
/// one (jobs that other runners hold do not count: this one then idles).
pub fn step<S: Store>(
    svc: &Service<S>,
    current: &Mutex<Option<(Scope, String)>>,
) -> Result<bool, ServiceError> {
    let unfinished = svc.store.read(|tx| tx.unfinished_bulk_jobs())?;
    if unfinished.is_empty() {
        svc.bulk.files.sweep_copies();
        return Ok(false);
    }
    let runner = svc.bulk.runner.as_str();
    let mut claimed = None;
    for (scope, listed) in unfinished {
        // A fresh read of the job and the claim in one transaction: what another runner did
        // with it meanwhile is seen, and a job that finished meanwhile is not claimed (its
        // runner released it: a claim now would outlive it).
        let job = svc.store.transaction(|tx| {
            let Some(job) = tx
                .get_bulk_job(&scope, &listed.id)?
                .filter(|j| j.status == SUBMITTED || j.status == IN_PROGRESS)
            else {
                return Ok::<_, ServiceError>(None);
            };
            Ok(tx
                .claim_bulk_job(&scope, &listed.id, runner, LEASE)?
                .then_some(job))
        })?;
        if let Some(job) = job {
            claimed = Some((scope, job));
            break;
        }
    }
    let Some((scope, job)) = claimed else {
        return Ok(false);
    };
    *current.lock().unwrap_or_else(|p| p.into_inner()) = Some((scope.clone(), job.id.clone()));
    let ctx = Context {
        account: scope.account.clone(),
        catalog: scope.catalog.clone(),
        region: svc.region.clone(),
    };
    let Some(kind) = super::kind(&job.kind) else {
        fail(
            svc,
            &scope,
            &job.id,
            "This build does not know the job's kind.",
        )?;
        return Ok(true);
    };
    if job.status == SUBMITTED {
        prepare(svc, &ctx, kind, &job)?;
    } else {
        advance(svc, &ctx, kind, &job)?;
    }
    Ok(true)
}

/// Marks a job `FAILED` (what it applied stays applied).
fn fail<S: Store>(
    svc: &Service<S>,
    scope: &Scope,
    id: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    let now = crate::domain::time::format(svc.clock.now());
    let runner = svc.bulk.runner.as_str();
    svc.store.transaction(|tx| {
        if let Some(mut rec) = tx.get_bulk_job(scope, id)? {
            rec.status = FAILED.to_string();
            rec.failure_reason = Some(reason.to_string());
            rec.completed_at = Some(now);
            tx.put_bulk_job(scope, &rec)?;
        }
        tx.release_bulk_job(scope, id, runner)?;
        Ok::<_, ServiceError>(())
    })?;
    svc.bulk.files.discard(id);
    Ok(())
}

fn reader(path: &std::path::Path) -> std::io::Result<csv::Reader<std::fs::File>> {
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(std::fs::File::open(path)?))
}

fn unreadable(e: &csv::Error) -> String {
    format!("The file is not readable CSV text ({e}). Nothing was imported.")
}

/// The header, and the operation it asks for, of a job's file.
fn read_header(
    model: &Model,
    kind: &Kind,
    r: &mut csv::Reader<std::fs::File>,
) -> Result<(Header, &'static str), String> {
    let mut head = csv::StringRecord::new();
    match r.read_record(&mut head) {
        Ok(true) => {}
        Ok(false) => {
            return Err("The file is empty: it has no header row. Nothing was imported.".into());
        }
        Err(e) => return Err(unreadable(&e)),
    }
    let cells: Vec<&str> = head.iter().collect();
    let op = match kind.update {
        Some(update) if cells.contains(&"Identifier") => update,
        _ => kind.create,
    };
    let shape = model
        .operation(op)
        .and_then(|o| o.input)
        .ok_or_else(|| format!("The model has no operation {op}."))?;
    Ok((columns::header(model, shape, &cells)?, op))
}

/// What preparing found in a good file.
struct Survey {
    operation: &'static str,
    total: i64,
    start: [u64; 3],
}

fn survey(model: &Model, kind: &Kind, path: &std::path::Path) -> Result<Survey, String> {
    let mut r = reader(path).map_err(|e| format!("The file could not be read: {e}."))?;
    let (_, op) = read_header(model, kind, &mut r)?;
    let pos = r.position().clone();
    let mut row = csv::StringRecord::new();
    let mut total = 0i64;
    loop {
        match r.read_record(&mut row) {
            Ok(true) => total += 1,
            Ok(false) => break,
            Err(e) => return Err(unreadable(&e)),
        }
    }
    Ok(Survey {
        operation: if Some(op) == kind.update {
            "BULK_UPDATE"
        } else {
            "BULK_CREATE"
        },
        total,
        start: [pos.byte(), pos.line(), pos.record()],
    })
}

fn prepare<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    kind: &Kind,
    job: &BulkJobRecord,
) -> Result<(), ServiceError> {
    let files = &svc.bulk.files;
    let outcome = files
        .copy_for_job(&job.id, &job.file_uri)
        .and_then(|copied| {
            survey(svc.model, kind, &files.copy_path(&job.id)).map(|s| (copied.file_name, s))
        });
    let scope = access::private(ctx);
    let runner = svc.bulk.runner.as_str();
    let finished = svc.write(ctx, |w| {
        let Some(mut rec) = w.tx.get_bulk_job(&scope, &job.id)? else {
            return Ok(true); // reset meanwhile
        };
        if rec.status != SUBMITTED || !w.tx.claim_bulk_job(&scope, &job.id, runner, LEASE)? {
            return Ok(false); // another runner prepared it, or holds it now
        }
        let now = w.stamp();
        rec.started_at = Some(now.clone());
        match &outcome {
            Ok((name, survey)) => {
                rec.file_name = Some(name.clone());
                rec.operation_type = Some(survey.operation.to_string());
                rec.total_records = survey.total;
                rec.resume_at = survey.start;
                if survey.total == 0 {
                    rec.status = COMPLETED.to_string();
                    rec.completed_at = Some(now);
                } else {
                    rec.status = IN_PROGRESS.to_string();
                }
            }
            Err(reason) => {
                rec.status = FAILED.to_string();
                rec.failure_reason = Some(reason.clone());
                rec.completed_at = Some(now);
            }
        }
        w.tx.put_bulk_job(&scope, &rec)?;
        if rec.status != IN_PROGRESS {
            w.tx.release_bulk_job(&scope, &job.id, runner)?;
        }
        Ok(rec.status != IN_PROGRESS)
    })?;
    if finished {
        files.discard(&job.id);
    }
    Ok(())
}

/// One record read from the file: its number, its id in the results, its members.
type Row = (i64, String, Result<Map<String, Value>, String>);

fn advance<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    kind: &Kind,
    job: &BulkJobRecord,
) -> Result<(), ServiceError> {
    let files = &svc.bulk.files;
    let scope = access::private(ctx);
    let path = files.copy_path(&job.id);
    let gone = |why: String| {
        format!(
            "The job's copy of its file cannot be read ({why}); the {} records before it were applied.",
            job.processed_records
        )
    };
    let mut r = match reader(&path) {
        Ok(r) => r,
        Err(e) => return fail(svc, &scope, &job.id, &gone(e.to_string())),
    };
    let (header, op) = match read_header(svc.model, kind, &mut r) {
        Ok(h) => h,
        Err(e) => return fail(svc, &scope, &job.id, &gone(e)),
    };
    let mut pos = csv::Position::new();
    pos.set_byte(job.resume_at[0])
        .set_line(job.resume_at[1])
        .set_record(job.resume_at[2]);
    if let Err(e) = r.seek(pos) {
        return fail(svc, &scope, &job.id, &gone(e.to_string()));
    }
    let delay = svc.bulk.record_delay;
    let limit = if delay.is_zero() { BATCH } else { 1 };
    let mut batch: Vec<Row> = Vec::with_capacity(limit);
    let mut row = csv::StringRecord::new();
    let mut seq = job.processed_records;
    let mut end = false;
    while batch.len() < limit {
        match r.read_record(&mut row) {
            Ok(true) => {
                seq += 1;
                batch.push((seq, header.request_id(&row, seq), header.record(&row)));
            }
            Ok(false) => {
                end = true;
                break;
            }
            Err(e) => {
                seq += 1;
                batch.push((
                    seq,
                    seq.to_string(),
                    Err(format!("The row cannot be read: {e}")),
                ));
            }
        }
    }
    let next = r.position();
    let resume = [next.byte(), next.line(), next.record()];
    if !delay.is_zero() && !batch.is_empty() {
        std::thread::sleep(delay);
    }
    let runner = svc.bulk.runner.as_str();
    let finished = svc.write(ctx, |w| {
        let Some(mut rec) = w.tx.get_bulk_job(&scope, &job.id)? else {
            return Ok(true); // reset meanwhile
        };
        // The claim renewed with the batch: a runner whose lease ran out (another took the
        // job over) writes nothing, and the batch's records were applied by one runner only.
        if rec.status != IN_PROGRESS
            || rec.processed_records != job.processed_records
            || !w.tx.claim_bulk_job(&scope, &job.id, runner, LEASE)?
        {
            return Ok(false);
        }
        let applied = batch.len() as i64;
        for (seq, request_id, members) in batch {
            let result = apply_one(svc, w, ctx, op, &rec.id, seq, &request_id, members)?;
            if result.status == SUCCEEDED {
                rec.success_count += 1;
            } else {
                rec.failure_count += 1;
            }
            w.tx.put_bulk_result(&scope, &rec.id, seq, &result)?;
        }
        rec.processed_records += applied;
        rec.resume_at = resume;
        if end {
            rec.status = COMPLETED.to_string();
            rec.completed_at = Some(w.stamp());
            rec.total_records = rec.total_records.max(rec.processed_records);
            w.tx.release_bulk_job(&scope, &job.id, runner)?;
        }
        w.tx.put_bulk_job(&scope, &rec)?;
        Ok(end)
    })?;
    if finished {
        files.discard(&job.id);
    }
    Ok(())
}

/// Applies one record in a savepoint of its own: its outcome, success or failure. Only a
/// failure of the savepoint itself is an error (the whole batch is then retried).
#[allow(clippy::too_many_arguments)]
fn apply_one<S: Store>(
    svc: &Service<S>,
    w: &mut Write<'_>,
    ctx: &Context,
    op: &str,
    job: &str,
    seq: i64,
    request_id: &str,
    members: Result<Map<String, Value>, String>,
) -> Result<BulkResultRecord, ServiceError> {
    let members = match members {
        Ok(m) => m,
        Err(msg) => {
            return Ok(failure(request_id, None, "ValidationException", msg));
        }
    };
    let named = members
        .get("Identifier")
        .and_then(Value::as_str)
        .map(str::to_string);
    w.tx.savepoint()?;
    let mark = w.changes.len();
    let outcome = apply(svc, w, ctx, op, job, seq, members);
    if outcome.is_err() {
        w.changes.truncate(mark);
    }
    w.tx.end_savepoint(outcome.is_ok())?;
    Ok(match outcome {
        Ok(id) => BulkResultRecord {
            request_id: request_id.to_string(),
            status: SUCCEEDED.to_string(),
            resource_identifier: Some(id),
            error_code: None,
            error_message: None,
        },
        Err(ServiceError::Store(e)) => return Err(ServiceError::Store(e)),
        Err(e) => {
            let api = ApiError::from(e);
            let message = match api.fields.get("Reason").and_then(Value::as_str) {
                Some(reason) => format!("{reason}: {}", api.message),
                None => api.message,
            };
            failure(request_id, named, api.kind.name(), message)
        }
    })
}

fn failure(
    request_id: &str,
    resource: Option<String>,
    code: &str,
    message: String,
) -> BulkResultRecord {
    BulkResultRecord {
        request_id: request_id.to_string(),
        status: RECORD_FAILED.to_string(),
        resource_identifier: resource,
        error_code: Some(code.to_string()),
        error_message: Some(message),
    }
}

/// Runs operation `op` on one record, as the API would have (model validation first); the id
/// of the resource it created or updated.
fn apply<S: Store>(
    svc: &Service<S>,
    w: &mut Write<'_>,
    ctx: &Context,
    op: &str,
    job: &str,
    seq: i64,
    mut members: Map<String, Value>,
) -> Result<String, ServiceError> {
    members.insert("Catalog".into(), json!(ctx.catalog));
    let shape = format!("{op}Request");
    let id_of = |out: &Value| str_at(out, "Id").unwrap_or_default().to_string();
    match op {
        "CreateOpportunity" => {
            members.insert("ClientToken".into(), json!(format!("{job}-{seq}")));
            let input = Value::Object(members);
            check_shape(svc.model, &shape, &input)?;
            let out = crate::ops::opportunities::api::create_in(svc, w, ctx, &input)?;
            Ok(id_of(&out))
        }
        "UpdateOpportunity" => {
            // The record's own cells first (its Identifier above all), as UpdateOpportunity
            // validates its request before it looks anything up.
            let mut probe = members.clone();
            probe
                .entry("LastModifiedDate")
                .or_insert_with(|| json!("1970-01-01T00:00:00Z"));
            check_shape(svc.model, &shape, &Value::Object(probe))?;
            let input = updated(svc, w, ctx, members)?;
            check_shape(svc.model, &shape, &input)?;
            let out = crate::ops::opportunities::api::update_in(svc, w, ctx, &input)?;
            Ok(id_of(&out))
        }
        "CreateCustomerAccount" => {
            let input = Value::Object(members);
            check_shape(svc.model, &shape, &input)?;
            let out = crate::ops::customers::api::create_in(svc, w, ctx, &input, Some(job))?;
            Ok(id_of(&out))
        }
        _ => Err(ServiceError::NotImplemented(format!(
            "Bulk jobs cannot apply {op}."
        ))),
    }
}

/// An update record as a whole UpdateOpportunity request: the opportunity as it is now (what
/// GetOpportunity answers, limited to the request's members), with the record's cells laid
/// over it; without a `LastModifiedDate` cell the current one (no optimistic lock).
fn updated<S: Store>(
    svc: &Service<S>,
    w: &mut Write<'_>,
    ctx: &Context,
    members: Map<String, Value>,
) -> Result<Value, ServiceError> {
    let id = members
        .get("Identifier")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let current = access::opportunity(w.tx, ctx, &id)?;
    let rendered = crate::ops::opportunities::view::opportunity(ctx, &current);
    let mut input = Value::Object(Map::new());
    if let (Some(shape), Value::Object(now)) =
        (svc.model.shape_id("UpdateOpportunityRequest"), rendered)
    {
        for (k, v) in now {
            if svc.model.member(shape, &k).is_some() {
                input[k.as_str()] = v;
            }
        }
    }
    input["LastModifiedDate"] = json!(current.last_modified_date);
    overlay(&mut input, Value::Object(members));
    Ok(input)
}

/// Lays `top` over `base`: objects member by member, lists of objects item by item, anything
/// else replaced.
fn overlay(base: &mut Value, top: Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(slot) => overlay(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(t)) if t.iter().all(Value::is_object) => {
            for (i, v) in t.into_iter().enumerate() {
                match b.get_mut(i) {
                    Some(slot) => overlay(slot, v),
                    None => b.push(v),
                }
            }
        }
        (slot, t) => *slot = t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_merges_objects_and_items() {
        let mut base = json!({"A": {"B": 1, "C": 2}, "L": [{"X": 1}, {"X": 2}], "S": ["a", "b"]});
        overlay(
            &mut base,
            json!({"A": {"C": 3}, "L": [{"Y": 1}], "S": ["c"], "N": true}),
        );
        assert_eq!(
            base,
            json!({"A": {"B": 1, "C": 3}, "L": [{"X": 1, "Y": 1}, {"X": 2}], "S": ["c"], "N": true})
        );
    }
}
