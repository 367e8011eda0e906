//! Solution records rendered as `SolutionBase` entries.

use serde_json::{Value, json};

use crate::ops::Context;
use crate::store::SolutionRecord;

/// The id of the solution every account has (this emulator's first sample).
pub const SAMPLE_SOLUTION_ID: &str = "S-1234567";
/// The sample solution every real Sandbox account has, which AWS's own sample scripts use
/// (captured 2025-11).
pub const SANDBOX_SAMPLE_SOLUTION_ID: &str = "S-0059717";

/// The solutions every account has, as records.
pub(crate) fn samples() -> [SolutionRecord; 2] {
    let record = |id: &str, created: &str| {
        let doc = json!({
            "Id": id,
            "Name": "Sample Solution",
            "Status": "Active",
            "Category": "Compute",
            "CreatedDate": created
        });
        SolutionRecord {
            id: id.to_string(),
            doc: doc.as_object().cloned().unwrap_or_default(),
        }
    };
    [
        record(SANDBOX_SAMPLE_SOLUTION_ID, "2024-10-25T18:00:00Z"),
        record(SAMPLE_SOLUTION_ID, "2024-01-01T00:00:00.000Z"),
    ]
}

/// A solution as ListSolutions shows it.
pub(crate) fn solution(ctx: &Context, rec: SolutionRecord) -> Value {
    let mut doc = rec.doc;
    doc.insert("Catalog".into(), json!(ctx.catalog));
    // The ARN AWS answers (captured; the model's `SolutionArn` pattern does not match it).
    if !doc.contains_key("Arn") {
        doc.insert(
            "Arn".into(),
            json!(format!(
                "arn:aws:partnercentral:{}:{}:catalog/{}/solution/{}",
                ctx.region, ctx.account, ctx.catalog, rec.id
            )),
        );
    }
    Value::Object(doc)
}
