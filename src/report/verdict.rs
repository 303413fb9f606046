//! Verdicts under the simulate tables: which balancer, and which pattern, does best on what
//! the user asked. With an objective (`--slo`), the measure is attainment, the share of all
//! requests answered within the deadline; without one, the p99 over all requests. Every
//! comparison is paired over the same requests (each replication is the same request stream
//! for every pattern and balancer), and no result wins from a censored quantile, a collapse
//! or a run that fell behind.

use crate::sim::judgement::{Measure, Standing, better, standing};
use crate::sim::{Estimate, Metric, RunResult, Scenario};

pub use crate::sim::judgement::rank;

/// `3.10 s ± 0.10`, or `99.2% ± 0.3` for attainment.
fn show(e: Estimate, measure: Measure) -> String {
    match measure {
        Measure::P99 => crate::number::seconds(e.mean, e.ci95),
        Measure::Attainment if e.ci95.is_finite() => {
            format!("{:.1}% ± {:.1}", 100.0 * e.mean, 100.0 * e.ci95)
        }
        Measure::Attainment => format!("{:.1}%", 100.0 * e.mean),
    }
}

/// What the measure is, in words.
fn what(scenario: &Scenario, measure: Measure) -> String {
    match (measure, scenario.slo) {
        (Measure::Attainment, Some(slo)) => format!(
            "attainment within {} s",
            crate::number::round_sig(slo.deadline)
        ),
        _ => "p99 over all requests".into(),
    }
}

/// Why results could not be judged, as a clause: "peer_to_peer collapsed, ..."
fn excluded(
    results: &[&RunResult],
    scenario: &Scenario,
    measure: Measure,
    name: fn(&RunResult) -> String,
) -> Option<String> {
    let reasons: Vec<String> = results
        .iter()
        .filter_map(|r| {
            let why = match standing(r, scenario, measure) {
                Standing::Judged => return None,
                Standing::Collapsed => "collapsed".to_string(),
                Standing::FellBehind => "fell behind".to_string(),
                Standing::Overloaded => "loaded at or above capacity".to_string(),
                Standing::Failing => format!(
                    "answered {:.1}% of requests in full",
                    100.0 * r.metrics.get(Metric::SuccessRate).mean
                ),
                Standing::Censored => match r.metrics.get(measure.metric()).at_least {
                    Some(bound) if bound.is_finite() => format!(
                        "p99 at least {}: over 1% of requests failed or were cut short",
                        crate::number::seconds(bound, f64::NAN)
                    ),
                    _ => "p99 among failed requests: over 1% of requests failed".to_string(),
                },
            };
            Some(format!("{} ({why})", name(r)))
        })
        .collect();
    (!reasons.is_empty()).then(|| format!("not judged: {}", reasons.join(", ")))
}

/// The line under one pattern's table: its best balancer and how the others compare.
/// `rows` are ranked.
pub fn balancers(rows: &[&RunResult], scenario: &Scenario, fan_out_to_all: Option<u32>) -> String {
    let measure = Measure::of(scenario);
    let judged: Vec<&RunResult> = rows
        .iter()
        .copied()
        .filter(|r| standing(r, scenario, measure) == Standing::Judged)
        .collect();
    let out = excluded(rows, scenario, measure, |r| r.balancer.id().to_string());
    let Some(best) = judged.first() else {
        return out.unwrap_or_else(|| "nothing to compare".into());
    };
    let e = best.metrics.get(measure.metric());
    let mut line = if judged.len() == 1 {
        format!(
            "{}: {} {}",
            best.balancer,
            what(scenario, measure),
            show(e, measure)
        )
    } else if let Some(k) = fan_out_to_all {
        format!(
            "every request uses all {k} agents (fan-out {k}), so the balancer has no choice to make; {} {}",
            what(scenario, measure),
            show(e, measure)
        )
    } else {
        let others = &judged[1..];
        let beaten: Vec<Option<bool>> = others.iter().map(|r| better(best, r, measure)).collect();
        if beaten.iter().any(Option::is_none) {
            format!(
                "{} is best on {}: {}; with one replication there is no interval to say whether that is chance",
                best.balancer,
                what(scenario, measure),
                show(e, measure)
            )
        } else if beaten.iter().all(|b| *b == Some(false)) {
            format!(
                "{} is best on {}: {}, but not beyond chance against any other (paired over the same requests)",
                best.balancer,
                what(scenario, measure),
                show(e, measure)
            )
        } else {
            let tied: Vec<&str> = others
                .iter()
                .zip(&beaten)
                .filter(|(_, b)| **b == Some(false))
                .map(|(r, _)| r.balancer.id())
                .collect();
            let mut line = format!(
                "{} is best on {}: {}",
                best.balancer,
                what(scenario, measure),
                show(e, measure)
            );
            if !tied.is_empty() {
                line.push_str(&format!(
                    "; {} {} not worse beyond chance (paired over the same requests)",
                    tied.join(", "),
                    if tied.len() == 1 { "is" } else { "are" }
                ));
            }
            line
        }
    };
    if scenario.per_pattern.len() == 1
        && let Some(clause) = objective(&judged, scenario, "balancer", |r| r.balancer.to_string())
    {
        line.push_str("; ");
        line.push_str(&clause);
    }
    if let Some(out) = out {
        line.push_str("; ");
        line.push_str(&out);
    }
    line
}

