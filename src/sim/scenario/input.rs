//! What a user gives: flags and a TOML scenario file, every field optional, flags laid over
//! the file.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use super::ScenarioError;
use super::replay::TraceMode;
use super::value::{
    Buffer, Capabilities, Kinds, Names, Numbers, Parts, QueueMode, Seconds, ShardWork, Slo, Timeout,
};
use crate::sim::distribution::{Arrivals, Service};
use crate::sim::faults::Outage;
use crate::sim::llm::{LlmLatency, Price, Quota};
use crate::sim::resilience::{BreakerKind, Jitter, RetryKind};
use crate::sim::rounds::Rounds;
use crate::sim::workload::Spike;
use crate::trace::{ColumnSpec, Window};

/// Defines [`ScenarioInput`] once: each field is a flag (clap), a scenario-file key (serde,
/// the flag's name with underscores), and a line of the overlay of flags over a file.
macro_rules! scenario_input {
    ($( $(#[$meta:meta])* $field:ident : $ty:ty, )+) => {
        /// Everything a user may set, from flags or a scenario file; unset fields take
        /// defaults. Keys are the flag names with underscores.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Args)]
        #[serde(deny_unknown_fields)]
        pub struct ScenarioInput {
            $( $(#[$meta])* pub $field: Option<$ty>, )+
        }

        impl ScenarioInput {
            /// Every key a scenario file may hold, in flag order.
            pub const KEYS: &[&str] = &[$(stringify!($field)),+];

            /// This input with every field that `over` sets replaced: flags over a file. A
            /// value laid over also replaces its exclusive partner (`--tasks` over a file's
            /// `duration`, `--rate` over its `load`), since the two say one thing two ways.
            pub fn overlaid(mut self, over: ScenarioInput) -> ScenarioInput {
                if over.tasks.is_some() {
                    self.duration = None;
                }
                if over.duration.is_some() {
                    self.tasks = None;
                }
                if over.rate.is_some() {
                    self.load = None;
                }
                if over.load.is_some() {
                    self.rate = None;
                }
                if over.service.is_some() {
                    self.llm_latency = None;
                }
                if over.llm_latency.is_some() {
                    self.service = None;
                }
                ScenarioInput { $( $field: over.$field.or(self.$field) ),+ }
            }

            /// The keys this input sets, in flag order.
            pub fn given(&self) -> Vec<&'static str> {
                let mut out = Vec::new();
                $( if self.$field.is_some() { out.push(stringify!($field)); } )+
                out
            }
        }
    };
}

scenario_input! {
    /// Patterns to simulate: a comma list of names, or all
    #[arg(long, value_name = "NAMES", value_parser = parse_with::<Names>)]
    pattern: Names,
    /// Balancers to compare: a comma list, or all [round_robin, weighted_round_robin,
    /// least_connections, capability_based, predictive, random, power_of_two]
    #[arg(long, value_name = "NAMES", value_parser = parse_with::<Names>)]
    balancer: Names,
    /// Number of agents (master_slave counts its master)
    #[arg(long, value_name = "N", value_parser = agent_count, allow_negative_numbers = true)]
    agents: u32,
    /// Offered load, a way to give the rate: rate = RHO x the total speed of all agents / the
    /// mean work of a request, the same rate for every pattern [default: 0.8]
    #[arg(long, value_name = "RHO", value_parser = load_value, allow_negative_numbers = true)]
    load: f64,
    /// Requests per second, instead of --load
    #[arg(long, alias = "arrival-rate", value_name = "R", value_parser = rate_value, allow_negative_numbers = true)]
    #[serde(alias = "arrival_rate")]
    rate: f64,
    /// poisson, deterministic or bursty:ON_RATE:OFF_RATE:ON_MEAN_S:OFF_MEAN_S [default: poisson]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Arrivals>)]
    arrivals: Arrivals,
    /// Work per request, in seconds at speed 1, drawn once per request: exp:MEAN, det:MEAN,
    /// erlang:K:MEAN, lognormal:MEAN:CV, pareto:ALPHA:MEAN, hyperexp:MEAN:CV [default: exp:1]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true)]
    service: Service,
    /// Agent speeds, repeated over all the agents (agent 0 first, master_slave's master): 1,1,2,4
    #[arg(long, value_name = "S1,S2,..", value_parser = parse_with::<Numbers>, allow_hyphen_values = true)]
    speeds: Numbers,
    /// Request kinds with weights: gpu:1,cpu:3
    #[arg(long, value_name = "NAME:WEIGHT,..", value_parser = parse_with::<Kinds>)]
    kinds: Kinds,
    /// Kinds each agent serves, repeated over all the agents: gpu+cpu,cpu,* (* is every kind)
    #[arg(long, value_name = "SET1,SET2,..", value_parser = parse_with::<Capabilities>)]
    capabilities: Capabilities,
    /// How many times longer a request takes on an agent without its kind [default: 2]
    #[arg(long, value_name = "F", value_parser = positive_number, allow_negative_numbers = true)]
    mismatch_penalty: f64,
    /// Requests per replication [default: 100000]
    #[arg(long, value_name = "N", value_parser = task_count, allow_negative_numbers = true)]
    tasks: u64,
    /// Simulated seconds per replication, instead of --tasks
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    duration: Seconds,
    /// Share of the first requests left out of the statistics [default: 0.1]
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true)]
    warmup: f64,
    /// Independent replications, for the confidence intervals [default: 5]
    #[arg(long, value_name = "R", value_parser = replication_count, allow_negative_numbers = true)]
    replications: u32,
    /// Seed of every random stream [default: 42]
    #[arg(long, value_name = "S")]
    seed: u64,
    /// master_slave: seconds (at speed 1) the master spends dispatching each request [default: 0.01]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    dispatch_overhead: Seconds,
    /// master_slave: requests the master dispatches at once [default: 1]
    #[arg(long, value_name = "C", value_parser = concurrency, allow_negative_numbers = true)]
    master_concurrency: u32,
    /// master_slave and scatter_gather: seconds (at speed 1) to merge a request's results, at
    /// the master or the gatherer [default: 0]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    merge_work: Seconds,
    /// master_slave: per-agent (send at once) or shared (wait for an idle worker) [default: per-agent]
    #[arg(long, value_name = "MODE", value_parser = parse_with::<QueueMode>)]
    queue: QueueMode,
    /// peer_to_peer: seconds between load updates; 0 for perfect information [default: catalog, 5]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    heartbeat: Seconds,
    /// peer_to_peer: share of requests that need consensus through the leader [default: 0.1]
    #[arg(long, value_name = "F", value_parser = number, allow_negative_numbers = true)]
    consensus_fraction: f64,
    /// peer_to_peer: seconds (at speed 1) the leader spends on each consensus [default: 0]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    consensus_work: Seconds,
    /// peer_to_peer: seconds per network hop [default: 0.005]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    hop_latency: Seconds,
    /// pipeline: number of stages [default: one per --stage-work weight, else 4 (fewer agents: one each)]
    #[arg(long, value_name = "K", value_parser = stage_count, allow_negative_numbers = true)]
    stages: u32,
    /// pipeline: relative work of each stage, 1,2,1 [default: equal]
    #[arg(long, value_name = "W1,W2,..", value_parser = parse_with::<Numbers>, allow_hyphen_values = true)]
    stage_work: Numbers,
    /// pipeline: items a stage may hold waiting, or unbounded [default: catalog, 1000]
    #[arg(long, value_name = "N", value_parser = parse_with::<Buffer>, allow_hyphen_values = true)]
    buffer: Buffer,
    /// scatter_gather: shards per request, on distinct agents [default: min(agents, 10)]
    #[arg(long, value_name = "K", value_parser = fan_out_count, allow_negative_numbers = true)]
    fan_out: u32,
    /// scatter_gather: split (each shard does 1/k of the request's work) or full (each does it
    /// all, as a search over k index shards) [default: split]
    #[arg(long, value_name = "HOW", value_parser = parse_with::<ShardWork>)]
    shard_work: ShardWork,
    /// scatter_gather: seconds before a gather gives up on missing shards [default: catalog, 60]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    gather_timeout: Seconds,
    /// scatter_gather: a gather completed with shards missing meets the objective (default: a miss)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    accept_partial: bool,
    /// Stages and shards: correlated (split the request's one draw of work) or independent
    /// (each part its own draw with the same mean) [default: correlated]
    #[arg(long, value_name = "HOW", value_parser = parse_with::<Parts>)]
    parts: Parts,
    /// The objective: a deadline and the share of requests that must meet it, as 2s@99%
    /// (the share defaults to 99%)
    #[arg(long, value_name = "D[@Q]", value_parser = parse_with::<Slo>)]
    slo: Slo,
    /// Faults: mean seconds between an agent's failures (exponential); needs --mttr
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    mtbf: Seconds,
    /// Mean seconds to repair a failed agent (exponential)
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    mttr: Seconds,
    /// A scripted outage, repeatable: agent 0 (the master or leader) down from 100 s for 30 s is 0@100+30
    #[arg(long, value_name = "AGENT@START+DURATION", value_parser = parse_with::<Outage>, help_heading = "Faults and resilience")]
    outage: Vec<Outage>,
    /// Missed heartbeats before an agent is declared dead [default: catalog, 3]
    #[arg(long, value_name = "K", value_parser = missed_count, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    missed_heartbeats: u32,
    /// Seconds before a request is given up on, or none [default: catalog's 30 s with faults,
    /// retries or breakers; none otherwise]
    #[arg(long, value_name = "S|none", value_parser = parse_with::<Timeout>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    timeout: Timeout,
    /// Retry policy, with the catalog's parameters: none, immediate, linear, exponential [default: none]
    #[arg(long, value_name = "POLICY", value_parser = parse_with::<RetryKind>, help_heading = "Faults and resilience")]
    retry: RetryKind,
    /// Jitter on retry delays: none, full, equal, decorrelated [default: full for exponential]
    #[arg(long, value_name = "KIND", value_parser = parse_with::<Jitter>, help_heading = "Faults and resilience")]
    jitter: Jitter,
    /// Retries may not exceed this share of the requests in flight (at least 3 allowed)
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    retry_budget: f64,
    /// Circuit breaker per agent: none, consecutive, failure-rate [default: none]
    #[arg(long, value_name = "KIND", value_parser = parse_with::<BreakerKind>, help_heading = "Faults and resilience")]
    circuit_breaker: BreakerKind,
    /// Failure rate over the catalog's 60 s window that opens a failure-rate breaker [default: 0.5]
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    breaker_failure_rate: f64,
    /// Largest share of agents whose breakers may be open at once, as Envoy's max ejection [default: 1]
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    max_ejection: f64,
    /// Deadline propagation: agents skip queued work whose requester gave up (timed out)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", help_heading = "Faults and resilience")]
    drop_expired: bool,
    /// Bulkhead: jobs an agent may hold waiting; more are rejected at once
    #[arg(long, value_name = "N", value_parser = queue_limit, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    queue_limit: u32,
    /// scatter_gather: send a second copy of a subtask not back by this quantile of recent subtask latency
    #[arg(long, value_name = "Q", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    hedge_after_quantile: f64,
    /// Multiply the arrival rate by FACTOR for a window, repeatable: 300+60:2
    #[arg(long, value_name = "START+DURATION:FACTOR", value_parser = parse_with::<Spike>, help_heading = "Faults and resilience")]
    spike: Vec<Spike>,
    /// Add per-bucket throughput, goodput, attempts, queue length and breaker states, every S seconds
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    timeline: Seconds,
    /// Input tokens of a request's LLM call, drawn once per request (whole tokens): lognormal:2000:1
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, help_heading = "LLM agents")]
    tokens_in: Service,
    /// Output tokens of a request's LLM call, drawn once per request (whole tokens): exp:300
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, help_heading = "LLM agents")]
    tokens_out: Service,
    /// A call's seconds from its tokens, instead of --service: ttft=0.35,in=0.0002,out=0.025
    /// (to the first token, per input token, per output token; fit your own)
    #[arg(long, value_name = "ttft=S,in=S,out=S", value_parser = parse_with::<LlmLatency>, help_heading = "LLM agents")]
    llm_latency: LlmLatency,
    /// A provider every agent's calls share: requests and tokens per minute and calls at once,
    /// rpm=500,tpm=200000,concurrency=64; a call over quota gets a 429 and is retried after
    /// the provider's retry-after
    #[arg(long, value_name = "rpm=N,tpm=N,concurrency=N", value_parser = parse_with::<Quota>, help_heading = "LLM agents")]
    provider: Quota,
    /// Dollars per million tokens, in=3,out=15: every call made is charged
    #[arg(long, value_name = "in=D,out=D", value_parser = parse_with::<Price>, help_heading = "LLM agents")]
    price: Price,
    /// master_slave: the supervisor's routing decision is an LLM call with these input
    /// tokens, through the same provider (needs --llm-latency): lognormal:1500:0.5
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, help_heading = "LLM agents")]
    dispatch_tokens_in: Service,
    /// master_slave: output tokens of the supervisor's routing decision: det:50
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, help_heading = "LLM agents")]
    dispatch_tokens_out: Service,
    /// Dollars per agent-hour, charged for every agent over the run
    #[arg(long, value_name = "DOLLARS", value_parser = number, allow_negative_numbers = true, help_heading = "LLM agents")]
    agent_cost: f64,
    /// master_slave: the supervisor's final answer is an LLM call with these input tokens,
    /// after the last worker's (needs --llm-latency): lognormal:2000:0.5
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, help_heading = "LLM agents")]
    merge_tokens_in: Service,
    /// master_slave: output tokens of the supervisor's final answer: exp:200
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, help_heading = "LLM agents")]
    merge_tokens_out: Service,
    /// Rounds of work a request takes before it is answered: N, or geometric:MEAN (each
    /// round the last with probability 1/MEAN). Each round is the pattern's whole answer
    /// again; in master_slave, a supervisor's decision and a worker's call [default: 1]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Rounds>, help_heading = "LLM agents")]
    rounds: Rounds,
    /// Tokens added to every call's input in each later round: the conversation grows
    #[arg(long, value_name = "TOKENS", value_parser = number, allow_negative_numbers = true, help_heading = "LLM agents")]
    context_growth: f64,
    /// A request still unanswered after K rounds fails, as a framework's recursion limit
    /// makes it
    #[arg(long, value_name = "K", value_parser = round_limit, allow_negative_numbers = true, help_heading = "LLM agents")]
    max_rounds: u32,
    /// peer_to_peer: M peers each make the request's call, and the request waits for a
    /// majority of them (agents voting on an answer) [default: 1]
    #[arg(long, value_name = "M", value_parser = vote_count, allow_negative_numbers = true, help_heading = "LLM agents")]
    votes: u32,
    /// Requests from a trace of your traffic, CSV or JSON Lines (gzip accepted): arrival
    /// times, and work or tokens per request (docs/traces.md)
    #[arg(long, value_name = "FILE", help_heading = "Traces")]
    trace: PathBuf,
    /// replay (the trace's requests as they came), bootstrap (resampled: replications give
    /// intervals) or fit (the synthetic workload fitted to it) [default: replay]
    #[arg(long, value_name = "MODE", value_parser = parse_with::<TraceMode>, help_heading = "Traces")]
    trace_mode: TraceMode,
    /// The trace's columns by role: time=TIMESTAMP,in=ContextTokens,out=GeneratedTokens
    /// (roles time, work, in, out, latency, kind; others are found by header name)
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<ColumnSpec>, help_heading = "Traces")]
    trace_columns: ColumnSpec,
    /// Only the trace's requests from FROM for DURATION seconds: 600+300
    #[arg(long, value_name = "FROM+DURATION", value_parser = parse_with::<Window>, help_heading = "Traces")]
    trace_window: Window,
    /// Runs the trace's time this many times faster: 2 is twice the traffic
    #[arg(long, value_name = "FACTOR", value_parser = positive_number, help_heading = "Traces")]
    rate_scale: f64,
    /// Skips the trace's bad rows and counts them, instead of stopping at the first
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", help_heading = "Traces")]
    trace_skip_bad: bool,
}

