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
            "expected requests per replication (20000) or simulated seconds with a unit (600s, 10min), got '{s}'"
        ))
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Tasks(n) => write!(f, "{n} requests"),
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
    /// It did not answer its arrivals: it collapsed, or its goodput fell short of them.
    pub fell_behind: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<RunResult>,
    #[serde(skip)]
    pub advice: Advice,
}

impl Candidate {
    fn metric(&self, m: Metric) -> Estimate {
        self.result
            .as_ref()
            .map_or(Estimate::NONE, |r| r.metrics.get(m))
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
    let defaults = catalog.simulation_defaults();
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
        match Scenario::build(input, &defaults) {
            Ok(scenario) => {
                let simulation = sim::simulate(&scenario, progress)?;
                candidate.fell_behind = simulation
                    .results
                    .first()
                    .is_some_and(|r| !r.sound(&scenario));
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

/// How a candidate fared, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// Kept up, and completed as many tasks as the best (within both intervals).
    Sound,
    /// Kept up but completed significantly fewer tasks.
    LostTasks,
    /// Its queues grew for the whole run.
    FellBehind,
    NotSimulated,
}

fn tier(c: &Candidate, best_success: Estimate) -> Tier {
    if c.result.is_none() {
        return Tier::NotSimulated;
    }
    if c.fell_behind {
        return Tier::FellBehind;
    }
    let s = c.metric(Metric::SuccessRate);
    if s.mean.is_nan() || significantly_below(s, best_success) {
        Tier::LostTasks
    } else {
        Tier::Sound
    }
}

/// `a` is below `b` beyond both 95% intervals (and by at least half a point, so that two
/// near-perfect rates with tiny intervals are not told apart). Without intervals (one
/// replication) nothing is beyond chance.
fn significantly_below(a: Estimate, b: Estimate) -> bool {
    a.ci95.is_finite() && b.ci95.is_finite() && b.mean - a.mean > (a.ci95 + b.ci95).max(0.005)
}

/// Whether `a`'s p99 is below `b`'s beyond both intervals.
fn clearly_faster(a: &Candidate, b: &Candidate) -> bool {
    let (x, y) = (a.metric(Metric::LatencyP99), b.metric(Metric::LatencyP99));
    x.mean.is_finite() && (y.mean.is_nan() || significantly_below(x, y))
}

/// The best success rate among the candidates that kept up.
fn best_success(candidates: &[Candidate]) -> Estimate {
    candidates
        .iter()
        .filter(|c| c.result.is_some() && !c.fell_behind)
        .map(|c| c.metric(Metric::SuccessRate))
        .filter(|e| e.mean.is_finite())
        .max_by(|a, b| a.mean.total_cmp(&b.mean))
        .unwrap_or(Estimate::NONE)
}

/// The sound candidate the catalog ranks highest: it keeps first place unless another is
/// clearly faster.
fn incumbent(candidates: &[Candidate], best: Estimate) -> Option<&Candidate> {
    candidates
        .iter()
        .filter(|c| tier(c, best) == Tier::Sound)
        .min_by_key(|c| c.catalog_rank)
}

/// Ranks by tier. Among sound candidates, those clearly faster than the incumbent (by p99,
/// beyond both intervals) come first, by p99; then the incumbent; then the others by p99.
/// Candidates that lost tasks go by success rate; the rest keep the catalog's order. The key
/// is a total order, so the ranking never depends on the sort's path.
fn rank(candidates: &mut [Candidate]) {
    let best = best_success(candidates);
    let incumbent = incumbent(candidates, best).cloned();
    let key = |c: &Candidate| {
        let t = tier(c, best);
        let p99 = c.metric(Metric::LatencyP99).mean;
        let p99 = if p99.is_nan() { f64::INFINITY } else { p99 };
        let success = c.metric(Metric::SuccessRate).mean;
        let (group, value) = match (t, &incumbent) {
            (Tier::Sound, Some(i)) if clearly_faster(c, i) => (0, p99),
            (Tier::Sound, Some(i)) if i.pattern == c.pattern => (1, 0.0),
            (Tier::Sound, _) => (2, p99),
            (Tier::LostTasks, _) => (0, -success),
            _ => (0, 0.0),
        };
        (t, group, value, c.catalog_rank)
    };
    candidates.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then(ka.1.cmp(&kb.1))
            .then(ka.2.total_cmp(&kb.2))
            .then(ka.3.cmp(&kb.3))
    });
    for (i, c) in candidates.iter_mut().enumerate() {
        c.evidence_rank = i + 1;
    }
}

fn seconds(e: Estimate) -> String {
    crate::number::seconds(e.mean, e.ci95)
}

fn percent(e: Estimate) -> String {
    if e.ci95.is_finite() {
        format!("{:.1}% ± {:.1}", 100.0 * e.mean, 100.0 * e.ci95)
    } else {
        format!("{:.1}%", 100.0 * e.mean)
    }
}

/// Why a candidate ranks where it does, in words, for one that lost its place to `first`.
fn why_lower(c: &Candidate, best: Estimate, first: &Candidate) -> String {
    match tier(c, best) {
        Tier::NotSimulated => "could not be simulated".to_string(),
        Tier::FellBehind => format!(
            "did not keep up with its arrivals (answered {} of {} requests/s)",
            number(c.metric(Metric::Goodput).mean),
            number(c.metric(Metric::ArrivalRate).mean)
        ),
        Tier::LostTasks => format!(
            "completed {} of its tasks against {}",
            percent(c.metric(Metric::SuccessRate)),
            percent(best)
        ),
        Tier::Sound => format!(
            "measured a p99 of {} against {} for {}",
            seconds(c.metric(Metric::LatencyP99)),
            seconds(first.metric(Metric::LatencyP99)),
            first.pattern
        ),
    }
}

/// The sentences under the evidence table: where it contradicts the catalog and why, with
/// the same tests that ranked the candidates.
fn findings(candidates: &[Candidate]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(first) = candidates.first().filter(|c| c.result.is_some()) else {
        out.push("no candidate could be simulated on this workload".into());
        return out;
    };
    let best = best_success(candidates);
    let no_intervals = first.metric(Metric::LatencyP99).ci95.is_nan();
    if let Some(catalog_first) = candidates.iter().min_by_key(|c| c.catalog_rank)
        && catalog_first.pattern != first.pattern
    {
        out.push(format!(
            "The evidence disagrees with the catalog: {} ranks first on the catalog's ratings (score {:.1} against {:.1}) but {}, so {} ranks first by the evidence.",
            catalog_first.pattern,
            catalog_first.catalog_score,
            first.catalog_score,
            why_lower(catalog_first, best, first),
            first.pattern
        ));
    } else {
        out.push(format!(
            "The evidence agrees with the catalog: {} ranks first on both.",
            first.pattern
        ));
    }
    if no_intervals {
        out.push(
            "With one replication there are no intervals, so no difference counts as beyond chance: run --replications 2 or more to compare the candidates."
                .into(),
        );
    }
    for c in &candidates[1..] {
        let sound = tier(c, best) == Tier::Sound;
        if !no_intervals && sound && !clearly_faster(first, c) && !clearly_faster(c, first) {
            out.push(format!(
                "{} cannot be told apart from {} at this budget (p99 {} against {}); raise --budget to separate them.",
                c.pattern,
                first.pattern,
                seconds(c.metric(Metric::LatencyP99)),
                seconds(first.metric(Metric::LatencyP99))
            ));
        } else if c.catalog_rank < first.catalog_rank || !sound {
            let catalog_first = candidates.iter().min_by_key(|x| x.catalog_rank);
            if catalog_first.is_some_and(|x| x.pattern == c.pattern) {
                continue; // explained above
            }
            out.push(format!("{} {}.", c.pattern, why_lower(c, best, first)));
        }
    }
    for c in candidates {
        if let Some(why) = &c.not_simulated {
            out.push(format!("{} was not simulated: {why}.", c.pattern));
        }
    }
    out
}

fn number(x: f64) -> String {
    crate::number::round_sig((x * 1000.0).round() / 1000.0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{BalancerKind, Offered, TaskCounts};

    /// A candidate with the given catalog rank, p99 and success rate (mean, ci95).
    fn candidate(
        pattern: &str,
        catalog_rank: usize,
        p99: (f64, f64),
        success: (f64, f64),
    ) -> Candidate {
        let catalog = Catalog::embedded();
        let advice = advise(
            &catalog,
            catalog.pattern("master_slave_001").unwrap(),
            &Request::new(8),
        );
        let estimate = |(mean, ci95): (f64, f64)| Estimate {
            mean,
            ci95,
            at_least: None,
        };
        let metrics = Metric::ALL
            .iter()
            .map(|&m| {
                let e = match m {
                    Metric::LatencyP99 => estimate(p99),
                    Metric::SuccessRate => estimate(success),
                    _ => estimate((1.0, 0.1)),
                };
                (m, e)
            })
            .collect();
        Candidate {
            pattern: pattern.into(),
            catalog_rank,
            catalog_score: 100.0 - catalog_rank as f64,
            evidence_rank: 0,
            balancer: "round_robin".into(),
            retry: RetryKind::Exponential,
            circuit_breaker: BreakerKind::Consecutive,
            not_simulated: None,
            fell_behind: false,
            result: Some(RunResult {
                pattern: pattern.into(),
                balancer: BalancerKind::RoundRobin,
                offered: Offered {
                    rate: 1.0,
                    load: 0.8,
                    coordination_load: None,
                },
                metrics: crate::sim::Metrics(metrics),
                tasks: TaskCounts::default(),
                collapse: None,
                warnings: Vec::new(),
                events: 0,
                replications: Vec::new(),
                digests: Vec::new(),
                latency_cdf: Vec::new(),
                timeline: Vec::new(),
            }),
            advice,
        }
    }

    fn ranked(mut candidates: Vec<Candidate>) -> (Vec<String>, Vec<String>) {
        rank(&mut candidates);
        let order = candidates.iter().map(|c| c.pattern.clone()).collect();
        (order, findings(&candidates))
    }

    #[test]
    fn only_a_clearly_faster_candidate_displaces_the_catalogs_first() {
        // c is clearly faster than a, the catalog's first; b is not (the intervals overlap),
        // so a keeps its place ahead of b.
        let (order, findings) = ranked(vec![
            candidate("a", 1, (10.0, 0.1), (1.0, 0.0)),
            candidate("b", 2, (9.5, 1.0), (1.0, 0.0)),
            candidate("c", 3, (9.0, 0.1), (1.0, 0.0)),
        ]);
        assert_eq!(order, ["c", "a", "b"]);
        assert!(
            findings[0].starts_with("The evidence disagrees"),
            "{findings:?}"
        );
        assert!(
            findings[0].contains("a p99 of 10.0 s ± 0.1 against 9.00 s ± 0.10 for c"),
            "{findings:?}"
        );
        // b is within chance of c, the winner: said so; a is clearly slower than c.
        assert!(
            findings
                .iter()
                .any(|f| f.starts_with("b cannot be told apart from c")),
            "{findings:?}"
        );
        let (order, findings) = ranked(vec![
            candidate("a", 1, (10.0, 0.1), (1.0, 0.0)),
            candidate("b", 2, (9.5, 1.0), (1.0, 0.0)),
        ]);
        assert_eq!(order, ["a", "b"]);
        assert!(findings[0].starts_with("The evidence agrees"));
        assert!(findings[1].starts_with("b cannot be told apart from a"));
    }

    #[test]
    fn a_lower_p99_does_not_win_with_significantly_fewer_tasks_completed() {
        let (order, findings) = ranked(vec![
            candidate("a", 1, (10.0, 0.1), (0.90, 0.01)),
            candidate("b", 2, (20.0, 0.1), (0.999, 0.001)),
        ]);
        assert_eq!(order, ["b", "a"]);
        assert!(
            findings[0].contains("completed 90.0% ± 1.0 of its tasks against 99.9% ± 0.1"),
            "{findings:?}"
        );
        // Within the intervals, success does not decide: p99 does.
        let (order, _) = ranked(vec![
            candidate("a", 1, (10.0, 0.1), (0.990, 0.01)),
            candidate("b", 2, (5.0, 0.1), (0.997, 0.01)),
        ]);
        assert_eq!(order, ["b", "a"]);
    }

    #[test]
    fn falling_behind_ranks_below_everything_simulated_and_one_replication_changes_nothing() {
        let mut behind = candidate("a", 1, (1.0, 0.1), (1.0, 0.0));
        behind.fell_behind = true;
        let (order, findings) = ranked(vec![behind, candidate("b", 2, (20.0, 1.0), (1.0, 0.0))]);
        assert_eq!(order, ["b", "a"]);
        assert!(findings[0].contains("did not keep up"), "{findings:?}");
        let nan = f64::NAN;
        let (order, findings) = ranked(vec![
            candidate("a", 1, (10.0, nan), (1.0, nan)),
            candidate("b", 2, (1.0, nan), (1.0, nan)),
        ]);
        assert_eq!(order, ["a", "b"]);
        assert!(
            findings
                .iter()
                .any(|f| f.starts_with("With one replication"))
        );
    }

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
