//! What the control plane does with customer accounts, playing AWS's matching: force the
//! outcome of one account (`PUT …/customer-accounts/{id}/matching`): `{"Status":
//! "ENRICHED"|"NO_MATCH_FOUND"|"ACTION_REQUIRED"|"PENDING", "AwsEnrichment"?, "ReasonCode"?,
//! "Message"?, "ExistingCustomerAccountArn"?}`, checked against the model's shapes; `DELETE`
//! returns it to the computed outcome.

use serde_json::{Map, Value, json};

use super::matching;
use crate::model::validate::Code;
use crate::ops::common::check_shape;
use crate::ops::{Context, Service, ServiceError, access};
use crate::store::Store;

const MEMBERS: [&str; 5] = [
    "Status",
    "AwsEnrichment",
    "ReasonCode",
    "Message",
    "ExistingCustomerAccountArn",
];

fn bad(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, Code::InvalidValue, message)
}

/// Forces (`Some`) or clears (`None`) the matching outcome of account `id`.
pub fn force<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    id: &str,
    body: Option<&Map<String, Value>>,
) -> Result<Value, ServiceError> {
    if let Some(body) = body {
        if let Some(k) = body.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(bad(
                k,
                format!("{k} is not a member; members: {}", MEMBERS.join(", ")),
            ));
        }
        let status = body
            .get("Status")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if ![
            matching::PENDING,
            matching::ENRICHED,
            matching::NO_MATCH_FOUND,
            matching::ACTION_REQUIRED,
        ]
        .contains(&status)
        {
            return Err(bad(
                "Status",
                "Status must be PENDING, ENRICHED, NO_MATCH_FOUND or ACTION_REQUIRED",
            ));
        }
        if let Some(e) = body.get("AwsEnrichment") {
            check_shape(svc.model, "AwsEnrichment", e)?;
        }
        if let Some(r) = body.get("ReasonCode") {
            check_shape(svc.model, "CustomerAccountFailureReason", r)?;
        }
    }
    let scope = access::private(ctx);
    svc.write(ctx, |w| {
        let mut rec = w.tx.get_customer_account(&scope, id)?.ok_or_else(|| {
            ServiceError::NotFound(format!("Customer account {id} was not found."))
        })?;
        rec.forced = body.map(|b| Value::Object(b.clone()));
        // A forced outcome, or the computed one again, is the answer from now on.
        rec.matched_at = w.stamp();
        if body.and_then(|b| b.get("Status")).and_then(Value::as_str) == Some(matching::PENDING) {
            rec.matched_at = "9999-12-31T23:59:59.999Z".to_string();
            rec.forced = None;
        }
        w.tx.put_customer_account(&scope, &rec)?;
        Ok(json!({"Id": rec.id, "Forced": rec.forced}))
    })
}
