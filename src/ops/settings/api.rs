//! Selling-system settings: the snapshot-job role, by name or ARN, always answered as a full
//! ARN of the caller's account. Before anything was put, Get answers the catalog alone (no
//! role), not ResourceNotFound. Snapshot jobs do not require the role (AWS's own samples never
//! set it); README "Snapshots".

use serde_json::{Value, json};

use crate::model::validate::Code;
use crate::ops::common::str_at;
use crate::ops::{Context, Service, ServiceError, access};
use crate::protocol::Reply;
use crate::store::Store;

fn answer(ctx: &Context, role: Option<String>) -> Value {
    let mut out = json!({"Catalog": ctx.catalog});
    if let Some(arn) = role {
        out["ResourceSnapshotJobRoleArn"] = json!(arn);
    }
    out
}

pub fn get<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    _input: &Value,
) -> Result<Reply, ServiceError> {
    let role = svc
        .store
        .read(|tx| tx.get_selling_settings(&access::private(ctx)))?;
    Ok(Reply::Doc(answer(ctx, role)))
}

pub fn put<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    const MEMBER: &str = "ResourceSnapshotJobRoleIdentifier";
    let role = match str_at(input, MEMBER) {
        None => None,
        Some(v) if v.starts_with("arn:") => {
            let account = v.split(':').nth(4).unwrap_or_default();
            if account != ctx.account {
                return Err(ServiceError::invalid(
                    MEMBER,
                    Code::InvalidValue,
                    format!(
                        "{MEMBER} must be a role of account {}; '{v}' belongs to account {account}.",
                        ctx.account
                    ),
                ));
            }
            Some(v.to_string())
        }
        Some(name) => Some(format!("arn:aws:iam::{}:role/{name}", ctx.account)),
    };
    let scope = access::private(ctx);
    let stored = svc.write(ctx, |w| {
        if let Some(arn) = &role {
            w.tx.put_selling_settings(&scope, arn)?;
        }
        Ok(w.tx.get_selling_settings(&scope)?)
    })?;
    Ok(Reply::Doc(answer(ctx, stored)))
}
