//! From flags and environment to a configured client.

use std::collections::HashMap;
use std::time::Duration;

use idp::{Client, RetryPolicy, TransportOptions};

use crate::args::{DeleteArgs, Provider};

/// A usage or configuration problem: exit status 2, nothing sent.
#[derive(Debug)]
pub struct UsageError(pub String);

/// The environment variable each non-secret flag overrides, for `provider`; a flag the
/// provider does not use is a usage error rather than silently ignored.
fn overrides(args: &DeleteArgs) -> Result<HashMap<&'static str, String>, UsageError> {
    let key_file = args
        .key_file
        .as_ref()
        .map(|path| path.to_string_lossy().into_owned());
    let flags: [(&str, Option<String>); 6] = [
        ("--account-id", args.account_id.clone()),
        ("--base-url", args.base_url.clone()),
        ("--key-file", key_file),
        ("--directory-id", args.directory_id.clone()),
        ("--region", args.region.clone()),
        ("--endpoint", args.endpoint.clone()),
    ];
    let mut map = HashMap::new();
    for (flag, value) in flags {
        let Some(value) = value else { continue };
        let variable = flag_variable(args.provider, flag).ok_or_else(|| {
            UsageError(format!(
                "{flag} does not apply to {}",
                args.provider.vendor().as_str()
            ))
        })?;
        map.insert(variable, value);
    }
    Ok(map)
}

/// The variable `flag` stands for with `provider`, if the provider has one.
fn flag_variable(provider: Provider, flag: &str) -> Option<&'static str> {
    match (provider, flag) {
        (Provider::CfAccess, "--account-id") => Some("CLOUDFLARE_ACCOUNT_ID"),
        (Provider::CfAccess, "--base-url") => Some("CLOUDFLARE_BASE_URL"),
        (Provider::Onelogin, "--base-url") => Some("ONELOGIN_BASE_URL"),
        (Provider::AaControlroom, "--base-url") => Some("AA_CONTROL_ROOM_URL"),
        (Provider::RsaCas, "--key-file") => Some("RSA_CAS_KEY_FILE"),
        (Provider::RsaCas, "--base-url") => Some("RSA_CAS_BASE_URL"),
        (Provider::AlibabaCloudsso, "--directory-id") => {
            Some("ALIBABA_CLOUD_CLOUDSSO_DIRECTORY_ID")
        }
        (Provider::AlibabaCloudsso, "--region") => Some("ALIBABA_CLOUD_REGION_ID"),
        (Provider::AlibabaCloudsso, "--endpoint") => Some("ALIBABA_CLOUD_CLOUDSSO_ENDPOINT"),
        _ => None,
    }
}

/// The transport options the flags ask for.
pub fn transport_options(args: &DeleteArgs) -> TransportOptions {
    TransportOptions::default()
        .with_attempt_timeout(Duration::from_secs(args.timeout))
        .with_retry(RetryPolicy::default().with_max_retries(args.max_retries))
        .with_allow_insecure_http(args.allow_insecure_http)
}

/// One client for the whole run (one login or token shared by every worker).
pub fn build_client(args: &DeleteArgs) -> Result<Client, UsageError> {
    let overrides = overrides(args)?;
    let lookup = |name: &str| {
        overrides
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    };
    Client::from_lookup(args.provider.vendor(), lookup, transport_options(args))
        .map_err(|e| UsageError(e.to_string()))
}
