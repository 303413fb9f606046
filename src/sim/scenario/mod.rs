//! What to simulate: the user's input (flags and a TOML scenario file, every field optional)
//! and the validated scenario with every effective parameter, defaults from the catalog
//! (resolved by the caller into [`Defaults`]).

use serde::Serialize;

use self::replay::Replay;
use super::balancer::BalancerKind;
use super::distribution::{Arrivals, Quantiles, Service};
use super::faults::Outage;
use super::llm::Llm;
pub use super::model::Model;
use super::resilience::{BreakerConfig, BreakerKind, RetryKind, RetryPolicy};
use super::rounds::Rounds;
use super::workload::Spike;

mod build;
mod defaults;
pub mod input;
pub mod replay;
mod value;

pub use build::{pattern_ids, resolve_balancers, stage_workers};
pub use defaults::{CatalogPattern, Defaults};
pub use input::ScenarioInput;
pub use value::{
    Buffer, Capabilities, Kinds, Names, Numbers, Parts, QueueMode, Seconds, ShardWork, Slo, Timeout,
};

/// The default number of agents, tasks per replication, replications and seed.
pub const DEFAULT_AGENTS: u32 = 8;
pub const DEFAULT_TASKS: u64 = 100_000;
pub const DEFAULT_REPLICATIONS: u32 = 5;
pub const DEFAULT_SEED: u64 = 42;
/// Offered load when neither a load nor a rate is given.
pub const DEFAULT_LOAD: f64 = 0.8;
pub const DEFAULT_WARMUP: f64 = 0.1;
/// Seconds the master spends dispatching each request: small beside a 1 s request, yet it
/// grows into the bottleneck as the rate grows.
pub const DEFAULT_DISPATCH_OVERHEAD: f64 = 0.01;
pub const DEFAULT_HOP_LATENCY: f64 = 0.005;
pub const DEFAULT_CONSENSUS_FRACTION: f64 = 0.1;
/// Four stages split the default 8 agents evenly; an uneven split leaves one stage busier.
/// Fewer agents get one stage each.
pub const DEFAULT_STAGES: u32 = 4;
pub const DEFAULT_MISMATCH_PENALTY: f64 = 2.0;
/// Largest fan-out used by default: min(agents, this).
pub const DEFAULT_MAX_FAN_OUT: u32 = 10;
/// Kinds are a bit set per agent.
pub const MAX_KINDS: usize = 64;

/// A bad parameter: the flag it came from and what is accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    #[error("invalid {flag}: {message}")]
    Invalid { flag: String, message: String },
    #[error("{path}:{line}: {key}: {message}")]
    File {
        path: String,
        line: usize,
        key: String,
        message: String,
    },
    #[error("cannot read scenario file {path}: {message}")]
    Read { path: String, message: String },
    #[error(transparent)]
    Catalog(#[from] CatalogLookup),
    #[error(transparent)]
    Trace(crate::trace::TraceError),
}

/// A pattern or balancer name that does not resolve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CatalogLookup(pub String);

pub(crate) fn invalid(flag: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        flag: flag.to_string(),
        message: message.into(),
    }
}

/// A pattern as it runs on the fleet: its workers and coordinators, and the load the one
/// request stream puts on each of its stations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternParams {
    pub pattern: String,
    pub model: Model,
    /// Agents that serve requests' work: all of them, less the coordinators.
    pub workers: u32,
    /// Agents spent on coordination (master_slave's master).
    pub coordinators: u32,
    /// The workers' speeds (agents `coordinators..agents`).
    pub speeds: Vec<f64>,
    /// Mean work of one request's parts together, at speed 1: the request's work, or k
    /// times it when every shard does it all.
    #[serde(serialize_with = "rounded")]
    pub work_per_request: f64,
    /// Offered load on the workers: rate x work per request / their total speed.
    #[serde(serialize_with = "rounded")]
    pub load: f64,
    /// Offered load on the coordination station (the master, the leader), if there is one.
    #[serde(
        serialize_with = "rounded_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub coordination_load: Option<f64>,
    /// Utilization of the busiest station (a pipeline stage, the master, the leader, the
    /// slowest agent under a full fan-out): at 1 or more the run cannot keep up.
    #[serde(serialize_with = "rounded")]
    pub peak_load: f64,
    /// Requests per second the provider's quota can serve at most, when there is one.
    #[serde(
        serialize_with = "rounded_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub provider_ceiling: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stage_workers: Vec<u32>,
    /// The station that saturates first, in words, for the warning when it does.
    #[serde(skip)]
    pub bottleneck: String,
    /// Whether its parts may get hedge copies (`--hedge-after-quantile`).
    #[serde(skip)]
    pub hedges: bool,
}

