//! Reading a state document as a stream: each record is parsed, checked and written as it
//! arrives, inside the one transaction of the import, so memory holds one record at a time
//! (plus a few small sets: scope and catalog names) whatever the document's size.
//!
//! What needs the whole document is checked at its end — the header when it comes after the
//! records, numbers against `nextOpportunityNumber`, invitations whose engagement came later
//! — and any failure anywhere rolls the whole transaction back. Duplicate records are found
//! by looking them up in the transaction, not by remembering ids.
//!
//! Opportunities and AWS summaries, the bulk of a large document, go through
//! `Tx::import_opportunity` and `Tx::import_aws_summary`: a backend may hold a few hundred
//! back and write them in one statement (PostgreSQL does; a round trip per record would be the
//! import's whole cost). What it holds is written before any other record is read or written
//! (at the start of every other list) and at the end; when the document turns out bad, what
//! was held is written first, so that a repeated id before the bad record is the error
//! reported, as when every record is written at once. (The error's place in the document,
//! `scopes[0].opportunities[17]`, is the repeating record's; its line and column are where the
//! reader was when the batch was written.)
//!
//! One ordering rule comes with streaming: in a scope, `accountId` and `catalog` come before
//! its record lists, and in a catalog, `catalog` comes before `engagements` and
//! `invitations` (as every exported document has them).

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::super::Context;
use super::super::opportunities::view;
use super::check;
use crate::model::Model;
use crate::store::{
    AwsSummaryRecord, CustomerAccountRecord, EngagementRecord, IdempotencyEntry, InvitationRecord,
    OpportunityRecord, Repeated, Scope, SellingSettings, SnapshotJobRecord, SnapshotRecord,
    SolutionRecord, StoreError, TagsRecord, TaskRecord, Tx,
};

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The document is wrong; the message says where.
    #[error("{0}")]
    Invalid(String),
    /// The document could not be read to its end (the client stopped sending, a file error).
    #[error("the document could not be read: {0}")]
    Unreadable(std::io::Error),
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
}

/// What an import loaded.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub scopes: usize,
    pub opportunities: usize,
    pub aws_summaries: usize,
    pub solutions: usize,
    pub tasks: usize,
    pub idempotency: usize,
    pub catalogs: usize,
    pub engagements: usize,
    pub invitations: usize,
    pub snapshots: usize,
    pub snapshot_jobs: usize,
    pub tags: usize,
    pub selling_settings: usize,
    pub customer_accounts: usize,
}

/// Where in the document the reader is, for error messages: `scopes[2].opportunities[17]`.
#[derive(Debug, Default, Clone, Copy)]
struct Position {
    outer: Option<(&'static str, usize)>,
    inner: Option<(&'static str, usize)>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.outer, self.inner) {
            (None, _) => f.write_str("the document"),
            (Some((o, i)), None) => write!(f, "{o}[{i}]"),
            (Some((o, i)), Some((n, j))) => write!(f, "{o}[{i}].{n}[{j}]"),
        }
    }
}

/// The record lists' owner: a scope (account and catalog) or a catalog.
enum Owner {
    Scope(Context, Scope),
    Catalog(String),
}

/// The state of one import.
pub struct Importer<'t> {
    model: &'static Model,
    region: String,
    tx: &'t mut dyn Tx,
    pos: Position,
    failure: Option<ImportError>,
    format: Option<String>,
    version: Option<u32>,
    header_checked: bool,
    next: Option<i64>,
    /// The highest opportunity number seen, and where, for a `nextOpportunityNumber` that
    /// comes after the records.
    highest: Option<(i64, String)>,
    scopes: HashSet<(String, String)>,
    catalogs: HashSet<String>,
    /// Invitations whose engagement had not been read yet: (where, catalog, engagement).
    unresolved: Vec<(String, String, String)>,
    counts: Counts,
}

