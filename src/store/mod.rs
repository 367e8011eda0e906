//! Storage: the records the service keeps, the [`Store`] trait every backend implements and
//! the [`Tx`] a transaction offers. Nothing here knows HTTP or the service's rules, and
//! nothing above this module knows SQL.
//!
//! Every state is kept per [`Scope`] (account and catalog). A write happens inside
//! [`Store::transaction`]: all of it commits, or none of it does.

pub mod any;
pub mod postgres;
pub mod sqlite;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use any::AnyStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Whose records: one account in one catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: String,
    pub catalog: String,
}

/// A failure of the storage itself (never of the caller's input).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {}", postgres::describe(.0))]
    Postgres(#[from] r2d2_postgres::postgres::Error),
    #[error("stored record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("cannot open storage: {0}")]
    Open(String),
    #[error("no more {0} can be handed out")]
    Exhausted(&'static str),
    /// Writing an export failed (its reader went away).
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

/// What a healthy store reports of itself.
#[derive(Debug, Clone, Serialize)]
pub struct StoreFacts {
    pub schema_version: i64,
}

impl StoreError {
    /// A condition of the storage an operator can act on ("full", "read-only"), if that is
    /// what went wrong.
    pub fn condition(&self) -> Option<&'static str> {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => match e.code {
                rusqlite::ErrorCode::DiskFull => Some("full"),
                rusqlite::ErrorCode::ReadOnly => Some("read-only"),
                rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::PermissionDenied => {
                    Some("not accessible")
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// How the partner submitted an opportunity to AWS.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Submission {
    pub involvement_type: String,
    pub visibility: String,
    /// The engagement and invitation StartEngagementFromOpportunityTask created.
    #[serde(default)]
    pub engagement_id: Option<String>,
    #[serde(default)]
    pub invitation_id: Option<String>,
}

/// A partner opportunity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpportunityRecord {
    pub id: String,
    /// The numeric part of the id, which orders opportunities by creation.
    pub num: i64,
    pub created_date: String,
    pub last_modified_date: String,
    /// The partner's members (`Customer`, `Project`, `LifeCycle`, `Origin`, ...), as
    /// GetOpportunity shows them.
    pub doc: Map<String, Value>,
    /// Associated entities by `RelatedEntityType`.
    #[serde(default)]
    pub related: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub submission: Option<Submission>,
    /// The engagement a lead conversion (StartOpportunityFromEngagementTask) linked it to; a
    /// later submission reuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<String>,
}

impl OpportunityRecord {
    /// The engagement the opportunity belongs to: the one a lead conversion linked it to, or
    /// the one its submission or acceptance created.
    pub fn linked_engagement(&self) -> Option<&str> {
        self.engagement_id.as_deref().or_else(|| {
            self.submission
                .as_ref()
                .and_then(|s| s.engagement_id.as_deref())
        })
    }

    /// A string member under `doc` at a dotted path, e.g. `LifeCycle.ReviewStatus`.
    pub fn text(&self, path: &str) -> Option<&str> {
        let mut parts = path.split('.');
        let first = parts.next()?;
        let mut cur = self.doc.get(first)?;
        for p in parts {
            cur = cur.get(p)?;
        }
        cur.as_str()
    }
}

/// The AWS side of an opportunity, behind GetAwsOpportunitySummary.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsSummaryRecord {
    pub opportunity_id: String,
    /// Members AWS set, in the response's own names; they win over mirrored values.
    pub aws: Map<String, Value>,
    /// `{Value, Time}` entries, oldest first.
    pub next_steps_history: Vec<Value>,
    /// The next steps last seen, to notice a change.
    pub last_next_steps: Option<String>,
}

/// Which operation started a task.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub enum TaskKind {
    /// StartEngagementFromOpportunityTask (the only kind before state version 2).
    #[default]
    EngagementFromOpportunity,
    /// StartEngagementByAcceptingInvitationTask.
    EngagementByAcceptingInvitation,
    /// StartOpportunityFromEngagementTask (a lead converted into an opportunity).
    OpportunityFromEngagement,
    /// StartProspectingFromEngagementTask.
    ProspectingFromEngagement,
}

