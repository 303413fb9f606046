//! Requests from a trace (`--trace`): replayed as they came, resampled (bootstrap), or
//! summarised into the synthetic workload that fits them. The trace's arrival times, work
//! and tokens take the place of the drawn ones; every pattern sees the same requests.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Kinds, ScenarioError, ScenarioInput, invalid};
use crate::sim::distribution::{Arrivals, Service, notation_serde};
use crate::trace::{Bootstrap, ColumnSpec, ReadOptions, Summary, Trace, TraceError, Window};

/// How a trace drives the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceMode {
    /// The exact arrivals and work, once (replications repeat them).
    #[default]
    Replay,
    /// Whole requests resampled with replacement, arrival gaps in blocks.
    Bootstrap,
    /// The synthetic workload fitted to the trace.
    Fit,
}

impl FromStr for TraceMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "replay" => Ok(TraceMode::Replay),
            "bootstrap" => Ok(TraceMode::Bootstrap),
            "fit" => Ok(TraceMode::Fit),
            other => Err(format!(
                "unknown trace mode '{other}'; expected replay, bootstrap or fit"
            )),
        }
    }
}

impl fmt::Display for TraceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceMode::Replay => "replay",
            TraceMode::Bootstrap => "bootstrap",
            TraceMode::Fit => "fit",
        })
    }
}

notation_serde!(TraceMode);

/// A trace the engine takes its requests from.
#[derive(Debug, Clone)]
pub struct Replay {
    pub trace: Arc<Trace>,
    pub mode: TraceMode,
    /// Time runs this many times faster: a factor of 2 is twice the traffic.
    pub rate_scale: f64,
    /// `--tasks` as given, when it asked a replay for more requests than the trace holds.
    pub tasks_beyond: Option<u64>,
}

impl PartialEq for Replay {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.trace, &other.trace)
            && self.mode == other.mode
            && self.rate_scale == other.rate_scale
            && self.tasks_beyond == other.tasks_beyond
    }
}

impl Serialize for Replay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Replay", 6)?;
        st.serialize_field("path", &self.trace.path)?;
        st.serialize_field("skipped", &self.trace.skipped)?;
        st.serialize_field("mode", &self.mode.to_string())?;
        st.serialize_field("requests", &self.trace.len())?;
        st.serialize_field("duration", &(self.trace.duration() / self.rate_scale))?;
        st.serialize_field("rate_scale", &self.rate_scale)?;
        st.end()
    }
}

/// Where the next request comes from, in one replication.
pub(crate) enum ReplayClock {
    /// The trace's rows in order.
    Cursor {
        next: usize,
    },
    Bootstrap(Box<Bootstrap>),
}

impl ReplayClock {
    pub fn new(replay: &Replay, seed: u64) -> ReplayClock {
        match replay.mode {
            TraceMode::Bootstrap => ReplayClock::Bootstrap(Box::new(
                Bootstrap::new(&replay.trace, seed).expect("a trace of requests resamples"),
            )),
            _ => ReplayClock::Cursor { next: 0 },
        }
    }

    /// The next request's arrival time and row, or None when a replay is over.
    #[inline]
    pub fn next(&mut self, replay: &Replay) -> Option<(f64, u32)> {
        let (time, row) = match self {
            ReplayClock::Cursor { next } => {
                let row = *next;
                *next += 1;
                (*replay.trace.times.get(row)?, row as u32)
            }
            ReplayClock::Bootstrap(b) => b.next_arrival(),
        };
        Some((time / replay.rate_scale, row))
    }
}

/// Traces read in this process, by path and reading options: a plan or a sweep builds many
/// scenarios from one trace, and reads it once.
fn read_cached(path: &Path, options: &ReadOptions) -> Result<Arc<Trace>, TraceError> {
    type Cache = Mutex<HashMap<(PathBuf, String, bool), Arc<Trace>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (
        path.to_path_buf(),
        options.columns.to_string(),
        options.skip_bad,
    );
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().expect("the cache is not poisoned").get(&key) {
        return Ok(Arc::clone(t));
    }
    let trace = Arc::new(crate::trace::read(path, options)?);
    cache
        .lock()
        .expect("the cache is not poisoned")
        .insert(key, Arc::clone(&trace));
    Ok(trace)
}

