//! Reading a trace: streaming, one row at a time into the columns, with every bad cell
//! reported where it is. The format is told by the content (a gzip magic number, a `{`),
//! never by the file name, since logs are renamed and piped.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::Offset;

use super::columns::{Column, ColumnSpec, Role, resolve};
use super::{Format, Kinds, Trace, TraceError};

/// Ten million rows take about 200 MB with every column; beyond, a log should be cut with
/// a window before it is read.
pub const MAX_ROWS: usize = 10_000_000;
/// Kinds are for a handful of request classes; more is an id column mapped by mistake.
pub const MAX_KINDS: usize = 64;
/// Errors of skipped rows kept to show the user.
const KEPT_ERRORS: usize = 5;

/// How to read a trace.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Columns named by the user; the others are found by header name.
    pub columns: ColumnSpec,
    /// Skip bad rows (counted, the first few errors kept) instead of failing on the first.
    pub skip_bad: bool,
}

/// Reads the trace at `path`.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Trace, TraceError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| TraceError {
        path: name.clone(),
        line: None,
        column: None,
        reason: format!("cannot open: {e}"),
    })?;
    read_from(file, &name, options)
}

/// Reads a trace from any source; `path` is what its errors say.
pub fn read_from<R: Read>(
    source: R,
    path: &str,
    options: &ReadOptions,
) -> Result<Trace, TraceError> {
    let fail = |line: Option<u64>, reason: String| TraceError::at(path, line, reason);
    let io = |e: std::io::Error| fail(None, format!("cannot read: {e}"));
    let mut raw = BufReader::with_capacity(1 << 16, source);
    let gzip = raw.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let mut trace = if gzip {
        let unzipped = BufReader::with_capacity(1 << 16, MultiGzDecoder::new(raw));
        parse(unzipped, path, options)?
    } else {
        parse(raw, path, options)?
    };
    trace.gzip = gzip;
    Ok(trace)
}

/// Reads the (decompressed) content, CSV or JSON Lines by its first character.
fn parse<B: BufRead>(mut input: B, path: &str, options: &ReadOptions) -> Result<Trace, TraceError> {
    let fail = |line: Option<u64>, reason: String| TraceError::at(path, line, reason);
    let io = |e: std::io::Error| fail(None, format!("cannot read: {e}"));
    let head = input.fill_buf().map_err(io)?;
    if head.is_empty() {
        return Err(fail(None, "empty file".into()));
    }
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    let format = if first == Some(&b'{') {
        Format::Jsonl
    } else {
        Format::Csv
    };
    match format {
        Format::Csv => read_csv(input, path, options),
        Format::Jsonl => read_jsonl(input, path, options),
    }
}

/// One cell as the file gives it: text (CSV, JSON strings) or a JSON number.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    Number(f64),
}

/// How the file writes its times; one file uses one.
#[derive(Clone, Copy, PartialEq)]
enum Clock {
    /// Seconds (or milliseconds) as numbers.
    Numeric,
    /// ISO 8601, held as seconds after the first row's instant, kept exact in whole seconds
    /// and nanoseconds so epoch values lose no precision in an f64.
    Iso { second: i64, nano: i32 },
}

/// The columns as they fill, and what is known of the rows so far.
struct Builder {
    path: String,
    columns: Vec<Column>,
    skip_bad: bool,
    clock: Option<Clock>,
    times: Vec<f64>,
    work: Option<Vec<f64>>,
    tokens_in: Option<Vec<u32>>,
    tokens_out: Option<Vec<u32>>,
    latency: Option<Vec<f64>>,
    kinds: Option<Kinds>,
    /// The earliest time so far, and how the file wrote it.
    earliest: f64,
    start: Option<String>,
    sorted: bool,
    skipped: u64,
    skipped_errors: Vec<TraceError>,
}

/// Why a row is bad: its column (filled in by the caller), the reason, and whether the
/// whole read must stop (a limit), skip_bad or not.
type RowError = (Option<String>, String, bool);

/// One row's values, checked before any is pushed, so a bad row leaves no trace.
struct Row {
    time: f64,
    work: f64,
    tokens_in: u32,
    tokens_out: u32,
    latency: f64,
    kind: u16,
}

