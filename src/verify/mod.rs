//! `jaegis verify`: published results of queueing theory and distributed systems replayed as
//! seeded simulations, each with its source, the published value, the measured value with
//! its interval, and whether it lies within the stated tolerance.
//!
//! A check passes when the distance between the measured mean and the published value is at
//! most the tolerance (what the formula leaves out: a finite fleet, a start from empty, an
//! approximation's own error) plus [`T_TAIL`] standard errors of the mean: with 10
//! replications, a correct simulator misses a check by chance with probability 1e-4.

pub mod theory;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::sim::{self, Estimate, Metric, Scenario, ScenarioInput, SimError, Simulation};

/// Replications per check.
pub const REPLICATIONS: u32 = 10;
/// The 99.995% quantile of Student's t with 9 degrees of freedom.
pub const T_TAIL: f64 = 6.59;

/// What a check expects of its measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Expect {
    /// Within `relative` of `value`.
    Near { value: f64, relative: f64 },
    /// Below `value`.
    Below { value: f64 },
    /// Above `value`.
    Above { value: f64 },
}

impl Expect {
    /// Whether `e` meets the expectation, allowing `margin` for its sampling error.
    fn met(self, e: &Estimate, margin: f64) -> bool {
        e.mean.is_finite()
            && match self {
                Expect::Near { value, relative } => {
                    (e.mean - value).abs() <= relative * value.abs() + margin
                }
                Expect::Below { value } => e.mean - margin < value,
                Expect::Above { value } => e.mean + margin > value,
            }
    }

    /// The tolerance in words, sampling margin included; bounds are on shares, so in
    /// percent.
    fn describe(self, margin: f64) -> String {
        match self {
            Expect::Near { value, relative } => {
                let band = relative + margin / value.abs();
                format!("±{}%", crate::number::number(100.0 * band, 1))
            }
            Expect::Below { value } => {
                format!("below {}%", crate::number::round_sig(100.0 * value))
            }
            Expect::Above { value } => {
                format!("above {}%", crate::number::round_sig(100.0 * value))
            }
        }
    }
}

/// How a check reads its measure off the simulation.
#[derive(Debug, Clone, Copy)]
enum Read {
    Mean(Metric),
    /// 1 - the metric, per replication: the share of requests that missed a deadline.
    Missed(Metric),
    /// Goodput in the timeline bucket that starts at `from`, as a share of the arrival rate.
    Goodput {
        from: f64,
        rate: f64,
    },
    /// The share of [`ELECTIONS`] elections of the simulator's election model that elect a
    /// leader within `within` seconds: 5 peers, all up, timeouts from [T, T (1 + spread)].
    Elections {
        spread: f64,
        within: f64,
    },
}

/// Elections per replication of an election check.
pub const ELECTIONS: u32 = 1000;
/// Raft's evaluation (section 9.3): 5 servers, a minimum election timeout of 150 ms; here a
/// request for votes takes 7.5 ms (a round trip of 15 ms).
const RAFT_TIMEOUT: f64 = 0.15;
const RAFT_HOP: f64 = 0.0075;

/// One published result and the simulation that reproduces it.
struct Check {
    id: &'static str,
    claim: String,
    source: &'static str,
    published: String,
    scenario: String,
    read: Read,
    expect: Expect,
}

/// A check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub id: &'static str,
    pub claim: String,
    pub source: &'static str,
    /// The value as published.
    pub published: String,
    pub expect: Expect,
    pub measured: Estimate,
    /// Measured / expected - 1, for a check against a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<f64>,
    /// The band the check allows: the expectation's own tolerance plus [`T_TAIL`] standard
    /// errors of the measured mean.
    pub tolerance: String,
    /// The sampling part of the band, in the measure's unit.
    #[serde(serialize_with = "rounded")]
    pub margin: f64,
    pub passed: bool,
    /// The scenario simulated, as a file `jaegis simulate --scenario` reads; none for a
    /// check of a model component (the elections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
}

