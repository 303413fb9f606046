//! Parameter sweeps: value lists and ranges expanded into a grid of points, disjoint shards
//! of that grid so that many machines can share a sweep, and the merge of their JSON lines.
//!
//! A point's result depends on its parameters alone, never on the shard or the thread that
//! ran it, so the union of the shards is the unsharded sweep, line for line.

use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::{SCHEMA_VERSION, TOOL_VERSION};

/// Bad sweep input: a malformed range or shard, or shard files that do not fit together.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SweepError(pub String);

/// The most values one range may expand to, and the most points a grid may hold.
const MAX_VALUES: usize = 1_000_000;
const MAX_POINTS: u64 = 100_000_000;

/// The alternatives one flag value stands for: `a,b,c` (split on `separator`), where each
/// item may be a range `START:STOP:STEP` (both ends included).
pub fn alternatives(text: &str, separator: char) -> Result<Vec<String>, SweepError> {
    let mut out = Vec::new();
    for item in text.split(separator).map(str::trim) {
        if item.is_empty() {
            return Err(SweepError(format!(
                "'{text}' has an empty item; separate values with '{separator}'"
            )));
        }
        match range(item)? {
            Some(values) => out.extend(values),
            None => out.push(item.to_string()),
        }
    }
    if out.len() > MAX_VALUES {
        return Err(SweepError(format!(
            "'{text}' expands to {} values; at most {MAX_VALUES} are allowed",
            out.len()
        )));
    }
    Ok(out)
}

/// Expands `START:STOP:STEP` when all three are numbers; anything else (`exp:1`) is not a range.
fn range(item: &str) -> Result<Option<Vec<String>>, SweepError> {
    let parts: Vec<&str> = item.split(':').collect();
    let [start, stop, step] = parts[..] else {
        return Ok(None);
    };
    let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(a), Some(b), Some(h)) = (parse(start), parse(stop), parse(step)) else {
        return Ok(None);
    };
    if h <= 0.0 || b < a {
        return Err(SweepError(format!(
            "range '{item}' must be START:STOP:STEP with START <= STOP and a STEP above 0"
        )));
    }
    // A tolerance of a millionth of a step keeps STOP in despite binary fractions.
    let steps = ((b - a) / h + 1e-6).floor();
    if steps >= MAX_VALUES as f64 {
        return Err(SweepError(format!(
            "range '{item}' has more than {MAX_VALUES} values"
        )));
    }
    let decimals = [start, stop, step]
        .iter()
        .map(|s| s.trim().split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0);
    Ok(Some(
        (0..=steps as usize)
            .map(|i| trimmed(a + i as f64 * h, decimals))
            .collect(),
    ))
}

/// `x` with `decimals` digits, trailing zeros removed: 0.55, not 0.5500000000000002.
fn trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The JSON form of a parameter value: a boolean, a number, or the text itself.
pub fn parameter_value(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(|x| {
                if x.fract() == 0.0 && x.abs() < 9e15 && !text.contains(['.', 'e', 'E']) {
                    Some(Value::from(x as i64))
                } else {
                    serde_json::Number::from_f64(x).map(Value::Number)
                }
            })
            .unwrap_or_else(|| Value::String(text.to_string())),
    }
}

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub name: String,
    pub values: Vec<String>,
}

/// The cartesian product of the dimensions, enumerated with the last dimension fastest.
#[derive(Debug, Clone)]
pub struct Grid {
    pub dimensions: Vec<Dimension>,
    points: u64,
}

impl Grid {
    pub fn new(dimensions: Vec<Dimension>) -> Result<Grid, SweepError> {
        let mut points: u64 = 1;
        for d in &dimensions {
            points = points
                .checked_mul(d.values.len() as u64)
                .filter(|&n| n <= MAX_POINTS)
                .ok_or_else(|| {
                    SweepError(format!(
                        "the sweep has more than {MAX_POINTS} points; split it into several sweeps"
                    ))
                })?;
        }
        Ok(Grid { dimensions, points })
    }

    pub fn len(&self) -> u64 {
        self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points == 0
    }

