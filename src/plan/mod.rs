//! `plan`: the smallest fleet that meets an objective at a given traffic, for each pattern
//! and balancer, with the settings fitted to the workload at that size.
//!
//! The search never simulates a fleet the analytic model already says cannot keep up: it
//! starts at the smallest stable fleet (no station at or above capacity), then gallops up
//! (+1, +2, +4, ...) and bisects to the smallest N whose attainment's lower 95% bound meets
//! the objective. Every fleet size sees the same requests (same seed: common random numbers),
//! and replications are doubled only where the interval still straddles the target.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::advisor::fit::{self, Setting};
use crate::advisor::{self, advise};
use crate::catalog::Catalog;
use crate::sim::judgement::{self, Measure, Standing};
use crate::sim::scenario::{Names, Slo};
use crate::sim::{self, BalancerKind, Estimate, Metric, Model, Scenario, ScenarioInput, SimError};

/// Requests per replication unless the workload says otherwise: a 99% objective then rests
/// on about 200 misses per replication.
pub const BUDGET: u64 = 20_000;
/// Replications at each fleet size to start with, and the most it may grow to.
pub const REPLICATIONS: u32 = 5;
pub const MAX_REPLICATIONS: u32 = 20;
/// The default limit of the search.
pub const MAX_AGENTS: u32 = 10_000;
/// The fewest requests per replication a plan runs.
pub const MIN_REQUESTS: u64 = 1_000;
/// The most requests per replication a plan runs, however slow the system is to settle.
pub const MAX_REQUESTS: u64 = 2_000_000;
/// Replications at each size start from the state of an empty system: a run must last this
/// many relaxation times of its busiest station, so that near capacity the long congested
/// periods are sampled rather than missed.
const RELAXATIONS: f64 = 20.0;
/// ...and this many failure-and-repair cycles of an agent, so that failures pile up as they do.
const FAILURE_CYCLES: f64 = 10.0;
/// A plateau is only called once the search has gone this far past the smallest stable size.
const PLATEAU_FROM: u32 = 32;
/// Fleet sizes checked one by one by the analytic model before it doubles.
const LINEAR_SCAN: u32 = 256;

/// What to plan for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The traffic and work; `agents` is what the plan chooses, so it is not set.
    pub workload: ScenarioInput,
    pub max_agents: u32,
    /// Traffic factors to plan for too (1.2 is 20% more requests per second).
    pub headroom: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("plan needs the traffic as --rate R (requests per second)")]
    NoRate,
    #[error(
        "plan takes the traffic as --rate (requests per second): --load depends on the fleet, which is what plan chooses"
    )]
    Load,
    #[error(
        "plan chooses the number of agents itself: drop --agents (--max-agents sets the limit of the search)"
    )]
    Agents,
    #[error("plan needs an objective: give --slo D@Q, such as --slo 2s@99%")]
    NoObjective,
    #[error(
        "--slo {0}: a share of 100% cannot be shown by a finite simulation (any run meets it only by luck); ask for 99.9% or 99.99%"
    )]
    Certain(String),
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// One fleet size tried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub agents: u32,
    pub replications: u32,
    /// Requests per replication: the budget, or more where the system settles slowly.
    pub requests: u64,
    pub attainment: Estimate,
    pub latency_p50: Estimate,
    pub latency_p99: Estimate,
    pub utilization: Estimate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinator_utilization: Option<Estimate>,
    pub standing: Standing,
    /// Dollars per request within the objective, with prices or an agent cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_good_request: Option<Estimate>,
    /// Judged, and attainment's lower 95% bound at or above the objective's share.
    pub meets: bool,
    /// The warnings of its simulation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The smallest fleet for one traffic factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sized {
    pub factor: f64,
    pub rate: f64,
    /// None when no fleet up to the limit meets the objective.
    pub agents: Option<u32>,
}

