//! What a user gives: flags and a TOML scenario file, every field optional, flags laid over
//! the file.

use std::path::Path;

use serde::Deserialize;

use super::ScenarioError;
use super::value::{Buffer, Capabilities, Kinds, Names, Numbers, QueueMode, Seconds, Timeout};
use crate::sim::distribution::{Arrivals, Service};
use crate::sim::faults::Outage;
use crate::sim::resilience::{BreakerKind, Jitter, RetryKind};
use crate::sim::workload::Spike;

/// Everything a user may set, from flags or a scenario file; unset fields take defaults.
/// Keys are the flag names with underscores.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    pub pattern: Option<Names>,
    pub balancer: Option<Names>,
    pub agents: Option<u32>,
    pub load: Option<f64>,
    pub arrival_rate: Option<f64>,
    pub arrivals: Option<Arrivals>,
    pub service: Option<Service>,
    pub speeds: Option<Numbers>,
    pub kinds: Option<Kinds>,
    pub capabilities: Option<Capabilities>,
    pub mismatch_penalty: Option<f64>,
    pub tasks: Option<u64>,
    pub duration: Option<Seconds>,
    pub warmup: Option<f64>,
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    pub dispatch_overhead: Option<Seconds>,
    pub queue: Option<QueueMode>,
    pub heartbeat: Option<Seconds>,
    pub consensus_fraction: Option<f64>,
    pub hop_latency: Option<Seconds>,
    pub stages: Option<u32>,
    pub stage_work: Option<Numbers>,
    pub buffer: Option<Buffer>,
    pub fan_out: Option<u32>,
    pub split: Option<bool>,
    pub gather_timeout: Option<Seconds>,
    pub mtbf: Option<Seconds>,
    pub mttr: Option<Seconds>,
    pub outage: Option<Vec<Outage>>,
    pub missed_heartbeats: Option<u32>,
    pub timeout: Option<Timeout>,
    pub retry: Option<RetryKind>,
    pub jitter: Option<Jitter>,
    pub retry_budget: Option<f64>,
    pub circuit_breaker: Option<BreakerKind>,
    pub breaker_failure_rate: Option<f64>,
    pub max_ejection: Option<f64>,
    pub drop_expired: Option<bool>,
    pub queue_limit: Option<u32>,
    pub hedge_after_quantile: Option<f64>,
    pub spike: Option<Vec<Spike>>,
    pub timeline: Option<Seconds>,
}

macro_rules! overlay {
    ($base:ident, $over:ident; $($field:ident),+ $(,)?) => {
        ScenarioInput { $($field: $over.$field.or($base.$field)),+ }
    };
}

impl ScenarioInput {
    /// This input with every field that `over` sets replaced: flags over a file.
    pub fn overlaid(self, over: ScenarioInput) -> ScenarioInput {
        let base = self;
        overlay!(base, over; pattern, balancer, agents, load, arrival_rate, arrivals, service,
            speeds, kinds, capabilities, mismatch_penalty, tasks, duration, warmup,
            replications, seed, dispatch_overhead, queue, heartbeat, consensus_fraction,
            hop_latency, stages, stage_work, buffer, fan_out, split, gather_timeout, mtbf, mttr,
            outage, missed_heartbeats, timeout, retry, jitter, retry_budget, circuit_breaker,
            breaker_failure_rate, max_ejection, drop_expired, queue_limit, hedge_after_quantile,
            spike, timeline)
    }

    /// Reads a TOML scenario file; errors name the file, the line and the key.
    pub fn from_file(path: &Path) -> Result<ScenarioInput, ScenarioError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Read {
            path: name.clone(),
            message: e.to_string(),
        })?;
        ScenarioInput::from_toml(&text, &name)
    }

    pub fn from_toml(text: &str, name: &str) -> Result<ScenarioInput, ScenarioError> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let line = text[..offset.min(text.len())].matches('\n').count() + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            let key = line_text
                .split('=')
                .next()
                .map(|k| k.trim().trim_matches('"').to_string())
                .filter(|k| !k.is_empty() && !k.starts_with('['))
                .unwrap_or_else(|| "?".to_string());
            ScenarioError::File {
                path: name.to_string(),
                line,
                key,
                message: e.message().trim().replace('\n', " "),
            }
        })
    }
}
