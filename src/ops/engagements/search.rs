//! SearchEngagements' fields (placeholder until the search engine lands).

use serde_json::Value;

use crate::ops::ServiceError;
use crate::store::EngagementRecord;

pub fn search(
    records: Vec<EngagementRecord>,
    _input: &Value,
) -> Result<Vec<EngagementRecord>, ServiceError> {
    Ok(records)
}

pub fn check_filter(_filter: &Value) -> Result<(), ServiceError> {
    Ok(())
}
