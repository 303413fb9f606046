//! peer_to_peer: a request arrives at a random peer, whose balancer picks a peer from loads
//! known as of the last heartbeat, plus what it has sent itself since (its own load it knows
//! exactly); forwarding costs a hop, and the chosen peer does the request's work.
//!
//! A share of requests then needs consensus: a hop to the leader, `--consensus-work` (over
//! the leader's speed) at the leader, which serves one at a time and can saturate, then a
//! round trip to a majority and a hop back.
//!
//! When the leader fails, or a majority of the peers is down, consensus stalls (other
//! requests go on) until an election: each surviving peer waits a timeout drawn from [T, 2T]
//! (T the catalog's election timeout) and stands, as in Raft; split votes take further rounds
//! (`faults::election`). An election needs a majority up, when it starts and when it ends.

use std::collections::VecDeque;

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use crate::sim::engine::{Agent, Core, Layout, Outcome, Pattern, Shape, ShapeInput};
use crate::sim::faults::election;
use crate::sim::scenario::{PatternParams, Scenario, ScenarioError};
use crate::sim::stream::{stream, streams};

/// Hops after the leader's work: to a majority and back, then back to the peer.
const HOPS_AFTER: f64 = 3.0;

/// The peers' own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A request needing consensus reaches the leader of `term`.
    AtLeader { request: u32, term: u32 },
    /// The leader finishes its work on the request it is serving.
    LeaderDone { generation: u32 },
    /// A request's consensus through the leader of `term` is committed and back.
    Committed { request: u32, term: u32 },
    /// A leader election of `term` completes.
    Election { term: u32 },
}

pub(crate) struct PeerToPeer {
    /// Each agent's load as of the last heartbeat.
    view: Vec<u32>,
    next_refresh: f64,
    heartbeat: f64,
    /// Per peer, what it sent to each peer since the last heartbeat: (peer, requests).
    sent: Vec<Vec<(u32, u32)>>,
    /// The peers with something in `sent`, to clear at the next heartbeat.
    senders: Vec<u32>,
    leader: u32,
    leader_ok: bool,
    /// When the leader was lost, for the time without one.
    lost_at: f64,
    term: u32,
    /// An election is under way (at most one at a time).
    election_pending: bool,
    /// Requests waiting for a leader to run their consensus.
    waiting: Vec<u32>,
    /// The leader's queue of consensus work, and the request it serves with its start.
    queue: VecDeque<u32>,
    serving: Option<(u32, f64)>,
    /// Bumped when the leader is lost, so its pending work end is ignored.
    generation: u32,
    busy: f64,
    elections: Pcg64Mcg,
}

type Ctx<'c, 'a> = &'c mut Core<'a, Event>;

impl Pattern for PeerToPeer {
    type Event = Event;

    fn shape(_input: &ShapeInput) -> Result<Shape, ScenarioError> {
        Ok(Shape {
            coordinators: 0,
            fan_out: None,
            stage_workers: Vec::new(),
            work_factor: 1.0,
        })
    }

    fn coordination_load(s: &Scenario, _p: &PatternParams) -> Option<f64> {
        (s.consensus_work > 0.0)
            .then(|| s.rate * s.consensus_fraction * s.consensus_work / s.agent_speed(0))
    }

    fn bottleneck(s: &Scenario, _p: &PatternParams) -> String {
        format!(
            "the leader ({}% of requests need {} s of consensus work there, at speed {})",
            crate::number::round_sig(100.0 * s.consensus_fraction),
            crate::number::round_sig(s.consensus_work),
            crate::number::round_sig(s.agent_speed(0))
        )
    }

    fn new(s: &Scenario, p: &PatternParams, seed: u64) -> (Self, Layout) {
        let n = p.workers as usize;
        let state = PeerToPeer {
            view: vec![0; n],
            next_refresh: s.heartbeat,
            heartbeat: s.heartbeat,
            sent: vec![Vec::new(); n],
            senders: Vec::new(),
            leader: 0,
            leader_ok: true,
            lost_at: 0.0,
            term: 0,
            election_pending: false,
            waiting: Vec::new(),
            queue: VecDeque::new(),
            serving: None,
            generation: 0,
            busy: 0.0,
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
            for peer in self.senders.drain(..) {
                self.sent[peer as usize].clear();
            }
            core.balancers.reindex(&self.view);
            let h = self.heartbeat;
            self.next_refresh = ((time / h).floor() + 1.0) * h;
        }
    }

    fn admit(&mut self, core: Ctx, request: u32, entry: f64) {
        let n = core.p.workers;
        let entry = ((entry * f64::from(n)) as u32).min(n - 1);
        let work = core.requests[request as usize].work;
        // With votes, each of `votes` peers makes the whole call; the balancer picks them
        // as it picks any part, so two votes may land on the same peer.
        for vote in 0..core.s.votes {
            let part = core.new_part(request, vote, entry, work);
            self.send(core, part);
        }
    }

    fn dispatch(&mut self, core: Ctx, part: u32, _hedge: bool) {
        self.send(core, part);
    }

    fn part_done(&mut self, core: Ctx, request: u32, _index: u32) {
        let t = &core.requests[request as usize];
        // The vote that makes the majority moves the request on; the others are late.
        if t.resolved || t.done != majority_of(core.s.votes) {
            core.release(request);
            return;
        }
        if t.consensus {
            self.send_to_leader(core, request);
        } else {
            core.resolve(request, Outcome::Complete);
        }
    }

