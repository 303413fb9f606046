//! master_slave: agent 0 is the master. Every request queues at the master, which spends
//! `--dispatch-overhead` (over its speed) on it, `--master-concurrency` requests at a time,
//! then hands it to a worker: at once (`--queue per-agent`) or when one is idle (`shared`).
//! The worker does the request's work; with `--merge-work`, its result returns through the
//! master, which spends that on it too (in the same queue as dispatches).
//!
//! When the master fails, dispatch stops and requests wait in its (persistent) backlog until
//! the failure is detected (the catalog's `failure_detection_timeout`) and the designated
//! backup, the first available worker, takes over; that worker leaves the pool until the
//! master is back. If the backup fails too, dispatch stops again until the next worker takes
//! over. Retries go back through the master's backlog like new work.

use std::collections::VecDeque;

use crate::sim::balancer::BalancerKind;
use crate::sim::engine::{Agent, Core, Layout, Outcome, Pattern, Shape, ShapeInput, available};
use crate::sim::faults::FailureClock;
use crate::sim::scenario::{PatternParams, QueueMode, Scenario, ScenarioError, invalid};

/// The master's own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The master finishes the job in one of its slots.
    JobEnd {
        slot: u32,
        generation: u32,
    },
    /// The master fails; a random failure brings its own random repair.
    Fail {
        scripted: bool,
    },
    Repair {
        scripted: bool,
    },
    /// The master's failure is detected: the designated backup takes over.
    Takeover {
        episode: u32,
    },
    /// The provider's retry-after for a final answer it refused is over.
    AnswerRetry {
        request: u32,
        generation: u32,
    },
}

/// What the master spends time on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    /// Choose a worker for a part (new or retried).
    Dispatch(u32),
    /// Merge a request's result, then answer it.
    Merge(u32),
}

pub(crate) struct MasterSlave {
    /// Jobs waiting for the master; kept across master failures.
    backlog: VecDeque<Job>,
    /// The jobs in progress, one per slot (`--master-concurrency`), with their start.
    slots: Vec<Option<(Job, f64)>>,
    /// Bumped when the master fails, so its pending job ends are ignored.
    generation: u32,
    /// Busy time of all slots together.
    busy: f64,
    /// Parts waiting at the master for an idle worker (`--queue shared`).
    shared: Option<VecDeque<u32>>,
    up: bool,
    outages: u32,
    episode: u32,
    failed_at: f64,
    /// The worker acting as master while the master is down.
    backup: Option<u32>,
    clock: Option<FailureClock>,
    /// The master's speed (agent 0's).
    speed: f64,
    /// The supervisor's decision is an LLM call, and its final answer is one: only then does
    /// a job look up its request's tokens and go through the provider.
    thinks: bool,
    answers: bool,
    /// Results return through the master for a final answer (`--merge-work` or an LLM call).
    merges: bool,
}

type Ctx<'c, 'a> = &'c mut Core<'a, Event>;

impl Pattern for MasterSlave {
    type Event = Event;
    const COORDINATORS: u32 = 1;

    fn shape(input: &ShapeInput) -> Result<Shape, ScenarioError> {
        if input.agents < 2 {
            return Err(invalid(
                "--agents",
                "master_slave needs at least 2 agents: a master and a worker",
            ));
        }
        Ok(Shape {
            coordinators: 1,
            fan_out: None,
            stage_workers: Vec::new(),
            work_factor: 1.0,
        })
    }

    fn coordination_load(s: &Scenario, _p: &PatternParams) -> Option<f64> {
        Some(s.rate / master_capacity(s))
    }

    fn bottleneck(s: &Scenario, _p: &PatternParams) -> String {
        format!(
            "the master (it handles at most {} requests/s: {} at once, {} s each at speed {})",
            crate::number::number(master_capacity(s), 1),
            s.master_concurrency,
            crate::number::round_sig(master_seconds(s)),
            crate::number::round_sig(s.agent_speed(0))
        )
    }

