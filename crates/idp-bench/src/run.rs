//! One measured throughput run: N deletes of one vendor, one way (raw reqwest, the facade's
//! bulk helper, or the `idp` CLI), at a given concurrency.

use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use idp::{DeleteOutcome, TransportOptions, Vendor};

use crate::fixtures::{config_vars, user_id};
use crate::measure::{self, CpuMem};

/// The three ways of deleting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A plain reqwest loop (the baseline).
    Raw,
    /// The vendor client through `idp::Client::delete_many`.
    Facade,
    /// The `idp` command-line tool, end to end.
    Cli,
}

impl Mode {
    /// All three, in the order they are run and printed.
    pub const ALL: [Mode; 3] = [Mode::Raw, Mode::Facade, Mode::Cli];

    /// The mode's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Facade => "facade",
            Mode::Cli => "cli",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown mode {s:?}: raw, facade or cli"))
    }
}

/// Deletes that succeeded and failed, and the first failure.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Deleted.
    pub ok: u64,
    /// Anything else.
    pub failed: u64,
    /// What the first failure said.
    pub first_error: Option<String>,
}

impl Tally {
    /// Counts a failure.
    pub fn fail(&mut self, error: String) {
        self.failed += 1;
        self.first_error.get_or_insert(error);
    }
}

/// The result of one run, printed as one `result key=value …` line for `cargo xtask bench`.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Which vendor.
    pub vendor: Vendor,
    /// Which way.
    pub mode: Mode,
    /// How many ids.
    pub n: u64,
    /// Deletes at once.
    pub concurrency: usize,
    /// What happened to them.
    pub tally: Tally,
    /// Wall time of the deletes (for the CLI: from spawning it to its exit).
    pub wall: Duration,
    /// CPU time of the deleting side (this process, or the CLI process).
    pub cpu: Duration,
    /// Peak resident set of the deleting process, in KiB.
    pub peak_kib: u64,
}

impl Measurement {
    /// Deletes per second.
    pub fn rate(&self) -> f64 {
        self.tally.ok as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The machine-readable line.
    pub fn line(&self) -> String {
        let mut line = format!(
            "result vendor={} mode={} n={} concurrency={} ok={} failed={} wall_s={:.4} cpu_s={:.4} peak_kib={} rate={:.1}",
            self.vendor,
            self.mode,
            self.n,
            self.concurrency,
            self.tally.ok,
            self.tally.failed,
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.peak_kib,
            self.rate(),
        );
        if let Some(error) = &self.tally.first_error {
            // Last, as it may contain spaces.
            line.push_str(" error=");
            line.push_str(&error.replace('\n', " "));
        }
        line
    }
}

/// What a run needs to know.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The vendor.
    pub vendor: Vendor,
    /// How many ids.
    pub n: u64,
    /// Deletes at once.
    pub concurrency: usize,
    /// The fast server, `http://127.0.0.1:PORT`.
    pub server: String,
    /// Where the key file, id files and outputs live.
    pub dir: PathBuf,
    /// The `idp` binary (for [`Mode::Cli`]).
    pub cli: Option<PathBuf>,
}

/// The ids of a run, made one at a time.
pub fn ids(vendor: Vendor, n: u64) -> impl Iterator<Item = String> + Send + 'static {
    (0..n).map(move |i| user_id(vendor, i))
}

