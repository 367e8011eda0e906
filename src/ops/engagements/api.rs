//! The API operations on engagements themselves: create, read, list and search them, their
//! members and resource associations, the AWS-curated groups, and their contexts. Every
//! lookup of one engagement goes through [`access::engagement`] (members only).

use serde_json::{Value, json};

use super::{admin, contexts, search, view};
use crate::domain::changes::{Change, EngagementFacts};
use crate::domain::pagination;
use crate::domain::{company_name, ids, time};
use crate::model::validate::Code;
use crate::ops::common::{
    idempotent, keyset_after, keyset_page, offset_page, page_size, rendered_page, resolve_id,
    str_at, strings,
};
use crate::ops::{Context, Service, ServiceError, Write, access};
use crate::protocol::Reply;
use crate::store::{EngagementMember, EngagementRecord, Store};

const ENGAGEMENT: &str = "engagement";

/// The engagement id an `Identifier`-like member names (id or ARN of the caller's catalog).
pub(crate) fn engagement_id(
    ctx: &Context,
    member: &str,
    input: &Value,
) -> Result<String, ServiceError> {
    let value = str_at(input, member).unwrap_or_default();
    match resolve_id(member, value, ENGAGEMENT, &ctx.catalog)? {
        Some(id) => Ok(id),
        None => Err(access::engagement_not_found(ctx, ids::id_of(value))),
    }
}

/// Stamps an engagement as modified by the caller now (strictly after its last change, so the
/// time tells versions apart) and records the change for its members.
pub(crate) fn touch(w: &mut Write<'_>, ctx: &Context, rec: &mut EngagementRecord) {
    rec.modified_at = crate::ops::invitations::flows::engagement_modified(&rec.modified_at, w);
    rec.modified_by = ctx.account.clone();
    w.changed(Change::Engagement {
        created: false,
        facts: EngagementFacts::of(rec, false),
    });
}

pub fn create<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let scope = access::private(ctx);
    let out = svc.write(ctx, |w| {
        idempotent(w, svc.model, &scope, "CreateEngagement", input, |w| {
            let given = input
                .get("Contexts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut stored = Vec::new();
            for (i, c) in given.iter().enumerate() {
                let at = format!("Contexts[{i}]");
                let type_name = str_at(c, "Type").unwrap_or_default();
                let payload = c.get("Payload").cloned().unwrap_or(json!({}));
                contexts::check_payload(&at, type_name, &payload)?;
                stored.push(contexts::new_context(
                    &contexts::next_id(&stored),
                    type_name,
                    &payload,
                    &w.stamp(),
                ));
            }
            let now = w.stamp();
            let rec = EngagementRecord {
                id: ids::engagement_id(),
                title: str_at(input, "Title").unwrap_or_default().to_string(),
                description: str_at(input, "Description").map(str::to_string),
                created_at: now.clone(),
                created_by: ctx.account.clone(),
                modified_at: now.clone(),
                modified_by: ctx.account.clone(),
                members: vec![EngagementMember {
                    account_id: ctx.account.clone(),
                    company_name: company_name(&ctx.account),
                    website_url: None,
                    joined_at: now.clone(),
                }],
                contexts: stored,
                resources: Vec::new(),
            };
            w.tx.put_engagement(&ctx.catalog, &rec)?;
            w.changed(Change::Engagement {
                created: true,
                facts: EngagementFacts::of(&rec, true),
            });
            Ok(json!({
                "Id": rec.id,
                "Arn": ids::engagement_arn(&ctx.region, &ctx.catalog, &rec.id),
                "ModifiedAt": now,
            }))
        })
    })?;
    Ok(Reply::Doc(out))
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = engagement_id(ctx, "Identifier", input)?;
    let rec = svc.store.read(|tx| access::engagement(tx, ctx, &id))?;
    Ok(Reply::Doc(view::engagement(ctx, &rec)))
}

