//! Bulk jobs and their record outcomes rendered as the model's shapes.

use serde_json::{Map, Value, json};

use super::{CUSTOMER_ACCOUNT, Kind};
use crate::ops::Context;
use crate::store::{BulkJobRecord, BulkResultRecord};

/// The ARN of a job of `kind`.
pub fn arn(ctx: &Context, kind: &Kind, id: &str) -> String {
    format!(
        "arn:aws:partnercentral:{}:{}:catalog/{}/{}/{id}",
        ctx.region, ctx.account, ctx.catalog, kind.arn_resource
    )
}

fn put(out: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        out.insert(key.into(), json!(v));
    }
}

/// `CustomerAccountBulkJobSummary` (also GetCustomerAccountBulkJob's answer).
pub fn customer_account_job(ctx: &Context, rec: &BulkJobRecord) -> Value {
    let mut out = Map::new();
    out.insert("Arn".into(), json!(arn(ctx, &CUSTOMER_ACCOUNT, &rec.id)));
    out.insert("Id".into(), json!(rec.id));
    out.insert("Status".into(), json!(rec.status));
    put(&mut out, "FileName", &rec.file_name);
    out.insert("TotalRecords".into(), json!(rec.total_records));
    out.insert("ProcessedRecords".into(), json!(rec.processed_records));
    out.insert("SuccessCount".into(), json!(rec.success_count));
    out.insert("FailureCount".into(), json!(rec.failure_count));
    out.insert("DeletedCount".into(), json!(rec.deleted_count));
    put(&mut out, "FailureReason", &rec.failure_reason);
    out.insert("CreatedAt".into(), json!(rec.created_at));
    put(&mut out, "CompletedAt", &rec.completed_at);
    Value::Object(out)
}

/// `OpportunityBulkJobSummary`.
pub fn opportunity_job(rec: &BulkJobRecord) -> Value {
    let mut out = Map::new();
    out.insert("JobId".into(), json!(rec.id));
    out.insert("Status".into(), json!(rec.status));
    out.insert("TotalRecords".into(), json!(rec.total_records));
    out.insert("ProcessedRecords".into(), json!(rec.processed_records));
    out.insert("SuccessCount".into(), json!(rec.success_count));
    out.insert("FailureCount".into(), json!(rec.failure_count));
    out.insert("CreatedAt".into(), json!(rec.created_at));
    put(&mut out, "StartedAt", &rec.started_at);
    put(&mut out, "CompletedAt", &rec.completed_at);
    put(&mut out, "FailureReason", &rec.failure_reason);
    put(&mut out, "FileName", &rec.file_name);
    put(&mut out, "OperationType", &rec.operation_type);
    Value::Object(out)
}

/// `BulkJobResult`.
pub fn result(rec: &BulkResultRecord) -> Value {
    let mut out = Map::new();
    out.insert("RequestId".into(), json!(rec.request_id));
    out.insert("Status".into(), json!(rec.status));
    put(&mut out, "ResourceIdentifier", &rec.resource_identifier);
    put(&mut out, "ErrorCode", &rec.error_code);
    put(&mut out, "ErrorMessage", &rec.error_message);
    Value::Object(out)
}
