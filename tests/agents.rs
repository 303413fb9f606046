//! LLM agents: latency from tokens, a provider's shared quota, and the bill, each against a
//! number worked out by hand.

use jaegis::catalog::Catalog;
use jaegis::sim::{self, Metric, Scenario, ScenarioInput, Simulation};

fn run(toml: &str) -> Simulation {
    let input = ScenarioInput::from_toml(toml, "case").expect("valid case");
    let scenario =
        Scenario::build(input, &Catalog::embedded().simulation_defaults()).expect("valid scenario");
    let sim = sim::simulate(&scenario, &|| ()).expect("simulation runs");
    for r in &sim.results {
        assert!(r.tasks.conserved(), "{:?}", r.tasks);
    }
    sim
}

fn mean(sim: &Simulation, metric: Metric) -> f64 {
    sim.results[0].metrics.get(metric).mean
}

/// Deterministic tokens, 1,000 in and 100 out: a call takes 0.35 + 0.2 + 2.5 = 3.05 s and
/// costs (3 x 1,000 + 15 x 100) / 10^6 = $0.0045.
const CALLS: &str = r#"
pattern = "peer_to_peer"
balancer = "least_connections"
hop_latency = 0
tokens_in = "det:1000"
tokens_out = "det:100"
llm_latency = "ttft=0.35,in=0.0002,out=0.025"
price = "in=3,out=15"
replications = 3
"#;

#[test]
fn a_call_takes_its_latency_from_tokens_and_costs_its_tokens() {
    // One request at a time on idle agents: the latency is the call's.
    let sim = run(&format!(
        "{CALLS}agents = 4\nrate = 0.01\narrivals = \"deterministic\"\ntasks = 200\n"
    ));
    assert!((mean(&sim, Metric::LatencyMean) - 3.05).abs() < 1e-9);
    assert!((mean(&sim, Metric::TokensPerRequest) - 1100.0).abs() < 1e-9);
    assert!((mean(&sim, Metric::CostPerRequest) - 0.0045).abs() < 1e-12);
    assert_eq!(mean(&sim, Metric::CostWaste), 0.0, "nothing is wasted");
    assert!((mean(&sim, Metric::CostPerGoodRequest) - 0.0045).abs() < 1e-12);
}

#[test]
fn every_call_made_is_charged_retries_and_timed_out_calls_included() {
    // Output tokens vary and the timeout (5 s) is below the longer calls (above 5 s from
    // 186 output tokens): a timed-out call is made again, and the one given up on is still
    // served and charged. At $1 a million tokens in and out, the bill x 10^6 is the tokens of
    // every call made, and the calls whose answer nobody used are the waste.
    let toml = CALLS
        .replace("\"det:100\"", "\"exp:100\"")
        .replace("in=3,out=15", "in=1,out=1");
    let sim = run(&format!(
        "{toml}agents = 64\nrate = 0.1\ntasks = 3000\ntimeout = 5\nretry = \"immediate\"\n"
    ));
    let tokens = mean(&sim, Metric::TokensPerRequest);
    let dollars = mean(&sim, Metric::CostPerRequest);
    assert!(
        (dollars * 1e6 - tokens).abs() < 1e-6 * tokens,
        "{dollars} {tokens}"
    );
    assert!(tokens > 1100.0, "calls made again add tokens: {tokens}");
    // With no queueing (64 agents), a call fails exactly when its output tokens t exceed
    // (5 - 0.55) / 0.025 = 178 (179 once rounded), and then all 8 calls fail alike (the
    // catalog's immediate policy: 2 retries at once, then 5 with backoff):
    // waste = 8 E[1000 + t; t > a] / (8 E[1000 + t; t > a] + E[1000 + t; t <= a]),
    // with E[1; t > a] = e^(-a/100) and E[t; t > a] = (a + 100) e^(-a/100), a = 178.5.
    let a: f64 = 178.5;
    let tail = (-a / 100.0).exp();
    let wasted = 8.0 * (1000.0 * tail + (a + 100.0) * tail);
    let used = 1000.0 * (1.0 - tail) + 100.0 - (a + 100.0) * tail;
    let expected = wasted / (wasted + used);
    let waste = mean(&sim, Metric::CostWaste);
    assert!(
        (waste - expected).abs() < 0.03,
        "timed-out calls are waste: {waste} against {expected}"
    );
    assert!(mean(&sim, Metric::AttemptsPerTask) > 1.0);
}

