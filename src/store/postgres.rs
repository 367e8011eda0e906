//! The PostgreSQL backend (`--database-url postgres://…`): the same records and the same
//! [`Tx`] as the SQLite backend, in a database that several processes may share.
//!
//! **Driver and pool.** The synchronous `postgres` crate (a blocking client over
//! `tokio-postgres`, by the same maintainer) pooled by `r2d2_postgres`. [`Tx`] is synchronous
//! and every store call already runs on tokio's blocking pool (or a background thread), so a
//! blocking client fits it without a second layer of `Handle::block_on`; each client drives
//! its connection on a small runtime of its own. It must never be called from an async worker
//! thread (the client would refuse to block there): `start` opens the store on the blocking
//! pool for that reason.
//!
//! **Schema.** The SQLite tables with the same columns; documents are JSON in `TEXT` (read and
//! written whole, never queried inside). Text the service sorts or compares is declared
//! `COLLATE "C"`, so that orders are by code point as in SQLite. Opportunity numbers come from
//! a sequence (`opportunity_numbers`): never handed out twice, across processes and resets (a
//! rolled-back creation loses its number, which is allowed). Tables whose listings are "oldest
//! first" by SQLite's `rowid` carry a `rid` from the sequence `row_ids`, renewed on every
//! replace, as `INSERT OR REPLACE` renews a rowid. The schema version is kept in
//! `schema_version`; a database from a newer build is refused.
//!
//! **The search index** has no text index yet: `opportunity_search.keywords` holds the
//! lower-cased keyword document and a keyword narrows with `position(… IN keywords)`, a scan
//! of the scope's entries (correct, slower than SQLite's FTS5 trigrams on large scopes).
//! `pg_trgm` would index it, but it is an extension that distributed PostgreSQL-compatible
//! databases do not all offer, so nothing relies on it.
//!
//! **Transactions.** A write runs at `READ COMMITTED` and first locks the one row of
//! `write_lock` with an `UPDATE` that also counts the writes ([`Store::generation`]): write
//! transactions follow one another, as with SQLite's single writer, and this holds across
//! every process sharing the database (the lock is the database's, not the process's). Each of
//! its statements sees every transaction that committed before it took the lock. One lock for
//! all writers is a choice: every rule the service checks by reading then writing (optimistic
//! locking, ClientTokens, one acceptance per invitation, snapshot revisions) holds without a
//! serialization retry anywhere; the cost is one commit at a time (`bench/README.md`). Reads
//! run in `REPEATABLE READ READ ONLY` transactions: one consistent snapshot, never waiting for
//! a writer.
//!
//! **State imports** write opportunities and AWS summaries in batches (`import`): multi-row
//! `INSERT … VALUES`, not `COPY`. The opportunity counter is a sequence, and `setval` is not
//! undone by a rollback: an import sets it as its very last statement, after every check, so
//! a document refused anywhere leaves it where it was (only a commit failing after that
//! statement, the connection lost in between, would leave it moved).
//!
//! **Bulk jobs** are worked by one server's runner at a time: `bulk_job_leases` holds each
//! running job's runner and the end of its lease (milliseconds, by the database's clock), and a
//! claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE` that is granted only to the holder or
//! once the lease ran out ([`Tx::claim_bulk_job`]).
//!
//! **Replicas** keep what each holds in memory in step through `control`, `replicas` and
//! `LISTEN`/`NOTIFY` (see [`Peers`] below and `crate::replicas`); events are in `events`.
//!
//! **SQL used**: standard SQL plus `INSERT … ON CONFLICT` (and multi-row `VALUES … RETURNING`),
//! sequences (`nextval`, `setval`), `SELECT … FOR UPDATE`, row-value comparisons,
//! `= ANY(array)` and `CREATE … IF NOT EXISTS`, all of which CockroachDB and YugabyteDB offer
//! too; and `LISTEN`/`NOTIFY` (`pg_notify`), which they do not all offer: there a replica
//! applies another's control change within a second, by its heartbeat's poll.

mod import;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::postgres::fallible_iterator::FallibleIterator;
use r2d2_postgres::postgres::types::ToSql;
use r2d2_postgres::postgres::{self, IsolationLevel, NoTls, Row, Statement};
use r2d2_postgres::r2d2;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{
    AwsSummaryRecord, BrowseQuery, BrowsedOpportunity, BulkJobRecord, BulkResultRecord,
    CustomerAccountRecord, EngagementRecord, IdempotencyRecord, InvitationQuery, InvitationRecord,
    ListedOpportunity, OpportunityQuery, OpportunityRecord, OpportunitySearchQuery,
    OpportunitySortKey, Peers, Repeated, Role, SETTINGS_ID, STATE_FORMAT, STATE_VERSION, Scope,
    ScopeSummary, SearchColumn, SearchCondition, SellingSettings, SnapshotJobRecord,
    SnapshotRecord, SolutionRecord, Store, StoreError, StoreFacts, TagsRecord, TaskRecord, Tx,
};
use crate::domain::ids::{FIRST_OPPORTUNITY_NUMBER, MAX_OPPORTUNITY_NUMBER};
use crate::domain::opportunity_search::{self, Entry};

/// The schema version this build writes (PostgreSQL's own history, from 1).
pub const SCHEMA_VERSION: i64 = 2;

/// Connections the pool keeps at most.
const POOL_SIZE: u32 = 16;

/// Statements a connection keeps prepared at most (past that it starts over).
const STATEMENTS: usize = 256;

type Pool = r2d2::Pool<Manager>;
type Conn = r2d2::PooledConnection<Manager>;

/// One pooled connection: the client and the statements it prepared, by SQL text, so that a
/// query costs one round trip, not a prepare and an execute.
pub struct PgConn {
    client: postgres::Client,
    statements: HashMap<String, Statement>,
}

/// Makes [`PgConn`]s for the pool.
pub struct Manager(PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let mut client = r2d2::ManageConnection::connect(&self.0)?;
        // A prepared statement would otherwise settle on a generic plan made while its table
        // was small (a sequential scan), and keep it as the table grows within a long
        // transaction (an import: quadratic). Planning each execution costs little; the
        // statement still saves its round trip. Best effort: not every server has the setting.
        let _ = client.batch_execute("SET plan_cache_mode = force_custom_plan");
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        r2d2::ManageConnection::is_valid(&self.0, &mut conn.client)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        r2d2::ManageConnection::has_broken(&self.0, &mut conn.client)
    }
}
type Param<'a> = &'a (dyn ToSql + Sync);

