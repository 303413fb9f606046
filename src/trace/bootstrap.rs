//! An endless arrival stream resampled from a trace, so a one-hour log can drive a run of
//! any length without repeating itself verbatim and without losing its bursts.
//!
//! Requests are drawn uniformly with replacement as whole rows (work, tokens and kind stay
//! together). Gaps are a circular moving-block bootstrap (Politis and Romano, 1992) of the
//! trace's gaps: blocks of `b` consecutive gaps, each starting at a uniform position and
//! wrapping past the end, so every gap is equally likely (the long-run rate is the
//! trace's) and the clustering within `b` consecutive gaps survives.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::{Trace, TraceError};

/// Resampled arrivals: `(arrival time in seconds, row of the trace)`, forever.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    gaps: Vec<f64>,
    rows: u32,
    block: usize,
    rng: Pcg64Mcg,
    now: f64,
    /// The next gap's index, and how many gaps of the current block are left.
    at: usize,
    left: usize,
    started: bool,
}

impl Bootstrap {
    /// Blocks of `max(1, round(m^(1/3)))` of the m gaps: the rate of block length that
    /// minimises the error of a bootstrap variance (Hall, Horowitz and Jing, 1995).
    pub fn new(trace: &Trace, seed: u64) -> Result<Bootstrap, TraceError> {
        let gaps = trace.len().saturating_sub(1);
        let block = ((gaps as f64).cbrt().round() as usize).max(1);
        Bootstrap::with_block(trace, seed, block)
    }

    /// With a block length of your own: longer keeps burstiness at longer time scales, at
    /// the cost of fewer distinct streams.
    pub fn with_block(trace: &Trace, seed: u64, block: usize) -> Result<Bootstrap, TraceError> {
        let refuse = |reason: String| TraceError {
            path: trace.path.clone(),
            line: None,
            column: None,
            reason,
        };
        if trace.len() < 2 || trace.duration() <= 0.0 {
            return Err(refuse(
                "a trace needs two requests at different times to be resampled".into(),
            ));
        }
        if trace.len() > u32::MAX as usize {
            return Err(refuse("too many rows to resample".into()));
        }
        let gaps: Vec<f64> = trace.times.windows(2).map(|w| w[1] - w[0]).collect();
        Ok(Bootstrap {
            block: block.clamp(1, gaps.len()),
            gaps,
            rows: trace.len() as u32,
            rng: Pcg64Mcg::seed_from_u64(seed),
            now: 0.0,
            at: 0,
            left: 0,
            started: false,
        })
    }

    pub fn block(&self) -> usize {
        self.block
    }

    /// The next arrival: the first is at time 0, as a trace's first request is.
    #[inline]
    pub fn next_arrival(&mut self) -> (f64, u32) {
        if self.started {
            if self.left == 0 {
                self.at = self.rng.random_range(0..self.gaps.len());
                self.left = self.block;
            }
            self.now += self.gaps[self.at];
            self.at = if self.at + 1 == self.gaps.len() {
                0
            } else {
                self.at + 1
            };
            self.left -= 1;
        }
        self.started = true;
        (self.now, self.rng.random_range(0..self.rows))
    }
}

impl Iterator for Bootstrap {
    type Item = (f64, u32);

    fn next(&mut self) -> Option<(f64, u32)> {
        Some(self.next_arrival())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Format, Role};
    use rand_distr::{Distribution, Exp1};

    fn trace(times: Vec<f64>) -> Trace {
        let n = times.len();
        Trace {
            path: "t".into(),
            format: Format::Csv,
            gzip: false,
            columns: vec![(Role::Time, "time".into()), (Role::Work, "work".into())],
            times,
            work: Some((0..n).map(|i| i as f64).collect()),
            tokens_in: None,
            tokens_out: None,
            latency: None,
            kinds: None,
            start: None,
            skipped: 0,
            skipped_errors: Vec::new(),
        }
    }

    /// Arrivals switching between 20/s and 1/s, each state lasting 30 s on average.
    fn bursty(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let mut exp = || -> f64 { Exp1.sample(&mut rng) };
        let (mut t, mut on, mut left) = (0.0, true, 30.0 * exp());
        let mut times = Vec::with_capacity(n);
        while times.len() < n {
            let rate = if on { 20.0 } else { 1.0 };
            let gap = exp() / rate;
            if gap < left {
                left -= gap;
                t += gap;
                times.push(t);
            } else {
                t += left;
                on = !on;
                left = 30.0 * exp();
            }
        }
        let t0 = times[0];
        times.iter().map(|x| x - t0).collect()
    }

    /// Variance over mean of counts in windows of `w` seconds.
    fn dispersion(times: &[f64], w: f64) -> f64 {
        let k = (times.last().unwrap() / w).floor() as usize;
        let mut counts = vec![0.0; k];
        for &t in times {
            let i = (t / w) as usize;
            if i < k {
                counts[i] += 1.0;
            }
        }
        let mean = counts.iter().sum::<f64>() / k as f64;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (k - 1) as f64;
        var / mean
    }

    fn resampled(t: &Trace, block: usize, n: usize) -> Vec<f64> {
        Bootstrap::with_block(t, 9, block)
            .unwrap()
            .take(n)
            .map(|(time, _)| time)
            .collect()
    }

    #[test]
    fn the_long_run_rate_is_the_traces() {
        let t = trace(bursty(50_000, 1));
        let rate = t.mean_rate().unwrap();
        let b = Bootstrap::new(&t, 3).unwrap();
        assert_eq!(b.block(), 37);
        let times: Vec<f64> = b.take(500_000).map(|(time, _)| time).collect();
        let got = (times.len() - 1) as f64 / times.last().unwrap();
        assert!((got / rate - 1.0).abs() < 0.03, "rate {got} vs {rate}");
    }

    #[test]
    fn blocks_keep_the_burstiness_that_single_gaps_lose() {
        let t = trace(bursty(50_000, 2));
        // Dispersion at 2 s windows: about 40 arrivals in a burst, inside one block of 100.
        let observed = dispersion(&t.times, 2.0);
        assert!(observed > 3.0, "the trace is bursty: {observed}");
        let blocks = dispersion(&resampled(&t, 100, 200_000), 2.0);
        let single = dispersion(&resampled(&t, 1, 200_000), 2.0);
        assert!(
            (blocks / observed - 1.0).abs() < 0.3,
            "blocks: {blocks} vs {observed}"
        );
        assert!(
            single < 0.6 * observed,
            "single gaps: {single} vs {observed}"
        );
    }

    #[test]
    fn rows_are_drawn_whole_and_uniformly() {
        let t = trace((0..10).map(f64::from).collect());
        let mut seen = [0u32; 10];
        for (_, row) in Bootstrap::new(&t, 1).unwrap().take(100_000) {
            seen[row as usize] += 1;
        }
        assert!(
            seen.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{seen:?}"
        );
        let first = Bootstrap::new(&t, 1).unwrap().next().unwrap();
        assert_eq!(first.0, 0.0);
        assert!(Bootstrap::new(&trace(vec![0.0]), 1).is_err());
    }
}
