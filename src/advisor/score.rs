//! The scoring function: each criterion gives a pattern a score from 0 to 1, and the
//! pattern's score is the weighted mean over the criteria that apply, times 100.
//! `docs/advisor.md` states the same rules in prose; keep the two in step.

use serde::Serialize;

use crate::catalog::{Level, Pattern};

use super::{Request, Trait};

/// Weight of each criterion in the weighted mean.
pub const WEIGHT_AGENT_FIT: f64 = 30.0;
pub const WEIGHT_USE_CASE: f64 = 25.0;
pub const WEIGHT_FAULT_TOLERANCE: f64 = 20.0;
pub const WEIGHT_LATENCY: f64 = 15.0;
pub const WEIGHT_THROUGHPUT: f64 = 15.0;
/// Applies with `--fault-tolerance`: the catalog's reliability rating separates patterns
/// that share a fault-tolerance level.
pub const WEIGHT_RELIABILITY: f64 = 15.0;
pub const WEIGHT_COMPLEXITY: f64 = 10.0;

/// Score lost per level a pattern falls short of a stated requirement.
pub const PENALTY_PER_LEVEL: f64 = 0.3;
/// Score lost per level of complexity above `low`: simpler patterns are preferred.
pub const SIMPLICITY_PER_LEVEL: f64 = 0.1;

/// One criterion's verdict on one pattern.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub criterion: &'static str,
    pub weight: f64,
    /// From 0 (fails the criterion) to 1 (fully meets it).
    pub score: f64,
    pub reason: String,
}

impl Criterion {
    fn new(criterion: &'static str, weight: f64, score: f64, reason: String) -> Self {
        Self {
            criterion,
            weight,
            score: score.clamp(0.0, 1.0),
            reason,
        }
    }
}

fn times(ratio: f64) -> String {
    if (ratio - 2.0).abs() < 0.05 {
        "twice".into()
    } else {
        format!("{ratio:.1}x")
    }
}

fn levels(n: i32) -> String {
    if n == 1 {
        "1 level".into()
    } else {
        format!("{n} levels")
    }
}

/// "1 agent", "40 agents".
fn agents_text(n: u32) -> String {
    if n == 1 {
        "1 agent".into()
    } else {
        format!("{n} agents")
    }
}

/// Inside the optimal range scores 1; outside, `1 / (1 + ln r)` where `r` is the ratio to the
/// nearest bound: twice the maximum scores 0.59, ten times 0.30, a hundred times 0.18. The
/// logarithm keeps far-off counts apart, so a pattern made for 100 agents still beats one made
/// for 15 at 3,000.
pub fn agent_fit(pattern: &Pattern, agents: u32) -> Criterion {
    let range = &pattern.optimal_agent_count;
    let n = agents_text(agents);
    let (ratio, reason) = if agents > range.max {
        let ratio = f64::from(agents) / f64::from(range.max);
        (
            ratio,
            format!(
                "{n} is {} its optimal maximum of {}",
                times(ratio),
                range.max
            ),
        )
    } else if agents < range.min {
        (
            f64::from(range.min) / f64::from(agents),
            format!("{n} is below its optimal minimum of {}", range.min),
        )
    } else {
        (
            1.0,
            format!(
                "{n} is within its optimal range {}-{}",
                range.min, range.max
            ),
        )
    };
    let score = 1.0 / (1.0 + ratio.ln());
    Criterion::new("agent_fit", WEIGHT_AGENT_FIT, score, reason)
}

/// How far `agents` is from the pattern's optimal range, in doublings beyond twice its
/// nearest bound: 0 up to twice the bound, 1 up to four times, and so on. Used before the
/// score, so that a pattern far outside its range never beats one inside it.
pub fn agent_distance(pattern: &Pattern, agents: u32) -> u32 {
    let range = &pattern.optimal_agent_count;
    let ratio = if agents > range.max {
        f64::from(agents) / f64::from(range.max.max(1))
    } else if agents < range.min {
        f64::from(range.min) / f64::from(agents.max(1))
    } else {
        1.0
    };
    if ratio <= 2.0 {
        0
    } else {
        ratio.log2().ceil() as u32 - 1
    }
}

