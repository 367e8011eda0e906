//! The partner opportunity: create, read, replace, list, assign, associate and submit.

use std::collections::BTreeMap;

use axum::body::Bytes;
use serde_json::{Map, Value, json};

use super::{Context, Service, ServiceError, bad_token, idempotent, page_size, str_at, strings};
use crate::domain::lifecycle::{self, APPROVED, PENDING_SUBMISSION, SUBMITTED};
use crate::domain::pagination::{self, Position};
use crate::domain::{SANDBOX, events, ids, time};
use crate::model::conform::conform;
use crate::model::validate::Code;
use crate::store::{
    AwsSummaryRecord, OpportunityQuery, OpportunityRecord, OpportunitySortKey, Scope, Store,
    Submission, Tx,
};

use super::aws_summary;

/// Members of the input that are not part of the partner's document.
const NOT_DOCUMENT: [&str; 4] = ["Catalog", "ClientToken", "Identifier", "LastModifiedDate"];

/// How many entities of each type one opportunity may have associated.
fn association_limit(entity_type: &str) -> usize {
    match entity_type {
        "AwsProducts" => 20,
        "AwsMarketplaceOffers" | "AwsMarketplaceOfferSets" => 1,
        _ => 10,
    }
}

/// The shape an identifier of each associable type must match.
fn association_shape(entity_type: &str) -> Option<&'static str> {
    match entity_type {
        "Solutions" => Some("SolutionIdentifier"),
        "AwsMarketplaceOffers" => Some("AwsMarketplaceOfferIdentifier"),
        "AwsMarketplaceOfferSets" => Some("AwsMarketplaceOfferSetIdentifier"),
        "AwsMarketplaceSolutions" => Some("AwsMarketplaceSolutionIdentifier"),
        "AwsMarketplaceProducts" => Some("AwsMarketplaceProductArn"),
        _ => None,
    }
}

pub(crate) fn not_found(ctx: &Context, id: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "Opportunity {id} was not found in catalog {} of account {}.",
        ctx.catalog, ctx.account
    ))
}

pub(crate) fn load(
    tx: &dyn Tx,
    ctx: &Context,
    scope: &Scope,
    id: &str,
) -> Result<OpportunityRecord, ServiceError> {
    tx.get_opportunity(scope, id)?
        .ok_or_else(|| not_found(ctx, id))
}

/// The partner's document from a create or update input.
fn document(input: &Value) -> Map<String, Value> {
    let mut doc = input.as_object().cloned().unwrap_or_default();
    for k in NOT_DOCUMENT {
        doc.remove(k);
    }
    doc
}

