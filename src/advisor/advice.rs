//! Settings to go with the chosen pattern: balancer, retries, circuit breaker,
//! heartbeats and caching, each read from the catalog and given with its reason.

use serde::Serialize;

use crate::catalog::{Catalog, Level, LoadBalancingAlgorithm, Param, Pattern};

use super::{Request, Trait};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    pub pattern: String,
    pub balancer: BalancerAdvice,
    pub retry: RetryAdvice,
    pub circuit_breaker: BreakerAdvice,
    pub heartbeat: HeartbeatAdvice,
    pub caching: Vec<CachingAdvice>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalancerAdvice {
    /// Catalog id of the load-balancing algorithm.
    pub balancer: String,
    pub reason: String,
    /// The balancer the pattern's own configuration names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern_default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryAdvice {
    /// Catalog id of the retry pattern.
    pub policy: String,
    pub max_retries: u32,
    pub initial_delay_s: f64,
    pub max_delay_s: f64,
    pub jitter: bool,
    pub settings: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerAdvice {
    pub failure_threshold: u64,
    pub recovery_timeout_s: f64,
    pub half_open_requests: u32,
    pub success_threshold: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeartbeatAdvice {
    pub interval_s: f64,
    pub timeout_s: f64,
    pub missed_heartbeats: u64,
    /// Worst-case time to declare a silent agent dead: interval times missed heartbeats.
    pub detection_s: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CachingAdvice {
    pub strategy: String,
    /// The catalog's figure for what it improves, such as `cache_hit_improvement 40-80%`.
    pub gain: String,
    pub reason: String,
}

pub fn advise(catalog: &Catalog, pattern: &Pattern, request: &Request) -> Advice {
    let balancer = balancer(catalog, pattern, request);
    let caching = caching(catalog, pattern, request, &balancer.balancer);
    Advice {
        pattern: pattern.pattern_id.clone(),
        retry: retry(catalog, request),
        circuit_breaker: breaker(catalog, pattern),
        heartbeat: heartbeat(catalog, pattern),
        balancer,
        caching,
    }
}

/// Words of a balancer's `best_for` that a trait seeks, and words it rules out.
fn balancer_words(t: Trait) -> (&'static [&'static str], &'static [&'static str]) {
    match t {
        Trait::HeterogeneousAgents => (&["heterogeneous"], &["homogeneous"]),
        Trait::VariableTaskDuration => (&["variable", "dynamic"], &["uniform"]),
        Trait::SpecializedAgents => (&["specialized", "diverse"], &["homogeneous", "uniform"]),
        Trait::SequentialStages | Trait::NeedsConsensus => (&[], &[]),
    }
}

/// How much a trait's words count. Specialized agents make capability routing a constraint,
/// not a preference, so their words count twice.
fn trait_weight(t: Trait) -> i32 {
    if t == Trait::SpecializedAgents { 2 } else { 1 }
}

/// Picks the algorithm whose `best_for` matches the most trait words and contradicts the fewest.
/// With no balancer trait the work is taken as homogeneous and uniform; with two or more it is "complex".
fn balancer(catalog: &Catalog, pattern: &Pattern, request: &Request) -> BalancerAdvice {
    let traits: Vec<Trait> = request
        .traits
        .iter()
        .copied()
        .filter(|t| !balancer_words(*t).0.is_empty())
        .collect();
    let mut seek: Vec<(&str, String, i32)> = Vec::new();
    let mut avoid: Vec<&str> = Vec::new();
    for t in &traits {
        let (want, not) = balancer_words(*t);
        seek.extend(
            want.iter()
                .map(|w| (*w, t.flag().to_string(), trait_weight(*t))),
        );
        avoid.extend(not);
    }
    if traits.is_empty() {
        let why = "no trait says agents differ or tasks vary".to_string();
        seek.push(("homogeneous", why.clone(), 1));
        seek.push(("uniform", why, 1));
    }
    if traits.len() >= 2 {
        seek.push(("complex", format!("{} traits together", traits.len()), 1));
    }
    let score = |lb: &LoadBalancingAlgorithm| -> i32 {
        let words: Vec<&str> = lb.best_for.split('_').collect();
        let gained: i32 = seek
            .iter()
            .filter(|(w, ..)| words.contains(w))
            .map(|(.., weight)| weight)
            .sum();
        let lost = avoid.iter().filter(|w| words.contains(w)).count() as i32;
        gained - lost
    };
    let (id, lb) = catalog
        .load_balancing_algorithms
        .iter()
        .enumerate()
        .max_by(|(ia, (_, a)), (ib, (_, b))| {
            score(a)
                .cmp(&score(b))
                .then(b.performance_overhead.cmp(&a.performance_overhead))
                .then(a.fairness.cmp(&b.fairness))
                .then(ib.cmp(ia))
        })
        .map(|(_, entry)| entry)
        .expect("the catalog has load-balancing algorithms");
    let words: Vec<&str> = lb.best_for.split('_').collect();
    let mut because: Vec<String> = Vec::new();
    for (_, why, _) in seek.iter().filter(|(w, ..)| words.contains(w)) {
        if !because.contains(why) {
            because.push(why.clone());
        }
    }
    let reason = if because.is_empty() {
        format!(
            "best_for \"{}\"; lowest overhead ({}) among equally matched algorithms",
            lb.best_for, lb.performance_overhead
        )
    } else {
        format!(
            "best_for \"{}\" fits: {}; overhead {}",
            lb.best_for,
            because.join(", "),
            lb.performance_overhead
        )
    };
    let pattern_default = pattern.configuration_parameters.values().find_map(|v| {
        let text = v.as_text()?;
        catalog
            .load_balancing_algorithms
            .keys()
            .find(|id| text == id.as_str() || text.starts_with(&format!("{id}_")))
            .cloned()
    });
    BalancerAdvice {
        balancer: id.clone(),
        reason,
        pattern_default,
    }
}

/// Backoff by default, as the catalog's request-response pattern does; immediate retries
/// when the latency target leaves no room for backoff delays.
fn retry(catalog: &Catalog, request: &Request) -> RetryAdvice {
    let patterns = &catalog.error_handling_patterns.retry_patterns;
    let default_policy = &catalog
        .communication_patterns
        .synchronous_patterns
        .request_response
        .retry_policy;
    let wants_speed = request.latency.is_some_and(|l| l <= Level::Low);
    let policy = if wants_speed {
        "immediate_retry"
    } else {
        default_policy.as_str()
    };
    let (max_retries, initial, max, jitter, settings) = match policy {
        "immediate_retry" => {
            let p = &patterns.immediate_retry;
            (
                p.max_retries,
                p.delay.seconds,
                p.delay.seconds,
                false,
                format!(
                    "{} retries after {}, then {}",
                    p.max_retries, p.delay, p.fallback_strategy
                ),
            )
        }
        "linear_backoff" => {
            let p = &patterns.linear_backoff;
            (
                p.max_retries,
                p.initial_delay.seconds,
                p.max_delay.seconds,
                p.jitter.0,
                format!(
                    "{} retries, {} then +{} each, at most {}, jitter {}",
                    p.max_retries, p.initial_delay, p.delay_increment, p.max_delay, p.jitter
                ),
            )
        }
        _ => {
            let p = &patterns.exponential_backoff;
            (
                p.max_retries,
                p.initial_delay.seconds,
                p.max_delay.seconds,
                p.jitter.0,
                format!(
                    "{} retries, {} then x{} each time up to {}, jitter {}",
                    p.max_retries, p.initial_delay, p.backoff_multiplier, p.max_delay, p.jitter
                ),
            )
        }
    };
    let reason = if wants_speed {
        format!(
            "a {} latency target leaves no room for backoff delays on transient errors",
            request.latency.unwrap_or(Level::Low)
        )
    } else {
        format!(
            "the catalog's request_response pattern retries with {default_policy}; jitter spreads retries after a shared outage"
        )
    };
    RetryAdvice {
        policy: policy.to_string(),
        max_retries,
        initial_delay_s: initial,
        max_delay_s: max,
        jitter,
        settings,
        reason,
    }
}

fn breaker(catalog: &Catalog, pattern: &Pattern) -> BreakerAdvice {
    let b = &catalog.error_handling_patterns.circuit_breaker_patterns;
    let at = if pattern.short_name() == "master_slave" {
        "one breaker per worker at the master"
    } else {
        "one breaker per agent at each dispatcher"
    };
    BreakerAdvice {
        failure_threshold: b.failure_threshold.count,
        recovery_timeout_s: b.recovery_timeout.seconds,
        half_open_requests: b.half_open_test_requests,
        success_threshold: b.success_threshold.count,
        reason: format!(
            "{at}: a failing agent gets no work until trial requests succeed (catalog circuit_breaker_patterns)"
        ),
    }
}

fn param_text(pattern: &Pattern, key: &str) -> Option<String> {
    pattern
        .configuration_parameters
        .get(key)
        .map(Param::to_string)
}

/// The catalog's heartbeat, at the pattern's own interval where it sets one, and what happens once a failure is detected.
fn heartbeat(catalog: &Catalog, pattern: &Pattern) -> HeartbeatAdvice {
    let h = &catalog
        .monitoring_patterns
        .health_check_patterns
        .heartbeat_monitoring;
    let interval = pattern
        .configuration_parameters
        .get("heartbeat_interval")
        .and_then(Param::as_duration)
        .map_or(h.frequency.seconds, |d| d.seconds);
    // A pattern's own failure_detection_timeout (master-slave) sets how long silence lasts
    // before a failure is declared; otherwise the catalog's missed-heartbeat threshold does.
    let own_timeout = pattern
        .configuration_parameters
        .get("failure_detection_timeout")
        .and_then(Param::as_duration)
        .map(|d| d.seconds);
    let (missed, detection, timeout) = match own_timeout {
        Some(t) => ((t / interval).ceil() as u64, t, t),
        None => {
            let missed = h.failure_threshold.count;
            (missed, interval * missed as f64, h.timeout.seconds)
        }
    };
    let mut reason = if pattern
        .configuration_parameters
        .contains_key("heartbeat_interval")
    {
        format!(
            "{}'s heartbeat_interval with the catalog's heartbeat_monitoring threshold",
            pattern.short_name()
        )
    } else {
        "the catalog's heartbeat_monitoring".to_string()
    };
    let after = match (
        param_text(pattern, "failure_detection_timeout"),
        param_text(pattern, "master_failover_strategy"),
        param_text(pattern, "leader_election_timeout"),
        param_text(pattern, "checkpoint_frequency"),
        param_text(pattern, "gather_timeout"),
    ) {
        (Some(timeout), Some(failover), ..) => {
            format!(
                "; detection follows {}'s failure_detection_timeout ({timeout}), then the master fails over to the {failover}",
                pattern.short_name()
            )
        }
        (_, _, Some(election), ..) => {
            format!("; a lost leader is replaced by an election timing out after {election}")
        }
        (_, _, _, Some(checkpoint), _) => {
            format!("; a failed stage worker resumes from its checkpoint every {checkpoint} items")
        }
        (.., Some(gather)) => {
            format!("; gathers give up on silent agents after {gather}")
        }
        _ => String::new(),
    };
    reason.push_str(&after);
    HeartbeatAdvice {
        interval_s: interval,
        timeout_s: timeout,
        missed_heartbeats: missed,
        detection_s: detection,
        reason,
    }
}

/// When each caching strategy fits: words in the pattern's text (disadvantages included,
/// as caching offsets costs) or traits of the work.
fn caching_triggers(id: &str) -> (&'static [&'static str], &'static [Trait]) {
    match id {
        "result_caching" => (&["search", "analysis", "aggregation", "computation"], &[]),
        "capability_caching" => (
            &["capability based", "capability score"],
            &[Trait::SpecializedAgents, Trait::HeterogeneousAgents],
        ),
        "workflow_template_caching" => (&["workflow", "pipeline"], &[Trait::SequentialStages]),
        "communication_pattern_caching" => (&["communication overhead"], &[]),
        _ => (&[], &[]),
    }
}

