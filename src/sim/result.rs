//! One pattern under one balancer over all its replications: every metric's estimate (a
//! censored one where a quantile fell among failed requests), collapses, the warnings that
//! go with it, and comparisons paired over the same requests.

use serde::Serialize;
use serde::ser::SerializeMap;

use super::BalancerKind;
use super::engine::Replication;
use super::estimate::Estimate;
use super::metric::{self, Metric, TaskCounts};
use super::recorder::{Bucket, CDF_QUANTILES};
use super::scenario::{PatternParams, Scenario};
use crate::number::round_sig;

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

/// What the pattern was offered: the rate (the same for every pattern) and the loads it
/// puts on the pattern's workers and coordination.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Offered {
    pub rate: f64,
    pub load: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordination_load: Option<f64>,
}

/// Replications whose goodput fell and stayed below their arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Collapse {
    pub replications: u32,
    pub of: u32,
    /// When, on average over those replications (seconds).
    pub at: f64,
}

/// The latency metrics, whose values mean nothing once a run collapsed.
const LATENCIES: &[Metric] = &[
    Metric::LatencyMean,
    Metric::LatencyP50,
    Metric::LatencyP90,
    Metric::LatencyP95,
    Metric::LatencyP99,
    Metric::LatencyP999,
    Metric::LatencyMax,
    Metric::SuccessLatencyMean,
    Metric::SuccessLatencyP50,
    Metric::SuccessLatencyP99,
    Metric::SuccessLatencyP999,
    Metric::SuccessLatencyMax,
];

/// Replications that could make no progress, and the requests failed when they stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stalled {
    pub replications: u32,
    pub of: u32,
    /// The mean time they stopped at.
    pub at: f64,
    /// Requests still waiting then, over all replications, failed.
    pub failed: u64,
}

/// One pattern under one balancer, over all replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub pattern: String,
    pub balancer: BalancerKind,
    pub offered: Offered,
    pub metrics: Metrics,
    pub tasks: TaskCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collapse: Option<Collapse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stalled: Option<Stalled>,
    /// Everything worth a warning about this result (also printed on stderr).
    pub warnings: Vec<String>,
    /// Events processed over all replications, for speed figures.
    #[serde(skip)]
    pub events: u64,
    /// Each replication's values, for comparisons paired over the same requests.
    #[serde(skip)]
    pub replications: Vec<metric::Values>,
    /// Each replication's digest of its request stream: the same for every pattern.
    #[serde(skip)]
    pub digests: Vec<u64>,
    /// The latency distribution over all requests as (seconds, share of requests at most
    /// that long): each quantile averaged over the replications, up to the share answered.
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
            let field = |f: fn(&Bucket) -> f64, scale: f64| {
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

/// Averages each quantile over the replications where it is known (Vincent averaging, as
/// the percentiles in the tables are).
fn latency_cdf(reps: &[Replication]) -> Vec<(f64, f64)> {
    CDF_QUANTILES
        .iter()
        .enumerate()
        .filter_map(|(i, &q)| {
            let known: Vec<f64> = reps
                .iter()
                .map(|r| r.latency_quantiles[i])
                .filter(|x| x.is_finite())
                .collect();
            (known.len() == reps.len()).then(|| (Estimate::of(known).mean, q))
        })
        .collect()
}

/// How a result fell short of its arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Fewer requests ended than arrived: the queues grew.
    QueuesGrew,
    /// As many ended as arrived, but too few were answered: the others failed.
    Failed,
}

/// Throughput of answered requests below this share of the arrival rate means the system
/// fell behind...
const KEEP_UP: f64 = 0.97;
/// ...when the requests left unanswered exceed this multiple of the mean number in the system.
const BACKLOG_FACTOR: f64 = 1.5;

