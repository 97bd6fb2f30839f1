//! The command line. It is a contract scripts depend on: add to it, never change it.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Delete users (offboard, deprovision) in identity and admin platforms.
#[derive(Debug, Parser)]
#[command(name = "idp", version, propagate_version = true)]
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
    /// Delete users in one platform.
    #[command(after_long_help = ENVIRONMENT_HELP, after_help = ENVIRONMENT_HELP)]
    Delete(Box<DeleteArgs>),
    /// Start all five vendor simulators in-process and run real deletes through the real
    /// clients over loopback HTTP: a few deleted, one absent, one conflict, one throttled
    /// then deleted, per vendor. Needs no configuration.
    Demo,
    /// Run the five vendor simulators in the foreground on loopback ports, printing each
    /// one's base URL and test credentials as `export` lines, until Ctrl-C.
    Sim {
        /// Deletable users to seed in each simulator.
        #[arg(long, value_name = "N", default_value_t = 5)]
        users: usize,
    },
}

/// Where each id's result goes on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A line per id and a summary.
    Text,
    /// One JSON object per id, one per line, as each finishes.
    Json,
}

/// The platform to delete users in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Provider {
    /// RSA SecurID Cloud Access Service.
    #[value(name = "rsa-cas")]
    RsaCas,
    /// Cloudflare Zero Trust Access.
    #[value(name = "cf-access")]
    CfAccess,
    /// OneLogin.
    #[value(name = "onelogin")]
    Onelogin,
    /// Automation Anywhere Control Room.
    #[value(name = "aa-controlroom")]
    AaControlroom,
    /// Alibaba Cloud CloudSSO.
    #[value(name = "alibaba-cloudsso")]
    AlibabaCloudsso,
}

impl Provider {
    /// The facade's vendor for this provider.
    pub fn vendor(self) -> idp::Vendor {
        match self {
            Provider::RsaCas => idp::Vendor::RsaCas,
            Provider::CfAccess => idp::Vendor::CfAccess,
            Provider::Onelogin => idp::Vendor::OneLogin,
            Provider::AaControlroom => idp::Vendor::AaControlRoom,
            Provider::AlibabaCloudsso => idp::Vendor::AlibabaCloudSso,
        }
    }
}

/// `idp delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The platform: rsa-cas, cf-access, onelogin, aa-controlroom or alibaba-cloudsso.
    #[arg(value_enum)]
    pub provider: Provider,

    /// User ids to delete (more can come from --from).
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

    /// Retries per id after the first attempt (throttling, 5xx, timeouts, dropped
    /// connections; never other 4xx).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_retries: u32,

    /// Timeout of each attempt, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Check the configuration and the ids, send no delete; each valid id is "skipped".
    #[arg(long)]
    pub dry_run: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// cf-access: the account id (overrides CLOUDFLARE_ACCOUNT_ID).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// The API base URL (overrides CLOUDFLARE_BASE_URL, ONELOGIN_BASE_URL,
    /// AA_CONTROL_ROOM_URL or RSA_CAS_BASE_URL, by provider).
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

    /// Allow plain http:// to a host other than this machine (credentials would cross the
    /// network unencrypted; for self-hosted servers on a trusted network only).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

/// The configuration variables, shown under `idp delete --help`.
const ENVIRONMENT_HELP: &str = "\
Configuration comes from the environment. Secrets are never taken from flags (they would show
in `ps`); flags may override the non-secret variables.

  rsa-cas           RSA_CAS_KEY_FILE (--key-file), RSA_CAS_BASE_URL (--base-url, optional)
  cf-access         CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY;
                    CLOUDFLARE_ACCOUNT_ID (--account-id); CLOUDFLARE_BASE_URL (--base-url, optional)
  onelogin          ONELOGIN_CLIENT_ID, ONELOGIN_CLIENT_SECRET, ONELOGIN_BASE_URL (--base-url);
                    ONELOGIN_API_VERSION (optional: 1, the default, or 2)
  aa-controlroom    AA_CONTROL_ROOM_URL (--base-url), AA_USERNAME, and AA_PASSWORD or AA_API_KEY;
                    AA_API_VERSION (optional: v1, the default, or v2)
  alibaba-cloudsso  ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET,
                    ALIBABA_CLOUD_SECURITY_TOKEN (optional),
                    ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID (--directory-id),
                    ALIBABA_CLOUD_REGION_ID (--region, optional),
                    ALIBABA_CLOUD_CLOUDSSO_ENDPOINT (--endpoint, optional)
  RUST_LOG          log filter for stderr (overrides -v)

Output: --output json prints one object per id:
  {\"provider\", \"user_id\", \"outcome\": \"deleted\"|\"absent\"|\"failed\"|\"skipped\",
   \"attempts\", \"elapsed_ms\", \"error\": null | {\"kind\", \"status\", \"code\", \"message\", \"request_id\"}}
\"absent\" means the platform says the user does not exist (already deleted).

Exit status: 0 no id failed; 1 at least one id failed; 2 usage or configuration error (nothing
was sent).";
