//! Faults and resilience: conservation under every setting, and what each mechanism does.
//!
//! `docs/resilience.md` explains each behaviour with its numbers.

use jaegis::catalog::Catalog;
use jaegis::sim::{self, Metric, RunResult, Scenario, ScenarioInput, Simulation};
use proptest::prelude::*;

fn run(toml: &str) -> Simulation {
    let input = ScenarioInput::from_toml(toml, "case").expect("valid case");
    let scenario =
        Scenario::build(input, &Catalog::embedded().simulation_defaults()).expect("valid scenario");
    let sim = sim::simulate(&scenario, &|| ()).expect("simulation runs");
    for r in &sim.results {
        assert!(r.tasks.conserved(), "{:?}", r.tasks);
        assert_eq!(r.tasks.in_flight, 0);
    }
    sim
}

fn mean(r: &RunResult, m: Metric) -> f64 {
    r.metrics.get(m).mean
}

/// Goodput averaged over the timeline buckets starting in [from, to).
fn goodput(r: &RunResult, from: f64, to: f64) -> f64 {
    let points: Vec<f64> = r
        .timeline
        .iter()
        .filter(|p| p.start >= from && p.start < to)
        .map(|p| p.goodput.mean)
        .collect();
    points.iter().sum::<f64>() / points.len() as f64
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever fails and whatever mechanism is on, every generated task ends exactly once,
    /// and the engine never panics or loses a task.
    #[test]
    fn every_task_ends_once_under_any_fault_setting(
        pattern in prop::sample::select(vec!["master_slave", "peer_to_peer", "pipeline", "scatter_gather"]),
        balancer in prop::sample::select(vec!["round_robin", "weighted_round_robin", "least_connections", "capability_based", "predictive", "random", "power_of_two"]),
        load in 0.2f64..1.3,
        mtbf in prop::option::of(20.0f64..2000.0),
        mttr in 1.0f64..120.0,
        outages in prop::collection::vec((0u32..6, 0.0f64..400.0, 1.0f64..100.0), 0..3),
        retry in prop::sample::select(vec!["none", "immediate", "linear", "exponential"]),
        jitter in prop::sample::select(vec!["none", "full", "equal", "decorrelated"]),
        budget in prop::option::of(0.05f64..1.0),
        breaker in prop::sample::select(vec!["none", "consecutive", "failure-rate"]),
        timeout in prop::option::of(prop::option::of(0.5f64..60.0)),
        shared_queue in any::<bool>(),
        hop_latency in prop::sample::select(vec![0.0, 0.01, 5.0]),
        heartbeat in prop::sample::select(vec![0.0, 1.0, 5.0]),
        queue_limit in prop::option::of(1u32..10),
        hedge in prop::option::of(0.5f64..0.99),
        drop_expired in any::<bool>(),
        spike in prop::option::of((0.0f64..300.0, 1.0f64..60.0, 1.5f64..5.0)),
        buffer in 0u32..5,
        seed in any::<u64>(),
    ) {
        let mut toml = format!(
            "pattern = \"{pattern}\"\nbalancer = \"{balancer}\"\nagents = 6\nload = {load}\ntasks = 1500\nreplications = 1\nseed = {seed}\nretry = \"{retry}\"\njitter = \"{jitter}\"\ncircuit_breaker = \"{breaker}\"\ndrop_expired = {drop_expired}\nstages = 3\nbuffer = {buffer}\nfan_out = 3\nmttr = {mttr}\nkinds = \"a:1,b:1\"\ncapabilities = \"a+b,a,b\"\n"
        );
        if let Some(m) = mtbf { toml += &format!("mtbf = {m}\n"); } else { toml = toml.replace(&format!("mttr = {mttr}\n"), ""); }
        if !outages.is_empty() {
            let list: Vec<String> = outages.iter().map(|(a, s, d)| format!("\"{a}@{s}+{d}\"")).collect();
            toml += &format!("outage = [{}]\n", list.join(", "));
        }
        if let Some(b) = budget { toml += &format!("retry_budget = {b}\n"); }
        match timeout {
            Some(Some(t)) => toml += &format!("timeout = {t}\n"),
            Some(None) => toml += "timeout = \"none\"\n",
            None => {}
        }
        if shared_queue { toml += "queue = \"shared\"\n"; }
        toml += &format!("hop_latency = {hop_latency}\nheartbeat = {heartbeat}\nconsensus_fraction = 0.3\n");
        if let Some(q) = queue_limit { toml += &format!("queue_limit = {q}\n"); }
        if let Some(h) = hedge { toml += &format!("hedge_after_quantile = {h}\n"); }
        if let Some((s, d, f)) = spike { toml += &format!("spike = [\"{s}+{d}:{f}\"]\n"); }
        let sim = run(&toml);
        let t = sim.results[0].tasks;
        prop_assert_eq!(t.generated, 1500);
        prop_assert_eq!(t.generated, t.completed + t.failed);
    }
}

