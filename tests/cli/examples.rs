//! Every scenario in examples/ runs, and shows what its comment says to look for.

use crate::jaegis;

fn example(name: &str, extra: &[&str]) -> serde_json::Value {
    let path = format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = jaegis()
        .args(["simulate", "--scenario", &path, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The example run with every line starting with `key` removed from its file.
fn example_without(name: &str, key: &str) -> serde_json::Value {
    let source =
        std::fs::read_to_string(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let kept: Vec<&str> = source.lines().filter(|l| !l.starts_with(key)).collect();
    assert!(kept.len() < source.lines().count(), "{name} has no {key}");
    let file = crate::commands::tempdir().join(name);
    std::fs::write(&file, kept.join("\n")).unwrap();
    let out = jaegis()
        .args(["simulate", "--scenario", file.to_str().unwrap()])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} without {key}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A metric's mean, or for a censored one the bound it is known to reach.
fn metric(doc: &serde_json::Value, result: usize, name: &str) -> f64 {
    value(&doc["results"][result]["metrics"][name])
}

fn value(e: &serde_json::Value) -> f64 {
    e["mean"]
        .as_f64()
        .or_else(|| e["at_least"].as_f64())
        .unwrap_or(f64::NAN)
}

/// The result of one balancer: JSON keeps the order balancers were given in, but tests should
/// not depend on it.
fn result<'a>(doc: &'a serde_json::Value, balancer: &str) -> &'a serde_json::Value {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["balancer"] == balancer)
        .unwrap_or_else(|| panic!("no result for {balancer}"))
}

/// A metric's mean (or bound) for one balancer.
fn of(doc: &serde_json::Value, balancer: &str, name: &str) -> f64 {
    value(&result(doc, balancer)["metrics"][name])
}

/// One timeline bucket's mean of `name`, for the bucket starting at `start`.
fn bucket(doc: &serde_json::Value, start: f64, name: &str) -> f64 {
    doc["results"][0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["start"].as_f64() == Some(start))
        .unwrap_or_else(|| panic!("no bucket at {start}"))[name]["mean"]
        .as_f64()
        .unwrap()
}

/// Mean goodput of the timeline buckets from `from` seconds on.
fn late_goodput(doc: &serde_json::Value, from: f64) -> f64 {
    let points: Vec<f64> = doc["results"][0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["start"].as_f64().unwrap() >= from && p["end"].as_f64().unwrap() <= 1800.0)
        .map(|p| p["goodput"]["mean"].as_f64().unwrap())
        .collect();
    points.iter().sum::<f64>() / points.len() as f64
}

#[test]
fn retry_storm_collapses_and_a_budget_recovers_it() {
    let storm = example("retry-storm.toml", &[]);
    assert!(late_goodput(&storm, 900.0) < 1.0, "still collapsed");
    // 8.9% of the requests succeed: no percentile is given as a value, and no verdict.
    let p99 = &storm["results"][0]["metrics"]["latency_p99"];
    assert!(p99["censored"] == true && p99["mean"].is_null());
    let path = format!("{}/examples/retry-storm.toml", env!("CARGO_MANIFEST_DIR"));
    let table = crate::stdout(&["simulate", "--scenario", &path]);
    let row = table
        .lines()
        .find(|l| l.contains("least_connections"))
        .unwrap();
    // p50, p99 and p99.9 all fall among the failed requests.
    assert_eq!(row.matches("failed").count(), 3, "{row}");
    assert!(
        table.contains("not judged: least_connections (collapsed)"),
        "{table}"
    );
    let budget = example("retry-storm.toml", &["--retry-budget", "0.1"]);
    assert!(late_goodput(&budget, 1200.0) > 6.0, "recovered");
}

#[test]
fn master_failover_stops_dispatch_for_the_detection_timeout() {
    let doc = example("master-failover.toml", &[]);
    for result in 0..2 {
        assert_eq!(metric(&doc, result, "no_dispatch_time"), 30.0);
    }
    let attempts_during = doc["results"][0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["start"] == 300.0)
        .unwrap()["attempts"]["mean"]
        .as_f64()
        .unwrap();
    assert_eq!(attempts_during, 0.0);
}

#[test]
fn fanout_hedging_cuts_the_tail() {
    let hedged = example("fanout-hedging.toml", &[]);
    // The same scenario without hedging: the file minus its hedging line.
    let plain = example_without("fanout-hedging.toml", "hedge_after_quantile");
    // Unhedged, over 0.1% of queries hit the 60 s gather timeout and fail: p99.9 falls among
    // the failed, so it has no value and no bound. Hedged, it is about 10 s.
    let unhedged = &plain["results"][0]["metrics"]["latency_p999"];
    assert!(unhedged["censored"] == true && unhedged["at_least"].is_null());
    assert!(metric(&hedged, 0, "latency_p999") < 15.0);
    assert!(
        metric(&hedged, 0, "success_latency_p999")
            < 0.3 * metric(&plain, 0, "success_latency_p999")
    );
    assert!(metric(&hedged, 0, "hedge_overhead") > 0.0);
}

#[test]
fn llm_fleet_least_connections_avoids_the_rate_limit() {
    let doc = example("llm-fleet.toml", &[]);
    for balancer in ["round_robin", "power_of_two", "least_connections"] {
        // Retries with backoff turn the 429s into latency, not failures.
        assert!(of(&doc, balancer, "success_rate") > 0.99, "{balancer}");
    }
    // Round robin sends calls to full endpoints: about 6 times the 429s, more attempts, and a
    // p99 near the 90 s timeout.
    let (rr, lc) = ("round_robin", "least_connections");
    assert!(of(&doc, rr, "rejected") > 3.0 * of(&doc, lc, "rejected"));
    assert!(of(&doc, rr, "attempts_per_task") > of(&doc, lc, "attempts_per_task") + 0.15);
    assert!(of(&doc, lc, "latency_p99") < 0.85 * of(&doc, rr, "latency_p99"));
    assert!(of(&doc, rr, "latency_p99") > 75.0);
    // Without retries, the 429s are failures: round robin loses about 13% of its requests,
    // and with over 1% failed, p99 falls among the failed for both.
    let bare = example("llm-fleet.toml", &["--retry", "none"]);
    assert!(of(&bare, rr, "success_rate") < 0.93);
    assert!(of(&bare, lc, "success_rate") > 0.96);
    for balancer in [rr, lc] {
        assert!(result(&bare, balancer)["metrics"]["latency_p99"]["censored"] == true);
    }
}

#[test]
fn search_fanout_hedging_cuts_the_tail() {
    let hedged = example("search-fanout.toml", &[]);
    let plain = example_without("search-fanout.toml", "hedge_after_quantile");
    for balancer in ["least_connections", "round_robin"] {
        // About 0.13 s against 0.75 s (least_connections) and 1.5 s (round robin).
        let (with, without) = (
            of(&hedged, balancer, "latency_p999"),
            of(&plain, balancer, "latency_p999"),
        );
        assert!(with < 0.4 * without, "{balancer}: {with} against {without}");
        // About 20% more shard work, on copies that lost.
        let overhead = of(&hedged, balancer, "hedge_overhead");
        assert!((0.05..0.5).contains(&overhead), "{balancer}: {overhead}");
        // Reported, as null: no copy was hedged.
        assert!(result(&plain, balancer)["metrics"]["hedge_overhead"]["mean"].is_null());
    }
}

#[test]
fn etl_pipeline_backpressure_shows_in_latency_not_utilization() {
    let small = example("etl-pipeline.toml", &[]);
    // The slow transform stage has 2 of the 5 workers and is the busiest station.
    let per_pattern = &small["scenario"]["per_pattern"][0];
    assert_eq!(
        per_pattern["stage_workers"],
        serde_json::json!([1, 1, 2, 1])
    );
    assert!((per_pattern["peak_load"].as_f64().unwrap() - 0.875).abs() < 1e-9);
    let large = example("etl-pipeline.toml", &["--buffer", "unbounded"]);
    let lc = "least_connections";
    // Both keep up, equally busy; blocking shows in latency and in the system's contents.
    let (t_small, t_large) = (of(&small, lc, "throughput"), of(&large, lc, "throughput"));
    assert!(
        (t_small / t_large - 1.0).abs() < 0.02,
        "{t_small} {t_large}"
    );
    let (u_small, u_large) = (of(&small, lc, "utilization"), of(&large, lc, "utilization"));
    assert!((u_small - u_large).abs() < 0.02, "{u_small} {u_large}");
    assert!(of(&small, lc, "latency_mean") > 2.5 * of(&large, lc, "latency_mean"));
    assert!(of(&small, lc, "in_system_mean") > 2.5 * of(&large, lc, "in_system_mean"));
    // With one place per buffer, blocking costs more capacity than the pipeline has to spare.
    let tiny = example("etl-pipeline.toml", &["--buffer", "1"]);
    assert!(of(&tiny, lc, "goodput") < 0.97 * of(&tiny, lc, "arrival_rate"));
    assert!(result(&tiny, lc)["collapse"]["replications"] == 5);
}

#[test]
fn consensus_peers_stall_commits_during_the_election() {
    let doc = example("consensus-peers.toml", &[]);
    // No leader from the failure until the first election timeout, 15 to 30 s, expires.
    let leaderless = metric(&doc, 0, "no_dispatch_time");
    assert!((15.0..30.0).contains(&leaderless), "{leaderless}");
    let before = |name: &str| {
        (1..8)
            .map(|i| bucket(&doc, 15.0 * f64::from(i), name))
            .sum::<f64>()
            / 7.0
    };
    let (goodput, attempts) = (before("goodput"), before("attempts"));
    // 120-135 s, wholly without a leader: only the 30% of tasks that need no consensus
    // complete, while the peers go on working.
    let dip = bucket(&doc, 120.0, "goodput");
    assert!(
        dip > 0.1 * goodput && dip < 0.5 * goodput,
        "{dip} of {goodput}"
    );
    assert!(bucket(&doc, 120.0, "attempts") > 0.7 * attempts);
    // Then the waiting tasks commit in a burst.
    assert!(bucket(&doc, 135.0, "goodput") > 1.25 * goodput);
}

#[test]
fn heterogeneous_fleet_needs_a_speed_aware_balancer() {
    let doc = example("heterogeneous-fleet.toml", &[]);
    // Round robin overloads the slow workers: their queues grow for the whole run, and the
    // run is reported as collapsed, its p99 only a lower bound.
    let rr = of(&doc, "round_robin", "latency_p99");
    assert!(rr > 100.0, "{rr}");
    assert!(result(&doc, "round_robin")["collapse"]["replications"] == 5);
    assert!(of(&doc, "round_robin", "goodput") < 0.95 * of(&doc, "round_robin", "arrival_rate"));
    for balancer in ["weighted_round_robin", "predictive", "least_connections"] {
        let p99 = of(&doc, balancer, "latency_p99");
        assert!(p99 < 0.05 * rr && p99 < 10.0, "{balancer}: {p99}");
    }
    // Predictive beats equal utilization by keeping the slow workers mostly idle.
    assert!(
        of(&doc, "predictive", "latency_p99")
            < 0.6 * of(&doc, "weighted_round_robin", "latency_p99")
    );
    assert!(of(&doc, "weighted_round_robin", "fairness") > 0.98);
    assert!(of(&doc, "predictive", "fairness") < 0.7);
}

#[test]
fn llm_fanout_costs_its_tokens_and_its_quota_caps_goodput_whatever_the_agents() {
    let doc = example("llm-fanout.toml", &["--balancer", "least_connections"]);
    // 4 calls of 3,000 tokens in at $3 and 200 out at $15 a million: $0.048 a request.
    let dollars = metric(&doc, 0, "cost_per_request");
    assert!((dollars - 0.048).abs() < 0.002, "{dollars}");
    assert!(metric(&doc, 0, "cost_waste") < 0.05);
    // Above the quota's 0.52 requests/s, doubling the agents does not raise goodput: it
    // stays below the quota (a fan-out whose last call is refused for good has spent its
    // other calls' quota for nothing).
    let mut goodputs = Vec::new();
    for agents in ["24", "48"] {
        let over = example(
            "llm-fanout.toml",
            &[
                "--balancer",
                "least_connections",
                "--rate",
                "0.8",
                "--agents",
                agents,
            ],
        );
        let ceiling = over["scenario"]["per_pattern"][0]["provider_ceiling"]
            .as_f64()
            .unwrap();
        assert!((ceiling - 0.5208).abs() < 0.001, "{ceiling}");
        let goodput = metric(&over, 0, "goodput");
        assert!(
            goodput < ceiling * 1.03,
            "{agents} agents: {goodput} over {ceiling}"
        );
        assert!(metric(&over, 0, "throttled") > 100.0);
        goodputs.push(goodput);
    }
    assert!(
        (goodputs[1] - goodputs[0]).abs() < 0.05,
        "48 agents against 24: {goodputs:?}"
    );
}

#[test]
fn llm_supervisor_meets_the_objective_at_a_price_the_peers_do_not_pay() {
    let doc = example("llm-supervisor.toml", &[]);
    let pattern = |i: usize| doc["results"][i]["pattern"].as_str().unwrap().to_string();
    assert_eq!(pattern(0), "master_slave_001");
    // The supervisor decides every round: 1,530 tokens, 300 more each later round. Over
    // R = min(geometric(1/2), 6) rounds, E[R] = 1.96875 and E[R(R - 1)/2] = 1.78125, so it
    // adds 1,530 x 1.96875 + 300 x 1.78125 = 3,547 tokens a task.
    let extra_tokens =
        metric(&doc, 0, "tokens_per_request") - metric(&doc, 1, "tokens_per_request");
    assert!((extra_tokens - 3547.0).abs() < 150.0, "{extra_tokens}");
    let (supervised, peers) = (
        metric(&doc, 0, "cost_per_good_request"),
        metric(&doc, 1, "cost_per_good_request"),
    );
    assert!(supervised > peers * 1.3, "{supervised} against {peers}");
    // Both meet the objective, and the same tasks hit the round limit: (1/2)^6 = 1.6%.
    for i in 0..2 {
        assert!(metric(&doc, i, "attainment") > 0.95);
        let limited = metric(&doc, i, "round_limited");
        assert!((limited - 1.0 / 64.0).abs() < 0.005, "{limited}");
    }
    assert_eq!(
        metric(&doc, 0, "round_limited"),
        metric(&doc, 1, "round_limited")
    );
}
