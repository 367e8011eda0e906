//! SearchOpportunities: the opportunity field table (one entry per value of the model's
//! `OpportunitySearchFilterName`; sortable = `OpportunitySearchSortName`, which is the same
//! list without `AwsMarketplaceSolution`), and the operation, which applies `Keyword`, `Filter`
//! and `Sort` to the caller's opportunities in its catalog and renders a page of
//! `OpportunitySearchSummary`.
//!
//! What each key and the keyword read is [`crate::domain::opportunity_search`]'s (the search
//! entry the store keeps per opportunity); the tree, keyword and sort semantics are
//! [`crate::domain::search`]'s. Decisions:
//!
//! - `Keyword` and `Filter` are ANDed. Kinds: `CreatedDate`, `LastModifiedDate`,
//!   `TargetCloseDate` are dates (`DateValue`), `EstimatedMrr` a double (`DoubleValue` or
//!   `LongValue`), every other key text. Multi-valued (for `ContainsAll`): `ApnPrograms`,
//!   `Tags`, `OfferId`, `OfferSetId`, `AwsMarketplaceSolution`.
//! - Default order: `LastModifiedDate`, newest first (as ListOpportunities); ties by id.
//! - Pages of 20 by default (`MaxResults` 1–100), with an opaque `NextToken` bound to the query,
//!   as the other Search operations.
//! - Gated per account by two feature switches ([`crate::ops::features`]), checked before the
//!   request is read: `SearchOpportunities` (`SEARCH_OPPORTUNITIES_NOT_ENABLED`), then
//!   `SearchDataRouted` (`SEARCH_OPPORTUNITIES_DATA_NOT_ROUTED_TO_DDB`).
//!
//! How it runs: the store returns candidates narrowed by its index — the keyword's trigrams
//! (keywords of 3 characters or more) and the tree's top-level `EqualsTo` predicates on
//! single-valued enumerated keys and `EstimatedMrr` comparisons — and the keyword and the whole
//! tree are evaluated on those candidates, which are then sorted and paged. A search the index
//! cannot narrow (no keyword of 3+ characters, no such predicate) reads every entry of the
//! caller's catalog.

use serde_json::{Value, json};

use super::view;
use crate::domain::opportunity_search::{Entry, date_only, fold};
use crate::domain::search::{self, Field, Kind, Op, Predicate, Scalar, SortSpec, Tree};
use crate::ops::common::rendered_page;
use crate::ops::features::{self, Feature};
use crate::ops::{Context, Service, ServiceError, access};
use crate::protocol::Reply;
use crate::store::{OpportunitySearchQuery, SearchColumn, SearchCondition, Store, Tx};

/// The order when a search does not say: most recently modified first.
pub const DEFAULT_SORT: SortSpec = SortSpec {
    key: "LastModifiedDate",
    descending: true,
};

/// The page size when a search does not say.
const DEFAULT_PAGE: usize = 20;

type Values = fn(&Entry) -> Vec<Scalar>;

const fn field(
    name: &'static str,
    kind: Kind,
    multi: bool,
    sortable: bool,
    values: Values,
) -> Field<Entry> {
    Field {
        name,
        kind,
        multi,
        sortable,
        values,
    }
}

/// A single-valued, sortable text key.
const fn text(name: &'static str, values: Values) -> Field<Entry> {
    field(name, Kind::Text, false, true, values)
}

fn one(v: &Option<String>) -> Vec<Scalar> {
    v.iter().map(|s| Scalar::Text(s.clone())).collect()
}

fn many(v: &[String]) -> Vec<Scalar> {
    v.iter().map(|s| Scalar::Text(s.clone())).collect()
}