impl Builder {
    fn new(path: &str, columns: Vec<Column>, skip_bad: bool) -> Self {
        let has = |r: Role| columns.iter().any(|c| c.role == r);
        Builder {
            path: path.to_string(),
            skip_bad,
            clock: None,
            times: Vec::new(),
            work: has(Role::Work).then(Vec::new),
            tokens_in: has(Role::TokensIn).then(Vec::new),
            tokens_out: has(Role::TokensOut).then(Vec::new),
            latency: has(Role::Latency).then(Vec::new),
            kinds: has(Role::Kind).then(Kinds::default),
            earliest: f64::INFINITY,
            start: None,
            sorted: true,
            skipped: 0,
            skipped_errors: Vec::new(),
            columns,
        }
    }

    fn error(&self, line: u64, column: Option<&str>, reason: impl Into<String>) -> TraceError {
        TraceError {
            path: self.path.clone(),
            line: Some(line),
            column: column.map(String::from),
            reason: reason.into(),
        }
    }

    /// A bad row: the error, or with `skip_bad` counted and the first few kept.
    fn bad(&mut self, error: TraceError) -> Result<(), TraceError> {
        if !self.skip_bad {
            return Err(error);
        }
        self.skipped += 1;
        if self.skipped_errors.len() < KEPT_ERRORS {
            self.skipped_errors.push(error);
        }
        Ok(())
    }

