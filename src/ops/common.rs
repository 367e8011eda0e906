//! Helpers every family uses: reading members of a validated input, paging, filters,
//! idempotency tokens, and checking control-plane documents against the model.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Context, Service, ServiceError, Write};
use crate::domain::pagination::{Position, decode, encode, fingerprint};
use crate::model::Model;
use crate::model::validate::{Code, InputError, validate};
use crate::protocol::Reply;
use crate::store::{IdempotencyRecord, Scope};
use crate::store::{Store, TaskKind};

/// Checks a document the control plane writes against a named shape of the model.
pub(crate) fn check_shape(model: &Model, shape: &str, value: &Value) -> Result<(), ServiceError> {
    let Some(id) = model.shape_id(shape) else {
        return Ok(());
    };
    validate(model, id, value).map_err(|e| match e {
        InputError::Invalid(v, _) => ServiceError::Invalid(v),
        InputError::Serialization(m) => ServiceError::invalid("", Code::InvalidValue, m),
    })
}

/// The string at a dotted path of a JSON value.
pub(crate) fn str_at<'v>(value: &'v Value, path: &str) -> Option<&'v str> {
    path.split('.').try_fold(value, |v, p| v.get(p))?.as_str()
}

/// The list of strings at a member (absent = empty).
pub(crate) fn strings(value: &Value, member: &str) -> Vec<String> {
    value
        .get(member)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `MaxResults` or its default.
pub(crate) fn page_size(input: &Value, default: usize) -> usize {
    input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .map(|n| n as usize)
        .unwrap_or(default)
        .max(1)
}

/// The error a token we did not issue gets.
pub(crate) fn bad_token() -> ServiceError {
    ServiceError::invalid(
        "NextToken",
        Code::InvalidValue,
        "NextToken is not valid for this request; pass the NextToken of the previous page of the same query.",
    )
}

/// Whether a document's string members match every non-empty filter list.
pub(crate) fn matches_filters(doc: &Value, filters: &[(&str, Vec<String>)]) -> bool {
    filters.iter().all(|(member, wanted)| {
        wanted.is_empty() || str_at(doc, member).is_some_and(|v| wanted.iter().any(|w| w == v))
    })
}

/// Where a keyset page starts: the `(sort value, id)` of the previous page's last item, from
/// a `NextToken` bound to the query (`fp`), or `None` on the first page.
pub(crate) fn keyset_after(
    input: &Value,
    fp: &str,
) -> Result<Option<(String, String)>, ServiceError> {
    match input.get("NextToken").and_then(Value::as_str) {
        Some(t) => {
            let p = decode(fp, t).ok_or_else(bad_token)?;
            let (value, id) = p.value.split_once('|').ok_or_else(bad_token)?;
            Ok(Some((value.to_string(), id.to_string())))
        }
        None => Ok(None),
    }
}

/// `{items_key: items, NextToken?}` of a keyset page: a token naming `last` (its sort value and
/// id) when more items follow.
pub(crate) fn keyset_page(
    fp: &str,
    items_key: &str,
    items: Vec<Value>,
    last: Option<(&str, &str)>,
) -> Value {
    let mut out = Map::new();
    out.insert(items_key.to_string(), Value::Array(items));
    if let Some((value, id)) = last {
        let position = Position {
            value: format!("{value}|{id}"),
            number: 0,
        };
        out.insert("NextToken".into(), Value::String(encode(fp, position)));
    }
    Value::Object(out)
}

/// One page of an in-memory list, as `{items_key: [...], NextToken?}`, with an offset token
/// (for small collections only).
pub(crate) fn offset_page(
    input: &Value,
    items: Vec<Value>,
    default_size: usize,
    items_key: &str,
) -> Result<Value, ServiceError> {
    rendered_page(input, items, default_size, items_key, |v| v.clone())
}

/// [`offset_page`] over records, rendering only the page's.
pub(crate) fn rendered_page<T>(
    input: &Value,
    items: Vec<T>,
    default_size: usize,
    items_key: &str,
    render: impl Fn(&T) -> Value,
) -> Result<Value, ServiceError> {
    let fp = fingerprint(input);
    let start = match input.get("NextToken").and_then(Value::as_str) {
        Some(t) => decode(&fp, t).ok_or_else(bad_token)?.number.max(0) as usize,
        None => 0,
    };
    let size = page_size(input, default_size);
    let total = items.len();
    let end = start.saturating_add(size).min(total);
    let page: Vec<Value> = items.iter().skip(start).take(size).map(render).collect();
    let mut out = Map::new();
    out.insert(items_key.to_string(), Value::Array(page));
    if end < total {
        let token = encode(
            &fp,
            Position {
                value: String::new(),
                number: end as i64,
            },
        );
        out.insert("NextToken".into(), Value::String(token));
    }
    Ok(Value::Object(out))
}

/// One page of the caller's tasks of `kind` (`TaskSummaries`) whose summary members match
/// `filters`, by start time: newest first unless `Sort.SortOrder` is `ASCENDING`. Delayed tasks
/// that are due complete first.
pub(crate) fn task_page<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
    kind: TaskKind,
    filters: &[(&str, Vec<String>)],
) -> Result<Reply, ServiceError> {
    crate::ops::invitations::flows::settle_tasks(svc)?;
    let scope = crate::ops::access::private(ctx);
    let tasks = svc
        .store
        .read(|tx| tx.list_tasks(&scope).map_err(ServiceError::from))?;
    let mut items: Vec<Value> = tasks
        .into_iter()
        .filter(|t| t.kind == kind)
        .map(|t| Value::Object(t.doc))
        .filter(|doc| matches_filters(doc, filters))
        .collect();
    if str_at(input, "Sort.SortOrder") != Some("ASCENDING") {
        items.reverse();
    }
    Ok(Reply::Doc(offset_page(input, items, 20, "TaskSummaries")?))
}