fn lifecycle_mut(doc: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = doc
        .entry("LifeCycle")
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    match entry {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// Appends to the partner's `LifeCycle.NextStepsHistory` when `NextSteps` changed.
fn track_partner_next_steps(
    old: Option<&Map<String, Value>>,
    doc: &mut Map<String, Value>,
    now: &str,
) {
    let old_steps = old
        .and_then(|o| o.get("LifeCycle"))
        .and_then(|l| l.get("NextSteps"))
        .cloned();
    let mut history = old
        .and_then(|o| o.get("LifeCycle"))
        .and_then(|l| l.get("NextStepsHistory"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let lc = lifecycle_mut(doc);
    let new_steps = lc.get("NextSteps").cloned();
    if let Some(Value::String(steps)) = &new_steps
        && old_steps.as_ref() != new_steps.as_ref()
    {
        history.push(json!({"Value": steps, "Time": now}));
    }
    let excess = history.len().saturating_sub(50);
    history.drain(..excess);
    if history.is_empty() {
        lc.remove("NextStepsHistory");
    } else {
        lc.insert("NextStepsHistory".into(), Value::Array(history));
    }
}

/// The GetOpportunity view of a record.
pub(crate) fn render(ctx: &Context, rec: &OpportunityRecord) -> Value {
    let mut out = rec.doc.clone();
    out.insert("Id".into(), json!(rec.id));
    out.insert(
        "Arn".into(),
        json!(ids::opportunity_arn(
            &ctx.region,
            &ctx.account,
            &ctx.catalog,
            &rec.id
        )),
    );
    out.insert("Catalog".into(), json!(ctx.catalog));
    out.insert("CreatedDate".into(), json!(rec.created_date));
    out.insert("LastModifiedDate".into(), json!(rec.last_modified_date));
    let mut related = Map::new();
    related.insert("Solutions".into(), json!([]));
    related.insert("AwsProducts".into(), json!([]));
    for (kind, list) in &rec.related {
        related.insert(kind.clone(), json!(list));
    }
    out.insert("RelatedEntityIdentifiers".into(), Value::Object(related));
    Value::Object(out)
}

/// The ListOpportunities entry of a record, rendered once when it is written.
pub(crate) fn listing(ctx: &Context, rec: &OpportunityRecord) -> String {
    let model = crate::model::Model::get();
    let value = match model.shape_id("OpportunitySummary") {
        Some(shape) => conform(model, shape, render(ctx, rec)),
        None => render(ctx, rec),
    };
    value.to_string()
}

/// Stores an opportunity after a change, keeping its AWS summary's next-steps history.
pub(crate) fn save(
    tx: &mut dyn Tx,
    ctx: &Context,
    scope: &Scope,
    rec: &OpportunityRecord,
) -> Result<(), ServiceError> {
    tx.put_opportunity(scope, rec, &listing(ctx, rec))?;
    if let Some(mut summary) = tx.get_aws_summary(scope, &rec.id)?
        && aws_summary::track_next_steps(&mut summary, Some(rec), &rec.last_modified_date)
    {
        tx.put_aws_summary(scope, &summary)?;
    }
    Ok(())
}

/// The engagement a submission created, for the events that name it.
pub(crate) fn engagement<'a>(
    ctx: &'a Context,
    rec: &'a OpportunityRecord,
) -> Option<events::Engagement<'a>> {
    let sub = rec.submission.as_ref()?;
    Some(events::Engagement {
        engagement_id: sub.engagement_id.as_deref()?,
        invitation_id: sub.invitation_id.as_deref()?,
        opportunity_id: &rec.id,
        company_name: &ctx.account,
    })
}

fn touch(rec: &mut OpportunityRecord, ctx: &Context) {
    rec.last_modified_date = time::format(time::next_modified(&rec.last_modified_date, ctx.now));
}

pub fn create<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    svc.write(|tx, emitted| {
        idempotent(tx, &scope, "CreateOpportunity", input, |tx| {
        let origin = str_at(input, "Origin").unwrap_or(lifecycle::PARTNER_REFERRAL);
        if origin != lifecycle::PARTNER_REFERRAL && ctx.catalog != SANDBOX {
            return Err(ServiceError::business(
                "Origin",
                Code::InvalidValue,
                format!(
                    "Origin must be '{}' in catalog {}; '{origin}' can only be simulated in the {SANDBOX} catalog.",
                    lifecycle::PARTNER_REFERRAL,
                    ctx.catalog
                ),
            ));
        }
        let num = tx.next_opportunity_number()?;
        let now = time::format(ctx.now);
        let mut doc = document(input);
        doc.insert("Origin".into(), json!(origin));
        let lc = lifecycle_mut(&mut doc);
        for m in lifecycle::REVIEW_MEMBERS {
            lc.remove(m);
        }
        lc.remove("NextStepsHistory");
        lc.insert("ReviewStatus".into(), json!(PENDING_SUBMISSION));
        track_partner_next_steps(None, &mut doc, &now);
        let rec = OpportunityRecord {
            id: ids::opportunity_id(num),
            num,
            created_date: now.clone(),
            last_modified_date: now.clone(),
            doc,
            related: BTreeMap::new(),
            submission: None,
        };
        tx.put_opportunity(&scope, &rec, &listing(ctx, &rec))?;
        emitted.push(events::opportunity(&ctx.origin(), "Opportunity Created", &rec.id));
        let mut response = json!({"Id": rec.id, "LastModifiedDate": now});
        if let Some(p) = str_at(input, "PartnerOpportunityIdentifier") {
            response["PartnerOpportunityIdentifier"] = json!(p);
        }
        Ok(response)
        })
    })
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "Identifier").unwrap_or_default();
    let rec = svc.store.read(|tx| load(tx, ctx, &scope, id))?;
    Ok(render(ctx, &rec))
}

