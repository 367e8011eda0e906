//! The embedded SQLite backend (rusqlite, bundled): a file in the data directory in WAL
//! mode, or the same schema in memory for `--in-memory`.
//!
//! Records are stored as JSON documents beside the columns queries filter and sort on.
//! One writer connection serialises write transactions; reads go through a pool of
//! read-only connections, so that they never wait for a writer or an export (WAL readers
//! see the last commit). `synchronous=NORMAL` in WAL mode makes a committed transaction
//! survive a crash of the process. In memory, the connections share one `memdb` database, and
//! an export reads a private copy of it.
//!
//! The database records its schema version (`PRAGMA user_version`) and is migrated on open;
//! a database from a newer build is refused. A panic inside a transaction rolls it back and
//! leaves the store usable. The data directory is locked (a lock file) for the life of the
//! store, so a second server cannot open it.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    AwsSummaryRecord, BrowseQuery, BrowsedOpportunity, BulkJobRecord, BulkResultRecord,
    CustomerAccountRecord, EngagementRecord, IdempotencyRecord, InvitationQuery, InvitationRecord,
    ListedOpportunity, OpportunityQuery, OpportunityRecord, OpportunitySearchQuery,
    OpportunitySortKey, Role, SETTINGS_ID, STATE_FORMAT, STATE_VERSION, Scope, ScopeSummary,
    SearchColumn, SearchCondition, SellingSettings, SnapshotJobRecord, SnapshotRecord,
    SolutionRecord, Store, StoreError, StoreFacts, TagsRecord, TaskRecord, Tx,
};
use crate::domain::ids::{FIRST_OPPORTUNITY_NUMBER, MAX_OPPORTUNITY_NUMBER};
use serde_json::Value;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "partnercentral-local.sqlite3";
/// File the running server holds locked inside the data directory.
pub const LOCK_FILE: &str = "partnercentral-local.lock";

/// The schema version this build writes. History: 0 = no version recorded (before
/// rendered listings, or with them); 1 = rendered listings; 2 = `settings` (what stored
/// renderings were made with); 3 = `invitations`, `engagements` and the tasks' `due` column;
/// 4 = `engagement_members` (which engagements an account is a member of); 5 = `snapshots`,
/// `snapshot_jobs`, `tags`, `selling_settings`; 6 = `customer_accounts`; 7 = `bulk_jobs`, `bulk_results`; 8 = the opportunity
/// search index (`opportunity_search`, `opportunity_search_text`, `tags_by_resource`; see
/// [`SEARCH_INDEX_VERSION`]).
pub const SCHEMA_VERSION: i64 = 8;

/// The schema version that added the opportunity search index: a database older than it has
/// the index built from its stored opportunities on open (one step of [`migrate`] of its own).
const SEARCH_INDEX_VERSION: i64 = 8;