/// Reads the input's trace, if any, and lays what it says over the input: for replay and
/// bootstrap, the rate, the requests and a work distribution of the trace's moments for the
/// analytic checks (the engine takes the requests from the trace itself); for fit, the
/// fitted workload, as flags would give it. Returns the input and the trace to replay.
pub fn prepare(mut input: ScenarioInput) -> Result<(ScenarioInput, Option<Replay>), ScenarioError> {
    let Some(path) = input.trace.clone() else {
        for (given, flag) in [
            (input.trace_mode.is_some(), "--trace-mode"),
            (input.trace_columns.is_some(), "--trace-columns"),
            (input.trace_window.is_some(), "--trace-window"),
            (input.rate_scale.is_some(), "--rate-scale"),
            (input.trace_skip_bad.is_some(), "--trace-skip-bad"),
        ] {
            if given {
                return Err(invalid(flag, "applies to a trace: give --trace FILE"));
            }
        }
        return Ok((input, None));
    };
    let options = ReadOptions {
        columns: input
            .trace_columns
            .clone()
            .unwrap_or(ColumnSpec(Vec::new())),
        skip_bad: input.trace_skip_bad.unwrap_or(false),
    };
    let mut trace = read_cached(&path, &options).map_err(ScenarioError::Trace)?;
    if let Some(Window { from, duration }) = input.trace_window {
        trace = Arc::new(trace.window(from, duration).map_err(ScenarioError::Trace)?);
    }
    let mode = input.trace_mode.unwrap_or_default();
    let Some(rate) = trace.mean_rate() else {
        return Err(invalid(
            "--trace",
            "every request of the trace arrives at one instant: it has no rate to replay",
        ));
    };
    // A rate given with a trace is the rate to replay it at: its time runs that much faster.
    let rate_scale = match (input.rate, input.rate_scale) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "--rate-scale",
                "give --rate (the trace replayed at that rate) or --rate-scale, not both",
            ));
        }
        (Some(r), None) => r / rate,
        (None, scale) => scale.unwrap_or(1.0),
    };
    if !(rate_scale.is_finite() && (1e-3..=1e3).contains(&rate_scale)) {
        return Err(invalid(
            "--rate-scale",
            format!("expected a factor from 0.001 to 1000, got {rate_scale}"),
        ));
    }
    for (given, flag) in [
        (input.load.is_some(), "--load"),
        (input.arrivals.is_some(), "--arrivals"),
    ] {
        if given {
            return Err(invalid(
                flag,
                "the trace gives the arrivals: leave it out, or scale them with --rate or --rate-scale",
            ));
        }
    }
    let has_tokens = trace.tokens_in.is_some() || trace.tokens_out.is_some();
    if trace.work.is_none() && has_tokens && input.llm_latency.is_none() {
        return Err(invalid(
            "--trace",
            "the trace has tokens but no work column: give --llm-latency to make each request's work from its tokens",
        ));
    }
    if trace.work.is_some() && input.llm_latency.is_some() {
        return Err(invalid(
            "--llm-latency",
            "the trace has a work column: its work is used, so leave --llm-latency out",
        ));
    }
    input.rate = Some(rate * rate_scale);
    // The trace's kinds are the scenario's: named by --kinds, or taken with their shares.
    if let Some(k) = &trace.kinds {
        match &input.kinds {
            Some(given) => {
                if let Some(name) = k
                    .names
                    .iter()
                    .find(|n| !given.0.iter().any(|(g, _)| g == *n))
                {
                    return Err(invalid(
                        "--kinds",
                        format!("the trace's kind '{name}' is not among the kinds given"),
                    ));
                }
            }
            None => {
                let mut counts = vec![0.0; k.names.len()];
                for &r in &k.rows {
                    counts[usize::from(r)] += 1.0;
                }
                input.kinds = Some(Kinds(k.names.iter().cloned().zip(counts).collect()));
            }
        }
    }
    if mode == TraceMode::Fit {
        let summary = Summary::of(&trace);
        input.arrivals = Some(summary.arrivals.process.clone());
        let fitted = |name: &str| summary.fits.get(name).map(|f| f.service.clone());
        if trace.work.is_some() {
            input.service = fitted("work");
        }
        input.tokens_in = fitted("tokens_in").or(input.tokens_in);
        input.tokens_out = fitted("tokens_out").or(input.tokens_out);
        return Ok((input, None));
    }
    // The analytic checks see the trace's moments; the engine sees its requests.
    input.arrivals = Some(Arrivals::Poisson);
    if let Some(work) = &trace.work {
        input.service = Some(moments(work.iter().copied()));
    }
    if let Some(t) = &trace.tokens_in {
        input.tokens_in = Some(moments(t.iter().map(|&x| f64::from(x))));
    }
    if let Some(t) = &trace.tokens_out {
        input.tokens_out = Some(moments(t.iter().map(|&x| f64::from(x))));
    }
    let mut tasks_beyond = None;
    if mode == TraceMode::Replay {
        if input.duration.is_some() {
            return Err(invalid(
                "--duration",
                "a replay runs the trace's requests: give --tasks N for its first N, or choose them with --trace-window",
            ));
        }
        // --tasks N replays the first N requests, at most the trace's.
        let len = trace.len() as u64;
        tasks_beyond = input.tasks.filter(|&n| n > len);
        input.tasks = Some(input.tasks.map_or(len, |n| n.min(len)));
    }
    Ok((
        input,
        Some(Replay {
            trace,
            mode,
            rate_scale,
            tasks_beyond,
        }),
    ))
}

/// A lognormal of the values' mean and CV (constant when they do not vary): what the load and
/// the lint rules read.
fn moments(values: impl Iterator<Item = f64>) -> Service {
    let (mut n, mut sum, mut sq) = (0.0, 0.0, 0.0);
    for x in values {
        n += 1.0;
        sum += x;
        sq += x * x;
    }
    let mean = (sum / n).max(1e-9);
    let cv = ((sq / n - mean * mean).max(0.0)).sqrt() / mean;
    if cv > 1e-6 {
        Service::LogNormal { mean, cv }
    } else {
        Service::Deterministic { mean }
    }
}