/// The checks; `quick` keeps the ones that run in seconds, with shorter runs.
fn checks(quick: bool) -> Vec<Check> {
    let size = |quick_tasks: u64, full_tasks: u64| if quick { quick_tasks } else { full_tasks };
    let dispatcher = |workers: u32, balancer: &str, extra: String| {
        format!(
            "pattern = \"master_slave\"\nagents = {}\ndispatch_overhead = 0\nbalancer = \"{balancer}\"\n{extra}",
            workers + 1
        )
    };
    let mut out = vec![
        Check {
            id: "mm1",
            claim: "M/M/1 mean time in system, load 0.8".into(),
            source: "Kleinrock, Queueing Systems I (1975), W = 1/(mu - lambda)",
            published: "5".into(),
            scenario: dispatcher(
                1,
                "round_robin",
                format!("rate = 0.8\ntasks = {}", size(500_000, 2_000_000)),
            ),
            read: Read::Mean(Metric::LatencyMean),
            expect: Expect::Near {
                value: 5.0,
                relative: 0.01,
            },
        },
        Check {
            id: "mmc",
            claim: "M/M/8 mean wait, shared queue, load 0.9".into(),
            source: "Erlang C: Wq = C(c, a) / (c mu - lambda)",
            published: format!("{:.4}", theory::erlang_c(8, 7.2) / (8.0 - 7.2)),
            scenario: dispatcher(
                8,
                "random",
                format!(
                    "queue = \"shared\"\nrate = 7.2\ntasks = {}",
                    size(1_000_000, 2_000_000)
                ),
            ),
            read: Read::Mean(Metric::WaitMean),
            expect: Expect::Near {
                value: theory::erlang_c(8, 7.2) / 0.8,
                relative: 0.01,
            },
        },
        Check {
            id: "mg1",
            claim: "M/G/1 mean time in system, work CV 2, load 0.6".into(),
            source: "Pollaczek-Khinchine: W = E[S] + rho E[S] (1 + c^2) / (2 (1 - rho))",
            published: "4.75".into(),
            scenario: dispatcher(
                1,
                "round_robin",
                format!(
                    "service = \"hyperexp:1:2\"\nrate = 0.6\ntasks = {}",
                    size(200_000, 1_000_000)
                ),
            ),
            read: Read::Mean(Metric::LatencyMean),
            expect: Expect::Near {
                value: theory::pollaczek_khinchine(0.6, 4.0),
                relative: 0.01,
            },
        },
    ];
    // The power of d choices: d = 1 (random) is n independent M/M/1 queues at any n; d = 2
    // reaches its limit as n grows, and the gap at n is the error column.
    let choices = |d: u32, n: u32, load: f64, tasks: u64| Check {
        id: match (d, load < 0.95) {
            (1, true) => "random-0.9",
            (1, false) => "random-0.99",
            (_, true) => "power-of-two-0.9",
            (_, false) => "power-of-two-0.99",
        },
        claim: format!(
            "{}, mean time in system, load {load}, n = {n}",
            if d == 1 {
                "random (d = 1)"
            } else {
                "power of two (d = 2)"
            }
        ),
        source: "Mitzenmacher, The Power of Two Choices (IEEE TPDS 2001): T_d(lambda) = sum of lambda^((d^i - d)/(d - 1))",
        published: crate::number::number(theory::supermarket(d, load), 2),
        scenario: dispatcher(
            n,
            if d == 1 { "random" } else { "power_of_two" },
            format!("rate = {}\ntasks = {tasks}", load * f64::from(n)),
        ),
        read: Read::Mean(Metric::LatencyMean),
        expect: Expect::Near {
            value: theory::supermarket(d, load),
            // d = 1 is exact; d = 2's gap to the limit shrinks as 1/n.
            relative: if d == 1 { 0.01 } else { 0.03 },
        },
    };
    out.push(choices(1, 100, 0.9, size(500_000, 2_000_000)));
    out.push(choices(2, 100, 0.9, size(500_000, 2_000_000)));
    if !quick {
        out.push(choices(1, 10, 0.99, 10_000_000));
        out.push(choices(2, 1000, 0.99, 4_000_000));
    }
    // Fork-join: k M/M/1 servers each take one shard of every request, each shard a whole
    // request's work drawn on its own; the gather waits for all of them.
    let fork_join = |k: u32, tasks: u64| Check {
        id: match k {
            2 => "fork-join-2",
            4 => "fork-join-4",
            8 => "fork-join-8",
            _ => "fork-join-16",
        },
        claim: format!("fork-join of {k}, mean response time, load 0.5"),
        source: if k == 2 {
            "Nelson and Tantawi (IEEE Trans. Computers 1988): exact for k = 2, (12 - rho)/8 / (mu - lambda)"
        } else {
            "Nelson and Tantawi (1988) approximation: [H_k/H_2 + (4/11)(1 - H_k/H_2) rho] R_2"
        },
        published: crate::number::number(theory::fork_join(k, 0.5), 3),
        scenario: format!(
            "pattern = \"scatter_gather\"\nagents = {k}\nfan_out = {k}\nshard_work = \"full\"\nparts = \"independent\"\ngather_timeout = 1e9\nbalancer = \"round_robin\"\nrate = 0.5\ntasks = {tasks}"
        ),
        read: Read::Mean(Metric::LatencyMean),
        expect: Expect::Near {
            value: theory::fork_join(k, 0.5),
            // The approximation's own error, a few percent up to k = 32.
            relative: if k == 2 { 0.01 } else { 0.05 },
        },
    };
    out.push(fork_join(2, size(100_000, 400_000)));
    if quick {
        out.push(fork_join(8, 40_000));
    } else {
        for k in [4, 8, 16] {
            out.push(fork_join(k, 200_000));
        }
    }
    // The tail at scale: 100 leaves, each an exponential server of mean 1 s whose p99 is
    // ln 100 s; requests far apart, so no leaf ever queues.
    let leaves = |extra: &str| {
        format!(
            "pattern = \"scatter_gather\"\nagents = 100\nfan_out = 100\nshard_work = \"full\"\nparts = \"independent\"\ngather_timeout = 1e9\nbalancer = \"round_robin\"\narrivals = \"deterministic\"\nrate = 0.01\nslo = \"{}s@50%\"\ntasks = {}\n{extra}",
            100f64.ln(),
            size(2_000, 10_000)
        )
    };
    out.push(Check {
        id: "tail-at-scale",
        claim: "100-way fan-outs slower than a leaf's p99".into(),
        source: "Dean and Barroso, The Tail at Scale (CACM 2013): 1 - 0.99^100",
        published: "63%".into(),
        scenario: leaves(""),
        read: Read::Missed(Metric::Attainment),
        expect: Expect::Near {
            value: 1.0 - 0.99f64.powi(100),
            relative: 0.01,
        },
    });
    out.push(Check {
        id: "hedging",
        claim: "extra requests, hedging after the p95".into(),
        source: "Dean and Barroso, The Tail at Scale (CACM 2013): about 5%",
        published: "about 5%".into(),
        scenario: leaves("hedge_after_quantile = 0.95"),
        read: Read::Mean(Metric::HedgeRate),
        expect: Expect::Near {
            value: 0.05,
            relative: 0.2,
        },
    });
    // Raft's randomised election timeouts, on the election model peer_to_peer runs.
    out.push(Check {
        id: "raft-fixed",
        claim: "elections settled within 10 s, fixed 150 ms timeouts".into(),
        source: "Ongaro and Ousterhout, In Search of an Understandable Consensus Algorithm (USENIX ATC 2014), 9.3: without randomness, elections took longer than 10 s (split votes)",
        published: "none".into(),
        scenario: String::new(),
        read: Read::Elections {
            spread: 0.0,
            within: 10.0,
        },
        expect: Expect::Below { value: 0.05 },
    });
    out.push(Check {
        id: "raft-randomized",
        claim: "elections settled within 3 timeouts, timeouts from 150-300 ms".into(),
        source: "Ongaro and Ousterhout (2014), 9.3: randomised timeouts settle elections within a few timeouts",
        published: "nearly all".into(),
        scenario: String::new(),
        read: Read::Elections {
            spread: 1.0,
            within: 3.0 * RAFT_TIMEOUT,
        },
        expect: Expect::Above { value: 0.99 },
    });
    // A metastable failure: a 60 s doubling of arrivals at load 0.8, a 10 s timeout and
    // immediate retries with no budget (examples/retry-storm.toml).
    let storm = |extra: &str| {
        format!(
            "pattern = \"master_slave\"\nagents = 9\ndispatch_overhead = 0\nbalancer = \"least_connections\"\nrate = 6.4\ntimeout = 10\nretry = \"immediate\"\nspike = [\"300+60:2\"]\nduration = 1800\ntimeline = 300\n{extra}"
        )
    };
    out.push(Check {
        id: "metastable",
        claim: "goodput 20 min after a 60 s trigger, retries unbudgeted".into(),
        source: "Bronson et al., Metastable Failures in Distributed Systems (HotOS 2021): stays low after the trigger",
        published: "low".into(),
        scenario: storm(""),
        read: Read::Goodput {
            from: 1500.0,
            rate: 6.4,
        },
        expect: Expect::Below { value: 0.5 },
    });
    out.push(Check {
        id: "metastable-budget",
        claim: "the same, retry budget 10%".into(),
        source: "Bronson et al. (HotOS 2021): limiting retries recovers",
        published: "recovers".into(),
        scenario: storm("retry_budget = 0.1"),
        read: Read::Goodput {
            from: 1500.0,
            rate: 6.4,
        },
        expect: Expect::Above { value: 0.95 },
    });
    out
}

