//! The discrete-event simulator: one synthetic workload replayed under each pattern and
//! balancer, replications in parallel, results as means with 95% confidence intervals.
//!
//! `docs/model.md` describes every model as simulated; `tests/validation.rs` holds it to
//! queueing theory.

pub mod balancer;
pub mod calibration;
pub mod distribution;
mod engine;
pub mod estimate;
mod events;
pub mod faults;
pub mod judgement;
pub mod llm;
pub mod metric;
pub mod model;
mod pattern;
pub mod recorder;
pub mod resilience;
pub mod result;
pub mod rounds;
pub mod scenario;
pub mod stream;
pub mod workload;

use rayon::prelude::*;

pub use balancer::BalancerKind;
pub use engine::Replication;
pub use estimate::Estimate;
pub use metric::{Metric, TaskCounts};
pub use model::Model;
pub use pattern::scatter_gather::water_level as scatter_water_level;
pub use result::{Collapse, Metrics, Offered, RunResult, Shortfall, Stalled, TimelinePoint};
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

#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub scenario: Scenario,
    pub results: Vec<RunResult>,
}

impl Simulation {
    pub fn events(&self) -> u64 {
        self.results.iter().map(|r| r.events).sum()
    }

    /// Warnings about the runs themselves, one line per pattern and kind: results that
    /// collapsed, and results that fell behind (the scenario's own warnings are separate).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for pattern in &self.scenario.patterns {
            let of_pattern = || self.results.iter().filter(move |r| &r.pattern == pattern);
            let collapsed: Vec<String> = of_pattern()
                .filter_map(|r| {
                    r.collapse.map(|c| {
                        format!(
                            "{} (at t = {} s in {} of {} replications)",
                            r.balancer,
                            crate::number::number(c.at, 0),
                            c.replications,
                            c.of
                        )
                    })
                })
                .collect();
            for r in of_pattern() {
                if let Some(stall) = r.stalled {
                    out.push(r.stall_warning(stall));
                }
            }
            if !collapsed.is_empty() {
                out.push(format!(
                    "{pattern} collapsed under {}: its goodput fell below its arrivals and stayed there, so its latencies are only lower bounds that grow with the run",
                    collapsed.join(", ")
                ));
            }
            let behind: Vec<String> = of_pattern()
                .filter(|r| {
                    r.collapse.is_none()
                        && r.shortfall(&self.scenario) == Some(Shortfall::QueuesGrew)
                })
                .map(|r| {
                    format!(
                        "{} ({} of {}/s answered)",
                        r.balancer,
                        crate::number::number(r.metrics.get(Metric::Goodput).mean, 3),
                        crate::number::number(r.metrics.get(Metric::ArrivalRate).mean, 3)
                    )
                })
                .collect();
            if !behind.is_empty() {
                out.push(format!(
                    "{pattern} did not keep up with its arrivals under {}: queues grew during the run, so its latencies depend on the run's length",
                    behind.join(", ")
                ));
            }
            let failing: Vec<String> = of_pattern()
                .filter(|r| {
                    r.collapse.is_none() && r.shortfall(&self.scenario) == Some(Shortfall::Failed)
                })
                .map(|r| {
                    format!(
                        "{} ({:.1}%)",
                        r.balancer,
                        100.0 * r.metrics.get(Metric::SuccessRate).mean
                    )
                })
                .collect();
            if !failing.is_empty() {
                out.push(format!(
                    "{pattern} answered in full only part of its requests under {}: the others failed or were answered in part",
                    failing.join(", ")
                ));
            }
        }
        out
    }
}

/// Runs one replication of one pattern under one balancer.
pub fn replicate(
    scenario: &Scenario,
    pattern: usize,
    balancer: BalancerKind,
    replication: u32,
) -> Result<Replication, SimError> {
    replicate_counting(scenario, pattern, balancer, replication, &|_| ())
}

/// [`replicate`], telling `requests_ended` how many requests have ended as it goes.
fn replicate_counting(
    scenario: &Scenario,
    pattern: usize,
    balancer: BalancerKind,
    replication: u32,
    requests_ended: &dyn Fn(u64),
) -> Result<Replication, SimError> {
    let params = &scenario.per_pattern[pattern];
    params.model.visit(Run {
        scenario,
        params,
        balancer,
        replication,
        requests_ended,
    })
}

/// Runs one replication with the pattern's type.
struct Run<'a> {
    scenario: &'a Scenario,
    params: &'a scenario::PatternParams,
    balancer: BalancerKind,
    replication: u32,
    requests_ended: &'a dyn Fn(u64),
}

impl pattern::Visit for Run<'_> {
    type Output = Result<Replication, SimError>;
    fn visit<P: engine::Pattern>(self) -> Self::Output {
        let agents: Vec<u32> = (0..self.params.workers).collect();
        engine::Engine::<P>::new(
            self.scenario,
            self.params,
            self.balancer,
            self.replication,
            &agents,
        )
        .run(self.requests_ended)
    }
}

/// Runs every pattern under every balancer, `replications` times each, in parallel.
/// `progress` is called once per finished replication. Results come in the scenario's
/// order, identical whatever the number of threads.
pub fn simulate(scenario: &Scenario, progress: &(dyn Fn() + Sync)) -> Result<Simulation, SimError> {
    simulate_counting(scenario, progress, &|_| ())
}

/// [`simulate`], also telling `requests_ended` how many requests have ended, in blocks, so
/// a long single replication can show progress too.
pub fn simulate_counting(
    scenario: &Scenario,
    progress: &(dyn Fn() + Sync),
    requests_ended: &(dyn Fn(u64) + Sync),
) -> Result<Simulation, SimError> {
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
            let result = replicate_counting(scenario, p, b, r, requests_ended);
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
            RunResult::of(scenario, &scenario.per_pattern[p], b, reps)
        })
        .collect();
    Ok(Simulation {
        scenario: scenario.clone(),
        results,
    })
}
