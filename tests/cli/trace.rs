//! `jaegis trace`: real logs in every accepted form, every kind of bad input with its
//! `file:line: column: reason`, and the shipped Azure trace.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{bad_input, jaegis, outputs, stdout};

const AZURE: &str = "examples/traces/azure-llm-conv-2023.csv.gz";

/// A file of this test process's own, under the target directory.
fn file(name: &str, content: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&stdout(&all)).unwrap()
}

/// 120 requests a second apart, work cycling 0.5 to 3.5 s, tokens out 0 to 40, two kinds.
fn small_csv() -> String {
    let mut text = String::from("Time,Duration,Tokens-Out,kind\n");
    for i in 0..120 {
        text.push_str(&format!(
            "{},{},{},{}\n",
            i,
            0.5 + f64::from(i % 4),
            10 * (i % 5),
            if i % 3 == 0 { "chat" } else { "code" }
        ));
    }
    text
}

#[test]
fn a_small_csv_is_described_and_fitted() {
    let path = file("small.csv", small_csv().as_bytes());
    let p = path.to_str().unwrap();
    let doc = json(&[p]);
    assert_eq!(doc["requests"], 120);
    assert_eq!(doc["duration"], 119.0);
    assert_eq!(doc["mean_rate"], 1.0);
    assert_eq!(doc["format"], "csv");
    assert_eq!(doc["gzip"], false);
    assert_eq!(doc["columns"]["work"], "Duration");
    assert_eq!(doc["stats"]["work"]["max"], 3.5);
    assert_eq!(doc["kinds"]["chat"], 40);
    assert_eq!(doc["arrivals"]["process"], "poisson");
    let flags = doc["flags"].as_str().unwrap();
    assert!(
        flags.starts_with("--rate 1 --arrivals poisson --service "),
        "{flags}"
    );
    let table = stdout(&["trace", p]);
    for needle in [
        "Requests",
        "Kinds",
        "Burstiness",
        "Fitted",
        "  --rate 1 --arrivals poisson --service ",
    ] {
        assert!(table.contains(needle), "{needle} missing:\n{table}");
    }
}

#[test]
fn json_lines_gzip_and_a_column_spec_are_read() {
    let lines = "{\"at\": \"2024-05-01T10:00:00Z\", \"elapsed_ms\": 1500, \"n_in\": 100}\n\
                 {\"at\": \"2024-05-01T10:00:02.5Z\", \"elapsed_ms\": 500, \"n_in\": 300}\n\
                 {\"at\": \"2024-05-01 12:00:01+02:00\", \"elapsed_ms\": 1000, \"n_in\": 200}\n";
    let path = file("calls.log", lines.as_bytes());
    let doc = json(&[
        path.to_str().unwrap(),
        "--trace-columns",
        "time=at,work=elapsed_ms,in=n_in",
    ]);
    assert_eq!(doc["format"], "jsonl");
    assert_eq!(doc["requests"], 3);
    assert_eq!(doc["duration"], 2.5);
    assert_eq!(doc["stats"]["work"]["max"], 1.5);
    assert_eq!(doc["stats"]["tokens_in"]["p50"], 200.0);
    assert_eq!(doc["start"], "2024-05-01T10:00:00Z");

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(small_csv().as_bytes()).unwrap();
    // The name says nothing: the magic bytes do.
    let path = file("small.txt", &gz.finish().unwrap());
    let doc = json(&[path.to_str().unwrap()]);
    assert_eq!(doc["gzip"], true);
    assert_eq!(doc["requests"], 120);
}