impl ScenarioInput {
    /// The scenario file's input, or nothing set without one.
    pub fn read(path: Option<&Path>) -> Result<ScenarioInput, ScenarioError> {
        path.map_or(Ok(ScenarioInput::default()), ScenarioInput::from_file)
    }

    /// Reads a TOML scenario file; errors name the file, the line and the key.
    pub fn from_file(path: &Path) -> Result<ScenarioInput, ScenarioError> {
        let name = path.display().to_string();
        let text = crate::file::read_text(path, crate::file::MAX_SCENARIO_BYTES, "scenario file")
            .map_err(|e| ScenarioError::Read {
            path: name.clone(),
            message: e.to_string(),
        })?;
        ScenarioInput::from_toml(&text, &name)
    }

    pub fn from_toml(text: &str, name: &str) -> Result<ScenarioInput, ScenarioError> {
        let input = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let line = text[..offset.min(text.len())].matches('\n').count() + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            let key = line_text
                .split('=')
                .next()
                .map(|k| k.trim().trim_matches('"').to_string())
                .filter(|k| !k.is_empty() && !k.starts_with('['))
                .unwrap_or_else(|| "?".to_string());
            let mut message = e.message().trim().replace('\n', " ");
            // serde lists every key; a "did you mean" is what helps.
            if message.starts_with("unknown field") {
                let keys = ScenarioInput::KEYS.iter().copied().chain(["arrival_rate"]);
                let near = crate::names::closest(&key, keys);
                message = if near.is_empty() {
                    "unknown key (the keys are simulate's flags in snake_case: jaegis simulate --help)".to_string()
                } else {
                    format!("unknown key{}", crate::names::suggest(&near))
                };
            }
            ScenarioError::File {
                path: name.to_string(),
                line,
                key,
                message,
            }
        })?;
        check_with_flags(text, name)?;
        Ok(input)
    }
}

