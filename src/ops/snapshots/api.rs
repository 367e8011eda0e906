//! The API operations on snapshots and snapshot jobs. Snapshots are shared records of an
//! engagement, seen by its members that a snapshot targets (AWS's own view: the owner only);
//! jobs are the caller's own.

use serde_json::{Value, json};

use super::flows::{self, RUNNING, STOPPED, Taking};
use super::view::{self, AWS_FULL_VIEW};
use crate::domain::ids;
use crate::model::validate::Code;
use crate::ops::common::{idempotent, offset_page, rendered_page, str_at};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{OpportunityRecord, SnapshotJobRecord, Store};

const TEMPLATE: &str = "ResourceSnapshotTemplateIdentifier";

/// Whether a member of the snapshot's engagement may read it: every member reads the shared
/// view, whenever it joined (snapshots stay readable by the engagement's members); AWS's own
/// view is read by the accounts it targets (the owner).
fn visible(ctx: &Context, rec: &crate::store::SnapshotRecord) -> bool {
    rec.template != AWS_FULL_VIEW || rec.target_member_accounts.contains(&ctx.account)
}

/// Refuses a template name that names no template (reads).
fn check_known(name: &str) -> Result<(), ServiceError> {
    if view::known_template(name) {
        return Ok(());
    }
    Err(ServiceError::invalid(
        TEMPLATE,
        Code::InvalidValue,
        format!(
            "{TEMPLATE}: '{name}' is not a snapshot template; templates: {}, {}.",
            view::SUMMARY_VIEW,
            AWS_FULL_VIEW
        ),
    ))
}

/// Refuses a template partners may not snapshot.
fn check_template(name: &str) -> Result<(), ServiceError> {
    if view::partner_template(name) {
        return Ok(());
    }
    let why = if name == AWS_FULL_VIEW {
        format!("{AWS_FULL_VIEW} snapshots are produced by AWS, not by partners")
    } else {
        format!(
            "'{name}' is not a snapshot template; templates: {}, {} (produced by AWS)",
            view::SUMMARY_VIEW,
            AWS_FULL_VIEW
        )
    };
    Err(ServiceError::invalid(
        TEMPLATE,
        Code::InvalidValue,
        format!("{TEMPLATE}: {why}."),
    ))
}

/// The engagement (members only) and the caller's opportunity a request names.
fn target(
    w: &Write<'_>,
    ctx: &Context,
    input: &Value,
) -> Result<(String, OpportunityRecord), ServiceError> {
    let engagement = str_at(input, "EngagementIdentifier").unwrap_or_default();
    let e = access::engagement(w.tx, ctx, engagement)?;
    let id = str_at(input, "ResourceIdentifier").unwrap_or_default();
    let opp = access::opportunity(w.tx, ctx, id)?;
    Ok((e.id, opp))
}

pub fn create<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let template = str_at(input, TEMPLATE).unwrap_or_default().to_string();
    check_template(&template)?;
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        idempotent(w, svc.model, &scope, "CreateResourceSnapshot", input, |w| {
            let (engagement, opp) = target(w, ctx, input)?;
            let revision =
                flows::take(w, ctx, &engagement, &opp, &template, Taking::Explicit)?.unwrap_or(1);
            let rec =
                w.tx.get_snapshot(
                    &ctx.catalog,
                    &engagement,
                    &opp.id,
                    &template,
                    Some(revision),
                )?
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("Engagement {engagement} is gone."))
                })?;
            Ok(json!({"Arn": view::arn(ctx, &rec), "Revision": revision}))
        })
    })?;
    Ok(Reply::Doc(out))
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let engagement = str_at(input, "EngagementIdentifier").unwrap_or_default();
    let resource = str_at(input, "ResourceIdentifier").unwrap_or_default();
    let template = str_at(input, TEMPLATE).unwrap_or_default();
    check_known(template)?;
    let revision = input
        .get("Revision")
        .and_then(Value::as_u64)
        .and_then(|r| u32::try_from(r).ok());
    let rec = svc.store.read(|tx| {
        access::engagement(tx, ctx, engagement)?;
        let rec = tx
            .get_snapshot(&ctx.catalog, engagement, resource, template, revision)?
            .ok_or_else(|| {
                ServiceError::NotFound(match revision {
                    Some(r) => format!(
                        "Engagement {engagement} has no revision {r} of {template} of {resource}."
                    ),
                    None => {
                        format!("Engagement {engagement} has no {template} snapshot of {resource}.")
                    }
                })
            })?;
        if !visible(ctx, &rec) {
            return Err(ServiceError::AccessDenied(format!(
                "This {template} snapshot of {resource} is shared with its owner only."
            )));
        }
        Ok::<_, ServiceError>(rec)
    })?;
    Ok(Reply::Doc(view::snapshot(ctx, &rec)))
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let engagement = str_at(input, "EngagementIdentifier").unwrap_or_default();
    if let Some(t) = str_at(input, TEMPLATE) {
        check_known(t)?;
    }
    let records = svc.store.read(|tx| {
        access::engagement(tx, ctx, engagement)?;
        Ok::<_, ServiceError>(tx.list_snapshots(&ctx.catalog, engagement)?)
    })?;
    let keep = |member: &str, value: &str| str_at(input, member).is_none_or(|w| w == value);
    let found: Vec<_> = records
        .into_iter()
        .filter(|r| visible(ctx, r))
        .filter(|r| {
            keep("ResourceType", &r.resource_type)
                && keep("ResourceIdentifier", &r.resource_id)
                && keep(TEMPLATE, &r.template)
                && keep("CreatedBy", &r.created_by)
        })
        .collect();
    Ok(Reply::Doc(rendered_page(
        input,
        found,
        100,
        "ResourceSnapshotSummaries",
        |r| view::snapshot_summary(ctx, r),
    )?))
}

