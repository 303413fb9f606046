//! Delegation loops: a request that needs several rounds of work before it is answered (a
//! supervisor and a worker passing a task back and forth, an agent calling tools in turn).
//! Each round is the pattern's whole answer once more; the number of rounds is drawn once per
//! request, so every pattern sees the same loops.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use rand_distr::{Distribution, Geometric};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::distribution::SpecError;

/// The most rounds a request may draw: a guard against a typo, far beyond any framework's
/// recursion limit (LangGraph's default is 25).
pub const MAX_ROUNDS: u32 = 10_000;

/// How many rounds a request takes: a fixed number, or a geometric number on 1, 2, 3, ...
/// (each round is the last with probability 1/MEAN).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rounds {
    Fixed(u32),
    Geometric { mean: f64 },
}

impl Rounds {
    pub fn mean(&self) -> f64 {
        match *self {
            Rounds::Fixed(n) => f64::from(n),
            Rounds::Geometric { mean } => mean,
        }
    }

    /// Mean of R(R-1)/2 over the rounds R: the rounds of growth a request's calls carry
    /// together, as round k carries k-1 of them. For a geometric R of mean M it is M(M-1).
    pub fn mean_growth_steps(&self) -> f64 {
        match *self {
            Rounds::Fixed(n) => f64::from(n) * (f64::from(n) - 1.0) / 2.0,
            Rounds::Geometric { mean } => mean * (mean - 1.0),
        }
    }

    /// The mean rounds a request runs and the mean rounds of growth its calls carry, when a
    /// request stops at `limit` rounds (it fails there): E[min(R, K)] = sum of P(R > k) for
    /// k below K, and E[m(m - 1)/2] for m = min(R, K) = sum of k P(R > k) for k from 1 to
    /// K - 1.
    pub fn run_moments(&self, limit: Option<u32>) -> (f64, f64) {
        let Some(limit) = limit else {
            return (self.mean(), self.mean_growth_steps());
        };
        (0..limit).fold((0.0, 0.0), |(rounds, steps), k| {
            let more = self.beyond(k);
            (rounds + more, steps + f64::from(k) * more)
        })
    }

    /// The share of requests that need more than `limit` rounds.
    pub fn beyond(&self, limit: u32) -> f64 {
        match *self {
            Rounds::Fixed(n) => f64::from(u8::from(n > limit)),
            Rounds::Geometric { mean } => (1.0 - 1.0 / mean).powf(f64::from(limit)),
        }
    }

    /// A request's number of rounds, from 1 to [`MAX_ROUNDS`].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match *self {
            Rounds::Fixed(n) => n,
            Rounds::Geometric { mean } => {
                let failures = Geometric::new(1.0 / mean)
                    .expect("a mean of at least 1 is a probability")
                    .sample(rng);
                failures.saturating_add(1).min(u64::from(MAX_ROUNDS)) as u32
            }
        }
    }
}

impl FromStr for Rounds {
    type Err = SpecError;
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let spec = spec.trim();
        let expected = || {
            SpecError(format!(
                "expected N (a fixed number of rounds) or geometric:MEAN (such as geometric:3), got '{spec}'"
            ))
        };
        let limit = f64::from(MAX_ROUNDS);
        match spec.split_once(':') {
            None => {
                let n: u32 = spec.parse().map_err(|_| expected())?;
                if n == 0 || n > MAX_ROUNDS {
                    return Err(SpecError(format!(
                        "a request takes from 1 to {MAX_ROUNDS} rounds, got {n}"
                    )));
                }
                Ok(Rounds::Fixed(n))
            }
            Some((name, mean)) if matches!(name.trim(), "geometric" | "geo") => {
                let mean: f64 = mean.trim().parse().map_err(|_| expected())?;
                if !(1.0..=limit / 10.0).contains(&mean) {
                    return Err(SpecError(format!(
                        "the mean of geometric:MEAN is from 1 to {} rounds, got '{spec}'",
                        limit / 10.0
                    )));
                }
                Ok(Rounds::Geometric { mean })
            }
            Some(_) => Err(expected()),
        }
    }
}

impl fmt::Display for Rounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rounds::Fixed(n) => write!(f, "{n}"),
            Rounds::Geometric { mean } => write!(f, "geometric:{mean}"),
        }
    }
}

impl Serialize for Rounds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A scenario file may write a fixed number of rounds as a number (`rounds = 3`) or as the
/// flag's text (`rounds = "geometric:3"`).
impl<'de> Deserialize<'de> for Rounds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(i64),
            Text(String),
        }
        let text = match Written::deserialize(d)? {
            Written::Number(n) => n.to_string(),
            Written::Text(t) => t,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn rounds_parse_and_print_back() {
        for spec in ["1", "5", "geometric:3", "geometric:1"] {
            let r: Rounds = spec.parse().unwrap();
            assert_eq!(r.to_string(), spec);
        }
        assert_eq!("geo:2.5".parse(), Ok(Rounds::Geometric { mean: 2.5 }));
        for bad in [
            "0",
            "-1",
            "geometric:0.5",
            "geometric:nan",
            "poisson:3",
            "",
            "10001",
        ] {
            assert!(bad.parse::<Rounds>().is_err(), "{bad}");
        }
    }

    /// Draws match the geometric law: mean M, E[R(R-1)/2] = M(M-1), P(R > K) = (1-1/M)^K.
    #[test]
    fn geometric_draws_have_the_closed_form_moments_and_tail() {
        let rounds = Rounds::Geometric { mean: 3.0 };
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let n = 400_000;
        let (mut sum, mut steps, mut beyond) = (0.0, 0.0, 0u32);
        for _ in 0..n {
            let r = f64::from(rounds.sample(&mut rng));
            sum += r;
            steps += r * (r - 1.0) / 2.0;
            beyond += u32::from(r > 4.0);
        }
        let n = f64::from(n);
        assert!((sum / n - 3.0).abs() < 0.02, "{}", sum / n);
        assert!((steps / n - 6.0).abs() < 0.1, "{}", steps / n);
        assert!((f64::from(beyond) / n - rounds.beyond(4)).abs() < 0.003);
        assert!((rounds.beyond(4) - 16.0 / 81.0).abs() < 1e-12);
        assert_eq!(Rounds::Fixed(4).mean_growth_steps(), 6.0);
        // Capped at K = 6 with M = 2: E[min(R, 6)] = 1.96875, E[m(m - 1)/2] = 1.78125.
        let (n, steps) = Rounds::Geometric { mean: 2.0 }.run_moments(Some(6));
        assert!((n - 1.96875).abs() < 1e-12 && (steps - 1.78125).abs() < 1e-12);
        assert_eq!(Rounds::Fixed(4).run_moments(Some(2)), (2.0, 1.0));
        assert_eq!(rounds.run_moments(None), (3.0, 6.0));
    }
}
