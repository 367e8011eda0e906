//! The embedded SQLite backend (rusqlite, bundled): a file in the data directory in WAL
//! mode, or the same schema in memory for `--in-memory`.
//!
//! Records are stored as JSON documents beside the columns queries filter and sort on.
//! One connection behind a mutex serialises transactions; `synchronous=NORMAL` in WAL mode
//! makes a committed transaction survive a crash of the process.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    AwsSummaryRecord, IdempotencyEntry, IdempotencyRecord, ListedOpportunity, OpportunityQuery,
    OpportunityRecord, OpportunitySortKey, STATE_FORMAT, STATE_VERSION, Scope, ScopeState,
    SolutionRecord, StateDocument, Store, StoreError, TaskRecord, Tx,
};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "partnercentral-local.sqlite3";

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
    doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
CREATE TABLE IF NOT EXISTS solutions (
    account TEXT NOT NULL, catalog TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (account, catalog, id)
);
";

/// First opportunity number handed out, so that ids look like real ones (`O` + 7 digits).
const FIRST_OPPORTUNITY_NUMBER: i64 = 1_000_001;

pub struct SqliteStore {
    conn: Mutex<Connection>,
    in_memory: bool,
}

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
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(DB_FILE))
            .map_err(|e| {
                StoreError::Open(format!(
                    "cannot write the data directory {}: {e}",
                    dir.display()
                ))
            })?;
        let conn = Connection::open(dir.join(DB_FILE))?;
        // One process owns the data directory: holding the lock for the connection's life
        // spares every transaction the file-lock system calls (and keeps a second server out).
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn, false)
    }

    /// A database that lives only in memory.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, true)
    }

    fn init(conn: Connection, in_memory: bool) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let has_listing: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('opportunities') WHERE name = 'listing'")?
            .exists([])?;
        if !has_listing {
            return Err(StoreError::Open(
                "the data directory was written by an older partnercentral-local; export its state with \
                 that version (GET /_admin/state) and import it here, or start from an empty directory"
                    .to_string(),
            ));
        }
        Ok(Self {
            conn: Mutex::new(conn),
            in_memory,
        })
    }
}

impl Store for SqliteStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
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
        let mut conn = self.conn.lock().map_err(|_| StoreError::Poisoned)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let wrapper = SqliteTx { tx };
        let out = f(&wrapper)?;
        wrapper.tx.finish().map_err(StoreError::from)?;
        Ok(out)
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
        let n: i64 = self.tx.query_row(
            "INSERT INTO counters (name, value) VALUES ('opportunity', ?1)
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            params![FIRST_OPPORTUNITY_NUMBER],
            |r| r.get(0),
        )?;
        Ok(n)
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
        Ok(())
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
        self.put_doc("aws_summaries", scope, &rec.opportunity_id, rec)
    }

    fn delete_aws_summary(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "DELETE FROM aws_summaries WHERE account = ?1 AND catalog = ?2 AND id = ?3",
            )?
            .execute(params![scope.account, scope.catalog, id])?;
        Ok(n > 0)
    }

    fn export(&self) -> Result<StateDocument, StoreError> {
        let mut scopes: BTreeMap<(String, String), ScopeState> = BTreeMap::new();
        fn scope_of(
            scopes: &mut BTreeMap<(String, String), ScopeState>,
            account: String,
            catalog: String,
        ) -> &mut ScopeState {
            scopes
                .entry((account.clone(), catalog.clone()))
                .or_insert_with(|| ScopeState {
                    account_id: account,
                    catalog,
                    ..ScopeState::default()
                })
        }
        for table in ["opportunities", "aws_summaries", "solutions", "tasks"] {
            let mut stmt = self.tx.prepare(&format!(
                "SELECT account, catalog, doc FROM {table} ORDER BY account, catalog, id"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let scope = scope_of(&mut scopes, row.get(0)?, row.get(1)?);
                let doc: String = row.get(2)?;
                match table {
                    "opportunities" => scope.opportunities.push(from_json(&doc)?),
                    "aws_summaries" => scope.aws_summaries.push(from_json(&doc)?),
                    "solutions" => scope.solutions.push(from_json(&doc)?),
                    _ => scope.tasks.push(from_json(&doc)?),
                }
            }
        }
        let mut stmt = self.tx.prepare(
            "SELECT account, catalog, operation, token, doc FROM idempotency ORDER BY account, catalog, operation, token",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let scope = scope_of(&mut scopes, row.get(0)?, row.get(1)?);
            let doc: String = row.get(4)?;
            scope.idempotency.push(IdempotencyEntry {
                operation: row.get(2)?,
                token: row.get(3)?,
                record: from_json(&doc)?,
            });
        }
        let last: Option<i64> = self
            .tx
            .query_row(
                "SELECT value FROM counters WHERE name = 'opportunity'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(StateDocument {
            format: STATE_FORMAT.to_string(),
            version: STATE_VERSION,
            next_opportunity_number: last.map_or(FIRST_OPPORTUNITY_NUMBER, |n| n + 1),
            scopes: scopes.into_values().collect(),
        })
    }

    fn import(
        &mut self,
        doc: &StateDocument,
        listing: &dyn Fn(&Scope, &OpportunityRecord) -> String,
    ) -> Result<(), StoreError> {
        self.reset(None, None)?;
        self.tx.execute(
            "INSERT OR REPLACE INTO counters (name, value) VALUES ('opportunity', ?1)",
            params![doc.next_opportunity_number - 1],
        )?;
        for s in &doc.scopes {
            let scope = Scope {
                account: s.account_id.clone(),
                catalog: s.catalog.clone(),
            };
            for rec in &s.opportunities {
                self.put_opportunity(&scope, rec, &listing(&scope, rec))?;
            }
            for rec in &s.aws_summaries {
                self.put_aws_summary(&scope, rec)?;
            }
            for rec in &s.solutions {
                self.put_solution(&scope, rec)?;
            }
            for rec in &s.tasks {
                self.put_task(&scope, rec)?;
            }
            for e in &s.idempotency {
                self.put_idempotency(&scope, &e.operation, &e.token, &e.record)?;
            }
        }
        Ok(())
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let n: i64 = self.tx.query_row(
            "SELECT (SELECT count(*) FROM opportunities) + (SELECT count(*) FROM aws_summaries)
                  + (SELECT count(*) FROM solutions) + (SELECT count(*) FROM tasks)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn reset(&mut self, account: Option<&str>, catalog: Option<&str>) -> Result<(), StoreError> {
        for table in [
            "opportunities",
            "aws_summaries",
            "idempotency",
            "tasks",
            "solutions",
        ] {
            self.tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR catalog = ?2)"
                ),
                params![account, catalog],
            )?;
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
                "INSERT OR REPLACE INTO tasks (account, catalog, id, start_time, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![scope.account, scope.catalog, rec.id, rec.start_time, to_json(rec)?])?;
        Ok(())
    }

    fn list_tasks(&self, scope: &Scope) -> Result<Vec<TaskRecord>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT doc FROM tasks WHERE account = ?1 AND catalog = ?2 ORDER BY start_time, id",
        )?;
        collect_docs(stmt.query_map(params![scope.account, scope.catalog], doc_column)?)
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
}
