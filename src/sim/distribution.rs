//! Task-size distributions and arrival processes, parsed from the command-line notation
//! (`exp:1`, `lognormal:1:2`, `bursty:20:2:5:20`).

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1, Gamma, LogNormal, Pareto};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a distribution or arrival spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

const SERVICE_FORMS: &str =
    "exp:MEAN, det:MEAN, erlang:K:MEAN, lognormal:MEAN:CV, pareto:ALPHA:MEAN or hyperexp:MEAN:CV";

/// The amount of work in a task (or subtask, or stage), in work units; an agent of speed s
/// serves x units in x/s seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Service {
    Exponential { mean: f64 },
    Deterministic { mean: f64 },
    Erlang { k: u32, mean: f64 },
    LogNormal { mean: f64, cv: f64 },
    Pareto { alpha: f64, mean: f64 },
    HyperExponential { mean: f64, cv: f64 },
}

/// Quantiles of a work distribution, read from draws with a fixed seed: the same answer
/// every time, for every distribution (several have no closed-form quantile).
#[derive(Debug, Clone)]
pub struct Quantiles(Vec<f64>);

impl Quantiles {
    /// Enough draws for a p99.9 within a few percent.
    const DRAWS: usize = 20_000;

    pub fn of(service: &Service) -> Quantiles {
        let sampler = service.sampler();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0x6a61_6567_6973);
        let mut draws: Vec<f64> = (0..Self::DRAWS).map(|_| sampler.sample(&mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        Quantiles(draws)
    }

    /// The `q` quantile.
    pub fn at(&self, q: f64) -> f64 {
        let n = self.0.len();
        let i = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
        self.0[i]
    }

    /// The share of draws above `x`.
    pub fn exceeding(&self, x: f64) -> f64 {
        let below = self.0.partition_point(|&d| d <= x);
        (self.0.len() - below) as f64 / self.0.len() as f64
    }

    /// The expected largest of `k` independent draws: the i-th smallest draw is the largest
    /// of k with probability (i/n)^k - ((i-1)/n)^k.
    pub fn expected_max(&self, k: u32) -> f64 {
        let n = self.0.len() as f64;
        let k = k as i32;
        self.0
            .iter()
            .enumerate()
            .map(|(i, x)| x * ((i as f64 + 1.0) / n).powi(k) - x * (i as f64 / n).powi(k))
            .sum()
    }
}

/// A distribution ready to sample, with its parameters precomputed.
#[derive(Debug, Clone)]
pub enum Sampler {
    Exponential(f64),
    Deterministic(f64),
    Gamma(Gamma<f64>),
    LogNormal(LogNormal<f64>),
    Pareto(Pareto<f64>),
    /// Two exponential phases: with probability `p` the first (mean `m1`), else the second (mean `m2`).
    HyperExponential {
        p: f64,
        m1: f64,
        m2: f64,
    },
}

impl Sampler {
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Exponential(mean) => mean * rng.sample::<f64, _>(Exp1),
            Sampler::Deterministic(mean) => *mean,
            Sampler::Gamma(g) => g.sample(rng),
            Sampler::LogNormal(l) => l.sample(rng),
            Sampler::Pareto(p) => p.sample(rng),
            Sampler::HyperExponential { p, m1, m2 } => {
                let mean = if rng.random::<f64>() < *p { m1 } else { m2 };
                mean * rng.sample::<f64, _>(Exp1)
            }
        }
    }
}

impl Service {
    pub fn mean(&self) -> f64 {
        match *self {
            Service::Exponential { mean }
            | Service::Deterministic { mean }
            | Service::Erlang { mean, .. }
            | Service::LogNormal { mean, .. }
            | Service::Pareto { mean, .. }
            | Service::HyperExponential { mean, .. } => mean,
        }
    }