impl<'t> Importer<'t> {
    pub fn new(model: &'static Model, region: &str, tx: &'t mut dyn Tx) -> Self {
        Importer {
            model,
            region: region.to_string(),
            tx,
            pos: Position::default(),
            failure: None,
            format: None,
            version: None,
            header_checked: false,
            next: None,
            highest: None,
            scopes: HashSet::new(),
            catalogs: HashSet::new(),
            unresolved: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// Reads, checks and writes a whole document from `de`; what was loaded.
    pub fn run<'de, R: serde_json::de::Read<'de>>(
        mut self,
        de: &mut serde_json::Deserializer<R>,
    ) -> Result<Counts, ImportError> {
        let parsed = Document(&mut self)
            .deserialize(&mut *de)
            .and_then(|()| de.end());
        if let Err(e) = parsed {
            let why = self.explain(e);
            // Records held back come before the failure: a repeated id among them is the
            // first error of the document. (Writing them may fail too; the first reason holds.)
            if !matches!(why, ImportError::Unreadable(_) | ImportError::Store(_))
                && let Ok(Some(r)) = self.tx.flush_import()
            {
                return Err(repeated(r));
            }
            return Err(why);
        }
        self.flush()?;
        self.finish()?;
        Ok(self.counts)
    }

    /// Remembers why the import stops; the parser then unwinds with a placeholder error
    /// that [`Importer::explain`] replaces.
    fn fail<E: de::Error>(&mut self, why: ImportError) -> E {
        self.failure = Some(why);
        E::custom("import stopped")
    }

    fn invalid<E: de::Error>(&mut self, message: String) -> E {
        self.fail(ImportError::Invalid(message))
    }

    fn explain(&mut self, e: serde_json::Error) -> ImportError {
        let line = format!("line {}, column {}", e.line(), e.column());
        match self.failure.take() {
            Some(ImportError::Invalid(m)) => ImportError::Invalid(format!("{m} ({line})")),
            Some(other) => other,
            None if e.is_io() => ImportError::Unreadable(std::io::Error::from(e)),
            None if e.is_eof() => ImportError::Invalid(format!(
                "{}: the document ends too early ({e}); nothing was changed",
                self.pos
            )),
            None => ImportError::Invalid(format!("{}: {e}", self.pos)),
        }
    }

    /// Writes the records the store held back; `Err` when one of them repeated an id.
    fn flush(&mut self) -> Result<(), ImportError> {
        match self.tx.flush_import()? {
            Some(r) => Err(repeated(r)),
            None => Ok(()),
        }
    }

    fn check_header(&mut self) -> Result<(), String> {
        if let (Some(format), Some(version)) = (&self.format, self.version)
            && !self.header_checked
        {
            check::header(format, version)?;
            self.header_checked = true;
        }
        Ok(())
    }

    /// The checks that need the whole document, then the opportunity counter.
    fn finish(&mut self) -> Result<(), ImportError> {
        let invalid = ImportError::Invalid;
        let (Some(_), Some(version)) = (&self.format, self.version) else {
            return Err(invalid(
                "the document needs 'format' and 'version'".to_string(),
            ));
        };
        self.check_header().map_err(invalid)?;
        let Some(next) = self.next else {
            return Err(invalid(
                "the document needs 'nextOpportunityNumber'".to_string(),
            ));
        };
        if let Some((num, at)) = &self.highest
            && *num >= next
        {
            return Err(invalid(format!(
                "{at}: num {num} must be below nextOpportunityNumber"
            )));
        }
        if version < 2 && self.counts.catalogs > 0 {
            return Err(invalid(
                "catalogs appear in state version 2; set version to 2".to_string(),
            ));
        }
        for (at, catalog, engagement) in std::mem::take(&mut self.unresolved) {
            if self.tx.get_engagement(&catalog, &engagement)?.is_none() {
                return Err(invalid(format!(
                    "{at}: engagement {engagement} is not among the engagements of catalog {catalog}"
                )));
            }
        }
        self.tx.set_next_opportunity_number(next)?;
        Ok(())
    }

    fn open_scope(
        &mut self,
        account: &Option<String>,
        catalog: &Option<String>,
    ) -> Result<Owner, String> {
        let at = self.pos.to_string();
        let (Some(account), Some(catalog)) = (account, catalog) else {
            return Err(format!(
                "{at}: accountId and catalog must come before the scope's records"
            ));
        };
        check::scope(account, catalog, &at)?;
        if !self.scopes.insert((account.clone(), catalog.clone())) {
            return Err(format!(
                "{at}: account {account} and catalog {catalog} appear twice"
            ));
        }
        self.counts.scopes += 1;
        Ok(Owner::Scope(
            Context {
                account: account.clone(),
                catalog: catalog.clone(),
                region: self.region.clone(),
            },
            Scope {
                account: account.clone(),
                catalog: catalog.clone(),
            },
        ))
    }

    fn open_catalog(&mut self, catalog: &Option<String>) -> Result<Owner, String> {
        let at = self.pos.to_string();
        let Some(catalog) = catalog else {
            return Err(format!(
                "{at}: catalog must come before the catalog's records"
            ));
        };
        check::catalog(catalog, &at)?;
        if !self.catalogs.insert(catalog.clone()) {
            return Err(format!("{at}: catalog {catalog} appears twice"));
        }
        self.counts.catalogs += 1;
        Ok(Owner::Catalog(catalog.clone()))
    }
}

fn repeated(r: Repeated) -> ImportError {
    ImportError::Invalid(format!("{}: id {} appears twice", r.at, r.id))
}

/// `Err` when a record with this id was read before (it is already in the transaction).
fn first_time<T>(existing: Option<T>, at: &str, id: &str) -> Result<(), ImportError> {
    match existing {
        Some(_) => Err(ImportError::Invalid(format!("{at}: id {id} appears twice"))),
        None => Ok(()),
    }
}

/// One record of a list, checked and written; an `Err` says what is wrong.
type Accept<T> = fn(&mut Importer<'_>, &Owner, T, &str) -> Result<(), ImportError>;

fn scope_of(owner: &Owner) -> (&Context, &Scope) {
    match owner {
        Owner::Scope(ctx, scope) => (ctx, scope),
        // Lists are only ever read with their own owner (see `Scope` and `Catalog`).
        Owner::Catalog(_) => unreachable!("a scope's list read under a catalog"),
    }
}

fn catalog_of(owner: &Owner) -> &str {
    match owner {
        Owner::Catalog(c) => c,
        Owner::Scope(..) => unreachable!("a catalog's list read under a scope"),
    }
}

fn opportunity(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: OpportunityRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (ctx, scope) = scope_of(owner);
    check::opportunity(imp.model, ctx, &rec, at).map_err(ImportError::Invalid)?;
    if let Some(next) = imp.next
        && rec.num >= next
    {
        return Err(ImportError::Invalid(format!(
            "{at}: num {} must be below nextOpportunityNumber",
            rec.num
        )));
    }
    if imp.highest.as_ref().is_none_or(|(n, _)| rec.num > *n) {
        imp.highest = Some((rec.num, at.to_string()));
    }
    let listing = view::listing(ctx, &rec);
    if let Some(r) = imp.tx.import_opportunity(scope, rec, listing, at)? {
        return Err(repeated(r));
    }
    imp.counts.opportunities += 1;
    Ok(())
}

fn aws_summary(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: AwsSummaryRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (ctx, scope) = scope_of(owner);
    check::aws_summary(imp.model, ctx, &rec, at).map_err(ImportError::Invalid)?;
    if let Some(r) = imp.tx.import_aws_summary(scope, rec)? {
        return Err(repeated(r));
    }
    imp.counts.aws_summaries += 1;
    Ok(())
}

fn solution(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: SolutionRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (_, scope) = scope_of(owner);
    check::solution(imp.model, &scope.catalog, &rec, at).map_err(ImportError::Invalid)?;
    imp.tx.put_solution(scope, &rec)?;
    imp.counts.solutions += 1;
    Ok(())
}

fn task(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: TaskRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (_, scope) = scope_of(owner);
    check::task(imp.model, &rec, at).map_err(ImportError::Invalid)?;
    imp.tx.put_task(scope, &rec)?;
    imp.counts.tasks += 1;
    Ok(())
}

fn idempotency(
    imp: &mut Importer<'_>,
    owner: &Owner,
    e: IdempotencyEntry,
    at: &str,
) -> Result<(), ImportError> {
    let (_, scope) = scope_of(owner);
    check::idempotency(imp.model, &e, at).map_err(ImportError::Invalid)?;
    imp.tx
        .put_idempotency(scope, &e.operation, &e.token, &e.record)?;
    imp.counts.idempotency += 1;
    Ok(())
}

fn engagement(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: EngagementRecord,
    at: &str,
) -> Result<(), ImportError> {
    let catalog = catalog_of(owner);
    check::engagement(imp.model, &rec, at).map_err(ImportError::Invalid)?;
    first_time(imp.tx.get_engagement(catalog, &rec.id)?, at, &rec.id)?;
    imp.tx.put_engagement(catalog, &rec)?;
    imp.counts.engagements += 1;
    Ok(())
}

fn invitation(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: InvitationRecord,
    at: &str,
) -> Result<(), ImportError> {
    let catalog = catalog_of(owner);
    check::invitation(imp.model, &rec, at).map_err(ImportError::Invalid)?;
    first_time(imp.tx.get_invitation(catalog, &rec.id)?, at, &rec.id)?;
    if imp
        .tx
        .get_engagement(catalog, &rec.engagement_id)?
        .is_none()
    {
        imp.unresolved.push((
            at.to_string(),
            catalog.to_string(),
            rec.engagement_id.clone(),
        ));
    }
    imp.tx.put_invitation(catalog, &rec)?;
    imp.counts.invitations += 1;
    Ok(())
}

fn snapshot_job(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: SnapshotJobRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (ctx, scope) = scope_of(owner);
    check::snapshot_job(imp.model, ctx, &rec, at).map_err(ImportError::Invalid)?;
    first_time(imp.tx.get_snapshot_job(scope, &rec.id)?, at, &rec.id)?;
    imp.tx.put_snapshot_job(scope, &rec)?;
    imp.counts.snapshot_jobs += 1;
    Ok(())
}

fn tags(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: TagsRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (_, scope) = scope_of(owner);
    check::tags(imp.model, &rec, at).map_err(ImportError::Invalid)?;
    if !imp.tx.get_tags(scope, &rec.resource_arn)?.is_empty() {
        return Err(ImportError::Invalid(format!(
            "{at}: resource {} appears twice",
            rec.resource_arn
        )));
    }
    imp.tx.put_tags(scope, &rec.resource_arn, &rec.tags)?;
    imp.counts.tags += 1;
    Ok(())
}

fn selling_settings(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: SellingSettings,
    at: &str,
) -> Result<(), ImportError> {
    let (_, scope) = scope_of(owner);
    check::selling_settings(imp.model, &rec, at).map_err(ImportError::Invalid)?;
    if imp.tx.get_selling_settings(scope)?.is_some() {
        return Err(ImportError::Invalid(format!(
            "{at}: a scope has one sellingSettings entry at most"
        )));
    }
    imp.tx
        .put_selling_settings(scope, &rec.resource_snapshot_job_role_arn)?;
    imp.counts.selling_settings += 1;
    Ok(())
}

fn customer_account(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: CustomerAccountRecord,
    at: &str,
) -> Result<(), ImportError> {
    let (ctx, scope) = scope_of(owner);
    check::customer_account(imp.model, ctx, &rec, at).map_err(ImportError::Invalid)?;
    first_time(imp.tx.get_customer_account(scope, &rec.id)?, at, &rec.id)?;
    imp.tx.put_customer_account(scope, &rec)?;
    imp.counts.customer_accounts += 1;
    Ok(())
}

fn snapshot(
    imp: &mut Importer<'_>,
    owner: &Owner,
    rec: SnapshotRecord,
    at: &str,
) -> Result<(), ImportError> {
    let catalog = catalog_of(owner);
    check::snapshot(imp.model, &rec, at).map_err(ImportError::Invalid)?;
    if imp
        .tx
        .get_snapshot(
            catalog,
            &rec.engagement_id,
            &rec.resource_id,
            &rec.template,
            Some(rec.revision),
        )?
        .is_some()
    {
        return Err(ImportError::Invalid(format!(
            "{at}: revision {} of {} of {} appears twice",
            rec.revision, rec.template, rec.resource_id
        )));
    }
    imp.tx.put_snapshot(catalog, &rec)?;
    imp.counts.snapshots += 1;
    Ok(())
}

// ---------------------------------------------------------------- the parser's side

/// The whole document: a JSON object of the header and two lists.
struct Document<'a, 't>(&'a mut Importer<'t>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a state document (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let imp = self.0;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(imp.invalid(format!("the document has '{key}' twice")));
            }
            match key.as_str() {
                "format" => imp.format = Some(map.next_value()?),
                "version" => imp.version = Some(map.next_value()?),
                "nextOpportunityNumber" => {
                    let next: i64 = map.next_value()?;
                    check::next_opportunity_number(next).map_err(|m| imp.invalid(m))?;
                    if let Some((num, at)) = &imp.highest
                        && *num >= next
                    {
                        let m = format!("{at}: num {num} must be below nextOpportunityNumber");
                        return Err(imp.invalid(m));
                    }
                    imp.next = Some(next);
                }
                "scopes" => {
                    map.next_value_seed(List {
                        imp: &mut *imp,
                        name: "scopes",
                    })?;
                }
                "catalogs" => {
                    map.next_value_seed(List {
                        imp: &mut *imp,
                        name: "catalogs",
                    })?;
                }
                other => {
                    return Err(imp.invalid(format!(
                        "unknown field '{other}'; a state document has format, version, \
                         nextOpportunityNumber, scopes and catalogs"
                    )));
                }
            }
            imp.check_header().map_err(|m| imp.invalid(m))?;
        }
        if !seen.contains("scopes") {
            return Err(imp.invalid("the document needs 'scopes'".to_string()));
        }
        Ok(())
    }
}

/// `scopes` or `catalogs`: a list of objects, each read by [`Owned`].
struct List<'a, 't> {
    imp: &'a mut Importer<'t>,
    name: &'static str,
}

impl<'de> DeserializeSeed<'de> for List<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of {}", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.imp.pos = Position {
                outer: Some((self.name, i)),
                inner: None,
            };
            let item = Owned {
                imp: &mut *self.imp,
                scope: self.name == "scopes",
            };
            if seq.next_element_seed(item)?.is_none() {
                break;
            }
            i += 1;
        }
        self.imp.pos = Position::default();
        Ok(())
    }
}

