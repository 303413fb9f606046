//! One replication of one pattern under one balancer: agents, tasks, requests and attempts,
//! faults, the event loop and the books. Each pattern's routing lives in its own module as
//! `impl World` blocks; resilience (timeouts, retries, breakers) is common to all.
//!
//! A task becomes requests (a whole task, a pipeline stage, a scatter subtask). A request is
//! tried by attempts, each sent to one agent: retries and hedges add attempts. An attempt the
//! requester has given up on (timed out) stays in its agent's queue and is served anyway, as a
//! server without deadline propagation does: that is the wasted work behind retry storms.

use std::collections::VecDeque;

use rand_pcg::Pcg64Mcg;
use slab::Slab;

use super::balancer::{Balancer, BalancerKind, View};
use super::distribution::Sampler;
use super::events::{EventQueue, Kind};
use super::faults::{FailureClock, Heartbeat};
use super::metric::{TaskCounts, Values};
use super::recorder::Recorder;
use super::resilience::{Breaker, BreakerKind, RecentQuantile, RetryBudget, RetryKind};
use super::scenario::{Model, PatternParams, Scenario};
use super::stream::{derive, stream, streams, task_rng};
use super::workload::{ArrivalClock, TaskDraws};
use super::{SimError, pipeline, scatter_gather};

/// The master's agent number in fault events.
pub(crate) const MASTER: u32 = u32::MAX;
/// In `Agent::serving`, a pipeline worker redoing the work lost since its last checkpoint.
pub(crate) const REPLAY: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub index: u64,
    pub arrival: f64,
    pub kind: u16,
    /// The task's own draws, for work sizes drawn after arrival (later pipeline stages).
    pub rng: Pcg64Mcg,
    /// Requests not yet over; the slot is freed when this is 0 and the task is resolved.
    pub outstanding: u32,
    /// Requests done and failed for good.
    pub done: u32,
    pub failed: u32,
    /// Requests made, and attempts sent for them (hedges aside).
    pub requests: u32,
    pub attempts: u32,
    pub started: bool,
    pub consensus: bool,
    pub resolved: bool,
    pub measured: bool,
}

/// A piece of a task's work, tried until done or given up.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub task: u32,
    /// Stage (pipeline), subtask (scatter-gather), or 0.
    pub part: u32,
    /// The dispatcher whose balancer picks agents for it.
    pub dispatcher: u32,
    pub work: f64,
    /// Identifies this request in events, as slots are reused.
    pub serial: u32,
    pub tries: u32,
    /// Attempts whose answer the requester still awaits: at most two, with a hedge.
    pub live: [u32; 2],
    pub live_count: u8,
    pub hedged: bool,
    pub retry_pending: bool,
    pub first_sent: f64,
    pub last_delay: f64,
}

/// Where an attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Transit,
    Queued,
    Serving,
    /// Served, held by a blocked pipeline worker.
    Held,
    /// At an agent that failed.
    Lost,
}

#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub request: u32,
    pub agent: u32,
    pub serial: u64,
    /// Its own copy of the work and kind: a zombie outlives its request.
    pub work: f64,
    pub kind: u16,
    /// The requester still awaits its answer.
    pub live: bool,
    pub retry: bool,
    pub hedge: bool,
    pub place: Place,
    /// Its agent's breaker ticket: the half-open cycle it is a trial of, or 0.
    pub ticket: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub queue: VecDeque<u32>,
    pub serving: Option<u32>,
    pub started: f64,
    /// Busy time inside the measurement window.
    pub busy: f64,
    /// A finished pipeline item held because the next stage is full.
    pub blocked: Option<u32>,
    /// Bumped whenever service is interrupted, so a stale service end is ignored.
    pub generation: u32,
    /// Outages in progress (random and scripted may overlap); up when 0.
    pub outages: u32,
    /// Failures so far; a notice is for the failure it was scheduled for.
    pub episode: u32,
    pub failed_at: f64,
    /// The dispatchers know the agent is down.
    pub known_down: bool,
    /// Out of the pool: a master-slave backup acting as master.
    pub removed: bool,
    /// Attempts lost with the agent, with their serials, failed when the failure is noticed.
    pub lost: Vec<(u32, u64)>,
    /// Pipeline: work done since the last checkpoint, redone after a failure.
    pub since_checkpoint: u64,
    pub checkpoint_work: f64,
    pub replay: f64,
    pub heartbeat: Heartbeat,
    pub clock: Option<FailureClock>,
}

/// State only one pattern needs.
#[derive(Debug)]
pub(crate) enum Topology {
    MasterSlave {
        /// Tasks waiting for the master to dispatch them; kept across master failures.
        backlog: VecDeque<u32>,
        dispatching: bool,
        dispatch_started: f64,
        /// Bumped when the master fails, so its pending dispatch end is ignored.
        generation: u32,
        busy: f64,
        /// Requests waiting at the master for an idle worker (`--queue shared`).
        shared: Option<VecDeque<u32>>,
        up: bool,
        outages: u32,
        episode: u32,
        failed_at: f64,
        /// The worker acting as master while the master is down.
        backup: Option<u32>,
        clock: Option<FailureClock>,
    },
    PeerToPeer {
        /// Each agent's load as of the last heartbeat.
        view: Vec<u32>,
        next_refresh: f64,
        leader: u32,
        leader_ok: bool,
        /// When the leader was lost, for the time without one.
        lost_at: f64,
        term: u32,
        /// An election is under way (at most one at a time).
        election_pending: bool,
        /// Tasks waiting for a leader to run their consensus.
        waiting: Vec<u32>,
        elections: Pcg64Mcg,
    },
    Pipeline(pipeline::Stages),
    ScatterGather(scatter_gather::Gather),
}

