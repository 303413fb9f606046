//! Every JSON document read into mirror structs that refuse unknown fields, then compared
//! with a stored document for a fixed seed, value by value and key by key: a renamed,
//! dropped or added field, or a changed value, fails here (as casey/just tests its JSON dump).
//!
//! The stored documents are in `tests/fixtures/`. After a deliberate change of output, run
//! `JAEGIS_BLESS=1 cargo test json` to rewrite them, and review the diff.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::stdout;

/// Reads `out` as `T`, and compares it with the fixture `name` read the same way.
fn matches_fixture<T: DeserializeOwned + PartialEq + std::fmt::Debug>(out: &str, name: &str) -> T {
    let doc: T = serde_json::from_str(out)
        .unwrap_or_else(|e| panic!("{name}: the document does not fit its mirror: {e}\n{out}"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.json"));
    if std::env::var_os("JAEGIS_BLESS").is_some() {
        std::fs::write(&path, out).expect("fixture written");
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with JAEGIS_BLESS=1", path.display()));
    let expected: T = serde_json::from_str(&stored).expect("the fixture fits its mirror");
    assert_eq!(doc, expected, "{name} differs from {}", path.display());
    // The mirror reads a missing optional key as null: the raw documents catch a dropped one.
    let (raw, stored): (Value, Value) = (
        serde_json::from_str(out).unwrap(),
        serde_json::from_str(&stored).unwrap(),
    );
    assert_eq!(
        keys(&raw),
        keys(&stored),
        "{name}: the keys differ from {}",
        path.display()
    );
    doc
}

/// Every key path of a document (`results[].metrics.goodput.mean`), array items merged.
fn keys(v: &Value) -> std::collections::BTreeSet<String> {
    fn walk(v: &Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let p = format!("{path}.{k}");
                    out.insert(p.clone());
                    walk(child, &p, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(v, "", &mut out);
    out
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Estimate {
    mean: Option<f64>,
    ci95: Option<f64>,
    censored: Option<bool>,
    at_least: Option<f64>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metrics {
    arrival_rate: Estimate,
    throughput: Estimate,
    goodput: Estimate,
    attainment: Estimate,
    slo_goodput: Estimate,
    latency_mean: Estimate,
    latency_p50: Estimate,
    latency_p90: Estimate,
    latency_p95: Estimate,
    latency_p99: Estimate,
    latency_p999: Estimate,
    latency_max: Estimate,
    success_latency_mean: Estimate,
    success_latency_p50: Estimate,
    success_latency_p99: Estimate,
    success_latency_p999: Estimate,
    success_latency_max: Estimate,
    wait_mean: Estimate,
    success_rate: Estimate,
    attempts_per_task: Estimate,
    utilization: Estimate,
    coordinator_utilization: Estimate,
    fairness: Estimate,
    in_system_mean: Estimate,
    wasted_work: Estimate,
    detection_delay: Estimate,
    no_dispatch_time: Estimate,
    rejected: Estimate,
    timed_out: Estimate,
    completeness: Estimate,
    hedge_overhead: Estimate,
    hedge_rate: Estimate,
    throttled: Estimate,
    tokens_per_request: Estimate,
    cost_per_request: Estimate,
    cost_per_good_request: Estimate,
    cost_waste: Estimate,
    throttled_share: Estimate,
    throttled_wait: Estimate,
    rounds: Estimate,
    round_limited: Estimate,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Offered {
    rate: f64,
    load: f64,
    coordination_load: Option<f64>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tasks {
    generated: u64,
    completed: u64,
    failed: u64,
    in_flight: u64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bucket {
    start: f64,
    end: f64,
    throughput: Estimate,
    goodput: Estimate,
    attempts: Estimate,
    queued: Estimate,
    open_breakers: Estimate,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Collapse {
    replications: u32,
    of: u32,
    at: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimResult {
    pattern: String,
    balancer: String,
    offered: Offered,
    metrics: Metrics,
    tasks: Tasks,
    collapse: Option<Collapse>,
    warnings: Vec<String>,
    timeline: Option<Vec<Bucket>>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Phase {
    retries: u32,
    initial: f64,
    multiplier: f64,
    increment: f64,
    max: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Retry {
    kind: String,
    jitter: String,
    phases: Vec<Phase>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Breaker {
    kind: String,
    failure_threshold: u32,
    recovery_timeout: f64,
    half_open_requests: u32,
    success_threshold: u32,
    window: f64,
    failure_rate: f64,
    min_calls: u32,
    max_ejection: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PerPattern {
    pattern: String,
    model: String,
    workers: u32,
    coordinators: u32,
    speeds: Vec<f64>,
    work_per_request: f64,
    load: f64,
    coordination_load: Option<f64>,
    peak_load: f64,
    fan_out: Option<u32>,
    #[serde(default)]
    stage_workers: Vec<u32>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Slo {
    deadline: f64,
    quantile: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    patterns: Vec<String>,
    balancers: Vec<String>,
    agents: u32,
    rate: f64,
    load: Option<f64>,
    arrivals: String,
    service: String,
    speeds: Vec<f64>,
    kinds: Option<String>,
    capabilities: Option<String>,
    mismatch_penalty: f64,
    tasks: Option<u64>,
    duration: Option<f64>,
    warmup: f64,
    replications: u32,
    seed: u64,
    dispatch_overhead: f64,
    master_concurrency: u32,
    merge_work: f64,
    queue: String,
    failure_detection_timeout: f64,
    heartbeat: f64,
    consensus_fraction: f64,
    consensus_work: f64,
    hop_latency: f64,
    leader_election_timeout: f64,
    stages: u32,
    stage_work: Vec<f64>,
    buffer: Value,
    checkpoint_frequency: u64,
    fan_out: Option<u32>,
    shard_work: String,
    gather_timeout: f64,
    failure_threshold: f64,
    accept_partial: bool,
    parts: String,
    slo: Option<Slo>,
    mtbf: Option<f64>,
    mttr: Option<f64>,
    outages: Vec<String>,
    missed_heartbeats: u32,
    timeout: Option<f64>,
    retry: Retry,
    retry_budget: Option<f64>,
    circuit_breaker: Breaker,
    queue_limit: Option<u32>,
    drop_expired: bool,
    hedge_after_quantile: Option<f64>,
    spikes: Vec<String>,
    timeline: Option<f64>,
    per_pattern: Vec<PerPattern>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Simulation {
    schema_version: u32,
    tool_version: String,
    scenario: Scenario,
    results: Vec<SimResult>,
}

#[test]
fn simulate_json_has_every_field_and_the_same_values_for_a_fixed_seed() {
    let out = stdout(&[
        "simulate",
        "--pattern",
        "master_slave,scatter_gather",
        "--balancer",
        "least_connections,random",
        "--agents",
        "4",
        "--tasks",
        "300",
        "--replications",
        "2",
        "--seed",
        "7",
        "--slo",
        "3s@95%",
        "--format",
        "json",
    ]);
    let doc: Simulation = matches_fixture(&out, "simulate");
    assert!(doc.results[0].metrics.attainment.mean.is_some());
    assert_eq!(doc.results.len(), 4);
    let faults = stdout(&[
        "simulate",
        "--pattern",
        "peer_to_peer",
        "--balancer",
        "power_of_two",
        "--agents",
        "5",
        "--tasks",
        "400",
        "--replications",
        "2",
        "--seed",
        "3",
        "--mtbf",
        "100",
        "--mttr",
        "10",
        "--retry",
        "exponential",
        "--retry-budget",
        "0.2",
        "--circuit-breaker",
        "failure-rate",
        "--queue-limit",
        "20",
        "--outage",
        "1@5+5",
        "--spike",
        "10+10:2",
        "--timeline",
        "20",
        "--kinds",
        "a:1,b:2",
        "--capabilities",
        "a+b,b",
        "--format",
        "json",
    ]);
    let doc: Simulation = matches_fixture(&faults, "simulate-faults");
    assert!(doc.results[0].timeline.is_some());
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepId {
    command: String,
    points: u64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepLine {
    schema_version: u32,
    tool_version: String,
    sweep: SweepId,
    point: u64,
    parameters: BTreeMap<String, Value>,
    result: SimResult,
}

#[test]
fn sweep_lines_have_every_field_and_the_same_values_for_a_fixed_seed() {
    let out = stdout(&[
        "sweep",
        "--pattern",
        "pipeline",
        "--balancer",
        "round_robin",
        "--load",
        "0.5,1.2",
        "--tasks",
        "300",
        "--replications",
        "2",
        "--format",
        "jsonl",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    let as_array = format!("[{}]", lines.join(","));
    let doc: Vec<SweepLine> = matches_fixture(&as_array, "sweep");
    assert!(
        !doc[1].result.warnings.is_empty(),
        "the overloaded point warns"
    );
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    agents: u32,
    fault_tolerance: Option<String>,
    latency: Option<String>,
    throughput: Option<String>,
    max_complexity: Option<String>,
    traits: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Criterion {
    criterion: String,
    weight: f64,
    score: f64,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ranked {
    rank: usize,
    pattern: String,
    name: String,
    score: f64,
    eligible: bool,
    fits_structure: bool,
    agent_distance: u32,
    criteria: Vec<Criterion>,
    shortfalls: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct BalancerAdvice {
    balancer: String,
    reason: String,
    pattern_default: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryAdvice {
    policy: String,
    max_retries: u32,
    initial_delay_s: f64,
    max_delay_s: f64,
    jitter: bool,
    settings: String,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakerAdvice {
    failure_threshold: u64,
    recovery_timeout_s: f64,
    half_open_requests: u32,
    success_threshold: u64,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeartbeatAdvice {
    interval_s: f64,
    timeout_s: f64,
    missed_heartbeats: u64,
    detection_s: f64,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachingAdvice {
    strategy: String,
    gain: String,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advice {
    pattern: String,
    balancer: BalancerAdvice,
    retry: RetryAdvice,
    circuit_breaker: BreakerAdvice,
    heartbeat: HeartbeatAdvice,
    caching: Vec<CachingAdvice>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    setting: String,
    advised: String,
    catalog: String,
    source: String,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fit {
    pattern: String,
    balancer: String,
    settings: Vec<Setting>,
    warnings: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Candidate {
    pattern: String,
    catalog_rank: usize,
    catalog_score: f64,
    evidence_rank: usize,
    balancer: String,
    fits_structure: bool,
    coordinators: u32,
    standing: Option<String>,
    feasible: bool,
    settings: Vec<Setting>,
    warnings: Vec<String>,
    not_simulated: Option<String>,
    result: Option<SimResult>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    winner: String,
    runner_up: String,
    decided_by: String,
    wins: u32,
    ties: u32,
    replications: u32,
    clear: bool,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Evidence {
    budget: BTreeMap<String, f64>,
    replications: u32,
    measure: String,
    candidates: Vec<Candidate>,
    unsettled: Option<Vec<String>>,
    decision: Option<Decision>,
    agrees_with_catalog: bool,
    findings: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recommendation {
    schema_version: u32,
    tool_version: String,
    request: Request,
    ranking: Vec<Ranked>,
    notes: Vec<String>,
    advice: Advice,
    fit: Option<Fit>,
    not_checked: Option<Vec<String>>,
    evidence: Option<Evidence>,
}

#[test]
fn recommend_json_has_every_field_and_the_same_values() {
    let out = stdout(&[
        "recommend",
        "--agents",
        "12",
        "--fault-tolerance",
        "high",
        "--heterogeneous-agents",
        "--format",
        "json",
    ]);
    let doc: Recommendation = matches_fixture(&out, "recommend");
    assert!(doc.evidence.is_none());
    let out = stdout(&[
        "recommend",
        "--agents",
        "6",
        "--simulate",
        "--budget",
        "400",
        "--replications",
        "2",
        "--format",
        "json",
    ]);
    let doc: Recommendation = matches_fixture(&out, "recommend-evidence");
    assert!(doc.evidence.is_some_and(|e| e.candidates.len() == 3));
    let out = stdout(&[
        "recommend",
        "--agents",
        "9",
        "--speeds",
        "4,4,2,2,1,1,0.5,0.5",
        "--service",
        "lognormal:20:1.5",
        "--rate",
        "0.5",
        "--slo",
        "120s@99%",
        "--sequential-stages",
        "--format",
        "json",
    ]);
    let doc: Recommendation = matches_fixture(&out, "recommend-fit");
    let fit = doc.fit.unwrap();
    assert_eq!(fit.balancer, "predictive");
    assert!(fit.settings.iter().any(|s| s.source == "fitted"));
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    agents: u32,
    replications: u32,
    requests: u64,
    attainment: Estimate,
    latency_p50: Estimate,
    latency_p99: Estimate,
    utilization: Estimate,
    coordinator_utilization: Option<Estimate>,
    standing: String,
    cost_per_good_request: Option<Estimate>,
    meets: bool,
    warnings: Option<Vec<String>>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sized {
    factor: f64,
    rate: f64,
    agents: Option<u32>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice {
    pattern: String,
    balancer: String,
    agents: Option<u32>,
    coordinators: u32,
    at: Option<Probe>,
    below: Option<Probe>,
    below_reason: Option<String>,
    headroom: Vec<Sized>,
    infeasible: Option<String>,
    settings: Vec<Setting>,
    probes: Vec<Probe>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanBody {
    rate: f64,
    slo: BTreeMap<String, f64>,
    max_agents: u32,
    budget: u64,
    choices: Vec<Choice>,
    chosen: Option<usize>,
    findings: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanDoc {
    schema_version: u32,
    tool_version: String,
    plan: PlanBody,
}

#[test]
fn plan_json_has_every_field_and_the_same_values() {
    let out = stdout(&[
        "plan",
        "--rate",
        "20",
        "--service",
        "exp:0.1",
        "--slo",
        "0.5s@99%",
        "--pattern",
        "master_slave,peer_to_peer",
        "--headroom",
        "1.5",
        "--tasks",
        "5000",
        "--format",
        "json",
    ]);
    let doc: PlanDoc = matches_fixture(&out, "plan");
    let plan = doc.plan;
    let chosen = &plan.choices[plan.chosen.unwrap()];
    let n = chosen.agents.unwrap();
    // The evidence that it is the smallest: it meets, one fewer does not.
    assert!(chosen.at.as_ref().unwrap().meets);
    let below = chosen.below.as_ref().unwrap();
    assert_eq!(below.agents, n - 1);
    assert!(!below.meets);
    // More traffic never needs fewer agents.
    assert!(chosen.headroom[0].agents.unwrap() >= n);
    assert_eq!(chosen.headroom[0].rate, 30.0);
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    section: String,
    group: Option<String>,
    id: String,
    name: String,
    data: Value,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct List {
    schema_version: u32,
    tool_version: String,
    section: String,
    entries: Vec<Entry>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    section: String,
    title: String,
    entries: usize,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sections {
    schema_version: u32,
    tool_version: String,
    sections: Vec<Section>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Show {
    schema_version: u32,
    tool_version: String,
    entry: Entry,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hit {
    section: String,
    id: String,
    name: String,
    score: f64,
    field: String,
    text: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Search {
    schema_version: u32,
    tool_version: String,
    query: String,
    hits: Vec<Hit>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Validation {
    schema_version: u32,
    tool_version: String,
    file: String,
    valid: bool,
    added: Vec<String>,
    overridden: Vec<String>,
}

#[test]
fn catalog_documents_have_every_field_and_the_same_values() {
    matches_fixture::<List>(&stdout(&["list", "--format", "json"]), "list");
    matches_fixture::<Sections>(
        &stdout(&["list", "sections", "--format", "json"]),
        "sections",
    );
    matches_fixture::<Show>(
        &stdout(&["show", "scatter_gather", "--format", "json"]),
        "show",
    );
    matches_fixture::<Search>(
        &stdout(&["search", "gather", "timeout", "--format", "json"]),
        "search",
    );
    let dir = tempfile_dir();
    let file = dir.join("overlay.json");
    std::fs::write(
        &file,
        r#"{"load_balancing_algorithms": {"round_robin": {"description": "mine", "complexity": "O(1)", "fairness": "high", "performance_overhead": "minimal", "best_for": "uniform"}}}"#,
    )
    .unwrap();
    let out = stdout(&[
        "catalog",
        "validate",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: Validation = serde_json::from_str(&out).expect("fits its mirror");
    assert!(doc.valid && doc.overridden == ["load_balancing/round_robin"]);
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceRate {
    bucket: f64,
    counts: Vec<u64>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceStats {
    column: String,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
    cv: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceDispersion {
    window: f64,
    windows: u64,
    index: f64,
    poisson_band: [f64; 2],
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceArrivals {
    process: String,
    window: Option<f64>,
    windows: u64,
    observed: Option<f64>,
    band: Option<[f64; 2]>,
    predicted: Option<f64>,
    reason: String,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceCandidate {
    service: String,
    ks_d: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceFit {
    service: String,
    ks_d: f64,
    ks_p: f64,
    candidates: Vec<TraceCandidate>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceDoc {
    schema_version: u32,
    tool_version: String,
    path: String,
    format: String,
    gzip: bool,
    columns: BTreeMap<String, String>,
    requests: u64,
    skipped: u64,
    skipped_errors: Vec<String>,
    start: Option<String>,
    duration: f64,
    mean_rate: Option<f64>,
    rate_over_time: TraceRate,
    stats: BTreeMap<String, TraceStats>,
    dispersion: Vec<TraceDispersion>,
    gap_cv: Option<f64>,
    arrivals: TraceArrivals,
    fits: BTreeMap<String, TraceFit>,
    kinds: Option<BTreeMap<String, u64>>,
    flags: String,
}

#[test]
fn trace_json_has_every_field_and_the_same_values() {
    let out = stdout(&[
        "trace",
        "examples/traces/azure-llm-conv-2023.csv.gz",
        "--format",
        "json",
    ]);
    let doc: TraceDoc = matches_fixture(&out, "trace");
    assert_eq!(doc.requests, 19_366);
    assert_eq!(doc.rate_over_time.counts.iter().sum::<u64>(), 19_366);
}

/// A directory of this test process's own, under the target directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("json-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
