//! The books of one replication, kept as it runs: a fixed-size latency histogram and running
//! sums, never a vector of per-request values.

use hdrhistogram::Histogram;

use super::metric::{Metric, Values};

/// Latencies are recorded in units of a millionth of the run's typical service time, to 3
/// significant digits; the histogram grows to hold the longest latency observed.
const UNITS_PER_SERVICE: f64 = 1e6;
/// The largest latency recorded, in units: 4.6e12 typical service times, far beyond any run.
const MAX_UNITS: u64 = 1 << 62;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every part done.
    Complete,
    /// A gather that gave up on missing shards: an answer, but not the whole one.
    Partial,
    Failed,
}

/// Checkpoints a replication's arrivals are cut into: every `COARSE` of them make one of the
/// 20 intervals that tell a collapse from noise, and the fine ones date it.
const CHECKPOINTS: u64 = 100;
const COARSE: usize = 5;
/// Below this many measured requests there is too little to tell a collapse.
const COLLAPSE_MIN_REQUESTS: u64 = 1000;

/// The state at a measured arrival: for collapse detection.
#[derive(Debug, Clone, Copy, Default)]
struct Checkpoint {
    time: f64,
    arrivals: u64,
    good: u64,
    in_system: u64,
}

/// Most timeline buckets a run may ask for (the run's expected length over the bucket width).
pub const MAX_TIMELINE_BUCKETS: usize = 10_000;

/// One bucket of a `--timeline`: counts in the bucket, and the state at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    pub departures: f64,
    pub successes: f64,
    pub attempts: f64,
    /// Attempts queued or in service over all agents, at the bucket's end.
    pub queued: f64,
    /// Circuit breakers not closed, at the bucket's end.
    pub open_breakers: f64,
}

#[derive(Debug, Clone)]
struct Timeline {
    width: f64,
    buckets: Vec<Bucket>,
    /// End of the bucket whose state is not yet recorded.
    next_end: f64,
    /// Where records past the cap go, unread.
    beyond: Bucket,
}

/// The timeline ends here even if the run goes on (draining an overload can take long):
/// ten times what a scenario may ask for, so memory stays bounded.
const TIMELINE_CAP: usize = 10 * MAX_TIMELINE_BUCKETS;

impl Timeline {
    fn bucket(&mut self, t: f64) -> &mut Bucket {
        let i = (t / self.width) as usize;
        if i >= TIMELINE_CAP {
            self.beyond = Bucket::default();
            return &mut self.beyond;
        }
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, Bucket::default());
        }
        &mut self.buckets[i]
    }
}

/// The running statistics of one replication.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Latencies of the requests answered in full.
    latency: Histogram<u64>,
    /// Seconds per histogram unit.
    unit: f64,
    latency_sum: f64,
    latency_min: f64,
    latency_max: f64,
    arrivals: u64,
    /// Measured requests answered in full, answered only partly, and failed.
    good: u64,
    partials: u64,
    failures: u64,
    partial_min: f64,
    partial_max: f64,
    /// The objective's deadline, and the requests that met it (in full, or in part when
    /// `accept_partial`).
    deadline: Option<f64>,
    within: u64,
    accept_partial: bool,
    /// Every `spacing` measured arrivals, the state then; the next at `next_checkpoint`
    /// (a comparison per arrival rather than a division).
    spacing: u64,
    next_checkpoint: u64,
    checkpoints: Vec<Checkpoint>,
    last: Checkpoint,
    wait_sum: f64,
    waits: u64,
    /// Start and end of the measurement window; infinite until known.
    pub window_start: f64,
    pub window_end: f64,
    departures: u64,
    good_departures: u64,
    in_system: u64,
    area: f64,
    last_change: f64,
    served: f64,
    wasted: f64,
    hedge_loss: f64,
    /// Hedge copies and parts first sent inside the window.
    hedges: u64,
    parts: u64,
    rejected: u64,
    timed_out: u64,
    detections: u64,
    detection_sum: f64,
    no_dispatch: Option<f64>,
    completeness_sum: f64,
    completeness_n: u64,
    tries_sum: f64,
    timeline: Option<Timeline>,
}

