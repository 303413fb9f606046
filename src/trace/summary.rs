//! What a trace says about the traffic: how much, how bursty, how big the requests are,
//! and the flags that make the simulator draw the same.

use indexmap::IndexMap;
use serde::Serialize;

use crate::number::round_sig;

use super::fit::{self, ArrivalFit, ServiceFit, counts, dispersion, fit_arrivals, fit_service};
use super::{Format, Trace};

/// Arrivals per bucket of time, for a chart of the rate; the last bucket may be partial.
#[derive(Debug, Clone, Serialize)]
pub struct RateSeries {
    /// Bucket width in seconds: a round width giving about 60 buckets.
    pub bucket: f64,
    pub counts: Vec<u64>,
}

/// Quantiles of a column (nearest rank), its mean and coefficient of variation.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnStats {
    /// The header the values came from.
    pub column: String,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
    pub cv: f64,
}

/// The index of dispersion of arrival counts (variance over mean; 1 for Poisson) in
/// windows of one width.
#[derive(Debug, Clone, Serialize)]
pub struct Dispersion {
    pub window: f64,
    pub windows: u64,
    pub index: f64,
    /// Where Poisson arrivals' index falls 95% of the time with this many windows.
    pub poisson_band: [f64; 2],
}

/// A trace described, for the `trace` command's table and JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub path: String,
    pub format: Format,
    pub gzip: bool,
    /// The header read for each role.
    pub columns: IndexMap<String, String>,
    pub requests: u64,
    pub skipped: u64,
    pub skipped_errors: Vec<String>,
    pub start: Option<String>,
    /// Seconds from the first request to the last.
    pub duration: f64,
    /// (requests - 1) / duration.
    pub mean_rate: Option<f64>,
    pub rate_over_time: RateSeries,
    /// work, tokens_in, tokens_out and latency, those present.
    pub stats: IndexMap<String, ColumnStats>,
    /// In windows of 1, 10 and 60 s, those with at least 10 whole windows.
    pub dispersion: Vec<Dispersion>,
    /// Coefficient of variation of the gaps between requests; 1 for Poisson.
    pub gap_cv: Option<f64>,
    pub arrivals: ArrivalFit,
    /// work, tokens_in and tokens_out, those present and not all zero.
    pub fits: IndexMap<String, ServiceFit>,
    /// Requests per kind, when the trace has kinds.
    pub kinds: Option<IndexMap<String, u64>>,
    /// Simulate flags that draw what the trace shows.
    pub flags: String,
}

/// Widths a person reads at a glance, in seconds.
const NICE: [f64; 27] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0,
    120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0, 43200.0, 86400.0,
];

/// The smallest round width that cuts `duration` into at most 60 buckets.
fn bucket_width(duration: f64) -> f64 {
    let raw = duration / 60.0;
    NICE.iter()
        .copied()
        .find(|&w| w >= raw)
        .unwrap_or_else(|| (raw / 86400.0).ceil() * 86400.0)
}

fn rate_series(times: &[f64]) -> RateSeries {
    let duration = times.last().copied().unwrap_or(0.0);
    let bucket = bucket_width(duration);
    let n = ((duration / bucket).floor() as usize + 1).max(1);
    let mut counts = vec![0u64; n];
    for &t in times {
        counts[((t / bucket) as usize).min(n - 1)] += 1;
    }
    RateSeries { bucket, counts }
}

fn stats(column: &str, values: &[f64]) -> ColumnStats {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| {
        let n = sorted.len();
        sorted[((n as f64 * q).ceil() as usize).clamp(1, n) - 1]
    };
    let (mean, cv) = fit::mean_cv(values);
    ColumnStats {
        column: column.to_string(),
        p50: round_sig(at(0.5)),
        p90: round_sig(at(0.9)),
        p99: round_sig(at(0.99)),
        max: round_sig(at(1.0)),
        mean: round_sig(mean),
        cv: round_sig(cv),
    }
}

/// Four significant digits: a rate as it would be typed.
fn rate_flag(rate: f64) -> String {
    let digits = (3 - rate.abs().log10().floor() as i32).max(0) as usize;
    crate::number::number(rate, digits)
}

