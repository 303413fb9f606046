//! Command-line definitions. Value parsers reject bad input with a message that names
//! what is accepted; clap adds the flag.

pub mod sweep;

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

pub use self::sweep::SweepArgs;

use jaegis::advisor::evidence::Budget;
use jaegis::catalog::Level;
use jaegis::report::Format;
use jaegis::sim::distribution::{Arrivals, Service};
use jaegis::sim::faults::Outage;
use jaegis::sim::resilience::{BreakerKind, Jitter, RetryKind};
use jaegis::sim::scenario::{
    Buffer, Capabilities, Kinds, Names, Numbers, QueueMode, Seconds, Timeout,
};
use jaegis::sim::workload::Spike;

const EXAMPLES: &str = "\
Examples:
  jaegis list                              the four coordination patterns
  jaegis show scatter-gather               every field of one entry
  jaegis search timeout                    entries mentioning timeouts
  jaegis recommend --agents 40 --fault-tolerance high
  jaegis recommend --agents 3 --sequential-stages --format json | jq .ranking[0]
  jaegis catalog export > my-catalog.json  edit, then: jaegis --catalog my-catalog.json list";

#[derive(Debug, Parser)]
#[command(
    name = "jaegis",
    version,
    about = "Orchestration pattern advisor and simulator for multi-agent systems",
    long_about = "Orchestration pattern advisor and simulator for multi-agent systems.\n\n\
        jaegis embeds a database of coordination patterns, load balancers and resilience \
        settings, ranks patterns for your requirements with an explained score, and \
        prints results as tables or as JSON for scripts.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format [default: table; json for catalog export and schema]
    #[arg(long, global = true, value_name = "FORMAT", value_parser = format_parser())]
    pub format: Option<Format>,
    /// When to colour tables: auto colours only a terminal, and honours NO_COLOR
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// A JSON file of catalog entries that add to or override the embedded database
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the entries of a catalog section (patterns by default; `list sections` names them)
    #[command(
        after_help = "Examples:\n  jaegis list\n  jaegis list sections\n  jaegis list load-balancing --format csv"
    )]
    List {
        /// A section id such as patterns, load_balancing or error_handling, or `sections`
        section: Option<String>,
    },
    /// Show every field of one entry of any section
    #[command(
        after_help = "Names resolve by id, short name, dashes or underscores, any case.\n\nExamples:\n  jaegis show scatter_gather_001\n  jaegis show circuit-breaker\n  jaegis show error_handling/exponential_backoff --format json"
    )]
    Show {
        /// Entry id or short name (`scatter_gather`), optionally as SECTION/NAME
        name: String,
    },
    /// Search all sections for entries whose text contains every word, best first
    #[command(
        after_help = "Examples:\n  jaegis search consensus\n  jaegis search gather timeout --format jsonl"
    )]
    Search {
        /// Words to look for; all must appear in an entry
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Rank the patterns for your requirements and advise the settings to go with the best
    Recommend(Box<RecommendArgs>),
    /// Simulate patterns under load balancers on one synthetic workload and compare them
    Simulate(Box<SimulateArgs>),
    /// Simulate every combination of lists and ranges of simulate's parameters
    Sweep(Box<SweepArgs>),
    /// Combine the JSON lines of sweep shards into the tables and documents of one sweep
    #[command(
        after_help = "Examples:\n  jaegis merge shard-*.jsonl\n  jaegis merge shard-*.jsonl --format csv > sweep.csv\n  cat shard-*.jsonl | jaegis merge -"
    )]
    Merge {
        /// JSON-lines files written by `sweep --format jsonl`; - reads stdin
        #[arg(required = true, value_name = "FILES")]
        files: Vec<PathBuf>,
        /// Also write a chart of p99 latency and throughput against the swept load
        #[arg(long, value_name = "FILE.svg", value_parser = svg_path)]
        plot: Option<PathBuf>,
    },
    /// Export, validate or describe the catalog file format
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print a shell completion script
    #[command(after_help = "Example:\n  jaegis completions bash > /etc/bash_completion.d/jaegis")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    #[command(after_help = "Example:\n  jaegis man > jaegis.1 && man ./jaegis.1")]
    Man,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Levels: low, medium, medium_to_high, high, very_high. Latency is an upper bound
(--latency low wants low latency); the others are lower bounds, except
--max-complexity, which excludes more complex patterns from the top.