    fn new(s: &Scenario, _p: &PatternParams, seed: u64) -> (Self, Layout) {
        let r = &s.resilience;
        let answers = s.llm.as_ref().is_some_and(|l| l.merging_supervisor());
        let state = MasterSlave {
            backlog: VecDeque::new(),
            slots: vec![None; s.master_concurrency as usize],
            generation: 0,
            busy: 0.0,
            shared: (s.queue == QueueMode::Shared).then(VecDeque::new),
            up: true,
            outages: 0,
            episode: 0,
            failed_at: 0.0,
            backup: None,
            clock: r
                .mtbf
                .map(|b| FailureClock::new(seed, 0, b, r.mttr.unwrap_or(1.0))),
            speed: s.agent_speed(0),
            thinks: s.llm.as_ref().is_some_and(|l| l.thinking_supervisor()),
            answers,
            merges: s.merge_work > 0.0 || answers,
        };
        let layout = Layout {
            samplers: vec![s.service.sampler()],
            dispatchers: 1,
            coordinator: true,
            shared: false,
            view_loads: false,
        };
        (state, layout)
    }

    fn admit(&mut self, core: Ctx, request: u32, _entry: f64) {
        let work = core.requests[request as usize].work;
        let part = core.new_part(request, 0, 0, work);
        self.enqueue(core, Job::Dispatch(part));
    }

    fn dispatch(&mut self, core: Ctx, part: u32, _hedge: bool) {
        self.enqueue(core, Job::Dispatch(part));
    }

    fn part_done(&mut self, core: Ctx, request: u32, _index: u32) {
        // Between rounds the result goes back to the supervisor as its next decision; the
        // final answer is written once, after the last.
        if self.merges && core.last_round(request) && !core.requests[request as usize].over() {
            self.enqueue(core, Job::Merge(request));
        } else {
            core.resolve(request, Outcome::Complete);
        }
    }

    fn on_event(&mut self, core: Ctx, event: Event) {
        match event {
            Event::JobEnd { slot, generation } => self.on_job_end(core, slot, generation),
            Event::Fail { scripted } => self.master_failed(core, scripted),
            Event::Repair { scripted } => self.master_repaired(core, scripted),
            Event::Takeover { episode } => self.on_takeover(core, episode),
            Event::AnswerRetry {
                request,
                generation,
            } => {
                if core
                    .requests
                    .get(request as usize)
                    .is_some_and(|t| t.generation == generation && !t.resolved)
                {
                    self.enqueue(core, Job::Merge(request));
                }
            }
        }
    }

    fn schedule_faults(&mut self, core: Ctx) {
        if let Some(clock) = &mut self.clock {
            let at = clock.up_time();
            core.schedule(at, Event::Fail { scripted: false });
        }
    }

    fn coordinator_outage(&mut self, core: Ctx, _agent: u32, start: f64, duration: f64) {
        core.schedule(start, Event::Fail { scripted: true });
        core.schedule(start + duration, Event::Repair { scripted: true });
    }

    fn idle(&mut self, core: Ctx, agent: u32) {
        if self.shared.is_some() {
            self.worker_free(core, agent);
        }
    }

    fn agent_down(&mut self, core: Ctx, agent: u32) {
        self.backup_failed(core, agent);
    }

    fn agent_alive(&mut self, core: Ctx, _agent: u32) {
        self.wake_idle(core);
    }

    fn wakes_on_breaker_ready(&self) -> bool {
        self.shared.is_some()
    }

    fn breaker_ready(&mut self, core: Ctx) {
        self.wake_idle(core);
    }

    fn waiting(&self) -> u64 {
        (self.backlog.len() + self.shared.as_ref().map_or(0, VecDeque::len)) as u64
    }

    fn finish(&mut self, core: Ctx, end: f64) -> Option<f64> {
        if !self.up && self.backup.is_none() {
            core.rec.no_dispatch(self.failed_at, end);
        }
        for (_, started) in self.slots.iter().flatten() {
            self.busy += core.rec.overlap(*started, end);
        }
        Some(self.busy / self.slots.len() as f64)
    }
}

