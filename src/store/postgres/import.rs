//! A state import's bulk on PostgreSQL: the opportunities and AWS summaries of a document,
//! held back by [`Tx::import_opportunity`](super::super::Tx::import_opportunity) and
//! [`Tx::import_aws_summary`](super::super::Tx::import_aws_summary) and written [`BATCH`] to
//! a statement, with their search entries. One statement per record (five round trips with
//! its search entry) made the import's whole cost: about 1,000 records/s.
//!
//! **SQL used**: multi-row `INSERT … VALUES (…), (…)` with `ON CONFLICT … DO NOTHING
//! RETURNING id` (a repeated id is the one row not returned, so the error can say where it
//! is) and `ON CONFLICT … DO UPDATE`, and `column = ANY($n)` over a text array, all of which
//! CockroachDB and YugabyteDB offer too. `COPY … FROM STDIN` would be faster still, but it
//! cannot skip a repeated id and say which record repeated it (the whole copy fails), and
//! CockroachDB offers it with restrictions; a batch of a few hundred rows already makes the
//! round trips a small part of the cost.
//!
//! Everything held is written before the import reads or writes anything else (it calls
//! `flush_import` first) and at its end, inside the import's one transaction: a failure
//! anywhere still rolls back everything.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Param, PgTx, doc_at, to_json};
use crate::domain::opportunity_search::{self, Entry};
use crate::store::{AwsSummaryRecord, OpportunityRecord, Repeated, Scope, StoreError, TagsRecord};

/// Records one statement writes at most (13 parameters each for an opportunity: 6,500 of
/// PostgreSQL's 65,535).
pub(super) const BATCH: usize = 500;

/// What an import holds back, all of one scope.
#[derive(Default)]
pub(super) struct Pending {
    scope: Option<Scope>,
    opportunities: Vec<Held>,
    summaries: Vec<AwsSummaryRecord>,
}

impl Pending {
    pub(super) fn is_empty(&self) -> bool {
        self.opportunities.is_empty() && self.summaries.is_empty()
    }
}

/// An opportunity held back, with its rendered listing and where it is in the document.
struct Held {
    rec: OpportunityRecord,
    listing: String,
    at: String,
}

