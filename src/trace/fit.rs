//! The simulator's distributions fitted to a trace, so a log becomes flags (`--rate`,
//! `--arrivals`, `--service`, `--tokens-in`, `--tokens-out`) whose runs draw what the log
//! shows.
//!
//! Work and tokens: the candidates of [`Service`] with the column's mean and CV, each judged
//! by the two-sample Kolmogorov-Smirnov distance between the column and 20,000 draws of its
//! own sampler with a fixed seed, so the fit is judged on what the simulator will draw.
//! Arrivals: Poisson unless the counts in 10 s windows are over-dispersed beyond a 95%
//! chi-square band, else a two-state MMPP fitted by splitting the windows at the median count.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::Serialize;

use crate::number::round_sig;
use crate::sim::distribution::{Arrivals, Service};

/// Draws of a candidate: enough that their own sampling error (D about 0.01) is below the
/// distances that tell candidates apart.
const DRAWS: usize = 20_000;
const SEED: u64 = 0x0074_7261_6365;

/// Windows the Poisson test needs to mean anything.
const MIN_WINDOWS: usize = 10;

/// The two-sample Kolmogorov-Smirnov statistic D (the largest gap between the two
/// empirical CDFs, ties stepped together) and its asymptotic p-value (Numerical Recipes'
/// `probks` with Stephens' correction). Sorts both slices; NaN (and empty slices) give NaN.
pub fn ks_two_sample(a: &mut [f64], b: &mut [f64]) -> (f64, f64) {
    if a.is_empty() || b.is_empty() || a.iter().chain(b.iter()).any(|x| x.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    (d, kolmogorov_q((en + 0.12 + 0.11 / en) * d))
}

/// P(K > lambda) for the Kolmogorov distribution.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for k in 1..=100 {
        let term = sign * (-2.0 * f64::from(k * k) * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// Rounds to `digits` significant digits: flags short enough to type.
fn sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Mean and coefficient of variation (population).
pub(super) fn mean_cv(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (
        mean,
        if mean > 0.0 {
            var.sqrt() / mean
        } else {
            f64::NAN
        },
    )
}

/// A candidate distribution and its distance from the column.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub service: Service,
    pub ks_d: f64,
}

/// The best candidate for a column, with its Kolmogorov-Smirnov distance and p-value, and
/// every candidate tried (best first). With thousands of rows, p is near 0 for any model:
/// D says how far off the fit is.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceFit {
    pub service: Service,
    pub ks_d: f64,
    pub ks_p: f64,
    pub candidates: Vec<Candidate>,
}

/// The candidates with a column's mean and CV, rounded to what a user would type; those
/// whose parameters the notation refuses (a hyperexponential below CV 1) are left out.
fn candidates(mean: f64, cv: f64) -> Vec<Service> {
    let m = sig(mean, 4);
    let c = sig(cv, 3);
    let mut specs = vec![format!("exp:{m}"), format!("det:{m}")];
    if c > 0.0 && c < 1.0 {
        let k = (1.0 / (c * c)).round().clamp(2.0, 1000.0);
        specs.push(format!("erlang:{k}:{m}"));
    }
    if c > 0.0 {
        specs.push(format!("lognormal:{m}:{c}"));
        // A Pareto's squared CV is 1 / (alpha (alpha - 2)).
        let alpha = sig(1.0 + (1.0 + 1.0 / (c * c)).sqrt(), 3);
        specs.push(format!("pareto:{alpha}:{m}"));
        // At CV 1 a hyperexponential is the exponential.
        if c > 1.0 {
            specs.push(format!("hyperexp:{m}:{c}"));
        }
    }
    specs.iter().filter_map(|s| s.parse().ok()).collect()
}

/// The draws a fit is judged on: 20,000 with a fixed seed, rounded to whole tokens as
/// the simulator rounds them with `whole`.
pub fn draws(service: &Service, whole: bool) -> Vec<f64> {
    let sampler = service.sampler();
    let mut rng = Pcg64Mcg::seed_from_u64(SEED);
    (0..DRAWS)
        .map(|_| {
            let x = sampler.sample(&mut rng);
            if whole { x.round().clamp(0.0, 1e9) } else { x }
        })
        .collect()
}

