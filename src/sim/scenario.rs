//! What to simulate: the user's input (flags and a TOML scenario file, every field optional)
//! and the validated scenario with every effective parameter, defaults from the catalog.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use super::balancer::BalancerKind;
use super::distribution::{Arrivals, Service};
use super::faults::{Outage, Spike};
use super::resilience::{BreakerConfig, BreakerKind, Jitter, RetryKind, RetryPolicy};
use crate::catalog::{self, Catalog, Duration, Param, Pattern};

/// The default number of agents, tasks per replication, replications and seed.
pub const DEFAULT_AGENTS: u32 = 8;
pub const DEFAULT_TASKS: u64 = 100_000;
pub const DEFAULT_REPLICATIONS: u32 = 5;
pub const DEFAULT_SEED: u64 = 42;
/// Offered load when neither a load nor an arrival rate is given.
pub const DEFAULT_LOAD: f64 = 0.8;
pub const DEFAULT_WARMUP: f64 = 0.1;
/// Seconds the master spends dispatching each task: small beside a 1 s task, yet it grows
/// into the bottleneck as the arrival rate grows.
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
}

/// A pattern or balancer name that does not resolve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct CatalogLookup(pub String);

fn invalid(flag: &str, message: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        flag: flag.to_string(),
        message: message.into(),
    }
}

/// One value or a list, as `pattern = "pipeline"` or `pattern = ["pipeline", "scatter_gather"]`;
/// a string may hold a comma list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Names(pub Vec<String>);

impl FromStr for Names {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<String> = s
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            Err("expected one or more names separated by commas".into())
        } else {
            Ok(Names(names))
        }
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a name, a comma list or a list of names"))?
        {
            Raw::One(s) => s.parse().map_err(de::Error::custom),
            Raw::Many(v) => Ok(Names(v)),
        }
    }
}

/// Numbers as `1,1,2,4` on the command line or `[1, 1, 2, 4]` in a file.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Numbers(pub Vec<f64>);

impl FromStr for Numbers {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',')
            .map(|x| {
                x.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| {
                        format!(
                            "expected positive numbers separated by commas, got '{}'",
                            x.trim()
                        )
                    })
            })
            .collect::<Result<Vec<f64>, String>>()
            .map(Numbers)
    }
}

impl<'de> Deserialize<'de> for Numbers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            List(Vec<f64>),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a list of positive numbers"))?
        {
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
            Raw::List(v) => {
                if v.iter().all(|x| x.is_finite() && *x > 0.0) {
                    Ok(Numbers(v))
                } else {
                    Err(de::Error::custom("expected positive numbers"))
                }
            }
        }
    }
}

/// A length of time: seconds as a number, or with a unit (`5s`, `250ms`, `1m`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl FromStr for Seconds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(x) = s.trim().parse::<f64>()
            && x >= 0.0
            && x.is_finite()
        {
            return Ok(Seconds(x));
        }
        s.parse::<Duration>()
            .map(|d| Seconds(d.seconds))
            .map_err(|_| format!("expected seconds such as 5, 0.25, 5s or 250ms, got '{s}'"))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected seconds, as a number or text such as 5s"))?
        {
            Raw::Number(x) if x >= 0.0 && x.is_finite() => Ok(Seconds(x)),
            Raw::Number(x) => Err(de::Error::custom(format!(
                "expected a non-negative number of seconds, got {x}"
            ))),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

/// Where a master keeps dispatched tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum QueueMode {
    /// Each task goes at once to a worker's own queue.
    PerAgent,
    /// Tasks wait at the master until a worker is idle (late binding).
    Shared,
}

impl FromStr for QueueMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match catalog::normalize(s).as_str() {
            "per_agent" => Ok(QueueMode::PerAgent),
            "shared" => Ok(QueueMode::Shared),
            _ => Err("expected shared or per-agent".into()),
        }
    }
}

super::resilience::parsed_from_text!(QueueMode);

/// Most timeline buckets a run may ask for (the run's expected length over the bucket width).
pub const MAX_TIMELINE_BUCKETS: usize = 10_000;

/// A pipeline buffer size, or no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffer {
    Items(u32),
    Unbounded,
}

impl FromStr for Buffer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unbounded" | "inf" | "infinite" => Ok(Buffer::Unbounded),
            other => other
                .parse::<u32>()
                .map(Buffer::Items)
                .map_err(|_| format!("expected a whole number of items or 'unbounded', got '{s}'")),
        }
    }
}

impl Serialize for Buffer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Buffer::Items(n) => s.serialize_u32(*n),
            Buffer::Unbounded => s.serialize_str("unbounded"),
        }
    }
}