pub fn update<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "Identifier").unwrap_or_default();
    let sent_lmd = str_at(input, "LastModifiedDate").and_then(time::parse);
    svc.write(|tx, emitted| {
        let mut rec = load(tx, ctx, &scope, id)?;
        if sent_lmd != time::parse(&rec.last_modified_date) {
            return Err(ServiceError::Conflict(format!(
                "Opportunity {id} was modified at {}; the LastModifiedDate sent ({}) is stale. \
                 Read the opportunity again and retry with its LastModifiedDate.",
                rec.last_modified_date,
                str_at(input, "LastModifiedDate").unwrap_or_default()
            )));
        }
        let current = rec.text("LifeCycle.ReviewStatus").unwrap_or(PENDING_SUBMISSION).to_string();
        let requested = str_at(input, "LifeCycle.ReviewStatus");
        match requested {
            Some(target) if target != current && ctx.catalog == SANDBOX => {
                review_decision(tx, &scope, &mut rec, &current, input)?;
                emitted.extend(events::reviewed(&ctx.origin(), &rec.id, target, engagement(ctx, &rec).as_ref()));
            }
            Some(target) if target != current => {
                return Err(ServiceError::business(
                    "LifeCycle.ReviewStatus",
                    Code::ActionNotPermitted,
                    format!(
                        "LifeCycle.ReviewStatus is set by AWS's review in catalog {}; it cannot be changed \
                         from '{current}' to '{target}' (only the {SANDBOX} catalog simulates reviews).",
                        ctx.catalog
                    ),
                ));
            }
            _ => {
                partner_update(ctx, &mut rec, &current, input)?;
                emitted.push(events::opportunity(&ctx.origin(), "Opportunity Updated", &rec.id));
            }
        }
        touch(&mut rec, ctx);
        save(tx, ctx, &scope, &rec)?;
        Ok(json!({"Id": rec.id, "LastModifiedDate": rec.last_modified_date}))
    })
}

/// The partner replaces its document (review members stay AWS's).
fn partner_update(
    ctx: &Context,
    rec: &mut OpportunityRecord,
    current: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    let strip = |doc: &Map<String, Value>| {
        let mut d = doc.clone();
        for k in ["Origin", "OpportunityTeam", "Tags"] {
            d.remove(k);
        }
        if let Some(Value::Object(lc)) = d.get_mut("LifeCycle") {
            for m in lifecycle::REVIEW_MEMBERS {
                lc.remove(m);
            }
            lc.remove("NextStepsHistory");
            if lc.is_empty() {
                d.remove("LifeCycle");
            }
        }
        d
    };
    let proposed = strip(&document(input));
    let stored = strip(&rec.doc);
    lifecycle::check_partner_update(&rec.id, current, &stored, &proposed)
        .map_err(ServiceError::Business)?;
    let changed = !lifecycle::changed_paths(&stored, &proposed).is_empty();
    let mut doc = proposed;
    for k in ["Origin", "OpportunityTeam", "Tags"] {
        if let Some(v) = rec.doc.get(k) {
            doc.insert(k.into(), v.clone());
        }
    }
    let lc = lifecycle_mut(&mut doc);
    if let Some(Value::Object(old_lc)) = rec.doc.get("LifeCycle") {
        for m in lifecycle::REVIEW_MEMBERS {
            if let Some(v) = old_lc.get(m) {
                lc.insert(m.into(), v.clone());
            }
        }
    }
    // A fix in `Action Required` sends the opportunity back to AWS for validation.
    if current == lifecycle::ACTION_REQUIRED && changed {
        lc.insert("ReviewStatus".into(), json!(SUBMITTED));
    }
    let now = time::format(time::next_modified(&rec.last_modified_date, ctx.now));
    track_partner_next_steps(Some(&rec.doc), &mut doc, &now);
    rec.doc = doc;
    Ok(())
}

/// AWS's review decision, simulated through UpdateOpportunity in the Sandbox catalog.
fn review_decision(
    tx: &mut dyn Tx,
    scope: &Scope,
    rec: &mut OpportunityRecord,
    current: &str,
    input: &Value,
) -> Result<(), ServiceError> {
    let target = str_at(input, "LifeCycle.ReviewStatus").unwrap_or_default();
    let comments = str_at(input, "LifeCycle.ReviewComments");
    let reason = str_at(input, "LifeCycle.ReviewStatusReason");
    apply_review(tx, scope, rec, current, target, comments, reason)
}

/// Moves a submitted opportunity to AWS's review decision `target`; `Approved` creates the
/// AWS opportunity behind GetAwsOpportunitySummary.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_review(
    tx: &mut dyn Tx,
    scope: &Scope,
    rec: &mut OpportunityRecord,
    current: &str,
    target: &str,
    comments: Option<&str>,
    reason: Option<&str>,
) -> Result<(), ServiceError> {
    lifecycle::check_review_decision(&rec.id, current, target)
        .map_err(|v| ServiceError::Business(vec![v]))?;
    let lc = lifecycle_mut(&mut rec.doc);
    lc.insert("ReviewStatus".into(), json!(target));
    for (member, value) in [("ReviewComments", comments), ("ReviewStatusReason", reason)] {
        match value {
            Some(v) => lc.insert(member.into(), json!(v)),
            None => lc.remove(member),
        };
    }
    if target == APPROVED && tx.get_aws_summary(scope, &rec.id)?.is_none() {
        let summary = AwsSummaryRecord {
            opportunity_id: rec.id.clone(),
            aws: aws_summary::initial_aws_side(),
            next_steps_history: Vec::new(),
            last_next_steps: rec.text("LifeCycle.NextSteps").map(str::to_string),
        };
        tx.put_aws_summary(scope, &summary)?;
    }
    Ok(())
}

