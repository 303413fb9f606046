use anyhow::Result;

use jaegis::report::{self, Format};
use jaegis::trace::{self, ReadOptions, Summary};

use super::{Output, check_chart_path, write_chart};
use crate::cli::TraceArgs;

pub fn run(args: TraceArgs, output: &Output) -> Result<()> {
    if let Some(path) = &args.plot {
        check_chart_path(path)?;
    }
    let options = ReadOptions {
        columns: args.trace_columns.unwrap_or_default(),
        skip_bad: args.trace_skip_bad,
    };
    let mut trace = trace::read(&args.file, &options)?;
    if let Some(w) = args.trace_window {
        trace = trace.window(w.from, w.duration)?;
    }
    let summary = Summary::of(&trace);
    output.emit(&report::trace(&summary), Format::Table)?;
    match &args.plot {
        Some(path) => write_chart(path, report::plot::trace(&trace, &summary)),
        None => Ok(()),
    }
}