/// The schema; `CTEXT` is text compared by code point.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS write_lock (id INTEGER PRIMARY KEY);
INSERT INTO write_lock (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
ALTER TABLE write_lock ADD COLUMN IF NOT EXISTS generation BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE IF NOT EXISTS row_ids;
CREATE TABLE IF NOT EXISTS opportunities (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, num BIGINT NOT NULL,
    created CTEXT NOT NULL, last_modified CTEXT NOT NULL, stage CTEXT NOT NULL,
    review_status CTEXT NOT NULL, company_name CTEXT NOT NULL, target_close_date CTEXT NOT NULL,
    title TEXT NOT NULL, doc TEXT NOT NULL, listing TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS opportunities_by_modified
    ON opportunities (account, catalog, last_modified, num);
CREATE INDEX IF NOT EXISTS opportunities_by_num ON opportunities (account, catalog, num);
CREATE TABLE IF NOT EXISTS aws_summaries (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, doc TEXT NOT NULL,
    rid BIGINT NOT NULL DEFAULT nextval('row_ids'),
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS idempotency (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, operation CTEXT NOT NULL,
    token CTEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, operation, token)
);
CREATE TABLE IF NOT EXISTS tasks (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL,
    start_time CTEXT NOT NULL, doc TEXT NOT NULL, due CTEXT,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS tasks_by_due ON tasks (due) WHERE due IS NOT NULL;
CREATE TABLE IF NOT EXISTS invitations (
    catalog CTEXT NOT NULL, id CTEXT NOT NULL, sender CTEXT NOT NULL, receiver CTEXT NOT NULL,
    status CTEXT NOT NULL, payload_type CTEXT NOT NULL, invitation_date CTEXT NOT NULL,
    expiration_date CTEXT, engagement_id CTEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (catalog, id)
);
CREATE INDEX IF NOT EXISTS invitations_by_receiver
    ON invitations (catalog, receiver, invitation_date);
CREATE INDEX IF NOT EXISTS invitations_by_sender ON invitations (catalog, sender, invitation_date);
CREATE INDEX IF NOT EXISTS invitations_by_engagement ON invitations (catalog, engagement_id);
CREATE INDEX IF NOT EXISTS invitations_pending ON invitations (expiration_date)
    WHERE status = 'PENDING';
CREATE TABLE IF NOT EXISTS engagements (
    catalog CTEXT NOT NULL, id CTEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (catalog, id)
);
CREATE TABLE IF NOT EXISTS engagement_members (
    catalog CTEXT NOT NULL, account CTEXT NOT NULL, engagement_id CTEXT NOT NULL,
    created_at CTEXT NOT NULL,
    PRIMARY KEY (catalog, account, engagement_id)
);
CREATE INDEX IF NOT EXISTS engagement_members_by_engagement
    ON engagement_members (catalog, engagement_id);
CREATE INDEX IF NOT EXISTS engagement_members_by_created
    ON engagement_members (catalog, account, created_at, engagement_id);
CREATE TABLE IF NOT EXISTS snapshots (
    catalog CTEXT NOT NULL, id CTEXT NOT NULL, engagement_id CTEXT NOT NULL,
    resource_id CTEXT NOT NULL, template CTEXT NOT NULL, revision BIGINT NOT NULL,
    payload_hash TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (catalog, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_by_revision
    ON snapshots (catalog, engagement_id, resource_id, template, revision);
CREATE TABLE IF NOT EXISTS snapshot_jobs (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL,
    resource_id CTEXT NOT NULL, doc TEXT NOT NULL,
    rid BIGINT NOT NULL DEFAULT nextval('row_ids'),
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS snapshot_jobs_by_resource
    ON snapshot_jobs (account, catalog, resource_id);
CREATE TABLE IF NOT EXISTS tags (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, doc TEXT NOT NULL,
    rid BIGINT NOT NULL DEFAULT nextval('row_ids'),
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS customer_accounts (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, doc TEXT NOT NULL,
    rid BIGINT NOT NULL DEFAULT nextval('row_ids'),
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS selling_settings (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, doc TEXT NOT NULL,
    rid BIGINT NOT NULL DEFAULT nextval('row_ids'),
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS solutions (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, doc TEXT NOT NULL,
    rid BIGINT NOT NULL DEFAULT nextval('row_ids'),
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS settings (name CTEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bulk_jobs (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, kind CTEXT NOT NULL,
    status CTEXT NOT NULL, created_at CTEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE INDEX IF NOT EXISTS bulk_jobs_unfinished ON bulk_jobs (created_at)
    WHERE status IN ('SUBMITTED', 'IN_PROGRESS');
CREATE TABLE IF NOT EXISTS bulk_results (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, job_id CTEXT NOT NULL, seq BIGINT NOT NULL,
    status CTEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, job_id, seq)
);
CREATE INDEX IF NOT EXISTS bulk_results_by_status
    ON bulk_results (account, catalog, job_id, status, seq);
CREATE TABLE IF NOT EXISTS opportunity_search (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL,
    stage TEXT, review_status TEXT, opportunity_type TEXT, origin TEXT, country_code TEXT,
    industry TEXT, engagement_score TEXT, cosell_motion TEXT, estimated_mrr DOUBLE PRECISION,
    keywords TEXT NOT NULL, entry TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS control (id INTEGER PRIMARY KEY, generation BIGINT NOT NULL);
INSERT INTO control (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS replicas (
    id CTEXT PRIMARY KEY, seen BIGINT NOT NULL, beat BIGINT NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS event_numbers;
CREATE TABLE IF NOT EXISTS events (seq BIGINT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bulk_job_leases (
    account CTEXT NOT NULL, catalog CTEXT NOT NULL, id CTEXT NOT NULL, runner TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
"#;

/// A pool of connections to one PostgreSQL database.
pub struct PostgresStore {
    /// Always set; taken only when the store is dropped.
    pool: Option<Pool>,
    /// Where the pool connects, for the connection that follows announcements.
    config: postgres::Config,
    /// Set when the store is dropped: the follower stops.
    stopped: Arc<AtomicBool>,
    /// This replica's row in `replicas`.
    me: String,
    /// Whether the database has `LISTEN`/`NOTIFY` (PostgreSQL does; CockroachDB and YugabyteDB
    /// do not): without it, followers poll.
    notify: bool,
}

impl Drop for PostgresStore {
    /// Closing a client blocks, which an async worker (where the server's state may go) must
    /// not do: the pool is dropped on a thread of its own.
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(pool) = self.pool.take() {
            let me = std::mem::take(&mut self.me);
            let closing = std::thread::Builder::new()
                .name("pcl-pg-close".into())
                .spawn(move || {
                    // A replica that stops is no longer waited for (one killed is, until its
                    // heartbeat is stale).
                    if let Ok(mut conn) = pool.get() {
                        let _ = conn
                            .client
                            .execute("DELETE FROM replicas WHERE id = $1", &[&me]);
                    }
                    drop(pool)
                });
            if let Ok(handle) = closing {
                let _ = handle.join();
            }
        }
    }
}

/// A connection set aside for one long read (an export).
pub struct Snapshot(Conn);

impl PostgresStore {
    /// Connects to `url`, creating or migrating the schema. Blocks: call it off the async
    /// workers.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Open(format!("invalid database URL: {e}")))?;
        let manager = Manager(PostgresConnectionManager::new(config.clone(), NoTls));
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(30))
            .build(manager)
            .map_err(|e| StoreError::Open(format!("cannot connect to the database: {e}")))?;
        let mut store = Self {
            pool: Some(pool),
            config,
            stopped: Arc::default(),
            me: uuid::Uuid::new_v4().to_string(),
            notify: false,
        };
        // Servers starting together on a new database race to create the same tables: the
        // loser's `CREATE … IF NOT EXISTS` fails on the catalog's unique index. Its whole
        // migration rolled back; run it again, when the tables are there.
        let mut attempt = 0;
        loop {
            match store.migrate() {
                Err(StoreError::Postgres(e)) if attempt < 10 && is_creation_race(&e) => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50 * attempt));
                }
                other => {
                    return other.map(|()| {
                        store.notify = store.has_notify();
                        store
                    });
                }
            }
        }
    }

    /// Whether the database takes `NOTIFY` (tried once, at open).
    fn has_notify(&self) -> bool {
        let works = self.conn().is_ok_and(|mut c| {
            c.client
                .batch_execute("SELECT pg_notify('pcl_control', '')")
                .is_ok()
        });
        if !works {
            tracing::info!("the database has no LISTEN/NOTIFY: replicas poll for control changes");
        }
        works
    }

    fn conn(&self) -> Result<Conn, StoreError> {
        self.pool
            .as_ref()
            .ok_or_else(|| StoreError::Open("the store is closed".into()))?
            .get()
            .map_err(|e| StoreError::Open(format!("no database connection: {e}")))
    }

    /// Brings the database to [`SCHEMA_VERSION`], or refuses a newer one.
    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        // "already exists, skipping" notices would fill the log at every start.
        tx.batch_execute("SET LOCAL client_min_messages = warning")?;
        let schema = SCHEMA.replace("CTEXT", "TEXT COLLATE \"C\"");
        let start = format!(
            "CREATE SEQUENCE IF NOT EXISTS opportunity_numbers START WITH {FIRST_OPPORTUNITY_NUMBER}
               MINVALUE 1 MAXVALUE {MAX_OPPORTUNITY_NUMBER};"
        );
        tx.batch_execute(&start)?;
        tx.batch_execute(&schema)?;
        let version: Option<i64> = tx
            .query_opt("SELECT max(version) FROM schema_version", &[])?
            .and_then(|r| r.get(0));
        match version {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::Open(format!(
                    "the database was written by a newer partnercentral-local (schema version \
                     {v}; this build reads versions up to {SCHEMA_VERSION})"
                )));
            }
            Some(v) if v == SCHEMA_VERSION => {}
            _ => {
                tx.execute("DELETE FROM schema_version", &[])?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Whether `e` is what a concurrent creation of the same schema object causes.
fn is_creation_race(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        [
            SqlState::UNIQUE_VIOLATION,
            SqlState::DUPLICATE_TABLE,
            SqlState::DUPLICATE_OBJECT,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(c)
    })
}

/// Runs `f` in a read-only transaction over one snapshot on `conn`.
fn read_on<T, E: From<StoreError>>(
    conn: &mut Conn,
    f: impl FnOnce(&dyn Tx) -> Result<T, E>,
) -> Result<T, E> {
    let PgConn { client, statements } = &mut **conn;
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(StoreError::from)?;
    let wrapper = PgTx {
        tx: RefCell::new(tx),
        statements: RefCell::new(statements),
        pending: import::Pending::default(),
        notify: false,
    };
    let out = f(&wrapper)?;
    wrapper.tx.into_inner().commit().map_err(StoreError::from)?;
    Ok(out)
}

impl Store for PostgresStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        let PgConn { client, statements } = &mut *conn;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .map_err(StoreError::from)?;
        let mut wrapper = PgTx {
            tx: RefCell::new(tx),
            statements: RefCell::new(statements),
            pending: import::Pending::default(),
            notify: self.notify,
        };
        // Locks the row (as `SELECT … FOR UPDATE` would) and counts the write: see
        // `Store::generation`.
        wrapper.exec(
            "UPDATE write_lock SET generation = generation + 1 WHERE id = 1",
            &[],
        )?;
        // An error or a panic drops the transaction, which rolls it back.
        let out = f(&mut wrapper)?;
        // An import writes what it held back before it returns (`Tx::flush_import`).
        debug_assert!(wrapper.pending.is_empty(), "import records held at commit");
        wrapper.tx.into_inner().commit().map_err(StoreError::from)?;
        Ok(out)
    }

    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        read_on(&mut conn, f)
    }

    type Snapshot = Snapshot;

    fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot(self.conn()?))
    }

    fn read_snapshot<T, E: From<StoreError>>(
        mut snapshot: Snapshot,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        read_on(&mut snapshot.0, f)
    }

    fn health(&self) -> Result<StoreFacts, StoreError> {
        let mut conn = self.conn()?;
        let schema_version: Option<i64> = conn
            .client
            .query_one("SELECT max(version) FROM schema_version", &[])?
            .get(0);
        drop(conn);
        self.read(|tx| tx.is_empty().map(|_| ()))?;
        Ok(StoreFacts {
            schema_version: schema_version.unwrap_or(0),
        })
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn peers(&self) -> Option<&dyn Peers> {
        Some(self)
    }

    fn generation(&self) -> Result<Option<i64>, StoreError> {
        const SQL: &str = "SELECT generation FROM write_lock WHERE id = 1";
        let mut conn = self.conn()?;
        let PgConn { client, statements } = &mut *conn;
        let stmt = match statements.get(SQL) {
            Some(s) => s.clone(),
            None => {
                let s = client.prepare(SQL)?;
                statements.insert(SQL.to_string(), s.clone());
                s
            }
        };
        Ok(Some(client.query_one(&stmt, &[])?.try_get(0)?))
    }
}

/// A replica is live while its follower's heartbeat is younger than this.
const LIVE_MS: i64 = 3_000;
/// How often a follower beats (and checks for announcements it missed).
const BEAT: Duration = Duration::from_millis(1_000);
/// How often a follower looks for announcements where the database has no `NOTIFY`.
const POLL: Duration = Duration::from_millis(200);
/// The database's clock, in milliseconds: replicas' heartbeats compare on one clock.
const NOW_MS: &str = "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)";

/// Replicas keep in step through the database: an announcement bumps `control.generation` and
/// notifies channel `pcl_control` (`LISTEN`/`NOTIFY`). Each replica's follower, on its own
/// connection, applies what changed and then records the generation it has applied in
/// `replicas` (with a heartbeat); [`Peers::settle`] waits until every live replica's recorded
/// generation reached the current one.
impl Peers for PostgresStore {
    fn follow(&self, apply: Box<dyn Fn() + Send>) -> Result<(), StoreError> {
        let mut client = self.config.connect(NoTls)?;
        let me = self.me.clone();
        let notify = self.notify;
        if notify {
            client.batch_execute("LISTEN pcl_control")?;
        }
        let stopped = Arc::clone(&self.stopped);
        // The first round before serving: this replica starts with what the others share.
        let mut applied = None;
        follow_once(&mut client, &me, &mut applied, &*apply)?;
        std::thread::Builder::new()
            .name("pcl-pg-follow".into())
            .spawn(move || {
                while !stopped.load(Ordering::SeqCst) {
                    match follow_once(&mut client, &me, &mut applied, &*apply) {
                        Ok(()) => {}
                        Err(e) if client.is_closed() => {
                            tracing::error!(error = %describe(&e), "the replica follower lost its database connection");
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(error = %describe(&e), "the replica follower failed; retrying");
                        }
                    }
                    if notify {
                        // Wakes on the next announcement, or beats.
                        let mut notes = client.notifications();
                        let _ = notes.timeout_iter(BEAT).next();
                        // Those that came meanwhile are covered by the same round.
                        let _ = notes.iter().count();
                    } else {
                        std::thread::sleep(POLL);
                    }
                }
                let _ = client.execute("DELETE FROM replicas WHERE id = $1", &[&me]);
            })
            .map_err(|e| StoreError::Open(format!("cannot start the replica follower: {e}")))?;
        Ok(())
    }

    fn settle(&self, limit: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let client = &mut conn.client;
        let target: i64 = client
            .query_one("SELECT generation FROM control WHERE id = 1", &[])?
            .try_get(0)?;
        let behind =
            format!("SELECT count(*) FROM replicas WHERE seen < $1 AND beat > {NOW_MS} - $2");
        let deadline = std::time::Instant::now() + limit;
        loop {
            let n: i64 = client
                .query_one(&behind, &[&target, &LIVE_MS])?
                .try_get(0)?;
            if n == 0 {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// One round of a follower: applies what changed since `applied`, then records the generation
/// applied and beats.
fn follow_once(
    client: &mut postgres::Client,
    me: &str,
    applied: &mut Option<i64>,
    apply: &dyn Fn(),
) -> Result<(), postgres::Error> {
    let current: i64 = client
        .query_one("SELECT generation FROM control WHERE id = 1", &[])?
        .try_get(0)?;
    if *applied != Some(current) {
        // Read after the generation: what `apply` reads includes everything it announced.
        apply();
        *applied = Some(current);
    }
    client.execute(
        &format!(
            "INSERT INTO replicas (id, seen, beat) VALUES ($1, $2, {NOW_MS})
             ON CONFLICT (id) DO UPDATE SET seen = EXCLUDED.seen, beat = EXCLUDED.beat"
        ),
        &[&me, &current],
    )?;
    // Replicas gone for a minute are forgotten.
    client.execute(
        &format!("DELETE FROM replicas WHERE beat < {NOW_MS} - 60000"),
        &[],
    )?;
    Ok(())
}

/// A transaction: a `RefCell`, as the client wants `&mut` for reads too and [`Tx`] reads
/// through `&self`. No method holds the borrow while calling out (except into a writer).
pub struct PgTx<'c> {
    tx: RefCell<postgres::Transaction<'c>>,
    statements: RefCell<&'c mut HashMap<String, Statement>>,
    /// A state import's records held back to be written in batches.
    pending: import::Pending,
    /// Whether the database has `NOTIFY` (announcements are also polled).
    notify: bool,
}

/// A client error with the server's own message when there is one (the client's `Display`
/// says only "db error").
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}

/// The document in column `i` of `row`, decoded.
fn doc_at<T: DeserializeOwned>(row: &Row, i: usize) -> Result<T, StoreError> {
    let text: &str = row.try_get(i)?;
    from_json(text)
}

fn docs<T: DeserializeOwned>(rows: &[Row]) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|r| doc_at(r, 0)).collect()
}

fn scope_at(row: &Row) -> Result<Scope, StoreError> {
    Ok(Scope {
        account: row.try_get(0)?,
        catalog: row.try_get(1)?,
    })
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

/// Query arguments built up with the SQL text (`$n` numbered as they are pushed).
#[derive(Default)]
struct Args(Vec<Box<dyn ToSql + Sync>>);

impl Args {
    /// Adds an argument; its placeholder.
    fn push(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }

    /// Placeholders of every value, comma-separated.
    fn list(&mut self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.push(v.clone()))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn refs(&self) -> Vec<Param<'_>> {
        self.0.iter().map(|b| b.as_ref() as Param<'_>).collect()
    }
}

/// Appends one stored JSON document to a list being written (see the SQLite backend).
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

impl PgTx<'_> {
    /// `sql` prepared on this connection (once per connection).
    fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.tx.borrow_mut().prepare(sql)?;
        let mut cache = self.statements.borrow_mut();
        if cache.len() >= STATEMENTS {
            cache.clear();
        }
        cache.insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }

    fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        Ok(self.tx.borrow_mut().query(&stmt, params)?)
    }

    fn query_opt(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        Ok(self.tx.borrow_mut().query_opt(&stmt, params)?)
    }

    fn exec(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        Ok(self.tx.borrow_mut().execute(&stmt, params)?)
    }

    /// Streams the first column (a stored document) of every row to `visit`.
    fn stream_docs(
        &self,
        sql: &str,
        params: &[Param<'_>],
        visit: &mut dyn FnMut(&str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let stmt = self.statement(sql)?;
        let mut tx = self.tx.borrow_mut();
        let mut rows = tx.query_raw(&stmt, params.iter().copied())?;
        while let Some(row) = rows.next()? {
            let doc: &str = row.try_get(0)?;
            visit(doc)?;
        }
        Ok(())
    }

    fn get_doc<T: DeserializeOwned>(
        &self,
        table: &str,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let sql =
            format!("SELECT doc FROM {table} WHERE account = $1 AND catalog = $2 AND id = $3");
        match self.query_opt(&sql, &[&scope.account, &scope.catalog, &id])? {
            Some(row) => Ok(Some(doc_at(&row, 0)?)),
            None => Ok(None),
        }
    }

    fn shared_doc<T: DeserializeOwned>(
        &self,
        table: &str,
        catalog: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let sql = format!("SELECT doc FROM {table} WHERE catalog = $1 AND id = $2");
        match self.query_opt(&sql, &[&catalog, &id])? {
            Some(row) => Ok(Some(doc_at(&row, 0)?)),
            None => Ok(None),
        }
    }

    /// Inserts or replaces a document (a replace renews its `rid`, as SQLite's rowid).
    fn put_doc<T: Serialize>(
        &self,
        table: &str,
        scope: &Scope,
        id: &str,
        doc: &T,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {table} (account, catalog, id, doc) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account, catalog, id)
             DO UPDATE SET doc = EXCLUDED.doc, rid = nextval('row_ids')"
        );
        self.exec(&sql, &[&scope.account, &scope.catalog, &id, &to_json(doc)?])?;
        Ok(())
    }

    fn delete_scoped(&self, table: &str, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {table} WHERE account = $1 AND catalog = $2 AND id = $3");
        Ok(self.exec(&sql, &[&scope.account, &scope.catalog, &id])? > 0)
    }

    /// Records which accounts are members of `rec` (replacing what was recorded).
    fn index_members(&self, catalog: &str, rec: &EngagementRecord) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM engagement_members WHERE catalog = $1 AND engagement_id = $2",
            &[&catalog, &rec.id],
        )?;
        for m in &rec.members {
            self.exec(
                "INSERT INTO engagement_members (catalog, account, engagement_id, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&catalog, &m.account_id, &rec.id, &rec.created_at],
            )?;
        }
        Ok(())
    }

    // The opportunity search index: one row per opportunity, rewritten in the transaction of
    // every write of the opportunity, its AWS summary or its tags.

    fn index_opportunity(&self, scope: &Scope, rec: &OpportunityRecord) -> Result<(), StoreError> {
        let summary: Option<AwsSummaryRecord> = self.get_doc("aws_summaries", scope, &rec.id)?;
        let tags = Tx::opportunity_tags(self, scope, &rec.id)?;
        let entry = opportunity_search::entry(rec, summary.as_ref(), &tags);
        self.put_search_entry(scope, &entry)
    }

    fn reindex_opportunity(&self, scope: &Scope, id: &str) -> Result<(), StoreError> {
        match self.get_doc::<OpportunityRecord>("opportunities", scope, id)? {
            Some(rec) => self.index_opportunity(scope, &rec),
            None => Ok(()),
        }
    }

    fn put_search_entry(&self, scope: &Scope, e: &Entry) -> Result<(), StoreError> {
        self.put_search_entries(scope, std::slice::from_ref(e))
    }
}

impl Tx for PgTx<'_> {
    fn next_opportunity_number(&mut self) -> Result<i64, StoreError> {
        match self.query_opt("SELECT nextval('opportunity_numbers')", &[]) {
            Ok(Some(row)) => Ok(row.try_get(0)?),
            Ok(None) => Err(StoreError::Exhausted("opportunity numbers")),
            Err(StoreError::Postgres(e))
                if e.code()
                    == Some(&postgres::error::SqlState::SEQUENCE_GENERATOR_LIMIT_EXCEEDED) =>
            {
                Err(StoreError::Exhausted("opportunity numbers"))
            }
            Err(e) => Err(e),
        }
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
        self.exec(
            "INSERT INTO opportunities (account, catalog, id, num, created, last_modified, stage,
               review_status, company_name, target_close_date, title, doc, listing)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (account, catalog, id) DO UPDATE SET num = EXCLUDED.num,
               created = EXCLUDED.created, last_modified = EXCLUDED.last_modified,
               stage = EXCLUDED.stage, review_status = EXCLUDED.review_status,
               company_name = EXCLUDED.company_name,
               target_close_date = EXCLUDED.target_close_date, title = EXCLUDED.title,
               doc = EXCLUDED.doc, listing = EXCLUDED.listing",
            &[
                &scope.account,
                &scope.catalog,
                &rec.id,
                &rec.num,
                &rec.created_date,
                &rec.last_modified_date,
                &text("LifeCycle.Stage"),
                &text("LifeCycle.ReviewStatus"),
                &text("Customer.Account.CompanyName"),
                &text("LifeCycle.TargetCloseDate"),
                &text("Project.Title"),
                &to_json(rec)?,
                &listing,
            ],
        )?;
        self.index_opportunity(scope, rec)
    }

    fn list_opportunities(
        &self,
        scope: &Scope,
        q: &OpportunityQuery,
    ) -> Result<Vec<ListedOpportunity>, StoreError> {
        let column = sort_column(q.sort);
        let mut args = Args::default();
        let mut sql = format!(
            "SELECT num, CAST({column} AS TEXT) AS sort_value, listing FROM opportunities
             WHERE account = {} AND catalog = {}",
            args.push(scope.account.clone()),
            args.push(scope.catalog.clone())
        );
        for (column, values) in [
            ("id", &q.identifiers),
            ("stage", &q.stages),
            ("review_status", &q.review_statuses),
            ("company_name", &q.company_names),
        ] {
            if !values.is_empty() {
                sql.push_str(&format!(" AND {column} IN ({})", args.list(values)));
            }
        }
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
                sql.push_str(&format!(" AND {column} {op} {}", args.push(v.clone())));
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
                sql.push_str(&format!(" AND num {cmp} {}", args.push(*num)));
            } else {
                let v = args.push(value.clone());
                let n = args.push(*num);
                sql.push_str(&format!(" AND ({column}, num) {cmp} ({v}, {n})"));
            }
        }
        let limit = args.push(q.limit as i64);
        if q.sort == OpportunitySortKey::Identifier {
            sql.push_str(&format!(" ORDER BY num {dir} LIMIT {limit}"));
        } else {
            sql.push_str(&format!(
                " ORDER BY {column} {dir}, num {dir} LIMIT {limit}"
            ));
        }
        let rows = self.query(&sql, &args.refs())?;
        rows.iter()
            .map(|r| {
                Ok(ListedOpportunity {
                    num: r.try_get(0)?,
                    sort_value: if q.sort == OpportunitySortKey::Identifier {
                        String::new()
                    } else {
                        r.try_get(1)?
                    },
                    listing: r.try_get(2)?,
                })
            })
            .collect()
    }

    fn search_opportunities(
        &self,
        scope: &Scope,
        q: &OpportunitySearchQuery,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut args = Args::default();
        let mut sql = format!(
            "SELECT entry FROM opportunity_search WHERE account = {} AND catalog = {}",
            args.push(scope.account.clone()),
            args.push(scope.catalog.clone())
        );
        if let Some(k) = q.keyword.as_deref().filter(|k| !k.is_empty()) {
            sql.push_str(&format!(
                " AND position({} IN keywords) > 0",
                args.push(k.to_string())
            ));
        }
        for c in &q.conditions {
            match c {
                SearchCondition::TextIs(column, value) => {
                    sql.push_str(&format!(
                        " AND {} = {}",
                        search_column(*column),
                        args.push(value.clone())
                    ));
                }
                SearchCondition::Mrr(op, value) => {
                    let op = match *op {
                        "<" | "<=" | "=" | ">=" | ">" => *op,
                        _ => continue,
                    };
                    sql.push_str(&format!(" AND estimated_mrr {op} {}", args.push(*value)));
                }
            }
        }
        docs(&self.query(&sql, &args.refs())?)
    }

    fn browse_opportunities(
        &self,
        scope: &Scope,
        q: &BrowseQuery,
    ) -> Result<Vec<BrowsedOpportunity>, StoreError> {
        let mut args = Args::default();
        let mut sql = format!(
            "SELECT id, num, created, last_modified, stage, review_status, company_name, title
             FROM opportunities WHERE account = {} AND catalog = {}",
            args.push(scope.account.clone()),
            args.push(scope.catalog.clone())
        );
        if let Some(v) = &q.review_status {
            sql.push_str(&format!(" AND review_status = {}", args.push(v.clone())));
        }
        if let Some(v) = &q.stage {
            sql.push_str(&format!(" AND stage = {}", args.push(v.clone())));
        }
        if let Some(text) = q.search.as_deref().filter(|t| !t.is_empty()) {
            let p = args.push(text.to_lowercase());
            sql.push_str(&format!(
                " AND (position({p} IN lower(id)) > 0 OR position({p} IN lower(company_name)) > 0
                       OR position({p} IN lower(title)) > 0)"
            ));
        }
        if let Some(before) = q.before {
            sql.push_str(&format!(" AND num < {}", args.push(before)));
        }
        sql.push_str(&format!(
            " ORDER BY num DESC LIMIT {}",
            args.push(q.limit as i64)
        ));
        let rows = self.query(&sql, &args.refs())?;
        rows.iter()
            .map(|r| {
                Ok(BrowsedOpportunity {
                    id: r.try_get(0)?,
                    num: r.try_get(1)?,
                    created: r.try_get(2)?,
                    last_modified: r.try_get(3)?,
                    stage: r.try_get(4)?,
                    review_status: r.try_get(5)?,
                    company_name: r.try_get(6)?,
                    title: r.try_get(7)?,
                })
            })
            .collect()
    }

    fn scopes(&self) -> Result<Vec<ScopeSummary>, StoreError> {
        let rows = self.query(
            "SELECT account, catalog, CAST(sum(o) AS BIGINT), CAST(sum(i) AS BIGINT) FROM (
                 SELECT account, catalog, count(*) AS o, 0 AS i FROM opportunities GROUP BY 1, 2
                 UNION ALL SELECT receiver, catalog, 0, count(*) FROM invitations GROUP BY 1, 2
                 UNION ALL SELECT sender, catalog, 0, count(*) FROM invitations GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM aws_summaries GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM engagement_members GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM customer_accounts GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM bulk_jobs GROUP BY 1, 2
                 UNION ALL SELECT account, catalog, 0, 0 FROM solutions GROUP BY 1, 2
             ) AS u WHERE account <> 'aws' GROUP BY account, catalog ORDER BY account, catalog",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(ScopeSummary {
                    scope: scope_at(r)?,
                    opportunities: r.try_get(2)?,
                    invitations: r.try_get(3)?,
                })
            })
            .collect()
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
        self.reindex_opportunity(scope, &rec.opportunity_id)
    }

    fn delete_aws_summary(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        let deleted = self.delete_scoped("aws_summaries", scope, id)?;
        if deleted {
            self.reindex_opportunity(scope, id)?;
        }
        Ok(deleted)
    }

    fn import_opportunity(
        &mut self,
        scope: &Scope,
        rec: OpportunityRecord,
        listing: String,
        at: &str,
    ) -> Result<Option<Repeated>, StoreError> {
        self.hold_opportunity(scope, rec, listing, at)
    }

    fn import_aws_summary(
        &mut self,
        scope: &Scope,
        rec: AwsSummaryRecord,
    ) -> Result<Option<Repeated>, StoreError> {
        self.hold_aws_summary(scope, rec)
    }

    fn flush_import(&mut self) -> Result<Option<Repeated>, StoreError> {
        self.flush_pending()
    }

    fn export_json(&self, out: &mut dyn std::io::Write) -> Result<(), StoreError> {
        let last: Option<(i64, bool)> = self
            .query_opt("SELECT last_value, is_called FROM opportunity_numbers", &[])?
            .map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?;
        let next = match last {
            Some((n, true)) => n + 1,
            Some((n, false)) => n,
            None => FIRST_OPPORTUNITY_NUMBER,
        };
        let scopes = self.query(
            "SELECT account, catalog FROM opportunities UNION SELECT account, catalog FROM aws_summaries
             UNION SELECT account, catalog FROM solutions UNION SELECT account, catalog FROM tasks
             UNION SELECT account, catalog FROM idempotency UNION SELECT account, catalog FROM snapshot_jobs
             UNION SELECT account, catalog FROM tags UNION SELECT account, catalog FROM selling_settings
             UNION SELECT account, catalog FROM customer_accounts ORDER BY 1, 2",
            &[],
        )?;
        out.write_all(
            format!(
                "{{\"format\":{},\"version\":{STATE_VERSION},\"nextOpportunityNumber\":{next},\"scopes\":[",
                to_json(&STATE_FORMAT)?
            )
            .as_bytes(),
        )?;
        for (i, row) in scopes.iter().enumerate() {
            let scope = scope_at(row)?;
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(
                format!(
                    "{{\"accountId\":{},\"catalog\":{}",
                    to_json(&scope.account)?,
                    to_json(&scope.catalog)?
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
                let mut first = true;
                self.stream_docs(
                    &format!(
                        "SELECT doc FROM {table} WHERE account = $1 AND catalog = $2 ORDER BY id"
                    ),
                    &[&scope.account, &scope.catalog],
                    &mut |doc| append_stored(out, doc, &mut first),
                )?;
                out.write_all(b"]")?;
            }
            out.write_all(b",\"idempotency\":[")?;
            let mut first = true;
            let rows = self.query(
                "SELECT operation, token, doc FROM idempotency WHERE account = $1 AND catalog = $2
                 ORDER BY operation, token",
                &[&scope.account, &scope.catalog],
            )?;
            for r in &rows {
                let entry = format!(
                    "{{\"operation\":{},\"token\":{},\"record\":{}}}",
                    to_json(&r.try_get::<_, &str>(0)?)?,
                    to_json(&r.try_get::<_, &str>(1)?)?,
                    r.try_get::<_, &str>(2)?
                );
                append_stored(out, &entry, &mut first)?;
            }
            out.write_all(b"]}")?;
        }
        out.write_all(b"],\"catalogs\":[")?;
        let catalogs = self.query(
            "SELECT catalog FROM engagements UNION SELECT catalog FROM invitations
             UNION SELECT catalog FROM snapshots ORDER BY 1",
            &[],
        )?;
        for (i, row) in catalogs.iter().enumerate() {
            let catalog: String = row.try_get(0)?;
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(format!("{{\"catalog\":{}", to_json(&catalog)?).as_bytes())?;
            for (key, table) in [
                ("engagements", "engagements"),
                ("invitations", "invitations"),
                ("snapshots", "snapshots"),
            ] {
                out.write_all(format!(",\"{key}\":[").as_bytes())?;
                let mut first = true;
                self.stream_docs(
                    &format!("SELECT doc FROM {table} WHERE catalog = $1 ORDER BY id"),
                    &[&catalog],
                    &mut |doc| append_stored(out, doc, &mut first),
                )?;
                out.write_all(b"]")?;
            }
            out.write_all(b"}")?;
        }
        out.write_all(b"]}")?;
        Ok(())
    }

    fn set_next_opportunity_number(&mut self, next: i64) -> Result<(), StoreError> {
        self.query("SELECT setval('opportunity_numbers', $1, false)", &[&next])?;
        Ok(())
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let row = self.query_opt(
            "SELECT (SELECT count(*) FROM opportunities) + (SELECT count(*) FROM aws_summaries)
                  + (SELECT count(*) FROM solutions) + (SELECT count(*) FROM tasks)
                  + (SELECT count(*) FROM invitations) + (SELECT count(*) FROM engagements)
                  + (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM snapshot_jobs)
                  + (SELECT count(*) FROM tags) + (SELECT count(*) FROM selling_settings)
                  + (SELECT count(*) FROM customer_accounts)",
            &[],
        )?;
        let n: i64 = match row {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok(n == 0)
    }

    fn reset(&mut self, account: Option<&str>, catalog: Option<&str>) -> Result<(), StoreError> {
        for table in [
            "opportunity_search",
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
            "bulk_job_leases",
        ] {
            self.exec(
                &format!(
                    "DELETE FROM {table} WHERE (CAST($1 AS TEXT) IS NULL OR account = $1)
                       AND (CAST($2 AS TEXT) IS NULL OR catalog = $2)"
                ),
                &[&account, &catalog],
            )?;
        }
        let Some(account) = account else {
            for table in [
                "invitations",
                "engagements",
                "engagement_members",
                "snapshots",
            ] {
                self.exec(
                    &format!("DELETE FROM {table} WHERE CAST($1 AS TEXT) IS NULL OR catalog = $1"),
                    &[&catalog],
                )?;
            }
            return Ok(());
        };
        // One account: the invitations it sent or received go; it leaves its engagements,
        // and those left without a partner member go too.
        self.exec(
            "DELETE FROM invitations WHERE (sender = $1 OR receiver = $1)
               AND (CAST($2 AS TEXT) IS NULL OR catalog = $2)",
            &[&account, &catalog],
        )?;
        let rows = self.query(
            "SELECT e.catalog, e.id, e.doc FROM engagements e JOIN engagement_members m
               ON m.catalog = e.catalog AND m.engagement_id = e.id
             WHERE m.account = $1 AND (CAST($2 AS TEXT) IS NULL OR e.catalog = $2)
             ORDER BY e.catalog, e.id",
            &[&account, &catalog],
        )?;
        for row in &rows {
            let catalog: String = row.try_get(0)?;
            let id: String = row.try_get(1)?;
            let mut rec: EngagementRecord = doc_at(row, 2)?;
            if !rec.is_member(account) {
                continue;
            }
            rec.members.retain(|m| m.account_id != account);
            if rec.members.iter().any(|m| m.account_id != "aws") {
                self.put_engagement(&catalog, &rec)?;
            } else {
                self.exec(
                    "DELETE FROM engagements WHERE catalog = $1 AND id = $2",
                    &[&catalog, &id],
                )?;
                self.exec(
                    "DELETE FROM engagement_members WHERE catalog = $1 AND engagement_id = $2",
                    &[&catalog, &id],
                )?;
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
        match self.query_opt(
            "SELECT doc FROM idempotency
             WHERE account = $1 AND catalog = $2 AND operation = $3 AND token = $4",
            &[&scope.account, &scope.catalog, &operation, &token],
        )? {
            Some(row) => Ok(Some(doc_at(&row, 0)?)),
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
        self.exec(
            "INSERT INTO idempotency (account, catalog, operation, token, doc)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (account, catalog, operation, token) DO UPDATE SET doc = EXCLUDED.doc",
            &[
                &scope.account,
                &scope.catalog,
                &operation,
                &token,
                &to_json(rec)?,
            ],
        )?;
        Ok(())
    }

    fn put_task(&mut self, scope: &Scope, rec: &TaskRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO tasks (account, catalog, id, start_time, doc, due)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account, catalog, id) DO UPDATE SET start_time = EXCLUDED.start_time,
               doc = EXCLUDED.doc, due = EXCLUDED.due",
            &[
                &scope.account,
                &scope.catalog,
                &rec.id,
                &rec.start_time,
                &to_json(rec)?,
                &rec.complete_at,
            ],
        )?;
        Ok(())
    }

    fn get_task(&self, scope: &Scope, id: &str) -> Result<Option<TaskRecord>, StoreError> {
        self.get_doc("tasks", scope, id)
    }

    fn list_tasks(&self, scope: &Scope) -> Result<Vec<TaskRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM tasks WHERE account = $1 AND catalog = $2 ORDER BY start_time, id",
            &[&scope.account, &scope.catalog],
        )?)
    }

    fn due_tasks(&self, now: &str) -> Result<Vec<(Scope, TaskRecord)>, StoreError> {
        let rows = self.query(
            "SELECT account, catalog, doc FROM tasks WHERE due IS NOT NULL AND due <= $1
             ORDER BY due, id",
            &[&now],
        )?;
        rows.iter()
            .map(|r| Ok((scope_at(r)?, doc_at(r, 2)?)))
            .collect()
    }

    fn get_invitation(
        &self,
        catalog: &str,
        id: &str,
    ) -> Result<Option<InvitationRecord>, StoreError> {
        self.shared_doc("invitations", catalog, id)
    }

    fn put_invitation(&mut self, catalog: &str, rec: &InvitationRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO invitations (catalog, id, sender, receiver, status, payload_type,
               invitation_date, expiration_date, engagement_id, doc)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (catalog, id) DO UPDATE SET sender = EXCLUDED.sender,
               receiver = EXCLUDED.receiver, status = EXCLUDED.status,
               payload_type = EXCLUDED.payload_type, invitation_date = EXCLUDED.invitation_date,
               expiration_date = EXCLUDED.expiration_date,
               engagement_id = EXCLUDED.engagement_id, doc = EXCLUDED.doc",
            &[
                &catalog,
                &rec.id,
                &rec.sender_aws_account_id,
                &rec.receiver_aws_account_id,
                &rec.status,
                &rec.payload_type,
                &rec.invitation_date,
                &rec.expiration_date,
                &rec.engagement_id,
                &to_json(rec)?,
            ],
        )?;
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
        let mut args = Args::default();
        let mut sql = format!(
            "SELECT doc FROM invitations WHERE catalog = {} AND {party} = {}",
            args.push(catalog.to_string()),
            args.push(q.account.clone())
        );
        if !q.statuses.is_empty() {
            // The status as of `now`: expiry may not have been settled yet.
            let now = args.push(q.now.clone());
            sql.push_str(&format!(
                " AND (CASE WHEN status = 'PENDING' AND expiration_date IS NOT NULL
                    AND expiration_date <= {now} THEN 'EXPIRED' ELSE status END) IN ({})",
                args.list(&q.statuses)
            ));
        }
        for (column, values) in [
            ("payload_type", &q.payload_types),
            ("engagement_id", &q.engagement_ids),
            ("sender", &q.senders),
        ] {
            if !values.is_empty() {
                sql.push_str(&format!(" AND {column} IN ({})", args.list(values)));
            }
        }
        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((date, id)) = &q.after {
            let d = args.push(date.clone());
            let i = args.push(id.clone());
            sql.push_str(&format!(" AND (invitation_date, id) {cmp} ({d}, {i})"));
        }
        sql.push_str(&format!(
            " ORDER BY invitation_date {dir}, id {dir} LIMIT {}",
            args.push(q.limit as i64)
        ));
        docs(&self.query(&sql, &args.refs())?)
    }

    fn engagement_invitations(
        &self,
        catalog: &str,
        engagement: &str,
    ) -> Result<Vec<InvitationRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM invitations WHERE catalog = $1 AND engagement_id = $2
             ORDER BY invitation_date, id",
            &[&catalog, &engagement],
        )?)
    }

    fn due_invitations(&self, now: &str) -> Result<Vec<(String, InvitationRecord)>, StoreError> {
        let rows = self.query(
            "SELECT catalog, doc FROM invitations
             WHERE status = 'PENDING' AND expiration_date IS NOT NULL AND expiration_date <= $1
             ORDER BY expiration_date, id",
            &[&now],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, doc_at(r, 1)?)))
            .collect()
    }

    fn get_engagement(
        &self,
        catalog: &str,
        id: &str,
    ) -> Result<Option<EngagementRecord>, StoreError> {
        self.shared_doc("engagements", catalog, id)
    }

    fn put_engagement(&mut self, catalog: &str, rec: &EngagementRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO engagements (catalog, id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (catalog, id) DO UPDATE SET doc = EXCLUDED.doc",
            &[&catalog, &rec.id, &to_json(rec)?],
        )?;
        self.index_members(catalog, rec)
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
        // Pages of rows, so that the transaction is not borrowed while `visit` runs.
        const PAGE: i64 = 64;
        let (cmp, dir) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let sql = format!(
            "SELECT m.created_at, m.engagement_id, e.doc FROM engagement_members m
               JOIN engagements e ON e.catalog = m.catalog AND e.id = m.engagement_id
             WHERE m.catalog = $1 AND m.account = $2
               AND (CAST($3 AS TEXT) IS NULL OR (m.created_at, m.engagement_id) {cmp} ($3, $4))
             ORDER BY m.created_at {dir}, m.engagement_id {dir} LIMIT $5"
        );
        let mut at: Option<String> = after.map(|(a, _)| a.to_string());
        let mut id: Option<String> = after.map(|(_, i)| i.to_string());
        loop {
            let rows = self.query(&sql, &[&catalog, &account, &at, &id, &PAGE])?;
            for row in &rows {
                let rec: EngagementRecord = doc_at(row, 2)?;
                if !visit(rec)? {
                    return Ok(());
                }
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => {
                    at = Some(last.try_get(0)?);
                    id = Some(last.try_get(1)?);
                }
                _ => return Ok(()),
            }
        }
    }

    fn put_snapshot(&mut self, catalog: &str, rec: &SnapshotRecord) -> Result<(), StoreError> {
        let id = format!(
            "{}/{}/{}/{:010}",
            rec.engagement_id, rec.resource_id, rec.template, rec.revision
        );
        self.exec(
            "INSERT INTO snapshots
               (catalog, id, engagement_id, resource_id, template, revision, payload_hash, doc)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &catalog,
                &id,
                &rec.engagement_id,
                &rec.resource_id,
                &rec.template,
                &i64::from(rec.revision),
                &super::payload_hash(&rec.payload),
                &to_json(rec)?,
            ],
        )?;
        Ok(())
    }

    fn get_snapshot(
        &self,
        catalog: &str,
        engagement: &str,
        resource_id: &str,
        template: &str,
        revision: Option<u32>,
    ) -> Result<Option<SnapshotRecord>, StoreError> {
        let revision = revision.map(i64::from);
        match self.query_opt(
            "SELECT doc FROM snapshots WHERE catalog = $1 AND engagement_id = $2
               AND resource_id = $3 AND template = $4
               AND (CAST($5 AS BIGINT) IS NULL OR revision = $5)
             ORDER BY revision DESC LIMIT 1",
            &[&catalog, &engagement, &resource_id, &template, &revision],
        )? {
            Some(row) => Ok(Some(doc_at(&row, 0)?)),
            None => Ok(None),
        }
    }

    fn latest_revision(
        &self,
        catalog: &str,
        engagement: &str,
        resource_id: &str,
        template: &str,
    ) -> Result<Option<(u32, String)>, StoreError> {
        match self.query_opt(
            "SELECT revision, payload_hash FROM snapshots WHERE catalog = $1
               AND engagement_id = $2 AND resource_id = $3 AND template = $4
             ORDER BY revision DESC LIMIT 1",
            &[&catalog, &engagement, &resource_id, &template],
        )? {
            Some(row) => {
                let revision: i64 = row.try_get(0)?;
                let revision = u32::try_from(revision).map_err(|_| {
                    StoreError::Corrupt(serde::de::Error::custom(
                        "a snapshot revision is out of range",
                    ))
                })?;
                Ok(Some((revision, row.try_get(1)?)))
            }
            None => Ok(None),
        }
    }

    fn list_snapshots(
        &self,
        catalog: &str,
        engagement: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM snapshots WHERE catalog = $1 AND engagement_id = $2 ORDER BY id",
            &[&catalog, &engagement],
        )?)
    }

    fn put_snapshot_job(
        &mut self,
        scope: &Scope,
        rec: &SnapshotJobRecord,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO snapshot_jobs (account, catalog, id, resource_id, doc)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (account, catalog, id) DO UPDATE SET resource_id = EXCLUDED.resource_id,
               doc = EXCLUDED.doc, rid = nextval('row_ids')",
            &[
                &scope.account,
                &scope.catalog,
                &rec.id,
                &rec.resource_id,
                &to_json(rec)?,
            ],
        )?;
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
        self.delete_scoped("snapshot_jobs", scope, id)
    }

    fn list_snapshot_jobs(&self, scope: &Scope) -> Result<Vec<SnapshotJobRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM snapshot_jobs WHERE account = $1 AND catalog = $2 ORDER BY rid",
            &[&scope.account, &scope.catalog],
        )?)
    }

    fn resource_snapshot_jobs(
        &self,
        scope: &Scope,
        resource_id: &str,
    ) -> Result<Vec<SnapshotJobRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM snapshot_jobs WHERE account = $1 AND catalog = $2
               AND resource_id = $3 ORDER BY id",
            &[&scope.account, &scope.catalog, &resource_id],
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
        self.delete_scoped("customer_accounts", scope, id)
    }

    fn list_customer_accounts(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CustomerAccountRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM customer_accounts WHERE account = $1 AND catalog = $2 ORDER BY rid",
            &[&scope.account, &scope.catalog],
        )?)
    }

    fn put_bulk_job(&mut self, scope: &Scope, rec: &BulkJobRecord) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO bulk_jobs (account, catalog, id, kind, status, created_at, doc)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (account, catalog, id) DO UPDATE SET kind = EXCLUDED.kind,
               status = EXCLUDED.status, created_at = EXCLUDED.created_at, doc = EXCLUDED.doc",
            &[
                &scope.account,
                &scope.catalog,
                &rec.id,
                &rec.kind,
                &rec.status,
                &rec.created_at,
                &to_json(rec)?,
            ],
        )?;
        Ok(())
    }

    fn get_bulk_job(&self, scope: &Scope, id: &str) -> Result<Option<BulkJobRecord>, StoreError> {
        self.get_doc("bulk_jobs", scope, id)
    }

    fn list_bulk_jobs(&self, scope: &Scope, kind: &str) -> Result<Vec<BulkJobRecord>, StoreError> {
        docs(&self.query(
            "SELECT doc FROM bulk_jobs WHERE account = $1 AND catalog = $2 AND kind = $3
             ORDER BY created_at DESC, id DESC",
            &[&scope.account, &scope.catalog, &kind],
        )?)
    }

    fn claim_bulk_job(
        &mut self,
        scope: &Scope,
        id: &str,
        runner: &str,
        lease: std::time::Duration,
    ) -> Result<bool, StoreError> {
        // One statement: the row is locked while its holder and expiry are compared, so two
        // runners claiming at once cannot both be granted (whatever else they hold).
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let granted = self.query(
            "INSERT INTO bulk_job_leases AS l (account, catalog, id, runner, until_ms)
             VALUES ($1, $2, $3, $4, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) + $5)
             ON CONFLICT (account, catalog, id) DO UPDATE
               SET runner = EXCLUDED.runner, until_ms = EXCLUDED.until_ms
               WHERE l.runner = EXCLUDED.runner
                  OR l.until_ms < CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)
             RETURNING runner",
            &[&scope.account, &scope.catalog, &id, &runner, &lease_ms],
        )?;
        Ok(!granted.is_empty())
    }

    fn release_bulk_job(
        &mut self,
        scope: &Scope,
        id: &str,
        runner: &str,
    ) -> Result<(), StoreError> {
        self.exec(
            "DELETE FROM bulk_job_leases
             WHERE account = $1 AND catalog = $2 AND id = $3 AND runner = $4",
            &[&scope.account, &scope.catalog, &id, &runner],
        )?;
        Ok(())
    }

    fn unfinished_bulk_jobs(&self) -> Result<Vec<(Scope, BulkJobRecord)>, StoreError> {
        let rows = self.query(
            "SELECT account, catalog, doc FROM bulk_jobs
             WHERE status IN ('SUBMITTED', 'IN_PROGRESS') ORDER BY created_at, id",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((scope_at(r)?, doc_at(r, 2)?)))
            .collect()
    }

    fn put_bulk_result(
        &mut self,
        scope: &Scope,
        job: &str,
        seq: i64,
        rec: &BulkResultRecord,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO bulk_results (account, catalog, job_id, seq, status, doc)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account, catalog, job_id, seq)
             DO UPDATE SET status = EXCLUDED.status, doc = EXCLUDED.doc",
            &[
                &scope.account,
                &scope.catalog,
                &job,
                &seq,
                &rec.status,
                &to_json(rec)?,
            ],
        )?;
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
        let rows = self.query(
            "SELECT seq, doc FROM bulk_results
             WHERE account = $1 AND catalog = $2 AND job_id = $3
               AND (CAST($4 AS TEXT) IS NULL OR status = $4) AND seq > $5
             ORDER BY seq LIMIT $6",
            &[
                &scope.account,
                &scope.catalog,
                &job,
                &status,
                &after,
                &(limit as i64),
            ],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, doc_at(r, 1)?)))
            .collect()
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        self.tx.borrow_mut().batch_execute("SAVEPOINT record")?;
        Ok(())
    }

    fn end_savepoint(&mut self, keep: bool) -> Result<(), StoreError> {
        self.tx.borrow_mut().batch_execute(if keep {
            "RELEASE SAVEPOINT record"
        } else {
            "ROLLBACK TO SAVEPOINT record; RELEASE SAVEPOINT record"
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
            self.delete_scoped("tags", scope, arn)?;
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
                self.reindex_opportunity(scope, id)?;
            }
        }
        Ok(())
    }

    fn compact_search_index(&mut self) -> Result<(), StoreError> {
        // No text index to merge.
        Ok(())
    }

    fn opportunity_tags(&self, scope: &Scope, id: &str) -> Result<Vec<Value>, StoreError> {
        let suffix = format!(":catalog/{}/opportunity/{id}", scope.catalog);
        let records: Vec<TagsRecord> = docs(&self.query(
            "SELECT doc FROM tags WHERE account = $1 AND catalog = $2
               AND substr(id, position(':catalog/' IN id)) = $3 ORDER BY id",
            &[&scope.account, &scope.catalog, &suffix],
        )?)?;
        Ok(records.into_iter().flat_map(|r| r.tags).collect())
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
        docs(&self.query(
            "SELECT doc FROM solutions WHERE account = $1 AND catalog = $2 ORDER BY id",
            &[&scope.account, &scope.catalog],
        )?)
    }

    fn put_solution(&mut self, scope: &Scope, rec: &SolutionRecord) -> Result<(), StoreError> {
        self.put_doc("solutions", scope, &rec.id, rec)
    }

    fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.query_opt("SELECT value FROM settings WHERE name = $1", &[&name])? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }

    fn put_setting(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn announce(&mut self) -> Result<(), StoreError> {
        self.exec(
            "UPDATE control SET generation = generation + 1 WHERE id = 1",
            &[],
        )?;
        if self.notify {
            self.exec("SELECT pg_notify('pcl_control', '')", &[])?;
        }
        Ok(())
    }

    fn append_events(&mut self, events: &[Value]) -> Result<(), StoreError> {
        let mut last = 0;
        for e in events {
            let row = self.query_opt(
                "INSERT INTO events (seq, doc) VALUES (nextval('event_numbers'), $1) RETURNING seq",
                &[&to_json(e)?],
            )?;
            if let Some(row) = row {
                last = row.try_get(0)?;
            }
        }
        if !events.is_empty() {
            let keep = crate::domain::events::LOG_CAPACITY as i64;
            self.exec("DELETE FROM events WHERE seq <= $1", &[&(last - keep)])?;
        }
        Ok(())
    }

    fn events(&self, limit: usize) -> Result<Vec<Value>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(
            "SELECT doc FROM (SELECT seq, doc FROM events ORDER BY seq DESC LIMIT $1) newest
             ORDER BY seq",
            &[&limit],
        )?;
        docs(&rows)
    }

    fn clear_events(&mut self) -> Result<(), StoreError> {
        self.exec("DELETE FROM events", &[])?;
        Ok(())
    }

    fn rebuild_listings(
        &mut self,
        listing: &dyn Fn(&Scope, &OpportunityRecord) -> String,
    ) -> Result<usize, StoreError> {
        // In pages by key, so that the transaction is free for the updates between them.
        const PAGE: i64 = 1000;
        let mut rebuilt = 0;
        let mut after: (String, String, String) = Default::default();
        loop {
            let rows = self.query(
                "SELECT account, catalog, id, doc FROM opportunities
                 WHERE (account, catalog, id) > ($1, $2, $3)
                 ORDER BY account, catalog, id LIMIT $4",
                &[&after.0, &after.1, &after.2, &PAGE],
            )?;
            for row in &rows {
                let scope = scope_at(row)?;
                let id: String = row.try_get(2)?;
                let rec: OpportunityRecord = doc_at(row, 3)?;
                self.exec(
                    "UPDATE opportunities SET listing = $1
                     WHERE account = $2 AND catalog = $3 AND id = $4",
                    &[&listing(&scope, &rec), &scope.account, &scope.catalog, &id],
                )?;
                rebuilt += 1;
                after = (scope.account, scope.catalog, id);
            }
            if (rows.len() as i64) < PAGE {
                return Ok(rebuilt);
            }
        }
    }
}
