//! When agents fail and recover, and when the others notice: the fault timeline of each
//! agent comes from its own seeded stream, so every pattern and balancer sees the same failures.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_distr::Exp1;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::stream::{derive, stream, streams};

/// A scripted outage: agent `agent` is down from `start` for `duration` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub agent: u32,
    pub start: f64,
    pub duration: f64,
}

impl FromStr for Outage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("expected AGENT@START+DURATION such as 0@100+30, got '{s}'");
        let (agent, rest) = s.trim().split_once('@').ok_or_else(err)?;
        let (start, duration) = rest.split_once('+').ok_or_else(err)?;
        let agent: u32 = agent.trim().parse().map_err(|_| err())?;
        let start: f64 = start.trim().parse().map_err(|_| err())?;
        let duration: f64 = duration.trim().parse().map_err(|_| err())?;
        if !(start >= 0.0 && start.is_finite() && duration > 0.0 && duration.is_finite()) {
            return Err(format!(
                "START must be 0 or more and DURATION above 0, got '{s}'"
            ));
        }
        Ok(Outage {
            agent,
            start,
            duration,
        })
    }
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}+{}", self.agent, self.start, self.duration)
    }
}

macro_rules! text_serde {
    ($($ty:ty),+) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }
    )+};
}
text_serde!(Outage);

/// Random up and down times of one agent: exponential with means `mtbf` and `mttr`.
#[derive(Debug, Clone)]
pub struct FailureClock {
    rng: Pcg64Mcg,
    mtbf: f64,
    mttr: f64,
}

impl FailureClock {
    /// `agent` is the user's agent number (0 is the master or leader where there is one), so
    /// that agent 3 fails at the same times whatever the pattern.
    pub fn new(seed: u64, agent: u32, mtbf: f64, mttr: f64) -> Self {
        FailureClock {
            rng: stream(derive(seed, streams::FAULTS), u64::from(agent)),
            mtbf,
            mttr,
        }
    }

    pub fn up_time(&mut self) -> f64 {
        self.mtbf * self.rng.sample::<f64, _>(Exp1)
    }

    pub fn down_time(&mut self) -> f64 {
        self.mttr * self.rng.sample::<f64, _>(Exp1)
    }
}

/// Heartbeats of one agent: sent every `interval` from a random phase; the agent is declared
/// dead when `missed` heartbeats in a row do not arrive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heartbeat {
    pub interval: f64,
    pub missed: u32,
    pub phase: f64,
}

impl Heartbeat {
    /// The phase is drawn from the agent's fault stream, so it too is common to all runs.
    pub fn new(seed: u64, agent: u32, interval: f64, missed: u32) -> Self {
        let mut rng = stream(derive(seed, streams::HEARTBEATS), u64::from(agent));
        Heartbeat {
            interval,
            missed,
            phase: rng.random::<f64>() * interval,
        }
    }

    /// When a failure at `failed` is declared: `missed` intervals after the last heartbeat sent
    /// before it. The delay lies in ((missed - 1) interval, missed interval].
    /// With no interval (`--heartbeat 0`, perfect information) a failure is seen at once.
    pub fn declared_dead(&self, failed: f64) -> f64 {
        if self.interval == 0.0 {
            return failed;
        }
        let last = if failed < self.phase {
            self.phase - self.interval
        } else {
            self.phase + ((failed - self.phase) / self.interval).floor() * self.interval
        };
        last + f64::from(self.missed) * self.interval
    }

    /// When an agent back at `repaired` is seen alive again: at its next heartbeat.
    pub fn seen_alive(&self, repaired: f64) -> f64 {
        if self.interval == 0.0 {
            return repaired;
        }
        if repaired <= self.phase {
            return self.phase;
        }
        self.phase + ((repaired - self.phase) / self.interval).ceil() * self.interval
    }
}

/// Split votes beyond this many rounds give the election up: a livelock, as fixed timeouts
/// cause.
pub const MAX_ELECTION_ROUNDS: u32 = 1000;

/// How an election went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Election {
    /// Seconds from the start of the election to a leader (or to giving up).
    pub delay: f64,
    /// Rounds of votes, 1 when the first vote elects.
    pub rounds: u32,
    /// False after [`MAX_ELECTION_ROUNDS`] split votes.
    pub settled: bool,
}