/// An asynchronous task of the caller's, in the task summary's own names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskRecord {
    pub id: String,
    pub start_time: String,
    pub doc: Map<String, Value>,
    #[serde(default)]
    pub kind: TaskKind,
    /// When an `IN_PROGRESS` task completes (`--task-delay-ms`); none once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_at: Option<String>,
    /// What the task needs to complete later (the request's members it acts on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl TaskRecord {
    pub fn status(&self) -> &str {
        self.doc
            .get("TaskStatus")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// The AWS-side data of an AWS referral, kept until the invitation is accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Referral {
    /// The opportunity id reserved when AWS referred it.
    pub opportunity_id: String,
    pub opportunity_number: i64,
    pub created_date: String,
    /// The opportunity as AWS will hand it over, in CreateOpportunity's member names.
    pub document: Map<String, Value>,
}

/// An engagement invitation, shared by its sender and receiver in one catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitationRecord {
    pub id: String,
    pub engagement_id: String,
    pub payload_type: String,
    pub status: String,
    pub invitation_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    pub sender_aws_account_id: String,
    pub sender_company_name: String,
    pub receiver_aws_account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `{<PayloadType>: {...}}` in the model's names.
    pub payload: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// When it was accepted, rejected or expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// The receiver's accepting task, once one started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepting_task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Referral>,
}

/// A member of an engagement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngagementMember {
    pub account_id: String,
    pub company_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    pub joined_at: String,
}

/// An engagement: the members working one customer opportunity or lead, in one catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngagementRecord {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub modified_at: String,
    pub modified_by: String,
    pub members: Vec<EngagementMember>,
    /// `{Id, Type, Payload}` in the model's names.
    #[serde(default)]
    pub contexts: Vec<Value>,
    /// `{accountId, resourceType, resourceId}`: what members attached to it.
    #[serde(default)]
    pub resources: Vec<Value>,
}

impl EngagementRecord {
    /// The context types it holds, each once, in context order.
    pub fn context_types(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self
            .contexts
            .iter()
            .filter_map(|c| c.get("Type").and_then(Value::as_str))
        {
            if !out.iter().any(|k| k == t) {
                out.push(t.to_string());
            }
        }
        out
    }

    pub fn is_member(&self, account: &str) -> bool {
        self.members.iter().any(|m| m.account_id == account)
    }
}

/// A digest of a snapshot payload, to tell whether a view changed without reading the stored
/// snapshot back (serde_json writes object members in a stable order).
pub fn payload_hash(payload: &Value) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(payload.to_string().as_bytes()))
}

/// One immutable revision of a resource's template view in an engagement, shared with its
/// `target_member_accounts`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnapshotRecord {
    pub engagement_id: String,
    pub resource_type: String,
    pub resource_id: String,
    pub template: String,
    pub revision: u32,
    /// The account that took it (the resource's owner, or `aws` for AWS's own view).
    pub created_by: String,
    pub created_at: String,
    pub target_member_accounts: Vec<String>,
    /// `ResourceSnapshotPayload`: `{"OpportunitySummary": ...}` or
    /// `{"AwsOpportunitySummaryFullView": ...}`.
    pub payload: Value,
}

/// A snapshot job of the caller's: re-snapshots its resource while `Running`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnapshotJobRecord {
    pub id: String,
    pub engagement_id: String,
    pub resource_type: String,
    pub resource_id: String,
    pub template: String,
    pub created_at: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_execution_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

