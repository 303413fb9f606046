//! Evidence for a recommendation: the top candidates simulated on the user's own workload,
//! each with the balancer and resilience settings advised for it, then ranked by what was
//! measured. Catalog ratings are opinions; where a measurement contradicts them, it wins.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::sim::resilience::{BreakerKind, RetryKind};
use crate::sim::scenario::{Names, Seconds};
use crate::sim::{self, Estimate, Metric, RunResult, Scenario, ScenarioInput, SimError};

use super::advice::{Advice, advise};
use super::{Ranked, Recommendation, Request};

/// How much simulation to spend on each candidate: tasks per replication, or simulated
/// seconds of arrivals. Never wall-clock time, so the result is the same on any machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Tasks(u64),
    Seconds(f64),
}

impl Budget {
    /// As `simulate`'s default: p99 within about 10% at the usual loads, in about a second
    /// for three candidates.
    pub const DEFAULT: Budget = Budget::Tasks(100_000);
}

impl FromStr for Budget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u64>() {
            return if n > 0 {
                Ok(Budget::Tasks(n))
            } else {
                Err("expected a number of tasks above 0, or simulated seconds such as 600s".into())
            };
        }
        if s.ends_with(|c: char| c.is_ascii_alphabetic())
            && let Ok(Seconds(x)) = s.parse::<Seconds>()
            && x > 0.0
        {
            return Ok(Budget::Seconds(x));
        }
        Err(format!(
            "expected tasks per replication (20000) or simulated seconds with a unit (600s, 10min), got '{s}'"
        ))
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Tasks(n) => write!(f, "{n} tasks"),
            Budget::Seconds(s) => write!(f, "{s} s of arrivals"),
        }
    }
}

/// Replications per candidate unless the workload sets them: enough for an interval.
pub const REPLICATIONS: u32 = 5;

/// What was measured for one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub pattern: String,
    pub catalog_rank: usize,
    pub catalog_score: f64,
    /// Rank by the evidence; candidates that could not be simulated come last.
    pub evidence_rank: usize,
    pub balancer: String,
    pub retry: RetryKind,
    pub circuit_breaker: BreakerKind,
    /// Why the candidate was not simulated (its scenario is impossible for the workload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_simulated: Option<String>,
    /// Its throughput fell short of the arrivals: queues grew for the whole run.
    pub fell_behind: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<RunResult>,
    #[serde(skip)]
    pub advice: Advice,
}

