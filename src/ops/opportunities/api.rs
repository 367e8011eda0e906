//! The API operations of the opportunity family: the partner opportunity (create, read,
//! replace, list, assign, associate, submit), StartEngagementFromOpportunityTask and its
//! listing, and GetAwsOpportunitySummary (the AWS side, spec §6).

use std::collections::BTreeMap;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::rules::{self as business, Subject};
use super::view;
use crate::domain::changes::{Change, EngagementRef};
use crate::domain::lifecycle::{self, APPROVED, PENDING_SUBMISSION, SUBMITTED};
use crate::domain::pagination::{self, Position};
use crate::domain::{AWS_PARTY, SANDBOX, aws_side, company_name, ids, time};
use crate::model::validate::Code;
use crate::ops::access;
use crate::ops::common::{bad_token, idempotent, page_size, str_at, strings, task_page};
use crate::ops::invitations::{self, flows};
use crate::ops::{Context, Service, ServiceError, Write};
use crate::protocol::{self, Reply};
use crate::rules::business::Step;
use crate::rules::business::values::NO_SUPPORT_NEEDED;
use crate::store::{
    OpportunityQuery, OpportunityRecord, OpportunitySortKey, Store, Submission, TaskKind,
    TaskRecord,
};

/// Members of the input that are not part of the partner's document.
const NOT_DOCUMENT: [&str; 5] = [
    "Catalog",
    "ClientToken",
    "Identifier",
    "LastModifiedDate",
    "Tags",
];

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

fn review_status(rec: &OpportunityRecord) -> String {
    rec.text("LifeCycle.ReviewStatus")
        .unwrap_or(PENDING_SUBMISSION)
        .to_string()
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

/// The modification time of a record changed at `now`: strictly after its previous one.
fn modified_at(rec: &OpportunityRecord, now: DateTime<Utc>) -> String {
    time::format(time::next_modified(&rec.last_modified_date, now))
}

/// Stamps a changed opportunity and stores it with its listing (its AWS summary's next-steps
/// history follows AWS's own next steps, which a partner write does not touch).
fn store_changed(
    w: &mut Write<'_>,
    ctx: &Context,
    rec: &mut OpportunityRecord,
) -> Result<(), ServiceError> {
    rec.last_modified_date = modified_at(rec, w.now);
    w.tx.put_opportunity(&access::private(ctx), rec, &view::listing(ctx, rec))?;
    Ok(())
}

/// What a change to an opportunity did.
pub(super) enum Edit<T> {
    /// Nothing changed: nothing is stored, nothing emitted.
    Unchanged(T),
    /// The record changed as `Change` says.
    Changed(T, Change),
}

/// The one load → change → save → record sequence of every write to an existing
/// opportunity: loads the caller's record, lets `f` change it, stamps and stores it.
pub(super) fn modify<S: Store, T>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
    f: impl FnOnce(&mut Write<'_>, &mut OpportunityRecord) -> Result<Edit<T>, ServiceError>,
) -> Result<(T, OpportunityRecord), ServiceError> {
    svc.write(ctx, |w| modify_in(w, ctx, id, f))
}

/// [`modify`] inside a write already open.
fn modify_in<T>(
    w: &mut Write<'_>,
    ctx: &Context,
    id: &str,
    f: impl FnOnce(&mut Write<'_>, &mut OpportunityRecord) -> Result<Edit<T>, ServiceError>,
) -> Result<(T, OpportunityRecord), ServiceError> {
    let mut rec = access::opportunity(w.tx, ctx, id)?;
    let out = match f(w, &mut rec)? {
        Edit::Unchanged(out) => out,
        Edit::Changed(out, change) => {
            store_changed(w, ctx, &mut rec)?;
            w.changed(change);
            out
        }
    };
    Ok((out, rec))
}

/// The engagement a submission created, for the changes that name it.
fn engagement(rec: &OpportunityRecord) -> Option<EngagementRef> {
    let sub = rec.submission.as_ref()?;
    Some(EngagementRef {
        engagement_id: sub.engagement_id.clone()?,
        invitation_id: sub.invitation_id.clone(),
        opportunity_id: rec.id.clone(),
        engagement_created: rec.engagement_id.is_none(),
    })
}

/// AWS's review decision, from the control plane or a Sandbox UpdateOpportunity: moves a
/// submitted opportunity to `target`; `Approved` creates the AWS opportunity behind
/// GetAwsOpportunitySummary.
pub(super) fn apply_review(
    w: &mut Write<'_>,
    ctx: &Context,
    rec: &mut OpportunityRecord,
    target: &str,
    comments: Option<&str>,
    reason: Option<&str>,
) -> Result<Change, ServiceError> {
    lifecycle::check_review_decision(&rec.id, &review_status(rec), target)
        .map_err(|v| ServiceError::Business(vec![v]))?;
    let lc = lifecycle_mut(&mut rec.doc);
    lc.insert("ReviewStatus".into(), json!(target));
    for (member, value) in [("ReviewComments", comments), ("ReviewStatusReason", reason)] {
        match value {
            Some(v) => lc.insert(member.into(), json!(v)),
            None => lc.remove(member),
        };
    }
    if target == APPROVED && access::aws_summary(w.tx, ctx, &rec.id)?.is_none() {
        w.tx.put_aws_summary(&access::private(ctx), &aws_side::new_summary(rec))?;
    }
    flows::record_review(w, ctx, rec, target, reason)?;
    Ok(Change::Reviewed {
        id: rec.id.clone(),
        decision: target.to_string(),
        engagement: engagement(rec),
    })
}

pub fn create<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        idempotent(w, svc.model, &scope, "CreateOpportunity", input, |w| {
            create_in(svc, w, ctx, input)
        })
    })?;
    Ok(Reply::Doc(out))
}

