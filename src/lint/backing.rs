//! `lint --simulate`: each finding that flags can fix is backed by a short paired
//! simulation of the configuration as given and with the fix, on the same requests.

use serde::Serialize;

use crate::names::short_name;
use crate::sim::judgement::{self, Measure, Standing};
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
    /// Whether each run's numbers stand on their own: a run that collapsed, fell behind or
    /// overloads a station measures something that depends on its length.
    pub as_given_standing: Standing,
    pub with_fix_standing: Standing,
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
    // Judged as results are (collapse, overload, falling behind), on attainment, which
    // counts failures as misses and is never censored.
    let run = |input: ScenarioInput| -> Result<(sim::RunResult, Standing), SimError> {
        let s = Scenario::build(input, defaults)?;
        let r = sim::simulate(&s, progress)?.results.remove(0);
        let standing = judgement::standing(&r, &s, Measure::Attainment);
        Ok((r, standing))
    };
    let metric = if scenario.slo.is_some() {
        Metric::Attainment
    } else {
        Metric::Goodput
    };
    let ((a, as_given_standing), (b, with_fix_standing)) = (run(given)?, run(fixed)?);
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
        as_given_standing,
        with_fix_standing,
        replications: a.replications.len() as u32,
    })
}
