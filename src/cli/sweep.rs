//! `jaegis sweep`: every `simulate` flag, taking lists and ranges of values.
//!
//! The flags are built from `simulate`'s own definitions, so a new simulate flag is
//! sweepable at once, and each value is checked by simulate's parser before anything runs.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{ArgAction, ArgMatches, Args, Command, FromArgMatches};

use jaegis::sweep::{Shard, alternatives};

use super::SimulateArgs;

/// Where alternatives of a flag's value are split: on ';' for a flag whose simulate value is
/// itself a comma list (its value name says so: `S1,S2,..`), else on ','.
pub fn separator(arg: &clap::Arg) -> char {
    let list = arg
        .get_value_names()
        .is_some_and(|names| names.iter().any(|n| n.as_str().contains(',')));
    if list { ';' } else { ',' }
}

pub const AFTER_HELP: &str = "\
Any simulate flag takes a comma list of values, or a range START:STOP:STEP (both ends
included); flags whose value is already a list (--speeds, --stage-work, --kinds,
--capabilities) separate their alternatives with ';'. Boolean flags take true,false.
The sweep runs every combination, each with the same seed, so points differ only by
their parameters. Patterns and balancers always count as parameters: one JSON line per
pattern, balancer and combination of the other values.

Examples:
  jaegis sweep --pattern master_slave --agents 9 --load 0.5:0.95:0.05 --plot p99.svg
  jaegis sweep --agents 5,10,20,40,80 --load 0.5:0.95:0.05 --pattern all --balancer all --format jsonl
  jaegis sweep --pattern scatter_gather --fan-out 2,4,8 --service 'exp:1,lognormal:1:3'
  jaegis sweep --load 0.5:0.95:0.05 --shard 3/8 --format jsonl > shard-3.jsonl
  jaegis merge shard-*.jsonl";

/// A simulate flag as given to sweep: the text of each occurrence.
#[derive(Debug, Clone)]
pub struct SweptFlag {
    pub id: String,
    pub long: String,
    /// Repeatable in simulate (--outage): each occurrence is a parameter of its own.
    pub repeatable: bool,
    /// What separates the alternatives of a value ([`separator`]).
    pub separator: char,
    pub occurrences: Vec<String>,
}

/// The sweep's flags: simulate's flags with their raw text, in simulate's order.
#[derive(Debug, Clone, Default)]
pub struct SweepArgs {
    pub flags: Vec<SweptFlag>,
    pub scenario: Option<PathBuf>,
    pub shard: Option<Shard>,
    pub stats: bool,
    pub plot: Option<PathBuf>,
}

/// simulate flags that apply to the whole sweep rather than to a point.
const WHOLE_SWEEP: [&str; 3] = ["scenario", "stats", "plot"];

/// simulate's arguments, reshaped to take lists of values.
fn sweepable() -> Vec<clap::Arg> {
    let simulate = SimulateArgs::augment_args(Command::new("simulate"));
    simulate
        .get_arguments()
        .filter(|a| !WHOLE_SWEEP.contains(&a.get_id().as_str()))
        .map(|arg| {
            let sep = separator(arg);
            arg.clone()
                .action(ArgAction::Append)
                .value_parser(Alternatives {
                    flag: Box::new(arg.clone()),
                    sep,
                })
        })
        .collect()
}

impl Args for SweepArgs {
    fn augment_args(cmd: Command) -> Command {
        let simulate = SimulateArgs::augment_args(Command::new("simulate"));
        let shared = |id: &str| {
            simulate
                .get_arguments()
                .find(|a| a.get_id() == id)
                .expect("simulate defines the flag")
                .clone()
        };
        cmd.args(sweepable())
            .arg(shared("scenario"))
            .arg(shared("stats"))
            .arg(
                shared("plot").help(
                    "Also write a chart of p99 latency and throughput against the swept load",
                ),
            )
            .arg(
                clap::Arg::new("shard")
                    .long("shard")
                    .value_name("I/N")
                    .value_parser(|s: &str| s.parse::<Shard>())
                    .help("Run only the I-th of N disjoint slices of the points (for job arrays)"),
            )
            .after_help(AFTER_HELP)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SweepArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let repeatable: Vec<String> = SimulateArgs::augment_args(Command::new("simulate"))
            .get_arguments()
            .filter(|a| matches!(a.get_action(), ArgAction::Append))
            .map(|a| a.get_id().to_string())
            .collect();
        let flags = sweepable()
            .into_iter()
            .filter_map(|arg| {
                let id = arg.get_id().as_str().to_string();
                let occurrences: Vec<String> = m.get_many::<String>(&id)?.cloned().collect();
                Some(SweptFlag {
                    long: arg.get_long().unwrap_or(&id).to_string(),
                    repeatable: repeatable.contains(&id),
                    separator: separator(&arg),
                    id,
                    occurrences,
                })
            })
            .collect();
        Ok(SweepArgs {
            flags,
            scenario: m.get_one::<PathBuf>("scenario").cloned(),
            shard: m.get_one::<Shard>("shard").copied(),
            stats: m.get_flag("stats"),
            plot: m.get_one::<PathBuf>("plot").cloned(),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// Parses simulate's arguments for one point of the sweep, given as (flag id, value) pairs.
pub fn point_args<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<SimulateArgs, clap::Error> {
    let cmd = SimulateArgs::augment_args(Command::new("sweep").no_binary_name(true));
    let mut argv: Vec<String> = Vec::new();
    for (id, value) in pairs {
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_id() == id)
            .expect("sweep flags are simulate flags");
        let long = arg.get_long().expect("simulate flags are long");
        argv.push(format!("--{long}={value}"));
    }
    SimulateArgs::from_arg_matches(&cmd.try_get_matches_from(argv)?)
}

/// Checks every alternative of a value by simulate's own definition of the flag, so errors
/// read as simulate's do; keeps the text.
#[derive(Clone)]
struct Alternatives {
    flag: Box<clap::Arg>,
    sep: char,
}

impl TypedValueParser for Alternatives {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::new(ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        let flag = arg
            .and_then(clap::Arg::get_long)
            .map_or(String::new(), |long| format!("'--{long}': "));
        let items = alternatives(text, self.sep).map_err(|e| {
            cmd.clone()
                .error(ErrorKind::ValueValidation, format!("{flag}{e}"))
        })?;
        let long = self.flag.get_long().expect("simulate flags are long");
        for item in &items {
            Command::new("jaegis sweep")
                .no_binary_name(true)
                .arg(self.flag.as_ref().clone())
                .try_get_matches_from([format!("--{long}={item}")])?;
        }
        Ok(text.to_string())
    }
}
