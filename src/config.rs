//! Configuration: the `serve` command line (each option also a `PARTNERCENTRAL_LOCAL_*`
//! environment variable) and the [`Config`] the library starts a server from.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::protocol::ErrorStatus;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4570";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = ".partnercentral-local";
/// Default region used in ARNs.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default number of connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default time to send a request's headers.
pub const DEFAULT_HEADER_TIMEOUT_MS: u64 = 10_000;
/// Default time to send a request's body.
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 30_000;
/// Default limit of a request body: 6 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// Where state is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// SQLite in this directory; state survives restarts.
    DataDir(PathBuf),
    /// Nothing touches disk.
    InMemory,
    /// A PostgreSQL database (`postgres://…`), which several servers may share; bulk jobs'
    /// files are kept in `files_dir` (none: a temporary directory, as in memory).
    Postgres {
        url: String,
        files_dir: Option<PathBuf>,
    },
}

/// Everything a server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOST:PORT`; port 0 picks a free port.
    pub listen: String,
    pub storage: Storage,
    pub region: String,
    /// A credentials file turns on signature verification.
    pub credentials: Option<PathBuf>,
    pub max_body_bytes: usize,
    /// When set, the control plane requires `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// Enforce the real service's rate quotas.
    pub quotas: QuotaMode,
    /// A JSON quota table replacing the built-in one.
    pub quotas_file: Option<PathBuf>,
    /// Every emitted event is also POSTed here.
    pub events_webhook: Option<String>,
    /// A state document loaded at start when the store is empty.
    pub seed: Option<PathBuf>,
    /// Connections served at once; more are closed at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: std::time::Duration,
    /// Time a client has to send a request's body.
    pub body_timeout: std::time::Duration,
    /// How long Start…Task tasks stay `IN_PROGRESS` before they complete (zero: at once).
    pub task_delay: std::time::Duration,
    /// The HTTP statuses of modeled client errors: AWS's 400 (default) or the Smithy model's.
    pub error_status: ErrorStatus,
    /// Whether AWS's business validation is applied (default) or off.
    pub business_rules: crate::rules::business::Mode,
    /// How long each bulk-job record waits before it is applied (zero: none).
    pub bulk_record_delay: std::time::Duration,
}

/// Whether rate quotas are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum QuotaMode {
    #[default]
    Off,
    Aws,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_string(),
            storage: Storage::DataDir(PathBuf::from(DEFAULT_DATA_DIR)),
            region: DEFAULT_REGION.to_string(),
            credentials: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            admin_token: None,
            quotas: QuotaMode::Off,
            quotas_file: None,
            events_webhook: None,
            seed: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: std::time::Duration::from_millis(DEFAULT_HEADER_TIMEOUT_MS),
            body_timeout: std::time::Duration::from_millis(DEFAULT_BODY_TIMEOUT_MS),
            task_delay: std::time::Duration::ZERO,
            error_status: ErrorStatus::Aws,
            business_rules: crate::rules::business::Mode::Aws,
            bulk_record_delay: std::time::Duration::ZERO,
        }
    }
}

impl Config {
    /// A server on a free loopback port that keeps nothing on disk: what tests want.
    pub fn ephemeral() -> Self {
        Self {
            listen: "127.0.0.1:0".to_string(),
            storage: Storage::InMemory,
            ..Self::default()
        }
    }
}

/// A local implementation of the AWS Partner Central Selling API.
#[derive(Debug, Parser)]
#[command(name = "partnercentral-local", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service.
    Serve(ServeArgs),
    /// Play AWS's part against a running server (through its control plane).
    Aws(AwsArgs),
}

/// `partnercentral-local aws ...`: the control plane's common actions.
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// URL of the running server.
    #[arg(
        long,
        env = "PARTNERCENTRAL_LOCAL_ENDPOINT",
        default_value = "http://127.0.0.1:4570",
        global = true
    )]
    pub endpoint: String,
    /// The partner account (12 digits).
    #[arg(
        long,
        env = "PARTNERCENTRAL_LOCAL_ACCOUNT",
        default_value = "123456789012",
        global = true
    )]
    pub account: String,
    /// `AWS` or `Sandbox`.
    #[arg(
        long,
        env = "PARTNERCENTRAL_LOCAL_CATALOG",
        default_value = "Sandbox",
        global = true
    )]
    pub catalog: String,
    /// The control plane's token, if the server requires one.
    #[arg(
        long,
        env = "PARTNERCENTRAL_LOCAL_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<String>,
    #[command(subcommand)]
    pub action: AwsAction,
}

