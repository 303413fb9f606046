use std::time::Instant;

use anyhow::Result;

use jaegis::catalog::Catalog;
use jaegis::report::{self, Format};
use jaegis::sim::{self, Scenario, ScenarioInput};

use super::progress::Progress;
use super::{Output, check_chart_path, stats, write_chart};
use crate::cli::SimulateArgs;

/// The flags as a scenario input, to lay over the scenario file.
pub fn input(args: SimulateArgs) -> ScenarioInput {
    ScenarioInput {
        pattern: args.pattern,
        balancer: args.balancer,
        agents: args.agents,
        load: args.load,
        arrival_rate: args.arrival_rate,
        arrivals: args.arrivals,
        service: args.service,
        speeds: args.speeds,
        kinds: args.kinds,
        capabilities: args.capabilities,
        mismatch_penalty: args.mismatch_penalty,
        tasks: args.tasks,
        duration: args.duration,
        warmup: args.warmup,
        replications: args.replications,
        seed: args.seed,
        dispatch_overhead: args.dispatch_overhead,
        queue: args.queue,
        heartbeat: args.heartbeat,
        consensus_fraction: args.consensus_fraction,
        hop_latency: args.hop_latency,
        stages: args.stages,
        stage_work: args.stage_work,
        buffer: args.buffer,
        fan_out: args.fan_out,
        split: args.split.then_some(true),
        gather_timeout: args.gather_timeout,
        mtbf: args.mtbf,
        mttr: args.mttr,
        outage: (!args.outage.is_empty()).then_some(args.outage),
        missed_heartbeats: args.missed_heartbeats,
        timeout: args.timeout,
        retry: args.retry,
        jitter: args.jitter,
        retry_budget: args.retry_budget,
        circuit_breaker: args.circuit_breaker,
        breaker_failure_rate: args.breaker_failure_rate,
        max_ejection: args.max_ejection,
        drop_expired: args.drop_expired.then_some(true),
        queue_limit: args.queue_limit,
        hedge_after_quantile: args.hedge_after_quantile,
        spike: (!args.spike.is_empty()).then_some(args.spike),
        timeline: args.timeline,
    }
}

/// The scenario file (if any) with the flags over it, validated against the catalog.
pub fn scenario(catalog: &Catalog, args: SimulateArgs) -> Result<Scenario> {
    let file = match &args.scenario {
        Some(path) => ScenarioInput::from_file(path)?,
        None => ScenarioInput::default(),
    };
    let merged = file.overlaid(input(args));
    Ok(Scenario::build(merged, &catalog.simulation_defaults())?)
}

pub fn run(catalog: &Catalog, args: SimulateArgs, output: &Output) -> Result<()> {
    let show_stats = args.stats;
    let plot = args.plot.clone();
    if let Some(path) = &plot {
        check_chart_path(path)?;
    }
    let scenario = scenario(catalog, args)?;
    for warning in scenario.warnings() {
        eprintln!("warning: {warning}");
    }
    let runs = scenario.per_pattern.len() * scenario.balancers.len();
    let progress = Progress::new(
        runs as u64 * u64::from(scenario.replications),
        "replications",
    );
    let start = Instant::now();
    let simulation = sim::simulate(&scenario, &|| progress.tick());
    progress.finish();
    let simulation = simulation?;
    if show_stats {
        eprintln!("{}", stats::line(simulation.events(), start.elapsed()));
    }
    for warning in simulation.warnings() {
        eprintln!("warning: {warning}");
    }
    output.emit(&report::simulation(&simulation), Format::Table)?;
    match &plot {
        Some(path) => write_chart(path, report::plot::simulation(&simulation)),
        None => Ok(()),
    }
}
