//! pipeline: stages in series, each with its own workers (contiguous agent ids); stage j
//! does the request's work x w_j / sum of w (`--stage-work`). Between stages a bounded
//! buffer: when it is full and no worker of the next stage is idle, the upstream worker holds
//! its finished item and waits (blocking after service).
//!
//! Failures fail fast, the catalog's `error_propagation_strategy`: an item lost with its
//! worker fails its request unless `--retry` is set. A worker keeps a checkpoint every
//! `checkpoint_frequency` items; after a failure it redoes the work done since the last one.

use std::collections::VecDeque;

use crate::sim::engine::{Agent, Core, Layout, Outcome, Pattern, Place, Shape, ShapeInput};
use crate::sim::scenario::{
    Buffer, PatternParams, Scenario, ScenarioError, invalid, stage_workers,
};

#[derive(Debug)]
struct Stage {
    first: u32,
    end: u32,
    /// Items queued at this stage's workers, not yet in service.
    waiting: u32,
    /// Upstream workers holding an item for this stage, in the order they blocked.
    blocked: VecDeque<u32>,
}

/// What a pipeline worker keeps beyond its queue.
#[derive(Debug, Default)]
struct Worker {
    /// A finished item held because the next stage is full.
    held: Option<u32>,
    /// Work done since the last checkpoint, redone after a failure.
    since_checkpoint: u64,
    checkpoint_work: f64,
    replay: f64,
}

pub(crate) struct Pipeline {
    /// Each stage's share of a request's work.
    shares: Vec<f64>,
    stages: Vec<Stage>,
    stage_of: Vec<u16>,
    workers: Vec<Worker>,
    /// Items a stage may hold waiting; `None` is unbounded. The first stage is never
    /// bounded: arrivals queue rather than wait outside.
    limit: Option<u32>,
    checkpoint_frequency: u64,
}

type Ctx<'c, 'a> = &'c mut Core<'a, ()>;

impl Pattern for Pipeline {
    type Event = ();

    fn shape(input: &ShapeInput) -> Result<Shape, ScenarioError> {
        let workers = input.agents;
        if input.stages > workers {
            return Err(invalid(
                "--stages",
                format!(
                    "{} stages need at least {} workers, but there are {workers}",
                    input.stages, input.stages
                ),
            ));
        }
        Ok(Shape {
            coordinators: 0,
            fan_out: None,
            stage_workers: stage_workers(workers, input.stage_work),
            work_factor: 1.0,
        })
    }

    fn peak_load(s: &Scenario, p: &PatternParams) -> f64 {
        let total: f64 = s.stage_work.iter().sum();
        // With LLM calls each stage is a call of its own: a first token, then its share of
        // the rest of the request's work.
        let ttft = s
            .llm
            .as_ref()
            .and_then(|l| l.latency)
            .map_or(0.0, |t| t.ttft);
        let (mean, stages) = (s.service.mean(), s.stage_work.len() as f64);
        let mut first = 0;
        p.stage_workers
            .iter()
            .zip(&s.stage_work)
            .map(|(&n, &w)| {
                let speed: f64 = p.speeds[first..first + n as usize].iter().sum();
                first += n as usize;
                if ttft > 0.0 {
                    let share = (ttft + (mean - ttft).max(0.0) * w / total)
                        / (mean + (stages - 1.0) * ttft);
                    s.rate * p.work_per_request * share / speed
                } else {
                    s.rate * p.work_per_request * w / total / speed
                }
            })
            .fold(p.load, f64::max)
    }

    fn bottleneck(s: &Scenario, p: &PatternParams) -> String {
        format!(
            "a stage (workers per stage {:?} for stage work {:?})",
            p.stage_workers, s.stage_work
        )
    }

    fn new(s: &Scenario, p: &PatternParams, _seed: u64) -> (Self, Layout) {
        let mut stages = Vec::with_capacity(p.stage_workers.len());
        let mut stage_of = Vec::new();
        let mut first = 0;
        for (i, &n) in p.stage_workers.iter().enumerate() {
            stages.push(Stage {
                first,
                end: first + n,
                waiting: 0,
                blocked: VecDeque::new(),
            });
            stage_of.extend(std::iter::repeat_n(i as u16, n as usize));
            first += n;
        }
        let total: f64 = s.stage_work.iter().sum();
        let state = Pipeline {
            shares: s.stage_work.iter().map(|w| w / total).collect(),
            stages,
            stage_of,
            workers: (0..p.workers).map(|_| Worker::default()).collect(),
            limit: match s.buffer {
                Buffer::Items(n) => Some(n),
                Buffer::Unbounded => None,
            },
            checkpoint_frequency: s.checkpoint_frequency,
        };
        let layout = Layout {
            samplers: s
                .stage_work
                .iter()
                .map(|w| s.service.scaled(w / total).sampler())
                .collect(),
            dispatchers: s.stages as usize,
            coordinator: false,
            shared: false,
            view_loads: false,
        };
        (state, layout)
    }

    fn admit(&mut self, core: Ctx, request: u32, _entry: f64) {
        self.enter_stage(core, request, 0);
    }

    fn dispatch(&mut self, core: Ctx, part: u32, _hedge: bool) {
        self.stage_send(core, part);
    }

    /// A stage is done: on to the next, or the request is complete.
    fn part_done(&mut self, core: Ctx, request: u32, stage: u32) {
        if stage as usize + 1 == self.stages.len() {
            core.resolve(request, Outcome::Complete);
        } else {
            self.enter_stage(core, request, stage as usize + 1);
        }
    }

    fn on_event(&mut self, _core: Ctx, _event: ()) {}

    fn queued(&mut self, agent: u32) {
        let s = self.stage_of[agent as usize] as usize;
        self.stages[s].waiting += 1;
    }

