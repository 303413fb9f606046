//! Real traffic traces: a team's own request log (CSV or JSON Lines, gzipped or not), read
//! into columns, described (rates, burstiness, quantiles) and fitted to the simulator's
//! distributions, and resampled as an endless arrival stream for replay.
//!
//! `docs/traces.md` gives the formats, the column names, the errors and every method.

mod bootstrap;
mod columns;
mod fit;
mod read;
mod summary;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::distribution::notation_serde;

pub use self::bootstrap::Bootstrap;
pub use self::columns::{ColumnSpec, Role};
pub use self::fit::{
    ArrivalFit, Candidate, ServiceFit, draws, fit_arrivals, fit_service, ks_two_sample,
    mmpp_dispersion, poisson_band,
};
pub use self::read::{MAX_KINDS, MAX_ROWS, ReadOptions, read, read_from};
pub use self::summary::{ColumnStats, Dispersion, RateSeries, Summary};

/// Bad input in a trace, where it is: `path:line: column: reason`. The binary maps it to
/// exit code 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct TraceError {
    pub path: String,
    /// 1-based line in the file (the header is line 1), when the error has one.
    pub line: Option<u64>,
    /// The column as the file names it, or the role when no column was found.
    pub column: Option<String>,
    pub reason: String,
}

impl TraceError {
    /// An error of the file, or of one of its lines, with no column to name.
    pub fn at(path: &str, line: Option<u64>, reason: impl Into<String>) -> TraceError {
        TraceError {
            path: path.to_string(),
            line,
            column: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ": {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// `--trace-window FROM+DURATION`: seconds from the first request, as a spike's
/// `START+DURATION` without its factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: f64,
    pub duration: f64,
}

impl std::str::FromStr for Window {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("expected FROM+DURATION in seconds such as 600+300, got '{s}'");
        let (from, duration) = s.trim().split_once('+').ok_or_else(err)?;
        let parse = |x: &str| x.trim().parse::<f64>().map_err(|_| err());
        let (from, duration) = (parse(from)?, parse(duration)?);
        if !(from >= 0.0 && from.is_finite() && duration > 0.0 && duration.is_finite()) {
            return Err(format!(
                "FROM must be 0 or more and DURATION above 0, got '{s}'"
            ));
        }
        Ok(Window { from, duration })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.from, self.duration)
    }
}

notation_serde!(Window);

/// How the file was written, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
}

/// Request kinds as small indices: a trace of millions of rows keeps two bytes a row, not
/// a string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kinds {
    /// Names in order of first appearance in the file.
    pub names: Vec<String>,
    /// Each row's index into `names`.
    pub rows: Vec<u16>,
}

/// A trace in memory: one vector per column present, all in arrival order, so a million
/// requests with two token columns take 16 MB.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub path: String,
    pub format: Format,
    pub gzip: bool,
    /// The header of each column used, by role, in [`Role::ALL`] order.
    pub columns: Vec<(Role, String)>,
    /// Seconds from the first request, sorted.
    pub times: Vec<f64>,
    /// Seconds of work per request.
    pub work: Option<Vec<f64>>,
    pub tokens_in: Option<Vec<u32>>,
    pub tokens_out: Option<Vec<u32>>,
    /// Observed end-to-end latency in seconds: for calibration, not the work.
    pub latency: Option<Vec<f64>>,
    pub kinds: Option<Kinds>,
    /// The first request's time as the file writes it (after a window, with its offset).
    pub start: Option<String>,
    /// Bad rows skipped with `skip_bad`, and the first few of their errors.
    pub skipped: u64,
    pub skipped_errors: Vec<TraceError>,
}

impl Trace {
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Seconds from the first request to the last.
    pub fn duration(&self) -> f64 {
        self.times.last().copied().unwrap_or(0.0)
    }

    /// Requests per second: the n - 1 gaps over the time they span, which is unbiased for
    /// a Poisson process (n / duration would count the first request's gap, which the trace
    /// does not have). None when all requests share one instant.
    pub fn mean_rate(&self) -> Option<f64> {
        let d = self.duration();
        (d > 0.0).then(|| (self.len() - 1) as f64 / d)
    }