/// Mean seconds of the master's work on a request at speed 1: a decision each round (the
/// call's latency, its input growing with the conversation, or the fixed overhead), and the
/// final answer.
fn master_seconds(s: &Scenario) -> f64 {
    let llm = s.llm.as_ref();
    let (rounds, steps) = s.rounds.map_or((1.0, 0.0), |r| r.run_moments(s.max_rounds));
    let dispatch = match llm.and_then(|l| l.decision_seconds().map(|d| (l, d))) {
        Some((l, d)) => {
            let per_in = l.latency.map_or(0.0, |t| t.per_in);
            rounds * d + per_in * l.context_growth.unwrap_or(0.0) * steps
        }
        None => rounds * s.dispatch_overhead,
    };
    dispatch + llm.and_then(|l| l.merge_seconds()).unwrap_or(s.merge_work)
}

/// Requests per second the master can handle: its slots over a request's time at its speed.
fn master_capacity(s: &Scenario) -> f64 {
    let seconds = master_seconds(s) / s.agent_speed(0);
    if seconds > 0.0 {
        f64::from(s.master_concurrency) / seconds
    } else {
        f64::INFINITY
    }
}

impl MasterSlave {
    /// A job (a part to dispatch, new or retried; a result to merge) waits for the master.
    fn enqueue(&mut self, core: Ctx, job: Job) {
        // A job that takes no time, with nothing ahead of it and a slot free, runs at once.
        if self.backlog.is_empty()
            && self.can_dispatch()
            && self.job_work(core, job) == 0.0
            && self.slots.iter().any(Option::is_none)
        {
            self.run(core, job);
            return;
        }
        self.backlog.push_back(job);
        self.try_dispatch(core);
    }

    /// Whether the master, or a backup standing in for it, can work.
    fn can_dispatch(&self) -> bool {
        self.up || self.backup.is_some()
    }

    /// The speed of whoever acts as master.
    fn master_speed(&self, core: &Core<'_, Event>) -> f64 {
        match self.backup {
            Some(b) if !self.up => core.speed[b as usize],
            _ => self.speed,
        }
    }

    /// Starts jobs from the backlog while the master (or its backup) is up with a free slot.
    fn try_dispatch(&mut self, core: Ctx) {
        while self.can_dispatch() && !self.backlog.is_empty() {
            let Some(slot) = self.slots.iter().position(Option::is_none) else {
                return;
            };
            let job = self.backlog.pop_front().expect("the backlog is not empty");
            if (self.thinks || self.answers) && self.call_refused(core, job) {
                continue;
            }
            let work = self.job_work(core, job);
            if work > 0.0 {
                self.slots[slot] = Some((job, core.now));
                let generation = self.generation;
                let end = core.now + work / self.master_speed(core);
                core.schedule(
                    end,
                    Event::JobEnd {
                        slot: slot as u32,
                        generation,
                    },
                );
            } else {
                self.run(core, job);
            }
        }
    }

    /// The master's work for a job, at speed 1: a thinking supervisor's decision and its
    /// final answer take the latency of their tokens. Always inlined: every dispatch asks it,
    /// and without an LLM supervisor it is a field read.
    #[inline(always)]
    fn job_work(&self, core: &Core<'_, Event>, job: Job) -> f64 {
        match job {
            Job::Dispatch(part) if self.thinks => core
                .decision_seconds(core.parts[part as usize].request)
                .unwrap_or(core.s.dispatch_overhead),
            Job::Dispatch(_) => core.s.dispatch_overhead,
            Job::Merge(request) if self.answers => {
                core.merge_seconds(request).unwrap_or(core.s.merge_work)
            }
            Job::Merge(_) => core.s.merge_work,
        }
    }

