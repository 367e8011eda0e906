//! The bulk-job family: CSV files of customer accounts (StartCustomerAccountBulkJob,
//! GetCustomerAccountBulkJob, ListCustomerAccountBulkJobs, ListCustomerAccountBulkJobResults,
//! GetCustomerAccountBulkJobReportUrl) and of opportunities (StartOpportunityBulkJob,
//! ListOpportunityBulkJobs, ListOpportunityBulkJobResults, GetOpportunityBulkJobReportUrl).
//!
//! A job is stored `SUBMITTED` by its Start operation; the background [`runner`] copies its
//! file, reads the header, and applies the records in file order, each through exactly the
//! code of CreateOpportunity, UpdateOpportunity or CreateCustomerAccount (model validation,
//! business rules, events), each in a savepoint of its own so that a bad record fails alone.
//!
//! `api.rs` holds the operations, `columns.rs` the CSV columns (from the model's member names),
//! `files.rs` where files live (uploads, fetched URLs, a job's copy), `runner.rs` the
//! background work, `reports.rs` the report URLs, `view.rs` the renderings. The kinds of job
//! are the table [`KINDS`].

pub mod api;
pub mod columns;
pub mod files;
pub mod reports;
pub mod runner;
pub mod view;

use std::sync::OnceLock;
use std::time::Duration;

use crate::ops::registry::Handler;
use crate::store::Store;

/// One kind of bulk job: what its records are and which operations apply them.
#[derive(Debug)]
pub struct Kind {
    /// As stored (`BulkJobRecord::kind`).
    pub name: &'static str,
    /// The Start operation (its ClientToken replays).
    pub start: &'static str,
    /// The member of the Start request naming the file.
    pub file_member: &'static str,
    /// The operation a file without an `Identifier` column applies to each record.
    pub create: &'static str,
    /// The operation a file with an `Identifier` column applies, if the kind updates.
    pub update: Option<&'static str>,
    /// The resource the ids and ARNs of jobs of this kind name.
    pub arn_resource: &'static str,
    /// Whether `ALL_RECORDS` reports are offered (opportunity jobs: "not supported yet").
    pub all_records_report: bool,
    /// The per-account switch AWS gates the Start operation with, if any.
    pub feature: Option<crate::ops::features::Feature>,
}

pub const OPPORTUNITY: Kind = Kind {
    name: "opportunity",
    start: "StartOpportunityBulkJob",
    file_member: "FileURI",
    create: "CreateOpportunity",
    update: Some("UpdateOpportunity"),
    arn_resource: "opportunity-bulk-job",
    all_records_report: false,
    feature: Some(crate::ops::features::Feature::OpportunityBulkJobs),
};

pub const CUSTOMER_ACCOUNT: Kind = Kind {
    name: "customer-account",
    start: "StartCustomerAccountBulkJob",
    file_member: "FileUri",
    create: "CreateCustomerAccount",
    update: None,
    arn_resource: "customer-account-bulk-job",
    all_records_report: true,
    feature: None,
};

/// Every kind of bulk job.
pub const KINDS: [&Kind; 2] = [&OPPORTUNITY, &CUSTOMER_ACCOUNT];

/// The kind stored as `name`.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.into_iter().find(|k| k.name == name)
}

/// Job statuses.
pub const SUBMITTED: &str = "SUBMITTED";
pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETED: &str = "COMPLETED";
pub const FAILED: &str = "FAILED";

/// What the runner of one server shares with the operations and the control plane.
#[derive(Debug)]
pub struct Runtime {
    pub files: files::Files,
    /// Wakes the runner when a job was started.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    /// How long each record waits before it is applied (`--bulk-record-delay-ms`), so that a
    /// test can watch a job in progress or stop the server in the middle of one.
    pub record_delay: Duration,
    /// `http://host:port` of this server, for the report URLs.
    pub base_url: OnceLock<String>,
    /// This server's runner, as its claims on jobs name it (unique per process: servers
    /// sharing a database tell their claims apart by it).
    pub runner: String,
    /// Signs report URLs (new for each server process: URLs do not outlive it).
    secret: [u8; 32],
}

impl Default for Runtime {
    fn default() -> Self {
        let mut secret = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        Self {
            files: files::Files::temporary(),
            wake: std::sync::Arc::new(tokio::sync::Notify::new()),
            record_delay: Duration::ZERO,
            base_url: OnceLock::new(),
            runner: format!(
                "{}-{}",
                std::process::id(),
                crate::domain::ids::random_suffix(12)
            ),
            secret,
        }
    }
}

/// The operations this family implements.
pub fn operations<S: Store>() -> Vec<Handler<S>> {
    vec![
        Handler::new("StartCustomerAccountBulkJob", api::start_customer_accounts),
        Handler::new("GetCustomerAccountBulkJob", api::get_customer_account_job),
        Handler::new(
            "ListCustomerAccountBulkJobs",
            api::list_customer_account_jobs,
        ),
        Handler::new(
            "ListCustomerAccountBulkJobResults",
            api::customer_account_results,
        ),
        Handler::new(
            "GetCustomerAccountBulkJobReportUrl",
            api::customer_account_report,
        ),
        Handler::new("StartOpportunityBulkJob", api::start_opportunities),
        Handler::new("ListOpportunityBulkJobs", api::list_opportunity_jobs),
        Handler::new("ListOpportunityBulkJobResults", api::opportunity_results),
        Handler::new("GetOpportunityBulkJobReportUrl", api::opportunity_report),
    ]
}
