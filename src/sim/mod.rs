//! The discrete-event simulator: one synthetic workload replayed under each pattern and
//! balancer, replications in parallel, results as means with 95% confidence intervals.
//!
//! `docs/model.md` describes every model as simulated; `tests/validation.rs` holds it to
//! queueing theory.

pub mod balancer;
pub mod distribution;
mod engine;
pub mod estimate;
mod events;
pub mod faults;
pub mod metric;
mod pattern;
pub mod recorder;
pub mod resilience;
pub mod scenario;
pub mod stream;
pub mod workload;

use rayon::prelude::*;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::number::round_sig;

pub use balancer::BalancerKind;
pub use engine::Replication;
pub use estimate::Estimate;
pub use metric::{Metric, TaskCounts};
pub use pattern::Model;
pub use scenario::{Scenario, ScenarioError, ScenarioInput};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(
        "internal error: task counts of {pattern} do not add up ({} generated, {} completed, {} failed, {} in flight); please report it",
        counts.generated, counts.completed, counts.failed, counts.in_flight
    )]
    Conservation { pattern: String, counts: TaskCounts },
    #[error(
        "internal error: {unresolved} tasks of {pattern} can never finish (the simulation ran out of events at {time} s); please report it"
    )]
    Stuck {
        pattern: String,
        unresolved: u64,
        time: f64,
    },
}

/// Every metric's estimate across replications, serialized as an object in a fixed order.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics(pub Vec<(Metric, Estimate)>);

impl Metrics {
    pub fn get(&self, metric: Metric) -> Estimate {
        self.0
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, e)| *e)
            .expect("every metric is estimated")
    }
}

impl Serialize for Metrics {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (metric, estimate) in &self.0 {
            map.serialize_entry(metric.id(), estimate)?;
        }
        map.end()
    }
}

/// The load a pattern was offered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Offered {
    pub load: f64,
    pub arrival_rate: f64,
}

/// One pattern under one balancer, over all replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub pattern: String,
    pub balancer: BalancerKind,
    pub offered: Offered,
    pub metrics: Metrics,
    pub tasks: TaskCounts,
    /// Events processed over all replications, for speed figures.
    #[serde(skip)]
    pub events: u64,
    /// Each replication's values, for comparisons paired over the same tasks.
    #[serde(skip)]
    pub replications: Vec<metric::Values>,
    /// The latency distribution as (seconds, share of completed tasks at most that long):
    /// each quantile averaged over the replications. Empty when no task completed.
    #[serde(skip)]
    pub latency_cdf: Vec<(f64, f64)>,
    /// With `--timeline`: per bucket, rates and states over the replications.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelinePoint>,
}

/// One timeline bucket over the replications: rates per second in the bucket, and the state
/// at its end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelinePoint {
    pub start: f64,
    pub end: f64,
    pub throughput: Estimate,
    pub goodput: Estimate,
    pub attempts: Estimate,
    pub queued: Estimate,
    pub open_breakers: Estimate,
}

/// Averages the replications' timelines bucket by bucket; a replication that ended sooner
/// had nothing happening in the later buckets.
fn timeline(width: f64, reps: &[Replication]) -> Vec<TimelinePoint> {
    let buckets = reps.iter().map(|r| r.timeline.len()).max().unwrap_or(0);
    (0..buckets)
        .map(|i| {
            let field = |f: fn(&recorder::Bucket) -> f64, scale: f64| {
                Estimate::of(
                    reps.iter()
                        .map(|r| r.timeline.get(i).map_or(0.0, f) * scale),
                )
            };
            let rate = 1.0 / width;
            TimelinePoint {
                start: round_sig(i as f64 * width),
                end: round_sig((i + 1) as f64 * width),
                throughput: field(|b| b.departures, rate),
                goodput: field(|b| b.successes, rate),
                attempts: field(|b| b.attempts, rate),
                queued: field(|b| b.queued, 1.0),
                open_breakers: field(|b| b.open_breakers, 1.0),
            }
        })
        .collect()
}

/// Averages each quantile over the replications that completed tasks (Vincent averaging,
/// as the percentiles in the tables are).
fn latency_cdf(reps: &[Replication]) -> Vec<(f64, f64)> {
    recorder::CDF_QUANTILES
        .iter()
        .enumerate()
        .filter_map(|(i, &q)| {
            let e = Estimate::of(
                reps.iter()
                    .map(|r| r.latency_quantiles[i])
                    .filter(|x| x.is_finite()),
            );
            e.mean.is_finite().then_some((e.mean, q))
        })
        .collect()
}