/// Holds every value of a file to its flag's own parser, so that a file accepts exactly what
/// the flag does (`agents = 2000000` is refused as `--agents 2000000` is).
fn check_with_flags(text: &str, name: &str) -> Result<(), ScenarioError> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(()); // serde has read it: nothing else to say
    };
    let cmd = ScenarioInput::augment_args(clap::Command::new("file"));
    for (key, value) in &table {
        let id = if key == "arrival_rate" { "rate" } else { key };
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == id) else {
            continue;
        };
        let texts: Vec<String> = match value {
            toml::Value::Array(items) if matches!(arg.get_action(), clap::ArgAction::Append) => {
                items.iter().map(flag_text).collect()
            }
            v => vec![flag_text(v)],
        };
        let long = arg.get_long().expect("scenario flags are long");
        for t in texts {
            let one = clap::Command::new("file")
                .no_binary_name(true)
                .arg(arg.clone());
            if let Err(e) = one.try_get_matches_from([format!("--{long}={t}")]) {
                let rendered = e.to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let message = first
                    .split_once("': ")
                    .map_or(first.trim_start_matches("error: "), |(_, m)| m);
                let line = text
                    .lines()
                    .position(|l| {
                        l.trim_start()
                            .strip_prefix(key.as_str())
                            .is_some_and(|rest| rest.trim_start().starts_with('='))
                    })
                    .map_or(1, |i| i + 1);
                return Err(ScenarioError::File {
                    path: name.to_string(),
                    line,
                    key: key.clone(),
                    message: message.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// A file value as it would be typed after its flag: arrays as comma lists.
fn flag_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(flag_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// The most agents a fleet may have.
pub const MAX_AGENTS: u64 = 1_000_000;

/// A whole number in `1..=max`, with a message naming the range.
pub fn whole_number(text: &str, what: &str, max: u64) -> Result<u64, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if (1..=i128::from(max)).contains(&n) => Ok(n as u64),
        Ok(_) => Err(format!("{what} must be a whole number from 1 to {max}")),
        Err(_) => Err(format!("expected a whole number of {what} from 1 to {max}")),
    }
}

fn agent_count(text: &str) -> Result<u32, String> {
    whole_number(text, "agents", MAX_AGENTS).map(|n| n as u32)
}

fn task_count(text: &str) -> Result<u64, String> {
    whole_number(text, "tasks", 1_000_000_000_000)
}

/// Parses a number of replications, as every command that replicates does.
pub fn replication_count(text: &str) -> Result<u32, String> {
    whole_number(text, "replications", 100_000).map(|n| n as u32)
}

/// The most stages a pipeline may have: a stage is indexed in 16 bits per agent.
pub const MAX_STAGES: u64 = u16::MAX as u64;

fn stage_count(text: &str) -> Result<u32, String> {
    whole_number(text, "stages", MAX_STAGES).map(|n| n as u32)
}

fn concurrency(text: &str) -> Result<u32, String> {
    whole_number(text, "dispatches at once", 10_000).map(|n| n as u32)
}

fn round_limit(text: &str) -> Result<u32, String> {
    whole_number(text, "rounds", u64::from(crate::sim::rounds::MAX_ROUNDS)).map(|n| n as u32)
}

fn vote_count(text: &str) -> Result<u32, String> {
    whole_number(text, "votes", 1000).map(|n| n as u32)
}

fn missed_count(text: &str) -> Result<u32, String> {
    whole_number(text, "heartbeats", 1000).map(|n| n as u32)
}

fn queue_limit(text: &str) -> Result<u32, String> {
    whole_number(text, "jobs", u64::from(u32::MAX)).map(|n| n as u32)
}

fn fan_out_count(text: &str) -> Result<u32, String> {
    whole_number(text, "subtasks", MAX_AGENTS).map(|n| n as u32)
}

/// Any finite number; the scenario checks its range and names the flag.
pub fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("expected a number such as 0.5, got '{text}'"))
}

/// A number above 0.
pub fn positive_number(text: &str) -> Result<f64, String> {
    let x = number(text)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(format!("expected a number above 0 such as 0.9, got {x}"))
    }
}

