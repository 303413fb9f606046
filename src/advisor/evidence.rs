//! Evidence for a recommendation: the top candidates simulated on the user's own workload,
//! each with the settings fitted to it, then ranked by what was measured against the user's
//! objective. Catalog ratings are opinions; where a measurement contradicts them, it wins.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::sim::judgement::{self, Measure, Standing};
use crate::sim::scenario::{Names, Seconds};
use crate::sim::{self, Estimate, Metric, RunResult, Scenario, ScenarioInput, SimError};

use super::advice::{Advice, advise};
use super::fit::{Setting, fit};
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
            return if n >= MIN_BUDGET {
                Ok(Budget::Tasks(n))
            } else {
                Err(format!(
                    "expected at least {MIN_BUDGET} requests per replication (too few to measure a p99 or an attainment), or simulated seconds such as 600s"
                ))
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

/// Fewer requests per replication measure no p99 worth ranking on.
pub const MIN_BUDGET: u64 = 100;

/// Replications per candidate unless the workload sets them: enough for an interval.
pub const REPLICATIONS: u32 = 5;

/// Replications are doubled, up to this many, while the winner is not clear.
pub const MAX_REPLICATIONS: u32 = 20;

/// What was measured for one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub pattern: String,
    pub catalog_rank: usize,
    pub catalog_score: f64,
    /// Rank by the evidence; candidates that could not be simulated come last.
    pub evidence_rank: usize,
    pub balancer: String,
    /// Whether the pattern has the structure the work needs (`--sequential-stages`,
    /// `--needs-consensus`); one without it ranks after every one with it, whatever it measures.
    pub fits_structure: bool,
    /// Agents spent on coordination (master_slave's master), not on requests' work.
    pub coordinators: u32,
    /// How its result stands against the measure; absent when it was not simulated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standing: Option<Standing>,
    /// Judged, and (with `--slo`) meeting the objective with 95% confidence: the lower
    /// end of attainment's interval at or above the target share.
    pub feasible: bool,
    /// Settings fitted to the workload for this candidate.
    pub settings: Vec<Setting>,
    /// Every warning of its fit and of its simulation.
    pub warnings: Vec<String>,
    /// Why the candidate was not simulated (its scenario is impossible for the workload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_simulated: Option<String>,
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

    /// Dollars per request within the objective, when prices or an agent cost are given.
    fn dollars(&self) -> Option<f64> {
        Some(self.metric(Metric::CostPerGoodRequest).mean).filter(|d| d.is_finite())
    }
}

/// How sure the first place is: the winner against the runner-up, replication by
/// replication over the same requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub winner: String,
    pub runner_up: String,
    /// What put the winner first.
    pub decided_by: DecidedBy,
    /// Replications in which the winner did better on the measure, and ties.
    pub wins: u32,
    pub ties: u32,
    pub replications: u32,
    /// Whether the order holds beyond chance; when not, the catalog order decided.
    pub clear: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The winner has the structure the work needs (stages, consensus); the runner-up not.
    Structure,
    /// The winner is judged (and meets the objective); the runner-up is not.
    Standing,
    /// Both meet the objective; the winner spends fewer agents on coordination.
    Coordination,
    /// Both meet the objective; the winner costs fewer dollars per request within it.
    Cost,
    /// Both meet the objective; the winner makes fewer attempts per request.
    Attempts,
    /// Attainment of the objective, or p99 over all requests without one.
    Measure,
    /// The evidence could not tell them apart.
    CatalogOrder,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub budget: Budget,
    /// Replications per candidate, after any added to settle the winner.
    pub replications: u32,
    /// What the candidates were judged on: attainment of `--slo`, or p99 over all requests.
    pub measure: &'static str,
    /// The workload as simulated (the first candidate's scenario), for the summary.
    #[serde(skip)]
    pub scenario: Option<Scenario>,
    /// Best first by the evidence.
    pub candidates: Vec<Candidate>,
    /// Candidates whose standing differs between replications (rare events).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsettled: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Whether the evidence puts first the pattern the catalog ratings put first.
    pub agrees_with_catalog: bool,
    /// What the evidence says, sentence by sentence.
    pub findings: Vec<String>,
}

/// The budget: the flag's, else the workload's own length, else the default.
fn budget_of(budget: Option<Budget>, workload: &ScenarioInput) -> Budget {
    match (budget, workload.tasks, workload.duration) {
        (Some(b), ..) => b,
        (None, Some(n), _) => Budget::Tasks(n),
        (None, None, Some(d)) => Budget::Seconds(d.0),
        (None, None, None) => Budget::DEFAULT,
    }
}

