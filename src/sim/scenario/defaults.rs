//! The simulator's defaults as plain values. The catalog is their source (design §2), but
//! the simulator never reads it: the caller resolves them (`Catalog::simulation_defaults`).

use super::Model;
use crate::sim::resilience::{BreakerDefaults, RetryDefaults};

/// A pattern of the catalog, by id, with the model that simulates it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogPattern {
    pub id: String,
    pub model: Option<Model>,
}

/// Every default the scenario takes from outside the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// Every pattern a `--pattern` name may resolve to, in catalog order.
    pub patterns: Vec<CatalogPattern>,
    /// Seconds between heartbeats (peer load updates and failure detection).
    pub heartbeat: f64,
    pub missed_heartbeats: u32,
    /// Seconds before a master's backup takes over.
    pub failure_detection_timeout: f64,
    pub leader_election_timeout: f64,
    /// Items a pipeline stage may hold waiting.
    pub stage_buffer: u32,
    pub checkpoint_frequency: u64,
    pub gather_timeout: f64,
    /// Share of a scatter-gather request's shards that may fail before it fails.
    pub failure_threshold: f64,
    /// Seconds before a request is given up on, when faults or mechanisms call for a timeout.
    pub request_timeout: f64,
    pub retry: RetryDefaults,
    pub breaker: BreakerDefaults,
}
