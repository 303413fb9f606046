//! pipeline: stages in series, each with its own workers (contiguous agent ids) and its own
//! work draw. Between stages a bounded buffer: when it is full and no worker of the next stage
//! is idle, the upstream worker holds its finished item and waits (blocking after service).
//!
//! Failures fail fast, the catalog's `error_propagation_strategy`: an item lost with its
//! worker fails its task unless `--retry` is set. A worker keeps a checkpoint every
//! `checkpoint_frequency` items; after a failure it redoes the work done since the last one.

use std::collections::VecDeque;

use super::scenario::Buffer;
use super::world::{Agent, Place, Topology, World};

#[derive(Debug)]
pub(crate) struct Stage {
    pub first: u32,
    pub end: u32,
    /// Items queued at this stage's workers, not yet in service.
    pub waiting: u32,
    /// Upstream workers holding an item for this stage, in the order they blocked.
    pub blocked: VecDeque<u32>,
}

#[derive(Debug)]
pub(crate) struct Stages {
    pub stages: Vec<Stage>,
    pub stage_of: Vec<u16>,
    /// Items a stage may hold waiting; `None` is unbounded. The first stage is never bounded:
    /// arrivals queue rather than wait outside.
    pub limit: Option<u32>,
}

impl Stages {
    pub fn new(workers: &[u32], buffer: Buffer) -> Self {
        let mut stages = Vec::with_capacity(workers.len());
        let mut stage_of = Vec::new();
        let mut first = 0;
        for (i, &n) in workers.iter().enumerate() {
            stages.push(Stage {
                first,
                end: first + n,
                waiting: 0,
                blocked: VecDeque::new(),
            });
            stage_of.extend(std::iter::repeat_n(i as u16, n as usize));
            first += n;
        }
        Stages {
            stages,
            stage_of,
            limit: match buffer {
                Buffer::Items(n) => Some(n),
                Buffer::Unbounded => None,
            },
        }
    }

    pub fn waiting_added(&mut self, agent: u32) {
        let s = self.stage_of[agent as usize] as usize;
        self.stages[s].waiting += 1;
    }

    pub fn waiting_removed(&mut self, agent: u32) {
        let s = self.stage_of[agent as usize] as usize;
        self.stages[s].waiting -= 1;
    }

    fn full(&self, stage: usize) -> bool {
        stage > 0 && self.limit.is_some_and(|b| self.stages[stage].waiting >= b)
    }
}

/// A worker that could take an item now.
fn idle(agent: &Agent) -> bool {
    agent.serving.is_none() && agent.blocked.is_none() && agent.queue.is_empty()
}

impl World<'_> {
    fn stages(&self) -> &Stages {
        match &self.topology {
            Topology::Pipeline(stages) => stages,
            _ => unreachable!("pipeline state exists only in a pipeline"),
        }
    }

    fn stages_mut(&mut self) -> &mut Stages {
        match &mut self.topology {
            Topology::Pipeline(stages) => stages,
            _ => unreachable!("pipeline state exists only in a pipeline"),
        }
    }

    /// True when an item cannot enter `stage` now: its buffer is full and no worker is idle
    /// and up. Breakers are left out: they change with time, and a blocked worker must hear of
    /// every change; an item handed to a stage whose idle workers are all ejected fails fast.
    fn stage_closed(&self, stage: usize) -> bool {
        let st = self.stages();
        st.full(stage)
            && !(st.stages[stage].first..st.stages[stage].end).any(|a| {
                let ag = &self.agents[a as usize];
                idle(ag) && ag.outages == 0
            })
    }

    pub(super) fn pipeline_admit(&mut self, task: u32) {
        self.enter_stage(task, 0);
    }

    /// Draws the task's work for `stage` and hands it to a worker there.
    fn enter_stage(&mut self, task: u32, stage: usize) {
        let request = self.new_request(task, stage as u32, stage as u32);
        self.stage_send(request);
    }

    /// Sends a stage's item to one of its workers; with the buffer full, only an idle one.
    pub(super) fn stage_send(&mut self, request: u32) {
        let r = &self.requests[request as usize];
        let (stage, task) = (r.part as usize, r.task);
        let (first, end, full) = {
            let st = self.stages();
            (st.stages[stage].first, st.stages[stage].end, st.full(stage))
        };
        let candidates = &self.all_agents[first as usize..end as usize];
        let picked = if full {
            self.pick_where(
                stage,
                candidates,
                task,
                None,
                Some(|c: u32, agents: &[Agent], _: &[u64]| idle(&agents[c as usize])),
            )
        } else {
            self.pick(stage, candidates, task)
        };
        match picked {
            Some(agent) => self.send(request, agent, 0.0, false),
            None => self.no_agent(request),
        }
    }

    /// A stage is done: on to the next, or the task is complete.
    pub(super) fn stage_done(&mut self, task: u32, stage: u32) {
        if stage as usize + 1 == self.stages().stages.len() {
            self.resolve(task, true);
        } else {
            self.enter_stage(task, stage as usize + 1);
        }
    }

    /// Counts an item towards the worker's next checkpoint.
    pub(super) fn checkpoint(&mut self, agent: u32, request: u32) {
        let every = self.s.checkpoint_frequency;
        let work = self.requests[request as usize].work;
        let ag = &mut self.agents[agent as usize];
        ag.since_checkpoint += 1;
        ag.checkpoint_work += work;
        if ag.since_checkpoint >= every {
            ag.since_checkpoint = 0;
            ag.checkpoint_work = 0.0;
        }
    }

    /// Holds a served item if the next stage is closed; true if the worker is now blocked.
    pub(super) fn pipeline_holds(&mut self, agent: u32, attempt: u32) -> bool {
        let stage = self.stages().stage_of[agent as usize] as usize;
        if stage + 1 == self.stages().stages.len() || !self.stage_closed(stage + 1) {
            return false;
        }
        self.agents[agent as usize].blocked = Some(attempt);
        self.attempts[attempt as usize].place = Place::Held;
        self.stages_mut().stages[stage + 1].blocked.push_back(agent);
        true
    }

    pub(super) fn unblock_stage_of(&mut self, agent: u32) {
        let stage = self.stages().stage_of[agent as usize] as usize;
        self.unblock(stage);
    }

    /// A worker took a queued item into service: one fewer waiting at its stage.
    pub(super) fn pipeline_left_queue(&mut self, agent: u32) {
        self.stages_mut().waiting_removed(agent);
        self.unblock_stage_of(agent);
    }

    /// Lets upstream workers blocked on `stage` pass their items on while there is room.
    fn unblock(&mut self, stage: usize) {
        while !self.stage_closed(stage) {
            let Some(up) = self.stages_mut().stages[stage].blocked.pop_front() else {
                break;
            };
            let held = self.agents[up as usize]
                .blocked
                .take()
                .expect("a blocked worker holds an item");
            self.attempts[held as usize].place = Place::Serving;
            self.attempt_succeeded(held);
            self.next_job(up);
            self.unblock(stage - 1);
        }
    }

    /// A worker failed with these attempts: they no longer wait at its stage, and it no
    /// longer waits for the next.
    pub(super) fn pipeline_agent_lost(&mut self, agent: u32, lost: &[u32]) {
        let queued = lost
            .iter()
            .filter(|&&a| self.attempts[a as usize].place == Place::Queued)
            .count() as u32;
        let st = self.stages_mut();
        let stage = st.stage_of[agent as usize] as usize;
        st.stages[stage].waiting -= queued;
        if let Some(next) = st.stages.get_mut(stage + 1) {
            next.blocked.retain(|&a| a != agent);
        }
    }
}