fn caching(
    catalog: &Catalog,
    pattern: &Pattern,
    request: &Request,
    balancer: &str,
) -> Vec<CachingAdvice> {
    let mut texts: Vec<String> = vec![pattern.description.clone()];
    texts.extend(pattern.use_cases.iter().cloned());
    texts.extend(pattern.advantages.iter().cloned());
    texts.extend(pattern.disadvantages.iter().cloned());
    texts.extend(
        pattern
            .configuration_parameters
            .iter()
            .map(|(k, v)| format!("{k}: {v}")),
    );
    catalog
        .caching_strategies
        .iter()
        .filter_map(|(id, strategy)| {
            let (words, traits) = caching_triggers(id);
            let why = texts
                .iter()
                .find(|t| {
                    let t = t.to_lowercase().replace('_', " ");
                    words.iter().any(|w| t.contains(w))
                })
                .map(|t| format!("{} mentions \"{t}\"", pattern.short_name()))
                .or_else(|| {
                    traits
                        .iter()
                        .find(|t| request.has(**t))
                        .map(|t| format!("the work has {}", t.flag()))
                })
                .or_else(|| {
                    (id == "capability_caching" && balancer == "capability_based").then(|| {
                        "capability_based routing reads capabilities on every dispatch".into()
                    })
                })?;
            let gain = strategy
                .improvements
                .iter()
                .map(|(metric, range)| format!("{metric} {range}"))
                .collect::<Vec<_>>()
                .join(", ");
            Some(CachingAdvice {
                strategy: id.clone(),
                gain,
                reason: why,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balancer_for(traits: &[Trait]) -> String {
        let catalog = Catalog::embedded();
        let mut request = Request::new(10);
        request.traits = traits.to_vec();
        balancer(&catalog, catalog.pattern("master_slave").unwrap(), &request).balancer
    }

    #[test]
    fn balancer_follows_the_traits() {
        assert_eq!(balancer_for(&[]), "round_robin");
        assert_eq!(
            balancer_for(&[Trait::HeterogeneousAgents]),
            "weighted_round_robin"
        );
        assert_eq!(
            balancer_for(&[Trait::VariableTaskDuration]),
            "least_connections"
        );
        assert_eq!(
            balancer_for(&[Trait::SpecializedAgents]),
            "capability_based"
        );
        assert_eq!(
            balancer_for(&[Trait::HeterogeneousAgents, Trait::VariableTaskDuration]),
            "predictive_load_balancing"
        );
        assert_eq!(balancer_for(&[Trait::SequentialStages]), "round_robin");
        assert_eq!(
            balancer_for(&[Trait::SpecializedAgents, Trait::VariableTaskDuration]),
            "capability_based",
            "specialized agents make capability routing a constraint"
        );
    }

    #[test]
    fn pattern_defaults_and_failure_settings_come_from_the_catalog() {
        let catalog = Catalog::embedded();
        let request = Request::new(10);
        let scatter = catalog.pattern("scatter_gather").unwrap();
        let advice = advise(&catalog, scatter, &request);
        assert_eq!(
            advice.balancer.pattern_default.as_deref(),
            Some("round_robin")
        );
        assert!(
            advice.heartbeat.reason.contains("60 s"),
            "{}",
            advice.heartbeat.reason
        );
        let master = catalog.pattern("master_slave").unwrap();
        let advice = advise(&catalog, master, &request);
        assert_eq!(
            advice.balancer.pattern_default.as_deref(),
            Some("capability_based")
        );
        assert_eq!(advice.circuit_breaker.failure_threshold, 5);
        assert_eq!(advice.circuit_breaker.recovery_timeout_s, 30.0);
        assert_eq!(advice.heartbeat.detection_s, 30.0);
        assert_eq!(advice.heartbeat.missed_heartbeats, 6);
        assert!(advice.heartbeat.reason.contains("designated_backup"));
        assert!(
            advice
                .caching
                .iter()
                .any(|c| c.strategy == "capability_caching")
        );
    }

    #[test]
    fn retry_follows_the_latency_target() {
        let catalog = Catalog::embedded();
        let mut request = Request::new(10);
        assert_eq!(retry(&catalog, &request).policy, "exponential_backoff");
        assert_eq!(retry(&catalog, &request).max_retries, 5);
        request.latency = Some(Level::Low);
        let fast = retry(&catalog, &request);
        assert_eq!(
            (fast.policy.as_str(), fast.max_retries),
            ("immediate_retry", 2)
        );
    }

    #[test]
    fn caching_fits_the_pattern() {
        let catalog = Catalog::embedded();
        let request = Request::new(10);
        let ids = |name: &str| -> Vec<String> {
            let p = catalog.pattern(name).unwrap();
            caching(&catalog, p, &request, "round_robin")
                .into_iter()
                .map(|c| c.strategy)
                .collect()
        };
        assert_eq!(ids("scatter_gather"), ["result_caching"]);
        assert_eq!(ids("peer_to_peer"), ["communication_pattern_caching"]);
        assert!(ids("pipeline").contains(&"workflow_template_caching".to_string()));
    }
}
