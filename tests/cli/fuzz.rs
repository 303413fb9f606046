//! Random flag combinations through the real binary, as a hostile user types them: every
//! run exits 0 (a result), 1 (a check failed) or 2 (bad input, one clear message), never
//! panics, and every result it prints accounts for every request.

use rand::{RngExt, SeedableRng};
use std::time::Duration;

use rand_pcg::Pcg64;
use serde_json::Value;

use crate::jaegis;

/// Each flag with ordinary values, then absurd ones; a run takes a few flags, an absurd
/// value one time in eight.
#[rustfmt::skip]
const FLAGS: &[(&str, &[&str], &[&str])] = &[
    ("--pattern", &["all", "master_slave", "peer_to_peer", "pipeline", "scatter_gather"], &["", "star"]),
    ("--balancer", &["all", "round_robin", "power_of_two", "random", "predictive", "least_connections,random"], &["rr"]),
    ("--agents", &["2", "9", "64"], &["0", "-1", "1", "1000001", "18446744073709551616"]),
    ("--load", &["0.5", "0.95", "1.5"], &["0", "1e-300", "1e300", "nan", "inf"]),
    ("--service", &["exp:1", "det:0.5", "lognormal:1:3", "pareto:1.1:1", "erlang:3:1", "hyperexp:1:4", "exp:1e-9"], &["exp:0", "erlang:0:1", "weibull:1"]),
    ("--arrivals", &["poisson", "deterministic", "bursty:10:1:5:5", "bursty:10:0:1:1"], &["burst", "bursty:0:0:1:1"]),
    ("--speeds", &["1", "4,1", "0.5,2"], &["0", "", "1,-1"]),
    ("--tasks", &["1", "2", "50", "300"], &["0"]),
    ("--replications", &["1", "2", "3"], &["0"]),
    ("--warmup", &["0", "0.1", "0.99"], &["1", "-0.1"]),
    ("--mtbf", &["20", "100", "1e-9"], &["0"]),
    ("--timeout", &["none", "0.001", "2", "30"], &["0"]),
    ("--retry", &["none", "immediate", "linear", "exponential"], &["forever"]),
    ("--retry-budget", &["0.1", "1"], &["0", "-1"]),
    ("--circuit-breaker", &["none", "consecutive", "failure_rate"], &["open"]),
    ("--hedge-after-quantile", &["0.95", "0.5"], &["1", "0"]),
    ("--drop-expired", &["true", "false"], &["maybe"]),
    ("--queue-limit", &["1", "100"], &["0"]),
    ("--fan-out", &["1", "2"], &["0", "100"]),
    ("--stages", &["1", "3", "65535"], &["0", "70000"]),
    ("--gather-timeout", &["0.01", "60"], &["0"]),
    ("--heartbeat", &["0", "1", "1e9"], &["-1"]),
    ("--consensus-fraction", &["0", "0.5", "1"], &["2"]),
    ("--outage", &["0@10+5", "0@0+1e9", "1@1+1"], &["0@-1+1"]),
    ("--spike", &["10+5:3", "0+1e9:100"], &["1+1:0"]),
    ("--slo", &["1s@99%", "2s", "1ms@99.9%"], &["0s@50%", "2s@101%"]),
    ("--queue", &["shared", "per-agent"], &["lifo"]),
    ("--tokens-in", &["det:1000", "lognormal:2000:1", "exp:1"], &["det:0", "exp:1e8"]),
    ("--tokens-out", &["exp:300", "det:1"], &["pareto:0.5:1"]),
    ("--llm-latency", &["ttft=0.35,in=0.0002,out=0.025", "ttft=5"], &["ttft=0", "ttft=-1"]),
    ("--provider", &["rpm=60", "rpm=600,tpm=100000", "tpm=1000"], &["rpm=0", "qps=3"]),
    ("--price", &["in=3,out=15", "in=0"], &["in=-1"]),
    ("--dispatch-tokens-in", &["det:500", "exp:100"], &["det:-1"]),
];

/// A number from the environment, for a longer run before a release.
fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// No run may take longer: a hang fails the test instead of stalling it.
const PER_RUN: Duration = Duration::from_secs(60);

/// Adds one to six random flags to `args`, an absurd value one time in eight; returns the
/// flags chosen.
fn random_flags(rng: &mut Pcg64, args: &mut Vec<String>) -> Vec<&'static str> {
    let mut chosen = Vec::new();
    for _ in 0..rng.random_range(1..7) {
        let (flag, good, bad) = FLAGS[rng.random_range(0..FLAGS.len())];
        if chosen.contains(&flag) {
            continue;
        }
        chosen.push(flag);
        let values = if rng.random_range(0..8) == 0 {
            bad
        } else {
            good
        };
        args.push(flag.into());
        args.push(values[rng.random_range(0..values.len())].into());
        if flag == "--mtbf" {
            let mttr = ["1", "120", "1e5", "-1"][rng.random_range(0..4)];
            args.extend(["--mttr".into(), mttr.into()]);
        }
    }
    // The LLM flags need the tokens of a call, and a thinking supervisor a latency.
    let needs = |f: &str| chosen.contains(&f);
    if [
        "--llm-latency",
        "--price",
        "--provider",
        "--dispatch-tokens-in",
    ]
    .iter()
    .any(|f| needs(f))
        && !needs("--tokens-in")
    {
        args.extend(["--tokens-in", "lognormal:1000:1"].map(String::from));
    }
    if needs("--dispatch-tokens-in") && !needs("--llm-latency") {
        args.extend(["--llm-latency", "ttft=0.35,in=0.0002,out=0.025"].map(String::from));
    }
    chosen
}

