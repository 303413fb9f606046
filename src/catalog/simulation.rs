//! The catalog's parameters as the simulator's defaults (design §2): resolved here, so the
//! simulator takes plain values and never reads the catalog.

use super::model::{Catalog, Pattern};
use super::value::Param;
use crate::sim::Model;
use crate::sim::resilience::{BreakerDefaults, Phase, RetryDefaults};
use crate::sim::scenario::{CatalogPattern, Defaults};

fn find<'a>(catalog: &'a Catalog, short: &str) -> Option<&'a Pattern> {
    catalog.patterns.iter().find(|p| p.short_name() == short)
}

fn seconds(pattern: Option<&Pattern>, key: &str) -> Option<f64> {
    pattern?
        .configuration_parameters
        .get(key)
        .and_then(Param::as_duration)
        .map(|d| d.seconds)
}

fn count(pattern: Option<&Pattern>, key: &str) -> Option<u64> {
    pattern?
        .configuration_parameters
        .get(key)
        .and_then(Param::as_count)
        .map(|c| c.count)
}

impl Catalog {
    /// Every default the simulator takes from the catalog; a parameter missing from a user's
    /// catalog falls back to the shipped database's value.
    pub fn simulation_defaults(&self) -> Defaults {
        let master = find(self, "master_slave");
        let peer = find(self, "peer_to_peer");
        let pipe = find(self, "pipeline");
        let scatter = find(self, "scatter_gather");
        let monitoring = &self
            .monitoring_patterns
            .health_check_patterns
            .heartbeat_monitoring;
        let r = &self.error_handling_patterns.retry_patterns;
        let exp = &r.exponential_backoff;
        let exponential = Phase {
            retries: exp.max_retries,
            initial: exp.initial_delay.seconds,
            multiplier: exp.backoff_multiplier,
            increment: 0.0,
            max: exp.max_delay.seconds,
        };
        let l = &r.linear_backoff;
        let i = &r.immediate_retry;
        let b = &self.error_handling_patterns.circuit_breaker_patterns;
        Defaults {
            patterns: self
                .patterns
                .iter()
                .map(|p| CatalogPattern {
                    id: p.pattern_id.clone(),
                    model: Model::from_short_name(p.short_name()),
                })
                .collect(),
            heartbeat: seconds(peer, "heartbeat_interval").unwrap_or(monitoring.frequency.seconds),
            missed_heartbeats: monitoring.failure_threshold.count as u32,
            failure_detection_timeout: seconds(master, "failure_detection_timeout").unwrap_or(30.0),
            leader_election_timeout: seconds(peer, "leader_election_timeout").unwrap_or(15.0),
            stage_buffer: count(pipe, "stage_buffer_size").unwrap_or(1000) as u32,
            checkpoint_frequency: count(pipe, "checkpoint_frequency").unwrap_or(100),
            gather_timeout: seconds(scatter, "gather_timeout").unwrap_or(60.0),
            failure_threshold: scatter
                .and_then(|p| p.configuration_parameters.get("failure_threshold"))
                .and_then(Param::as_percent)
                .map_or(0.2, |p| p.percent / 100.0),
            request_timeout: self
                .communication_patterns
                .synchronous_patterns
                .request_response
                .timeout
                .seconds,
            retry: RetryDefaults {
                exponential,
                exponential_jitter: exp.jitter.0,
                linear: Phase {
                    retries: l.max_retries,
                    initial: l.initial_delay.seconds,
                    multiplier: 1.0,
                    increment: l.delay_increment.seconds,
                    max: l.max_delay.seconds,
                },
                linear_jitter: l.jitter.0,
                immediate: Phase {
                    retries: i.max_retries,
                    initial: i.delay.seconds,
                    multiplier: 1.0,
                    increment: 0.0,
                    max: i.delay.seconds,
                },
                immediate_then_exponential: i.fallback_strategy == "exponential_backoff",
            },
            breaker: BreakerDefaults {
                failure_threshold: b.failure_threshold.count as u32,
                recovery_timeout: b.recovery_timeout.seconds,
                half_open_requests: b.half_open_test_requests,
                success_threshold: b.success_threshold.count as u32,
                window: b.monitoring_window.seconds,
            },
        }
    }
}