fn sort_key(name: &str) -> OpportunitySortKey {
    match name {
        "Identifier" => OpportunitySortKey::Identifier,
        "CustomerCompanyName" => OpportunitySortKey::CustomerCompanyName,
        "CreatedDate" => OpportunitySortKey::CreatedDate,
        "TargetCloseDate" => OpportunitySortKey::TargetCloseDate,
        _ => OpportunitySortKey::LastModifiedDate,
    }
}

/// ListOpportunities; answers serialized JSON, built from the stored entries.
pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Bytes, ServiceError> {
    let scope = ctx.scope();
    let fp = pagination::fingerprint(input);
    let after = match str_at(input, "NextToken") {
        Some(t) => Some(pagination::decode(&fp, t).ok_or_else(bad_token)?),
        None => None,
    };
    let limit = page_size(input, 20);
    let stamp = |path: &str| str_at(input, path).and_then(time::parse).map(time::format);
    let sort = sort_key(str_at(input, "Sort.SortBy").unwrap_or("LastModifiedDate"));
    let query = OpportunityQuery {
        identifiers: strings(input, "Identifier"),
        stages: strings(input, "LifeCycleStage"),
        review_statuses: strings(input, "LifeCycleReviewStatus"),
        company_names: strings(input, "CustomerCompanyName"),
        last_modified_after: stamp("LastModifiedDate.AfterLastModifiedDate"),
        last_modified_before: stamp("LastModifiedDate.BeforeLastModifiedDate"),
        created_after: stamp("CreatedDate.AfterCreatedDate"),
        created_before: stamp("CreatedDate.BeforeCreatedDate"),
        target_close_after: str_at(input, "TargetCloseDate.AfterTargetCloseDate")
            .map(str::to_string),
        target_close_before: str_at(input, "TargetCloseDate.BeforeTargetCloseDate")
            .map(str::to_string),
        sort,
        descending: str_at(input, "Sort.SortOrder").unwrap_or("DESCENDING") == "DESCENDING",
        after: after.map(|p| (p.value, p.number)),
        limit: limit + 1,
    };
    let mut listed = svc.store.read(|tx| tx.list_opportunities(&scope, &query))?;
    let more = listed.len() > limit;
    listed.truncate(limit);
    // The entries were rendered and trimmed to OpportunitySummary when written: join them as is.
    let mut out =
        String::with_capacity(listed.iter().map(|l| l.listing.len() + 1).sum::<usize>() + 64);
    out.push_str("{\"OpportunitySummaries\":[");
    for (i, l) in listed.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&l.listing);
    }
    out.push(']');
    if more && let Some(last) = listed.last() {
        let position = Position {
            value: last.sort_value.clone(),
            number: last.num,
        };
        out.push_str(",\"NextToken\":");
        out.push_str(&json!(pagination::encode(&fp, position)).to_string());
    }
    out.push('}');
    Ok(Bytes::from(out))
}

pub fn assign<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "Identifier").unwrap_or_default();
    let assignee = input.get("Assignee").cloned().unwrap_or(Value::Null);
    svc.write(|tx, emitted| {
        let mut rec = load(tx, ctx, &scope, id)?;
        let mut team: Vec<Value> = rec
            .doc
            .get("OpportunityTeam")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match team
            .iter()
            .position(|m| str_at(m, "BusinessTitle") == Some("OpportunityOwner"))
        {
            Some(i) => team[i] = assignee.clone(),
            None => team.insert(0, assignee.clone()),
        }
        team.truncate(10);
        rec.doc.insert("OpportunityTeam".into(), Value::Array(team));
        touch(&mut rec, ctx);
        save(tx, ctx, &scope, &rec)?;
        emitted.push(events::opportunity(
            &ctx.origin(),
            "Opportunity Updated",
            &rec.id,
        ));
        Ok(json!({}))
    })
}

