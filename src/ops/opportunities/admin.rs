//! What the control plane does to opportunities, playing AWS: review decisions, and the AWS
//! side of an opportunity behind GetAwsOpportunitySummary (read, replace, merge-patch,
//! remove). Documents are validated against the model before anything is written.

use serde_json::{Map, Value, json};

use super::api::{Edit, apply_review, modify, summary};
use super::view;
use crate::domain::aws_side;
use crate::domain::changes::Change;
use crate::ops::common::check_shape;
use crate::ops::{Context, Service, ServiceError, access};
use crate::store::{AwsSummaryRecord, Store};

/// AWS's review decision, in either catalog; answers the opportunity as GetOpportunity shows it.
pub fn review<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
    status: &str,
    comments: Option<&str>,
    reason: Option<&str>,
) -> Result<Value, ServiceError> {
    let ((), rec) = modify(svc, ctx, id, |w, rec| {
        let change = apply_review(w, ctx, rec, status, comments, reason)?;
        Ok(Edit::Changed((), change))
    })?;
    Ok(view::opportunity(ctx, &rec))
}

/// How the control plane changes the AWS side of an opportunity.
pub enum AwsSideChange {
    /// Replace it (creating a standalone summary when there is no opportunity).
    Put(Map<String, Value>),
    /// Apply a JSON merge patch to it.
    Patch(Value),
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn no_summary(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "No AWS opportunity is related to opportunity {id} in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

/// The rendered summary, or not found.
pub fn get_aws_side<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
) -> Result<Value, ServiceError> {
    summary(svc, ctx, id)
}

/// Writes the AWS side; returns the rendered summary. Nothing changes when validation fails.
pub fn write_aws_side<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
    change: AwsSideChange,
) -> Result<Value, ServiceError> {
    svc.write(ctx, |w| {
        let opp = access::find_opportunity(w.tx, ctx, id)?;
        let existing = access::aws_summary(w.tx, ctx, id)?;
        let mut summary = match (&change, existing) {
            (_, Some(s)) => s,
            (AwsSideChange::Put(_), None) => AwsSummaryRecord {
                opportunity_id: id.to_string(),
                ..AwsSummaryRecord::default()
            },
            (AwsSideChange::Patch(_), None) => return Err(no_summary(ctx, id)),
        };
        let mut aws = match change {
            AwsSideChange::Put(body) => body,
            AwsSideChange::Patch(patch) => {
                let mut current = Value::Object(summary.aws.clone());
                merge_patch(&mut current, &patch);
                current.as_object().cloned().unwrap_or_default()
            }
        };
        aws.remove("Catalog");
        aws.remove("RelatedOpportunityId");
        let mut doc = aws.clone();
        doc.insert("Catalog".into(), json!(ctx.catalog));
        doc.insert("RelatedOpportunityId".into(), json!(id));
        check_shape(
            svc.model,
            "GetAwsOpportunitySummaryResponse",
            &Value::Object(doc),
        )?;
        if let Some(Value::Object(life)) = aws.get_mut("LifeCycle")
            && let Some(Value::Array(history)) = life.remove("NextStepsHistory")
        {
            summary.next_steps_history = history;
        }
        summary.aws = aws;
        aws_side::track_next_steps(&mut summary, &w.stamp());
        w.tx.put_aws_summary(&access::private(ctx), &summary)?;
        w.changed(Change::AwsSideChanged { id: id.to_string() });
        Ok(view::aws_summary(ctx, id, opp.as_ref(), &summary))
    })
}

/// Removes the AWS side of an opportunity.
pub fn delete_aws_side<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
) -> Result<(), ServiceError> {
    svc.write(ctx, |w| {
        if w.tx.delete_aws_summary(&access::private(ctx), id)? {
            w.changed(Change::AwsSideChanged { id: id.to_string() });
            Ok(())
        } else {
            Err(no_summary(ctx, id))
        }
    })
}
