//! The `simulate` report: per pattern, one row per balancer, best first on what was asked
//! (attainment of the objective, or p99 over all requests), with the verdicts of
//! [`super::verdict`].

use serde_json::{Value, json};

use crate::sim::Scenario;
use crate::sim::distribution::{Arrivals, Service};
use crate::sim::resilience::{BreakerKind, RetryKind};
use crate::sim::rounds::Rounds;
use crate::sim::{Estimate, Metric, RunResult, Simulation};

use super::verdict;
use super::{Cell, Emphasis, Report, Table, document, number};
use crate::number::{decimals, round_sig, short};
use crate::sim::judgement::Measure;

/// `3.10 ± 0.10`, or the mean alone with one replication, `≥ 60.0` when only a bound is
/// known (censored), `failed` when it falls among failed requests in every replication, or
/// `-` when it does not apply.
pub fn estimate(e: Estimate) -> String {
    match e.at_least {
        Some(bound) if bound.is_finite() => return format!("≥ {:.d$}", bound, d = decimals(bound)),
        Some(_) => return "failed".into(),
        None => {}
    }
    if !e.mean.is_finite() {
        return "-".into();
    }
    let d = decimals(e.mean);
    if e.ci95.is_finite() {
        format!("{:.d$} ± {:.d$}", e.mean, e.ci95)
    } else {
        format!("{:.d$}", e.mean)
    }
}

fn percent(e: Estimate) -> String {
    if e.mean.is_finite() {
        format!("{:.1}%", 100.0 * e.mean)
    } else {
        "-".into()
    }
}

/// `99.2% ± 0.3`: a share with its interval.
fn share(e: Estimate) -> String {
    match (e.mean.is_finite(), e.ci95.is_finite()) {
        (true, true) => format!("{:.1}% ± {:.1}", 100.0 * e.mean, 100.0 * e.ci95),
        (true, false) => format!("{:.1}%", 100.0 * e.mean),
        _ => "-".into(),
    }
}

/// Displayed columns: header and metric. Latencies are over all requests, a failed one
/// counting as infinitely late.
const COLUMNS: &[(&str, Metric)] = &[
    ("goodput/s", Metric::Goodput),
    ("attainment", Metric::Attainment),
    ("in SLO/s", Metric::SloGoodput),
    ("p50 (s)", Metric::LatencyP50),
    ("p99 (s)", Metric::LatencyP99),
    ("p99.9 (s)", Metric::LatencyP999),
    ("success", Metric::SuccessRate),
    ("utilization", Metric::Utilization),
    ("coordination", Metric::CoordinatorUtilization),
];

fn cell(metric: Metric, e: Estimate) -> String {
    match metric {
        Metric::SuccessRate
        | Metric::Utilization
        | Metric::CoordinatorUtilization
        | Metric::WastedWork
        | Metric::Completeness
        | Metric::HedgeOverhead
        | Metric::HedgeRate
        | Metric::CostWaste
        | Metric::ThrottledShare
        | Metric::RoundLimited => percent(e),
        Metric::Attainment => share(e),
        _ => estimate(e),
    }
}

/// Results of one pattern, best first.
fn ranked<'a>(sim: &'a Simulation, pattern: &str) -> Vec<&'a RunResult> {
    let mut rows: Vec<&RunResult> = sim
        .results
        .iter()
        .filter(|r| r.pattern == pattern)
        .collect();
    verdict::rank(&mut rows, &sim.scenario, Measure::of(&sim.scenario));
    rows
}

/// Whether an estimate says anything (a value or a bound).
fn applies(e: Estimate) -> bool {
    e.mean.is_finite() || e.censored()
}

/// "1 agent", "8 agents".
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A CSV cell: the number to 6 significant digits, or empty when it does not apply.
/// A censored value's bound for CSV: `inf` among failed requests, empty when not censored.
fn at_least(e: Estimate) -> String {
    match e.at_least {
        Some(b) if b.is_infinite() => "inf".into(),
        Some(b) => num(b),
        None => String::new(),
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        plain(x)
    } else {
        String::new()
    }
}

/// A number as a person writes it: 0.8, 30, 1.5.
fn plain(x: f64) -> String {
    round_sig(x).to_string()
}

