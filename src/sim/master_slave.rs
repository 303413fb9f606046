//! master_slave: every task queues at the master, which spends `--dispatch-overhead` on it,
//! then hands it to a worker: at once (`--queue per-agent`) or when one is idle (`shared`).
//!
//! When the master fails, dispatch stops and tasks wait in its (persistent) backlog until the
//! failure is detected (the catalog's `failure_detection_timeout`) and the designated backup,
//! the first available worker, takes over; that worker leaves the pool until the master is back.
//! If the backup fails too, dispatch stops again until the next worker takes over. Retries go
//! back through the master's backlog like new work.

use super::balancer::BalancerKind;
use super::events::Kind;
use super::world::{Agent, MASTER, Topology, World, available};

impl World<'_> {
    pub(super) fn master_admit(&mut self, task: u32) {
        let request = self.new_request(task, 0, 0);
        self.master_enqueue(request);
    }

    /// A request, new or retried, waits for the master to dispatch it.
    pub(super) fn master_enqueue(&mut self, request: u32) {
        if let Topology::MasterSlave { backlog, .. } = &mut self.topology {
            backlog.push_back(request);
        }
        self.master_try_dispatch();
    }

    /// Whether the master, or a backup standing in for it, can hand out work.
    fn master_can_dispatch(&self) -> bool {
        matches!(&self.topology, Topology::MasterSlave { up, backup, .. } if *up || backup.is_some())
    }

    /// Dispatches from the backlog while the master (or its backup) is up and free.
    fn master_try_dispatch(&mut self) {
        let overhead = self.s.dispatch_overhead;
        loop {
            let Topology::MasterSlave {
                backlog,
                dispatching,
                dispatch_started,
                generation,
                up,
                backup,
                ..
            } = &mut self.topology
            else {
                unreachable!("master_try_dispatch runs only for master_slave");
            };
            if *dispatching || backlog.is_empty() || !(*up || backup.is_some()) {
                return;
            }
            if overhead > 0.0 {
                *dispatching = true;
                *dispatch_started = self.now;
                let generation = *generation;
                self.events
                    .schedule(self.now + overhead, Kind::DispatchEnd { generation });
                return;
            }
            let request = backlog.pop_front().expect("the backlog is not empty");
            self.master_send(request);
        }
    }

    pub(super) fn on_dispatch_end(&mut self, generation: u32) {
        let Topology::MasterSlave {
            backlog,
            dispatching,
            dispatch_started,
            generation: current,
            busy,
            ..
        } = &mut self.topology
        else {
            unreachable!("dispatch ends only in master_slave");
        };
        if generation != *current {
            return;
        }
        let request = backlog.pop_front().expect("a dispatch end has a request");
        *busy += self.rec.overlap(*dispatch_started, self.now);
        *dispatching = false;
        self.master_send(request);
        self.master_try_dispatch();
    }

    /// Sends a request to a worker, or keeps it at the master for an idle one (`--queue shared`).
    pub(super) fn master_send(&mut self, request: u32) {
        let task = self.requests[request as usize].task;
        let candidates = self.all_agents;
        if !matches!(
            self.topology,
            Topology::MasterSlave {
                shared: Some(_),
                ..
            }
        ) {
            match self.pick(0, candidates, task) {
                Some(agent) => self.send(request, agent, 0.0, false),
                None => self.no_agent(request),
            }
            return;
        }
        // Late binding: only an idle worker may take the task; else it waits at the master.
        // A capability-aware balancer keeps it for a worker with its kind, if one exists.
        let kind_bit = 1u64 << self.tasks[task as usize].kind;
        let keep_kinds = self.balancers[0].kind == BalancerKind::CapabilityBased
            && self.kinds_served & kind_bit != 0;
        let idle = |c: u32, agents: &[Agent], caps: &[u64]| {
            agents[c as usize].serving.is_none()
                && agents[c as usize].queue.is_empty()
                && (!keep_kinds || caps[c as usize] & kind_bit != 0)
        };
        match self.pick_where(0, candidates, task, None, Some(idle)) {
            Some(agent) => self.send(request, agent, 0.0, false),
            None if (0..self.agents.len() as u32).any(|c| {
                available(
                    &self.agents[c as usize],
                    &self.breakers[c as usize],
                    &self.s.resilience.circuit_breaker,
                    self.now,
                )
            }) =>
            {
                if let Topology::MasterSlave {
                    shared: Some(waiting),
                    ..
                } = &mut self.topology
                {
                    waiting.push_back(request);
                }
            }
            None => self.no_agent(request),
        }
    }

    /// A worker is free (`--queue shared`): it takes the first waiting request it should serve.
    pub(super) fn master_worker_free(&mut self, agent: u32) {
        let a = agent as usize;
        if !self.master_can_dispatch()
            || !available(
                &self.agents[a],
                &self.breakers[a],
                &self.s.resilience.circuit_breaker,
                self.now,
            )
            || self.agents[a].outages > 0
        {
            return;
        }
        let capability = self.balancers[0].kind == BalancerKind::CapabilityBased;
        let caps = self.caps[a];
        let (requests, tasks, served) = (&self.requests, &self.tasks, self.kinds_served);
        let Topology::MasterSlave {
            shared: Some(waiting),
            ..
        } = &mut self.topology
        else {
            return;
        };
        // A capability-aware master gives it the first task it can serve, or a task no worker
        // can serve; the others wait for a worker with their kind.
        let next = if capability {
            waiting
                .iter()
                .position(|&r| {
                    let bit = 1u64 << tasks[requests[r as usize].task as usize].kind;
                    caps & bit != 0 || served & bit == 0
                })
                .and_then(|i| waiting.remove(i))
        } else {
            waiting.pop_front()
        };
        if let Some(request) = next {
            self.send(request, agent, 0.0, false);
        }
    }

    /// Idle workers take the requests waiting at the master (`--queue shared`), once dispatch
    /// resumes or a worker becomes available again.
    pub(super) fn master_wake_idle(&mut self) {
        if !matches!(
            self.topology,
            Topology::MasterSlave {
                shared: Some(_),
                ..
            }
        ) {
            return;
        }
        for agent in 0..self.agents.len() as u32 {
            let ag = &self.agents[agent as usize];
            if ag.serving.is_none() && ag.queue.is_empty() && ag.outages == 0 {
                self.master_worker_free(agent);
            }
        }
    }

    /// The master (or its backup) stops: a dispatch under way is abandoned, its request stays
    /// at the head of the backlog.
    fn master_stop_dispatch(&mut self) {
        let Topology::MasterSlave {
            dispatching,
            dispatch_started,
            generation,
            busy,
            ..
        } = &mut self.topology
        else {
            return;
        };
        *generation += 1;
        if *dispatching {
            *dispatching = false;
            *busy += self.rec.overlap(*dispatch_started, self.now);
        }
    }

    /// The worker standing in for the master failed: dispatch stops until the failure is
    /// detected and the next worker takes over.
    pub(super) fn backup_failed(&mut self, agent: u32) {
        let detection = self.s.failure_detection_timeout;
        let Topology::MasterSlave {
            backup,
            failed_at,
            episode,
            ..
        } = &mut self.topology
        else {
            return;
        };
        if *backup != Some(agent) {
            return;
        }
        *backup = None;
        *failed_at = self.now;
        let episode = *episode;
        self.agents[agent as usize].removed = false;
        self.restricted -= 1;
        self.master_stop_dispatch();
        self.events
            .schedule(self.now + detection, Kind::Takeover { episode });
    }

    pub(super) fn master_failed(&mut self, scripted: bool) {
        let detection = self.s.failure_detection_timeout;
        let Topology::MasterSlave {
            up,
            outages,
            episode,
            failed_at,
            clock,
            ..
        } = &mut self.topology
        else {
            unreachable!("only master_slave has a master");
        };
        *outages += 1;
        if !scripted && let Some(clock) = clock {
            let down = clock.down_time();
            self.events.schedule(
                self.now + down,
                Kind::Repair {
                    agent: MASTER,
                    scripted: false,
                },
            );
        }
        if *outages > 1 {
            return;
        }
        *up = false;
        *episode += 1;
        *failed_at = self.now;
        let episode = *episode;
        self.master_stop_dispatch();
        self.events
            .schedule(self.now + detection, Kind::Takeover { episode });
    }

    /// The master's failure is detected: the first available worker becomes the master.
    pub(super) fn on_takeover(&mut self, episode: u32) {
        let Topology::MasterSlave {
            up,
            episode: current,
            failed_at,
            ..
        } = &self.topology
        else {
            return;
        };
        if *up || *current != episode {
            return;
        }
        let failed_at = *failed_at;
        self.rec.detected(self.now, self.now - failed_at);
        let Some(backup) = (0..self.agents.len() as u32).find(|&c| {
            self.agents[c as usize].outages == 0
                && available(
                    &self.agents[c as usize],
                    &self.breakers[c as usize],
                    &self.s.resilience.circuit_breaker,
                    self.now,
                )
        }) else {
            // No worker can take over: dispatch waits for the master's repair.
            return;
        };
        self.agents[backup as usize].removed = true;
        self.restricted += 1;
        self.rec.no_dispatch(failed_at, self.now);
        if let Topology::MasterSlave { backup: b, .. } = &mut self.topology {
            *b = Some(backup);
        }
        self.master_try_dispatch();
        self.master_wake_idle();
    }

    pub(super) fn master_repaired(&mut self, scripted: bool) {
        let Topology::MasterSlave {
            up,
            outages,
            failed_at,
            backup,
            clock,
            ..
        } = &mut self.topology
        else {
            unreachable!("only master_slave has a master");
        };
        *outages -= 1;
        if !scripted && let Some(clock) = clock {
            let next = clock.up_time();
            self.events.schedule(
                self.now + next,
                Kind::Fail {
                    agent: MASTER,
                    scripted: false,
                },
            );
        }
        if *outages > 0 {
            return;
        }
        *up = true;
        let failed_at = *failed_at;
        match backup.take() {
            Some(b) => {
                self.agents[b as usize].removed = false;
                self.restricted -= 1;
                self.next_job(b);
            }
            None => self.rec.no_dispatch(failed_at, self.now),
        }
        self.master_try_dispatch();
        self.master_wake_idle();
    }
}
