//! Random streams: every replication derives independent, seeded generators from one seed and
//! a label, and each request has a generator of its own seeded by its index, so the same
//! seed gives the same draws whatever the pattern, balancer or thread.

use rand_pcg::Pcg64Mcg;

/// SplitMix64's finaliser: spreads seeds so that nearby inputs give unrelated streams.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed derived from a parent seed and a label, for independent streams.
pub fn derive(seed: u64, label: u64) -> u64 {
    mix(mix(seed) ^ label.wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// A generator for one stream.
pub fn stream(seed: u64, label: u64) -> Pcg64Mcg {
    let hi = derive(seed, label);
    let lo = mix(hi ^ 0xA076_1D64_78BD_642F);
    Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(lo))
}

/// Labels of the streams of one replication.
pub mod streams {
    pub const ARRIVALS: u64 = 1;
    pub const TASKS: u64 = 2;
    pub const ROUTING: u64 = 3;
    pub const FAULTS: u64 = 4;
    pub const HEARTBEATS: u64 = 5;
    pub const ELECTIONS: u64 = 6;
    pub const EXECUTIONS: u64 = 7;
    pub const TOKENS: u64 = 8;
    pub const ROUNDS: u64 = 9;
}

/// The draws of one task: a small generator seeded by the task's index.
pub fn task_rng(seed: u64, task: u64) -> Pcg64Mcg {
    let base = derive(seed, streams::TASKS);
    let hi = mix(base ^ task.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(mix(hi) | 1))
}
