//! Runs a parsed command: library calls in, a report out, written to stdout.

mod catalog;
mod lint;
mod plan;
mod progress;
mod recommend;
mod simulate;
mod stats;
mod sweep;
mod trace;
mod verify;

use std::io::{self, IsTerminal, Write};

use anyhow::Result;

use jaegis::advisor::AdvisorError;
use jaegis::catalog::{Catalog, CatalogError};
use jaegis::report::plot::PlotError;
use jaegis::report::{self, Format, Report};
use jaegis::sim::{ScenarioError, SimError};
use jaegis::sweep::SweepError;
use jaegis::trace::TraceError;

use crate::cli::{Cli, ColorChoice, Command};

/// Bad input found by the command layer itself, such as an unknown section name.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// A check that failed, already reported on stdout (lint's errors, verify's failures):
/// exit 1, as a linter or a test runner does.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

/// Nothing matched, as grep's exit 1: the result (empty) is written, nothing is printed.
#[derive(Debug, thiserror::Error)]
#[error("nothing matched")]
pub struct NoMatch;

/// Where and how to write the result.
pub struct Output {
    format: Option<Format>,
    color: bool,
    /// The width tables are fitted to; None with `--wide`.
    width: Option<usize>,
}

/// Tables fit 100 columns off a terminal: wide enough for every table of the README.
const PIPED_WIDTH: usize = 100;

/// The width to fit tables to: `$COLUMNS` when set, else the terminal's, else 100.
fn table_width(terminal: bool) -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    let tty = || {
        terminal
            .then(|| terminal_size::terminal_size_of(io::stdout()))
            .flatten()
            .map(|(w, _)| usize::from(w.0))
    };
    columns
        .filter(|&c| c > 0)
        .or_else(tty)
        .unwrap_or(PIPED_WIDTH)
        .max(MIN_WIDTH)
}

/// Narrower than this, no table can be made readable: it overflows instead.
const MIN_WIDTH: usize = 40;

impl Output {
    fn new(format: Option<Format>, color: ColorChoice, wide: bool) -> Self {
        let terminal = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color,
        };
        Self {
            format,
            color,
            width: (!wide).then(|| table_width(terminal)),
        }
    }

    /// The chosen format, or `default` when none was chosen.
    pub fn format_or(&self, default: Format) -> Format {
        self.format.unwrap_or(default)
    }

    /// Writes the report in the chosen format, or in `default` when none was chosen.
    pub fn emit(&self, report: &Report, default: Format) -> Result<()> {
        let format = self.format.unwrap_or(default);
        let exporter = report::exporter(format, self.color, self.width);
        let mut out = io::BufWriter::new(io::stdout().lock());
        exporter.export(report, &mut out)?;
        out.flush()?;
        Ok(())
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let output = Output::new(cli.global.format, cli.global.color, cli.global.wide);
    let catalog_file = cli.global.catalog.as_deref();
    let load = || load_catalog(catalog_file);
    if matches!(cli.command, Command::Completions { .. } | Command::Man)
        && cli.global.format.is_some()
    {
        return Err(Usage(
            "--format does not apply to completions and man, which print a script and a roff page"
                .into(),
        )
        .into());
    }
    match cli.command {
        Command::List { section } => catalog::list(&load()?, section.as_deref(), &output),
        Command::Show { name } => catalog::show(&load()?, &name, &output),
        Command::Search { text } => catalog::search(&load()?, &text.join(" "), &output),
        Command::Recommend(args) => recommend::run(&load()?, &args, &output),
        Command::Plan(args) => plan::run(&load()?, *args, &output),
        Command::Simulate(args) => simulate::run(&load()?, *args, &output),
        Command::Lint(args) => lint::run(&load()?, *args, &output),
        Command::Verify { quick } => verify::run(&load()?, quick, &output),
        Command::Sweep(args) => sweep::run(&load()?, *args, &output),
        Command::Merge { files, plot } => sweep::merge(&files, plot.as_deref(), &output),
        Command::Trace(args) => trace::run(*args, &output),
        Command::Catalog(action) => catalog::catalog(action, &load, &output),
        // Both render in memory: clap_complete panics on a failed write, and a closed
        // stdout must surface as the io::Error it is.
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cli_command(), "jaegis", &mut script);
            write_raw(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli_command()).render(&mut page)?;
            write_raw(&page)
        }
    }
}

/// The embedded catalog, overlaid by the user's `--catalog` file if there is one.
pub fn load_catalog(file: Option<&std::path::Path>) -> Result<Catalog> {
    Ok(match file {
        Some(path) => Catalog::with_overlay(path)?.0,
        None => Catalog::embedded(),
    })
}

/// Refuses, before anything runs, a `--plot` file whose directory does not exist.
pub fn check_chart_path(path: &std::path::Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if dir.is_dir() {
        Ok(())
    } else {
        Err(Usage(format!(
            "invalid --plot: directory {} does not exist",
            dir.display()
        ))
        .into())
    }
}

/// Writes a chart to the file the user named with `--plot`, after the report: a chart that
/// cannot be drawn (nothing completed) fails the command but leaves the results printed.
pub fn write_chart(path: &std::path::Path, svg: Result<String, PlotError>) -> Result<()> {
    let svg = svg?;
    std::fs::write(path, svg)
        .map_err(|e| anyhow::anyhow!("cannot write the chart to {}: {e}", path.display()))
}

fn cli_command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

fn write_raw(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// True when the error comes from what the user gave: exit code 2.
pub fn is_bad_input(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<Usage>()
            || cause.is::<CatalogError>()
            || cause.is::<AdvisorError>()
            || cause.is::<ScenarioError>()
            || cause.is::<SweepError>()
            || cause.is::<TraceError>()
            || matches!(
                cause.downcast_ref::<SimError>(),
                Some(SimError::Scenario(_))
            )
    })
}

/// True for an outcome that exit 1 says by itself (no match).
pub fn is_silent(err: &anyhow::Error) -> bool {
    err.is::<NoMatch>()
}

/// True when stdout was closed early, as by `| head`: not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().map(io::Error::kind) == broken
            // A JSON line written straight to stdout fails as serde_json's error.
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}
