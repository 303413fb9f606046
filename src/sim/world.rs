//! One replication of one pattern under one balancer: agents, tasks, jobs, the event loop
//! and the books. Each pattern's routing lives in its own module as `impl World` blocks.

use std::collections::VecDeque;

use rand_pcg::Pcg64Mcg;
use slab::Slab;

use super::balancer::{Balancer, BalancerKind, View};
use super::distribution::Sampler;
use super::events::{EventQueue, Kind};
use super::metrics::{Recorder, TaskCounts, Values};
use super::scenario::{Model, PatternParams, Scenario};
use super::workload::{ArrivalClock, TaskDraws, derive, stream, streams, task_rng};
use super::{SimError, pipeline, scatter_gather};

/// A unit of work sent to one agent: a whole task, a pipeline stage or a scatter subtask.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub task: u32,
    /// The dispatcher whose balancer chose the agent, told of the service time when it ends.
    pub dispatcher: u32,
    pub work: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub index: u64,
    pub arrival: f64,
    pub kind: u16,
    /// The task's own draws, for work sizes drawn after arrival (later pipeline stages).
    pub rng: Pcg64Mcg,
    /// Jobs sent and not yet finished; the task's slot is freed only when this is 0 and it is resolved.
    pub outstanding: u32,
    pub done: u32,
    pub started: bool,
    pub consensus: bool,
    pub resolved: bool,
    pub measured: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Agent {
    pub queue: VecDeque<u32>,
    pub serving: Option<u32>,
    pub started: f64,
    /// Busy time inside the measurement window.
    pub busy: f64,
    /// A finished pipeline job held because the next stage's buffer is full.
    pub blocked: Option<u32>,
}

