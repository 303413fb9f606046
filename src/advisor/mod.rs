//! `recommend`: ranks the catalog's patterns for a request and advises the settings
//! that go with the winner.

mod advice;
pub mod evidence;
pub mod score;

use serde::Serialize;

use crate::catalog::{Catalog, Level};

pub use advice::{
    Advice, BalancerAdvice, BreakerAdvice, CachingAdvice, HeartbeatAdvice, RetryAdvice,
};
pub use score::Criterion;

/// A property of the work that steers the choice of pattern or balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trait {
    HeterogeneousAgents,
    VariableTaskDuration,
    SpecializedAgents,
    SequentialStages,
    NeedsConsensus,
}

impl Trait {
    pub fn flag(self) -> &'static str {
        match self {
            Trait::HeterogeneousAgents => "--heterogeneous-agents",
            Trait::VariableTaskDuration => "--variable-task-duration",
            Trait::SpecializedAgents => "--specialized-agents",
            Trait::SequentialStages => "--sequential-stages",
            Trait::NeedsConsensus => "--needs-consensus",
        }
    }

    /// Words in a pattern's description, use cases, advantages or configuration (underscores read
    /// as spaces) that show it suits this trait.
    /// Empty when the trait concerns the balancer only.
    pub fn pattern_keywords(self) -> &'static [&'static str] {
        match self {
            Trait::HeterogeneousAgents => &["heterogeneous", "capability based"],
            Trait::VariableTaskDuration => &[],
            Trait::SpecializedAgents => &["specialized", "specialization", "capability based"],
            Trait::SequentialStages => &["sequential", "stage", "pipeline", "chain"],
            Trait::NeedsConsensus => &["consensus", "voting"],
        }
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub agents: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_tolerance: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_complexity: Option<Level>,
    pub traits: Vec<Trait>,
}

impl Request {
    pub fn new(agents: u32) -> Self {
        Self {
            agents,
            fault_tolerance: None,
            latency: None,
            throughput: None,
            max_complexity: None,
            traits: Vec::new(),
        }
    }

    pub fn has(&self, t: Trait) -> bool {
        self.traits.contains(&t)
    }
}

/// One pattern's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub rank: usize,
    pub pattern: String,
    pub name: String,
    /// Weighted mean of the criteria, 0 to 100.
    pub score: f64,
    /// False when the pattern exceeds `--max-complexity`; such patterns rank after all others.
    pub eligible: bool,
    pub criteria: Vec<Criterion>,
    /// Why the pattern lost points, one sentence per criterion it did not fully meet.
    pub shortfalls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub request: Request,
    pub ranking: Vec<Ranked>,
    pub advice: Advice,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdvisorError {
    #[error("--agents must be at least 1")]
    NoAgents,
    #[error("the catalog has no patterns to rank")]
    NoPatterns,
}