/// CreateOpportunity inside a write already open, its token already handled: what the API
/// and bulk jobs share.
pub(crate) fn create_in<S: Store>(
    svc: &Service<S>,
    w: &mut Write<'_>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let scope = access::private(ctx);
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
    if origin == lifecycle::AWS_REFERRAL {
        return refer(w, ctx, input);
    }
    let mut doc = document(input);
    business::enforce(
        svc,
        w.tx,
        ctx,
        w.now,
        &Subject::new(Step::Create, &doc, &BTreeMap::new()),
    )?;
    let num = w.tx.next_opportunity_number()?;
    let now = w.stamp();
    doc.insert("Origin".into(), json!(origin));
    put_owner_first(&mut doc, &business::profile(w.tx, &ctx.account)?);
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
        engagement_id: None,
    };
    w.tx.put_opportunity(&scope, &rec, &view::listing(ctx, &rec))?;
    if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
        let arn = ids::opportunity_arn(&ctx.region, &ctx.account, &ctx.catalog, &rec.id);
        crate::ops::tagging::api::add_tags(w, &scope, &arn, tags)?;
    }
    w.changed(Change::OpportunityCreated { id: rec.id.clone() });
    let mut response = json!({"Id": rec.id, "LastModifiedDate": now});
    if let Some(p) = str_at(input, "PartnerOpportunityIdentifier") {
        response["PartnerOpportunityIdentifier"] = json!(p);
    }
    Ok(response)
}