impl RunResult {
    /// Whether `metric` is higher here than in `other` beyond chance, paired replication by
    /// replication: both saw the same tasks, so the differences vary far less than the
    /// values. `None` with fewer than two replications.
    pub fn higher_than(&self, other: &RunResult, metric: Metric) -> Option<bool> {
        let diffs: Vec<f64> = self
            .replications
            .iter()
            .zip(&other.replications)
            .map(|(a, b)| a.get(metric) - b.get(metric))
            .filter(|d| d.is_finite())
            .collect();
        let e = Estimate::of(diffs);
        e.ci95.is_finite().then_some(e.mean - e.ci95 > 0.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub scenario: Scenario,
    pub results: Vec<RunResult>,
}

impl Simulation {
    pub fn events(&self) -> u64 {
        self.results.iter().map(|r| r.events).sum()
    }

    /// Length of the measured (post-warm-up) window, in seconds.
    fn measured_window(&self, arrival_rate: f64) -> f64 {
        let s = &self.scenario;
        let kept = 1.0 - s.warmup;
        match (s.duration, s.tasks) {
            (Some(d), _) => d * kept,
            (None, Some(n)) if arrival_rate > 0.0 => n as f64 * kept / arrival_rate,
            _ => 0.0,
        }
    }

    /// Whether the result's throughput fell short of its arrivals, so its queues grew.
    pub fn fell_behind(&self, r: &RunResult) -> bool {
        let arrivals = r.metrics.get(Metric::ArrivalRate).mean;
        let throughput = r.metrics.get(Metric::Throughput).mean;
        // Short runs end with a few tasks in flight; only a backlog well above the mean
        // occupancy means the queues really grew.
        let window = self.measured_window(arrivals);
        let backlog = (arrivals - throughput) * window;
        let in_system = r.metrics.get(Metric::InSystemMean).mean;
        throughput < KEEP_UP * arrivals && backlog > BACKLOG_FACTOR * in_system
    }

    /// Warnings about the run itself: patterns whose throughput fell short of the measured
    /// arrival rate did not keep up, and their latencies grow with the run's length.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for pattern in &self.scenario.patterns {
            let behind: Vec<String> = self
                .results
                .iter()
                .filter(|r| &r.pattern == pattern && self.fell_behind(r))
                .map(|r| {
                    format!(
                        "{} ({:.3} of {:.3}/s)",
                        r.balancer,
                        r.metrics.get(Metric::Throughput).mean,
                        r.metrics.get(Metric::ArrivalRate).mean
                    )
                })
                .collect();
            if !behind.is_empty() {
                out.push(format!(
                    "{pattern} did not keep up with its arrivals under {}: queues grew during the run, so its latencies depend on the run's length",
                    behind.join(", ")
                ));
            }
        }
        out
    }
}

/// Throughput below this share of the arrival rate means the system fell behind...
const KEEP_UP: f64 = 0.97;
/// ...when the backlog left exceeds this multiple of the mean number in the system.
const BACKLOG_FACTOR: f64 = 1.5;

/// Runs one replication of one pattern under one balancer.
pub fn replicate(
    scenario: &Scenario,
    pattern: usize,
    balancer: BalancerKind,
    replication: u32,
) -> Result<Replication, SimError> {
    let params = &scenario.per_pattern[pattern];
    params.model.visit(Run {
        scenario,
        params,
        balancer,
        replication,
    })
}

/// Runs one replication with the pattern's type.
struct Run<'a> {
    scenario: &'a Scenario,
    params: &'a scenario::PatternParams,
    balancer: BalancerKind,
    replication: u32,
}

impl pattern::Visit for Run<'_> {
    type Output = Result<Replication, SimError>;
    fn visit<P: pattern::Pattern>(self) -> Self::Output {
        let agents: Vec<u32> = (0..self.params.workers).collect();
        engine::Engine::<P>::new(
            self.scenario,
            self.params,
            self.balancer,
            self.replication,
            &agents,
        )
        .run()
    }
}

/// Runs every pattern under every balancer, `replications` times each, in parallel.
/// `progress` is called once per finished replication. Results come in the scenario's
/// order, identical whatever the number of threads.
pub fn simulate(scenario: &Scenario, progress: &(dyn Fn() + Sync)) -> Result<Simulation, SimError> {
    let runs: Vec<(usize, BalancerKind, u32)> = (0..scenario.per_pattern.len())
        .flat_map(|p| {
            scenario
                .balancers
                .iter()
                .flat_map(move |&b| (0..scenario.replications).map(move |r| (p, b, r)))
        })
        .collect();
    let replications: Vec<Replication> = runs
        .par_iter()
        .map(|&(p, b, r)| {
            let result = replicate(scenario, p, b, r);
            progress();
            result
        })
        .collect::<Result<_, _>>()?;
    let per_run = scenario.replications as usize;
    let results = runs
        .chunks(per_run)
        .zip(replications.chunks(per_run))
        .map(|(keys, reps)| {
            let (p, b, _) = keys[0];
            let params = &scenario.per_pattern[p];
            let mut tasks = TaskCounts::default();
            for rep in reps {
                tasks.add(&rep.counts);
            }
            RunResult {
                pattern: params.pattern.clone(),
                balancer: b,
                offered: Offered {
                    load: round_sig(params.load),
                    arrival_rate: round_sig(params.arrival_rate),
                },
                metrics: Metrics(
                    Metric::ALL
                        .iter()
                        .map(|&m| (m, Estimate::of(reps.iter().map(|r| r.values.get(m)))))
                        .collect(),
                ),
                tasks,
                events: reps.iter().map(|r| r.events).sum(),
                replications: reps.iter().map(|r| r.values.clone()).collect(),
                latency_cdf: latency_cdf(reps),
                timeline: scenario
                    .resilience
                    .timeline
                    .map(|w| timeline(w, reps))
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(Simulation {
        scenario: scenario.clone(),
        results,
    })
}
