//! `jaegis sweep` and `jaegis merge` as a user runs them.

use crate::commands::tempdir;
use crate::{bad_input, check_format, jaegis, stdout};

/// A sweep of 2 patterns x 2 balancers x 4 loads = 16 small points.
const SWEEP: &[&str] = &[
    "sweep",
    "--pattern",
    "master_slave,pipeline",
    "--balancer",
    "least_connections,random",
    "--agents",
    "9",
    "--load",
    "0.5:0.8:0.1",
    "--tasks",
    "2000",
    "--replications",
    "2",
];

fn run(args: &[&str], extra: &[&str], threads: &str) -> String {
    let out = jaegis()
        .args(args)
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("jaegis runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_union_of_shards_is_the_unsharded_sweep_point_for_point() {
    let whole = run(SWEEP, &["--format", "jsonl"], "2");
    let lines = check_format("jsonl", &whole);
    assert_eq!(lines.len(), 16);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["point"], i);
        assert_eq!(line["sweep"]["points"], 16);
        assert_eq!(line["parameters"]["pattern"], line["result"]["pattern"]);
        assert_eq!(line["parameters"]["balancer"], line["result"]["balancer"]);
    }

    let dir = tempdir();
    let mut files = Vec::new();
    for (i, threads) in [(1, "1"), (2, "2"), (3, "1")] {
        let shard = format!("{i}/3");
        let out = run(SWEEP, &["--shard", &shard, "--format", "jsonl"], threads);
        // Round-robin: shard i holds the points i-1, i-1+3, ...
        for line in check_format("jsonl", &out) {
            assert_eq!(line["point"].as_u64().unwrap() % 3, i - 1);
        }
        let path = dir.join(format!("shard-{i}.jsonl"));
        std::fs::write(&path, out).unwrap();
        files.push(path.display().to_string());
    }
    files.reverse();
    let mut merge = vec!["merge"];
    merge.extend(files.iter().map(String::as_str));

    let mut jsonl = merge.clone();
    jsonl.extend(["--format", "jsonl"]);
    assert_eq!(
        stdout(&jsonl),
        whole,
        "merged lines differ from the unsharded sweep"
    );
    for format in ["table", "json", "csv", "markdown"] {
        let mut merged = merge.clone();
        merged.extend(["--format", format]);
        assert_eq!(
            stdout(&merged),
            run(SWEEP, &["--format", format], "2"),
            "merged {format} differs from the unsharded sweep"
        );
    }
}

#[test]
fn ranges_and_lists_expand_into_typed_parameters() {
    let out = stdout(&[
        "sweep",
        "--pattern",
        "scatter_gather",
        "--balancer",
        "round_robin",
        "--agents",
        "4,8",
        "--fan-out",
        "2",
        "--load",
        "0.3:0.5:0.1",
        "--accept-partial",
        "true,false",
        "--tasks",
        "500",
        "--replications",
        "2",
        "--format",
        "jsonl",
    ]);
    let lines = check_format("jsonl", &out);
    assert_eq!(lines.len(), 2 * 3 * 2);
    let first = &lines[0]["parameters"];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    // Single-valued flags (fan-out) are not parameters; pattern and balancer always are.
    assert_eq!(
        keys,
        ["pattern", "balancer", "agents", "load", "accept_partial"]
    );
    assert_eq!(first["agents"], 4);
    assert_eq!(first["load"], 0.3);
    assert_eq!(first["accept_partial"], true);
    assert_eq!(lines[11]["parameters"]["agents"], 8);
    assert_eq!(lines[11]["parameters"]["load"], 0.5);
    assert_eq!(lines[11]["parameters"]["accept_partial"], false);
    // The parameters reach the simulation: 0.5 of 8 agents' speed over 1 s of work.
    assert_eq!(lines[11]["result"]["offered"]["load"], 0.5);
    assert_eq!(lines[11]["result"]["offered"]["rate"], 4.0);
}

#[test]
fn list_valued_flags_take_alternatives_separated_by_semicolons() {
    let out = stdout(&[
        "sweep",
        "--pattern",
        "master_slave",
        "--balancer",
        "weighted_round_robin",
        "--agents",
        "5",
        "--speeds",
        "1,1,1,1;1,1,2,4",
        "--outage",
        "1@10+5,2@10+5",
        "--tasks",
        "500",
        "--replications",
        "2",
        "--format",
        "jsonl",
    ]);
    let lines = check_format("jsonl", &out);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["parameters"]["speeds"], "1,1,1,1");
    assert_eq!(lines[0]["parameters"]["outage"], "1@10+5");
    assert_eq!(lines[3]["parameters"]["speeds"], "1,1,2,4");
    assert_eq!(lines[3]["parameters"]["outage"], "2@10+5");
}

#[test]
fn the_scenario_file_sets_what_the_flags_do_not() {
    let dir = tempdir();
    let file = dir.join("base.toml");
    std::fs::write(
        &file,
        "pattern = \"pipeline\"\nbalancer = \"round_robin\"\nagents = 6\ntasks = 500\nreplications = 2\n",
    )
    .unwrap();
    let out = stdout(&[
        "sweep",
        "--scenario",
        file.to_str().unwrap(),
        "--load",
        "0.4,0.6",
        "--format",
        "jsonl",
    ]);
    let lines = check_format("jsonl", &out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["result"]["pattern"], "pipeline_001");
    assert_eq!(lines[1]["result"]["balancer"], "round_robin");
    assert_eq!(lines[1]["result"]["offered"]["load"], 0.6);
}

