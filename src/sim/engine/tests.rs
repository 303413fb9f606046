//! The engine on its own, driven by the smallest pattern there is: each request is one part,
//! sent to the agent the balancer picks. No pattern's code is involved.

use super::{Core, Engine, Outcome, Replication};
use super::{Layout, Pattern, Shape, ShapeInput};
use crate::catalog::Catalog;
use crate::sim::BalancerKind;
use crate::sim::metric::Metric;
use crate::sim::scenario::{PatternParams, Scenario, ScenarioError, ScenarioInput};

/// One dispatcher, one part per request.
struct Single;

impl Pattern for Single {
    type Event = ();

    fn shape(_: &ShapeInput) -> Result<Shape, ScenarioError> {
        Ok(Shape {
            coordinators: 0,
            fan_out: None,
            stage_workers: Vec::new(),
            work_factor: 1.0,
        })
    }

    fn bottleneck(_: &Scenario, _: &PatternParams) -> String {
        String::new()
    }

    fn new(s: &Scenario, _: &PatternParams, _: u64) -> (Self, Layout) {
        let layout = Layout {
            samplers: vec![s.service.sampler()],
            dispatchers: 1,
            coordinator: false,
            shared: false,
            view_loads: false,
        };
        (Single, layout)
    }

    fn admit(&mut self, core: &mut Core<'_, ()>, request: u32, _: f64) {
        let work = core.requests[request as usize].work;
        let part = core.new_part(request, 0, 0, work);
        self.dispatch(core, part, false);
    }

    fn dispatch(&mut self, core: &mut Core<'_, ()>, part: u32, _: bool) {
        let request = core.parts[part as usize].request;
        match core.pick(0, core.all_agents, request) {
            Some(agent) => core.send(self, part, agent, 0.0, false),
            None => core.no_agent(self, part),
        }
    }

    fn part_done(&mut self, core: &mut Core<'_, ()>, request: u32, _: u32) {
        core.resolve(request, Outcome::Complete);
    }

