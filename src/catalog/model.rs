//! The typed catalog: one struct per kind of entry, nested as in the source document.
//!
//! Field names are the source's, so a user who knows the document knows the file format.
//! Unknown fields are rejected so that a typo in a `--catalog` file is an error, not a silent no-op.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::value::{AgentRange, Count, Duration, Level, Pace, Param, PercentRange, Toggle};
use crate::names::short_name;

/// The whole pattern database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Version of this file format; files without it are read as version 1.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    pub patterns: Vec<Pattern>,
    pub load_balancing_algorithms: IndexMap<String, LoadBalancingAlgorithm>,
    pub conflict_resolution_strategies: IndexMap<String, ConflictResolutionStrategy>,
    pub caching_strategies: IndexMap<String, CachingStrategy>,
    pub scaling_patterns: IndexMap<String, ScalingPattern>,
    pub monitoring_patterns: MonitoringPatterns,
    pub error_handling_patterns: ErrorHandlingPatterns,
    pub communication_patterns: CommunicationPatterns,
    pub data_flow_patterns: DataFlowPatterns,
    /// Guideline groups (agent_selection, ...) mapping guideline names to their advice.
    pub performance_best_practices: IndexMap<String, IndexMap<String, String>>,
    pub reliability_best_practices: IndexMap<String, IndexMap<String, String>>,
}

fn schema_version() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// Stable id such as `scatter_gather_001`.
    pub pattern_id: String,
    pub pattern_name: String,
    pub description: String,
    pub use_cases: Vec<String>,
    pub advantages: Vec<String>,
    pub disadvantages: Vec<String>,
    pub implementation_complexity: Level,
    /// 1 (poor) to 10 (excellent).
    pub scalability_rating: u8,
    /// 1 (poor) to 10 (excellent).
    pub reliability_rating: u8,
    pub performance_characteristics: PerformanceCharacteristics,
    pub optimal_agent_count: AgentRange,
    pub configuration_parameters: IndexMap<String, Param>,
}