/// The engagements the caller is a member of.
fn visible<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
) -> Result<Vec<EngagementRecord>, ServiceError> {
    Ok(svc.store.read(|tx| access::member_engagements(tx, ctx))?)
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let mut wanted_ids = Vec::new();
    for v in strings(input, "EngagementIdentifier") {
        // An engagement of another catalog matches nothing.
        if let Some(id) = resolve_id("EngagementIdentifier", &v, ENGAGEMENT, &ctx.catalog)? {
            wanted_ids.push(id);
        }
    }
    let any_given = !strings(input, "EngagementIdentifier").is_empty();
    let created_by = strings(input, "CreatedBy");
    let exclude_created_by = strings(input, "ExcludeCreatedBy");
    let context_types = strings(input, "ContextTypes");
    let exclude_context_types = strings(input, "ExcludeContextTypes");
    let wanted = |e: &EngagementRecord| {
        let types = e.context_types();
        (!any_given || wanted_ids.contains(&e.id))
            && (created_by.is_empty() || created_by.contains(&e.created_by))
            && !exclude_created_by.contains(&e.created_by)
            && (context_types.is_empty() || types.iter().any(|t| context_types.contains(t)))
            && !types.iter().any(|t| exclude_context_types.contains(t))
    };
    // Keyset pages over (CreatedAt, Id): a page reads what it shows, however many the caller has.
    let fp = pagination::fingerprint(input);
    let after = keyset_after(input, &fp)?;
    let descending = str_at(input, "Sort.SortOrder") != Some("ASCENDING");
    let limit = page_size(input, 20);
    let mut page: Vec<EngagementRecord> = Vec::new();
    svc.store.read(|tx| {
        tx.visit_member_engagements(
            &ctx.catalog,
            &ctx.account,
            descending,
            after.as_ref().map(|(a, i)| (a.as_str(), i.as_str())),
            &mut |e| {
                if wanted(&e) {
                    page.push(e);
                }
                Ok(page.len() <= limit)
            },
        )
    })?;
    let more = page.len() > limit;
    page.truncate(limit);
    let items = page.iter().map(|e| view::summary(ctx, e)).collect();
    let last = page
        .last()
        .filter(|_| more)
        .map(|l| (l.created_at.as_str(), l.id.as_str()));
    Ok(Reply::Doc(keyset_page(
        &fp,
        "EngagementSummaryList",
        items,
        last,
    )))
}

pub fn search<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let mut records = visible(svc, ctx)?;
    if let Some(group) = str_at(input, "GroupId") {
        let groups = svc.store.read(|tx| admin::groups(tx, &ctx.catalog))?;
        let Some(g) = groups.iter().find(|g| str_at(g, "Id") == Some(group)) else {
            return Err(ServiceError::invalid(
                "GroupId",
                Code::InvalidValue,
                format!(
                    "GroupId '{group}' is not an active engagement group of catalog {}.",
                    ctx.catalog
                ),
            ));
        };
        records = admin::members_of(g, records)?;
    }
    let found = search::search(records, input)?;

    Ok(Reply::Doc(rendered_page(
        input,
        found,
        20,
        "EngagementSearchSummaries",
        |e| view::search_summary(ctx, e),
    )?))
}

pub fn list_groups<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let groups = svc.store.read(|tx| admin::groups(tx, &ctx.catalog))?;
    let records = visible(svc, ctx)?;
    let wanted: Vec<String> = strings(input, "EngagementGroupIdentifiers")
        .iter()
        .map(|v| ids::id_of(v).to_string())
        .collect();
    let readiness = str_at(input, "ReadinessLevel");
    let mut items = Vec::new();
    for g in groups {
        let id = str_at(&g, "Id").unwrap_or_default().to_string();
        if !wanted.is_empty() && !wanted.contains(&id) {
            continue;
        }
        if readiness.is_some() && str_at(&g, "ReadinessLevel") != readiness {
            continue;
        }
        let count = admin::members_of(&g, records.clone())?.len();
        items.push(admin::summary(ctx, &g, count));
    }
    if let Some(by) = str_at(input, "Sort.SortBy") {
        let key = |v: &Value| match by {
            "Count" => format!(
                "{:020}",
                v.get("Count").and_then(Value::as_u64).unwrap_or(0)
            ),
            _ => str_at(v, "UpdatedAt").unwrap_or_default().to_string(),
        };
        items.sort_by_key(key);
        if str_at(input, "Sort.SortOrder") == Some("DESCENDING") {
            items.reverse();
        }
    }
    Ok(Reply::Doc(offset_page(
        input,
        items,
        20,
        "EngagementGroupSummaries",
    )?))
}

pub fn list_members<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = engagement_id(ctx, "Identifier", input)?;
    let rec = svc.store.read(|tx| access::engagement(tx, ctx, &id))?;
    let items = rec.members.iter().map(view::member).collect();
    Ok(Reply::Doc(offset_page(
        input,
        items,
        5,
        "EngagementMemberList",
    )?))
}

