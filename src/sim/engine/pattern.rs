//! What the engine asks of a pattern. The engine knows no pattern: each is a type that owns
//! its state and its events and implements [`Pattern`], and the engine is generic over it
//! (static dispatch, so the event loop stays free of virtual calls and allocations). The
//! patterns depend on the engine, never the other way round.

use std::fmt;

use super::{Core, Outcome};
use crate::sim::distribution::Sampler;
use crate::sim::scenario::{PatternParams, Scenario, ScenarioError, ShardWork};

/// How a pattern lays itself over the fleet, worked out before any run.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Agents spent on coordination (the first ones); the others are workers.
    pub coordinators: u32,
    pub fan_out: Option<u32>,
    pub stage_workers: Vec<u32>,
    /// The work of a request's parts together, per unit of the request's work (k when every
    /// shard does all of it).
    pub work_factor: f64,
}

/// What the shape of a pattern depends on.
#[derive(Debug, Clone, Copy)]
pub struct ShapeInput<'a> {
    pub agents: u32,
    pub fan_out: Option<u32>,
    pub shard_work: ShardWork,
    pub stages: u32,
    pub stage_work: &'a [f64],
}

/// The engine's side of a pattern's layout: its work samplers and its dispatchers.
pub(crate) struct Layout {
    /// One sampler, or one per part index (pipeline stages).
    pub samplers: Vec<Sampler>,
    /// Dispatchers, each with its own balancer: one per entry point.
    pub dispatchers: usize,
    /// The pattern has a coordinator whose downtime is worth reporting, even when it is zero.
    pub coordinator: bool,
    /// The dispatchers all pick among the same agents (the peers), so what the balancing
    /// algorithm learns and credits is theirs in common.
    pub shared: bool,
    /// The dispatchers pick by a view of the loads that the pattern keeps (and tells the
    /// balancers of), not by the live loads.
    pub view_loads: bool,
}

/// A coordination pattern, as the engine drives it. Hooks receive the engine's shared state
/// ([`Core`]) and call back into it (`core.send(self, ..)`) to move work; the defaults are
/// what a pattern without that concern does.
pub(crate) trait Pattern: Sized {
    /// The pattern's own events.
    type Event: Copy + fmt::Debug;
    /// User agent numbers below this are the pattern's coordinators rather than engine
    /// agents (master_slave's master is agent 0).
    const COORDINATORS: u32 = 0;
    /// Whether parts may get a hedge copy (`--hedge-after-quantile`).
    const HEDGES: bool = false;

    /// Its layout on `agents` agents, or why it cannot run there.
    fn shape(input: &ShapeInput) -> Result<Shape, ScenarioError>;

    /// Offered load of its coordination station (a master, a leader), if it has one.
    fn coordination_load(_s: &Scenario, _p: &PatternParams) -> Option<f64> {
        None
    }

    /// Utilization of its busiest station: the workers' load `p.load`, or more where work
    /// or coordination is uneven.
    fn peak_load(s: &Scenario, p: &PatternParams) -> f64 {
        Self::coordination_load(s, p).map_or(p.load, |c| c.max(p.load))
    }

    /// The station that saturates first, in words, for the warning when it does.
    fn bottleneck(s: &Scenario, p: &PatternParams) -> String;

    /// The pattern's state for one replication, and the engine's layout.
    fn new(s: &Scenario, p: &PatternParams, seed: u64) -> (Self, Layout);

    /// A request arrived: make its parts and send them. `entry` is the request's own
    /// uniform draw for where it enters.
    fn admit(&mut self, core: &mut Core<'_, Self::Event>, request: u32, entry: f64);

    /// A part needs an attempt: a retry, or with `hedge` a second copy.
    fn dispatch(&mut self, core: &mut Core<'_, Self::Event>, part: u32, hedge: bool);

    /// Part `index` of `request` is done.
    fn part_done(&mut self, core: &mut Core<'_, Self::Event>, request: u32, index: u32);

    /// A part of `request` failed for good; by default the request fails (fail fast).
    fn part_failed(&mut self, core: &mut Core<'_, Self::Event>, request: u32) {
        core.resolve(request, Outcome::Failed);
    }

    /// One of the pattern's own events.
    fn on_event(&mut self, core: &mut Core<'_, Self::Event>, event: Self::Event);

    /// Schedules the random failures of the pattern's coordinators.
    fn schedule_faults(&mut self, _core: &mut Core<'_, Self::Event>) {}

    /// A scripted outage of coordinator `agent` (a user number below `COORDINATORS`).
    fn coordinator_outage(
        &mut self,
        _core: &mut Core<'_, Self::Event>,
        _agent: u32,
        _start: f64,
        _duration: f64,
    ) {
    }

    /// Runs before each event at `time`, with the state as it was since the last one.
    #[inline]
    fn before_event(&mut self, _core: &mut Core<'_, Self::Event>, _time: f64) {}

    /// An attempt joined `agent`'s queue.
    #[inline]
    fn queued(&mut self, _agent: u32) {}

    /// A queued attempt nobody waits for was dropped unserved (`--drop-expired`).
    #[inline]
    fn dropped(&mut self, _agent: u32) {}

    /// A queued attempt left `agent`'s queue, into service or cancelled.
    #[inline]
    fn dequeued(&mut self, _core: &mut Core<'_, Self::Event>, _agent: u32) {}

    /// `agent` is free and has nothing queued.
    #[inline]
    fn idle(&mut self, _core: &mut Core<'_, Self::Event>, _agent: u32) {}

    /// `agent` holds a served item it cannot pass on, so it takes nothing new.
    #[inline]
    fn holds(&self, _agent: u32) -> bool {
        false
    }

    /// Work `agent` must redo before anything else (lost at a failure), taken once.
    #[inline]
    fn redo(&mut self, _agent: u32) -> f64 {
        0.0
    }

    /// `agent` served `attempt` (its requester still waits); true if the pattern holds it
    /// instead of answering now.
    #[inline]
    fn served(&mut self, _core: &mut Core<'_, Self::Event>, _agent: u32, _attempt: u32) -> bool {
        false
    }

    /// `agent` failed; `lost` holds what it had queued and in service, to which the pattern
    /// adds what it held.
    fn agent_failed(
        &mut self,
        _core: &mut Core<'_, Self::Event>,
        _agent: u32,
        _lost: &mut Vec<u32>,
    ) {
    }

    /// After `agent`'s failure is set in motion: the pattern's roles it played are lost.
    fn agent_down(&mut self, _core: &mut Core<'_, Self::Event>, _agent: u32) {}

    /// `agent` is up again (whether or not anyone noticed it was down).
    fn agent_repaired(&mut self, _core: &mut Core<'_, Self::Event>, _agent: u32) {}

    /// The dispatchers see `agent` alive again.
    fn agent_alive(&mut self, _core: &mut Core<'_, Self::Event>, _agent: u32) {}

    /// Whether a breaker's recovery should wake the pattern (requests wait for an agent).
    fn wakes_on_breaker_ready(&self) -> bool {
        false
    }

    /// A breaker's recovery time is over.
    fn breaker_ready(&mut self, _core: &mut Core<'_, Self::Event>) {}

    /// Requests held by the coordinator rather than at agents, for the timeline.
    fn waiting(&self) -> u64 {
        0
    }

    /// The run ends at `end`: close open outages; the coordinator's busy time, if any.
    fn finish(&mut self, _core: &mut Core<'_, Self::Event>, _end: f64) -> Option<f64> {
        None
    }
}