pub(crate) struct World<'a> {
    pub s: &'a Scenario,
    pub p: &'a PatternParams,
    pub seed: u64,
    pub now: f64,
    pub events: EventQueue,
    pub agents: Vec<Agent>,
    /// Attempts each agent has that the dispatchers count: live ones, not yet answered.
    pub load: Vec<u32>,
    pub speed: Vec<f64>,
    pub caps: Vec<u64>,
    /// The kinds at least one worker serves, as a bit set.
    pub kinds_served: u64,
    pub breakers: Vec<Breaker>,
    /// Agents that are not fully available (known down, removed, breaker not closed); while 0,
    /// picks skip the eligibility test.
    pub restricted: u32,
    /// Agents whose breaker is not closed.
    pub ejected: u32,
    pub tasks: Slab<Task>,
    pub requests: Slab<Request>,
    pub attempts: Slab<Attempt>,
    next_serial: u64,
    pub balancers: Vec<Balancer>,
    pub routing: Pcg64Mcg,
    /// Execution times of retries and hedge copies, which are new executions.
    executions: Pcg64Mcg,
    pub samplers: Vec<Sampler>,
    /// Agent ids `0..n`, borrowed for the whole run so balancers can take slices of it.
    pub all_agents: &'a [u32],
    clock: ArrivalClock,
    kind_cdf: Vec<f64>,
    generated: u64,
    warm_index: u64,
    arrivals_done: bool,
    /// Attempts awaiting a timeout check, in deadline order: (attempt, serial, deadline).
    timeouts: VecDeque<(u32, u64, f64)>,
    timeout_check_scheduled: bool,
    /// Live attempts, and those that are retries (with retries waiting to be sent).
    pub active: u32,
    pub active_retries: u32,
    pub hedge_latency: Option<RecentQuantile>,
    pub rec: Recorder,
    pub counts: TaskCounts,
    pub topology: Topology,
}

/// The outcome of one replication.
#[derive(Debug, Clone)]
pub struct Replication {
    pub values: Values,
    pub counts: TaskCounts,
    pub events: u64,
    pub timeline: Vec<super::recorder::Bucket>,
    /// Latency at each of `recorder::CDF_QUANTILES`.
    pub latency_quantiles: Vec<f64>,
}

fn capability_masks(s: &Scenario, workers: usize) -> Vec<u64> {
    let all = u64::MAX;
    let (Some(kinds), Some(caps)) = (&s.kinds, &s.capabilities) else {
        return vec![all; workers];
    };
    (0..workers)
        .map(|i| {
            caps.0[i % caps.0.len()].iter().fold(0u64, |mask, name| {
                if name == "*" {
                    all
                } else {
                    let bit = kinds.0.iter().position(|(n, _)| n == name).unwrap_or(0);
                    mask | (1u64 << bit)
                }
            })
        })
        .collect()
}

/// Whether the dispatchers may send to an agent now: not known down, not taken out of the
/// pool, and its circuit breaker lets requests through.
#[inline]
pub(crate) fn available(
    agent: &Agent,
    breaker: &Breaker,
    config: &super::resilience::BreakerConfig,
    now: f64,
) -> bool {
    !agent.known_down
        && !agent.removed
        && (config.kind == BreakerKind::None || breaker.allows(now, config))
}

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Timeout,
    /// The agent was declared dead.
    AgentDown,
    /// Refused at once: a full bulkhead.
    Rejected,
}