    /// A supervisor's call for the job goes to the provider: true when it is refused, and the
    /// job retried or failed as the refusal decides.
    fn call_refused(&mut self, core: Ctx, job: Job) -> bool {
        let speed = self.master_speed(core);
        if let Job::Dispatch(part) = job
            && let Some(seconds) = core.decision_seconds(core.parts[part as usize].request)
            && let Err(wait) = core.decide(core.parts[part as usize].request, seconds / speed)
        {
            // The supervisor's call got a 429: a try of the part, retried after the
            // retry-after within the client's retries; its slot stays free.
            core.refused(self, part, wait);
            return true;
        }
        if let Job::Merge(request) = job
            && let Some(seconds) = core.merge_seconds(request)
            && let Err(wait) = core.answer(request, seconds / speed)
        {
            // The work is done and only the answer is left: the supervisor waits the
            // retry-after, however many times; an answer larger than the quota fails.
            match core.throttled_for(wait) {
                Some(wait) => {
                    let generation = core.requests[request as usize].generation;
                    core.schedule(
                        core.now + wait,
                        Event::AnswerRetry {
                            request,
                            generation,
                        },
                    );
                }
                None => core.resolve(request, Outcome::Failed),
            }
            return true;
        }
        false
    }

    fn on_job_end(&mut self, core: Ctx, slot: u32, generation: u32) {
        if generation != self.generation {
            return;
        }
        let (job, started) = self.slots[slot as usize]
            .take()
            .expect("a job end has a job in its slot");
        self.busy += core.rec.overlap(started, core.now);
        self.run(core, job);
        self.try_dispatch(core);
    }

    /// A job's time is spent: the part goes to a worker, the merged request is answered.
    fn run(&mut self, core: Ctx, job: Job) {
        match job {
            Job::Dispatch(part) => self.send(core, part),
            Job::Merge(request) => core.resolve(request, Outcome::Complete),
        }
    }

    /// Sends a part to a worker, or keeps it at the master for an idle one (`--queue shared`).
    fn send(&mut self, core: Ctx, part: u32) {
        let request = core.parts[part as usize].request;
        let candidates = core.all_agents;
        if self.shared.is_none() {
            match core.pick(0, candidates, request) {
                Some(agent) => core.send(self, part, agent, 0.0, false),
                None => core.no_agent(self, part),
            }
            return;
        }
        // Late binding: only an idle worker may take the request; else it waits at the master.
        // A capability-aware balancer keeps it for a worker with its kind, if one exists.
        let kind_bit = 1u64 << core.requests[request as usize].kind;
        let keep_kinds = core.balancers.kind == BalancerKind::CapabilityBased
            && core.kinds_served & kind_bit != 0;
        let idle = |c: u32, agents: &[Agent], caps: &[u64]| {
            agents[c as usize].serving.is_none()
                && agents[c as usize].queue.is_empty()
                && (!keep_kinds || caps[c as usize] & kind_bit != 0)
        };
        match core.pick_where(0, candidates, request, None, Some(idle)) {
            Some(agent) => core.send(self, part, agent, 0.0, false),
            None if (0..core.agents.len() as u32).any(|c| core.is_available(c)) => {
                if let Some(waiting) = &mut self.shared {
                    waiting.push_back(part);
                }
            }
            None => core.no_agent(self, part),
        }
    }

    /// A worker is free (`--queue shared`): it takes the first waiting part it should serve.
    fn worker_free(&mut self, core: Ctx, agent: u32) {
        let a = agent as usize;
        if !self.can_dispatch() || !core.is_available(agent) || core.agents[a].outages > 0 {
            return;
        }
        let capability = core.balancers.kind == BalancerKind::CapabilityBased;
        let caps = core.caps[a];
        let (parts, requests, served) = (&core.parts, &core.requests, core.kinds_served);
        let Some(waiting) = &mut self.shared else {
            return;
        };
        // A capability-aware master gives it the first request it can serve, or a request no
        // worker can serve; the others wait for a worker with their kind.
        let next = if capability {
            waiting
                .iter()
                .position(|&r| {
                    let bit = 1u64 << requests[parts[r as usize].request as usize].kind;
                    caps & bit != 0 || served & bit == 0
                })
                .and_then(|i| waiting.remove(i))
        } else {
            waiting.pop_front()
        };
        if let Some(part) = next {
            core.send(self, part, agent, 0.0, false);
        }
    }

