//! `jaegis simulate` as a user runs it.

use crate::commands::tempdir;
use crate::{bad_input, check_format, jaegis, outputs, stdout};

/// A small, quick scenario: results in well under a second.
const SMALL: &[&str] = &["--tasks", "3000", "--replications", "3"];

fn simulate(extra: &[&str]) -> String {
    let mut args = vec!["simulate"];
    args.extend(SMALL);
    args.extend(extra);
    stdout(&args)
}

#[test]
fn one_pattern_compares_every_balancer_with_a_verdict() {
    let out = simulate(&["--pattern", "scatter_gather", "--fan-out", "3"]);
    for balancer in [
        "round_robin",
        "weighted_round_robin",
        "least_connections",
        "capability_based",
        "predictive",
        "random",
        "power_of_two",
    ] {
        assert!(out.contains(balancer), "{balancer} missing:\n{out}");
    }
    assert!(out.contains("p99 (s)") && out.contains("p99.9 (s)") && out.contains(" ± "));
    let verdict = out.lines().last().unwrap();
    assert!(
        verdict.contains("is best on p99 over all requests")
            || verdict.contains("differs from another beyond chance"),
        "{verdict}"
    );
}

#[test]
fn rows_are_sorted_by_p99() {
    let out = simulate(&[
        "--pattern",
        "master_slave",
        "--load",
        "0.7",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let table = simulate(&[
        "--pattern",
        "master_slave",
        "--load",
        "0.7",
        "--format",
        "markdown",
    ]);
    let mut p99: Vec<(f64, String)> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["metrics"]["latency_p99"]["mean"].as_f64().unwrap(),
                r["balancer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    p99.sort_by(|a, b| a.0.total_cmp(&b.0));
    let order: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| balancer") && !l.starts_with("| ---"))
        .map(|l| l.split('|').nth(1).unwrap().trim())
        .collect();
    assert_eq!(order[0], p99[0].1);
}

#[test]
fn every_format_works_and_json_follows_the_design() {
    for format in ["table", "json", "jsonl", "csv", "markdown"] {
        let out = simulate(&[
            "--pattern",
            "pipeline,scatter_gather",
            "--balancer",
            "round_robin,least_connections",
            "--format",
            format,
        ]);
        let values = check_format(format, &out);
        if format == "jsonl" {
            assert_eq!(values.len(), 4, "one line per pattern and balancer");
        }
        if format == "csv" {
            assert!(
                out.starts_with(
                    "pattern,balancer,offered_rate,offered_load,offered_coordination_load,arrival_rate_mean,arrival_rate_ci95,arrival_rate_at_least,throughput_mean"
                )
            );
            assert_eq!(out.lines().count(), 5);
        }
        if format == "json" {
            let doc = &values[0];
            assert_eq!(doc["schema_version"], 2);
            assert_eq!(doc["tool_version"], env!("CARGO_PKG_VERSION"));
            let scenario = &doc["scenario"];
            for key in [
                "agents",
                "rate",
                "load",
                "tasks",
                "replications",
                "seed",
                "service",
                "arrivals",
                "heartbeat",
                "gather_timeout",
                "buffer",
                "fan_out",
                "failure_threshold",
                "per_pattern",
            ] {
                assert!(
                    !scenario[key].is_null() || key == "load" || key == "fan_out",
                    "scenario lacks {key}"
                );
            }
            assert_eq!(scenario["service"], "exp:1");
            assert_eq!(scenario["gather_timeout"], 60.0);
            let result = &doc["results"][0];
            for metric in [
                "throughput",
                "latency_mean",
                "latency_p50",
                "latency_p95",
                "latency_p99",
                "latency_p999",
                "wait_mean",
                "success_rate",
                "attempts_per_task",
                "utilization",
                "fairness",
            ] {
                assert!(result["metrics"][metric]["mean"].is_number(), "{metric}");
                assert!(
                    result["metrics"][metric]["ci95"].is_number(),
                    "{metric} ci95"
                );
            }
            let tasks = &result["tasks"];
            let sum = tasks["completed"].as_u64().unwrap()
                + tasks["failed"].as_u64().unwrap()
                + tasks["in_flight"].as_u64().unwrap();
            assert_eq!(tasks["generated"].as_u64().unwrap(), sum);
            assert_eq!(tasks["generated"], 9000);
        }
    }
}

#[test]
fn the_same_seed_gives_byte_identical_json_whatever_the_threads() {
    let args = [
        "simulate",
        "--pattern",
        "all",
        "--balancer",
        "all",
        "--tasks",
        "2000",
        "--replications",
        "3",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let run = |threads: &str| {
        let out = jaegis()
            .env("RAYON_NUM_THREADS", threads)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"), "1 and 2 threads differ");
    assert_eq!(one, run("2"), "two runs differ");
    let other_seed = stdout(&[
        "simulate",
        "--pattern",
        "all",
        "--balancer",
        "all",
        "--tasks",
        "2000",
        "--replications",
        "3",
        "--seed",
        "8",
        "--format",
        "json",
    ]);
    assert_ne!(one, other_seed.into_bytes(), "the seed changes nothing");
}

#[test]
fn a_scenario_file_sets_flags_and_flags_override_it() {
    let dir = tempdir();
    let file = dir.join("s.toml");
    std::fs::write(&file, "pattern = \"scatter_gather\"\nfan_out = 3\nagents = 6\ntasks = 2000\nreplications = 2\nload = 0.5\n").unwrap();
    let path = file.to_str().unwrap();
    let out = stdout(&[
        "simulate",
        "--scenario",
        path,
        "--load",
        "0.7",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["scenario"]["agents"], 6);
    assert_eq!(doc["scenario"]["fan_out"], 3);
    assert_eq!(doc["scenario"]["load"], 0.7);
    assert_eq!(doc["scenario"]["patterns"][0], "scatter_gather_001");
}

#[test]
fn scenario_files_take_the_same_names_as_flags() {
    // Aliases and any case, as on the command line.
    let dir = tempdir();
    let file = dir.join("aliases.toml");
    std::fs::write(&file, "tasks = 500\nreplications = 1\nretry = \"Exponential\"\njitter = \"FULL\"\ncircuit_breaker = \"failure_rate\"\nqueue = \"per_agent\"\ntimeout = 30\n").unwrap();
    let out = stdout(&[
        "simulate",
        "--scenario",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &doc["scenario"];
    assert_eq!(r["retry"]["kind"], "exponential", "{r}");
    assert_eq!(r["retry"]["jitter"], "full", "{r}");
    assert_eq!(r["circuit_breaker"]["kind"], "failure-rate", "{r}");
    assert_eq!(r["queue"], "per-agent", "{r}");
}

#[test]
fn bad_input_names_the_flag_and_what_is_accepted() {
    let dir = tempdir();
    let unknown_key = dir.join("unknown.toml");
    std::fs::write(&unknown_key, "agents = 8\nfan_outt = 4\n").unwrap();
    let wrong_type = dir.join("wrong.toml");
    std::fs::write(&wrong_type, "agents = 8\n\nload = \"high\"\n").unwrap();
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec!["--pattern", "scater_gather"],
            &["--pattern", "did you mean scatter_gather_001?"],
        ),
        (
            vec!["--balancer", "least_conections"],
            &["--balancer", "did you mean least_connections?"],
        ),
        (vec!["--agents", "0"], &["--agents", "from 1 to"]),
        (vec!["--load", "-0.5"], &["--load", "above 0"]),
        (vec!["--load", "abc"], &["--load", "expected a number"]),
        (
            vec!["--service", "exp:-1"],
            &["--service", "must be above 0"],
        ),
        (
            vec!["--service", "weibull:2"],
            &["--service", "unknown distribution 'weibull'", "exp:MEAN"],
        ),
        (
            vec!["--pattern", "scatter_gather", "--fan-out", "12"],
            &["--fan-out", "12 is not between 1 and the 8 agents"],
        ),
        (
            vec!["--pattern", "pipeline", "--stages", "9"],
            &["--stages", "9 stages need at least 9 workers"],
        ),
        (
            vec!["--replications", "0"],
            &["--replications", "from 1 to"],
        ),
        (vec!["--warmup", "1.5"], &["--warmup", "fraction"]),
        (
            vec!["--arrivals", "sometimes"],
            &["--arrivals", "poisson, deterministic or bursty"],
        ),
        (vec!["--queue", "both"], &["--queue", "shared or per-agent"]),
        (
            vec!["--scenario", unknown_key.to_str().unwrap()],
            &["unknown.toml:2: fan_outt: unknown key; did you mean fan_out"],
        ),
        (
            vec!["--scenario", wrong_type.to_str().unwrap()],
            &["wrong.toml:3: load:"],
        ),
        (
            vec!["--scenario", "/nonexistent.toml"],
            &["cannot read scenario file /nonexistent.toml"],
        ),
        (vec!["--mtbf", "100"], &["--mtbf", "needs --mttr"]),
        (
            vec!["--outage", "9@10+5"],
            &["--outage", "agent 9 does not exist", "0 to 7"],
        ),
        (
            vec!["--outage", "1@10"],
            &["--outage", "AGENT@START+DURATION"],
        ),
        (
            vec!["--retry", "sometimes"],
            &["--retry", "none, immediate, linear or exponential"],
        ),
        (
            vec!["--jitter", "lots"],
            &["--jitter", "none, full, equal or decorrelated"],
        ),
        (
            vec!["--retry-budget", "2"],
            &["--retry-budget", "at most 1"],
        ),
        (
            vec!["--circuit-breaker", "fuse"],
            &["--circuit-breaker", "consecutive or failure-rate"],
        ),
        (vec!["--timeout", "-1"], &["--timeout", "or none"]),
        (
            vec!["--hedge-after-quantile", "1.5"],
            &["--hedge-after-quantile", "between 0 and 1"],
        ),
        (
            vec!["--spike", "10+5"],
            &["--spike", "START+DURATION:FACTOR"],
        ),
        (vec!["--queue-limit", "0"], &["--queue-limit", "from 1 to"]),
        (vec!["--max-ejection", "0"], &["--max-ejection", "above 0"]),
        (
            vec!["--spike", "10+20:2", "--spike", "20+5:3"],
            &["--spike", "the spikes at 10 s and 20 s overlap"],
        ),
        (
            vec!["--timeline", "1e-7", "--tasks", "500"],
            &["--timeline", "buckets"],
        ),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["simulate"];
        args.extend(&extra);
        let err = bad_input(&args);
        for needle in needles {
            assert!(err.contains(needle), "{extra:?}: {err:?} lacks {needle:?}");
        }
    }
}

#[test]
fn overload_runs_with_a_warning() {
    let (_, stderr) = outputs(&[
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "round_robin",
        "--load",
        "1.2",
        "--tasks",
        "2000",
        "--replications",
        "2",
    ]);
    assert!(
        stderr.contains("warning:") && stderr.contains("grow without bound"),
        "{stderr}"
    );
}

#[test]
fn extreme_but_valid_settings_finish() {
    // Heartbeats every microsecond cost nothing between events; a fan-out beyond 65,535 agents
    // fits the counters. The timeout only guards against a hang.
    for args in [
        &[
            "--pattern",
            "peer_to_peer",
            "--heartbeat",
            "0.000001",
            "--tasks",
            "2000",
            "--replications",
            "1",
        ][..],
        &[
            "--pattern",
            "scatter_gather",
            "--agents",
            "70000",
            "--fan-out",
            "70000",
            "--tasks",
            "3",
            "--replications",
            "1",
            "--balancer",
            "least_connections",
        ][..],
    ] {
        let out = jaegis()
            .arg("simulate")
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn runs_that_collapse_are_flagged() {
    // Twenty stages with no buffers block each other: the line cannot keep up at load 0.8,
    // its backlog grows for the whole run, and it is reported as collapsed.
    let (_, stderr) = outputs(&[
        "simulate",
        "--pattern",
        "pipeline",
        "--agents",
        "20",
        "--stages",
        "20",
        "--buffer",
        "0",
        "--load",
        "0.8",
        "--tasks",
        "5000",
        "--replications",
        "2",
        "--balancer",
        "round_robin",
    ]);
    assert!(stderr.contains("collapsed under round_robin"), "{stderr}");
}

#[test]
fn a_scenario_file_is_held_to_what_its_flags_accept() {
    let dir = crate::commands::tempdir();
    for (key, value, flag_value) in [
        ("agents", "2000000", "2000000"),
        ("speeds", "[1, 0]", "1,0"),
        ("master_concurrency", "0", "0"),
    ] {
        let file = dir.join(format!("{key}.toml"));
        std::fs::write(&file, format!("# a comment\n{key} = {value}\n")).unwrap();
        let from_file = crate::bad_input(&["simulate", "--scenario", file.to_str().unwrap()]);
        assert!(
            from_file.contains(&format!("{key}.toml:2: {key}:")),
            "{from_file}"
        );
        let flag = format!("--{}", key.replace('_', "-"));
        let from_flag = crate::bad_input(&["simulate", &flag, flag_value]);
        // The same parser, so the same reason.
        let reason = from_file.rsplit(": ").next().unwrap().trim();
        assert!(from_flag.contains(reason), "{from_flag} / {reason}");
    }
}

#[test]
fn csv_rows_mark_censoring_and_carry_warnings_with_or_without_a_timeline() {
    // A 1 s timeout on 1 s of work: many requests fail, so p99 falls among them.
    let args = [
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "least_connections",
        "--agents",
        "3",
        "--rate",
        "1.5",
        "--timeout",
        "1",
        "--tasks",
        "2000",
        "--replications",
        "2",
        "--format",
        "csv",
    ];
    let read = |text: String| {
        let mut rows = csv::Reader::from_reader(std::io::Cursor::new(text.into_bytes()));
        let header = rows.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
        (header, rows)
    };
    let (header, rows) = read(crate::stdout(&args));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("latency_p99_mean")], "");
    assert_eq!(
        &rows[0][col("latency_p99_at_least")],
        "inf",
        "among the failed"
    );
    let warnings = rows[0][col("warnings")].to_string();
    assert!(!warnings.is_empty());
    let mut with_timeline = args.to_vec();
    with_timeline.extend(["--timeline", "100"]);
    let (header, rows) = read(crate::stdout(&with_timeline));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert!(rows.len() > 1);
    for row in &rows {
        assert_eq!(row[col("warnings")], warnings);
    }
}

#[test]
fn a_flag_replaces_the_files_value_and_its_exclusive_partner() {
    // Every shipped example can be shortened from the command line, whichever way its file
    // gives its length, and its traffic given the other way.
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
        let path = entry.unwrap().path();
        // examples/traces/ holds request logs, not scenarios.
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let path = path.to_str().unwrap();
        for extra in [
            &["--tasks", "500"][..],
            &["--duration", "50s", "--load", "0.5"][..],
        ] {
            let mut args = vec!["simulate", "--scenario", path, "--replications", "1"];
            args.extend(extra);
            stdout(&args);
        }
    }
    let out = stdout(&[
        "sweep",
        "--scenario",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/retry-storm.toml"),
        "--tasks",
        "500",
        "--replications",
        "1",
        "--retry-budget",
        "0.1,0.2",
    ]);
    assert!(out.contains("2 points"), "{out}");
    // Both ways at once on the command line is still a contradiction.
    let err = bad_input(&["simulate", "--tasks", "500", "--duration", "50s"]);
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn absurd_magnitudes_are_refused_not_printed_in_300_digits() {
    for (flag, value) in [
        ("--load", "1e300"),
        ("--load", "1e-300"),
        ("--rate", "1e300"),
        ("--rate", "1e-300"),
    ] {
        let err = bad_input(&["simulate", flag, value]);
        assert!(err.contains("must be from"), "{flag} {value}: {err}");
        assert!(err.len() < 300, "{err}");
    }
}

#[test]
fn small_mistakes_get_small_precise_messages() {
    let dir = tempdir();
    let file = dir.join("typo.toml");
    std::fs::write(&file, "agnets = 5\n").unwrap();
    let err = bad_input(&["simulate", "--scenario", file.to_str().unwrap()]);
    assert!(err.contains("did you mean agents"), "{err}");
    assert!(!err.contains("expected one of"), "{err}");
    let err = bad_input(&["recommend", "--agents", "8", "--simulate", "--budget", "-5"]);
    assert!(err.contains("--budget") && err.contains("600s"), "{err}");
    // Two requests judge nothing: said as such, not as a fleet that fell behind.
    let out = jaegis()
        .args(["simulate", "--tasks", "2", "--replications", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("too few to judge"), "{stderr}");
    assert!(!stderr.contains("did not keep up"), "{stderr}");
}