/// A customer account of the caller's: its data as sent, and what AWS's matching makes of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomerAccountRecord {
    pub id: String,
    /// `CustomerAccountData`, as sent.
    pub account: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_account_identifier: Option<String>,
    pub created_date: String,
    pub last_modified_date: String,
    /// When AWS's matching of the current data completes (`PENDING` until then).
    pub matched_at: String,
    /// The outcome the control plane forced (`{"Status", "AwsEnrichment"?, "ReasonCode"?,
    /// "Message"?}`), instead of the computed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced: Option<Value>,
    /// The bulk job that created it (`IMPORT_ID`), if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
}

/// A bulk job of the caller's: a CSV file of customer accounts or opportunities applied one
/// record at a time by the background runner (`ops::bulk`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkJobRecord {
    pub id: String,
    /// `opportunity` or `customer-account`.
    pub kind: String,
    /// As sent (sensitive in the model: never logged).
    pub file_uri: String,
    /// `SUBMITTED`, `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub status: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// `BULK_CREATE` or `BULK_UPDATE`, once the header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_type: Option<String>,
    pub total_records: i64,
    pub processed_records: i64,
    pub success_count: i64,
    pub failure_count: i64,
    /// Accounts it created that were deleted since (never decreases).
    pub deleted_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Byte offset, line and record number in the job's copy of its file where the next
    /// record starts (what a restart resumes from).
    #[serde(default)]
    pub resume_at: [u64; 3],
    /// When each report type was first asked for (report type → time).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reports: BTreeMap<String, String>,
}

/// The outcome of one record of a bulk job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkResultRecord {
    pub request_id: String,
    /// `SUCCEEDED` or `FAILED`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// The one row of an account's selling-system settings in a catalog.
pub const SETTINGS_ID: &str = "settings";

/// An account's selling-system settings in a catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SellingSettings {
    pub resource_snapshot_job_role_arn: String,
}

/// The tags of one resource of the caller's, by its ARN.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagsRecord {
    pub resource_arn: String,
    /// `{Key, Value}` in the order keys were first set.
    pub tags: Vec<Value>,
}

/// A ListEngagementInvitations query: filters (values within one filter OR, filters AND), the
/// order by invitation date (ties by id) and the position after which a page starts.
#[derive(Debug, Clone)]
pub struct InvitationQuery {
    pub account: String,
    pub role: Role,
    /// Matched against the status as of `now`: a `PENDING` invitation past its expiration date
    /// counts as `EXPIRED` before it is settled.
    pub statuses: Vec<String>,
    pub payload_types: Vec<String>,
    pub engagement_ids: Vec<String>,
    pub senders: Vec<String>,
    pub now: String,
    pub descending: bool,
    /// Invitation date and id of the last invitation of the previous page.
    pub after: Option<(String, String)>,
    pub limit: usize,
}

/// Which side of an invitation a listing asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Sender,
    Receiver,
}

/// A solution the account can associate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SolutionRecord {
    pub id: String,
    pub doc: Map<String, Value>,
}

/// The first answer given to an idempotency token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub response: Value,
}

/// The format name written in every state document.
pub const STATE_FORMAT: &str = "partnercentral-local/state";
/// The version of the state document this build writes. History: 1 = per-account scopes
/// only; 2 = shared records per catalog (`catalogs`: engagements, invitations). Version 1
/// documents still load. 3 = snapshots (`catalogs[].snapshots`), snapshot jobs, tags and
/// selling-system settings (`scopes[].snapshotJobs`, `tags`, `sellingSettings`), and customer
/// accounts (`scopes[].customerAccounts`).
pub const STATE_VERSION: u32 = 3;

/// One idempotency token's first answer, with where it was used.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdempotencyEntry {
    pub operation: String,
    pub token: String,
    pub record: IdempotencyRecord,
}

/// One entry of a ListOpportunities page, as stored when the opportunity was written.
#[derive(Debug, Clone)]
pub struct ListedOpportunity {
    pub num: i64,
    /// The value the query sorted by (what a page token remembers).
    pub sort_value: String,
    /// The rendered `OpportunitySummary` JSON.
    pub listing: String,
}