/// A Sandbox CreateOpportunity with `Origin: AWS Referral` simulates AWS referring the
/// opportunity to the caller (Partner Central's documented way to test the inbound path): the
/// id is reserved and answered as usual, and the caller receives a `PENDING` engagement
/// invitation; the opportunity joins its pipeline when it accepts.
fn refer(w: &mut Write<'_>, ctx: &Context, input: &Value) -> Result<Value, ServiceError> {
    let mut doc = document(input);
    doc.remove("Origin");
    invitations::admin::check_referral(&doc)?;
    let s = flows::Sending {
        sender: AWS_PARTY.to_string(),
        sender_company: company_name(AWS_PARTY),
        receiver: ctx.account.clone(),
        receiver_alias: None,
        message: Some(flows::REFERRAL_MESSAGE.to_string()),
        invitation_id: None,
        engagement_title: None,
        engagement_description: None,
    };
    let sent = flows::send_referral(w, &ctx.catalog, &s, doc)?;
    let mut response = json!({"Id": sent.opportunity_id, "LastModifiedDate": w.stamp()});
    if let Some(p) = str_at(input, "PartnerOpportunityIdentifier") {
        response["PartnerOpportunityIdentifier"] = json!(p);
    }
    Ok(response)
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = str_at(input, "Identifier").unwrap_or_default();
    let rec = svc.store.read(|tx| access::opportunity(tx, ctx, id))?;
    Ok(Reply::Doc(view::opportunity(ctx, &rec)))
}

pub fn update<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    Ok(Reply::Doc(
        svc.write(ctx, |w| update_in(svc, w, ctx, input))?,
    ))
}

/// UpdateOpportunity inside a write already open: what the API and bulk jobs share.
pub(crate) fn update_in<S: Store>(
    svc: &Service<S>,
    w: &mut Write<'_>,
    ctx: &Context,
    input: &Value,
) -> Result<Value, ServiceError> {
    let id = str_at(input, "Identifier").unwrap_or_default();
    let sent_lmd = str_at(input, "LastModifiedDate").and_then(time::parse);
    let ((), rec) = modify_in(w, ctx, id, |w, rec| {
        if sent_lmd != time::parse(&rec.last_modified_date) {
            return Err(ServiceError::Conflict(format!(
                "Opportunity {id} was modified at {}; the LastModifiedDate sent ({}) is stale. \
                 Read the opportunity again and retry with its LastModifiedDate.",
                rec.last_modified_date,
                str_at(input, "LastModifiedDate").unwrap_or_default()
            )));
        }
        let current = review_status(rec);
        let change = match str_at(input, "LifeCycle.ReviewStatus") {
            Some(target) if target != current && ctx.catalog == SANDBOX => apply_review(
                w,
                ctx,
                rec,
                target,
                str_at(input, "LifeCycle.ReviewComments"),
                str_at(input, "LifeCycle.ReviewStatusReason"),
            )?,
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
                // Every violation together: what may not change in this review status, and
                // AWS's business rules over the whole proposed document.
                let proposed = document(input);
                let found = business::violations(
                    svc,
                    w.tx,
                    ctx,
                    w.now,
                    &Subject {
                        previous: Some(&rec.doc),
                        ..Subject::new(Step::Update, &proposed, &rec.related)
                    },
                )?;
                match partner_update(rec, &current, input, w.now) {
                    Err(ServiceError::Business(mut refused)) => {
                        refused.extend(found);
                        return Err(ServiceError::Business(refused));
                    }
                    Err(other) => return Err(other),
                    Ok(()) if !found.is_empty() => return Err(ServiceError::Business(found)),
                    Ok(()) => {}
                }
                Change::OpportunityUpdated { id: rec.id.clone() }
            }
        };
        Ok(Edit::Changed((), change))
    })?;
    Ok(json!({"Id": rec.id, "LastModifiedDate": rec.last_modified_date}))
}