    fn on_event(&mut self, _: &mut Core<'_, ()>, _: ()) {}
}

/// Runs one replication of `Single` on the scenario written as TOML (a peer-to-peer scenario
/// supplies the fleet: every agent a worker).
fn run(toml: &str) -> Replication {
    let text = format!("pattern = \"peer_to_peer\"\nwarmup = 0\nreplications = 1\n{toml}");
    let input = ScenarioInput::from_toml(&text, "test.toml").expect("valid TOML");
    let defaults = Catalog::embedded().simulation_defaults();
    let s = Scenario::build(input, &defaults).expect("valid scenario");
    let agents: Vec<u32> = (0..s.per_pattern[0].workers).collect();
    Engine::<Single>::new(&s, &s.per_pattern[0], BalancerKind::RoundRobin, 0, &agents)
        .run(&|_| ())
        .expect("conservation holds")
}

/// One request every 100 s, at 100 s, 200 s, ...; the run takes arrivals until `duration`.
const ONE_AT_100: &str = "arrivals = \"deterministic\"\nrate = 0.01\n";

#[test]
fn an_attempt_served_in_time_is_answered_once() {
    let r = run(&format!(
        "{ONE_AT_100}duration = 150\nagents = 1\nservice = \"det:2\"\ntimeout = 3\nretry = \"exponential\"\njitter = \"none\""
    ));
    assert_eq!((r.counts.completed, r.counts.failed), (1, 0));
    assert_eq!(r.values.get(Metric::AttemptsPerTask), 1.0);
    assert_eq!(r.values.get(Metric::LatencyMax), 2.0);
    assert_eq!(r.values.get(Metric::TimedOut), 0.0);
}

/// Work of 10 s against a 3 s timeout: every attempt times out, each retry waits 1, 2, 4, 8,
/// 16 s (exponential backoff, no jitter) behind the zombies of the last, and after 5 retries
/// the request fails at 100 + 49 s. Timed-out attempts are still served: all work is waste.
#[test]
fn attempts_time_out_retry_with_backoff_and_fail_when_spent() {
    let r = run(&format!(
        "{ONE_AT_100}duration = 150\nagents = 1\nservice = \"det:10\"\ntimeout = 3\nretry = \"exponential\"\njitter = \"none\""
    ));
    assert_eq!((r.counts.completed, r.counts.failed), (0, 1));
    assert_eq!(r.values.get(Metric::TimedOut), 6.0);
    assert_eq!(r.values.get(Metric::AttemptsPerTask), 6.0);
    assert_eq!(r.values.get(Metric::SuccessRate), 0.0);
    assert_eq!(r.values.get(Metric::WastedWork), 1.0);
}

/// A consecutive breaker opens after the catalog's 5 failures in a row; while it is open
/// (30 s) the only agent is ejected and requests are refused at once.
#[test]
fn a_breaker_opens_after_consecutive_failures_and_refuses_work() {
    let r = run(
        "arrivals = \"deterministic\"\nrate = 0.5\nduration = 40\nagents = 1\nservice = \"det:10\"\ntimeout = 1\ncircuit_breaker = \"consecutive\"",
    );
    // Requests at 2, 4, ..., 40: the first five time out (the fifth at 11 s opens the
    // breaker until 41 s); those from 12 s on are refused.
    assert_eq!(r.counts.generated, 20);
    assert_eq!(r.values.get(Metric::TimedOut), 5.0);
    assert_eq!(r.values.get(Metric::Rejected), 15.0);
    assert_eq!(r.counts.failed, 20);
}

/// An outage is noticed after `missed` heartbeats; the work lost with the agent is failed
/// then, and retried on the other agent.
#[test]
fn a_failed_agent_is_declared_dead_by_heartbeats_and_its_work_retried() {
    let r = run(
        "arrivals = \"deterministic\"\nrate = 0.1\nduration = 400\nagents = 2\nservice = \"det:30\"\nheartbeat = 5\nmissed_heartbeats = 3\ntimeout = \"none\"\nretry = \"immediate\"\noutage = [\"0@105+100\"]",
    );
    let delay = r.values.get(Metric::DetectionDelay);
    assert!(delay > 10.0 && delay <= 15.0, "{delay}");
    assert_eq!(r.counts.failed, 0, "lost work is retried on agent 1");
    assert!(r.values.get(Metric::AttemptsPerTask) > 1.0);
}

/// Whatever the faults and mechanisms, every request ends once: the engine checks the
/// counts itself (an error if they do not add up), and here they are checked again.
#[test]
fn every_request_ends_exactly_once_under_faults() {
    for (seed, extra) in [
        (
            1,
            "retry = \"exponential\"\ncircuit_breaker = \"consecutive\"",
        ),
        (
            2,
            "retry = \"immediate\"\nretry_budget = 0.1\nqueue_limit = 3",
        ),
        (
            3,
            "retry = \"linear\"\ndrop_expired = true\ncircuit_breaker = \"failure-rate\"",
        ),
        (4, "timeout = \"none\"\nheartbeat = 0"),
    ] {
        let r = run(&format!(
            "seed = {seed}\nagents = 5\nload = 0.9\ntasks = 3000\nmtbf = 50\nmttr = 20\n{extra}"
        ));
        let c = r.counts;
        assert_eq!(c.generated, 3000);
        assert_eq!(c.generated, c.completed + c.failed + c.in_flight, "{extra}");
    }
}

/// Above 64 agents picks go through the balancer's index; a run with it and a run with the
/// linear passes only are the same run, event for event, under faults, breakers, retries,
/// bulkheads, kinds and stale peer views, for every balancer that the index serves.
#[test]
fn the_index_changes_no_pick_of_a_whole_run() {
    use crate::sim::pattern::Visit;

    struct Both<'a>(&'a Scenario, BalancerKind);
    impl Visit for Both<'_> {
        type Output = (Replication, Replication);
        fn visit<P: Pattern>(self) -> Self::Output {
            let (s, b) = (self.0, self.1);
            let agents: Vec<u32> = (0..s.per_pattern[0].workers).collect();
            let indexed = Engine::<P>::new(s, &s.per_pattern[0], b, 0, &agents);
            assert!(
                indexed.core.balancers.has_index(),
                "{b}: the run is indexed"
            );
            let mut linear = Engine::<P>::new(s, &s.per_pattern[0], b, 0, &agents);
            linear.core.balancers.drop_index();
            (indexed.run(&|_| ()).unwrap(), linear.run(&|_| ()).unwrap())
        }
    }
    let faults = "mtbf = 200\nmttr = 20\noutage = [\"5@50+100\"]\ntimeout = 4\nretry = \"exponential\"\ncircuit_breaker = \"consecutive\"\nqueue_limit = 6\nkinds = \"a:1,b:2\"\ncapabilities = \"a+b,b,a\"\ntasks = 6000\nreplications = 1\n";
    for (pattern, extra) in [
        ("peer_to_peer", "agents = 130\nheartbeat = 1\nload = 0.8\n"),
        (
            "master_slave",
            "agents = 101\nload = 0.9\nmax_ejection = 0.3\n",
        ),
        ("scatter_gather", "agents = 100\nfan_out = 5\nload = 0.7\n"),
    ] {
        let text = format!("pattern = \"{pattern}\"\n{extra}{faults}");
        let input = ScenarioInput::from_toml(&text, "test.toml").unwrap();
        let s = Scenario::build(input, &Catalog::embedded().simulation_defaults()).unwrap();
        for b in [
            BalancerKind::LeastConnections,
            BalancerKind::CapabilityBased,
            BalancerKind::Predictive,
            BalancerKind::Random,
            BalancerKind::PowerOfTwo,
        ] {
            let (a, l) = s.per_pattern[0].model.visit(Both(&s, b));
            assert_eq!(a.events, l.events, "{pattern} / {b}");
            assert_eq!(a.counts, l.counts, "{pattern} / {b}");
            // Debug text, so that NaN (a metric that does not apply) equals NaN.
            let (va, vl) = (format!("{:?}", a.values), format!("{:?}", l.values));
            assert_eq!(va, vl, "{pattern} / {b}");
        }
    }
}

#[test]
fn ended_requests_are_reported_in_blocks_and_all_counted() {
    let text = "pattern = \"peer_to_peer\"\nwarmup = 0\nreplications = 1\ntasks = 5000\n";
    let input = ScenarioInput::from_toml(text, "test.toml").expect("valid TOML");
    let s = Scenario::build(input, &Catalog::embedded().simulation_defaults()).unwrap();
    let agents: Vec<u32> = (0..s.per_pattern[0].workers).collect();
    let reports = std::cell::RefCell::new(Vec::new());
    let r = Engine::<Single>::new(&s, &s.per_pattern[0], BalancerKind::RoundRobin, 0, &agents)
        .run(&|n| reports.borrow_mut().push(n))
        .unwrap();
    let reports = reports.into_inner();
    assert_eq!(reports.iter().sum::<u64>(), r.counts.generated);
    assert_eq!(r.counts.generated, 5000);
    let (last, blocks) = reports.split_last().unwrap();
    assert!(
        blocks.iter().all(|&n| n == super::PROGRESS_BLOCK),
        "{reports:?}"
    );
    assert_eq!(*last, 5000 % super::PROGRESS_BLOCK);
}