impl Summary {
    pub fn of(trace: &Trace) -> Summary {
        let header = |role| trace.header(role).unwrap_or_default();
        let as_f64 = |v: &[u32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        let tokens_in = trace.tokens_in.as_deref().map(as_f64);
        let tokens_out = trace.tokens_out.as_deref().map(as_f64);
        use super::Role;
        let present: Vec<(Role, &[f64])> = [
            (Role::Work, trace.work.as_deref()),
            (Role::TokensIn, tokens_in.as_deref()),
            (Role::TokensOut, tokens_out.as_deref()),
            (Role::Latency, trace.latency.as_deref()),
        ]
        .into_iter()
        .filter_map(|(r, v)| v.map(|v| (r, v)))
        .collect();
        let stats = present
            .iter()
            .map(|(r, v)| (r.id().to_string(), stats(header(*r), v)))
            .collect();
        let fits: IndexMap<String, ServiceFit> = present
            .iter()
            .filter(|(r, _)| *r != Role::Latency)
            .filter_map(|(r, v)| fit_service(v, *r != Role::Work).map(|f| (r.id().to_string(), f)))
            .collect();
        let dispersion = [1.0, 10.0, 60.0]
            .into_iter()
            .filter_map(|w| {
                let c = counts(&trace.times, w);
                (c.len() >= 10).then(|| {
                    let (lo, hi) = fit::poisson_band(c.len());
                    Dispersion {
                        window: w,
                        windows: c.len() as u64,
                        index: round_sig(dispersion(&c)),
                        poisson_band: [round_sig(lo), round_sig(hi)],
                    }
                })
            })
            .collect();
        let gap_cv = (trace.len() > 2).then(|| {
            let gaps: Vec<f64> = trace.times.windows(2).map(|w| w[1] - w[0]).collect();
            round_sig(fit::mean_cv(&gaps).1)
        });
        let arrivals = fit_arrivals(&trace.times);
        let mean_rate = trace.mean_rate();
        let mut flags = Vec::new();
        if let Some(rate) = mean_rate {
            flags.push(format!("--rate {}", rate_flag(rate)));
            flags.push(format!("--arrivals {}", arrivals.process));
        }
        for (role, flag) in [
            ("work", "--service"),
            ("tokens_in", "--tokens-in"),
            ("tokens_out", "--tokens-out"),
        ] {
            if let Some(f) = fits.get(role) {
                flags.push(format!("{flag} {}", f.service));
            }
        }
        let kinds = trace.kinds.as_ref().map(|k| {
            let mut per = vec![0u64; k.names.len()];
            for &r in &k.rows {
                per[usize::from(r)] += 1;
            }
            k.names.iter().cloned().zip(per).collect()
        });
        Summary {
            path: trace.path.clone(),
            format: trace.format,
            gzip: trace.gzip,
            columns: trace
                .columns
                .iter()
                .map(|(r, h)| (r.id().to_string(), h.clone()))
                .collect(),
            requests: trace.len() as u64,
            skipped: trace.skipped,
            skipped_errors: trace.skipped_errors.iter().map(|e| e.to_string()).collect(),
            start: trace.start.clone(),
            duration: round_sig(trace.duration()),
            mean_rate: mean_rate.map(round_sig),
            rate_over_time: rate_series(&trace.times),
            stats,
            dispersion,
            gap_cv,
            arrivals,
            fits,
            kinds,
            flags: flags.join(" "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ReadOptions, read_from};

    #[test]
    fn buckets_are_round_and_about_sixty() {
        assert_eq!(bucket_width(3599.0), 60.0);
        assert_eq!(bucket_width(3601.0), 120.0);
        assert_eq!(bucket_width(10.0), 0.2);
        assert_eq!(bucket_width(0.0), 0.001);
        let r = rate_series(&[0.0, 0.1, 59.9, 60.0, 3599.0]);
        assert_eq!(r.bucket, 60.0);
        assert_eq!(r.counts.len(), 60);
        assert_eq!((r.counts[0], r.counts[1], r.counts[59]), (3, 1, 1));
        assert_eq!(rate_flag(5.3812), "5.381");
        assert_eq!(rate_flag(1234.56), "1235");
        assert_eq!(rate_flag(0.012345), "0.01235");
    }

    #[test]
    fn a_small_trace_is_summarised() {
        let mut text = String::from("time,work,tokens_out,kind\n");
        for i in 0..200 {
            text.push_str(&format!(
                "{},{},{},{}\n",
                i,
                0.5 + (i % 4) as f64,
                10 * (i % 5),
                if i % 3 == 0 { "a" } else { "b" }
            ));
        }
        let t = read_from(text.as_bytes(), "t.csv", &ReadOptions::default()).unwrap();
        let s = Summary::of(&t);
        assert_eq!(s.requests, 200);
        assert_eq!(s.duration, 199.0);
        assert_eq!(s.mean_rate, Some(1.0));
        assert_eq!(s.stats["work"].max, 3.5);
        assert_eq!(s.stats["work"].p50, 1.5);
        assert_eq!(s.stats["tokens_out"].column, "tokens_out");
        assert_eq!(s.kinds.as_ref().unwrap()["a"], 67);
        // One request a second exactly: no variance at all.
        assert_eq!(s.dispersion[0].index, 0.0);
        assert_eq!(s.gap_cv, Some(0.0));
        assert!(
            s.flags
                .starts_with("--rate 1 --arrivals poisson --service "),
            "{}",
            s.flags
        );
        assert!(s.flags.contains("--tokens-out "), "{}", s.flags);
    }
}
