//! The embedded database against its source document.

use jaegis::catalog::{Catalog, Level, Section};
use serde_json::Value;

const SOURCE: &str = include_str!("../../data/source/orchestration-patterns-database.md");

#[test]
fn every_section_has_the_source_count() {
    let catalog = Catalog::embedded();
    let entries = catalog.entries();
    let count = |s: Section| entries.iter().filter(|e| e.section == s).count();
    assert_eq!(count(Section::Patterns), 4);
    assert_eq!(count(Section::LoadBalancing), 5);
    assert_eq!(count(Section::ConflictResolution), 4);
    assert_eq!(count(Section::Caching), 4);
    assert_eq!(count(Section::Scaling), 4);
    assert_eq!(count(Section::Monitoring), 5);
    assert_eq!(count(Section::ErrorHandling), 5);
    assert_eq!(count(Section::Communication), 5);
    assert_eq!(count(Section::DataFlow), 3);
    assert_eq!(count(Section::BestPractices), 6);
    let guidelines: usize = catalog
        .performance_best_practices
        .values()
        .chain(catalog.reliability_best_practices.values())
        .map(|group| group.len())
        .sum();
    assert_eq!(guidelines, 24);
    let sync = &catalog.communication_patterns.synchronous_patterns;
    assert_eq!(sync.request_response.timeout.seconds, 30.0);
    assert_eq!(sync.request_reply.timeout.seconds, 60.0);
}

#[test]
fn typed_values_match_the_source() {
    let catalog = Catalog::embedded();
    let scatter = catalog.pattern("scatter_gather").unwrap();
    let params = &scatter.configuration_parameters;
    assert_eq!(
        params["gather_timeout"].as_duration().unwrap().seconds,
        60.0
    );
    assert_eq!(
        params["failure_threshold"].as_percent().unwrap().percent,
        20.0
    );
    assert_eq!(
        (
            scatter.optimal_agent_count.min,
            scatter.optimal_agent_count.max
        ),
        (5, 100)
    );
    assert_eq!(scatter.performance_characteristics.latency, Level::Low);
    assert_eq!(
        scatter.performance_characteristics.throughput,
        Level::VeryHigh
    );

    let breaker = &catalog.error_handling_patterns.circuit_breaker_patterns;
    assert_eq!(breaker.failure_threshold.count, 5);
    assert_eq!(breaker.recovery_timeout.seconds, 30.0);
    assert_eq!(breaker.half_open_test_requests, 3);
    assert_eq!(breaker.success_threshold.count, 3);
    assert_eq!(breaker.monitoring_window.seconds, 60.0);

    let retry = &catalog.error_handling_patterns.retry_patterns;
    assert_eq!(retry.exponential_backoff.initial_delay.seconds, 1.0);
    assert_eq!(retry.exponential_backoff.backoff_multiplier, 2.0);
    assert_eq!(retry.exponential_backoff.max_delay.seconds, 60.0);
    assert_eq!(retry.exponential_backoff.max_retries, 5);
    assert!(retry.exponential_backoff.jitter.0);
    assert!(!retry.linear_backoff.jitter.0);
    assert_eq!(retry.linear_backoff.delay_increment.seconds, 5.0);
    assert_eq!(retry.immediate_retry.delay.seconds, 0.0);

    let pipeline = catalog.pattern("pipeline").unwrap();
    let p = &pipeline.configuration_parameters;
    assert_eq!(p["stage_buffer_size"].as_count().unwrap().count, 1000);
    assert_eq!(p["checkpoint_frequency"].as_count().unwrap().count, 100);
    assert_eq!(
        p["pipeline_monitoring_interval"]
            .as_duration()
            .unwrap()
            .seconds,
        1.0
    );

    let p2p = catalog.pattern("peer_to_peer").unwrap();
    let p = &p2p.configuration_parameters;
    assert_eq!(p["heartbeat_interval"].as_duration().unwrap().seconds, 5.0);
    assert_eq!(
        p["leader_election_timeout"].as_duration().unwrap().seconds,
        15.0
    );
    assert_eq!(p["consensus_algorithm"].as_text(), Some("raft_consensus"));

    let master = catalog.pattern("master_slave").unwrap();
    let p = &master.configuration_parameters;
    assert_eq!(
        p["failure_detection_timeout"]
            .as_duration()
            .unwrap()
            .seconds,
        30.0
    );
    assert_eq!(master.implementation_complexity, Level::Medium);
    assert_eq!(
        master.performance_characteristics.throughput,
        Level::MediumToHigh
    );

    let heartbeat = &catalog
        .monitoring_patterns
        .health_check_patterns
        .heartbeat_monitoring;
    assert_eq!(heartbeat.frequency.seconds, 5.0);
    assert_eq!(heartbeat.timeout.seconds, 15.0);
    assert_eq!(heartbeat.failure_threshold.count, 3);
    let windows: Vec<f64> = catalog
        .monitoring_patterns
        .performance_monitoring
        .response_time_tracking
        .time_windows
        .iter()
        .map(|d| d.seconds)
        .collect();
    assert_eq!(windows, [60.0, 300.0, 900.0, 3600.0]);

    let result = &catalog.caching_strategies["result_caching"];
    let gain = &result.improvements["cache_hit_improvement"];
    assert_eq!((gain.min, gain.max), (40.0, 80.0));
}

/// Every leaf of the source's JSON blocks, with its path.
fn leaves(path: String, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(format!("{path}/{k}"), v, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object()) => {
            for (i, v) in items.iter().enumerate() {
                leaves(format!("{path}/{i}"), v, out);
            }
        }
        _ => out.push((path, value.clone())),
    }
}

/// A typed value shows its source wording in `text`; a toggle is a boolean for "enabled".
fn same(source: &Value, exported: &Value) -> bool {
    match (source, exported) {
        (Value::String(s), Value::Object(o)) => o.get("text") == Some(&Value::String(s.clone())),
        (Value::String(s), Value::Bool(b)) => s == if *b { "enabled" } else { "disabled" },
        (Value::Array(s), Value::Array(e)) => {
            s.len() == e.len() && s.iter().zip(e).all(|(a, b)| same(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => source == exported,
    }
}

#[test]
fn nothing_of_the_source_is_dropped() {
    let exported = Catalog::embedded().to_json();
    let mut source_leaves = Vec::new();
    let mut pattern_index = 0;
    for block in SOURCE.split("```json").skip(1) {
        let json = block.split("```").next().unwrap();
        let value: Value = serde_json::from_str(json).expect("source block is JSON");
        if value.get("pattern_id").is_some() {
            leaves(
                format!("/patterns/{pattern_index}"),
                &value,
                &mut source_leaves,
            );
            pattern_index += 1;
        } else {
            leaves(String::new(), &value, &mut source_leaves);
        }
    }
    assert!(source_leaves.len() > 250, "{} leaves", source_leaves.len());
    for (path, value) in &source_leaves {
        let found = exported
            .pointer(path)
            .unwrap_or_else(|| panic!("{path} is missing from the catalog"));
        assert!(
            same(value, found),
            "{path}: source {value}, catalog {found}"
        );
    }
}

#[test]
fn the_source_copy_matches_the_shared_seed_when_present() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/seeds/orchestration-patterns-database.md");
    if let Ok(seed) = std::fs::read_to_string(shared) {
        assert_eq!(
            seed, SOURCE,
            "data/source is out of date with ../shared/seeds"
        );
    }
}
