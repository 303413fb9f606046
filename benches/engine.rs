//! Engine speed: one replication on one core, in events per second and tasks per second
//! (subtasks for scatter-gather). `cargo bench` runs them; docs/performance.md has results.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};

use jaegis::catalog::Catalog;
use jaegis::sim::{self, Scenario, ScenarioInput};

/// Tasks per replication: long enough that setup is noise, short enough to sample often.
const TASKS: u64 = 200_000;

/// The benchmarked scenarios: name, TOML, how many units of work one task is, and tasks per
/// replication (large fleets need more to reach their steady state). Masters are given the
/// rate that puts their workers at the load in the name.
const SCENARIOS: &[(&str, &str, u64, u64)] = &[
    (
        "mm1",
        "pattern = 'master_slave'\nagents = 2\nrate = 0.9\ndispatch_overhead = 0\nbalancer = 'round_robin'",
        1,
        TASKS,
    ),
    (
        "lc8_load0.9",
        "pattern = 'master_slave'\nagents = 9\nrate = 7.2\ndispatch_overhead = 0\nbalancer = 'least_connections'",
        1,
        TASKS,
    ),
    (
        "lc8_load0.9_llm_provider_priced",
        "pattern = 'master_slave'\nagents = 9\nrate = 7.2\ndispatch_overhead = 0\nbalancer = 'least_connections'\ntokens_in = 'det:500'\ntokens_out = 'exp:16'\nllm_latency = 'ttft=0.5,in=0.0002,out=0.025'\nprovider = 'rpm=1000000,tpm=1000000000'\nprice = 'in=3,out=15'",
        1,
        TASKS,
    ),
    (
        "lc8_load0.9_llm_rounds_concurrency",
        "pattern = 'master_slave'\nagents = 9\nrate = 3.6\ndispatch_overhead = 0\nbalancer = 'least_connections'\ntokens_in = 'det:500'\ntokens_out = 'exp:16'\nllm_latency = 'ttft=0.5,in=0.0002,out=0.025'\nprovider = 'rpm=1000000,tpm=1000000000,concurrency=64'\nprice = 'in=3,out=15'\nrounds = 'geometric:2'\nmax_rounds = 25",
        1,
        TASKS,
    ),
    (
        "p2c100_load0.95",
        "pattern = 'master_slave'\nagents = 101\nrate = 95\ndispatch_overhead = 0\nbalancer = 'power_of_two'",
        1,
        TASKS,
    ),
    (
        "scatter_fanout10",
        "pattern = 'scatter_gather'\nagents = 20\nfan_out = 10\nshard_work = 'split'\nload = 0.8\nbalancer = 'least_connections'",
        10,
        TASKS,
    ),
    (
        "pipeline4_buffer10",
        "pattern = 'pipeline'\nagents = 8\nstages = 4\nbuffer = 10\nload = 0.8\nbalancer = 'least_connections'",
        1,
        TASKS,
    ),
    (
        "master_faults_retries_breakers",
        "pattern = 'master_slave'\nagents = 9\nrate = 5.6\nbalancer = 'least_connections'\nmtbf = 600\nmttr = 30\nretry = 'exponential'\ncircuit_breaker = 'consecutive'",
        1,
        TASKS,
    ),
    (
        "lc1000_load0.8",
        "pattern = 'master_slave'\nagents = 1001\nrate = 800\ndispatch_overhead = 0\nbalancer = 'least_connections'",
        1,
        1_000_000,
    ),
    (
        "rr100000_load0.8",
        "pattern = 'master_slave'\nagents = 100001\nrate = 80000\ndispatch_overhead = 0\nbalancer = 'round_robin'",
        1,
        2_000_000,
    ),
    (
        "lc100000_load0.8",
        "pattern = 'master_slave'\nagents = 100001\nrate = 80000\ndispatch_overhead = 0\nbalancer = 'least_connections'",
        1,
        2_000_000,
    ),
    (
        "capability100000_load0.8",
        "pattern = 'master_slave'\nagents = 100001\nrate = 80000\ndispatch_overhead = 0\nbalancer = 'capability_based'\nkinds = 'gpu:1,cpu:3'\ncapabilities = 'gpu+cpu,cpu'",
        1,
        2_000_000,
    ),
    (
        "predictive100000_load0.8",
        "pattern = 'master_slave'\nagents = 100001\nrate = 80000\ndispatch_overhead = 0\nbalancer = 'predictive'",
        1,
        2_000_000,
    ),
];

fn scenario(toml: &str, tasks: u64) -> Scenario {
    let mut input = ScenarioInput::from_toml(toml, "bench").expect("bench scenarios parse");
    input.tasks = Some(tasks);
    input.replications = Some(1);
    Scenario::build(input, &Catalog::embedded().simulation_defaults())
        .expect("bench scenarios are valid")
}

fn run(scenario: &Scenario) -> u64 {
    let rep = sim::replicate(scenario, 0, scenario.balancers[0], 0).expect("the run succeeds");
    rep.events
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

fn events_per_second(c: &mut Criterion) {
    let mut group = c.benchmark_group("events");
    configure(&mut group);
    for (name, toml, _, tasks) in SCENARIOS {
        let scenario = scenario(toml, *tasks);
        // The run is deterministic: its event count is known before timing it.
        group.throughput(Throughput::Elements(run(&scenario)));
        group.bench_function(*name, |b| b.iter(|| black_box(run(black_box(&scenario)))));
    }
    group.finish();
}

fn tasks_per_second(c: &mut Criterion) {
    let mut group = c.benchmark_group("tasks");
    configure(&mut group);
    for (name, toml, units, tasks) in SCENARIOS {
        let scenario = scenario(toml, *tasks);
        group.throughput(Throughput::Elements(tasks * units));
        group.bench_function(*name, |b| b.iter(|| black_box(run(black_box(&scenario)))));
    }
    group.finish();
}

criterion_group!(benches, events_per_second, tasks_per_second);
criterion_main!(benches);