#[test]
fn a_master_outage_stalls_dispatch_for_the_detection_timeout() {
    // The master fails at 200 s: nothing is dispatched until the catalog's 30 s failure
    // detection timeout has passed and the backup takes over, then the backlog goes out.
    let sim = run(
        "pattern = \"master_slave\"\nagents = 9\nbalancer = \"least_connections\"\noutage = [\"0@200+100\"]\nduration = 600\nreplications = 3\ntimeline = 10\n",
    );
    let r = &sim.results[0];
    assert_eq!(mean(r, Metric::NoDispatchTime), 30.0);
    assert_eq!(mean(r, Metric::DetectionDelay), 30.0);
    for p in &r.timeline {
        if p.start >= 200.0 && p.start < 230.0 {
            assert_eq!(p.attempts.mean, 0.0, "dispatch at {} s", p.start);
        }
    }
    let burst = r
        .timeline
        .iter()
        .find(|p| p.start == 230.0)
        .unwrap()
        .attempts
        .mean;
    assert!(
        burst > 3.0 * 5.6,
        "the backlog goes out at takeover: {burst}/s"
    );
}

#[test]
fn fault_machinery_that_never_triggers_changes_nothing() {
    // Failures too rare to happen, retries, breakers and a timeout no request reaches: every
    // number equals a plain run's, since nothing draws from the streams the plain run uses.
    let base = "agents = 8\nload = 0.7\ntasks = 20000\nreplications = 3\nbalancer = \"least_connections,power_of_two\"\n";
    let plain = run(base);
    let armed = run(&format!(
        "{base}mtbf = 1e12\nmttr = 1\nretry = \"exponential\"\ncircuit_breaker = \"consecutive\"\ntimeout = 1000\n"
    ));
    for (a, b) in plain.results.iter().zip(&armed.results) {
        for m in [
            Metric::LatencyMean,
            Metric::LatencyP99,
            Metric::LatencyP999,
            Metric::Throughput,
            Metric::Utilization,
        ] {
            assert_eq!(
                mean(a, m),
                mean(b, m),
                "{} / {}: {}",
                a.pattern,
                a.balancer,
                m.id()
            );
        }
        assert_eq!(mean(b, Metric::AttemptsPerTask), 1.0);
    }
}

#[test]
fn detection_takes_missed_heartbeats_minus_a_half_on_average() {
    // Heartbeats every 5 s from a random phase, dead after 3 missed: the delay is uniform on
    // (10, 15], mean 12.5 s.
    let sim = run(
        "pattern = \"peer_to_peer\"\nconsensus_fraction = 0\nbalancer = \"random\"\nmtbf = 200\nmttr = 50\ntasks = 50000\nreplications = 5\n",
    );
    let d = mean(&sim.results[0], Metric::DetectionDelay);
    assert!((d - 12.5).abs() < 0.4, "mean detection delay {d}");
}

#[test]
fn a_lost_leader_stalls_consensus_for_an_election() {
    // The leader fails at 300 s: consensus waits for the first of the 7 surviving peers'
    // election timeouts, uniform on [15, 30]: 15 + 15/8 s on average, plus the vote round trip.
    let sim = run(
        "pattern = \"peer_to_peer\"\nbalancer = \"round_robin\"\noutage = [\"0@300+200\"]\nduration = 1000\nreplications = 10\n",
    );
    let r = &sim.results[0];
    let stall = mean(r, Metric::NoDispatchTime);
    assert!(stall > 15.0 && stall < 20.0, "no leader for {stall} s");
    assert!(mean(r, Metric::SuccessRate) > 0.99, "other tasks go on");
}