/// State only one pattern needs.
#[derive(Debug)]
pub(crate) enum Topology {
    MasterSlave {
        /// Tasks waiting for the master to dispatch them.
        backlog: VecDeque<u32>,
        dispatching: bool,
        dispatch_started: f64,
        busy: f64,
        /// Jobs waiting at the master for an idle worker (`--queue shared`).
        shared: Option<VecDeque<u32>>,
    },
    PeerToPeer {
        /// Each agent's load as of the last heartbeat.
        view: Vec<u32>,
        /// When the next heartbeat refreshes the view.
        next_refresh: f64,
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
    /// Jobs queued plus in service plus held, per agent.
    pub load: Vec<u32>,
    pub speed: Vec<f64>,
    pub caps: Vec<u64>,
    /// The kinds at least one worker serves, as a bit set.
    pub kinds_served: u64,
    pub jobs: Slab<Job>,
    pub tasks: Slab<Task>,
    pub balancers: Vec<Balancer>,
    pub routing: Pcg64Mcg,
    pub samplers: Vec<Sampler>,
    /// Agent ids `0..n`, borrowed for the whole run so balancers can take slices of it.
    pub all_agents: &'a [u32],
    clock: ArrivalClock,
    kind_cdf: Vec<f64>,
    generated: u64,
    warm_index: u64,
    arrivals_done: bool,
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
        let (samplers, dispatchers, topology) = match p.model {
            Model::MasterSlave => (
                vec![s.service.sampler()],
                1,
                Topology::MasterSlave {
                    backlog: VecDeque::new(),
                    dispatching: false,
                    dispatch_started: 0.0,
                    busy: 0.0,
                    shared: (s.queue == super::scenario::QueueMode::Shared).then(VecDeque::new),
                },
            ),
            Model::PeerToPeer => (
                vec![s.service.sampler()],
                n,
                Topology::PeerToPeer {
                    view: vec![0; n],
                    next_refresh: s.heartbeat,
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
        let mut rec = Recorder::new(s.service.mean() / mean_speed);
        let warm_index = match (s.tasks, s.duration) {
            (Some(total), _) => (s.warmup * total as f64).floor() as u64,
            (None, Some(d)) => {
                rec.window_start = s.warmup * d;
                rec.window_end = d;
                0
            }
            (None, None) => 0,
        };
        let mut world = World {
            s,
            p,
            seed,
            now: 0.0,
            events: EventQueue::with_capacity(4 * n + 64),
            agents: vec![Agent::default(); n],
            load: vec![0; n],
            speed: p.speeds.clone(),
            kinds_served: capability_masks(s, n).iter().fold(0, |all, c| all | c),
            caps: capability_masks(s, n),
            jobs: Slab::with_capacity(1024),
            tasks: Slab::with_capacity(1024),
            balancers: (0..dispatchers)
                .map(|_| Balancer::new(balancer, n))
                .collect(),
            routing: stream(seed, streams::ROUTING),
            samplers,
            all_agents,
            clock: ArrivalClock::new(&s.arrivals, p.arrival_rate, seed),
            kind_cdf,
            generated: 0,
            warm_index,
            arrivals_done: false,
            rec,
            counts: TaskCounts::default(),
            topology,
        };
        world.schedule_next_arrival();
        world
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
            // State is constant between events, so refreshing here sees the loads of the
            // heartbeat instant itself, without an event per heartbeat.
            if let Topology::PeerToPeer { view, next_refresh } = &mut self.topology
                && time >= *next_refresh
            {
                view.copy_from_slice(&self.load);
                let h = self.s.heartbeat;
                *next_refresh = ((time / h).floor() + 1.0) * h;
            }
            self.now = time;
            match kind {
                Kind::Arrival => self.on_arrival(),
                Kind::ServiceEnd { agent } => self.on_service_end(agent),
                Kind::DispatchEnd => self.on_dispatch_end(),
                Kind::Hop { job, agent } => self.enqueue(agent, job),
                Kind::Consensus { task } => self.resolve(task, true),
                Kind::GatherCheck => self.on_gather_check(),
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
        let busy: Vec<f64> = self.agents.iter().map(|a| a.busy).collect();
        let coordinator = match &self.topology {
            Topology::MasterSlave { busy, .. } => Some(*busy),
            _ => None,
        };
        let values = self.rec.finish(end, &busy, coordinator);
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

    /// Creates a job of `task` (its stage or subtask `part`) with work drawn from the task's own stream.
    pub fn new_job(&mut self, task: u32, part: u16, dispatcher: u32) -> u32 {
        let sampler = &self.samplers[if self.samplers.len() > 1 {
            part as usize
        } else {
            0
        }];
        let t = &mut self.tasks[task as usize];
        let work = sampler.sample(&mut t.rng);
        t.outstanding += 1;
        self.jobs.insert(Job {
            task,
            dispatcher,
            work,
        }) as u32
    }

    /// The agent `dispatcher`'s balancer picks among `candidates`, by the live load.
    pub fn pick(&mut self, dispatcher: usize, candidates: &'a [u32], task: u32) -> u32 {
        let view = View {
            load: &self.load,
            speed: &self.speed,
            capabilities: &self.caps,
        };
        let kind_bit = 1u64 << self.tasks[task as usize].kind;
        self.balancers[dispatcher]
            .pick(
                candidates,
                |_| true,
                true,
                &view,
                kind_bit,
                &mut self.routing,
            )
            .expect("a pattern always has a candidate agent")
    }

    /// Puts a job in an agent's queue, starting it at once if the agent is free.
    pub fn enqueue(&mut self, agent: u32, job: u32) {
        let a = agent as usize;
        self.load[a] += 1;
        if self.agents[a].serving.is_none() && self.agents[a].blocked.is_none() {
            self.start(agent, job);
        } else {
            self.agents[a].queue.push_back(job);
            if let Topology::Pipeline(stages) = &mut self.topology {
                stages.waiting_added(agent);
            }
        }
    }

    /// Starts serving a job: its time is its work over the agent's speed, longer for a kind
    /// the agent lacks.
    pub fn start(&mut self, agent: u32, job: u32) {
        let a = agent as usize;
        let j = &self.jobs[job as usize];
        let t = &mut self.tasks[j.task as usize];
        if !t.started {
            t.started = true;
            if t.measured {
                self.rec.waited(self.now - t.arrival);
            }
        }
        let penalty = if self.caps[a] & (1u64 << t.kind) == 0 {
            self.s.mismatch_penalty
        } else {
            1.0
        };
        let duration = j.work / self.speed[a] * penalty;
        let ag = &mut self.agents[a];
        ag.serving = Some(job);
        ag.started = self.now;
        self.events
            .schedule(self.now + duration, Kind::ServiceEnd { agent });
    }

    fn on_service_end(&mut self, agent: u32) {
        let a = agent as usize;
        let ag = &mut self.agents[a];
        let job = ag
            .serving
            .take()
            .expect("a service end has a job in service");
        let elapsed = self.now - ag.started;
        ag.busy += self.rec.overlap(ag.started, self.now);
        let dispatcher = self.jobs[job as usize].dispatcher as usize;
        self.balancers[dispatcher].observe(agent, elapsed);
        match self.p.model {
            Model::MasterSlave => self.master_job_done(agent, job),
            Model::PeerToPeer => self.peer_job_done(agent, job),
            Model::Pipeline => self.pipeline_job_done(agent, job),
            Model::ScatterGather => self.scatter_job_done(agent, job),
        }
    }

    /// Serves the agent's next queued job, if it is free to.
    pub fn next_job(&mut self, agent: u32) {
        let a = agent as usize;
        if self.agents[a].serving.is_some() || self.agents[a].blocked.is_some() {
            return;
        }
        if let Some(job) = self.agents[a].queue.pop_front() {
            self.start(agent, job);
            if matches!(self.topology, Topology::Pipeline(_)) {
                self.pipeline_left_queue(agent);
            }
        }
    }

    /// A job is over: frees it and tells its task.
    pub fn finish_job(&mut self, job: u32) -> u32 {
        let j = self.jobs.remove(job as usize);
        let t = &mut self.tasks[j.task as usize];
        t.outstanding -= 1;
        j.task
    }

    /// The task is done, successfully or not; late jobs of a resolved task are ignored.
    pub fn resolve(&mut self, task: u32, success: bool) {
        let t = &mut self.tasks[task as usize];
        if t.resolved {
            return;
        }
        t.resolved = true;
        let (latency, measured) = (self.now - t.arrival, t.measured);
        self.rec.departed(self.now, latency, success, measured, 1);
        if success {
            self.counts.completed += 1;
        } else {
            self.counts.failed += 1;
        }
        self.release(task);
    }

    /// Frees a task's slot once it is resolved and none of its jobs is left anywhere.
    pub fn release(&mut self, task: u32) {
        let t = &self.tasks[task as usize];
        if t.resolved && t.outstanding == 0 {
            self.tasks.remove(task as usize);
        }
    }
}
