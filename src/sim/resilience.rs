//! Resilience mechanisms, as pure state machines: retry schedules with jitter, a retry
//! budget, circuit breakers, and the recent-latency quantile that triggers hedged requests.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, normalize};

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

/// A retry policy from the catalog: its phases and its jitter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryPolicy {
    pub kind: RetryKind,
    pub jitter: Jitter,
    /// Immediate retries fall back to exponential backoff, so a policy may have two phases.
    pub phases: Vec<Phase>,
}

impl RetryPolicy {
    /// The catalog's parameters for `kind`; `jitter` overrides the catalog's on/off setting
    /// (exponential backoff with jitter enabled means full jitter).
    pub fn from_catalog(catalog: &Catalog, kind: RetryKind, jitter: Option<Jitter>) -> Self {
        let r = &catalog.error_handling_patterns.retry_patterns;
        let exp = &r.exponential_backoff;
        let exponential = Phase {
            retries: exp.max_retries,
            initial: exp.initial_delay.seconds,
            multiplier: exp.backoff_multiplier,
            increment: 0.0,
            max: exp.max_delay.seconds,
        };
        let (phases, catalog_jitter) = match kind {
            RetryKind::None => (Vec::new(), false),
            RetryKind::Exponential => (vec![exponential], exp.jitter.0),
            RetryKind::Linear => {
                let l = &r.linear_backoff;
                (
                    vec![Phase {
                        retries: l.max_retries,
                        initial: l.initial_delay.seconds,
                        multiplier: 1.0,
                        increment: l.delay_increment.seconds,
                        max: l.max_delay.seconds,
                    }],
                    l.jitter.0,
                )
            }
            RetryKind::Immediate => {
                let i = &r.immediate_retry;
                let mut phases = vec![Phase {
                    retries: i.max_retries,
                    initial: i.delay.seconds,
                    multiplier: 1.0,
                    increment: 0.0,
                    max: i.delay.seconds,
                }];
                if i.fallback_strategy == "exponential_backoff" {
                    phases.push(exponential);
                }
                (phases, false)
            }
        };
        let jitter = jitter.unwrap_or(if catalog_jitter {
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

/// Retries may not exceed a share of the requests in flight (as Envoy's retry budget), with a
/// floor so that a quiet system can still retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryBudget {
    pub fraction: f64,
    pub min_concurrency: u32,
}

impl RetryBudget {
    /// Envoy's default floor.
    pub const MIN_CONCURRENCY: u32 = 3;

    pub fn allows(&self, retries_active: u32, requests_active: u32) -> bool {
        let cap = (self.fraction * f64::from(requests_active)).max(f64::from(self.min_concurrency));
        f64::from(retries_active) < cap
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

/// Buckets of a failure-rate breaker's sliding window.
const WINDOW_BUCKETS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BreakerState {
    Closed,
    Open { until: f64 },
    HalfOpen { trials: u32, successes: u32 },
}

/// One agent's circuit breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    pub state: BreakerState,
    /// Times it has opened: a half-open trial carries the number of its cycle, so a late
    /// outcome of an earlier trial cannot decide a later one.
    cycle: u32,
    consecutive: u32,
    /// (bucket epoch, calls, failures) per bucket of the sliding window.
    window: [(u64, u32, u32); WINDOW_BUCKETS],
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: BreakerState::Closed,
            cycle: 0,
            consecutive: 0,
            window: [(u64::MAX, 0, 0); WINDOW_BUCKETS],
        }
    }
}

impl Breaker {
    /// The state as of `now`: an open breaker whose recovery time has passed is half-open.
    pub fn effective(&self, now: f64) -> BreakerState {
        match self.state {
            BreakerState::Open { until } if now >= until => BreakerState::HalfOpen {
                trials: 0,
                successes: 0,
            },
            s => s,
        }
    }

    /// Whether a request may go to this agent now.
    pub fn allows(&self, now: f64, config: &BreakerConfig) -> bool {
        match self.effective(now) {
            BreakerState::Closed => true,
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen { trials, .. } => trials < config.half_open_requests,
        }
    }

    /// A request was sent; in half-open state it is one of the trials. Returns its ticket,
    /// to give back with its outcome: the cycle of a trial, 0 for an ordinary request.
    pub fn sent(&mut self, now: f64) -> u32 {
        self.state = self.effective(now);
        if let BreakerState::HalfOpen { trials, .. } = &mut self.state {
            *trials += 1;
            return self.cycle;
        }
        0
    }

    /// A request ended with no outcome for the breaker (its copy was cancelled, or its agent
    /// was declared dead): a trial gives its place back.
    pub fn release(&mut self, now: f64, ticket: u32) {
        self.state = self.effective(now);
        if let BreakerState::HalfOpen { trials, .. } = &mut self.state
            && ticket != 0
            && ticket == self.cycle
        {
            *trials = trials.saturating_sub(1);
        }
    }

    fn bucket(&mut self, now: f64, config: &BreakerConfig) -> &mut (u64, u32, u32) {
        let width = config.window / WINDOW_BUCKETS as f64;
        let epoch = (now / width) as u64;
        let slot = &mut self.window[(epoch % WINDOW_BUCKETS as u64) as usize];
        if slot.0 != epoch {
            *slot = (epoch, 0, 0);
        }
        slot
    }

    fn failure_rate(&self, now: f64, config: &BreakerConfig) -> (u32, f64) {
        let width = config.window / WINDOW_BUCKETS as f64;
        let epoch = (now / width) as u64;
        let (calls, failures) = self
            .window
            .iter()
            .filter(|(e, ..)| *e != u64::MAX && epoch.saturating_sub(*e) < WINDOW_BUCKETS as u64)
            .fold((0, 0), |(c, f), (_, calls, fails)| (c + calls, f + fails));
        let rate = if calls == 0 {
            0.0
        } else {
            f64::from(failures) / f64::from(calls)
        };
        (calls, rate)
    }

    /// Records the outcome of a request sent with `ticket`; returns true if the breaker changed
    /// between closed and not closed. A closed breaker may trip only if `may_open`; otherwise
    /// its count resets. Half-open, only this cycle's trials count.
    pub fn record(
        &mut self,
        now: f64,
        success: bool,
        config: &BreakerConfig,
        may_open: bool,
        ticket: u32,
    ) -> bool {
        let was_closed = matches!(self.state, BreakerState::Closed);
        self.state = self.effective(now);
        match &mut self.state {
            BreakerState::Closed => {
                let slot = self.bucket(now, config);
                slot.1 += 1;
                slot.2 += u32::from(!success);
                self.consecutive = if success { 0 } else { self.consecutive + 1 };
                let trips = match config.kind {
                    BreakerKind::Consecutive => self.consecutive >= config.failure_threshold,
                    BreakerKind::FailureRate => {
                        let (calls, rate) = self.failure_rate(now, config);
                        calls >= config.min_calls && rate >= config.failure_rate
                    }
                    BreakerKind::None => false,
                };
                if trips && may_open {
                    self.open(now, config);
                } else if trips {
                    self.consecutive = 0;
                }
            }
            BreakerState::HalfOpen { .. } if ticket == 0 || ticket != self.cycle => {}
            BreakerState::HalfOpen { trials, successes } => {
                *trials = trials.saturating_sub(1);
                if success {
                    *successes += 1;
                    if *successes >= config.success_threshold {
                        self.state = BreakerState::Closed;
                        self.consecutive = 0;
                        self.window = [(u64::MAX, 0, 0); WINDOW_BUCKETS];
                    }
                } else {
                    self.open(now, config);
                }
            }
            // Late outcomes of requests sent before the breaker opened change nothing.
            BreakerState::Open { .. } => {}
        }
        was_closed != matches!(self.state, BreakerState::Closed)
    }

    fn open(&mut self, now: f64, config: &BreakerConfig) {
        self.state = BreakerState::Open {
            until: now + config.recovery_timeout,
        };
        self.cycle += 1;
        self.consecutive = 0;
    }
}

/// A quantile of the most recent observations, refreshed every so many: the hedging trigger.
#[derive(Debug, Clone)]
pub struct RecentQuantile {
    q: f64,
    ring: Vec<f64>,
    next: usize,
    filled: bool,
    since_refresh: usize,
    scratch: Vec<f64>,
    current: Option<f64>,
}

impl RecentQuantile {
    /// Observations kept, and how often the quantile is recomputed from them.
    pub const WINDOW: usize = 1000;
    pub const REFRESH: usize = 100;

    pub fn new(q: f64) -> Self {
        RecentQuantile {
            q,
            ring: Vec::with_capacity(Self::WINDOW),
            next: 0,
            filled: false,
            since_refresh: 0,
            scratch: Vec::with_capacity(Self::WINDOW),
            current: None,
        }
    }

    pub fn push(&mut self, x: f64) {
        if self.filled {
            self.ring[self.next] = x;
            self.next = (self.next + 1) % Self::WINDOW;
        } else {
            self.ring.push(x);
            self.filled = self.ring.len() == Self::WINDOW;
        }
        self.since_refresh += 1;
        if self.since_refresh >= Self::REFRESH {
            self.since_refresh = 0;
            self.scratch.clear();
            self.scratch.extend_from_slice(&self.ring);
            let k = ((self.q * self.scratch.len() as f64).ceil() as usize)
                .clamp(1, self.scratch.len())
                - 1;
            let (_, value, _) = self.scratch.select_nth_unstable_by(k, f64::total_cmp);
            self.current = Some(*value);
        }
    }

    /// The quantile, once `REFRESH` observations have been seen.
    pub fn value(&self) -> Option<f64> {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy(kind: RetryKind, jitter: Option<Jitter>) -> RetryPolicy {
        RetryPolicy::from_catalog(&Catalog::embedded(), kind, jitter)
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

    #[test]
    fn budget_caps_retries_at_a_share_of_active_requests() {
        let b = RetryBudget {
            fraction: 0.2,
            min_concurrency: 3,
        };
        assert!(b.allows(2, 0), "the floor lets a quiet system retry");
        assert!(!b.allows(3, 10));
        assert!(b.allows(19, 100));
        assert!(!b.allows(20, 100));
    }

    fn config(kind: BreakerKind) -> BreakerConfig {
        BreakerConfig {
            kind,
            failure_threshold: 5,
            recovery_timeout: 30.0,
            half_open_requests: 3,
            success_threshold: 3,
            window: 60.0,
            failure_rate: 0.5,
            min_calls: 10,
            max_ejection: 1.0,
        }
    }

    #[test]
    fn consecutive_breaker_opens_half_opens_and_closes() {
        let c = config(BreakerKind::Consecutive);
        let mut b = Breaker::default();
        for _ in 0..4 {
            assert!(!b.record(1.0, false, &c, true, 0));
        }
        assert!(b.allows(1.0, &c));
        b.record(1.0, true, &c, true, 0);
        for _ in 0..4 {
            b.record(2.0, false, &c, true, 0);
        }
        assert!(b.allows(2.0, &c), "a success resets the count");
        assert!(
            b.record(2.0, false, &c, true, 0),
            "the fifth consecutive failure opens it"
        );
        assert!(!b.allows(31.9, &c));
        assert!(b.allows(32.0, &c), "half-open after the recovery timeout");
        let trials: Vec<u32> = (0..3).map(|_| b.sent(32.0)).collect();
        assert!(!b.allows(32.0, &c), "only three trial requests");
        b.record(33.0, true, &c, true, trials[0]);
        b.record(33.0, true, &c, true, trials[1]);
        assert!(!matches!(b.state, BreakerState::Closed));
        assert!(
            b.record(33.0, true, &c, true, trials[2]),
            "three successes close it"
        );
        assert_eq!(b.state, BreakerState::Closed);
        for _ in 0..5 {
            b.record(40.0, false, &c, true, 0);
        }
        let trial = b.sent(70.0);
        b.record(70.5, false, &c, true, trial);
        assert!(
            matches!(b.state, BreakerState::Open { until } if until == 100.5),
            "a failed trial reopens it"
        );
    }

    #[test]
    fn trials_without_an_outcome_give_their_place_back() {
        let c = config(BreakerKind::Consecutive);
        let mut b = Breaker::default();
        for _ in 0..5 {
            b.record(0.0, false, &c, true, 0);
        }
        let first: Vec<u32> = (0..3).map(|_| b.sent(30.0)).collect();
        assert!(!b.allows(30.0, &c));
        b.release(31.0, first[0]);
        assert!(b.allows(31.0, &c), "a cancelled trial frees its place");
        b.record(32.0, false, &c, true, first[1]);
        assert!(!b.allows(40.0, &c), "a failed trial reopened it");
        // Half-open again: outcomes of the earlier cycle's trials decide nothing.
        assert!(b.allows(62.0, &c));
        b.record(62.5, false, &c, true, first[2]);
        b.record(62.5, false, &c, true, 0);
        assert!(
            b.allows(62.5, &c),
            "stale or ordinary outcomes do not reopen it"
        );
        let now: Vec<u32> = (0..3).map(|_| b.sent(63.0)).collect();
        for t in now {
            b.record(64.0, true, &c, true, t);
        }
        assert_eq!(b.state, BreakerState::Closed);
    }

    #[test]
    fn a_breaker_denied_by_the_ejection_cap_stays_closed() {
        let c = config(BreakerKind::Consecutive);
        let mut b = Breaker::default();
        for _ in 0..5 {
            assert!(!b.record(1.0, false, &c, false, 0));
        }
        assert_eq!(b.state, BreakerState::Closed);
        for _ in 0..4 {
            b.record(2.0, false, &c, true, 0);
        }
        assert!(
            b.allows(2.0, &c),
            "the count restarted when the cap held it closed"
        );
    }

    #[test]
    fn failure_rate_breaker_needs_enough_calls_in_the_window() {
        let c = config(BreakerKind::FailureRate);
        let mut b = Breaker::default();
        for i in 0..9 {
            b.record(f64::from(i), false, &c, true, 0);
        }
        assert!(b.allows(9.0, &c), "9 calls are below the minimum of 10");
        for i in 0..10 {
            b.record(10.0 + f64::from(i), i % 2 == 0, &c, true, 0);
        }
        assert!(
            !b.allows(20.0, &c),
            "the tenth call (9 failures in 10) opened it"
        );
        let mut old = Breaker::default();
        for i in 0..10 {
            old.record(f64::from(i), false, &c, true, 0);
        }
        let mut fresh = Breaker {
            state: BreakerState::Closed,
            ..old.clone()
        };
        for i in 0..10 {
            fresh.record(200.0 + f64::from(i), true, &c, true, 0);
        }
        assert_eq!(
            fresh.state,
            BreakerState::Closed,
            "failures older than the window are forgotten"
        );
    }

    #[test]
    fn recent_quantile_tracks_the_window() {
        let mut q = RecentQuantile::new(0.9);
        for i in 0..99 {
            q.push(f64::from(i));
        }
        assert_eq!(q.value(), None);
        q.push(99.0);
        assert_eq!(q.value(), Some(89.0));
        for i in 0..2000 {
            q.push(1000.0 + f64::from(i % 1000));
        }
        assert_eq!(q.value(), Some(1899.0));
    }
}