#[test]
fn a_breaker_ejects_a_hung_agent() {
    // One of 8 agents hangs without being declared dead; round robin keeps sending it an
    // eighth of the work, which times out after 30 s. A breaker opens after 5 timeouts and then
    // only lets trials through: far fewer timeouts, half the p99.
    let base = "pattern = \"master_slave\"\nagents = 9\ndispatch_overhead = 0\nbalancer = \"round_robin\"\nrate = 4.8\nretry = \"exponential\"\nmissed_heartbeats = 1000\noutage = [\"3@200+1200\"]\nduration = 1500\nreplications = 5\n";
    let plain = &run(base).results[0];
    let guarded = &run(&format!("{base}circuit_breaker = \"consecutive\"\n")).results[0];
    assert!(mean(guarded, Metric::TimedOut) < mean(plain, Metric::TimedOut) / 5.0);
    assert!(mean(guarded, Metric::LatencyP99) < 0.6 * mean(plain, Metric::LatencyP99));
}

#[test]
fn hedging_cuts_the_tail_of_a_heavy_tailed_fan_out() {
    // Shard requests with lognormal times (cv 3) on 4 of 16 agents, each a full request's
    // work (a search over index shards): a second copy after the 95th percentile of recent
    // shard latency makes the slowest shard rarely decide. Unhedged, a few gathers reach the
    // 60 s gather timeout and fail, so p99.9 over all requests is among the failed.
    let base = "pattern = \"scatter_gather\"\nagents = 16\nfan_out = 4\nservice = \"lognormal:1:3\"\nshard_work = \"full\"\nparts = \"independent\"\nrate = 1.2\nbalancer = \"least_connections\"\ntasks = 50000\nreplications = 5\n";
    let plain = &run(base).results[0];
    let hedged = &run(&format!("{base}hedge_after_quantile = 0.95\n")).results[0];
    assert!(plain.metrics.get(Metric::LatencyP999).censored());
    assert!(mean(hedged, Metric::LatencyP999) < 15.0);
    assert!(
        mean(hedged, Metric::SuccessLatencyP999) < 0.5 * mean(plain, Metric::SuccessLatencyP999)
    );
    let overhead = mean(hedged, Metric::HedgeOverhead);
    assert!(overhead > 0.0 && overhead < 0.5, "extra work {overhead}");
}

#[test]
fn full_jitter_retries_sooner_than_no_jitter_after_a_shared_outage() {
    // All 8 workers fail together for 20 s. Full jitter waits on average half of each
    // scheduled delay: its tasks recover sooner (lower p99), at the price of more retries
    // refused while the workers are still down. (Fewer attempts would need retries that collide
    // and destroy each other's work; a queue admits a synchronised burst instead.)
    let outages: Vec<String> = (1..=8).map(|a| format!("\"{a}@300+20\"")).collect();
    let base = format!(
        "pattern = \"master_slave\"\nagents = 9\ndispatch_overhead = 0\nbalancer = \"least_connections\"\nrate = 4.8\nretry = \"exponential\"\noutage = [{}]\nduration = 900\nreplications = 10\n",
        outages.join(", ")
    );
    let none = &run(&format!("{base}jitter = \"none\"\n")).results[0];
    let full = &run(&format!("{base}jitter = \"full\"\n")).results[0];
    assert!(full.higher_than(none, Metric::LatencyP99) == Some(false));
    assert!(mean(full, Metric::LatencyP99) < mean(none, Metric::LatencyP99));
    assert!(mean(full, Metric::AttemptsPerTask) > mean(none, Metric::AttemptsPerTask));
}