/// The partner replaces its document (review members stay AWS's).
fn partner_update(
    rec: &mut OpportunityRecord,
    current: &str,
    input: &Value,
    now: DateTime<Utc>,
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
    // Compared with the server defaults filled in on both sides: a client that sends back
    // what GetOpportunity answered changes nothing it did not mean to.
    let mut proposed = strip(&document(input));
    view::with_defaults(&mut proposed);
    let mut stored = strip(&rec.doc);
    view::with_defaults(&mut stored);
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
    track_partner_next_steps(Some(&rec.doc), &mut doc, &modified_at(rec, now));
    rec.doc = doc;
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

/// ListOpportunities, answered from the entries rendered when each opportunity was written.
pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
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
    let scope = access::private(ctx);
    let mut listed = svc.store.read(|tx| tx.list_opportunities(&scope, &query))?;
    let more = listed.len() > limit;
    listed.truncate(limit);
    let token = match (more, listed.last()) {
        (true, Some(last)) => Some(pagination::encode(
            &fp,
            Position {
                value: last.sort_value.clone(),
                number: last.num,
            },
        )),
        _ => None,
    };
    Ok(Reply::Encoded(protocol::encode_page(
        "OpportunitySummaries",
        listed.iter().map(|l| l.listing.as_str()),
        token.as_deref(),
    )))
}

pub fn assign<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = str_at(input, "Identifier").unwrap_or_default();
    let assignee = input.get("Assignee").cloned().unwrap_or(Value::Null);
    modify(svc, ctx, id, |_, rec| {
        set_owner(&mut rec.doc, assignee);
        Ok(Edit::Changed(
            (),
            Change::OpportunityUpdated { id: rec.id.clone() },
        ))
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn associate<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    change_association(svc, ctx, input, true)
}

pub fn disassociate<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    change_association(svc, ctx, input, false)
}

fn change_association<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    add: bool,
) -> Result<Reply, ServiceError> {
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
    modify(svc, ctx, id, |w, rec| {
        if add && kind == "Solutions" && !crate::ops::solutions::api::exists(w.tx, ctx, &entity)? {
            return Err(ServiceError::NotFound(format!(
                "Solution {entity} was not found in catalog {} of account {}.",
                ctx.catalog, ctx.account
            )));
        }
        let list = rec.related.entry(kind.clone()).or_default();
        let present = list.iter().any(|e| e == &entity);
        match (add, present) {
            (true, true) => return Ok(Edit::Unchanged(())),
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
        business::enforce(
            svc,
            w.tx,
            ctx,
            w.now,
            &Subject {
                entity_type: Some(&kind),
                ..Subject::new(Step::Associate, &rec.doc, &rec.related)
            },
        )?;
        // A real solution replaces the free-text one (AWS's data model).
        if add
            && kind == "Solutions"
            && let Some(Value::Object(project)) = rec.doc.get_mut("Project")
        {
            project.remove("OtherSolutionDescription");
        }
        Ok(Edit::Changed(
            (),
            Change::OpportunityUpdated { id: rec.id.clone() },
        ))
    })?;
    Ok(Reply::Doc(json!({})))
}

/// Submits an opportunity to AWS: `Pending Submission` → `Submitted`.
fn submit_record(
    rec: &mut OpportunityRecord,
    involvement_type: &str,
    visibility: Option<&str>,
) -> Result<(), ServiceError> {
    let current = review_status(rec);
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
    // For Visibility Only without needs: AWS records that no support is needed (captured).
    if involvement_type == "For Visibility Only"
        && rec
            .doc
            .get("PrimaryNeedsFromAws")
            .and_then(Value::as_array)
            .is_none_or(|l| l.is_empty())
    {
        rec.doc
            .insert("PrimaryNeedsFromAws".into(), json!([NO_SUPPORT_NEEDED]));
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
    Ok(())
}

pub fn submit<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = str_at(input, "Identifier").unwrap_or_default();
    modify(svc, ctx, id, |w, rec| {
        let involvement = str_at(input, "InvolvementType").unwrap_or_default();
        let visibility = str_at(input, "Visibility");
        submission_rules(svc, w, ctx, rec, involvement, visibility)?;
        submit_record(rec, involvement, visibility)?;
        Ok(Edit::Changed(
            (),
            Change::OpportunityUpdated { id: rec.id.clone() },
        ))
    })?;
    Ok(Reply::Doc(json!({})))
}

/// AWS's submission rules, checked when the submission is asked for: a violation is the
/// synchronous `ValidationException` AWS was captured sending from
/// StartEngagementFromOpportunityTask (an opportunity not in `Pending Submission` is left to
/// [`submit_record`]).
fn submission_rules<S: Store>(
    svc: &Service<S>,
    w: &Write<'_>,
    ctx: &Context,
    rec: &OpportunityRecord,
    involvement: &str,
    visibility: Option<&str>,
) -> Result<(), ServiceError> {
    if review_status(rec) != PENDING_SUBMISSION {
        return Ok(());
    }
    business::enforce(
        svc,
        &*w.tx,
        ctx,
        w.now,
        &Subject {
            involvement: Some(involvement),
            visibility: Some(visibility.unwrap_or(lifecycle::DEFAULT_VISIBILITY)),
            ..Subject::new(Step::Submit, &rec.doc, &rec.related)
        },
    )
}

/// Puts the account's user first in `OpportunityTeam` as its `OpportunityOwner`, as AWS does
/// with the user profile (a team member sent as owner is replaced).
pub(crate) fn put_owner_first(
    doc: &mut Map<String, Value>,
    profile: &crate::rules::business::Profile,
) {
    let owner = json!({
        "BusinessTitle": "OpportunityOwner",
        "Email": profile.user.email,
        "FirstName": profile.user.first_name,
        "LastName": profile.user.last_name,
    });
    set_owner(doc, owner);
}

/// Makes `owner` the opportunity's one `OpportunityOwner`, first in its team (at most 10).
fn set_owner(doc: &mut Map<String, Value>, owner: Value) {
    let mut team: Vec<Value> = doc
        .get("OpportunityTeam")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| str_at(m, "BusinessTitle") != Some("OpportunityOwner"))
        .collect();
    team.insert(0, owner);
    team.truncate(10);
    doc.insert("OpportunityTeam".into(), Value::Array(team));
}