/// What ListOpportunities may sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunitySortKey {
    LastModifiedDate,
    Identifier,
    CustomerCompanyName,
    CreatedDate,
    TargetCloseDate,
}

/// A ListOpportunities query: filters, order and the position after which a page starts.
#[derive(Debug, Clone)]
pub struct OpportunityQuery {
    pub identifiers: Vec<String>,
    pub stages: Vec<String>,
    pub review_statuses: Vec<String>,
    pub company_names: Vec<String>,
    pub last_modified_after: Option<String>,
    pub last_modified_before: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub target_close_after: Option<String>,
    pub target_close_before: Option<String>,
    pub sort: OpportunitySortKey,
    pub descending: bool,
    /// Sort value and number of the last record of the previous page.
    pub after: Option<(String, i64)>,
    pub limit: usize,
}

/// A single-valued column of the opportunity search index that a query can narrow on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchColumn {
    Stage,
    ReviewStatus,
    OpportunityType,
    Origin,
    CountryCode,
    Industry,
    EngagementScore,
    CosellMotion,
}

/// What the search index may narrow SearchOpportunities' candidates on before the filter tree
/// is evaluated: every condition is one the tree itself requires, so narrowing never loses a
/// match (the tree and keyword are evaluated again on what the index returns).
#[derive(Debug, Clone, PartialEq)]
pub enum SearchCondition {
    /// The column's value, folded (`domain::opportunity_search::fold`), is this folded text.
    TextIs(SearchColumn, String),
    /// `EstimatedMrr` compares so with the number (`<`, `<=`, `=`, `>=`, `>`).
    Mrr(&'static str, f64),
}

/// A SearchOpportunities query as the index serves it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpportunitySearchQuery {
    /// The keyword, trimmed and lower-cased (`str::to_lowercase`); the index narrows on it when
    /// it has at least 3 characters (the text index holds trigrams).
    pub keyword: Option<String>,
    pub conditions: Vec<SearchCondition>,
}

/// An account and catalog that holds records, with how many (the web console's home page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSummary {
    pub scope: Scope,
    pub opportunities: i64,
    /// Invitations it sent or received.
    pub invitations: i64,
}

/// What the web console's opportunity list asks: newest first (by number), optional filters
/// on review status and stage, and a case-insensitive search in id, company name and title.
#[derive(Debug, Clone, Default)]
pub struct BrowseQuery {
    pub review_status: Option<String>,
    pub stage: Option<String>,
    pub search: Option<String>,
    /// Only opportunities numbered below this one (the next page).
    pub before: Option<i64>,
    pub limit: usize,
}

/// One row of the web console's opportunity list.
#[derive(Debug, Clone)]
pub struct BrowsedOpportunity {
    pub id: String,
    pub num: i64,
    pub created: String,
    pub last_modified: String,
    pub stage: String,
    pub review_status: String,
    pub company_name: String,
    pub title: String,
}

/// An opportunity of a state import whose id was imported before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    /// Where the repeating record is in the document (`scopes[0].opportunities[17]`).
    pub at: String,
    pub id: String,
}

