//! scatter_gather: a task fans out into k subtasks on distinct agents, each drawing its own
//! work. It completes when all return, or at the gather timeout with what it has (best
//! effort), failing if more than the failure threshold of subtasks are missing.

use std::collections::VecDeque;

use super::balancer::View;
use super::events::Kind;
use super::world::{Topology, World};

#[derive(Debug)]
pub(crate) struct Gather {
    /// `mark[agent] == stamp` when the agent already has a subtask of the task being scattered.
    mark: Vec<u64>,
    /// Unresolved tasks in arrival order, so gather deadlines come in order: (slot, task index).
    pending: VecDeque<(u32, u64)>,
    check_scheduled: bool,
    /// The agents picked for the task being scattered, reused.
    picked: Vec<u32>,
}

impl Gather {
    pub fn new(agents: usize) -> Self {
        Gather {
            mark: vec![0; agents],
            pending: VecDeque::new(),
            check_scheduled: false,
            picked: Vec::new(),
        }
    }
}

impl World<'_> {
    fn gather(&mut self) -> &mut Gather {
        match &mut self.topology {
            Topology::ScatterGather(g) => g,
            _ => unreachable!("gather state exists only in scatter_gather"),
        }
    }

    pub(super) fn scatter(&mut self, task: u32) {
        let k = self.p.fan_out.expect("scatter_gather has a fan-out");
        let index = self.tasks[task as usize].index;
        let stamp = index + 1;
        let candidates = self.all_agents;
        let Topology::ScatterGather(g) = &mut self.topology else {
            unreachable!("scatter runs only for scatter_gather");
        };
        let kind_bit = 1u64 << self.tasks[task as usize].kind;
        self.balancers[0].pick_distinct(
            candidates,
            k as usize,
            |_| true,
            true,
            &View {
                load: &self.load,
                speed: &self.speed,
                capabilities: &self.caps,
            },
            kind_bit,
            &mut self.routing,
            &mut g.mark,
            stamp,
            &mut g.picked,
        );
        let mut picked = std::mem::take(&mut g.picked);
        for (part, &agent) in picked.iter().enumerate() {
            let job = self.new_job(task, part as u16, 0);
            self.enqueue(agent, job);
        }
        picked.clear();
        self.gather().picked = picked;
        let deadline = self.now + self.s.gather_timeout;
        let g = self.gather();
        g.pending.push_back((task, index));
        if !g.check_scheduled {
            g.check_scheduled = true;
            self.events.schedule(deadline, Kind::GatherCheck);
        }
    }

    pub(super) fn scatter_job_done(&mut self, agent: u32, job: u32) {
        self.load[agent as usize] -= 1;
        let task = self.finish_job(job);
        let k = self.p.fan_out.expect("scatter_gather has a fan-out");
        let t = &mut self.tasks[task as usize];
        t.done += 1;
        if !t.resolved && t.done == k {
            self.resolve(task, true);
            self.trim_pending();
        } else {
            self.release(task);
        }
        self.next_job(agent);
    }

    /// Drops resolved tasks from the front of the pending list, so it holds only the tasks
    /// still gathering (about arrival rate x latency of them), not every task of the timeout.
    fn trim_pending(&mut self) {
        while let Some(&(task, index)) = self.gather().pending.front() {
            let live = self
                .tasks
                .get(task as usize)
                .is_some_and(|t| t.index == index && !t.resolved);
            if live {
                break;
            }
            self.gather().pending.pop_front();
        }
    }

    /// Resolves every task whose gather deadline has passed, and waits for the next deadline.
    pub(super) fn on_gather_check(&mut self) {
        self.gather().check_scheduled = false;
        while let Some(&(task, index)) = self.gather().pending.front() {
            let live = self
                .tasks
                .get(task as usize)
                .is_some_and(|t| t.index == index && !t.resolved);
            if !live {
                self.gather().pending.pop_front();
                continue;
            }
            let deadline = self.tasks[task as usize].arrival + self.s.gather_timeout;
            if deadline > self.now {
                self.gather().check_scheduled = true;
                self.events.schedule(deadline, Kind::GatherCheck);
                break;
            }
            self.gather().pending.pop_front();
            let k = self.p.fan_out.expect("scatter_gather has a fan-out");
            let missing = k - self.tasks[task as usize].done;
            let success = f64::from(missing) / f64::from(k) <= self.s.failure_threshold;
            self.resolve(task, success);
        }
    }
}