/// Fits a column of work (seconds) or, with `whole`, tokens, which the simulator draws
/// rounded to whole tokens. None for a column of zeros, which no distribution has.
pub fn fit_service(values: &[f64], whole: bool) -> Option<ServiceFit> {
    if values.is_empty() {
        return None;
    }
    let (mean, cv) = mean_cv(values);
    if mean.is_nan() || mean <= 0.0 {
        return None;
    }
    let mut column = values.to_vec();
    let mut scored: Vec<(Service, f64, f64)> = candidates(mean, cv)
        .into_iter()
        .map(|service| {
            let (d, p) = ks_two_sample(&mut column, &mut draws(&service, whole));
            (service, d, p)
        })
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (service, d, p) = scored.first()?.clone();
    Some(ServiceFit {
        service,
        ks_d: round_sig(d),
        // Below 1e-12 the asymptotic series says nothing more than "none".
        ks_p: if p < 1e-12 { 0.0 } else { round_sig(p) },
        candidates: scored
            .into_iter()
            .map(|(service, d, _)| Candidate {
                service,
                ks_d: round_sig(d),
            })
            .collect(),
    })
}

/// Arrival counts in the whole windows of `width` seconds from time 0.
pub(super) fn counts(times: &[f64], width: f64) -> Vec<u64> {
    let k = (times.last().copied().unwrap_or(0.0) / width).floor() as usize;
    let mut counts = vec![0u64; k];
    for &t in times {
        match counts.get_mut((t / width) as usize) {
            Some(c) => *c += 1,
            None => break,
        }
    }
    counts
}

/// Index of dispersion: the variance of the counts over their mean; 1 for Poisson.
pub(super) fn dispersion(counts: &[u64]) -> f64 {
    let k = counts.len() as f64;
    let mean = counts.iter().sum::<u64>() as f64 / k;
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / (k - 1.0);
    var / mean
}

/// The chi-square quantile by Wilson and Hilferty's cube-root approximation (within 1% for
/// 10 degrees of freedom and more).
fn chi_square_quantile(z: f64, dof: f64) -> f64 {
    let h = 2.0 / (9.0 * dof);
    dof * (1.0 - h + z * h.sqrt()).powi(3)
}

/// Where the dispersion of k Poisson windows falls 95% of the time: (k - 1) D is
/// chi-square with k - 1 degrees of freedom.
pub fn poisson_band(windows: usize) -> (f64, f64) {
    let dof = (windows - 1) as f64;
    (
        chi_square_quantile(-1.959964, dof) / dof,
        chi_square_quantile(1.959964, dof) / dof,
    )
}

/// The dispersion of counts in windows of `t` seconds of a two-state MMPP: 1 + Var(Λ)/E(Λ),
/// Λ the integrated rate, whose autocovariance decays as exp(-(r1 + r2) u).
pub fn mmpp_dispersion(arrivals: &Arrivals, t: f64) -> Option<f64> {
    let Arrivals::Bursty {
        on_rate,
        off_rate,
        on_mean,
        off_mean,
    } = *arrivals
    else {
        return None;
    };
    let rho = 1.0 / on_mean + 1.0 / off_mean;
    let (p_on, p_off) = (
        on_mean / (on_mean + off_mean),
        off_mean / (on_mean + off_mean),
    );
    let mean = p_on * on_rate + p_off * off_rate;
    let var = 2.0
        * p_on
        * p_off
        * (on_rate - off_rate).powi(2)
        * (t / rho - (1.0 - (-rho * t).exp()) / (rho * rho));
    Some(1.0 + var / (mean * t))
}

/// The arrival process fitted to a trace, and the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct ArrivalFit {
    pub process: Arrivals,
    /// The window of the Poisson test, in seconds, and how many whole windows the trace has.
    pub window: Option<f64>,
    pub windows: u64,
    /// The counts' index of dispersion there, and the 95% band of Poisson's.
    pub observed: Option<f64>,
    pub band: Option<[f64; 2]>,
    /// The fitted process's own dispersion at the window.
    pub predicted: Option<f64>,
    pub reason: String,
}

