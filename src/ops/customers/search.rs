//! SearchCustomerAccounts' and GetCustomerAccountStatistics' fields: the model's filter keys,
//! sort keys and aggregatable fields over an account and its matching outcome.

use chrono::{DateTime, Utc};

use super::matching::Outcome;
use crate::domain::search::{Field, Kind, Scalar};
use crate::ops::common::str_at;
use crate::store::CustomerAccountRecord;

/// An account as search sees it: its record and what matching made of it now.
pub struct Resolved {
    pub rec: CustomerAccountRecord,
    pub outcome: Outcome,
}

fn text(v: Option<&str>) -> Vec<Scalar> {
    v.map(|s| Scalar::Text(s.to_string())).into_iter().collect()
}

fn enrichment<'r>(r: &'r Resolved, path: &str) -> Option<&'r str> {
    r.outcome.enrichment.as_ref().and_then(|e| str_at(e, path))
}

fn date(v: &str) -> Vec<Scalar> {
    chrono::DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|d| Scalar::Date(d.with_timezone(&Utc) as DateTime<Utc>))
        .into_iter()
        .collect()
}

type Values = fn(&Resolved) -> Vec<Scalar>;

const fn field(
    name: &'static str,
    kind: Kind,
    multi: bool,
    sortable: bool,
    values: Values,
) -> Field<Resolved> {
    Field {
        name,
        kind,
        multi,
        sortable,
        values,
    }
}

static FIELDS: [Field<Resolved>; 15] = [
    field("ENRICHMENT_STATUS", Kind::Text, false, false, |r| {
        vec![Scalar::Text(r.outcome.status.clone())]
    }),
    field("COMPANY_NAME", Kind::Text, false, true, |r| {
        text(str_at(&r.rec.account, "CompanyName"))
    }),
    field("AWS_INDUSTRY", Kind::Text, false, false, |r| {
        text(enrichment(r, "Customer.Industry"))
    }),
    field(
        "ACCOUNT_PLANNING_QUALIFICATION",
        Kind::Text,
        false,
        false,
        |r| {
            text(enrichment(
                r,
                "Customer.CustomerAccountPlanningQualification",
            ))
        },
    ),
    field("PROGRAM_ELIGIBILITY", Kind::Text, true, false, |r| {
        r.outcome
            .enrichment
            .as_ref()
            .and_then(|e| e.pointer("/Customer/EligiblePrograms"))
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(|s| Scalar::Text(s.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }),
    field("IMPORT_ID", Kind::Text, false, false, |r| {
        text(r.rec.import_id.as_deref())
    }),
    field("CREATED_DATE", Kind::Date, false, true, |r| {
        date(&r.rec.created_date)
    }),
    field("LAST_MODIFIED_DATE", Kind::Date, false, true, |r| {
        date(&r.rec.last_modified_date)
    }),
    field("GEO", Kind::Text, false, false, |r| {
        text(enrichment(r, "Customer.Geo"))
    }),
    field("COUNTRY", Kind::Text, false, false, |r| {
        text(enrichment(r, "Customer.Country"))
    }),
    field("SEGMENT", Kind::Text, false, false, |r| {
        text(enrichment(r, "Customer.Segment"))
    }),
    field("REGION", Kind::Text, false, false, |r| {
        text(enrichment(r, "Customer.Region"))
    }),
    field("SOLUTION_CATEGORY", Kind::Text, false, false, |r| {
        text(enrichment(r, "Insights.SolutionCategory"))
    }),
    field(
        "MARKETPLACE_ENGAGEMENT_SCORE",
        Kind::Text,
        false,
        true,
        |r| text(enrichment(r, "Insights.MarketplaceEngagementScore")),
    ),
    field("SOLUTION_SCORE", Kind::Text, false, true, |r| {
        text(enrichment(r, "Insights.SolutionScore"))
    }),
];

pub fn fields() -> &'static [Field<Resolved>] {
    &FIELDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    #[test]
    fn the_table_covers_the_models_filter_sort_and_aggregation_keys() {
        let model = Model::get();
        let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        for shape in ["FilterableField", "AggregatableField", "SortableField"] {
            if model.shape_id(shape).is_none() {
                continue;
            }
            for v in model.enum_values(shape) {
                assert!(names.contains(&v.as_str()), "{shape}: {v}");
            }
        }
        let sortable: Vec<&str> = FIELDS
            .iter()
            .filter(|f| f.sortable)
            .map(|f| f.name)
            .collect();
        let mut wanted: Vec<&str> = model
            .enum_values("SortableField")
            .iter()
            .map(String::as_str)
            .collect();
        wanted.sort_unstable();
        let mut got = sortable.clone();
        got.sort_unstable();
        assert_eq!(got, wanted);
    }
}
