//! jaegis: an orchestration pattern advisor and discrete-event simulator.
//!
//! The library computes and never prints: [`catalog`] holds the pattern database,
//! [`advisor`] ranks patterns for a request, [`lint`] checks settings analytically, [`sim`]
//! simulates them, [`sweep`] runs a simulation over a grid of parameters, [`plan`] sizes a
//! fleet, [`verify`] replays published results, and [`report`] turns results into tables
//! and JSON documents that the binary writes out.

pub mod advisor;
pub mod catalog;
pub mod file;
pub mod lint;
pub mod names;
pub mod number;
pub mod plan;
pub mod report;
pub mod schema;
pub mod sim;
pub mod sweep;
pub mod trace;
pub mod units;
pub mod verify;