#[test]
fn bad_values_are_rejected_before_anything_runs() {
    let err = bad_input(&["sweep", "--agents", "9,many"]);
    assert!(err.contains("invalid value 'many' for '--agents"), "{err}");
    let err = bad_input(&["sweep", "--load", "0.9:0.5:0.1"]);
    assert!(err.contains("START <= STOP"), "{err}");
    let err = bad_input(&["sweep", "--pattern", "scater_gather"]);
    assert!(err.contains("did you mean"), "{err}");
    let err = bad_input(&["sweep", "--shard", "4/3"]);
    assert!(err.contains("from 1 to N"), "{err}");
    // A combination the scenario rejects names its point.
    let err = bad_input(&["sweep", "--pattern", "master_slave", "--agents", "1,3"]);
    assert!(
        err.contains("point 0 (") && err.contains("agents=1"),
        "{err}"
    );
}

#[test]
fn merge_refuses_missing_duplicate_or_foreign_points() {
    let dir = tempdir();
    let write = |name: &str, args: &[&str]| {
        let path = dir.join(name);
        std::fs::write(&path, run(args, &["--format", "jsonl"], "2")).unwrap();
        path.display().to_string()
    };
    let small = [
        "sweep",
        "--pattern",
        "pipeline",
        "--balancer",
        "random",
        "--load",
        "0.5,0.6,0.7",
        "--tasks",
        "300",
        "--replications",
        "2",
    ];
    let one = write("one.jsonl", &[&small[..], &["--shard", "1/2"]].concat());
    let two = write("two.jsonl", &[&small[..], &["--shard", "2/2"]].concat());
    let other = write(
        "other.jsonl",
        &[
            "sweep",
            "--pattern",
            "pipeline",
            "--balancer",
            "random",
            "--load",
            "0.5,0.6,0.7",
            "--tasks",
            "301",
            "--replications",
            "2",
            "--shard",
            "2/2",
        ],
    );

    let err = bad_input(&["merge", &one]);
    assert!(
        err.contains("1 of the sweep's 3 points is missing (1)"),
        "{err}"
    );
    let err = bad_input(&["merge", &one, &two, &one]);
    assert!(err.contains("appears twice"), "{err}");
    let err = bad_input(&["merge", &one, &other]);
    assert!(err.contains("different sweeps"), "{err}");
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"point\": 1}\n").unwrap();
    let err = bad_input(&["merge", bad.to_str().unwrap()]);
    assert!(err.contains("bad.jsonl:1: not a sweep line"), "{err}");
    let err = bad_input(&["merge", "no-such-file.jsonl"]);
    assert!(err.contains("cannot read no-such-file.jsonl"), "{err}");
    assert!(stdout(&["merge", &two, &one]).contains("3 points"));
}

#[test]
fn stats_go_to_stderr_and_the_progress_bar_never_shows_off_a_terminal() {
    let out = jaegis()
        .args([
            "simulate",
            "--pattern",
            "master_slave",
            "--balancer",
            "least_connections",
        ])
        .args([
            "--tasks",
            "20000",
            "--replications",
            "2",
            "--stats",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("stats: ") && stderr.contains("events/s"),
        "{stderr}"
    );
    if cfg!(target_os = "linux") {
        assert!(
            stderr.contains("peak memory") && stderr.contains("MiB"),
            "{stderr}"
        );
    }
    // The JSON on stdout is untouched.
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
}

#[test]
fn a_csv_row_of_an_overloaded_point_carries_its_warnings_and_collapse() {
    let csv = run(
        &[
            "sweep",
            "--pattern",
            "master_slave",
            "--balancer",
            "round_robin",
            "--agents",
            "4",
            "--rate",
            "1,5",
            "--tasks",
            "4000",
            "--replications",
            "2",
            "--format",
            "csv",
        ],
        &[],
        "2",
    );
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let (calm, overloaded) = (&rows[0], &rows[1]);
    assert_eq!(&calm[column("rate")], "1");
    assert_eq!(&calm[column("warnings")], "");
    assert_eq!(&calm[column("collapsed_replications")], "");
    // 5 requests/s on 3 workers: far beyond capacity, so it collapses and says so.
    assert!(overloaded[column("warnings")].contains("collapsed"));
    assert_eq!(&overloaded[column("collapsed_replications")], "2");
    assert_eq!(&overloaded[column("latency_p99_mean")], "");
    assert!(!overloaded[column("latency_p99_at_least")].is_empty());
}

#[test]
fn one_point_is_one_point() {
    let out = crate::stdout(&[
        "sweep",
        "--pattern",
        "master_slave",
        "--balancer",
        "round_robin",
        "--agents",
        "3",
        "--tasks",
        "500",
        "--replications",
        "1",
        "--load",
        "0.5",
    ]);
    assert!(out.starts_with("1 point: jaegis sweep"), "{out}");
}

#[test]
fn a_streamed_sweep_stops_when_its_reader_does() {
    use std::io::BufRead;
    // 20,001 points of 20,000 requests: minutes of work, unless closing stdout stops it.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jaegis"))
        .args([
            "sweep",
            "--pattern",
            "pipeline",
            "--balancer",
            "round_robin",
            "--load",
            "0.1:0.9:0.00004",
            "--tasks",
            "20000",
            "--replications",
            "1",
            "--format",
            "jsonl",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"point\":0"), "{first}");
    // The reader is gone: the next write fails and the sweep ends, successfully, as `| head`.
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}