#[test]
fn a_retry_storm_outlives_its_spike_unless_retries_or_queues_are_bounded() {
    // Load 0.8 is stable. A 60 s doubling of arrivals pushes queues past the 10 s timeout;
    // with immediate retries each task sends up to 8 attempts, and timed-out attempts are still
    // served, so the overload feeds itself long after the spike: a metastable failure.
    // A retry budget caps the amplification and the system recovers; a bulkhead keeps queues
    // under the timeout, so the storm never starts.
    let base = "pattern = \"master_slave\"\nagents = 9\ndispatch_overhead = 0\nbalancer = \"least_connections\"\nrate = 6.4\ntimeout = 10\nretry = \"immediate\"\nspike = [\"300+60:2\"]\nduration = 1800\nreplications = 5\ntimeline = 100\n";
    let arrivals = 0.8 * 8.0;
    let storm = &run(base).results[0];
    let budget = &run(&format!("{base}retry_budget = 0.1\n")).results[0];
    let bulkhead = &run(&format!("{base}queue_limit = 5\n")).results[0];
    for r in [storm, budget, bulkhead] {
        assert!(
            goodput(r, 0.0, 300.0) > 0.95 * arrivals,
            "stable before the spike"
        );
    }
    assert!(
        goodput(storm, 1200.0, 1800.0) < 0.1 * arrivals,
        "still collapsed 15 minutes later"
    );
    // ... and reported as collapsed, with no latency given as a value.
    // The collapse is dated to the start of the checkpoint interval (a twentieth of the
    // measured arrivals, 81 s here) in which goodput fell: the one holding the spike at 300 s.
    let collapse = storm.collapse.expect("the storm is a collapse");
    assert_eq!(collapse.replications, 5);
    assert!((219.0..=360.0).contains(&collapse.at), "{}", collapse.at);
    assert!(storm.metrics.get(Metric::LatencyP99).censored());
    assert!(budget.collapse.is_none() && bulkhead.collapse.is_none());
    assert!(
        goodput(budget, 1200.0, 1800.0) > 0.9 * arrivals,
        "recovered with a retry budget"
    );
    assert!(
        goodput(bulkhead, 600.0, 1800.0) > 0.9 * arrivals,
        "a bulkhead never lets it start"
    );
}

#[test]
fn pipeline_failures_fail_fast_and_retries_help_only_with_spare_capacity() {
    // Without retries an item lost with its stage worker fails its task (fail fast, the
    // catalog's choice), and the repaired worker redoes the work since its last checkpoint.
    // With retries the item is tried again on the stage's other worker: at load 0.4 that one
    // absorbs it (its load doubles to 0.8), at 0.8 it cannot, and the retries feed a storm.
    let base = "pattern = \"pipeline\"\nbalancer = \"least_connections\"\nmtbf = 300\nmttr = 30\ntasks = 20000\nreplications = 3\n";
    let success = |load: f64, retry: &str| {
        let r = &run(&format!("{base}load = {load}\nretry = \"{retry}\"\n")).results[0];
        (mean(r, Metric::SuccessRate), mean(r, Metric::WastedWork))
    };
    let (fast, wasted) = success(0.4, "none");
    assert!(fast < 0.95, "{fast}");
    assert!(wasted > 0.01, "redone work {wasted}");
    assert!(success(0.4, "exponential").0 > fast + 0.03);
    assert!(success(0.8, "exponential").0 < success(0.8, "none").0 - 0.3);
}

#[test]
fn a_gather_completes_with_what_it_has_within_the_failure_threshold() {
    // With an agent down, a fan-out over all 8 agents misses one shard: 1/8 is within the
    // catalog's 20% threshold, so the request is answered with 7/8 of its shards. A partial
    // answer misses the objective unless --accept-partial says it will do.
    let base = "pattern = \"scatter_gather\"\nbalancer = \"round_robin\"\noutage = [\"3@100+500\"]\nduration = 800\nreplications = 3\nslo = \"30s\"\n";
    let strict = &run(base).results[0];
    let completeness = mean(strict, Metric::Completeness);
    assert!(completeness < 1.0 && completeness > 0.875, "{completeness}");
    // Accepted, partial answers meet the objective; success still counts full answers, and
    // a p99 among the partial answers (timed by the gather timeout) is still only a bound.
    let lenient = &run(&format!("{base}accept_partial = true\n")).results[0];
    assert!(mean(lenient, Metric::Attainment) > 0.95);
    assert_eq!(
        mean(lenient, Metric::SuccessRate),
        mean(strict, Metric::SuccessRate)
    );
    assert!(lenient.metrics.get(Metric::LatencyP99).censored());
    // Most of the measured window has the agent down: most answers are partial.
    assert!(mean(strict, Metric::SuccessRate) < 0.5);
    assert!(mean(strict, Metric::Attainment) < 0.5);
    assert!(strict.metrics.get(Metric::LatencyP99).censored());
}

/// Attempts per second in the timeline bucket starting at `start`.
fn attempts_at(r: &RunResult, start: f64) -> f64 {
    r.timeline
        .iter()
        .find(|p| p.start == start)
        .expect("a bucket starts there")
        .attempts
        .mean
}