const START_TASK: &str = "StartEngagementFromOpportunityTask";

/// StartEngagementFromOpportunityTask. The task submits the opportunity and records the
/// engagement, the invitation to AWS and the snapshot job it creates; it completes at once
/// (facts §1.4: the real task is observed COMPLETE in the response), or after
/// `--task-delay-ms`. A submission the lifecycle refuses gives a `FAILED` task.
pub fn start_task<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    flows::settle_tasks(svc)?;
    let scope = access::private(ctx);
    let id = str_at(input, "Identifier").unwrap_or_default();
    let delay = svc.task_delay;
    let out = svc.write(ctx, |w| {
        let first = idempotent(w, svc.model, &scope, START_TASK, input, |w| {
            let rec = access::opportunity(w.tx, ctx, id)?;
            submission_rules(
                svc,
                w,
                ctx,
                &rec,
                str_at(input, "AwsSubmission.InvolvementType").unwrap_or_default(),
                str_at(input, "AwsSubmission.Visibility"),
            )?;
            // The task's tags land on the opportunity it submits.
            if let Some(tags) = input.get("Tags").and_then(Value::as_array) {
                let arn = ids::opportunity_arn(&ctx.region, &ctx.account, &ctx.catalog, &rec.id);
                crate::ops::tagging::api::add_tags(w, &scope, &arn, tags)?;
            }
            let task_id = ids::task_id();
            let start_time = w.stamp();
            let mut doc = Map::new();
            doc.insert("TaskId".into(), json!(task_id));
            doc.insert(
                "TaskArn".into(),
                json!(ids::engagement_from_opportunity_task_arn(
                    &ctx.region,
                    &ctx.catalog,
                    &task_id
                )),
            );
            doc.insert("StartTime".into(), json!(start_time));
            doc.insert("OpportunityId".into(), json!(rec.id));
            doc.insert("TaskStatus".into(), json!("IN_PROGRESS"));
            let mut task = TaskRecord {
                id: task_id,
                start_time,
                doc,
                kind: TaskKind::EngagementFromOpportunity,
                complete_at: None,
                params: input.get("AwsSubmission").cloned(),
            };
            if delay.is_zero() {
                complete_submission_task(w, ctx, &mut task)?;
            } else {
                let due = w.now + chrono::Duration::milliseconds(delay.as_millis() as i64);
                task.complete_at = Some(time::format(due));
                w.tx.put_task(&scope, &task)?;
            }
            Ok(Value::Object(task.doc))
        })?;
        // A replayed token answers the task as it is now (a delayed one may have completed).
        let task = str_at(&first, "TaskId").unwrap_or_default();
        Ok(match w.tx.get_task(&scope, task)? {
            Some(t) => Value::Object(t.doc),
            None => first,
        })
    })?;
    Ok(Reply::Doc(out))
}