#[test]
fn bad_input_says_file_line_column_and_reason() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty.csv", b"", "empty file"),
        ("header.csv", b"time,work\n", "no rows after the header"),
        (
            "cell.csv",
            b"time,work\n0,1\n1,fast\n",
            ":3: work: 'fast' is not a number",
        ),
        ("neg.csv", b"time,work\n0,-1\n", ":2: work: -1 is negative"),
        (
            "nan.csv",
            b"time,work\n0,NaN\n",
            ":2: work: NaN is not a finite number",
        ),
        (
            "frac.csv",
            b"time,tokens_in\n0,2.5\n",
            ":2: tokens_in: 2.5 is not a whole number of tokens",
        ),
        (
            "big.csv",
            b"time,tokens_out\n0,5000000000\n",
            ":2: tokens_out: 5000000000 tokens is above the limit of 4294967295",
        ),
        (
            "fields.csv",
            b"time,work\n0,1\n1\n",
            ":3: 1 fields, but the header has 2",
        ),
        (
            "utf8.csv",
            b"time,work,kind\n0,1,\xff\n",
            ":2: kind: not valid UTF-8",
        ),
        (
            "mixed.csv",
            b"time,work\n2024-01-01T00:00:00Z,1\n3,1\n",
            ":3: time: a number of seconds, but the rows before have ISO 8601 date-times",
        ),
        (
            "array.jsonl",
            b"{\"time\": 0, \"work\": 1}\n[0, 1]\n",
            ":2: not a JSON object",
        ),
        (
            "notime.csv",
            b"stamp,work\n0,1\n",
            ":1: time: no time column: name it time or timestamp",
        ),
        (
            "nowork.csv",
            b"time,size\n0,1\n",
            ":1: work: no work column: work comes from a work or duration column",
        ),
    ];
    for (name, content, expected) in cases {
        let path = file(name, content);
        let p = path.to_str().unwrap();
        let err = bad_input(&["trace", p]);
        let want = format!(
            "error: {p}{}{expected}",
            if expected.starts_with(':') { "" } else { ": " }
        );
        assert!(err.starts_with(&want), "{name}: {err}\nwanted: {want}");
    }
    // A missing column lists the headers found and suggests the nearest.
    let path = file("timestamps.csv", b"TIMESTAMPS,work\n0,1\n");
    let err = bad_input(&["trace", path.to_str().unwrap()]);
    assert!(
        err.contains("headers found: 'TIMESTAMPS', 'work'")
            && err.contains("did you mean TIMESTAMPS?"),
        "{err}"
    );
    let err = bad_input(&[
        "trace",
        AZURE,
        "--trace-columns",
        "time=TIMESTAMP,out=Generated",
    ]);
    assert!(
        err.starts_with(&format!("error: {AZURE}:1: tokens_out: no column 'Generated' (headers found: 'TIMESTAMP', 'ContextTokens', 'GeneratedTokens')")),
        "{err}"
    );
    assert!(err.contains("did you mean GeneratedTokens?"), "{err}");
    let err = bad_input(&["trace", "no/such/file.csv"]);
    assert!(
        err.starts_with("error: no/such/file.csv: cannot open"),
        "{err}"
    );
    let err = bad_input(&["trace", AZURE, "--trace-window", "600"]);
    assert!(err.contains("FROM+DURATION"), "{err}");
    let err = bad_input(&["trace", AZURE, "--trace-window", "99999+10"]);
    assert!(err.contains("no request in the window 99999+10"), "{err}");
    let err = bad_input(&["trace", AZURE, "--trace-columns", "when=TIMESTAMP"]);
    assert!(err.contains("unknown role 'when'"), "{err}");
    // A gzip cut short fails on the line after the last whole row, not at the top.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(small_csv().as_bytes()).unwrap();
    let zipped = gz.finish().unwrap();
    let path = file("cut.csv.gz", &zipped[..zipped.len() - 12]);
    let err = bad_input(&["trace", path.to_str().unwrap()]);
    assert!(
        err.contains("cut.csv.gz:") && err.contains(": cannot read"),
        "{err}"
    );
    assert!(!err.contains("cut.csv.gz:1:"), "{err}");
}

#[test]
fn skip_bad_counts_and_shows_the_first_errors() {
    let mut text = small_csv();
    text.push_str("200,oops,1,chat\n201,1\n");
    let path = file("dirty.csv", text.as_bytes());
    let p = path.to_str().unwrap();
    bad_input(&["trace", p]);
    let doc = json(&[p, "--trace-skip-bad"]);
    assert_eq!(doc["requests"], 120);
    assert_eq!(doc["skipped"], 2);
    let errors = doc["skipped_errors"].as_array().unwrap();
    assert_eq!(
        errors[0],
        format!("{p}:122: Duration: 'oops' is not a number")
    );
    assert_eq!(
        errors[1],
        format!("{p}:123: 2 fields, but the header has 4")
    );
    let table = stdout(&["trace", p, "--trace-skip-bad"]);
    assert!(table.contains("2 bad rows skipped"), "{table}");
}

