//! The `recommend` report: the ranking, then the settings advised for the winner.

use serde_json::{Value, json};

use crate::advisor::evidence::Evidence;
use crate::advisor::{Recommendation, Request};
use crate::sim::Metric;

use super::simulation::{estimate, summary};

use super::{Cell, Emphasis, Report, Table, document, number};

/// Describes the request in words for the table title.
fn describe(request: &Request) -> String {
    let mut parts = vec![format!("{} agents", request.agents)];
    for (label, level) in [
        ("fault tolerance", request.fault_tolerance),
        ("latency", request.latency),
        ("throughput", request.throughput),
        ("complexity at most", request.max_complexity),
    ] {
        if let Some(level) = level {
            parts.push(format!("{label} {level}"));
        }
    }
    parts.extend(
        request
            .traits
            .iter()
            .map(|t| t.flag().trim_start_matches("--").replace('-', " ")),
    );
    parts.join(", ")
}

/// `top` limits the ranking shown; `explain` adds every criterion's weight and reason;
/// `evidence` adds the simulated candidates, and the settings follow the evidence's winner.
pub fn recommendation(
    rec: &Recommendation,
    top: usize,
    explain: bool,
    evidence: Option<&Evidence>,
) -> Report {
    let ranking = &rec.ranking[..top.min(rec.ranking.len())];
    let criteria: Vec<&str> = rec
        .ranking
        .first()
        .map(|r| r.criteria.iter().map(|c| c.criterion).collect())
        .unwrap_or_default();
    let mut header = vec!["rank", "pattern", "score"];
    header.extend(criteria.iter().copied());
    header.push("where it lost points");
    let mut table = Table::new(header)
        .titled(format!("Patterns for {}", describe(&rec.request)))
        .numeric([0].into_iter().chain(2..criteria.len() + 3));
    for r in ranking {
        let mut row = vec![
            Cell::new(r.rank.to_string()),
            Cell::new(&r.pattern).with(if r.rank == 1 {
                Emphasis::Strong
            } else {
                Emphasis::Plain
            }),
            Cell::new(number(r.score, 2)).with(if r.eligible {
                Emphasis::Plain
            } else {
                Emphasis::Bad
            }),
        ];
        for c in &r.criteria {
            let emphasis = if c.score >= 1.0 {
                Emphasis::Good
            } else if c.score < 0.5 {
                Emphasis::Bad
            } else {
                Emphasis::Plain
            };
            row.push(Cell::new(format!("{:.2}", c.score)).with(emphasis));
        }
        row.push(Cell::new(if r.shortfalls.is_empty() {
            "-".to_string()
        } else {
            r.shortfalls.join("; ")
        }));
        table.rows.push(row);
    }
    let advice = evidence
        .and_then(|e| e.candidates.first())
        .filter(|c| c.result.is_some())
        .map_or(&rec.advice, |c| &c.advice);
    let mut doc = json!({
        "request": rec.request,
        "ranking": ranking,
        "notes": rec.notes,
        "advice": advice,
    });
    if let Some(e) = evidence {
        doc["evidence"] = json!(e);
    }
    let mut report = Report::new(document(doc))
        .records(ranking.iter().map(|r| json!(r)).collect::<Vec<Value>>())
        .table(table);
    for note in &rec.notes {
        report = report.text(note.clone());
    }

    if explain {
        let mut why = Table::new(["pattern", "criterion", "weight", "score", "points", "reason"])
            .titled("How each score was reached (points = weight x score, score = points / total weight x 100)")
            .numeric([2, 3, 4]);
        for r in ranking {
            for c in &r.criteria {
                why.row([
                    r.pattern.clone(),
                    c.criterion.to_string(),
                    number(c.weight, 1),
                    format!("{:.2}", c.score),
                    number(c.weight * c.score, 2),
                    c.reason.clone(),
                ]);
            }
        }
        report = report.table(why);
    }

    if let Some(e) = evidence {
        report = evidence_section(report, e);
    }

    let a = advice;
    let mut settings = Table::new(["setting", "choice", "reason"])
        .titled(format!("Recommended settings for {}", a.pattern));
    let balancer_reason = match &a.balancer.pattern_default {
        Some(default) if *default != a.balancer.balancer => format!(
            "{}; the catalog configures {default} for this pattern",
            a.balancer.reason
        ),
        _ => a.balancer.reason.clone(),
    };
    settings.row([
        "load balancer".to_string(),
        a.balancer.balancer.clone(),
        balancer_reason,
    ]);
    settings.row([
        "retry".to_string(),
        format!("{}: {}", a.retry.policy, a.retry.settings),
        a.retry.reason.clone(),
    ]);
    let b = &a.circuit_breaker;
    settings.row([
        "circuit breaker".to_string(),
        format!(
            "open after {} failures, {} s recovery, {} half-open requests, close after {} successes",
            b.failure_threshold,
            number(b.recovery_timeout_s, 3),
            b.half_open_requests,
            b.success_threshold
        ),
        b.reason.clone(),
    ]);
    let h = &a.heartbeat;
    settings.row([
        "heartbeat".to_string(),
        format!(
            "every {} s, timeout {} s, dead after {} missed ({} s)",
            number(h.interval_s, 3),
            number(h.timeout_s, 3),
            h.missed_heartbeats,
            number(h.detection_s, 3)
        ),
        h.reason.clone(),
    ]);
    for c in &a.caching {
        settings.row([
            "caching".to_string(),
            format!("{} ({})", c.strategy, c.gain),
            c.reason.clone(),
        ]);
    }
    report.table(settings)
}

