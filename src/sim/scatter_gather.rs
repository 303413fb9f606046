//! scatter_gather: a task fans out into k subtasks on distinct agents, each drawing its own
//! work. It completes when all return, or at the gather timeout with what it has (best
//! effort), failing if more than the failure threshold of subtasks are missing or failed.
//! With `--hedge-after-quantile Q`, a subtask not back by the Q-quantile of recent subtask
//! latency gets a second copy on another agent; the first answer wins, the other is cancelled.

use std::collections::VecDeque;

use super::balancer::View;
use super::events::Kind;
use super::world::{Agent, Topology, World, available};

#[derive(Debug)]
pub(crate) struct Gather {
    /// `mark[agent] == stamp` when the agent already has a subtask of the task being scattered.
    mark: Vec<u64>,
    /// Unresolved tasks in arrival order, so gather deadlines come in order: (slot, task index).
    pending: VecDeque<(u32, u64)>,
    check_scheduled: bool,
    /// The agents picked for the task being scattered, and its requests, reused.
    picked: Vec<u32>,
    requests: Vec<u32>,
}

impl Gather {
    pub fn new(agents: usize) -> Self {
        Gather {
            mark: vec![0; agents],
            pending: VecDeque::new(),
            check_scheduled: false,
            picked: Vec::new(),
            requests: Vec::new(),
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

    fn fan_out(&self) -> u32 {
        self.p.fan_out.expect("scatter_gather has a fan-out")
    }

    pub(super) fn scatter(&mut self, task: u32) {
        let k = self.fan_out();
        let index = self.tasks[task as usize].index;
        let stamp = index + 1;
        let candidates = self.all_agents;
        let kind_bit = 1u64 << self.tasks[task as usize].kind;
        let World {
            agents,
            breakers,
            balancers,
            routing,
            load,
            speed,
            caps,
            s,
            now,
            restricted,
            topology,
            ..
        } = self;
        let Topology::ScatterGather(g) = topology else {
            unreachable!("scatter runs only for scatter_gather");
        };
        let config = &s.resilience.circuit_breaker;
        balancers[0].pick_distinct(
            candidates,
            k as usize,
            |c| available(&agents[c as usize], &breakers[c as usize], config, *now),
            *restricted == 0,
            &View {
                load,
                speed,
                capabilities: caps,
            },
            kind_bit,
            routing,
            &mut g.mark,
            stamp,
            &mut g.picked,
        );
        let mut picked = std::mem::take(&mut g.picked);
        let mut requests = std::mem::take(&mut g.requests);
        // Every request exists before any is sent: a refusal can resolve the task, which must
        // then still count its other subtasks as outstanding.
        requests.extend((0..k).map(|part| self.new_request(task, part, 0)));
        for (part, &request) in requests.iter().enumerate() {
            if self.tasks[task as usize].resolved {
                // Refusals already failed the task: the rest of its subtasks are not sent.
                self.request_failed(request);
                continue;
            }
            match picked.get(part) {
                Some(&agent) => {
                    self.send(request, agent, 0.0, false);
                    self.schedule_hedge(request);
                }
                // Fewer agents available than subtasks: the rest are refused at once.
                None => self.no_agent(request),
            }
        }
        picked.clear();
        requests.clear();
        let g = self.gather();
        g.picked = picked;
        g.requests = requests;
        let deadline = self.now + self.s.gather_timeout;
        let g = self.gather();
        g.pending.push_back((task, index));
        if !g.check_scheduled {
            g.check_scheduled = true;
            self.events.schedule(deadline, Kind::GatherCheck);
        }
    }

    /// Schedules a hedge check for a request just sent, unless it already ended (refused).
    fn schedule_hedge(&mut self, request: u32) {
        if let Some(after) = self.hedge_latency.as_ref().and_then(|q| q.value())
            && let Some(r) = self.requests.get(request as usize)
        {
            let serial = r.serial;
            self.events
                .schedule(self.now + after, Kind::Hedge { request, serial });
        }
    }

    /// Sends a retry, or a hedge copy to an agent other than the one with the first copy.
    pub(super) fn subtask_send(&mut self, request: u32, hedge: bool) {
        let r = &self.requests[request as usize];
        let task = r.task;
        let first = hedge.then(|| self.attempts[r.live[0] as usize].agent);
        let candidates = self.all_agents;
        let picked = match first {
            Some(first) => self.pick_where(
                0,
                candidates,
                task,
                None,
                Some(move |c: u32, _: &[Agent], _: &[u64]| c != first),
            ),
            None => self.pick(0, candidates, task),
        };
        match (picked, hedge) {
            (Some(agent), _) => self.send(request, agent, 0.0, hedge),
            (None, false) => self.no_agent(request),
            (None, true) => {}
        }
    }

    pub(super) fn subtask_done(&mut self, task: u32) {
        self.gather_progress(task);
    }

    pub(super) fn subtask_failed(&mut self, task: u32) {
        self.gather_progress(task);
    }

    /// After a subtask ends: the task fails once too many have failed, and completes once all
    /// have ended with few enough failures.
    fn gather_progress(&mut self, task: u32) {
        let k = self.fan_out();
        let t = &self.tasks[task as usize];
        if t.resolved {
            self.release(task);
            return;
        }
        let (done, failed) = (t.done, t.failed);
        if f64::from(failed) / f64::from(k) > self.s.failure_threshold {
            self.resolve(task, false);
        } else if done + failed == k {
            self.gathered(task, done, k);
        } else {
            return;
        }
        self.trim_pending();
    }

    /// Completes a task with `done` of its `k` subtasks, recording the completeness.
    fn gathered(&mut self, task: u32, done: u32, k: u32) {
        if self.tasks[task as usize].measured {
            self.rec.completeness(f64::from(done) / f64::from(k));
        }
        self.resolve(task, true);
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
            let k = self.fan_out();
            let done = self.tasks[task as usize].done;
            // Late and failed subtasks alike count as missing.
            if f64::from(k - done) / f64::from(k) <= self.s.failure_threshold {
                self.gathered(task, done, k);
            } else {
                self.resolve(task, false);
            }
        }
    }
}
