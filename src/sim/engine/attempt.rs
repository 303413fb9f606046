//! The life of an attempt: sent, in transit, queued, served, answered; or timed out,
//! rejected, lost with its agent, cancelled. Retries, hedges and breakers follow from how
//! attempts end, and a part ends when its last attempt does.

use super::{Attempt, Core, Failure, Pattern, Place, REPLAY};
use crate::sim::events::Kind;
use crate::sim::resilience::{BreakerKind, BreakerState, RetryBudget, RetryKind};

impl<E: Copy> Core<'_, E> {
    /// Sends an attempt of `part` to `agent`, after `hop` seconds of network.
    pub fn send<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        part: u32,
        agent: u32,
        hop: f64,
        hedge: bool,
    ) {
        let r = &mut self.parts[part as usize];
        let retry = r.tries > 0 && !hedge;
        if !hedge {
            r.tries += 1;
            self.requests[r.request as usize].attempts += 1;
        }
        if r.tries == 1 && !hedge {
            r.first_sent = self.now;
        }
        self.next_serial += 1;
        let serial = self.next_serial;
        // The first attempt does the part's drawn work; a retry or a hedge copy is a new
        // execution and draws its own time, as tail latency is mostly the execution's own.
        let same_call = self.calls.as_ref().is_some_and(|c| c.latency.is_some());
        let work = if (r.tries == 1 && !hedge) || same_call {
            r.work
        } else {
            let sampler = &self.samplers[if self.samplers.len() > 1 {
                r.index as usize
            } else {
                0
            }];
            sampler.sample(&mut self.executions)
        };
        let (request, part_work) = (r.request as usize, r.work);
        let t = &self.requests[request];
        let (kind, request_work) = (t.kind, t.work);
        // A part's call carries the request's tokens in the part's share of its work.
        let tokens = match self.conversations.get(request) {
            Some(c) => {
                let share = self.token_share(part_work, request_work);
                (f64::from(c.tokens.0) * share, f64::from(c.tokens.1) * share)
            }
            None => (0.0, 0.0),
        };
        let ticket = if self.s.resilience.circuit_breaker.kind != BreakerKind::None {
            self.breakers[agent as usize].sent(self.now)
        } else {
            0
        };
        let id = self.attempts.insert(Attempt {
            part,
            agent,
            serial,
            work,
            kind,
            live: true,
            retry,
            hedge,
            place: Place::Transit,
            ticket,
            tokens,
            cost: 0.0,
            refused: 0.0,
        }) as u32;
        let r = &mut self.parts[part as usize];
        r.live[r.live_count as usize] = id;
        r.live_count += 1;
        self.active += 1;
        self.active_retries += u32::from(retry);
        self.load[agent as usize] += 1;
        self.load_changed(agent);
        self.rec.sent(self.now, !retry && !hedge);
        if let Some(timeout) = self.s.resilience.timeout {
            self.timeouts.push_back((id, serial, self.now + timeout));
            if !self.timeout_check_scheduled {
                self.timeout_check_scheduled = true;
                self.events.schedule(self.now + timeout, Kind::TimeoutCheck);
            }
        }
        if hop > 0.0 {
            self.events
                .schedule(self.now + hop, Kind::Hop { attempt: id, agent });
        } else {
            self.arrive(pattern, id, agent);
        }
    }

    /// An attempt reaches its agent: lost if the agent is down, refused if its bulkhead is full.
    pub(super) fn arrive<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        attempt: u32,
        agent: u32,
    ) {
        let at = &self.attempts[attempt as usize];
        if !at.live {
            // Given up on while in transit: it never reaches the agent.
            self.attempts.remove(attempt as usize);
            return;
        }
        let a = agent as usize;
        if self.agents[a].outages > 0 {
            let at = &mut self.attempts[attempt as usize];
            at.place = Place::Lost;
            let serial = at.serial;
            self.agents[a].lost.push((attempt, serial));
            return;
        }
        if let Some(limit) = self.s.resilience.queue_limit
            && self.agents[a].queue.len() as u32 >= limit
        {
            self.rec.rejected(self.now);
            self.attempt_failed(pattern, attempt, Failure::Rejected);
            return;
        }
        if self.agents[a].serving.is_none() && !pattern.holds(agent) {
            self.start(agent, attempt);
        } else {
            self.attempts[attempt as usize].place = Place::Queued;
            self.agents[a].queue.push_back(attempt);
            pattern.queued(agent);
        }
    }

    /// Starts serving an attempt: its time is the work over the agent's speed, longer for a
    /// kind the agent lacks.
    fn start(&mut self, agent: u32, attempt: u32) {
        let a = agent as usize;
        let at = &mut self.attempts[attempt as usize];
        at.place = Place::Serving;
        let (work, kind, live, part) = (at.work, at.kind, at.live, at.part);
        let penalty = if self.caps[a] & (1u64 << kind) == 0 {
            self.s.mismatch_penalty
        } else {
            1.0
        };
        let seconds = work / self.speed[a] * penalty;
        let mut refused = None;
        if let Some(calls) = &mut self.calls {
            let at = &mut self.attempts[attempt as usize];
            match calls.call(self.now, at.tokens.0, at.tokens.1, seconds) {
                Ok(cost) => at.cost = cost,
                // Refused at once: its service ends now, as a 429.
                Err(retry_after) => {
                    at.refused = retry_after;
                    refused = Some(retry_after);
                }
            }
        }
        if live && refused.is_none() {
            let t = &mut self.requests[self.parts[part as usize].request as usize];
            if !t.started {
                t.started = true;
                if t.measured {
                    self.rec.waited(self.now - t.arrival);
                }
            }
        }
        let duration = if refused.is_some() { 0.0 } else { seconds };
        let ag = &mut self.agents[a];
        ag.serving = Some(attempt);
        ag.started = self.now;
        self.events.schedule(
            self.now + duration,
            Kind::ServiceEnd {
                agent,
                generation: ag.generation,
            },
        );
    }

    pub(super) fn on_service_end<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        agent: u32,
        generation: u32,
    ) {
        let a = agent as usize;
        let ag = &mut self.agents[a];
        if ag.generation != generation {
            return;
        }
        let attempt = ag
            .serving
            .take()
            .expect("a service end has an attempt in service");
        let elapsed = self.now - ag.started;
        ag.busy += self.rec.overlap(ag.started, self.now);
        if attempt == REPLAY {
            self.rec.served(self.now, elapsed, false, false);
            self.next_job(pattern, agent);
            return;
        }
        let at = &self.attempts[attempt as usize];
        let (live, hedge, part, refused) = (at.live, at.hedge, at.part, at.refused);
        if refused > 0.0 {
            // A 429: retried after the provider's retry-after, not the client's backoff.
            if live {
                self.parts[part as usize].retry_after = refused;
                self.attempt_failed(pattern, attempt, Failure::Throttled);
            } else {
                self.attempts.remove(attempt as usize);
            }
            self.next_job(pattern, agent);
            return;
        }
        // A part of a request already resolved (a failed gather, or one given up at its
        // timeout) is served for nothing.
        let useful = live && !self.requests[self.parts[part as usize].request as usize].over();
        self.rec.served(self.now, elapsed, useful, hedge && !live);
        if !live {
            // Given up on before it was served: wasted work.
            self.attempts.remove(attempt as usize);
            self.next_job(pattern, agent);
            return;
        }
        let dispatcher = self.parts[part as usize].dispatcher as usize;
        self.balancers.observe(dispatcher, agent, elapsed);
        if pattern.served(self, agent, attempt) {
            return;
        }
        self.attempt_succeeded(pattern, attempt);
        self.next_job(pattern, agent);
    }

    /// Serves the agent's next queued attempt, if it is free to; an agent back from a
    /// failure first redoes the work the pattern says it lost.
    pub fn next_job<P: Pattern<Event = E>>(&mut self, pattern: &mut P, agent: u32) {
        let a = agent as usize;
        let ag = &self.agents[a];
        if ag.serving.is_some() || pattern.holds(agent) || ag.outages > 0 {
            return;
        }
        let redo = pattern.redo(agent);
        if redo > 0.0 {
            let duration = redo / self.speed[a];
            let ag = &mut self.agents[a];
            ag.serving = Some(REPLAY);
            ag.started = self.now;
            self.events.schedule(
                self.now + duration,
                Kind::ServiceEnd {
                    agent,
                    generation: ag.generation,
                },
            );
            return;
        }
        // With deadline propagation, queued work nobody waits for any more is skipped.
        let drop_expired = self.s.resilience.drop_expired;
        let mut next = None;
        while let Some(attempt) = self.agents[a].queue.pop_front() {
            if !drop_expired || self.attempts[attempt as usize].live {
                next = Some(attempt);
                break;
            }
            self.attempts.remove(attempt as usize);
            pattern.dropped(agent);
        }
        // Start first: the pattern's bookkeeping may hand this agent more work.
        match next {
            Some(attempt) => {
                self.start(agent, attempt);
                pattern.dequeued(self, agent);
            }
            None => pattern.idle(self, agent),
        }
    }

    /// Removes `attempt` from the requester's live set.
    fn unlink(&mut self, attempt: u32) -> u32 {
        let at = &mut self.attempts[attempt as usize];
        debug_assert!(at.live, "only a live attempt is unlinked");
        at.live = false;
        let (part, agent, retry) = (at.part, at.agent, at.retry);
        self.active -= 1;
        self.active_retries -= u32::from(retry);
        self.load[agent as usize] -= 1;
        self.load_changed(agent);
        let r = &mut self.parts[part as usize];
        let n = r.live_count as usize;
        if let Some(i) = r.live[..n].iter().position(|&x| x == attempt) {
            r.live.swap(i, n - 1);
            r.live_count -= 1;
        }
        part
    }

    /// Tells the agent's breaker how an attempt ended: success, failure, or (`None`) no
    /// outcome, when the copy was cancelled or the agent declared dead.
    fn record_breaker(&mut self, agent: u32, outcome: Option<bool>, ticket: u32) {
        let config = &self.s.resilience.circuit_breaker;
        if config.kind == BreakerKind::None {
            return;
        }
        let Some(success) = outcome else {
            self.breakers[agent as usize].release(self.now, ticket);
            return;
        };
        // At least one agent may always be ejected, or a small cap would disable breakers.
        let cap = ((config.max_ejection * self.agents.len() as f64).floor() as u32).max(1);
        let may_open = self.ejected < cap;
        let b = &mut self.breakers[agent as usize];
        let was_closed = matches!(b.state, BreakerState::Closed);
        let was_open = matches!(b.state, BreakerState::Open { .. });
        let changed = b.record(self.now, success, config, may_open, ticket);
        if let BreakerState::Open { until } = b.state
            && !was_open
            && self.wake_on_breaker_ready
        {
            self.events.schedule(until, Kind::BreakerReady);
        }
        let b = &self.breakers[agent as usize];
        if changed {
            let now_closed = matches!(b.state, BreakerState::Closed);
            if was_closed && !now_closed {
                self.restricted += 1;
                self.ejected += 1;
            } else if !was_closed && now_closed {
                self.restricted -= 1;
                self.ejected -= 1;
            }
            self.refresh_state(agent);
        }
    }

    /// An attempt was answered: its part is done, and a hedge copy still running is
    /// cancelled.
    pub fn attempt_succeeded<P: Pattern<Event = E>>(&mut self, pattern: &mut P, attempt: u32) {
        let (agent, ticket) = {
            let at = &self.attempts[attempt as usize];
            (at.agent, at.ticket)
        };
        let part = self.unlink(attempt);
        let answered = self.attempts.remove(attempt as usize);
        self.work_answered += answered.work;
        let request = self.parts[part as usize].request as usize;
        if let Some(c) = self.conversations.get_mut(request) {
            c.answered_cost += answered.cost;
        }
        self.record_breaker(agent, Some(true), ticket);
        let r = &self.parts[part as usize];
        if let Some(q) = &mut self.hedge_latency {
            q.push(self.now - r.first_sent);
        }
        let (others, n) = (r.live, r.live_count as usize);
        for &other in &others[..n] {
            self.cancel(pattern, other);
        }
        self.part_done(pattern, part);
    }

    /// Withdraws a losing hedge copy: out of its queue, or its service stopped.
    fn cancel<P: Pattern<Event = E>>(&mut self, pattern: &mut P, attempt: u32) {
        self.unlink(attempt);
        let at = &self.attempts[attempt as usize];
        let (agent, place, ticket) = (at.agent, at.place, at.ticket);
        self.record_breaker(agent, None, ticket);
        let a = agent as usize;
        match place {
            Place::Queued => {
                if let Some(i) = self.agents[a].queue.iter().position(|&x| x == attempt) {
                    self.agents[a].queue.remove(i);
                    pattern.dequeued(self, agent);
                }
                self.attempts.remove(attempt as usize);
            }
            Place::Serving => {
                let ag = &mut self.agents[a];
                ag.generation += 1;
                ag.serving = None;
                ag.busy += self.rec.overlap(ag.started, self.now);
                let elapsed = self.now - ag.started;
                self.rec.served(self.now, elapsed, false, true);
                self.attempts.remove(attempt as usize);
                self.next_job(pattern, agent);
            }
            // A lost copy stays on the failed agent's list until its failure is noticed.
            Place::Lost => {}
            Place::Transit | Place::Held => {}
        }
    }

    /// An attempt failed: the part is retried (after its backoff, within the budget) unless
    /// another copy is still running; out of retries, it fails for good.
    pub(super) fn attempt_failed<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        attempt: u32,
        why: Failure,
    ) {
        let at = &self.attempts[attempt as usize];
        let (agent, place, ticket) = (at.agent, at.place, at.ticket);
        let part = self.unlink(attempt);
        // A failure noticed by heartbeats is for health checking, not the breaker.
        // Nor is a 429, which is the provider's quota, not the agent's health.
        let outcome = (!matches!(why, Failure::AgentDown | Failure::Throttled)).then_some(false);
        self.record_breaker(agent, outcome, ticket);
        // A rejected or lost attempt is gone; a timed-out one stays queued, a zombie.
        match (why, place) {
            (Failure::Rejected | Failure::Throttled, _) | (_, Place::Lost) => {
                self.attempts.remove(attempt as usize);
            }
            _ => {}
        }
        if self.parts[part as usize].live_count > 0 {
            // Another copy runs on: a retry-after is for the next try, not for its end.
            self.parts[part as usize].retry_after = 0.0;
            return;
        }
        self.retry_or_fail(pattern, part);
    }

    /// No agent could take the part: counts as a rejected try.
    pub fn no_agent<P: Pattern<Event = E>>(&mut self, pattern: &mut P, part: u32) {
        self.rec.rejected(self.now);
        let r = &mut self.parts[part as usize];
        self.rec.sent(self.now, r.tries == 0);
        r.tries += 1;
        self.requests[r.request as usize].attempts += 1;
        self.retry_or_fail(pattern, part);
    }

    /// The provider refused a coordinator's call for the part (a supervisor's decision): a
    /// try like any other, retried after the retry-after within the client's retries.
    pub fn refused<P: Pattern<Event = E>>(&mut self, pattern: &mut P, part: u32, retry_after: f64) {
        let r = &mut self.parts[part as usize];
        self.rec.sent(self.now, r.tries == 0);
        r.tries += 1;
        r.retry_after = retry_after;
        self.requests[r.request as usize].attempts += 1;
        self.retry_or_fail(pattern, part);
    }

    fn retry_or_fail<P: Pattern<Event = E>>(&mut self, pattern: &mut P, part: u32) {
        let policy = &self.s.resilience.retry;
        let r = &self.parts[part as usize];
        if self.requests[r.request as usize].over() {
            // Its request is over (a gather ended): nothing is waiting for this part any more.
            self.part_failed(pattern, part);
            return;
        }
        let budget_ok = self.s.resilience.retry_budget.is_none_or(|fraction| {
            RetryBudget {
                fraction,
                min_concurrency: RetryBudget::MIN_CONCURRENCY,
            }
            .allows(self.active_retries, self.active)
        });
        let delay = if policy.kind == RetryKind::None || !budget_ok {
            None
        } else {
            policy.delay(r.tries, r.last_delay, &mut self.routing)
        };
        // After a 429 the client waits what the provider said, within its retries; a call
        // larger than a minute's quota is never served.
        let retry_after = std::mem::take(&mut self.parts[part as usize].retry_after);
        let delay = match delay {
            Some(_) if retry_after.is_infinite() => None,
            Some(_) if retry_after > 0.0 => {
                if let Some(calls) = &mut self.calls {
                    calls.throttle_wait += retry_after;
                }
                Some(retry_after)
            }
            other => other,
        };
        match delay {
            Some(delay) => {
                let r = &mut self.parts[part as usize];
                r.last_delay = delay;
                r.retry_pending = true;
                self.active_retries += 1;
                let serial = r.serial;
                self.events
                    .schedule(self.now + delay, Kind::Retry { part, serial });
            }
            None => self.part_failed(pattern, part),
        }
    }

    pub(super) fn on_retry<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        part: u32,
        serial: u32,
    ) {
        let Some(r) = self.parts.get_mut(part as usize) else {
            return;
        };
        if r.serial != serial || !r.retry_pending {
            return;
        }
        r.retry_pending = false;
        self.active_retries -= 1;
        if self.requests[r.request as usize].over() {
            // Its gather ended while it waited: nothing needs it any more.
            self.part_failed(pattern, part);
            return;
        }
        pattern.dispatch(self, part, false);
    }

    /// Schedules a hedge check for a part just sent, unless it already ended (refused).
    pub fn schedule_hedge(&mut self, part: u32) {
        if let Some(after) = self.hedge_latency.as_ref().and_then(|q| q.value())
            && let Some(r) = self.parts.get(part as usize)
        {
            let serial = r.serial;
            self.events
                .schedule(self.now + after, Kind::Hedge { part, serial });
        }
    }

    pub(super) fn on_hedge<P: Pattern<Event = E>>(
        &mut self,
        pattern: &mut P,
        part: u32,
        serial: u32,
    ) {
        let Some(r) = self.parts.get(part as usize) else {
            return;
        };
        if r.serial != serial || r.hedged || r.live_count != 1 {
            return;
        }
        self.parts[part as usize].hedged = true;
        self.rec.hedged(self.now);
        pattern.dispatch(self, part, true);
    }

    /// A part finished: the pattern moves its request on.
    fn part_done<P: Pattern<Event = E>>(&mut self, pattern: &mut P, part: u32) {
        let r = self.parts.remove(part as usize);
        let t = &mut self.requests[r.request as usize];
        t.outstanding -= 1;
        t.done += 1;
        pattern.part_done(self, r.request, r.index);
    }

    /// A part failed for good: the pattern decides what its request does.
    pub fn part_failed<P: Pattern<Event = E>>(&mut self, pattern: &mut P, part: u32) {
        let r = self.parts.remove(part as usize);
        let t = &mut self.requests[r.request as usize];
        t.outstanding -= 1;
        t.failed += 1;
        pattern.part_failed(self, r.request);
    }

    pub(super) fn on_timeout_check<P: Pattern<Event = E>>(&mut self, pattern: &mut P) {
        self.timeout_check_scheduled = false;
        while let Some(&(attempt, serial, deadline)) = self.timeouts.front() {
            let Some(at) = self
                .attempts
                .get(attempt as usize)
                .filter(|a| a.serial == serial && a.live)
            else {
                self.timeouts.pop_front();
                continue;
            };
            if deadline > self.now {
                self.timeout_check_scheduled = true;
                self.events.schedule(deadline, Kind::TimeoutCheck);
                break;
            }
            self.timeouts.pop_front();
            if at.place == Place::Held {
                // A held item has been served and waits for room, not for an answer; it
                // keeps a deadline in case its agent fails and it is lost.
                let timeout = self.s.resilience.timeout.expect("timeouts are on");
                self.timeouts
                    .push_back((attempt, serial, self.now + timeout));
                continue;
            }
            self.rec.timed_out(self.now);
            self.attempt_failed(pattern, attempt, Failure::Timeout);
        }
    }
}