    /// The requests with `from <= t < from + duration`, re-based so the first of them is at 0:
    /// to study or replay one busy stretch of a long log.
    pub fn window(&self, from: f64, duration: f64) -> Result<Trace, TraceError> {
        let lo = self.times.partition_point(|&t| t < from);
        let hi = self.times.partition_point(|&t| t < from + duration);
        if lo >= hi {
            return Err(TraceError {
                path: self.path.clone(),
                line: None,
                column: None,
                reason: format!(
                    "no request in the window {from}+{duration} (the trace spans 0 to {} s)",
                    crate::number::round_sig(self.duration())
                ),
            });
        }
        let base = self.times[lo];
        let range = lo..hi;
        Ok(Trace {
            path: self.path.clone(),
            format: self.format,
            gzip: self.gzip,
            columns: self.columns.clone(),
            times: self.times[range.clone()].iter().map(|t| t - base).collect(),
            work: self.work.as_ref().map(|v| v[range.clone()].to_vec()),
            tokens_in: self.tokens_in.as_ref().map(|v| v[range.clone()].to_vec()),
            tokens_out: self.tokens_out.as_ref().map(|v| v[range.clone()].to_vec()),
            latency: self.latency.as_ref().map(|v| v[range.clone()].to_vec()),
            kinds: self.kinds.as_ref().map(|k| Kinds {
                names: k.names.clone(),
                rows: k.rows[range.clone()].to_vec(),
            }),
            start: self.start.as_ref().map(|s| {
                if base > 0.0 {
                    format!("{s} + {} s", crate::number::round_sig(base))
                } else {
                    s.clone()
                }
            }),
            skipped: self.skipped,
            skipped_errors: self.skipped_errors.clone(),
        })
    }

    /// The header of the column used for `role`, if the trace has it.
    pub fn header(&self, role: Role) -> Option<&str> {
        self.columns
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, h)| h.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(times: &[f64]) -> Trace {
        Trace {
            path: "t.csv".into(),
            format: Format::Csv,
            gzip: false,
            columns: vec![(Role::Time, "time".into()), (Role::Work, "work".into())],
            times: times.to_vec(),
            work: Some(times.iter().map(|t| t + 100.0).collect()),
            tokens_in: None,
            tokens_out: None,
            latency: None,
            kinds: None,
            start: Some("0".into()),
            skipped: 0,
            skipped_errors: Vec::new(),
        }
    }

    #[test]
    fn errors_say_where() {
        let mut e = TraceError {
            path: "a.csv".into(),
            line: Some(3),
            column: Some("work".into()),
            reason: "not a number".into(),
        };
        assert_eq!(e.to_string(), "a.csv:3: work: not a number");
        e.column = None;
        assert_eq!(e.to_string(), "a.csv:3: not a number");
        e.line = None;
        assert_eq!(e.to_string(), "a.csv: not a number");
    }

    #[test]
    fn windows_parse_as_spikes_do() {
        let w: Window = "600+300".parse().unwrap();
        assert_eq!((w.from, w.duration), (600.0, 300.0));
        assert_eq!(w.to_string(), "600+300");
        assert!("600".parse::<Window>().is_err());
        assert!("10+0".parse::<Window>().unwrap_err().contains("above 0"));
        assert!("-1+5".parse::<Window>().is_err());
    }

    #[test]
    fn a_window_keeps_its_rows_and_starts_at_zero() {
        let t = trace(&[0.0, 1.0, 2.0, 2.0, 5.0, 9.0]);
        assert_eq!(t.duration(), 9.0);
        assert_eq!(t.mean_rate(), Some(5.0 / 9.0));
        let w = t.window(1.5, 4.0).unwrap();
        assert_eq!(w.times, [0.0, 0.0, 3.0]);
        assert_eq!(w.work.unwrap(), [102.0, 102.0, 105.0]);
        assert_eq!(w.start.as_deref(), Some("0 + 2 s"));
        let err = t.window(10.0, 5.0).unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv: no request in the window 10+5"),
            "{err}"
        );
        assert_eq!(trace(&[0.0]).mean_rate(), None);
    }
}