impl<'de> Deserialize<'de> for Buffer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a whole number of items or \"unbounded\""))?
        {
            Raw::Number(n) => Ok(Buffer::Items(n)),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

/// Task kinds with their weights: `gpu:1,cpu:3`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kinds(pub Vec<(String, f64)>);

impl FromStr for Kinds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut kinds = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once(':').unwrap_or((part, "1"));
            let weight: f64 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w > 0.0)
                .ok_or_else(|| format!("weight of '{name}' must be a positive number"))?;
            let name = name.trim().to_string();
            if name.is_empty() || kinds.iter().any(|(n, _)| *n == name) {
                return Err(format!(
                    "kind names must be distinct and non-empty, got '{part}'"
                ));
            }
            kinds.push((name, weight));
        }
        if kinds.is_empty() {
            return Err("expected NAME:WEIGHT pairs such as gpu:1,cpu:3".into());
        }
        if kinds.len() > MAX_KINDS {
            return Err(format!("at most {MAX_KINDS} kinds"));
        }
        Ok(Kinds(kinds))
    }
}

impl fmt::Display for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(n, w)| format!("{n}:{w}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// Per-agent capability sets: `gpu+cpu,cpu,*` (`*` is every kind); the list is cycled over the workers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capabilities(pub Vec<Vec<String>>);

impl FromStr for Capabilities {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let sets: Vec<Vec<String>> = s
            .split(',')
            .map(|agent| {
                agent
                    .split('+')
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .collect();
        if sets.iter().any(Vec::is_empty) {
            return Err(
                "each agent needs at least one kind: gpu+cpu,cpu,* (* is every kind)".into(),
            );
        }
        Ok(Capabilities(sets))
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|set| set.join("+")).collect();
        f.write_str(&parts.join(","))
    }
}

macro_rules! text_serde {
    ($($ty:ty),+) => {$(
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(de::Error::custom)
            }
        }
    )+};
}
text_serde!(Kinds, Capabilities);

/// Everything a user may set, from flags or a scenario file; unset fields take defaults.
/// Keys are the flag names with underscores.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    pub pattern: Option<Names>,
    pub balancer: Option<Names>,
    pub agents: Option<u32>,
    pub load: Option<f64>,
    pub arrival_rate: Option<f64>,
    pub arrivals: Option<Arrivals>,
    pub service: Option<Service>,
    pub speeds: Option<Numbers>,
    pub kinds: Option<Kinds>,
    pub capabilities: Option<Capabilities>,
    pub mismatch_penalty: Option<f64>,
    pub tasks: Option<u64>,
    pub duration: Option<Seconds>,
    pub warmup: Option<f64>,
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    pub dispatch_overhead: Option<Seconds>,
    pub queue: Option<QueueMode>,
    pub heartbeat: Option<Seconds>,
    pub consensus_fraction: Option<f64>,
    pub hop_latency: Option<Seconds>,
    pub stages: Option<u32>,
    pub stage_work: Option<Numbers>,
    pub buffer: Option<Buffer>,
    pub fan_out: Option<u32>,
    pub split: Option<bool>,
    pub gather_timeout: Option<Seconds>,
    pub mtbf: Option<Seconds>,
    pub mttr: Option<Seconds>,
    pub outage: Option<Vec<Outage>>,
    pub missed_heartbeats: Option<u32>,
    pub timeout: Option<Timeout>,
    pub retry: Option<RetryKind>,
    pub jitter: Option<Jitter>,
    pub retry_budget: Option<f64>,
    pub circuit_breaker: Option<BreakerKind>,
    pub breaker_failure_rate: Option<f64>,
    pub max_ejection: Option<f64>,
    pub drop_expired: Option<bool>,
    pub queue_limit: Option<u32>,
    pub hedge_after_quantile: Option<f64>,
    pub spike: Option<Vec<Spike>>,
    pub timeline: Option<Seconds>,
}

/// A request timeout in seconds, or `none`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timeout {
    Seconds(f64),
    None,
}

impl FromStr for Timeout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if catalog::normalize(s) == "none" {
            return Ok(Timeout::None);
        }
        match s.parse::<Seconds>() {
            Ok(Seconds(x)) if x > 0.0 => Ok(Timeout::Seconds(x)),
            _ => Err(format!(
                "expected seconds above 0 such as 30 or 500ms, or none, got '{s}'"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| de::Error::custom("expected seconds or \"none\""))? {
            Raw::Number(x) if x > 0.0 && x.is_finite() => Ok(Timeout::Seconds(x)),
            Raw::Number(x) => Err(de::Error::custom(format!(
                "expected seconds above 0, got {x}"
            ))),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

macro_rules! overlay {
    ($base:ident, $over:ident; $($field:ident),+ $(,)?) => {
        ScenarioInput { $($field: $over.$field.or($base.$field)),+ }
    };
}

impl ScenarioInput {
    /// This input with every field that `over` sets replaced: flags over a file.
    pub fn overlaid(self, over: ScenarioInput) -> ScenarioInput {
        let base = self;
        overlay!(base, over; pattern, balancer, agents, load, arrival_rate, arrivals, service,
            speeds, kinds, capabilities, mismatch_penalty, tasks, duration, warmup,
            replications, seed, dispatch_overhead, queue, heartbeat, consensus_fraction,
            hop_latency, stages, stage_work, buffer, fan_out, split, gather_timeout, mtbf, mttr,
            outage, missed_heartbeats, timeout, retry, jitter, retry_budget, circuit_breaker,
            breaker_failure_rate, max_ejection, drop_expired, queue_limit, hedge_after_quantile,
            spike, timeline)
    }

    /// Reads a TOML scenario file; errors name the file, the line and the key.
    pub fn from_file(path: &Path) -> Result<ScenarioInput, ScenarioError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Read {
            path: name.clone(),
            message: e.to_string(),
        })?;
        ScenarioInput::from_toml(&text, &name)
    }

    pub fn from_toml(text: &str, name: &str) -> Result<ScenarioInput, ScenarioError> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let line = text[..offset.min(text.len())].matches('\n').count() + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            let key = line_text
                .split('=')
                .next()
                .map(|k| k.trim().trim_matches('"').to_string())
                .filter(|k| !k.is_empty() && !k.starts_with('['))
                .unwrap_or_else(|| "?".to_string());
            ScenarioError::File {
                path: name.to_string(),
                line,
                key,
                message: e.message().trim().replace('\n', " "),
            }
        })
    }
}

