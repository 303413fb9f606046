//! master_slave: every task queues at the master, which spends `--dispatch-overhead` on it,
//! then hands it to a worker: at once (`--queue per-agent`) or when one is idle (`shared`).

use super::balancer::BalancerKind;
use super::events::Kind;
use super::world::{Topology, World};

impl World<'_> {
    pub(super) fn master_admit(&mut self, task: u32) {
        let overhead = self.s.dispatch_overhead;
        if overhead == 0.0 {
            self.master_dispatch(task);
            return;
        }
        let Topology::MasterSlave {
            backlog,
            dispatching,
            dispatch_started,
            ..
        } = &mut self.topology
        else {
            unreachable!("master_admit runs only for master_slave");
        };
        backlog.push_back(task);
        if !*dispatching {
            *dispatching = true;
            *dispatch_started = self.now;
            self.events.schedule(self.now + overhead, Kind::DispatchEnd);
        }
    }

    pub(super) fn on_dispatch_end(&mut self) {
        let overhead = self.s.dispatch_overhead;
        let Topology::MasterSlave {
            backlog,
            dispatching,
            dispatch_started,
            busy,
            ..
        } = &mut self.topology
        else {
            unreachable!("dispatch ends only in master_slave");
        };
        let task = backlog.pop_front().expect("a dispatch end has a task");
        *busy += self.rec.overlap(*dispatch_started, self.now);
        if backlog.is_empty() {
            *dispatching = false;
        } else {
            *dispatch_started = self.now;
            self.events.schedule(self.now + overhead, Kind::DispatchEnd);
        }
        self.master_dispatch(task);
    }

    fn master_dispatch(&mut self, task: u32) {
        let job = self.new_job(task, 0, 0);
        let candidates = self.all_agents;
        if let Topology::MasterSlave {
            shared: Some(waiting),
            ..
        } = &mut self.topology
        {
            // Late binding: only an idle worker may take the task; else it waits at the master.
            // A capability-aware balancer keeps it for a worker with its kind, if one exists.
            let agents = &self.agents;
            let caps = &self.caps;
            let view = super::balancer::View {
                load: &self.load,
                speed: &self.speed,
                capabilities: caps,
            };
            let kind_bit = 1u64 << self.tasks[task as usize].kind;
            let keep_kinds = self.balancers[0].kind == BalancerKind::CapabilityBased
                && self.kinds_served & kind_bit != 0;
            let idle = self.balancers[0].pick(
                candidates,
                |c| {
                    agents[c as usize].serving.is_none()
                        && (!keep_kinds || caps[c as usize] & kind_bit != 0)
                },
                false,
                &view,
                kind_bit,
                &mut self.routing,
            );
            match idle {
                Some(agent) => self.enqueue(agent, job),
                None => waiting.push_back(job),
            }
            return;
        }
        let agent = self.pick(0, candidates, task);
        self.enqueue(agent, job);
    }

    pub(super) fn master_job_done(&mut self, agent: u32, job: u32) {
        self.load[agent as usize] -= 1;
        let task = self.finish_job(job);
        self.resolve(task, true);
        if let Topology::MasterSlave {
            shared: Some(waiting),
            ..
        } = &mut self.topology
        {
            // A capability-aware master gives the freed worker the first task it can serve, or a
            // task no worker can serve; the others wait for a worker with their kind.
            let next = if self.balancers[0].kind == BalancerKind::CapabilityBased {
                let caps = self.caps[agent as usize];
                let (jobs, tasks, served) = (&self.jobs, &self.tasks, self.kinds_served);
                waiting
                    .iter()
                    .position(|&j| {
                        let bit = 1u64 << tasks[jobs[j as usize].task as usize].kind;
                        caps & bit != 0 || served & bit == 0
                    })
                    .and_then(|i| waiting.remove(i))
            } else {
                waiting.pop_front()
            };
            if let Some(next) = next {
                self.load[agent as usize] += 1;
                self.start(agent, next);
            }
            return;
        }
        self.next_job(agent);
    }
}