/// Completes a StartEngagementFromOpportunityTask task: submits its opportunity as it is now.
pub(crate) fn complete_submission_task(
    w: &mut Write<'_>,
    ctx: &Context,
    task: &mut TaskRecord,
) -> Result<(), ServiceError> {
    task.complete_at = None;
    let id = task
        .doc
        .get("OpportunityId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let params = task.params.clone().unwrap_or_default();
    let submitted = match access::find_opportunity(w.tx, ctx, &id)? {
        Some(mut rec) => submit_record(
            &mut rec,
            str_at(&params, "InvolvementType").unwrap_or_default(),
            str_at(&params, "Visibility"),
        )
        .map(|()| rec),
        None => Err(ServiceError::business(
            "Identifier",
            Code::InvalidResourceState,
            format!("Opportunity {id} no longer exists."),
        )),
    };
    match submitted {
        Ok(mut rec) => {
            // A converted lead is submitted in its own engagement, which must describe the
            // customer project by now (the leads guide).
            let linked = match &rec.engagement_id {
                Some(eng) => w.tx.get_engagement(&ctx.catalog, eng)?,
                None => None,
            };
            if let Some(eng) = &rec.engagement_id {
                let has_project = linked
                    .as_ref()
                    .is_some_and(|e| e.context_types().iter().any(|t| t == "CustomerProject"));
                if !has_project {
                    let message = format!(
                        "Engagement {eng} of opportunity {id} has no CustomerProject context; add one before submitting."
                    );
                    return crate::ops::common::fail_task(
                        w,
                        ctx,
                        task,
                        "OpportunityValidationFailed",
                        message,
                    );
                }
            }
            let engagement_id = rec.engagement_id.clone().unwrap_or_else(ids::engagement_id);
            // AWS is invited unless it already is a member (a lead AWS shared): then, as
            // captured, the task answers no invitation.
            let aws_member = linked.is_some_and(|e| e.is_member(AWS_PARTY));
            let invitation_id = (!aws_member).then(ids::invitation_id);
            if let Some(sub) = rec.submission.as_mut() {
                sub.engagement_id = Some(engagement_id.clone());
                sub.invitation_id = invitation_id.clone();
            }
            store_changed(w, ctx, &mut rec)?;
            flows::record_submission(w, ctx, &rec, &engagement_id, invitation_id.as_deref())?;
            if let Some(e) = engagement(&rec) {
                w.changed(Change::Submitted(e));
            }
            task.doc.insert("TaskStatus".into(), json!("COMPLETE"));
            task.doc.insert("EngagementId".into(), json!(engagement_id));
            if let Some(inv) = &invitation_id {
                task.doc.insert("EngagementInvitationId".into(), json!(inv));
            }
            let job = crate::ops::snapshots::flows::start_job(w, ctx, &engagement_id, &rec)?;
            task.doc.insert("ResourceSnapshotJobId".into(), json!(job));
        }
        Err(ServiceError::Business(violations)) => {
            task.doc.insert("TaskStatus".into(), json!("FAILED"));
            task.doc
                .insert("ReasonCode".into(), json!("OpportunitySubmissionFailed"));
            let message = violations
                .into_iter()
                .map(|v| v.message)
                .collect::<Vec<_>>()
                .join(" ");
            task.doc.insert("Message".into(), json!(message));
        }
        Err(other) => return Err(other),
    }
    w.tx.put_task(&access::private(ctx), task)?;
    Ok(())
}

pub fn list_tasks<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let bare = |values: Vec<String>| -> Vec<String> {
        values.iter().map(|v| ids::id_of(v).to_string()).collect()
    };
    let filters = [
        ("TaskId", bare(strings(input, "TaskIdentifier"))),
        ("OpportunityId", strings(input, "OpportunityIdentifier")),
        ("EngagementId", bare(strings(input, "EngagementIdentifier"))),
        ("TaskStatus", strings(input, "TaskStatus")),
    ];
    task_page(
        svc,
        ctx,
        input,
        TaskKind::EngagementFromOpportunity,
        &filters,
    )
}