    fn part_failed(&mut self, core: Ctx, request: u32) {
        let t = &core.requests[request as usize];
        // The request fails once a majority can no longer agree.
        if !t.resolved && t.failed == core.s.votes - majority_of(core.s.votes) + 1 {
            core.resolve(request, Outcome::Failed);
        } else {
            core.release(request);
        }
    }

    fn on_event(&mut self, core: Ctx, event: Event) {
        match event {
            Event::AtLeader { request, term } => self.at_leader(core, request, term),
            Event::LeaderDone { generation } => self.leader_done(core, generation),
            Event::Committed { request, term } => self.committed(core, request, term),
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
        if let Some((_, started)) = self.serving {
            self.busy += core.rec.overlap(started, end);
        }
        (core.s.consensus_work > 0.0).then_some(self.busy)
    }
}

/// Votes that make a majority of `votes`.
fn majority_of(votes: u32) -> u32 {
    votes / 2 + 1
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
            // The peer's view: the loads of the last heartbeat, plus what it sent since, and
            // its own load exactly.
            let stale_own = self.view[e];
            self.view[e] = core.load[e];
            core.balancers.set_load(entry, self.view[e]);
            for &(peer, count) in &self.sent[e] {
                let p = peer as usize;
                self.view[p] += count;
                core.balancers.set_load(peer, self.view[p]);
            }
            let picked = core.pick_where(
                e,
                candidates,
                request,
                Some(&self.view),
                None::<fn(u32, &[Agent], &[u64]) -> bool>,
            );
            for &(peer, count) in &self.sent[e] {
                let p = peer as usize;
                self.view[p] -= count;
                core.balancers.set_load(peer, self.view[p]);
            }
            self.view[e] = stale_own;
            core.balancers.set_load(entry, stale_own);
            if let Some(t) = picked
                && t != entry
            {
                let sent = &mut self.sent[e];
                if sent.is_empty() {
                    self.senders.push(entry);
                }
                match sent.iter_mut().find(|(p, _)| *p == t) {
                    Some((_, count)) => *count += 1,
                    None => sent.push((t, 1)),
                }
            }
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

    /// A request needing consensus goes to the leader, or waits for one.
    fn send_to_leader(&mut self, core: Ctx, request: u32) {
        if self.leader_ok {
            let term = self.term;
            core.schedule(
                core.now + core.s.hop_latency,
                Event::AtLeader { request, term },
            );
        } else {
            self.waiting.push(request);
        }
    }

    /// A request reaches the leader it was sent to: queued for its work, unless that leader
    /// was lost meanwhile (then on to the new one, or waiting for one).
    fn at_leader(&mut self, core: Ctx, request: u32, term: u32) {
        if !self.leader_ok || term != self.term {
            self.send_to_leader(core, request);
            return;
        }
        self.queue.push_back(request);
        self.serve(core);
    }

    /// The leader starts its next consensus, if it is free.
    fn serve(&mut self, core: Ctx) {
        while self.serving.is_none()
            && let Some(request) = self.queue.pop_front()
        {
            let work = core.s.consensus_work;
            if work > 0.0 {
                self.serving = Some((request, core.now));
                let generation = self.generation;
                let speed = core.speed[self.leader as usize];
                core.schedule(core.now + work / speed, Event::LeaderDone { generation });
            } else {
                self.commit(core, request);
            }
        }
    }

    fn leader_done(&mut self, core: Ctx, generation: u32) {
        if generation != self.generation {
            return;
        }
        let (request, started) = self.serving.take().expect("the leader serves a request");
        self.busy += core.rec.overlap(started, core.now);
        self.commit(core, request);
        self.serve(core);
    }

    /// The leader's work is done: a round trip to a majority, and back to the peer.
    fn commit(&mut self, core: Ctx, request: u32) {
        let term = self.term;
        core.schedule(
            core.now + HOPS_AFTER * core.s.hop_latency,
            Event::Committed { request, term },
        );
    }

    /// A consensus ends: done, unless the leader it went through was lost meanwhile; then
    /// it starts over with the new leader, or waits for one.
    fn committed(&mut self, core: Ctx, request: u32, term: u32) {
        if self.leader_ok && term == self.term {
            core.resolve(request, Outcome::Complete);
        } else {
            self.send_to_leader(core, request);
        }
    }

    /// The leader failed, or lost its majority and stepped down (Raft's check-quorum):
    /// consensus stalls until an election completes; what the leader held waits for the next.
    fn leader_lost(&mut self, core: Ctx) {
        self.leader_ok = false;
        self.term += 1;
        self.lost_at = core.now;
        self.generation += 1;
        if let Some((request, started)) = self.serving.take() {
            self.busy += core.rec.overlap(started, core.now);
            self.waiting.push(request);
        }
        self.waiting.extend(self.queue.drain(..));
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
        let peers = core.agents.len() as u32;
        // Raft's [T, 2T]; an election that never settles ends, after its rounds, as if it had.
        let delay = election(&mut self.elections, timeout, 1.0, alive, peers, hop).delay;
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
        for request in std::mem::take(&mut self.waiting) {
            self.send_to_leader(core, request);
        }
        core.rec.no_dispatch(self.lost_at, core.now);
    }
}
