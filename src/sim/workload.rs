//! The synthetic workload, replayed identically under every pattern and balancer.
//!
//! Arrival times come from one stream of unit-rate draws scaled by the arrival rate, and each
//! task's own draws (kind, entry peer, consensus, work sizes) come from a generator seeded by
//! the task's index. So task `i` has the same kind and the same `j`-th work size whatever the
//! pattern, the balancer or the number of draws other tasks made: common random numbers.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_distr::Exp1;
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::distribution::Arrivals;
use super::stream::{stream, streams};

/// A time window in which the arrival rate is multiplied: `START+DURATION:FACTOR`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub start: f64,
    pub duration: f64,
    pub factor: f64,
}

impl FromStr for Spike {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("expected START+DURATION:FACTOR such as 300+60:2, got '{s}'");
        let (window, factor) = s.trim().split_once(':').ok_or_else(err)?;
        let (start, duration) = window.split_once('+').ok_or_else(err)?;
        let parse = |x: &str| x.trim().parse::<f64>().map_err(|_| err());
        let (start, duration, factor) = (parse(start)?, parse(duration)?, parse(factor)?);
        if !(start >= 0.0
            && start.is_finite()
            && duration > 0.0
            && duration.is_finite()
            && factor > 0.0
            && factor.is_finite())
        {
            return Err(format!(
                "START must be 0 or more, DURATION and FACTOR above 0, got '{s}'"
            ));
        }
        Ok(Spike {
            start,
            duration,
            factor,
        })
    }
}

impl fmt::Display for Spike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}:{}", self.start, self.duration, self.factor)
    }
}

impl Serialize for Spike {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Spike {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Produces arrival times at a given mean rate.
#[derive(Debug, Clone)]
pub struct ArrivalClock {
    rng: Pcg64Mcg,
    process: Process,
    /// Time as the process runs it; spikes make it run faster than the clock.
    now: f64,
    warp: Warp,
}

/// Spikes as a change of time: during a spike of factor f the arrival process runs f times
/// faster, so every arrival gap there is f times shorter and the shape of the process is kept.
#[derive(Debug, Clone, Default)]
struct Warp {
    /// (start, end, factor) in clock time, sorted and not overlapping.
    windows: Vec<(f64, f64, f64)>,
}

impl Warp {
    fn new(spikes: &[Spike]) -> Self {
        let mut windows: Vec<(f64, f64, f64)> = spikes
            .iter()
            .map(|s| (s.start, s.start + s.duration, s.factor))
            .collect();
        windows.sort_by(|a, b| a.0.total_cmp(&b.0));
        Warp { windows }
    }

    /// The clock time at which the process's own time reaches `u`.
    fn clock(&self, u: f64) -> f64 {
        let mut lag = 0.0; // process time minus clock time so far
        for &(start, end, factor) in &self.windows {
            if u <= start + lag {
                break;
            }
            let stretched = (end - start) * factor;
            if u <= start + lag + stretched {
                return start + (u - start - lag) / factor;
            }
            lag += stretched - (end - start);
        }
        u - lag
    }
}

#[derive(Debug, Clone)]
enum Process {
    Poisson {
        rate: f64,
    },
    Deterministic {
        gap: f64,
    },
    Bursty {
        rates: [f64; 2],
        means: [f64; 2],
        state: usize,
        left: f64,
    },
}

impl ArrivalClock {
    /// `rate` is the long-run mean; a bursty process keeps its shape and is scaled to it.
    /// `spikes` multiply the rate for their windows.
    pub fn new(arrivals: &Arrivals, rate: f64, seed: u64, spikes: &[Spike]) -> Self {
        let mut rng = stream(seed, streams::ARRIVALS);
        let process = match *arrivals {
            Arrivals::Poisson => Process::Poisson { rate },
            Arrivals::Deterministic => Process::Deterministic { gap: 1.0 / rate },
            Arrivals::Bursty {
                on_rate,
                off_rate,
                on_mean,
                off_mean,
            } => {
                let scale = rate / arrivals.bursty_mean_rate().expect("bursty");
                let left = on_mean * rng.sample::<f64, _>(Exp1);
                Process::Bursty {
                    rates: [on_rate * scale, off_rate * scale],
                    means: [on_mean, off_mean],
                    state: 0,
                    left,
                }
            }
        };
        Self {
            rng,
            process,
            now: 0.0,
            warp: Warp::new(spikes),
        }
    }