/// The line under all the tables, with several patterns: which pattern (with its best
/// balancer) does best on what was asked, whether it meets the objective, and whether the
/// answer depends on the deadline. `best` holds each pattern's best-ranked result.
pub fn patterns(best: &[&RunResult], scenario: &Scenario) -> String {
    let measure = Measure::of(scenario);
    let mut ranked: Vec<&RunResult> = best.to_vec();
    rank(&mut ranked, scenario, measure);
    let judged: Vec<&RunResult> = ranked
        .iter()
        .copied()
        .filter(|r| standing(r, scenario, measure) == Standing::Judged)
        .collect();
    let name = |r: &RunResult| format!("{} ({})", crate::names::short_name(&r.pattern), r.balancer);
    let out = excluded(&ranked, scenario, measure, |r| {
        format!("{} ({})", crate::names::short_name(&r.pattern), r.balancer)
    });
    let mut parts = Vec::new();
    if let Some(clause) = objective(&judged, scenario, "pattern", name) {
        parts.push(clause);
    }
    if let Some(first) = judged.first() {
        let e = first.metrics.get(measure.metric());
        let mut line = format!(
            "best on {}: {} with {}",
            what(scenario, measure),
            name(first),
            show(e, measure)
        );
        let ties: Vec<String> = judged[1..]
            .iter()
            .filter(|r| better(first, r, measure) == Some(false))
            .map(|r| name(r))
            .collect();
        if !ties.is_empty() {
            line.push_str(&format!(
                ", not better beyond chance than {} (paired over the same requests)",
                ties.join(", ")
            ));
        }
        parts.push(line);
        if let Some(cross) = crossing(&judged) {
            parts.push(cross);
        }
    }
    if let Some(out) = out {
        parts.push(out);
    }
    let mut text = parts.join("; ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

/// Whether the objective is met, and by which of the `judged` results: with 95% confidence
/// (the lower end of attainment's interval at or above the target share), or with one
/// replication on the point estimate, said as such. `None` without `--slo`.
fn objective(
    judged: &[&RunResult],
    scenario: &Scenario,
    what: &str,
    name: impl Fn(&RunResult) -> String,
) -> Option<String> {
    let slo = scenario.slo?;
    let attainment = |r: &&&RunResult| r.metrics.get(Metric::Attainment);
    if judged.iter().any(|r| !attainment(&r).ci95.is_finite()) {
        let meets: Vec<String> = judged
            .iter()
            .filter(|r| attainment(r).mean >= slo.quantile)
            .map(|r| name(r))
            .collect();
        return Some(if meets.is_empty() {
            format!("no {what} meets {slo} in this one replication (no interval to judge by)")
        } else {
            format!(
                "{slo} is met in this one replication by {} (no interval to judge by)",
                meets.join(", ")
            )
        });
    }
    let meets: Vec<String> = judged
        .iter()
        .filter(|r| attainment(r).low() >= slo.quantile)
        .map(|r| name(r))
        .collect();
    Some(if meets.is_empty() {
        format!("no {what} meets {slo} with 95% confidence")
    } else {
        format!("{slo} is met with 95% confidence by {}", meets.join(", "))
    })
}

/// When another result is faster than the best at the median and slower at the tail, or
/// the other way round, beyond chance: the choice then depends on the deadline.
fn crossing(judged: &[&RunResult]) -> Option<String> {
    let (fast, tail) = crate::sim::judgement::crossing(judged)?;
    Some(format!(
        "the choice depends on the deadline: {} is faster at the median ({} against {}), {} at p99",
        crate::names::short_name(&fast.pattern),
        crate::number::seconds(fast.metrics.get(Metric::LatencyP50).mean, f64::NAN),
        crate::number::seconds(tail.metrics.get(Metric::LatencyP50).mean, f64::NAN),
        crate::names::short_name(&tail.pattern)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::sim::{self, ScenarioInput, Simulation};

    fn simulate(toml: &str) -> Simulation {
        let input = ScenarioInput::from_toml(toml, "case").unwrap();
        let scenario = Scenario::build(input, &Catalog::embedded().simulation_defaults()).unwrap();
        sim::simulate(&scenario, &|| ()).unwrap()
    }

    /// Replaces `metric` of `r` by a bound, as a quantile among failed requests gets.
    fn censor(r: &mut RunResult, metric: Metric, bound: f64) {
        for (m, e) in &mut r.metrics.0 {
            if *m == metric {
                *e = Estimate {
                    at_least: Some(bound),
                    ..Estimate::NONE
                };
            }
        }
    }

    #[test]
    fn a_censored_p99_never_wins_however_low_its_bound() {
        let mut sim = simulate(
            "pattern = \"master_slave\"\nagents = 5\nrate = 3\ntasks = 3000\nreplications = 3\nbalancer = \"least_connections,random\"\n",
        );
        let best = sim.results[0].metrics.get(Metric::LatencyP99).mean;
        assert!(best < sim.results[1].metrics.get(Metric::LatencyP99).mean);
        // Least connections' p99 is now only known to be above a tenth of its value.
        censor(&mut sim.results[0], Metric::LatencyP99, best / 10.0);
        let mut rows: Vec<&RunResult> = sim.results.iter().collect();
        rank(&mut rows, &sim.scenario, Measure::P99);
        assert_eq!(rows[0].balancer.id(), "random");
        let line = balancers(&rows, &sim.scenario, None);
        assert!(line.starts_with("random: p99 over all requests"), "{line}");
        assert!(
            line.contains("not judged: least_connections (p99 at least"),
            "{line}"
        );
        // Among failed requests, it has no bound at all.
        censor(&mut sim.results[0], Metric::LatencyP99, f64::INFINITY);
        let rows: Vec<&RunResult> = sim.results.iter().rev().collect();
        let line = balancers(&rows, &sim.scenario, None);
        assert!(
            line.contains("least_connections (p99 among failed requests"),
            "{line}"
        );
    }

    #[test]
    fn a_station_over_capacity_is_never_judged() {
        // The master can dispatch 1 / 0.165 = 6.06 requests/s of the 6.4 that arrive.
        let sim = simulate(
            "pattern = \"master_slave,peer_to_peer\"\ndispatch_overhead = 0.165\nrate = 6.4\ntasks = 600\nreplications = 3\nbalancer = \"least_connections\"\n",
        );
        let best: Vec<&RunResult> = sim.results.iter().collect();
        let line = patterns(&best, &sim.scenario);
        assert!(
            line.contains(
                "not judged: master_slave (least_connections) (loaded at or above capacity)"
            ),
            "{line}"
        );
        assert!(
            !line.contains("Best on p99 over all requests: master_slave"),
            "{line}"
        );
    }

    #[test]
    fn one_replication_claims_no_confidence() {
        let sim = simulate(
            "pattern = \"master_slave,peer_to_peer\"\nrate = 6\ntasks = 3000\nreplications = 1\nslo = \"5s@95%\"\nbalancer = \"least_connections\"\n",
        );
        let best: Vec<&RunResult> = sim.results.iter().collect();
        let line = patterns(&best, &sim.scenario);
        assert!(!line.contains("95% confidence"), "{line}");
        assert!(line.contains("in this one replication"), "{line}");
    }

    #[test]
    fn a_collapsed_or_failing_result_is_never_the_best_pattern() {
        let mut sim = simulate(
            "pattern = \"master_slave,peer_to_peer\"\nagents = 6\nrate = 2\nslo = \"8s\"\ntasks = 3000\nreplications = 3\nbalancer = \"least_connections\"\n",
        );
        let best: Vec<&RunResult> = sim.results.iter().collect();
        let line = patterns(&best, &sim.scenario);
        assert!(line.contains("is met with 95% confidence by"), "{line}");
        let winner = if line.contains("best on attainment within 8 s: master_slave") {
            0
        } else {
            1
        };
        sim.results[winner].collapse = Some(sim::Collapse {
            replications: 1,
            of: 3,
            at: 100.0,
        });
        let best: Vec<&RunResult> = sim.results.iter().collect();
        let line = patterns(&best, &sim.scenario);
        let name = crate::names::short_name(&sim.results[winner].pattern).to_string();
        assert!(
            line.contains(&format!(
                "not judged: {name} (least_connections) (collapsed)"
            )),
            "{line}"
        );
        assert!(
            !line.contains(&format!("best on attainment within 8 s: {name}")),
            "{line}"
        );
    }
}
