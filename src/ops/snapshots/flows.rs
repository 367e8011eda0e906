//! Taking snapshots, for this family's operations and for the doors other families open:
//! a running job follows every committed change of its opportunity ([`follow`], called by
//! [`crate::ops::Service::write`] inside the write's transaction), AWS's side produces its
//! own view on approval and on every AWS-side change, and the Start…Task operations start a
//! job ([`start_job`]).
//!
//! A snapshot is a new revision (1, 2, …) per (engagement, resource, template). Explicit
//! snapshots (CreateResourceSnapshot) always make one; jobs and AWS only when the template's
//! view differs from the latest revision. The first snapshot of a resource associates it with
//! the engagement, and on a lead engagement adds a CustomerProject context.

use serde_json::json;

use super::view::{self, AWS_FULL_VIEW, SUMMARY_VIEW};
use crate::domain::changes::Change;
use crate::domain::{AWS_PARTY, ids};
use crate::ops::engagements::contexts;
use crate::ops::{Context, ServiceError, Write, access};
use crate::store::{OpportunityRecord, Scope, SnapshotJobRecord, SnapshotRecord};

pub const RUNNING: &str = "Running";
pub const STOPPED: &str = "Stopped";

/// Who takes a snapshot, and whether it must make a revision.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Taking {
    /// CreateResourceSnapshot: always a new revision.
    Explicit,
    /// A job or AWS: only when the view changed.
    OnChange,
}

/// Takes a snapshot of `opp` (the owner `ctx`'s) in engagement `engagement_id` with
/// `template`; answers the revision made, if one was.
pub fn take(
    w: &mut Write<'_>,
    ctx: &Context,
    engagement_id: &str,
    opp: &OpportunityRecord,
    template: &str,
    taking: Taking,
) -> Result<Option<u32>, ServiceError> {
    let Some(mut engagement) = w.tx.get_engagement(&ctx.catalog, engagement_id)? else {
        return Ok(None);
    };
    let scope = access::private(ctx);
    let (payload, created_by, targets) = if template == AWS_FULL_VIEW {
        let Some(summary) = w.tx.get_aws_summary(&scope, &opp.id)? else {
            return Ok(None);
        };
        (
            view::aws_payload(ctx, opp, &summary),
            AWS_PARTY.to_string(),
            vec![ctx.account.clone()],
        )
    } else {
        let targets = engagement
            .members
            .iter()
            .map(|m| m.account_id.clone())
            .collect();
        (
            view::summary_payload(ctx, opp),
            ctx.account.clone(),
            targets,
        )
    };
    let latest =
        w.tx.latest_revision(&ctx.catalog, engagement_id, &opp.id, template)?;
    if taking == Taking::OnChange
        && latest
            .as_ref()
            .is_some_and(|(_, hash)| *hash == crate::store::payload_hash(&payload))
    {
        return Ok(None);
    }
    let revision = latest.map_or(1, |(r, _)| r + 1);
    let rec = SnapshotRecord {
        engagement_id: engagement_id.to_string(),
        resource_type: "Opportunity".to_string(),
        resource_id: opp.id.clone(),
        template: template.to_string(),
        revision,
        created_by,
        created_at: w.stamp(),
        target_member_accounts: targets.clone(),
        payload,
    };
    w.tx.put_snapshot(&ctx.catalog, &rec)?;
    // The first snapshot of a member's resource associates it with the engagement; on a lead
    // engagement it also describes the customer project.
    let linked = engagement.resources.iter().any(|r| {
        r.get("accountId").and_then(|v| v.as_str()) == Some(ctx.account.as_str())
            && r.get("resourceId").and_then(|v| v.as_str()) == Some(opp.id.as_str())
    });
    if !linked && template != AWS_FULL_VIEW {
        engagement.resources.push(json!({"accountId": ctx.account,
            "resourceType": "Opportunity", "resourceId": opp.id}));
        let is_lead = engagement
            .contexts
            .iter()
            .any(|c| contexts::type_of(c) == "Lead");
        let has_project = engagement
            .contexts
            .iter()
            .any(|c| contexts::type_of(c) == "CustomerProject");
        if is_lead && !has_project && engagement.contexts.len() < contexts::MAX_CONTEXTS {
            let id = contexts::next_id(&engagement.contexts);
            engagement.contexts.push(contexts::new_context(
                &id,
                "CustomerProject",
                &json!({"CustomerProject": crate::ops::invitations::flows::customer_project_of(&opp.doc)}),
                &w.stamp(),
            ));
            crate::ops::engagements::api::touch(w, ctx, &mut engagement);
        }
        w.tx.put_engagement(&ctx.catalog, &engagement)?;
    }
    w.changed(Change::Snapshot {
        engagement_id: engagement_id.to_string(),
        opportunity_id: opp.id.clone(),
        template: template.to_string(),
        revision,
        created_by: rec.created_by.clone(),
        recipients: targets,
    });
    Ok(Some(revision))
}