impl RunResult {
    /// The result of `reps`, the replications of pattern `params` under `balancer`.
    pub fn of(
        scenario: &Scenario,
        params: &PatternParams,
        balancer: BalancerKind,
        reps: &[Replication],
    ) -> Self {
        let mut tasks = TaskCounts::default();
        for rep in reps {
            tasks.add(&rep.counts);
        }
        let collapsed: Vec<f64> = reps.iter().filter_map(|r| r.collapse).collect();
        let collapse = (!collapsed.is_empty()).then(|| Collapse {
            replications: collapsed.len() as u32,
            of: reps.len() as u32,
            at: round_sig(collapsed.iter().sum::<f64>() / collapsed.len() as f64),
        });
        let stalls: Vec<(f64, u64)> = reps.iter().filter_map(|r| r.stalled).collect();
        let stalled = (!stalls.is_empty()).then(|| Stalled {
            replications: stalls.len() as u32,
            of: reps.len() as u32,
            at: round_sig(stalls.iter().map(|s| s.0).sum::<f64>() / stalls.len() as f64),
            failed: stalls.iter().map(|s| s.1).sum(),
        });
        let metrics = Metrics(
            Metric::ALL
                .iter()
                .map(|&m| {
                    let e = Estimate::of_censored(
                        reps.iter().map(|r| (r.values.get(m), r.values.at_least(m))),
                    );
                    // Latencies of a collapsed run grow with its length: only a bound is known.
                    if collapse.is_some() && LATENCIES.contains(&m) && !e.censored() {
                        let at_least = if e.mean.is_finite() { e.mean } else { 0.0 };
                        (
                            m,
                            Estimate {
                                at_least: Some(at_least),
                                ..Estimate::NONE
                            },
                        )
                    } else {
                        (m, e)
                    }
                })
                .collect(),
        );
        let mut result = RunResult {
            pattern: params.pattern.clone(),
            balancer,
            offered: Offered {
                rate: round_sig(scenario.rate),
                load: round_sig(params.load),
                coordination_load: params.coordination_load.map(round_sig),
            },
            metrics,
            tasks,
            collapse,
            stalled,
            warnings: Vec::new(),
            events: reps.iter().map(|r| r.events).sum(),
            replications: reps.iter().map(|r| r.values.clone()).collect(),
            digests: reps.iter().map(|r| r.digest).collect(),
            latency_cdf: latency_cdf(reps),
            timeline: scenario
                .resilience
                .timeline
                .map(|w| timeline(w, reps))
                .unwrap_or_default(),
        };
        let mut warnings = scenario.general_warnings();
        warnings.extend(scenario.pattern_warnings(params));
        if let Some(s) = result.stalled {
            warnings.push(result.stall_warning(s));
        }
        if let Some(c) = result.collapse {
            warnings.push(result.collapse_warning(c));
        } else if let Some(shortfall) = result.shortfall(scenario) {
            let (goodput, arrivals) = (
                crate::number::number(result.metrics.get(Metric::Goodput).mean, 3),
                crate::number::number(result.metrics.get(Metric::ArrivalRate).mean, 3),
            );
            warnings.push(match shortfall {
                Shortfall::QueuesGrew => format!(
                    "{} under {} did not keep up: {goodput} of {arrivals} requests/s answered, so queues grew during the run and its latencies depend on the run's length",
                    result.pattern, result.balancer
                ),
                Shortfall::Failed => format!(
                    "{} under {} answered in full only {:.1}% of its requests ({goodput} of {arrivals} requests/s): the others failed or were answered in part",
                    result.pattern,
                    result.balancer,
                    100.0 * result.metrics.get(Metric::SuccessRate).mean
                ),
            });
        }
        result.warnings = warnings;
        result
    }

    pub fn stall_warning(&self, s: Stalled) -> String {
        format!(
            "{} under {} stalled in {} of {} replications: after the arrivals and the scripted outages ended, no request ended and no agent served for thirty times the longest wait the scenario sets (a repair, a timeout, an election), or events ran on without either (100,000 per request waiting), so the {} requests still waiting were failed at t = {} s on average: random failures keep too few agents up for them (a majority for consensus, a working master)",
            self.pattern,
            self.balancer,
            s.replications,
            s.of,
            s.failed,
            crate::number::number(s.at, 0)
        )
    }

    fn collapse_warning(&self, c: Collapse) -> String {
        format!(
            "{} under {} collapsed at t = {} s in {} of {} replications: its goodput fell below its arrivals and stayed there, so its latencies are only lower bounds that grow with the run",
            self.pattern,
            self.balancer,
            crate::number::number(c.at, 0),
            c.replications,
            c.of
        )
    }

    /// Length of the measured (post-warm-up) window, in seconds.
    fn measured_window(&self, scenario: &Scenario) -> f64 {
        let kept = 1.0 - scenario.warmup;
        match (scenario.duration, scenario.tasks) {
            (Some(d), _) => d * kept,
            (None, Some(n)) => n as f64 * kept / scenario.rate,
            _ => 0.0,
        }
    }

    /// Whether, and how, fewer requests were answered than arrived, beyond what a short run
    /// leaves in flight: its queues grew, or it failed what it could not serve.
    pub fn shortfall(&self, scenario: &Scenario) -> Option<Shortfall> {
        // Too few requests to tell a backlog from the run's own tail (the scenario warns).
        scenario.too_few_measured().is_none().then_some(())?;
        let arrivals = self.metrics.get(Metric::ArrivalRate).mean;
        let in_system = self.metrics.get(Metric::InSystemMean).mean;
        let window = self.measured_window(scenario);
        let short = |rate: f64| {
            rate < KEEP_UP * arrivals && (arrivals - rate) * window > BACKLOG_FACTOR * in_system
        };
        if short(self.metrics.get(Metric::Throughput).mean) {
            Some(Shortfall::QueuesGrew)
        } else if short(self.metrics.get(Metric::Goodput).mean) {
            Some(Shortfall::Failed)
        } else {
            None
        }
    }

    /// Whether it answered fewer requests than arrived (see [`RunResult::shortfall`]).
    pub fn fell_behind(&self, scenario: &Scenario) -> bool {
        self.shortfall(scenario).is_some()
    }

    /// Whether its numbers support a verdict: it neither collapsed nor fell behind.
    pub fn sound(&self, scenario: &Scenario) -> bool {
        self.collapse.is_none() && !self.fell_behind(scenario)
    }

    /// Whether `metric` is higher here than in `other` beyond chance, paired replication by
    /// replication: both saw the same requests, so the differences vary far less than the
    /// values. `None` with fewer than two replications, or when either is censored.
    pub fn higher_than(&self, other: &RunResult, metric: Metric) -> Option<bool> {
        if self.metrics.get(metric).censored() || other.metrics.get(metric).censored() {
            return None;
        }
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