/// Marks a task `FAILED` with the model's reason code and a message, and stores it.
pub(crate) fn fail_task(
    w: &mut Write<'_>,
    ctx: &Context,
    task: &mut crate::store::TaskRecord,
    reason: &str,
    message: String,
) -> Result<(), ServiceError> {
    task.doc.insert("TaskStatus".into(), Value::from("FAILED"));
    task.doc.insert("ReasonCode".into(), Value::from(reason));
    task.doc.insert("Message".into(), Value::from(message));
    w.tx.put_task(&crate::ops::access::private(ctx), task)?;
    Ok(())
}

/// The id an `Identifier`-like member names: a bare id as is, or the last segment of an ARN
/// of `resource` (`…:catalog/{Catalog}/{resource}/{id}`). An ARN of another catalog names
/// nothing the caller can see (`None`); any other ARN is a `ValidationException`.
pub(crate) fn resolve_id(
    member: &str,
    value: &str,
    resource: &str,
    catalog: &str,
) -> Result<Option<String>, ServiceError> {
    if !value.starts_with("arn:") {
        return Ok(Some(value.to_string()));
    }
    let shape = value
        .split_once(":catalog/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .and_then(|(c, rest)| rest.split_once('/').map(|(r, id)| (c, r, id)));
    match shape {
        Some((c, r, id)) if r == resource && !id.is_empty() && !id.contains('/') => {
            Ok((c == catalog).then(|| id.to_string()))
        }
        _ => Err(ServiceError::invalid(
            member,
            Code::InvalidStringFormat,
            format!("{member} '{value}' is neither an id nor the ARN of a {resource}."),
        )),
    }
}

/// Runs `create` once per idempotency token (the member the model marks as the operation's
/// token): a repeated token with the same input replays the first answer; with another input
/// it is a `ConflictException`.
pub(crate) fn idempotent(
    w: &mut Write<'_>,
    model: &Model,
    scope: &Scope,
    operation: &str,
    input: &Value,
    create: impl FnOnce(&mut Write<'_>) -> Result<Value, ServiceError>,
) -> Result<Value, ServiceError> {
    let token = model
        .idempotency_member(operation)
        .and_then(|member| input.get(member))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let hash = hex::encode(Sha256::digest(input.to_string().as_bytes()));
    if let Some(prior) = w.tx.get_idempotency(scope, operation, token)? {
        return if prior.request_hash == hash {
            Ok(prior.response)
        } else {
            Err(ServiceError::Conflict(
                "Conflicting client token submitted for a new request body.".to_string(),
            ))
        };
    }
    let response = create(w)?;
    let record = IdempotencyRecord {
        request_hash: hash,
        response: response.clone(),
    };
    w.tx.put_idempotency(scope, operation, token, &record)?;
    Ok(response)
}
