//! CPU time and peak memory, of this process or of the children it waited for.

use std::time::Duration;

use nix::sys::resource::{Usage, UsageWho, getrusage};

/// CPU time used and the largest resident set seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuMem {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, in KiB.
    pub peak_kib: u64,
}

fn from_usage(usage: &Usage) -> CpuMem {
    let micros = |tv: nix::sys::time::TimeVal| {
        let total = tv.tv_sec() as i128 * 1_000_000 + tv.tv_usec() as i128;
        Duration::from_micros(u64::try_from(total).unwrap_or(0))
    };
    CpuMem {
        cpu: micros(usage.user_time()) + micros(usage.system_time()),
        // Linux reports ru_maxrss in KiB.
        peak_kib: u64::try_from(usage.max_rss()).unwrap_or(0),
    }
}

/// This process so far (`getrusage(RUSAGE_SELF)`); the peak is the process's `VmHWM`.
pub fn this_process() -> Result<CpuMem, String> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).map_err(|e| format!("getrusage: {e}"))?;
    let mut measured = from_usage(&usage);
    if let Some(hwm) = vm_hwm_kib() {
        measured.peak_kib = hwm;
    }
    Ok(measured)
}

/// Every child this process has waited for (`getrusage(RUSAGE_CHILDREN)`): their CPU time
/// added up, and the largest peak resident set among them. Spawn the measured program as the
/// only child to measure it alone.
pub fn waited_children() -> Result<CpuMem, String> {
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .map(|usage| from_usage(&usage))
        .map_err(|e| format!("getrusage: {e}"))
}

/// Pins this process (every thread it starts from now on) to one CPU, so the benchmark
/// server and the measured client do not take turns on the same cores. Threads started later
/// inherit it, and so do child processes (the `idp` CLI).
pub fn pin_to_cpu(cpu: usize) -> Result<(), String> {
    let mut set = nix::sched::CpuSet::new();
    set.set(cpu).map_err(|e| format!("CPU {cpu}: {e}"))?;
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
        .map_err(|e| format!("cannot pin to CPU {cpu}: {e}"))
}

/// `VmHWM` (peak resident set) of this process, from `/proc/self/status`, in KiB.
pub fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_measurable() {
        let now = this_process().unwrap_or_default();
        assert!(now.peak_kib > 0);
        assert!(waited_children().is_ok());
    }
}