    /// The time of the next arrival.
    #[inline]
    pub fn next_arrival(&mut self) -> f64 {
        match &mut self.process {
            Process::Poisson { rate } => {
                self.now += self.rng.sample::<f64, _>(Exp1) / *rate;
            }
            Process::Deterministic { gap } => self.now += *gap,
            Process::Bursty {
                rates,
                means,
                state,
                left,
            } => loop {
                // Memorylessness: race the next arrival in this state against the state's end.
                let rate = rates[*state];
                let gap = if rate > 0.0 {
                    self.rng.sample::<f64, _>(Exp1) / rate
                } else {
                    f64::INFINITY
                };
                if gap < *left {
                    *left -= gap;
                    self.now += gap;
                    break;
                }
                self.now += *left;
                *state = 1 - *state;
                *left = means[*state] * self.rng.sample::<f64, _>(Exp1);
            },
        }
        self.warp.clock(self.now)
    }
}

/// A task's fixed draws, taken in this order before any work size.
#[derive(Debug, Clone, Copy)]
pub struct TaskDraws {
    /// Uniform in [0, 1): picks the task's kind.
    pub kind: f64,
    /// Uniform in [0, 1): picks the peer a task enters at.
    pub entry: f64,
    /// Uniform in [0, 1): whether a task needs consensus.
    pub consensus: f64,
}

impl TaskDraws {
    pub fn take(rng: &mut Pcg64Mcg) -> Self {
        Self {
            kind: rng.random(),
            entry: rng.random(),
            consensus: rng.random(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::stream::task_rng;

    fn rate_of(arrivals: &Arrivals, rate: f64) -> f64 {
        let mut clock = ArrivalClock::new(arrivals, rate, 3, &[]);
        let n = 200_000;
        let mut last = 0.0;
        for _ in 0..n {
            last = clock.next_arrival();
        }
        n as f64 / last
    }

    #[test]
    fn arrival_processes_keep_their_mean_rate() {
        for arrivals in [
            Arrivals::Poisson,
            Arrivals::Deterministic,
            "bursty:20:2:5:20".parse().unwrap(),
        ] {
            let measured = rate_of(&arrivals, 4.0);
            assert!((measured - 4.0).abs() < 0.1, "{arrivals}: {measured}");
        }
    }

    #[test]
    fn spikes_multiply_the_rate_in_their_window_only() {
        let spike = Spike {
            start: 1000.0,
            duration: 500.0,
            factor: 3.0,
        };
        let mut clock = ArrivalClock::new(&Arrivals::Poisson, 10.0, 5, &[spike]);
        let (mut before, mut during, mut after) = (0, 0, 0);
        loop {
            let t = clock.next_arrival();
            match t {
                t if t < 1000.0 => before += 1,
                t if t < 1500.0 => during += 1,
                t if t < 2500.0 => after += 1,
                _ => break,
            }
        }
        assert!((before as f64 / 1000.0 - 10.0).abs() < 0.5, "{before}");
        assert!((during as f64 / 500.0 - 30.0).abs() < 1.0, "{during}");
        assert!((after as f64 / 1000.0 - 10.0).abs() < 0.5, "{after}");
        let warp = Warp::new(&[spike]);
        assert_eq!(warp.clock(500.0), 500.0);
        assert_eq!(warp.clock(1300.0), 1100.0);
        assert_eq!(warp.clock(3000.0), 2000.0);
    }

    #[test]
    fn spikes_parse() {
        assert_eq!(
            "300+60:2.5".parse(),
            Ok(Spike {
                start: 300.0,
                duration: 60.0,
                factor: 2.5
            })
        );
        assert!("300+60".parse::<Spike>().is_err());
    }

    #[test]
    fn task_draws_depend_only_on_seed_and_index() {
        let a = TaskDraws::take(&mut task_rng(9, 1234));
        let b = TaskDraws::take(&mut task_rng(9, 1234));
        let c = TaskDraws::take(&mut task_rng(9, 1235));
        assert_eq!(a.kind, b.kind);
        assert_ne!(a.kind, c.kind);
        assert_ne!(stream(1, 1).random::<u64>(), stream(1, 2).random::<u64>());
    }
}