pub fn associate<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    add: bool,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "OpportunityIdentifier").unwrap_or_default();
    let kind = str_at(input, "RelatedEntityType")
        .unwrap_or_default()
        .to_string();
    let entity = str_at(input, "RelatedEntityIdentifier")
        .unwrap_or_default()
        .to_string();
    if add && let Some(shape) = association_shape(&kind).and_then(|n| svc.model.shape_id(n)) {
        crate::model::validate::validate(svc.model, shape, &json!(entity)).map_err(|_| {
            ServiceError::invalid(
                "RelatedEntityIdentifier",
                Code::InvalidStringFormat,
                format!("RelatedEntityIdentifier '{entity}' is not a valid identifier for {kind}."),
            )
        })?;
    }
    svc.write(|tx, emitted| {
        let mut rec = load(tx, ctx, &scope, id)?;
        if add && kind == "Solutions" && !super::solution::exists(tx, &scope, &entity)? {
            return Err(ServiceError::NotFound(format!(
                "Solution {entity} was not found in catalog {} of account {}.",
                ctx.catalog, ctx.account
            )));
        }
        let list = rec.related.entry(kind.clone()).or_default();
        let present = list.iter().any(|e| e == &entity);
        match (add, present) {
            (true, true) => return Ok(json!({})),
            (true, false) => {
                let limit = association_limit(&kind);
                if list.len() >= limit {
                    return Err(ServiceError::business(
                        "RelatedEntityIdentifier",
                        Code::TooManyValues,
                        format!(
                            "Opportunity {id} already has the maximum of {limit} {kind} associated."
                        ),
                    ));
                }
                list.push(entity.clone());
            }
            (false, true) => list.retain(|e| e != &entity),
            (false, false) => {
                return Err(ServiceError::NotFound(format!(
                    "{kind} {entity} is not associated with opportunity {id}."
                )));
            }
        }
        if list.is_empty() {
            rec.related.remove(&kind);
        }
        touch(&mut rec, ctx);
        save(tx, ctx, &scope, &rec)?;
        emitted.push(events::opportunity(
            &ctx.origin(),
            "Opportunity Updated",
            &rec.id,
        ));
        Ok(json!({}))
    })
}

/// Submits an opportunity to AWS: `Pending Submission` → `Submitted`.
pub(crate) fn submit_record(
    ctx: &Context,
    rec: &mut OpportunityRecord,
    involvement_type: &str,
    visibility: Option<&str>,
) -> Result<(), ServiceError> {
    let current = rec
        .text("LifeCycle.ReviewStatus")
        .unwrap_or(PENDING_SUBMISSION)
        .to_string();
    if current != PENDING_SUBMISSION {
        return Err(ServiceError::business(
            "Identifier",
            Code::InvalidResourceState,
            format!(
                "Opportunity {} cannot be submitted: its review status is '{current}', not '{PENDING_SUBMISSION}'.",
                rec.id
            ),
        ));
    }
    rec.submission = Some(Submission {
        involvement_type: involvement_type.to_string(),
        visibility: visibility
            .unwrap_or(lifecycle::DEFAULT_VISIBILITY)
            .to_string(),
        engagement_id: None,
        invitation_id: None,
    });
    lifecycle_mut(&mut rec.doc).insert("ReviewStatus".into(), json!(SUBMITTED));
    touch(rec, ctx);
    Ok(())
}

pub fn submit<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    let id = str_at(input, "Identifier").unwrap_or_default();
    svc.write(|tx, emitted| {
        let mut rec = load(tx, ctx, &scope, id)?;
        submit_record(
            ctx,
            &mut rec,
            str_at(input, "InvolvementType").unwrap_or_default(),
            str_at(input, "Visibility"),
        )?;
        save(tx, ctx, &scope, &rec)?;
        emitted.push(events::opportunity(
            &ctx.origin(),
            "Opportunity Updated",
            &rec.id,
        ));
        Ok(json!({}))
    })
}

/// AWS's review decision from the control plane, in either catalog.
pub fn admin_review<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
    status: &str,
    comments: Option<&str>,
    reason: Option<&str>,
) -> Result<Value, ServiceError> {
    let scope = ctx.scope();
    svc.write(|tx, emitted| {
        let mut rec = load(tx, ctx, &scope, id)?;
        let current = rec
            .text("LifeCycle.ReviewStatus")
            .unwrap_or(PENDING_SUBMISSION)
            .to_string();
        apply_review(tx, &scope, &mut rec, &current, status, comments, reason)?;
        emitted.extend(events::reviewed(
            &ctx.origin(),
            &rec.id,
            status,
            engagement(ctx, &rec).as_ref(),
        ));
        touch(&mut rec, ctx);
        save(tx, ctx, &scope, &rec)?;
        Ok(render(ctx, &rec))
    })
}
