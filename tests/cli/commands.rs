//! Each command in each format, and what it must say.

use crate::{bad_input, check_format, jaegis, stdout};

pub const FORMATS: [&str; 5] = ["table", "json", "jsonl", "csv", "markdown"];

/// Every catalog and advisor command, as a user would type it.
pub const COMMANDS: &[&[&str]] = &[
    &["list"],
    &["list", "sections"],
    &["list", "load-balancing"],
    &["list", "monitoring"],
    &["list", "best_practices"],
    &["show", "scatter_gather"],
    &["show", "circuit-breaker"],
    &["search", "timeout"],
    &["recommend", "--agents", "40", "--fault-tolerance", "high"],
    &[
        "recommend",
        "--agents",
        "3",
        "--sequential-stages",
        "--explain",
    ],
    &["catalog", "export"],
    &["catalog", "schema"],
    &[
        "simulate",
        "--pattern",
        "scatter_gather",
        "--fan-out",
        "3",
        "--tasks",
        "2000",
        "--replications",
        "2",
    ],
];

#[test]
fn every_command_works_in_every_format() {
    for args in COMMANDS {
        for format in FORMATS {
            let mut full = args.to_vec();
            full.extend(["--format", format]);
            let out = stdout(&full);
            let values = check_format(format, &out);
            if format == "json" && args[0] != "catalog" {
                assert_eq!(values[0]["schema_version"], 2, "{full:?}");
            }
            if format == "jsonl" {
                assert!(!values.is_empty(), "{full:?} gave no lines");
            }
        }
    }
}

#[test]
fn list_shows_the_pattern_columns() {
    let out = stdout(&["list", "--format", "csv"]);
    let header = out.lines().next().unwrap();
    assert_eq!(
        header,
        "id,name,complexity,scalability,reliability,optimal agents,fault tolerance,latency,throughput"
    );
    assert!(out.contains("scatter_gather_001,Parallel Scatter-Gather Processing,medium,9,7,5-100,medium,low,very_high"));
}

#[test]
fn show_prints_every_field_including_configuration() {
    let out = stdout(&["show", "SCATTER-GATHER", "--format", "csv"]);
    assert!(out.contains("configuration_parameters.gather_timeout,60_seconds (60 s)"));
    assert!(out.contains("configuration_parameters.failure_threshold,20_percent (20%)"));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&["show", "scatter_gather_001", "--format", "json"])).unwrap();
    let entry = &json["entry"];
    assert_eq!(entry["section"], "patterns");
    assert_eq!(
        entry["data"]["configuration_parameters"]["gather_timeout"]["seconds"],
        60.0
    );
    assert_eq!(entry["data"]["optimal_agent_count"]["max"], 100);
}

#[test]
fn unknown_names_get_suggestions() {
    let err = bad_input(&["show", "scater_gather"]);
    assert!(err.contains("did you mean scatter_gather_001?"), "{err}");
    let err = bad_input(&["list", "load-balancer"]);
    assert!(err.contains("did you mean load_balancing?"), "{err}");
}

