//! The resilience settings as chosen: retry policies with their schedules and jitter, and
//! circuit breaker kinds with their thresholds. Parsed from flags and files, defaulted from
//! the catalog's error-handling section.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use crate::names::normalize;

/// Scenario files accept what the flags accept: `exponential_backoff`, `failure_rate`.
macro_rules! parsed_from_text {
    ($($ty:ty),+) => {$(
        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }
    )+};
}
pub(crate) use parsed_from_text;

parsed_from_text!(RetryKind, Jitter, BreakerKind);

/// Which retry pattern of the catalog to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum RetryKind {
    None,
    Immediate,
    Linear,
    Exponential,
}

impl FromStr for RetryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match normalize(s).as_str() {
            "none" => Ok(RetryKind::None),
            "immediate" | "immediate_retry" => Ok(RetryKind::Immediate),
            "linear" | "linear_backoff" => Ok(RetryKind::Linear),
            "exponential" | "exponential_backoff" => Ok(RetryKind::Exponential),
            _ => Err("expected none, immediate, linear or exponential".into()),
        }
    }
}

impl fmt::Display for RetryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryKind::None => "none",
            RetryKind::Immediate => "immediate",
            RetryKind::Linear => "linear",
            RetryKind::Exponential => "exponential",
        })
    }
}

/// How a backoff delay is randomised (AWS Architecture Blog, "Exponential Backoff and Jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Jitter {
    /// The delay as scheduled.
    None,
    /// Uniform between 0 and the delay.
    Full,
    /// Half the delay, plus uniform up to the other half.
    Equal,
    /// Uniform between the initial delay and three times the previous delay, capped.
    Decorrelated,
}

impl FromStr for Jitter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match normalize(s).as_str() {
            "none" => Ok(Jitter::None),
            "full" => Ok(Jitter::Full),
            "equal" => Ok(Jitter::Equal),
            "decorrelated" => Ok(Jitter::Decorrelated),
            _ => Err("expected none, full, equal or decorrelated".into()),
        }
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Jitter::None => "no",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        })
    }
}

/// One phase of a retry schedule: `retries` retries with delays growing from `initial`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Phase {
    pub retries: u32,
    pub initial: f64,
    /// Each delay is the previous times `multiplier`, plus `increment`.
    pub multiplier: f64,
    pub increment: f64,
    pub max: f64,
}

impl Phase {
    /// The scheduled delay before the `n`-th retry of this phase (from 1), before jitter.
    pub fn base(&self, n: u32) -> f64 {
        let steps = f64::from(n.saturating_sub(1));
        let grown = self.initial * self.multiplier.powf(steps) + self.increment * steps;
        grown.min(self.max)
    }
}

/// A retry policy: its phases and its jitter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryPolicy {
    pub kind: RetryKind,
    pub jitter: Jitter,
    /// Immediate retries fall back to exponential backoff, so a policy may have two phases.
    pub phases: Vec<Phase>,
}

impl RetryPolicy {
    /// The schedule for `kind`; `jitter` overrides the default on/off setting (jitter on
    /// means full jitter).
    pub fn new(defaults: &RetryDefaults, kind: RetryKind, jitter: Option<Jitter>) -> Self {
        let (phases, default_jitter) = match kind {
            RetryKind::None => (Vec::new(), false),
            RetryKind::Exponential => (vec![defaults.exponential], defaults.exponential_jitter),
            RetryKind::Linear => (vec![defaults.linear], defaults.linear_jitter),
            RetryKind::Immediate => {
                let mut phases = vec![defaults.immediate];
                if defaults.immediate_then_exponential {
                    phases.push(defaults.exponential);
                }
                (phases, false)
            }
        };
        let jitter = jitter.unwrap_or(if default_jitter {
            Jitter::Full
        } else {
            Jitter::None
        });
        RetryPolicy {
            kind,
            jitter,
            phases,
        }
    }

    pub fn max_retries(&self) -> u32 {
        self.phases.iter().map(|p| p.retries).sum()
    }

    /// The phase and its retry number for the `n`-th retry overall (from 1), if any is left.
    fn phase_of(&self, n: u32) -> Option<(&Phase, u32)> {
        let mut left = n;
        for phase in &self.phases {
            if left <= phase.retries {
                return Some((phase, left));
            }
            left -= phase.retries;
        }
        None
    }

    /// The delay before the `n`-th retry, or `None` when the retries are spent.
    /// `previous` is the last delay used, for decorrelated jitter.
    pub fn delay(&self, n: u32, previous: f64, rng: &mut Pcg64Mcg) -> Option<f64> {
        let (phase, k) = self.phase_of(n)?;
        let base = phase.base(k);
        Some(match self.jitter {
            Jitter::None => base,
            Jitter::Full => rng.random::<f64>() * base,
            Jitter::Equal => base / 2.0 + rng.random::<f64>() * base / 2.0,
            Jitter::Decorrelated => {
                let low = phase.initial;
                let high = (3.0 * previous.max(low)).max(low);
                (low + rng.random::<f64>() * (high - low)).min(phase.max)
            }
        })
    }
}