static FIELDS: [Field<Entry>; 24] = [
    text("OpportunityId", |e| vec![Scalar::Text(e.id.clone())]),
    text("Stage", |e| one(&e.stage)),
    text("ReviewStatus", |e| one(&e.review_status)),
    text("CustomerCompanyName", |e| one(&e.company_name)),
    field("LastModifiedDate", Kind::Date, false, true, |e| {
        Scalar::date(&e.last_modified).into_iter().collect()
    }),
    field("TargetCloseDate", Kind::Date, false, true, |e| {
        e.target_close_date
            .as_deref()
            .and_then(date_only)
            .map(Scalar::Date)
            .into_iter()
            .collect()
    }),
    field("CreatedDate", Kind::Date, false, true, |e| {
        Scalar::date(&e.created).into_iter().collect()
    }),
    text("CountryCode", |e| one(&e.country_code)),
    text("PartnerProjectTitle", |e| one(&e.title)),
    text("OpportunityType", |e| one(&e.opportunity_type)),
    text("PartnerOpportunityIdentifier", |e| {
        one(&e.partner_opportunity_identifier)
    }),
    text("Industry", |e| one(&e.industry)),
    text("AwsAccountId", |e| one(&e.aws_account_id)),
    field("ApnPrograms", Kind::Text, true, true, |e| {
        many(&e.apn_programs)
    }),
    text("Origin", |e| one(&e.origin)),
    field("Tags", Kind::Text, true, true, |e| many(&e.tags)),
    text("NextStep", |e| one(&e.next_step)),
    field("OfferId", Kind::Text, true, true, |e| many(&e.offers)),
    field("OfferSetId", Kind::Text, true, true, |e| {
        many(&e.offer_sets)
    }),
    field("AwsMarketplaceSolution", Kind::Text, true, false, |e| {
        many(&e.marketplace_solutions)
    }),
    text("CosellMotion", |e| one(&e.cosell_motion)),
    text("OpportunityOwner", |e| one(&e.owner)),
    field("EstimatedMrr", Kind::Double, false, true, |e| {
        e.estimated_mrr.map(Scalar::Number).into_iter().collect()
    }),
    text("EngagementScore", |e| one(&e.engagement_score)),
];

/// The opportunity field table.
pub fn fields() -> &'static [Field<Entry>] {
    &FIELDS
}

/// The index column a single-valued key is kept in, folded, if it is one.
fn column_of(key: &str) -> Option<SearchColumn> {
    Some(match key {
        "Stage" => SearchColumn::Stage,
        "ReviewStatus" => SearchColumn::ReviewStatus,
        "OpportunityType" => SearchColumn::OpportunityType,
        "Origin" => SearchColumn::Origin,
        "CountryCode" => SearchColumn::CountryCode,
        "Industry" => SearchColumn::Industry,
        "EngagementScore" => SearchColumn::EngagementScore,
        "CosellMotion" => SearchColumn::CosellMotion,
        _ => return None,
    })
}

/// What the index can narrow on for one predicate the tree requires.
fn condition(p: &Predicate) -> Option<SearchCondition> {
    let [value] = p.values.as_slice() else {
        return None;
    };
    match (p.key, p.op, value) {
        ("EstimatedMrr", op, Scalar::Number(n)) => {
            let sql = match op {
                Op::EqualsTo => "=",
                Op::GreaterThan => ">",
                Op::GreaterThanOrEquals => ">=",
                Op::LessThan => "<",
                Op::LessThanOrEquals => "<=",
                Op::ContainsAny | Op::ContainsAll => return None,
            };
            Some(SearchCondition::Mrr(sql, *n))
        }
        (key, Op::EqualsTo, Scalar::Text(t)) => {
            column_of(key).map(|c| SearchCondition::TextIs(c, fold(t)))
        }
        _ => None,
    }
}

/// The conditions every match of `tree` meets that the index can narrow on: its predicates
/// at the top (the root, or the nodes of a root `AndAllFilters`).
fn conditions(tree: &Tree) -> Vec<SearchCondition> {
    match tree {
        Tree::Leaf(p) => condition(p).into_iter().collect(),
        Tree::All(nodes) => nodes
            .iter()
            .filter_map(|n| match n {
                Tree::Leaf(p) => condition(p),
                _ => None,
            })
            .collect(),
        Tree::Any(_) | Tree::Not(_) => Vec::new(),
    }
}

/// A request read: its keyword, tree and order.
struct Request<'i> {
    keyword: Option<&'i str>,
    tree: Option<Tree>,
    order: SortSpec,
}

fn read_request(input: &Value) -> Result<Request<'_>, ServiceError> {
    let tree = match input.get("Filter") {
        None | Some(Value::Null) => None,
        Some(filter) => Some(search::parse_in(
            filter,
            fields(),
            "Filter",
            search::WITH_DOUBLE,
        )?),
    };
    let order = match input.get("Sort") {
        None | Some(Value::Null) => DEFAULT_SORT,
        Some(sort) => search::parse_sort(sort, fields())?,
    };
    let keyword = search::parse_keyword(input)?;
    Ok(Request {
        keyword,
        tree,
        order,
    })
}

/// The caller's opportunities matching the request, in its order.
fn matching(tx: &dyn Tx, ctx: &Context, req: &Request<'_>) -> Result<Vec<Entry>, ServiceError> {
    let query = OpportunitySearchQuery {
        keyword: req
            .keyword
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty()),
        conditions: req.tree.as_ref().map(conditions).unwrap_or_default(),
    };
    let mut found: Vec<Entry> = tx
        .search_opportunities(&access::private(ctx), &query)?
        .into_iter()
        .filter(|e| {
            req.keyword
                .is_none_or(|k| search::keyword_matches(&e.keyword_texts(), k))
        })
        .filter(|e| req.tree.as_ref().is_none_or(|t| t.matches(e, fields())))
        .collect();
    search::sort(
        &mut found,
        fields(),
        req.order.key,
        req.order.descending,
        |e| e.id.as_str(),
    );
    Ok(found)
}

