use std::time::Instant;

use anyhow::Result;

use jaegis::catalog::Catalog;
use jaegis::report::{self, Format};
use jaegis::sim::{self, Scenario};

use super::progress::Progress;
use super::{Output, Usage, check_chart_path, lint, stats, write_chart};
use crate::cli::SimulateArgs;

pub fn run(catalog: &Catalog, args: SimulateArgs, output: &Output) -> Result<()> {
    let (show_stats, calibrate) = (args.stats, args.calibrate);
    let plot = args.plot.clone();
    if let Some(path) = &plot {
        check_chart_path(path)?;
    }
    let input = args.file.with(args.input)?;
    let scenario = Scenario::build(input.clone(), &catalog.simulation_defaults())?;
    for warning in scenario.warnings() {
        eprintln!("warning: {warning}");
    }
    lint::warn(&scenario, &input, true);
    if calibrate {
        sim::calibration::check(&scenario).map_err(Usage)?;
    }
    // Counted in requests, so that one long replication moves the bar too; with --duration
    // the total is the expected count.
    let runs = (scenario.per_pattern.len() * scenario.balancers.len()) as u64;
    let per_replication = scenario
        .tasks
        .unwrap_or_else(|| (scenario.rate * scenario.duration.unwrap_or(0.0)) as u64);
    let progress = Progress::new(
        runs * u64::from(scenario.replications) * per_replication,
        "requests",
    );
    let start = Instant::now();
    let simulation = sim::simulate_counting(&scenario, &|| (), &|n| progress.advance(n));
    progress.finish();
    let simulation = simulation?;
    if show_stats {
        eprintln!("{}", stats::line(simulation.events(), start.elapsed()));
    }
    for warning in simulation.warnings() {
        eprintln!("warning: {warning}");
    }
    if calibrate {
        let calibration = sim::calibration::calibrate(&simulation).map_err(Usage)?;
        output.emit(
            &report::calibration(&calibration, &simulation.scenario),
            Format::Table,
        )?;
    } else {
        output.emit(&report::simulation(&simulation), Format::Table)?;
    }
    match &plot {
        Some(path) => write_chart(path, report::plot::simulation(&simulation)),
        None => Ok(()),
    }
}
