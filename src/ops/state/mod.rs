//! The whole state as one versioned document: export, and a checked import that replaces
//! everything or changes nothing (`GET|PUT /_admin/state`, `--seed`). Both stream: an export
//! is written from the stored records as they are, an import is read, checked and written
//! record by record (`import`), so neither holds the document in memory.
//!
//! The document: `{"format": "partnercentral-local/state", "version": 3,
//! "nextOpportunityNumber": N, "scopes": [{"accountId", "catalog", "opportunities",
//! "awsSummaries", "solutions", "tasks", "idempotency", "snapshotJobs", "tags",
//! "sellingSettings", "customerAccounts"}], "catalogs": [{"catalog", "engagements", "invitations", "snapshots"}]}`
//! (version 1: no `catalogs`; version 2: no snapshots, jobs, tags or settings; both still load).

mod check;
mod import;

pub use import::{Counts, ImportError};

use super::{Service, ServiceError};
use crate::store::Store;

/// Prepares an export: the brief part, which writers may wait for (see [`Store::Snapshot`]).
pub fn prepare_export<S: Store>(svc: &Service<S>) -> Result<S::Snapshot, ServiceError> {
    Ok(svc.store.snapshot()?)
}

/// Writes everything stored, as a state document in JSON, to `out`, read from one prepared
/// snapshot. A failing `out` (the client went away) stops the export.
pub fn export<S: Store>(
    snapshot: S::Snapshot,
    out: &mut dyn std::io::Write,
) -> Result<(), ServiceError> {
    S::read_snapshot(snapshot, |tx| tx.export_json(out))?;
    Ok(())
}

/// Replaces everything stored with the state document `reader` yields, read as a stream
/// and checked record by record in one transaction: any error anywhere changes nothing.
pub fn import<S: Store>(
    svc: &Service<S>,
    reader: impl std::io::Read,
) -> Result<Counts, ImportError> {
    let counts = svc.store.transaction(|tx| {
        tx.reset(None, None)?;
        let mut de = serde_json::Deserializer::from_reader(reader);
        let counts = import::Importer::new(svc.model, &svc.region, tx).run(&mut de)?;
        // A bulk load leaves the search index's text index in many small segments.
        tx.compact_search_index()?;
        tx.clear_events()?;
        Ok::<_, ImportError>(counts)
    })?;
    svc.summaries.clear();
    svc.events.clear();
    Ok(counts)
}
