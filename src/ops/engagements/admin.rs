//! What the control plane does for engagements, playing AWS: the engagement groups AWS
//! curates (ListEngagementGroups, SearchEngagements' `GroupId`) and the insights prospecting
//! returns. Both are fixtures per catalog, kept with the settings (like partner profiles):
//! they survive restarts and resets, and are not part of state documents.
//!
//! A group: `{"Id"?, "Name", "Description"?, "ReadinessLevel"?, "EngagementIds"?, "Filter"?}`;
//! its engagements are those a caller is a member of that it names and whose search filter
//! (SearchEngagements' `Filter` tree) they match.

use serde_json::{Map, Value, json};

use super::search;
use crate::domain::{ids, time};
use crate::model::validate::Code;
use crate::ops::common::{check_shape, str_at};
use crate::ops::{Context, Service, ServiceError};
use crate::store::{EngagementRecord, Store, Tx};

fn groups_setting(catalog: &str) -> String {
    format!("engagementGroups:{catalog}")
}

fn prospecting_setting(catalog: &str) -> String {
    format!("prospecting:{catalog}")
}

fn read_json(tx: &dyn Tx, name: &str, default: Value) -> Result<Value, ServiceError> {
    Ok(match tx.setting(name)? {
        Some(text) if !text.is_empty() => serde_json::from_str(&text)
            .map_err(|e| ServiceError::Store(crate::store::StoreError::Corrupt(e)))?,
        _ => default,
    })
}

fn bad(field: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, Code::InvalidValue, message)
}

