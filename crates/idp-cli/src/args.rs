//! The command line. It is a contract scripts depend on: add to it, never change it.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use idp::Vendor;

use crate::help;

/// Offboard people from identity and admin platforms: find their accounts, cut access,
/// remove them, verify.
#[derive(Debug, Parser)]
#[command(
    name = "idp",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_long_help = help::EXIT_STATUS
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// More log output on stderr: -v info, -vv debug, -vvv trace (RUST_LOG overrides).
    /// Secrets are never logged.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Delete users in one platform, by id.
    #[command(after_help = help::delete_short(), after_long_help = help::delete_long())]
    Delete(Box<DeleteArgs>),
    /// Find a person's accounts by email or username in every configured platform.
    #[command(after_help = help::find_short(), after_long_help = help::find_long())]
    Find(Box<FindArgs>),
    /// Offboard people: plan, apply the approved plan, verify.
    #[command(subcommand, after_long_help = help::OFFBOARD_EXAMPLES)]
    Offboard(OffboardCommand),
    /// Check a journal written by `offboard apply` or `delete --journal`.
    #[command(subcommand, after_long_help = help::JOURNAL_VERIFY_EXAMPLES)]
    Journal(JournalCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    #[command(after_long_help = help::COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (idp.1 and one per subcommand) into a folder (what `cargo xtask
    /// man` runs; the repository ships them in `man/`).
    #[command(hide = true)]
    Man {
        /// The folder to write into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Start all five vendor simulators in-process and run the real clients against them over
    /// loopback HTTP: deletes (a few deleted, one absent, one conflict, one throttled), and one
    /// person offboarded across all five — plan, apply, an interrupted and resumed apply,
    /// verify. Needs no configuration.
    #[cfg(feature = "demo")]
    #[command(after_long_help = help::DEMO_EXAMPLES)]
    Demo,
    /// Run the five vendor simulators in the foreground on loopback ports until Ctrl-C or
    /// SIGTERM. Stdout is a shell script of `export` lines and `#` comments, so
    /// `source <(idp sim)` configures a shell to use them.
    #[cfg(feature = "demo")]
    #[command(after_long_help = help::SIM_EXAMPLES)]
    Sim {
        /// People to seed (user1@example.com …, the same in each simulator).
        #[arg(long, value_name = "N", default_value_t = 5)]
        users: usize,
    },
}

/// `idp offboard …`.
#[derive(Debug, Subcommand)]
pub enum OffboardCommand {
    /// Look every person up in every provider and write the plan: the accounts, the steps,
    /// the warnings, and a digest that binds `apply` to exactly this content.
    #[command(after_help = help::plan_short(), after_long_help = help::plan_long())]
    Plan(Box<PlanArgs>),
    /// Carry out a plan: re-read every target, contain all of them, then clear prerequisites,
    /// delete and verify; every step journaled; resumable.
    #[command(after_long_help = help::APPLY_LONG)]
    Apply(Box<ApplyArgs>),
    /// Read-only: check that every account in a plan is gone.
    #[command(after_long_help = help::VERIFY_LONG)]
    Verify(Box<VerifyArgs>),
}

/// `idp journal …`.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Check a journal's hash chain and that its last run closed: exit 0 intact, 1 broken or
    /// unclosed (it says which).
    #[command(after_long_help = help::JOURNAL_VERIFY_EXAMPLES)]
    Verify {
        /// The journal file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Where each result goes on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Readable lines and a summary.
    Text,
    /// One JSON object per line, as each result arrives.
    Json,
}

/// How requests are sent (every command that talks to a vendor).
#[derive(Debug, Clone, Args)]
pub struct TransportArgs {
    /// Retries per call after the first attempt (throttling, 5xx, timeouts, dropped
    /// connections; never other 4xx).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_retries: u32,

    /// Timeout of each attempt, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Longest time one call may take, retries and waits included, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,

    /// Request budget per vendor: N/s, N/m, N/h, or none. Default: each vendor's documented
    /// budget (Cloudflare 90% of 1,200 per 5 min, OneLogin 5,000 per hour and its own
    /// counters, Alibaba 100 per second; RSA and Control Room none).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub rate: Option<idp::RateSetting>,

    /// Allow plain http:// to a host other than this machine (credentials would cross the
    /// network unencrypted; for self-hosted servers on a trusted network only).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

fn parse_rate(text: &str) -> Result<idp::RateSetting, String> {
    text.parse()
        .map_err(|e: idp::transport::ParseRateError| e.to_string())
}

/// Non-secret configuration values that override the environment.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// cf-access: the account id (overrides CLOUDFLARE_ACCOUNT_ID).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// The API base URL (overrides CLOUDFLARE_BASE_URL, ONELOGIN_BASE_URL,
    /// AA_CONTROL_ROOM_URL or RSA_CAS_BASE_URL, by provider; one provider only).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// rsa-cas: the admin API key file (overrides RSA_CAS_KEY_FILE).
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,

    /// alibaba-cloudsso: the CloudSSO directory id (overrides
    /// ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID).
    #[arg(long, value_name = "ID")]
    pub directory_id: Option<String>,

    /// alibaba-cloudsso: the region, e.g. cn-shanghai (overrides ALIBABA_CLOUD_REGION_ID).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// alibaba-cloudsso: the full endpoint URL (overrides ALIBABA_CLOUD_CLOUDSSO_ENDPOINT).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// alibaba-cloudsso: v3 (ACS3-HMAC-SHA256, the default) or v2 (HMAC-SHA1) (overrides
    /// ALIBABA_CLOUD_SIGNATURE_VERSION).
    #[arg(long, value_name = "VERSION")]
    pub signature_version: Option<String>,
}

/// `idp delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The platform.
    #[arg(value_enum)]
    pub provider: Vendor,

    /// User ids to delete ("-" reads them from standard input, like --from -).
    #[arg(value_name = "USER_ID")]
    pub user_ids: Vec<String>,

    /// Read more ids from FILE, one per line ("-" = standard input). Blank lines and lines
    /// starting with # are skipped; ids are trimmed.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// How many deletes run at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Check the configuration with one read-only call and the ids; send no delete. Each
    /// valid id is "skipped".
    #[arg(long)]
    pub dry_run: bool,

    /// Record every outcome in FILE (append-only JSON lines, hash-chained, each synced
    /// before it is printed); running again with the same journal skips ids already deleted
    /// or absent.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub transport: TransportArgs,
}