/// Ranks every pattern of the catalog for the request, best first, and advises settings for the winner.
pub fn recommend(catalog: &Catalog, request: &Request) -> Result<Recommendation, AdvisorError> {
    if request.agents == 0 {
        return Err(AdvisorError::NoAgents);
    }
    let mut ranking: Vec<Ranked> = catalog
        .patterns
        .iter()
        .map(|pattern| {
            let criteria = score::criteria(pattern, request);
            let eligible = request
                .max_complexity
                .is_none_or(|max| pattern.implementation_complexity <= max);
            let shortfalls = criteria
                .iter()
                .filter(|c| c.score < 1.0)
                .map(|c| c.reason.clone())
                .collect();
            Ranked {
                rank: 0,
                pattern: pattern.pattern_id.clone(),
                name: pattern.pattern_name.clone(),
                score: score::total(&criteria),
                eligible,
                criteria,
                shortfalls,
            }
        })
        .collect();
    let rating = |id: &str| {
        let p = catalog
            .pattern(id)
            .expect("ranked patterns come from the catalog");
        (p.reliability_rating, p.scalability_rating)
    };
    ranking.sort_by(|a, b| {
        b.eligible
            .cmp(&a.eligible)
            .then(b.score.total_cmp(&a.score))
            .then(rating(&b.pattern).cmp(&rating(&a.pattern)))
            .then(a.pattern.cmp(&b.pattern))
    });
    for (i, r) in ranking.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    let best = ranking.first().ok_or(AdvisorError::NoPatterns)?;
    let pattern = catalog
        .patterns
        .iter()
        .find(|p| p.pattern_id == best.pattern)
        .expect("ranked patterns come from the catalog");
    let advice = advice::advise(catalog, pattern, request);
    Ok(Recommendation {
        request: request.clone(),
        ranking,
        advice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(agents: u32, setup: impl FnOnce(&mut Request)) -> Recommendation {
        let mut request = Request::new(agents);
        setup(&mut request);
        recommend(&Catalog::embedded(), &request).unwrap()
    }

    fn order(r: &Recommendation) -> Vec<&str> {
        r.ranking.iter().map(|x| x.pattern.as_str()).collect()
    }

    /// Realistic asks and the pattern a practitioner would expect first, with why.
    #[test]
    fn realistic_asks_rank_as_a_practitioner_would() {
        let cases: Vec<(&str, Recommendation, &str)> = vec![
            (
                "40 agents, high fault tolerance: pipeline (3-15, medium) must not win",
                ask(40, |r| r.fault_tolerance = Some(Level::High)),
                "peer_to_peer_001",
            ),
            (
                "3 agents in sequential stages",
                ask(3, |r| r.traits = vec![Trait::SequentialStages]),
                "pipeline_001",
            ),
            (
                "10 agents that must agree",
                ask(10, |r| r.traits = vec![Trait::NeedsConsensus]),
                "peer_to_peer_001",
            ),
            (
                "40 agents with no other requirement: the simplest pattern that fits",
                ask(40, |_| {}),
                "scatter_gather_001",
            ),
            (
                "200 agents: only scatter_gather's range reaches that far",
                ask(200, |_| {}),
                "scatter_gather_001",
            ),
            (
                "8 agents, low latency and very high throughput",
                ask(8, |r| {
                    r.latency = Some(Level::Low);
                    r.throughput = Some(Level::VeryHigh);
                }),
                "scatter_gather_001",
            ),
            (
                "12 specialized agents, nothing more complex than medium",
                ask(12, |r| {
                    r.traits = vec![Trait::SpecializedAgents];
                    r.max_complexity = Some(Level::Medium);
                }),
                "pipeline_001",
            ),
            (
                "1,000 agents: the pattern made for 100 beats the one made for 50",
                ask(1000, |_| {}),
                "scatter_gather_001",
            ),
            (
                "3,000 agents: still scatter_gather, not the simplest (pipeline, 3-15)",
                ask(3000, |_| {}),
                "scatter_gather_001",
            ),
            (
                "10 agents, high fault tolerance, complexity at most medium: not pipeline (reliability 6)",
                ask(10, |r| {
                    r.fault_tolerance = Some(Level::High);
                    r.max_complexity = Some(Level::Medium);
                }),
                "scatter_gather_001",
            ),
            (
                "30 agents needing consensus but complexity capped at medium",
                ask(30, |r| {
                    r.traits = vec![Trait::NeedsConsensus];
                    r.max_complexity = Some(Level::Medium);
                }),
                "scatter_gather_001",
            ),
        ];
        for (why, recommendation, expected) in cases {
            assert_eq!(
                recommendation.ranking[0].pattern,
                expected,
                "{why}: got {:?}",
                order(&recommendation)
            );
        }
    }

    #[test]
    fn the_example_from_the_issue_explains_the_master_slave_loss() {
        let r = ask(40, |r| r.fault_tolerance = Some(Level::High));
        let master = r
            .ranking
            .iter()
            .find(|x| x.pattern == "master_slave_001")
            .unwrap();
        assert!(
            master
                .shortfalls
                .contains(&"40 agents is twice its optimal maximum of 20".to_string()),
            "{:?}",
            master.shortfalls
        );
        assert!(r.ranking.last().unwrap().score < r.ranking[0].score);
    }

    #[test]
    fn patterns_over_the_complexity_cap_rank_last() {
        let r = ask(10, |r| {
            r.traits = vec![Trait::NeedsConsensus];
            r.max_complexity = Some(Level::Low);
        });
        assert_eq!(r.ranking[0].pattern, "pipeline_001");
        assert!(r.ranking.iter().skip(1).all(|x| !x.eligible));
    }

    #[test]
    fn scores_are_deterministic_and_bounded() {
        let a = ask(25, |r| r.fault_tolerance = Some(Level::Medium));
        let b = ask(25, |r| r.fault_tolerance = Some(Level::Medium));
        assert_eq!(a, b);
        for r in &a.ranking {
            assert!((0.0..=100.0).contains(&r.score));
        }
    }

    #[test]
    fn zero_agents_is_refused() {
        assert_eq!(
            recommend(&Catalog::embedded(), &Request::new(0)).unwrap_err(),
            AdvisorError::NoAgents
        );
    }
}