    /// Squared coefficient of variation, for the Pollaczek-Khinchine formula and friends.
    pub fn scv(&self) -> f64 {
        match *self {
            Service::Exponential { .. } => 1.0,
            Service::Deterministic { .. } => 0.0,
            Service::Erlang { k, .. } => 1.0 / f64::from(k),
            Service::LogNormal { cv, .. } | Service::HyperExponential { cv, .. } => cv * cv,
            Service::Pareto { alpha, .. } if alpha > 2.0 => 1.0 / (alpha * (alpha - 2.0)),
            Service::Pareto { .. } => f64::INFINITY,
        }
    }

    /// The same shape with every size multiplied by `factor` (stage weights, split subtasks).
    pub fn scaled(&self, factor: f64) -> Service {
        let mut s = self.clone();
        match &mut s {
            Service::Exponential { mean }
            | Service::Deterministic { mean }
            | Service::Erlang { mean, .. }
            | Service::LogNormal { mean, .. }
            | Service::Pareto { mean, .. }
            | Service::HyperExponential { mean, .. } => *mean *= factor,
        }
        s
    }

    pub fn sampler(&self) -> Sampler {
        match *self {
            Service::Exponential { mean } => Sampler::Exponential(mean),
            Service::Deterministic { mean } => Sampler::Deterministic(mean),
            Service::Erlang { k, mean } => Sampler::Gamma(
                Gamma::new(f64::from(k), mean / f64::from(k)).expect("validated erlang"),
            ),
            Service::LogNormal { mean, cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                LogNormal::new(mean.ln() - sigma2 / 2.0, sigma2.sqrt())
                    .map(Sampler::LogNormal)
                    .expect("validated lognormal")
            }
            Service::Pareto { alpha, mean } => Sampler::Pareto(
                Pareto::new(mean * (alpha - 1.0) / alpha, alpha).expect("validated pareto"),
            ),
            Service::HyperExponential { mean, cv } => {
                // Balanced means (p1/mu1 = p2/mu2), the usual two-moment fit.
                let c2 = cv * cv;
                let p = 0.5 * (1.0 + ((c2 - 1.0) / (c2 + 1.0)).sqrt());
                Sampler::HyperExponential {
                    p,
                    m1: mean / (2.0 * p),
                    m2: mean / (2.0 * (1.0 - p)),
                }
            }
        }
    }
}

fn number(text: &str, what: &str, spec: &str) -> Result<f64, SpecError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| SpecError(format!("{what} in '{spec}' is not a number")))
}

fn positive(text: &str, what: &str, spec: &str) -> Result<f64, SpecError> {
    let x = number(text, what, spec)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(SpecError(format!(
            "{what} in '{spec}' must be above 0, got {x}"
        )))
    }
}

/// Above this coefficient of variation, a run's sample mean strays far from the stated mean
/// (a hyperexponential's rare phase is rarely drawn), so the offered load would be fiction.
pub const MAX_CV: f64 = 100.0;

fn bounded_cv(text: &str, spec: &str, min: f64) -> Result<f64, SpecError> {
    let cv = positive(text, "CV", spec)?;
    if cv < min {
        return Err(SpecError(format!(
            "CV in '{spec}' must be at least {min} for a hyperexponential; use erlang or lognormal below 1"
        )));
    }
    if cv > MAX_CV {
        return Err(SpecError(format!(
            "CV in '{spec}' must be at most {MAX_CV}: beyond it a run's sample mean strays far from MEAN"
        )));
    }
    Ok(cv)
}