#[test]
fn the_azure_trace_is_described_and_its_flags_run() {
    let doc = json(&[AZURE]);
    assert_eq!(doc["requests"], 19_366);
    assert_eq!(doc["columns"]["tokens_in"], "ContextTokens");
    assert_eq!(doc["start"], "2023-11-16 18:15:46.6805900");
    let rate = doc["mean_rate"].as_f64().unwrap();
    assert!((5.0..6.0).contains(&rate), "{rate}");
    // Conversations come in bursts: far from Poisson at 10 s.
    assert!(
        doc["arrivals"]["process"]
            .as_str()
            .unwrap()
            .starts_with("bursty:")
    );
    let flags = doc["flags"].as_str().unwrap().to_string();
    assert!(
        flags.contains("--tokens-in ") && flags.contains("--tokens-out "),
        "{flags}"
    );
    // The flags are what simulate reads.
    let mut args: Vec<&str> = vec!["simulate", "--pattern", "master_slave", "--tasks", "2000"];
    args.extend(flags.split_whitespace());
    args.extend(["--replications", "2", "--format", "json"]);
    let sim: Value = serde_json::from_str(&stdout(&args)).unwrap();
    assert!(sim["results"].is_array());

    // A window is re-based and smaller.
    let window = json(&[AZURE, "--trace-window", "600+300"]);
    let n = window["requests"].as_u64().unwrap();
    assert!(n > 1000 && n < 3000, "{n}");
    assert!(window["duration"].as_f64().unwrap() < 300.0);
    assert!(window["start"].as_str().unwrap().contains(" + 600"));
}

#[test]
fn the_table_fits_80_columns_and_every_format_works() {
    let out = jaegis()
        .args(["trace", AZURE])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} chars: {line}",
            line.chars().count()
        );
    }
    for format in ["jsonl", "csv", "markdown"] {
        let out = stdout(&["trace", AZURE, "--format", format]);
        super::check_format(format, &out);
    }
}

#[test]
fn the_chart_has_the_rate_and_the_fit() {
    let svg = file("chart.svg", b"");
    stdout(&["trace", AZURE, "--plot", svg.to_str().unwrap()]);
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("valid SVG");
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    let all = texts.join(" ");
    for needle in [
        "arrivals per second",
        "tokens out: trace and fit",
        "GeneratedTokens",
        "fitted exp",
    ] {
        assert!(
            all.contains(needle),
            "{needle} missing from the chart: {all}"
        );
    }
}

#[test]
fn help_has_examples() {
    let help = stdout(&["trace", "--help"]);
    assert!(
        help.contains("Examples:\n  jaegis trace examples/traces/azure-llm-conv-2023.csv.gz"),
        "{help}"
    );
    assert!(help.contains("--trace-columns"), "{help}");
}

/// `simulate` on one agent with no hops or warm-up, the trace's requests as they came,
/// read back as JSON.
fn one_agent(path: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "simulate",
        "--trace",
        path.to_str().unwrap(),
        "--pattern",
        "peer_to_peer",
        "--balancer",
        "least_connections",
        "--agents",
        "1",
        "--hop-latency",
        "0",
        "--warmup",
        "0",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&stdout(&args)).unwrap()
}

