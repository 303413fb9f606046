//! The `recommend` report: the ranking, then the settings advised for the winner.

use serde_json::{Value, json};

use crate::advisor::evidence::Evidence;
use crate::advisor::fit::{Fit, Setting, Source};
use crate::advisor::{Recommendation, Request};
use crate::sim::Metric;
use crate::sim::judgement::Standing;

use super::simulation::{estimate, summary};

use super::{Cell, Emphasis, Report, Table, document, number};

/// What a fit without `--simulate` leaves unchecked.
const NOT_CHECKED: &[&str] = &[
    "attainment of the objective",
    "collapse",
    "failures and their detection",
    "timeouts",
    "retries",
];

/// Describes the request in words for the table title.
fn describe(request: &Request) -> String {
    let mut parts = vec![if request.agents == 1 {
        "1 agent".to_string()
    } else {
        format!("{} agents", request.agents)
    }];
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
/// `evidence` adds the simulated candidates, and the settings follow the evidence's winner;
/// `fit` (a workload given without `--simulate`) fits the winner's settings to it.
pub fn recommendation(
    rec: &Recommendation,
    top: usize,
    explain: bool,
    evidence: Option<&Evidence>,
    fit: Option<&Fit>,
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
        .numeric([0].into_iter().chain(2..criteria.len() + 3))
        .prose(["where it lost points"])
        .key([1]);
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
    let winner = evidence
        .and_then(|e| e.candidates.first())
        .filter(|c| c.result.is_some());
    let advice = winner.map_or(&rec.advice, |c| &c.advice);
    let fitted: Option<(&str, &[Setting])> = winner
        .map(|c| (c.pattern.as_str(), c.settings.as_slice()))
        .or_else(|| fit.map(|f| (f.pattern.as_str(), f.settings.as_slice())));
    let mut doc = json!({
        "request": rec.request,
        "ranking": ranking,
        "notes": rec.notes,
        "advice": advice,
    });
    if let Some(f) = fit {
        doc["fit"] = json!(f);
        doc["not_checked"] = json!(NOT_CHECKED);
    }
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
            .numeric([2, 3, 4])
            .prose(["reason"])
            .key([0, 1])
            .optional(["weight", "points"]);
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
        // With evidence, the lines and CSV rows are the candidates as measured.
        report.records = e.candidates.iter().map(|c| json!(c)).collect();
        report.data = Some(evidence_data(e));
    }

    if let Some((pattern, fitted)) = fitted {
        let mut table = Table::new(["setting", "advised", "catalog", "why"])
            .titled(format!("Settings for {pattern}, fitted to your workload"))
            .prose(["why", "catalog"]);
        for st in fitted {
            let advised = match st.source {
                Source::Yours => Cell::new(format!("{} (yours)", st.advised)),
                Source::Fitted => Cell::new(&st.advised).with(Emphasis::Strong),
                Source::Catalog => Cell::new(&st.advised),
            };
            let catalog = match st.source {
                Source::Catalog => "kept".to_string(),
                Source::Fitted | Source::Yours => st.catalog.clone(),
            };
            table.rows.push(vec![
                Cell::new(st.setting),
                advised,
                Cell::new(catalog),
                Cell::new(&st.reason),
            ]);
        }
        for c in &advice.caching {
            table.row([
                "caching".to_string(),
                c.strategy.clone(),
                c.gain.clone(),
                c.reason.clone(),
            ]);
        }
        report = report.table(table);
        if evidence.is_none() {
            report = report.text(format!(
                "Not simulated: stages and fan-out rest on the stations' analytic loads, and these were not checked: {}. Add --simulate to check them on your workload.",
                NOT_CHECKED.join(", ")
            ));
        }
        return report;
    }
    let a = advice;
    let mut settings = Table::new(["setting", "choice", "reason"])
        .titled(format!("Recommended settings for {}", a.pattern))
        .prose(["reason"]);
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
    report.table(settings).text(
        "These are the catalog's settings: give the workload (--rate or --load, --service, --speeds, --slo) to fit them to it."
            .to_string(),
    )
}

