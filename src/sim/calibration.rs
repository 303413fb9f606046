//! Calibration: the latency the simulator gives a replayed trace, against the latency the
//! trace recorded. Close agreement under the configuration the trace was taken with is what
//! makes the what-ifs (another pattern, more traffic) worth trusting.

use serde::Serialize;

use super::scenario::replay::TraceMode;
use super::{Estimate, Metric, Scenario, Simulation};

/// The quantiles compared.
const QUANTILES: [(&str, f64, Metric); 3] = [
    ("p50", 0.50, Metric::LatencyP50),
    ("p95", 0.95, Metric::LatencyP95),
    ("p99", 0.99, Metric::LatencyP99),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// The trace's recorded latency over the measured requests (those after the warm-up).
    pub requests: u64,
    pub observed: Vec<Observed>,
    pub results: Vec<Calibrated>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    pub quantile: &'static str,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibrated {
    pub pattern: String,
    pub balancer: String,
    /// Simulated latency at each quantile of `observed`, in its order.
    pub simulated: Vec<Estimate>,
    /// The largest gap between simulated and observed, as a share of the observed.
    pub worst_error: f64,
}

/// Why a scenario cannot be calibrated, if it cannot: checked before it is simulated.
pub fn check(s: &Scenario) -> Result<(), String> {
    let Some(replay) = &s.trace else {
        return Err("--calibrate compares a replay with its trace: give --trace FILE".into());
    };
    if replay.mode != TraceMode::Replay || replay.rate_scale != 1.0 {
        return Err(
            "--calibrate replays the trace as it was recorded: leave out --trace-mode and --rate-scale"
                .into(),
        );
    }
    let Some(latency) = &replay.trace.latency else {
        return Err(format!(
            "{} has no latency column to calibrate against (a column named latency or response_time, or --trace-columns latency=NAME)",
            replay.trace.path
        ));
    };
    if latency.is_empty() {
        return Err(format!("{} has no requests", replay.trace.path));
    }
    Ok(())
}

/// Compares a replay's results with the latency its trace recorded; an error says why a
/// simulation cannot be calibrated.
pub fn calibrate(sim: &Simulation) -> Result<Calibration, String> {
    let s = &sim.scenario;
    check(s)?;
    let replay = s.trace.as_ref().expect("checked above");
    let latency = replay.trace.latency.as_ref().expect("checked above");
    // The measured requests are the ones replayed (--tasks may take the first N) after the
    // warm-up, in arrival order.
    let replayed = s
        .tasks
        .map_or(latency.len(), |n| (n as usize).min(latency.len()));
    let warm = (s.warmup * replayed as f64).floor() as usize;
    let mut measured: Vec<f64> = latency[warm..replayed].to_vec();
    measured.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let rank = ((q * measured.len() as f64).ceil() as usize).clamp(1, measured.len());
        measured[rank - 1]
    };
    let observed: Vec<Observed> = QUANTILES
        .iter()
        .map(|&(quantile, q, _)| Observed {
            quantile,
            seconds: at(q),
        })
        .collect();
    let results = sim
        .results
        .iter()
        .map(|r| {
            let simulated: Vec<Estimate> = QUANTILES
                .iter()
                .map(|&(_, _, m)| r.metrics.get(m))
                .collect();
            let worst_error = simulated
                .iter()
                .zip(&observed)
                .map(|(e, o)| {
                    let value = e.at_least.unwrap_or(e.mean);
                    if value.is_finite() {
                        (value - o.seconds).abs() / o.seconds.max(1e-12)
                    } else {
                        f64::INFINITY
                    }
                })
                .fold(0.0, f64::max);
            Calibrated {
                pattern: r.pattern.clone(),
                balancer: r.balancer.id().to_string(),
                simulated,
                worst_error,
            }
        })
        .collect();
    Ok(Calibration {
        requests: measured.len() as u64,
        observed,
        results,
    })
}