/// Failures, detection and the resilience mechanisms, as simulated. Each is off unless asked
/// for, and takes its parameters from the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resilience {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtbf: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mttr: Option<f64>,
    pub outages: Vec<Outage>,
    pub missed_heartbeats: u32,
    /// Seconds before a request is given up on; `null` for never.
    pub timeout: Option<f64>,
    pub retry: RetryPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<f64>,
    pub circuit_breaker: BreakerConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_limit: Option<u32>,
    /// Agents skip queued work whose requester has given up (deadline propagation).
    pub drop_expired: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hedge_after_quantile: Option<f64>,
    pub spikes: Vec<Spike>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<f64>,
}

impl Resilience {
    pub fn faults(&self) -> bool {
        self.mtbf.is_some() || !self.outages.is_empty()
    }

    /// True when anything beyond plain queueing is simulated: failures or a mechanism.
    pub fn active(&self) -> bool {
        self.faults()
            || self.timeout.is_some()
            || self.retry.kind != RetryKind::None
            || self.circuit_breaker.kind != BreakerKind::None
            || self.queue_limit.is_some()
            || self.hedge_after_quantile.is_some()
            || !self.spikes.is_empty()
    }
}

/// Writes a derived number to 6 significant digits, without floating-point noise.
fn rounded<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(crate::number::round_sig(*x))
}

fn rounded_option<S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => rounded(x, s),
        None => s.serialize_none(),
    }
}

/// The slowest shard of a request: its mean, median and p99 work at speed 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlowestShard {
    pub mean: f64,
    pub median: f64,
    pub p99: f64,
}

/// Fewer measured requests per replication than this judge nothing.
pub const MIN_MEASURED: u64 = 100;