#[test]
fn search_ranks_names_first_and_names_the_field() {
    let out = stdout(&["search", "round", "robin", "--format", "jsonl"]);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "round_robin");
    let out = stdout(&["search", "consensus", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let hits = doc["hits"].as_array().unwrap();
    assert!(hits.iter().any(|h| h["id"] == "peer_to_peer_001"));
    assert!(
        hits.iter()
            .any(|h| h["id"] == "consensus_voting" && h["section"] == "conflict_resolution")
    );
    assert!(
        hits.iter()
            .all(|h| h["field"].is_string() && h["text"].is_string())
    );
}

#[test]
fn recommend_ranks_explains_and_advises() {
    let out = stdout(&[
        "recommend",
        "--agents",
        "40",
        "--fault-tolerance",
        "high",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ranking = doc["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 4);
    assert_ne!(ranking[0]["pattern"], "pipeline_001");
    let master = ranking
        .iter()
        .find(|r| r["pattern"] == "master_slave_001")
        .unwrap();
    assert!(
        master["shortfalls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "40 agents is twice its optimal maximum of 20")
    );
    let criteria: Vec<&str> = ranking[0]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(
        criteria,
        ["agent_fit", "fault_tolerance", "reliability", "complexity"]
    );
    let advice = &doc["advice"];
    assert_eq!(advice["pattern"], ranking[0]["pattern"]);
    for key in [
        "balancer",
        "retry",
        "circuit_breaker",
        "heartbeat",
        "caching",
    ] {
        assert!(!advice[key].is_null(), "advice lacks {key}");
    }
    assert_eq!(advice["circuit_breaker"]["failure_threshold"], 5);

    let out = stdout(&[
        "recommend",
        "--agents",
        "3",
        "--sequential-stages",
        "--top",
        "1",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains("\"pattern\":\"pipeline_001\""));

    let out = stdout(&[
        "recommend",
        "--agents",
        "3",
        "--sequential-stages",
        "--explain",
    ]);
    assert!(out.contains("How each score was reached"));
    assert!(out.contains("fits --sequential-stages"));
}

#[test]
fn catalog_export_round_trips_through_validate() {
    let dir = tempdir();
    let file = dir.join("export.json");
    std::fs::write(&file, stdout(&["catalog", "export"])).unwrap();
    let out = stdout(&[
        "catalog",
        "validate",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["added"].as_array().unwrap().len(), 0);
    assert_eq!(doc["overridden"].as_array().unwrap().len(), 0);
}

#[test]
fn a_user_catalog_adds_and_overrides_for_every_command() {
    let dir = tempdir();
    let file = dir.join("mine.json");
    std::fs::write(
        &file,
        r#"{
  "patterns": [
    {"pattern_id": "pipeline_001", "optimal_agent_count": "3-60"},
    {
      "pattern_id": "blackboard_001",
      "pattern_name": "Shared Blackboard",
      "description": "Agents read and write a shared workspace",
      "use_cases": ["Opportunistic problem solving"],
      "advantages": ["Loose coupling"],
      "disadvantages": ["Contention on the board"],
      "implementation_complexity": "medium",
      "scalability_rating": 5,
      "reliability_rating": 6,
      "performance_characteristics": {"latency": "medium", "throughput": "medium", "resource_efficiency": "medium", "fault_tolerance": "medium"},
      "optimal_agent_count": "2-12",
      "configuration_parameters": {"board_sync_interval": "2_seconds"}
    }
  ]
}"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = stdout(&["--catalog", path, "list", "--format", "csv"]);
    assert!(out.contains("blackboard_001"));
    assert!(out.contains("pipeline_001,Sequential Processing Pipeline,low,7,6,3-60"));
    let out = stdout(&["show", "blackboard", "--catalog", path, "--format", "csv"]);
    assert!(out.contains("configuration_parameters.board_sync_interval,2_seconds (2 s)"));
    let out = stdout(&["catalog", "validate", path]);
    assert!(out.contains("1 added, 1 overridden"), "{out}");
    let out = stdout(&[
        "--catalog",
        path,
        "recommend",
        "--agents",
        "8",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.lines().count(), 5);
}

#[test]
fn malformed_catalog_files_name_the_place_and_the_reason() {
    let dir = tempdir();
    let syntax = dir.join("syntax.json");
    std::fs::write(
        &syntax,
        "{\n  \"patterns\": [\n    {\"pattern_id\": }\n  ]\n}\n",
    )
    .unwrap();
    let err = bad_input(&["--catalog", syntax.to_str().unwrap(), "list"]);
    assert!(err.contains("syntax.json:3:"), "{err}");

    let typed = dir.join("typed.json");
    std::fs::write(
        &typed,
        r#"{"error_handling_patterns": {"circuit_breaker_patterns": {"recovery_timeout": "soon"}}}"#,
    )
    .unwrap();
    let err = bad_input(&["catalog", "validate", typed.to_str().unwrap()]);
    assert!(
        err.contains("error_handling_patterns.circuit_breaker_patterns.recovery_timeout: expected a non-negative duration"),
        "{err}"
    );

    let err = bad_input(&["--catalog", "/nonexistent/file.json", "list"]);
    assert!(
        err.contains("cannot read catalog file /nonexistent/file.json"),
        "{err}"
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = stdout(&["completions", shell]);
        assert!(
            out.contains("recommend"),
            "{shell} completions lack subcommands"
        );
    }
    let man = stdout(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH"), "not roff");
    assert!(man.contains("recommend"));
    let err = bad_input(&["completions", "tcsh"]);
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn help_has_examples() {
    let out = jaegis().arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Examples:"));
    let out = jaegis().args(["recommend", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("jaegis recommend --agents 40"));
}

/// A fresh directory under the target dir, removed with the next run.
pub fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn inputs_that_would_exhaust_memory_are_refused_with_the_limit() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let err = crate::bad_input(&["--catalog", "/dev/zero", "list"]);
    assert!(
        err.contains("larger than the 16 MB a catalog file may be"),
        "{err}"
    );
    let err = crate::bad_input(&["simulate", "--scenario", "/dev/zero"]);
    assert!(
        err.contains("larger than the 1 MB a scenario file may be"),
        "{err}"
    );
    let err = crate::bad_input(&["merge", "/dev/zero"]);
    assert!(
        err.contains("/dev/zero:1: larger than the 1 MB a sweep line may be"),
        "{err}"
    );
    // Failures so fast the run would only simulate them.
    let err = crate::bad_input(&["simulate", "--mtbf", "1e-9", "--mttr", "1e-9"]);
    assert!(err.contains("failure events per request"), "{err}");
}

#[test]
fn small_doors_behave_as_users_expect() {
    // No match is exit 1, as grep and ripgrep, with the empty result still written.
    let out = crate::jaegis()
        .args(["search", "zzzzqq", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["hits"].as_array().map(Vec::len), Some(0), "{doc}");
    // catalog validate --format csv writes its table's header even with nothing to list.
    let csv = crate::stdout(&[
        "catalog",
        "validate",
        "data/catalog.json",
        "--format",
        "csv",
    ]);
    assert!(csv.starts_with("change,entry"), "{csv}");
    // A value swept twice would simulate one point twice.
    let err = crate::bad_input(&["sweep", "--pattern", "pipeline", "--load", "0.5,0.50"]);
    assert!(
        err.contains("--load: 0.50 is given twice (as 0.5)"),
        "{err}"
    );
    // However it is spelt: simulate reads the two alike.
    for (flag, values) in [
        ("--timeout", "30,30s"),
        ("--slo", "2s@99%,2000ms@99%"),
        ("--service", "exp:1,exponential:1.0"),
        ("--retry", "exponential,exponential_backoff"),
    ] {
        let err = crate::bad_input(&["sweep", "--pattern", "pipeline", flag, values]);
        assert!(err.contains("is given twice"), "{flag} {values}: {err}");
    }
}