/// Read-only connections kept for reads (an export opens one of its own). Each keeps its own
/// page cache, so more than the machine can run at once only costs memory.
const READERS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS opportunities (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, num INTEGER NOT NULL,
    created TEXT NOT NULL, last_modified TEXT NOT NULL, stage TEXT NOT NULL,
    review_status TEXT NOT NULL, company_name TEXT NOT NULL, target_close_date TEXT NOT NULL,
    doc TEXT NOT NULL, listing TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS opportunities_by_modified
    ON opportunities (account, catalog, last_modified, num);
CREATE TABLE IF NOT EXISTS aws_summaries (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL, catalog TEXT NOT NULL, operation TEXT NOT NULL, token TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, operation, token)
);
CREATE TABLE IF NOT EXISTS tasks (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, start_time TEXT NOT NULL,
    doc TEXT NOT NULL, due TEXT,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS tasks_by_due ON tasks (due) WHERE due IS NOT NULL;
CREATE TABLE IF NOT EXISTS invitations (
    catalog TEXT NOT NULL, id TEXT NOT NULL, sender TEXT NOT NULL, receiver TEXT NOT NULL,
    status TEXT NOT NULL, payload_type TEXT NOT NULL, invitation_date TEXT NOT NULL,
    expiration_date TEXT,
    engagement_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (catalog, id)
);
CREATE INDEX IF NOT EXISTS invitations_by_receiver ON invitations (catalog, receiver, invitation_date);
CREATE INDEX IF NOT EXISTS invitations_by_sender ON invitations (catalog, sender, invitation_date);
CREATE INDEX IF NOT EXISTS invitations_by_engagement ON invitations (catalog, engagement_id);
CREATE INDEX IF NOT EXISTS invitations_pending ON invitations (expiration_date) WHERE status = 'PENDING';
CREATE TABLE IF NOT EXISTS engagements (
    catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (catalog, id)
);
CREATE TABLE IF NOT EXISTS engagement_members (
    catalog TEXT NOT NULL, account TEXT NOT NULL, engagement_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (catalog, account, engagement_id)
);
CREATE INDEX IF NOT EXISTS engagement_members_by_engagement
    ON engagement_members (catalog, engagement_id);
CREATE INDEX IF NOT EXISTS engagement_members_by_created
    ON engagement_members (catalog, account, created_at, engagement_id);
CREATE TABLE IF NOT EXISTS snapshots (
    catalog TEXT NOT NULL, id TEXT NOT NULL, engagement_id TEXT NOT NULL,
    resource_id TEXT NOT NULL, template TEXT NOT NULL, revision INTEGER NOT NULL,
    payload_hash TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (catalog, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_by_revision
    ON snapshots (catalog, engagement_id, resource_id, template, revision);
CREATE TABLE IF NOT EXISTS snapshot_jobs (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, resource_id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS snapshot_jobs_by_resource
    ON snapshot_jobs (account, catalog, resource_id);
CREATE TABLE IF NOT EXISTS tags (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS customer_accounts (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS selling_settings (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS solutions (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bulk_jobs (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS bulk_jobs_unfinished ON bulk_jobs (created_at)
    WHERE status IN ('SUBMITTED', 'IN_PROGRESS');
CREATE TABLE IF NOT EXISTS bulk_results (
    account TEXT NOT NULL, catalog TEXT NOT NULL, job_id TEXT NOT NULL, seq INTEGER NOT NULL,
    status TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, job_id, seq)
);
CREATE INDEX IF NOT EXISTS bulk_results_by_status
    ON bulk_results (account, catalog, job_id, status, seq);
CREATE TABLE IF NOT EXISTS opportunity_search (
    rid INTEGER PRIMARY KEY,
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL,
    stage TEXT, review_status TEXT, opportunity_type TEXT, origin TEXT, country_code TEXT,
    industry TEXT, engagement_score TEXT, cosell_motion TEXT, estimated_mrr REAL,
    keywords_hash INTEGER NOT NULL, entry TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS opportunity_search_by_id
    ON opportunity_search (account, catalog, id);
CREATE VIRTUAL TABLE IF NOT EXISTS opportunity_search_text USING fts5(
    keywords, content='', contentless_delete=1, tokenize='trigram', detail=none
);
CREATE INDEX IF NOT EXISTS tags_by_resource
    ON tags (account, catalog, substr(id, instr(id, ':catalog/')));
";

pub struct SqliteStore {
    /// Declared (so dropped) before the writer: the last connection to close checkpoints the
    /// WAL and removes it, and only the read-write writer can. A WAL left behind costs the
    /// next start a scan of it (0.5 s after seeding 1,000,000 opportunities).
    readers: Vec<Mutex<Connection>>,
    writer: Mutex<Connection>,
    next_reader: AtomicUsize,
    in_memory: bool,
    /// The database file (none in memory).
    path: Option<std::path::PathBuf>,
    /// Held locked for the store's life (data directory only).
    _lock: Option<File>,
}

/// A lock whose holder panicked still guards a usable connection: the panic unwound through
/// the transaction, which rolled back.
fn relock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits for a lock held by another connection of this store (in memory: a copy for an
/// export; on disk: a checkpoint) in steps of 1 ms, up to 5 s. SQLite's own busy timeout backs
/// off to 100 ms steps, which would keep a writer waiting long after the lock is free.
fn wait_for_lock(attempt: i32) -> bool {
    if attempt >= 5_000 {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(1));
    true
}

/// A connection prepared for one long read: a reader of the database file, or a private copy
/// of the in-memory database.
pub struct Snapshot(Connection);

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Open(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        // SQLite reports a read-only or full directory as a bare I/O error; say what it is.
        let cannot_write = |e: std::io::Error| {
            StoreError::Open(format!(
                "cannot write the data directory {}: {e}",
                dir.display()
            ))
        };
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))
            .map_err(cannot_write)?;
        lock.try_lock().map_err(|_| {
            StoreError::Open(format!(
                "the data directory {} is in use by another partnercentral-local",
                dir.display()
            ))
        })?;
        File::options()
            .create(true)
            .append(true)
            .open(dir.join(DB_FILE))
            .map_err(cannot_write)?;
        let path = dir.join(DB_FILE);
        let writer = Connection::open(&path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        let writer = Self::init_writer(writer)?;
        let readers = Self::readers(|| Self::open_reader(&path))?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            in_memory: false,
            path: Some(path),
            _lock: Some(lock),
        })
    }

    /// A database that lives only in memory (shared by this store's connections).
    pub fn in_memory() -> Result<Self, StoreError> {
        let name = format!(
            "file:/partnercentral-local-{}?vfs=memdb",
            uuid::Builder::from_random_bytes(rand::random()).into_uuid()
        );
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let writer = Self::init_writer(Connection::open_with_flags(&name, flags)?)?;
        let readers = Self::readers(|| Connection::open_with_flags(&name, flags))?;
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            in_memory: true,
            path: None,
            _lock: None,
        })
    }

    fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
        Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    }

    /// The pool of reader connections, each made by `open` and refused writes.
    fn readers(
        open: impl Fn() -> rusqlite::Result<Connection>,
    ) -> Result<Vec<Mutex<Connection>>, StoreError> {
        (0..READERS)
            .map(|_| {
                let conn = open()?;
                conn.busy_handler(Some(wait_for_lock))?;
                conn.pragma_update(None, "query_only", true)?;
                Ok(Mutex::new(conn))
            })
            .collect()
    }

    fn init_writer(mut conn: Connection) -> Result<Connection, StoreError> {
        conn.busy_handler(Some(wait_for_lock))?;
        migrate(&mut conn)?;
        Ok(conn)
    }

    /// A free reader, or the next one in turn when all are busy.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            match r.try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        relock(&self.readers[i])
    }

    /// The schema version of an open database.
    fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
        Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

fn table_exists(conn: &Connection, table: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .exists([table])?)
}

/// Brings a database to [`SCHEMA_VERSION`] in one transaction, or refuses a newer one.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version = SqliteStore::schema_version(conn)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Open(format!(
            "the data directory was written by a newer partnercentral-local (schema version \
             {version}; this build reads versions up to {SCHEMA_VERSION}): run that version, or \
             export its state (GET /_admin/state) and import it here"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if table_exists(&tx, "opportunities")? {
        let has_listing = tx
            .prepare("SELECT 1 FROM pragma_table_info('opportunities') WHERE name = 'listing'")?
            .exists([])?;
        if !has_listing {
            // Version 0 without rendered listings: add them (rebuilt below, as settings are
            // unknown).
            tx.execute_batch(
                "ALTER TABLE opportunities ADD COLUMN listing TEXT NOT NULL DEFAULT ''",
            )?;
        }
        if table_exists(&tx, "tasks")?
            && !tx
                .prepare("SELECT 1 FROM pragma_table_info('tasks') WHERE name = 'due'")?
                .exists([])?
        {
            // Before version 3 every task completed at once.
            tx.execute_batch("ALTER TABLE tasks ADD COLUMN due TEXT")?;
        }
        tracing::info!(
            from = version,
            to = SCHEMA_VERSION,
            "migrating the database"
        );
    }
    // Creates what is missing; `settings` starts empty, so every stored rendering is
    // rebuilt by the service on start.
    tx.execute_batch(SCHEMA)?;
    if version < SEARCH_INDEX_VERSION {
        // Schema 8 (a step of its own, to renumber easily): the opportunity search index,
        // built from every stored opportunity, its AWS summary and its tags.
        let built = rebuild_search_index(&tx)?;
        if built > 0 {
            tracing::info!(built, "opportunity search index built");
        }
    }
    if version < 4 {
        // Before version 4 membership lived in the engagement documents only.
        let mut stmt = tx.prepare("SELECT catalog, doc FROM engagements")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        drop(stmt);
        for (catalog, doc) in rows {
            let rec: EngagementRecord = from_json(&doc)?;
            index_members(&tx, &catalog, &rec)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Records which accounts are members of `rec` (replacing what was recorded).
fn index_members(
    conn: &Connection,
    catalog: &str,
    rec: &EngagementRecord,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM engagement_members WHERE catalog = ?1 AND engagement_id = ?2",
    )?
    .execute(params![catalog, rec.id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO engagement_members (catalog, account, engagement_id, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for m in &rec.members {
        insert.execute(params![catalog, m.account_id, rec.id, rec.created_at])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The opportunity search index: one row per opportunity (`opportunity_search`: the columns
// queries narrow on, and the whole search entry as JSON) and its keyword texts in an FTS5
// trigram index (`opportunity_search_text`, contentless, rowid = the row's `rid`), which finds
// case-insensitive substrings of 3 characters or more. Rewritten in the transaction of every
// write of an opportunity, its AWS summary or its tags.

use crate::domain::opportunity_search::{self, Entry};

/// The tags of one opportunity, under any ARN naming it (`tags_by_resource`).
fn opportunity_tags(conn: &Connection, scope: &Scope, id: &str) -> Result<Vec<Value>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc FROM tags WHERE account = ?1 AND catalog = ?2
           AND substr(id, instr(id, ':catalog/')) = ?3 ORDER BY id",
    )?;
    let suffix = format!(":catalog/{}/opportunity/{id}", scope.catalog);
    let records: Vec<TagsRecord> =
        collect_docs(stmt.query_map(params![scope.account, scope.catalog, suffix], doc_column)?)?;
    Ok(records.into_iter().flat_map(|r| r.tags).collect())
}

/// A stable digest of a keyword document, to tell whether the text index must change.
fn keywords_hash(text: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(text.as_bytes());
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    i64::from_le_bytes(eight)
}

/// Writes `rec`'s search entry (reading its AWS summary and tags).
fn index_opportunity(
    conn: &Connection,
    scope: &Scope,
    rec: &OpportunityRecord,
) -> Result<(), StoreError> {
    let summary: Option<AwsSummaryRecord> = {
        let mut stmt = conn.prepare_cached(
            "SELECT doc FROM aws_summaries WHERE account = ?1 AND catalog = ?2 AND id = ?3",
        )?;
        match stmt
            .query_row(params![scope.account, scope.catalog, rec.id], doc_column)
            .optional()?
        {
            Some(r) => Some(r?),
            None => None,
        }
    };
    let tags = opportunity_tags(conn, scope, &rec.id)?;
    let entry = opportunity_search::entry(rec, summary.as_ref(), &tags);
    put_search_entry(conn, scope, &entry)
}

/// Rewrites the search entry of opportunity `id` of `scope`, if it exists.
fn reindex_opportunity(conn: &Connection, scope: &Scope, id: &str) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT doc FROM opportunities WHERE account = ?1 AND catalog = ?2 AND id = ?3",
    )?;
    let rec: Option<OpportunityRecord> = match stmt
        .query_row(params![scope.account, scope.catalog, id], doc_column)
        .optional()?
    {
        Some(r) => Some(r?),
        None => None,
    };
    match rec {
        Some(rec) => index_opportunity(conn, scope, &rec),
        None => Ok(()),
    }
}

fn put_search_entry(conn: &Connection, scope: &Scope, e: &Entry) -> Result<(), StoreError> {
    let keywords = e.keyword_document();
    let hash = keywords_hash(&keywords);
    let folded = |v: &Option<String>| v.as_deref().map(opportunity_search::fold);
    let existing: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT rid, keywords_hash FROM opportunity_search
             WHERE account = ?1 AND catalog = ?2 AND id = ?3",
        )?
        .query_row(params![scope.account, scope.catalog, e.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let columns = params![
        folded(&e.stage),
        folded(&e.review_status),
        folded(&e.opportunity_type),
        folded(&e.origin),
        folded(&e.country_code),
        folded(&e.industry),
        folded(&e.engagement_score),
        folded(&e.cosell_motion),
        e.estimated_mrr,
        hash,
        to_json(e)?,
        scope.account,
        scope.catalog,
        e.id,
    ];
    let rid = match existing {
        Some((rid, old_hash)) => {
            conn.prepare_cached(
                "UPDATE opportunity_search SET stage = ?1, review_status = ?2,
                   opportunity_type = ?3, origin = ?4, country_code = ?5, industry = ?6,
                   engagement_score = ?7, cosell_motion = ?8, estimated_mrr = ?9,
                   keywords_hash = ?10, entry = ?11
                 WHERE account = ?12 AND catalog = ?13 AND id = ?14",
            )?
            .execute(columns)?;
            if old_hash == hash {
                return Ok(());
            }
            conn.prepare_cached("DELETE FROM opportunity_search_text WHERE rowid = ?1")?
                .execute(params![rid])?;
            rid
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO opportunity_search (stage, review_status, opportunity_type, origin,
                   country_code, industry, engagement_score, cosell_motion, estimated_mrr,
                   keywords_hash, entry, account, catalog, id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(columns)?;
            conn.last_insert_rowid()
        }
    };
    conn.prepare_cached("INSERT INTO opportunity_search_text (rowid, keywords) VALUES (?1, ?2)")?
        .execute(params![rid, keywords])?;
    Ok(())
}

/// Builds the whole search index again from the stored records; how many entries.
fn rebuild_search_index(conn: &Connection) -> Result<usize, StoreError> {
    conn.execute_batch(
        "DELETE FROM opportunity_search;
         INSERT INTO opportunity_search_text (opportunity_search_text) VALUES ('delete-all');",
    )?;
    let mut stmt =
        conn.prepare("SELECT account, catalog, doc FROM opportunities ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    let mut built = 0;
    while let Some(row) = rows.next()? {
        let scope = Scope {
            account: row.get(0)?,
            catalog: row.get(1)?,
        };
        let doc = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let rec: OpportunityRecord = from_json(doc)?;
        index_opportunity(conn, &scope, &rec)?;
        built += 1;
    }
    Ok(built)
}

/// The column a [`SearchColumn`] names.
fn search_column(c: SearchColumn) -> &'static str {
    match c {
        SearchColumn::Stage => "stage",
        SearchColumn::ReviewStatus => "review_status",
        SearchColumn::OpportunityType => "opportunity_type",
        SearchColumn::Origin => "origin",
        SearchColumn::CountryCode => "country_code",
        SearchColumn::Industry => "industry",
        SearchColumn::EngagementScore => "engagement_score",
        SearchColumn::CosellMotion => "cosell_motion",
    }
}

/// An FTS5 query that every text containing `text` (3 characters or more) matches: trigrams
/// of it that cover it (at most 16), all required. The index keeps no positions
/// (`detail=none`, a fraction of the size), so it cannot ask for them in sequence; search checks
/// the keyword itself on what this finds.
fn fts_trigrams(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut starts: Vec<usize> = (0..chars.len().saturating_sub(2)).step_by(3).collect();
    if let Some(last) = chars.len().checked_sub(3)
        && starts.last() != Some(&last)
    {
        starts.push(last);
    }
    starts.truncate(16);
    starts
        .iter()
        .map(|&i| {
            let t: String = chars[i..i + 3].iter().collect();
            format!("\"{}\"", t.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Appends one stored JSON document to a list being written. Stored documents were written by
/// `to_json`; a cheap check that one is an object catches a damaged row without parsing all.
fn append_stored(
    out: &mut dyn std::io::Write,
    doc: &str,
    first: &mut bool,
) -> Result<(), StoreError> {
    if !(doc.starts_with('{') && doc.ends_with('}')) {
        return Err(StoreError::Corrupt(serde::de::Error::custom(
            "a stored record is not a JSON object",
        )));
    }
    if !*first {
        out.write_all(b",")?;
    }
    *first = false;
    out.write_all(doc.as_bytes())?;
    Ok(())
}

/// Runs `f` in a read transaction on `conn`.
fn read_on<T, E: From<StoreError>>(
    conn: &mut Connection,
    f: impl FnOnce(&dyn Tx) -> Result<T, E>,
) -> Result<T, E> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(StoreError::from)?;
    let wrapper = SqliteTx { tx };
    let out = f(&wrapper)?;
    wrapper.tx.finish().map_err(StoreError::from)?;
    Ok(out)
}

impl Store for SqliteStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = relock(&self.writer);
        if !conn.is_autocommit() {
            // Only a transaction abandoned mid-way could leave this; never build on it.
            conn.execute_batch("ROLLBACK").map_err(StoreError::from)?;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let mut wrapper = SqliteTx { tx };
        let out = f(&mut wrapper)?;
        wrapper.tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        read_on(&mut self.reader(), f)
    }

    type Snapshot = Snapshot;

    fn snapshot(&self) -> Result<Snapshot, StoreError> {
        if let Some(path) = &self.path {
            // A WAL reader sees one commit for its whole transaction and blocks nobody; it is
            // a connection of its own, so that the pool stays free for short reads.
            return Ok(Snapshot(Self::open_reader(path)?));
        }
        // In memory a long reader would hold off writers: copy the database (writers wait
        // only for the copy, done here at the caller's priority) and read the copy.
        let mut copy = Connection::open_in_memory()?;
        let conn = self.reader();
        conn.execute_batch("BEGIN; SELECT count(*) FROM counters;")?;
        let copied = conn.serialize(rusqlite::MAIN_DB).and_then(|data| {
            copy.deserialize_read_exact(rusqlite::MAIN_DB, &data[..], data.len(), true)
        });
        conn.execute_batch("COMMIT")?;
        copied?;
        Ok(Snapshot(copy))
    }

    fn read_snapshot<T, E: From<StoreError>>(
        mut snapshot: Snapshot,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        read_on(&mut snapshot.0, f)
    }

    fn health(&self) -> Result<StoreFacts, StoreError> {
        let schema_version = {
            let conn = relock(&self.writer);
            let version = Self::schema_version(&conn)?;
            conn.query_row("SELECT count(*) FROM counters", [], |r| r.get::<_, i64>(0))?;
            version
        };
        self.read(|tx| tx.is_empty().map(|_| ()))?;
        Ok(StoreFacts { schema_version })
    }

    fn kind(&self) -> &'static str {
        if self.in_memory { "memory" } else { "sqlite" }
    }
}

struct SqliteTx<'c> {
    tx: rusqlite::Transaction<'c>,
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

/// Rows of (key, stored document), decoded.
fn keyed_docs<K, T: DeserializeOwned>(
    rows: impl Iterator<Item = rusqlite::Result<(K, String)>>,
) -> Result<Vec<(K, T)>, StoreError> {
    rows.map(|row| {
        let (key, doc) = row?;
        Ok((key, from_json(&doc)?))
    })
    .collect()
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}

fn doc_column<T: DeserializeOwned>(row: &Row<'_>) -> rusqlite::Result<Result<T, StoreError>> {
    let text: String = row.get(0)?;
    Ok(from_json(&text))
}

fn collect_docs<T>(
    rows: impl Iterator<Item = rusqlite::Result<Result<T, StoreError>>>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

fn sort_column(key: OpportunitySortKey) -> &'static str {
    match key {
        OpportunitySortKey::LastModifiedDate => "last_modified",
        OpportunitySortKey::Identifier => "num",
        OpportunitySortKey::CustomerCompanyName => "company_name",
        OpportunitySortKey::CreatedDate => "created",
        OpportunitySortKey::TargetCloseDate => "target_close_date",
    }
}

impl SqliteTx<'_> {
    fn get_doc<T: DeserializeOwned>(
        &self,
        table: &str,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let sql =
            format!("SELECT doc FROM {table} WHERE account = ?1 AND catalog = ?2 AND id = ?3");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        match stmt
            .query_row(params![scope.account, scope.catalog, id], doc_column)
            .optional()?
        {
            Some(r) => Ok(Some(r?)),
            None => Ok(None),
        }
    }

    /// A record shared within a catalog (`invitations`, `engagements`).
    fn shared_doc<T: DeserializeOwned>(
        &self,
        table: &str,
        catalog: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let sql = format!("SELECT doc FROM {table} WHERE catalog = ?1 AND id = ?2");
        let mut stmt = self.tx.prepare_cached(&sql)?;
        match stmt
            .query_row(params![catalog, id], doc_column)
            .optional()?
        {
            Some(r) => Ok(Some(r?)),
            None => Ok(None),
        }
    }

    fn put_doc<T: Serialize>(
        &self,
        table: &str,
        scope: &Scope,
        id: &str,
        doc: &T,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT OR REPLACE INTO {table} (account, catalog, id, doc) VALUES (?1, ?2, ?3, ?4)"
        );
        self.tx.prepare_cached(&sql)?.execute(params![
            scope.account,
            scope.catalog,
            id,
            to_json(doc)?
        ])?;
        Ok(())
    }
}

impl Tx for SqliteTx<'_> {
    fn next_opportunity_number(&mut self) -> Result<i64, StoreError> {
        let n: Option<i64> = self
            .tx
            .query_row(
                "INSERT INTO counters (name, value) VALUES ('opportunity', ?1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1 WHERE value < ?2
                 RETURNING value",
                params![FIRST_OPPORTUNITY_NUMBER, MAX_OPPORTUNITY_NUMBER],
                |r| r.get(0),
            )
            .optional()?;
        n.ok_or(StoreError::Exhausted("opportunity numbers"))
    }

    fn get_opportunity(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<OpportunityRecord>, StoreError> {
        self.get_doc("opportunities", scope, id)
    }

    fn put_opportunity(
        &mut self,
        scope: &Scope,
        rec: &OpportunityRecord,
        listing: &str,
    ) -> Result<(), StoreError> {
        let text = |p: &str| rec.text(p).unwrap_or("").to_string();
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO opportunities (account, catalog, id, num, created, last_modified,
                 stage, review_status, company_name, target_close_date, doc, listing)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                scope.account,
                scope.catalog,
                rec.id,
                rec.num,
                rec.created_date,
                rec.last_modified_date,
                text("LifeCycle.Stage"),
                text("LifeCycle.ReviewStatus"),
                text("Customer.Account.CompanyName"),
                text("LifeCycle.TargetCloseDate"),
                to_json(rec)?,
                listing,
            ])?;
        index_opportunity(&self.tx, scope, rec)
    }

    fn browse_opportunities(
        &self,
        scope: &Scope,
        q: &BrowseQuery,
    ) -> Result<Vec<BrowsedOpportunity>, StoreError> {
        let mut sql = String::from(
            "SELECT id, num, created, last_modified, stage, review_status, company_name,
                    coalesce(json_extract(doc, '$.doc.Project.Title'), '')
             FROM opportunities WHERE account = ? AND catalog = ?",
        );
        let mut args: Vec<rusqlite::types::Value> =
            vec![scope.account.clone().into(), scope.catalog.clone().into()];
        if let Some(v) = &q.review_status {
            sql.push_str(" AND review_status = ?");
            args.push(v.clone().into());
        }
        if let Some(v) = &q.stage {
            sql.push_str(" AND stage = ?");
            args.push(v.clone().into());
        }
        if let Some(text) = q.search.as_deref().filter(|t| !t.is_empty()) {
            // LIKE with the pattern's own wildcards escaped: the text is matched literally.
            let escaped: String = text
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            sql.push_str(
                " AND (id LIKE ? ESCAPE '\\' OR company_name LIKE ? ESCAPE '\\'
                       OR json_extract(doc, '$.doc.Project.Title') LIKE ? ESCAPE '\\')",
            );
            let pattern = format!("%{escaped}%");
            args.extend([
                pattern.clone().into(),
                pattern.clone().into(),
                pattern.into(),
            ]);
        }
        if let Some(before) = q.before {
            sql.push_str(" AND num < ?");
            args.push(before.into());
        }
        sql.push_str(" ORDER BY num DESC LIMIT ?");
        args.push((q.limit as i64).into());
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(BrowsedOpportunity {
                id: r.get(0)?,
                num: r.get(1)?,
                created: r.get(2)?,
                last_modified: r.get(3)?,
                stage: r.get(4)?,
                review_status: r.get(5)?,
                company_name: r.get(6)?,
                title: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn scopes(&self) -> Result<Vec<ScopeSummary>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT account, catalog, sum(o), sum(i) FROM (
                 SELECT account, catalog, count(*) AS o, 0 AS i FROM opportunities GROUP BY 1, 2
                 UNION ALL SELECT receiver, catalog, 0, count(*) FROM invitations GROUP BY 1, 2
                 UNION ALL SELECT sender, catalog, 0, count(*) FROM invitations GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM aws_summaries GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM engagement_members GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM customer_accounts GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM bulk_jobs GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM solutions GROUP BY 1, 2
             ) WHERE account <> 'aws' GROUP BY account, catalog ORDER BY account, catalog",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScopeSummary {
                scope: Scope {
                    account: r.get(0)?,
                    catalog: r.get(1)?,
                },
                opportunities: r.get(2)?,
                invitations: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn list_opportunities(
        &self,
        scope: &Scope,
        q: &OpportunityQuery,
    ) -> Result<Vec<ListedOpportunity>, StoreError> {
        let column = sort_column(q.sort);
        let mut sql = format!(
            "SELECT num, CAST({column} AS TEXT), listing FROM opportunities WHERE account = ? AND catalog = ?"
        );
        let mut args: Vec<rusqlite::types::Value> =
            vec![scope.account.clone().into(), scope.catalog.clone().into()];
        let mut any_of = |column: &str, values: &[String], sql: &mut String| {
            if !values.is_empty() {
                sql.push_str(&format!(
                    " AND {column} IN ({})",
                    vec!["?"; values.len()].join(",")
                ));
                args.extend(
                    values
                        .iter()
                        .map(|v| rusqlite::types::Value::from(v.clone())),
                );
            }
        };
        any_of("id", &q.identifiers, &mut sql);
        any_of("stage", &q.stages, &mut sql);
        any_of("review_status", &q.review_statuses, &mut sql);
        any_of("company_name", &q.company_names, &mut sql);
        let bounds = [
            ("last_modified", ">=", &q.last_modified_after),
            ("last_modified", "<", &q.last_modified_before),
            ("created", ">=", &q.created_after),
            ("created", "<", &q.created_before),
            ("target_close_date", ">=", &q.target_close_after),
            ("target_close_date", "<", &q.target_close_before),
        ];
        for (column, op, value) in bounds {
            if let Some(v) = value {
                sql.push_str(&format!(" AND {column} {op} ?"));
                args.push(v.clone().into());
            }
        }
        if q.target_close_after.is_some() || q.target_close_before.is_some() {
            sql.push_str(" AND target_close_date <> ''");
        }

        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((value, num)) = &q.after {
            if q.sort == OpportunitySortKey::Identifier {
                sql.push_str(&format!(" AND num {cmp} ?"));
            } else {
                sql.push_str(&format!(" AND ({column}, num) {cmp} (?, ?)"));
                args.push(value.clone().into());
            }
            args.push((*num).into());
        }
        if q.sort == OpportunitySortKey::Identifier {
            sql.push_str(&format!(" ORDER BY num {dir} LIMIT ?"));
        } else {
            sql.push_str(&format!(" ORDER BY {column} {dir}, num {dir} LIMIT ?"));
        }
        args.push((q.limit as i64).into());
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(ListedOpportunity {
                num: r.get(0)?,
                sort_value: if q.sort == OpportunitySortKey::Identifier {
                    String::new()
                } else {
                    r.get(1)?
                },
                listing: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn get_aws_summary(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<AwsSummaryRecord>, StoreError> {
        self.get_doc("aws_summaries", scope, id)
    }

    fn put_aws_summary(&mut self, scope: &Scope, rec: &AwsSummaryRecord) -> Result<(), StoreError> {
        self.put_doc("aws_summaries", scope, &rec.opportunity_id, rec)?;
        reindex_opportunity(&self.tx, scope, &rec.opportunity_id)
    }

    fn delete_aws_summary(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "DELETE FROM aws_summaries WHERE account = ?1 AND catalog = ?2 AND id = ?3",
            )?
            .execute(params![scope.account, scope.catalog, id])?;
        if n > 0 {
            reindex_opportunity(&self.tx, scope, id)?;
        }
        Ok(n > 0)
    }

    fn search_opportunities(
        &self,
        scope: &Scope,
        q: &OpportunitySearchQuery,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut sql = match q.keyword.as_deref().filter(|k| k.chars().count() >= 3) {
            // The text index drives: CROSS JOIN keeps SQLite from scanning the scope's rows and
            // probing the matches for each.
            Some(k) => {
                args.push(fts_trigrams(k).into());
                String::from(
                    "SELECT s.entry FROM opportunity_search_text t CROSS JOIN opportunity_search s
                       ON s.rid = t.rowid
                     WHERE opportunity_search_text MATCH ? AND s.account = ? AND s.catalog = ?",
                )
            }
            None => String::from(
                "SELECT s.entry FROM opportunity_search s WHERE s.account = ? AND s.catalog = ?",
            ),
        };
        args.push(scope.account.clone().into());
        args.push(scope.catalog.clone().into());
        for c in &q.conditions {
            match c {
                SearchCondition::TextIs(column, value) => {
                    sql.push_str(&format!(" AND s.{} = ?", search_column(*column)));
                    args.push(value.clone().into());
                }
                SearchCondition::Mrr(op, value) => {
                    let op = match *op {
                        "<" | "<=" | "=" | ">=" | ">" => *op,
                        _ => continue,
                    };
                    sql.push_str(&format!(" AND s.estimated_mrr {op} ?"));
                    args.push((*value).into());
                }
            }
        }
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let doc = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            out.push(from_json(doc)?);
        }
        Ok(out)
    }

    fn export_json(&self, out: &mut dyn std::io::Write) -> Result<(), StoreError> {
        let last: Option<i64> = self
            .tx
            .query_row(
                "SELECT value FROM counters WHERE name = 'opportunity'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let mut scopes = self.tx.prepare(
            "SELECT account, catalog FROM opportunities UNION SELECT account, catalog FROM aws_summaries
             UNION SELECT account, catalog FROM solutions UNION SELECT account, catalog FROM tasks
             UNION SELECT account, catalog FROM idempotency UNION SELECT account, catalog FROM snapshot_jobs
             UNION SELECT account, catalog FROM tags UNION SELECT account, catalog FROM selling_settings
             UNION SELECT account, catalog FROM customer_accounts ORDER BY 1, 2",
        )?;
        let scopes = scopes
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let next = last.map_or(FIRST_OPPORTUNITY_NUMBER, |n| n + 1);
        out.write_all(
            format!(
                "{{\"format\":{},\"version\":{STATE_VERSION},\"nextOpportunityNumber\":{next},\"scopes\":[",
                to_json(&STATE_FORMAT)?
            )
            .as_bytes(),
        )?;
        for (i, (account, catalog)) in scopes.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(
                format!(
                    "{{\"accountId\":{},\"catalog\":{}",
                    to_json(account)?,
                    to_json(catalog)?
                )
                .as_bytes(),
            )?;
            for (key, table) in [
                ("opportunities", "opportunities"),
                ("awsSummaries", "aws_summaries"),
                ("solutions", "solutions"),
                ("tasks", "tasks"),
                ("snapshotJobs", "snapshot_jobs"),
                ("tags", "tags"),
                ("sellingSettings", "selling_settings"),
                ("customerAccounts", "customer_accounts"),
            ] {
                out.write_all(format!(",\"{key}\":[").as_bytes())?;
                let mut stmt = self.tx.prepare_cached(&format!(
                    "SELECT doc FROM {table} WHERE account = ?1 AND catalog = ?2 ORDER BY id"
                ))?;
                let mut rows = stmt.query(params![account, catalog])?;
                let mut first = true;
                while let Some(row) = rows.next()? {
                    let doc = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                    append_stored(out, doc, &mut first)?;
                }
                out.write_all(b"]")?;
            }
            out.write_all(b",\"idempotency\":[")?;
            let mut stmt = self.tx.prepare_cached(
                "SELECT operation, token, doc FROM idempotency WHERE account = ?1 AND catalog = ?2
                 ORDER BY operation, token",
            )?;
            let mut rows = stmt.query(params![account, catalog])?;
            let mut first = true;
            while let Some(row) = rows.next()? {
                let entry = format!(
                    "{{\"operation\":{},\"token\":{},\"record\":{}}}",
                    to_json(&row.get::<_, String>(0)?)?,
                    to_json(&row.get::<_, String>(1)?)?,
                    row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?
                );
                append_stored(out, &entry, &mut first)?;
            }
            out.write_all(b"]}")?;
        }
        out.write_all(b"],\"catalogs\":[")?;
        let mut catalogs = self.tx.prepare(
            "SELECT catalog FROM engagements UNION SELECT catalog FROM invitations
             UNION SELECT catalog FROM snapshots ORDER BY 1",
        )?;
        let catalogs = catalogs
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for (i, catalog) in catalogs.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(format!("{{\"catalog\":{}", to_json(catalog)?).as_bytes())?;
            for (key, table) in [
                ("engagements", "engagements"),
                ("invitations", "invitations"),
                ("snapshots", "snapshots"),
            ] {
                out.write_all(format!(",\"{key}\":[").as_bytes())?;
                let mut stmt = self.tx.prepare_cached(&format!(
                    "SELECT doc FROM {table} WHERE catalog = ?1 ORDER BY id"
                ))?;
                let mut rows = stmt.query(params![catalog])?;
                let mut first = true;
                while let Some(row) = rows.next()? {
                    let doc = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                    append_stored(out, doc, &mut first)?;
                }
                out.write_all(b"]")?;
            }
            out.write_all(b"}")?;
        }
        out.write_all(b"]}")?;
        Ok(())
    }

    fn set_next_opportunity_number(&mut self, next: i64) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO counters (name, value) VALUES ('opportunity', ?1)",
            params![next - 1],
        )?;
        Ok(())
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let n: i64 = self.tx.query_row(
            "SELECT (SELECT count(*) FROM opportunities) + (SELECT count(*) FROM aws_summaries)
                  + (SELECT count(*) FROM solutions) + (SELECT count(*) FROM tasks)
                  + (SELECT count(*) FROM invitations) + (SELECT count(*) FROM engagements)
                  + (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM snapshot_jobs)
                  + (SELECT count(*) FROM tags) + (SELECT count(*) FROM selling_settings)
                  + (SELECT count(*) FROM customer_accounts)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn reset(&mut self, account: Option<&str>, catalog: Option<&str>) -> Result<(), StoreError> {
        if account.is_none() && catalog.is_none() {
            self.tx.execute_batch(
                "DELETE FROM opportunity_search;
                 INSERT INTO opportunity_search_text (opportunity_search_text) VALUES ('delete-all');",
            )?;
        } else {
            self.tx.execute(
                "DELETE FROM opportunity_search_text WHERE rowid IN (SELECT rid FROM opportunity_search
                 WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR catalog = ?2))",
                params![account, catalog],
            )?;
            self.tx.execute(
                "DELETE FROM opportunity_search
                 WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR catalog = ?2)",
                params![account, catalog],
            )?;
        }
        for table in [
            "opportunities",
            "aws_summaries",
            "idempotency",
            "tasks",
            "solutions",
            "snapshot_jobs",
            "tags",
            "selling_settings",
            "customer_accounts",
            "bulk_jobs",
            "bulk_results",
        ] {
            self.tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR catalog = ?2)"
                ),
                params![account, catalog],
            )?;
        }
        let Some(account) = account else {
            // A whole catalog, or everything.
            for table in [
                "invitations",
                "engagements",
                "engagement_members",
                "snapshots",
            ] {
                self.tx.execute(
                    &format!("DELETE FROM {table} WHERE ?1 IS NULL OR catalog = ?1"),
                    params![catalog],
                )?;
            }
            return Ok(());
        };
        // One account: the invitations it sent or received go; it leaves its engagements,
        // and those left without a partner member go too.
        self.tx.execute(
            "DELETE FROM invitations WHERE (sender = ?1 OR receiver = ?1)
             AND (?2 IS NULL OR catalog = ?2)",
            params![account, catalog],
        )?;
        let mut changed: Vec<(String, Option<EngagementRecord>, String)> = Vec::new();
        {
            let mut stmt = self.tx.prepare(
                "SELECT catalog, id, doc FROM engagements WHERE ?1 IS NULL OR catalog = ?1",
            )?;
            let mut rows = stmt.query(params![catalog])?;
            while let Some(row) = rows.next()? {
                let doc: String = row.get(2)?;
                let mut rec: EngagementRecord = from_json(&doc)?;
                if !rec.is_member(account) {
                    continue;
                }
                rec.members.retain(|m| m.account_id != account);
                let keep = rec.members.iter().any(|m| m.account_id != "aws");
                changed.push((row.get(0)?, keep.then_some(rec), row.get(1)?));
            }
        }
        for (catalog, rec, id) in changed {
            match rec {
                Some(rec) => self.put_engagement(&catalog, &rec)?,
                None => {
                    self.tx.execute(
                        "DELETE FROM engagements WHERE catalog = ?1 AND id = ?2",
                        params![catalog, id],
                    )?;
                    self.tx.execute(
                        "DELETE FROM engagement_members WHERE catalog = ?1 AND engagement_id = ?2",
                        params![catalog, id],
                    )?;
                }
            }
        }
        Ok(())
    }

    fn get_idempotency(
        &self,
        scope: &Scope,
        operation: &str,
        token: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM idempotency WHERE account = ?1 AND catalog = ?2 AND operation = ?3 AND token = ?4",
        )?;
        match stmt
            .query_row(
                params![scope.account, scope.catalog, operation, token],
                doc_column,
            )
            .optional()?
        {
            Some(r) => Ok(Some(r?)),
            None => Ok(None),
        }
    }

    fn put_idempotency(
        &mut self,
        scope: &Scope,
        operation: &str,
        token: &str,
        rec: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO idempotency (account, catalog, operation, token, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                scope.account,
                scope.catalog,
                operation,
                token,
                to_json(rec)?
            ])?;
        Ok(())
    }

    fn put_task(&mut self, scope: &Scope, rec: &TaskRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO tasks (account, catalog, id, start_time, doc, due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                scope.account,
                scope.catalog,
                rec.id,
                rec.start_time,
                to_json(rec)?,
                rec.complete_at
            ])?;
        Ok(())
    }

    fn get_task(&self, scope: &Scope, id: &str) -> Result<Option<TaskRecord>, StoreError> {
        self.get_doc("tasks", scope, id)
    }

    fn due_tasks(&self, now: &str) -> Result<Vec<(Scope, TaskRecord)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT account, catalog, doc FROM tasks WHERE due IS NOT NULL AND due <= ?1
             ORDER BY due, id",
        )?;
        keyed_docs(stmt.query_map(params![now], |r| {
            Ok((
                Scope {
                    account: r.get(0)?,
                    catalog: r.get(1)?,
                },
                r.get::<_, String>(2)?,
            ))
        })?)
    }

    fn get_invitation(
        &self,
        catalog: &str,
        id: &str,
    ) -> Result<Option<InvitationRecord>, StoreError> {
        self.shared_doc("invitations", catalog, id)
    }

    fn put_invitation(&mut self, catalog: &str, rec: &InvitationRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO invitations (catalog, id, sender, receiver, status,
                 payload_type, invitation_date, expiration_date, engagement_id, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                catalog,
                rec.id,
                rec.sender_aws_account_id,
                rec.receiver_aws_account_id,
                rec.status,
                rec.payload_type,
                rec.invitation_date,
                rec.expiration_date,
                rec.engagement_id,
                to_json(rec)?
            ])?;
        Ok(())
    }

    fn list_invitations(
        &self,
        catalog: &str,
        q: &InvitationQuery,
    ) -> Result<Vec<InvitationRecord>, StoreError> {
        let party = match q.role {
            Role::Sender => "sender",
            Role::Receiver => "receiver",
        };
        let mut sql = format!("SELECT doc FROM invitations WHERE catalog = ? AND {party} = ?");
        let mut args: Vec<rusqlite::types::Value> =
            vec![catalog.to_string().into(), q.account.clone().into()];
        let any_of = |column: &str,
                      values: &[String],
                      sql: &mut String,
                      args: &mut Vec<rusqlite::types::Value>| {
            if !values.is_empty() {
                sql.push_str(&format!(
                    " AND {column} IN ({})",
                    vec!["?"; values.len()].join(",")
                ));
                args.extend(
                    values
                        .iter()
                        .map(|v| rusqlite::types::Value::from(v.clone())),
                );
            }
        };
        if !q.statuses.is_empty() {
            // The status as of `now`: expiry may not have been settled yet.
            args.push(q.now.clone().into());
            any_of(
                "(CASE WHEN status = 'PENDING' AND expiration_date IS NOT NULL
                  AND expiration_date <= ? THEN 'EXPIRED' ELSE status END)",
                &q.statuses,
                &mut sql,
                &mut args,
            );
        }
        any_of("payload_type", &q.payload_types, &mut sql, &mut args);
        any_of("engagement_id", &q.engagement_ids, &mut sql, &mut args);
        any_of("sender", &q.senders, &mut sql, &mut args);
        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((date, id)) = &q.after {
            sql.push_str(&format!(" AND (invitation_date, id) {cmp} (?, ?)"));
            args.push(date.clone().into());
            args.push(id.clone().into());
        }
        sql.push_str(&format!(
            " ORDER BY invitation_date {dir}, id {dir} LIMIT ?"
        ));
        args.push((q.limit as i64).into());
        let mut stmt = self.tx.prepare_cached(&sql)?;
        collect_docs(stmt.query_map(rusqlite::params_from_iter(args), doc_column)?)
    }

    fn engagement_invitations(
        &self,
        catalog: &str,
        engagement: &str,
    ) -> Result<Vec<InvitationRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM invitations WHERE catalog = ?1 AND engagement_id = ?2
             ORDER BY invitation_date, id",
        )?;
        collect_docs(stmt.query_map(params![catalog, engagement], doc_column)?)
    }

    fn due_invitations(&self, now: &str) -> Result<Vec<(String, InvitationRecord)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT catalog, doc FROM invitations
             WHERE status = 'PENDING' AND expiration_date IS NOT NULL AND expiration_date <= ?1
             ORDER BY expiration_date, id",
        )?;
        keyed_docs(stmt.query_map(params![now], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?)
    }

    fn get_engagement(
        &self,
        catalog: &str,
        id: &str,
    ) -> Result<Option<EngagementRecord>, StoreError> {
        self.shared_doc("engagements", catalog, id)
    }

    fn put_engagement(&mut self, catalog: &str, rec: &EngagementRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO engagements (catalog, id, doc) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![catalog, rec.id, to_json(rec)?])?;
        index_members(&self.tx, catalog, rec)
    }

    fn member_engagements(
        &self,
        catalog: &str,
        account: &str,
    ) -> Result<Vec<EngagementRecord>, StoreError> {
        let mut out = Vec::new();
        self.visit_member_engagements(catalog, account, false, None, &mut |rec| {
            out.push(rec);
            Ok(true)
        })?;
        Ok(out)
    }

    fn visit_member_engagements(
        &self,
        catalog: &str,
        account: &str,
        descending: bool,
        after: Option<(&str, &str)>,
        visit: &mut dyn FnMut(EngagementRecord) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let sql = if descending {
            "SELECT e.doc FROM engagement_members m JOIN engagements e
               ON e.catalog = m.catalog AND e.id = m.engagement_id
             WHERE m.catalog = ?1 AND m.account = ?2
               AND (?3 IS NULL OR (m.created_at, m.engagement_id) < (?3, ?4))
             ORDER BY m.created_at DESC, m.engagement_id DESC"
        } else {
            "SELECT e.doc FROM engagement_members m JOIN engagements e
               ON e.catalog = m.catalog AND e.id = m.engagement_id
             WHERE m.catalog = ?1 AND m.account = ?2
               AND (?3 IS NULL OR (m.created_at, m.engagement_id) > (?3, ?4))
             ORDER BY m.created_at, m.engagement_id"
        };
        let mut stmt = self.tx.prepare_cached(sql)?;
        let (at, id) = after.unzip();
        let mut rows = stmt.query(params![catalog, account, at, id])?;
        while let Some(row) = rows.next()? {
            let doc = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let rec: EngagementRecord = from_json(doc)?;
            if !visit(rec)? {
                break;
            }
        }
        Ok(())
    }

    fn list_tasks(&self, scope: &Scope) -> Result<Vec<TaskRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM tasks WHERE account = ?1 AND catalog = ?2 ORDER BY start_time, id",
        )?;
        collect_docs(stmt.query_map(params![scope.account, scope.catalog], doc_column)?)
    }

    fn put_snapshot(&mut self, catalog: &str, rec: &SnapshotRecord) -> Result<(), StoreError> {
        let id = format!(
            "{}/{}/{}/{:010}",
            rec.engagement_id, rec.resource_id, rec.template, rec.revision
        );
        self.tx
            .prepare_cached(
                "INSERT INTO snapshots
                   (catalog, id, engagement_id, resource_id, template, revision, payload_hash, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                catalog,
                id,
                rec.engagement_id,
                rec.resource_id,
                rec.template,
                rec.revision,
                super::payload_hash(&rec.payload),
                to_json(rec)?
            ])?;
        Ok(())
    }

    fn latest_revision(
        &self,
        catalog: &str,
        engagement: &str,
        resource_id: &str,
        template: &str,
    ) -> Result<Option<(u32, String)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT revision, payload_hash FROM snapshots WHERE catalog = ?1 AND engagement_id = ?2
                   AND resource_id = ?3 AND template = ?4 ORDER BY revision DESC LIMIT 1",
            )?
            .query_row(params![catalog, engagement, resource_id, template], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    fn get_snapshot(
        &self,
        catalog: &str,
        engagement: &str,
        resource_id: &str,
        template: &str,
        revision: Option<u32>,
    ) -> Result<Option<SnapshotRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM snapshots WHERE catalog = ?1 AND engagement_id = ?2
               AND resource_id = ?3 AND template = ?4 AND (?5 IS NULL OR revision = ?5)
             ORDER BY revision DESC LIMIT 1",
        )?;
        match stmt
            .query_row(
                params![catalog, engagement, resource_id, template, revision],
                doc_column,
            )
            .optional()?
        {
            Some(r) => Ok(Some(r?)),
            None => Ok(None),
        }
    }

    fn list_snapshots(
        &self,
        catalog: &str,
        engagement: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM snapshots WHERE catalog = ?1 AND engagement_id = ?2 ORDER BY id",
        )?;
        collect_docs(stmt.query_map(params![catalog, engagement], doc_column)?)
    }

    fn put_snapshot_job(
        &mut self,
        scope: &Scope,
        rec: &SnapshotJobRecord,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO snapshot_jobs (account, catalog, id, resource_id, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                scope.account,
                scope.catalog,
                rec.id,
                rec.resource_id,
                to_json(rec)?
            ])?;
        Ok(())
    }

    fn get_snapshot_job(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<SnapshotJobRecord>, StoreError> {
        self.get_doc("snapshot_jobs", scope, id)
    }

    fn delete_snapshot_job(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        let n = self.tx.execute(
            "DELETE FROM snapshot_jobs WHERE account = ?1 AND catalog = ?2 AND id = ?3",
            params![scope.account, scope.catalog, id],
        )?;
        Ok(n > 0)
    }

    fn list_snapshot_jobs(&self, scope: &Scope) -> Result<Vec<SnapshotJobRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM snapshot_jobs WHERE account = ?1 AND catalog = ?2 ORDER BY rowid",
        )?;
        collect_docs(stmt.query_map(params![scope.account, scope.catalog], doc_column)?)
    }

    fn resource_snapshot_jobs(
        &self,
        scope: &Scope,
        resource_id: &str,
    ) -> Result<Vec<SnapshotJobRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM snapshot_jobs WHERE account = ?1 AND catalog = ?2 AND resource_id = ?3
             ORDER BY id",
        )?;
        collect_docs(stmt.query_map(
            params![scope.account, scope.catalog, resource_id],
            doc_column,
        )?)
    }

    fn put_customer_account(
        &mut self,
        scope: &Scope,
        rec: &CustomerAccountRecord,
    ) -> Result<(), StoreError> {
        self.put_doc("customer_accounts", scope, &rec.id, rec)
    }

    fn get_customer_account(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<CustomerAccountRecord>, StoreError> {
        self.get_doc("customer_accounts", scope, id)
    }

    fn delete_customer_account(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        let n = self.tx.execute(
            "DELETE FROM customer_accounts WHERE account = ?1 AND catalog = ?2 AND id = ?3",
            params![scope.account, scope.catalog, id],
        )?;
        Ok(n > 0)
    }

    fn list_customer_accounts(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CustomerAccountRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM customer_accounts WHERE account = ?1 AND catalog = ?2 ORDER BY rowid",
        )?;
        collect_docs(stmt.query_map(params![scope.account, scope.catalog], doc_column)?)
    }

    fn put_bulk_job(&mut self, scope: &Scope, rec: &BulkJobRecord) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO bulk_jobs (account, catalog, id, kind, status, created_at, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                scope.account,
                scope.catalog,
                rec.id,
                rec.kind,
                rec.status,
                rec.created_at,
                to_json(rec)?
            ])?;
        Ok(())
    }

    fn get_bulk_job(&self, scope: &Scope, id: &str) -> Result<Option<BulkJobRecord>, StoreError> {
        self.get_doc("bulk_jobs", scope, id)
    }

    fn list_bulk_jobs(&self, scope: &Scope, kind: &str) -> Result<Vec<BulkJobRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM bulk_jobs WHERE account = ?1 AND catalog = ?2 AND kind = ?3
             ORDER BY created_at DESC, id DESC",
        )?;
        collect_docs(stmt.query_map(params![scope.account, scope.catalog, kind], doc_column)?)
    }

    /// One process opens the database (its lock file): its one runner always holds the job.
    fn claim_bulk_job(
        &mut self,
        _scope: &Scope,
        _id: &str,
        _runner: &str,
        _lease: std::time::Duration,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    fn release_bulk_job(
        &mut self,
        _scope: &Scope,
        _id: &str,
        _runner: &str,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    fn unfinished_bulk_jobs(&self) -> Result<Vec<(Scope, BulkJobRecord)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT account, catalog, doc FROM bulk_jobs
             WHERE status IN ('SUBMITTED', 'IN_PROGRESS') ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (account, catalog, doc) = row?;
            out.push((Scope { account, catalog }, from_json(&doc)?));
        }
        Ok(out)
    }

    fn put_bulk_result(
        &mut self,
        scope: &Scope,
        job: &str,
        seq: i64,
        rec: &BulkResultRecord,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO bulk_results (account, catalog, job_id, seq, status, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                scope.account,
                scope.catalog,
                job,
                seq,
                rec.status,
                to_json(rec)?
            ])?;
        Ok(())
    }

    fn bulk_results(
        &self,
        scope: &Scope,
        job: &str,
        status: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, BulkResultRecord)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT seq, doc FROM bulk_results
             WHERE account = ?1 AND catalog = ?2 AND job_id = ?3 AND (?4 IS NULL OR status = ?4)
               AND seq > ?5
             ORDER BY seq LIMIT ?6",
        )?;
        let rows = stmt.query_map(
            params![
                scope.account,
                scope.catalog,
                job,
                status,
                after,
                limit as i64
            ],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, doc) = row?;
            out.push((seq, from_json(&doc)?));
        }
        Ok(out)
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch("SAVEPOINT record")?;
        Ok(())
    }

    fn end_savepoint(&mut self, keep: bool) -> Result<(), StoreError> {
        self.tx.execute_batch(if keep {
            "RELEASE record"
        } else {
            "ROLLBACK TO record; RELEASE record"
        })?;
        Ok(())
    }

    fn get_tags(&self, scope: &Scope, arn: &str) -> Result<Vec<Value>, StoreError> {
        Ok(self
            .get_doc::<TagsRecord>("tags", scope, arn)?
            .map(|r| r.tags)
            .unwrap_or_default())
    }

    fn put_tags(&mut self, scope: &Scope, arn: &str, tags: &[Value]) -> Result<(), StoreError> {
        if tags.is_empty() {
            self.tx.execute(
                "DELETE FROM tags WHERE account = ?1 AND catalog = ?2 AND id = ?3",
                params![scope.account, scope.catalog, arn],
            )?;
        } else {
            let rec = TagsRecord {
                resource_arn: arn.to_string(),
                tags: tags.to_vec(),
            };
            self.put_doc("tags", scope, arn, &rec)?;
        }
        // An opportunity's tags are part of its search entry.
        if let Some(at) = arn.find(":catalog/") {
            let segs: Vec<&str> = arn[at + 1..].split('/').collect();
            if let ["catalog", catalog, "opportunity", id] = segs.as_slice()
                && *catalog == scope.catalog
            {
                reindex_opportunity(&self.tx, scope, id)?;
            }
        }
        Ok(())
    }

    fn compact_search_index(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch(
            "INSERT INTO opportunity_search_text (opportunity_search_text) VALUES ('optimize')",
        )?;
        Ok(())
    }

    fn opportunity_tags(&self, scope: &Scope, id: &str) -> Result<Vec<Value>, StoreError> {
        opportunity_tags(&self.tx, scope, id)
    }

    fn get_selling_settings(&self, scope: &Scope) -> Result<Option<String>, StoreError> {
        Ok(self
            .get_doc::<SellingSettings>("selling_settings", scope, SETTINGS_ID)?
            .map(|s| s.resource_snapshot_job_role_arn))
    }

    fn put_selling_settings(&mut self, scope: &Scope, role_arn: &str) -> Result<(), StoreError> {
        let rec = SellingSettings {
            resource_snapshot_job_role_arn: role_arn.to_string(),
        };
        self.put_doc("selling_settings", scope, SETTINGS_ID, &rec)
    }

    fn list_solutions(&self, scope: &Scope) -> Result<Vec<SolutionRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM solutions WHERE account = ?1 AND catalog = ?2 ORDER BY id",
        )?;
        collect_docs(stmt.query_map(params![scope.account, scope.catalog], doc_column)?)
    }

    fn put_solution(&mut self, scope: &Scope, rec: &SolutionRecord) -> Result<(), StoreError> {
        self.put_doc("solutions", scope, &rec.id, rec)
    }

    fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_row(
                "SELECT value FROM settings WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn put_setting(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO settings (name, value) VALUES (?1, ?2)",
            params![name, value],
        )?;
        Ok(())
    }

    fn rebuild_listings(
        &mut self,
        listing: &dyn Fn(&Scope, &OpportunityRecord) -> String,
    ) -> Result<usize, StoreError> {
        let mut rebuilt = 0;
        {
            let mut stmt = self
                .tx
                .prepare("SELECT rowid, account, catalog, doc FROM opportunities")?;
            let mut cursor = stmt.query([])?;
            let mut update = self
                .tx
                .prepare("UPDATE opportunities SET listing = ?1 WHERE rowid = ?2")?;
            while let Some(row) = cursor.next()? {
                let scope = Scope {
                    account: row.get(1)?,
                    catalog: row.get(2)?,
                };
                let doc: String = row.get(3)?;
                let rec: OpportunityRecord = from_json(&doc)?;
                let rowid: i64 = row.get(0)?;
                update.execute(params![listing(&scope, &rec), rowid])?;
                rebuilt += 1;
            }
        }
        Ok(rebuilt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope(account: &str) -> Scope {
        Scope {
            account: account.into(),
            catalog: "AWS".into(),
        }
    }

    fn opp(id: &str, title: &str, stage: &str) -> OpportunityRecord {
        OpportunityRecord {
            id: id.into(),
            num: id[1..].parse().unwrap_or(1),
            created_date: "2026-01-01T00:00:00.000Z".into(),
            last_modified_date: "2026-01-01T00:00:00.000Z".into(),
            doc: json!({"Project": {"Title": title}, "LifeCycle": {"Stage": stage}})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            related: Default::default(),
            submission: None,
            engagement_id: None,
        }
    }

    fn ids(store: &SqliteStore, account: &str, q: &OpportunitySearchQuery) -> Vec<String> {
        let mut out: Vec<String> = store
            .read(|tx| tx.search_opportunities(&scope(account), q))
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        out.sort();
        out
    }

    fn keyword(k: &str) -> OpportunitySearchQuery {
        OpportunitySearchQuery {
            keyword: Some(k.to_lowercase()),
            conditions: Vec::new(),
        }
    }

    #[test]
    fn the_search_index_follows_every_write_and_finds_substrings() {
        let store = SqliteStore::in_memory().unwrap();
        let a = scope("111111111111");
        store
            .transaction(|tx| {
                tx.put_opportunity(&a, &opp("O1", "Acme data lake", "Prospect"), "{}")?;
                tx.put_opportunity(
                    &a,
                    &opp("O2", "Globex \"plant\" analytics", "Qualified"),
                    "{}",
                )?;
                tx.put_opportunity(
                    &scope("222222222222"),
                    &opp("O3", "Acme too", "Prospect"),
                    "{}",
                )
            })
            .unwrap();
        assert_eq!(ids(&store, "111111111111", &keyword("ACME D")), ["O1"]);
        assert_eq!(ids(&store, "111111111111", &keyword("a lak")), ["O1"]);
        assert_eq!(ids(&store, "111111111111", &keyword("\"plant\"")), ["O2"]);
        assert_eq!(
            ids(&store, "111111111111", &keyword("zzz")),
            Vec::<String>::new()
        );
        // Shorter than a trigram: not narrowed (search checks the keyword itself).
        assert_eq!(ids(&store, "111111111111", &keyword("ac")), ["O1", "O2"]);
        let q = OpportunitySearchQuery {
            keyword: None,
            conditions: vec![SearchCondition::TextIs(
                SearchColumn::Stage,
                "qualified".into(),
            )],
        };
        assert_eq!(ids(&store, "111111111111", &q), ["O2"]);
        // A new title replaces the old one in the text index.
        store
            .transaction(|tx| tx.put_opportunity(&a, &opp("O1", "Initech", "Prospect"), "{}"))
            .unwrap();
        assert_eq!(
            ids(&store, "111111111111", &keyword("acme")),
            Vec::<String>::new()
        );
        assert_eq!(ids(&store, "111111111111", &keyword("initech")), ["O1"]);
        // Tags and the AWS summary reach the entry.
        store
            .transaction(|tx| {
                tx.put_tags(
                    &a,
                    "arn:aws:partnercentral:us-east-1:111111111111:catalog/AWS/opportunity/O2",
                    &[json!({"Key": "Team", "Value": "EMEA"})],
                )?;
                tx.put_aws_summary(
                    &a,
                    &AwsSummaryRecord {
                        opportunity_id: "O2".into(),
                        aws: json!({"Insights": {"EngagementScore": "High"}})
                            .as_object()
                            .cloned()
                            .unwrap_or_default(),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        let entries = store
            .read(|tx| tx.search_opportunities(&a, &keyword("globex")))
            .unwrap();
        assert_eq!(entries[0].tags, ["Team", "Team:EMEA"]);
        assert_eq!(entries[0].engagement_score.as_deref(), Some("High"));
        let q = OpportunitySearchQuery {
            keyword: None,
            conditions: vec![SearchCondition::TextIs(
                SearchColumn::EngagementScore,
                "high".into(),
            )],
        };
        assert_eq!(ids(&store, "111111111111", &q), ["O2"]);
        // Resets take the entries with them.
        store
            .transaction(|tx| tx.reset(Some("111111111111"), None))
            .unwrap();
        assert_eq!(
            ids(&store, "111111111111", &keyword("globex")),
            Vec::<String>::new()
        );
        assert_eq!(ids(&store, "222222222222", &keyword("acme")), ["O3"]);
        store.transaction(|tx| tx.reset(None, None)).unwrap();
        assert_eq!(
            ids(&store, "222222222222", &keyword("acme")),
            Vec::<String>::new()
        );
    }
}