#[test]
fn a_binding_quota_caps_goodput_whatever_the_number_of_agents() {
    // 2 requests/s against rpm = 60 (one call a second): calls beyond the quota get a 429
    // and wait the retry-after, so goodput is the quota's, with 4 agents or 16.
    for agents in [4, 16] {
        let sim = run(&format!(
            "{CALLS}agents = {agents}\nrate = 2\nduration = 3000\nprovider = \"rpm=60\"\nretry = \"immediate\"\ntimeout = \"none\"\n"
        ));
        let goodput = sim.results[0].metrics.get(Metric::Goodput);
        assert!(
            (goodput.mean - 1.0).abs() < 0.02 + goodput.ci95,
            "{agents} agents: goodput {} ± {}",
            goodput.mean,
            goodput.ci95
        );
        assert!(mean(&sim, Metric::Throttled) > 0.0);
    }
}

#[test]
fn a_thinking_supervisor_adds_its_call_to_every_request() {
    // The master's decision is a call of 500 tokens in and 20 out: 0.35 + 0.1 + 0.5 = 0.95 s
    // and (3 x 500 + 15 x 20) / 10^6 = $0.0018, before the worker's 3.05 s and $0.0045.
    let sim = run(&format!(
        "{}agents = 5\nrate = 0.01\narrivals = \"deterministic\"\ntasks = 200\ndispatch_tokens_in = \"det:500\"\ndispatch_tokens_out = \"det:20\"\n",
        CALLS.replace("peer_to_peer", "master_slave")
    ));
    assert!((mean(&sim, Metric::LatencyMean) - 4.0).abs() < 1e-9);
    assert!((mean(&sim, Metric::CostPerRequest) - 0.0063).abs() < 1e-12);
    assert!((mean(&sim, Metric::TokensPerRequest) - 1620.0).abs() < 1e-9);
    assert_eq!(mean(&sim, Metric::CostWaste), 0.0);
    // The master is a station of 0.95 s a request: at 1 request/s it cannot keep up.
    let p = &sim.scenario.per_pattern[0];
    assert!(
        (p.coordination_load.unwrap() - 0.0095).abs() < 1e-9,
        "{p:?}"
    );
}

#[test]
fn every_part_of_a_request_is_a_call_with_its_own_first_token() {
    // 3 stages, each a call of 3 s to the first token and the request's tokens split three
    // ways: 3 x 3 + 0.2 + 2.5 = 11.7 s, and the tokens once (1,100).
    let sim = run(&format!(
        "{}agents = 3\nstages = 3\nrate = 0.01\narrivals = \"deterministic\"\ntasks = 200\n",
        CALLS
            .replace("peer_to_peer", "pipeline")
            .replace("ttft=0.35", "ttft=3")
    ));
    assert!((mean(&sim, Metric::LatencyMean) - 11.7).abs() < 1e-9);
    assert!((mean(&sim, Metric::TokensPerRequest) - 1100.0).abs() < 1e-6);
    // The load counts the three first tokens: 0.01 x 11.7 s over 3 agents.
    let load = sim.scenario.per_pattern[0].load;
    assert!((load - 0.039).abs() < 1e-12, "{load}");
}

/// The loads the checks and the planner read count a first token for every call a request is
/// split into: a call of 1 + 0.2 + 2.5 = 3.7 s in four parts is 4 x 1 + 2.7 = 6.7 s of work,
/// so 0.6 requests/s on 8 agents is a load of 0.5025 (not the 0.2775 of one call), and the
/// agents are measured that busy.
#[test]
fn loads_count_a_first_token_for_every_part() {
    let calls = CALLS.replace("ttft=0.35", "ttft=1");
    for shape in [
        "pattern = \"pipeline\"\nstages = 4\n",
        "pattern = \"scatter_gather\"\nfan_out = 4\nshard_work = \"split\"\n",
    ] {
        let sim = run(&format!(
            "{}{shape}agents = 8\nrate = 0.6\ntasks = 20000\n",
            calls.replace("pattern = \"peer_to_peer\"\n", "")
        ));
        let p = &sim.scenario.per_pattern[0];
        assert!((p.load - 0.5025).abs() < 1e-12, "{shape}: {}", p.load);
        assert!(
            (p.peak_load - 0.5025).abs() < 1e-12,
            "{shape}: {}",
            p.peak_load
        );
        let busy = sim.results[0].metrics.get(Metric::Utilization);
        assert!(
            (busy.mean - 0.5025).abs() < busy.ci95.max(0.01),
            "{shape}: measured {} ± {}",
            busy.mean,
            busy.ci95
        );
    }
}