Examples:
  jaegis recommend --agents 40 --fault-tolerance high
  jaegis recommend --agents 3 --sequential-stages --explain
  jaegis recommend --agents 12 --heterogeneous-agents --variable-task-duration --top 2
  jaegis recommend --agents 40 --fault-tolerance high --simulate --mtbf 600 --mttr 30
  jaegis recommend --agents 16 --simulate --scenario examples/llm-fleet.toml --budget 600s")]
pub struct RecommendArgs {
    /// Number of agents the system will run
    #[arg(long, value_name = "N", value_parser = agent_count, allow_negative_numbers = true)]
    pub agents: u32,
    /// Fault tolerance the pattern must reach
    #[arg(long, value_name = "LEVEL", value_parser = level_parser())]
    pub fault_tolerance: Option<Level>,
    /// Latency the pattern must not exceed
    #[arg(long, value_name = "LEVEL", value_parser = level_parser())]
    pub latency: Option<Level>,
    /// Throughput the pattern must reach
    #[arg(long, value_name = "LEVEL", value_parser = level_parser())]
    pub throughput: Option<Level>,
    /// Most complex pattern acceptable
    #[arg(long, value_name = "LEVEL", value_parser = level_parser())]
    pub max_complexity: Option<Level>,
    /// Agents differ in speed or capacity
    #[arg(long)]
    pub heterogeneous_agents: bool,
    /// Task durations vary widely
    #[arg(long)]
    pub variable_task_duration: bool,
    /// Agents have specialties and tasks need particular ones
    #[arg(long)]
    pub specialized_agents: bool,
    /// Work passes through stages in order
    #[arg(long)]
    pub sequential_stages: bool,
    /// Agents must agree on decisions
    #[arg(long)]
    pub needs_consensus: bool,
    /// Show only the best K patterns
    #[arg(long, value_name = "K", value_parser = top_count, allow_negative_numbers = true)]
    pub top: Option<usize>,
    /// Show every criterion's weight, score and reason
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// `recommend --simulate`: the workload the candidates are simulated on.
#[derive(Debug, Args)]
#[command(next_help_heading = "Evidence from simulation")]
pub struct EvidenceArgs {
    /// Simulate the top candidates, each with its advised balancer, retries and breakers, on
    /// the workload below, and rank them by what is measured
    #[arg(long)]
    pub simulate: bool,
    /// How many of the top patterns to simulate [default: 3]
    #[arg(long, value_name = "K", value_parser = top_count, allow_negative_numbers = true, requires = "simulate")]
    pub candidates: Option<usize>,
    /// Simulation per candidate and replication: tasks (100000), or simulated seconds with a
    /// unit (600s) [default: the scenario file's tasks or duration, else 100000]
    #[arg(long, value_name = "TASKS|SECONDS", value_parser = parse_with::<Budget>, requires = "simulate")]
    pub budget: Option<Budget>,
    /// A TOML scenario file (as for simulate) giving the workload
    #[arg(long, value_name = "FILE", requires = "simulate")]
    pub scenario: Option<PathBuf>,
    /// Offered load of the workload [default: 0.8]
    #[arg(long, value_name = "RHO", value_parser = positive_number, allow_negative_numbers = true, requires = "simulate")]
    pub load: Option<f64>,
    /// Work per task, as for simulate: exp:MEAN, lognormal:MEAN:CV, ... [default: exp:1]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true, requires = "simulate")]
    pub service: Option<Service>,
    /// poisson, deterministic or bursty:ON_RATE:OFF_RATE:ON_MEAN_S:OFF_MEAN_S [default: poisson]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Arrivals>, requires = "simulate")]
    pub arrivals: Option<Arrivals>,
    /// Agent speeds, repeated over the agents: 1,1,2,4
    #[arg(long, value_name = "S1,S2,..", value_parser = parse_with::<Numbers>, allow_hyphen_values = true, requires = "simulate")]
    pub speeds: Option<Numbers>,
    /// Mean seconds between an agent's failures; needs --mttr
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, requires = "simulate")]
    pub mtbf: Option<Seconds>,
    /// Mean seconds to repair a failed agent
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, requires = "simulate")]
    pub mttr: Option<Seconds>,
    /// Independent replications per candidate [default: 5]
    #[arg(long, value_name = "R", value_parser = replication_count, allow_negative_numbers = true, requires = "simulate")]
    pub replications: Option<u32>,
    /// Seed of every random stream [default: 42]
    #[arg(long, value_name = "S", requires = "simulate")]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Every flag can also be set in a TOML file given with --scenario, with the flag's name in