/// A rating that should reach `required` (fault tolerance, throughput).
fn at_least(
    criterion: &'static str,
    weight: f64,
    label: &str,
    has: Level,
    required: Level,
) -> Criterion {
    let short = required.rank() - has.rank();
    if short <= 0 {
        Criterion::new(
            criterion,
            weight,
            1.0,
            format!("{label} {has} meets the required {required}"),
        )
    } else {
        Criterion::new(
            criterion,
            weight,
            1.0 - PENALTY_PER_LEVEL * f64::from(short),
            format!(
                "{label} {has} is {} below the required {required}",
                levels(short)
            ),
        )
    }
}

/// A rating that should stay at or under `limit` (latency: lower is faster).
fn at_most(
    criterion: &'static str,
    weight: f64,
    label: &str,
    has: Level,
    limit: Level,
) -> Criterion {
    let over = has.rank() - limit.rank();
    if over <= 0 {
        Criterion::new(
            criterion,
            weight,
            1.0,
            format!("{label} {has} is within the wanted {limit}"),
        )
    } else {
        Criterion::new(
            criterion,
            weight,
            1.0 - PENALTY_PER_LEVEL * f64::from(over),
            format!("{label} {has} is {} above the wanted {limit}", levels(over)),
        )
    }
}

/// Simpler is better; a pattern above `--max-complexity` says so here (and is ranked last by the caller).
fn complexity(pattern: &Pattern, max: Option<Level>) -> Criterion {
    let has = pattern.implementation_complexity;
    let above_low = (has.rank() - Level::Low.rank()).max(0);
    let reason = match max {
        Some(max) if has > max => format!("complexity {has} exceeds the maximum {max}"),
        _ if above_low == 0 => format!("complexity {has}: as simple as patterns come"),
        _ => format!("complexity {has} (simpler patterns score higher)"),
    };
    Criterion::new(
        "complexity",
        WEIGHT_COMPLEXITY,
        1.0 - SIMPLICITY_PER_LEVEL * f64::from(above_low),
        reason,
    )
}

/// The text of a pattern that says what it is good for; its disadvantages are left out.
fn strengths(pattern: &Pattern) -> Vec<(String, String)> {
    let mut out = vec![("description".to_string(), pattern.description.clone())];
    for (field, items) in [
        ("use_cases", &pattern.use_cases),
        ("advantages", &pattern.advantages),
    ] {
        out.extend(items.iter().map(|t| (field.to_string(), t.clone())));
    }
    for (key, value) in &pattern.configuration_parameters {
        out.push((
            format!("configuration_parameters.{key}"),
            format!("{key}: {value}"),
        ));
    }
    out
}

/// The first strength of the pattern that mentions one of the trait's keywords.
pub fn evidence(pattern: &Pattern, t: Trait) -> Option<(String, String)> {
    strengths(pattern).into_iter().find(|(_, text)| {
        let text = text.to_lowercase().replace('_', " ");
        t.pattern_keywords().iter().any(|k| text.contains(k))
    })
}

/// The share of the requested work traits that the pattern's own text supports.
fn use_case(pattern: &Pattern, traits: &[Trait]) -> Option<Criterion> {
    let relevant: Vec<Trait> = traits
        .iter()
        .copied()
        .filter(|t| !t.pattern_keywords().is_empty())
        .collect();
    if relevant.is_empty() {
        return None;
    }
    let mut met = 0;
    let mut reasons = Vec::new();
    for t in &relevant {
        match evidence(pattern, *t) {
            Some((field, text)) => {
                met += 1;
                reasons.push(format!("{field} \"{text}\" fits {}", t.flag()));
            }
            None => reasons.push(format!(
                "nothing in its description, use cases or configuration suits {}",
                t.flag()
            )),
        }
    }
    Some(Criterion::new(
        "use_case",
        WEIGHT_USE_CASE,
        met as f64 / relevant.len() as f64,
        reasons.join("; "),
    ))
}

