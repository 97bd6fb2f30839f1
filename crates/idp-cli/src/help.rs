//! Help texts: the environment variables (built from each vendor crate's table), the JSON
//! contracts, the exit statuses, and an EXAMPLES section per subcommand.

use std::fmt::Write as _;

use idp::Vendor;

/// The exit statuses, shared by every subcommand.
pub const EXIT_STATUS: &str = "\
Exit status:
  0    every id or target ended as documented for success
  1    at least one failed (or was ambiguous, drifted, was not verified)
  2    usage, configuration or input error: nothing was sent
  3    the output is incomplete: stdout (or the journal) could not be written; the ids that
       finished without being reported are listed on stderr
  130  interrupted (Ctrl-C or SIGTERM): no new request started; what finished was reported";

/// Every vendor's variables, one block per vendor, from the vendor crates' tables.
pub fn environment() -> String {
    let mut text = String::from(
        "Configuration comes from the environment. Secrets are never taken from flags (they \
         would show in `ps`); flags override the non-secret variables. Every value is trimmed; \
         an empty variable counts as unset.\n",
    );
    for &vendor in Vendor::ALL {
        let _ = writeln!(text, "\n  {} ({})", vendor.as_str(), vendor.platform());
        for variable in vendor.variables() {
            let flag = variable
                .flag
                .map(|flag| format!(" ({flag})"))
                .unwrap_or_default();
            let need = if variable.required { "" } else { " [optional]" };
            let _ = writeln!(text, "    {}{flag}{need}: {}", variable.name, variable.help);
        }
    }
    text.push_str(
        "\n  proxies: HTTPS_PROXY (or ALL_PROXY) is used for https:// only, as a CONNECT tunnel;\n    \
         plain http:// and loopback never go through a proxy; NO_PROXY is honoured.\n  \
         RUST_LOG: log filter for stderr (overrides -v); NO_COLOR: no colours in logs.\n",
    );
    text
}

const DELETE_JSON: &str = "\
Output: --output json prints one object per id:
  {\"attempts\", \"elapsed_ms\", \"error\": null | {\"code\", \"kind\", \"message\", \"request_id\",
   \"status\"}, \"outcome\": \"deleted\"|\"absent\"|\"failed\"|\"skipped\", \"provider\", \"user_id\"}
\"absent\" means the platform's own answer says the user does not exist (already deleted).
\"skipped\": a dry run's valid id, or an id never started (interrupted, or held back by the
circuit breaker after 20 consecutive ids failed the same retryable way).";

const DELETE_EXAMPLES: &str = "\
Examples:
  idp delete onelogin 12345 67890 --dry-run     check configuration and ids, send no delete
  idp delete cf-access --from leavers.txt --output json --journal leavers.journal.jsonl
  cut -d, -f1 ids.csv | idp delete aa-controlroom -";

/// `idp delete -h`.
pub fn delete_short() -> String {
    format!("{DELETE_EXAMPLES}\n\nSee --help for the environment variables and the JSON output.")
}

/// `idp delete --help`.
pub fn delete_long() -> String {
    format!(
        "{}\n{DELETE_JSON}\n\n{EXIT_STATUS}\n\n{DELETE_EXAMPLES}",
        environment()
    )
}