impl FromStr for Service {
    type Err = SpecError;
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let parts: Vec<&str> = spec.trim().split(':').collect();
        let arity = |n: usize, form: &str| {
            if parts.len() == n {
                Ok(())
            } else {
                Err(SpecError(format!("'{spec}' should be {form}")))
            }
        };
        let name = parts[0].to_ascii_lowercase();
        let service = match name.as_str() {
            "exp" | "exponential" => {
                arity(2, "exp:MEAN")?;
                Service::Exponential {
                    mean: positive(parts[1], "MEAN", spec)?,
                }
            }
            "det" | "deterministic" => {
                arity(2, "det:MEAN")?;
                Service::Deterministic {
                    mean: positive(parts[1], "MEAN", spec)?,
                }
            }
            "erlang" => {
                arity(3, "erlang:K:MEAN")?;
                let k = number(parts[1], "K", spec)?;
                if k < 1.0 || k.fract() != 0.0 || k > 1000.0 {
                    return Err(SpecError(format!(
                        "K in '{spec}' must be a whole number of phases from 1 to 1000"
                    )));
                }
                Service::Erlang {
                    k: k as u32,
                    mean: positive(parts[2], "MEAN", spec)?,
                }
            }
            "lognormal" => {
                arity(3, "lognormal:MEAN:CV")?;
                Service::LogNormal {
                    mean: positive(parts[1], "MEAN", spec)?,
                    cv: bounded_cv(parts[2], spec, 0.0)?,
                }
            }
            "pareto" => {
                arity(3, "pareto:ALPHA:MEAN")?;
                let alpha = positive(parts[1], "ALPHA", spec)?;
                if alpha <= 1.0 {
                    return Err(SpecError(format!(
                        "ALPHA in '{spec}' must be above 1, or the mean is infinite"
                    )));
                }
                Service::Pareto {
                    alpha,
                    mean: positive(parts[2], "MEAN", spec)?,
                }
            }
            "hyperexp" => {
                arity(3, "hyperexp:MEAN:CV")?;
                let cv = bounded_cv(parts[2], spec, 1.0)?;
                Service::HyperExponential {
                    mean: positive(parts[1], "MEAN", spec)?,
                    cv,
                }
            }
            _ => {
                return Err(SpecError(format!(
                    "unknown distribution '{}'; expected {SERVICE_FORMS}",
                    parts[0]
                )));
            }
        };
        Ok(service)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Exponential { mean } => write!(f, "exp:{mean}"),
            Service::Deterministic { mean } => write!(f, "det:{mean}"),
            Service::Erlang { k, mean } => write!(f, "erlang:{k}:{mean}"),
            Service::LogNormal { mean, cv } => write!(f, "lognormal:{mean}:{cv}"),
            Service::Pareto { alpha, mean } => write!(f, "pareto:{alpha}:{mean}"),
            Service::HyperExponential { mean, cv } => write!(f, "hyperexp:{mean}:{cv}"),
        }
    }
}

/// How tasks arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    Poisson,
    Deterministic,
    /// A two-state Markov-modulated Poisson process: rate `on_rate` for exponential periods of
    /// mean `on_mean` seconds, then `off_rate` for periods of mean `off_mean`.
    Bursty {
        on_rate: f64,
        off_rate: f64,
        on_mean: f64,
        off_mean: f64,
    },
}

impl Arrivals {
    /// The long-run arrival rate of a bursty process, as written.
    pub fn bursty_mean_rate(&self) -> Option<f64> {
        match *self {
            Arrivals::Bursty {
                on_rate,
                off_rate,
                on_mean,
                off_mean,
            } => Some((on_rate * on_mean + off_rate * off_mean) / (on_mean + off_mean)),
            _ => None,
        }
    }
}

