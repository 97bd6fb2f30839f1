//! `cargo xtask bench [--n N] [--concurrency C] [--vendor V] [--repeat R] [--scaling] [--no-pin]`:
//! throughput of a delete, three ways, against the fast loopback server.
//!
//! 1. `raw`: a plain reqwest loop sending the same requests (the baseline);
//! 2. `facade`: the vendor client through `idp::Client::delete_many`;
//! 3. `cli`: the `idp` binary, `--from` an id file, `--output json` to a file.
//!
//! Everything is built in release mode. The server (`idp-bench-server`) runs in a process of
//! its own, and so does each measured run (`idp-bench-run`), so CPU time and peak memory
//! belong to the measured side alone. With two or more cores the server is pinned to CPU 1
//! (one runtime thread) and the measured side to CPU 0 (its runtime, and the CLI's, then have
//! one worker): the two never take turns on a core, runs are repeatable, and deletes/s is the
//! measured side's own cost. `--no-pin` lets the scheduler place everything. Not part of
//! `cargo xtask ci`: it takes minutes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VENDORS: [&str; 5] = [
    "rsa-cas",
    "cf-access",
    "onelogin",
    "aa-controlroom",
    "alibaba-cloudsso",
];
const MODES: [&str; 3] = ["raw", "facade", "cli"];
const SCALING: [u64; 3] = [1_000, 10_000, 100_000];
/// Goal: the client and the CLI reach at least this share of the raw loop's rate.
const RATIO_GOAL: f64 = 0.9;
/// Goal: the CLI's peak resident set for 20,000 ids, in MiB.
const CLI_MEMORY_GOAL_MIB: f64 = 50.0;

struct Options {
    n: u64,
    concurrency: u32,
    vendors: Vec<String>,
    repeat: u32,
    scaling: bool,
    pin: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        n: 20_000,
        concurrency: 64,
        vendors: VENDORS.iter().map(|v| (*v).to_owned()).collect(),
        repeat: 1,
        scaling: false,
        pin: std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--n" => options.n = number(&value("--n")?)?,
            "--concurrency" => options.concurrency = number(&value("--concurrency")?)?,
            "--repeat" => options.repeat = number::<u32>(&value("--repeat")?)?.max(1),
            "--vendor" => {
                let vendor = value("--vendor")?;
                if !VENDORS.contains(&vendor.as_str()) {
                    return Err(format!(
                        "unknown vendor {vendor:?}: one of {}",
                        VENDORS.join(", ")
                    ));
                }
                options.vendors = vec![vendor];
            }
            "--scaling" => options.scaling = true,
            "--no-pin" => options.pin = false,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo xtask bench [--n N] \
                     [--concurrency C] [--vendor V] [--repeat R] [--scaling] [--no-pin]"
                ));
            }
        }
    }
    if options.n == 0 || options.concurrency == 0 {
        return Err("--n and --concurrency must be positive".into());
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {text:?}"))
}

/// One `result key=value …` line of `idp-bench-run`, plus the server's CPU time meanwhile.
#[derive(Clone, Debug)]
struct Run {
    fields: BTreeMap<String, String>,
    error: Option<String>,
    server_cpu_s: f64,
}

impl Run {
    fn parse(line: &str, server_cpu_s: f64) -> Option<Run> {
        let rest = line.strip_prefix("result ")?;
        let (pairs, error) = match rest.split_once(" error=") {
            Some((pairs, error)) => (pairs, Some(error.to_owned())),
            None => (rest, None),
        };
        let fields = pairs
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Some(Run {
            fields,
            error,
            server_cpu_s,
        })
    }

