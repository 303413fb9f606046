use anyhow::Result;

use jaegis::catalog::Catalog;
use jaegis::plan::{self, PlanError, Request};
use jaegis::report::{self, Format};
use jaegis::sim::Scenario;
use jaegis::sim::scenario::Names;

use super::progress::Progress;
use super::{Output, Usage, check_chart_path, lint, write_chart};
use crate::cli::PlanArgs;

pub fn run(catalog: &Catalog, args: PlanArgs, output: &Output) -> Result<()> {
    if let Some(path) = &args.plot {
        check_chart_path(path)?;
    }
    if args.input.agents.is_some() {
        return Err(Usage(PlanError::Agents.to_string()).into());
    }
    let mut workload = args.file.with(args.input)?;
    // A scenario file written for simulate names its fleet: the plan chooses it.
    if let Some(n) = workload.agents.take() {
        eprintln!("note: the scenario file's agents = {n} is not used: plan chooses the fleet");
    }
    workload
        .pattern
        .get_or_insert_with(|| Names(vec!["all".into()]));
    // Checked as far as the fleet does not matter: plan chooses the fleet. A workload that
    // does not build without it is plan's to refuse, with its own message.
    if let Ok(scenario) = Scenario::build(workload.clone(), &catalog.simulation_defaults()) {
        lint::warn(&scenario, &workload, false);
    }
    let request = Request {
        workload,
        max_agents: args.max_agents.unwrap_or(plan::MAX_AGENTS),
        headroom: args.headroom.map(|h| h.0).unwrap_or_default(),
    };
    let progress = Progress::open("simulations");
    let planned = plan::plan(catalog, &request, &|| progress.tick());
    progress.finish();
    let planned = match planned {
        Err(PlanError::Sim(e)) => return Err(e.into()),
        Err(e) => return Err(Usage(e.to_string()).into()),
        Ok(p) => p,
    };
    for choice in &planned.choices {
        for warning in choice.at.iter().flat_map(|p| &p.warnings) {
            eprintln!(
                "warning: at {} agents: {warning}",
                choice.agents.unwrap_or(0)
            );
        }
    }
    output.emit(&report::plan(&planned), Format::Table)?;
    match &args.plot {
        Some(path) => write_chart(path, report::plot::plan(&planned)),
        None => Ok(()),
    }
}