/// The rendered AWS summary of the caller's opportunity `id`, or not found.
pub(super) fn summary<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
) -> Result<Value, ServiceError> {
    let (opp, summary) = svc.store.read(|tx| {
        let opp = access::find_opportunity(tx, ctx, id)?;
        let summary = access::aws_summary(tx, ctx, id)?;
        Ok::<_, ServiceError>((opp, summary))
    })?;
    let Some(summary) = summary else {
        let Some(opp) = opp else {
            return Err(access::opportunity_not_found(ctx, id));
        };
        return Err(ServiceError::NotFound(format!(
            "No AWS opportunity is related to opportunity {id} yet: AWS creates it when it approves the \
             submitted opportunity (review status now '{}').",
            review_status(&opp)
        )));
    };
    Ok(view::aws_summary(ctx, id, opp.as_ref(), &summary))
}

const GET_SUMMARY: &str = "GetAwsOpportunitySummary";

/// GetAwsOpportunitySummary, rendered from the store and kept in the response cache.
pub fn get_summary<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = str_at(input, "RelatedOpportunityIdentifier").unwrap_or_default();
    if svc.summaries.is_validated() {
        return get_summary_validated(svc, ctx, id);
    }
    let generation = match svc.summaries.get(&ctx.account, &ctx.catalog, id) {
        Ok(bytes) => return Ok(Reply::Encoded(bytes)),
        Err(generation) => generation,
    };
    let bytes = svc.encode(GET_SUMMARY, Reply::Doc(summary(svc, ctx, id)?));
    svc.summaries
        .put(&ctx.account, &ctx.catalog, id, generation, bytes.clone());
    Ok(Reply::Encoded(bytes))
}

/// GetAwsOpportunitySummary with replicas sharing the store: a cached answer serves while no
/// write committed since it was rendered (one round trip to learn it).
fn get_summary_validated<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
) -> Result<Reply, ServiceError> {
    let written = svc.store.generation()?;
    if let Some(w) = written
        && let Some(bytes) = svc.summaries.get_at(&ctx.account, &ctx.catalog, id, w)
    {
        return Ok(Reply::Encoded(bytes));
    }
    let bytes = svc.encode(GET_SUMMARY, Reply::Doc(summary(svc, ctx, id)?));
    if let Some(w) = written {
        // Read before the render: the answer is at least as new as `w`, and a later write
        // changes the count.
        svc.summaries
            .put_at(&ctx.account, &ctx.catalog, id, w, bytes.clone());
    }
    Ok(Reply::Encoded(bytes))
}

/// GetAwsOpportunitySummary from the response cache, when it has the answer.
pub fn get_summary_cached<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Option<Bytes> {
    let id = str_at(input, "RelatedOpportunityIdentifier").unwrap_or_default();
    svc.summaries.get(&ctx.account, &ctx.catalog, id).ok()
}
