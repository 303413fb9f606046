//! Resilience mechanisms: the settings (retry policies, breaker kinds and thresholds) and
//! the run-time state machines (breakers, the retry budget, the hedging trigger).

mod breaker;
mod config;
mod retry;

pub use breaker::{Breaker, BreakerState};
pub(crate) use config::parsed_from_text;
pub use config::{
    BreakerConfig, BreakerDefaults, BreakerKind, Jitter, Phase, RetryDefaults, RetryKind,
    RetryPolicy,
};
pub use retry::{RecentQuantile, RetryBudget};