/// Poisson when the counts in 10 s windows (1 s for a trace shorter than 100 s) are within
/// Poisson's 95% band; a bursty MMPP when over-dispersed: windows above the median count
/// are the on state, the others off; each state's rate is its windows' mean count over the
/// width, its mean duration the mean run of consecutive windows in it.
pub fn fit_arrivals(times: &[f64]) -> ArrivalFit {
    let too_short = |reason: &str| ArrivalFit {
        process: Arrivals::Poisson,
        window: None,
        windows: 0,
        observed: None,
        band: None,
        predicted: None,
        reason: reason.into(),
    };
    let Some((width, counts)) = [10.0, 1.0]
        .into_iter()
        .map(|w| (w, counts(times, w)))
        .find(|(_, c)| c.len() >= MIN_WINDOWS)
    else {
        return too_short(
            "too short to tell (fewer than 10 whole windows of 1 s): poisson assumed",
        );
    };
    let observed = dispersion(&counts);
    let band = poisson_band(counts.len());
    let mut fit = ArrivalFit {
        process: Arrivals::Poisson,
        window: Some(width),
        windows: counts.len() as u64,
        observed: Some(round_sig(observed)),
        band: Some([round_sig(band.0), round_sig(band.1)]),
        predicted: Some(1.0),
        reason: String::new(),
    };
    if observed <= band.1 {
        fit.reason = if observed < band.0 {
            format!(
                "dispersion {observed:.2} at {width} s is below Poisson's band: more regular than Poisson, which is the nearest model"
            )
        } else {
            format!("dispersion {observed:.2} at {width} s is within Poisson's 95% band")
        };
        return fit;
    }
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let high: Vec<bool> = counts.iter().map(|&c| c > median).collect();
    let mean_of = |state: bool| {
        let (sum, n) = counts
            .iter()
            .zip(&high)
            .filter(|(_, h)| **h == state)
            .fold((0u64, 0u64), |(s, n), (c, _)| (s + c, n + 1));
        (n > 0).then(|| sum as f64 / n as f64 / width)
    };
    let runs = |state: bool| {
        let (mut total, mut runs, mut previous) = (0usize, 0usize, None);
        for &h in &high {
            if h == state {
                total += 1;
                if previous != Some(state) {
                    runs += 1;
                }
            }
            previous = Some(h);
        }
        (runs > 0).then(|| total as f64 / runs as f64 * width)
    };
    let (Some(on_rate), Some(off_rate), Some(on_mean), Some(off_mean)) =
        (mean_of(true), mean_of(false), runs(true), runs(false))
    else {
        fit.reason = format!(
            "dispersion {observed:.2} at {width} s is above Poisson's band, but no window is above the median to fit bursts to: poisson"
        );
        return fit;
    };
    let spec = format!(
        "bursty:{}:{}:{}:{}",
        sig(on_rate, 4),
        sig(off_rate, 4),
        sig(on_mean, 4),
        sig(off_mean, 4)
    );
    match spec.parse::<Arrivals>() {
        Ok(process) => {
            fit.predicted = mmpp_dispersion(&process, width).map(round_sig);
            fit.process = process;
            fit.reason = format!(
                "dispersion {observed:.2} at {width} s is above Poisson's 95% band ({:.2} to {:.2}): a two-state MMPP split at the median window",
                band.0, band.1
            );
        }
        Err(e) => {
            fit.reason = format!(
                "dispersion {observed:.2} at {width} s is above Poisson's band, but the MMPP fit is invalid ({e}): poisson"
            );
        }
    }
    fit
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, Exp1};

    #[test]
    fn ks_finds_the_distribution_the_draws_came_from() {
        let draw = |spec: &str, n: usize, seed: u64| -> Vec<f64> {
            let s: Service = spec.parse().unwrap();
            let sampler = s.sampler();
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            (0..n).map(|_| sampler.sample(&mut rng)).collect()
        };
        let (d, p) = ks_two_sample(&mut draw("exp:2", 5000, 1), &mut draw("exp:2", 5000, 2));
        assert!(d < 0.03 && p > 0.05, "same: D {d} p {p}");
        let (d, p) = ks_two_sample(&mut draw("exp:2", 5000, 1), &mut draw("det:2", 5000, 2));
        assert!(d > 0.3 && p < 1e-6, "different: D {d} p {p}");
        // Ties step together: identical samples are at distance 0.
        let (d, p) = ks_two_sample(&mut [1.0, 1.0, 2.0], &mut [2.0, 1.0, 1.0]);
        assert_eq!((d, p), (0.0, 1.0));
        assert!(ks_two_sample(&mut [], &mut [1.0]).0.is_nan());

        for (spec, want) in [
            ("lognormal:1155:0.9", "lognormal"),
            ("exp:3", "exp"),
            ("erlang:4:10", "erlang"),
            ("hyperexp:5:3", "hyperexp"),
        ] {
            let fit = fit_service(&draw(spec, 20_000, 5), false).unwrap();
            assert!(
                fit.service.to_string().starts_with(want),
                "{spec}: {} (D {})",
                fit.service,
                fit.ks_d
            );
            assert!(fit.ks_d < 0.03, "{spec}: D {}", fit.ks_d);
        }
    }

    #[test]
    fn fitted_flags_round_trip_through_their_parsers() {
        for fit in [
            fit_service(&[1.0, 2.0, 3.5, 10.0, 0.2], false),
            fit_service(&[100.0, 120.0, 90.0, 110.0], true),
        ] {
            for c in fit.unwrap().candidates {
                let again: Service = c.service.to_string().parse().unwrap();
                assert_eq!(again, c.service);
            }
        }
        assert!(fit_service(&[0.0, 0.0], true).is_none());
    }

    fn poisson(rate: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let mut t = 0.0;
        let mut times: Vec<f64> = (0..n)
            .map(|_| {
                let x: f64 = Exp1.sample(&mut rng);
                t += x / rate;
                t
            })
            .collect();
        let t0 = times[0];
        times.iter_mut().for_each(|x| *x -= t0);
        times
    }

    #[test]
    fn poisson_arrivals_fit_poisson_and_bursts_fit_an_mmpp() {
        let fit = fit_arrivals(&poisson(5.0, 20_000, 3));
        assert_eq!(fit.process, Arrivals::Poisson, "{fit:?}");
        assert_eq!(fit.window, Some(10.0));
        // Alternate 60 s of 20/s with 60 s of 2/s.
        let mut times = Vec::new();
        for block in 0..40 {
            let rate = if block % 2 == 0 { 20.0 } else { 2.0 };
            let start = 60.0 * f64::from(block);
            times.extend(
                poisson(rate, (rate * 60.0) as usize, 10 + block as u64)
                    .into_iter()
                    .filter(|&t| t < 60.0)
                    .map(|t| t + start),
            );
        }
        let fit = fit_arrivals(&times);
        let Arrivals::Bursty {
            on_rate,
            off_rate,
            on_mean,
            off_mean,
        } = fit.process
        else {
            panic!("{fit:?}")
        };
        assert!((on_rate - 20.0).abs() < 1.0, "{fit:?}");
        assert!((off_rate - 2.0).abs() < 0.5, "{fit:?}");
        assert!(
            (on_mean - 60.0).abs() < 10.0 && (off_mean - 60.0).abs() < 10.0,
            "{fit:?}"
        );
        assert!(fit.predicted.unwrap() > 10.0, "{fit:?}");
        assert_eq!(fit.process.to_string().parse::<Arrivals>(), Ok(fit.process));
    }

    #[test]
    fn the_mmpp_dispersion_is_its_simulated_one() {
        let b: Arrivals = "bursty:20:2:5:20".parse().unwrap();
        let mut clock =
            crate::sim::workload::ArrivalClock::new(&b, b.bursty_mean_rate().unwrap(), 1, &[]);
        let times: Vec<f64> = (0..400_000).map(|_| clock.next_arrival()).collect();
        let simulated = dispersion(&counts(&times, 10.0));
        let predicted = mmpp_dispersion(&b, 10.0).unwrap();
        assert!(
            (simulated / predicted - 1.0).abs() < 0.1,
            "{simulated} vs {predicted}"
        );
    }

    #[test]
    fn the_band_holds_poissons_dispersion() {
        let (lo, hi) = poisson_band(360);
        assert!(
            (lo - 0.857).abs() < 0.005 && (hi - 1.150).abs() < 0.005,
            "{lo} {hi}"
        );
    }
}
