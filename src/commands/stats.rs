//! `--stats`: what the engine did and what it cost, on stderr.

use std::time::Duration;

/// The stats line: events processed, events per second, wall time, peak memory.
pub fn line(events: u64, wall: Duration) -> String {
    let seconds = wall.as_secs_f64();
    let rate = if seconds > 0.0 {
        format!("{:.1}M events/s", events as f64 / seconds / 1e6)
    } else {
        "-".into()
    };
    let memory = peak_memory().map_or_else(
        || "peak memory not reported on this platform".into(),
        |bytes| format!("peak memory {:.1} MiB", bytes as f64 / (1 << 20) as f64),
    );
    format!("stats: {events} events in {seconds:.3} s ({rate}), {memory}")
}

/// Peak resident memory in bytes, where the platform reports it (Linux).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