/// Who to look up (`find` and `offboard plan`).
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// An email to look up (repeatable).
    #[arg(long, value_name = "EMAIL")]
    pub email: Vec<String>,

    /// A username to look up (repeatable).
    #[arg(long, value_name = "USERNAME")]
    pub username: Vec<String>,

    /// Read queries from FILE ("-" = standard input): one per line, or a CSV with a header
    /// row (read as CSV when --column is given or the first line has a comma).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// The CSV column holding the queries (default: the column named "email",
    /// case-insensitive).
    #[arg(long, value_name = "NAME", requires = "from")]
    pub column: Option<String>,

    /// Providers to look in: a comma-separated list, or "all". Default: every provider whose
    /// configuration is present in the environment.
    #[arg(long, value_name = "LIST")]
    pub providers: Option<String>,
}

/// `idp find`.
#[derive(Debug, Args)]
pub struct FindArgs {
    #[command(flatten)]
    pub queries: QueryArgs,

    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// How many lookups run at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub transport: TransportArgs,
}

/// `idp offboard plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub queries: QueryArgs,

    /// A protect list: lines of `email` or `provider:user_id` that never get a step
    /// (break-glass and admin accounts).
    #[arg(long, value_name = "FILE")]
    pub protect: Option<PathBuf>,

    /// Write the plan to PLAN (default: standard output).
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,

    /// How many lookups run at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub transport: TransportArgs,
}

/// `idp offboard apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file (from `idp offboard plan --out`).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// The journal (default: PLAN.journal.jsonl). The same journal resumes an interrupted
    /// apply.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Apply without asking (required when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,

    /// Stop after containment (disable, revoke sessions, log out): a valid end state.
    #[arg(long)]
    pub contain_only: bool,

    /// How many targets are worked on at once in each provider (the providers run side by
    /// side, so one slow vendor does not hold back the others).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: u32,

    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub transport: TransportArgs,
}

/// `idp offboard verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// How many reads run at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub concurrency: u32,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub transport: TransportArgs,
}