/// The plan for one pattern and balancer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub pattern: String,
    pub balancer: String,
    /// The smallest fleet that meets the objective at the given rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents: Option<u32>,
    pub coordinators: u32,
    /// The evidence: the fleet chosen and the one just below it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below: Option<Probe>,
    /// Why one fewer was not simulated, when it was not.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub below_reason: String,
    /// The smallest fleet at each headroom factor.
    pub headroom: Vec<Sized>,
    /// Why no fleet up to the limit meets the objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infeasible: Option<String>,
    /// The settings fitted at the chosen size.
    pub settings: Vec<Setting>,
    /// Every fleet size simulated, smallest first.
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub rate: f64,
    pub slo: Slo,
    pub max_agents: u32,
    /// Requests per replication.
    pub budget: u64,
    /// Best first: feasible options by fleet size, then the others.
    pub choices: Vec<Choice>,
    /// The chosen pattern and balancer, if any option is feasible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<usize>,
    pub findings: Vec<String>,
    /// The workload as planned (the chosen option's, or the first one's), for the summary.
    #[serde(skip)]
    pub scenario: Option<Scenario>,
}

/// The inputs every search shares.
struct Search<'a> {
    catalog: &'a Catalog,
    workload: &'a ScenarioInput,
    defaults: crate::sim::scenario::Defaults,
    slo: Slo,
    budget: u64,
    start_replications: u32,
    max_agents: u32,
    progress: &'a (dyn Fn() + Sync),
}

/// What one (pattern, balancer) search found at one rate.
struct Found {
    agents: Option<u32>,
    infeasible: Option<String>,
    probes: BTreeMap<u32, Probe>,
}

/// Plans every pattern of the workload (all four by default) with each balancer asked for.
pub fn plan(
    catalog: &Catalog,
    request: &Request,
    progress: &(dyn Fn() + Sync),
) -> Result<Plan, PlanError> {
    let w = &request.workload;
    if w.agents.is_some() {
        return Err(PlanError::Agents);
    }
    if w.load.is_some() {
        return Err(PlanError::Load);
    }
    // With a trace, its own rate (and a replay's length) unless given.
    let traced = match &w.trace {
        Some(_) => Some(
            crate::sim::scenario::replay::prepare(w.clone())
                .map_err(SimError::from)?
                .0,
        ),
        None => None,
    };
    let rate = w
        .rate
        .or(traced.as_ref().and_then(|t| t.rate))
        .ok_or(PlanError::NoRate)?;
    let slo = w.slo.ok_or(PlanError::NoObjective)?;
    if slo.quantile >= 1.0 {
        return Err(PlanError::Certain(format!(
            "{}s@100%",
            crate::number::round_sig(slo.deadline)
        )));
    }
    let defaults = catalog.simulation_defaults();
    // The patterns and balancers named, resolved as simulate resolves them.
    let pattern_names = w
        .pattern
        .as_ref()
        .map_or(vec!["all".to_string()], |n| n.0.clone());
    let patterns =
        crate::sim::scenario::pattern_ids(&defaults, &pattern_names).map_err(SimError::from)?;
    // Balancers named are planned each; none named, each pattern gets the one fitted to it.
    let balancers: Vec<Option<BalancerKind>> = match &w.balancer {
        Some(names) => crate::sim::scenario::resolve_balancers(&names.0)
            .map_err(SimError::from)?
            .into_iter()
            .map(Some)
            .collect(),
        None => vec![None],
    };
    // Requests per replication: the workload's own length if it gives one.
    let budget = match (w.tasks.or(traced.and_then(|t| t.tasks)), w.duration) {
        (Some(n), _) => n,
        (None, Some(d)) => ((d.0 * rate).ceil() as u64).max(MIN_REQUESTS),
        (None, None) => BUDGET,
    };
    // The rate planned already holds a trace's --rate-scale; each search sets its rate.
    let scaled;
    let w = if w.trace.is_some() && w.rate_scale.is_some() {
        scaled = ScenarioInput {
            rate_scale: None,
            ..w.clone()
        };
        &scaled
    } else {
        w
    };
    let search = Search {
        catalog,
        workload: w,
        defaults,
        slo,
        budget,
        start_replications: w.replications.unwrap_or(REPLICATIONS).max(2),
        max_agents: request.max_agents,
        progress,
    };
    let jobs: Vec<(String, Option<BalancerKind>)> = patterns
        .iter()
        .flat_map(|p| balancers.iter().map(move |b| (p.clone(), *b)))
        .collect();
    let mut headroom = request.headroom.clone();
    headroom.sort_by(f64::total_cmp);
    headroom.dedup();
    let options: Vec<Result<Choice, PlanError>> = jobs
        .par_iter()
        .map(|(pattern, balancer)| search.option(pattern, *balancer, rate, &headroom))
        .collect();
    let mut options = options.into_iter().collect::<Result<Vec<_>, _>>()?;
    // With prices, the feasible options rank by dollars per request within the objective
    // at their chosen size; otherwise, and between equal costs, by fleet size.
    let dollars = |o: &Choice| {
        o.at.as_ref()
            .and_then(|p| p.cost_per_good_request)
            .map_or(f64::INFINITY, |e| e.mean)
    };
    options.sort_by(|a, b| {
        a.agents
            .is_none()
            .cmp(&b.agents.is_none())
            .then(dollars(a).total_cmp(&dollars(b)))
            .then(a.agents.cmp(&b.agents))
            .then(
                a.headroom
                    .iter()
                    .map(|s| s.agents.unwrap_or(u32::MAX))
                    .cmp(b.headroom.iter().map(|s| s.agents.unwrap_or(u32::MAX))),
            )
            .then(a.coordinators.cmp(&b.coordinators))
    });
    let chosen = options.first().filter(|o| o.agents.is_some()).map(|_| 0);
    let scenario = match &options.first() {
        Some(o) => search
            .scenario(
                &o.pattern,
                balancer_of(o),
                rate,
                o.agents.unwrap_or(2),
                search.start_replications,
            )
            .ok(),
        None => None,
    };
    let findings = findings(&options, chosen, &search);
    Ok(Plan {
        rate,
        slo,
        max_agents: request.max_agents,
        budget,
        choices: options,
        chosen,
        findings,
        scenario,
    })
}