snake_case (fan_out = 4); flags override the file; the catalog gives the defaults
(heartbeat 5 s, gather timeout 60 s, failure threshold 20%, buffer 1000 items).

Examples:
  jaegis simulate --pattern scatter_gather
  jaegis simulate --pattern all --balancer least_connections,power_of_two --load 0.9
  jaegis simulate --pattern master_slave --agents 9 --speeds 1,1,1,1,4,4,4,4 --balancer all
  jaegis simulate --pattern pipeline --stages 3 --stage-work 1,3,1 --buffer 10
  jaegis simulate --pattern master_slave --balancer all --plot latency.svg
  jaegis simulate --scenario examples/etl-pipeline.toml --format json")]
pub struct SimulateArgs {
    /// Patterns to simulate: a comma list of names, or all
    #[arg(long, value_name = "NAMES", value_parser = parse_with::<Names>)]
    pub pattern: Option<Names>,
    /// Balancers to compare: a comma list, or all [round_robin, weighted_round_robin,
    /// least_connections, capability_based, predictive, random, power_of_two]
    #[arg(long, value_name = "NAMES", value_parser = parse_with::<Names>)]
    pub balancer: Option<Names>,
    /// A TOML file of parameters; flags given here override it
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Number of agents (master_slave counts its master)
    #[arg(long, value_name = "N", value_parser = agent_count, allow_negative_numbers = true)]
    pub agents: Option<u32>,
    /// Offered load: arrival rate x mean work of a task / total worker speed [default: 0.8]
    #[arg(long, value_name = "RHO", value_parser = positive_number, allow_negative_numbers = true)]
    pub load: Option<f64>,
    /// Tasks per second, instead of --load
    #[arg(long, value_name = "L", value_parser = positive_number, allow_negative_numbers = true)]
    pub arrival_rate: Option<f64>,
    /// poisson, deterministic or bursty:ON_RATE:OFF_RATE:ON_MEAN_S:OFF_MEAN_S [default: poisson]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Arrivals>)]
    pub arrivals: Option<Arrivals>,
    /// Work per task: exp:MEAN, det:MEAN, erlang:K:MEAN, lognormal:MEAN:CV, pareto:ALPHA:MEAN,
    /// hyperexp:MEAN:CV [default: exp:1]
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<Service>, allow_hyphen_values = true)]
    pub service: Option<Service>,
    /// Worker speeds, repeated over the workers: 1,1,2,4
    #[arg(long, value_name = "S1,S2,..", value_parser = parse_with::<Numbers>, allow_hyphen_values = true)]
    pub speeds: Option<Numbers>,
    /// Task kinds with weights: gpu:1,cpu:3
    #[arg(long, value_name = "NAME:WEIGHT,..", value_parser = parse_with::<Kinds>)]
    pub kinds: Option<Kinds>,
    /// Kinds each worker serves, repeated over the workers: gpu+cpu,cpu,* (* is every kind)
    #[arg(long, value_name = "SETS", value_parser = parse_with::<Capabilities>)]
    pub capabilities: Option<Capabilities>,
    /// How many times longer a task takes on a worker without its kind [default: 2]
    #[arg(long, value_name = "F", value_parser = positive_number, allow_negative_numbers = true)]
    pub mismatch_penalty: Option<f64>,
    /// Tasks per replication [default: 100000]
    #[arg(long, value_name = "N", value_parser = task_count, allow_negative_numbers = true)]
    pub tasks: Option<u64>,
    /// Simulated seconds per replication, instead of --tasks
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    pub duration: Option<Seconds>,
    /// Share of the first tasks left out of the statistics [default: 0.1]
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true)]
    pub warmup: Option<f64>,
    /// Independent replications, for the confidence intervals [default: 5]
    #[arg(long, value_name = "R", value_parser = replication_count, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    /// Seed of every random stream [default: 42]
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// master_slave: seconds the master spends dispatching each task [default: 0.01]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    pub dispatch_overhead: Option<Seconds>,
    /// master_slave: per-agent (send at once) or shared (wait for an idle worker) [default: per-agent]
    #[arg(long, value_name = "MODE", value_parser = parse_with::<QueueMode>)]
    pub queue: Option<QueueMode>,
    /// peer_to_peer: seconds between load updates; 0 for perfect information [default: catalog, 5]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    pub heartbeat: Option<Seconds>,
    /// peer_to_peer: share of tasks that need consensus through the leader [default: 0.1]
    #[arg(long, value_name = "F", value_parser = number, allow_negative_numbers = true)]
    pub consensus_fraction: Option<f64>,
    /// peer_to_peer: seconds per network hop [default: 0.005]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    pub hop_latency: Option<Seconds>,
    /// pipeline: number of stages [default: one per --stage-work weight, else 4 (fewer agents: one each)]
    #[arg(long, value_name = "K", value_parser = stage_count, allow_negative_numbers = true)]
    pub stages: Option<u32>,
    /// pipeline: relative work of each stage, 1,2,1 [default: equal]
    #[arg(long, value_name = "W1,W2,..", value_parser = parse_with::<Numbers>, allow_hyphen_values = true)]
    pub stage_work: Option<Numbers>,
    /// pipeline: items a stage may hold waiting, or unbounded [default: catalog, 1000]
    #[arg(long, value_name = "N", value_parser = parse_with::<Buffer>, allow_hyphen_values = true)]
    pub buffer: Option<Buffer>,
    /// scatter_gather: subtasks per task, on distinct agents [default: min(agents, 10)]
    #[arg(long, value_name = "K", value_parser = fan_out_count, allow_negative_numbers = true)]
    pub fan_out: Option<u32>,
    /// scatter_gather: split a task's work among its subtasks (default: each does a task's work)
    #[arg(long)]
    pub split: bool,
    /// scatter_gather: seconds before a gather gives up on missing subtasks [default: catalog, 60]
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true)]
    pub gather_timeout: Option<Seconds>,
    /// Print to stderr the events processed, events per second, wall time and peak memory
    #[arg(long)]
    pub stats: bool,
    /// Also write a chart: the latency CDF per balancer, or with --timeline goodput and
    /// attempts over time
    #[arg(long, value_name = "FILE.svg", value_parser = svg_path)]
    pub plot: Option<PathBuf>,
    /// Faults: mean seconds between an agent's failures (exponential); needs --mttr
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    pub mtbf: Option<Seconds>,
    /// Mean seconds to repair a failed agent (exponential)
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    pub mttr: Option<Seconds>,
    /// A scripted outage, repeatable: agent 0 (the master or leader) down from 100 s for 30 s is 0@100+30
    #[arg(long, value_name = "AGENT@START+DURATION", value_parser = parse_with::<Outage>, help_heading = "Faults and resilience")]
    pub outage: Vec<Outage>,
    /// Missed heartbeats before an agent is declared dead [default: catalog, 3]
    #[arg(long, value_name = "K", value_parser = missed_count, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    pub missed_heartbeats: Option<u32>,
    /// Seconds before a request is given up on, or none [default: catalog's 30 s with faults,
    /// retries or breakers; none otherwise]
    #[arg(long, value_name = "S|none", value_parser = parse_with::<Timeout>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    pub timeout: Option<Timeout>,
    /// Retry policy, with the catalog's parameters: none, immediate, linear, exponential [default: none]
    #[arg(long, value_name = "POLICY", value_parser = parse_with::<RetryKind>, help_heading = "Faults and resilience")]
    pub retry: Option<RetryKind>,
    /// Jitter on retry delays: none, full, equal, decorrelated [default: full for exponential]
    #[arg(long, value_name = "KIND", value_parser = parse_with::<Jitter>, help_heading = "Faults and resilience")]
    pub jitter: Option<Jitter>,
    /// Retries may not exceed this share of the requests in flight (at least 3 allowed)
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    pub retry_budget: Option<f64>,
    /// Circuit breaker per agent: none, consecutive, failure-rate [default: none]
    #[arg(long, value_name = "KIND", value_parser = parse_with::<BreakerKind>, help_heading = "Faults and resilience")]
    pub circuit_breaker: Option<BreakerKind>,
    /// Failure rate over the catalog's 60 s window that opens a failure-rate breaker [default: 0.5]
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    pub breaker_failure_rate: Option<f64>,
    /// Largest share of agents whose breakers may be open at once, as Envoy's max ejection [default: 1]
    #[arg(long, value_name = "FRACTION", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    pub max_ejection: Option<f64>,
    /// Deadline propagation: agents skip queued work whose requester gave up (timed out)
    #[arg(long, help_heading = "Faults and resilience")]
    pub drop_expired: bool,
    /// Bulkhead: jobs an agent may hold waiting; more are rejected at once
    #[arg(long, value_name = "N", value_parser = queue_limit, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    pub queue_limit: Option<u32>,
    /// scatter_gather: send a second copy of a subtask not back by this quantile of recent subtask latency
    #[arg(long, value_name = "Q", value_parser = number, allow_negative_numbers = true, help_heading = "Faults and resilience")]
    pub hedge_after_quantile: Option<f64>,
    /// Multiply the arrival rate by FACTOR for a window, repeatable: 300+60:2
    #[arg(long, value_name = "START+DURATION:FACTOR", value_parser = parse_with::<Spike>, help_heading = "Faults and resilience")]
    pub spike: Vec<Spike>,
    /// Add per-bucket throughput, goodput, attempts, queue length and breaker states, every S seconds
    #[arg(long, value_name = "S", value_parser = parse_with::<Seconds>, allow_hyphen_values = true, help_heading = "Faults and resilience")]
    pub timeline: Option<Seconds>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Print the embedded database (with --catalog, the merged one)
    #[command(after_help = "Example:\n  jaegis catalog export > my-catalog.json")]
    Export,
    /// Check a catalog file and say what it adds and overrides
    #[command(after_help = "Example:\n  jaegis catalog validate my-catalog.json")]
    Validate { file: PathBuf },
    /// Print the JSON Schema of catalog files
    #[command(
        after_help = "Examples:\n  jaegis catalog schema > catalog.schema.json\n  jaegis catalog schema --format markdown"
    )]
    Schema,
}

fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::NAMES)
        .map(|name| name.parse().expect("possible values are format names"))
}

/// Levels a user may ask for; `minimal` only appears in the source's overhead ratings.
const REQUEST_LEVELS: [&str; 5] = ["low", "medium", "medium_to_high", "high", "very_high"];

fn level_parser() -> impl TypedValueParser<Value = Level> {
    PossibleValuesParser::new(REQUEST_LEVELS)
        .map(|name| name.parse().expect("possible values are level names"))
}

const MAX_AGENTS: u64 = 1_000_000;

/// A whole number in `1..=max`, with a message naming the range.
pub fn whole_number(text: &str, what: &str, max: u64) -> Result<u64, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if (1..=i128::from(max)).contains(&n) => Ok(n as u64),
        Ok(_) => Err(format!("{what} must be a whole number from 1 to {max}")),
        Err(_) => Err(format!("expected a whole number of {what} from 1 to {max}")),
    }
}

/// A chart's file name: it must say it is SVG, the only format written.
pub fn svg_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("svg") => Ok(path),
        _ => Err(format!(
            "charts are written as SVG: give a file name ending in .svg, got '{text}'"
        )),
    }
}

fn agent_count(text: &str) -> Result<u32, String> {
    whole_number(text, "agents", MAX_AGENTS).map(|n| n as u32)
}

fn top_count(text: &str) -> Result<usize, String> {
    whole_number(text, "patterns", 1000).map(|n| n as usize)
}

fn task_count(text: &str) -> Result<u64, String> {
    whole_number(text, "tasks", 1_000_000_000_000)
}

fn replication_count(text: &str) -> Result<u32, String> {
    whole_number(text, "replications", 100_000).map(|n| n as u32)
}

fn stage_count(text: &str) -> Result<u32, String> {
    whole_number(text, "stages", MAX_AGENTS).map(|n| n as u32)
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
fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("expected a number such as 0.5, got '{text}'"))
}

fn positive_number(text: &str) -> Result<f64, String> {
    let x = number(text)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(format!("expected a number above 0 such as 0.9, got {x}"))
    }
}

/// Parses with the library's notation, whose errors say what is accepted.
fn parse_with<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn counts_name_their_range() {
        assert_eq!(agent_count("40"), Ok(40));
        assert!(agent_count("0").unwrap_err().contains("from 1 to"));
        assert!(agent_count("-3").unwrap_err().contains("from 1 to"));
        assert!(agent_count("many").unwrap_err().contains("whole number"));
    }
}
