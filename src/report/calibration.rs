//! The calibration report: a replay's simulated latency beside the latency its trace
//! recorded, quantile by quantile.

use crate::number::{number, short};
use crate::sim::calibration::Calibration;

use super::simulation::{estimate, summary};
use super::{Report, Table, document};

/// Within this share of the observed latency at every quantile, the model reproduces the
/// trace well enough to trust its what-ifs.
const CLOSE: f64 = 0.1;

pub fn calibration(c: &Calibration, scenario: &crate::sim::Scenario) -> Report {
    let mut header = vec!["latency of".to_string(), "balancer".to_string()];
    header.extend(c.observed.iter().map(|o| format!("{} (s)", o.quantile)));
    header.push("worst gap".to_string());
    let last = header.len() - 1;
    let mut table = Table::new(header)
        .titled(format!(
            "Calibration: simulated latency against the trace's, over its {} measured requests",
            c.requests
        ))
        .numeric(2..=last)
        .key([0, 1]);
    let mut observed = vec!["the trace".to_string(), "(observed)".to_string()];
    observed.extend(c.observed.iter().map(|o| short(o.seconds)));
    observed.push(String::new());
    table.row(observed);
    for r in &c.results {
        let mut row = vec![
            crate::names::short_name(&r.pattern).to_string(),
            r.balancer.clone(),
        ];
        row.extend(r.simulated.iter().map(|s| estimate(*s)));
        row.push(if r.worst_error.is_finite() {
            format!("{}%", number(100.0 * r.worst_error, 1))
        } else {
            "-".to_string()
        });
        table.row(row);
    }
    let [workload, run] = summary(scenario);
    let verdicts: Vec<String> = c
        .results
        .iter()
        .map(|r| {
            format!(
                "{} ({}): {}",
                crate::names::short_name(&r.pattern),
                r.balancer,
                if r.worst_error <= CLOSE {
                    format!(
                        "within {}% of the trace at every quantile: its what-ifs rest on a model that reproduces your traffic",
                        number(100.0 * CLOSE, 0)
                    )
                } else if r.worst_error.is_finite() {
                    format!(
                        "off by up to {}%: the model misses something of your system (work, queueing, retries); trust its what-ifs only as far as that",
                        number(100.0 * r.worst_error, 0)
                    )
                } else {
                    "its latency is censored (failed requests): no agreement to speak of".to_string()
                }
            )
        })
        .collect();
    let mut report = Report::new(document(serde_json::json!({
        "calibration": c,
        "scenario": scenario,
    })))
    .table(table)
    .text(format!("Simulated: {workload}."))
    .text(format!("Run: {run}."));
    for v in verdicts {
        report = report.text(v);
    }
    report
}