impl<'a> World<'a> {
    pub fn new(
        s: &'a Scenario,
        p: &'a PatternParams,
        balancer: BalancerKind,
        replication: u32,
        all_agents: &'a [u32],
    ) -> Self {
        let seed = derive(s.seed, u64::from(replication));
        let n = p.workers as usize;
        let r = &s.resilience;
        let kind_cdf = match &s.kinds {
            Some(kinds) => {
                let total: f64 = kinds.0.iter().map(|(_, w)| w).sum();
                let mut acc = 0.0;
                kinds
                    .0
                    .iter()
                    .map(|(_, w)| {
                        acc += w / total;
                        acc
                    })
                    .collect()
            }
            None => vec![1.0],
        };
        // User agent numbers: in master-slave 0 is the master and 1.. the workers.
        let user_number = |i: usize| match p.model {
            Model::MasterSlave => i as u32 + 1,
            _ => i as u32,
        };
        let failure_clock = |user: u32| {
            r.mtbf
                .map(|b| FailureClock::new(seed, user, b, r.mttr.unwrap_or(1.0)))
        };
        let (samplers, dispatchers, topology) = match p.model {
            Model::MasterSlave => (
                vec![s.service.sampler()],
                1,
                Topology::MasterSlave {
                    backlog: VecDeque::new(),
                    dispatching: false,
                    dispatch_started: 0.0,
                    generation: 0,
                    busy: 0.0,
                    shared: (s.queue == super::scenario::QueueMode::Shared).then(VecDeque::new),
                    up: true,
                    outages: 0,
                    episode: 0,
                    failed_at: 0.0,
                    backup: None,
                    clock: failure_clock(0),
                },
            ),
            Model::PeerToPeer => (
                vec![s.service.sampler()],
                n,
                Topology::PeerToPeer {
                    view: vec![0; n],
                    next_refresh: s.heartbeat,
                    leader: 0,
                    leader_ok: true,
                    lost_at: 0.0,
                    term: 0,
                    election_pending: false,
                    waiting: Vec::new(),
                    elections: stream(seed, streams::ELECTIONS),
                },
            ),
            Model::Pipeline => {
                let total: f64 = s.stage_work.iter().sum();
                (
                    s.stage_work
                        .iter()
                        .map(|w| s.service.scaled(w / total).sampler())
                        .collect(),
                    s.stages as usize,
                    Topology::Pipeline(pipeline::Stages::new(&p.stage_workers, s.buffer)),
                )
            }
            Model::ScatterGather => {
                let k = p.fan_out.unwrap_or(1);
                let factor = if s.split { 1.0 / f64::from(k) } else { 1.0 };
                (
                    vec![s.service.scaled(factor).sampler()],
                    1,
                    Topology::ScatterGather(scatter_gather::Gather::new(n)),
                )
            }
        };
        let mean_speed = p.speeds.iter().sum::<f64>() / p.speeds.len() as f64;
        let mut rec = Recorder::new(s.service.mean() / mean_speed, r.timeline);
        if matches!(p.model, Model::MasterSlave | Model::PeerToPeer) {
            rec.has_coordinator();
        }
        let warm_index = match (s.tasks, s.duration) {
            (Some(total), _) => (s.warmup * total as f64).floor() as u64,
            (None, Some(d)) => {
                rec.window_start = s.warmup * d;
                rec.window_end = d;
                0
            }
            (None, None) => 0,
        };
        let caps = capability_masks(s, n);
        let agents = (0..n)
            .map(|i| Agent {
                queue: VecDeque::new(),
                serving: None,
                started: 0.0,
                busy: 0.0,
                blocked: None,
                generation: 0,
                outages: 0,
                episode: 0,
                failed_at: 0.0,
                known_down: false,
                removed: false,
                lost: Vec::new(),
                since_checkpoint: 0,
                checkpoint_work: 0.0,
                replay: 0.0,
                heartbeat: Heartbeat::new(seed, user_number(i), s.heartbeat, r.missed_heartbeats),
                clock: failure_clock(user_number(i)),
            })
            .collect();
        let mut world = World {
            s,
            p,
            seed,
            now: 0.0,
            events: EventQueue::with_capacity(4 * n + 64),
            agents,
            load: vec![0; n],
            speed: p.speeds.clone(),
            kinds_served: caps.iter().fold(0, |all, c| all | c),
            caps,
            breakers: vec![Breaker::default(); n],
            restricted: 0,
            ejected: 0,
            tasks: Slab::with_capacity(1024),
            requests: Slab::with_capacity(1024),
            attempts: Slab::with_capacity(1024),
            next_serial: 0,
            balancers: (0..dispatchers)
                .map(|_| Balancer::new(balancer, n))
                .collect(),
            routing: stream(seed, streams::ROUTING),
            executions: stream(seed, streams::EXECUTIONS),
            samplers,
            all_agents,
            clock: ArrivalClock::new(&s.arrivals, p.arrival_rate, seed, &r.spikes),
            kind_cdf,
            generated: 0,
            warm_index,
            arrivals_done: false,
            timeouts: VecDeque::new(),
            timeout_check_scheduled: false,
            active: 0,
            active_retries: 0,
            hedge_latency: (p.model == Model::ScatterGather)
                .then_some(r.hedge_after_quantile)
                .flatten()
                .map(RecentQuantile::new),
            rec,
            counts: TaskCounts::default(),
            topology,
        };
        world.schedule_faults();
        world.schedule_next_arrival();
        world
    }

    /// Each agent's first random failure and every scripted outage, in user agent numbers.
    fn schedule_faults(&mut self) {
        for i in 0..self.agents.len() {
            if let Some(clock) = &mut self.agents[i].clock {
                let at = clock.up_time();
                self.events.schedule(
                    at,
                    Kind::Fail {
                        agent: i as u32,
                        scripted: false,
                    },
                );
            }
        }
        if let Topology::MasterSlave {
            clock: Some(clock), ..
        } = &mut self.topology
        {
            let at = clock.up_time();
            self.events.schedule(
                at,
                Kind::Fail {
                    agent: MASTER,
                    scripted: false,
                },
            );
        }
        for o in &self.s.resilience.outages {
            let agent = match self.p.model {
                Model::MasterSlave if o.agent == 0 => MASTER,
                Model::MasterSlave => o.agent - 1,
                _ => o.agent,
            };
            self.events.schedule(
                o.start,
                Kind::Fail {
                    agent,
                    scripted: true,
                },
            );
            self.events.schedule(
                o.start + o.duration,
                Kind::Repair {
                    agent,
                    scripted: true,
                },
            );
        }
    }

