//! peer_to_peer: a request arrives at a random peer, whose balancer picks a peer from loads
//! known as of the last heartbeat (its own load it knows exactly); forwarding costs a hop.
//! A share of requests then needs consensus: a round trip to a majority through the leader.
//!
//! When the leader fails, or a majority of the peers is down, consensus stalls (other
//! requests go on) until an election: each surviving peer waits a timeout drawn from [T, 2T]
//! (T the catalog's election timeout) and the first to expire wins after one round of votes,
//! as in Raft. An election needs a majority up, when it starts and when it ends.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use super::{Layout, Pattern, Shape, ShapeInput};
use crate::sim::engine::{Agent, Core};
use crate::sim::faults::election_delay;
use crate::sim::scenario::{PatternParams, Scenario, ScenarioError};
use crate::sim::stream::{stream, streams};

/// Hops in a consensus round: to the leader, leader to a majority and back, back to the peer.
pub const CONSENSUS_HOPS: f64 = 4.0;

/// The peers' own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A request's consensus round trip through the leader of `term` completes.
    Consensus { request: u32, term: u32 },
    /// A leader election of `term` completes.
    Election { term: u32 },
}

pub(crate) struct PeerToPeer {
    /// Each agent's load as of the last heartbeat.
    view: Vec<u32>,
    next_refresh: f64,
    heartbeat: f64,
    leader: u32,
    leader_ok: bool,
    /// When the leader was lost, for the time without one.
    lost_at: f64,
    term: u32,
    /// An election is under way (at most one at a time).
    election_pending: bool,
    /// Requests waiting for a leader to run their consensus.
    waiting: Vec<u32>,
    elections: Pcg64Mcg,
}

type Ctx<'c, 'a> = &'c mut Core<'a, Event>;

impl Pattern for PeerToPeer {
    type Event = Event;
    const NAME: &'static str = "peer_to_peer";

    fn shape(input: &ShapeInput) -> Result<Shape, ScenarioError> {
        Ok(Shape {
            workers: input.agents,
            fan_out: None,
            stage_workers: Vec::new(),
            task_work: input.service_mean,
        })
    }

    fn peak_load(_s: &Scenario, _p: &PatternParams, _rate: f64, load: f64) -> f64 {
        load
    }

    fn bottleneck(_s: &Scenario, _p: &PatternParams) -> String {
        "the busiest peer".into()
    }

    fn new(s: &Scenario, p: &PatternParams, seed: u64) -> (Self, Layout) {
        let n = p.workers as usize;
        let state = PeerToPeer {
            view: vec![0; n],
            next_refresh: s.heartbeat,
            heartbeat: s.heartbeat,
            leader: 0,
            leader_ok: true,
            lost_at: 0.0,
            term: 0,
            election_pending: false,
            waiting: Vec::new(),
            elections: stream(seed, streams::ELECTIONS),
        };
        let layout = Layout {
            samplers: vec![s.service.sampler()],
            dispatchers: n,
            coordinator: true,
            shared: true,
            view_loads: s.heartbeat > 0.0,
        };
        (state, layout)
    }

    #[inline]
    fn before_event(&mut self, core: Ctx, time: f64) {
        if time >= self.next_refresh {
            self.view.copy_from_slice(&core.load);
            core.balancers.reindex(&self.view);
            let h = self.heartbeat;
            self.next_refresh = ((time / h).floor() + 1.0) * h;
        }
    }

    fn admit(&mut self, core: Ctx, request: u32, entry: f64) {
        let n = core.p.workers;
        let entry = ((entry * f64::from(n)) as u32).min(n - 1);
        let part = core.new_part(request, 0, entry);
        self.send(core, part);
    }

    fn dispatch(&mut self, core: Ctx, part: u32, _hedge: bool) {
        self.send(core, part);
    }

    fn part_done(&mut self, core: Ctx, request: u32, _index: u32) {
        if core.requests[request as usize].consensus {
            self.consensus_begin(core, request);
        } else {
            core.resolve(request, true);
        }
    }

    fn on_event(&mut self, core: Ctx, event: Event) {
        match event {
            Event::Consensus { request, term } => self.on_consensus(core, request, term),
            Event::Election { term } => self.on_election(core, term),
        }
    }

    fn agent_down(&mut self, core: Ctx, agent: u32) {
        if self.leader_ok && (self.leader == agent || !majority(core)) {
            self.leader_lost(core);
        }
    }