    /// Idle workers take the parts waiting at the master (`--queue shared`), once dispatch
    /// resumes or a worker becomes available again.
    fn wake_idle(&mut self, core: Ctx) {
        if self.shared.is_none() {
            return;
        }
        for agent in 0..core.agents.len() as u32 {
            let ag = &core.agents[agent as usize];
            if ag.serving.is_none() && ag.queue.is_empty() && ag.outages == 0 {
                self.worker_free(core, agent);
            }
        }
    }

    /// The master (or its backup) stops: the jobs under way are abandoned and go back to
    /// the head of the backlog, in the order they started.
    fn stop_dispatch(&mut self, core: Ctx) {
        self.generation += 1;
        let mut running: Vec<(Job, f64)> = self.slots.iter_mut().filter_map(Option::take).collect();
        running.sort_by(|a, b| a.1.total_cmp(&b.1));
        for &(job, started) in running.iter().rev() {
            self.busy += core.rec.overlap(started, core.now);
            self.backlog.push_front(job);
        }
    }

    /// The worker standing in for the master failed: dispatch stops until the failure is
    /// detected and the next worker takes over.
    fn backup_failed(&mut self, core: Ctx, agent: u32) {
        if self.backup != Some(agent) {
            return;
        }
        self.backup = None;
        self.failed_at = core.now;
        let episode = self.episode;
        core.set_removed(agent, false);
        self.stop_dispatch(core);
        let detection = core.s.failure_detection_timeout;
        core.schedule(core.now + detection, Event::Takeover { episode });
    }

    fn master_failed(&mut self, core: Ctx, scripted: bool) {
        self.outages += 1;
        if !scripted && let Some(clock) = &mut self.clock {
            let down = clock.down_time();
            core.schedule(core.now + down, Event::Repair { scripted: false });
        }
        if self.outages > 1 {
            return;
        }
        self.up = false;
        self.episode += 1;
        self.failed_at = core.now;
        let episode = self.episode;
        self.stop_dispatch(core);
        let detection = core.s.failure_detection_timeout;
        core.schedule(core.now + detection, Event::Takeover { episode });
    }

    /// The master's failure is detected: the first available worker becomes the master.
    fn on_takeover(&mut self, core: Ctx, episode: u32) {
        if self.up || self.episode != episode {
            return;
        }
        let failed_at = self.failed_at;
        core.rec.detected(core.now, core.now - failed_at);
        let Some(backup) = (0..core.agents.len() as u32).find(|&c| {
            let ag = &core.agents[c as usize];
            ag.outages == 0
                && available(
                    ag,
                    &core.breakers[c as usize],
                    &core.s.resilience.circuit_breaker,
                    core.now,
                )
        }) else {
            // No worker can take over: dispatch waits for the master's repair.
            return;
        };
        core.set_removed(backup, true);
        core.rec.no_dispatch(failed_at, core.now);
        self.backup = Some(backup);
        self.try_dispatch(core);
        self.wake_idle(core);
    }

    fn master_repaired(&mut self, core: Ctx, scripted: bool) {
        self.outages -= 1;
        if !scripted && let Some(clock) = &mut self.clock {
            let next = clock.up_time();
            core.schedule(core.now + next, Event::Fail { scripted: false });
        }
        if self.outages > 0 {
            return;
        }
        self.up = true;
        match self.backup.take() {
            Some(b) => {
                core.set_removed(b, false);
                core.next_job(self, b);
            }
            None => core.rec.no_dispatch(self.failed_at, core.now),
        }
        self.try_dispatch(core);
        self.wake_idle(core);
    }
}
