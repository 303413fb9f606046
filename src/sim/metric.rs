//! What one replication measures: every metric's value, and how its requests ended.

use serde::Serialize;

/// The metrics every result carries, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    ArrivalRate,
    Throughput,
    Goodput,
    LatencyMean,
    LatencyP50,
    LatencyP90,
    LatencyP95,
    LatencyP99,
    LatencyP999,
    LatencyMax,
    WaitMean,
    SuccessRate,
    AttemptsPerTask,
    Utilization,
    Fairness,
    InSystemMean,
    CoordinatorUtilization,
    WastedWork,
    DetectionDelay,
    NoDispatchTime,
    Rejected,
    TimedOut,
    Completeness,
    HedgeOverhead,
}

impl Metric {
    pub const ALL: [Metric; 24] = [
        Metric::ArrivalRate,
        Metric::Throughput,
        Metric::Goodput,
        Metric::LatencyMean,
        Metric::LatencyP50,
        Metric::LatencyP90,
        Metric::LatencyP95,
        Metric::LatencyP99,
        Metric::LatencyP999,
        Metric::LatencyMax,
        Metric::WaitMean,
        Metric::SuccessRate,
        Metric::AttemptsPerTask,
        Metric::Utilization,
        Metric::Fairness,
        Metric::InSystemMean,
        Metric::CoordinatorUtilization,
        Metric::WastedWork,
        Metric::DetectionDelay,
        Metric::NoDispatchTime,
        Metric::Rejected,
        Metric::TimedOut,
        Metric::Completeness,
        Metric::HedgeOverhead,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Metric::ArrivalRate => "arrival_rate",
            Metric::Throughput => "throughput",
            Metric::Goodput => "goodput",
            Metric::LatencyMean => "latency_mean",
            Metric::LatencyP50 => "latency_p50",
            Metric::LatencyP90 => "latency_p90",
            Metric::LatencyP95 => "latency_p95",
            Metric::LatencyP99 => "latency_p99",
            Metric::LatencyP999 => "latency_p999",
            Metric::LatencyMax => "latency_max",
            Metric::WaitMean => "wait_mean",
            Metric::SuccessRate => "success_rate",
            Metric::AttemptsPerTask => "attempts_per_task",
            Metric::Utilization => "utilization",
            Metric::Fairness => "fairness",
            Metric::InSystemMean => "in_system_mean",
            Metric::CoordinatorUtilization => "coordinator_utilization",
            Metric::WastedWork => "wasted_work",
            Metric::DetectionDelay => "detection_delay",
            Metric::NoDispatchTime => "no_dispatch_time",
            Metric::Rejected => "rejected",
            Metric::TimedOut => "timed_out",
            Metric::Completeness => "completeness",
            Metric::HedgeOverhead => "hedge_overhead",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One replication's value of every metric; NaN where a metric does not apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Values([f64; Metric::ALL.len()]);

impl Values {
    pub fn get(&self, m: Metric) -> f64 {
        self.0[m.index()]
    }
    pub fn set(&mut self, m: Metric, v: f64) {
        self.0[m.index()] = v;
    }
}

impl Default for Values {
    fn default() -> Self {
        Values([f64::NAN; Metric::ALL.len()])
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
