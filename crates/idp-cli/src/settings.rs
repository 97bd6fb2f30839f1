//! From flags and environment to configured clients: typed overrides for the non-secret
//! variables (checked against each vendor crate's variable table), transport options, and
//! which providers a multi-provider command uses.

use std::time::Duration;

use idp::{Client, Interrupt, Overrides, RateSetting, RetryPolicy, TransportOptions, Vendor};

use crate::args::{ConfigArgs, TransportArgs};
use crate::exit::UsageError;

/// The flags given, each with its typed value (for the applicability check).
fn given_flags(config: &ConfigArgs) -> Vec<&'static str> {
    [
        ("--account-id", config.account_id.is_some()),
        ("--base-url", config.base_url.is_some()),
        ("--key-file", config.key_file.is_some()),
        ("--directory-id", config.directory_id.is_some()),
        ("--region", config.region.is_some()),
        ("--endpoint", config.endpoint.is_some()),
        ("--signature-version", config.signature_version.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect()
}

/// Whether `vendor`'s variable table has `flag`.
fn takes_flag(vendor: Vendor, flag: &str) -> bool {
    vendor.variables().iter().any(|v| v.flag == Some(flag))
}

/// The typed overrides.
pub fn overrides(config: &ConfigArgs) -> Overrides {
    let mut overrides = Overrides::none();
    overrides.base_url = config.base_url.clone();
    overrides.account_id = config.account_id.clone();
    overrides.key_file = config.key_file.clone();
    overrides.directory_id = config.directory_id.clone();
    overrides.region = config.region.clone();
    overrides.endpoint = config.endpoint.clone();
    overrides.signature_version = config.signature_version.clone();
    overrides
}

/// Refuses a flag that none of `vendors` reads (rather than ignoring it), and a flag that
/// several of them read (`--base-url` with two providers: which one?).
pub fn check_flags(vendors: &[Vendor], config: &ConfigArgs) -> Result<(), UsageError> {
    for flag in given_flags(config) {
        let users: Vec<&str> = vendors
            .iter()
            .filter(|v| takes_flag(**v, flag))
            .map(|v| v.as_str())
            .collect();
        match users.len() {
            0 => {
                let names: Vec<&str> = vendors.iter().map(|v| v.as_str()).collect();
                return Err(UsageError(format!(
                    "{flag} does not apply to {}",
                    names.join(", ")
                )));
            }
            1 => {}
            _ => {
                return Err(UsageError(format!(
                    "{flag} applies to several selected providers ({}): choose one with \
                     --providers",
                    users.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// The transport options the flags ask for.
pub fn transport_options(args: &TransportArgs, interrupt: &Interrupt) -> TransportOptions {
    TransportOptions::default()
        .with_attempt_timeout(Duration::from_secs(args.timeout))
        .with_deadline(Duration::from_secs(args.deadline))
        .with_retry(RetryPolicy::default().with_max_retries(args.max_retries))
        .with_rate(args.rate.unwrap_or(RateSetting::VendorDefault))
        .with_allow_insecure_http(args.allow_insecure_http)
        .with_interrupt(interrupt.clone())
}

/// One client for `vendor` (one login or token shared by every worker of the run).
pub fn client(
    vendor: Vendor,
    config: &ConfigArgs,
    transport: &TransportArgs,
    interrupt: &Interrupt,
) -> Result<Client, UsageError> {
    Client::from_sources(
        vendor,
        |name| std::env::var(name).ok(),
        &overrides(config),
        transport_options(transport, interrupt),
    )
    .map_err(|e| UsageError(e.to_string()))
}

/// Whether `vendor` looks configured: one of its required variables is set, or one of its
/// flags is given.
fn configured(vendor: Vendor, config: &ConfigArgs) -> bool {
    let flags = given_flags(config);
    vendor.variables().iter().any(|v| {
        (v.required && idp::lookup_var(&|name: &str| std::env::var(name).ok(), v.name).is_some())
            || v.flag.is_some_and(|flag| flags.contains(&flag))
    })
}

/// The providers a multi-provider command uses: `--providers a,b` or `all` (each must be
/// configured: a missing variable is a usage error naming it), or by default every
/// configured one. Returns them and, for the default, those skipped as unconfigured.
pub fn select_providers(
    list: Option<&str>,
    config: &ConfigArgs,
) -> Result<(Vec<Vendor>, Vec<Vendor>), UsageError> {
    let chosen: Vec<Vendor> = match list.map(str::trim) {
        None => {
            let (on, off): (Vec<Vendor>, Vec<Vendor>) =
                Vendor::ALL.iter().partition(|v| configured(**v, config));
            if on.is_empty() {
                return Err(UsageError(
                    "no provider is configured in the environment: set a provider's variables \
                     (see --help) or name providers with --providers"
                        .to_owned(),
                ));
            }
            return Ok((on, off));
        }
        Some("all") => Vendor::ALL.to_vec(),
        Some(list) => {
            let mut vendors = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let vendor: Vendor = name.parse().map_err(|e| UsageError(format!("{e}")))?;
                if !vendors.contains(&vendor) {
                    vendors.push(vendor);
                }
            }
            if vendors.is_empty() {
                return Err(UsageError("--providers names no provider".to_owned()));
            }
            vendors
        }
    };
    Ok((chosen, Vec::new()))
}

/// Clients for every provider in `vendors` (a missing or broken configuration is a usage
/// error naming the provider and the variable).
pub fn clients(
    vendors: &[Vendor],
    config: &ConfigArgs,
    transport: &TransportArgs,
    interrupt: &Interrupt,
) -> Result<Vec<Client>, UsageError> {
    check_flags(vendors, config)?;
    vendors
        .iter()
        .map(|&vendor| client(vendor, config, transport, interrupt))
        .collect()
}