    fn agent_repaired(&mut self, core: Ctx, _agent: u32) {
        if !self.leader_ok && !self.election_pending {
            self.start_election(core);
        }
    }

    fn finish(&mut self, core: Ctx, end: f64) -> Option<f64> {
        if !self.leader_ok {
            core.rec.no_dispatch(self.lost_at, end);
        }
        None
    }
}

/// A majority of the peers is up: a leader can be elected and commit.
fn majority(core: &Core<'_, Event>) -> bool {
    let alive = core.agents.iter().filter(|a| a.outages == 0).count();
    2 * alive > core.agents.len()
}

impl PeerToPeer {
    /// The entry peer picks a peer by its view and forwards the part there.
    fn send(&mut self, core: Ctx, part: u32) {
        let r = &core.parts[part as usize];
        let (entry, request) = (r.dispatcher, r.request);
        let candidates = core.all_agents;
        let target = if self.heartbeat > 0.0 {
            let e = entry as usize;
            let stale_own = self.view[e];
            self.view[e] = core.load[e];
            core.balancers.set_load(entry, self.view[e]);
            let picked = core.pick_where(
                e,
                candidates,
                request,
                Some(&self.view),
                None::<fn(u32, &[Agent], &[u64]) -> bool>,
            );
            self.view[e] = stale_own;
            core.balancers.set_load(entry, stale_own);
            picked
        } else {
            core.pick(entry as usize, candidates, request)
        };
        match target {
            Some(t) => {
                let hop = if t == entry { 0.0 } else { core.s.hop_latency };
                core.send(self, part, t, hop, false);
            }
            None => core.no_agent(self, part),
        }
    }

    fn consensus_begin(&mut self, core: Ctx, request: u32) {
        if self.leader_ok {
            let term = self.term;
            core.schedule(
                core.now + CONSENSUS_HOPS * core.s.hop_latency,
                Event::Consensus { request, term },
            );
        } else {
            self.waiting.push(request);
        }
    }

    /// A consensus round ends: done, unless the leader it went through was lost meanwhile. If
    /// a new leader is already in place the round starts over with it; otherwise it waits.
    fn on_consensus(&mut self, core: Ctx, request: u32, term: u32) {
        if !self.leader_ok {
            self.waiting.push(request);
        } else if self.term == term {
            core.resolve(request, true);
        } else {
            let term = self.term;
            core.schedule(
                core.now + CONSENSUS_HOPS * core.s.hop_latency,
                Event::Consensus { request, term },
            );
        }
    }

    /// The leader failed, or lost its majority and stepped down (Raft's check-quorum):
    /// consensus stalls until an election completes.
    fn leader_lost(&mut self, core: Ctx) {
        self.leader_ok = false;
        self.term += 1;
        self.lost_at = core.now;
        self.start_election(core);
    }

    /// Starts an election if a majority can vote; otherwise the next repair tries again.
    fn start_election(&mut self, core: Ctx) {
        if !majority(core) {
            return;
        }
        let alive = core.agents.iter().filter(|a| a.outages == 0).count() as u32;
        let (timeout, hop) = (core.s.leader_election_timeout, core.s.hop_latency);
        self.election_pending = true;
        let delay = election_delay(&mut self.elections, timeout, alive, hop);
        let term = self.term;
        core.schedule(core.now + delay, Event::Election { term });
    }

    /// An election ends: a peer up now wins if a majority still votes; else it is abandoned
    /// until a repair restores the majority.
    fn on_election(&mut self, core: Ctx, term: u32) {
        let majority = majority(core);
        let alive: Vec<u32> = (0..core.agents.len() as u32)
            .filter(|&a| core.agents[a as usize].outages == 0)
            .collect();
        if self.term != term || self.leader_ok {
            return;
        }
        self.election_pending = false;
        if !majority {
            return;
        }
        self.leader = alive[self.elections.random_range(0..alive.len())];
        self.leader_ok = true;
        let resumed: Vec<u32> = std::mem::take(&mut self.waiting);
        let term = self.term;
        for request in resumed {
            core.schedule(
                core.now + CONSENSUS_HOPS * core.s.hop_latency,
                Event::Consensus { request, term },
            );
        }
        core.rec.no_dispatch(self.lost_at, core.now);
    }
}
