//! `sweep`: simulate every point of a grid of parameters (or one shard of it), streaming one
//! JSON line per point in point order; `merge`: the shards' lines back into one sweep.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde_json::{Value, json};

use jaegis::catalog::Catalog;
use jaegis::report::{self, Format};
use jaegis::sim::scenario::Defaults;
use jaegis::sim::scenario::{pattern_ids, resolve_balancers};
use jaegis::sim::{self, Scenario, ScenarioInput};
use jaegis::sweep::{self, Dimension, Grid, Line, SweepError, SweepId, parameter_value};

use super::progress::Progress;
use super::{Output, Usage, check_chart_path, stats, write_chart};
use crate::cli::SweepArgs;
use crate::cli::sweep::{SweptFlag, point_args};

/// A parameter of the grid: the simulate flag it sets and its values.
struct Axis {
    flag: String,
    dimension: Dimension,
}

/// The whole sweep: the scenario file, the axes, and what identifies it.
struct Plan {
    defaults: Defaults,
    file: ScenarioInput,
    axes: Vec<Axis>,
    grid: Grid,
    id: SweepId,
}

impl Plan {
    fn new(catalog: &Catalog, args: &SweepArgs) -> Result<Self> {
        let defaults = catalog.simulation_defaults();
        let file = ScenarioInput::read(args.scenario.as_deref())?;
        let given = |id: &str| args.flags.iter().find(|f| f.id == id);
        // Pattern and balancer always are parameters, so that each line holds one result.
        let pattern_names = match given("pattern") {
            Some(flag) => values(flag)?,
            None => file.pattern.clone().map_or(vec!["all".into()], |n| n.0),
        };
        let balancer_names = match given("balancer") {
            Some(flag) => values(flag)?,
            None => file.balancer.clone().map_or(vec!["all".into()], |n| n.0),
        };
        let mut axes = vec![
            axis(
                "pattern",
                "pattern",
                pattern_ids(&defaults, &pattern_names)?,
            ),
            axis(
                "balancer",
                "balancer",
                resolve_balancers(&balancer_names)?
                    .into_iter()
                    .map(|b| b.id().to_string())
                    .collect(),
            ),
        ];
        for flag in args
            .flags
            .iter()
            .filter(|f| f.id != "pattern" && f.id != "balancer")
        {
            if flag.repeatable {
                for (k, text) in flag.occurrences.iter().enumerate() {
                    let name = match k {
                        0 => flag.id.clone(),
                        k => format!("{}_{}", flag.id, k + 1),
                    };
                    axes.push(axis(
                        &flag.id,
                        &name,
                        sweep::alternatives(text, flag.separator)?,
                    ));
                }
            } else {
                axes.push(axis(&flag.id, &flag.id, values(flag)?));
            }
        }
        // Two values are one point when simulate reads them alike (30 and 30s, 2s@99% and
        // 2000ms@99%, exp:1 and exponential:1.0, Round-Robin and round_robin).
        let flags: Vec<(&str, &str)> = axes
            .iter()
            .map(|a| (a.dimension.name.as_str(), a.flag.as_str()))
            .collect();
        let key = |d: &Dimension, value: &str| {
            let canonical = sweep::canonical(&d.name, value);
            let flag = flags.iter().find(|(n, _)| *n == d.name).map(|(_, f)| *f);
            match flag.map(|f| point_args([(f, canonical.as_str())])) {
                Some(Ok(args)) => format!("{:?}", args.input),
                _ => canonical,
            }
        };
        let grid = Grid::with_key(axes.iter().map(|a| a.dimension.clone()).collect(), &key)?;
        let id = SweepId {
            command: command_line(args),
            points: grid.len(),
        };
        Ok(Plan {
            defaults,
            file,
            axes,
            grid,
            id,
        })
    }

    /// The swept parameters at a point: pattern, balancer, and every axis with two values or more.
    fn parameters(&self, point: u64) -> IndexMap<String, Value> {
        self.axes
            .iter()
            .zip(self.grid.point(point))
            .filter(|(a, _)| {
                a.dimension.values.len() > 1 || matches!(a.flag.as_str(), "pattern" | "balancer")
            })
            .map(|(a, v)| (a.dimension.name.clone(), parameter_value(v)))
            .collect()
    }

    /// `point 3 (load=0.6, agents=10)`, for errors.
    fn describe(&self, point: u64) -> String {
        let params: Vec<String> = self
            .parameters(point)
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                v => format!("{k}={v}"),
            })
            .collect();
        format!("point {point} ({})", params.join(", "))
    }

    fn scenario(&self, point: u64) -> Result<Scenario> {
        let values = self.grid.point(point);
        let pairs = self
            .axes
            .iter()
            .zip(&values)
            .map(|(a, v)| (a.flag.as_str(), *v));
        let args = point_args(pairs).map_err(|e| {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            Usage(format!(
                "{}: {}",
                self.describe(point),
                first.trim_start_matches("error: ")
            ))
        })?;
        let input = self.file.clone().overlaid(args.input);
        Scenario::build(input, &self.defaults).with_context(|| self.describe(point))
    }

    /// Simulates one point: its line and the events it took.
    fn run(&self, point: u64, tick: &(dyn Fn() + Sync)) -> Result<(Line, u64)> {
        let scenario = self.scenario(point)?;
        let simulation = sim::simulate(&scenario, tick).with_context(|| self.describe(point))?;
        let result = json!(simulation.results[0]);
        let line = Line::new(self.id.clone(), point, self.parameters(point), result);
        Ok((line, simulation.events()))
    }
}

