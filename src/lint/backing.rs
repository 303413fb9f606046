//! `lint --simulate`: each finding that flags can fix is backed by a short paired
//! simulation of the configuration as given and with the fix, on the same requests.

use serde::Serialize;

use crate::names::short_name;
use crate::sim::scenario::{Defaults, Names};
use crate::sim::{self, Estimate, Metric, Scenario, ScenarioInput, SimError};

use super::Finding;

/// Requests per replication when the configuration names no run length.
pub const TASKS: u64 = 20_000;

/// A finding's configuration simulated as given and with its fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backing {
    pub pattern: String,
    pub balancer: String,
    /// What is compared: attainment of the objective, or goodput without one.
    pub measure: &'static str,
    pub as_given: Estimate,
    pub with_fix: Estimate,
    /// With the fix less as given, paired replication by replication.
    pub difference: Estimate,
    pub replications: u32,
}

/// Backs each finding with a remedy; `None` for those flags cannot fix. `progress` is
/// called once per replication.
pub fn back(
    input: &ScenarioInput,
    scenario: &Scenario,
    findings: &[Finding],
    defaults: &Defaults,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Option<Backing>>, SimError> {
    findings
        .iter()
        .map(|f| match &f.remedy {
            Some(remedy) => backed(input, scenario, f, remedy, defaults, progress).map(Some),
            None => Ok(None),
        })
        .collect()
}

fn backed(
    input: &ScenarioInput,
    scenario: &Scenario,
    finding: &Finding,
    remedy: &ScenarioInput,
    defaults: &Defaults,
    progress: &(dyn Fn() + Sync),
) -> Result<Backing, SimError> {
    let pattern = finding
        .patterns
        .first()
        .cloned()
        .unwrap_or_else(|| short_name(&scenario.per_pattern[0].pattern).to_string());
    let balancer = scenario.balancers[0];
    // One pattern and balancer, at the rate as given: a fix that adds agents must not add
    // traffic with them.
    let mut given = input.clone().overlaid(ScenarioInput {
        pattern: Some(Names(vec![pattern.clone()])),
        balancer: Some(Names(vec![balancer.id().to_string()])),
        rate: Some(scenario.rate),
        ..ScenarioInput::default()
    });
    if given.tasks.is_none() && given.duration.is_none() {
        given.tasks = Some(TASKS);
    }
    let fixed = given.clone().overlaid(remedy.clone());
    let run = |input: ScenarioInput| -> Result<sim::RunResult, SimError> {
        let s = Scenario::build(input, defaults)?;
        Ok(sim::simulate(&s, progress)?.results.remove(0))
    };
    let metric = if scenario.slo.is_some() {
        Metric::Attainment
    } else {
        Metric::Goodput
    };
    let (a, b) = (run(given)?, run(fixed)?);
    let difference = Estimate::of(
        a.replications
            .iter()
            .zip(&b.replications)
            .map(|(x, y)| y.get(metric) - x.get(metric)),
    );
    Ok(Backing {
        pattern,
        balancer: balancer.id().to_string(),
        measure: metric.id(),
        as_given: a.metrics.get(metric),
        with_fix: b.metrics.get(metric),
        difference,
        replications: a.replications.len() as u32,
    })
}
