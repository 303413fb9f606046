//! Closed forms from the literature that the simulator is held to, by `jaegis verify` and by
//! the validation tests. Service rate mu = 1 unless a function takes it.

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load `a`
/// = lambda / mu.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    last / (sum + last)
}

/// P(T <= d) for the time in system of an M/M/c queue: no wait with probability 1 - C,
/// else an exponential wait of rate theta = c mu - lambda, then an exponential service.
pub fn mmc_sojourn_cdf(c: u32, lambda: f64, mu: f64, d: f64) -> f64 {
    let wait = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    // A wait and a service of the same rate add up to an Erlang-2 time: the limit of the
    // general form as theta approaches mu.
    let both = if (theta - mu).abs() < 1e-9 {
        (1.0 + mu * d) * (-mu * d).exp()
    } else {
        (theta * (-mu * d).exp() - mu * (-theta * d).exp()) / (theta - mu)
    };
    let tail = (1.0 - wait) * (-mu * d).exp() + wait * both;
    1.0 - tail
}

/// Pollaczek-Khinchine: the M/G/1 mean time in system with mean work 1 and squared
/// coefficient of variation `scv`, at load `rho`.
pub fn pollaczek_khinchine(rho: f64, scv: f64) -> f64 {
    1.0 + rho * (1.0 + scv) / (2.0 * (1.0 - rho))
}

/// The supermarket model's mean time in system with d choices and unit service, as the
/// number of queues grows (Mitzenmacher 2001; Vvedenskaya et al. 1996):
/// T_d(lambda) = sum over i >= 1 of lambda^((d^i - d)/(d - 1)); for d = 1, 1/(1 - lambda).
pub fn supermarket(d: u32, lambda: f64) -> f64 {
    if d == 1 {
        return 1.0 / (1.0 - lambda);
    }
    let d = f64::from(d);
    (1..64)
        .map(|i| lambda.powf((d.powi(i) - d) / (d - 1.0)))
        .take_while(|x| *x > 1e-15)
        .sum()
}

/// The harmonic number H_k.
fn harmonic(k: u32) -> f64 {
    (1..=k).map(|i| 1.0 / f64::from(i)).sum()
}

/// Nelson and Tantawi (1988): the mean response time of a fork-join of k M/M/1 servers at
/// load `rho`, exact for k = 2, R_2 = (12 - rho)/8 / (1 - rho), and approximated for larger
/// k by [H_k/H_2 + (4/11)(1 - H_k/H_2) rho] R_2 (within a few percent up to k = 32).
pub fn fork_join(k: u32, rho: f64) -> f64 {
    let r2 = (12.0 - rho) / 8.0 / (1.0 - rho);
    let h = harmonic(k) / harmonic(2);
    (h + 4.0 / 11.0 * (1.0 - h) * rho) * r2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formulas_give_their_published_values() {
        // Mitzenmacher's table: 10 and 2.61 at 0.9; 100 and 5.43 at 0.99.
        assert!((supermarket(1, 0.9) - 10.0).abs() < 1e-9);
        assert!((supermarket(2, 0.9) - 2.6141).abs() < 1e-3);
        assert!((supermarket(1, 0.99) - 100.0).abs() < 1e-9);
        assert!((supermarket(2, 0.99) - 5.4320).abs() < 1e-3);
        assert!((fork_join(2, 0.5) - 2.875).abs() < 1e-12);
        // M/D/1 at 0.8: 3; M/M/1: 5.
        assert!((pollaczek_khinchine(0.8, 0.0) - 3.0).abs() < 1e-12);
        assert!((pollaczek_khinchine(0.8, 1.0) - 5.0).abs() < 1e-12);
        // One server: Erlang C is the load.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    }
}