fn rounded<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::number::round_sig(*x))
}

/// How many checks `verify` runs, for a progress bar: each has [`REPLICATIONS`].
pub fn count(quick: bool) -> usize {
    checks(quick).len()
}

/// Runs every check; `progress` is called once per finished replication.
pub fn verify(
    catalog: &Catalog,
    quick: bool,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Outcome>, SimError> {
    let defaults = catalog.simulation_defaults();
    checks(quick)
        .into_iter()
        .map(|c| {
            let (measured, scenario) = match c.read {
                Read::Elections { spread, within } => (elections(spread, within, progress), None),
                _ => {
                    let scenario = format!("{}\nreplications = {REPLICATIONS}\n", c.scenario);
                    let input = ScenarioInput::from_toml(&scenario, c.id)?;
                    let s = Scenario::build(input, &defaults)?;
                    let simulation = sim::simulate(&s, progress)?;
                    (read(&simulation, c.read), Some(scenario))
                }
            };
            let error = match c.expect {
                Expect::Near { value, .. } => {
                    Some(crate::number::round_sig(measured.mean / value - 1.0))
                }
                _ => None,
            };
            let margin = T_TAIL * measured.ci95 / sim::estimate::t_975(REPLICATIONS as usize - 1);
            let margin = if margin.is_finite() { margin } else { 0.0 };
            Ok(Outcome {
                id: c.id,
                claim: c.claim,
                source: c.source,
                published: c.published,
                expect: c.expect,
                error,
                tolerance: c.expect.describe(margin),
                margin,
                passed: c.expect.met(&measured, margin),
                measured,
                scenario,
            })
        })
        .collect()
}

fn read(simulation: &Simulation, read: Read) -> Estimate {
    let result = &simulation.results[0];
    match read {
        Read::Mean(m) => result.metrics.get(m),
        Read::Missed(m) => Estimate::of(result.replications.iter().map(|v| 1.0 - v.get(m))),
        Read::Goodput { from, rate } => match result.timeline.iter().find(|b| b.start == from) {
            Some(b) => Estimate {
                mean: b.goodput.mean / rate,
                ci95: b.goodput.ci95 / rate,
                at_least: None,
            },
            None => Estimate::NONE,
        },
        Read::Elections { .. } => unreachable!("elections are not simulated runs"),
    }
}

/// The share of elections that elect within `within` seconds, per replication.
fn elections(spread: f64, within: f64, progress: &(dyn Fn() + Sync)) -> Estimate {
    Estimate::of((0..REPLICATIONS).map(|r| {
        let mut rng = crate::sim::stream::stream(crate::sim::scenario::DEFAULT_SEED, u64::from(r));
        let settled = (0..ELECTIONS)
            .filter(|_| {
                let e =
                    crate::sim::faults::election(&mut rng, RAFT_TIMEOUT, spread, 5, 5, RAFT_HOP);
                e.settled && e.delay <= within
            })
            .count();
        progress();
        settled as f64 / f64::from(ELECTIONS)
    }))
}