#[derive(Debug, Subcommand)]
pub enum AwsAction {
    /// AWS approves a submitted opportunity.
    Approve { opportunity: String },
    /// AWS takes any review decision.
    Review {
        opportunity: String,
        /// `In review`, `Approved`, `Action Required` or `Rejected`.
        #[arg(long)]
        status: String,
        #[arg(long)]
        comments: Option<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// An AWS seller moves the AWS stage.
    SetStage { opportunity: String, stage: String },
    /// AWS adds a member to the opportunity's AWS team.
    AddTeamMember {
        opportunity: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        /// e.g. `AWSSalesRep`, `PDM`, `PSM`.
        #[arg(long)]
        title: String,
    },
    /// Prints the AWS summary.
    Show { opportunity: String },
    /// Stores a file for bulk jobs (PUT /_admin/files/{key}); prints the s3:// URI that
    /// StartOpportunityBulkJob and StartCustomerAccountBulkJob accept for it.
    Upload {
        /// The file to store.
        file: PathBuf,
        /// The key to store it under (default: the file's name).
        #[arg(long)]
        key: Option<String>,
    },
    /// AWS refers an opportunity (or, with --lead, shares a lead) with the account: a PENDING
    /// engagement invitation it can list, read, accept or reject.
    Refer {
        /// The referred opportunity as JSON (CreateOpportunity's members without Catalog,
        /// ClientToken and Origin), from a file or `-` for standard input; without it a
        /// minimal valid one is built from --title and --company.
        #[arg(long)]
        file: Option<String>,
        /// Share a lead (LeadInvitation) instead of an opportunity.
        #[arg(long)]
        lead: bool,
        /// The project title (default "AWS Referral"), or the lead's engagement title
        /// (default "<company> lead").
        #[arg(long)]
        title: Option<String>,
        #[arg(long, default_value = "Example Customer")]
        company: String,
        /// Sender account (12 digits) instead of AWS.
        #[arg(long)]
        sender: Option<String>,
        #[arg(long)]
        message: Option<String>,
        /// Pin the invitation id (engi- and 13 of [0-9a-z]).
        #[arg(long)]
        invitation_id: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// Directory of the durable embedded storage.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// PostgreSQL database to keep state in (`postgres://user@host:port/db`), created and
    /// migrated at start; the data directory then keeps only bulk jobs' files (with
    /// `--in-memory`, a temporary directory does).
    #[arg(
        long,
        env = "PARTNERCENTRAL_LOCAL_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Keep all state in memory; nothing touches disk.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_IN_MEMORY", value_parser = clap::builder::FalseyValueParser::new(), default_value_t = false)]
    pub in_memory: bool,
    /// Region used in ARNs (requests signed for any region are served).
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_REGION", default_value = DEFAULT_REGION)]
    pub region: String,
    /// Credentials file; turns on SigV4 verification.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_CREDENTIALS")]
    pub credentials: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Token the control plane (`/_admin`) requires as `Authorization: Bearer TOKEN`.
    /// Required when listening on a non-loopback address.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// `aws` enforces the real per-account rate quotas (ThrottlingException).
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_QUOTAS", value_enum, default_value_t = QuotaMode::Off)]
    pub quotas: QuotaMode,
    /// JSON file replacing the built-in quota table (used with --quotas aws).
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_QUOTAS_FILE")]
    pub quotas_file: Option<PathBuf>,
    /// http:// URL that receives every EventBridge event as a JSON POST (with retries).
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_EVENTS_WEBHOOK")]
    pub events_webhook: Option<String>,
    /// State document (as GET /_admin/state returns) loaded when the store is empty.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_SEED")]
    pub seed: Option<PathBuf>,
    /// Connections served at once; further ones are closed immediately.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Milliseconds a client has to send a request's headers before the connection is closed.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_HEADER_TIMEOUT_MS", default_value_t = DEFAULT_HEADER_TIMEOUT_MS)]
    pub header_timeout_ms: u64,
    /// Milliseconds a client has to send a request's body (408 after that).
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_TIMEOUT_MS)]
    pub body_timeout_ms: u64,
    /// Milliseconds StartEngagementFromOpportunityTask and StartEngagementByAcceptingInvitationTask
    /// tasks stay IN_PROGRESS before completing (0: they complete inside the request, as the
    /// real service's answers show), so that a connector's polling loop is exercised.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_TASK_DELAY_MS", default_value_t = 0)]
    pub task_delay_ms: u64,
    /// HTTP status of the modeled client errors (AccessDenied, Conflict, ResourceNotFound,
    /// ServiceQuotaExceeded, Throttling, Validation): `aws` answers 400, as AWS's API reference
    /// and its captured answers show; `model` the Smithy model's 403/409/404/402/429/400.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_ERROR_STATUS", value_enum, default_value_t = ErrorStatus::Aws)]
    pub error_status: ErrorStatus,
    /// `aws` applies AWS's business validation of opportunities (what AWS refuses beyond the
    /// model's shapes); `off` accepts whatever the model allows, e.g. to replay old fixtures.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_BUSINESS_RULES", value_enum, default_value_t = crate::rules::business::Mode::Aws)]
    pub business_rules: crate::rules::business::Mode,
    /// File written with the server's URL once it is ready (removed when it stops), for
    /// harnesses that would rather not read stderr or stdout.
    #[arg(long, env = "PARTNERCENTRAL_LOCAL_READY_FILE")]
    pub ready_file: Option<PathBuf>,
    /// Milliseconds each bulk-job record waits before it is applied (0: none), so that a test
    /// can watch a job IN_PROGRESS or stop the server in the middle of one.
    #[arg(
        long,
        env = "PARTNERCENTRAL_LOCAL_BULK_RECORD_DELAY_MS",
        default_value_t = 0
    )]
    pub bulk_record_delay_ms: u64,
}

impl From<ServeArgs> for Config {
    fn from(a: ServeArgs) -> Self {
        Config {
            listen: a.listen,
            storage: match a.database_url {
                Some(url) => Storage::Postgres {
                    url,
                    files_dir: (!a.in_memory).then_some(a.data_dir),
                },
                None if a.in_memory => Storage::InMemory,
                None => Storage::DataDir(a.data_dir),
            },
            region: a.region,
            credentials: a.credentials,
            max_body_bytes: a.max_body_bytes,
            admin_token: a.admin_token,
            quotas: a.quotas,
            quotas_file: a.quotas_file,
            events_webhook: a.events_webhook,
            seed: a.seed,
            max_connections: a.max_connections.max(1),
            header_timeout: std::time::Duration::from_millis(a.header_timeout_ms.max(1)),
            body_timeout: std::time::Duration::from_millis(a.body_timeout_ms.max(1)),
            task_delay: std::time::Duration::from_millis(a.task_delay_ms),
            error_status: a.error_status,
            business_rules: a.business_rules,
            bulk_record_delay: std::time::Duration::from_millis(a.bulk_record_delay_ms),
        }
    }
}