/// `($1, $2, …), (…)`: placeholders for `rows` rows of `columns` values.
fn placeholders(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&(r * columns + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

impl PgTx<'_> {
    /// Makes `scope` the scope of what is held, writing what another scope left first.
    fn hold_for(&mut self, scope: &Scope) -> Result<Option<Repeated>, StoreError> {
        if self.pending.scope.as_ref() == Some(scope) {
            return Ok(None);
        }
        let repeated = self.flush_pending()?;
        self.pending.scope = Some(scope.clone());
        Ok(repeated)
    }

    pub(super) fn hold_opportunity(
        &mut self,
        scope: &Scope,
        rec: OpportunityRecord,
        listing: String,
        at: &str,
    ) -> Result<Option<Repeated>, StoreError> {
        if let Some(r) = self.hold_for(scope)? {
            return Ok(Some(r));
        }
        self.pending.opportunities.push(Held {
            rec,
            listing,
            at: at.to_string(),
        });
        if self.pending.opportunities.len() >= BATCH {
            return self.flush_pending();
        }
        Ok(None)
    }

    pub(super) fn hold_aws_summary(
        &mut self,
        scope: &Scope,
        rec: AwsSummaryRecord,
    ) -> Result<Option<Repeated>, StoreError> {
        if let Some(r) = self.hold_for(scope)? {
            return Ok(Some(r));
        }
        self.pending.summaries.push(rec);
        if self.pending.summaries.len() >= BATCH {
            return self.flush_pending();
        }
        Ok(None)
    }

    /// Writes everything held (opportunities first, so that a summary's search entry finds
    /// its opportunity); the first opportunity that repeated an id, if one did. Nothing is
    /// held afterwards, whatever the outcome.
    pub(super) fn flush_pending(&mut self) -> Result<Option<Repeated>, StoreError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let Some(scope) = self.pending.scope.clone() else {
            return Ok(None);
        };
        let held = std::mem::take(&mut self.pending.opportunities);
        let summaries = std::mem::take(&mut self.pending.summaries);
        for chunk in held.chunks(BATCH) {
            if let Some(r) = self.write_opportunities(&scope, chunk)? {
                return Ok(Some(r));
            }
        }
        for chunk in summaries.chunks(BATCH) {
            self.write_summaries(&scope, chunk)?;
        }
        Ok(None)
    }

    fn write_opportunities(
        &mut self,
        scope: &Scope,
        held: &[Held],
    ) -> Result<Option<Repeated>, StoreError> {
        if held.is_empty() {
            return Ok(None);
        }
        // The columns computed from each record: stage, review status, company name, target
        // close date, title, document.
        let computed = held
            .iter()
            .map(|h| {
                let text = |p: &str| h.rec.text(p).unwrap_or("").to_string();
                Ok([
                    text("LifeCycle.Stage"),
                    text("LifeCycle.ReviewStatus"),
                    text("Customer.Account.CompanyName"),
                    text("LifeCycle.TargetCloseDate"),
                    text("Project.Title"),
                    to_json(&h.rec)?,
                ])
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut params: Vec<Param<'_>> = Vec::with_capacity(held.len() * 13);
        for (h, c) in held.iter().zip(&computed) {
            params.extend([
                &scope.account as Param<'_>,
                &scope.catalog,
                &h.rec.id,
                &h.rec.num,
                &h.rec.created_date,
                &h.rec.last_modified_date,
                &c[0],
                &c[1],
                &c[2],
                &c[3],
                &c[4],
                &c[5],
                &h.listing,
            ]);
        }
        let sql = format!(
            "INSERT INTO opportunities (account, catalog, id, num, created, last_modified, stage,
               review_status, company_name, target_close_date, title, doc, listing)
             VALUES {} ON CONFLICT (account, catalog, id) DO NOTHING RETURNING id",
            placeholders(held.len(), 13)
        );
        let rows = self.query(&sql, &params)?;
        if rows.len() < held.len() {
            // Some id was stored already, or twice in this batch: the first record whose id
            // was not inserted (or was, by an earlier record of the batch) repeats it.
            let mut inserted: HashMap<&str, usize> = HashMap::new();
            for row in &rows {
                *inserted.entry(row.try_get(0)?).or_default() += 1;
            }
            for h in held {
                match inserted.get_mut(h.rec.id.as_str()) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => {
                        return Ok(Some(Repeated {
                            at: h.at.clone(),
                            id: h.rec.id.clone(),
                        }));
                    }
                }
            }
        }
        let recs: Vec<&OpportunityRecord> = held.iter().map(|h| &h.rec).collect();
        self.index_batch(scope, &recs)?;
        Ok(None)
    }

    fn write_summaries(
        &mut self,
        scope: &Scope,
        summaries: &[AwsSummaryRecord],
    ) -> Result<(), StoreError> {
        // One statement may not write a row twice: of one opportunity's summaries, the last.
        let mut seen = HashSet::new();
        let mut latest: Vec<&AwsSummaryRecord> = summaries
            .iter()
            .rev()
            .filter(|s| seen.insert(s.opportunity_id.as_str()))
            .collect();
        latest.reverse();
        let docs = latest.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
        let mut params: Vec<Param<'_>> = Vec::with_capacity(latest.len() * 4);
        for (s, doc) in latest.iter().zip(&docs) {
            params.extend([
                &scope.account as Param<'_>,
                &scope.catalog,
                &s.opportunity_id,
                doc,
            ]);
        }
        let sql = format!(
            "INSERT INTO aws_summaries (account, catalog, id, doc) VALUES {}
             ON CONFLICT (account, catalog, id)
             DO UPDATE SET doc = EXCLUDED.doc, rid = nextval('row_ids')",
            placeholders(latest.len(), 4)
        );
        self.exec(&sql, &params)?;
        // Their opportunities' search entries (those stored yet; the others are indexed
        // when they come).
        let ids: Vec<&str> = latest.iter().map(|s| s.opportunity_id.as_str()).collect();
        let rows = self.query(
            "SELECT doc FROM opportunities WHERE account = $1 AND catalog = $2 AND id = ANY($3)",
            &[&scope.account, &scope.catalog, &ids],
        )?;
        let recs = rows
            .iter()
            .map(|r| doc_at::<OpportunityRecord>(r, 0))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&OpportunityRecord> = recs.iter().collect();
        self.index_batch(scope, &refs)
    }

    /// Writes the search entries of `recs` (distinct ids), from their stored AWS summaries and
    /// tags: three statements for the batch.
    fn index_batch(
        &mut self,
        scope: &Scope,
        recs: &[&OpportunityRecord],
    ) -> Result<(), StoreError> {
        if recs.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = recs.iter().map(|r| r.id.as_str()).collect();
        let mut summaries: HashMap<String, AwsSummaryRecord> = HashMap::new();
        for row in self.query(
            "SELECT id, doc FROM aws_summaries WHERE account = $1 AND catalog = $2
               AND id = ANY($3)",
            &[&scope.account, &scope.catalog, &ids],
        )? {
            summaries.insert(row.try_get(0)?, doc_at(&row, 1)?);
        }
        // Tags under every ARN naming the opportunity, oldest ARN first (as
        // `opportunity_tags`).
        let suffix = |id: &str| format!(":catalog/{}/opportunity/{id}", scope.catalog);
        let suffixes: Vec<String> = ids.iter().map(|id| suffix(id)).collect();
        let by_suffix: HashMap<&str, &str> = suffixes
            .iter()
            .map(String::as_str)
            .zip(ids.iter().copied())
            .collect();
        let mut tags: HashMap<&str, Vec<Value>> = HashMap::new();
        for row in self.query(
            "SELECT id, doc FROM tags WHERE account = $1 AND catalog = $2
               AND substr(id, position(':catalog/' IN id)) = ANY($3) ORDER BY id",
            &[&scope.account, &scope.catalog, &suffixes],
        )? {
            let arn: &str = row.try_get(0)?;
            let owner = arn
                .find(":catalog/")
                .and_then(|at| by_suffix.get(&arn[at..]).copied());
            if let Some(id) = owner {
                let rec: TagsRecord = doc_at(&row, 1)?;
                tags.entry(id).or_default().extend(rec.tags);
            }
        }
        let entries: Vec<Entry> = recs
            .iter()
            .map(|r| {
                let t = tags.get(r.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                opportunity_search::entry(r, summaries.get(&r.id), t)
            })
            .collect();
        self.put_search_entries(scope, &entries)
    }

    /// Inserts or replaces the search entries (distinct ids) in one statement (one entry: the
    /// write of one opportunity).
    pub(super) fn put_search_entries(
        &self,
        scope: &Scope,
        entries: &[Entry],
    ) -> Result<(), StoreError> {
        let folded = |v: &Option<String>| v.as_deref().map(opportunity_search::fold);
        let columns = entries
            .iter()
            .map(|e| {
                Ok((
                    [
                        folded(&e.stage),
                        folded(&e.review_status),
                        folded(&e.opportunity_type),
                        folded(&e.origin),
                        folded(&e.country_code),
                        folded(&e.industry),
                        folded(&e.engagement_score),
                        folded(&e.cosell_motion),
                    ],
                    e.keyword_document(),
                    to_json(e)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut params: Vec<Param<'_>> = Vec::with_capacity(entries.len() * 14);
        for (e, (f, keywords, entry)) in entries.iter().zip(&columns) {
            params.extend([&scope.account as Param<'_>, &scope.catalog, &e.id]);
            params.extend(f.iter().map(|v| v as Param<'_>));
            params.extend([&e.estimated_mrr as Param<'_>, keywords, entry]);
        }
        let sql = format!(
            "INSERT INTO opportunity_search (account, catalog, id, stage, review_status,
               opportunity_type, origin, country_code, industry, engagement_score, cosell_motion,
               estimated_mrr, keywords, entry)
             VALUES {} ON CONFLICT (account, catalog, id) DO UPDATE SET stage = EXCLUDED.stage,
               review_status = EXCLUDED.review_status,
               opportunity_type = EXCLUDED.opportunity_type, origin = EXCLUDED.origin,
               country_code = EXCLUDED.country_code, industry = EXCLUDED.industry,
               engagement_score = EXCLUDED.engagement_score,
               cosell_motion = EXCLUDED.cosell_motion, estimated_mrr = EXCLUDED.estimated_mrr,
               keywords = EXCLUDED.keywords, entry = EXCLUDED.entry",
            placeholders(entries.len(), 14)
        );
        self.exec(&sql, &params)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(placeholders(2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(1, 1), "($1)");
    }
}
