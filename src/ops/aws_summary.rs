//! GetAwsOpportunitySummary: the AWS side of a partner opportunity (spec §6).
//!
//! The summary exists once AWS approved the opportunity. It mirrors, live, what the partner
//! shares (origin, customer contacts, expected spend, next steps, associated entities) and
//! what the submission said (involvement type, visibility); AWS-side members stored in the
//! [`AwsSummaryRecord`] take precedence.

use axum::body::Bytes;
use serde_json::{Map, Value, json};

use super::opportunity::not_found;
use super::{Context, Service, ServiceError, check_shape, str_at};
use crate::domain::{events, lifecycle};
use crate::store::{AwsSummaryRecord, OpportunityRecord, Store};

/// How many next-steps entries the history keeps (the model's list maximum).
pub const NEXT_STEPS_HISTORY_MAX: usize = 50;

/// The AWS side a new summary starts with: one sandbox partner development manager.
pub fn initial_aws_side() -> Map<String, Value> {
    let mut aws = Map::new();
    aws.insert(
        "OpportunityTeam".into(),
        json!([{
            "BusinessTitle": "PDM",
            "Email": "pdm-sandbox@partnercentral.local",
            "FirstName": "Sandbox",
            "LastName": "Partner Development Manager"
        }]),
    );
    aws
}

/// The next steps the summary shows: AWS's own when set, else the partner's.
fn effective_next_steps(
    summary: &AwsSummaryRecord,
    opp: Option<&OpportunityRecord>,
) -> Option<String> {
    summary
        .aws
        .get("LifeCycle")
        .and_then(|l| l.get("NextSteps"))
        .and_then(Value::as_str)
        .or_else(|| opp.and_then(|o| o.text("LifeCycle.NextSteps")))
        .map(str::to_string)
}

/// Appends `{Value, Time}` to the history when the shown next steps changed.
/// Returns whether the record changed.
pub fn track_next_steps(
    summary: &mut AwsSummaryRecord,
    opp: Option<&OpportunityRecord>,
    time: &str,
) -> bool {
    let now = effective_next_steps(summary, opp);
    if now == summary.last_next_steps {
        return false;
    }
    if let Some(value) = &now {
        summary
            .next_steps_history
            .push(json!({"Value": value, "Time": time}));
        let excess = summary
            .next_steps_history
            .len()
            .saturating_sub(NEXT_STEPS_HISTORY_MAX);
        summary.next_steps_history.drain(..excess);
    }
    summary.last_next_steps = now;
    true
}

/// Merges `over` into `base`: objects member by member, anything else replaced.
fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The summary response: what is mirrored from the partner opportunity (when there is one;
/// a standalone summary written by the control plane has none), overlaid by the AWS side.
pub fn render(
    ctx: &Context,
    id: &str,
    opp: Option<&OpportunityRecord>,
    summary: &AwsSummaryRecord,
) -> Value {
    let mut out = Map::new();
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("RelatedOpportunityId".into(), json!(id));
    if let Some(opp) = opp {
        out.insert(
            "Origin".into(),
            json!(opp.text("Origin").unwrap_or(lifecycle::PARTNER_REFERRAL)),
        );
        if let Some(contacts) = opp.doc.get("Customer").and_then(|c| c.get("Contacts")) {
            out.insert("Customer".into(), json!({"Contacts": contacts}));
        }
        if let Some(spend) = opp
            .doc
            .get("Project")
            .and_then(|p| p.get("ExpectedCustomerSpend"))
        {
            out.insert("Project".into(), json!({"ExpectedCustomerSpend": spend}));
        }
        let mut life = Map::new();
        if let Some(steps) = opp.text("LifeCycle.NextSteps") {
            life.insert("NextSteps".into(), json!(steps));
        }
        out.insert("LifeCycle".into(), Value::Object(life));
        let mut related = Map::new();
        for kind in [
            "Solutions",
            "AwsProducts",
            "AwsMarketplaceSolutions",
            "AwsMarketplaceProducts",
        ] {
            let list = opp.related.get(kind).cloned().unwrap_or_default();
            if !list.is_empty() || kind == "Solutions" || kind == "AwsProducts" {
                related.insert(kind.into(), json!(list));
            }
        }
        out.insert("RelatedEntityIds".into(), Value::Object(related));
        if let Some(sub) = &opp.submission {
            out.insert("InvolvementType".into(), json!(sub.involvement_type));
            out.insert("Visibility".into(), json!(sub.visibility));
        }
    }
    merge(&mut out, &summary.aws);
    if !summary.next_steps_history.is_empty() {
        let life = out
            .entry("LifeCycle")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(life) = life {
            life.insert("NextStepsHistory".into(), json!(summary.next_steps_history));
        }
    }
    if out
        .get("LifeCycle")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        out.remove("LifeCycle");
    }
    Value::Object(out)
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "RelatedOpportunityIdentifier").unwrap_or_default();
    let (opp, summary) = svc.store.read(|tx| {
        let opp = tx.get_opportunity(&scope, id)?;
        let summary = tx.get_aws_summary(&scope, id)?;
        Ok::<_, ServiceError>((opp, summary))
    })?;
    let Some(summary) = summary else {
        let Some(opp) = opp else {
            return Err(not_found(ctx, id));
        };
        let status = opp
            .text("LifeCycle.ReviewStatus")
            .unwrap_or(lifecycle::PENDING_SUBMISSION);
        return Err(ServiceError::NotFound(format!(
            "No AWS opportunity is related to opportunity {id} yet: AWS creates it when it approves the \
             submitted opportunity (review status now '{status}')."
        )));
    };
    Ok(render(ctx, id, opp.as_ref(), &summary))
}

