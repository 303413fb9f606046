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
use jaegis::sim::scenario::input::{parse_with, whole_number};
use jaegis::sim::{ScenarioError, ScenarioInput};
use jaegis::trace::{ColumnSpec, Window};

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
    /// Show every column of every table, unwrapped, however wide (a table is otherwise fitted
    /// to the terminal, or to 100 columns off a terminal: $COLUMNS overrides)
    #[arg(long, global = true)]
    pub wide: bool,
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
    /// Find the smallest fleet, with its pattern and settings, that meets an objective at a
    /// given traffic
    Plan(Box<PlanArgs>),
    /// Simulate patterns under load balancers on one synthetic workload and compare them
    Simulate(Box<SimulateArgs>),
    /// Check a configuration's settings analytically, in milliseconds, before simulating or
    /// deploying it
    Lint(Box<LintArgs>),
    /// Simulate every combination of lists and ranges of simulate's parameters
    Sweep(Box<SweepArgs>),
    /// Replay published results of queueing theory and distributed systems as seeded
    /// simulations, and say whether the simulator reproduces each
    #[command(
        after_help = "Each check prints its source, the published value, the measured value with its 95%\ninterval, and pass or fail against its tolerance. Exit status 1 if any check fails.\n\nExamples:\n  jaegis verify --quick\n  jaegis verify --format json | jq '.checks[] | select(.passed | not)'"
    )]
    Verify {
        /// Only the checks that run in seconds, with shorter runs
        #[arg(long)]
        quick: bool,
    },
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
    /// Describe a request log: its rate, burstiness and request sizes, fitted to the
    /// simulator's distributions, with the simulate flags that draw traffic like it
    Trace(Box<TraceArgs>),
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
  jaegis recommend --agents 9 --rate 8 --service lognormal:30:1 --slo 120s@99%
  jaegis recommend --agents 40 --fault-tolerance high --simulate --mtbf 600 --mttr 30
  jaegis recommend --agents 16 --simulate --scenario examples/llm-fleet.toml --budget 600s

The workload flags fit the advised settings to your work (timeouts above its p99, a
speed-aware balancer when speeds differ, stages and fan-out that overload no agent);
--simulate then checks them on the same requests for each candidate.")]
#[command(
    mut_arg("pattern", |a| a.hide(true)),
    mut_arg("balancer", |a| a.hide(true)),
    mut_arg("agents", |a| a.help("Number of agents the system will run").help_heading(None::<&str>)),
    mut_arg("replications", |a| a.help("Independent replications per candidate, for the confidence intervals [default: 5]")),
    mut_args(|a| if a.get_help_heading() == Some("Faults and resilience") {
        a.help_heading("Workload: faults and resilience")
    } else {
        a
    })
)]
pub struct RecommendArgs {
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
    /// The workload, as for simulate: the settings are fitted to it, and --simulate checks them
    #[command(flatten, next_help_heading = "Workload")]
    pub workload: ScenarioInput,
}

/// `recommend --simulate`: how the candidates are simulated.
#[derive(Debug, Args)]
#[command(next_help_heading = "Evidence from simulation")]
pub struct EvidenceArgs {
    /// Simulate the top candidates, each with the settings fitted to the workload below, and
    /// rank them by what is measured against --slo
    #[arg(long)]
    pub simulate: bool,
    /// How many of the top patterns to simulate [default: 3]
    #[arg(long, value_name = "K", value_parser = top_count, allow_negative_numbers = true, requires = "simulate")]
    pub candidates: Option<usize>,
    /// Simulation per candidate and replication: tasks (100000), or simulated seconds with a
    /// unit (600s) [default: the scenario file's tasks or duration, else 100000]
    #[arg(long, value_name = "TASKS|SECONDS", value_parser = parse_with::<Budget>, requires = "simulate", allow_hyphen_values = true)]
    pub budget: Option<Budget>,
    #[command(flatten)]
    pub file: ScenarioFile,
}