    fn schedule_next_arrival(&mut self) {
        let at = self.clock.next_arrival();
        let more = match (self.s.tasks, self.s.duration) {
            (Some(total), _) => self.generated < total,
            (None, Some(d)) => at <= d,
            (None, None) => false,
        };
        if more {
            self.events.schedule(at, Kind::Arrival);
        } else {
            self.arrivals_done = true;
        }
    }

    /// Runs until every task has ended: with `--duration`, arrivals stop at the end time and
    /// the tasks inside finish, so no measured task is cut off.
    pub fn run(mut self) -> Result<Replication, SimError> {
        while let Some((time, kind)) = self.events.pop() {
            // State is constant between events, so what a heartbeat or a timeline bucket would
            // have seen at its instant is what is here now: no periodic events are needed.
            if let Topology::PeerToPeer {
                view, next_refresh, ..
            } = &mut self.topology
                && time >= *next_refresh
            {
                view.copy_from_slice(&self.load);
                let h = self.s.heartbeat;
                *next_refresh = ((time / h).floor() + 1.0) * h;
            }
            if self.rec.timeline_due(time) {
                let at_master = match &self.topology {
                    Topology::MasterSlave {
                        backlog, shared, ..
                    } => backlog.len() + shared.as_ref().map_or(0, VecDeque::len),
                    _ => 0,
                };
                let queued = at_master as u64
                    + self
                        .agents
                        .iter()
                        .map(|a| a.queue.len() as u64 + u64::from(a.serving.is_some()))
                        .sum::<u64>();
                let open = self
                    .breakers
                    .iter()
                    .filter(|b| !matches!(b.state, super::resilience::BreakerState::Closed))
                    .count() as u64;
                self.rec.snapshot(time, queued, open);
            }
            self.now = time;
            match kind {
                Kind::Arrival => self.on_arrival(),
                Kind::ServiceEnd { agent, generation } => self.on_service_end(agent, generation),
                Kind::DispatchEnd { generation } => self.on_dispatch_end(generation),
                Kind::Hop { attempt, agent } => self.arrive(attempt, agent),
                Kind::Consensus { task, term } => self.on_consensus(task, term),
                Kind::GatherCheck => self.on_gather_check(),
                Kind::TimeoutCheck => self.on_timeout_check(),
                Kind::Retry { request, serial } => self.on_retry(request, serial),
                Kind::Hedge { request, serial } => self.on_hedge(request, serial),
                Kind::Fail { agent, scripted } => self.on_fail(agent, scripted),
                Kind::Repair { agent, scripted } => self.on_repair(agent, scripted),
                Kind::Noticed { agent, episode } => self.on_noticed(agent, episode),
                Kind::Alive { agent, episode } => self.on_alive(agent, episode),
                Kind::Takeover { episode } => self.on_takeover(episode),
                Kind::Election { term } => self.on_election(term),
                Kind::BreakerReady => self.on_breaker_ready(),
            }
            if self.arrivals_done && self.tasks.is_empty() {
                break;
            }
        }
        if !self.tasks.is_empty() {
            return Err(SimError::Stuck {
                pattern: self.p.pattern.clone(),
                unresolved: self.tasks.len() as u64,
                time: self.now,
            });
        }
        let end = self.now;
        self.close_outages(end);
        let busy: Vec<f64> = self.agents.iter().map(|a| a.busy).collect();
        let coordinator = match &self.topology {
            Topology::MasterSlave { busy, .. } => Some(*busy),
            _ => None,
        };
        let (values, timeline) = self.rec.finish(end, &busy, coordinator);
        let latency_quantiles = self.rec.latency_quantiles();
        self.counts.in_flight = self.tasks.iter().filter(|(_, t)| !t.resolved).count() as u64;
        self.counts.generated = self.generated;
        if !self.counts.conserved() {
            return Err(SimError::Conservation {
                pattern: self.p.pattern.clone(),
                counts: self.counts,
            });
        }
        Ok(Replication {
            values,
            counts: self.counts,
            events: self.events.processed(),
            timeline,
            latency_quantiles,
        })
    }

    fn on_arrival(&mut self) {
        let index = self.generated;
        self.generated += 1;
        let mut rng = task_rng(self.seed, index);
        let draws = TaskDraws::take(&mut rng);
        let kind = self
            .kind_cdf
            .iter()
            .position(|c| draws.kind < *c)
            .unwrap_or(self.kind_cdf.len() - 1) as u16;
        let measured = match self.s.tasks {
            Some(_) => index >= self.warm_index,
            None => self.now >= self.rec.window_start,
        };
        if self.s.tasks.is_some() {
            if index == self.warm_index {
                self.rec.window_start = self.now;
            }
            if Some(self.generated) == self.s.tasks {
                self.rec.window_end = self.now;
            }
        }
        self.rec.arrival(self.now);
        let task = self.tasks.insert(Task {
            index,
            arrival: self.now,
            kind,
            rng,
            outstanding: 0,
            done: 0,
            failed: 0,
            requests: 0,
            attempts: 0,
            started: false,
            consensus: draws.consensus < self.s.consensus_fraction,
            resolved: false,
            measured,
        }) as u32;
        self.rec.arrived(self.now);
        self.schedule_next_arrival();
        match self.p.model {
            Model::MasterSlave => self.master_admit(task),
            Model::PeerToPeer => self.peer_admit(task, draws.entry),
            Model::Pipeline => self.pipeline_admit(task),
            Model::ScatterGather => self.scatter(task),
        }
    }