    /// Adds the row at `line` whose cells `cell` gives by column; a bad row is an error
    /// (or skipped). An error that concerns the whole file stops the read even with
    /// `skip_bad`.
    fn add<'a>(
        &mut self,
        line: u64,
        cell: impl Fn(&Column) -> Result<Cell<'a>, String>,
    ) -> Result<(), TraceError> {
        if self.times.len() >= MAX_ROWS {
            return Err(self.error(
                line,
                None,
                format!(
                    "more than {MAX_ROWS} rows, the limit (a row takes up to 22 bytes of memory); cut the log, or read a part with --trace-window"
                ),
            ));
        }
        match self.row(&cell) {
            Ok(row) => {
                self.push(row, &cell);
                Ok(())
            }
            Err((column, reason, fatal)) => {
                let error = self.error(line, column.as_deref(), reason);
                if fatal { Err(error) } else { self.bad(error) }
            }
        }
    }

    fn row<'a>(
        &mut self,
        cell: &impl Fn(&Column) -> Result<Cell<'a>, String>,
    ) -> Result<Row, RowError> {
        let mut row = Row {
            time: 0.0,
            work: 0.0,
            tokens_in: 0,
            tokens_out: 0,
            latency: 0.0,
            kind: 0,
        };
        for i in 0..self.columns.len() {
            let (role, scale) = (self.columns[i].role, self.columns[i].scale);
            let header = |s: &Self| Some(s.columns[i].header.clone());
            let value = cell(&self.columns[i]).map_err(|r| (header(self), r, false))?;
            let at = |reason: String| (None, reason, false);
            let located = |s: &Self, e: RowError| (header(s), e.1, e.2);
            let checked = match role {
                Role::Time => self.time(value, scale).map(|t| row.time = t).map_err(at),
                Role::Work => amount(value, scale).map(|x| row.work = x).map_err(at),
                Role::Latency => amount(value, scale).map(|x| row.latency = x).map_err(at),
                Role::TokensIn => tokens(value).map(|x| row.tokens_in = x).map_err(at),
                Role::TokensOut => tokens(value).map(|x| row.tokens_out = x).map_err(at),
                Role::Kind => self.kind(value).map(|k| row.kind = k),
            };
            checked.map_err(|e| located(self, e))?;
        }
        Ok(row)
    }

    /// A kind's index, the name added if new; a kind past the limit stops the read.
    fn kind(&mut self, value: Cell) -> Result<u16, RowError> {
        let number;
        let name = match value {
            Cell::Text(s) => s.trim(),
            Cell::Number(x) => {
                number = x.to_string();
                number.as_str()
            }
        };
        let kinds = self.kinds.as_mut().expect("a kind column has kinds");
        match kinds.names.iter().position(|n| n == name) {
            Some(k) => Ok(k as u16),
            None if kinds.names.len() < MAX_KINDS => {
                kinds.names.push(name.to_string());
                Ok((kinds.names.len() - 1) as u16)
            }
            None => Err((
                None,
                format!(
                    "a {}th distinct kind '{name}': at most {MAX_KINDS} kinds (is this an id column?)",
                    MAX_KINDS + 1
                ),
                true,
            )),
        }
    }

    fn push<'a>(&mut self, row: Row, cell: &impl Fn(&Column) -> Result<Cell<'a>, String>) {
        if row.time < self.earliest {
            self.earliest = row.time;
            let column = self
                .columns
                .iter()
                .find(|c| c.role == Role::Time)
                .expect("a trace has a time column");
            self.start = Some(match cell(column) {
                Ok(Cell::Text(s)) => s.trim().to_string(),
                Ok(Cell::Number(x)) => x.to_string(),
                Err(_) => String::new(),
            });
        }
        if self.times.last().is_some_and(|&t| row.time < t) {
            self.sorted = false;
        }
        self.times.push(row.time);
        if let Some(v) = &mut self.work {
            v.push(row.work);
        }
        if let Some(v) = &mut self.tokens_in {
            v.push(row.tokens_in);
        }
        if let Some(v) = &mut self.tokens_out {
            v.push(row.tokens_out);
        }
        if let Some(v) = &mut self.latency {
            v.push(row.latency);
        }
        if let Some(k) = &mut self.kinds {
            k.rows.push(row.kind);
        }
    }

    /// Seconds of a time cell, after the file's first instant for ISO date-times.
    fn time(&mut self, value: Cell, scale: f64) -> Result<f64, String> {
        let number = match value {
            Cell::Number(x) => Some(x),
            Cell::Text(s) => s.trim().parse::<f64>().ok(),
        };
        let clock = match number {
            Some(x) if !x.is_finite() => return Err(format!("time {x} is not a finite number")),
            Some(x) => {
                self.same_clock(Clock::Numeric)?;
                return Ok(x * scale);
            }
            None => {
                let Cell::Text(text) = value else {
                    unreachable!("a number cell is numeric")
                };
                iso(text.trim())?
            }
        };
        let (second, nano) = match clock {
            Clock::Iso { second, nano } => (second, nano),
            Clock::Numeric => unreachable!("iso gives an instant"),
        };
        match self.clock {
            Some(Clock::Iso {
                second: s0,
                nano: n0,
            }) => Ok((second - s0) as f64 + f64::from(nano - n0) * 1e-9),
            _ => {
                self.same_clock(clock)?;
                self.clock = Some(clock);
                Ok(0.0)
            }
        }
    }

    /// Refuses a time written the other way from the rows before it.
    fn same_clock(&mut self, clock: Clock) -> Result<(), String> {
        match (self.clock, clock) {
            (None, Clock::Numeric) => {
                self.clock = Some(Clock::Numeric);
                Ok(())
            }
            (None, _) => Ok(()),
            (Some(Clock::Numeric), Clock::Numeric) | (Some(Clock::Iso { .. }), Clock::Iso { .. }) => Ok(()),
            (Some(Clock::Numeric), _) => Err(
                "an ISO 8601 date-time, but the rows before have times in seconds: a file uses one or the other".into(),
            ),
            (Some(Clock::Iso { .. }), _) => Err(
                "a number of seconds, but the rows before have ISO 8601 date-times: a file uses one or the other".into(),
            ),
        }
    }

    fn finish(mut self, rows_seen: bool) -> Result<Trace, TraceError> {
        let fail = |reason: String| TraceError {
            path: self.path.clone(),
            line: None,
            column: None,
            reason,
        };
        if self.times.is_empty() {
            return Err(fail(match (rows_seen, self.skipped_errors.first()) {
                (false, _) => "no rows after the header".into(),
                (true, Some(first)) => format!(
                    "no good rows: all {} were bad (the first: {first})",
                    self.skipped
                ),
                (true, None) => "no rows".into(),
            }));
        }
        if !self.sorted {
            self.sort();
        }
        let t0 = self.times[0];
        for t in &mut self.times {
            *t -= t0;
        }
        let columns = self
            .columns
            .iter()
            .map(|c| (c.role, c.header.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        Ok(Trace {
            path: self.path,
            format: Format::Csv,
            gzip: false,
            columns,
            times: self.times,
            work: self.work,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            latency: self.latency,
            kinds: self.kinds,
            start: self.start,
            skipped: self.skipped,
            skipped_errors: self.skipped_errors,
        })
    }

    /// Puts the rows in time order, every column moved together; rows at one instant keep
    /// their order in the file.
    fn sort(&mut self) {
        let mut order: Vec<u32> = (0..self.times.len() as u32).collect();
        order.sort_by(|&a, &b| self.times[a as usize].total_cmp(&self.times[b as usize]));
        fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
            *v = order.iter().map(|&i| v[i as usize]).collect();
        }
        permute(&mut self.times, &order);
        if let Some(v) = &mut self.work {
            permute(v, &order);
        }
        if let Some(v) = &mut self.tokens_in {
            permute(v, &order);
        }
        if let Some(v) = &mut self.tokens_out {
            permute(v, &order);
        }
        if let Some(v) = &mut self.latency {
            permute(v, &order);
        }
        if let Some(k) = &mut self.kinds {
            permute(&mut k.rows, &order);
        }
    }
}