/// Every effective parameter of a simulation, as the JSON document's `scenario`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub patterns: Vec<String>,
    pub balancers: Vec<BalancerKind>,
    pub agents: u32,
    /// Requests per second, the same for every pattern.
    #[serde(serialize_with = "rounded")]
    pub rate: f64,
    /// The load the rate was given as, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<f64>,
    pub arrivals: Arrivals,
    /// Work per request at speed 1, drawn once per request.
    pub service: Service,
    /// Every agent's speed, agent 0 first.
    pub speeds: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Kinds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    pub mismatch_penalty: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    pub warmup: f64,
    pub replications: u32,
    pub seed: u64,
    pub dispatch_overhead: f64,
    pub master_concurrency: u32,
    pub merge_work: f64,
    pub queue: QueueMode,
    pub failure_detection_timeout: f64,
    pub heartbeat: f64,
    pub consensus_fraction: f64,
    pub consensus_work: f64,
    pub hop_latency: f64,
    pub leader_election_timeout: f64,
    pub stages: u32,
    pub stage_work: Vec<f64>,
    pub buffer: Buffer,
    pub checkpoint_frequency: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<u32>,
    pub shard_work: ShardWork,
    pub gather_timeout: f64,
    /// Share of a scatter-gather request's shards that may fail before the request fails.
    pub failure_threshold: f64,
    pub accept_partial: bool,
    pub parts: Parts,
    /// LLM calls: tokens, latency from tokens, a shared provider, prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<Llm>,
    /// Rounds of work a request takes (delegation loops), and the limit that fails it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<Rounds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_rounds: Option<u32>,
    /// Requests from a trace, when they come from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Replay>,
    /// The trace the arrivals, work and tokens were fitted to (`--trace-mode fit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fitted_from: Option<String>,
    /// peer_to_peer: peers that each make a request's call; it waits for a majority.
    #[serde(skip_serializing_if = "is_one")]
    pub votes: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<Slo>,
    #[serde(flatten)]
    pub resilience: Resilience,
    /// Per pattern: its workers and coordinators and the loads they carry.
    pub per_pattern: Vec<PatternParams>,
    /// Flags given that change nothing here, each in words, for a warning.
    #[serde(skip)]
    pub unused: Vec<String>,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl Scenario {
    /// The speed of agent `i` (the list of speeds repeats over the agents).
    pub fn agent_speed(&self, i: usize) -> f64 {
        self.speeds[i % self.speeds.len()]
    }

    /// The work of the slowest of a request's `k` shards, at speed 1: one draw split k ways
    /// when the parts are correlated, else the largest of k independent draws.
    pub fn slowest_shard(&self, k: u32) -> SlowestShard {
        let per_shard = match self.shard_work {
            ShardWork::Split => 1.0 / f64::from(k),
            ShardWork::Full => 1.0,
        };
        let quantiles = Quantiles::of(&self.service.scaled(per_shard));
        match self.parts {
            Parts::Correlated => SlowestShard {
                mean: self.service.mean() * per_shard,
                median: quantiles.at(0.5),
                p99: quantiles.at(0.99),
            },
            // The largest of k is below x with probability F(x)^k.
            Parts::Independent => SlowestShard {
                mean: quantiles.expected_max(k),
                median: quantiles.at(0.5f64.powf(1.0 / f64::from(k))),
                p99: quantiles.at(0.99f64.powf(1.0 / f64::from(k))),
            },
        }
    }

    /// Every warning about the scenario, for stderr: flags that change nothing, the general
    /// ones, then each pattern's.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.unused.clone();
        out.extend(self.general_warnings());
        for p in &self.per_pattern {
            out.extend(self.pattern_warnings(p));
        }
        out
    }

    /// The requests measured per replication when a run by `--tasks` measures fewer than
    /// [`MIN_MEASURED`]: too few for any verdict.
    pub fn too_few_measured(&self) -> Option<u64> {
        let tasks = self.tasks?;
        let measured = (tasks as f64 * (1.0 - self.warmup)).floor() as u64;
        (measured < MIN_MEASURED).then_some(measured)
    }

    /// Warnings about the scenario as a whole: settings that change nothing, and work so
    /// heavy-tailed that its sample mean is unreliable.
    pub fn general_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = self.trace.as_ref().map(|r| &r.trace)
            && t.skipped > 0
        {
            out.push(format!(
                "{} bad rows of {} were skipped (--trace-skip-bad){}",
                t.skipped,
                t.path,
                t.skipped_errors
                    .first()
                    .map_or(String::new(), |e| format!("; the first: {e}"))
            ));
        }
        if let Some(r) = &self.trace
            && let Some(asked) = r.tasks_beyond
        {
            out.push(format!(
                "--tasks {asked} asks for more requests than {} holds: all its {} are replayed",
                r.trace.path,
                r.trace.len()
            ));
        }
        let r = &self.resilience;
        if r.drop_expired && r.timeout.is_none() {
            out.push(
                "--drop-expired changes nothing without a timeout: no request is ever given up on"
                    .into(),
            );
        }
        // The warm-up leaves out the first requests: a scripted event inside it is partly or
        // wholly left out of every statistic.
        let warmup_end = self.warmup
            * self
                .duration
                .unwrap_or_else(|| self.tasks.unwrap_or(DEFAULT_TASKS) as f64 / self.rate);
        let early: Vec<String> = r
            .outages
            .iter()
            .filter(|o| o.start < warmup_end)
            .map(|o| {
                format!(
                    "the outage of agent {} at {} s",
                    o.agent,
                    crate::number::round_sig(o.start)
                )
            })
            .chain(
                r.spikes
                    .iter()
                    .filter(|s| s.start < warmup_end)
                    .map(|s| format!("the spike at {} s", crate::number::round_sig(s.start))),
            )
            .collect();
        if !early.is_empty() {
            out.push(format!(
                "{} {} inside the warm-up (about the first {} s, the {}% of requests left out of the statistics), so {} partly or wholly missing from them: give --warmup 0, or start {} later",
                early.join(" and "),
                if early.len() == 1 { "starts" } else { "start" },
                crate::number::round_sig(warmup_end),
                crate::number::round_sig(100.0 * self.warmup),
                if early.len() == 1 { "its effect is" } else { "their effects are" },
                if early.len() == 1 { "it" } else { "them" }
            ));
        }
        if let Some(measured) = self.too_few_measured() {
            out.push(format!(
                "only {} measured per replication after the warm-up: too few to judge whether anything keeps up or meets an objective; give --tasks {} or more",
                if measured == 1 {
                    "1 request".to_string()
                } else {
                    format!("{measured} requests")
                },
                MIN_MEASURED * 10
            ));
        }
        if let Service::Pareto { alpha, .. } = self.service
            && alpha <= 2.0
        {
            out.push(format!(
                "pareto work with ALPHA {alpha} has infinite variance: its sample mean converges slowly, so the load actually simulated may differ a lot from the offered load"
            ));
        }
        out
    }

    /// Warnings about one pattern: stations loaded at or above capacity, whose queues grow
    /// without bound.
    pub fn pattern_warnings(&self, p: &PatternParams) -> Vec<String> {
        let mut out = self.station_warnings(p);
        if let Some(ceiling) = p.provider_ceiling
            && self.rate >= ceiling
        {
            out.push(format!(
                "{}: the provider's quota serves at most {} requests/s, below the {} arriving: calls beyond it get 429s, and more agents do not help",
                p.pattern,
                crate::number::number(ceiling, 3),
                crate::number::number(self.rate, 3)
            ));
        }
        out
    }

    fn station_warnings(&self, p: &PatternParams) -> Vec<String> {
        if p.load >= 1.0 {
            vec![format!(
                "{}: its workers' load {:.2} is at or above capacity; queues grow without bound and results depend on the run length",
                p.pattern, p.load
            )]
        } else if p.peak_load >= 1.0 {
            vec![format!(
                "{}: workers' load {:.2}, but {} is at {:.2}; its queue grows without bound",
                p.pattern, p.load, p.bottleneck, p.peak_load
            )]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(toml: &str) -> Result<Scenario, ScenarioError> {
        Scenario::build(
            ScenarioInput::from_toml(toml, "s.toml")?,
            &crate::catalog::Catalog::embedded().simulation_defaults(),
        )
    }

    #[test]
    fn defaults_come_from_the_catalog() {
        let s = build("").unwrap();
        assert_eq!(s.patterns.len(), 4);
        assert_eq!(s.balancers.len(), 7);
        assert_eq!(s.heartbeat, 5.0);
        assert_eq!(s.gather_timeout, 60.0);
        assert_eq!(s.failure_threshold, 0.2);
        assert_eq!(s.buffer, Buffer::Items(1000));
        assert_eq!(s.checkpoint_frequency, 100);
        assert_eq!(s.failure_detection_timeout, 30.0);
        assert_eq!(s.leader_election_timeout, 15.0);
        let pipeline = s
            .per_pattern
            .iter()
            .find(|p| p.model == Model::Pipeline)
            .unwrap();
        assert_eq!(pipeline.stage_workers, [2, 2, 2, 2]);
        assert!((pipeline.peak_load - 0.8).abs() < 1e-12);
        let scatter = s
            .per_pattern
            .iter()
            .find(|p| p.model == Model::ScatterGather)
            .unwrap();
        assert_eq!(scatter.fan_out, Some(8));
        // One rate for every pattern: load 0.8 of the 8 agents' speed over 1 s of work.
        assert!((s.rate - 0.8 * 8.0).abs() < 1e-12);
        assert!((scatter.load - 0.8).abs() < 1e-12);
        let master = s
            .per_pattern
            .iter()
            .find(|p| p.model == Model::MasterSlave)
            .unwrap();
        assert_eq!((master.workers, master.coordinators), (7, 1));
        // The same 6.4 requests/s on 7 workers; the master dispatches them in 0.01 s each.
        assert!((master.load - 6.4 / 7.0).abs() < 1e-12);
        assert!((master.coordination_load.unwrap() - 0.064).abs() < 1e-12);
    }

    #[test]
    fn the_load_sets_one_rate_over_the_whole_fleet() {
        let s = build("agents = 4\nload = 0.5\nfan_out = 2\nspeeds = [1, 3]").unwrap();
        // Rate = 0.5 x (1 + 3 + 1 + 3) / 1 s, for every pattern.
        assert!((s.rate - 4.0).abs() < 1e-12);
        let of = |m: Model| s.per_pattern.iter().find(|p| p.model == m).unwrap();
        assert_eq!(of(Model::PeerToPeer).speeds, [1.0, 3.0, 1.0, 3.0]);
        // master_slave's master is agent 0 (speed 1): its workers are 3, 1, 3.
        assert_eq!(of(Model::MasterSlave).speeds, [3.0, 1.0, 3.0]);
        assert!((of(Model::MasterSlave).load - 4.0 / 7.0).abs() < 1e-12);
        let full = build(
            "pattern = \"scatter_gather\"\nagents = 4\nrate = 2\nfan_out = 2\nshard_work = \"full\"",
        )
        .unwrap();
        // Every shard does a whole request's work: twice the work per request.
        assert!((full.per_pattern[0].load - 2.0 * 2.0 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn bad_values_name_the_flag() {
        let cases = [
            // Read by the flag's own parser, as on the command line.
            (
                "agents = 0",
                "s.toml:1: agents: agents must be a whole number from 1",
            ),
            ("load = -0.5", "s.toml:1: load: expected a number above 0"),
            (
                "pattern = \"scatter_gather\"\nfan_out = 12",
                "invalid --fan-out: 12 is not between 1 and the 8",
            ),
            (
                "pattern = \"pipeline\"\nstages = 9",
                "invalid --stages: 9 stages need at least 9 workers",
            ),
            ("replications = 0", "replications must be a whole number"),
            ("warmup = 1.5", "invalid --warmup"),
            ("load = 0.5\narrival_rate = 3", "not both"),
            (
                "master_concurrency = 0",
                "dispatches at once must be a whole number",
            ),
            ("stages = 2\nstage_work = [1, 2, 3]", "invalid --stage-work"),
            (
                "pattern = \"master_slave\"\nagents = 3\nspeeds = [1, 2, 3, 4]",
                "invalid --speeds",
            ),
            ("capabilities = \"gpu\"", "needs --kinds"),
            (
                "kinds = \"gpu:1\"\ncapabilities = \"cpu\"",
                "unknown kind 'cpu'",
            ),
        ];
        for (toml, needle) in cases {
            let err = build(toml).unwrap_err().to_string();
            assert!(err.contains(needle), "{toml}: {err}");
        }
        let err = build("pattern = \"scater\"").unwrap_err().to_string();
        assert!(err.contains("did you mean scatter_gather_001"), "{err}");
        let err = build("balancer = \"least\"").unwrap_err().to_string();
        assert!(
            err.contains("--balancer: unknown balancer 'least'"),
            "{err}"
        );
    }

    #[test]
    fn file_errors_give_line_and_key() {
        let err = ScenarioInput::from_toml("agents = 8\nfan_outt = 4\n", "s.toml").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("s.toml:2: fan_outt: unknown key; did you mean fan_out"),
            "{text}"
        );
        let err = ScenarioInput::from_toml("agents = 8\nload = \"high\"\n", "s.toml").unwrap_err();
        assert!(err.to_string().starts_with("s.toml:2: load:"), "{err}");
        let err = ScenarioInput::from_toml("slo = \"2s@100%\"", "s.toml").unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot be shown by a finite simulation"),
            "{err}"
        );
        let err = ScenarioInput::from_toml("service = \"weibull:2\"\n", "s.toml").unwrap_err();
        assert!(
            err.to_string().contains("unknown distribution 'weibull'"),
            "{err}"
        );
    }

    #[test]
    fn an_uneven_pipeline_warns_of_its_busiest_stage() {
        let s = build("pattern = \"pipeline\"\nstages = 3\nload = 0.9").unwrap();
        let p = &s.per_pattern[0];
        assert_eq!(p.stage_workers, [3, 3, 2]);
        assert!((p.peak_load - 0.9 * 8.0 / 3.0 / 2.0).abs() < 1e-12);
        let warnings = s.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("is at 1.20"), "{}", warnings[0]);
    }

    #[test]
    fn scripted_events_inside_the_warm_up_are_warned_of() {
        // 3600 s with the first 10% left out: an outage at 10 s and a spike at 200 s fall
        // inside it, an outage at 400 s does not.
        let s = build(
            "duration = 3600\noutage = [\"0@10+1800\", \"1@400+60\"]\nspike = [\"200+60:2\"]",
        )
        .unwrap();
        let w = s.general_warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("the outage of agent 0 at 10 s and the spike at 200 s start inside the warm-up (about the first 360 s"),
            "{}",
            w[0]
        );
        let s = build("duration = 3600\nwarmup = 0\noutage = [\"0@10+1800\"]").unwrap();
        assert!(s.general_warnings().is_empty());
    }

    #[test]
    fn flags_that_change_nothing_are_named() {
        let s = build(
            "pattern = \"master_slave\"\nfan_out = 4\nstages = 3\njitter = \"full\"\nbreaker_failure_rate = 0.3\nmerge_work = 0.1",
        )
        .unwrap();
        assert_eq!(
            s.warnings(),
            [
                "--fan-out applies to scatter_gather only, which is not simulated here",
                "--stages applies to pipeline only, which is not simulated here",
                "--jitter changes nothing without --retry",
                "--breaker-failure-rate applies to --circuit-breaker failure-rate only",
            ]
        );
        // Every setting applies to some pattern of all four.
        let s =
            build("fan_out = 4\nstages = 3\nconsensus_fraction = 0.2\nqueue = \"shared\"").unwrap();
        assert!(s.unused.is_empty(), "{:?}", s.unused);
    }

    #[test]
    fn flags_override_the_file() {
        let file = ScenarioInput::from_toml("agents = 8\nload = 0.5", "s.toml").unwrap();
        let flags = ScenarioInput {
            load: Some(0.9),
            ..ScenarioInput::default()
        };
        let merged = file.overlaid(flags);
        assert_eq!(merged.agents, Some(8));
        assert_eq!(merged.load, Some(0.9));
    }

    #[test]
    fn stage_workers_follow_the_stage_work() {
        assert_eq!(stage_workers(8, &[1.0, 2.0, 1.0]), [2, 4, 2]);
        assert_eq!(stage_workers(3, &[1.0, 1.0, 1.0]), [1, 1, 1]);
        assert_eq!(stage_workers(4, &[1.0, 1.0, 1.0]), [2, 1, 1]);
        assert_eq!(stage_workers(5, &[1.0, 10.0]), [1, 4]);
        assert_eq!(stage_workers(10, &[1.0, 8.0, 1.0]), [1, 8, 1]);
        assert_eq!(stage_workers(7, &[1.0, 5.0, 1.0]), [1, 5, 1]);
        assert_eq!("1e9".parse::<Seconds>(), Ok(Seconds(1e9)));
    }
}