    /// Creates a request of `task` (its stage or subtask `part`) with work drawn from the
    /// task's own stream.
    pub fn new_request(&mut self, task: u32, part: u32, dispatcher: u32) -> u32 {
        let sampler = &self.samplers[if self.samplers.len() > 1 {
            part as usize
        } else {
            0
        }];
        let t = &mut self.tasks[task as usize];
        let work = sampler.sample(&mut t.rng);
        t.outstanding += 1;
        t.requests += 1;
        self.next_serial += 1;
        self.requests.insert(Request {
            task,
            part,
            dispatcher,
            work,
            serial: self.next_serial as u32,
            tries: 0,
            live: [0; 2],
            live_count: 0,
            hedged: false,
            retry_pending: false,
            first_sent: self.now,
            last_delay: 0.0,
        }) as u32
    }

    /// The agent `dispatcher`'s balancer picks among the available `candidates`, by live load
    /// (or by `view` instead, a peer's stale one); `None` if none is available. `also` narrows
    /// the choice further (an idle worker, a different agent for a hedge).
    pub fn pick_where<F: Fn(u32, &[Agent], &[u64]) -> bool>(
        &mut self,
        dispatcher: usize,
        candidates: &'a [u32],
        task: u32,
        view: Option<&[u32]>,
        also: Option<F>,
    ) -> Option<u32> {
        let World {
            agents,
            breakers,
            balancers,
            routing,
            load,
            speed,
            caps,
            tasks,
            s,
            now,
            restricted,
            ..
        } = self;
        let kind_bit = 1u64 << tasks[task as usize].kind;
        let config = &s.resilience.circuit_breaker;
        let all = *restricted == 0 && also.is_none();
        let eligible = |c: u32| {
            available(&agents[c as usize], &breakers[c as usize], config, *now)
                && also.as_ref().is_none_or(|f| f(c, agents, caps))
        };
        let view = View {
            load: view.unwrap_or(load),
            speed,
            capabilities: caps,
        };
        balancers[dispatcher].pick(candidates, eligible, all, &view, kind_bit, routing)
    }

    /// As [`World::pick_where`], with nothing more to narrow.
    pub fn pick(&mut self, dispatcher: usize, candidates: &'a [u32], task: u32) -> Option<u32> {
        self.pick_where(
            dispatcher,
            candidates,
            task,
            None,
            None::<fn(u32, &[Agent], &[u64]) -> bool>,
        )
    }