impl Pattern {
    /// The id without its numeric suffix: `scatter_gather_001` is `scatter_gather`.
    pub fn short_name(&self) -> &str {
        short_name(&self.pattern_id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformanceCharacteristics {
    /// How long a task takes end to end: lower is better.
    pub latency: Level,
    pub throughput: Level,
    pub resource_efficiency: Level,
    pub fault_tolerance: Level,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancingAlgorithm {
    pub description: String,
    /// Cost of one routing decision in big-O notation, as text.
    pub complexity: String,
    pub fairness: Level,
    pub performance_overhead: Level,
    /// Situations the algorithm suits, as underscore-joined words.
    pub best_for: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictResolutionStrategy {
    pub description: String,
    pub resolution_time: Pace,
    pub fairness: Level,
    pub complexity: Level,
    pub success_rate: Level,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "RawCachingStrategy")]
pub struct CachingStrategy {
    pub description: String,
    pub memory_overhead: Level,
    pub implementation_complexity: Level,
    pub invalidation_strategy: String,
    /// The measured gain, named by what improves (`cache_hit_improvement`, `startup_time_improvement`, ...).
    #[serde(flatten)]
    pub improvements: IndexMap<String, PercentRange>,
}

/// A caching strategy as written: its gains are the fields named `*_improvement` or `*_efficiency`.
#[derive(Deserialize, JsonSchema)]
struct RawCachingStrategy {
    description: String,
    memory_overhead: Level,
    implementation_complexity: Level,
    invalidation_strategy: String,
    #[serde(flatten)]
    gains: IndexMap<String, serde_json::Value>,
}

impl TryFrom<RawCachingStrategy> for CachingStrategy {
    type Error = String;
    fn try_from(raw: RawCachingStrategy) -> Result<Self, String> {
        let mut improvements = IndexMap::new();
        for (key, value) in raw.gains {
            if !(key.ends_with("_improvement") || key.ends_with("_efficiency")) {
                return Err(format!(
                    "unknown field `{key}`, expected description, memory_overhead, implementation_complexity, invalidation_strategy or a gain named *_improvement or *_efficiency"
                ));
            }
            let range: PercentRange =
                serde_json::from_value(value).map_err(|e| format!("{key}: {e}"))?;
            improvements.insert(key, range);
        }
        Ok(CachingStrategy {
            description: raw.description,
            memory_overhead: raw.memory_overhead,
            implementation_complexity: raw.implementation_complexity,
            invalidation_strategy: raw.invalidation_strategy,
            improvements,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingPattern {
    pub description: String,
    /// How capacity grows with resources: linear, limited, adaptive, proactive.
    pub scaling_factor: String,
    pub resource_efficiency: Level,
    pub complexity: Level,
    pub coordination_overhead: Level,
    pub optimal_for: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringPatterns {
    pub health_check_patterns: HealthCheckPatterns,
    pub performance_monitoring: PerformanceMonitoring,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckPatterns {
    pub heartbeat_monitoring: HeartbeatMonitoring,
    pub capability_validation: CapabilityValidation,
    pub resource_monitoring: ResourceMonitoring,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatMonitoring {
    /// Interval between heartbeats.
    pub frequency: Duration,
    /// Silence after which an agent is suspected.
    pub timeout: Duration,
    /// Missed heartbeats before the agent is declared dead.
    pub failure_threshold: Count,
    pub recovery_validation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilityValidation {
    pub frequency: Duration,
    pub test_complexity: String,
    pub validation_criteria: String,
    pub degradation_detection: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceMonitoring {
    pub metrics: Vec<String>,
    pub collection_interval: Duration,
    pub alert_thresholds: String,
    pub trend_analysis: Toggle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformanceMonitoring {
    pub response_time_tracking: ResponseTimeTracking,
    pub throughput_measurement: ThroughputMeasurement,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseTimeTracking {
    pub percentiles: Vec<f64>,
    pub time_windows: Vec<Duration>,
    pub alert_conditions: String,
    pub trend_detection: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThroughputMeasurement {
    pub metrics: Vec<String>,
    pub aggregation_levels: Vec<String>,
    pub baseline_comparison: Toggle,
    pub capacity_planning: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorHandlingPatterns {
    pub retry_patterns: RetryPatterns,
    pub circuit_breaker_patterns: CircuitBreaker,
    pub bulkhead_patterns: Bulkhead,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryPatterns {
    pub exponential_backoff: ExponentialBackoff,
    pub linear_backoff: LinearBackoff,
    pub immediate_retry: ImmediateRetry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExponentialBackoff {
    pub initial_delay: Duration,
    pub backoff_multiplier: f64,
    pub max_delay: Duration,
    pub max_retries: u32,
    pub jitter: Toggle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinearBackoff {
    pub initial_delay: Duration,
    pub delay_increment: Duration,
    pub max_delay: Duration,
    pub max_retries: u32,
    pub jitter: Toggle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImmediateRetry {
    pub delay: Duration,
    pub max_retries: u32,
    pub use_cases: Vec<String>,
    /// Retry pattern used once the immediate retries are spent.
    pub fallback_strategy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: Count,
    /// Time an open breaker waits before letting trial requests through.
    pub recovery_timeout: Duration,
    pub half_open_test_requests: u32,
    /// Consecutive successes in half-open state that close the breaker.
    pub success_threshold: Count,
    pub monitoring_window: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bulkhead {
    pub resource_isolation: String,
    pub failure_isolation: String,
    pub capacity_allocation: String,
    pub overflow_handling: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationPatterns {
    pub synchronous_patterns: SynchronousPatterns,
    pub asynchronous_patterns: AsynchronousPatterns,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SynchronousPatterns {
    pub request_response: RequestResponse,
    pub request_reply: RequestReply,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestResponse {
    pub timeout: Duration,
    /// Name of a retry pattern.
    pub retry_policy: String,
    pub error_handling: String,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestReply {
    pub correlation_id: String,
    pub timeout: Duration,
    pub queue_management: String,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AsynchronousPatterns {
    pub fire_and_forget: FireAndForget,
    pub publish_subscribe: PublishSubscribe,
    pub message_queuing: MessageQueuing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FireAndForget {
    pub delivery_guarantee: String,
    pub error_handling: String,
    pub monitoring: String,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishSubscribe {
    pub topic_management: String,
    pub subscription_filtering: String,
    pub delivery_semantics: String,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageQueuing {
    pub queue_durability: String,
    pub message_ordering: String,
    pub batch_processing: String,
    pub use_cases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFlowPatterns {
    pub stream_processing: StreamProcessing,
    pub batch_processing: BatchProcessing,
    pub hybrid_processing: HybridProcessing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamProcessing {
    pub window_types: Vec<String>,
    pub watermark_handling: String,
    pub late_data_handling: String,
    pub state_management: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchProcessing {
    pub batch_size_optimization: String,
    pub scheduling_strategy: String,
    pub failure_recovery: String,
    pub data_partitioning: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HybridProcessing {
    pub stream_batch_coordination: String,
    pub consistency_guarantees: String,
    pub latency_optimization: String,
    pub resource_sharing: String,
}