impl Recorder {
    /// `service_time` is the run's typical service time in seconds, which sets the histogram's
    /// unit so that any time scale gets the same relative precision. `timeline` is the width of
    /// a timeline bucket, if one is kept.
    pub fn new(service_time: f64, timeline: Option<f64>) -> Self {
        Self {
            latency: Histogram::new(3).expect("valid histogram precision"),
            unit: service_time / UNITS_PER_SERVICE,
            latency_sum: 0.0,
            latency_min: f64::INFINITY,
            latency_max: 0.0,
            arrivals: 0,
            good: 0,
            partials: 0,
            failures: 0,
            partial_min: f64::INFINITY,
            partial_max: 0.0,
            deadline: None,
            within: 0,
            accept_partial: false,
            spacing: u64::MAX,
            next_checkpoint: 1,
            checkpoints: Vec::new(),
            last: Checkpoint::default(),
            wait_sum: 0.0,
            waits: 0,
            window_start: f64::INFINITY,
            window_end: f64::INFINITY,
            departures: 0,
            good_departures: 0,
            in_system: 0,
            area: 0.0,
            last_change: 0.0,
            served: 0.0,
            wasted: 0.0,
            hedge_loss: 0.0,
            hedges: 0,
            parts: 0,
            rejected: 0,
            timed_out: 0,
            detections: 0,
            detection_sum: 0.0,
            no_dispatch: None,
            completeness_sum: 0.0,
            completeness_n: 0,
            tries_sum: 0.0,
            timeline: timeline.map(|width| Timeline {
                width,
                buckets: Vec::new(),
                next_end: width,
                beyond: Bucket::default(),
            }),
        }
    }

    /// An attempt was sent; `first` for a part's first attempt.
    #[inline]
    pub fn sent(&mut self, now: f64, first: bool) {
        self.parts += u64::from(first && self.in_window(now));
        if let Some(t) = &mut self.timeline {
            t.bucket(now).attempts += 1.0;
        }
    }

    /// An agent served for `seconds`: useful work, or wasted (an attempt given up on, work lost
    /// in a failure, a losing hedge copy, work redone after a failure).
    #[inline]
    /// Service of `seconds` ended `now`; counters below count only inside the window, as
    /// every other statistic does.
    pub fn served(&mut self, now: f64, seconds: f64, useful: bool, hedge_loss: bool) {
        if !self.in_window(now) {
            return;
        }
        self.served += seconds;
        if !useful {
            self.wasted += seconds;
        }
        if hedge_loss {
            self.hedge_loss += seconds;
        }
    }

    pub fn rejected(&mut self, now: f64) {
        self.rejected += u64::from(self.in_window(now));
    }

    pub fn timed_out(&mut self, now: f64) {
        self.timed_out += u64::from(self.in_window(now));
    }

    #[inline]
    fn in_window(&self, now: f64) -> bool {
        now >= self.window_start && now <= self.window_end
    }

    pub fn hedged(&mut self, now: f64) {
        self.hedges += u64::from(self.in_window(now));
    }

    /// A failure was noticed `now`, `delay` seconds after it happened.
    pub fn detected(&mut self, now: f64, delay: f64) {
        if !self.in_window(now) {
            return;
        }
        self.detections += 1;
        self.detection_sum += delay;
    }

    /// Nothing could be dispatched from `from` to `to` (master or leader down).
    pub fn no_dispatch(&mut self, from: f64, to: f64) {
        *self.no_dispatch.get_or_insert(0.0) += self.overlap(from, to);
    }

    /// The pattern has a coordinator whose downtime is worth reporting, even when it is zero.
    pub fn has_coordinator(&mut self) {
        self.no_dispatch.get_or_insert(0.0);
    }

    /// A measured best-effort gather completed with this share of its subtasks.
    pub fn completeness(&mut self, share: f64) {
        self.completeness_sum += share;
        self.completeness_n += 1;
    }

    /// True when a timeline bucket has ended and its state is not yet recorded.
    #[inline]
    pub fn timeline_due(&self, now: f64) -> bool {
        self.timeline.as_ref().is_some_and(|t| now >= t.next_end)
    }