/// An ISO 8601 date-time as an instant; without an offset it is UTC.
fn iso(text: &str) -> Result<Clock, String> {
    let unreadable = || {
        format!(
            "'{text}' is neither a number of seconds nor an ISO 8601 date-time (2023-11-16T18:15:46.68Z, 2023-11-16 18:15:46+01:00)"
        )
    };
    let pieces = Pieces::parse(text).map_err(|_| unreadable())?;
    let offset = match pieces.offset() {
        Some(PiecesOffset::Numeric(n)) => n.offset(),
        Some(_) => Offset::UTC,
        None if pieces.time_zone_annotation().is_some() => {
            return Err(format!(
                "'{text}' names a time zone without an offset: give the offset (+01:00) or Z"
            ));
        }
        None => Offset::UTC,
    };
    let time = pieces.time().unwrap_or_else(jiff::civil::Time::midnight);
    let instant = offset
        .to_timestamp(pieces.date().to_datetime(time))
        .map_err(|_| unreadable())?;
    Ok(Clock::Iso {
        second: instant.as_second(),
        nano: instant.subsec_nanosecond(),
    })
}

fn number(value: Cell) -> Result<f64, String> {
    match value {
        Cell::Number(x) => Ok(x),
        Cell::Text(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Err("empty".into());
            }
            s.parse::<f64>()
                .map_err(|_| format!("'{s}' is not a number"))
        }
    }
}

/// Work or latency in seconds: finite and not negative.
fn amount(value: Cell, scale: f64) -> Result<f64, String> {
    let x = number(value)?;
    if x.is_nan() || x.is_infinite() {
        return Err(format!("{x} is not a finite number"));
    }
    if x < 0.0 {
        return Err(format!("{x} is negative"));
    }
    Ok(x * scale)
}

/// A token count: a whole number from 0 to u32::MAX.
fn tokens(value: Cell) -> Result<u32, String> {
    if let Cell::Text(s) = value
        && let Ok(n) = s.trim().parse::<u32>()
    {
        return Ok(n);
    }
    let x = number(value)?;
    if x.is_nan() || x.is_infinite() {
        return Err(format!("{x} is not a finite number"));
    }
    if x < 0.0 {
        return Err(format!("{x} tokens is negative"));
    }
    if x.fract() != 0.0 {
        return Err(format!("{x} is not a whole number of tokens"));
    }
    if x > f64::from(u32::MAX) {
        return Err(format!("{x} tokens is above the limit of {}", u32::MAX));
    }
    Ok(x as u32)
}