/// One agent, deterministic hops of 0: the replay's latencies are worked out by hand from the
/// trace's arrival times and work, and `--rate-scale 2` halves every gap exactly.
#[test]
fn a_replay_reproduces_the_traces_arrivals_and_work() {
    let path = file("replay.csv", b"time,work\n0,1\n2,1\n4,1\n5,3\n10,1\n");
    let run = |extra: &[&str]| {
        let mut args = vec!["--replications", "1"];
        args.extend_from_slice(extra);
        one_agent(&path, &args)
    };
    let metric = |doc: &Value, m: &str| doc["results"][0]["metrics"][m]["mean"].as_f64().unwrap();
    // Arrivals 0, 2, 4, 5, 10 with work 1, 1, 1, 3, 1: latencies 1, 1, 1, 3, 1.
    let doc = run(&[]);
    assert_eq!(doc["results"][0]["tasks"]["completed"], 5);
    assert!((metric(&doc, "latency_mean") - 1.4).abs() < 1e-9);
    assert!((metric(&doc, "latency_max") - 3.0).abs() < 1e-9);
    assert_eq!(doc["scenario"]["rate"].as_f64(), Some(0.4));
    // Twice the traffic: arrivals 0, 1, 2, 2.5, 5; the fourth waits for the third until 3
    // and ends at 6, the fifth waits for it: latencies 1, 1, 1, 3.5, 2.
    let doc = run(&["--rate-scale", "2"]);
    assert!((metric(&doc, "latency_mean") - 1.7).abs() < 1e-9);
    assert!((metric(&doc, "latency_max") - 3.5).abs() < 1e-9);
    assert_eq!(doc["scenario"]["rate"].as_f64(), Some(0.8));
}