    /// Records the state at every bucket end up to `now`; between events nothing changes, so
    /// the state now is the state then.
    pub fn snapshot(&mut self, now: f64, queued: u64, open_breakers: u64) {
        if let Some(t) = &mut self.timeline {
            while now >= t.next_end {
                if t.next_end >= t.width * TIMELINE_CAP as f64 {
                    t.next_end = f64::INFINITY;
                    break;
                }
                let at = t.next_end - t.width / 2.0;
                let b = t.bucket(at);
                b.queued = queued as f64;
                b.open_breakers = open_breakers as f64;
                t.next_end += t.width;
            }
        }
    }

    /// Length of `[from, to]` that falls inside the measurement window.
    #[inline]
    pub fn overlap(&self, from: f64, to: f64) -> f64 {
        (to.min(self.window_end) - from.max(self.window_start)).max(0.0)
    }

    #[inline]
    fn advance(&mut self, now: f64) {
        self.area += self.in_system as f64 * self.overlap(self.last_change, now);
        self.last_change = now;
    }

    /// Judges requests against `deadline` (seconds), a partial answer good or not.
    pub fn objective(&mut self, deadline: Option<f64>, accept_partial: bool) {
        self.deadline = deadline;
        self.accept_partial = accept_partial;
    }

    /// About `expected` requests will be measured: checkpoints are taken every 1/20 of them.
    pub fn expect(&mut self, expected: f64) {
        self.spacing = ((expected / CHECKPOINTS as f64) as u64).max(1);
    }

    /// A request arrived; those inside the window give the measured arrival rate.
    #[inline]
    pub fn arrival(&mut self, now: f64) {
        if now >= self.window_start && now <= self.window_end {
            self.arrivals += 1;
            self.last = Checkpoint {
                time: now,
                arrivals: self.arrivals,
                good: self.good_departures,
                in_system: self.in_system,
            };
            if self.arrivals >= self.next_checkpoint {
                self.next_checkpoint =
                    (self.arrivals / self.spacing + 1).saturating_mul(self.spacing);
                self.checkpoints.push(self.last);
            }
        }
    }

    /// A task entered the system.
    #[inline]
    pub fn arrived(&mut self, now: f64) {
        self.advance(now);
        self.in_system += 1;
    }

    /// A measured task started its first service after waiting `wait` seconds.
    #[inline]
    pub fn waited(&mut self, wait: f64) {
        self.wait_sum += wait;
        self.waits += 1;
    }

    /// A request left the system; `measured` ones enter the latency statistics. `tries` is
    /// its attempts per part (1 without retries).
    #[inline]
    pub fn departed(
        &mut self,
        now: f64,
        latency: f64,
        outcome: Outcome,
        measured: bool,
        tries: f64,
    ) {
        self.advance(now);
        self.in_system -= 1;
        let good =
            outcome == Outcome::Complete || (outcome == Outcome::Partial && self.accept_partial);
        if now >= self.window_start && now <= self.window_end {
            self.departures += 1;
            self.good_departures += u64::from(good);
        }
        if let Some(t) = &mut self.timeline {
            let b = t.bucket(now);
            b.departures += 1.0;
            b.successes += f64::from(u8::from(good));
        }
        if !measured {
            return;
        }
        self.tries_sum += tries;
        // An accepted partial answer meets the objective in time, but its latency is the
        // gather's timeout, not an answer's: it stays in the partial mass of the quantiles.
        self.within += u64::from(good && self.deadline.is_some_and(|d| latency <= d));
        if outcome == Outcome::Complete {
            self.good += 1;
            self.latency_sum += latency;
            self.latency_min = self.latency_min.min(latency);
            self.latency_max = self.latency_max.max(latency);
            let units = (latency / self.unit).round().clamp(1.0, MAX_UNITS as f64) as u64;
            self.latency
                .record(units)
                .expect("an auto-resizing histogram holds every value up to MAX_UNITS");
        } else if outcome == Outcome::Partial {
            self.partials += 1;
            self.partial_min = self.partial_min.min(latency);
            self.partial_max = self.partial_max.max(latency);
        } else {
            self.failures += 1;
        }
    }