fn header_error(path: &str, (role, reason): (Option<Role>, String)) -> TraceError {
    TraceError {
        path: path.to_string(),
        line: Some(1),
        column: role.map(|r| r.id().to_string()),
        reason,
    }
}

fn read_csv<B: BufRead>(input: B, path: &str, options: &ReadOptions) -> Result<Trace, TraceError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let at = |line: u64, reason: String| TraceError {
        path: path.to_string(),
        line: Some(line),
        column: None,
        reason,
    };
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(e) => at(line, format!("cannot read: {e}")),
            other => at(line, format!("{other:?}")),
        }
    };
    let header = reader.byte_headers().map_err(csv_error)?.clone();
    let headers: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            std::str::from_utf8(h)
                .map(|s| s.trim().trim_start_matches('\u{feff}'))
                .map_err(|_| {
                    at(
                        1,
                        format!("the header's field {} is not valid UTF-8", i + 1),
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    if headers.iter().all(|h| h.is_empty()) {
        return Err(TraceError {
            path: path.to_string(),
            line: None,
            column: None,
            reason: "empty file: no header".into(),
        });
    }
    let columns = resolve(&headers, &options.columns).map_err(|e| header_error(path, e))?;
    let mut builder = Builder::new(path, columns, options.skip_bad);
    let mut record = csv::ByteRecord::new();
    let mut rows_seen = false;
    // The line after the last row read: where a file cut short (a truncated gzip) fails,
    // since a read error carries no position of its own.
    let mut next_line = 2;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // Malformed quoting is one bad row; the reader resumes after it.
                let error = csv_error(e);
                if error.reason.starts_with("cannot read") {
                    return Err(TraceError {
                        line: Some(next_line),
                        ..error
                    });
                }
                builder.bad(error)?;
                continue;
            }
        }
        rows_seen = true;
        let line = record.position().map_or(0, |p| p.line());
        next_line = line + 1;
        if record.len() != headers.len() {
            let error = builder.error(
                line,
                None,
                format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    headers.len()
                ),
            );
            builder.bad(error)?;
            continue;
        }
        builder.add(line, |c| {
            std::str::from_utf8(&record[c.index])
                .map(Cell::Text)
                .map_err(|_| "not valid UTF-8".to_string())
        })?;
    }
    builder.finish(rows_seen)
}