pub fn create_job<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let template = str_at(input, TEMPLATE).unwrap_or_default().to_string();
    check_template(&template)?;
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        idempotent(w, svc.model, &scope, "CreateResourceSnapshotJob", input, |w| {
            let (engagement, opp) = target(w, ctx, input)?;
            if let Some(other) = w
                .tx
                .resource_snapshot_jobs(&scope, &opp.id)?
                .into_iter()
                .find(|j| j.engagement_id == engagement && j.template == template)
            {
                return Err(ServiceError::Conflict(format!(
                    "Snapshot job {} already follows {template} of {} in engagement {engagement}.",
                    other.id, opp.id
                )));
            }
            let job = SnapshotJobRecord {
                id: ids::snapshot_job_id(),
                engagement_id: engagement,
                resource_type: "Opportunity".to_string(),
                resource_id: opp.id.clone(),
                template,
                created_at: w.stamp(),
                status: STOPPED.to_string(),
                last_successful_execution_date: None,
                last_failure: None,
            };
            w.tx.put_snapshot_job(&scope, &job)?;
            let arn = view::job_arn(ctx, &job.id);
            if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
                crate::ops::tagging::api::add_tags(w, &scope, &arn, tags)?;
            }
            Ok(json!({"Id": job.id, "Arn": arn}))
        })
    })?;
    Ok(Reply::Doc(out))
}

/// The caller's job a request names, or not found.
fn job_named(
    w: &Write<'_>,
    ctx: &Context,
    input: &Value,
) -> Result<SnapshotJobRecord, ServiceError> {
    let id = str_at(input, "ResourceSnapshotJobIdentifier").unwrap_or_default();
    w.tx.get_snapshot_job(&access::private(ctx), id)?
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "Snapshot job {id} was not found in catalog {} of account {}.",
                ctx.catalog, ctx.account
            ))
        })
}

pub fn start_job<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    svc.write(ctx, |w| {
        let mut job = job_named(w, ctx, input)?;
        if job.status == RUNNING {
            return Ok(());
        }
        job.status = RUNNING.to_string();
        // Starting syncs at once: a revision if the view moved while the job was stopped.
        match access::find_opportunity(w.tx, ctx, &job.resource_id)? {
            Some(opp) => flows::run_job(w, ctx, &mut job, &opp, true),
            None => {
                job.last_failure =
                    Some(format!("Opportunity {} no longer exists.", job.resource_id));
                w.tx.put_snapshot_job(&access::private(ctx), &job)?;
                Ok(())
            }
        }
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn stop_job<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    svc.write(ctx, |w| {
        let mut job = job_named(w, ctx, input)?;
        if job.status != STOPPED {
            job.status = STOPPED.to_string();
            w.tx.put_snapshot_job(&access::private(ctx), &job)?;
        }
        Ok(())
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn delete_job<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    svc.write(ctx, |w| {
        let job = job_named(w, ctx, input)?;
        if job.status == RUNNING {
            return Err(ServiceError::Conflict(format!(
                "Snapshot job {} is Running; stop it before deleting it.",
                job.id
            )));
        }
        let scope = access::private(ctx);
        w.tx.delete_snapshot_job(&scope, &job.id)?;
        w.tx.put_tags(&scope, &view::job_arn(ctx, &job.id), &[])?;
        Ok(())
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn get_job<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = str_at(input, "ResourceSnapshotJobIdentifier").unwrap_or_default();
    let (mut job, latest) = svc.store.read(|tx| {
        let job = tx
            .get_snapshot_job(&access::private(ctx), id)?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "Snapshot job {id} was not found in catalog {} of account {}.",
                    ctx.catalog, ctx.account
                ))
            })?;
        let latest = tx.get_snapshot(
            &ctx.catalog,
            &job.engagement_id,
            &job.resource_id,
            &job.template,
            None,
        )?;
        Ok::<_, ServiceError>((job, latest))
    })?;
    // The job's last execution: its start, or the latest revision taken since while it runs.
    if let Some(rev) = latest
        && job.status == RUNNING
        && job
            .last_successful_execution_date
            .as_deref()
            .is_some_and(|d| rev.created_at.as_str() > d)
    {
        job.last_successful_execution_date = Some(rev.created_at);
    }
    Ok(Reply::Doc(view::job(ctx, &job)))
}

pub fn list_jobs<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let mut jobs = svc
        .store
        .read(|tx| tx.list_snapshot_jobs(&access::private(ctx)))?;
    let engagement = str_at(input, "EngagementIdentifier");
    let status = str_at(input, "Status");
    jobs.retain(|j| {
        engagement.is_none_or(|e| j.engagement_id == e) && status.is_none_or(|s| j.status == s)
    });
    jobs.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    if str_at(input, "Sort.SortOrder") != Some("ASCENDING") {
        jobs.reverse();
    }
    let items = jobs.iter().map(|j| view::job_summary(ctx, j)).collect();
    Ok(Reply::Doc(offset_page(
        input,
        items,
        50,
        "ResourceSnapshotJobSummaries",
    )?))
}