/// Admits searches in arrival order, at most one more at once than the machine has cores.
///
/// A search is CPU work of a few milliseconds over a large store. Run all at once (the blocking
/// pool has 8 threads), the OS shares the cores among them and every one of a burst takes as
/// long as the whole burst; admitted first come, first served, each runs at nearly full speed
/// and the slowest answers of a burst come sooner. Measured at 8 connections on 2 cores
/// (bench/README.md, search-opps): p99 111 ms unlimited, 58 ms with one search per core, 50 ms
/// with one more (which keeps the throughput: the extra one covers request parsing and I/O).
struct Gate {
    /// Tickets handed out, and searches finished.
    counts: std::sync::Mutex<(u64, u64)>,
    turn: std::sync::Condvar,
}

static GATE: Gate = Gate {
    counts: std::sync::Mutex::new((0, 0)),
    turn: std::sync::Condvar::new(),
};

/// Its place in the gate; frees it when dropped (also on an error or a panic).
struct Admitted;

impl Gate {
    fn enter(&self) -> Admitted {
        static CORES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let cores = *CORES
            .get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get() as u64) + 1);
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let ticket = counts.0;
        counts.0 += 1;
        while ticket >= counts.1 + cores {
            counts = self
                .turn
                .wait(counts)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        Admitted
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = GATE
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.1 += 1;
        GATE.turn.notify_all();
    }
}

/// SearchOpportunities.
pub fn search<S: Store>(
    svc: &Service<S>,
    ctx: &Context,
    input: &Value,
) -> Result<Reply, ServiceError> {
    let _turn = GATE.enter();
    let page = svc.store.read(|tx| {
        features::require(tx, &ctx.account, &ctx.catalog, Feature::SearchOpportunities)?;
        features::require(tx, &ctx.account, &ctx.catalog, Feature::SearchDataRouted)?;
        let req = read_request(input)?;
        let found = matching(tx, ctx, &req)?;
        let mut page = rendered_page(
            input,
            found,
            DEFAULT_PAGE,
            "OpportunitySearchSummaries",
            |e| json!(e.id),
        )?;
        // Only the page's opportunities are read whole and rendered, in the same snapshot.
        if let Some(Value::Array(items)) = page.get_mut("OpportunitySearchSummaries") {
            let scope = access::private(ctx);
            for item in items.iter_mut() {
                let id = item.as_str().unwrap_or_default().to_string();
                let Some(rec) = tx.get_opportunity(&scope, &id)? else {
                    continue;
                };
                let summary = tx.get_aws_summary(&scope, &id)?;
                let tags = tx.opportunity_tags(&scope, &id)?;
                *item = view::search_summary(ctx, &rec, summary.as_ref(), tags);
            }
        }
        Ok::<_, ServiceError>(page)
    })?;
    Ok(Reply::Doc(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    #[test]
    fn the_table_covers_the_models_filter_and_sort_keys_exactly() {
        let model = Model::get();
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        let mut wanted: Vec<String> = model.enum_values("OpportunitySearchFilterName").to_vec();
        names.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(names, wanted);
        let mut sortable: Vec<&str> = FIELDS
            .iter()
            .filter(|f| f.sortable)
            .map(|f| f.name)
            .collect();
        let mut sort_keys: Vec<String> = model.enum_values("OpportunitySearchSortName").to_vec();
        sortable.sort_unstable();
        sort_keys.sort_unstable();
        assert_eq!(sortable, sort_keys);
    }

    #[test]
    fn only_what_the_tree_requires_narrows_the_index() {
        let tree = search::parse_in(
            &json!({"AndAllFilters": [
                {"EqualsTo": {"Key": "Stage", "Value": {"StringValue": "PROSPECT"}}},
                {"GreaterThan": {"Key": "EstimatedMrr", "Value": {"DoubleValue": 10.5}}},
                {"EqualsTo": {"Key": "PartnerProjectTitle", "Value": {"StringValue": "x"}}},
                {"OrAllFilters": [{"EqualsTo": {"Key": "Stage", "Value": {"StringValue": "Qualified"}}}]}
            ]}),
            fields(),
            "Filter",
            search::WITH_DOUBLE,
        )
        .unwrap();
        assert_eq!(
            conditions(&tree),
            vec![
                SearchCondition::TextIs(SearchColumn::Stage, "prospect".into()),
                SearchCondition::Mrr(">", 10.5),
            ]
        );
        let not = Tree::Not(Box::new(tree));
        assert!(conditions(&not).is_empty());
    }
}