#[test]
fn nothing_is_dispatched_while_the_master_is_down_not_even_retries() {
    // A worker fails just before the master: its lost attempts time out and are retried, but
    // the retries wait in the master's backlog like new tasks until the backup takes over.
    let sim = run(
        "pattern = \"master_slave\"\nbalancer = \"round_robin\"\nload = 0.3\noutage = [\"0@100+100\", \"2@90+100\"]\ntimeout = 3\nretry = \"linear\"\ntimeline = 5\nduration = 300\nreplications = 2\n",
    );
    let r = &sim.results[0];
    for start in [100.0, 105.0, 110.0, 115.0, 120.0, 125.0] {
        assert_eq!(attempts_at(r, start), 0.0, "dispatch at {start} s");
    }
    assert!(attempts_at(r, 130.0) > 0.0);
}

#[test]
fn a_failed_backup_is_replaced_after_another_detection_timeout() {
    // The master fails at 100 s; worker 1 takes over at 130 s and fails at 140 s. Dispatch
    // stops again until the next worker takes over at 170 s.
    let sim = run(
        "pattern = \"master_slave\"\nbalancer = \"round_robin\"\noutage = [\"0@100+200\", \"1@140+100\"]\ntimeline = 10\nduration = 400\nreplications = 2\n",
    );
    let r = &sim.results[0];
    assert_eq!(mean(r, Metric::NoDispatchTime), 60.0);
    assert!(attempts_at(r, 130.0) > 0.0);
    for start in [140.0, 150.0, 160.0] {
        assert_eq!(attempts_at(r, start), 0.0, "dispatch at {start} s");
    }
    assert!(attempts_at(r, 170.0) > 0.0);
}

#[test]
fn a_shared_queue_keeps_dispatching_when_breakers_reopen() {
    // Short timeouts at high load trip breakers often; requests waiting at the master for a
    // worker must be woken when a breaker's recovery time ends, or the fleet idles.
    for seed in 1..=3 {
        let sim = run(&format!(
            "pattern = \"master_slave\"\nbalancer = \"round_robin\"\nqueue = \"shared\"\ncircuit_breaker = \"consecutive\"\ntimeout = 1\nload = 0.95\ntasks = 3000\nreplications = 1\nseed = {seed}\n"
        ));
        let r = &sim.results[0];
        assert!(mean(r, Metric::SuccessRate) > 0.5, "seed {seed}");
    }
}

#[test]
fn consensus_started_under_an_old_leader_restarts_with_the_new_one() {
    // 40 s consensus rounds (4 hops of 10 s) straddle the leader's outage: each must either
    // finish under the leader it began with or start over under the new one, never hang.
    for seed in 1..=3 {
        let sim = run(&format!(
            "pattern = \"peer_to_peer\"\nbalancer = \"round_robin\"\nhop_latency = 10\nconsensus_fraction = 1\noutage = [\"0@100+50\"]\ntasks = 3000\nload = 0.3\nreplications = 1\nseed = {seed}\n"
        ));
        assert!(mean(&sim.results[0], Metric::SuccessRate) > 0.99);
    }
}

#[test]
fn consensus_waits_for_a_majority() {
    // Three of five peers (not the leader) are down from 100 s to 200 s: with no majority the
    // leader steps down, and a new one is elected 15 to 30 s after the majority is back.
    let sim = run(
        "pattern = \"peer_to_peer\"\nagents = 5\nbalancer = \"round_robin\"\noutage = [\"1@100+100\", \"2@100+100\", \"3@100+100\"]\nduration = 600\nreplications = 4\n",
    );
    let stall = mean(&sim.results[0], Metric::NoDispatchTime);
    assert!(stall > 115.0 && stall < 131.0, "no leader for {stall} s");
}

#[test]
fn flapping_peers_end_the_run() {
    // Peers fail and recover every few milliseconds: elections keep being abandoned, but each
    // task still ends (its consensus waits, then runs when a leader holds).
    let sim = run(
        "pattern = \"peer_to_peer\"\nbalancer = \"round_robin\"\nmtbf = 0.01\nmttr = 0.01\ntasks = 50\nretry = \"exponential\"\nreplications = 2\n",
    );
    assert_eq!(sim.results[0].tasks.generated, 100);
}

