//! Reading what users give, within limits: a file or a line that would exhaust memory (a
//! device such as /dev/zero, a file that is not what it claims) is refused with the limit
//! named, before it is read whole.

use std::io::{self, BufRead, Read};
use std::path::Path;

/// The largest scenario file read.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;
/// The largest catalog file read: the embedded catalog is under 20 KB.
pub const MAX_CATALOG_BYTES: u64 = 16 << 20;
/// The longest line of a sweep's JSON lines: one point is under 10 KB.
pub const MAX_LINE_BYTES: u64 = 1 << 20;

fn too_big(what: &str, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than the {} MB a {what} may be", limit >> 20),
    )
}

/// The text of the file at `path`, refused past `limit` bytes; `what` names it in the error.
pub fn read_text(path: &Path, limit: u64, what: &str) -> io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(too_big(what, limit));
    }
    Ok(text)
}

/// The next line of `reader` without its line end, or `None` at the end; a line longer
/// than `limit` bytes is refused.
pub fn read_line(reader: &mut impl BufRead, limit: u64, what: &str) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let read = reader.take(limit + 1).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.len() as u64 > limit && line.last() != Some(&b'\n') {
        return Err(too_big(what, limit));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
