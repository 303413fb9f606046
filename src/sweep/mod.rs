//! Parameter sweeps: value lists and ranges expanded into a grid of points, disjoint shards
//! of that grid so that many machines can share a sweep, and the merge of their JSON lines.
//!
//! A point's result depends on its parameters alone, never on the shard or the thread that
//! ran it, so the union of the shards is the unsharded sweep, line for line.

mod grid;
mod merge;
mod shard;

pub use grid::{Dimension, Grid, alternatives, canonical, parameter_value};
pub use merge::{Line, SweepId, merge};
pub use shard::Shard;

/// Bad sweep input: a malformed range or shard, or shard files that do not fit together.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SweepError(pub String);

/// The most points a grid may hold.
pub(crate) const MAX_POINTS: u64 = 100_000_000;