    /// Sends an attempt of `request` to `agent`, after `hop` seconds of network.
    pub fn send(&mut self, request: u32, agent: u32, hop: f64, hedge: bool) {
        let r = &mut self.requests[request as usize];
        let retry = r.tries > 0 && !hedge;
        if !hedge {
            r.tries += 1;
            self.tasks[r.task as usize].attempts += 1;
        }
        if r.tries == 1 && !hedge {
            r.first_sent = self.now;
        }
        self.next_serial += 1;
        let serial = self.next_serial;
        // The first attempt does the request's drawn work; a retry or a hedge copy is a new
        // execution and draws its own time, as tail latency is mostly the execution's own.
        let work = if r.tries == 1 && !hedge {
            r.work
        } else {
            let sampler = &self.samplers[if self.samplers.len() > 1 {
                r.part as usize
            } else {
                0
            }];
            sampler.sample(&mut self.executions)
        };
        let kind = self.tasks[r.task as usize].kind;
        let ticket = if self.s.resilience.circuit_breaker.kind != BreakerKind::None {
            self.breakers[agent as usize].sent(self.now)
        } else {
            0
        };
        let id = self.attempts.insert(Attempt {
            request,
            agent,
            serial,
            work,
            kind,
            live: true,
            retry,
            hedge,
            place: Place::Transit,
            ticket,
        }) as u32;
        let r = &mut self.requests[request as usize];
        r.live[r.live_count as usize] = id;
        r.live_count += 1;
        self.active += 1;
        self.active_retries += u32::from(retry);
        self.load[agent as usize] += 1;
        self.rec.sent(self.now);
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
            self.arrive(id, agent);
        }
    }

    /// An attempt reaches its agent: lost if the agent is down, refused if its bulkhead is full.
    pub fn arrive(&mut self, attempt: u32, agent: u32) {
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
            self.attempt_failed(attempt, Failure::Rejected);
            return;
        }
        if self.agents[a].serving.is_none() && self.agents[a].blocked.is_none() {
            self.start(agent, attempt);
        } else {
            self.attempts[attempt as usize].place = Place::Queued;
            self.agents[a].queue.push_back(attempt);
            if let Topology::Pipeline(stages) = &mut self.topology {
                stages.waiting_added(agent);
            }
        }
    }

    /// Starts serving an attempt: its time is the work over the agent's speed, longer for a
    /// kind the agent lacks.
    pub fn start(&mut self, agent: u32, attempt: u32) {
        let a = agent as usize;
        let at = &mut self.attempts[attempt as usize];
        at.place = Place::Serving;
        let (work, kind, live, request) = (at.work, at.kind, at.live, at.request);
        if live {
            let t = &mut self.tasks[self.requests[request as usize].task as usize];
            if !t.started {
                t.started = true;
                if t.measured {
                    self.rec.waited(self.now - t.arrival);
                }
            }
        }
        let penalty = if self.caps[a] & (1u64 << kind) == 0 {
            self.s.mismatch_penalty
        } else {
            1.0
        };
        let duration = work / self.speed[a] * penalty;
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

    fn on_service_end(&mut self, agent: u32, generation: u32) {
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
            self.next_job(agent);
            return;
        }
        let at = &self.attempts[attempt as usize];
        let (live, hedge, request) = (at.live, at.hedge, at.request);
        // A subtask of a gather already resolved (failed, or given up at its timeout) is
        // served for nothing.
        let useful = live && !self.tasks[self.requests[request as usize].task as usize].resolved;
        self.rec.served(self.now, elapsed, useful, hedge && !live);
        if !live {
            // Given up on before it was served: wasted work.
            self.attempts.remove(attempt as usize);
            self.next_job(agent);
            return;
        }
        let dispatcher = self.requests[request as usize].dispatcher as usize;
        self.balancers[dispatcher].observe(agent, elapsed);
        if self.p.model == Model::Pipeline {
            self.checkpoint(agent, request);
            if self.pipeline_holds(agent, attempt) {
                return;
            }
        }
        self.attempt_succeeded(attempt);
        self.next_job(agent);
    }

    /// Serves the agent's next queued attempt, if it is free to; a worker back from a failure
    /// first redoes the work lost since its checkpoint.
    pub fn next_job(&mut self, agent: u32) {
        let a = agent as usize;
        let ag = &mut self.agents[a];
        if ag.serving.is_some() || ag.blocked.is_some() || ag.outages > 0 {
            return;
        }
        if ag.replay > 0.0 {
            let duration = ag.replay / self.speed[a];
            ag.replay = 0.0;
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
            if let Topology::Pipeline(stages) = &mut self.topology {
                stages.waiting_removed(agent);
            }
        }
        // Start first: the pipeline bookkeeping below may hand this agent an upstream item.
        if let Some(attempt) = next {
            self.start(agent, attempt);
            if matches!(self.topology, Topology::Pipeline(_)) {
                self.pipeline_left_queue(agent);
            }
        } else if matches!(self.topology, Topology::Pipeline(_)) {
            // Idle now, whatever freed it (an answer, a zombie, redone work, a repair): the
            // workers upstream blocked on its stage may pass their items on.
            self.unblock_stage_of(agent);
        } else if let Topology::MasterSlave {
            shared: Some(_), ..
        } = &self.topology
        {
            self.master_worker_free(agent);
        }
    }

    /// Removes `attempt` from the requester's live set.
    fn unlink(&mut self, attempt: u32) -> u32 {
        let at = &mut self.attempts[attempt as usize];
        debug_assert!(at.live, "only a live attempt is unlinked");
        at.live = false;
        let (request, agent, retry) = (at.request, at.agent, at.retry);
        self.active -= 1;
        self.active_retries -= u32::from(retry);
        self.load[agent as usize] -= 1;
        let r = &mut self.requests[request as usize];
        let n = r.live_count as usize;
        if let Some(i) = r.live[..n].iter().position(|&x| x == attempt) {
            r.live.swap(i, n - 1);
            r.live_count -= 1;
        }
        request
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
        let was_closed = matches!(b.state, super::resilience::BreakerState::Closed);
        let was_open = matches!(b.state, super::resilience::BreakerState::Open { .. });
        let changed = b.record(self.now, success, config, may_open, ticket);
        if let super::resilience::BreakerState::Open { until } = b.state
            && !was_open
            && matches!(
                self.topology,
                Topology::MasterSlave {
                    shared: Some(_),
                    ..
                }
            )
        {
            self.events.schedule(until, Kind::BreakerReady);
        }
        let b = &self.breakers[agent as usize];
        if changed {
            let now_closed = matches!(b.state, super::resilience::BreakerState::Closed);
            if was_closed && !now_closed {
                self.restricted += 1;
                self.ejected += 1;
            } else if !was_closed && now_closed {
                self.restricted -= 1;
                self.ejected -= 1;
            }
        }
    }

    /// An attempt was answered: its request is done, and a hedge copy still running is cancelled.
    pub(super) fn attempt_succeeded(&mut self, attempt: u32) {
        let (agent, ticket) = {
            let at = &self.attempts[attempt as usize];
            (at.agent, at.ticket)
        };
        let request = self.unlink(attempt);
        self.attempts.remove(attempt as usize);
        self.record_breaker(agent, Some(true), ticket);
        let r = &self.requests[request as usize];
        if let Some(q) = &mut self.hedge_latency {
            q.push(self.now - r.first_sent);
        }
        let (others, n) = (r.live, r.live_count as usize);
        for &other in &others[..n] {
            self.cancel(other);
        }
        self.request_done(request);
    }

    /// Withdraws a losing hedge copy: out of its queue, or its service stopped.
    fn cancel(&mut self, attempt: u32) {
        self.unlink(attempt);
        let at = &self.attempts[attempt as usize];
        let (agent, place, ticket) = (at.agent, at.place, at.ticket);
        self.record_breaker(agent, None, ticket);
        let a = agent as usize;
        match place {
            Place::Queued => {
                if let Some(i) = self.agents[a].queue.iter().position(|&x| x == attempt) {
                    self.agents[a].queue.remove(i);
                    if matches!(self.topology, Topology::Pipeline(_)) {
                        self.pipeline_left_queue(agent);
                    }
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
                self.next_job(agent);
            }
            // A lost copy stays on the failed agent's list until its failure is noticed.
            Place::Lost => {}
            Place::Transit | Place::Held => {}
        }
    }

    /// An attempt failed: the request is retried (after its backoff, within the budget) unless
    /// another copy is still running; out of retries, it fails for good.
    pub fn attempt_failed(&mut self, attempt: u32, why: Failure) {
        let at = &self.attempts[attempt as usize];
        let (agent, place, ticket) = (at.agent, at.place, at.ticket);
        let request = self.unlink(attempt);
        // A failure noticed by heartbeats is for health checking, not the breaker.
        let outcome = (why != Failure::AgentDown).then_some(false);
        self.record_breaker(agent, outcome, ticket);
        // A rejected or lost attempt is gone; a timed-out one stays queued, a zombie.
        match (why, place) {
            (Failure::Rejected, _) | (_, Place::Lost) => {
                self.attempts.remove(attempt as usize);
            }
            _ => {}
        }
        if self.requests[request as usize].live_count > 0 {
            return;
        }
        self.retry_or_fail(request);
    }

    /// No agent could take the request: counts as a rejected try.
    pub fn no_agent(&mut self, request: u32) {
        self.rec.rejected(self.now);
        self.rec.sent(self.now);
        let r = &mut self.requests[request as usize];
        r.tries += 1;
        self.tasks[r.task as usize].attempts += 1;
        self.retry_or_fail(request);
    }

    fn retry_or_fail(&mut self, request: u32) {
        let policy = &self.s.resilience.retry;
        let r = &self.requests[request as usize];
        if self.tasks[r.task as usize].resolved {
            // Its gather is over: nothing is waiting for this subtask any more.
            self.request_failed(request);
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
        match delay {
            Some(delay) => {
                let r = &mut self.requests[request as usize];
                r.last_delay = delay;
                r.retry_pending = true;
                self.active_retries += 1;
                let serial = r.serial;
                self.events
                    .schedule(self.now + delay, Kind::Retry { request, serial });
            }
            None => self.request_failed(request),
        }
    }

    fn on_retry(&mut self, request: u32, serial: u32) {
        let Some(r) = self.requests.get_mut(request as usize) else {
            return;
        };
        if r.serial != serial || !r.retry_pending {
            return;
        }
        r.retry_pending = false;
        self.active_retries -= 1;
        if self.tasks[r.task as usize].resolved {
            // Its gather ended while it waited: nothing needs it any more.
            self.request_failed(request);
            return;
        }
        self.dispatch(request, false);
    }

    /// Sends a request to an agent the pattern chooses (a retry goes where the pattern sends
    /// new work); `hedge` sends a second copy elsewhere.
    pub fn dispatch(&mut self, request: u32, hedge: bool) {
        match self.p.model {
            Model::MasterSlave => self.master_enqueue(request),
            Model::PeerToPeer => self.peer_send(request),
            Model::Pipeline => self.stage_send(request),
            Model::ScatterGather => self.subtask_send(request, hedge),
        }
    }

    fn on_hedge(&mut self, request: u32, serial: u32) {
        let Some(r) = self.requests.get(request as usize) else {
            return;
        };
        if r.serial != serial || r.hedged || r.live_count != 1 {
            return;
        }
        self.requests[request as usize].hedged = true;
        self.rec.hedged();
        self.dispatch(request, true);
    }

    /// A request finished: the pattern moves its task on.
    fn request_done(&mut self, request: u32) {
        let r = self.requests.remove(request as usize);
        let t = &mut self.tasks[r.task as usize];
        t.outstanding -= 1;
        t.done += 1;
        match self.p.model {
            Model::MasterSlave => self.resolve(r.task, true),
            Model::PeerToPeer => self.peer_request_done(r.task),
            Model::Pipeline => self.stage_done(r.task, r.part),
            Model::ScatterGather => self.subtask_done(r.task),
        }
    }

    /// A request failed for good: the pattern decides what the task does.
    pub(super) fn request_failed(&mut self, request: u32) {
        let r = self.requests.remove(request as usize);
        let t = &mut self.tasks[r.task as usize];
        t.outstanding -= 1;
        t.failed += 1;
        match self.p.model {
            Model::ScatterGather => self.subtask_failed(r.task),
            // Everywhere else a task needs every request: it fails (fail fast in a pipeline).
            _ => self.resolve(r.task, false),
        }
    }

    fn on_timeout_check(&mut self) {
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
                // A held pipeline item has been served and waits for room, not for an answer;
                // it keeps a deadline in case its worker fails and it is lost.
                let timeout = self.s.resilience.timeout.expect("timeouts are on");
                self.timeouts
                    .push_back((attempt, serial, self.now + timeout));
                continue;
            }
            self.rec.timed_out(self.now);
            self.attempt_failed(attempt, Failure::Timeout);
        }
    }

    /// The task is done, successfully or not; late requests of a resolved task run on. Its slot
    /// is freed here once nothing of it is left, so the caller must not touch it afterwards.
    pub fn resolve(&mut self, task: u32, success: bool) {
        let t = &mut self.tasks[task as usize];
        if t.resolved {
            self.release(task);
            return;
        }
        t.resolved = true;
        let (latency, measured) = (self.now - t.arrival, t.measured);
        let tries = f64::from(t.attempts) / f64::from(t.requests.max(1));
        self.rec
            .departed(self.now, latency, success, measured, tries);
        if success {
            self.counts.completed += 1;
        } else {
            self.counts.failed += 1;
        }
        self.release(task);
    }

    /// Frees a task's slot once it is resolved and none of its requests is left.
    pub fn release(&mut self, task: u32) {
        let t = &self.tasks[task as usize];
        if t.resolved && t.outstanding == 0 {
            self.tasks.remove(task as usize);
        }
    }

    fn on_fail(&mut self, agent: u32, scripted: bool) {
        if agent == MASTER {
            self.master_failed(scripted);
            return;
        }
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
        // Everything on the agent is lost: queued, in service, held, and its redo work.
        let mut lost: Vec<u32> = ag.queue.drain(..).collect();
        if let Some(serving) = ag.serving.take() {
            ag.busy += self.rec.overlap(ag.started, self.now);
            let elapsed = self.now - ag.started;
            if serving != REPLAY {
                lost.push(serving);
            }
            self.rec.served(self.now, elapsed, false, false);
        }
        if let Some(held) = ag.blocked.take() {
            lost.push(held);
        }
        if self.p.model == Model::Pipeline {
            self.pipeline_agent_lost(agent, &lost);
            // Its state is rebuilt from the last checkpoint: all the work since then is redone,
            // including a redo this failure interrupted. No checkpoint is taken meanwhile.
            let ag = &mut self.agents[a];
            ag.replay = ag.checkpoint_work;
        }
        for &attempt in &lost {
            let at = &mut self.attempts[attempt as usize];
            at.place = Place::Lost;
            let serial = at.serial;
            self.agents[a].lost.push((attempt, serial));
        }
        self.events
            .schedule(notice, Kind::Noticed { agent, episode });
        self.backup_failed(agent);
        if let Topology::PeerToPeer {
            leader, leader_ok, ..
        } = &self.topology
            && *leader_ok
            && (*leader == agent || !self.peer_majority())
        {
            self.leader_lost();
        }
    }

    fn on_repair(&mut self, agent: u32, scripted: bool) {
        if agent == MASTER {
            self.master_repaired(scripted);
            return;
        }
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
            self.fail_lost(agent);
        }
        self.next_job(agent);
        if let Topology::PeerToPeer {
            leader_ok,
            election_pending,
            ..
        } = &self.topology
            && !*leader_ok
            && !*election_pending
        {
            self.start_election();
        }
    }

    /// The dispatchers declare the agent dead: its lost attempts fail and are retried elsewhere.
    fn on_noticed(&mut self, agent: u32, episode: u32) {
        let a = agent as usize;
        if self.agents[a].episode != episode || self.agents[a].outages == 0 {
            return;
        }
        self.rec
            .detected(self.now, self.now - self.agents[a].failed_at);
        if !self.agents[a].known_down {
            self.agents[a].known_down = true;
            self.restricted += 1;
        }
        self.fail_lost(agent);
    }

    fn on_alive(&mut self, agent: u32, episode: u32) {
        let a = agent as usize;
        if self.agents[a].episode != episode || self.agents[a].outages > 0 {
            return;
        }
        if self.agents[a].known_down {
            self.agents[a].known_down = false;
            self.restricted -= 1;
        }
        // Copies lost before the failure was noticed, and never timed out, are now known lost.
        self.fail_lost(agent);
        self.master_wake_idle();
    }

    /// A breaker's recovery time is over: its agent may take trial requests waiting at the
    /// master (`--queue shared`; elsewhere requests do not wait for an agent).
    fn on_breaker_ready(&mut self) {
        self.master_wake_idle();
    }

    /// Fails the live attempts lost with `agent` (retried elsewhere) and frees the others.
    fn fail_lost(&mut self, agent: u32) {
        let lost = std::mem::take(&mut self.agents[agent as usize].lost);
        for (attempt, serial) in lost {
            match self.attempts.get(attempt as usize) {
                Some(at) if at.serial == serial && at.live => {
                    self.attempt_failed(attempt, Failure::AgentDown);
                }
                Some(at) if at.serial == serial => {
                    self.attempts.remove(attempt as usize);
                }
                _ => {}
            }
        }
    }

    /// Counts downtime still open at the end of the run.
    fn close_outages(&mut self, end: f64) {
        match &self.topology {
            Topology::MasterSlave {
                up: false,
                failed_at,
                backup: None,
                ..
            } => self.rec.no_dispatch(*failed_at, end),
            Topology::PeerToPeer {
                leader_ok: false,
                lost_at,
                ..
            } => self.rec.no_dispatch(*lost_at, end),
            _ => {}
        }
    }
}