    fn dropped(&mut self, agent: u32) {
        let s = self.stage_of[agent as usize] as usize;
        self.stages[s].waiting -= 1;
    }

    /// A worker took a queued item into service (or it was cancelled): one fewer waiting at
    /// its stage, so upstream workers blocked on it may pass theirs on.
    fn dequeued(&mut self, core: Ctx, agent: u32) {
        self.dropped(agent);
        self.unblock_stage_of(core, agent);
    }

    /// Idle now, whatever freed it (an answer, a zombie, redone work, a repair): the workers
    /// upstream blocked on its stage may pass their items on.
    fn idle(&mut self, core: Ctx, agent: u32) {
        self.unblock_stage_of(core, agent);
    }

    fn holds(&self, agent: u32) -> bool {
        self.workers[agent as usize].held.is_some()
    }

    fn redo(&mut self, agent: u32) -> f64 {
        std::mem::take(&mut self.workers[agent as usize].replay)
    }

    /// Counts the item towards the worker's next checkpoint, and holds it if the next stage
    /// is closed.
    fn served(&mut self, core: Ctx, agent: u32, attempt: u32) -> bool {
        let part = core.attempts[attempt as usize].part;
        let work = core.parts[part as usize].work;
        let every = self.checkpoint_frequency;
        let w = &mut self.workers[agent as usize];
        w.since_checkpoint += 1;
        w.checkpoint_work += work;
        if w.since_checkpoint >= every {
            w.since_checkpoint = 0;
            w.checkpoint_work = 0.0;
        }
        let stage = self.stage_of[agent as usize] as usize;
        if stage + 1 == self.stages.len() || !self.stage_closed(core, stage + 1) {
            return false;
        }
        self.workers[agent as usize].held = Some(attempt);
        core.attempts[attempt as usize].place = Place::Held;
        self.stages[stage + 1].blocked.push_back(agent);
        true
    }

    /// The failed worker's held item is lost too; its lost items no longer wait at its stage,
    /// it no longer waits for the next, and it will redo the work since its last checkpoint
    /// (including a redo this failure interrupted; no checkpoint is taken meanwhile).
    fn agent_failed(&mut self, core: Ctx, agent: u32, lost: &mut Vec<u32>) {
        let w = &mut self.workers[agent as usize];
        if let Some(held) = w.held.take() {
            lost.push(held);
        }
        let queued = lost
            .iter()
            .filter(|&&a| core.attempts[a as usize].place == Place::Queued)
            .count() as u32;
        let stage = self.stage_of[agent as usize] as usize;
        self.stages[stage].waiting -= queued;
        if let Some(next) = self.stages.get_mut(stage + 1) {
            next.blocked.retain(|&a| a != agent);
        }
        let w = &mut self.workers[agent as usize];
        w.replay = w.checkpoint_work;
    }
}

/// A worker that could take an item now.
fn idle(agent: &Agent, worker: &Worker) -> bool {
    agent.serving.is_none() && worker.held.is_none() && agent.queue.is_empty()
}

impl Pipeline {
    fn full(&self, stage: usize) -> bool {
        stage > 0 && self.limit.is_some_and(|b| self.stages[stage].waiting >= b)
    }

    /// True when an item cannot enter `stage` now: its buffer is full and no worker is idle
    /// and up. Breakers are left out: they change with time, and a blocked worker must hear of
    /// every change; an item handed to a stage whose idle workers are all ejected fails fast.
    fn stage_closed(&self, core: &Core<'_, ()>, stage: usize) -> bool {
        self.full(stage)
            && !(self.stages[stage].first..self.stages[stage].end).any(|a| {
                let ag = &core.agents[a as usize];
                idle(ag, &self.workers[a as usize]) && ag.outages == 0
            })
    }

    /// The request's work for `stage` goes to a worker there.
    fn enter_stage(&mut self, core: Ctx, request: u32, stage: usize) {
        let work = core.share(request, stage as u32, self.shares[stage]);
        let part = core.new_part(request, stage as u32, stage as u32, work);
        self.stage_send(core, part);
    }

    /// Sends a stage's item to one of its workers; with the buffer full, only an idle one.
    fn stage_send(&mut self, core: Ctx, part: u32) {
        let r = &core.parts[part as usize];
        let (stage, request) = (r.index as usize, r.request);
        let (first, end) = (self.stages[stage].first, self.stages[stage].end);
        let candidates = &core.all_agents[first as usize..end as usize];
        let picked = if self.full(stage) {
            let workers = &self.workers;
            core.pick_where(
                stage,
                candidates,
                request,
                None,
                Some(|c: u32, agents: &[Agent], _: &[u64]| {
                    idle(&agents[c as usize], &workers[c as usize])
                }),
            )
        } else {
            core.pick(stage, candidates, request)
        };
        match picked {
            Some(agent) => core.send(self, part, agent, 0.0, false),
            None => core.no_agent(self, part),
        }
    }

    fn unblock_stage_of(&mut self, core: Ctx, agent: u32) {
        let stage = self.stage_of[agent as usize] as usize;
        self.unblock(core, stage);
    }

    /// Lets upstream workers blocked on `stage` pass their items on while there is room.
    fn unblock(&mut self, core: Ctx, stage: usize) {
        while !self.stage_closed(core, stage) {
            let Some(up) = self.stages[stage].blocked.pop_front() else {
                break;
            };
            let held = self.workers[up as usize]
                .held
                .take()
                .expect("a blocked worker holds an item");
            core.attempts[held as usize].place = Place::Serving;
            core.attempt_succeeded(self, held);
            core.next_job(self, up);
            self.unblock(core, stage - 1);
        }
    }
}
