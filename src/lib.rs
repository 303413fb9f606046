//! jaegis: an orchestration pattern advisor and discrete-event simulator.
//!
//! The library computes and never prints: [`catalog`] holds the pattern database,
//! [`advisor`] ranks patterns for a request, and [`report`] turns results into
//! tables and JSON documents that the binary writes out.

pub mod advisor;
pub mod catalog;
pub mod report;
pub mod sim;