impl Candidate {
    fn metric(&self, m: Metric) -> Estimate {
        self.result.as_ref().map_or(
            Estimate {
                mean: f64::NAN,
                ci95: f64::NAN,
            },
            |r| r.metrics.get(m),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub budget: Budget,
    /// The workload as simulated (the first candidate's scenario), for the summary.
    #[serde(skip)]
    pub scenario: Option<Scenario>,
    /// Best first by the evidence.
    pub candidates: Vec<Candidate>,
    /// Whether the evidence puts first the pattern the catalog ratings put first.
    pub agrees_with_catalog: bool,
    /// What the evidence says, sentence by sentence.
    pub findings: Vec<String>,
}

/// Simulates the `count` best eligible patterns of `rec` on `workload`, `budget` each.
/// `progress` is called once per finished replication.
pub fn gather(
    catalog: &Catalog,
    rec: &Recommendation,
    workload: &ScenarioInput,
    budget: Option<Budget>,
    count: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Evidence, SimError> {
    let budget = match (budget, workload.tasks, workload.duration) {
        (Some(b), ..) => b,
        (None, Some(n), _) => Budget::Tasks(n),
        (None, None, Some(d)) => Budget::Seconds(d.0),
        (None, None, None) => Budget::DEFAULT,
    };
    let mut first_scenario = None;
    let mut first_error = None;
    let mut candidates = Vec::new();
    for ranked in rec.ranking.iter().filter(|r| r.eligible).take(count) {
        let pattern = catalog
            .pattern(&ranked.pattern)
            .expect("ranked patterns come from the catalog");
        let advice = advise(catalog, pattern, &rec.request);
        let input = candidate_input(workload, &rec.request, &advice, budget);
        let mut candidate = Candidate {
            pattern: ranked.pattern.clone(),
            catalog_rank: ranked.rank,
            catalog_score: ranked.score,
            evidence_rank: 0,
            balancer: advice.balancer.balancer.clone(),
            retry: retry_kind(&advice.retry.policy),
            circuit_breaker: BreakerKind::Consecutive,
            not_simulated: None,
            fell_behind: false,
            result: None,
            advice,
        };
        match Scenario::build(input, catalog) {
            Ok(scenario) => {
                let simulation = sim::simulate(&scenario, progress)?;
                candidate.fell_behind = simulation
                    .results
                    .first()
                    .is_some_and(|r| simulation.fell_behind(r));
                candidate.result = simulation.results.into_iter().next();
                first_scenario.get_or_insert(scenario);
            }
            // The workload may suit the other candidates: say why this one is out.
            Err(e) => {
                candidate.not_simulated = Some(e.to_string());
                first_error.get_or_insert(e);
            }
        }
        candidates.push(candidate);
    }
    // Out for every candidate, the workload itself is at fault.
    if first_scenario.is_none()
        && let Some(e) = first_error
    {
        return Err(e.into());
    }
    rank(&mut candidates);
    let mut findings = findings(&candidates);
    if rec.request.fault_tolerance.is_some()
        && first_scenario
            .as_ref()
            .is_some_and(|s: &Scenario| !s.resilience.faults())
    {
        findings.push(
            "No agent failed in this workload, so fault tolerance was not tested: add --mtbf and --mttr (or outages in a --scenario file)."
                .into(),
        );
    }
    let agrees_with_catalog = candidates
        .first()
        .is_none_or(|c| Some(&c.pattern) == rec.ranking.first().map(|r: &Ranked| &r.pattern));
    Ok(Evidence {
        budget,
        scenario: first_scenario,
        candidates,
        agrees_with_catalog,
        findings,
    })
}

/// The user's workload with the candidate's pattern, agents and advised settings.
fn candidate_input(
    workload: &ScenarioInput,
    request: &Request,
    advice: &Advice,
    budget: Budget,
) -> ScenarioInput {
    let (tasks, duration) = match budget {
        Budget::Tasks(n) => (Some(n), None),
        Budget::Seconds(s) => (None, Some(Seconds(s))),
    };
    let advised = ScenarioInput {
        pattern: Some(Names(vec![advice.pattern.clone()])),
        balancer: Some(Names(vec![advice.balancer.balancer.clone()])),
        agents: Some(request.agents),
        retry: Some(retry_kind(&advice.retry.policy)),
        circuit_breaker: Some(BreakerKind::Consecutive),
        heartbeat: Some(Seconds(advice.heartbeat.interval_s)),
        missed_heartbeats: u32::try_from(advice.heartbeat.missed_heartbeats).ok(),
        tasks,
        duration,
        replications: Some(workload.replications.unwrap_or(REPLICATIONS)),
        ..ScenarioInput::default()
    };
    let mut input = workload.clone();
    // The budget replaces the workload's own length, whichever way that was given.
    input.tasks = None;
    input.duration = None;
    input.overlaid(advised)
}

fn retry_kind(policy: &str) -> RetryKind {
    policy.parse().unwrap_or(RetryKind::Exponential)
}

/// How a candidate fared, worst last: could not run, fell behind, lost tasks, or fine.
fn tier(c: &Candidate, best_success: Estimate) -> u8 {
    if c.result.is_none() {
        return 3;
    }
    if c.fell_behind {
        return 2;
    }
    let s = c.metric(Metric::SuccessRate);
    let margin = (best_success.ci95.max(0.0) + s.ci95.max(0.0)).max(0.005);
    if s.mean.is_nan() || best_success.mean - s.mean > margin {
        1
    } else {
        0
    }
}

/// Whether `a`'s p99 is below `b`'s beyond both intervals.
fn clearly_faster(a: &Candidate, b: &Candidate) -> bool {
    let (x, y) = (a.metric(Metric::LatencyP99), b.metric(Metric::LatencyP99));
    x.mean.is_finite() && (y.mean.is_nan() || y.mean - x.mean > x.ci95.max(0.0) + y.ci95.max(0.0))
}

/// Orders by tier, then by p99 where the difference is beyond chance, else keeps the
/// catalog's order. An insertion sort, since "beyond chance" is not a total order.
fn rank(candidates: &mut [Candidate]) {
    let best_success = candidates
        .iter()
        .filter(|c| !c.fell_behind)
        .map(|c| c.metric(Metric::SuccessRate))
        .filter(|e| e.mean.is_finite())
        .max_by(|a, b| a.mean.total_cmp(&b.mean))
        .unwrap_or(Estimate {
            mean: f64::NAN,
            ci95: f64::NAN,
        });
    let before = |a: &Candidate, b: &Candidate| {
        let (ta, tb) = (tier(a, best_success), tier(b, best_success));
        if ta != tb {
            return ta < tb;
        }
        match ta {
            0 if clearly_faster(a, b) => true,
            0 if clearly_faster(b, a) => false,
            1 => {
                let (sa, sb) = (
                    a.metric(Metric::SuccessRate).mean,
                    b.metric(Metric::SuccessRate).mean,
                );
                if sa != sb {
                    return sa > sb;
                }
                a.catalog_rank < b.catalog_rank
            }
            _ => a.catalog_rank < b.catalog_rank,
        }
    };
    for i in 1..candidates.len() {
        let mut j = i;
        while j > 0 && before(&candidates[j], &candidates[j - 1]) {
            candidates.swap(j, j - 1);
            j -= 1;
        }
    }
    for (i, c) in candidates.iter_mut().enumerate() {
        c.evidence_rank = i + 1;
    }
}

fn seconds(e: Estimate) -> String {
    crate::report::seconds_with_interval(e)
}

fn percent(e: Estimate) -> String {
    if e.ci95.is_finite() {
        format!("{:.1}% ± {:.1}", 100.0 * e.mean, 100.0 * e.ci95)
    } else {
        format!("{:.1}%", 100.0 * e.mean)
    }
}

/// The sentences under the evidence table: where it contradicts the catalog and why.
fn findings(candidates: &[Candidate]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(best) = candidates.first().filter(|c| c.result.is_some()) else {
        out.push("no candidate could be simulated on this workload".into());
        return out;
    };
    let catalog_first = candidates.iter().min_by_key(|c| c.catalog_rank);
    match catalog_first {
        Some(first) if first.pattern != best.pattern => {
            let why = if first.result.is_none() {
                "could not be simulated".to_string()
            } else if first.fell_behind {
                format!(
                    "did not keep up with the arrivals ({} of {} tasks/s)",
                    number(first.metric(Metric::Throughput).mean),
                    number(first.metric(Metric::ArrivalRate).mean)
                )
            } else if first.metric(Metric::SuccessRate).mean
                < best.metric(Metric::SuccessRate).mean - 0.005
            {
                format!(
                    "completed {} of its tasks against {}",
                    percent(first.metric(Metric::SuccessRate)),
                    percent(best.metric(Metric::SuccessRate))
                )
            } else {
                format!(
                    "measured a p99 of {} against {}",
                    seconds(first.metric(Metric::LatencyP99)),
                    seconds(best.metric(Metric::LatencyP99))
                )
            };
            out.push(format!(
                "The evidence disagrees with the catalog: {} ranks first on the catalog's ratings (score {:.1} against {:.1}) but {why}, so {} ranks first by the evidence.",
                first.pattern, first.catalog_score, best.catalog_score, best.pattern
            ));
        }
        _ => out.push(format!(
            "The evidence agrees with the catalog: {} ranks first on both.",
            best.pattern
        )),
    }
    for c in &candidates[1..] {
        if c.result.is_none() || c.fell_behind {
            continue;
        }
        if !clearly_faster(best, c)
            && c.metric(Metric::SuccessRate).mean >= best.metric(Metric::SuccessRate).mean - 0.005
        {
            out.push(format!(
                "{} cannot be told apart from {} at this budget (p99 {} against {}); raise --budget to separate them.",
                c.pattern,
                best.pattern,
                seconds(c.metric(Metric::LatencyP99)),
                seconds(best.metric(Metric::LatencyP99))
            ));
        }
    }
    for c in candidates {
        if c.fell_behind {
            out.push(format!(
                "{} did not keep up: {} of {} tasks/s, so its queues grew for the whole run and its latencies depend on the run's length.",
                c.pattern,
                number(c.metric(Metric::Throughput).mean),
                number(c.metric(Metric::ArrivalRate).mean)
            ));
        }
        if let Some(why) = &c.not_simulated {
            out.push(format!("{} was not simulated: {why}.", c.pattern));
        }
    }
    out
}

fn number(x: f64) -> String {
    crate::sim::metrics::round_sig((x * 1000.0).round() / 1000.0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_tasks_or_simulated_seconds_with_a_unit() {
        assert_eq!("20000".parse(), Ok(Budget::Tasks(20_000)));
        assert_eq!("600s".parse(), Ok(Budget::Seconds(600.0)));
        assert_eq!("10min".parse(), Ok(Budget::Seconds(600.0)));
        for bad in ["0", "0s", "-5", "lots", "1.5"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
    }
}