/// The id file of `vendor` with `n` ids under `dir`, written if it does not exist yet.
pub fn ids_file(dir: &Path, vendor: Vendor, n: u64) -> Result<PathBuf, String> {
    let path = dir.join(format!("ids-{vendor}-{n}.txt"));
    if path.exists() {
        return Ok(path);
    }
    let write = || -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        let mut out = BufWriter::new(std::fs::File::create(&tmp)?);
        for id in ids(vendor, n) {
            writeln!(out, "{id}")?;
        }
        out.flush()?;
        drop(out);
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Runs `mode`. In-process modes need a tokio runtime (the caller's `#[tokio::main]`).
pub async fn run(mode: Mode, setup: &Setup) -> Result<Measurement, String> {
    let (tally, wall, usage) = match mode {
        Mode::Raw | Mode::Facade => {
            let before = measure::this_process()?;
            let started = Instant::now();
            let ids = ids(setup.vendor, setup.n);
            let tally = if mode == Mode::Raw {
                crate::raw::run(
                    setup.vendor,
                    &setup.server,
                    &setup.dir,
                    ids,
                    setup.concurrency,
                )
                .await?
            } else {
                facade(setup, ids).await?
            };
            let wall = started.elapsed();
            let after = measure::this_process()?;
            let usage = CpuMem {
                cpu: after.cpu.saturating_sub(before.cpu),
                peak_kib: after.peak_kib,
            };
            (tally, wall, usage)
        }
        Mode::Cli => cli(setup)?,
    };
    Ok(Measurement {
        vendor: setup.vendor,
        mode,
        n: setup.n,
        concurrency: setup.concurrency,
        tally,
        wall,
        cpu: usage.cpu,
        peak_kib: usage.peak_kib,
    })
}

/// The vendor client through the facade's bulk helper, with default transport options.
async fn facade(
    setup: &Setup,
    ids: impl Iterator<Item = String> + Send + 'static,
) -> Result<Tally, String> {
    let vars = config_vars(setup.vendor, &setup.server, &setup.dir);
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    // Unpaced: the benchmark server is not a vendor with a budget; pacing would measure
    // the vendor's documented rate, not the client.
    let options = TransportOptions::default().with_rate(idp::RateSetting::Off);
    let client = idp::Client::from_lookup(setup.vendor, lookup, options)
        .map_err(|e| format!("client: {e}"))?;
    let mut tally = Tally::default();
    let mut reports = std::pin::pin!(client.delete_many(ids, setup.concurrency));
    while let Some(report) = reports.next().await {
        match report.outcome {
            Ok(DeleteOutcome::Deleted) => tally.ok += 1,
            Ok(other) => tally.fail(format!("{}: {other}", report.user_id)),
            Err(err) => tally.fail(format!("{}: {err}", report.user_id)),
        }
    }
    Ok(tally)
}

/// `idp delete <vendor> --from FILE --output json --concurrency C > out.jsonl`, the only
/// child of this process, so `getrusage(RUSAGE_CHILDREN)` measures it alone.
fn cli(setup: &Setup) -> Result<(Tally, Duration, CpuMem), String> {
    let binary = setup
        .cli
        .as_ref()
        .ok_or("--cli PATH is needed for the cli mode")?;
    let ids = ids_file(&setup.dir, setup.vendor, setup.n)?;
    let out_path = setup
        .dir
        .join(format!("out-{}-{}.jsonl", setup.vendor, setup.n));
    let err_path = out_path.with_extension("stderr");
    let create = |path: &Path| {
        std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
    };
    let (out, err) = (create(&out_path)?, create(&err_path)?);
    let before = measure::waited_children()?;
    let started = Instant::now();
    let status = Command::new(binary)
        .args(["delete", setup.vendor.as_str(), "--from"])
        .arg(&ids)
        .args(["--output", "json", "--rate", "none", "--concurrency"])
        .arg(setup.concurrency.to_string())
        .env_clear()
        .envs(config_vars(setup.vendor, &setup.server, &setup.dir))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let wall = started.elapsed();
    let after = measure::waited_children()?;
    let usage = CpuMem {
        cpu: after.cpu.saturating_sub(before.cpu),
        peak_kib: after.peak_kib,
    };
    let mut tally = Tally::default();
    let file = std::fs::File::open(&out_path)
        .map_err(|e| format!("cannot read {}: {e}", out_path.display()))?;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("cannot read {}: {e}", out_path.display()))?;
        if line.contains(r#""outcome":"deleted""#) {
            tally.ok += 1;
        } else {
            tally.fail(line);
        }
    }
    if !status.success() {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        tally
            .first_error
            .get_or_insert(format!("idp exited with {status}: {}", stderr.trim()));
    }
    let missing = setup.n.saturating_sub(tally.ok + tally.failed);
    if missing > 0 {
        tally.failed += missing;
        tally
            .first_error
            .get_or_insert(format!("{missing} ids had no output line"));
    }
    Ok((tally, wall, usage))
}