fn balancer_of(o: &Choice) -> Option<BalancerKind> {
    BalancerKind::ALL
        .iter()
        .copied()
        .find(|b| b.id() == o.balancer)
}

impl Search<'_> {
    /// The scenario for `pattern` with `agents` at `rate`, its settings fitted at that size,
    /// run for the plan's budget.
    fn scenario(
        &self,
        pattern: &str,
        balancer: Option<BalancerKind>,
        rate: f64,
        agents: u32,
        replications: u32,
    ) -> Result<Scenario, SimError> {
        let (input, _) = self.input(pattern, balancer, rate, agents, replications, self.budget)?;
        Ok(Scenario::build(input, &self.defaults)?)
    }

    /// Requests per replication for `s`: the budget, or more where the system settles slowly
    /// (a busiest station near capacity), where agents fail, or where scripted outages and
    /// spikes lie beyond the budget's span; at most [`MAX_REQUESTS`].
    fn run_length(&self, s: &Scenario) -> u64 {
        let p = &s.per_pattern[0];
        let rho = p
            .load
            .max(p.peak_load)
            .max(p.coordination_load.unwrap_or(0.0));
        let mut seconds = self.budget as f64 / s.rate;
        if rho < 1.0 {
            // An M/M/c-like station relaxes in about 1 / (capacity (1 - sqrt(rho))^2).
            let capacity = s.rate / rho.max(1e-9);
            let relax = 1.0 / (capacity * (1.0 - rho.sqrt()).powi(2));
            seconds = seconds.max(RELAXATIONS * relax);
        }
        let r = &s.resilience;
        if let (Some(f), Some(m)) = (r.mtbf, r.mttr) {
            seconds = seconds.max(FAILURE_CYCLES * (f + m));
        }
        let scripted = r
            .outages
            .iter()
            .map(|o| o.start + o.duration)
            .chain(r.spikes.iter().map(|sp| sp.start + sp.duration))
            .fold(0.0, f64::max);
        if scripted > 0.0 {
            seconds = seconds.max(1.5 * scripted / (1.0 - s.warmup));
        }
        ((seconds * s.rate).ceil() as u64).clamp(self.budget, MAX_REQUESTS)
    }

    #[allow(clippy::too_many_arguments)]
    fn input(
        &self,
        pattern: &str,
        balancer: Option<BalancerKind>,
        rate: f64,
        agents: u32,
        replications: u32,
        tasks: u64,
    ) -> Result<(ScenarioInput, Vec<Setting>), SimError> {
        let sized = self.workload.clone().overlaid(ScenarioInput {
            pattern: Some(Names(vec![pattern.to_string()])),
            agents: Some(agents),
            rate: Some(rate),
            ..ScenarioInput::default()
        });
        let catalog_pattern = self
            .catalog
            .pattern(pattern)
            .expect("planned patterns come from the catalog");
        let advice = advise(
            self.catalog,
            catalog_pattern,
            &advisor::Request::new(agents),
        );
        let fitted = fit::fit(
            &sized,
            &advisor::Request::new(agents),
            &advice,
            &self.defaults,
        )?;
        let mut over = ScenarioInput {
            tasks: Some(tasks),
            duration: None,
            replications: Some(replications),
            timeline: None,
            ..ScenarioInput::default()
        };
        if let Some(b) = balancer {
            over.balancer = Some(Names(vec![b.id().to_string()]));
        }
        let mut base = sized;
        base.tasks = None;
        base.duration = None;
        Ok((base.overlaid(fitted.input).overlaid(over), fitted.settings))
    }

    /// Whether the analytic model lets `agents` keep up: every station below capacity.
    fn stable(&self, pattern: &str, rate: f64, agents: u32) -> Result<bool, String> {
        match self.scenario(pattern, None, rate, agents, 1) {
            Ok(s) => {
                let p = &s.per_pattern[0];
                Ok(
                    p.load < 1.0
                        && p.peak_load < 1.0
                        && p.coordination_load.is_none_or(|c| c < 1.0),
                )
            }
            // Too small for the pattern to be built (a master without a worker); an error at
            // the limit itself is the workload's, and is returned.
            Err(_) if agents < self.max_agents => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Simulates `agents` for as long as it takes to settle, adding replications while the
    /// interval straddles the target (all of them at once with `thorough`).
    fn probe(
        &self,
        pattern: &str,
        balancer: Option<BalancerKind>,
        rate: f64,
        agents: u32,
        thorough: bool,
    ) -> Result<Probe, SimError> {
        let analytic = self.scenario(pattern, balancer, rate, agents, 1)?;
        let tasks = self.run_length(&analytic);
        let mut replications = if thorough {
            MAX_REPLICATIONS
        } else {
            self.start_replications
        };
        loop {
            let (input, _) = self.input(pattern, balancer, rate, agents, replications, tasks)?;
            let scenario = Scenario::build(input, &self.defaults)?;
            let simulation = sim::simulate(&scenario, self.progress)?;
            let r = &simulation.results[0];
            let a = r.metrics.get(Metric::Attainment);
            let standing = judgement::standing(r, &scenario, Measure::Attainment);
            let steady = standing == Standing::Judged;
            let measured = tasks as f64 * (1.0 - scenario.warmup) * f64::from(replications);
            let low = (a.mean - a.ci95).min(wilson_low(a.mean, measured));
            let high = a.mean + a.ci95;
            let meets = steady && low >= self.slo.quantile - 1e-12;
            let straddles = steady && !meets && high >= self.slo.quantile;
            if !straddles || replications >= MAX_REPLICATIONS {
                let mut warnings = r.warnings.clone();
                if tasks >= MAX_REQUESTS {
                    warnings.push(format!(
                        "runs were capped at {MAX_REQUESTS} requests per replication: at this size the system settles (or fails) more slowly than that covers"
                    ));
                }
                return Ok(Probe {
                    agents,
                    replications,
                    requests: tasks,
                    attainment: a,
                    latency_p50: r.metrics.get(Metric::LatencyP50),
                    latency_p99: r.metrics.get(Metric::LatencyP99),
                    utilization: r.metrics.get(Metric::Utilization),
                    coordinator_utilization: Some(r.metrics.get(Metric::CoordinatorUtilization))
                        .filter(|e| e.mean.is_finite()),
                    standing,
                    cost_per_good_request: Some(r.metrics.get(Metric::CostPerGoodRequest))
                        .filter(|e| e.mean.is_finite()),
                    meets,
                    warnings,
                });
            }
            replications = (replications * 2).min(MAX_REPLICATIONS);
        }
    }

    /// The smallest fleet the analytic model calls stable, from `from` up; None when even
    /// the limit is not.
    fn smallest_stable(&self, pattern: &str, rate: f64, from: u32) -> Result<Option<u32>, String> {
        // Stability need not be monotone in the fleet (how unequal agents fall into stages),
        // so sizes are tried one by one over a first stretch, then by doubling and bisection.
        let from = from.max(1);
        let linear_end = from.saturating_add(LINEAR_SCAN).min(self.max_agents);
        for n in from..=linear_end {
            if self.stable(pattern, rate, n)? {
                return Ok(Some(n));
            }
        }
        let mut hi = linear_end;
        let mut lo;
        loop {
            if hi >= self.max_agents {
                return Ok(None);
            }
            lo = hi;
            hi = (hi.saturating_mul(2)).min(self.max_agents);
            if self.stable(pattern, rate, hi)? {
                break;
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.stable(pattern, rate, mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Some(hi))
    }

    /// The smallest fleet from `from` up that meets the objective at `rate`.
    fn smallest(
        &self,
        pattern: &str,
        balancer: Option<BalancerKind>,
        rate: f64,
        from: u32,
    ) -> Result<Found, SimError> {
        let mut probes: BTreeMap<u32, Probe> = BTreeMap::new();
        let start = match self.smallest_stable(pattern, rate, from) {
            Ok(Some(n)) => n,
            Ok(None) => {
                let why = self.why_unstable(pattern, rate);
                return Ok(Found {
                    agents: None,
                    infeasible: Some(why),
                    probes,
                });
            }
            Err(why) => {
                return Ok(Found {
                    agents: None,
                    infeasible: Some(why),
                    probes,
                });
            }
        };
        let probe = |n: u32, probes: &mut BTreeMap<u32, Probe>| -> Result<bool, SimError> {
            if let Some(p) = probes.get(&n) {
                return Ok(p.meets);
            }
            let p = self.probe(pattern, balancer, rate, n, false)?;
            let meets = p.meets;
            probes.insert(n, p);
            Ok(meets)
        };
        // The decision between the answer and the size below is made on the same, full
        // number of replications for both: a size that cleared on an early look is looked at
        // again in full, and the search moves up if it no longer clears.
        let confirm = |n: u32, probes: &mut BTreeMap<u32, Probe>| -> Result<bool, SimError> {
            if probes
                .get(&n)
                .is_some_and(|p| p.replications >= MAX_REPLICATIONS)
            {
                return Ok(probes[&n].meets);
            }
            let p = self.probe(pattern, balancer, rate, n, true)?;
            let meets = p.meets;
            probes.insert(n, p);
            Ok(meets)
        };
        // Gallop: +1, +2, +4, ... from the smallest stable fleet.
        let (mut miss, mut hit) = (start.saturating_sub(1), None);
        let mut n = start;
        let mut step = 1;
        let mut previous: Option<u32> = None;
        while n <= self.max_agents {
            if probe(n, &mut probes)? {
                hit = Some(n);
                break;
            }
            // A plateau: doubling the fleet raised attainment by no more than its noise, and
            // it stays clearly below the target. More agents will not help; say so rather
            // than simulate fleets up to the limit.
            if let Some(before) = previous
                .filter(|&b| n - start >= 2 * (b - start).max(1) && n >= start + PLATEAU_FROM)
            {
                let (a, b) = (&probes[&n], &probes[&before]);
                let steady = |p: &Probe| p.standing == Standing::Judged;
                let gain = a.attainment.mean - b.attainment.mean;
                let noise = a.attainment.ci95.max(b.attainment.ci95);
                let short = self.slo.quantile - 0.25 * (1.0 - self.slo.quantile);
                if steady(a)
                    && steady(b)
                    && gain <= noise
                    && a.attainment.mean + a.attainment.ci95 < short
                {
                    let why = format!(
                        "attainment levels off below the objective: {} agents reach {}, {} reach {}; more agents do not raise it (the limit lies elsewhere: overheads, failures or the balancer)",
                        before,
                        percent(b.attainment),
                        n,
                        percent(a.attainment)
                    );
                    return Ok(Found {
                        agents: None,
                        infeasible: Some(why),
                        probes,
                    });
                }
            }
            previous = Some(n);
            miss = n;
            if n == self.max_agents {
                break;
            }
            n = n.saturating_add(step).min(self.max_agents);
            step = step.saturating_mul(2);
        }
        let Some(mut hit) = hit else {
            let last = probes.values().last();
            let why = match last {
                Some(p) => format!(
                    "not met by any fleet up to --max-agents {}: {} agents reach {} within {} s{}",
                    self.max_agents,
                    p.agents,
                    percent(p.attainment),
                    crate::number::round_sig(self.slo.deadline),
                    if p.standing == Standing::Judged {
                        String::new()
                    } else {
                        format!(" ({})", standing_text(p.standing))
                    }
                ),
                None => format!(
                    "not met by any fleet up to --max-agents {}",
                    self.max_agents
                ),
            };
            return Ok(Found {
                agents: None,
                infeasible: Some(why),
                probes,
            });
        };
        // Bisect between the last miss and the first hit.
        while hit - miss > 1 {
            let mid = miss + (hit - miss) / 2;
            if probe(mid, &mut probes)? {
                hit = mid;
            } else {
                miss = mid;
            }
        }
        while !confirm(hit, &mut probes)? {
            if hit >= self.max_agents {
                let why = format!(
                    "not shown at any fleet up to --max-agents {}: {} agents reach {} within {} s",
                    self.max_agents,
                    hit,
                    percent(probes[&hit].attainment),
                    crate::number::round_sig(self.slo.deadline)
                );
                return Ok(Found {
                    agents: None,
                    infeasible: Some(why),
                    probes,
                });
            }
            hit += 1;
        }
        // The evidence that it is the smallest: the fleet just below, in full.
        if hit > start {
            confirm(hit - 1, &mut probes)?;
        }
        Ok(Found {
            agents: Some(hit),
            infeasible: None,
            probes,
        })
    }

    /// Why no fleet up to the limit is stable: the station that caps the throughput.
    fn why_unstable(&self, pattern: &str, rate: f64) -> String {
        match self.scenario(pattern, None, rate, self.max_agents, 1) {
            Ok(s) => {
                let p = &s.per_pattern[0];
                match p.coordination_load {
                    Some(c) if c >= 1.0 && p.model == Model::MasterSlave => format!(
                        "the master's dispatching caps the throughput at {} requests/s (master concurrency / dispatch overhead), below {} requests/s, whatever the number of workers",
                        crate::number::round_sig(rate / c),
                        crate::number::round_sig(rate)
                    ),
                    Some(c) if c >= 1.0 => format!(
                        "the coordination station ({}) is at {c:.2} of its capacity at any fleet size",
                        p.bottleneck
                    ),
                    _ => format!(
                        "even {} leave {} at {:.2} of capacity",
                        if self.max_agents == 1 {
                            "1 agent".to_string()
                        } else {
                            format!("{} agents", self.max_agents)
                        },
                        if p.load >= p.peak_load - 1e-9 {
                            "the workers"
                        } else {
                            p.bottleneck.as_str()
                        },
                        p.load.max(p.peak_load)
                    ),
                }
            }
            Err(e) => e.to_string(),
        }
    }

    /// The work's own floor: the share of requests whose work alone, on the fastest agent
    /// (split over a full fan-out for scatter-gather), takes longer than the deadline.
    fn floor(&self, pattern: &str) -> Option<String> {
        let s = self
            .scenario(pattern, None, 1.0, self.max_agents.clamp(2, 64), 1)
            .ok()?;
        let p = &s.per_pattern[0];
        let fastest = p.speeds.iter().copied().fold(0.0, f64::max);
        let parts = match (p.model, s.shard_work) {
            (Model::ScatterGather, crate::sim::scenario::ShardWork::Split) => {
                f64::from(p.fan_out.unwrap_or(1).max(1))
            }
            _ => 1.0,
        };
        let quantile = fit::work_quantile(&s.service, self.slo.quantile) / parts / fastest;
        (quantile > self.slo.deadline).then(|| {
            format!(
                "no fleet can meet it: the work's own {}th percentile takes {} on the fastest agent{}, above the {} s deadline",
                crate::number::round_sig(100.0 * self.slo.quantile),
                crate::number::seconds(quantile, f64::NAN),
                if parts > 1.0 {
                    format!(" split {parts} ways")
                } else {
                    String::new()
                },
                crate::number::round_sig(self.slo.deadline)
            )
        })
    }

    /// The provider's quota, when it serves fewer requests than the objective needs: no
    /// number of agents helps. A fan-out of every agent makes more calls as the fleet grows,
    /// so it is judged by the simulations instead.
    fn quota(&self, pattern: &str, rate: f64) -> Option<String> {
        let s = self
            .scenario(pattern, None, rate, self.max_agents.clamp(2, 64), 1)
            .ok()?;
        let p = &s.per_pattern[0];
        if p.model == Model::ScatterGather && self.workload.fan_out.is_none() {
            return None;
        }
        let ceiling = p.provider_ceiling?;
        let needed = rate * self.slo.quantile;
        (ceiling < needed).then(|| {
            format!(
                "no fleet can meet it: the provider's quota serves at most {} requests/s, below the {} that {}% of {} requests/s need; more agents do not help",
                crate::number::number(ceiling, 3),
                crate::number::number(needed, 3),
                crate::number::round_sig(100.0 * self.slo.quantile),
                crate::number::round_sig(rate)
            )
        })
    }

    fn option(
        &self,
        pattern: &str,
        balancer: Option<BalancerKind>,
        rate: f64,
        headroom: &[f64],
    ) -> Result<Choice, PlanError> {
        let coordinators = self
            .scenario(pattern, balancer, rate, 4, 1)
            .map_or(0, |s| s.per_pattern[0].coordinators);
        let mut option = Choice {
            pattern: pattern.to_string(),
            balancer: balancer.map_or_else(String::new, |b| b.id().to_string()),
            agents: None,
            coordinators,
            at: None,
            below: None,
            below_reason: String::new(),
            headroom: Vec::new(),
            infeasible: None,
            settings: Vec::new(),
            probes: Vec::new(),
        };
        if let Some(why) = self.floor(pattern).or_else(|| self.quota(pattern, rate)) {
            option.infeasible = Some(why);
            option.headroom = headroom
                .iter()
                .map(|&f| Sized {
                    factor: f,
                    rate: rate * f,
                    agents: None,
                })
                .collect();
            option.balancer = self.balancer_name(pattern, balancer, rate, 4);
            return Ok(option);
        }
        let found = self.smallest(pattern, balancer, rate, 1)?;
        option.agents = found.agents;
        option.infeasible = found.infeasible;
        if let Some(n) = found.agents {
            option.at = found.probes.get(&n).cloned();
            option.below = found.probes.get(&(n - 1)).cloned();
            if option.below.is_none() && n > 1 {
                option.below_reason = match self.scenario(pattern, balancer, rate, n - 1, 1) {
                    Ok(_) => format!("{} cannot keep up with the traffic", plural(n - 1)),
                    Err(e) => format!("{} cannot be run: {e}", plural(n - 1)),
                };
            }
            let (_, settings) = self.input(pattern, balancer, rate, n, 1, self.budget)?;
            option.settings = settings;
        }
        option.balancer = self.balancer_name(pattern, balancer, rate, found.agents.unwrap_or(4));
        option.probes = found.probes.into_values().collect();
        let mut from = found.agents.unwrap_or(self.max_agents);
        for &factor in headroom {
            let agents = match found.agents {
                Some(_) if from <= self.max_agents => {
                    let f = self.smallest(pattern, balancer, rate * factor, from)?;
                    if let Some(n) = f.agents {
                        from = n;
                    }
                    f.agents
                }
                _ => None,
            };
            option.headroom.push(Sized {
                factor,
                rate: rate * factor,
                agents,
            });
        }
        Ok(option)
    }

    /// The balancer simulated: the one asked for, or the one fitted at `agents`.
    fn balancer_name(
        &self,
        pattern: &str,
        balancer: Option<BalancerKind>,
        rate: f64,
        agents: u32,
    ) -> String {
        self.scenario(pattern, balancer, rate, agents, 1)
            .map_or_else(|_| "-".to_string(), |s| s.balancers[0].id().to_string())
    }
}

fn percent(e: Estimate) -> String {
    if e.ci95.is_finite() {
        format!("{:.2}% ± {:.2}", 100.0 * e.mean, 100.0 * e.ci95)
    } else {
        format!("{:.2}%", 100.0 * e.mean)
    }
}

fn standing_text(s: Standing) -> &'static str {
    match s {
        Standing::Judged => "judged",
        Standing::Censored => "its p99 falls among failed requests",
        Standing::Failing => "too few requests answered in full",
        Standing::Overloaded => "a station at or above capacity",
        Standing::FellBehind => "fell behind its arrivals",
        Standing::Collapsed => "collapsed",
    }
}

/// The sentences under the plan: the choice, and why each other option lost.
fn findings(options: &[Choice], chosen: Option<usize>, search: &Search) -> Vec<String> {
    let mut out = Vec::new();
    let target = format!(
        "{}% within {} s",
        crate::number::round_sig(100.0 * search.slo.quantile),
        crate::number::round_sig(search.slo.deadline)
    );
    match chosen.and_then(|i| options.get(i)) {
        Some(best) => {
            let n = best.agents.expect("a chosen option is feasible");
            let at = best.at.as_ref().expect("a feasible option has its probe");
            let mut line = format!(
                "Plan: {n} agents{} in {} under {} meet {target} with 95% confidence ({}",
                if best.coordinators > 0 {
                    format!(" ({} coordinating)", best.coordinators)
                } else {
                    String::new()
                },
                crate::names::short_name(&best.pattern),
                best.balancer,
                percent(at.attainment)
            );
            if let Some(c) = at.cost_per_good_request {
                line.push_str(&format!(", ${} per request within it", dollars(c)));
            }
            match &best.below {
                Some(b) => line.push_str(&format!(
                    "; {} agents reach {}, not shown to meet it).",
                    b.agents,
                    percent(b.attainment)
                )),
                None => line.push_str(&format!("; {}).", best.below_reason)),
            }
            out.push(line);
            if best.pattern.starts_with("scatter_gather")
                && search.workload.shard_work != Some(crate::sim::scenario::ShardWork::Full)
            {
                out.push(
                    "scatter_gather's plan assumes each request's work splits into independent shards (--shard-work split, the default); if yours does not, plan again with --shard-work full."
                        .into(),
                );
            }
            for o in options
                .iter()
                .filter(|o| o.pattern != best.pattern || o.balancer != best.balancer)
            {
                let name = format!("{} ({})", crate::names::short_name(&o.pattern), o.balancer);
                let cost =
                    o.at.as_ref()
                        .and_then(|p| p.cost_per_good_request)
                        .map(|c| format!(" at ${} per request within the objective", dollars(c)));
                match (o.agents, &o.infeasible) {
                    (Some(m), _) if cost.is_some() => out.push(format!(
                        "{name} needs {m} agents{}.",
                        cost.unwrap_or_default()
                    )),
                    (Some(m), _) if m > n => out.push(format!("{name} needs {m} agents.")),
                    (Some(m), _) if m == n => out.push(format!(
                        "{name} also needs {m}{}.",
                        if o.coordinators > best.coordinators {
                            ", and spends more of them on coordination"
                        } else if o
                            .headroom
                            .iter()
                            .zip(&best.headroom)
                            .any(|(x, y)| x.agents != y.agents)
                        {
                            ", and needs more under headroom"
                        } else {
                            ": a tie, listed after it"
                        }
                    )),
                    (Some(_), _) => {}
                    (None, Some(why)) => out.push(format!("{name}: {why}.")),
                    (None, None) => {}
                }
            }
        }
        None => {
            out.push(format!(
                "No pattern meets {target} with up to {} agents.",
                search.max_agents
            ));
            for o in options {
                if let Some(why) = &o.infeasible {
                    out.push(format!(
                        "{} ({}): {why}.",
                        crate::names::short_name(&o.pattern),
                        o.balancer
                    ));
                }
            }
        }
    }
    out
}

/// Dollars with the interval, to the digits the mean shows.
fn dollars(e: Estimate) -> String {
    let d = crate::number::decimals(e.mean) + 1;
    if e.ci95.is_finite() {
        format!("{:.d$} ± {:.d$}", e.mean, e.ci95)
    } else {
        format!("{:.d$}", e.mean)
    }
}

/// "1 agent", "12 agents".
fn plural(n: u32) -> String {
    if n == 1 {
        "1 agent".to_string()
    } else {
        format!("{n} agents")
    }
}

/// The Wilson score lower 95% bound of a proportion `p` observed over `n` trials: a floor
/// under the replications' interval, which is zero-width when every replication is perfect.
fn wilson_low(p: f64, n: f64) -> f64 {
    if !(p.is_finite() && n > 0.0) {
        return f64::NAN;
    }
    let z = 1.96_f64;
    let z2 = z * z;
    (p + z2 / (2.0 * n) - z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / (1.0 + z2 / n)
}

#[cfg(test)]
mod tests {
    use super::wilson_low;

    #[test]
    fn a_perfect_record_still_has_a_lower_bound() {
        // 90,000 requests without a miss show about 99.996%, not 100%.
        let low = wilson_low(1.0, 90_000.0);
        assert!(low < 0.99996 && low > 0.9999, "{low}");
        assert!((wilson_low(0.5, 1e12) - 0.5).abs() < 1e-5);
    }
}