pub fn list_associations<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let records = match str_at(input, "EngagementIdentifier") {
        Some(id) => vec![svc.store.read(|tx| access::engagement(tx, ctx, id))?],
        None => visible(svc, ctx)?,
    };
    let kind = str_at(input, "ResourceType");
    let resource = str_at(input, "ResourceIdentifier");
    let owner = str_at(input, "CreatedBy");
    let mut items = Vec::new();
    // The model: associations "in engagements where the caller is a member and has at least
    // one snapshot" — a member's first snapshot is what associates its resource.
    let has_own = |e: &EngagementRecord| {
        e.resources
            .iter()
            .any(|r| str_at(r, "accountId") == Some(ctx.account.as_str()))
    };
    for e in records.iter().filter(|e| has_own(e)) {
        for r in &e.resources {
            let keep = kind.is_none_or(|k| str_at(r, "resourceType") == Some(k))
                && resource.is_none_or(|id| str_at(r, "resourceId") == Some(id))
                && owner.is_none_or(|a| str_at(r, "accountId") == Some(a));
            if keep {
                items.push(view::association(ctx, &e.id, r));
            }
        }
    }
    Ok(Reply::Doc(offset_page(
        input,
        items,
        100,
        "EngagementResourceAssociationSummaries",
    )?))
}

/// The answer of both context operations.
fn context_reply(ctx: &Context, rec: &EngagementRecord, context_id: &str) -> Value {
    json!({
        "EngagementId": rec.id,
        "EngagementArn": ids::engagement_arn(&ctx.region, &ctx.catalog, &rec.id),
        "EngagementLastModifiedAt": rec.modified_at,
        "ContextId": context_id,
    })
}

pub fn create_context<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let scope = access::private(ctx);
    let id = engagement_id(ctx, "EngagementIdentifier", input)?;
    let out = svc.write(ctx, |w| {
        idempotent(
            w,
            svc.model,
            &scope,
            "CreateEngagementContext",
            input,
            |w| {
                let mut rec = access::engagement(w.tx, ctx, &id)?;
                let type_name = str_at(input, "Type").unwrap_or_default();
                let payload = input.get("Payload").cloned().unwrap_or(json!({}));
                contexts::check_payload("", type_name, &payload)?;
                contexts::check_room(&rec.id, &rec.contexts)?;
                let context_id = contexts::next_id(&rec.contexts);
                rec.contexts.push(contexts::new_context(
                    &context_id,
                    type_name,
                    &payload,
                    &w.stamp(),
                ));
                touch(w, ctx, &mut rec);
                w.tx.put_engagement(&ctx.catalog, &rec)?;
                Ok(context_reply(ctx, &rec, &context_id))
            },
        )
    })?;
    Ok(Reply::Doc(out))
}

pub fn update_context<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let id = engagement_id(ctx, "EngagementIdentifier", input)?;
    let context_id = str_at(input, "ContextIdentifier")
        .unwrap_or_default()
        .to_string();
    let type_name = str_at(input, "Type").unwrap_or_default().to_string();
    let payload = input.get("Payload").cloned().unwrap_or(json!({}));
    let sent = str_at(input, "EngagementLastModifiedAt")
        .unwrap_or_default()
        .to_string();
    let out = svc.write(ctx, |w| {
        let mut rec = access::engagement(w.tx, ctx, &id)?;
        if time::parse(&sent) != time::parse(&rec.modified_at) {
            return Err(ServiceError::Conflict(format!(
                "Engagement {id} was modified at {}; the EngagementLastModifiedAt sent ({sent}) is \
                 stale. Read the engagement again and retry with its ModifiedAt.",
                rec.modified_at
            )));
        }
        let Some(pos) = rec
            .contexts
            .iter()
            .position(|c| contexts::id_of(c) == context_id)
        else {
            return Err(ServiceError::NotFound(format!(
                "Engagement {id} has no context {context_id}."
            )));
        };
        let stored = contexts::type_of(&rec.contexts[pos]).to_string();
        if stored != type_name {
            return Err(ServiceError::invalid(
                "Type",
                Code::InvalidValue,
                format!(
                    "Context {context_id} of engagement {id} is a {stored} context; its type cannot \
                     change to {type_name}."
                ),
            ));
        }
        if contexts::kind(&type_name).is_some_and(|k| !k.updatable) {
            return Err(ServiceError::invalid(
                "Type",
                Code::InvalidValue,
                format!("{type_name} contexts cannot be updated."),
            ));
        }
        contexts::check_payload("", &type_name, &payload)?;
        contexts::apply_update(&mut rec.contexts[pos], &type_name, &payload, &w.stamp());
        touch(w, ctx, &mut rec);
        w.tx.put_engagement(&ctx.catalog, &rec)?;
        Ok(context_reply(ctx, &rec, &context_id))
    })?;
    Ok(Reply::Doc(out))
}
