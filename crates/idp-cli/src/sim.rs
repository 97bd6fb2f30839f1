//! `idp sim`: the five simulators in the foreground, for trying the CLI or another client
//! by hand.

use idp_sim::Sims;

use crate::config::UsageError;
use crate::delete::RunEnd;

/// Starts the simulators, seeds `users` deletable users in each, prints how to reach them,
/// and serves until Ctrl-C.
pub async fn run(users: usize) -> Result<RunEnd, UsageError> {
    let sims = Sims::start()
        .await
        .map_err(|e| UsageError(format!("cannot start the simulators: {e}")))?;
    let mut text = String::from(
        "idp sim: five vendor simulators on loopback (test credentials only). Ctrl-C stops \
         them.\n",
    );
    for sim in sims.all() {
        let ids = sim.add_users(users);
        text.push_str(&format!("\n# {} at {}\n", sim.vendor(), sim.base_url()));
        for (name, value) in sim.env() {
            text.push_str(&format!("export {name}='{value}'\n"));
        }
        text.push_str(&format!("# users: {}\n", ids.join(" ")));
        text.push_str(&format!(
            "# try: idp delete {} {}\n",
            sim.vendor(),
            ids.first().map(String::as_str).unwrap_or("1")
        ));
    }
    print_out(&text);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| UsageError(format!("cannot wait for Ctrl-C: {e}")))?;
    Ok(RunEnd::AllDone)
}

#[allow(clippy::print_stdout)]
fn print_out(text: &str) {
    println!("{text}");
}
