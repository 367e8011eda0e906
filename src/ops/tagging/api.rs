//! Tags on the caller's resources, kept per resource ARN in the caller's scope.
//!
//! Decisions (README "Tags"): at most 50 tags per resource (AWS's usual limit; the service
//! publishes none); keys starting with `aws:` are reserved; a resource type the ARN pattern
//! admits but that carries no tags (a solution, a bulk job) is a `ValidationException`; an ARN
//! of another account is an `AccessDeniedException`, as IAM answers; a resource that does not
//! exist is not found. Tagging an existing key replaces its value.

use serde_json::{Value, json};

use crate::model::validate::Code;
use crate::ops::common::str_at;
use crate::ops::{Context, Service, ServiceError, Write};
use crate::protocol::Reply;
use crate::store::{Scope, Store};

/// Resource types that carry tags, as their ARNs name them.
pub const TAGGABLE: [&str; 3] = ["opportunity", "resource-snapshot-job", "customer-account"];
/// Most tags one resource carries.
pub const MAX_TAGS: usize = 50;
const RESERVED_PREFIX: &str = "aws:";

/// A taggable resource named by an ARN.
struct Resource {
    scope: Scope,
    kind: String,
    id: String,
}

/// Parses `arn:…:partnercentral:{region}:{account}:catalog/{catalog}/{type}/{id}` and checks
/// the caller may tag it.
fn resource(ctx: &Context, arn: &str) -> Result<Resource, ServiceError> {
    // The ARN has the model's form; what it names is a matter for the service, as AWS's
    // business validation answers it.
    let bad = |why: &str| {
        ServiceError::business(
            "ResourceArn",
            Code::InvalidValue,
            format!("ResourceArn '{arn}' {why}."),
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, account, path] = parts.as_slice() else {
        return Err(bad("is not an ARN"));
    };
    if *service != "partnercentral" {
        return Err(bad("is not a Partner Central ARN"));
    }
    let segs: Vec<&str> = path.split('/').collect();
    let ["catalog", catalog, kind, id] = segs.as_slice() else {
        return Err(bad(
            "does not name a taggable resource (catalog/{Catalog}/{type}/{id})",
        ));
    };
    if !TAGGABLE.contains(kind) {
        return Err(bad(&format!(
            "names a {kind}, which cannot be tagged; taggable: {}",
            TAGGABLE.join(", ")
        )));
    }
    if *account != ctx.account {
        return Err(ServiceError::AccessDenied(format!(
            "Account {} is not authorized to tag resource {arn} of account {account}.",
            ctx.account
        )));
    }
    Ok(Resource {
        scope: Scope {
            account: account.to_string(),
            catalog: catalog.to_string(),
        },
        kind: kind.to_string(),
        id: id.to_string(),
    })
}

/// The resource exists in its scope, or not found.
fn exists(w_tx: &dyn crate::store::Tx, arn: &str, r: &Resource) -> Result<(), ServiceError> {
    let found = match r.kind.as_str() {
        "opportunity" => w_tx.get_opportunity(&r.scope, &r.id)?.is_some(),
        "customer-account" => w_tx.get_customer_account(&r.scope, &r.id)?.is_some(),
        _ => w_tx.get_snapshot_job(&r.scope, &r.id)?.is_some(),
    };
    if found {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!(
            "Resource {arn} was not found."
        )))
    }
}

/// Adds or replaces `tags` on the resource `arn` of `scope` (also for tags given at creation).
pub(crate) fn add_tags(
    w: &mut Write<'_>,
    scope: &Scope,
    arn: &str,
    tags: &[Value],
) -> Result<(), ServiceError> {
    let mut current = w.tx.get_tags(scope, arn)?;
    for (i, t) in tags.iter().enumerate() {
        let key = str_at(t, "Key").unwrap_or_default();
        if key.to_ascii_lowercase().starts_with(RESERVED_PREFIX) {
            return Err(ServiceError::invalid(
                &format!("Tags[{i}].Key"),
                Code::InvalidValue,
                format!("Tag keys starting with '{RESERVED_PREFIX}' are reserved; got '{key}'."),
            ));
        }
        let value = str_at(t, "Value").unwrap_or_default();
        match current.iter_mut().find(|c| str_at(c, "Key") == Some(key)) {
            Some(c) => c["Value"] = json!(value),
            None => current.push(json!({"Key": key, "Value": value})),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(ServiceError::invalid(
            "Tags",
            Code::TooManyValues,
            format!(
                "A resource carries at most {MAX_TAGS} tags; {arn} would carry {}.",
                current.len()
            ),
        ));
    }
    w.tx.put_tags(scope, arn, &current)?;
    Ok(())
}

fn arn_of(input: &Value) -> &str {
    str_at(input, "ResourceArn").unwrap_or_default()
}

/// The scope's context for a resource (its own catalog).
fn scoped(ctx: &Context, r: &Resource) -> Context {
    Context {
        account: r.scope.account.clone(),
        catalog: r.scope.catalog.clone(),
        region: ctx.region.clone(),
    }
}

pub fn tag<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let arn = arn_of(input);
    let r = resource(ctx, arn)?;
    let tags = input
        .get("Tags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    svc.write(&scoped(ctx, &r), |w| {
        exists(w.tx, arn, &r)?;
        add_tags(w, &r.scope, arn, &tags)
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn untag<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let arn = arn_of(input);
    let r = resource(ctx, arn)?;
    let keys: Vec<String> = crate::ops::common::strings(input, "TagKeys");
    svc.write(&scoped(ctx, &r), |w| {
        exists(w.tx, arn, &r)?;
        let mut current = w.tx.get_tags(&r.scope, arn)?;
        current.retain(|t| !str_at(t, "Key").is_some_and(|k| keys.iter().any(|x| x == k)));
        w.tx.put_tags(&r.scope, arn, &current)?;
        Ok(())
    })?;
    Ok(Reply::Doc(json!({})))
}

pub fn list<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let arn = arn_of(input);
    let r = resource(ctx, arn)?;
    let tags = svc.store.read(|tx| {
        exists(tx, arn, &r)?;
        Ok::<_, ServiceError>(tx.get_tags(&r.scope, arn)?)
    })?;
    Ok(Reply::Doc(json!({"Tags": tags})))
}
