//! scatter_gather: a request fans out into k shards on distinct agents, each doing 1/k of
//! its work (`--shard-work split`) or all of it (`full`, a search over k index shards). It
//! completes when all return, or at the gather timeout with what it has (a partial answer,
//! a miss of the objective unless `--accept-partial`), failing if more than the failure
//! threshold of shards are missing or failed. `--merge-work` is the requester's time to
//! merge the results, after the gather.
//! With `--hedge-after-quantile Q`, a shard not back by the Q-quantile of recent shard
//! latency gets a second copy on another agent; the first answer wins, the other is cancelled.

use std::collections::VecDeque;

use crate::sim::engine::{Agent, Core, Layout, Outcome, Pattern, Shape, ShapeInput};
use crate::sim::scenario::{
    DEFAULT_MAX_FAN_OUT, PatternParams, Scenario, ScenarioError, ShardWork, invalid,
};

/// The gatherer's own event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// The oldest unfinished request may have reached its gather timeout.
    GatherCheck,
}

pub(crate) struct ScatterGather {
    fan_out: u32,
    /// Each shard's share of the request's work.
    share: f64,
    /// `mark[agent] == stamp` when the agent already has a shard of the request being scattered.
    mark: Vec<u64>,
    /// Scatters so far: the stamp of the next.
    scatters: u64,
    /// Unresolved requests in scatter order, so gather deadlines come in order: (slot,
    /// generation, deadline).
    pending: VecDeque<(u32, u32, f64)>,
    check_scheduled: bool,
    /// The agents picked for the request being scattered, and its parts, reused.
    picked: Vec<u32>,
    parts: Vec<u32>,
}

type Ctx<'c, 'a> = &'c mut Core<'a, Event>;

impl Pattern for ScatterGather {
    type Event = Event;
    const HEDGES: bool = true;

    fn shape(input: &ShapeInput) -> Result<Shape, ScenarioError> {
        let workers = input.agents;
        let k = input.fan_out.unwrap_or(workers.min(DEFAULT_MAX_FAN_OUT));
        if k == 0 || k > workers {
            return Err(invalid(
                "--fan-out",
                format!("{k} is not between 1 and the {workers} agents available"),
            ));
        }
        Ok(Shape {
            coordinators: 0,
            fan_out: Some(k),
            stage_workers: Vec::new(),
            work_factor: match input.shard_work {
                ShardWork::Split => 1.0,
                ShardWork::Full => f64::from(k),
            },
        })
    }

    /// Each request puts a shard on k distinct agents, so an agent takes at most one shard
    /// per request: the best any balancer can do is the least possible load on the busiest
    /// agent under that limit (a fan-out over every agent gives each a shard of every
    /// request, and the slowest sets the pace).
    fn peak_load(s: &Scenario, p: &PatternParams) -> f64 {
        let k = p.fan_out.unwrap_or(1);
        let shard_mean = p.work_per_request / f64::from(k);
        p.load.max(s.rate * shard_mean * water_level(&p.speeds, k))
    }

    fn bottleneck(_s: &Scenario, p: &PatternParams) -> String {
        let k = p.fan_out.unwrap_or(1);
        if k == p.workers {
            format!(
                "the slowest agent (every request has a shard on each of the {} agents)",
                p.workers
            )
        } else {
            format!(
                "the busiest agent, with {k} shards per request spread over {} agents as evenly as their speeds allow",
                p.workers
            )
        }
    }

    fn new(s: &Scenario, p: &PatternParams, _seed: u64) -> (Self, Layout) {
        let k = p.fan_out.unwrap_or(1);
        let factor = match s.shard_work {
            ShardWork::Split => 1.0 / f64::from(k),
            ShardWork::Full => 1.0,
        };
        let state = ScatterGather {
            fan_out: k,
            share: factor,
            mark: vec![0; p.workers as usize],
            scatters: 0,
            pending: VecDeque::new(),
            check_scheduled: false,
            picked: Vec::new(),
            parts: Vec::new(),
        };
        let layout = Layout {
            samplers: vec![s.service.scaled(factor).sampler()],
            dispatchers: 1,
            coordinator: false,
            shared: false,
            view_loads: false,
        };
        (state, layout)
    }

    fn admit(&mut self, core: Ctx, request: u32, _entry: f64) {
        let k = self.fan_out;
        // A stamp per scatter, not per request: a request's later rounds scatter afresh.
        self.scatters += 1;
        let stamp = self.scatters;
        // Read now: a refusal below can resolve the request and free its slot.
        let generation = core.requests[request as usize].generation;
        let candidates = core.all_agents;
        let mut picked = std::mem::take(&mut self.picked);
        core.pick_distinct(
            0,
            candidates,
            k as usize,
            request,
            &mut self.mark,
            stamp,
            &mut picked,
        );
        let mut parts = std::mem::take(&mut self.parts);
        // Every part exists before any is sent: a refusal can resolve the request, which
        // must then still count its other shards as outstanding.
        for i in 0..k {
            let work = core.share(request, i, self.share);
            parts.push(core.new_part(request, i, 0, work));
        }
        for (i, &part) in parts.iter().enumerate() {
            if core.requests[request as usize].over() {
                // Refusals already failed the request: the rest of its shards are not sent.
                core.part_failed(self, part);
                continue;
            }
            match picked.get(i) {
                Some(&agent) => {
                    core.send(self, part, agent, 0.0, false);
                    core.schedule_hedge(part);
                }
                // Fewer agents available than shards: the rest are refused at once.
                None => core.no_agent(self, part),
            }
        }
        picked.clear();
        parts.clear();
        self.picked = picked;
        self.parts = parts;
        let deadline = core.now + core.s.gather_timeout;
        self.pending.push_back((request, generation, deadline));
        if !self.check_scheduled {
            self.check_scheduled = true;
            core.schedule(deadline, Event::GatherCheck);
        }
    }

