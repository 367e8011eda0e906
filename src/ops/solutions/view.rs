//! Solution records rendered as `SolutionBase` entries.

use serde_json::{Value, json};

use crate::ops::Context;
use crate::store::SolutionRecord;

/// The id of the solution every account has.
pub const SAMPLE_SOLUTION_ID: &str = "S-1234567";

/// The solution every account has, as a record.
pub(crate) fn sample() -> SolutionRecord {
    let doc = json!({
        "Id": SAMPLE_SOLUTION_ID,
        "Name": "Sample Solution",
        "Status": "Active",
        "Category": "Compute",
        "CreatedDate": "2024-01-01T00:00:00.000Z"
    });
    SolutionRecord {
        id: SAMPLE_SOLUTION_ID.to_string(),
        doc: doc.as_object().cloned().unwrap_or_default(),
    }
}

/// A solution as ListSolutions shows it.
pub(crate) fn solution(ctx: &Context, rec: SolutionRecord) -> Value {
    let mut doc = rec.doc;
    doc.insert("Catalog".into(), json!(ctx.catalog));
    Value::Object(doc)
}