const FIND_JSON: &str = "\
Output: --output json prints one object per query and provider:
  {\"query\": {\"email\": E} | {\"username\": U}, \"provider\", \"outcome\":
   \"found\"|\"absent\"|\"ambiguous\"|\"failed\", \"accounts\": [{\"user_id\", \"email\", \"username\",
   \"display_name\", \"status\", \"managed_by\", \"vendor\": {...}}], \"error\": null | {...}}
Matching is exact (ASCII case-insensitive) on the platform's email or username field; more
than one match is \"ambiguous\" and nothing is picked.";

const FIND_EXAMPLES: &str = "\
Examples:
  idp find --email jane.doe@example.com
  idp find --from leavers.csv --column work_email --providers onelogin,cf-access --output json";

/// `idp find -h`.
pub fn find_short() -> String {
    format!("{FIND_EXAMPLES}\n\nSee --help for the environment variables and the JSON output.")
}

/// `idp find --help`.
pub fn find_long() -> String {
    format!(
        "{}\n{FIND_JSON}\n\nExit status: 0 every lookup found or absent; 1 any ambiguous or \
         failed; 2 usage, configuration or an invalid query (nothing sent).\n\n{FIND_EXAMPLES}",
        environment()
    )
}

const PLAN_EXAMPLES: &str = "\
Examples:
  idp offboard plan --email jane.doe@example.com --out jane.plan.json
  idp offboard plan --from layoff.csv --protect break-glass.txt --out layoff.plan.json";

/// `idp offboard plan -h`.
pub fn plan_short() -> String {
    format!("{PLAN_EXAMPLES}\n\nSee --help for the environment variables.")
}

/// `idp offboard plan --help`.
pub fn plan_long() -> String {
    format!(
        "{}\nThe plan is JSON with \"digest\": \"sha256:<hex>\" over its \"people\" in canonical JSON \
         (RFC 8785): apply refuses a plan whose content changed.\n\nExit status: 0 every \
         person resolved (found or absent everywhere); 1 any lookup ambiguous or failed (the \
         plan is still written); 2 usage or configuration.\n\n{PLAN_EXAMPLES}",
        environment()
    )
}

/// `idp offboard --help`: the whole flow.
pub const OFFBOARD_EXAMPLES: &str = "\
Examples:
  idp offboard plan --email jane.doe@example.com --out jane.plan.json
  idp offboard apply jane.plan.json
  idp offboard verify jane.plan.json";

/// `idp offboard apply --help`.
pub const APPLY_LONG: &str = "\
Refuses (exit 2, nothing sent) a plan whose digest does not match its content, or, without
--yes, when standard input is not a terminal (on a terminal it asks you to type the number of
accounts). Re-reads every target first: a different account for the person, or a prerequisite
the plan does not list, ends that target as \"drift\" with nothing changed.

Output: --output json prints one object per step as it ends:
  {\"email\", \"provider\", \"user_id\", \"step\", \"target\", \"outcome\":
   \"done\"|\"already\"|\"failed\"|\"skipped\", \"attempts\", \"elapsed_ms\", \"request_id\", \"error\"}
and one per target with \"step\": null and \"outcome\": \"offboarded\"|\"absent\"|\"contained\"|
\"pending_deletion\"|\"managed_elsewhere\"|\"drift\"|\"protected\"|\"failed\".

Exit status: 0 every target offboarded, absent, pending_deletion or protected (or contained
with --contain-only); 1 otherwise; 2 usage, plan or configuration; 3 output incomplete;
130 interrupted (resume with the same plan and journal).

Examples:
  idp offboard apply jane.plan.json
  idp offboard apply layoff.plan.json --yes --contain-only --output json
  idp offboard apply layoff.plan.json --yes          # resumes from layoff.plan.json.journal.jsonl";

/// `idp offboard verify --help`.
pub const VERIFY_LONG: &str = "\
Output: --output json prints one object per account:
  {\"email\", \"provider\", \"user_id\", \"state\": \"gone\"|\"present\"|\"failed\", \"error\"}

Exit status: 0 every account gone; 1 otherwise; 2 usage, plan or configuration.

Examples:
  idp offboard verify jane.plan.json
  idp offboard verify layoff.plan.json --output json";

/// `idp journal --help` and `idp journal verify --help`.
pub const JOURNAL_VERIFY_EXAMPLES: &str = "\
Examples:
  idp journal verify layoff.plan.json.journal.jsonl";

/// `idp completions --help`.
pub const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  idp completions bash > ~/.local/share/bash-completion/completions/idp
  idp completions zsh > \"${fpath[1]}/_idp\"
  idp completions fish > ~/.config/fish/completions/idp.fish";

/// `idp demo --help`.
#[cfg(feature = "demo")]
pub const DEMO_EXAMPLES: &str = "\
Examples:
  idp demo";

/// `idp sim --help`.
#[cfg(feature = "demo")]
pub const SIM_EXAMPLES: &str = "\
Examples:
  source <(idp sim --users 3)     # the simulators keep serving in the background
  idp find --email user1@example.com
  pkill -TERM -f 'idp sim'         # stop them (any signal cleans up)";
