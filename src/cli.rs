//! Command-line definitions. Value parsers reject bad input with a message that names
//! what is accepted; clap adds the flag.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use jaegis::catalog::Level;
use jaegis::report::Format;

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
    Recommend(RecommendArgs),
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
  jaegis recommend --agents 12 --heterogeneous-agents --variable-task-duration --top 2")]
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

fn agent_count(text: &str) -> Result<u32, String> {
    whole_number(text, "agents", MAX_AGENTS).map(|n| n as u32)
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

    #[test]
    fn counts_name_their_range() {
        assert_eq!(agent_count("40"), Ok(40));
        assert!(agent_count("0").unwrap_err().contains("from 1 to"));
        assert!(agent_count("-3").unwrap_err().contains("from 1 to"));
        assert!(agent_count("many").unwrap_err().contains("whole number"));
    }
}
