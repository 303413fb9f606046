//! The `plan` report: the smallest fleet per pattern and balancer, the evidence that it is
//! the smallest, and the plan.

use serde_json::{Value, json};

use crate::names::short_name;
use crate::plan::{Choice, Plan};
use crate::sim::Estimate;

use super::simulation::{estimate, summary};
use super::{Cell, Emphasis, Report, Table, document};

fn percent(e: &Estimate) -> String {
    if !e.mean.is_finite() {
        "-".into()
    } else if e.ci95.is_finite() {
        format!("{:.2}% ± {:.2}", 100.0 * e.mean, 100.0 * e.ci95)
    } else {
        format!("{:.2}%", 100.0 * e.mean)
    }
}

fn agents(n: Option<u32>) -> String {
    n.map_or("-".to_string(), |n| n.to_string())
}

fn factor(f: f64) -> String {
    format!("x{}", crate::number::round_sig(f))
}

/// One line of the data table `csv` writes: plain numbers, one column each.
fn data_row(c: &Choice) -> Vec<String> {
    let num = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    let mut row = vec![
        c.pattern.clone(),
        c.balancer.clone(),
        agents(c.agents).replace('-', ""),
        c.coordinators.to_string(),
        num(c.at.as_ref().map(|p| p.attainment.mean)),
        num(c.at.as_ref().map(|p| p.attainment.ci95)),
        c.below
            .as_ref()
            .map_or(String::new(), |p| p.agents.to_string()),
        num(c.below.as_ref().map(|p| p.attainment.mean)),
        num(c.below.as_ref().map(|p| p.attainment.ci95)),
        num(c.at.as_ref().map(|p| p.latency_p50.mean)),
        num(c.at.as_ref().map(|p| p.latency_p99.mean)),
        num(c.at.as_ref().map(|p| p.utilization.mean)),
        num(c
            .at
            .as_ref()
            .and_then(|p| p.coordinator_utilization)
            .map(|u| u.mean)),
    ];
    row.extend(c.headroom.iter().map(|h| agents(h.agents).replace('-', "")));
    row.push(c.infeasible.clone().unwrap_or_default());
    row
}

pub fn plan(p: &Plan) -> Report {
    let deadline = crate::number::round_sig(p.slo.deadline);
    let target = format!(
        "{}% within {deadline} s",
        crate::number::round_sig(100.0 * p.slo.quantile)
    );
    let mut header: Vec<String> = [
        "pattern",
        "balancer",
        "agents",
        "attainment",
        "one fewer",
        "p50 (s)",
        "p99 (s)",
        "busy",
        "coord. busy",
    ]
    .map(String::from)
    .to_vec();
    let headroom: Vec<f64> = p
        .choices
        .first()
        .map(|c| c.headroom.iter().map(|h| h.factor).collect())
        .unwrap_or_default();
    header.extend(headroom.iter().map(|f| factor(*f)));
    let numeric: Vec<usize> = (2..header.len()).collect();
    let mut table = Table::new(header)
        .titled(format!(
            "Smallest fleet meeting {target} at {} requests/s",
            crate::number::round_sig(p.rate)
        ))
        .numeric(numeric)
        .optional(["coord. busy", "p50 (s)", "busy", "one fewer"]);
    for (i, c) in p.choices.iter().enumerate() {
        let chosen = p.chosen == Some(i);
        let mut row = vec![
            Cell::new(short_name(&c.pattern)).with(if chosen {
                Emphasis::Strong
            } else {
                Emphasis::Plain
            }),
            Cell::new(&c.balancer),
            Cell::new(match (c.agents, c.coordinators) {
                (Some(n), 0) => n.to_string(),
                (Some(n), k) => format!("{n} ({k} coord.)"),
                (None, _) => "none".to_string(),
            })
            .with(if c.agents.is_some() {
                Emphasis::Good
            } else {
                Emphasis::Bad
            }),
            Cell::new(c.at.as_ref().map_or("-".into(), |a| percent(&a.attainment))),
            Cell::new(c.below.as_ref().map_or("-".into(), |b| {
                format!("{}: {}", b.agents, percent(&b.attainment))
            })),
            Cell::new(
                c.at.as_ref()
                    .map_or("-".into(), |a| estimate(a.latency_p50)),
            ),
            Cell::new(
                c.at.as_ref()
                    .map_or("-".into(), |a| estimate(a.latency_p99)),
            ),
            Cell::new(c.at.as_ref().map_or("-".into(), |a| {
                format!("{:.0}%", 100.0 * a.utilization.mean)
            })),
            Cell::new(
                c.at.as_ref()
                    .and_then(|a| a.coordinator_utilization)
                    .map_or("-".into(), |u| format!("{:.0}%", 100.0 * u.mean)),
            ),
        ];
        row.extend(c.headroom.iter().map(|h| Cell::new(agents(h.agents))));
        table.rows.push(row);
    }
    let mut data_header: Vec<String> = [
        "pattern",
        "balancer",
        "agents",
        "coordinators",
        "attainment",
        "attainment_ci95",
        "below_agents",
        "below_attainment",
        "below_attainment_ci95",
        "latency_p50",
        "latency_p99",
        "utilization",
        "coordinator_utilization",
    ]
    .map(String::from)
    .to_vec();
    data_header.extend(
        headroom
            .iter()
            .map(|f| format!("agents_at_{}", crate::number::round_sig(*f))),
    );
    data_header.push("infeasible".into());
    let mut data = Table::new(data_header);
    for c in &p.choices {
        data.row(data_row(c));
    }
    let doc = document(json!({ "plan": p }));
    let mut report = Report::new(doc)
        .records(p.choices.iter().map(|c| json!(c)).collect::<Vec<Value>>())
        .table(table);
    report.data = Some(data);
    if let Some(s) = &p.scenario {
        let [workload, run] = summary(s);
        report = report.text(format!("Workload: {workload}."));
        report = report.text(format!(
            "Each fleet size: {run}, the settings fitted at that size; runs lengthened where a size settles slowly (near capacity, failures), replications doubled (up to 20) where the interval straddled the target, and the answer and the size below it run with 20."
        ));
    }
    for f in &p.findings {
        report = report.text(f.clone());
    }
    report
}