    /// The `q`-quantile of the good requests' latency.
    fn good_quantile(&self, q: f64) -> f64 {
        (self.latency.value_at_quantile(q) as f64 * self.unit)
            .clamp(self.latency_min, self.latency_max)
    }

    /// The `q`-quantile of every measured request's latency, a failed one counting as
    /// infinitely late and a partial answer as at least its time: `Err(bound)` when it falls
    /// among those, so that only a bound is known (infinite among the failed).
    fn quantile(&self, q: f64) -> Result<f64, f64> {
        let resolved = self.good + self.partials + self.failures;
        let rank = q * resolved as f64;
        if rank <= self.good as f64 && self.good > 0 {
            Ok(self.good_quantile(rank / self.good as f64))
        } else if rank <= (self.good + self.partials) as f64 {
            Err(self.partial_min)
        } else {
            Err(f64::INFINITY)
        }
    }

    /// When the replication collapsed, if it did: it ended with a stretch (at least 3 of its
    /// 20 checkpoint intervals) in which goodput stayed below 97% of the arrivals in every
    /// interval, while the backlog grew by at least 5% of those arrivals (and by 50 requests,
    /// and by three times the square root of the arrivals, beyond what a random excursion of
    /// a stable queue near capacity reaches), or less than half of them were answered.
    ///
    /// It is dated from the first interval after which the run was behind over every span to
    /// the end, then, within that interval, from the end of its last fifth that kept up.
    pub fn collapse(&self) -> Option<f64> {
        if self.arrivals < COLLAPSE_MIN_REQUESTS {
            return None;
        }
        let mut fine = self.checkpoints.clone();
        let last = Checkpoint {
            good: self.good_departures,
            ..self.last
        };
        match fine.last_mut() {
            Some(p) if p.arrivals == last.arrivals => *p = last,
            _ => fine.push(last),
        }
        let mut coarse: Vec<usize> = (0..fine.len()).step_by(COARSE).collect();
        if coarse.last() != Some(&(fine.len() - 1)) {
            coarse.push(fine.len() - 1);
        }
        let behind = |a: &Checkpoint, b: &Checkpoint| {
            ((b.good - a.good) as f64) < 0.97 * (b.arrivals - a.arrivals) as f64
        };
        let at = |k: usize| &fine[coarse[k]];
        let end = coarse.len() - 1;
        let mut start = end;
        while start > 0 && behind(at(start - 1), at(start)) {
            start -= 1;
        }
        if end - start < 3 {
            return None;
        }
        let (from, to) = (at(start), at(end));
        let arrivals = (to.arrivals - from.arrivals) as f64;
        let growth = to.in_system as f64 - from.in_system as f64;
        let good = (to.good - from.good) as f64;
        let significant = (0.05 * arrivals).max(50.0).max(3.0 * arrivals.sqrt());
        if growth < significant && good >= 0.5 * arrivals {
            return None;
        }
        let onset = (0..=start)
            .find(|&i| (i + 1..=end).all(|j| behind(at(i), at(j))))
            .unwrap_or(start);
        let (lo, hi) = (coarse[onset], coarse[(onset + 1).min(end)]);
        let kept_up = (lo + 1..=hi)
            .rev()
            .find(|&f| !behind(&fine[f - 1], &fine[f]))
            .unwrap_or(lo);
        Some(fine[kept_up].time)
    }

    /// Every measured request's latency at each of [`CDF_QUANTILES`], for plotting the
    /// distribution: NaN from where the quantile falls among failed or partial requests on.
    pub fn latency_quantiles(&self) -> Vec<f64> {
        let resolved = self.good + self.partials + self.failures;
        CDF_QUANTILES
            .iter()
            .map(|&q| {
                if self.good == 0 || q * resolved as f64 > self.good as f64 {
                    f64::NAN
                } else if q == 0.0 {
                    self.latency_min
                } else {
                    self.quantile(q).unwrap_or(f64::NAN)
                }
            })
            .collect()
    }

