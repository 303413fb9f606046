//! The JSON lines of finished points, and the merge of the shards' lines into one sweep.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{MAX_POINTS, SweepError};
use crate::schema::{SCHEMA_VERSION, TOOL_VERSION};

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
    /// The point's result, as simulate's; its `warnings` are the point's.
    pub result: Value,
}

impl Line {
    pub fn new(
        sweep: SweepId,
        point: u64,
        parameters: IndexMap<String, Value>,
        result: Value,
    ) -> Line {
        Line {
            schema_version: SCHEMA_VERSION,
            tool_version: TOOL_VERSION.to_string(),
            sweep,
            point,
            parameters,
            result,
        }
    }

    /// The warnings about the point's result.
    pub fn warnings(&self) -> Vec<&str> {
        self.result["warnings"]
            .as_array()
            .map(|w| w.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
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
            "{} of the sweep's {} {} missing ({shown}{more}); did a shard fail or is a file left out?",
            missing.len(),
            id.points,
            if missing.len() == 1 {
                "points is"
            } else {
                "points are"
            }
        )));
    }
    out.sort_by_key(|l| l.point);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(command: &str, point: u64) -> Line {
        let id = SweepId {
            command: command.into(),
            points: 3,
        };
        Line::new(id, point, IndexMap::new(), Value::Null)
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