    fn f(&self, key: &str) -> f64 {
        self.fields
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    fn rate(&self) -> f64 {
        self.f("rate")
    }

    fn cpu_per_1k(&self) -> f64 {
        self.f("cpu_s") * 1000.0 / self.f("ok").max(1.0)
    }

    fn server_cpu_per_1k(&self) -> f64 {
        self.server_cpu_s * 1000.0 / self.f("ok").max(1.0)
    }

    fn peak_mib(&self) -> f64 {
        self.f("peak_kib") / 1024.0
    }
}

struct Paths {
    run: PathBuf,
    server: PathBuf,
    cli: PathBuf,
    dir: PathBuf,
}

pub fn bench(root: &Path, args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let started = Instant::now();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let release = target.join("release");
    let paths = Paths {
        run: release.join("idp-bench-run"),
        server: release.join("idp-bench-server"),
        cli: release.join("idp"),
        dir: target.join("bench"),
    };

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("$ cargo build --release -p idp-bench -p idp-cli --bins");
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "-p",
            "idp-bench",
            "-p",
            "idp-cli",
            "--bins",
        ])
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    if !status.success() {
        return Err("the release build failed".into());
    }
    std::fs::create_dir_all(&paths.dir)
        .map_err(|e| format!("cannot create {}: {e}", paths.dir.display()))?;
    capture(
        Command::new(&paths.run)
            .args(["setup", "--dir"])
            .arg(&paths.dir),
    )?;

    let mut server = Server::start(&paths.server, options.pin)?;
    let placement = if options.pin {
        "server pinned to CPU 1 (1 thread), measured side pinned to CPU 0"
    } else {
        "not pinned"
    };
    println!(
        "fast server: {} (pid {}), separate process; {} core(s), {placement}; load average {}",
        server.url,
        server.child.id(),
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    let sizes: Vec<u64> = if options.scaling {
        SCALING.to_vec()
    } else {
        vec![options.n]
    };
    let mut report = String::new();
    let mut failures = 0u64;
    // results[(n, vendor, mode)] = the runs.
    let mut results: BTreeMap<(u64, String, String), Vec<Run>> = BTreeMap::new();
    for &n in &sizes {
        for vendor in &options.vendors {
            capture(
                Command::new(&paths.run)
                    .args(["ids", "--vendor", vendor, "--n", &n.to_string(), "--dir"])
                    .arg(&paths.dir),
            )?;
            // Interleaved repeats, so a burst of load elsewhere hits every way alike.
            for repeat in 0..options.repeat {
                for mode in MODES {
                    let before = server.cpu_seconds();
                    let line = capture(
                        Command::new(&paths.run)
                            .args(["run", "--mode", mode, "--vendor", vendor])
                            .args(["--n", &n.to_string()])
                            .args(["--concurrency", &options.concurrency.to_string()])
                            .args(["--server", &server.url])
                            .arg("--dir")
                            .arg(&paths.dir)
                            .arg("--cli")
                            .arg(&paths.cli)
                            .args(if options.pin {
                                &["--cpu", "0"][..]
                            } else {
                                &[][..]
                            }),
                    )?;
                    let server_cpu = server.cpu_seconds() - before;
                    let run = Run::parse(line.trim(), server_cpu)
                        .ok_or_else(|| format!("unexpected output of idp-bench-run: {line}"))?;
                    let failed = run.f("failed") as u64;
                    eprintln!(
                        "  n={n} {vendor:<16} {mode:<6} #{}: {:>8.0} deletes/s{}",
                        repeat + 1,
                        run.rate(),
                        match (&run.error, failed) {
                            (_, 0) => String::new(),
                            (error, _) =>
                                format!("  {failed} FAILED: {}", error.as_deref().unwrap_or("?")),
                        }
                    );
                    failures += failed;
                    results
                        .entry((n, vendor.clone(), mode.to_owned()))
                        .or_default()
                        .push(run);
                }
            }
        }
    }
    server.stop();

    let chosen = |n: u64, vendor: &str, mode: &str| -> Option<Run> {
        let runs = results
            .get(&(n, vendor.to_owned(), mode.to_owned()))?
            .clone();
        // The best of the repeats: other work on the machine only ever slows a run down,
        // so the fastest one is the least disturbed.
        runs.into_iter()
            .max_by(|a, b| a.rate().total_cmp(&b.rate()))
    };
    let mut below_goal = Vec::new();
    for &n in &sizes {
        report.push_str(&format!(
            "\n### N = {n}, concurrency {}, {placement}{}\n\n",
            options.concurrency,
            if options.repeat > 1 {
                format!(", best of {} interleaved runs", options.repeat)
            } else {
                String::new()
            }
        ));
        report.push_str(
            "| vendor | way | deletes/s | client CPU s / 1k | peak RSS MiB | server CPU s / 1k | ratio to raw |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        for vendor in &options.vendors {
            let Some(raw) = chosen(n, vendor, "raw") else {
                continue;
            };
            for mode in MODES {
                let Some(run) = chosen(n, vendor, mode) else {
                    continue;
                };
                let ratio = run.rate() / raw.rate().max(1e-9);
                let ratio_text = if mode == "raw" {
                    "1 (baseline)".to_owned()
                } else {
                    if ratio < RATIO_GOAL {
                        below_goal.push(format!("n={n} {vendor} {mode}: ratio {ratio:.2}"));
                    }
                    format!("{ratio:.2}")
                };
                if mode == "cli" && n <= 20_000 && run.peak_mib() >= CLI_MEMORY_GOAL_MIB {
                    below_goal.push(format!(
                        "n={n} {vendor} cli: peak {:.1} MiB",
                        run.peak_mib()
                    ));
                }
                report.push_str(&format!(
                    "| {vendor} | {mode} | {:.0} | {:.3} | {:.1} | {:.3} | {ratio_text} |\n",
                    run.rate(),
                    run.cpu_per_1k(),
                    run.peak_mib(),
                    run.server_cpu_per_1k(),
                ));
            }
        }
    }
    if options.scaling {
        report.push_str(
            "\n### Scaling: wall seconds per 1,000 deletes and peak RSS (MiB) by N\n\n\
             | vendor | way |",
        );
        for n in SCALING {
            report.push_str(&format!(" s/1k at {n} | MiB at {n} |"));
        }
        report.push_str("\n|---|---|");
        for _ in SCALING {
            report.push_str("---:|---:|");
        }
        report.push('\n');
        for vendor in &options.vendors {
            for mode in MODES {
                report.push_str(&format!("| {vendor} | {mode} |"));
                for n in SCALING {
                    match chosen(n, vendor, mode) {
                        Some(run) => report.push_str(&format!(
                            " {:.3} | {:.1} |",
                            run.f("wall_s") * 1000.0 / n as f64,
                            run.peak_mib()
                        )),
                        None => report.push_str(" – | – |"),
                    }
                }
                report.push('\n');
            }
        }
    }
    report.push_str(&format!(
        "\nGoals: ratio ≥ {RATIO_GOAL} for facade and cli; cli peak < {CLI_MEMORY_GOAL_MIB} MiB \
         for 20,000 ids. {}\n",
        if below_goal.is_empty() {
            "All met.".to_owned()
        } else {
            format!("Below goal: {}.", below_goal.join("; "))
        }
    ));
    println!("{report}");
    let report_path = paths.dir.join("report.md");
    std::fs::write(&report_path, &report)
        .map_err(|e| format!("cannot write {}: {e}", report_path.display()))?;
    println!(
        "(also in {}; took {:.0?}; load average now {})",
        report_path.display(),
        started.elapsed(),
        load_average()
    );
    if failures > 0 {
        return Err(format!(
            "{failures} deletes failed: the figures are not valid"
        ));
    }
    Ok(())
}

/// Runs a command and returns its stdout; its stderr goes to ours.
fn capture(command: &mut Command) -> Result<String, String> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed ({})", output.status));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("non-UTF-8 output: {e}"))
}

/// The fast server process: ends when we close its standard input.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(binary: &Path, pin: bool) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .args(["--max-seconds", "7200"])
            .args(if pin {
                &["--cpu", "1", "--threads", "1"][..]
            } else {
                &[][..]
            })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| format!("server: {e}"))?;
        }
        let Some(url) = line.trim().strip_prefix("listening ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the server did not start: {line:?}"));
        };
        Ok(Server {
            url: url.to_owned(),
            child,
        })
    }

    /// The server's CPU time so far (user + system), from /proc.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        // Fields 14 and 15 of stat(5), counted after the command name: utime, stime (ticks
        // of 1/100 s on Linux).
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
        match (ticks(11), ticks(12)) {
            (Some(user), Some(system)) => (user + system) / 100.0,
            _ => 0.0,
        }
    }

    fn stop(&mut self) {
        // Closing stdin asks it to stop; it prints its request count.
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "?".to_owned())
}