    /// Closes the books at `end` and computes the replication's values.
    /// `busy` is each worker's busy time within the window; `coordinator` the coordination
    /// station's busy time per server, if there is one.
    pub fn finish(
        &mut self,
        end: f64,
        busy: &[f64],
        coordinator: Option<f64>,
    ) -> (Values, Vec<Bucket>) {
        self.advance(end);
        let window = (self.window_end.min(end) - self.window_start).max(0.0);
        let mut v = Values::default();
        let per_second = |count: u64| {
            if window > 0.0 {
                count as f64 / window
            } else {
                f64::NAN
            }
        };
        let mean = |sum: f64, n: u64| if n == 0 { f64::NAN } else { sum / n as f64 };
        let resolved = self.good + self.partials + self.failures;
        v.set(Metric::ArrivalRate, per_second(self.arrivals));
        v.set(Metric::Throughput, per_second(self.departures));
        v.set(Metric::Goodput, per_second(self.good_departures));
        if self.deadline.is_some() {
            let attainment = mean(self.within as f64, resolved);
            v.set(Metric::Attainment, attainment);
            v.set(Metric::SloGoodput, per_second(self.arrivals) * attainment);
        }
        for (metric, q) in [
            (Metric::LatencyP50, 0.5),
            (Metric::LatencyP90, 0.9),
            (Metric::LatencyP95, 0.95),
            (Metric::LatencyP99, 0.99),
            (Metric::LatencyP999, 0.999),
        ] {
            match self.quantile(q) {
                _ if resolved == 0 => {}
                Ok(x) => v.set(metric, x),
                Err(bound) => v.censor(metric, bound),
            }
        }
        let good_mean = mean(self.latency_sum, self.good);
        if self.good == resolved {
            v.set(Metric::LatencyMean, good_mean);
            v.set(
                Metric::LatencyMax,
                if self.good == 0 {
                    f64::NAN
                } else {
                    self.latency_max
                },
            );
        } else {
            // Failed requests are infinitely late: only a bound is known.
            let seen = self.latency_max.max(self.partial_max);
            v.censor(
                Metric::LatencyMean,
                if good_mean.is_nan() { seen } else { good_mean },
            );
            v.censor(Metric::LatencyMax, seen);
        }
        if self.good > 0 {
            v.set(Metric::SuccessLatencyMean, good_mean);
            v.set(Metric::SuccessLatencyP50, self.good_quantile(0.5));
            v.set(Metric::SuccessLatencyP99, self.good_quantile(0.99));
            v.set(Metric::SuccessLatencyP999, self.good_quantile(0.999));
            v.set(Metric::SuccessLatencyMax, self.latency_max);
        }
        v.set(Metric::WaitMean, mean(self.wait_sum, self.waits));
        v.set(Metric::SuccessRate, mean(self.good as f64, resolved));
        v.set(Metric::AttemptsPerTask, mean(self.tries_sum, resolved));
        if window > 0.0 && !busy.is_empty() {
            let utilization: Vec<f64> = busy.iter().map(|b| b / window).collect();
            v.set(
                Metric::Utilization,
                utilization.iter().sum::<f64>() / utilization.len() as f64,
            );
            v.set(Metric::Fairness, jain(&utilization));
            v.set(Metric::InSystemMean, self.area / window);
            if let Some(c) = coordinator {
                v.set(Metric::CoordinatorUtilization, c / window);
            }
        }
        v.set(
            Metric::WastedWork,
            if self.served > 0.0 {
                self.wasted / self.served
            } else {
                0.0
            },
        );
        v.set(
            Metric::DetectionDelay,
            mean(self.detection_sum, self.detections),
        );
        v.set(Metric::NoDispatchTime, self.no_dispatch.unwrap_or(f64::NAN));
        v.set(Metric::Rejected, self.rejected as f64);
        v.set(Metric::TimedOut, self.timed_out as f64);
        v.set(
            Metric::Completeness,
            mean(self.completeness_sum, self.completeness_n),
        );
        if self.hedges > 0 {
            let useful = self.served - self.wasted;
            v.set(
                Metric::HedgeOverhead,
                if useful > 0.0 {
                    self.hedge_loss / useful
                } else {
                    f64::NAN
                },
            );
            v.set(Metric::HedgeRate, mean(self.hedges as f64, self.parts));
        }
        let timeline = self.timeline.take().map(|t| t.buckets).unwrap_or_default();
        (v, timeline)
    }
}