    /// Sends a retry, or a hedge copy to an agent other than the one with the first copy.
    fn dispatch(&mut self, core: Ctx, part: u32, hedge: bool) {
        let r = &core.parts[part as usize];
        let request = r.request;
        let first = hedge.then(|| core.attempts[r.live[0] as usize].agent);
        let candidates = core.all_agents;
        let picked = match first {
            Some(first) => core.pick_where(
                0,
                candidates,
                request,
                None,
                Some(move |c: u32, _: &[Agent], _: &[u64]| c != first),
            ),
            None => core.pick(0, candidates, request),
        };
        match (picked, hedge) {
            (Some(agent), _) => core.send(self, part, agent, 0.0, hedge),
            (None, false) => core.no_agent(self, part),
            (None, true) => {}
        }
    }

    fn part_done(&mut self, core: Ctx, request: u32, _index: u32) {
        self.progress(core, request);
    }

    fn part_failed(&mut self, core: Ctx, request: u32) {
        self.progress(core, request);
    }

    fn on_event(&mut self, core: Ctx, event: Event) {
        match event {
            Event::GatherCheck => self.on_gather_check(core),
        }
    }
}

impl ScatterGather {
    /// After a shard ends: the request fails once too many have failed, and completes once
    /// all have ended with few enough failures.
    fn progress(&mut self, core: Ctx, request: u32) {
        let k = self.fan_out;
        let t = &core.requests[request as usize];
        if t.resolved {
            core.release(request);
            return;
        }
        if t.settled {
            return;
        }
        let (done, failed) = (t.done, t.failed);
        if f64::from(failed) / f64::from(k) > core.s.failure_threshold {
            core.resolve(request, Outcome::Failed);
        } else if done + failed == k {
            gathered(core, request, done, k);
        } else {
            return;
        }
        self.trim_pending(core);
    }

    /// Drops resolved requests from the front of the pending list, so it holds only those
    /// still gathering (about arrival rate x latency of them), not every one of the timeout.
    fn trim_pending(&mut self, core: &Core<'_, Event>) {
        while let Some(&(request, generation, _)) = self.pending.front() {
            if live(core, request, generation) {
                break;
            }
            self.pending.pop_front();
        }
    }

    /// Resolves every request whose gather deadline has passed, and waits for the next one.
    fn on_gather_check(&mut self, core: Ctx) {
        self.check_scheduled = false;
        while let Some(&(request, generation, deadline)) = self.pending.front() {
            if !live(core, request, generation) {
                self.pending.pop_front();
                continue;
            }
            if deadline > core.now {
                self.check_scheduled = true;
                core.schedule(deadline, Event::GatherCheck);
                break;
            }
            self.pending.pop_front();
            let k = self.fan_out;
            let done = core.requests[request as usize].done;
            // Late and failed shards alike count as missing.
            if f64::from(k - done) / f64::from(k) <= core.s.failure_threshold {
                gathered(core, request, done, k);
            } else {
                core.resolve(request, Outcome::Failed);
            }
        }
    }
}

/// Whether the request in `slot` is still the one of `index`, and still gathering.
fn live(core: &Core<'_, Event>, slot: u32, generation: u32) -> bool {
    core.requests
        .get(slot as usize)
        .is_some_and(|t| t.generation == generation && !t.over())
}

/// The gather is over with `done` of its `k` shards: the request answers, in full or in
/// part, once its results are merged.
fn gathered(core: &mut Core<'_, Event>, request: u32, done: u32, k: u32) {
    if core.requests[request as usize].measured {
        core.rec.completeness(f64::from(done) / f64::from(k));
    }
    let outcome = if done == k {
        Outcome::Complete
    } else {
        Outcome::Partial
    };
    let merge = core.s.merge_work;
    core.settle(request, outcome, merge);
}

/// The least possible peak load per unit of shard work and rate, when agent i serves a
/// share f_i <= 1 of the requests with sum f_i = k: the busiest agent's load over
/// rate x shard work is max f_i / s_i, least with f_i = min(1, s_i t) (water-filling), and
/// then equal to t. Found by bisection on t, since sum min(1, s_i t) grows with t.
pub fn water_level(speeds: &[f64], k: u32) -> f64 {
    let slowest = speeds.iter().copied().fold(f64::INFINITY, f64::min);
    let served = |t: f64| speeds.iter().map(|s| (s * t).min(1.0)).sum::<f64>();
    let k = f64::from(k).min(speeds.len() as f64);
    let (mut lo, mut hi) = (0.0, 1.0 / slowest);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if served(mid) >= k {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod water_tests {
    use super::water_level;

    #[test]
    fn the_water_level_spreads_shards_by_speed_up_to_one_per_request() {
        // Equal agents: k of n take a share k/n each, so t = k/n.
        assert!((water_level(&[1.0; 10], 5) - 0.5).abs() < 1e-9);
        // Every agent in every request: the slowest sets the level.
        assert!((water_level(&[4.0, 1.0, 0.5], 3) - 2.0).abs() < 1e-9);
        // Speeds 4, 1, 1 with k = 2: the fast agent is capped at every request (f = 1), the
        // two slow ones share the other shard: t = 0.5.
        assert!((water_level(&[4.0, 1.0, 1.0], 2) - 0.5).abs() < 1e-9);
    }
}
