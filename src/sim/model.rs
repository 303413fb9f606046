//! The coordination patterns the simulator models, as plain data: what a scenario names and
//! a result reports. Their behaviour is in `pattern/`, reached through `Model::visit`.

use serde::Serialize;

/// The coordination patterns the simulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    MasterSlave,
    PeerToPeer,
    Pipeline,
    ScatterGather,
}

impl Model {
    pub const ALL: &[Model] = &[
        Model::MasterSlave,
        Model::PeerToPeer,
        Model::Pipeline,
        Model::ScatterGather,
    ];

    /// The catalog short name of the pattern this models.
    pub fn name(self) -> &'static str {
        match self {
            Model::MasterSlave => "master_slave",
            Model::PeerToPeer => "peer_to_peer",
            Model::Pipeline => "pipeline",
            Model::ScatterGather => "scatter_gather",
        }
    }

    /// The model of a catalog pattern, by its short name (`scatter_gather`).
    pub fn from_short_name(name: &str) -> Option<Model> {
        Model::ALL.iter().copied().find(|m| m.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_is_listed_once_with_its_serialized_name() {
        for (i, m) in Model::ALL.iter().enumerate() {
            assert_eq!(Model::ALL.iter().position(|x| x == m), Some(i));
            assert_eq!(
                serde_json::to_string(m).unwrap(),
                format!("\"{}\"", m.name())
            );
            assert_eq!(Model::from_short_name(m.name()), Some(*m));
        }
    }
}