/// The four coordination patterns the simulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    MasterSlave,
    PeerToPeer,
    Pipeline,
    ScatterGather,
}

impl Model {
    pub fn of(pattern: &Pattern) -> Option<Model> {
        match pattern.short_name() {
            "master_slave" => Some(Model::MasterSlave),
            "peer_to_peer" => Some(Model::PeerToPeer),
            "pipeline" => Some(Model::Pipeline),
            "scatter_gather" => Some(Model::ScatterGather),
            _ => None,
        }
    }
}

/// A pattern chosen for simulation, with the catalog parameters the model reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternParams {
    pub pattern: String,
    pub model: Model,
    /// Agents that serve tasks: all of them, except the master in master-slave.
    pub workers: u32,
    pub speeds: Vec<f64>,
    /// Offered load and the arrival rate that gives it, for this pattern.
    #[serde(serialize_with = "rounded")]
    pub load: f64,
    #[serde(serialize_with = "rounded")]
    pub arrival_rate: f64,
    /// Mean work of one task, all its subtasks or stages together.
    #[serde(serialize_with = "rounded")]
    pub task_work: f64,
    /// Utilization of the busiest station (a pipeline stage, the master, a worker): above
    /// `load` when the work is spread unevenly, and at 1 or more the run cannot keep up.
    #[serde(serialize_with = "rounded")]
    pub peak_load: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stage_workers: Vec<u32>,
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
    s.serialize_f64(super::metrics::round_sig(*x))
}

/// Every effective parameter of a simulation, as the JSON document's `scenario`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub patterns: Vec<String>,
    pub balancers: Vec<BalancerKind>,
    pub agents: u32,
    /// The requested load, if a load was given (else the arrival rate was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_rate: Option<f64>,
    pub arrivals: Arrivals,
    pub service: Service,
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
    pub queue: QueueMode,
    pub failure_detection_timeout: f64,
    pub heartbeat: f64,
    pub consensus_fraction: f64,
    pub hop_latency: f64,
    pub leader_election_timeout: f64,
    pub stages: u32,
    pub stage_work: Vec<f64>,
    pub buffer: Buffer,
    pub checkpoint_frequency: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<u32>,
    pub split: bool,
    pub gather_timeout: f64,
    /// Share of a scatter-gather task's subtasks that may fail before the task fails.
    pub failure_threshold: f64,
    #[serde(flatten)]
    pub resilience: Resilience,
    /// Per pattern: workers, speeds, load and arrival rate as simulated.
    pub per_pattern: Vec<PatternParams>,
}

fn param_seconds(pattern: Option<&Pattern>, key: &str) -> Option<f64> {
    pattern?
        .configuration_parameters
        .get(key)
        .and_then(Param::as_duration)
        .map(|d| d.seconds)
}

fn param_count(pattern: Option<&Pattern>, key: &str) -> Option<u64> {
    pattern?
        .configuration_parameters
        .get(key)
        .and_then(Param::as_count)
        .map(|c| c.count)
}

fn find_pattern<'a>(catalog: &'a Catalog, short: &str) -> Option<&'a Pattern> {
    catalog.patterns.iter().find(|p| p.short_name() == short)
}

/// Resolves `--pattern` names (or `all`) to simulated patterns.
fn resolve_patterns(
    catalog: &Catalog,
    names: &[String],
) -> Result<Vec<(String, Model)>, ScenarioError> {
    let mut out: Vec<(String, Model)> = Vec::new();
    for name in names {
        if catalog::normalize(name) == "all" {
            for p in &catalog.patterns {
                if let Some(model) = Model::of(p)
                    && !out.iter().any(|(id, _)| *id == p.pattern_id)
                {
                    out.push((p.pattern_id.clone(), model));
                }
            }
            continue;
        }
        let pattern = catalog
            .pattern(name)
            .map_err(|e| CatalogLookup(format!("--pattern: {e}")))?;
        let model = Model::of(pattern).ok_or_else(|| {
            CatalogLookup(format!(
                "--pattern: {} has no simulation model; simulated patterns are master_slave, peer_to_peer, pipeline and scatter_gather",
                pattern.pattern_id
            ))
        })?;
        if !out.iter().any(|(id, _)| *id == pattern.pattern_id) {
            out.push((pattern.pattern_id.clone(), model));
        }
    }
    Ok(out)
}

