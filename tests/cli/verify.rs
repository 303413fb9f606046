//! `verify --quick`: the published results, replayed in seconds as part of the test suite.

use serde::Deserialize;

use crate::jaegis;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Verify {
    #[allow(dead_code)]
    schema_version: u32,
    #[allow(dead_code)]
    tool_version: String,
    quick: bool,
    passed: usize,
    failed: usize,
    checks: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    id: String,
    #[allow(dead_code)]
    claim: String,
    source: String,
    published: String,
    expect: serde_json::Value,
    measured: Estimate,
    error: Option<f64>,
    #[allow(dead_code)]
    tolerance: String,
    margin: f64,
    passed: bool,
    scenario: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    mean: f64,
    ci95: f64,
}

#[test]
fn the_quick_checks_reproduce_every_published_result() {
    let out = jaegis()
        .args(["verify", "--quick", "--format", "json"])
        .output()
        .unwrap();
    let doc: Verify = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&Check> = doc.checks.iter().filter(|c| !c.passed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(out.status.code(), Some(0));
    assert!(doc.quick);
    assert_eq!((doc.passed, doc.failed), (doc.checks.len(), 0));
    let ids: Vec<&str> = doc.checks.iter().map(|c| c.id.as_str()).collect();
    for id in [
        "mm1",
        "mmc",
        "mg1",
        "random-0.9",
        "power-of-two-0.9",
        "fork-join-2",
        "fork-join-8",
        "tail-at-scale",
        "hedging",
        "raft-fixed",
        "raft-randomized",
        "metastable",
        "metastable-budget",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for c in &doc.checks {
        assert!(!c.source.is_empty() && !c.published.is_empty());
        assert!(
            c.measured.mean.is_finite() && c.measured.ci95 >= 0.0,
            "{c:?}"
        );
        assert_eq!(c.error.is_some(), c.expect["kind"] == "near", "{c:?}");
        // The sampling margin is 6.59 standard errors: 2.91 half-widths of the 95% interval.
        assert!(
            (c.margin - 2.913 * c.measured.ci95).abs() <= 1e-3 * c.margin.max(1e-6),
            "{c:?}"
        );
        // Each simulated check's scenario runs as a scenario file; the election checks run
        // the election model itself.
        match &c.scenario {
            Some(s) => assert!(s.contains("replications = 10"), "{s}"),
            None => assert!(c.id.starts_with("raft-"), "{c:?}"),
        }
    }
}

#[test]
fn a_check_s_scenario_reproduces_its_measure_through_simulate() {
    let out = jaegis()
        .args(["verify", "--quick", "--format", "json"])
        .output()
        .unwrap();
    let doc: Verify = serde_json::from_slice(&out.stdout).unwrap();
    let mm1 = doc.checks.iter().find(|c| c.id == "mm1").unwrap();
    let dir = std::env::temp_dir().join(format!("jaegis-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mm1.toml");
    std::fs::write(&path, mm1.scenario.as_ref().unwrap()).unwrap();
    let sim: serde_json::Value = serde_json::from_str(&crate::stdout(&[
        "simulate",
        "--scenario",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    let mean = sim["results"][0]["metrics"]["latency_mean"]["mean"]
        .as_f64()
        .unwrap();
    assert!(
        (mean - mm1.measured.mean).abs() < 1e-3 * mean,
        "{mean} against {mm1:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
