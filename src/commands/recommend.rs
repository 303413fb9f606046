use anyhow::Result;

use jaegis::advisor::evidence::{self, Evidence};
use jaegis::advisor::{self, Recommendation, Request, Trait, fit};
use jaegis::catalog::Catalog;
use jaegis::report::{self, Format};
use jaegis::sim::scenario::Names;
use jaegis::sim::{Scenario, ScenarioInput};

use super::progress::Progress;
use super::{Output, Usage, lint};
use crate::cli::{EvidenceArgs, RecommendArgs};

/// Candidates simulated by default: enough to contest the winner, few enough to be quick.
const CANDIDATES: usize = 3;

pub fn request(args: &RecommendArgs, agents: u32) -> Request {
    let flags = [
        (args.heterogeneous_agents, Trait::HeterogeneousAgents),
        (args.variable_task_duration, Trait::VariableTaskDuration),
        (args.specialized_agents, Trait::SpecializedAgents),
        (args.sequential_stages, Trait::SequentialStages),
        (args.needs_consensus, Trait::NeedsConsensus),
    ];
    Request {
        agents,
        fault_tolerance: args.fault_tolerance,
        latency: args.latency,
        throughput: args.throughput,
        max_complexity: args.max_complexity,
        traits: flags
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, t)| *t)
            .collect(),
    }
}

/// The workload: the scenario file with the flags over it.
fn workload(args: &RecommendArgs) -> Result<ScenarioInput> {
    let given = args.workload.given();
    if let Some(flag) = given.iter().find(|k| matches!(**k, "pattern" | "balancer")) {
        return Err(Usage(format!(
            "recommend chooses the patterns and balancers itself, so --{} does not apply; to compare given ones, use simulate",
            flag.replace('_', "-")
        ))
        .into());
    }
    let file = jaegis::sim::ScenarioInput::read(args.evidence.file.scenario.as_deref())?;
    if file.pattern.is_some() || file.balancer.is_some() {
        eprintln!(
            "note: the scenario file's pattern and balancer are not used: recommend chooses them"
        );
    }
    Ok(args.evidence.file.with(args.workload.clone())?)
}

/// Whether anything beyond the number of agents describes the workload.
fn describes_work(workload: &ScenarioInput) -> bool {
    workload.given().iter().any(|k| *k != "agents")
}

/// Simulates the top candidates on the workload.
fn evidence(
    catalog: &Catalog,
    rec: &Recommendation,
    args: &EvidenceArgs,
    workload: &ScenarioInput,
) -> Result<Evidence> {
    let eligible = rec.ranking.iter().filter(|r| r.eligible).count();
    if eligible == 0 {
        return Err(Usage(
            "--simulate: no pattern meets --max-complexity, so there is no candidate to simulate"
                .into(),
        )
        .into());
    }
    let count = args.candidates.unwrap_or(CANDIDATES).min(eligible);
    let progress = Progress::new(
        evidence::round_replications(workload, count),
        "replications",
    );
    let gathered = evidence::gather(catalog, rec, workload, args.budget, count, &|| {
        progress.tick()
    });
    progress.finish();
    Ok(gathered?)
}

pub fn run(catalog: &Catalog, args: &RecommendArgs, output: &Output) -> Result<()> {
    let workload = workload(args)?;
    let agents = workload
        .agents
        .ok_or_else(|| Usage("recommend needs the number of agents: give --agents N".into()))?;
    let recommendation = advisor::recommend(catalog, &request(args, agents))?;
    let top = args.top.unwrap_or(recommendation.ranking.len());
    let evidence = if args.evidence.simulate {
        Some(evidence(
            catalog,
            &recommendation,
            &args.evidence,
            &workload,
        )?)
    } else {
        None
    };
    let defaults = catalog.simulation_defaults();
    let fitted = if describes_work(&workload) {
        Some(fit::fit(
            &workload,
            &recommendation.request,
            &recommendation.advice,
            &defaults,
        )?)
    } else {
        None
    };
    // What the advice would run: the workload with the advised pattern and settings.
    if let Some(f) = &fitted {
        let advised = workload
            .clone()
            .overlaid(f.input.clone())
            .overlaid(ScenarioInput {
                pattern: Some(Names(vec![f.pattern.clone()])),
                ..ScenarioInput::default()
            });
        if let Ok(scenario) = Scenario::build(advised.clone(), &defaults) {
            lint::warn(&scenario, &advised, true);
        }
    }
    let fit = fitted.filter(|_| evidence.is_none());
    let warnings = evidence
        .iter()
        .flat_map(|e| &e.candidates)
        .flat_map(|c| &c.warnings)
        .chain(fit.iter().flat_map(|f| &f.warnings));
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    output.emit(
        &report::recommendation(
            &recommendation,
            top,
            args.explain,
            evidence.as_ref(),
            fit.as_ref(),
        ),
        Format::Table,
    )
}
