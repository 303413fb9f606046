//! The JSON lines of finished points, and the merge of the shards' lines into one sweep.

use std::collections::HashMap;

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
    if id.points > MAX_POINTS {
        return Err(SweepError(format!(
            "{first_source}: a sweep of {} points is more than the {MAX_POINTS} a sweep may have",
            id.points
        )));
    }
    // Which file each point came from, for the points present: memory follows the lines
    // given, not the points a line claims.
    let mut seen: HashMap<u64, String> = HashMap::with_capacity(lines.len());
    let mut out = Vec::with_capacity(lines.len());
    for (source, line) in lines {
        check_result(&line.result).map_err(|e| {
            SweepError(format!(
                "{source}: point {}: {e}; merge reads what `sweep --format jsonl` writes",
                line.point
            ))
        })?;
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
        if line.point >= id.points {
            return Err(SweepError(format!(
                "{source}: point {} is outside the sweep's {} points",
                line.point, id.points
            )));
        }
        if let Some(before) = seen.get(&line.point) {
            return Err(SweepError(format!(
                "point {} appears twice, in {before} and {source}; were shards run twice?",
                line.point
            )));
        }
        seen.insert(line.point, source);
        out.push(line);
    }
    let missing = id.points - seen.len() as u64;
    if missing > 0 {
        let shown: Vec<String> = (0..id.points)
            .filter(|p| !seen.contains_key(p))
            .take(10)
            .map(|p| p.to_string())
            .collect();
        let more = if missing > 10 { ", ..." } else { "" };
        return Err(SweepError(format!(
            "{missing} of the sweep's {} {} missing ({}{more}); did a shard fail or is a file left out?",
            id.points,
            if missing == 1 {
                "points is"
            } else {
                "points are"
            },
            shown.join(", ")
        )));
    }
    out.sort_by_key(|l| l.point);
    Ok(out)
}

/// Metrics that are shares of requests or of time: between 0 and 1.
const SHARES: &[&str] = &[
    "attainment",
    "success_rate",
    "utilization",
    "coordinator_utilization",
    "fairness",
    "wasted_work",
    "completeness",
];

/// Holds a point's result to the invariants of every result `sweep` writes: its requests
/// add up, no time or count is negative, no share exceeds 1.
fn check_result(result: &Value) -> Result<(), String> {
    let tasks = &result["tasks"];
    let count = |key: &str| {
        tasks[key]
            .as_u64()
            .ok_or_else(|| format!("result.tasks.{key} is not a count of requests"))
    };
    let (generated, completed, failed, in_flight) = (
        count("generated")?,
        count("completed")?,
        count("failed")?,
        count("in_flight")?,
    );
    if completed
        .checked_add(failed)
        .and_then(|n| n.checked_add(in_flight))
        != Some(generated)
    {
        return Err(format!(
            "its requests do not add up: {completed} completed, {failed} failed and {in_flight} in flight of {generated} generated"
        ));
    }
    let Some(metrics) = result["metrics"].as_object() else {
        return Err("result.metrics is missing".into());
    };
    for (name, estimate) in metrics {
        for part in ["mean", "ci95", "at_least"] {
            let Some(x) = estimate.get(part).and_then(Value::as_f64) else {
                continue;
            };
            if x < 0.0 {
                return Err(format!("metrics.{name}.{part} is negative ({x})"));
            }
            if part == "mean" && SHARES.contains(&name.as_str()) && x > 1.0 {
                return Err(format!(
                    "metrics.{name}.mean is a share, but {x} is above 1"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(command: &str, point: u64) -> Line {
        let id = SweepId {
            command: command.into(),
            points: 3,
        };
        Line::new(id, point, IndexMap::new(), result(10, 0.5))
    }

    fn result(completed: u64, p99: f64) -> Value {
        serde_json::json!({
            "tasks": { "generated": 10, "completed": completed, "failed": 0, "in_flight": 0 },
            "metrics": { "latency_p99": { "mean": p99, "ci95": 0.1 }, "success_rate": { "mean": 1.0, "ci95": 0.0 } }
        })
    }

    #[test]
    fn lines_that_break_a_result_s_invariants_are_refused() {
        let bad = |result: Value| {
            let mut l = line("s", 0);
            l.result = result;
            merge(vec![("a.jsonl".into(), l)]).unwrap_err().0
        };
        let e = bad(result(10, -1.0));
        assert!(
            e.contains("a.jsonl: point 0: metrics.latency_p99.mean is negative"),
            "{e}"
        );
        let e = bad(result(12, 1.0));
        assert!(e.contains("do not add up: 12 completed"), "{e}");
        let mut r = result(10, 1.0);
        r["metrics"]["success_rate"]["mean"] = 7.5.into();
        let e = bad(r);
        assert!(
            e.contains("success_rate.mean is a share, but 7.5 is above 1"),
            "{e}"
        );
        // A line that claims a billion points is refused without allocating for them.
        let mut l = line("s", 0);
        l.sweep.points = 1_000_000_000;
        let e = merge(vec![("a".into(), l)]).unwrap_err().0;
        assert!(e.contains("more than the 100000000"), "{e}");
        let mut l = line("s", 0);
        l.sweep.points = 100_000_000;
        let e = merge(vec![("a".into(), l)]).unwrap_err().0;
        assert!(
            e.contains("99999999 of the sweep's 100000000 points are missing (1, 2,"),
            "{e}"
        );
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
