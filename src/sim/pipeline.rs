//! pipeline: stages in series, each with its own workers (contiguous agent ids) and its own
//! work draw. Between stages a bounded buffer: when it is full and no worker of the next stage
//! is idle, the upstream worker holds its finished item and waits (blocking after service).

use std::collections::VecDeque;

use super::balancer::View;
use super::scenario::Buffer;
use super::world::{Topology, World};

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

    fn full(&self, stage: usize) -> bool {
        stage > 0 && self.limit.is_some_and(|b| self.stages[stage].waiting >= b)
    }
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

    fn idle(&self, agent: u32) -> bool {
        let a = &self.agents[agent as usize];
        a.serving.is_none() && a.blocked.is_none()
    }

    /// True when an item cannot enter `stage` now: its buffer is full and no worker is idle.
    fn stage_closed(&self, stage: usize) -> bool {
        let st = self.stages();
        st.full(stage) && !(st.stages[stage].first..st.stages[stage].end).any(|a| self.idle(a))
    }

    pub(super) fn pipeline_admit(&mut self, task: u32) {
        self.enter_stage(task, 0);
    }

    /// Draws the task's work for `stage` and hands it to a worker there; with the buffer full,
    /// only an idle worker may take it.
    fn enter_stage(&mut self, task: u32, stage: usize) {
        let job = self.new_job(task, stage as u16, stage as u32);
        let (first, end, full) = {
            let st = self.stages();
            (st.stages[stage].first, st.stages[stage].end, st.full(stage))
        };
        let candidates = &self.all_agents[first as usize..end as usize];
        let agent = if full {
            let agents = &self.agents;
            let kind_bit = 1u64 << self.tasks[task as usize].kind;
            self.balancers[stage]
                .pick(
                    candidates,
                    |c| {
                        let a = &agents[c as usize];
                        a.serving.is_none() && a.blocked.is_none()
                    },
                    false,
                    &View {
                        load: &self.load,
                        speed: &self.speed,
                        capabilities: &self.caps,
                    },
                    kind_bit,
                    &mut self.routing,
                )
                .expect("a closed stage is never entered")
        } else {
            self.pick(stage, candidates, task)
        };
        self.enqueue(agent, job);
    }

    pub(super) fn pipeline_job_done(&mut self, agent: u32, job: u32) {
        let stage = self.stages().stage_of[agent as usize] as usize;
        let last = stage + 1 == self.stages().stages.len();
        if !last && self.stage_closed(stage + 1) {
            self.agents[agent as usize].blocked = Some(job);
            self.stages_mut().stages[stage + 1].blocked.push_back(agent);
            return;
        }
        self.load[agent as usize] -= 1;
        let task = self.finish_job(job);
        if last {
            self.resolve(task, true);
        } else {
            self.enter_stage(task, stage + 1);
        }
        self.next_job(agent);
        self.unblock(stage);
    }

    /// A worker took a queued item into service: one fewer waiting at its stage.
    pub(super) fn pipeline_left_queue(&mut self, agent: u32) {
        let st = self.stages_mut();
        let stage = st.stage_of[agent as usize] as usize;
        st.stages[stage].waiting -= 1;
        self.unblock(stage);
    }

    /// Lets upstream workers blocked on `stage` pass their items on while there is room.
    fn unblock(&mut self, stage: usize) {
        while !self.stage_closed(stage) {
            let Some(up) = self.stages_mut().stages[stage].blocked.pop_front() else {
                break;
            };
            let job = self.agents[up as usize]
                .blocked
                .take()
                .expect("a blocked worker holds an item");
            self.load[up as usize] -= 1;
            let task = self.finish_job(job);
            self.enter_stage(task, stage);
            self.next_job(up);
            self.unblock(stage - 1);
        }
    }
}
