//! Agents failing and coming back, and the dispatchers noticing: work on a failed agent is
//! lost, and its requesters learn of it when heartbeats declare the agent dead (or when it
//! restarts before anyone noticed).

use super::{Core, Failure, Pattern, Place, REPLAY};
use crate::sim::events::Kind;

impl<E: Copy> Core<'_, E> {
    pub(super) fn on_fail<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        agent: u32,
        scripted: bool,
    ) {
        let a = agent as usize;
        self.agents[a].outages += 1;
        // Every random failure has its random repair, even one that strikes an agent already
        // down: each outage ends on its own, and the agent is up when all have.
        if !scripted && let Some(clock) = &mut self.agents[a].clock {
            let down = clock.down_time();
            self.events.schedule(
                self.now + down,
                Kind::Repair {
                    agent,
                    scripted: false,
                },
            );
        }
        if self.agents[a].outages > 1 {
            return;
        }
        let ag = &mut self.agents[a];
        ag.episode += 1;
        ag.failed_at = self.now;
        ag.generation += 1;
        let notice = ag.heartbeat.declared_dead(self.now);
        let episode = ag.episode;
        // Everything on the agent is lost: queued, in service, and what the pattern held.
        let mut lost: Vec<u32> = ag.queue.drain(..).collect();
        if let Some(serving) = ag.serving.take() {
            ag.busy += self.rec.overlap(ag.started, self.now);
            let elapsed = self.now - ag.started;
            if serving != REPLAY {
                lost.push(serving);
            }
            self.rec.served(self.now, elapsed, false, false);
        }
        pattern.agent_failed(self, agent, &mut lost);
        for &attempt in &lost {
            let at = &mut self.attempts[attempt as usize];
            at.place = Place::Lost;
            let serial = at.serial;
            self.agents[a].lost.push((attempt, serial));
        }
        self.events
            .schedule(notice, Kind::Noticed { agent, episode });
        pattern.agent_down(self, agent);
    }

    pub(super) fn on_repair<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        agent: u32,
        scripted: bool,
    ) {
        let a = agent as usize;
        self.agents[a].outages -= 1;
        if !scripted && let Some(clock) = &mut self.agents[a].clock {
            let up = clock.up_time();
            self.events.schedule(
                self.now + up,
                Kind::Fail {
                    agent,
                    scripted: false,
                },
            );
        }
        if self.agents[a].outages > 0 {
            return;
        }
        let ag = &self.agents[a];
        if ag.known_down {
            let at = ag.heartbeat.seen_alive(self.now);
            let episode = ag.episode;
            self.events.schedule(at, Kind::Alive { agent, episode });
        } else {
            // Back before anyone noticed: its restart resets the connections, so requesters
            // learn now that what they sent is lost (with no timeout, they would wait forever).
            self.fail_lost(pattern, agent);
        }
        self.next_job(pattern, agent);
        pattern.agent_repaired(self, agent);
    }

    /// The dispatchers declare the agent dead: its lost attempts fail and are retried elsewhere.
    pub(super) fn on_noticed<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        agent: u32,
        episode: u32,
    ) {
        let a = agent as usize;
        if self.agents[a].episode != episode || self.agents[a].outages == 0 {
            return;
        }
        self.rec
            .detected(self.now, self.now - self.agents[a].failed_at);
        if !self.agents[a].known_down {
            self.agents[a].known_down = true;
            self.restricted += 1;
            self.refresh_state(agent);
        }
        self.fail_lost(pattern, agent);
    }

    pub(super) fn on_alive<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        agent: u32,
        episode: u32,
    ) {
        let a = agent as usize;
        if self.agents[a].episode != episode || self.agents[a].outages > 0 {
            return;
        }
        if self.agents[a].known_down {
            self.agents[a].known_down = false;
            self.restricted -= 1;
            self.refresh_state(agent);
        }
        // Copies lost before the failure was noticed, and never timed out, are now known lost.
        self.fail_lost(pattern, agent);
        pattern.agent_alive(self, agent);
    }

    /// Fails the live attempts lost with `agent` (retried elsewhere) and frees the others.
    fn fail_lost<P: Pattern<Event = E>>(&mut self, pattern: &mut P, agent: u32) {
        let lost = std::mem::take(&mut self.agents[agent as usize].lost);
        for (attempt, serial) in lost {
            match self.attempts.get(attempt as usize) {
                Some(at) if at.serial == serial && at.live => {
                    self.attempt_failed(pattern, attempt, Failure::AgentDown);
                }
                Some(at) if at.serial == serial => {
                    self.attempts.remove(attempt as usize);
                }
                _ => {}
            }
        }
    }
}