/// GetAwsOpportunitySummary through the response cache.
pub fn get_cached<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Bytes, ServiceError> {
    let id = str_at(input, "RelatedOpportunityIdentifier").unwrap_or_default();
    match svc.summaries.get(&ctx.account, &ctx.catalog, id) {
        Ok(bytes) => Ok(bytes),
        Err(generation) => {
            let bytes = svc.finish("GetAwsOpportunitySummary", get(svc, ctx, input)?);
            svc.summaries
                .put(&ctx.account, &ctx.catalog, id, generation, bytes.clone());
            Ok(bytes)
        }
    }
}

/// Validates an AWS-side document against the summary's response shape.
fn check_aws_side(
    model: &crate::model::Model,
    ctx: &Context,
    id: &str,
    aws: &Map<String, Value>,
) -> Result<(), ServiceError> {
    let mut doc = aws.clone();
    doc.insert("Catalog".into(), json!(ctx.catalog));
    doc.insert("RelatedOpportunityId".into(), json!(id));
    check_shape(
        model,
        "GetAwsOpportunitySummaryResponse",
        &Value::Object(doc),
    )
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

/// How the control plane changes the AWS side of an opportunity.
pub enum AwsSideChange {
    /// Replace it (creating a standalone summary when there is no opportunity).
    Put(Map<String, Value>),
    /// Apply a JSON merge patch to it.
    Patch(Value),
}

fn no_summary(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "No AWS opportunity is related to opportunity {id} in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

/// The rendered summary, or not found.
pub fn admin_get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
) -> Result<Value, ServiceError> {
    get(svc, ctx, &json!({"RelatedOpportunityIdentifier": id}))
}

/// Writes the AWS side; returns the rendered summary. Nothing changes when validation fails.
pub fn admin_write<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
    change: AwsSideChange,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let now = crate::domain::time::format(ctx.now);
    svc.write(|tx, emitted| {
        let opp = tx.get_opportunity(&scope, id)?;
        let existing = tx.get_aws_summary(&scope, id)?;
        let mut summary = match (&change, existing) {
            (_, Some(s)) => s,
            (AwsSideChange::Put(_), None) => AwsSummaryRecord {
                opportunity_id: id.to_string(),
                last_next_steps: opp
                    .as_ref()
                    .and_then(|o| o.text("LifeCycle.NextSteps"))
                    .map(str::to_string),
                ..AwsSummaryRecord::default()
            },
            (AwsSideChange::Patch(_), None) => {
                return Err(no_summary(ctx, id));
            }
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
        check_aws_side(svc.model, ctx, id, &aws)?;
        if let Some(Value::Object(life)) = aws.get_mut("LifeCycle")
            && let Some(Value::Array(history)) = life.remove("NextStepsHistory")
        {
            summary.next_steps_history = history;
        }
        summary.aws = aws;
        track_next_steps(&mut summary, opp.as_ref(), &now);
        tx.put_aws_summary(&scope, &summary)?;
        emitted.push(events::opportunity(
            &ctx.origin(),
            "Opportunity Updated",
            id,
        ));
        Ok(render(ctx, id, opp.as_ref(), &summary))
    })
}

/// Removes the AWS side of an opportunity.
pub fn admin_delete<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
) -> Result<(), ServiceError> {
    let scope = ctx.scope();
    svc.write(|tx, emitted| {
        if tx.delete_aws_summary(&scope, id)? {
            emitted.push(events::opportunity(
                &ctx.origin(),
                "Opportunity Updated",
                id,
            ));
            Ok(())
        } else {
            Err(no_summary(ctx, id))
        }
    })
}