/// The scenario in words, two lines: the workload, then the run and what goes wrong in it
/// and which mechanisms are on.
pub fn summary(s: &Scenario) -> [String; 2] {
    let llm = s.llm.as_ref();
    let trace = s.trace.as_ref().map(|r| &r.trace);
    let tokens = llm
        .filter(|l| l.tokens_in.is_some() || l.tokens_out.is_some())
        .map(|l| {
            let show = |d: &Option<Service>| d.as_ref().map_or("0".to_string(), Service::to_string);
            match trace.filter(|t| t.tokens_in.is_some() || t.tokens_out.is_some()) {
                Some(_) => format!(
                    "the trace's tokens (mean {} in and {} out)",
                    short(l.tokens_in.as_ref().map_or(0.0, Service::mean)),
                    short(l.tokens_out.as_ref().map_or(0.0, Service::mean))
                ),
                None => format!(
                    "{} tokens in and {} out",
                    show(&l.tokens_in),
                    show(&l.tokens_out)
                ),
            }
        });
    let service = match (llm.and_then(|l| l.latency), s.service.clone()) {
        (Some(latency), work) => format!(
            "LLM calls of {} ({latency}: {} s on average)",
            tokens.clone().unwrap_or_default(),
            plain(work.mean())
        ),
        (None, work) if trace.is_some_and(|t| t.work.is_some()) => format!(
            "the trace's work (mean {} s, cv {})",
            short(work.mean()),
            short(work.scv().sqrt())
        ),
        (None, work) => match work {
            Service::Exponential { mean } => format!("exponential work of mean {} s", plain(mean)),
            Service::Deterministic { mean } => format!("constant work of {} s", plain(mean)),
            Service::Erlang { k, mean } => format!("Erlang-{k} work of mean {} s", plain(mean)),
            Service::LogNormal { mean, cv } => {
                format!(
                    "lognormal work of mean {} s (cv {})",
                    plain(mean),
                    plain(cv)
                )
            }
            Service::Pareto { alpha, mean } => {
                format!(
                    "Pareto work of mean {} s (alpha {})",
                    plain(mean),
                    plain(alpha)
                )
            }
            Service::HyperExponential { mean, cv } => format!(
                "hyperexponential work of mean {} s (cv {})",
                plain(mean),
                plain(cv)
            ),
        },
    };
    let arrivals = match (&s.trace, &s.arrivals) {
        (Some(r), _) => format!(
            "the arrivals of {} ({}{}, {} requests over {} s)",
            r.trace.path,
            r.mode,
            if r.rate_scale == 1.0 {
                String::new()
            } else {
                format!(" x{}", plain(r.rate_scale))
            },
            r.trace.len(),
            short(r.trace.duration() / r.rate_scale)
        ),
        (None, Arrivals::Poisson) => "Poisson arrivals".to_string(),
        (None, Arrivals::Deterministic) => "evenly spaced arrivals".to_string(),
        (None, Arrivals::Bursty { .. }) => format!("bursty arrivals ({})", s.arrivals),
    };
    let rate = match s.load {
        Some(load) => format!(
            "at {} requests/s (load {})",
            crate::number::number(s.rate, decimals(s.rate)),
            plain(load)
        ),
        None if s.trace.is_some() => format!("at {} requests/s", short(s.rate)),
        None => format!("at {} requests/s", plain(s.rate)),
    };
    let (slow, fast) = s
        .speeds
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let speeds = if fast > slow {
        format!(" of speeds {} to {}", plain(slow), plain(fast))
    } else {
        String::new()
    };
    let arrivals = [arrivals, rate]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut workload = format!(
        "{}{speeds}, {arrivals}, {service}",
        count(u64::from(s.agents), "agent")
    );
    if let Some(t) = tokens.filter(|_| llm.is_some_and(|l| l.latency.is_none())) {
        workload.push_str(&format!(", {t}"));
    }
    if let Some(path) = &s.fitted_from {
        workload.push_str(&format!(", fitted to {path}"));
    }
    if let Some(quota) = llm.and_then(|l| l.provider) {
        workload.push_str(&format!(", one provider quota of {quota} for every agent"));
    }
    if let Some(rounds) = s.rounds {
        let how = match rounds {
            Rounds::Fixed(n) => count(u64::from(n), "round"),
            Rounds::Geometric { mean } => format!("{} rounds on average", plain(mean)),
        };
        workload.push_str(&format!(", requests of {how}"));
        if let Some(growth) = llm.and_then(|l| l.context_growth) {
            workload.push_str(&format!(" (input +{} tokens a round)", plain(growth)));
        }
        if let Some(k) = s.max_rounds {
            workload.push_str(&format!(", failed after {}", count(u64::from(k), "round")));
        }
    }
    if s.votes > 1 {
        workload.push_str(&format!(
            ", {} votes a request with peer_to_peer (a majority answers)",
            s.votes
        ));
    }
    if let Some(price) = llm.and_then(|l| l.price) {
        workload.push_str(&format!(
            ", ${} in and ${} out per million tokens",
            plain(price.input),
            plain(price.output)
        ));
    }
    if let Some(cost) = llm.and_then(|l| l.agent_cost) {
        workload.push_str(&format!(", ${} per agent-hour", plain(cost)));
    }
    if let Some(slo) = s.slo {
        workload.push_str(&format!(", objective {slo}"));
    }
    if let Some(kinds) = &s.kinds {
        workload.push_str(&format!(", task kinds {kinds}"));
    }
    for spike in &s.resilience.spikes {
        workload.push_str(&format!(
            ", arrivals x{} from {} s for {} s",
            plain(spike.factor),
            plain(spike.start),
            plain(spike.duration)
        ));
    }

    let size = match (s.tasks, s.duration) {
        (Some(tasks), _) => count(tasks, "request"),
        (None, Some(d)) => format!("{} s of arrivals", plain(d)),
        _ => String::new(),
    };
    let mut run = vec![format!(
        "{size} x {} (first {}% discarded as warm-up), seed {}",
        count(u64::from(s.replications), "replication"),
        plain(100.0 * s.warmup),
        s.seed
    )];
    let r = &s.resilience;
    match (r.mtbf, r.mttr) {
        (Some(mtbf), Some(mttr)) => run.push(format!(
            "each agent fails every {} s on average for {} s",
            plain(mtbf),
            plain(mttr)
        )),
        _ if r.outages.is_empty() => run.push("no agent failures".to_string()),
        _ => {}
    }
    for o in &r.outages {
        run.push(format!(
            "agent {} down from {} s for {} s",
            o.agent,
            plain(o.start),
            plain(o.duration)
        ));
    }
    if r.retry.kind != RetryKind::None {
        run.push(format!(
            "{} retries ({} jitter)",
            r.retry.kind, r.retry.jitter
        ));
    }
    if let Some(budget) = r.retry_budget {
        run.push(format!("retry budget {}%", plain(100.0 * budget)));
    }
    if r.circuit_breaker.kind != BreakerKind::None {
        run.push(format!("{} circuit breakers", r.circuit_breaker.kind));
    }
    if let Some(limit) = r.queue_limit {
        run.push(format!("queues limited to {limit}"));
    }
    if let Some(q) = r.hedge_after_quantile {
        run.push(format!("hedging after the p{} latency", plain(100.0 * q)));
    }
    if r.active()
        && let Some(t) = r.timeout
    {
        run.push(format!("timeout {} s", plain(t)));
    }
    [workload, run.join(", ")]
}