/// The simulated candidates, best first by the evidence, with what the evidence says.
fn evidence_section(mut report: Report, e: &Evidence) -> Report {
    let mut table = Table::new([
        "rank",
        "pattern",
        "catalog rank",
        "score",
        "balancer",
        "p50 (s)",
        "p99 (s)",
        "success",
        "goodput/s",
    ])
    .titled(format!(
        "Evidence: the candidates simulated with their advised settings, {} per replication",
        e.budget
    ))
    .numeric([0, 2, 3, 5, 6, 7, 8]);
    for c in &e.candidates {
        let metric = |m: Metric| {
            c.result
                .as_ref()
                .map_or("-".to_string(), |r| estimate(r.metrics.get(m)))
        };
        let success = c.result.as_ref().map_or("-".to_string(), |r| {
            let s = r.metrics.get(Metric::SuccessRate);
            if s.ci95 >= 0.0005 {
                format!("{:.1}% ± {:.1}", 100.0 * s.mean, 100.0 * s.ci95)
            } else {
                format!("{:.1}%", 100.0 * s.mean)
            }
        });
        table.rows.push(vec![
            Cell::new(c.evidence_rank.to_string()),
            Cell::new(&c.pattern).with(if c.evidence_rank == 1 {
                Emphasis::Strong
            } else {
                Emphasis::Plain
            }),
            Cell::new(c.catalog_rank.to_string()),
            Cell::new(number(c.catalog_score, 2)),
            Cell::new(&c.balancer),
            Cell::new(metric(Metric::LatencyP50)),
            Cell::new(metric(Metric::LatencyP99)).with(if c.fell_behind {
                Emphasis::Bad
            } else {
                Emphasis::Plain
            }),
            Cell::new(success),
            Cell::new(metric(Metric::Goodput)),
        ]);
    }
    report = report.table(table);
    if let Some(scenario) = &e.scenario {
        let [workload, run] = summary(scenario);
        report = report.text(format!("Simulated: {workload}."));
        report = report.text(format!(
            "Run, per candidate on the same requests, with its advised balancer: {run}."
        ));
    }
    for finding in &e.findings {
        report = report.text(finding.clone());
    }
    report
}