/// A supervisor and its workers loop for a geometric number of rounds R of mean M = 3: each
/// round a decision of 500 tokens in and 20 out, and a worker's call of 1,000 in and 100 out,
/// every later round's inputs 400 tokens longer. Round k's two calls take
/// d + w + 2 x 0.0002 x 400 (k - 1) seconds with d = 0.35 + 0.1 + 0.5 = 0.95 and
/// w = 3.05, and carry 1,620 + 800 (k - 1) tokens; over R rounds, with E[R] = M and
/// E[R(R - 1) / 2] = M(M - 1):
/// latency = 4 M + 0.16 M(M - 1) = 12.96 s, tokens = 1,620 M + 800 M(M - 1) = 9,660.
const LOOPS: &str = r#"
pattern = "master_slave"
balancer = "least_connections"
agents = 64
master_concurrency = 64
rate = 0.2
tasks = 20000
tokens_in = "det:1000"
tokens_out = "det:100"
dispatch_tokens_in = "det:500"
dispatch_tokens_out = "det:20"
llm_latency = "ttft=0.35,in=0.0002,out=0.025"
rounds = "geometric:3"
context_growth = 400
replications = 4
"#;

#[test]
fn delegation_loops_match_the_closed_form_of_geometric_rounds() {
    let sim = run(LOOPS);
    let latency = mean(&sim, Metric::LatencyMean);
    let tokens = mean(&sim, Metric::TokensPerRequest);
    let rounds = mean(&sim, Metric::Rounds);
    assert!((rounds - 3.0).abs() < 0.05, "rounds {rounds}");
    // Sampling error: R has variance M(M - 1) = 6, so over 18,000 x 4 requests the mean
    // latency's standard error is about 0.06 s and the tokens' about 60.
    assert!((latency - 12.96).abs() < 0.3, "latency {latency}");
    assert!((tokens - 9660.0).abs() < 250.0, "tokens {tokens}");
    assert!(mean(&sim, Metric::RoundLimited).is_nan(), "no limit given");
}

#[test]
fn the_round_limit_fails_the_geometric_tail() {
    // P(R > K) = (1 - 1/M)^K: (2/3)^4 = 19.75% of requests fail at a limit of 4 rounds, and
    // their calls are waste.
    let sim = run(&format!("{LOOPS}max_rounds = 4\nprice = \"in=1,out=1\"\n"));
    let limited = mean(&sim, Metric::RoundLimited);
    assert!((limited - 16.0 / 81.0).abs() < 0.01, "limited {limited}");
    let success = mean(&sim, Metric::SuccessRate);
    assert!((success - 65.0 / 81.0).abs() < 0.01, "success {success}");
    assert!(mean(&sim, Metric::CostWaste) > 0.2);
}

#[test]
fn peers_voting_wait_for_a_majority_and_pay_for_every_vote() {
    // Three peers each make the 3.05 s call: the majority is in at 3.05 s, the bill is three
    // calls, and the third call's answer is used by nobody.
    let sim = run(&format!(
        "{CALLS}agents = 8\nrate = 0.01\narrivals = \"deterministic\"\ntasks = 200\nvotes = 3\nconsensus_fraction = 0\n"
    ));
    assert!((mean(&sim, Metric::LatencyMean) - 3.05).abs() < 1e-9);
    assert!((mean(&sim, Metric::CostPerRequest) - 3.0 * 0.0045).abs() < 1e-12);
    let waste = mean(&sim, Metric::CostWaste);
    assert!((waste - 1.0 / 3.0).abs() < 1e-9, "waste {waste}");
}

#[test]
fn a_concurrency_cap_holds_calls_in_progress_and_counts_the_wait() {
    // 2 calls at once of 3.05 s each: at most 0.66 requests/s, whatever the 16 agents; the
    // rest wait the retry-after (the end of the first call in progress).
    let sim = run(&format!(
        "{CALLS}agents = 16\nrate = 1\ntasks = 3000\nprovider = \"concurrency=2\"\nretry = \"exponential\"\nretry_budget = 1\n"
    ));
    let goodput = mean(&sim, Metric::Goodput);
    assert!(goodput < 2.0 / 3.05 + 0.02, "goodput {goodput}");
    assert!(mean(&sim, Metric::ThrottledShare) > 0.1);
    assert!(mean(&sim, Metric::ThrottledWait) > 0.0);
}