/// The pattern ids that `--pattern` names (or `all`) stand for, in the order simulated.
pub fn pattern_ids(catalog: &Catalog, names: &[String]) -> Result<Vec<String>, ScenarioError> {
    Ok(resolve_patterns(catalog, names)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// The balancers that `--balancer` names (or `all`) stand for, in the order simulated.
pub fn resolve_balancers(names: &[String]) -> Result<Vec<BalancerKind>, ScenarioError> {
    let mut out = Vec::new();
    for name in names {
        if catalog::normalize(name) == "all" {
            for b in BalancerKind::ALL {
                if !out.contains(&b) {
                    out.push(b);
                }
            }
            continue;
        }
        let b: BalancerKind = name
            .parse()
            .map_err(|e: String| CatalogLookup(format!("--balancer: {e}")))?;
        if !out.contains(&b) {
            out.push(b);
        }
    }
    Ok(out)
}

/// Repeats a per-agent list to `n` entries; longer than `n` is an error.
fn cycled<T: Clone>(list: &[T], n: usize, flag: &str) -> Result<Vec<T>, ScenarioError> {
    if list.len() > n {
        return Err(invalid(
            flag,
            format!(
                "{} values for {n} worker agents; give at most one per worker (a shorter list repeats)",
                list.len()
            ),
        ));
    }
    Ok((0..n).map(|i| list[i % list.len()].clone()).collect())
}

/// Splits `workers` over stages in proportion to their work (largest remainder), then gives
/// each stage left without a worker one from the stage with the most workers per unit of work.
pub fn stage_workers(workers: u32, weights: &[f64]) -> Vec<u32> {
    let k = weights.len();
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| w / total * f64::from(workers))
        .collect();
    let mut counts: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut left = workers - counts.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a].fract(), exact[b].fract());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    while let Some(empty) = counts.iter().position(|&c| c == 0) {
        let donor = (0..k)
            .filter(|&i| counts[i] > 1)
            .max_by(|&a, &b| {
                (f64::from(counts[a]) / weights[a])
                    .total_cmp(&(f64::from(counts[b]) / weights[b]))
                    .then(b.cmp(&a))
            })
            .expect("at least as many workers as stages");
        counts[donor] -= 1;
        counts[empty] += 1;
    }
    counts
}

