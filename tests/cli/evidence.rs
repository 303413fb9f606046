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
        findings
            .iter()
            .any(|f| f.starts_with("The evidence disagrees with the catalog")),
        "{findings:?}"
    );
    assert!(
        findings[0].starts_with("No --slo: ranked by p99"),
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
fn failures_in_the_workload_rank_the_master_last() {
    // With agents failing, master_slave's master fails too and dispatch stops for the
    // detection timeout each time. With the catalog's retries (no budget) its backlog never
    // drained; with the fitted budget and deadline propagation it keeps up, and ranks last
    // on its p99.
    let doc = evidence(&[
        "--agents",
        "40",
        "--fault-tolerance",
        "high",
        "--mtbf",
        "600",
        "--mttr",
        "30",
        "--budget",
        "40000",
    ]);
    let candidates = doc["evidence"]["candidates"].as_array().unwrap();
    let last = candidates.last().unwrap();
    assert_eq!(last["pattern"], "master_slave_001");
    assert_eq!(last["coordinators"], 1);
    let p99 = |c: &serde_json::Value| c["result"]["metrics"]["latency_p99"]["mean"].as_f64();
    assert!(p99(last).unwrap() > p99(&candidates[0]).unwrap());
    let settings = candidates[0]["settings"].as_array().unwrap();
    assert!(
        settings
            .iter()
            .any(|s| s["setting"] == "retry"
                && s["advised"].as_str().unwrap().contains("budget 10%")),
        "{settings:?}"
    );
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
fn workload_flags_fit_the_settings_without_simulating_and_budgets_must_be_positive() {
    let out = stdout(&[
        "recommend",
        "--agents",
        "8",
        "--load",
        "0.5",
        "--service",
        "lognormal:30:1",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["evidence"].is_null());
    let timeout = setting(&doc["fit"]["settings"], "timeout");
    assert_eq!(timeout["source"], "fitted");
    let table = stdout(&["recommend", "--agents", "8", "--load", "0.5"]);
    assert!(table.contains("Not simulated"), "{table}");
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

fn setting<'a>(settings: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    settings
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["setting"] == name)
        .unwrap_or_else(|| panic!("no {name} in {settings}"))
}

fn candidate<'a>(doc: &'a serde_json::Value, pattern: &str) -> &'a serde_json::Value {
    doc["evidence"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["pattern"] == pattern)
        .unwrap_or_else(|| panic!("no {pattern}"))
}

fn metric(c: &serde_json::Value, m: &str) -> f64 {
    c["result"]["metrics"][m]["mean"]
        .as_f64()
        .unwrap_or(f64::NAN)
}

/// The cases, each with the outcome a user should get.
#[test]
fn a_candidate_that_answers_almost_nothing_never_ranks_first() {
    let doc = evidence(&[
        "--agents",
        "40",
        "--fault-tolerance",
        "high",
        "--service",
        "lognormal:1:5",
        "--load",
        "0.8",
        "--budget",
        "20000",
    ]);
    let first = &doc["evidence"]["candidates"][0];
    assert_eq!(first["standing"], "judged", "{first}");
    assert!(metric(first, "success_rate") > 0.99, "{first}");
}

#[test]
fn a_heterogeneous_fleet_gets_a_speed_aware_balancer_and_no_capped_winner() {
    let doc = evidence(&[
        "--agents",
        "9",
        "--speeds",
        "4,4,2,2,1,1,0.5,0.5",
        "--load",
        "0.5",
        "--budget",
        "20000",
    ]);
    let first = &doc["evidence"]["candidates"][0];
    assert!(
        ["predictive", "weighted_round_robin"].contains(&first["balancer"].as_str().unwrap()),
        "{first}"
    );
    assert_eq!(first["standing"], "judged");
    assert!(metric(first, "latency_p99") < 10.0, "{first}");
    assert!(metric(first, "success_rate") > 0.999);
    // No candidate is left with an agent over capacity: scatter_gather's fan-out leaves the
    // slowest out.
    let scatter = candidate(&doc, "scatter_gather_001");
    let fan_out = setting(&scatter["settings"], "fan-out");
    assert!(fan_out["advised"].as_str().unwrap().parse::<u32>().unwrap() < 9);
    for c in doc["evidence"]["candidates"].as_array().unwrap() {
        assert_ne!(c["standing"], "overloaded", "{c}");
    }
}

#[test]
fn llm_scale_work_gets_a_timeout_above_its_p99_and_completes() {
    let doc = evidence(&[
        "--agents",
        "9",
        "--service",
        "lognormal:30:1",
        "--load",
        "0.6",
        "--budget",
        "5000",
        "--candidates",
        "4",
    ]);
    for pattern in ["master_slave_001", "peer_to_peer_001"] {
        let c = candidate(&doc, pattern);
        let timeout = setting(&c["settings"], "timeout");
        let seconds: f64 = timeout["advised"]
            .as_str()
            .unwrap()
            .trim_end_matches(" s")
            .parse()
            .unwrap();
        // lognormal(30, cv 1) has p99 = 147 s.
        assert!(seconds > 147.0, "{timeout}");
        assert!(metric(c, "success_rate") > 0.99, "{c}");
        assert!(metric(c, "attempts_per_task") < 1.05, "{c}");
    }
}

#[test]
fn six_agents_never_get_an_overloaded_pipeline_and_warnings_reach_stderr() {
    let doc = evidence(&[
        "--agents",
        "6",
        "--sequential-stages",
        "--load",
        "0.8",
        "--budget",
        "5000",
    ]);
    let pipeline = candidate(&doc, "pipeline_001");
    assert_eq!(doc["evidence"]["candidates"][0]["pattern"], "pipeline_001");
    assert_eq!(pipeline["standing"], "judged", "{pipeline}");
    assert_ne!(setting(&pipeline["settings"], "stages")["advised"], "4");
    // The user's own four stages overload a stage: said on stderr and in the JSON.
    let (_, stderr) = crate::outputs(&[
        "recommend",
        "--agents",
        "6",
        "--sequential-stages",
        "--load",
        "0.8",
        "--stages",
        "4",
        "--simulate",
        "--budget",
        "5000",
    ]);
    assert!(
        stderr.contains("warning: pipeline_001") && stderr.contains("1.20"),
        "{stderr}"
    );
}

#[test]
fn the_winner_holds_across_seeds() {
    let winner = |seed: &str| {
        let doc = evidence(&[
            "--agents",
            "16",
            "--scenario",
            "examples/llm-fleet.toml",
            "--budget",
            "5000",
            "--seed",
            seed,
        ]);
        doc["evidence"]["candidates"][0]["pattern"].clone()
    };
    let first = winner("1");
    for seed in ["2", "3", "4"] {
        assert_eq!(winner(seed), first, "seed {seed}");
    }
}
