//! master_slave: every request queues at the master, which spends `--dispatch-overhead` on
//! it, then hands it to a worker: at once (`--queue per-agent`) or when one is idle (`shared`).
//!
//! When the master fails, dispatch stops and requests wait in its (persistent) backlog until
//! the failure is detected (the catalog's `failure_detection_timeout`) and the designated
//! backup, the first available worker, takes over; that worker leaves the pool until the
//! master is back. If the backup fails too, dispatch stops again until the next worker takes
//! over. Retries go back through the master's backlog like new work.

use std::collections::VecDeque;

use super::{Layout, Pattern, Shape, ShapeInput};
use crate::sim::balancer::BalancerKind;
use crate::sim::engine::{Agent, Core, available};
use crate::sim::faults::FailureClock;
use crate::sim::scenario::{PatternParams, QueueMode, Scenario, ScenarioError, invalid};

/// The master's own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The master finishes dispatching the request at the head of its backlog.
    DispatchEnd {
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
}

pub(crate) struct MasterSlave {
    /// Parts waiting for the master to dispatch them; kept across master failures.
    backlog: VecDeque<u32>,
    dispatching: bool,
    dispatch_started: f64,
    /// Bumped when the master fails, so its pending dispatch end is ignored.
    generation: u32,
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
}

type Ctx<'c, 'a> = &'c mut Core<'a, Event>;

impl Pattern for MasterSlave {
    type Event = Event;
    const COORDINATORS: u32 = 1;
    const NAME: &'static str = "master_slave";

    fn shape(input: &ShapeInput) -> Result<Shape, ScenarioError> {
        if input.agents < 2 {
            return Err(invalid(
                "--agents",
                "master_slave needs at least 2 agents: a master and a worker",
            ));
        }
        Ok(Shape {
            workers: input.agents - 1,
            fan_out: None,
            stage_workers: Vec::new(),
            task_work: input.service_mean,
        })
    }

    fn peak_load(s: &Scenario, _p: &PatternParams, rate: f64, load: f64) -> f64 {
        load.max(rate * s.dispatch_overhead)
    }

    fn bottleneck(s: &Scenario, _p: &PatternParams) -> String {
        format!(
            "the master (it dispatches at most {:.1} tasks/s with --dispatch-overhead {} s)",
            1.0 / s.dispatch_overhead,
            s.dispatch_overhead
        )
    }

    fn new(s: &Scenario, _p: &PatternParams, seed: u64) -> (Self, Layout) {
        let r = &s.resilience;
        let state = MasterSlave {
            backlog: VecDeque::new(),
            dispatching: false,
            dispatch_started: 0.0,
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
        let part = core.new_part(request, 0, 0);
        self.enqueue(core, part);
    }

    fn dispatch(&mut self, core: Ctx, part: u32, _hedge: bool) {
        self.enqueue(core, part);
    }

    fn part_done(&mut self, core: Ctx, request: u32, _index: u32) {
        core.resolve(request, true);
    }

    fn on_event(&mut self, core: Ctx, event: Event) {
        match event {
            Event::DispatchEnd { generation } => self.on_dispatch_end(core, generation),
            Event::Fail { scripted } => self.master_failed(core, scripted),
            Event::Repair { scripted } => self.master_repaired(core, scripted),
            Event::Takeover { episode } => self.on_takeover(core, episode),
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
        Some(self.busy)
    }
}

impl MasterSlave {
    /// A part, new or retried, waits for the master to dispatch it.
    fn enqueue(&mut self, core: Ctx, part: u32) {
        self.backlog.push_back(part);
        self.try_dispatch(core);
    }

    /// Whether the master, or a backup standing in for it, can hand out work.
    fn can_dispatch(&self) -> bool {
        self.up || self.backup.is_some()
    }

    /// Dispatches from the backlog while the master (or its backup) is up and free.
    fn try_dispatch(&mut self, core: Ctx) {
        let overhead = core.s.dispatch_overhead;
        loop {
            if self.dispatching || self.backlog.is_empty() || !self.can_dispatch() {
                return;
            }
            if overhead > 0.0 {
                self.dispatching = true;
                self.dispatch_started = core.now;
                let generation = self.generation;
                core.schedule(core.now + overhead, Event::DispatchEnd { generation });
                return;
            }
            let part = self.backlog.pop_front().expect("the backlog is not empty");
            self.send(core, part);
        }
    }

    fn on_dispatch_end(&mut self, core: Ctx, generation: u32) {
        if generation != self.generation {
            return;
        }
        let part = self.backlog.pop_front().expect("a dispatch end has a part");
        self.busy += core.rec.overlap(self.dispatch_started, core.now);
        self.dispatching = false;
        self.send(core, part);
        self.try_dispatch(core);
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

    /// The master (or its backup) stops: a dispatch under way is abandoned, its part stays at
    /// the head of the backlog.
    fn stop_dispatch(&mut self, core: Ctx) {
        self.generation += 1;
        if self.dispatching {
            self.dispatching = false;
            self.busy += core.rec.overlap(self.dispatch_started, core.now);
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
