//! What the control plane does to solutions, playing AWS: add one to an account's list.

use serde_json::{Map, Value, json};

use super::view;
use crate::ops::common::{check_shape, str_at};
use crate::ops::{Context, Service, ServiceError, access};
use crate::protocol::Reply;
use crate::store::{SolutionRecord, Store};

/// Adds (or replaces) a solution AWS lists for the account.
/// `Id` defaults to a new `S-` number, `Status` to `Active`, `CreatedDate` to now.
pub fn add<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    body: Map<String, Value>,
) -> Result<Value, ServiceError> {
    let mut doc = body;
    doc.remove("Catalog");
    doc.entry("Id").or_insert_with(|| {
        json!(format!(
            "S-{}",
            rand::random_range(1_000_000..10_000_000u32)
        ))
    });
    doc.entry("Status").or_insert_with(|| json!("Active"));
    svc.write(ctx, |w| {
        let created = w.stamp();
        doc.entry("CreatedDate").or_insert_with(|| json!(created));
        let rec = SolutionRecord {
            id: str_at(&Value::Object(doc.clone()), "Id")
                .unwrap_or_default()
                .to_string(),
            doc,
        };
        let mut shown = view::solution(ctx, rec.clone());
        // The ARN is AWS's form, which the model's `SolutionArn` pattern does not describe.
        if let Some(doc) = shown.as_object_mut() {
            doc.remove("Arn");
        }
        check_shape(svc.model, "SolutionBase", &shown)?;
        w.tx.put_solution(&access::private(ctx), &rec)?;
        Ok(shown)
    })
}

/// The account's solutions as ListSolutions shows them.
pub fn list<S: Store>(svc: &Service<S>, ctx: &Context) -> Result<Value, ServiceError> {
    match super::api::list(svc, ctx, &json!({"MaxResults": 100}))? {
        Reply::Doc(v) => Ok(v),
        Reply::Encoded(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_default()),
    }
}