/// The groups of a catalog, as configured.
pub fn groups(tx: &dyn Tx, catalog: &str) -> Result<Vec<Value>, ServiceError> {
    Ok(read_json(tx, &groups_setting(catalog), json!([]))?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The engagements of `records` that belong to group `g`.
pub fn members_of(
    g: &Value,
    records: Vec<EngagementRecord>,
) -> Result<Vec<EngagementRecord>, ServiceError> {
    let named: Option<Vec<&str>> = g
        .get("EngagementIds")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect());
    let records: Vec<EngagementRecord> = records
        .into_iter()
        .filter(|e| {
            named
                .as_ref()
                .is_none_or(|ids| ids.contains(&e.id.as_str()))
        })
        .collect();
    match g.get("Filter") {
        Some(filter) => search::search(records, &json!({"Filter": filter})),
        None => Ok(records),
    }
}

/// A ListEngagementGroups entry.
pub fn summary(ctx: &Context, g: &Value, count: usize) -> Value {
    let id = str_at(g, "Id").unwrap_or_default();
    let mut out = json!({
        "Id": id,
        "Arn": ids::engagement_group_arn(&ctx.region, &ctx.catalog, id),
        "Catalog": ctx.catalog,
        "Count": count,
    });
    for member in ["Name", "Description", "ReadinessLevel", "UpdatedAt"] {
        if let Some(v) = g.get(member) {
            out[member] = v.clone();
        }
    }
    out
}

const GROUP_MEMBERS: [&str; 6] = [
    "Id",
    "Name",
    "Description",
    "ReadinessLevel",
    "EngagementIds",
    "Filter",
];

/// Replaces the groups of a catalog (`{"Groups": [...]}`); answers them as stored.
pub fn put_groups<S: Store>(
    svc: &Service<S>,
    catalog: &str,
    body: &Map<String, Value>,
) -> Result<Value, ServiceError> {
    let Some(list) = body.get("Groups").and_then(Value::as_array) else {
        return Err(bad("Groups", "the body needs 'Groups': a list of groups"));
    };
    let now = time::format(svc.clock.now());
    let mut stored = Vec::new();
    for (i, g) in list.iter().enumerate() {
        let at = format!("Groups[{i}]");
        let Some(g) = g.as_object() else {
            return Err(bad(&at, format!("{at} must be an object")));
        };
        if let Some(k) = g.keys().find(|k| !GROUP_MEMBERS.contains(&k.as_str())) {
            return Err(bad(
                &format!("{at}.{k}"),
                format!(
                    "{k} is not a member of a group; members: {}",
                    GROUP_MEMBERS.join(", ")
                ),
            ));
        }
        let id = match g.get("Id") {
            Some(v) => v.as_str().unwrap_or_default().to_string(),
            None => format!("eng-grp-{}", ids::random_suffix(14)),
        };
        let mut out = Map::new();
        out.insert("Id".into(), json!(id));
        for m in ["Name", "Description", "ReadinessLevel"] {
            if let Some(v) = g.get(m) {
                out.insert(m.into(), v.clone());
            }
        }
        out.insert("UpdatedAt".into(), json!(now));
        check_shape(
            svc.model,
            "EngagementGroupSummary",
            &Value::Object(out.clone()),
        )
        .map_err(|e| prefix(e, &at))?;
        if !out.contains_key("Name") {
            return Err(bad(&format!("{at}.Name"), format!("{at}.Name is required")));
        }
        if stored
            .iter()
            .any(|s: &Value| str_at(s, "Id") == Some(id.as_str()))
        {
            return Err(bad(
                &format!("{at}.Id"),
                format!("group {id} is listed twice"),
            ));
        }
        if let Some(ids) = g.get("EngagementIds") {
            let ok = ids.as_array().is_some_and(|l| {
                l.iter()
                    .all(|v| v.as_str().is_some_and(|s| s.starts_with("eng-")))
            });
            if !ok {
                return Err(bad(
                    &format!("{at}.EngagementIds"),
                    "EngagementIds must be a list of engagement ids",
                ));
            }
            out.insert("EngagementIds".into(), ids.clone());
        }
        if let Some(filter) = g.get("Filter") {
            check_shape(svc.model, "EngagementSearchFilter", filter)
                .map_err(|e| prefix(e, &format!("{at}.Filter")))?;
            search::check_filter(filter).map_err(|e| prefix(e, &at))?;
            out.insert("Filter".into(), filter.clone());
        }
        stored.push(Value::Object(out));
    }
    let value = Value::Array(stored);
    let text = value.to_string();
    svc.store
        .transaction(|tx| tx.put_setting(&groups_setting(catalog), &text))?;
    Ok(json!({"Groups": value}))
}

/// Puts `at` in front of the fields an error names.
fn prefix(e: ServiceError, at: &str) -> ServiceError {
    match e {
        ServiceError::Invalid(v) => ServiceError::Invalid(
            v.into_iter()
                .map(|mut f| {
                    f.field = if f.field.is_empty() {
                        at.to_string()
                    } else {
                        format!("{at}.{}", f.field)
                    };
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

/// The prospecting fixtures of a catalog (`{}` when none were put).
pub fn prospecting(tx: &dyn Tx, catalog: &str) -> Result<Value, ServiceError> {
    read_json(tx, &prospecting_setting(catalog), json!({}))
}

/// Replaces the prospecting fixtures of a catalog: `{"Customer"?, "Insights"?,
/// "Engagements"?: {"eng-…": {"Customer"?, "Insights"?, "ReasonCode"?, "Message"?}}}` —
/// what every prospected engagement gets, and per engagement what it gets instead (or why it
/// fails).
pub fn put_prospecting<S: Store>(
    svc: &Service<S>,
    catalog: &str,
    body: &Map<String, Value>,
) -> Result<Value, ServiceError> {
    let check = |v: &Map<String, Value>, at: &str, extra: &[&str]| -> Result<(), ServiceError> {
        for (k, val) in v {
            match k.as_str() {
                "Customer" => check_shape(svc.model, "ProspectingResultCustomer", val)
                    .map_err(|e| prefix(e, &format!("{at}Customer")))?,
                "Insights" => check_shape(svc.model, "ProspectingInsights", val)
                    .map_err(|e| prefix(e, &format!("{at}Insights")))?,
                other if extra.contains(&other) => {
                    if !val.is_string() && !val.is_object() {
                        return Err(bad(
                            &format!("{at}{other}"),
                            format!("{other} has the wrong type"),
                        ));
                    }
                }
                other => {
                    return Err(bad(
                        &format!("{at}{other}"),
                        format!("{other} is not a member of prospecting fixtures"),
                    ));
                }
            }
        }
        Ok(())
    };
    check(body, "", &["Engagements"])?;
    if let Some(per) = body.get("Engagements") {
        let Some(per) = per.as_object() else {
            return Err(bad(
                "Engagements",
                "Engagements must map engagement ids to results",
            ));
        };
        for (id, v) in per {
            let Some(v) = v.as_object() else {
                return Err(bad(
                    &format!("Engagements.{id}"),
                    "each entry must be an object",
                ));
            };
            check(v, &format!("Engagements.{id}."), &["ReasonCode", "Message"])?;
        }
    }
    let value = Value::Object(body.clone());
    let text = value.to_string();
    svc.store
        .transaction(|tx| tx.put_setting(&prospecting_setting(catalog), &text))?;
    Ok(value)
}

/// Removes the prospecting fixtures of a catalog.
pub fn clear_prospecting<S: Store>(svc: &Service<S>, catalog: &str) -> Result<Value, ServiceError> {
    svc.store
        .transaction(|tx| tx.put_setting(&prospecting_setting(catalog), ""))?;
    Ok(json!({}))
}

/// Removes the groups of a catalog.
pub fn clear_groups<S: Store>(svc: &Service<S>, catalog: &str) -> Result<Value, ServiceError> {
    svc.store
        .transaction(|tx| tx.put_setting(&groups_setting(catalog), ""))?;
    Ok(json!({"Groups": []}))
}

/// The `Aws` part of a prospecting result for a lead context: the fixtures' customer and
/// insights when set (per engagement first), else what the lead itself says, with
/// deterministic scores.
pub fn prospecting_result(
    lead: &Value,
    fixtures: &Value,
    forced: Option<&Value>,
) -> Map<String, Value> {
    let customer = lead
        .pointer("/Payload/Lead/Customer")
        .cloned()
        .unwrap_or(json!({}));
    let pick = |member: &str| {
        forced
            .and_then(|f| f.get(member))
            .or_else(|| fixtures.get(member))
            .cloned()
    };
    let derived_customer = {
        let mut c = Map::new();
        if let Some(n) = customer.get("CompanyName") {
            c.insert("AccountName".into(), n.clone());
        }
        if let Some(v) = customer
            .pointer("/Address/CountryCode")
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            c.insert("Country".into(), v.clone());
        }
        if let Some(v) = customer
            .get("Industry")
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            c.insert("Industry".into(), v.clone());
        }
        if let Some(v) = customer
            .get("MarketSegment")
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            c.insert("Segment".into(), v.clone());
        }
        Value::Object(c)
    };
    let name = str_at(&customer, "CompanyName").unwrap_or_default();
    // Deterministic: the same company always scores the same.
    let score = ["Low", "Medium", "High"][name.bytes().map(usize::from).sum::<usize>() % 3];
    let derived_insights = json!({"MarketplaceEngagementScore": score,
        "SolutionScore": score, "SolutionCategory": "Analytics"});
    let mut aws = Map::new();
    aws.insert(
        "Customer".into(),
        pick("Customer").unwrap_or(derived_customer),
    );
    aws.insert(
        "Insights".into(),
        pick("Insights").unwrap_or(derived_insights),
    );
    aws
}
