//! How a result stands against what the user asked, and whether one result beats another
//! beyond chance. With an objective (`--slo`) the measure is attainment, the share of all
//! requests answered within the deadline; without one, the p99 over all requests. Every
//! comparison is paired over the same requests (each replication is the same request stream
//! for every pattern and balancer), and no result wins from a censored quantile, a collapse,
//! an overloaded station or a run that fell behind. `simulate`'s verdicts and `recommend`'s
//! ranking both judge by these rules.

use super::{Metric, RunResult, Scenario, Shortfall};

/// What results are judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Attainment of the objective: higher is better.
    Attainment,
    /// p99 over all requests: lower is better.
    P99,
}

impl Measure {
    pub fn of(scenario: &Scenario) -> Measure {
        if scenario.slo.is_some() {
            Measure::Attainment
        } else {
            Measure::P99
        }
    }

    pub fn metric(self) -> Metric {
        match self {
            Measure::Attainment => Metric::Attainment,
            Measure::P99 => Metric::LatencyP99,
        }
    }
}

/// A result's standing: judged, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Judged,
    /// The measure is only a bound (a quantile among failed requests).
    Censored,
    /// Too few of its requests were answered in full.
    Failing,
    /// A station is loaded at or above its capacity: its queue grows without bound, and
    /// what it measures depends on the run's length.
    Overloaded,
    FellBehind,
    Collapsed,
}

pub fn standing(r: &RunResult, scenario: &Scenario, measure: Measure) -> Standing {
    let overloaded = scenario
        .per_pattern
        .iter()
        .any(|p| p.pattern == r.pattern && (p.load >= 1.0 || p.peak_load >= 1.0));
    if r.collapse.is_some() {
        Standing::Collapsed
    } else if overloaded {
        Standing::Overloaded
    } else if r.shortfall(scenario) == Some(Shortfall::QueuesGrew) {
        Standing::FellBehind
    } else if measure == Measure::P99 && r.shortfall(scenario) == Some(Shortfall::Failed) {
        // Attainment counts a failed request as a miss already; only a latency quantile
        // needs most requests answered to mean anything.
        Standing::Failing
    } else if r.metrics.get(measure.metric()).censored() {
        Standing::Censored
    } else {
        Standing::Judged
    }
}

/// Sorts best first: judged results by the measure, then the others (censored by their
/// bound, then those that fell behind, then collapsed).
pub fn rank(results: &mut [&RunResult], scenario: &Scenario, measure: Measure) {
    let key = |r: &RunResult| {
        let e = r.metrics.get(measure.metric());
        let value = e.at_least.unwrap_or(e.mean);
        let value = if value.is_nan() { f64::INFINITY } else { value };
        match measure {
            Measure::Attainment => -value,
            Measure::P99 => value,
        }
    };
    results.sort_by(|a, b| {
        standing(a, scenario, measure)
            .cmp(&standing(b, scenario, measure))
            .then(key(a).total_cmp(&key(b)))
            .then(a.balancer.cmp(&b.balancer))
    });
}

/// Whether `a` is better than `b` on the measure beyond chance, paired over the same
/// requests; `None` without intervals.
pub fn better(a: &RunResult, b: &RunResult, measure: Measure) -> Option<bool> {
    match measure {
        Measure::Attainment => a.higher_than(b, Metric::Attainment),
        Measure::P99 => b.higher_than(a, Metric::LatencyP99),
    }
}

/// Two judged results whose order depends on the deadline: the first is faster at the
/// median, the second at p99, both beyond chance (paired). Checks the first of `judged`
/// against each other.
pub fn crossing<'a>(judged: &[&'a RunResult]) -> Option<(&'a RunResult, &'a RunResult)> {
    let a = *judged.first()?;
    judged[1..].iter().find_map(|&b| {
        if b.higher_than(a, Metric::LatencyP50) == Some(true)
            && a.higher_than(b, Metric::LatencyP99) == Some(true)
        {
            Some((a, b))
        } else if a.higher_than(b, Metric::LatencyP50) == Some(true)
            && b.higher_than(a, Metric::LatencyP99) == Some(true)
        {
            Some((b, a))
        } else {
            None
        }
    })
}