/// One scope (`accountId`, `catalog` and five record lists) or one catalog (`catalog`,
/// `engagements`, `invitations`).
struct Owned<'a, 't> {
    imp: &'a mut Importer<'t>,
    scope: bool,
}

impl<'de> DeserializeSeed<'de> for Owned<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Owned<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.scope {
            "a scope (a JSON object)"
        } else {
            "a catalog (a JSON object)"
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let imp = self.imp;
        let mut account: Option<String> = None;
        let mut catalog: Option<String> = None;
        let mut owner: Option<Owner> = None;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let m = format!("{}: '{key}' appears twice", imp.pos);
                return Err(imp.invalid(m));
            }
            let list = match (self.scope, key.as_str()) {
                (true, "accountId") => {
                    account = Some(map.next_value()?);
                    continue;
                }
                (_, "catalog") => {
                    catalog = Some(map.next_value()?);
                    continue;
                }
                (true, "opportunities") => "opportunities",
                (true, "awsSummaries") => "awsSummaries",
                (true, "solutions") => "solutions",
                (true, "tasks") => "tasks",
                (true, "idempotency") => "idempotency",
                (true, "snapshotJobs") => "snapshotJobs",
                (true, "tags") => "tags",
                (true, "sellingSettings") => "sellingSettings",
                (true, "customerAccounts") => "customerAccounts",
                (false, "engagements") => "engagements",
                (false, "invitations") => "invitations",
                (false, "snapshots") => "snapshots",
                (_, other) => {
                    let known = if self.scope {
                        "accountId, catalog, opportunities, awsSummaries, solutions, tasks, idempotency, \
                         snapshotJobs, tags, sellingSettings and customerAccounts"
                    } else {
                        "catalog, engagements, invitations and snapshots"
                    };
                    let m = format!("{}: unknown field '{other}'; expected {known}", imp.pos);
                    return Err(imp.invalid(m));
                }
            };
            if owner.is_none() {
                let opened = if self.scope {
                    imp.open_scope(&account, &catalog)
                } else {
                    imp.open_catalog(&catalog)
                };
                owner = Some(opened.map_err(|m| imp.invalid(m))?);
            }
            let Some(owner) = owner.as_ref() else {
                continue;
            };
            if !matches!(list, "opportunities" | "awsSummaries") {
                // Its records are read and written one at a time: what was held back first.
                if let Err(why) = imp.flush() {
                    return Err(imp.fail(why));
                }
            }
            match list {
                "opportunities" => {
                    map.next_value_seed(Records::new(imp, list, owner, opportunity))?
                }
                "awsSummaries" => {
                    map.next_value_seed(Records::new(imp, list, owner, aws_summary))?
                }
                "solutions" => map.next_value_seed(Records::new(imp, list, owner, solution))?,
                "tasks" => map.next_value_seed(Records::new(imp, list, owner, task))?,
                "idempotency" => {
                    map.next_value_seed(Records::new(imp, list, owner, idempotency))?
                }
                "engagements" => map.next_value_seed(Records::new(imp, list, owner, engagement))?,
                "snapshotJobs" => {
                    map.next_value_seed(Records::new(imp, list, owner, snapshot_job))?
                }
                "tags" => map.next_value_seed(Records::new(imp, list, owner, tags))?,
                "sellingSettings" => {
                    map.next_value_seed(Records::new(imp, list, owner, selling_settings))?
                }
                "snapshots" => map.next_value_seed(Records::new(imp, list, owner, snapshot))?,
                "customerAccounts" => {
                    map.next_value_seed(Records::new(imp, list, owner, customer_account))?
                }
                _ => map.next_value_seed(Records::new(imp, list, owner, invitation))?,
            }
        }
        if owner.is_none() {
            // A scope or catalog without records: still checked, never stored.
            let opened = if self.scope {
                imp.open_scope(&account, &catalog)
            } else {
                imp.open_catalog(&catalog)
            };
            opened.map_err(|m| imp.invalid(m))?;
        }
        Ok(())
    }
}

/// A list of records of one kind, each accepted as soon as it is read.
struct Records<'a, 't, 'o, T> {
    imp: &'a mut Importer<'t>,
    name: &'static str,
    owner: &'o Owner,
    accept: Accept<T>,
    _record: PhantomData<T>,
}

impl<'a, 't, 'o, T> Records<'a, 't, 'o, T> {
    fn new(
        imp: &'a mut Importer<'t>,
        name: &'static str,
        owner: &'o Owner,
        accept: Accept<T>,
    ) -> Self {
        Records {
            imp,
            name,
            owner,
            accept,
            _record: PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Records<'_, '_, '_, T> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Records<'_, '_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of {}", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.imp.pos.inner = Some((self.name, i));
            let Some(rec) = seq.next_element::<T>()? else {
                break;
            };
            let at = self.imp.pos.to_string();
            if let Err(why) = (self.accept)(self.imp, self.owner, rec, &at) {
                return Err(self.imp.fail(why));
            }
            i += 1;
        }
        self.imp.pos.inner = None;
        Ok(())
    }
}