pub fn simulation(sim: &Simulation) -> Report {
    let results: Vec<Value> = sim.results.iter().map(|r| json!(r)).collect();
    let [workload, run] = summary(&sim.scenario);
    let mut report = Report::new(document(json!({
        "scenario": sim.scenario,
        "results": results,
    })))
    .records(results)
    .text(format!("Simulated: {workload}."))
    .text(format!("Run: {run}."));

    for params in &sim.scenario.per_pattern {
        let rows = ranked(sim, &params.pattern);
        if rows.is_empty() {
            continue;
        }
        let columns: Vec<&(&str, Metric)> = COLUMNS
            .iter()
            .filter(|(_, m)| rows.iter().any(|r| applies(r.metrics.get(*m))))
            .collect();
        let mut header = vec!["balancer"];
        header.extend(columns.iter().map(|(h, _)| *h));
        let coordination = match params.coordination_load {
            Some(c) => format!(", coordination {c:.2}"),
            None => String::new(),
        };
        let busiest = if params.peak_load
            > params.load.max(params.coordination_load.unwrap_or(0.0)) + 0.005
        {
            format!(", busiest station {:.2}", params.peak_load)
        } else {
            String::new()
        };
        let coordinators = match params.coordinators {
            0 => String::new(),
            c => format!(" + {}", count(u64::from(c), "coordinator")),
        };
        let mut table = Table::new(header)
            .titled(format!(
                "{}: {}{coordinators}, workers' load {:.2}{coordination}{busiest}",
                params.pattern,
                count(u64::from(params.workers), "worker"),
                params.load,
            ))
            .numeric(1..=columns.len())
            .optional([
                "coordination",
                "utilization",
                "p99.9 (s)",
                "p50 (s)",
                "in SLO/s",
                "success",
            ]);
        for (i, r) in rows.iter().enumerate() {
            let mut cells =
                vec![
                    Cell::new(r.balancer.id()).with(if i == 0 && r.sound(&sim.scenario) {
                        Emphasis::Good
                    } else if r.collapse.is_some() {
                        Emphasis::Bad
                    } else {
                        Emphasis::Plain
                    }),
                ];
            for (_, metric) in &columns {
                cells.push(Cell::new(cell(*metric, r.metrics.get(*metric))));
            }
            table.rows.push(cells);
        }
        let all = params.fan_out.filter(|&k| k == params.workers);
        report = report
            .table(table)
            .text(verdict::balancers(&rows, &sim.scenario, all));
        if sim.scenario.resilience.active() {
            report = report.table(resilience_table(&rows));
        }
        if sim.scenario.llm.is_some() {
            report = report.table(calls_table(&rows));
        }
        if sim.scenario.resilience.timeline.is_some() {
            for r in &rows {
                report = report.table(timeline_table(r));
            }
        }
    }
    if sim.scenario.per_pattern.len() > 1 {
        let best: Vec<&RunResult> = sim
            .scenario
            .patterns
            .iter()
            .filter_map(|p| ranked(sim, p).first().copied())
            .collect();
        report = report.text(format!(
            "Across patterns, the same requests at {} requests/s: {}",
            crate::number::number(sim.scenario.rate, decimals(sim.scenario.rate)),
            verdict::patterns(&best, &sim.scenario)
        ));
    }
    report.data = Some(if sim.scenario.resilience.timeline.is_some() {
        timeline_data(sim)
    } else {
        data_table(sim)
    });
    report
}

