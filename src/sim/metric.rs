//! What one replication measures: every metric's value, and how its requests ended.

use serde::Serialize;

macro_rules! metrics {
    ($($variant:ident => $id:literal,)+) => {
        /// The metrics every result carries, in output order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Metric {
            $($variant),+
        }

        impl Metric {
            pub const ALL: &[Metric] = &[$(Metric::$variant),+];

            pub fn id(self) -> &'static str {
                match self {
                    $(Metric::$variant => $id),+
                }
            }
        }
    };
}

metrics! {
    ArrivalRate => "arrival_rate",
    Throughput => "throughput",
    Goodput => "goodput",
    Attainment => "attainment",
    SloGoodput => "slo_goodput",
    LatencyMean => "latency_mean",
    LatencyP50 => "latency_p50",
    LatencyP90 => "latency_p90",
    LatencyP95 => "latency_p95",
    LatencyP99 => "latency_p99",
    LatencyP999 => "latency_p999",
    LatencyMax => "latency_max",
    SuccessLatencyMean => "success_latency_mean",
    SuccessLatencyP50 => "success_latency_p50",
    SuccessLatencyP99 => "success_latency_p99",
    SuccessLatencyP999 => "success_latency_p999",
    SuccessLatencyMax => "success_latency_max",
    WaitMean => "wait_mean",
    SuccessRate => "success_rate",
    AttemptsPerTask => "attempts_per_task",
    Utilization => "utilization",
    CoordinatorUtilization => "coordinator_utilization",
    Fairness => "fairness",
    InSystemMean => "in_system_mean",
    WastedWork => "wasted_work",
    DetectionDelay => "detection_delay",
    NoDispatchTime => "no_dispatch_time",
    Rejected => "rejected",
    TimedOut => "timed_out",
    Completeness => "completeness",
    HedgeOverhead => "hedge_overhead",
    HedgeRate => "hedge_rate",
    Throttled => "throttled",
    ThrottledShare => "throttled_share",
    ThrottledWait => "throttled_wait",
    TokensPerRequest => "tokens_per_request",
    CostPerRequest => "cost_per_request",
    CostPerGoodRequest => "cost_per_good_request",
    CostWaste => "cost_waste",
    Rounds => "rounds",
    RoundLimited => "round_limited",
}

const COUNT: usize = Metric::ALL.len();

impl Metric {
    fn index(self) -> usize {
        self as usize
    }
}

/// One replication's value of every metric: NaN where a metric does not apply, and for a
/// censored one (a quantile among failed requests) the bound it is known to exceed.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    value: [f64; COUNT],
    at_least: [f64; COUNT],
}

impl Values {
    pub fn get(&self, m: Metric) -> f64 {
        self.value[m.index()]
    }

    /// The bound a censored value is known to reach; NaN when the value is not censored.
    pub fn at_least(&self, m: Metric) -> f64 {
        self.at_least[m.index()]
    }

    pub fn set(&mut self, m: Metric, v: f64) {
        self.value[m.index()] = v;
    }

    /// The value is only known to be at least `bound`.
    pub fn censor(&mut self, m: Metric, bound: f64) {
        self.value[m.index()] = f64::NAN;
        self.at_least[m.index()] = bound;
    }
}

impl Default for Values {
    fn default() -> Self {
        Values {
            value: [f64::NAN; COUNT],
            at_least: [f64::NAN; COUNT],
        }
    }
}

/// How a replication's tasks ended. Every generated task is in exactly one of the other three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    pub generated: u64,
    pub completed: u64,
    pub failed: u64,
    pub in_flight: u64,
}

impl TaskCounts {
    pub fn add(&mut self, other: &TaskCounts) {
        self.generated += other.generated;
        self.completed += other.completed;
        self.failed += other.failed;
        self.in_flight += other.in_flight;
    }

    pub fn conserved(&self) -> bool {
        self.generated == self.completed + self.failed + self.in_flight
    }
}
