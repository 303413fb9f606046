//! What limits retries and hedges at run time: the retry budget, and the recent-latency
//! quantile after which a hedge copy is sent.

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