/// Simulates the `count` best eligible patterns of `rec` on `workload`, each with the
/// settings fitted to the workload, `budget` each, and ranks them by the evidence. Where the
/// first two cannot be told apart, replications are doubled (up to [`MAX_REPLICATIONS`]).
/// `progress` is called once per finished replication.
pub fn gather(
    catalog: &Catalog,
    rec: &Recommendation,
    workload: &ScenarioInput,
    budget: Option<Budget>,
    count: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Evidence, SimError> {
    let budget = budget_of(budget, workload);
    // Replications the user fixed are kept; the default grows while the answer is unclear.
    let fixed = workload.replications.is_some();
    let mut replications = workload.replications.unwrap_or(REPLICATIONS);
    loop {
        let mut evidence = run(
            catalog,
            rec,
            workload,
            budget,
            count,
            replications,
            progress,
        )?;
        let settled =
            evidence.decision.as_ref().is_none_or(|d| d.clear) && evidence.unsettled.is_empty();
        if settled || fixed || !(2..MAX_REPLICATIONS).contains(&replications) {
            if !settled {
                evidence.findings.push(if fixed {
                    format!(
                        "The answer is not settled at {replications} replications (see above); drop --replications to let recommend add them (up to {MAX_REPLICATIONS}), or give more."
                    )
                } else {
                    format!(
                        "The answer is not settled even at {replications} replications (see above): read the ranking as a tie where it says so."
                    )
                });
            }
            return Ok(evidence);
        }
        replications = (replications * 2).min(MAX_REPLICATIONS);
    }
}

/// The replications one round of [`gather`] will run, for a progress bar.
pub fn round_replications(workload: &ScenarioInput, count: usize) -> u64 {
    count as u64 * u64::from(workload.replications.unwrap_or(REPLICATIONS))
}

fn run(
    catalog: &Catalog,
    rec: &Recommendation,
    workload: &ScenarioInput,
    budget: Budget,
    count: usize,
    replications: u32,
    progress: &(dyn Fn() + Sync),
) -> Result<Evidence, SimError> {
    let defaults = catalog.simulation_defaults();
    let mut first_scenario: Option<Scenario> = None;
    let mut first_error = None;
    let mut candidates = Vec::new();
    for ranked in rec.ranking.iter().filter(|r| r.eligible).take(count) {
        let pattern = catalog
            .pattern(&ranked.pattern)
            .expect("ranked patterns come from the catalog");
        let advice = advise(catalog, pattern, &rec.request);
        let mut candidate = Candidate {
            pattern: ranked.pattern.clone(),
            catalog_rank: ranked.rank,
            catalog_score: ranked.score,
            evidence_rank: 0,
            balancer: advice.balancer.balancer.clone(),
            fits_structure: ranked.fits_structure,
            coordinators: 0,
            standing: None,
            feasible: false,
            settings: Vec::new(),
            warnings: Vec::new(),
            not_simulated: None,
            result: None,
            advice: advice.clone(),
        };
        let built = fit(workload, &rec.request, &advice, &defaults).and_then(|f| {
            candidate.balancer = f.balancer.id().to_string();
            candidate.settings = f.settings.clone();
            candidate.warnings = f.warnings.clone();
            let input = candidate_input(workload, f.input, &advice, budget, replications);
            Scenario::build(input, &defaults)
        });
        match built {
            Ok(scenario) => {
                let simulation = sim::simulate(&scenario, progress)?;
                candidate.coordinators = scenario.per_pattern[0].coordinators;
                if let Some(r) = simulation.results.into_iter().next() {
                    let measure = Measure::of(&scenario);
                    let standing = judgement::standing(&r, &scenario, measure);
                    candidate.standing = Some(standing);
                    candidate.feasible = standing == Standing::Judged && meets(&r, &scenario);
                    let pattern = &candidate.pattern;
                    candidate.warnings.extend(r.warnings.iter().map(|w| {
                        if w.contains(pattern.as_str()) {
                            w.clone()
                        } else {
                            format!("{pattern}: {w}")
                        }
                    }));
                    candidate.result = Some(r);
                }
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
    let Some(scenario) = first_scenario else {
        return Err(first_error
            .map(SimError::from)
            .expect("a candidate was either simulated or refused"));
    };
    let slo = scenario.slo.is_some();
    rank(&mut candidates, slo);
    let decision = decide(&candidates, slo);
    let unsettled = unsettled(&candidates);
    let mut findings = findings(&candidates, &scenario, decision.as_ref(), &rec.request);
    for u in &unsettled {
        findings.push(format!(
            "Unsettled: {u}, so whether it can be judged differs between replications (rare long requests or failures); more replications settle it."
        ));
    }
    if rec.request.fault_tolerance.is_some() && !scenario.resilience.faults() {
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
        replications,
        measure: if slo {
            "attainment"
        } else {
            "p99 over all requests"
        },
        scenario: Some(scenario),
        candidates,
        unsettled,
        decision,
        agrees_with_catalog,
        findings,
    })
}

/// Whether attainment reaches the objective's share with 95% confidence; with one
/// replication, on the point estimate. True without an objective.
fn meets(r: &RunResult, scenario: &Scenario) -> bool {
    let Some(slo) = scenario.slo else {
        return true;
    };
    let a = r.metrics.get(Metric::Attainment);
    let low = if a.ci95.is_finite() {
        a.mean - a.ci95
    } else {
        a.mean
    };
    low >= slo.quantile - 1e-12
}

/// The user's workload with the candidate's pattern, agents and fitted settings.
fn candidate_input(
    workload: &ScenarioInput,
    fitted: ScenarioInput,
    advice: &Advice,
    budget: Budget,
    replications: u32,
) -> ScenarioInput {
    let (tasks, duration) = match budget {
        Budget::Tasks(n) => (Some(n), None),
        Budget::Seconds(s) => (None, Some(Seconds(s))),
    };
    let mut input = workload.clone();
    // The budget replaces the workload's own length, whichever way that was given.
    input.tasks = None;
    input.duration = None;
    input.replications = None;
    input.overlaid(fitted).overlaid(ScenarioInput {
        pattern: Some(Names(vec![advice.pattern.clone()])),
        tasks,
        duration,
        replications: Some(replications),
        timeline: None,
        ..ScenarioInput::default()
    })
}

/// A candidate's group, best first: feasible, then judged (missing the objective), then by
/// standing, then not simulated; a pattern without the structure the work needs after all
/// those with it.
fn tier(c: &Candidate) -> (u8, Option<Standing>) {
    let (t, s) = match c.standing {
        None => (3, None),
        Some(_) if c.feasible => (0, None),
        Some(Standing::Judged) => (1, None),
        Some(s) => (2, Some(s)),
    };
    (if c.fits_structure { t } else { t + 4 }, s)
}

/// The group a candidate is compared within: its tier and standing and, among those that
/// meet an objective, its coordination agents (fewer is cheaper; with prices, the dollars
/// say what is cheaper).
fn group(c: &Candidate, slo: bool) -> (u8, Option<Standing>, u32) {
    let (t, s) = tier(c);
    let coordinators = if t.is_multiple_of(4) && slo && c.dollars().is_none() {
        c.coordinators
    } else {
        0
    };
    (t, s, coordinators)
}

/// Retries are compared only beyond this many extra attempts per part: a difference of a
/// retry in a thousand is no cost worth a rank.
const ATTEMPTS_EFFECT: f64 = 0.01;

/// Whether `a` beats `b` beyond chance within a group, paired over the same requests. With
/// an objective, between candidates that meet it: fewer extra attempts per part (by at least
/// [`ATTEMPTS_EFFECT`]), else higher attainment; between candidates that miss it, higher
/// attainment. Without one: a lower p99 over all requests.
fn beats(a: &Candidate, b: &Candidate, slo: bool) -> Option<DecidedBy> {
    let (Some(x), Some(y)) = (&a.result, &b.result) else {
        return None;
    };
    let feasible = tier(a).0.is_multiple_of(4) && tier(b).0.is_multiple_of(4);
    if slo && feasible && a.dollars().is_some() && b.dollars().is_some() {
        // With prices, what meets the objective is ranked by what it costs.
        return (y.higher_than(x, Metric::CostPerGoodRequest) == Some(true))
            .then_some(DecidedBy::Cost);
    }
    if slo && feasible {
        let (ea, eb) = (
            a.metric(Metric::AttemptsPerTask).mean,
            b.metric(Metric::AttemptsPerTask).mean,
        );
        if eb - ea >= ATTEMPTS_EFFECT && y.higher_than(x, Metric::AttemptsPerTask) == Some(true) {
            return Some(DecidedBy::Attempts);
        }
        if ea - eb >= ATTEMPTS_EFFECT && x.higher_than(y, Metric::AttemptsPerTask) == Some(true) {
            return None;
        }
    }
    if slo {
        (x.higher_than(y, Metric::Attainment) == Some(true)).then_some(DecidedBy::Measure)
    } else {
        (y.higher_than(x, Metric::LatencyP99) == Some(true)).then_some(DecidedBy::Measure)
    }
}

/// The point value candidates of one group are sorted by, lower first: with an objective,
/// extra attempts in steps of [`ATTEMPTS_EFFECT`] (among those that meet it), then
/// attainment; without one, p99 (its bound, when censored).
fn point(c: &Candidate, slo: bool) -> (f64, f64) {
    let finite = |x: f64| if x.is_nan() { f64::INFINITY } else { x };
    if slo {
        let attainment = c.metric(Metric::Attainment).mean;
        if let Some(dollars) = c.dollars().filter(|_| tier(c).0.is_multiple_of(4)) {
            return (dollars, -attainment);
        }
        let attempts = if tier(c).0.is_multiple_of(4) {
            ((c.metric(Metric::AttemptsPerTask).mean - 1.0) / ATTEMPTS_EFFECT).floor()
        } else {
            0.0
        };
        (
            finite(attempts),
            if attainment.is_nan() {
                f64::INFINITY
            } else {
                -attainment
            },
        )
    } else {
        let p99 = c.metric(Metric::LatencyP99);
        (finite(p99.at_least.unwrap_or(p99.mean)), 0.0)
    }
}

/// Whether a group is compared on what was measured (judged candidates) rather than only
/// listed (those that cannot be judged, in their standing's order).
fn measured(g: (u8, Option<Standing>, u32)) -> bool {
    g.0 % 4 <= 1
}

/// Ranks by group. Within a judged group, the best by point value leads unless others
/// cannot be told apart from it beyond chance (paired): then those, the leader included,
/// go in the catalog's order, and the rest follow by point value.
fn rank(candidates: &mut Vec<Candidate>, slo: bool) {
    let cmp_point = |a: &Candidate, b: &Candidate| {
        let (x, y) = (point(a, slo), point(b, slo));
        x.0.total_cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then(a.catalog_rank.cmp(&b.catalog_rank))
    };
    candidates.sort_by(|a, b| group(a, slo).cmp(&group(b, slo)).then(cmp_point(a, b)));
    let mut out: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut rest: Vec<Candidate> = std::mem::take(candidates);
    while !rest.is_empty() {
        let g = group(&rest[0], slo);
        let end = rest
            .iter()
            .position(|c| group(c, slo) != g)
            .unwrap_or(rest.len());
        let mut members: Vec<Candidate> = rest.drain(..end).collect();
        if measured(g) && members.len() > 1 {
            let leader = members[0].clone();
            let (mut top, others): (Vec<Candidate>, Vec<Candidate>) = members
                .into_iter()
                .partition(|c| c.pattern == leader.pattern || beats(&leader, c, slo).is_none());
            top.sort_by_key(|c| c.catalog_rank);
            top.extend(others);
            members = top;
        }
        out.extend(members);
    }
    *candidates = out;
    for (i, c) in candidates.iter_mut().enumerate() {
        c.evidence_rank = i + 1;
    }
}

/// The winner against the others: what put it first, whether it beats every candidate of
/// its group beyond chance, and in how many replications it did better than the runner-up.
fn decide(candidates: &[Candidate], slo: bool) -> Option<Decision> {
    let (a, b) = (candidates.first()?, candidates.get(1)?);
    let (x, y) = (a.result.as_ref()?, b.result.as_ref()?);
    let (ga, gb) = (group(a, slo), group(b, slo));
    let decided_by = if a.fits_structure != b.fits_structure {
        Some(DecidedBy::Structure)
    } else if ga.0 != gb.0 || ga.1 != gb.1 {
        Some(DecidedBy::Standing)
    } else if ga.2 < gb.2 {
        Some(DecidedBy::Coordination)
    } else if measured(ga) {
        // Clear only if the winner beats every other member of its group.
        let rivals: Vec<&Candidate> = candidates[1..]
            .iter()
            .filter(|c| group(c, slo) == ga)
            .collect();
        let verdicts: Vec<Option<DecidedBy>> = rivals.iter().map(|c| beats(a, c, slo)).collect();
        if verdicts.iter().all(Option::is_some) {
            verdicts[0]
        } else {
            None
        }
    } else {
        // Neither can be judged: more replications would not make them comparable.
        Some(DecidedBy::Standing)
    };
    let metric = match decided_by {
        Some(DecidedBy::Cost) => Metric::CostPerGoodRequest,
        _ if slo => Metric::Attainment,
        _ => Metric::LatencyP99,
    };
    let (mut wins, mut ties) = (0, 0);
    for (u, v) in x.replications.iter().zip(&y.replications) {
        let (p, q) = (u.get(metric), v.get(metric));
        let better = if metric == Metric::CostPerGoodRequest {
            p < q
        } else if slo {
            p > q
        } else {
            p < q || (q.is_nan() && !p.is_nan())
        };
        if p == q {
            ties += 1;
        } else if better {
            wins += 1;
        }
    }
    Some(Decision {
        winner: a.pattern.clone(),
        runner_up: b.pattern.clone(),
        clear: decided_by.is_some(),
        decided_by: decided_by.unwrap_or(DecidedBy::CatalogOrder),
        wins,
        ties,
        replications: x.replications.len() as u32,
    })
}

/// Candidates whose standing differs between replications: failed or collapsed in some and
/// not others, so that their standing rests on rare events more replications would settle.
fn unsettled(candidates: &[Candidate]) -> Vec<String> {
    candidates
        .iter()
        .filter_map(|c| {
            let r = c.result.as_ref()?;
            let censored = r
                .replications
                .iter()
                .filter(|v| v.get(Metric::LatencyP99).is_nan() && !v.at_least(Metric::LatencyP99).is_nan())
                .count();
            let collapsed = r.collapse.as_ref().map_or(0, |c| c.replications as usize);
            let n = r.replications.len();
            let mixed = |k: usize| k > 0 && k < n;
            (mixed(censored) || mixed(collapsed)).then(|| {
                format!(
                    "{} failed over 1% of its requests in {} and collapsed in {} of {} replications",
                    c.pattern, censored, collapsed, n
                )
            })
        })
        .collect()
}

fn seconds(e: Estimate) -> String {
    match e.at_least {
        Some(bound) => format!(">= {}", crate::number::seconds(bound, f64::NAN)),
        None => crate::number::seconds(e.mean, e.ci95),
    }
}

fn percent(e: Estimate) -> String {
    if e.ci95.is_finite() {
        format!("{:.1}% ± {:.1}", 100.0 * e.mean, 100.0 * e.ci95)
    } else {
        format!("{:.1}%", 100.0 * e.mean)
    }
}

/// Why a candidate is not first, in words.
fn why_lower(c: &Candidate, first: &Candidate, slo: bool) -> String {
    let attainment = || percent(c.metric(Metric::Attainment));
    if !c.fits_structure && first.fits_structure {
        return "lacks the structure the work needs, whatever it measures".to_string();
    }
    match c.standing {
        None => "could not be simulated".to_string(),
        Some(Standing::Collapsed) => "collapsed: its queues grew without bound".to_string(),
        Some(Standing::Overloaded) => "has a station loaded at or above its capacity".into(),
        Some(Standing::FellBehind) => format!(
            "did not keep up with its arrivals (answered {} of {} requests/s)",
            number(c.metric(Metric::Goodput).mean),
            number(c.metric(Metric::ArrivalRate).mean)
        ),
        Some(Standing::Failing) => format!(
            "answered only {} of its requests in full",
            percent(c.metric(Metric::SuccessRate))
        ),
        Some(Standing::Censored) => format!(
            "has a p99 {} that falls among its failed requests",
            seconds(c.metric(Metric::LatencyP99))
        ),
        Some(Standing::Judged) if slo && !c.feasible => format!(
            "misses the objective: attainment {} against {} for {}",
            attainment(),
            percent(first.metric(Metric::Attainment)),
            first.pattern
        ),
        Some(Standing::Judged) if slo && c.coordinators > first.coordinators => format!(
            "meets the objective too, but spends {} agent{} on coordination against {}",
            c.coordinators,
            if c.coordinators == 1 { "" } else { "s" },
            first.coordinators
        ),
        Some(Standing::Judged) if slo => {
            let (mine, theirs) = (
                number(c.metric(Metric::AttemptsPerTask).mean),
                number(first.metric(Metric::AttemptsPerTask).mean),
            );
            let attempts = if mine == theirs {
                String::new()
            } else {
                format!(" {mine} attempts per request against {theirs},")
            };
            format!(
                "meets the objective too, with{attempts} attainment {} against {} for {}",
                attainment(),
                percent(first.metric(Metric::Attainment)),
                first.pattern
            )
        }
        Some(Standing::Judged) => format!(
            "measured a p99 of {} against {} for {}",
            seconds(c.metric(Metric::LatencyP99)),
            seconds(first.metric(Metric::LatencyP99)),
            first.pattern
        ),
    }
}

/// The sentences under the evidence table: the rule, how sure the winner is, where the
/// evidence contradicts the catalog, and why each other candidate ranks lower.
fn findings(
    candidates: &[Candidate],
    scenario: &Scenario,
    decision: Option<&Decision>,
    request: &Request,
) -> Vec<String> {
    let mut out = Vec::new();
    let slo = scenario.slo;
    let priced = candidates.iter().any(|c| c.dollars().is_some());
    out.push(match slo {
        Some(o) => format!(
            "Ranked by your objective ({} s for {}% of requests): candidates that meet it with 95% confidence first (no station at capacity, no collapse), then {}, then attainment, each difference paired over the same requests; the catalog order breaks what the evidence cannot tell apart.",
            crate::number::round_sig(o.deadline),
            crate::number::round_sig(100.0 * o.quantile),
            if priced {
                "the fewest dollars per request within the objective"
            } else {
                "the fewest agents spent on coordination, then the fewest attempts per request"
            }
        ),
        None => "No --slo: ranked by p99 over all requests (a failed request counts as slower than any answer), paired over the same requests; give --slo D@Q to rank by your objective and by cost.".into(),
    });
    let Some(first) = candidates.first().filter(|c| c.result.is_some()) else {
        out.push("No candidate could be simulated on this workload.".into());
        return out;
    };
    if slo.is_some() && first.standing == Some(Standing::Judged) && !first.feasible {
        out.push(format!(
            "No candidate meets the objective on this workload; {} comes closest. {}",
            first.pattern,
            cure(first, scenario)
        ));
    } else if first.standing != Some(Standing::Judged) {
        out.push(format!(
            "No candidate{} can be judged on this workload: {} ranks first but {}. {}",
            if first.fits_structure && candidates.iter().any(|c| !c.fits_structure) {
                " with the structure the work needs"
            } else {
                ""
            },
            first.pattern,
            why_lower(first, first, slo.is_some()),
            cure(first, scenario)
        ));
    }
    if first.pattern.starts_with("scatter_gather")
        && scenario.shard_work == crate::sim::scenario::ShardWork::Split
        && first.standing == Some(Standing::Judged)
    {
        out.push(
            "scatter_gather's result assumes each request's work splits into independent shards (--shard-work split, the default); if yours does not, run again with --shard-work full."
                .into(),
        );
    }
    if let Some(d) = decision {
        let of = format!(
            "{} wins on {} of {} replications against {}{}",
            d.winner,
            d.wins,
            d.replications,
            d.runner_up,
            if d.ties > 0 {
                format!(" ({} tied)", d.ties)
            } else {
                String::new()
            }
        );
        out.push(match d.decided_by {
            DecidedBy::Structure => format!(
                "{of}; only {} has the structure the work needs ({}), whatever the others measure.",
                d.winner,
                request
                    .traits
                    .iter()
                    .filter(|t| t.is_structural())
                    .map(|t| t.flag())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            DecidedBy::Standing => format!("{of}; it ranks first on standing (see below)."),
            DecidedBy::Coordination => format!(
                "{of}; both meet the objective, and {} spends fewer agents on coordination.",
                d.winner
            ),
            DecidedBy::Cost => format!(
                "{of}; both meet the objective, and {} costs less per request within it beyond chance (paired).",
                d.winner
            ),
            DecidedBy::Attempts => format!(
                "{of}; both meet the objective, and {} makes fewer attempts per request beyond chance.",
                d.winner
            ),
            DecidedBy::Measure => format!("{of}: better beyond chance (paired)."),
            DecidedBy::CatalogOrder => format!(
                "{of}: not beyond chance after {} replications, so the catalog order decides; the two are equally good on this evidence{}.",
                d.replications,
                if d.replications >= MAX_REPLICATIONS {
                    String::new()
                } else {
                    " (run --replications 2 or more to add evidence)".into()
                }
            ),
        });
    }
    if let Some(catalog_first) = candidates.iter().min_by_key(|c| c.catalog_rank)
        && catalog_first.pattern != first.pattern
    {
        out.push(format!(
            "The evidence disagrees with the catalog: {} ranks first on the catalog's ratings (score {:.1} against {:.1}) but {}.",
            catalog_first.pattern,
            catalog_first.catalog_score,
            first.catalog_score,
            why_lower(catalog_first, first, slo.is_some())
        ));
    } else {
        out.push(format!(
            "The evidence agrees with the catalog: {} ranks first on both.",
            first.pattern
        ));
    }
    let catalog_first = candidates.iter().min_by_key(|c| c.catalog_rank);
    for c in &candidates[1..] {
        if catalog_first.is_some_and(|x| x.pattern == c.pattern) {
            continue; // explained above
        }
        out.push(format!(
            "{} {}.",
            c.pattern,
            why_lower(c, first, slo.is_some())
        ));
    }
    let judged: Vec<&RunResult> = candidates
        .iter()
        .filter(|c| c.standing == Some(Standing::Judged))
        .filter_map(|c| c.result.as_ref())
        .collect();
    if slo.is_none()
        && let Some((fast, tail)) = judgement::crossing(&judged)
    {
        out.push(format!(
            "The answer depends on the deadline: {} is faster at the median, {} at p99; give --slo to decide.",
            fast.pattern, tail.pattern
        ));
    }
    for c in candidates {
        if let Some(why) = &c.not_simulated {
            out.push(format!("{} was not simulated: {why}.", c.pattern));
        }
    }
    out
}

/// What would let `c` meet the objective or keep up, from what went wrong.
fn cure(c: &Candidate, scenario: &Scenario) -> String {
    let attempts = c.metric(Metric::AttemptsPerTask).mean;
    if let Some(o) = scenario.slo {
        let fastest = scenario.speeds.iter().copied().fold(0.0, f64::max);
        let floor = crate::advisor::fit::work_quantile(&scenario.service, o.quantile) / fastest;
        if floor > o.deadline {
            return format!(
                "The objective is below the work's own {}th percentile ({} on the fastest agent): no number of agents or setting can meet it, only less work per request or a looser objective.",
                crate::number::round_sig(100.0 * o.quantile),
                crate::number::seconds(floor, f64::NAN)
            );
        }
    }
    match c.standing {
        Some(Standing::Collapsed | Standing::FellBehind | Standing::Failing) if attempts > 1.3 => {
            format!(
                "Its retries multiply the load ({} attempts per part): a retry budget (--retry-budget 0.1) stops that.",
                number(attempts)
            )
        }
        Some(Standing::Overloaded) => "A station is at or above its capacity: more agents or less work per request, or, if you set them, another stage count or fan-out (see the warnings).".into(),
        _ => "More agents or less work per request would be needed (jaegis plan finds how many).".into(),
    }
}

fn number(x: f64) -> String {
    crate::number::round_sig((x * 1000.0).round() / 1000.0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::metric::Values;
    use crate::sim::{BalancerKind, Offered, TaskCounts};

    /// A simulated candidate whose replications measured `per_replication` of each metric
    /// given; its estimates are the replications' means and intervals.
    fn candidate(
        pattern: &str,
        catalog_rank: usize,
        standing: Standing,
        feasible: bool,
        coordinators: u32,
        per_replication: &[(Metric, &[f64])],
    ) -> Candidate {
        let catalog = Catalog::embedded();
        let advice = advise(
            &catalog,
            catalog.pattern("master_slave_001").unwrap(),
            &Request::new(8),
        );
        let reps = per_replication.first().map_or(5, |(_, v)| v.len());
        let mut replications = vec![Values::default(); reps];
        let metrics = Metric::ALL
            .iter()
            .map(|&m| {
                let values: Vec<f64> = per_replication.iter().find(|(x, _)| *x == m).map_or_else(
                    // Dollars only where a case gives them: unpriced by default.
                    || vec![if m == DOLLARS { f64::NAN } else { 1.0 }; reps],
                    |(_, v)| v.to_vec(),
                );
                for (r, v) in replications.iter_mut().zip(&values) {
                    r.set(m, *v);
                }
                (m, Estimate::of(values))
            })
            .collect();
        Candidate {
            pattern: pattern.into(),
            catalog_rank,
            catalog_score: 100.0 - catalog_rank as f64,
            evidence_rank: 0,
            balancer: "round_robin".into(),
            fits_structure: true,
            coordinators,
            standing: Some(standing),
            feasible,
            settings: Vec::new(),
            warnings: Vec::new(),
            not_simulated: None,
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
                stalled: None,
                warnings: Vec::new(),
                events: 0,
                replications,
                digests: Vec::new(),
                latency_cdf: Vec::new(),
                timeline: Vec::new(),
            }),
            advice,
        }
    }

    fn ranked(mut candidates: Vec<Candidate>, slo: bool) -> (Vec<String>, Option<Decision>) {
        rank(&mut candidates, slo);
        let order = candidates.iter().map(|c| c.pattern.clone()).collect();
        (order, decide(&candidates, slo))
    }

    const A: Metric = Metric::Attainment;
    const P99: Metric = Metric::LatencyP99;
    const TRIES: Metric = Metric::AttemptsPerTask;
    const DOLLARS: Metric = Metric::CostPerGoodRequest;

    #[test]
    fn with_prices_what_meets_the_objective_ranks_by_dollars() {
        // The master spends an agent on coordination but costs less per good request:
        // with prices the dollars decide, paired over the replications.
        let (order, d) = ranked(
            vec![
                candidate(
                    "peers",
                    1,
                    Standing::Judged,
                    true,
                    0,
                    &[(DOLLARS, &[0.021, 0.022, 0.020, 0.021, 0.022])],
                ),
                candidate(
                    "master",
                    2,
                    Standing::Judged,
                    true,
                    1,
                    &[(DOLLARS, &[0.015, 0.016, 0.015, 0.014, 0.016])],
                ),
                candidate(
                    "misses",
                    3,
                    Standing::Judged,
                    false,
                    0,
                    &[(DOLLARS, &[0.001; 5])],
                ),
            ],
            true,
        );
        assert_eq!(order, ["master", "peers", "misses"]);
        let d = d.unwrap();
        assert_eq!((d.decided_by, d.wins), (DecidedBy::Cost, 5));
    }

    #[test]
    fn a_candidate_that_misses_or_cannot_be_judged_never_ranks_above_one_that_meets() {
        // The case: a censored 0.2% success above 72-78%; and one that misses the
        // objective above one that meets it.
        let (order, d) = ranked(
            vec![
                candidate("censored", 1, Standing::Censored, false, 0, &[]),
                candidate("collapsed", 2, Standing::Collapsed, false, 0, &[]),
                candidate("misses", 3, Standing::Judged, false, 0, &[(A, &[0.9; 5])]),
                candidate("meets", 4, Standing::Judged, true, 1, &[(A, &[0.995; 5])]),
            ],
            true,
        );
        assert_eq!(order, ["meets", "misses", "censored", "collapsed"]);
        let d = d.unwrap();
        assert_eq!((d.decided_by, d.clear), (DecidedBy::Standing, true));
    }

    #[test]
    fn among_those_that_meet_fewer_coordinators_then_fewer_attempts_then_attainment() {
        let attainment = [0.995, 0.996, 0.994, 0.995, 0.997];
        let higher = [0.999, 0.9995, 0.999, 0.999, 0.9992];
        let (order, d) = ranked(
            vec![
                candidate("master", 1, Standing::Judged, true, 1, &[(A, &higher)]),
                candidate("peers", 2, Standing::Judged, true, 0, &[(A, &attainment)]),
            ],
            true,
        );
        assert_eq!(order, ["peers", "master"]);
        assert_eq!(d.unwrap().decided_by, DecidedBy::Coordination);
        let (order, d) = ranked(
            vec![
                candidate(
                    "retries",
                    1,
                    Standing::Judged,
                    true,
                    0,
                    &[(A, &higher), (TRIES, &[1.2, 1.21, 1.19, 1.2, 1.22])],
                ),
                candidate(
                    "once",
                    2,
                    Standing::Judged,
                    true,
                    0,
                    &[(A, &attainment), (TRIES, &[1.0; 5])],
                ),
            ],
            true,
        );
        assert_eq!(order, ["once", "retries"]);
        assert_eq!(d.unwrap().decided_by, DecidedBy::Attempts);
        let (order, d) = ranked(
            vec![
                candidate("lower", 1, Standing::Judged, true, 0, &[(A, &attainment)]),
                candidate("higher", 2, Standing::Judged, true, 0, &[(A, &higher)]),
            ],
            true,
        );
        assert_eq!(order, ["higher", "lower"]);
        let d = d.unwrap();
        assert_eq!(
            (d.decided_by, d.wins, d.replications),
            (DecidedBy::Measure, 5, 5)
        );
    }

    #[test]
    fn what_the_evidence_cannot_tell_apart_keeps_the_catalog_order_and_says_so() {
        let a = [0.995, 0.999, 0.993, 0.998, 0.996];
        let b = [0.997, 0.994, 0.998, 0.995, 0.997];
        let (order, d) = ranked(
            vec![
                candidate("second", 2, Standing::Judged, true, 0, &[(A, &b)]),
                candidate("first", 1, Standing::Judged, true, 0, &[(A, &a)]),
            ],
            true,
        );
        assert_eq!(order, ["first", "second"]);
        let d = d.unwrap();
        assert_eq!((d.decided_by, d.clear), (DecidedBy::CatalogOrder, false));
        assert_eq!(d.wins, 2);
    }

    #[test]
    fn without_an_objective_a_lower_p99_beyond_chance_wins() {
        let (order, d) = ranked(
            vec![
                candidate(
                    "slow",
                    1,
                    Standing::Judged,
                    true,
                    1,
                    &[(P99, &[10.0, 11.0, 10.5, 10.2, 10.8])],
                ),
                candidate(
                    "fast",
                    2,
                    Standing::Judged,
                    true,
                    0,
                    &[(P99, &[5.0, 5.5, 5.2, 5.1, 5.4])],
                ),
                candidate("capped", 3, Standing::Censored, false, 0, &[]),
            ],
            false,
        );
        assert_eq!(order, ["fast", "slow", "capped"]);
        assert_eq!(d.unwrap().decided_by, DecidedBy::Measure);
    }

    #[test]
    fn a_pattern_without_the_works_structure_ranks_after_those_with_it() {
        let mut split = candidate("split", 2, Standing::Judged, true, 0, &[(P99, &[1.0; 5])]);
        split.fits_structure = false;
        let staged = candidate(
            "staged",
            1,
            Standing::Judged,
            true,
            0,
            &[(P99, &[5.0, 5.2, 5.1, 4.9, 5.3])],
        );
        let (order, d) = ranked(vec![split, staged], false);
        assert_eq!(order, ["staged", "split"]);
        assert_eq!(d.unwrap().decided_by, DecidedBy::Structure);
    }

    #[test]
    fn budgets_are_tasks_or_simulated_seconds_with_a_unit() {
        assert_eq!("20000".parse(), Ok(Budget::Tasks(20_000)));
        assert_eq!("600s".parse(), Ok(Budget::Seconds(600.0)));
        assert_eq!("10min".parse(), Ok(Budget::Seconds(600.0)));
        for bad in ["0", "1", "99", "0s", "-5", "lots", "1.5"] {
            assert!(bad.parse::<Budget>().is_err(), "{bad}");
        }
    }
}
