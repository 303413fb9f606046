//! Seconds to answer a plan: the whole search (analytic bracket, galloping, bisection,
//! replications added where the answer is close) for the four patterns with their fitted
//! balancers. `cargo bench --bench plan`; docs/performance.md has results.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use jaegis::catalog::Catalog;
use jaegis::plan::{self, Request};
use jaegis::sim::ScenarioInput;

/// A microservice (50 ms of work, 200 requests/s, 250 ms for 99%) and an LLM fleet (20 s
/// calls, 2 requests/s, 90 s for 95%).
const PLANS: &[(&str, &str)] = &[
    (
        "microservice",
        "pattern = 'all'\nrate = 200\nservice = 'exp:0.05'\nslo = '0.25s@99%'",
    ),
    (
        "llm_fleet",
        "pattern = 'all'\nrate = 2\nservice = 'lognormal:20:1'\nslo = '90s@95%'",
    ),
];

fn plans(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let mut group = c.benchmark_group("plan");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for (name, toml) in PLANS {
        let request = Request {
            workload: ScenarioInput::from_toml(toml, "bench").expect("bench plans parse"),
            max_agents: plan::MAX_AGENTS,
            headroom: Vec::new(),
        };
        group.bench_function(*name, |b| {
            b.iter(|| black_box(plan::plan(&catalog, &request, &|| ()).expect("plans")))
        });
    }
    group.finish();
}

criterion_group!(benches, plans);
criterion_main!(benches);