/// Which circuit breaker guards each agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum BreakerKind {
    None,
    /// Opens after the catalog's consecutive failures (5).
    Consecutive,
    /// Opens when the failure rate over the catalog's monitoring window (60 s) reaches a threshold,
    /// as resilience4j's time-based sliding window.
    FailureRate,
}

impl FromStr for BreakerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match normalize(s).as_str() {
            "none" => Ok(BreakerKind::None),
            "consecutive" => Ok(BreakerKind::Consecutive),
            "failure_rate" => Ok(BreakerKind::FailureRate),
            _ => Err("expected none, consecutive or failure-rate".into()),
        }
    }
}

impl fmt::Display for BreakerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BreakerKind::None => "none",
            BreakerKind::Consecutive => "consecutive",
            BreakerKind::FailureRate => "failure-rate",
        })
    }
}

/// A breaker's thresholds, from the catalog's `circuit_breaker_patterns`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BreakerConfig {
    pub kind: BreakerKind,
    pub failure_threshold: u32,
    pub recovery_timeout: f64,
    pub half_open_requests: u32,
    pub success_threshold: u32,
    pub window: f64,
    /// Failure rate that opens a failure-rate breaker.
    pub failure_rate: f64,
    /// Calls in the window before a failure-rate breaker may open.
    pub min_calls: u32,
    /// Largest share of agents whose breakers may be open at once (Envoy's
    /// `max_ejection_percent`); a breaker that would open beyond it stays closed.
    pub max_ejection: f64,
}

/// The retry schedules a `--retry` policy may name (the catalog's `retry_patterns`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryDefaults {
    pub exponential: Phase,
    /// Whether exponential backoff is jittered (then: full jitter).
    pub exponential_jitter: bool,
    pub linear: Phase,
    pub linear_jitter: bool,
    pub immediate: Phase,
    /// Immediate retries fall back to exponential backoff when they are spent.
    pub immediate_then_exponential: bool,
}

/// A circuit breaker's thresholds (the catalog's `circuit_breaker_patterns`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerDefaults {
    pub failure_threshold: u32,
    pub recovery_timeout: f64,
    pub half_open_requests: u32,
    pub success_threshold: u32,
    /// Seconds of the failure-rate breaker's sliding window.
    pub window: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy(kind: RetryKind, jitter: Option<Jitter>) -> RetryPolicy {
        RetryPolicy::new(
            &crate::catalog::Catalog::embedded()
                .simulation_defaults()
                .retry,
            kind,
            jitter,
        )
    }

    #[test]
    fn schedules_follow_the_catalog() {
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let exp = policy(RetryKind::Exponential, Some(Jitter::None));
        let delays: Vec<f64> = (1..=6)
            .map(|n| exp.delay(n, 0.0, &mut rng).unwrap_or(-1.0))
            .collect();
        assert_eq!(delays, [1.0, 2.0, 4.0, 8.0, 16.0, -1.0]);
        let lin = policy(RetryKind::Linear, None);
        assert_eq!(
            lin.jitter,
            Jitter::None,
            "the catalog disables jitter for linear backoff"
        );
        let delays: Vec<f64> = (1..=4)
            .map(|n| lin.delay(n, 0.0, &mut rng).unwrap_or(-1.0))
            .collect();
        assert_eq!(delays, [5.0, 10.0, 15.0, -1.0]);
        let imm = policy(RetryKind::Immediate, None);
        assert_eq!(
            imm.max_retries(),
            2 + 5,
            "two immediate retries, then exponential backoff"
        );
        assert_eq!(imm.delay(2, 0.0, &mut rng), Some(0.0));
        assert_eq!(policy(RetryKind::Exponential, None).jitter, Jitter::Full);
        assert_eq!(policy(RetryKind::None, None).delay(1, 0.0, &mut rng), None);
        let capped = Phase {
            retries: 10,
            initial: 1.0,
            multiplier: 2.0,
            increment: 0.0,
            max: 60.0,
        };
        assert_eq!(capped.base(8), 60.0);
    }

    #[test]
    fn jitter_stays_within_its_bounds() {
        let mut rng = Pcg64Mcg::seed_from_u64(2);
        for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let p = policy(RetryKind::Exponential, Some(jitter));
            let mut previous = 1.0;
            for n in 1..=5 {
                let base = p.phases[0].base(n);
                for _ in 0..1000 {
                    let d = p.delay(n, previous, &mut rng).unwrap();
                    let (lo, hi) = match jitter {
                        Jitter::Full => (0.0, base),
                        Jitter::Equal => (base / 2.0, base),
                        _ => (1.0, (3.0 * previous).min(60.0)),
                    };
                    assert!(
                        d >= lo && d <= hi,
                        "{jitter:?} retry {n}: {d} not in [{lo}, {hi}]"
                    );
                }
                previous = p.delay(n, previous, &mut rng).unwrap();
            }
        }
    }
}