/// Columns of the resilience table, shown when they apply to some row.
const RESILIENCE: &[(&str, Metric)] = &[
    ("goodput/s", Metric::Goodput),
    ("success", Metric::SuccessRate),
    ("attempts/task", Metric::AttemptsPerTask),
    ("wasted work", Metric::WastedWork),
    ("timed out", Metric::TimedOut),
    ("rejected", Metric::Rejected),
    ("detection (s)", Metric::DetectionDelay),
    ("no dispatch (s)", Metric::NoDispatchTime),
    ("completeness", Metric::Completeness),
    ("hedge overhead", Metric::HedgeOverhead),
    ("hedges/part", Metric::HedgeRate),
];

/// What failures and resilience mechanisms did, in the same row order as the main table.
fn resilience_table(rows: &[&RunResult]) -> Table {
    metric_table(rows, RESILIENCE)
        .titled("Failures and resilience (per replication: timed out and rejected are attempts)")
        .optional([
            "hedges/part",
            "hedge overhead",
            "detection (s)",
            "wasted work",
            "completeness",
            "goodput/s",
            "no dispatch (s)",
        ])
}

/// Columns of the LLM calls table, shown when they apply to some row.
const CALLS: &[(&str, Metric)] = &[
    ("tokens/request", Metric::TokensPerRequest),
    ("$/request", Metric::CostPerRequest),
    ("$/good request", Metric::CostPerGoodRequest),
    ("$ wasted", Metric::CostWaste),
    ("429s", Metric::Throttled),
    ("429 share", Metric::ThrottledShare),
    ("429 wait (s)", Metric::ThrottledWait),
    ("rounds", Metric::Rounds),
    ("round limit", Metric::RoundLimited),
];

/// Tokens, dollars and the provider's refusals, in the same row order as the main table.
fn calls_table(rows: &[&RunResult]) -> Table {
    metric_table(rows, CALLS)
        .titled("LLM calls (per request over the whole run; 429s per replication)")
        .optional([
            "429 wait (s)",
            "429s",
            "rounds",
            "tokens/request",
            "$ wasted",
        ])
}

/// One row per result, named by its balancer, with the columns that apply to some row.
fn metric_table(rows: &[&RunResult], columns: &[(&str, Metric)]) -> Table {
    let columns: Vec<&(&str, Metric)> = columns
        .iter()
        .filter(|(_, m)| rows.iter().any(|r| applies(r.metrics.get(*m))))
        .collect();
    let mut header = vec!["balancer"];
    header.extend(columns.iter().map(|(h, _)| *h));
    let mut table = Table::new(header).numeric(1..=columns.len());
    for r in rows {
        let mut cells = vec![r.balancer.id().to_string()];
        cells.extend(
            columns
                .iter()
                .map(|(_, metric)| cell(*metric, r.metrics.get(*metric))),
        );
        table.row(cells);
    }
    table
}

