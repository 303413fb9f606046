//! `recommend --simulate`: the top candidates simulated on the user's workload, ranked by
//! what is measured.

use crate::{bad_input, stdout};

fn evidence(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["recommend", "--format", "json", "--simulate"];
    args.extend(extra);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&args)).unwrap();
    doc
}

fn order(doc: &serde_json::Value) -> Vec<String> {
    doc["evidence"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pattern"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn evidence_that_contradicts_the_catalog_reorders_it_and_says_why() {
    // 40 agents with high fault tolerance: the catalog puts peer_to_peer first, but on the
    // same requests without failures scatter_gather, which splits each request's work over 10
    // agents, answers far sooner.
    let doc = evidence(&[
        "--agents",
        "40",
        "--fault-tolerance",
        "high",
        "--budget",
        "20000",
    ]);
    assert_eq!(doc["ranking"][0]["pattern"], "peer_to_peer_001");
    let e = &doc["evidence"];
    assert_eq!(order(&doc)[0], "scatter_gather_001");
    assert_eq!(e["agrees_with_catalog"], false);
    let findings: Vec<&str> = e["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        findings[0].starts_with("The evidence disagrees with the catalog"),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.contains("fault tolerance was not tested"))
    );
    // The settings advised are the evidence winner's.
    assert_eq!(doc["advice"]["pattern"], "scatter_gather_001");
    let first = &e["candidates"][0];
    assert_eq!(first["evidence_rank"], 1);
    assert_eq!(first["catalog_rank"], 2);
    for m in ["latency_p50", "latency_p99", "throughput"] {
        assert!(
            first["result"]["metrics"][m]["ci95"].as_f64().unwrap() > 0.0,
            "{m}"
        );
    }
}

#[test]
fn failures_in_the_workload_sink_a_pattern_that_cannot_keep_up() {
    // With agents failing, master_slave's master fails too: dispatch stops for the detection
    // timeout each time, and over the default budget's long run the backlog never drains.
    let doc = evidence(&[
        "--agents",
        "40",
        "--fault-tolerance",
        "high",
        "--mtbf",
        "600",
        "--mttr",
        "30",
    ]);
    let candidates = doc["evidence"]["candidates"].as_array().unwrap();
    let master = candidates
        .iter()
        .find(|c| c["pattern"] == "master_slave_001")
        .unwrap();
    assert_eq!(master["fell_behind"], true);
    assert_eq!(master["evidence_rank"], 3);
    assert_eq!(master["result"]["metrics"]["latency_p99"]["censored"], true);
}

#[test]
fn the_evidence_is_deterministic_under_a_seed_and_sized_by_the_budget() {
    let args = [
        "--agents",
        "8",
        "--budget",
        "5000",
        "--seed",
        "7",
        "--candidates",
        "2",
    ];
    let one = evidence(&args);
    let two = evidence(&args);
    assert_eq!(one, two);
    assert_eq!(order(&one).len(), 2);
    let generated = one["evidence"]["candidates"][0]["result"]["tasks"]["generated"]
        .as_u64()
        .unwrap();
    assert_eq!(generated, 5 * 5000, "5 replications of the budget");
    let seconds = evidence(&["--agents", "8", "--budget", "100s", "--candidates", "1"]);
    assert_eq!(seconds["evidence"]["budget"]["seconds"], 100.0);
}

#[test]
fn a_small_fleet_in_stages_gets_a_pipeline_of_as_many_stages() {
    let doc = evidence(&["--agents", "3", "--sequential-stages", "--budget", "5000"]);
    let candidates = doc["evidence"]["candidates"].as_array().unwrap();
    let pipeline = candidates
        .iter()
        .find(|c| c["pattern"] == "pipeline_001")
        .unwrap();
    assert!(pipeline["not_simulated"].is_null());
}

#[test]
fn workload_flags_need_simulate_and_budgets_must_be_positive() {
    let err = bad_input(&["recommend", "--agents", "8", "--load", "0.5"]);
    assert!(err.contains("--simulate"), "{err}");
    let err = bad_input(&["recommend", "--agents", "8", "--simulate", "--budget", "0"]);
    assert!(err.contains("--budget"), "{err}");
    let err = bad_input(&[
        "recommend",
        "--agents",
        "8",
        "--simulate",
        "--budget",
        "lots",
    ]);
    assert!(err.contains("--budget") && err.contains("600s"), "{err}");
}
