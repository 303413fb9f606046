//! peer_to_peer: a task arrives at a random peer, whose balancer picks a peer from loads
//! known as of the last heartbeat (its own load it knows exactly); forwarding costs a hop.
//! A share of tasks then needs consensus: a round trip to a majority through the leader.

use super::balancer::View;
use super::events::Kind;
use super::world::{Topology, World};

/// Hops in a consensus round: to the leader, leader to a majority and back, back to the peer.
pub const CONSENSUS_HOPS: f64 = 4.0;

impl World<'_> {
    pub(super) fn peer_admit(&mut self, task: u32, entry_draw: f64) {
        let n = self.p.workers;
        let entry = ((entry_draw * f64::from(n)) as u32).min(n - 1);
        let job = self.new_job(task, 0, entry);
        let candidates = self.all_agents;
        let target = if self.s.heartbeat > 0.0 {
            let Topology::PeerToPeer { view, .. } = &mut self.topology else {
                unreachable!("peer_admit runs only for peer_to_peer");
            };
            let e = entry as usize;
            let stale_own = view[e];
            view[e] = self.load[e];
            let kind_bit = 1u64 << self.tasks[task as usize].kind;
            let picked = self.balancers[e].pick(
                candidates,
                |_| true,
                true,
                &View {
                    load: view,
                    speed: &self.speed,
                    capabilities: &self.caps,
                },
                kind_bit,
                &mut self.routing,
            );
            view[e] = stale_own;
            picked.expect("peers are never empty")
        } else {
            self.pick(entry as usize, candidates, task)
        };
        if target == entry {
            self.enqueue(target, job);
        } else {
            self.events.schedule(
                self.now + self.s.hop_latency,
                Kind::Hop { job, agent: target },
            );
        }
    }

    pub(super) fn peer_job_done(&mut self, agent: u32, job: u32) {
        self.load[agent as usize] -= 1;
        let task = self.finish_job(job);
        if self.tasks[task as usize].consensus {
            self.events.schedule(
                self.now + CONSENSUS_HOPS * self.s.hop_latency,
                Kind::Consensus { task },
            );
        } else {
            self.resolve(task, true);
        }
        self.next_job(agent);
    }
}