/// The simulated candidates, best first by the evidence, with what the evidence says.
fn evidence_section(mut report: Report, e: &Evidence) -> Report {
    let slo = e.scenario.as_ref().and_then(|s| s.slo);
    let measure = match slo {
        Some(o) => format!("within {} s", crate::number::round_sig(o.deadline)),
        None => "p99 (s)".to_string(),
    };
    // Dollars per request within the objective, when prices or an agent cost are given.
    let priced = e.candidates.iter().any(|c| {
        c.result
            .as_ref()
            .is_some_and(|r| r.metrics.get(Metric::CostPerGoodRequest).mean.is_finite())
    });
    let mut header = vec![
        "rank",
        "pattern",
        "catalog",
        "balancer",
        "coord.",
        measure.as_str(),
        "p50 (s)",
        "attempts",
    ];
    if priced {
        header.push("$/good request");
    }
    header.push("standing");
    let numeric = header.len() - 1;
    let mut table = Table::new(header)
        .titled(format!(
            "Evidence: the candidates with settings fitted to your workload, {} x {} each",
            e.budget,
            if e.replications == 1 {
                "1 replication (no intervals)".to_string()
            } else {
                format!("{} replications", e.replications)
            }
        ))
        .numeric([0, 2].into_iter().chain(4..numeric))
        .optional(["catalog", "p50 (s)", "attempts", "coord."]);
    for c in &e.candidates {
        let metric = |m: Metric| {
            c.result
                .as_ref()
                .map_or("-".to_string(), |r| estimate(r.metrics.get(m)))
        };
        let measured = match slo {
            Some(_) => c.result.as_ref().map_or("-".to_string(), |r| {
                let a = r.metrics.get(Metric::Attainment);
                if a.ci95.is_finite() {
                    format!("{:.1}% ± {:.1}", 100.0 * a.mean, 100.0 * a.ci95)
                } else {
                    format!("{:.1}%", 100.0 * a.mean)
                }
            }),
            None => metric(Metric::LatencyP99),
        };
        let standing = match c.standing {
            None => "not simulated".to_string(),
            Some(_) if c.feasible && slo.is_some() && e.replications < 2 => {
                "meets (point)".to_string()
            }
            Some(_) if c.feasible && slo.is_some() => "meets".to_string(),
            Some(Standing::Judged) if slo.is_some() => "misses".to_string(),
            Some(s) => standing_word(s).to_string(),
        };
        let mut cells = vec![
            Cell::new(c.evidence_rank.to_string()),
            Cell::new(&c.pattern).with(if c.evidence_rank == 1 {
                Emphasis::Strong
            } else {
                Emphasis::Plain
            }),
            Cell::new(c.catalog_rank.to_string()),
            Cell::new(&c.balancer),
            Cell::new(c.coordinators.to_string()),
            Cell::new(measured),
            Cell::new(metric(Metric::LatencyP50)),
            Cell::new(metric(Metric::AttemptsPerTask)),
        ];
        if priced {
            cells.push(Cell::new(metric(Metric::CostPerGoodRequest)));
        }
        cells.push(Cell::new(standing).with(if c.feasible {
            Emphasis::Good
        } else {
            Emphasis::Bad
        }));
        table.rows.push(cells);
    }
    report = report.table(table);
    if let Some(scenario) = &e.scenario {
        let [workload, run] = summary(scenario);
        report = report.text(format!("Simulated: {workload}."));
        report = report.text(format!(
            "Run, per candidate on the same requests, with its fitted settings: {run}."
        ));
    }
    for finding in &e.findings {
        report = report.text(finding.clone());
    }
    report
}

fn standing_word(s: Standing) -> &'static str {
    match s {
        Standing::Judged => "judged",
        Standing::Censored => "p99 censored",
        Standing::Failing => "failing",
        Standing::Overloaded => "overloaded",
        Standing::FellBehind => "fell behind",
        Standing::Collapsed => "collapsed",
    }
}

/// The evidence as `csv` writes it: plain numbers, one column each.
fn evidence_data(e: &Evidence) -> Table {
    let mut data = Table::new([
        "evidence_rank",
        "pattern",
        "catalog_rank",
        "balancer",
        "coordinators",
        "standing",
        "feasible",
        "attainment",
        "attainment_ci95",
        "latency_p50",
        "latency_p99",
        "attempts_per_task",
        "success_rate",
    ]);
    for c in &e.candidates {
        let value = |m: Metric, ci: bool| {
            c.result.as_ref().map_or(String::new(), |r| {
                let x = r.metrics.get(m);
                let v = if ci { x.ci95 } else { x.mean };
                if v.is_finite() {
                    v.to_string()
                } else {
                    String::new()
                }
            })
        };
        data.row([
            c.evidence_rank.to_string(),
            c.pattern.clone(),
            c.catalog_rank.to_string(),
            c.balancer.clone(),
            c.coordinators.to_string(),
            c.standing.map_or("not_simulated".to_string(), |s| {
                json!(s).as_str().unwrap_or("").to_string()
            }),
            c.feasible.to_string(),
            value(Metric::Attainment, false),
            value(Metric::Attainment, true),
            value(Metric::LatencyP50, false),
            value(Metric::LatencyP99, false),
            value(Metric::AttemptsPerTask, false),
            value(Metric::SuccessRate, false),
        ]);
    }
    data
}