/// `--tasks` beyond a replay's length replays the whole trace, and says so.
#[test]
fn tasks_beyond_a_replay_are_capped_with_a_warning() {
    let path = file("short.csv", b"time,work\n0,1\n2,1\n4,1\n");
    let (out, stderr) = outputs(&[
        "simulate",
        "--trace",
        path.to_str().unwrap(),
        "--pattern",
        "peer_to_peer",
        "--agents",
        "1",
        "--warmup",
        "0",
        "--replications",
        "1",
        "--tasks",
        "50",
        "--format",
        "json",
    ]);
    assert!(
        stderr.contains("--tasks 50 asks for more requests than")
            && stderr.contains("all its 3 are replayed"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["scenario"]["tasks"], 3);
    assert_eq!(doc["results"][0]["tasks"]["completed"], 3);
}

/// `--trace-mode fit` runs the fitted workload and names the trace it was fitted to.
#[test]
fn a_fitted_workload_names_its_trace() {
    let path = file("fit.csv", small_csv().as_bytes());
    let p = path.to_str().unwrap();
    let run = |format: &str| {
        stdout(&[
            "simulate",
            "--trace",
            p,
            "--trace-mode",
            "fit",
            "--pattern",
            "peer_to_peer",
            "--agents",
            "4",
            "--tasks",
            "200",
            "--replications",
            "1",
            "--format",
            format,
        ])
    };
    let doc: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(doc["scenario"]["fitted_from"], p);
    assert!(doc["scenario"].get("trace").is_none());
    let table = run("table");
    assert!(table.contains(&format!("fitted to {p}")), "{table}");
}

/// Bootstrap resamples whole requests: the tokens of the requests it draws pass a
/// two-sample KS test against the trace's own.
#[test]
fn bootstrap_keeps_the_traces_token_distribution() {
    let trace = jaegis::trace::read(Path::new(AZURE), &Default::default()).unwrap();
    let mut b = jaegis::trace::Bootstrap::new(&trace, 7).unwrap();
    let tokens = trace.tokens_in.as_ref().unwrap();
    let mut drawn: Vec<f64> = (0..trace.len())
        .map(|_| f64::from(tokens[b.next_arrival().1 as usize]))
        .collect();
    let mut all: Vec<f64> = tokens.iter().map(|&t| f64::from(t)).collect();
    let (d, p) = jaegis::trace::ks_two_sample(&mut drawn, &mut all);
    assert!(p > 0.05, "D {d}, p {p}");
}

/// Bootstrap replications differ, so more of them narrow the interval, about as 1/sqrt(n).
#[test]
fn bootstrap_intervals_shrink_as_replications_grow() {
    let ci = |replications: &str| {
        let doc: Value = serde_json::from_str(&stdout(&[
            "simulate",
            "--trace",
            AZURE,
            "--trace-mode",
            "bootstrap",
            "--llm-latency",
            "ttft=0.35,in=0.0002,out=0.025",
            "--pattern",
            "peer_to_peer",
            "--balancer",
            "least_connections",
            "--agents",
            "40",
            "--tasks",
            "4000",
            "--replications",
            replications,
            "--format",
            "json",
        ]))
        .unwrap();
        doc["results"][0]["metrics"]["latency_mean"]["ci95"]
            .as_f64()
            .unwrap()
    };
    let (few, many) = (ci("4"), ci("16"));
    assert!(
        many > 0.0 && many < 0.8 * few,
        "{few} with 4, {many} with 16"
    );
}

/// A trace recorded from one FIFO agent, replayed on one agent: the simulated latency is the
/// recorded one, quantile by quantile; a trace without latency cannot be calibrated.
#[test]
fn calibration_reproduces_a_recorded_fifo_agent() {
    let path = file(
        "calibrate.csv",
        b"time,work,latency\n0,1,1\n2,1,1\n4,1,1\n5,3,3\n10,1,1\n",
    );
    let doc = one_agent(&path, &["--calibrate", "--replications", "5"]);
    let c = &doc["calibration"];
    let observed: Vec<f64> = c["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["seconds"].as_f64().unwrap())
        .collect();
    assert_eq!(observed, [1.0, 3.0, 3.0]);
    let simulated: Vec<f64> = c["results"][0]["simulated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["mean"].as_f64().unwrap())
        .collect();
    // Simulated quantiles are read off a histogram of 3 significant digits.
    for (s, o) in simulated.iter().zip(&observed) {
        assert!(
            (s - o).abs() <= 1e-3 * o,
            "{simulated:?} against {observed:?}"
        );
    }
    assert!(c["results"][0]["worst_error"].as_f64().unwrap() <= 1e-3);
    let plain = file("plain.csv", b"time,work\n0,1\n2,1\n");
    let err = bad_input(&[
        "simulate",
        "--trace",
        plain.to_str().unwrap(),
        "--calibrate",
        "--pattern",
        "peer_to_peer",
    ]);
    assert!(err.contains("no latency column"), "{err}");
}

/// The shipped trace plans end to end: its own rate, its requests, work from its tokens.
#[test]
fn plan_runs_on_the_azure_trace() {
    let doc: Value = serde_json::from_str(&stdout(&[
        "plan",
        "--trace",
        AZURE,
        "--llm-latency",
        "ttft=0.35,in=0.0002,out=0.025",
        "--slo",
        "20s@95%",
        "--pattern",
        "master_slave",
        "--max-agents",
        "80",
        "--format",
        "json",
    ]))
    .unwrap();
    let rate = doc["plan"]["rate"].as_f64().unwrap();
    assert!((rate - 5.53).abs() < 0.01, "{rate}");
    let agents = doc["plan"]["choices"][0]["agents"].as_u64().unwrap();
    // 5.53 requests/s of 5.86 s calls need 32.4 workers at least, and the bursts more.
    assert!((34..=60).contains(&agents), "{agents}");
}

/// The trace's kinds are its requests' kinds: taken with their shares, and held to --kinds.
#[test]
fn a_replay_keeps_each_requests_kind() {
    let path = file(
        "kinds.csv",
        b"time,work,kind\n0,1,chat\n1,1,code\n2,1,chat\n3,1,code\n",
    );
    let path = path.to_str().unwrap();
    // One agent per kind: every request lands on an agent of its kind (no mismatch penalty).
    let doc: Value = serde_json::from_str(&stdout(&[
        "simulate",
        "--trace",
        path,
        "--pattern",
        "master_slave",
        "--agents",
        "3",
        "--capabilities",
        "*,chat,code",
        "--balancer",
        "capability_based",
        "--warmup",
        "0",
        "--replications",
        "1",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(doc["scenario"]["kinds"], "chat:2,code:2");
    let mean = doc["results"][0]["metrics"]["latency_mean"]["mean"]
        .as_f64()
        .unwrap();
    assert!((mean - 1.01).abs() < 1e-9, "{mean}");
    let err = bad_input(&["simulate", "--trace", path, "--kinds", "chat:1"]);
    assert!(err.contains("the trace's kind 'code'"), "{err}");
}
