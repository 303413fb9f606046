//! `recommend`: ranks the catalog's patterns for a request and advises the settings
//! that go with the winner.

mod advice;
pub mod evidence;
pub mod fit;
pub mod score;

use serde::Serialize;

use crate::catalog::{Catalog, Level};

pub use advice::{
    Advice, BalancerAdvice, BreakerAdvice, CachingAdvice, HeartbeatAdvice, RetryAdvice, advise,
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

    /// Sequential stages and consensus are structure the work has: a pattern without it
    /// cannot serve the work, whatever its other merits.
    pub fn is_structural(self) -> bool {
        matches!(self, Trait::SequentialStages | Trait::NeedsConsensus)
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
    /// Patterns that tie share a rank (1, 1, 3): nothing in the request tells them apart.
    pub rank: usize,
    pub pattern: String,
    pub name: String,
    /// Weighted mean of the criteria, 0 to 100.
    pub score: f64,
    /// False when the pattern exceeds `--max-complexity`; such patterns rank after all others.
    pub eligible: bool,
    /// False when the pattern lacks a structure the work needs (`--sequential-stages`,
    /// `--needs-consensus`); such patterns rank after those that have it.
    pub fits_structure: bool,
    /// How far the fleet is from the pattern's optimal agent range: 0 within twice its bounds,
    /// then one more per doubling. A pattern further out never beats one closer in.
    pub agent_distance: u32,
    pub criteria: Vec<Criterion>,
    /// Why the pattern lost points, one sentence per criterion it did not fully meet.
    pub shortfalls: Vec<String>,
}

impl Ranked {
    /// What the ranking compares, in order; the score last.
    fn key(&self) -> (bool, bool, std::cmp::Reverse<u32>, f64) {
        (
            self.eligible,
            self.fits_structure,
            std::cmp::Reverse(self.agent_distance),
            self.score,
        )
    }

    fn ties(&self, other: &Ranked) -> bool {
        self.key() == other.key()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub request: Request,
    pub ranking: Vec<Ranked>,
    /// What the ranking could not use or could not decide, sentence by sentence.
    pub notes: Vec<String>,
    pub advice: Advice,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdvisorError {
    #[error("--agents must be at least 1")]
    NoAgents,
    #[error("the catalog has no patterns to rank")]
    NoPatterns,
}

/// The requirements a pattern is scored on, with the criteria each one adds.
const REQUIREMENTS: &[(&str, &[&str])] = &[
    ("--fault-tolerance", &["fault_tolerance", "reliability"]),
    ("--latency", &["latency"]),
    ("--throughput", &["throughput"]),
];

/// Ranks every pattern of the catalog for the request, best first, and advises settings for the winner.
pub fn recommend(catalog: &Catalog, request: &Request) -> Result<Recommendation, AdvisorError> {
    if request.agents == 0 {
        return Err(AdvisorError::NoAgents);
    }
    let mut notes = Vec::new();
    let mut criteria: Vec<Vec<Criterion>> = catalog
        .patterns
        .iter()
        .map(|pattern| score::criteria(pattern, request))
        .collect();
    let mut dropped: Vec<&str> = Vec::new();
    if request.agents == 1 && request.fault_tolerance.is_some() {
        notes.push(
            "With 1 agent no pattern survives that agent's failure, so --fault-tolerance was not scored: fault tolerance needs at least 2 agents (3 for a quorum)."
                .to_string(),
        );
        dropped.extend(["fault_tolerance", "reliability"]);
    }
    // A requirement every pattern meets cannot tell them apart, and must not switch on a term
    // that would (asking for low fault tolerance must not rank by reliability ratings).
    for (flag, names) in REQUIREMENTS {
        let applies = criteria
            .iter()
            .any(|cs| cs.iter().any(|c| c.criterion == names[0]));
        let all_meet = criteria.iter().all(|cs| {
            cs.iter()
                .filter(|c| c.criterion == names[0])
                .all(|c| c.score >= 1.0)
        });
        if applies && all_meet && !dropped.contains(&names[0]) {
            notes.push(format!(
                "Every pattern meets {flag} {}, so it changes nothing in the ranking.",
                match *flag {
                    "--fault-tolerance" => request.fault_tolerance,
                    "--latency" => request.latency,
                    _ => request.throughput,
                }
                .map_or(String::new(), |l| l.to_string())
            ));
            dropped.extend(names.iter().copied());
        }
    }
    for cs in &mut criteria {
        cs.retain(|c| !dropped.contains(&c.criterion));
    }
    let structural: Vec<Trait> = request
        .traits
        .iter()
        .copied()
        .filter(|t| t.is_structural())
        .collect();
    let mut ranking: Vec<Ranked> = catalog
        .patterns
        .iter()
        .zip(criteria)
        .map(|(pattern, criteria)| {
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
                fits_structure: structural
                    .iter()
                    .all(|t| score::evidence(pattern, *t).is_some()),
                agent_distance: score::agent_distance(pattern, request.agents),
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
        let (ka, kb) = (a.key(), b.key());
        kb.0.cmp(&ka.0)
            .then(kb.1.cmp(&ka.1))
            .then(kb.2.cmp(&ka.2))
            .then(kb.3.total_cmp(&ka.3))
            .then(rating(&b.pattern).cmp(&rating(&a.pattern)))
            .then(a.pattern.cmp(&b.pattern))
    });
    for i in 0..ranking.len() {
        ranking[i].rank = if i > 0 && ranking[i].ties(&ranking[i - 1]) {
            ranking[i - 1].rank
        } else {
            i + 1
        };
    }
    let tied: Vec<&str> = ranking
        .iter()
        .filter(|r| r.rank == 1)
        .map(|r| r.pattern.as_str())
        .collect();
    if tied.len() > 1 {
        notes.push(format!(
            "{} tie on this request (score {}): nothing asked for tells them apart, so they are listed by the catalog's reliability and scalability ratings. Add a requirement, or --simulate to decide on evidence.",
            tied.join(" and "),
            ranking[0].score
        ));
    }
    if let Some(first) = ranking.first().filter(|r| !r.fits_structure) {
        let pattern = catalog
            .pattern(&first.pattern)
            .expect("ranked patterns come from the catalog");
        let missing: Vec<&str> = structural
            .iter()
            .filter(|t| score::evidence(pattern, **t).is_none())
            .map(|t| t.flag())
            .collect();
        notes.push(format!(
            "No eligible pattern has all the structure the work needs: {} lacks what {} asks for.",
            first.pattern,
            missing.join(" and ")
        ));
    }
    notes.extend(order_notes(&ranking));
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
        notes,
        advice,
    })
}

/// Where a pattern ranks above one with a higher score, says which rule put it there.
fn order_notes(ranking: &[Ranked]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in ranking.iter().enumerate() {
        let Some(b) = ranking[i + 1..]
            .iter()
            .find(|b| b.eligible && b.score > a.score)
        else {
            continue;
        };
        let why = if a.eligible != b.eligible {
            continue;
        } else if a.fits_structure != b.fits_structure {
            format!("{} lacks the structure the work needs", b.pattern)
        } else if a.agent_distance != b.agent_distance {
            let reason = |r: &Ranked| {
                r.criteria
                    .iter()
                    .find(|c| c.criterion == "agent_fit")
                    .map_or(String::new(), |c| c.reason.clone())
            };
            format!(
                "{} is further outside its optimal agent range ({}; for {}: {}), and a pattern further out never ranks above one closer in",
                b.pattern,
                reason(b),
                a.pattern,
                reason(a)
            )
        } else {
            continue;
        };
        out.push(format!(
            "{} ranks above {} despite a lower score ({} against {}): {why}.",
            a.pattern, b.pattern, a.score, b.score
        ));
    }
    out
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

    /// The score's edges, one case per rule.
    #[test]
    fn the_scores_edges_hold() {
        // A requirement every pattern meets changes nothing.
        for agents in [3, 5, 10, 15, 40] {
            let plain = ask(agents, |_| {});
            let low = ask(agents, |r| r.fault_tolerance = Some(Level::Low));
            assert_eq!(order(&plain), order(&low), "{agents} agents");
            assert!(
                low.notes.iter().any(|n| n.contains("changes nothing")),
                "{:?}",
                low.notes
            );
        }
        for (what, setup) in [
            (
                "latency",
                Box::new(|r: &mut Request| r.latency = Some(Level::High))
                    as Box<dyn Fn(&mut Request)>,
            ),
            (
                "throughput",
                Box::new(|r: &mut Request| r.throughput = Some(Level::Low)),
            ),
        ] {
            let plain = ask(10, |_| {});
            let asked = ask(10, |r| setup(r));
            assert_eq!(order(&plain), order(&asked), "{what}");
            assert_eq!(
                plain.ranking.iter().map(|r| r.score).collect::<Vec<_>>(),
                asked.ranking.iter().map(|r| r.score).collect::<Vec<_>>(),
                "{what}"
            );
        }
        // Fault tolerance with one agent: a note, and no pattern wins on it.
        let one = ask(1, |r| r.fault_tolerance = Some(Level::High));
        assert_eq!(order(&one), order(&ask(1, |_| {})));
        assert!(one.notes[0].contains("With 1 agent"), "{:?}", one.notes);
        // Equal scores are shown as a tie.
        let ten = ask(10, |_| {});
        let tied: Vec<&Ranked> = ten.ranking.iter().filter(|r| r.score == 97.5).collect();
        assert_eq!(tied.len(), 2, "{:?}", order(&ten));
        assert_eq!(tied[0].rank, tied[1].rank);
        // Structural traits are constraints.
        for agents in [3, 10, 40, 200] {
            let staged = ask(agents, |r| {
                r.traits = vec![Trait::SequentialStages];
                r.fault_tolerance = Some(Level::High);
            });
            assert_eq!(staged.ranking[0].pattern, "pipeline_001", "{agents}");
            let consensus = ask(agents, |r| r.traits = vec![Trait::NeedsConsensus]);
            assert_eq!(consensus.ranking[0].pattern, "peer_to_peer_001", "{agents}");
        }
        // A pattern further outside its optimal range never beats one closer in.
        for agents in [1, 2, 30, 40, 100, 500, 3000] {
            for ft in [None, Some(Level::High)] {
                let r = ask(agents, |r| r.fault_tolerance = ft);
                for pair in r.ranking.windows(2) {
                    assert!(
                        pair[0].agent_distance <= pair[1].agent_distance,
                        "{agents} agents: {:?}",
                        order(&r)
                    );
                }
            }
        }
        assert_ne!(
            ask(500, |_| {}).ranking[0].pattern,
            "pipeline_001",
            "a 3-15 pipeline at 500 agents"
        );
    }

    #[test]
    fn zero_agents_is_refused() {
        assert_eq!(
            recommend(&Catalog::embedded(), &Request::new(0)).unwrap_err(),
            AdvisorError::NoAgents
        );
    }
}
