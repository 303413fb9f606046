//! peer_to_peer: a task arrives at a random peer, whose balancer picks a peer from loads
//! known as of the last heartbeat (its own load it knows exactly); forwarding costs a hop.
//! A share of tasks then needs consensus: a round trip to a majority through the leader.
//!
//! When the leader fails, or a majority of the peers is down, consensus stalls (other tasks go
//! on) until an election: each surviving peer waits a timeout drawn from [T, 2T] (T the
//! catalog's election timeout) and the first to expire wins after one round of votes, as in
//! Raft. An election needs a majority up, when it starts and when it ends.

use rand::RngExt;

use super::events::Kind;
use super::faults::election_delay;
use super::world::{Agent, Topology, World};

/// Hops in a consensus round: to the leader, leader to a majority and back, back to the peer.
pub const CONSENSUS_HOPS: f64 = 4.0;

impl World<'_> {
    pub(super) fn peer_admit(&mut self, task: u32, entry_draw: f64) {
        let n = self.p.workers;
        let entry = ((entry_draw * f64::from(n)) as u32).min(n - 1);
        let request = self.new_request(task, 0, entry);
        self.peer_send(request);
    }

    /// The entry peer picks a peer by its view and forwards the request there.
    pub(super) fn peer_send(&mut self, request: u32) {
        let r = &self.requests[request as usize];
        let (entry, task) = (r.dispatcher, r.task);
        let candidates = self.all_agents;
        let target = if self.s.heartbeat > 0.0 {
            let Topology::PeerToPeer { view, .. } = &mut self.topology else {
                unreachable!("peer_send runs only for peer_to_peer");
            };
            let mut view = std::mem::take(view);
            let e = entry as usize;
            let stale_own = view[e];
            view[e] = self.load[e];
            let picked = self.pick_where(
                e,
                candidates,
                task,
                Some(&view),
                None::<fn(u32, &[Agent], &[u64]) -> bool>,
            );
            view[e] = stale_own;
            if let Topology::PeerToPeer { view: slot, .. } = &mut self.topology {
                *slot = view;
            }
            picked
        } else {
            self.pick(entry as usize, candidates, task)
        };
        match target {
            Some(t) => {
                let hop = if t == entry { 0.0 } else { self.s.hop_latency };
                self.send(request, t, hop, false);
            }
            None => self.no_agent(request),
        }
    }

    pub(super) fn peer_request_done(&mut self, task: u32) {
        if self.tasks[task as usize].consensus {
            self.consensus_begin(task);
        } else {
            self.resolve(task, true);
        }
    }

    fn consensus_begin(&mut self, task: u32) {
        let hop = self.s.hop_latency;
        let Topology::PeerToPeer {
            leader_ok,
            term,
            waiting,
            ..
        } = &mut self.topology
        else {
            unreachable!("consensus runs only for peer_to_peer");
        };
        if *leader_ok {
            let term = *term;
            self.events.schedule(
                self.now + CONSENSUS_HOPS * hop,
                Kind::Consensus { task, term },
            );
        } else {
            waiting.push(task);
        }
    }

    /// A consensus round ends: done, unless the leader it went through was lost meanwhile. If a
    /// new leader is already in place the round starts over with it; otherwise it waits.
    pub(super) fn on_consensus(&mut self, task: u32, term: u32) {
        let Topology::PeerToPeer {
            leader_ok,
            term: current,
            waiting,
            ..
        } = &mut self.topology
        else {
            unreachable!("consensus runs only for peer_to_peer");
        };
        if !*leader_ok {
            waiting.push(task);
        } else if *current == term {
            self.resolve(task, true);
        } else {
            let term = *current;
            self.events.schedule(
                self.now + CONSENSUS_HOPS * self.s.hop_latency,
                Kind::Consensus { task, term },
            );
        }
    }

    /// A majority of the peers is up: a leader can be elected and commit.
    pub(super) fn peer_majority(&self) -> bool {
        let alive = self.agents.iter().filter(|a| a.outages == 0).count();
        2 * alive > self.agents.len()
    }

    /// The leader failed, or lost its majority and stepped down (Raft's check-quorum):
    /// consensus stalls until an election completes.
    pub(super) fn leader_lost(&mut self) {
        if let Topology::PeerToPeer {
            leader_ok,
            term,
            lost_at,
            ..
        } = &mut self.topology
        {
            *leader_ok = false;
            *term += 1;
            *lost_at = self.now;
        }
        self.start_election();
    }

    /// Starts an election if a majority can vote; otherwise the next repair tries again.
    pub(super) fn start_election(&mut self) {
        if !self.peer_majority() {
            return;
        }
        let alive = self.agents.iter().filter(|a| a.outages == 0).count() as u32;
        let (timeout, hop) = (self.s.leader_election_timeout, self.s.hop_latency);
        let Topology::PeerToPeer {
            term,
            elections,
            election_pending,
            ..
        } = &mut self.topology
        else {
            return;
        };
        *election_pending = true;
        let delay = election_delay(elections, timeout, alive, hop);
        let term = *term;
        self.events
            .schedule(self.now + delay, Kind::Election { term });
    }

    /// An election ends: a peer up now wins if a majority still votes; else it is abandoned
    /// until a repair restores the majority.
    pub(super) fn on_election(&mut self, term: u32) {
        let majority = self.peer_majority();
        let alive: Vec<u32> = (0..self.agents.len() as u32)
            .filter(|&a| self.agents[a as usize].outages == 0)
            .collect();
        let hop = self.s.hop_latency;
        let Topology::PeerToPeer {
            leader,
            leader_ok,
            lost_at,
            term: current,
            waiting,
            elections,
            election_pending,
            ..
        } = &mut self.topology
        else {
            return;
        };
        if *current != term || *leader_ok {
            return;
        }
        *election_pending = false;
        if !majority {
            return;
        }
        *leader = alive[elections.random_range(0..alive.len())];
        *leader_ok = true;
        let lost_at = *lost_at;
        let resumed: Vec<u32> = std::mem::take(waiting);
        let term = *current;
        for task in resumed {
            self.events.schedule(
                self.now + CONSENSUS_HOPS * hop,
                Kind::Consensus { task, term },
            );
        }
        self.rec.no_dispatch(lost_at, self.now);
    }
}