    /// The value of each dimension at point `index`.
    pub fn point(&self, index: u64) -> Vec<&str> {
        let mut rest = index;
        let mut values = vec![""; self.dimensions.len()];
        for (slot, d) in values.iter_mut().zip(&self.dimensions).rev() {
            let n = d.values.len() as u64;
            *slot = &d.values[(rest % n) as usize];
            rest /= n;
        }
        values
    }
}

/// The `index`-th (from 1) of `count` disjoint slices of a sweep's points. Points are dealt
/// round-robin, so neighbouring points (similar in cost) spread over the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn contains(&self, point: u64) -> bool {
        point % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parsed = s.split_once('/').and_then(|(i, n)| {
            Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?))
        });
        match parsed {
            Some((index, count)) if count >= 1 && (1..=count).contains(&index) => {
                Ok(Shard { index, count })
            }
            Some(_) => Err("the shard number I of I/N must be from 1 to N, as 1/4 to 4/4".into()),
            None => Err("expected I/N, as 2/8 for the second of 8 shards".into()),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What identifies a sweep: lines merge only if this is the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepId {
    /// The sweep's command line in canonical form, without shard and output options.
    pub command: String,
    /// Points in the whole sweep, over all shards.
    pub points: u64,
}

/// One finished point: its parameters and its result object (design §4), one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub schema_version: u32,
    pub tool_version: String,
    pub sweep: SweepId,
    pub point: u64,
    /// The swept parameters' values at this point, pattern and balancer first.
    pub parameters: IndexMap<String, Value>,
    pub result: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Line {
    pub fn new(
        sweep: SweepId,
        point: u64,
        parameters: IndexMap<String, Value>,
        result: Value,
        warnings: Vec<String>,
    ) -> Line {
        Line {
            schema_version: SCHEMA_VERSION,
            tool_version: TOOL_VERSION.to_string(),
            sweep,
            point,
            parameters,
            result,
            warnings,
        }
    }
}

/// Combines the lines of every shard (each tagged with the file it came from) into the
/// sweep's lines in point order. They must come from one sweep, made by this version of
/// the tool, and cover every point exactly once.
pub fn merge(lines: Vec<(String, Line)>) -> Result<Vec<Line>, SweepError> {
    let Some((first_source, first)) = lines.first() else {
        return Err(SweepError("no sweep lines to merge".into()));
    };
    let id = first.sweep.clone();
    let version = first.tool_version.clone();
    let first_source = first_source.clone();
    let mut seen: Vec<Option<String>> = vec![None; id.points.min(MAX_POINTS) as usize];
    let mut out = Vec::with_capacity(lines.len());
    for (source, line) in lines {
        if line.schema_version != SCHEMA_VERSION {
            return Err(SweepError(format!(
                "{source}: schema_version {} is not {SCHEMA_VERSION}, the version this jaegis reads",
                line.schema_version
            )));
        }
        if line.sweep != id {
            return Err(SweepError(format!(
                "{source} and {first_source} come from different sweeps: `{}` and `{}`",
                line.sweep.command, id.command
            )));
        }
        if line.tool_version != version {
            return Err(SweepError(format!(
                "{source} was made by jaegis {} and {first_source} by {version}; rerun the shards with one version",
                line.tool_version
            )));
        }
        let slot = seen.get_mut(line.point as usize).ok_or_else(|| {
            SweepError(format!(
                "{source}: point {} is outside the sweep's {} points",
                line.point, id.points
            ))
        })?;
        if let Some(before) = slot {
            return Err(SweepError(format!(
                "point {} appears twice, in {before} and {source}; were shards run twice?",
                line.point
            )));
        }
        *slot = Some(source);
        out.push(line);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i.to_string())
        .collect();
    if !missing.is_empty() {
        let shown = missing
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if missing.len() > 10 { ", ..." } else { "" };
        return Err(SweepError(format!(
            "{} of the sweep's {} points are missing ({shown}{more}); did a shard fail or is a file left out?",
            missing.len(),
            id.points
        )));
    }
    out.sort_by_key(|l| l.point);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges_expand() {
        assert_eq!(alternatives("5,10,20", ',').unwrap(), ["5", "10", "20"]);
        assert_eq!(
            alternatives("0.5:0.7:0.05", ',').unwrap(),
            ["0.5", "0.55", "0.6", "0.65", "0.7"]
        );
        assert_eq!(
            alternatives("1:3:1,10", ',').unwrap(),
            ["1", "2", "3", "10"]
        );
        assert_eq!(alternatives("0.5:0.95:0.05", ',').unwrap().len(), 10);
        assert_eq!(
            alternatives("exp:1,lognormal:1:3", ',').unwrap(),
            ["exp:1", "lognormal:1:3"]
        );
        assert_eq!(alternatives("1,2;3,4", ';').unwrap(), ["1,2", "3,4"]);
    }

    #[test]
    fn bad_ranges_say_why() {
        assert!(
            alternatives("1:0:1", ',')
                .unwrap_err()
                .0
                .contains("START <= STOP")
        );
        assert!(
            alternatives("0:1:0", ',')
                .unwrap_err()
                .0
                .contains("STEP above 0")
        );
        assert!(
            alternatives("1,,2", ',')
                .unwrap_err()
                .0
                .contains("empty item")
        );
        assert!(
            alternatives("0:1e9:1e-3", ',')
                .unwrap_err()
                .0
                .contains("more than")
        );
    }

    #[test]
    fn grid_enumerates_last_dimension_fastest() {
        let d = |n: &str, v: &[&str]| Dimension {
            name: n.into(),
            values: v.iter().map(|s| s.to_string()).collect(),
        };
        let grid = Grid::new(vec![d("a", &["1", "2"]), d("b", &["x", "y", "z"])]).unwrap();
        assert_eq!(grid.len(), 6);
        assert_eq!(grid.point(0), ["1", "x"]);
        assert_eq!(grid.point(2), ["1", "z"]);
        assert_eq!(grid.point(3), ["2", "x"]);
        assert_eq!(grid.point(5), ["2", "z"]);
    }

    #[test]
    fn shards_partition_the_points() {
        let shards: Vec<Shard> = (1..=3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        for point in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(point)).count(), 1);
        }
        assert!("0/3".parse::<Shard>().unwrap_err().contains("from 1 to N"));
        assert!("4/3".parse::<Shard>().unwrap_err().contains("from 1 to N"));
        assert!("2".parse::<Shard>().unwrap_err().contains("expected I/N"));
    }

    #[test]
    fn parameters_keep_their_type() {
        assert_eq!(parameter_value("5"), Value::from(5));
        assert_eq!(parameter_value("0.55"), Value::from(0.55));
        assert_eq!(parameter_value("true"), Value::Bool(true));
        assert_eq!(parameter_value("exp:1"), Value::from("exp:1"));
    }

    fn line(command: &str, point: u64) -> Line {
        let id = SweepId {
            command: command.into(),
            points: 3,
        };
        Line::new(id, point, IndexMap::new(), Value::Null, Vec::new())
    }

    #[test]
    fn merge_orders_and_checks_coverage() {
        let merged = merge(vec![
            ("b".into(), line("s", 1)),
            ("a".into(), line("s", 2)),
            ("a".into(), line("s", 0)),
        ])
        .unwrap();
        assert_eq!(
            merged.iter().map(|l| l.point).collect::<Vec<_>>(),
            [0, 1, 2]
        );

        let missing = merge(vec![("a".into(), line("s", 0))]).unwrap_err().0;
        assert!(
            missing.contains("2 of the sweep's 3 points are missing (1, 2)"),
            "{missing}"
        );
        let twice = merge(vec![("a".into(), line("s", 0)), ("b".into(), line("s", 0))])
            .unwrap_err()
            .0;
        assert!(
            twice.contains("point 0 appears twice, in a and b"),
            "{twice}"
        );
        let other = merge(vec![("a".into(), line("s", 0)), ("b".into(), line("t", 1))])
            .unwrap_err()
            .0;
        assert!(other.contains("different sweeps"), "{other}");
    }
}