impl FromStr for Arrivals {
    type Err = SpecError;
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let parts: Vec<&str> = spec.trim().split(':').collect();
        match parts[0].to_ascii_lowercase().as_str() {
            "poisson" if parts.len() == 1 => Ok(Arrivals::Poisson),
            "deterministic" | "det" if parts.len() == 1 => Ok(Arrivals::Deterministic),
            "bursty" if parts.len() == 5 => {
                let off_rate = number(parts[2], "OFF_RATE", spec)?;
                if off_rate < 0.0 {
                    return Err(SpecError(format!("OFF_RATE in '{spec}' must be 0 or more")));
                }
                Ok(Arrivals::Bursty {
                    on_rate: positive(parts[1], "ON_RATE", spec)?,
                    off_rate,
                    on_mean: positive(parts[3], "ON_MEAN_S", spec)?,
                    off_mean: positive(parts[4], "OFF_MEAN_S", spec)?,
                })
            }
            _ => Err(SpecError(format!(
                "'{spec}' is not an arrival process; expected poisson, deterministic or bursty:ON_RATE:OFF_RATE:ON_MEAN_S:OFF_MEAN_S"
            ))),
        }
    }
}

impl fmt::Display for Arrivals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arrivals::Poisson => f.write_str("poisson"),
            Arrivals::Deterministic => f.write_str("deterministic"),
            Arrivals::Bursty {
                on_rate,
                off_rate,
                on_mean,
                off_mean,
            } => write!(f, "bursty:{on_rate}:{off_rate}:{on_mean}:{off_mean}"),
        }
    }
}

/// Serializes as the command-line notation, and reads it back.
macro_rules! notation_serde {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use notation_serde;

notation_serde!(Service);
notation_serde!(Arrivals);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    fn moments(service: &Service, n: usize) -> (f64, f64) {
        let sampler = service.sampler();
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let (mut sum, mut sum2) = (0.0, 0.0);
        for _ in 0..n {
            let x = sampler.sample(&mut rng);
            sum += x;
            sum2 += x * x;
        }
        let mean = sum / n as f64;
        (mean, (sum2 / n as f64 - mean * mean) / (mean * mean))
    }

    #[test]
    fn samples_have_the_stated_mean_and_variability() {
        let cases = [
            ("exp:2", 2.0, 1.0),
            ("det:0.5", 0.5, 0.0),
            ("erlang:4:1", 1.0, 0.25),
            ("lognormal:1:2", 1.0, 4.0),
            ("hyperexp:1:3", 1.0, 9.0),
            ("pareto:3.5:1", 1.0, 1.0 / (3.5 * 1.5)),
        ];
        for (spec, mean, scv) in cases {
            let service: Service = spec.parse().unwrap();
            assert_eq!(service.mean(), mean);
            assert!((service.scv() - scv).abs() < 1e-12, "{spec}");
            let (m, v) = moments(&service, 400_000);
            // Heavy tails converge slowly: 2% on the mean, 15% on the squared CV.
            assert!((m - mean).abs() < 0.02 * mean, "{spec}: mean {m}");
            if scv > 0.0 {
                assert!((v - scv).abs() < 0.15 * scv, "{spec}: scv {v}");
            }
        }
    }

    #[test]
    fn bad_specs_say_what_is_accepted() {
        let cases = [
            ("exp:-1", "must be above 0"),
            (
                "weibull:2",
                "unknown distribution 'weibull'; expected exp:MEAN",
            ),
            ("exp", "should be exp:MEAN"),
            ("erlang:1.5:1", "whole number"),
            ("pareto:1:1", "must be above 1"),
            ("hyperexp:1:0.5", "at least 1"),
            ("lognormal:1:1e200", "at most 100"),
            ("hyperexp:1:1e9", "at most 100"),
            ("lognormal:1:x", "CV in 'lognormal:1:x' is not a number"),
        ];
        for (spec, needle) in cases {
            let err = spec.parse::<Service>().unwrap_err().0;
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn arrivals_parse_and_print() {
        let b: Arrivals = "bursty:20:2:5:20".parse().unwrap();
        assert_eq!(b.to_string(), "bursty:20:2:5:20");
        assert_eq!(b.bursty_mean_rate(), Some((20.0 * 5.0 + 2.0 * 20.0) / 25.0));
        assert!("bursty:1:2".parse::<Arrivals>().is_err());
        assert_eq!("poisson".parse(), Ok(Arrivals::Poisson));
    }
}