/// Events may not outgrow the requests without bound: the stall guard and the limits hold
/// a run to this many events per request (10,000 failure events per request is the
/// scenario builder's cap, plus the requests' own events).
const MAX_EVENTS_PER_REQUEST: f64 = 20_000.0;

fn check_results(doc: &Value, args: &[String]) {
    for r in doc["results"].as_array().expect("results") {
        let t = &r["tasks"];
        let n = |k: &str| {
            t[k].as_u64()
                .unwrap_or_else(|| panic!("{k} in {t} for {args:?}"))
        };
        assert_eq!(
            n("completed") + n("failed") + n("in_flight"),
            n("generated"),
            "requests unaccounted for: {t} for {args:?}"
        );
    }
}

#[test]
fn random_flag_combinations_exit_cleanly_and_account_for_every_request() {
    // Before a release: JAEGIS_FUZZ_RUNS=5000 JAEGIS_FUZZ_SEED=<any> cargo test --test cli fuzz
    let mut rng = Pcg64::seed_from_u64(env("JAEGIS_FUZZ_SEED", 17));
    let runs = env("JAEGIS_FUZZ_RUNS", 150);
    let mut ran = 0;
    for _ in 0..runs {
        let mut args: Vec<String> = ["simulate", "--format", "json", "--stats"]
            .map(String::from)
            .to_vec();
        let chosen = random_flags(&mut rng, &mut args);
        // A small budget, unless the combination chose its own length.
        if !chosen.contains(&"--tasks") {
            args.extend(["--tasks".into(), "300".into()]);
        }
        if !chosen.contains(&"--replications") {
            args.extend(["--replications".into(), "2".into()]);
        }
        let out = jaegis()
            .args(&args)
            .timeout(PER_RUN)
            .output()
            .expect("jaegis runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "exit {code:?} for {args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        if code == Some(2) {
            let lines = stderr
                .lines()
                .filter(|l| !l.starts_with("warning:"))
                .count();
            assert!((1..=3).contains(&lines), "{args:?}: {stderr}");
            assert!(stderr.contains("error"), "{args:?}: {stderr}");
        }
        if code == Some(0) {
            ran += 1;
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!text.contains("NaN"), "{args:?}: {text}");
            let doc: Value = serde_json::from_str(&text).expect("stdout is JSON");
            check_results(&doc, &args);
            let stats = stderr.lines().find(|l| l.starts_with("stats:")).unwrap();
            let events: f64 = stats.split_whitespace().nth(1).unwrap().parse().unwrap();
            let requests: u64 = doc["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["tasks"]["generated"].as_u64().unwrap())
                .sum();
            assert!(
                events <= MAX_EVENTS_PER_REQUEST * requests.max(1) as f64,
                "{events} events for {requests} requests: {args:?}"
            );
        }
    }
    // Not only refusals: enough combinations run to test the simulator, not the parser.
    eprintln!("{ran} of {runs} combinations ran");
    assert!(ran >= runs / 2, "only {ran} of {runs} combinations ran");
}

#[test]
fn random_commands_draw_tables_that_fit_the_width() {
    let mut rng = Pcg64::seed_from_u64(env("JAEGIS_FUZZ_SEED", 29));
    for _ in 0..env("JAEGIS_FUZZ_RUNS", 160) / 4 {
        let mut args: Vec<String> = match rng.random_range(0..4) {
            0 => vec!["simulate".into()],
            1 => ["sweep", "--load", "0.5,0.9"].map(String::from).to_vec(),
            2 => [
                "recommend",
                "--simulate",
                "--budget",
                "300",
                "--agents",
                "9",
            ]
            .map(String::from)
            .to_vec(),
            _ => ["plan", "--rate", "5", "--slo", "3s@95%", "--budget", "300"]
                .map(String::from)
                .to_vec(),
        };
        let sweep_or_simulate = args[0] == "simulate" || args[0] == "sweep";
        if sweep_or_simulate {
            random_flags(&mut rng, &mut args);
            args.extend(["--tasks", "300", "--replications", "2"].map(String::from));
        }
        let width = rng.random_range(40..160usize);
        let wide = rng.random_range(0..4) == 0;
        if wide {
            args.push("--wide".into());
        }
        let out = jaegis()
            .args(&args)
            .env("COLUMNS", width.to_string())
            .timeout(PER_RUN)
            .output()
            .expect("jaegis runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("NaN"), "{args:?}: {text}");
        // From 60 columns, every table fits: names and numbers never need more.
        if !wide && width >= 60 {
            for line in text.lines().filter(|l| l.starts_with(['│', '╭', '╞', '╰'])) {
                assert!(
                    line.chars().count() <= width,
                    "{args:?} at {width} columns:\n{text}"
                );
            }
        }
    }
}

#[test]
fn failures_churning_under_an_endless_heartbeat_stop_as_a_stall() {
    // Found by the fuzz: 64 peers failing every 20 s for 10^5 s, a heartbeat of 10^9 s (no
    // failure is ever noticed): 342 M events for 2,400 requests before the event bound.
    let out = jaegis()
        .args([
            "simulate",
            "--pattern",
            "peer_to_peer",
            "--balancer",
            "power_of_two",
        ])
        .args([
            "--mtbf",
            "20",
            "--mttr",
            "1e5",
            "--agents",
            "64",
            "--heartbeat",
            "1e9",
        ])
        .args(["--arrivals", "bursty:10:0:1:1", "--service", "erlang:3:1"])
        .args([
            "--tasks",
            "300",
            "--replications",
            "2",
            "--stats",
            "--format",
            "json",
        ])
        .timeout(PER_RUN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stalled in 2 of 2"), "{stderr}");
    let stats = stderr.lines().find(|l| l.starts_with("stats:")).unwrap();
    let events: f64 = stats.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(events < 5e6, "{stats}");
}
