//! One agent's circuit breaker as a state machine: closed, open, half-open with trials.

use super::config::{BreakerConfig, BreakerKind};

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
    /// (bucket epoch, calls, failures) per bucket of the sliding window; allocated by a
    /// failure-rate breaker's first call, so a fleet of other breakers stays small.
    window: Vec<(u64, u32, u32)>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: BreakerState::Closed,
            cycle: 0,
            consecutive: 0,
            window: Vec::new(),
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
        if self.window.is_empty() {
            self.window = vec![(u64::MAX, 0, 0); WINDOW_BUCKETS];
        }
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
                        self.window.iter_mut().for_each(|b| *b = (u64::MAX, 0, 0));
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