/// Raft's leader election (Ongaro and Ousterhout, USENIX ATC 2014, sections 5.2 and 9.3).
/// Each of the `alive` peers waits an election timeout drawn uniformly from
/// [T, T (1 + `spread`)] (Raft: [T, 2T]) and then stands, asking every peer for its vote; a
/// request takes `hop` seconds. A peer whose own timeout ends before the first candidate's
/// request reaches it stands too and votes for itself; every other peer votes for the first
/// candidate, whose request reaches it first. The first candidate wins with a majority of
/// all `peers`, a round trip after it stood. Otherwise the vote is split: each candidate
/// waits a new timeout from when it stood, each voter from when it voted, and the next round
/// begins. Without randomisation every peer stands at once and no round ever elects.
pub fn election(
    rng: &mut Pcg64Mcg,
    timeout: f64,
    spread: f64,
    alive: u32,
    peers: u32,
    hop: f64,
) -> Election {
    let majority = peers / 2 + 1;
    let mut starts = vec![0.0; alive.max(1) as usize];
    let mut expiries = vec![0.0; starts.len()];
    for round in 1..=MAX_ELECTION_ROUNDS {
        for (e, start) in expiries.iter_mut().zip(&starts) {
            *e = start + timeout * (1.0 + spread * rng.random::<f64>());
        }
        let first = expiries.iter().copied().fold(f64::INFINITY, f64::min);
        let candidates = expiries.iter().filter(|&&e| e < first + hop).count() as u32;
        let votes = 1 + starts.len() as u32 - candidates;
        if votes >= majority {
            return Election {
                delay: first + 2.0 * hop,
                rounds: round,
                settled: true,
            };
        }
        for (start, &e) in starts.iter_mut().zip(&expiries) {
            *start = if e < first + hop { e } else { first + hop };
        }
    }
    Election {
        delay: starts.iter().copied().fold(0.0, f64::max),
        rounds: MAX_ELECTION_ROUNDS,
        settled: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn detection_takes_between_k_minus_1_and_k_intervals() {
        let mut total = 0.0;
        let n = 10_000;
        for agent in 0..n {
            let h = Heartbeat::new(7, agent, 5.0, 3);
            let failed = 1000.0 + f64::from(agent % 97) * 0.37;
            let delay = h.declared_dead(failed) - failed;
            assert!(delay > 10.0 - 1e-9 && delay <= 15.0 + 1e-9, "{delay}");
            total += delay;
        }
        let mean = total / f64::from(n);
        assert!(
            (mean - 12.5).abs() < 0.1,
            "mean delay {mean}, expected 12.5 = (3 - 1/2) x 5"
        );
    }

    #[test]
    fn an_agent_is_seen_alive_at_its_next_heartbeat() {
        let h = Heartbeat {
            interval: 5.0,
            missed: 3,
            phase: 2.0,
        };
        assert_eq!(h.seen_alive(13.0), 17.0);
        assert_eq!(h.seen_alive(17.0), 17.0);
        assert_eq!(h.seen_alive(1.0), 2.0);
        assert_eq!(h.declared_dead(13.0), 27.0);
        assert_eq!(h.declared_dead(1.0), 12.0);
    }

    #[test]
    fn elections_take_the_earliest_randomized_timeout() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let (mut lo, mut hi, mut sum) = (f64::INFINITY, 0.0f64, 0.0);
        for _ in 0..10_000 {
            let d = election(&mut rng, 15.0, 1.0, 4, 5, 0.005).delay;
            lo = lo.min(d);
            hi = hi.max(d);
            sum += d;
        }
        assert!(lo >= 15.01 && hi <= 30.01);
        // The minimum of 4 uniforms on [15, 30] has mean 15 + 15/5 = 18.
        assert!((sum / 10_000.0 - 18.01).abs() < 0.1);
    }

    #[test]
    fn votes_split_when_candidates_stand_within_a_hop_of_each_other() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        // Fixed timeouts: every peer stands at once, every round, and none ever wins.
        let e = election(&mut rng, 0.15, 0.0, 5, 5, 0.0075);
        assert_eq!((e.settled, e.rounds), (false, MAX_ELECTION_ROUNDS));
        // A lone survivor of a 1-peer group elects itself at once.
        let e = election(&mut rng, 0.15, 0.0, 1, 1, 0.0075);
        assert_eq!((e.settled, e.rounds), (true, 1));
        assert!((e.delay - 0.165).abs() < 1e-12);
        // Timeouts spread over 5 ms with hops of 7.5 ms: the first vote usually splits, and
        // the rounds that follow drift apart until one candidate is first by a hop.
        let rounds: Vec<u32> = (0..1000)
            .map(|_| election(&mut rng, 0.15, 5.0 / 150.0, 5, 5, 0.0075).rounds)
            .collect();
        let split = rounds.iter().filter(|&&r| r > 1).count();
        assert!(split > 900, "{split} of 1000 split at least once");
        // With 4 of 5 up, the first needs two of the other three not to have stood.
        let e = election(&mut rng, 15.0, 1.0, 4, 5, 0.005);
        assert!(e.settled && e.rounds == 1 && e.delay >= 15.01 && e.delay <= 30.01);
    }

    #[test]
    fn failure_times_depend_on_the_agent_not_the_pattern() {
        let mut a = FailureClock::new(1, 3, 100.0, 10.0);
        let mut b = FailureClock::new(1, 3, 100.0, 10.0);
        assert_eq!(a.up_time(), b.up_time());
        let mut c = FailureClock::new(1, 4, 100.0, 10.0);
        assert_ne!(a.down_time(), c.down_time());
    }

    #[test]
    fn outages_parse() {
        assert_eq!(
            "2@100+30".parse(),
            Ok(Outage {
                agent: 2,
                start: 100.0,
                duration: 30.0
            })
        );
        assert!("2@100".parse::<Outage>().is_err());
        assert!("2@100+0".parse::<Outage>().is_err());
    }
}
