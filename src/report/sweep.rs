//! The `sweep` and `merge` report, built from the JSON lines alone, so that merging the
//! shards of a sweep prints exactly what the whole sweep would have.

use serde_json::{Value, json};

use crate::sim::{Estimate, Metric};
use crate::sweep::Line;

use super::simulation::estimate;
use super::{Report, Table, document};

/// Displayed result columns; latencies are over all requests, attainment with an objective.
const COLUMNS: &[(&str, Metric)] = &[
    ("goodput/s", Metric::Goodput),
    ("attainment", Metric::Attainment),
    ("in SLO/s", Metric::SloGoodput),
    ("p50 (s)", Metric::LatencyP50),
    ("p99 (s)", Metric::LatencyP99),
    ("success", Metric::SuccessRate),
];

/// Warnings listed under the table; the rest are counted.
const SHOWN_WARNINGS: usize = 10;

fn metric(line: &Line, m: Metric) -> Estimate {
    let e = &line.result["metrics"][m.id()];
    Estimate {
        mean: e["mean"].as_f64().unwrap_or(f64::NAN),
        ci95: e["ci95"].as_f64().unwrap_or(f64::NAN),
        // A censored value without a finite bound fell among the failed requests.
        at_least: match e["censored"].as_bool() {
            Some(true) => Some(e["at_least"].as_f64().unwrap_or(f64::INFINITY)),
            _ => None,
        },
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

pub fn sweep(lines: &[Line]) -> Report {
    let records: Vec<Value> = lines.iter().map(|l| json!(l)).collect();
    let results: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "point": l.point,
                "parameters": l.parameters,
                "result": l.result,
            })
        })
        .collect();
    let Some(first) = lines.first() else {
        return Report::new(document(json!({ "results": [] })))
            .text("no points: this shard of the sweep is empty");
    };
    let mut report = Report::new(document(json!({
        "sweep": first.sweep,
        "results": results,
    })))
    .records(records);

    let names: Vec<&String> = first.parameters.keys().collect();
    let columns: Vec<&(&str, Metric)> = COLUMNS
        .iter()
        .filter(|(_, m)| {
            lines.iter().any(|l| {
                let e = metric(l, *m);
                e.mean.is_finite() || e.censored()
            })
        })
        .collect();
    let mut header: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    header.extend(columns.iter().map(|(h, _)| h.to_string()));
    let points = first.sweep.points;
    let counted = |n: u64| {
        if n == 1 {
            "1 point".to_string()
        } else {
            format!("{n} points")
        }
    };
    let title = if (lines.len() as u64) < points {
        format!(
            "{} of {}: {}",
            lines.len(),
            counted(points),
            first.sweep.command
        )
    } else {
        format!("{}: {}", counted(points), first.sweep.command)
    };
    let numeric = names
        .iter()
        .enumerate()
        .filter(|(_, n)| first.parameters[n.as_str()].is_number())
        .map(|(i, _)| i)
        .chain(names.len()..names.len() + columns.len());
    let mut table = Table::new(header).titled(title).numeric(numeric).optional([
        "in SLO/s",
        "p50 (s)",
        "success",
        "goodput/s",
    ]);
    for line in lines {
        let mut row: Vec<String> = names
            .iter()
            .map(|n| line.parameters.get(*n).map(text).unwrap_or_default())
            .collect();
        for (_, m) in &columns {
            let e = metric(line, *m);
            row.push(match m {
                Metric::SuccessRate | Metric::Attainment if e.mean.is_finite() => {
                    format!("{:.1}%", 100.0 * e.mean)
                }
                _ => estimate(e),
            });
        }
        table.row(row);
    }
    report = report.table(table);

    let warned: Vec<&Line> = lines.iter().filter(|l| !l.warnings().is_empty()).collect();
    for line in warned.iter().take(SHOWN_WARNINGS) {
        for w in line.warnings() {
            report = report.text(format!("warning at point {}: {w}", line.point));
        }
    }
    if warned.len() > SHOWN_WARNINGS {
        report = report.text(format!(
            "... and warnings at {} more points (see the `warnings` field in JSON)",
            warned.len() - SHOWN_WARNINGS
        ));
    }
    report.data = Some(data_table(lines, &names));
    report
}

/// Every point's parameters, offered rate and loads, metrics (with their bounds when
/// censored), request counts, collapse and warnings, for CSV: simulate's columns per point.
fn data_table(lines: &[Line], names: &[&String]) -> Table {
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(names.iter().map(|n| n.to_string()));
    header.extend(super::simulation::result_columns());
    let mut table = Table::new(header);
    let num = |v: &Value| v.as_f64().map(|x| x.to_string()).unwrap_or_default();
    for line in lines {
        let mut row = vec![line.point.to_string()];
        row.extend(
            names
                .iter()
                .map(|n| line.parameters.get(*n).map(text).unwrap_or_default()),
        );
        let r = &line.result;
        for field in ["rate", "load", "coordination_load"] {
            row.push(num(&r["offered"][field]));
        }
        for m in Metric::ALL {
            let e = &r["metrics"][m.id()];
            row.push(num(&e["mean"]));
            row.push(num(&e["ci95"]));
            row.push(match (&e["censored"], e["at_least"].as_f64()) {
                (Value::Bool(true), None) => "inf".into(),
                _ => num(&e["at_least"]),
            });
        }
        for field in ["generated", "completed", "failed", "in_flight"] {
            row.push(
                r["tasks"][field]
                    .as_u64()
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            );
        }
        row.push(
            r["collapse"]["replications"]
                .as_u64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        );
        row.push(num(&r["collapse"]["at"]));
        row.push(line.warnings().join("; "));
        table.row(row);
    }
    table
}