/// What a Start…Task operation does for the opportunity it created or submitted: the task's
/// `Tags` (kept in its parameters) land on the opportunity, and a job starts following it in the
/// engagement. Answers the job's id.
pub fn follow_task_opportunity(
    w: &mut Write<'_>,
    ctx: &Context,
    engagement_id: &str,
    opp: &OpportunityRecord,
    task: &crate::store::TaskRecord,
) -> Result<String, ServiceError> {
    if let Some(tags) = task
        .params
        .as_ref()
        .and_then(|p| p.get("Tags"))
        .and_then(serde_json::Value::as_array)
    {
        let arn = ids::opportunity_arn(&ctx.region, &ctx.account, &ctx.catalog, &opp.id);
        crate::ops::tagging::api::add_tags(w, &access::private(ctx), &arn, tags)?;
    }
    start_job(w, ctx, engagement_id, opp)
}

/// Creates a running `OpportunitySummaryView` job on `opp` in `engagement_id` (the
/// Start…Task operations), takes its first snapshot, and answers its id. The caller's existing
/// job on the same resource and template is reused (started if stopped).
pub fn start_job(
    w: &mut Write<'_>,
    ctx: &Context,
    engagement_id: &str,
    opp: &OpportunityRecord,
) -> Result<String, ServiceError> {
    let scope = access::private(ctx);
    let existing =
        w.tx.resource_snapshot_jobs(&scope, &opp.id)?
            .into_iter()
            .find(|j| j.engagement_id == engagement_id && j.template == SUMMARY_VIEW);
    let mut job = existing.unwrap_or_else(|| SnapshotJobRecord {
        id: ids::snapshot_job_id(),
        engagement_id: engagement_id.to_string(),
        resource_type: "Opportunity".to_string(),
        resource_id: opp.id.clone(),
        template: SUMMARY_VIEW.to_string(),
        created_at: w.stamp(),
        status: RUNNING.to_string(),
        last_successful_execution_date: None,
        last_failure: None,
    });
    job.status = RUNNING.to_string();
    run_job(w, ctx, &mut job, opp, true)?;
    Ok(job.id)
}

/// Runs one job on the current state of its opportunity. The job's row is written only when
/// the run made a revision or the job's own state changed (`dirty`), so a running job costs a
/// write one snapshot row and, at most, the job's.
pub fn run_job(
    w: &mut Write<'_>,
    ctx: &Context,
    job: &mut SnapshotJobRecord,
    opp: &OpportunityRecord,
    dirty: bool,
) -> Result<(), ServiceError> {
    let made = take(
        w,
        ctx,
        &job.engagement_id,
        opp,
        &job.template,
        Taking::OnChange,
    )?;
    if made.is_some() || dirty || job.last_failure.is_some() {
        job.last_successful_execution_date = Some(w.stamp());
        job.last_failure = None;
        w.tx.put_snapshot_job(&access::private(ctx), job)?;
    }
    Ok(())
}

/// What the changes of a write ask of snapshots, in the same transaction: each running job of
/// a changed opportunity runs, and AWS's own view follows AWS's decisions and AWS-side edits.
pub(crate) fn follow(w: &mut Write<'_>, ctx: &Context) -> Result<(), ServiceError> {
    // (owner, opportunity, whether AWS's side changed), each once.
    let mut work: Vec<(String, String, bool)> = Vec::new();
    for change in w.changes.iter() {
        let (account, change) = match change {
            Change::ForAccount { account, change } => (account.clone(), change.as_ref()),
            other => (ctx.account.clone(), other),
        };
        // A new opportunity has no job yet (the tasks that create one start its job
        // themselves), so a create costs nothing here.
        if matches!(change, Change::OpportunityCreated { .. }) {
            continue;
        }
        let Some(id) = change.opportunity_id() else {
            continue;
        };
        let aws_side = matches!(
            change,
            Change::Reviewed { .. } | Change::AwsSideChanged { .. }
        );
        match work.iter_mut().find(|(a, i, _)| *a == account && i == id) {
            Some(entry) => entry.2 |= aws_side,
            None => work.push((account, id.to_string(), aws_side)),
        }
    }
    for (account, id, aws_side) in work {
        let scope = Scope {
            account: account.clone(),
            catalog: ctx.catalog.clone(),
        };
        let running: Vec<SnapshotJobRecord> =
            w.tx.resource_snapshot_jobs(&scope, &id)?
                .into_iter()
                .filter(|j| j.status == RUNNING)
                .collect();
        // Without a running job or an AWS-side change, nothing to snapshot: one indexed read.
        if running.is_empty() && !aws_side {
            continue;
        }
        let Some(opp) = w.tx.get_opportunity(&scope, &id)? else {
            continue;
        };
        let owner = Context {
            account,
            catalog: ctx.catalog.clone(),
            region: ctx.region.clone(),
        };
        for mut job in running {
            run_job(w, &owner, &mut job, &opp, false)?;
        }
        if aws_side && let Some(engagement) = opp.linked_engagement() {
            take(w, &owner, engagement, &opp, AWS_FULL_VIEW, Taking::OnChange)?;
        }
    }
    Ok(())
}
