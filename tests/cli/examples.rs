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

fn metric(doc: &serde_json::Value, result: usize, name: &str) -> f64 {
    doc["results"][result]["metrics"][name]["mean"]
        .as_f64()
        .unwrap_or(f64::NAN)
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
    let source = std::fs::read_to_string(format!(
        "{}/examples/fanout-hedging.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let dir = crate::commands::tempdir();
    let plain_file = dir.join("no-hedging.toml");
    let without: Vec<&str> = source
        .lines()
        .filter(|l| !l.starts_with("hedge_after_quantile"))
        .collect();
    std::fs::write(&plain_file, without.join("\n")).unwrap();
    let out = jaegis()
        .args([
            "simulate",
            "--scenario",
            plain_file.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let plain: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(metric(&hedged, 0, "latency_p999") < metric(&plain, 0, "latency_p999"));
    assert!(metric(&hedged, 0, "hedge_overhead") > 0.0);
}
