//! `idp sim`: the five simulators in the foreground, for trying the CLI or another client by
//! hand. Stdout is a shell script (`export` lines and `#` comments) and is closed once written,
//! so `source <(idp sim)` configures a shell while the simulators keep serving; every signal
//! that ends the process first drops the simulators (removing RSA's temporary key folder).

use idp_sim::{Sims, Simulator};

use crate::exit::{RunEnd, UsageError};
use crate::out::Out;

/// Starts the simulators, seeds `users` people (the same emails in each), prints how to reach
/// them, and serves
/// until Ctrl-C, SIGTERM or SIGHUP.
pub async fn run(users: usize) -> Result<RunEnd, UsageError> {
    let sims = Sims::start()
        .await
        .map_err(|e| UsageError(format!("cannot start the simulators: {e}")))?;
    let people: Vec<String> = (1..=users)
        .map(|n| format!("user{n}@example.com"))
        .collect();
    let mut script = String::from(
        "# idp sim: five vendor simulators on loopback (test credentials only).\n\
         # Stop them with Ctrl-C or SIGTERM (pkill -TERM -f 'idp sim').\n",
    );
    for sim in sims.all() {
        script.push_str(&section(sim, &people));
    }
    if let Some(first) = people.first() {
        script.push_str(&format!(
            "\n# every simulator has the people {}\n\
             # try: idp find --email {first}\n\
             # then: idp offboard plan --email {first} --out plan.json && \
             idp offboard apply plan.json --yes && idp offboard verify plan.json\n",
            people.join(" ")
        ));
    }
    let mut out = Out::new();
    if !out.line(script.trim_end()) || !out.flush() {
        return Ok(RunEnd::OutputIncomplete);
    }
    close_stdout();
    wait_for_a_signal().await;
    drop(sims);
    Ok(RunEnd::AllDone)
}

/// One simulator's block: where it is, its variables, the accounts seeded for `people`,
/// and a command to try.
fn section(sim: &dyn Simulator, people: &[String]) -> String {
    let ids: Vec<String> = people.iter().map(|email| sim.add_person(email)).collect();
    let mut text = format!("\n# {} at {}\n", sim.vendor(), sim.base_url());
    for (name, value) in sim.env() {
        text.push_str(&format!("export {name}={}\n", shell_quote(&value)));
    }
    text.push_str(&format!("# user ids: {}\n", ids.join(" ")));
    if let Some(id) = ids.first() {
        text.push_str(&format!(
            "# try: idp delete {} {id} --dry-run\n",
            sim.vendor()
        ));
    }
    text
}

/// `'value'`, with any `'` inside closed, escaped and reopened.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Points stdout at /dev/null, so a reader (`source <(idp sim)`) sees the end of the script
/// while the simulators keep serving.
fn close_stdout() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdout(&null);
    }
}

/// Waits for SIGINT, SIGTERM or SIGHUP (or forever, if none can be watched).
async fn wait_for_a_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_single_quoted_for_the_shell() {
        assert_eq!(shell_quote("abc"), "'abc'");
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
