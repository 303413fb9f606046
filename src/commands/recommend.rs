use anyhow::Result;

use jaegis::advisor::{self, Request, Trait};
use jaegis::catalog::Catalog;
use jaegis::report::{self, Format};

use super::Output;
use crate::cli::RecommendArgs;

pub fn request(args: &RecommendArgs) -> Request {
    let flags = [
        (args.heterogeneous_agents, Trait::HeterogeneousAgents),
        (args.variable_task_duration, Trait::VariableTaskDuration),
        (args.specialized_agents, Trait::SpecializedAgents),
        (args.sequential_stages, Trait::SequentialStages),
        (args.needs_consensus, Trait::NeedsConsensus),
    ];
    Request {
        agents: args.agents,
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

pub fn run(catalog: &Catalog, args: &RecommendArgs, output: &Output) -> Result<()> {
    let recommendation = advisor::recommend(catalog, &request(args))?;
    let top = args.top.unwrap_or(recommendation.ranking.len());
    output.emit(
        &report::recommendation(&recommendation, top, args.explain),
        Format::Table,
    )
}