/// `--scenario FILE`, for every command that takes a workload.
#[derive(Debug, Clone, Default, Args)]
pub struct ScenarioFile {
    /// A TOML scenario file: any simulate flag as a key, with underscores (fan_out = 4);
    /// flags given here override it
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

impl ScenarioFile {
    /// The file's input with `flags` laid over it.
    pub fn with(&self, flags: ScenarioInput) -> Result<ScenarioInput, ScenarioError> {
        Ok(ScenarioInput::read(self.scenario.as_deref())?.overlaid(flags))
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Every flag can also be set in a TOML file given with --scenario, with the flag's name in
snake_case (fan_out = 4); flags override the file, and a flag replaces its exclusive partner
too (--tasks a file's duration, --rate its load); the catalog gives the defaults
(heartbeat 5 s, gather timeout 60 s, failure threshold 20%, buffer 1000 items).

Examples:
  jaegis simulate --pattern scatter_gather
  jaegis simulate --pattern all --balancer least_connections,power_of_two --load 0.9
  jaegis simulate --pattern master_slave --agents 9 --speeds 1,1,1,1,1,4,4,4,4 --balancer all
  jaegis simulate --pattern pipeline --stages 3 --stage-work 1,3,1 --buffer 10
  jaegis simulate --pattern master_slave --balancer all --plot latency.svg
  jaegis simulate --scenario examples/etl-pipeline.toml --format json")]
pub struct SimulateArgs {
    #[command(flatten)]
    pub file: ScenarioFile,
    #[command(flatten)]
    pub input: ScenarioInput,
    /// Print to stderr the events processed, events per second, wall time and peak memory
    #[arg(long)]
    pub stats: bool,
    /// Replay --trace as recorded and print its simulated latency against the trace's
    /// latency column (p50, p95, p99), to know whether to trust the what-ifs
    #[arg(long)]
    pub calibrate: bool,
    /// Also write a chart: the latency CDF per balancer, or with --timeline goodput and
    /// attempts over time
    #[arg(long, value_name = "FILE.svg", value_parser = svg_path)]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each finding has a stable id, a severity, the numbers behind it, the fix, and the section
of docs/lint.md that explains it. Exit status: 0 without errors, 1 with an error-level
finding, 2 on bad input.

Examples:
  jaegis lint examples/retry-storm.toml
  jaegis lint --pattern scatter_gather --service lognormal:20:1 --shard-work full --gather-timeout 30s
  jaegis lint examples/retry-storm.toml --simulate
  jaegis lint examples/llm-fleet.toml --format json | jq '.findings[].id'")]
pub struct LintArgs {
    /// A TOML scenario file to check, as --scenario
    #[arg(value_name = "SCENARIO.toml", conflicts_with = "scenario")]
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub file: ScenarioFile,
    #[command(flatten)]
    pub input: ScenarioInput,
    /// Back each finding that flags can fix with a short paired simulation of the
    /// configuration as given and with the fix (same requests), and print the difference
    #[arg(long)]
    pub simulate: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Searches, per pattern (all four by default) and balancer (by default the one fitted to the
workload), the smallest number of agents whose attainment of --slo meets its share with 95%
confidence, simulating the same requests at every size. Every simulate flag describes the
workload, or a --scenario file; --agents and --load do not apply (plan chooses the fleet).

Examples:
  jaegis plan --rate 50 --service lognormal:0.8:1.5 --slo 2s@99%
  jaegis plan --rate 2 --service lognormal:20:1 --slo 90s@95% --headroom 1.2,1.5
  jaegis plan --rate 50 --slo 2s@99% --pattern master_slave --balancer all --plot plan.svg
  jaegis plan --rate 20 --slo 3s@99% --mtbf 600 --mttr 30 --format json")]
#[command(
    mut_arg("agents", |a| a.hide(true)),
    mut_arg("load", |a| a.hide(true)),
    mut_arg("pattern", |a| a.help("Patterns to plan: a comma list of names, or all [default: all]")),
    mut_arg("balancer", |a| a.help("Balancers to plan each pattern with: a comma list, or all [default: the one fitted to each pattern's workload]")),
    mut_arg("rate", |a| a.help("Requests per second to plan for")),
    mut_arg("slo", |a| a.help("The objective: a deadline and the share of requests that must meet it, as 2s@99%")),
    mut_arg("tasks", |a| a.help("Requests per replication at each fleet size [default: 20000]")),
    mut_arg("replications", |a| a.help("Replications at each fleet size to start with; doubled up to 20 where the answer is not yet clear [default: 5]")),
)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: ScenarioFile,
    #[command(flatten)]
    pub input: ScenarioInput,
    /// The largest fleet to consider [default: 10000]
    #[arg(long, value_name = "N", value_parser = max_agents, allow_negative_numbers = true)]
    pub max_agents: Option<u32>,
    /// Also plan for more traffic: factors of --rate, such as 1.2,1.5
    #[arg(long, value_name = "F1,F2,..", value_parser = headroom_factors, allow_negative_numbers = true)]
    pub headroom: Option<Headroom>,
    /// Also write a chart: attainment against the number of agents per pattern
    #[arg(long, value_name = "FILE.svg", value_parser = svg_path)]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The format is told by the content: CSV or JSON Lines, gzipped or not. Columns are found by
header name in any case, ignoring _, - and spaces: time or timestamp; work, duration or
service (seconds; a name ending in _ms is milliseconds); tokens_in, ContextTokens,
input_tokens or prompt_tokens; tokens_out, GeneratedTokens, output_tokens or
completion_tokens; latency or response_time (observed, not work); kind. Times are ISO 8601
date-times (UTC without an offset) or seconds. docs/traces.md has the details.

Examples:
  jaegis trace examples/traces/azure-llm-conv-2023.csv.gz
  jaegis trace requests.jsonl --trace-columns time=ts,work=elapsed_ms
  jaegis trace log.csv.gz --trace-window 600+300 --plot trace.svg
  jaegis trace log.csv --trace-skip-bad --format json | jq .flags")]
pub struct TraceArgs {
    /// The request log: CSV or JSON Lines, gzipped or not
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Which column is which, where the names are not found: time=NAME,work=NAME,in=NAME,
    /// out=NAME,latency=NAME,kind=NAME (any subset)
    #[arg(long, value_name = "SPEC", value_parser = parse_with::<ColumnSpec>)]
    pub trace_columns: Option<ColumnSpec>,
    /// Skip bad rows (counted, the first five shown) instead of stopping at the first
    #[arg(long)]
    pub trace_skip_bad: bool,
    /// Only the requests from FROM to FROM+DURATION seconds after the first (600+300)
    #[arg(long, value_name = "FROM+DURATION", value_parser = parse_with::<Window>)]
    pub trace_window: Option<Window>,
    /// Also write a chart: the arrival rate over time, and the distribution of work (or
    /// tokens) against the fitted one
    #[arg(long, value_name = "FILE.svg", value_parser = svg_path)]
    pub plot: Option<PathBuf>,
}

/// `--headroom` factors.
#[derive(Debug, Clone)]
pub struct Headroom(pub Vec<f64>);

fn headroom_factors(text: &str) -> Result<Headroom, String> {
    let factors = text
        .split(',')
        .map(|f| {
            let f = f.trim();
            match f.parse::<f64>() {
                Ok(x) if x.is_finite() && x > 1.0 && x <= 100.0 => Ok(x),
                _ => Err(format!(
                    "expected factors of the rate above 1 and at most 100 (1.2 is 20% more traffic), such as 1.2,1.5; got '{f}'"
                )),
            }
        })
        .collect::<Result<Vec<f64>, String>>()?;
    Ok(Headroom(factors))
}

/// `--max-agents`: at least 1, at most what the engine holds.
fn max_agents(text: &str) -> Result<u32, String> {
    let limit = jaegis::sim::scenario::input::MAX_AGENTS;
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=limit).contains(&n) => Ok(n as u32),
        Ok(n) if n > limit => Err(format!("{n} is above the engine's limit of {limit} agents")),
        _ => Err(format!(
            "expected a whole number of agents from 1 to {limit}, got '{text}'"
        )),
    }
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

fn top_count(text: &str) -> Result<usize, String> {
    whole_number(text, "patterns", 1000).map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