/// A number within `[low, high]`: magnitudes outside it are no question a fleet answers,
/// and would print as hundreds of digits.
fn bounded(text: &str, what: &str, low: f64, high: f64) -> Result<f64, String> {
    let x = positive_number(text)?;
    if (low..=high).contains(&x) {
        Ok(x)
    } else {
        Err(format!("{what} must be from {low} to {high}, got {x:e}"))
    }
}

/// An offered load: from a millionth of the fleet's capacity to a hundred times it.
pub fn load_value(text: &str) -> Result<f64, String> {
    bounded(text, "the load", 1e-6, 100.0)
}

/// Requests per second: from one a million seconds to a billion a second.
pub fn rate_value(text: &str) -> Result<f64, String> {
    bounded(text, "the rate", 1e-6, 1e9)
}

/// Parses with the library's notation, whose errors say what is accepted.
pub fn parse_with<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        input: ScenarioInput,
    }

    #[test]
    fn every_flag_is_a_file_key_and_overlays() {
        Flags::command().debug_assert();
        let flags = Flags::try_parse_from([
            "x",
            "--agents",
            "5",
            "--accept-partial",
            "--outage",
            "0@1+2",
            "--arrival-rate",
            "3",
        ])
        .unwrap()
        .input;
        assert_eq!(flags.agents, Some(5));
        assert_eq!(flags.accept_partial, Some(true));
        assert_eq!(
            flags.rate,
            Some(3.0),
            "--arrival-rate is an alias of --rate"
        );
        let file = ScenarioInput::from_toml(
            "agents = 8\nload = 0.5\naccept_partial = false\narrival_rate = 2",
            "s.toml",
        )
        .unwrap();
        assert_eq!(file.rate, Some(2.0));
        let merged = file.overlaid(flags);
        // --arrival-rate over the file replaces its rate and its exclusive partner, the load.
        assert_eq!(
            (
                merged.agents,
                merged.rate,
                merged.load,
                merged.accept_partial
            ),
            (Some(5), Some(3.0), None, Some(true))
        );
        let ids: Vec<String> = Flags::command()
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        assert_eq!(ids, ScenarioInput::KEYS);
    }

    #[test]
    fn counts_name_their_range() {
        assert_eq!(agent_count("40"), Ok(40));
        assert!(agent_count("0").unwrap_err().contains("from 1 to"));
        assert!(agent_count("-3").unwrap_err().contains("from 1 to"));
        assert!(agent_count("many").unwrap_err().contains("whole number"));
    }
}