/// One atomic unit of reads and writes.
pub trait Tx {
    /// A new opportunity number, never handed out before (across accounts and restarts).
    fn next_opportunity_number(&mut self) -> Result<i64, StoreError>;
    fn get_opportunity(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<OpportunityRecord>, StoreError>;
    /// Stores an opportunity with its `listing`: the ListOpportunities entry, rendered.
    fn put_opportunity(
        &mut self,
        scope: &Scope,
        rec: &OpportunityRecord,
        listing: &str,
    ) -> Result<(), StoreError>;
    fn list_opportunities(
        &self,
        scope: &Scope,
        query: &OpportunityQuery,
    ) -> Result<Vec<ListedOpportunity>, StoreError>;
    /// The search entries of the scope's opportunities that may match `query` (every one that
    /// matches, perhaps more), in no particular order. The store keeps an opportunity's entry
    /// in the same transaction as every write of the opportunity, its AWS summary and its tags.
    fn search_opportunities(
        &self,
        scope: &Scope,
        query: &OpportunitySearchQuery,
    ) -> Result<Vec<crate::domain::opportunity_search::Entry>, StoreError>;

    /// A page of the scope's opportunities for the web console (see [`BrowseQuery`]).
    fn browse_opportunities(
        &self,
        scope: &Scope,
        query: &BrowseQuery,
    ) -> Result<Vec<BrowsedOpportunity>, StoreError>;
    /// Every account and catalog holding opportunities, AWS summaries, invitations,
    /// engagements, customer accounts, bulk jobs or solutions, by account then catalog.
    fn scopes(&self) -> Result<Vec<ScopeSummary>, StoreError>;

    fn get_aws_summary(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<AwsSummaryRecord>, StoreError>;
    fn put_aws_summary(&mut self, scope: &Scope, rec: &AwsSummaryRecord) -> Result<(), StoreError>;
    /// Removes an AWS summary; whether there was one.
    fn delete_aws_summary(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError>;

    /// Stores an opportunity of a state import (`ops::state`) as [`Tx::put_opportunity`]
    /// does, unless one with its id is already stored or held back: then the answer names the
    /// record repeating the id (`at` is where it is in the document). A backend may hold the
    /// record back and write it with the next ones, in a batch: what it holds is written by
    /// [`Tx::flush_import`], which the import calls before any other read or write and at its
    /// end, so a repetition may be reported by a later call than the repeating record's.
    fn import_opportunity(
        &mut self,
        scope: &Scope,
        rec: OpportunityRecord,
        listing: String,
        at: &str,
    ) -> Result<Option<Repeated>, StoreError> {
        if self.get_opportunity(scope, &rec.id)?.is_some() {
            return Ok(Some(Repeated {
                at: at.to_string(),
                id: rec.id,
            }));
        }
        self.put_opportunity(scope, &rec, &listing)?;
        Ok(None)
    }
    /// Stores an AWS summary of a state import as [`Tx::put_aws_summary`] does; like
    /// [`Tx::import_opportunity`], a backend may hold it back (and writing what it held may
    /// find a repeated opportunity).
    fn import_aws_summary(
        &mut self,
        scope: &Scope,
        rec: AwsSummaryRecord,
    ) -> Result<Option<Repeated>, StoreError> {
        self.put_aws_summary(scope, &rec)?;
        Ok(None)
    }
    /// Writes what [`Tx::import_opportunity`] and [`Tx::import_aws_summary`] held back; the
    /// first record among them that repeated an id, if one did.
    fn flush_import(&mut self) -> Result<Option<Repeated>, StoreError> {
        Ok(None)
    }

    /// Writes everything stored, as one state document in JSON (see `ops::state`), from the
    /// stored records as they are (no record is decoded to be written again).
    fn export_json(&self, out: &mut dyn std::io::Write) -> Result<(), StoreError>;
    /// Sets the next opportunity number to hand out (a state import).
    fn set_next_opportunity_number(&mut self, next: i64) -> Result<(), StoreError>;
    /// Whether nothing at all is stored.
    fn is_empty(&self) -> Result<bool, StoreError>;

    /// Removes every record, or those of one account and/or catalog. Ids are never reused.
    fn reset(&mut self, account: Option<&str>, catalog: Option<&str>) -> Result<(), StoreError>;

    fn get_idempotency(
        &self,
        scope: &Scope,
        operation: &str,
        token: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    fn put_idempotency(
        &mut self,
        scope: &Scope,
        operation: &str,
        token: &str,
        rec: &IdempotencyRecord,
    ) -> Result<(), StoreError>;

    fn put_task(&mut self, scope: &Scope, rec: &TaskRecord) -> Result<(), StoreError>;
    fn get_task(&self, scope: &Scope, id: &str) -> Result<Option<TaskRecord>, StoreError>;
    /// Every task of the scope, oldest first.
    fn list_tasks(&self, scope: &Scope) -> Result<Vec<TaskRecord>, StoreError>;
    /// Tasks whose `complete_at` is at or before `now`, in any scope, oldest first.
    fn due_tasks(&self, now: &str) -> Result<Vec<(Scope, TaskRecord)>, StoreError>;

    fn get_invitation(
        &self,
        catalog: &str,
        id: &str,
    ) -> Result<Option<InvitationRecord>, StoreError>;
    fn put_invitation(&mut self, catalog: &str, rec: &InvitationRecord) -> Result<(), StoreError>;
    /// One page of the invitations of a catalog an account sent or received.
    fn list_invitations(
        &self,
        catalog: &str,
        query: &InvitationQuery,
    ) -> Result<Vec<InvitationRecord>, StoreError>;
    /// The invitations to one engagement.
    fn engagement_invitations(
        &self,
        catalog: &str,
        engagement: &str,
    ) -> Result<Vec<InvitationRecord>, StoreError>;
    /// `PENDING` invitations whose expiration date is at or before `now`, in any catalog.
    fn due_invitations(&self, now: &str) -> Result<Vec<(String, InvitationRecord)>, StoreError>;

    fn get_engagement(
        &self,
        catalog: &str,
        id: &str,
    ) -> Result<Option<EngagementRecord>, StoreError>;
    fn put_engagement(&mut self, catalog: &str, rec: &EngagementRecord) -> Result<(), StoreError>;
    /// The engagements of `catalog` that `account` is a member of, oldest first.
    fn member_engagements(
        &self,
        catalog: &str,
        account: &str,
    ) -> Result<Vec<EngagementRecord>, StoreError>;
    /// Hands the engagements `account` is a member of to `visit`, by creation time and id
    /// (newest first when `descending`), starting after `(created_at, id)`, until it answers
    /// `false`: a page costs what it shows, not what the account has.
    fn visit_member_engagements(
        &self,
        catalog: &str,
        account: &str,
        descending: bool,
        after: Option<(&str, &str)>,
        visit: &mut dyn FnMut(EngagementRecord) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError>;

    /// Every stored solution of the scope, by id.
    /// Snapshots (shared, per catalog).
    fn put_snapshot(&mut self, catalog: &str, rec: &SnapshotRecord) -> Result<(), StoreError>;
    /// Revision `revision` of a resource's template view, or the latest when `None`.
    fn get_snapshot(
        &self,
        catalog: &str,
        engagement: &str,
        resource_id: &str,
        template: &str,
        revision: Option<u32>,
    ) -> Result<Option<SnapshotRecord>, StoreError>;
    /// The latest revision of a resource's template view and its payload's
    /// [`payload_hash`], without reading the snapshot.
    fn latest_revision(
        &self,
        catalog: &str,
        engagement: &str,
        resource_id: &str,
        template: &str,
    ) -> Result<Option<(u32, String)>, StoreError>;
    /// Every snapshot of an engagement, by resource, template and revision.
    fn list_snapshots(
        &self,
        catalog: &str,
        engagement: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError>;

    /// Snapshot jobs (private).
    fn put_snapshot_job(
        &mut self,
        scope: &Scope,
        rec: &SnapshotJobRecord,
    ) -> Result<(), StoreError>;
    fn get_snapshot_job(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<SnapshotJobRecord>, StoreError>;
    fn delete_snapshot_job(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError>;
    /// The caller's jobs, oldest first.
    fn list_snapshot_jobs(&self, scope: &Scope) -> Result<Vec<SnapshotJobRecord>, StoreError>;
    /// The caller's jobs on one resource (any status).
    fn resource_snapshot_jobs(
        &self,
        scope: &Scope,
        resource_id: &str,
    ) -> Result<Vec<SnapshotJobRecord>, StoreError>;

    /// Customer accounts (private).
    fn put_customer_account(
        &mut self,
        scope: &Scope,
        rec: &CustomerAccountRecord,
    ) -> Result<(), StoreError>;
    fn get_customer_account(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<CustomerAccountRecord>, StoreError>;
    fn delete_customer_account(&mut self, scope: &Scope, id: &str) -> Result<bool, StoreError>;
    /// The caller's customer accounts, oldest first.
    fn list_customer_accounts(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CustomerAccountRecord>, StoreError>;

    /// Stores a bulk job (insert or replace).
    fn put_bulk_job(&mut self, scope: &Scope, rec: &BulkJobRecord) -> Result<(), StoreError>;
    fn get_bulk_job(&self, scope: &Scope, id: &str) -> Result<Option<BulkJobRecord>, StoreError>;
    /// The caller's bulk jobs of one kind, newest first.
    fn list_bulk_jobs(&self, scope: &Scope, kind: &str) -> Result<Vec<BulkJobRecord>, StoreError>;
    /// Every `SUBMITTED` or `IN_PROGRESS` job, oldest first (what the runner works through).
    fn unfinished_bulk_jobs(&self) -> Result<Vec<(Scope, BulkJobRecord)>, StoreError>;
    /// Claims job `id` for the runner `runner` for `lease` from now, by the database's clock:
    /// granted when no runner holds it, when `runner` does (a renewal), or when its holder's
    /// lease ran out (the holder died or stalled: the job is taken over). Whether granted. This
    /// is what lets one runner at a time work a job when several servers share a database; a
    /// store only one process opens (SQLite) grants every claim.
    fn claim_bulk_job(
        &mut self,
        scope: &Scope,
        id: &str,
        runner: &str,
        lease: std::time::Duration,
    ) -> Result<bool, StoreError>;
    /// Ends `runner`'s claim on job `id` (the job finished), if it holds one.
    fn release_bulk_job(&mut self, scope: &Scope, id: &str, runner: &str)
    -> Result<(), StoreError>;
    /// Records the outcome of record `seq` (from 1) of a job.
    fn put_bulk_result(
        &mut self,
        scope: &Scope,
        job: &str,
        seq: i64,
        rec: &BulkResultRecord,
    ) -> Result<(), StoreError>;
    /// Up to `limit` outcomes of a job after record `after`, in file order, optionally only
    /// those with `status`.
    fn bulk_results(
        &self,
        scope: &Scope,
        job: &str,
        status: Option<&str>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, BulkResultRecord)>, StoreError>;
    /// Opens a savepoint inside the transaction (one bulk record's writes).
    fn savepoint(&mut self) -> Result<(), StoreError>;
    /// Closes the savepoint: keeps its writes, or undoes them (`keep == false`).
    fn end_savepoint(&mut self, keep: bool) -> Result<(), StoreError>;

    /// Tags of the caller's resources, by ARN (none: an empty list).
    fn get_tags(&self, scope: &Scope, arn: &str) -> Result<Vec<Value>, StoreError>;
    /// Replaces a resource's tags (an empty list removes the row).
    fn put_tags(&mut self, scope: &Scope, arn: &str, tags: &[Value]) -> Result<(), StoreError>;
    /// Merges the opportunity search index's text index into one segment: after a bulk load
    /// (a state import), so that searches read one doclist per trigram.
    fn compact_search_index(&mut self) -> Result<(), StoreError>;
    /// The tags of opportunity `id`, under every ARN that names it (any region), oldest ARN
    /// first.
    fn opportunity_tags(&self, scope: &Scope, id: &str) -> Result<Vec<Value>, StoreError>;

    /// The selling-system settings of an account in a catalog: the snapshot-job role's ARN.
    fn get_selling_settings(&self, scope: &Scope) -> Result<Option<String>, StoreError>;
    fn put_selling_settings(&mut self, scope: &Scope, role_arn: &str) -> Result<(), StoreError>;

    fn list_solutions(&self, scope: &Scope) -> Result<Vec<SolutionRecord>, StoreError>;
    fn put_solution(&mut self, scope: &Scope, rec: &SolutionRecord) -> Result<(), StoreError>;

    /// A setting of the store itself (e.g. what stored renderings were made with).
    fn setting(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn put_setting(&mut self, name: &str, value: &str) -> Result<(), StoreError>;
    /// Renders every stored ListOpportunities entry again; how many.
    fn rebuild_listings(
        &mut self,
        listing: &dyn Fn(&Scope, &OpportunityRecord) -> String,
    ) -> Result<usize, StoreError>;

    // What a store shared by several processes keeps for all of them (see [`Peers`]). A store
    // of one process keeps these in the process's memory instead: its defaults do nothing.

    /// Tells every replica, once this transaction commits, that what they keep in memory from
    /// the store (fault rules, the clock's offset) changed.
    fn announce(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Appends events (committed with the transaction); the oldest beyond the log's capacity
    /// go.
    fn append_events(&mut self, _events: &[Value]) -> Result<(), StoreError> {
        Ok(())
    }
    /// The newest `limit` events, oldest first.
    fn events(&self, _limit: usize) -> Result<Vec<Value>, StoreError> {
        Ok(Vec::new())
    }
    fn clear_events(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The other servers (replicas) sharing a store, as one service: what each keeps in memory
/// follows what any of them announced ([`Tx::announce`]).
pub trait Peers: Send + Sync {
    /// Calls `apply` on a thread of its own: now, and after every announcement any replica
    /// commits, before acknowledging it. Stops when the store is dropped.
    fn follow(&self, apply: Box<dyn Fn() + Send>) -> Result<(), StoreError>;
    /// Waits, at most `limit`, until every live replica has applied every announcement
    /// committed so far; whether they all did.
    fn settle(&self, limit: std::time::Duration) -> Result<bool, StoreError>;
}

/// A storage backend.
pub trait Store: Send + Sync + 'static {
    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back otherwise (also
    /// when it panics; the store stays usable).
    fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Runs `f` over a consistent snapshot, for operations that only read. Reads never wait
    /// for a writer.
    fn read<T, E: From<StoreError>>(&self, f: impl FnOnce(&dyn Tx) -> Result<T, E>)
    -> Result<T, E>;

    /// A view for a long read (an export), taken in two steps so that the read itself can run
    /// at a lower priority: [`Store::snapshot`] does what writers may briefly wait for (in
    /// memory, a copy of the database) at the caller's priority; [`Store::read_snapshot`] then
    /// reads one consistent state and holds off no writer.
    type Snapshot: Send + 'static;

    /// Prepares a long read; see [`Store::Snapshot`].
    fn snapshot(&self) -> Result<Self::Snapshot, StoreError>;

    /// Runs `f` over a prepared snapshot, on any thread.
    fn read_snapshot<T, E: From<StoreError>>(
        snapshot: Self::Snapshot,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E>;

    /// Checks that the store answers reads and writes; what it reports of itself.
    fn health(&self) -> Result<StoreFacts, StoreError>;

    /// `"sqlite"`, `"memory"` or `"postgres"`.
    fn kind(&self) -> &'static str;

    /// The replicas sharing this store, if other processes can (a database server); `None`
    /// for a store of one process.
    fn peers(&self) -> Option<&dyn Peers> {
        None
    }

    /// A number that changes with every committed write, whichever process wrote, when the
    /// store keeps one (a shared store; one round trip): an answer rendered while it had a
    /// value is still right as long as it keeps it.
    fn generation(&self) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }
}