impl Scenario {
    /// Validates the input and fills every unset parameter from the defaults and the catalog.
    pub fn build(input: ScenarioInput, catalog: &Catalog) -> Result<Scenario, ScenarioError> {
        let resilience = Self::resilience(
            &input,
            catalog,
            input.agents.unwrap_or(DEFAULT_AGENTS).max(1),
        )?;
        let pattern_names = input
            .pattern
            .map(|n| n.0)
            .unwrap_or_else(|| vec!["all".into()]);
        let patterns = resolve_patterns(catalog, &pattern_names)?;
        let balancers = resolve_balancers(
            &input
                .balancer
                .map(|n| n.0)
                .unwrap_or_else(|| vec!["all".into()]),
        )?;

        let agents = input.agents.unwrap_or(DEFAULT_AGENTS);
        if agents == 0 {
            return Err(invalid("--agents", "expected at least 1 agent"));
        }
        let positive = |flag: &str, v: Option<f64>| -> Result<Option<f64>, ScenarioError> {
            match v {
                Some(x) if !(x.is_finite() && x > 0.0) => Err(invalid(
                    flag,
                    format!("expected a positive number, got {x}"),
                )),
                other => Ok(other),
            }
        };
        let load = positive("--load", input.load)?;
        let arrival_rate = positive("--arrival-rate", input.arrival_rate)?;
        let arrivals = input.arrivals.unwrap_or(Arrivals::Poisson);
        // The default load applies, and is recorded, unless a rate is given or a bursty
        // process brings its own.
        let load = match (load, arrival_rate, arrivals.bursty_mean_rate()) {
            (None, None, None) => Some(DEFAULT_LOAD),
            _ => load,
        };
        if load.is_some() && arrival_rate.is_some() {
            return Err(invalid("--load", "give --load or --arrival-rate, not both"));
        }
        let service = input.service.unwrap_or(Service::Exponential { mean: 1.0 });
        let speeds = input.speeds.map(|s| s.0).unwrap_or_else(|| vec![1.0]);
        let mismatch_penalty = input.mismatch_penalty.unwrap_or(DEFAULT_MISMATCH_PENALTY);
        if !(mismatch_penalty.is_finite() && mismatch_penalty >= 1.0) {
            return Err(invalid(
                "--mismatch-penalty",
                format!("expected a factor of at least 1, got {mismatch_penalty}"),
            ));
        }
        if input.capabilities.is_some() && input.kinds.is_none() {
            return Err(invalid(
                "--capabilities",
                "needs --kinds to say which task kinds exist",
            ));
        }
        if let (Some(kinds), Some(caps)) = (&input.kinds, &input.capabilities) {
            for set in &caps.0 {
                for k in set {
                    if k != "*" && !kinds.0.iter().any(|(n, _)| n == k) {
                        return Err(invalid(
                            "--capabilities",
                            format!(
                                "unknown kind '{k}'; kinds are {} (or * for all)",
                                kinds
                                    .0
                                    .iter()
                                    .map(|(n, _)| n.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if input.tasks.is_some() && input.duration.is_some() {
            return Err(invalid("--tasks", "give --tasks or --duration, not both"));
        }
        let tasks = match (input.tasks, input.duration) {
            (Some(0), _) => return Err(invalid("--tasks", "expected at least 1 task")),
            (Some(n), _) => Some(n),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TASKS),
        };
        let duration = match input.duration {
            Some(Seconds(d)) if d <= 0.0 => {
                return Err(invalid(
                    "--duration",
                    "expected a positive number of seconds",
                ));
            }
            other => other.map(|s| s.0),
        };
        let warmup = input.warmup.unwrap_or(DEFAULT_WARMUP);
        if !(0.0..1.0).contains(&warmup) {
            return Err(invalid(
                "--warmup",
                format!("expected a fraction from 0 up to (not including) 1, got {warmup}"),
            ));
        }
        let replications = input.replications.unwrap_or(DEFAULT_REPLICATIONS);
        if replications == 0 {
            return Err(invalid("--replications", "expected at least 1 replication"));
        }

        let master = find_pattern(catalog, "master_slave");
        let peer = find_pattern(catalog, "peer_to_peer");
        let pipe = find_pattern(catalog, "pipeline");
        let scatter = find_pattern(catalog, "scatter_gather");
        let heartbeat_catalog = catalog
            .monitoring_patterns
            .health_check_patterns
            .heartbeat_monitoring
            .frequency
            .seconds;

        let dispatch_overhead = input
            .dispatch_overhead
            .map_or(DEFAULT_DISPATCH_OVERHEAD, |s| s.0);
        let heartbeat = input
            .heartbeat
            .map(|s| s.0)
            .or(param_seconds(peer, "heartbeat_interval"))
            .unwrap_or(heartbeat_catalog);
        let consensus_fraction = input
            .consensus_fraction
            .unwrap_or(DEFAULT_CONSENSUS_FRACTION);
        if !(0.0..=1.0).contains(&consensus_fraction) {
            return Err(invalid(
                "--consensus-fraction",
                format!("expected a fraction from 0 to 1, got {consensus_fraction}"),
            ));
        }
        let hop_latency = input.hop_latency.map_or(DEFAULT_HOP_LATENCY, |s| s.0);
        let stages = input.stages.unwrap_or_else(|| match &input.stage_work {
            Some(w) => w.0.len() as u32,
            None => DEFAULT_STAGES.min(agents),
        });
        if stages == 0 {
            return Err(invalid("--stages", "expected at least 1 stage"));
        }
        let stage_work = match input.stage_work {
            Some(w) if w.0.len() != stages as usize => {
                return Err(invalid(
                    "--stage-work",
                    format!(
                        "{} weights for {stages} stages; give one per stage",
                        w.0.len()
                    ),
                ));
            }
            Some(w) => w.0,
            None => vec![1.0; stages as usize],
        };
        let buffer = input.buffer.unwrap_or_else(|| {
            Buffer::Items(param_count(pipe, "stage_buffer_size").unwrap_or(1000) as u32)
        });
        let gather_timeout = input
            .gather_timeout
            .map(|s| s.0)
            .or(param_seconds(scatter, "gather_timeout"))
            .unwrap_or(60.0);
        if gather_timeout <= 0.0 {
            return Err(invalid(
                "--gather-timeout",
                "expected a positive number of seconds",
            ));
        }
        let failure_threshold = scatter
            .and_then(|p| p.configuration_parameters.get("failure_threshold"))
            .and_then(Param::as_percent)
            .map_or(0.2, |p| p.percent / 100.0);
        let split = input.split.unwrap_or(false);

        let mut per_pattern = Vec::new();
        for (pattern, model) in &patterns {
            let workers = if *model == Model::MasterSlave {
                if agents < 2 {
                    return Err(invalid(
                        "--agents",
                        "master_slave needs at least 2 agents: a master and a worker",
                    ));
                }
                agents - 1
            } else {
                agents
            };
            let pattern_speeds = cycled(&speeds, workers as usize, "--speeds")?;
            let mut fan_out = None;
            let mut stage_split = Vec::new();
            let task_work = match model {
                Model::ScatterGather => {
                    let k = input.fan_out.unwrap_or(workers.min(DEFAULT_MAX_FAN_OUT));
                    if k == 0 || k > workers {
                        return Err(invalid(
                            "--fan-out",
                            format!("{k} is not between 1 and the {workers} agents available"),
                        ));
                    }
                    fan_out = Some(k);
                    if split {
                        service.mean()
                    } else {
                        service.mean() * f64::from(k)
                    }
                }
                Model::Pipeline => {
                    if stages > workers {
                        return Err(invalid(
                            "--stages",
                            format!(
                                "{stages} stages need at least {stages} workers, but there are {workers}"
                            ),
                        ));
                    }
                    stage_split = stage_workers(workers, &stage_work);
                    service.mean()
                }
                _ => service.mean(),
            };
            let capacity: f64 = pattern_speeds.iter().sum();
            let rate = match (load, arrival_rate, arrivals.bursty_mean_rate()) {
                (Some(rho), _, _) => rho * capacity / task_work,
                (None, Some(rate), _) => rate,
                (None, None, Some(rate)) => rate,
                (None, None, None) => unreachable!("the default load is set above"),
            };
            let pattern_load = rate * task_work / capacity;
            let job_mean = match model {
                Model::ScatterGather if split => service.mean() / f64::from(fan_out.unwrap_or(1)),
                _ => service.mean(),
            };
            let slowest = pattern_speeds.iter().copied().fold(f64::INFINITY, f64::min);
            let peak_load = match model {
                Model::Pipeline => {
                    let total: f64 = stage_work.iter().sum();
                    let mut first = 0;
                    stage_split
                        .iter()
                        .zip(&stage_work)
                        .map(|(&n, w)| {
                            let speed: f64 = pattern_speeds[first..first + n as usize].iter().sum();
                            first += n as usize;
                            rate * service.mean() * w / total / speed
                        })
                        .fold(pattern_load, f64::max)
                }
                Model::MasterSlave => pattern_load.max(rate * dispatch_overhead),
                // A fan-out over every agent gives each one a subtask of every task, so the
                // slowest agent sets the pace whatever the balancer.
                Model::ScatterGather if fan_out == Some(workers) => {
                    pattern_load.max(rate * job_mean / slowest)
                }
                _ => pattern_load,
            };
            per_pattern.push(PatternParams {
                pattern: pattern.clone(),
                model: *model,
                workers,
                speeds: pattern_speeds,
                load: pattern_load,
                arrival_rate: rate,
                task_work,
                peak_load,
                fan_out,
                stage_workers: stage_split,
            });
        }
        if let Some(caps) = &input.capabilities {
            let min_workers = per_pattern
                .iter()
                .map(|p| p.workers)
                .min()
                .unwrap_or(agents);
            if caps.0.len() > min_workers as usize {
                return Err(invalid(
                    "--capabilities",
                    format!(
                        "{} agent sets for {min_workers} worker agents; give at most one per worker (a shorter list repeats)",
                        caps.0.len()
                    ),
                ));
            }
        }

        let scenario = Scenario {
            patterns: patterns.into_iter().map(|(id, _)| id).collect(),
            balancers,
            agents,
            load,
            arrival_rate,
            arrivals,
            service,
            speeds,
            kinds: input.kinds,
            capabilities: input.capabilities,
            mismatch_penalty,
            tasks,
            duration,
            warmup,
            replications,
            seed: input.seed.unwrap_or(DEFAULT_SEED),
            dispatch_overhead,
            queue: input.queue.unwrap_or(QueueMode::PerAgent),
            failure_detection_timeout: param_seconds(master, "failure_detection_timeout")
                .unwrap_or(30.0),
            heartbeat,
            consensus_fraction,
            hop_latency,
            leader_election_timeout: param_seconds(peer, "leader_election_timeout").unwrap_or(15.0),
            stages,
            stage_work,
            buffer,
            checkpoint_frequency: param_count(pipe, "checkpoint_frequency").unwrap_or(100),
            fan_out: input.fan_out,
            split,
            gather_timeout,
            failure_threshold,
            resilience,
            per_pattern,
        };
        scenario.check_timeline()?;
        Ok(scenario)
    }

    /// A timeline of more buckets than anyone reads would only cost memory: refuse it.
    fn check_timeline(&self) -> Result<(), ScenarioError> {
        let Some(width) = self.resilience.timeline else {
            return Ok(());
        };
        let slowest = self
            .per_pattern
            .iter()
            .map(|p| p.arrival_rate)
            .fold(f64::INFINITY, f64::min);
        let horizon = match (self.duration, self.tasks) {
            (Some(d), _) => d,
            (None, Some(n)) if slowest > 0.0 => n as f64 / slowest,
            _ => return Ok(()),
        };
        if horizon / width > MAX_TIMELINE_BUCKETS as f64 {
            return Err(invalid(
                "--timeline",
                format!(
                    "buckets of {width} s over a run of about {} s would be more than {MAX_TIMELINE_BUCKETS}; use buckets of at least {} s",
                    crate::report::number(horizon, 0),
                    crate::report::number(horizon / MAX_TIMELINE_BUCKETS as f64, 3)
                ),
            ));
        }
        Ok(())
    }

    /// Failures and resilience settings: the catalog's parameters for each mechanism asked for.
    fn resilience(
        input: &ScenarioInput,
        catalog: &Catalog,
        agents: u32,
    ) -> Result<Resilience, ScenarioError> {
        let (mtbf, mttr) = match (input.mtbf, input.mttr) {
            (Some(Seconds(b)), Some(Seconds(r))) => {
                if b <= 0.0 {
                    return Err(invalid("--mtbf", "expected seconds above 0"));
                }
                if r <= 0.0 {
                    return Err(invalid("--mttr", "expected seconds above 0"));
                }
                (Some(b), Some(r))
            }
            (Some(_), None) => {
                return Err(invalid("--mtbf", "needs --mttr, the mean time to repair"));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "--mttr",
                    "needs --mtbf, the mean time between failures",
                ));
            }
            (None, None) => (None, None),
        };
        let outages = input.outage.clone().unwrap_or_default();
        if let Some(o) = outages.iter().find(|o| o.agent >= agents) {
            return Err(invalid(
                "--outage",
                format!(
                    "agent {} does not exist: agents are numbered 0 to {} (0 is the master or leader)",
                    o.agent,
                    agents - 1
                ),
            ));
        }
        let heartbeat = &catalog
            .monitoring_patterns
            .health_check_patterns
            .heartbeat_monitoring;
        let missed_heartbeats = input
            .missed_heartbeats
            .unwrap_or(heartbeat.failure_threshold.count as u32);
        if missed_heartbeats == 0 {
            return Err(invalid("--missed-heartbeats", "expected at least 1"));
        }
        let retry = RetryPolicy::from_catalog(
            catalog,
            input.retry.unwrap_or(RetryKind::None),
            input.jitter,
        );
        if let Some(b) = input.retry_budget
            && !(b > 0.0 && b <= 1.0)
        {
            return Err(invalid(
                "--retry-budget",
                format!("expected a fraction above 0 and at most 1, got {b}"),
            ));
        }
        let b = &catalog.error_handling_patterns.circuit_breaker_patterns;
        let failure_rate = input.breaker_failure_rate.unwrap_or(0.5);
        if !(failure_rate > 0.0 && failure_rate <= 1.0) {
            return Err(invalid(
                "--breaker-failure-rate",
                format!("expected a fraction above 0 and at most 1, got {failure_rate}"),
            ));
        }
        let circuit_breaker = BreakerConfig {
            kind: input.circuit_breaker.unwrap_or(BreakerKind::None),
            failure_threshold: b.failure_threshold.count as u32,
            recovery_timeout: b.recovery_timeout.seconds,
            half_open_requests: b.half_open_test_requests,
            success_threshold: b.success_threshold.count as u32,
            window: b.monitoring_window.seconds,
            failure_rate,
            min_calls: 10,
            max_ejection: input.max_ejection.unwrap_or(1.0),
        };
        if !(circuit_breaker.max_ejection > 0.0 && circuit_breaker.max_ejection <= 1.0) {
            return Err(invalid(
                "--max-ejection",
                format!(
                    "expected a fraction above 0 and at most 1, got {}",
                    circuit_breaker.max_ejection
                ),
            ));
        }
        if let Some(q) = input.hedge_after_quantile
            && !(q > 0.0 && q < 1.0)
        {
            return Err(invalid(
                "--hedge-after-quantile",
                format!("expected a quantile between 0 and 1 such as 0.95, got {q}"),
            ));
        }
        if input.queue_limit == Some(0) {
            return Err(invalid(
                "--queue-limit",
                "expected at least 1 queued job per agent",
            ));
        }
        let timeline = match input.timeline {
            Some(Seconds(b)) if b <= 0.0 => {
                return Err(invalid(
                    "--timeline",
                    "expected a bucket of more than 0 seconds",
                ));
            }
            other => other.map(|s| s.0),
        };
        let mut spikes = input.spike.clone().unwrap_or_default();
        spikes.sort_by(|a, b| a.start.total_cmp(&b.start));
        if let Some(w) = spikes
            .windows(2)
            .find(|w| w[1].start < w[0].start + w[0].duration)
        {
            return Err(invalid(
                "--spike",
                format!(
                    "the spikes at {} s and {} s overlap; give windows that do not (one spike with the combined factor for the overlap)",
                    w[0].start, w[1].start
                ),
            ));
        }
        let faults = mtbf.is_some() || !outages.is_empty();
        // A client facing failures or asked to retry needs a timeout: without one, a request
        // lost in a short outage would wait forever. Plain runs stay pure queueing models.
        let wants_timeout =
            faults || retry.kind != RetryKind::None || circuit_breaker.kind != BreakerKind::None;
        let catalog_timeout = catalog
            .communication_patterns
            .synchronous_patterns
            .request_response
            .timeout
            .seconds;
        let timeout = match input.timeout {
            Some(Timeout::Seconds(t)) => Some(t),
            Some(Timeout::None) => None,
            None => wants_timeout.then_some(catalog_timeout),
        };
        Ok(Resilience {
            mtbf,
            mttr,
            outages,
            missed_heartbeats,
            timeout,
            retry,
            retry_budget: input.retry_budget,
            circuit_breaker,
            queue_limit: input.queue_limit,
            drop_expired: input.drop_expired.unwrap_or(false),
            hedge_after_quantile: input.hedge_after_quantile,
            spikes,
            timeline,
        })
    }

    /// Warnings worth a line on stderr: stations loaded at or above capacity, whose queues
    /// grow without bound, and work so heavy-tailed that its sample mean is unreliable.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let r = &self.resilience;
        if r.hedge_after_quantile.is_some()
            && !self
                .per_pattern
                .iter()
                .any(|p| p.model == Model::ScatterGather)
        {
            out.push("--hedge-after-quantile applies to scatter_gather only, which is not simulated here".into());
        }
        if r.drop_expired && r.timeout.is_none() {
            out.push(
                "--drop-expired changes nothing without a timeout: no request is ever given up on"
                    .into(),
            );
        }
        if let Service::Pareto { alpha, .. } = self.service
            && alpha <= 2.0
        {
            out.push(format!(
                "pareto work with ALPHA {alpha} has infinite variance: its sample mean converges slowly, so the load actually simulated may differ a lot from the offered load"
            ));
        }
        for p in &self.per_pattern {
            if p.load >= 1.0 {
                out.push(format!(
                    "{}: offered load {:.2} is at or above capacity; queues grow without bound and results depend on the run length",
                    p.pattern, p.load
                ));
            } else if p.peak_load >= 1.0 {
                let station = match p.model {
                    Model::MasterSlave => format!(
                        "the master (it dispatches at most {:.1} tasks/s with --dispatch-overhead {} s)",
                        1.0 / self.dispatch_overhead,
                        self.dispatch_overhead
                    ),
                    Model::ScatterGather => format!(
                        "the slowest agent (every task has a subtask on each of the {} agents)",
                        p.workers
                    ),
                    _ => format!(
                        "a stage (workers per stage {:?} for stage work {:?})",
                        p.stage_workers, self.stage_work
                    ),
                };
                out.push(format!(
                    "{}: load {:.2} overall, but {station} is at {:.2}; its queue grows without bound",
                    p.pattern, p.load, p.peak_load
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(toml: &str) -> Result<Scenario, ScenarioError> {
        Scenario::build(
            ScenarioInput::from_toml(toml, "s.toml").unwrap(),
            &Catalog::embedded(),
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
        assert!((scatter.arrival_rate - 0.8 * 8.0 / 8.0).abs() < 1e-12);
        let master = s
            .per_pattern
            .iter()
            .find(|p| p.model == Model::MasterSlave)
            .unwrap();
        assert_eq!(master.workers, 7);
        assert!((master.arrival_rate - 0.8 * 7.0).abs() < 1e-12);
    }

    #[test]
    fn load_is_offered_work_over_worker_capacity() {
        let s = build(
            "pattern = \"scatter_gather\"\nagents = 4\nload = 0.5\nfan_out = 2\nspeeds = [1, 3]",
        )
        .unwrap();
        let p = &s.per_pattern[0];
        assert_eq!(p.speeds, [1.0, 3.0, 1.0, 3.0]);
        assert!((p.arrival_rate - 0.5 * 8.0 / 2.0).abs() < 1e-12);
        let s = build(
            "pattern = \"scatter_gather\"\nagents = 4\nload = 0.5\nfan_out = 2\nsplit = true",
        )
        .unwrap();
        assert!((s.per_pattern[0].arrival_rate - 0.5 * 4.0).abs() < 1e-12);
    }

    #[test]
    fn bad_values_name_the_flag() {
        let cases = [
            ("agents = 0", "invalid --agents"),
            ("load = -0.5", "invalid --load: expected a positive number"),
            (
                "pattern = \"scatter_gather\"\nfan_out = 12",
                "invalid --fan-out: 12 is not between 1 and the 8",
            ),
            (
                "pattern = \"pipeline\"\nstages = 9",
                "invalid --stages: 9 stages need at least 9 workers",
            ),
            ("replications = 0", "invalid --replications"),
            ("warmup = 1.5", "invalid --warmup"),
            ("load = 0.5\narrival_rate = 3", "not both"),
            ("stages = 2\nstage_work = [1, 2, 3]", "invalid --stage-work"),
            (
                "pattern = \"master_slave\"\nagents = 3\nspeeds = [1, 2, 3]",
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
            text.starts_with("s.toml:2: fan_outt: unknown field"),
            "{text}"
        );
        let err = ScenarioInput::from_toml("agents = 8\nload = \"high\"\n", "s.toml").unwrap_err();
        assert!(err.to_string().starts_with("s.toml:2: load:"), "{err}");
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
