//! `lint`: findings in milliseconds, exit codes as linters have them, JSON read into mirrors.

use serde::Deserialize;

use crate::{bad_input, jaegis, outputs, stdout};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lint {
    #[allow(dead_code)]
    schema_version: u32,
    #[allow(dead_code)]
    tool_version: String,
    subject: String,
    errors: usize,
    warnings: usize,
    notes: usize,
    findings: Vec<Finding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Finding {
    id: String,
    rule: String,
    severity: String,
    #[serde(default)]
    patterns: Vec<String>,
    message: String,
    numbers: Vec<Quantity>,
    fix: String,
    doc: String,
    simulated: Option<Simulated>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Quantity {
    name: String,
    value: f64,
    #[allow(dead_code)]
    unit: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Simulated {
    pattern: String,
    #[allow(dead_code)]
    balancer: String,
    measure: String,
    as_given: Estimate,
    with_fix: Estimate,
    difference: Estimate,
    as_given_standing: String,
    with_fix_standing: String,
    replications: u32,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    mean: f64,
    ci95: f64,
}

/// Runs lint with `--format json`, returning the document and the exit code.
fn lint(args: &[&str]) -> (Lint, i32) {
    let out = jaegis()
        .arg("lint")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (doc, out.status.code().unwrap())
}

#[test]
fn a_clean_configuration_exits_0_and_an_error_exits_1() {
    let (doc, code) = lint(&["examples/etl-pipeline.toml"]);
    assert_eq!((code, doc.errors, doc.findings.len()), (0, 0, 0));
    assert_eq!(doc.subject, "examples/etl-pipeline.toml");
    let (doc, code) = lint(&["--scenario", "examples/retry-storm.toml"]);
    assert_eq!((code, doc.errors), (1, 1));
    let f = &doc.findings[0];
    assert_eq!((f.id.as_str(), f.severity.as_str()), ("J002", "error"));
    assert_eq!(f.rule, "retries-without-budget");
    assert!(f.fix.contains("--retry-budget"), "{}", f.fix);
    assert_eq!(f.doc, "docs/lint.md#j002-retries-without-budget");
    // Warnings alone do not fail.
    let (doc, code) = lint(&["--pattern", "master_slave", "--timeout", "3s"]);
    assert_eq!((code, doc.errors, doc.warnings), (0, 0, 1));
    assert_eq!(doc.notes, 0);
}

/// LLM calls of 30 s on average (lognormal, CV 1) with faults, so the catalog's 30 s
/// timeout is on.
const LLM_CALLS: &[&str] = &[
    "--pattern",
    "master_slave",
    "--service",
    "lognormal:30:1",
    "--mtbf",
    "3600",
    "--mttr",
    "60",
];

#[test]
fn the_catalog_timeout_against_long_llm_calls_is_an_error_with_its_numbers() {
    let (doc, code) = lint(LLM_CALLS);
    assert_eq!(code, 1);
    let f = &doc.findings[0];
    assert_eq!(f.id, "J001");
    assert_eq!(f.patterns, ["master_slave"]);
    let value = |name: &str| f.numbers.iter().find(|q| q.name == name).unwrap().value;
    assert_eq!(value("timeout"), 30.0);
    // Lognormal, mean 30, CV 1: p90 = exp(ln 30 - ln2/2 + 1.2816 sqrt(ln 2)) = 61.7 s.
    assert!((value("work_p90") / 61.7 - 1.0).abs() < 0.05, "{f:?}");
    assert!(
        f.message.contains("catalog's default timeout"),
        "{}",
        f.message
    );
    // The fix is clean.
    let (doc, code) = lint(&[LLM_CALLS, &["--timeout", "300s"]].concat());
    assert_eq!((code, doc.findings.len()), (0, 0), "{doc:?}");
}

#[test]
fn simulate_backs_a_finding_with_a_paired_run_of_its_fix() {
    let (doc, code) = lint(&[
        "examples/retry-storm.toml",
        "--simulate",
        "--slo",
        "2s@99%",
        "--replications",
        "3",
    ]);
    assert_eq!(code, 1);
    let s = doc.findings[0].simulated.as_ref().expect("backed");
    assert_eq!(
        (s.pattern.as_str(), s.measure.as_str()),
        ("master_slave", "attainment")
    );
    assert_eq!(s.replications, 3);
    // The storm as given collapses: its attainment is said to depend on the run's length.
    assert_eq!(
        (s.as_given_standing.as_str(), s.with_fix_standing.as_str()),
        ("collapsed", "judged")
    );
    assert!(s.with_fix.mean > s.as_given.mean + 0.3, "{s:?}");
    assert!(
        (s.difference.mean - (s.with_fix.mean - s.as_given.mean)).abs() < 1e-4,
        "{s:?}"
    );
    assert!(s.difference.ci95 > 0.0 && s.difference.mean - s.difference.ci95 > 0.0);
}

#[test]
fn bad_input_exits_2_and_the_file_and_flags_do_not_both_name_a_scenario() {
    let err = bad_input(&["lint", "no-such.toml"]);
    assert!(err.contains("no-such.toml"), "{err}");
    let err = bad_input(&["lint", "--timeout", "-1"]);
    assert!(err.contains("--timeout"), "{err}");
    let err = bad_input(&[
        "lint",
        "examples/retry-storm.toml",
        "--scenario",
        "examples/retry-storm.toml",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn simulate_warns_of_error_level_findings_before_it_runs() {
    let (_, stderr) = outputs(&[
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "round_robin",
        "--timeout",
        "1s",
        "--tasks",
        "1000",
        "--replications",
        "2",
    ]);
    assert!(
        stderr.contains("warning: the timeout (1.00 s) is below the work's own p90")
            && stderr.contains("(J001)"),
        "{stderr}"
    );
    let table = stdout(&["lint", "examples/search-fanout.toml"]);
    assert_eq!(table, "lint: examples/search-fanout.toml: no findings\n");
}