/// Every criterion that applies to this request, in a fixed order.
pub fn criteria(pattern: &Pattern, request: &Request) -> Vec<Criterion> {
    let perf = &pattern.performance_characteristics;
    let mut out = vec![agent_fit(pattern, request.agents)];
    if let Some(c) = use_case(pattern, &request.traits) {
        out.push(c);
    }
    if let Some(required) = request.fault_tolerance {
        out.push(at_least(
            "fault_tolerance",
            WEIGHT_FAULT_TOLERANCE,
            "fault tolerance",
            perf.fault_tolerance,
            required,
        ));
        let rating = pattern.reliability_rating;
        out.push(Criterion::new(
            "reliability",
            WEIGHT_RELIABILITY,
            f64::from(rating) / 10.0,
            format!("reliability rating {rating}/10"),
        ));
    }
    if let Some(limit) = request.latency {
        out.push(at_most(
            "latency",
            WEIGHT_LATENCY,
            "latency",
            perf.latency,
            limit,
        ));
    }
    if let Some(required) = request.throughput {
        out.push(at_least(
            "throughput",
            WEIGHT_THROUGHPUT,
            "throughput",
            perf.throughput,
            required,
        ));
    }
    out.push(complexity(pattern, request.max_complexity));
    out
}

/// The weighted mean of the criteria, from 0 to 100, rounded to two decimals so that
/// documents do not carry floating-point noise.
pub fn total(criteria: &[Criterion]) -> f64 {
    let weight: f64 = criteria.iter().map(|c| c.weight).sum();
    let earned: f64 = criteria.iter().map(|c| c.weight * c.score).sum();
    if weight == 0.0 {
        0.0
    } else {
        (10_000.0 * earned / weight).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn agent_fit_is_the_ratio_to_the_nearest_bound() {
        let catalog = Catalog::embedded();
        let master = catalog.pattern("master_slave").unwrap();
        let c = agent_fit(master, 40);
        assert!((c.score - 1.0 / (1.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(c.reason, "40 agents is twice its optimal maximum of 20");
        assert_eq!(agent_fit(master, 10).score, 1.0);
        assert!((agent_fit(master, 4).score - 1.0 / (1.0 + 1.25f64.ln())).abs() < 1e-12);
        assert_eq!(
            agent_fit(master, 1).reason,
            "1 agent is below its optimal minimum of 5"
        );
        assert_eq!(
            agent_fit(master, 30).reason,
            "30 agents is 1.5x its optimal maximum of 20"
        );
    }

    #[test]
    fn level_shortfalls_cost_a_fixed_amount_per_level() {
        let c = at_least("x", 1.0, "fault tolerance", Level::Medium, Level::High);
        assert!((c.score - 0.4).abs() < 1e-12);
        assert_eq!(
            c.reason,
            "fault tolerance medium is 2 levels below the required high"
        );
        assert_eq!(
            at_least("x", 1.0, "t", Level::VeryHigh, Level::High).score,
            1.0
        );
        let c = at_most("x", 1.0, "latency", Level::MediumToHigh, Level::Low);
        assert!((c.score - 0.4).abs() < 1e-12);
        assert_eq!(
            at_least("x", 1.0, "t", Level::Minimal, Level::VeryHigh).score,
            0.0
        );
    }

    #[test]
    fn total_is_a_weighted_mean() {
        let cs = [
            Criterion::new("a", 30.0, 1.0, String::new()),
            Criterion::new("b", 10.0, 0.0, String::new()),
        ];
        assert_eq!(total(&cs), 75.0);
        assert_eq!(total(&[]), 0.0);
    }
}
