//! Statistics across replications: each metric's mean with the half-width of its 95%
//! confidence interval (Student t), the form every result is reported in.

use serde::Serialize;
use serde::ser::SerializeMap;

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        // Cornish-Fisher expansion around the normal quantile; within 1e-3 from df = 30 on.
        _ => {
            let z: f64 = 1.959_964;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// A metric across replications: the mean and the half-width of its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
    /// Censored: the value is only known to be at least this (a quantile that falls among
    /// failed requests, or at a timeout); `mean` and `ci95` are then NaN.
    pub at_least: Option<f64>,
}

impl Estimate {
    /// Not applicable: NaN, shown as `-` and `null`.
    pub const NONE: Estimate = Estimate {
        mean: f64::NAN,
        ci95: f64::NAN,
        at_least: None,
    };

    /// NaN values (metric not applicable in a replication) are left out; all NaN gives NaN.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Estimate {
        let xs: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
        let n = xs.len();
        if n == 0 {
            return Estimate::NONE;
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let ci95 = if n < 2 {
            f64::NAN
        } else {
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            t_975(n - 1) * (var / n as f64).sqrt()
        };
        Estimate {
            mean,
            ci95,
            at_least: None,
        }
    }

    /// Over replications of which some may be censored, given as (value, bound) with NaN
    /// for no bound: censored if any is, at least the smallest of what each is known to
    /// reach (its value, or its bound).
    pub fn of_censored(values: impl IntoIterator<Item = (f64, f64)> + Clone) -> Estimate {
        if values.clone().into_iter().all(|(_, bound)| bound.is_nan()) {
            return Estimate::of(values.into_iter().map(|(v, _)| v));
        }
        let least = values
            .into_iter()
            .map(|(v, bound)| if bound.is_nan() { v } else { bound })
            .filter(|x| !x.is_nan())
            .fold(f64::INFINITY, f64::min);
        Estimate {
            at_least: Some(least),
            ..Estimate::NONE
        }
    }

    /// A single value with no interval.
    pub fn exact(x: f64) -> Estimate {
        Estimate {
            mean: x,
            ci95: f64::NAN,
            at_least: None,
        }
    }

    pub fn censored(&self) -> bool {
        self.at_least.is_some()
    }

    /// The lower end of the 95% interval: NaN without one (a single replication).
    pub fn low(&self) -> f64 {
        self.mean - self.ci95
    }
}

impl Serialize for Estimate {
    /// `{"mean": .., "ci95": ..}`; a value that does not apply is `null`; a censored one is
    /// `{"mean": null, "ci95": null, "censored": true, "at_least": ..}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let finite = |x: f64| x.is_finite().then(|| crate::number::round_sig(x));
        let mut map = s.serialize_map(Some(if self.censored() { 4 } else { 2 }))?;
        map.serialize_entry("mean", &finite(self.mean))?;
        map.serialize_entry("ci95", &finite(self.ci95))?;
        if let Some(bound) = self.at_least {
            map.serialize_entry("censored", &true)?;
            map.serialize_entry("at_least", &finite(bound))?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_quantiles() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(4), 2.776);
        assert!((t_975(60) - 2.000).abs() < 2e-3);
        assert!((t_975(120) - 1.980).abs() < 2e-3);
        assert!((t_975(100_000) - 1.960).abs() < 1e-3);
    }

    #[test]
    fn estimates_skip_missing_values() {
        let e = Estimate::of([1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(e.mean, 2.0);
        assert!((e.ci95 - 4.303 * (1.0f64 / 3.0).sqrt()).abs() < 1e-9);
        assert!(Estimate::of([f64::NAN]).mean.is_nan());
        assert!(Estimate::of([5.0]).ci95.is_nan());
        assert_eq!(
            serde_json::to_string(&Estimate::of([5.0])).unwrap(),
            r#"{"mean":5.0,"ci95":null}"#
        );
        let censored = Estimate::of_censored([(3.0, f64::NAN), (f64::NAN, 60.0), (f64::NAN, 2.0)]);
        assert_eq!(censored.at_least, Some(2.0));
        assert_eq!(
            serde_json::to_string(&censored).unwrap(),
            r#"{"mean":null,"ci95":null,"censored":true,"at_least":2.0}"#
        );
    }
}