fn read_jsonl<B: BufRead>(
    mut input: B,
    path: &str,
    options: &ReadOptions,
) -> Result<Trace, TraceError> {
    let at = |line: u64, reason: String| TraceError {
        path: path.to_string(),
        line: Some(line),
        column: None,
        reason,
    };
    let mut buffer = Vec::new();
    let mut line = 0u64;
    let mut builder: Option<Builder> = None;
    let mut rows_seen = false;
    loop {
        buffer.clear();
        let n = input
            .read_until(b'\n', &mut buffer)
            .map_err(|e| at(line + 1, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        line += 1;
        let text = match std::str::from_utf8(&buffer) {
            Ok(t) => t.trim().trim_start_matches('\u{feff}'),
            Err(_) => {
                let error = at(line, "not valid UTF-8".into());
                match &mut builder {
                    Some(b) => {
                        b.bad(error)?;
                        continue;
                    }
                    None => return Err(error),
                }
            }
        };
        // Blank lines separate nothing in JSON Lines; they are not rows.
        if text.is_empty() {
            continue;
        }
        let parsed: Result<serde_json::Map<String, serde_json::Value>, String> =
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(map)) => Ok(map),
                Ok(_) => Err("not a JSON object".into()),
                Err(e) => Err(format!("not valid JSON: {e}")),
            };
        let object = match (parsed, &mut builder) {
            (Ok(o), _) => o,
            (Err(reason), Some(b)) => {
                b.bad(at(line, reason))?;
                continue;
            }
            (Err(reason), None) => return Err(at(line, reason)),
        };
        let b = match &mut builder {
            Some(b) => b,
            None => {
                // The first object's keys are the header.
                let keys: Vec<&str> = object.keys().map(String::as_str).collect();
                let columns =
                    resolve(&keys, &options.columns).map_err(|(role, reason)| TraceError {
                        path: path.to_string(),
                        line: Some(line),
                        column: role.map(|r| r.id().to_string()),
                        reason,
                    })?;
                builder.insert(Builder::new(path, columns, options.skip_bad))
            }
        };
        rows_seen = true;
        b.add(line, |c| match object.get(&c.header) {
            Some(serde_json::Value::String(s)) => Ok(Cell::Text(s)),
            Some(serde_json::Value::Number(x)) => Ok(Cell::Number(x.as_f64().unwrap_or(f64::NAN))),
            Some(other) => Err(format!("expected a number or a string, got {other}")),
            None => Err("missing from this line's object".into()),
        })?;
    }
    match builder {
        Some(b) => b.finish(rows_seen),
        None => Err(TraceError {
            path: path.to_string(),
            line: None,
            column: None,
            reason: "empty file: no JSON object".into(),
        }),
    }
    .map(|mut t| {
        t.format = Format::Jsonl;
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Trace, TraceError> {
        read_from(text.as_bytes(), "t.csv", &ReadOptions::default())
    }

    fn skipping(text: &str) -> Trace {
        let options = ReadOptions {
            skip_bad: true,
            ..ReadOptions::default()
        };
        read_from(text.as_bytes(), "t.csv", &options).unwrap()
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn iso_times_are_seconds_from_the_first_request() {
        let t = parse(
            "TIMESTAMP,ContextTokens,GeneratedTokens\n\
             2023-11-16 18:15:46.6805900,374,44\n\
             2023-11-16T18:15:50.995169Z,396,109\n\
             2023-11-16 19:15:46.680590000+01:00,10,1\n",
        )
        .unwrap();
        assert_eq!(t.times.len(), 3);
        assert_eq!(t.times[0], 0.0);
        assert_eq!(t.times[1], 0.0);
        assert!((t.times[2] - 4.314579).abs() < 1e-9, "{:?}", t.times);
        // The third row (same instant as the first, written in +01:00) sorted stably.
        assert_eq!(t.tokens_in.as_deref(), Some(&[374, 10, 396][..]));
        assert_eq!(t.tokens_out.as_deref(), Some(&[44, 1, 109][..]));
        assert_eq!(t.start.as_deref(), Some("2023-11-16 18:15:46.6805900"));
        assert!(t.work.is_none() && t.latency.is_none() && t.kinds.is_none());
    }

    #[test]
    fn numeric_times_sort_with_their_rows_and_keep_duplicates() {
        let t = parse("time,duration_ms,kind\n10,500,a\n5,250,b\n10,100,a\n7.5,0,c\n").unwrap();
        assert_eq!(t.times, [0.0, 2.5, 5.0, 5.0]);
        assert_eq!(t.work.as_deref(), Some(&[0.25, 0.0, 0.5, 0.1][..]));
        let kinds = t.kinds.unwrap();
        assert_eq!(kinds.names, ["a", "b", "c"]);
        assert_eq!(kinds.rows, [1, 2, 0, 0]);
        assert_eq!(t.start.as_deref(), Some("5"));
    }

    #[test]
    fn json_lines_are_told_by_their_content() {
        let text = "\n{\"ts\": \"2024-01-01T00:00:00Z\", \"input_tokens\": 5, \"latency_ms\": 1200}\n\
                    {\"ts\": \"2024-01-01T00:00:01.5Z\", \"input_tokens\": \"7\", \"latency_ms\": 800, \"extra\": null}\n";
        let options = ReadOptions {
            columns: "time=ts".parse().unwrap(),
            skip_bad: false,
        };
        let t = read_from(text.as_bytes(), "t.csv", &options).unwrap();
        assert_eq!(t.format, Format::Jsonl);
        assert_eq!(t.times, [0.0, 1.5]);
        assert_eq!(t.tokens_in.as_deref(), Some(&[5, 7][..]));
        assert_eq!(t.latency.as_deref(), Some(&[1.2, 0.8][..]));
        let bad = "{\"time\": 1, \"work\": 2}\n[1, 2]\n";
        assert_eq!(
            parse(bad).unwrap_err().to_string(),
            "t.csv:2: not a JSON object"
        );
        assert_eq!(
            error("{\"time\": 1, \"work\": 2}\n{\"time\": 2}\n"),
            "t.csv:2: work: missing from this line's object"
        );
    }

    #[test]
    fn gzip_is_told_by_its_magic_number() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"time,work\n0,1\n1,2\n").unwrap();
        let bytes = gz.finish().unwrap();
        let t = read_from(&bytes[..], "t.csv", &ReadOptions::default()).unwrap();
        assert!(t.gzip);
        assert_eq!(t.work.as_deref(), Some(&[1.0, 2.0][..]));
    }

    #[test]
    fn bad_cells_say_where_and_why() {
        let cases = [
            ("", "t.csv: empty file"),
            ("time,work\n", "t.csv: no rows after the header"),
            (
                "time,work\n0,1\n1,x\n",
                "t.csv:3: work: 'x' is not a number",
            ),
            ("time,work\n0,1\n1,-2\n", "t.csv:3: work: -2 is negative"),
            (
                "time,work\n0,NaN\n",
                "t.csv:2: work: NaN is not a finite number",
            ),
            (
                "time,work\n0,inf\n",
                "t.csv:2: work: inf is not a finite number",
            ),
            ("time,work\n0,\n", "t.csv:2: work: empty"),
            (
                "time,tokens_in\n0,1.5\n",
                "t.csv:2: tokens_in: 1.5 is not a whole number of tokens",
            ),
            (
                "time,tokens_in\n0,4294967296\n",
                "t.csv:2: tokens_in: 4294967296 tokens is above the limit of 4294967295",
            ),
            (
                "time,tokens_in\n0,-1\n",
                "t.csv:2: tokens_in: -1 tokens is negative",
            ),
            (
                "time,work\n0,1\n1,2,3\n",
                "t.csv:3: 3 fields, but the header has 2",
            ),
            (
                "time,work\n2024-01-01T00:00:00Z,1\n5,1\n",
                "t.csv:3: time: a number of seconds, but the rows before have ISO 8601 date-times: a file uses one or the other",
            ),
            (
                "time,work\n5,1\n2024-01-01T00:00:00Z,1\n",
                "t.csv:3: time: an ISO 8601 date-time, but the rows before have times in seconds: a file uses one or the other",
            ),
            (
                "time,work\nyesterday,1\n",
                "t.csv:2: time: 'yesterday' is neither a number of seconds nor an ISO 8601 date-time",
            ),
        ];
        for (text, expected) in cases {
            let got = error(text);
            assert!(got.starts_with(expected), "{text:?}: {got}");
        }
        let utf8 = parse_bytes(b"time,work,kind\n0,1,\xff\n");
        assert_eq!(utf8, "t.csv:2: kind: not valid UTF-8");
    }

    fn parse_bytes(bytes: &[u8]) -> String {
        read_from(bytes, "t.csv", &ReadOptions::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn skip_bad_counts_and_keeps_the_first_errors() {
        let mut text = String::from("time,work\n");
        for i in 0..10 {
            text.push_str(&format!("{i},1\n{i}.5,bad\n"));
        }
        let t = skipping(&text);
        assert_eq!(t.len(), 10);
        assert_eq!(t.skipped, 10);
        assert_eq!(t.skipped_errors.len(), 5);
        assert_eq!(
            t.skipped_errors[0].to_string(),
            "t.csv:3: work: 'bad' is not a number"
        );
        let options = ReadOptions {
            skip_bad: true,
            ..ReadOptions::default()
        };
        let err = read_from(&b"time,work\n0,x\n"[..], "t.csv", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: no good rows: all 1 were bad (the first: t.csv:2: work: 'x' is not a number)"
        );
    }

    #[test]
    fn too_many_kinds_stop_the_read() {
        let mut text = String::from("time,work,kind\n");
        for i in 0..=MAX_KINDS {
            text.push_str(&format!("{i},1,k{i}\n"));
        }
        let err = error(&text);
        assert!(
            err.starts_with("t.csv:66: kind: a 65th distinct kind 'k64'"),
            "{err}"
        );
    }
}