/// The quantiles at which a latency distribution is kept for plots: every percent, and
/// finer in the tail, where the patterns differ most.
pub const CDF_QUANTILES: [f64; 106] = {
    let mut q = [0.0; 106];
    let mut i = 1;
    while i < 100 {
        q[i] = i as f64 / 100.0;
        i += 1;
    }
    q[100] = 0.995;
    q[101] = 0.999;
    q[102] = 0.9995;
    q[103] = 0.9999;
    q[104] = 0.99999;
    q[105] = 1.0;
    q
};

/// Jain's fairness index: 1 when all shares are equal, 1/n when one agent does everything.
pub fn jain(shares: &[f64]) -> f64 {
    let sum: f64 = shares.iter().sum();
    let squares: f64 = shares.iter().map(|x| x * x).sum();
    if squares == 0.0 {
        1.0
    } else {
        sum * sum / (shares.len() as f64 * squares)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_index_bounds() {
        assert_eq!(jain(&[0.5, 0.5, 0.5]), 1.0);
        assert!((jain(&[1.0, 0.0, 0.0, 0.0]) - 0.25).abs() < 1e-12);
        assert_eq!(jain(&[0.0, 0.0]), 1.0);
    }

    #[test]
    fn recorder_counts_the_window_only() {
        let mut r = Recorder::new(1.0, None);
        r.window_start = 10.0;
        r.window_end = 20.0;
        r.arrived(0.0);
        r.departed(5.0, 5.0, Outcome::Complete, false, 1.0);
        r.arrived(12.0);
        r.departed(14.0, 2.0, Outcome::Complete, true, 1.0);
        let (v, _) = r.finish(20.0, &[5.0], None);
        assert_eq!(v.get(Metric::Throughput), 0.1);
        assert_eq!(v.get(Metric::LatencyMean), 2.0);
        assert!((v.get(Metric::LatencyP50) - 2.0).abs() < 0.01);
        assert_eq!(v.get(Metric::Utilization), 0.5);
        assert!((v.get(Metric::InSystemMean) - 0.2).abs() < 1e-12);
        assert!(v.get(Metric::CoordinatorUtilization).is_nan());
    }

    #[test]
    fn quantiles_keep_their_precision_at_any_time_scale_and_stay_within_the_extremes() {
        for scale in [1e-7, 1.0, 1e7] {
            let mut r = Recorder::new(scale, None);
            r.window_start = 0.0;
            r.window_end = 1e12;
            for i in 1..=1000 {
                r.arrived(0.0);
                r.departed(
                    1.0,
                    scale * f64::from(i) / 500.0,
                    Outcome::Complete,
                    true,
                    1.0,
                );
            }
            let (v, _) = r.finish(1.0, &[0.5], None);
            let p50 = v.get(Metric::LatencyP50);
            assert!(
                (p50 / scale - 1.0).abs() < 0.002,
                "scale {scale}: p50 {p50}"
            );
            assert!(v.get(Metric::LatencyP999) <= v.get(Metric::LatencyMax));
        }
    }

    /// An accepted partial answer meets the objective, but its time is the gather timeout's:
    /// a quantile among the partial answers stays censored, and success counts full answers.
    #[test]
    fn accepted_partial_answers_attain_but_never_give_a_quantile() {
        let mut r = Recorder::new(1.0, None);
        r.objective(Some(5.0), true);
        r.window_start = 0.0;
        r.window_end = 1e9;
        for i in 1..=90 {
            r.arrived(0.0);
            r.departed(1.0, f64::from(i) / 100.0, Outcome::Complete, true, 1.0);
        }
        for _ in 0..10 {
            r.arrived(0.0);
            r.departed(1.0, 3.0, Outcome::Partial, true, 1.0);
        }
        let (v, _) = r.finish(100.0, &[1.0], None);
        assert_eq!(v.get(Metric::Attainment), 1.0);
        assert_eq!(v.get(Metric::SuccessRate), 0.9);
        assert!(v.get(Metric::LatencyP99).is_nan());
        assert_eq!(v.at_least(Metric::LatencyP99), 3.0);
        assert!((v.get(Metric::LatencyP50) - 0.5).abs() < 0.01);
    }

    /// Failed requests are infinitely late: a quantile among them is censored, below them it
    /// is the good requests' quantile at the scaled rank; attainment counts all of them.
    #[test]
    fn percentiles_over_all_requests_censor_the_failed_mass() {
        let mut r = Recorder::new(1.0, None);
        r.objective(Some(5.0), false);
        r.window_start = 0.0;
        r.window_end = 1e9;
        for i in 1..=90 {
            r.arrived(0.0);
            r.departed(1.0, f64::from(i) / 10.0, Outcome::Complete, true, 1.0);
        }
        for _ in 0..5 {
            r.arrived(0.0);
            r.departed(1.0, 60.0, Outcome::Partial, true, 1.0);
        }
        for _ in 0..5 {
            r.arrived(0.0);
            r.departed(1.0, 3.0, Outcome::Failed, true, 1.0);
        }
        let (v, _) = r.finish(100.0, &[1.0], None);
        // p50 of all 100 is the 50th of 90 good ones: 5.0 s.
        assert!((v.get(Metric::LatencyP50) - 5.0).abs() < 0.01);
        assert!(v.at_least(Metric::LatencyP50).is_nan());
        // p95 falls among the partial answers, p99 among the failures.
        assert!(v.get(Metric::LatencyP95).is_nan());
        assert_eq!(v.at_least(Metric::LatencyP95), 60.0);
        assert_eq!(v.at_least(Metric::LatencyP99), f64::INFINITY);
        assert!(v.get(Metric::LatencyMean).is_nan());
        // Success-only: over the 90 good ones.
        assert!((v.get(Metric::SuccessLatencyP99) - 9.0).abs() < 0.01);
        // 50 of 100 within 5 s.
        assert_eq!(v.get(Metric::Attainment), 0.5);
        assert_eq!(v.get(Metric::SuccessRate), 0.9);
    }

    #[test]
    fn a_run_whose_goodput_falls_and_stays_down_collapsed() {
        let run = |good_after: f64| {
            let mut r = Recorder::new(1.0, None);
            r.window_start = 0.0;
            r.window_end = 1e9;
            r.expect(1000.0);
            for i in 0..1000u32 {
                let t = f64::from(i);
                r.arrival(t);
                r.arrived(t);
                let good = i < 600 || f64::from(i % 10) < 10.0 * good_after;
                let outcome = if good {
                    Outcome::Complete
                } else {
                    Outcome::Failed
                };
                r.departed(t, 0.5, outcome, true, 1.0);
            }
            r.collapse()
        };
        assert_eq!(run(1.0), None, "healthy");
        let behind = {
            // Served below the arrivals from the start: every fourth checkpoint interval at
            // 99% (not behind by the 97% test), the others at 91%.
            let mut r = Recorder::new(1.0, None);
            r.window_start = 0.0;
            r.window_end = 1e9;
            r.expect(20_000.0);
            let mut served = 0.0;
            for i in 0..20_000u32 {
                let t = f64::from(i);
                r.arrival(t);
                r.arrived(t);
                served += if (i / 1000) % 4 == 0 { 0.99 } else { 0.91 };
                if served >= 1.0 {
                    served -= 1.0;
                    r.departed(t, 1.0, Outcome::Complete, true, 1.0);
                }
            }
            r.collapse()
        };
        let at = behind.expect("the backlog grew all along");
        assert!(
            at < 2_000.0,
            "dated from the start, not from the last bad stretch: {at}"
        );
        assert_eq!(run(0.8), None, "a fifth failing is not a collapse");
        let at = run(0.1).expect("goodput fell to a tenth at 600 s");
        assert!((550.0..=650.0).contains(&at), "{at}");
    }
}