fn axis(flag: &str, name: &str, values: Vec<String>) -> Axis {
    Axis {
        flag: flag.to_string(),
        dimension: Dimension {
            name: name.to_string(),
            values,
        },
    }
}

/// Every alternative of every occurrence of a flag that is not repeatable.
fn values(flag: &SweptFlag) -> Result<Vec<String>, SweepError> {
    let mut out = Vec::new();
    for text in &flag.occurrences {
        out.extend(sweep::alternatives(text, flag.separator)?);
    }
    Ok(out)
}

/// The sweep's flags in canonical order, without shard and output options: what makes two
/// shards parts of the same sweep.
fn command_line(args: &SweepArgs) -> String {
    let mut words = vec!["jaegis".to_string(), "sweep".to_string()];
    if let Some(path) = &args.scenario {
        words.push("--scenario".into());
        words.push(quoted(&path.display().to_string()));
    }
    for flag in &args.flags {
        for text in &flag.occurrences {
            words.push(format!("--{}", flag.long));
            words.push(quoted(text));
        }
    }
    words.join(" ")
}

/// A shell word: as is when safe, else in single quotes.
fn quoted(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-.,:;+@=/%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

pub fn run(catalog: &Catalog, args: SweepArgs, output: &Output) -> Result<()> {
    let plan = Plan::new(catalog, &args)?;
    let points: Vec<u64> = (0..plan.grid.len())
        .filter(|&p| args.shard.is_none_or(|s| s.contains(p)))
        .collect();
    // Every point is built before any runs, so a bad combination fails at once.
    let mut replications = 0;
    for &point in &points {
        replications += u64::from(plan.scenario(point)?.replications);
    }
    if let Some(path) = &args.plot {
        if args.shard.is_some() {
            return Err(Usage(
                "--plot draws a whole sweep, not a shard: merge the shards' lines with `jaegis merge FILES --plot FILE.svg`".into(),
            )
            .into());
        }
        check_chart_path(path)?;
        let params: Vec<_> = points.iter().map(|&p| plan.parameters(p)).collect();
        report::plot::sweep_axis(&params.iter().collect::<Vec<_>>())
            .map_err(|e| Usage(format!("--plot: {e}")))?;
    }
    let format = output.format_or(Format::Table);
    let progress = Progress::new(replications, "replications");
    let start = Instant::now();
    let mut lines = Vec::new();
    let mut events = 0;
    // Points run in parallel a small window at a time (four per thread) and are written in
    // point order as each window completes: memory stays within one window whatever the
    // sweep's size, a closed stdout (`| head -1`) stops the sweep at the window's end, and
    // a window waits for its slowest point only.
    let window = (4 * rayon::current_num_threads()).max(16);
    let mut stream = (format == Format::Jsonl).then(|| BufWriter::new(io::stdout().lock()));
    let outcome: Result<()> = points.chunks(window).try_for_each(|chunk| {
        let results: Vec<_> = chunk
            .par_iter()
            .map(|&point| plan.run(point, &|| progress.tick()))
            .collect();
        for result in results {
            let (line, n) = result?;
            events += n;
            if let Some(out) = &mut stream {
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
            }
            // Streamed lines are kept only for a chart.
            if stream.is_none() || args.plot.is_some() {
                lines.push(line);
            }
        }
        if let Some(out) = &mut stream {
            out.flush()?;
        }
        Ok(())
    });
    progress.finish();
    outcome?;
    if args.stats {
        eprintln!("{}", stats::line(events, start.elapsed()));
    }
    if format != Format::Jsonl {
        output.emit(&report::sweep(&lines), Format::Table)?;
    }
    match &args.plot {
        Some(path) => write_chart(path, report::plot::sweep(&lines)),
        None => Ok(()),
    }
}

pub fn merge(files: &[PathBuf], plot: Option<&Path>, output: &Output) -> Result<()> {
    let mut lines = Vec::new();
    for path in files {
        let name = path.display().to_string();
        if path == Path::new("-") {
            read_lines(io::stdin().lock(), "stdin", &mut lines)?;
        } else {
            let file =
                std::fs::File::open(path).map_err(|e| Usage(format!("cannot read {name}: {e}")))?;
            read_lines(io::BufReader::new(file), &name, &mut lines)?;
        }
    }
    let lines = sweep::merge(lines)?;
    if let Some(path) = plot {
        check_chart_path(path)?;
        let params: Vec<_> = lines.iter().map(|l| &l.parameters).collect();
        report::plot::sweep_axis(&params).map_err(|e| Usage(format!("--plot: {e}")))?;
    }
    output.emit(&report::sweep(&lines), Format::Table)?;
    match plot {
        Some(path) => write_chart(path, report::plot::sweep(&lines)),
        None => Ok(()),
    }
}

/// Parses a file of sweep lines, naming the line and field of any error.
fn read_lines(mut reader: impl BufRead, name: &str, out: &mut Vec<(String, Line)>) -> Result<()> {
    let limit = jaegis::file::MAX_LINE_BYTES;
    for number in 0.. {
        let text = match jaegis::file::read_line(&mut reader, limit, "sweep line") {
            Ok(Some(text)) => text,
            Ok(None) => break,
            Err(e) => return Err(Usage(format!("cannot read {name}:{}: {e}", number + 1)).into()),
        };
        if text.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(&text);
        let line: Line = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { format!("{path}: ") };
            SweepError(format!(
                "{name}:{}: not a sweep line ({field}{}); merge reads what `sweep --format jsonl` writes",
                number + 1,
                e.inner()
            ))
        })?;
        out.push((name.to_string(), line));
    }
    Ok(())
}