/// One row per timeline bucket of one result.
fn timeline_table(r: &RunResult) -> Table {
    let mut table = Table::new([
        "from (s)",
        "to (s)",
        "throughput/s",
        "goodput/s",
        "attempts/s",
        "queued",
        "open breakers",
    ])
    .titled(format!("Timeline: {} / {}", r.pattern, r.balancer))
    .numeric(0..7)
    .optional(["open breakers", "queued", "throughput/s"]);
    for p in &r.timeline {
        table.row([
            number(p.start, 3),
            number(p.end, 3),
            estimate(p.throughput),
            estimate(p.goodput),
            estimate(p.attempts),
            estimate(p.queued),
            estimate(p.open_breakers),
        ]);
    }
    table
}

/// Every timeline bucket of every result as numbers, for CSV, each row with its result's
/// collapse and warnings so that no row of a troubled result looks normal.
fn timeline_data(sim: &Simulation) -> Table {
    let fields = [
        "throughput",
        "goodput",
        "attempts",
        "queued",
        "open_breakers",
    ];
    let mut header: Vec<String> = ["pattern", "balancer", "from", "to"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for f in fields {
        header.push(format!("{f}_mean"));
        header.push(format!("{f}_ci95"));
    }
    header.extend(["collapsed_replications", "collapsed_at", "warnings"].map(String::from));
    let mut table = Table::new(header);
    for r in &sim.results {
        let troubles = troubles(r);
        for p in &r.timeline {
            let mut row = vec![
                r.pattern.clone(),
                r.balancer.id().to_string(),
                num(p.start),
                num(p.end),
            ];
            for e in [
                p.throughput,
                p.goodput,
                p.attempts,
                p.queued,
                p.open_breakers,
            ] {
                row.push(num(e.mean));
                row.push(num(e.ci95));
            }
            row.extend(troubles.iter().cloned());
            table.row(row);
        }
    }
    table
}

/// A result's collapse (replications, time) and warnings, as CSV cells.
fn troubles(r: &RunResult) -> [String; 3] {
    match r.collapse {
        Some(c) => [c.replications.to_string(), num(c.at), r.warnings.join("; ")],
        None => [String::new(), String::new(), r.warnings.join("; ")],
    }
}

/// The CSV columns of one result, after what names it: the offered rate and loads, each
/// metric with its interval and bound, the request counts, collapse and warnings. Sweep rows
/// carry the same columns.
pub(super) fn result_columns() -> Vec<String> {
    let mut header: Vec<String> = ["offered_rate", "offered_load", "offered_coordination_load"]
        .map(String::from)
        .to_vec();
    for m in Metric::ALL {
        header.push(format!("{}_mean", m.id()));
        header.push(format!("{}_ci95", m.id()));
        header.push(format!("{}_at_least", m.id()));
    }
    header.extend(
        [
            "generated",
            "completed",
            "failed",
            "in_flight",
            "collapsed_replications",
            "collapsed_at",
            "warnings",
        ]
        .map(String::from),
    );
    header
}

/// Every result and metric as numbers, one row per pattern and balancer, for CSV.
fn data_table(sim: &Simulation) -> Table {
    let mut header: Vec<String> = vec!["pattern".into(), "balancer".into()];
    header.extend(result_columns());
    let mut table = Table::new(header);
    for r in &sim.results {
        let mut row = vec![
            r.pattern.clone(),
            r.balancer.id().to_string(),
            num(r.offered.rate),
            num(r.offered.load),
            num(r.offered.coordination_load.unwrap_or(f64::NAN)),
        ];
        for &m in Metric::ALL {
            let e = r.metrics.get(m);
            row.push(num(e.mean));
            row.push(num(e.ci95));
            row.push(at_least(e));
        }
        row.extend(
            [
                r.tasks.generated,
                r.tasks.completed,
                r.tasks.failed,
                r.tasks.in_flight,
            ]
            .map(|n| n.to_string()),
        );
        row.extend(troubles(r));
        table.row(row);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_show_three_significant_digits() {
        let e = |mean, ci95| Estimate {
            mean,
            ci95,
            at_least: None,
        };
        assert_eq!(estimate(e(3.1, 0.1)), "3.10 ± 0.10");
        assert_eq!(estimate(e(123.456, 1.2)), "123 ± 1");
        assert_eq!(estimate(e(0.01234, 0.0001)), "0.0123 ± 0.0001");
        assert_eq!(estimate(e(2.0, f64::NAN)), "2.00");
        assert_eq!(estimate(e(f64::NAN, f64::NAN)), "-");
        let censored = Estimate {
            at_least: Some(60.0),
            ..Estimate::NONE
        };
        assert_eq!(estimate(censored), "≥ 60.0");
        let failed = Estimate {
            at_least: Some(f64::INFINITY),
            ..Estimate::NONE
        };
        assert_eq!(estimate(failed), "failed");
    }
}