#[test]
fn a_failed_gather_sends_no_more_subtasks() {
    // Every agent is down and known to be: each of the 4 subtasks is refused at once and
    // retried in step (linear backoff, 3 retries). The first to run out of tries, after 4,
    // fails the task (1 of 4 missing is over the 20% threshold) and the other three, with 3
    // tries each, are not tried again: 13 tries for 4 subtasks.
    let sim = run(
        "pattern = \"scatter_gather\"\nagents = 4\nbalancer = \"round_robin\"\nheartbeat = 0\noutage = [\"0@0+1e6\", \"1@0+1e6\", \"2@0+1e6\", \"3@0+1e6\"]\nretry = \"linear\"\ntasks = 200\nreplications = 1\n",
    );
    let r = &sim.results[0];
    assert_eq!(mean(r, Metric::SuccessRate), 0.0);
    assert_eq!(mean(r, Metric::AttemptsPerTask), 13.0 / 4.0);
}

#[test]
fn an_unnoticed_outage_without_timeouts_does_not_strand_requests() {
    // A 2 s outage ends before the heartbeats notice it; with no timeout, the lost attempts
    // fail when the agent restarts and are retried, so every task still ends.
    let sim = run(
        "pattern = \"master_slave\"\nbalancer = \"round_robin\"\noutage = [\"2@100+2\"]\ntimeout = \"none\"\nretry = \"immediate\"\nduration = 300\nreplications = 2\n",
    );
    let r = &sim.results[0];
    assert!(mean(r, Metric::SuccessRate) == 1.0);
    assert!(mean(r, Metric::AttemptsPerTask) > 1.0);
}

#[test]
fn a_run_that_can_make_no_progress_stops_and_fails_its_waiting_requests() {
    // 24 peers up 14% of the time: a majority (13) is almost never up, so consensus requests
    // wait for an election that cannot happen. This once ran 77 million events and, with a
    // few more peers, did not finish; now it stops ten times the longest wait (the 120 s
    // repair) after the last progress, and fails what still waits.
    let sim = run(
        "pattern = \"peer_to_peer\"\nbalancer = \"random\"\nagents = 24\nmtbf = 20\nmttr = 120\ntasks = 2000\nreplications = 2",
    );
    let r = &sim.results[0];
    let stalled = r.stalled.expect("the run stalled");
    assert_eq!((stalled.replications, stalled.of), (2, 2));
    assert!(stalled.failed > 0 && stalled.failed <= r.tasks.failed);
    assert!(r.events < 100_000, "{} events", r.events);
    assert!(r.warnings.iter().any(|w| w.contains("stalled in 2 of 2")));
    // A master that is up 0.1% of the time never dispatches: every request fails.
    let sim = run(
        "pattern = \"master_slave\"\nbalancer = \"random\"\nmtbf = 0.001\nmttr = 1\ntasks = 2000\nreplications = 2",
    );
    let r = &sim.results[0];
    assert_eq!(r.tasks.failed, r.tasks.generated);
    assert!(r.stalled.is_some());
    // A run that does progress, however slowly, is never cut short.
    let sim = run(
        "pattern = \"peer_to_peer\"\nbalancer = \"random\"\nagents = 5\nmtbf = 100\nmttr = 300\ntasks = 2000\nreplications = 2",
    );
    assert!(sim.results[0].stalled.is_none());
}

#[test]
fn failures_faster_than_requests_are_refused_with_the_limit() {
    let input = ScenarioInput::from_toml("mtbf = 1e-9\nmttr = 1e-9", "case").unwrap();
    let err = Scenario::build(input, &Catalog::embedded().simulation_defaults()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("invalid --mtbf:") && text.contains("10000") && text.contains("at least"),
        "{text}"
    );
}

#[test]
fn back_to_back_scripted_outages_are_waited_for_however_long() {
    // Fifteen 100 s outages in a row on every agent from 990 s: what is queued then waits
    // 1500 s, more than thirty times any single wait, and is served after (only what an
    // outage interrupts in service fails: nothing retries it).
    let mut outages = Vec::new();
    for agent in 0..3 {
        for i in 0..15 {
            outages.push(format!("\"{agent}@{}+100\"", 990 + i * 100));
        }
    }
    let sim = run(&format!(
        "pattern = \"master_slave\"\nbalancer = \"round_robin\"\nagents = 3\nrate = 1\nduration = 1000\nreplications = 1\ntimeout = \"none\"\noutage = [{}]",
        outages.join(", ")
    ));
    let r = &sim.results[0];
    assert!(r.stalled.is_none());
    assert!(r.tasks.failed <= 15, "{:?}", r.tasks);
}
