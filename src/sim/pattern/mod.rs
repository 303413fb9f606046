//! The coordination patterns, each a type implementing the engine's [`Pattern`], and the one
//! match from a [`Model`] to its type.
//!
//! To add a pattern: write its file here, implementing [`Pattern`] (the compiler lists the
//! hooks it must provide), add its variant and name to [`Model`] (`src/sim/model.rs`), and
//! its arm to [`Model::visit`] below (the compiler insists on it).

mod master_slave;
mod peer_to_peer;
mod pipeline;
pub(crate) mod scatter_gather;

use super::engine::Pattern;
use super::model::Model;

/// Something to do with a pattern's type, chosen at run time by [`Model::visit`].
pub(crate) trait Visit {
    type Output;
    fn visit<P: Pattern>(self) -> Self::Output;
}

impl Model {
    /// Runs `v` with the pattern's type: the one place that matches on the model.
    pub(crate) fn visit<V: Visit>(self, v: V) -> V::Output {
        match self {
            Model::MasterSlave => v.visit::<master_slave::MasterSlave>(),
            Model::PeerToPeer => v.visit::<peer_to_peer::PeerToPeer>(),
            Model::Pipeline => v.visit::<pipeline::Pipeline>(),
            Model::ScatterGather => v.visit::<scatter_gather::ScatterGather>(),
        }
    }
}
