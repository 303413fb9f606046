//! The engine of one replication: the clock and the event queue, agents and their queues,
//! requests, their parts and the attempts that try them, timeouts, retries, breakers,
//! faults and detection, and the books. It knows no pattern: [`Engine`] is generic over
//! [`Pattern`], which turns requests into parts and handles its own events.
//!
//! A request (a user's request) becomes parts (the whole request, a pipeline stage, a
//! scatter shard). A part is tried by attempts, each sent to one agent: retries and hedges
//! add attempts. An attempt the requester has given up on (timed out) stays in its agent's
//! queue and is served anyway, as a server without deadline propagation does: that is the
//! wasted work behind retry storms.

mod attempt;
mod calls;
mod fault;
mod pattern;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use rand_pcg::Pcg64Mcg;
use slab::Slab;

pub(crate) use pattern::{Layout, Pattern, Shape, ShapeInput};

use super::SimError;
use super::balancer::{BalancerKind, Balancers, Scope, View};
use super::distribution::Sampler;
use super::events::{EventQueue, Kind};
use super::faults::{FailureClock, Heartbeat};
use super::metric::{Metric, TaskCounts, Values};
pub(crate) use super::recorder::Outcome;
use super::recorder::{Bucket, Recorder};
use super::resilience::{Breaker, BreakerConfig, BreakerKind, BreakerState, RecentQuantile};
use super::rounds::Rounds;
use super::scenario::replay::{Replay, ReplayClock};
use super::scenario::{Parts, PatternParams, Scenario};
use super::stream::{derive, mix, stream, streams, task_rng};
use super::workload::{ArrivalClock, TaskDraws};
use calls::Calls;

/// In `Agent::serving`, a worker redoing the work lost since its last checkpoint.
pub(crate) const REPLAY: u32 = u32::MAX;

/// A user's request: it arrives, is split into parts by the pattern, and ends once.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// How many requests have held its slot, itself included (see `request_generations`).
    pub generation: u32,
    pub arrival: f64,
    pub kind: u16,
    /// Its work at speed 1, drawn once: every pattern gets the same.
    pub work: f64,
    /// The request's own draws, for parts that draw their own work (`--parts independent`).
    pub rng: Pcg64Mcg,
    /// Parts not yet over; the slot is freed when this is 0 and the request is resolved.
    pub outstanding: u32,
    /// Parts done and failed for good.
    pub done: u32,
    pub failed: u32,
    /// Parts made, and attempts sent for them (hedges aside).
    pub parts: u32,
    pub attempts: u32,
    pub started: bool,
    pub consensus: bool,
    /// Its outcome is decided; it resolves once the pattern's last step (a merge) is done.
    pub settled: bool,
    pub resolved: bool,
    pub measured: bool,
}

impl Request {
    /// Nothing more is needed from its parts: it resolved, or its outcome is decided.
    pub fn over(&self) -> bool {
        self.resolved || self.settled
    }
}

/// What a request carries for LLM calls and delegation loops. It is kept beside the request,
/// at the same slot of `Core::conversations`, and only when either is on, so a run without
/// them neither writes nor copies any of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conversation {
    /// Tokens of its LLM call, in and out, drawn once (0 without tokens).
    pub tokens: (u32, u32),
    /// Tokens of the supervisor's decision (master_slave), in and out.
    pub decision: (u32, u32),
    /// Tokens of the supervisor's final answer (master_slave), in and out.
    pub merge: (u32, u32),
    /// The round it is in, from 1, and the rounds it needs (delegation loops).
    pub round: u16,
    pub rounds: u16,
    /// Its uniform draw of the peer it enters at, kept for its later rounds.
    pub entry: f64,
    /// Dollars of its parts' answered calls: used if it completes, wasted otherwise.
    pub answered_cost: f64,
}

/// A piece of a request's work, tried until done or given up.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub request: u32,
    /// Stage (pipeline), shard (scatter-gather), or 0.
    pub index: u32,
    /// The dispatcher whose balancer picks agents for it.
    pub dispatcher: u32,
    pub work: f64,
    /// Its slot's generation: identifies this part in events, as slots are reused.
    pub serial: u32,
    pub tries: u32,
    /// Attempts whose answer the requester still awaits: at most two, with a hedge.
    pub live: [u32; 2],
    pub live_count: u8,
    pub hedged: bool,
    pub retry_pending: bool,
    pub first_sent: f64,
    pub last_delay: f64,
    /// The provider's retry-after of its last attempt, refused with a 429; 0 otherwise.
    pub retry_after: f64,
}

/// Where an attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Transit,
    Queued,
    Serving,
    /// Served, held by its agent (a blocked pipeline worker).
    Held,
    /// At an agent that failed.
    Lost,
}

#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub part: u32,
    pub agent: u32,
    pub serial: u64,
    /// Its own copy of the work and kind: a zombie outlives its part.
    pub work: f64,
    pub kind: u16,
    /// The requester still awaits its answer.
    pub live: bool,
    pub retry: bool,
    pub hedge: bool,
    pub place: Place,
    /// Its agent's breaker ticket: the half-open cycle it is a trial of, or 0.
    pub ticket: u32,
    /// Its LLM call's tokens, in and out: the request's, in the part's share.
    pub tokens: (f64, f64),
    /// Dollars its call was charged.
    pub cost: f64,
    /// Refused by the provider (a 429): the seconds until it could be served; 0 otherwise.
    pub refused: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub queue: VecDeque<u32>,
    pub serving: Option<u32>,
    pub started: f64,
    /// Busy time inside the measurement window.
    pub busy: f64,
    /// Bumped whenever service is interrupted, so a stale service end is ignored.
    pub generation: u32,
    /// Outages in progress (random and scripted may overlap); up when 0.
    pub outages: u32,
    /// Failures so far; a notice is for the failure it was scheduled for.
    pub episode: u32,
    pub failed_at: f64,
    /// The dispatchers know the agent is down.
    pub known_down: bool,
    /// Out of the pool: playing a coordinator's role (a master's backup).
    pub removed: bool,
    /// Attempts lost with the agent, with their serials, failed when the failure is noticed.
    pub lost: Vec<(u32, u64)>,
    pub heartbeat: Heartbeat,
    pub clock: Option<FailureClock>,
}

/// Whether the dispatchers may send to an agent now: not known down, not taken out of the
/// pool, and its circuit breaker lets requests through.
#[inline]
pub(crate) fn available(
    agent: &Agent,
    breaker: &Breaker,
    config: &BreakerConfig,
    now: f64,
) -> bool {
    !agent.known_down
        && !agent.removed
        && (config.kind == BreakerKind::None || breaker.allows(now, config))
}

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Timeout,
    /// The agent was declared dead.
    AgentDown,
    /// Refused at once: a full bulkhead.
    Rejected,
    /// Refused by the provider: over quota (a 429).
    Throttled,
}

/// The state every pattern shares, and the operations a pattern calls to move work.
pub(crate) struct Core<'a, E> {
    pub s: &'a Scenario,
    pub p: &'a PatternParams,
    pub seed: u64,
    pub now: f64,
    pub events: EventQueue<E>,
    pub agents: Vec<Agent>,
    /// Attempts each agent has that the dispatchers count: live ones, not yet answered.
    pub load: Vec<u32>,
    pub speed: Vec<f64>,
    pub caps: Vec<u64>,
    /// The kinds at least one worker serves, as a bit set.
    pub kinds_served: u64,
    pub breakers: Vec<Breaker>,
    /// Agents that are not fully available (known down, removed, breaker not closed); while 0,
    /// picks skip the eligibility test.
    pub restricted: u32,
    /// Agents whose breaker is not closed.
    pub ejected: u32,
    pub requests: Slab<Request>,
    pub parts: Slab<Part>,
    pub attempts: Slab<Attempt>,
    next_serial: u64,
    /// Per slab slot, how many parts and requests have held it: an event for a part or
    /// request tells it from a later one in the same slot, however long the run.
    part_generations: Vec<u32>,
    request_generations: Vec<u32>,
    pub balancers: Balancers,
    /// The pattern picks by a view of the loads it keeps itself (a peer's), so the live
    /// loads do not feed the balancers' index.
    view_loads: bool,
    pub routing: Pcg64Mcg,
    /// Execution times of retries and hedge copies, which are new executions.
    executions: Pcg64Mcg,
    /// Each part index's work, for independent parts and for re-executions.
    samplers: Vec<Sampler>,
    /// A request's work.
    work: Sampler,
    /// Parts split the request's work (`correlated`) or draw their own.
    correlated: bool,
    /// Agent ids `0..n`, borrowed for the whole run so balancers can take slices of it.
    pub all_agents: &'a [u32],
    clock: ArrivalClock,
    kind_cdf: Vec<f64>,
    generated: u64,
    warm_index: u64,
    arrivals_done: bool,
    /// Attempts awaiting a timeout check, in deadline order: (attempt, serial, deadline).
    timeouts: VecDeque<(u32, u64, f64)>,
    timeout_check_scheduled: bool,
    /// Live attempts, and those that are retries (with retries waiting to be sent).
    pub active: u32,
    pub active_retries: u32,
    pub hedge_latency: Option<RecentQuantile>,
    pub rec: Recorder,
    pub counts: TaskCounts,
    /// Whether breakers opening should wake the pattern.
    wake_on_breaker_ready: bool,
    /// Work drawn by every request, and answered by the attempts that were, at speed 1.
    work_drawn: f64,
    work_answered: f64,
    /// A digest of the request stream: every request's arrival, work and kind.
    digest: u64,
    /// LLM calls: tokens, the provider, the bill; None without any LLM setting.
    calls: Option<Calls>,
    /// Each live request's conversation, at its slot; empty without LLM calls and rounds.
    conversations: Vec<Conversation>,
    /// Delegation loops: the rounds a request needs, drawn on their own stream.
    rounds: Option<(Rounds, u64)>,
    /// Input tokens every call gains a round.
    growth: u32,
    /// Requests from a trace: where the next comes from, and its row.
    replay: Option<(ReplayClock, &'a Replay)>,
    next_row: u32,
    /// The scenario's kind of each of the trace's kinds, when it has them.
    trace_kinds: Vec<u16>,
    /// Rounds started after requests' first, and requests failed at `--max-rounds`, over the
    /// whole run.
    later_rounds: u64,
    round_limited: u64,
}

/// The outcome of one replication.
#[derive(Debug, Clone)]
pub struct Replication {
    pub values: Values,
    pub counts: TaskCounts,
    pub events: u64,
    pub timeline: Vec<Bucket>,
    /// Latency at each of `recorder::CDF_QUANTILES`.
    pub latency_quantiles: Vec<f64>,
    /// When it collapsed (its goodput fell and stayed below its arrivals), if it did.
    pub collapse: Option<f64>,
    /// When it stalled, and how many requests were failed then, if it did.
    pub stalled: Option<(f64, u64)>,
    /// Work drawn by all requests, and answered by attempts (speed-1 seconds): equal when
    /// nothing is retried, hedged, lost or overhead.
    pub work_drawn: f64,
    pub work_answered: f64,
    /// A digest of the request stream (arrivals, work, kinds), the same for every pattern.
    pub digest: u64,
}

/// The kinds each worker serves, as bit sets; worker `i` is agent `i + first`.
fn capability_masks(s: &Scenario, workers: usize, first: usize) -> Vec<u64> {
    let all = u64::MAX;
    let (Some(kinds), Some(caps)) = (&s.kinds, &s.capabilities) else {
        return vec![all; workers];
    };
    (0..workers)
        .map(|i| {
            caps.0[(i + first) % caps.0.len()]
                .iter()
                .fold(0u64, |mask, name| {
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

/// One replication of pattern `P`: the engine's state and the pattern's.
pub(crate) struct Engine<'a, P: Pattern> {
    core: Core<'a, P::Event>,
    pattern: P,
}

impl<'a, P: Pattern> Engine<'a, P> {
    pub fn new(
        s: &'a Scenario,
        p: &'a PatternParams,
        balancer: BalancerKind,
        replication: u32,
        all_agents: &'a [u32],
    ) -> Self {
        let seed = derive(s.seed, u64::from(replication));
        let (pattern, layout) = P::new(s, p, seed);
        let n = p.workers as usize;
        let r = &s.resilience;
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
        let user_number = |i: usize| i as u32 + P::COORDINATORS;
        let mean_speed = p.speeds.iter().sum::<f64>() / p.speeds.len() as f64;
        let mut rec = Recorder::new(s.service.mean() / mean_speed, r.timeline);
        if layout.coordinator {
            rec.has_coordinator();
        }
        rec.objective(s.slo.map(|o| o.deadline), s.accept_partial);
        rec.expect(match (s.tasks, s.duration) {
            (Some(n), _) => n as f64 * (1.0 - s.warmup),
            (None, Some(d)) => s.rate * d * (1.0 - s.warmup),
            (None, None) => 0.0,
        });
        let warm_index = match (s.tasks, s.duration) {
            (Some(total), _) => (s.warmup * total as f64).floor() as u64,
            (None, Some(d)) => {
                rec.window_start = s.warmup * d;
                rec.window_end = d;
                0
            }
            (None, None) => 0,
        };
        let caps = capability_masks(s, n, P::COORDINATORS as usize);
        let mut routing = stream(seed, streams::ROUTING);
        let balancers = Balancers::new(
            balancer,
            layout.dispatchers,
            layout.shared,
            &p.speeds,
            &caps,
            s.kinds.as_ref().map_or(0, |k| k.0.len()),
            &mut routing,
        );
        let agents = (0..n)
            .map(|i| Agent {
                queue: VecDeque::new(),
                serving: None,
                started: 0.0,
                busy: 0.0,
                generation: 0,
                outages: 0,
                episode: 0,
                failed_at: 0.0,
                known_down: false,
                removed: false,
                lost: Vec::new(),
                heartbeat: Heartbeat::new(seed, user_number(i), s.heartbeat, r.missed_heartbeats),
                clock: r
                    .mtbf
                    .map(|b| FailureClock::new(seed, user_number(i), b, r.mttr.unwrap_or(1.0))),
            })
            .collect();
        let core = Core {
            s,
            p,
            seed,
            now: 0.0,
            events: EventQueue::with_capacity(4 * n + 64),
            agents,
            load: vec![0; n],
            speed: p.speeds.clone(),
            kinds_served: caps.iter().fold(0, |all, c| all | c),
            caps,
            breakers: vec![Breaker::default(); n],
            restricted: 0,
            ejected: 0,
            requests: Slab::with_capacity(1024),
            parts: Slab::with_capacity(1024),
            attempts: Slab::with_capacity(1024),
            next_serial: 0,
            part_generations: Vec::new(),
            request_generations: Vec::new(),
            balancers,
            view_loads: layout.view_loads,
            routing,
            executions: stream(seed, streams::EXECUTIONS),
            samplers: layout.samplers,
            work: s.service.sampler(),
            correlated: s.parts == Parts::Correlated,
            all_agents,
            clock: ArrivalClock::new(&s.arrivals, s.rate, seed, &r.spikes),
            kind_cdf,
            generated: 0,
            warm_index,
            arrivals_done: false,
            timeouts: VecDeque::new(),
            timeout_check_scheduled: false,
            active: 0,
            active_retries: 0,
            hedge_latency: if P::HEDGES {
                r.hedge_after_quantile.map(RecentQuantile::new)
            } else {
                None
            },
            rec,
            counts: TaskCounts::default(),
            wake_on_breaker_ready: pattern.wakes_on_breaker_ready(),
            work_drawn: 0.0,
            work_answered: 0.0,
            digest: 0,
            calls: Calls::new(s, seed),
            conversations: Vec::new(),
            rounds: s.rounds.map(|r| (r, derive(seed, streams::ROUNDS))),
            growth: s
                .llm
                .as_ref()
                .and_then(|l| l.context_growth)
                .map_or(0, |g| g.round() as u32),
            later_rounds: 0,
            round_limited: 0,
            replay: s
                .trace
                .as_ref()
                .map(|r| (ReplayClock::new(r, derive(seed, streams::ARRIVALS)), r)),
            next_row: 0,
            trace_kinds: match (
                s.trace.as_ref().and_then(|r| r.trace.kinds.as_ref()),
                &s.kinds,
            ) {
                (Some(k), Some(kinds)) => k
                    .names
                    .iter()
                    .map(|n| kinds.0.iter().position(|(g, _)| g == n).unwrap_or(0) as u16)
                    .collect(),
                _ => Vec::new(),
            },
        };
        let mut engine = Engine { core, pattern };
        engine.schedule_faults();
        engine.core.schedule_next_arrival();
        engine
    }

    /// Each agent's first random failure, the coordinators', and every scripted outage.
    fn schedule_faults(&mut self) {
        let Engine { core, pattern } = self;
        for i in 0..core.agents.len() {
            if let Some(clock) = &mut core.agents[i].clock {
                let at = clock.up_time();
                core.events.schedule(
                    at,
                    Kind::Fail {
                        agent: i as u32,
                        scripted: false,
                    },
                );
            }
        }
        pattern.schedule_faults(core);
        for o in &core.s.resilience.outages {
            if o.agent < P::COORDINATORS {
                pattern.coordinator_outage(core, o.agent, o.start, o.duration);
                continue;
            }
            let agent = o.agent - P::COORDINATORS;
            core.events.schedule(
                o.start,
                Kind::Fail {
                    agent,
                    scripted: true,
                },
            );
            core.events.schedule(
                o.start + o.duration,
                Kind::Repair {
                    agent,
                    scripted: true,
                },
            );
        }
    }

    /// Runs until every request has ended: with `--duration`, arrivals stop at the end time
    /// and the requests inside finish, so no measured request is cut off. `requests_ended`
    /// hears of ended requests in blocks of [`PROGRESS_BLOCK`], and of the rest at the end.
    pub fn run(mut self, requests_ended: &dyn Fn(u64)) -> Result<Replication, SimError> {
        let Engine { core, pattern } = &mut self;
        // Progress: a service ending, or a request ending. A run whose arrivals are over and
        // that makes none for `stall` seconds with no agent serving can make none at all (a
        // majority or a master that failures keep down): its requests are failed, not waited
        // for forever.
        let stall = stall_limit(core.s);
        // Scripted outages end when they end, however they follow each other: no stall
        // before the last.
        let scripted_end = core
            .s
            .resilience
            .outages
            .iter()
            .map(|o| o.start + o.duration)
            .fold(0.0, f64::max);
        let (mut last_progress, mut ended) = (0.0, 0u64);
        // Nor may events run on without progress however long the waits it sets (a
        // heartbeat of 10^9 s with failures every few seconds).
        let mut quiet_events = 0u64;
        let mut stalled = None;
        while let Some((time, kind)) = core.events.pop() {
            quiet_events += 1;
            if matches!(kind, Kind::ServiceEnd { .. }) {
                last_progress = time;
                quiet_events = 0;
            }
            let churning = core.arrivals_done
                && quiet_events > STALL_EVENTS_PER_REQUEST * (core.requests.len() as u64 + 1);
            if core.arrivals_done
                && (time - last_progress > stall || churning)
                && time > scripted_end
            {
                if core.agents.iter().any(|a| a.serving.is_some()) && !churning {
                    last_progress = time;
                } else {
                    core.now = if churning {
                        time
                    } else {
                        last_progress + stall
                    };
                    stalled = Some(core.stall());
                    break;
                }
            }
            // State is constant between events, so what a heartbeat or a timeline bucket would
            // have seen at its instant is what is here now: no periodic events are needed.
            pattern.before_event(core, time);
            if core.rec.timeline_due(time) {
                let queued = pattern.waiting()
                    + core
                        .agents
                        .iter()
                        .map(|a| a.queue.len() as u64 + u64::from(a.serving.is_some()))
                        .sum::<u64>();
                let open = core
                    .breakers
                    .iter()
                    .filter(|b| !matches!(b.state, BreakerState::Closed))
                    .count() as u64;
                core.rec.snapshot(time, queued, open);
            }
            core.now = time;
            match kind {
                // A request's first round and its later ones are admitted at this one call, so
                // the pattern's admit stays inlined in the loop.
                Kind::Arrival | Kind::Round { .. } => {
                    if let Some((request, entry)) = core.admission(kind) {
                        pattern.admit(core, request, entry);
                    }
                }
                Kind::ServiceEnd { agent, generation } => {
                    core.on_service_end(pattern, agent, generation)
                }
                Kind::Hop { attempt, agent } => core.arrive(pattern, attempt, agent),
                Kind::TimeoutCheck => core.on_timeout_check(pattern),
                Kind::Retry { part, serial } => core.on_retry(pattern, part, serial),
                Kind::Hedge { part, serial } => core.on_hedge(pattern, part, serial),
                Kind::Fail { agent, scripted } => core.on_fail(pattern, agent, scripted),
                Kind::Repair { agent, scripted } => core.on_repair(pattern, agent, scripted),
                Kind::Noticed { agent, episode } => core.on_noticed(pattern, agent, episode),
                Kind::Alive { agent, episode } => core.on_alive(pattern, agent, episode),
                Kind::BreakerReady => pattern.breaker_ready(core),
                Kind::Settle {
                    request,
                    generation,
                    outcome,
                } => {
                    if core
                        .requests
                        .get(request as usize)
                        .is_some_and(|t| t.generation == generation)
                    {
                        core.resolve(request, outcome);
                    }
                }
                Kind::Pattern(event) => pattern.on_event(core, event),
            }
            let now_ended = core.counts.completed + core.counts.failed;
            if now_ended != ended {
                quiet_events = 0;
                let blocks = now_ended / PROGRESS_BLOCK - ended / PROGRESS_BLOCK;
                if blocks > 0 {
                    requests_ended(blocks * PROGRESS_BLOCK);
                }
                (ended, last_progress) = (now_ended, time);
            }
            if core.arrivals_done && core.requests.is_empty() {
                break;
            }
        }
        if stalled.is_none() && !core.requests.is_empty() {
            return Err(SimError::Stuck {
                pattern: core.p.pattern.clone(),
                unresolved: core.requests.len() as u64,
                time: core.now,
            });
        }
        let ended = core.counts.completed + core.counts.failed;
        requests_ended(ended % PROGRESS_BLOCK);
        let end = core.now;
        let coordinator = pattern.finish(core, end);
        let busy: Vec<f64> = core.agents.iter().map(|a| a.busy).collect();
        let (mut values, timeline) = core.rec.finish(end, &busy, coordinator);
        if let Some(calls) = &core.calls {
            calls.report(&mut values, core.s, core.generated, end);
        }
        if core.rounds.is_some() {
            let requests = core.generated.max(1) as f64;
            values.set(
                Metric::Rounds,
                (core.generated + core.later_rounds) as f64 / requests,
            );
            if core.s.max_rounds.is_some() {
                values.set(Metric::RoundLimited, core.round_limited as f64 / requests);
            }
        }
        let latency_quantiles = core.rec.latency_quantiles();
        core.counts.in_flight = core.requests.iter().filter(|(_, t)| !t.resolved).count() as u64;
        core.counts.generated = core.generated;
        if !core.counts.conserved() {
            return Err(SimError::Conservation {
                pattern: core.p.pattern.clone(),
                counts: core.counts,
            });
        }
        Ok(Replication {
            values,
            counts: core.counts,
            events: core.events.processed(),
            timeline,
            latency_quantiles,
            collapse: core.rec.collapse(),
            stalled,
            work_drawn: core.work_drawn,
            work_answered: core.work_answered,
            digest: core.digest,
        })
    }
}

/// Events a run may process, once its arrivals are over, with no service ending and no
/// request ending, per request still waiting: beyond, it is stalled.
const STALL_EVENTS_PER_REQUEST: u64 = 100_000;

/// Ended requests per progress report: rare enough to cost nothing per event.
pub const PROGRESS_BLOCK: u64 = 1024;

/// The next generation of slab slot `slot`: one more holder than before. The slots grow
/// with the slab, so this allocates only when the slab does.
fn next_generation(generations: &mut Vec<u32>, slot: usize) -> u32 {
    if slot >= generations.len() {
        generations.resize(slot + 1, 0);
    }
    generations[slot] = generations[slot].wrapping_add(1);
    generations[slot]
}

/// Seconds without progress after which a run is stalled: thirty times the longest wait the
/// scenario can legitimately impose (a repair, whose exponential time exceeds 30 MTTR with
/// probability e^-30; an outage, a timeout, a backoff, a detection and an election, a
/// breaker's recovery, a gather), and never less than 3000 mean services.
fn stall_limit(s: &Scenario) -> f64 {
    let r = &s.resilience;
    let slowest = s.speeds.iter().copied().fold(f64::INFINITY, f64::min);
    let waits = [
        r.mttr.unwrap_or(0.0),
        r.outages.iter().map(|o| o.duration).fold(0.0, f64::max),
        r.timeout.unwrap_or(0.0),
        r.retry.phases.iter().map(|p| p.max).fold(0.0, f64::max),
        s.heartbeat * f64::from(r.missed_heartbeats) + 2.0 * s.leader_election_timeout,
        s.failure_detection_timeout,
        r.circuit_breaker.recovery_timeout,
        s.gather_timeout,
        100.0 * s.service.mean() / slowest,
    ];
    30.0 * waits.into_iter().fold(0.0, f64::max)
}

impl<'a, E: Copy> Core<'a, E> {
    /// Fails every request still unresolved: the run can make no progress.
    fn stall(&mut self) -> (f64, u64) {
        let open: Vec<u32> = self
            .requests
            .iter()
            .filter(|(_, t)| !t.resolved)
            .map(|(i, _)| i as u32)
            .collect();
        for &request in &open {
            self.resolve(request, Outcome::Failed);
        }
        (self.now, open.len() as u64)
    }

    fn schedule_next_arrival(&mut self) {
        let at = match &mut self.replay {
            Some((clock, replay)) => match clock.next(replay) {
                Some((at, row)) => {
                    self.next_row = row;
                    at
                }
                None => {
                    self.arrivals_done = true;
                    return;
                }
            },
            None => self.clock.next_arrival(),
        };
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

    /// The request a new arrival or round brings to the pattern, with its draw of the peer it
    /// enters at; None for a round whose request is gone.
    fn admission(&mut self, kind: Kind<E>) -> Option<(u32, f64)> {
        match kind {
            Kind::Round {
                request,
                generation,
            } => self
                .requests
                .get(request as usize)
                .filter(|t| t.generation == generation)
                .map(|_| (request, self.conversations[request as usize].entry)),
            _ => Some(self.on_arrival()),
        }
    }

    /// A new request arrives: its draws, its slot, and the next arrival.
    fn on_arrival(&mut self) -> (u32, f64) {
        let index = self.generated;
        self.generated += 1;
        let mut rng = task_rng(self.seed, index);
        let draws = TaskDraws::take(&mut rng);
        let [
            tokens_in,
            tokens_out,
            decision_in,
            decision_out,
            merge_in,
            merge_out,
        ] = self.calls.as_ref().map_or([0; 6], |c| c.tokens_of(index));
        let rounds = self.rounds.as_ref().map_or(1, |(r, seed)| {
            let mut rng = task_rng(*seed, index);
            // At most MAX_ROUNDS (10,000): two bytes a request.
            r.sample(&mut rng) as u16
        });
        let mut tokens = (tokens_in, tokens_out);
        let mut recorded = None;
        let mut trace_kind = None;
        if let Some((_, replay)) = &self.replay {
            // The trace's own request: its tokens and work replace the draws.
            let (t, row) = (&replay.trace, self.next_row as usize);
            if let Some(v) = &t.tokens_in {
                tokens.0 = v[row];
            }
            if let Some(v) = &t.tokens_out {
                tokens.1 = v[row];
            }
            recorded = t.work.as_ref().map(|w| w[row]);
            if let Some(k) = &t.kinds {
                trace_kind = self.trace_kinds.get(usize::from(k.rows[row])).copied();
            }
        }
        let work = match (recorded, self.calls.as_ref().and_then(|c| c.latency)) {
            (Some(work), _) => work,
            (None, Some(latency)) => latency.seconds(f64::from(tokens.0), f64::from(tokens.1)),
            (None, None) => self.work.sample(&mut rng),
        };
        self.work_drawn += work;
        let kind = trace_kind.unwrap_or_else(|| {
            self.kind_cdf
                .iter()
                .position(|c| draws.kind < *c)
                .unwrap_or(self.kind_cdf.len() - 1) as u16
        });
        self.digest = mix(mix(self.digest ^ self.now.to_bits()) ^ work.to_bits()) ^ u64::from(kind);
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
        let generation = next_generation(&mut self.request_generations, self.requests.vacant_key());
        if self.calls.is_some() || self.rounds.is_some() {
            let slot = self.requests.vacant_key();
            self.converse(
                slot,
                Conversation {
                    tokens,
                    decision: (decision_in, decision_out),
                    merge: (merge_in, merge_out),
                    round: 1,
                    rounds,
                    entry: draws.entry,
                    answered_cost: 0.0,
                },
            );
        }
        let request = self.requests.insert(Request {
            generation,
            arrival: self.now,
            kind,
            work,
            rng,
            outstanding: 0,
            done: 0,
            failed: 0,
            parts: 0,
            attempts: 0,
            started: false,
            consensus: draws.consensus < self.s.consensus_fraction,
            settled: false,
            resolved: false,
            measured,
        }) as u32;
        self.rec.arrived(self.now);
        self.schedule_next_arrival();
        (request, draws.entry)
    }

    /// The share of its request's tokens a part of `part_work` carries: its share of the
    /// request's work, less the first-token time every call pays.
    pub fn token_share(&self, part_work: f64, request_work: f64) -> f64 {
        let ttft = self
            .calls
            .as_ref()
            .and_then(|c| c.latency)
            .map_or(0.0, |l| l.ttft);
        if request_work > ttft {
            ((part_work - ttft) / (request_work - ttft)).max(0.0)
        } else {
            1.0
        }
    }

    /// Seconds at speed 1 of the supervisor's decision for `request`, when it is an LLM call.
    pub fn decision_seconds(&self, request: u32) -> Option<f64> {
        let calls = self.calls.as_ref()?;
        calls.decision_seconds(self.conversations[request as usize].decision)
    }

    /// Seconds at speed 1 of the supervisor's final answer for `request`, when it is an LLM
    /// call.
    pub fn merge_seconds(&self, request: u32) -> Option<f64> {
        let calls = self.calls.as_ref()?;
        calls.merge_seconds(self.conversations[request as usize].merge)
    }

    /// The supervisor makes its decision for `request`, lasting `seconds`, through the
    /// provider: admitted and charged to the request (used if it completes), or refused with
    /// the retry-after.
    pub fn decide(&mut self, request: u32, seconds: f64) -> Result<(), f64> {
        let tokens = self.conversations[request as usize].decision;
        self.supervisor_call(request, tokens, seconds)
    }

    /// The supervisor writes the final answer for `request`, as [`Core::decide`].
    pub fn answer(&mut self, request: u32, seconds: f64) -> Result<(), f64> {
        let tokens = self.conversations[request as usize].merge;
        self.supervisor_call(request, tokens, seconds)
    }

    fn supervisor_call(
        &mut self,
        request: u32,
        tokens: (u32, u32),
        seconds: f64,
    ) -> Result<(), f64> {
        let Some(calls) = &mut self.calls else {
            return Ok(());
        };
        let (tokens_in, tokens_out) = (f64::from(tokens.0), f64::from(tokens.1));
        let cost = calls.call(self.now, tokens_in, tokens_out, seconds)?;
        self.conversations[request as usize].answered_cost += cost;
        Ok(())
    }

    /// The provider refused a supervisor's call with `retry_after`: the seconds to wait, as
    /// the client waits them, or None when the call can never be served.
    pub fn throttled_for(&mut self, retry_after: f64) -> Option<f64> {
        let calls = self.calls.as_mut()?;
        retry_after.is_finite().then(|| {
            calls.throttle_wait += retry_after;
            retry_after
        })
    }

    /// Schedules a pattern event at `time`.
    #[inline]
    pub fn schedule(&mut self, time: f64, event: E) {
        self.events.schedule(time, Kind::Pattern(event));
    }

    /// The work of part `index` of `request`: `share` of the request's work, or with
    /// independent parts a draw of its own from part `index`'s distribution (whose mean is
    /// that share of the request's mean).
    pub fn share(&mut self, request: u32, index: u32, share: f64) -> f64 {
        let t = &mut self.requests[request as usize];
        // Each part of an LLM request is a call that waits for its own first token.
        if let Some(ttft) = self.calls.as_ref().and_then(|c| c.latency).map(|l| l.ttft) {
            return ttft + (t.work - ttft).max(0.0) * share;
        }
        if self.correlated {
            return t.work * share;
        }
        let sampler = &self.samplers[if self.samplers.len() > 1 {
            index as usize
        } else {
            0
        }];
        sampler.sample(&mut t.rng)
    }

    /// Creates part `index` of `request`, with `work` at speed 1.
    pub fn new_part(&mut self, request: u32, index: u32, dispatcher: u32, work: f64) -> u32 {
        let t = &mut self.requests[request as usize];
        t.outstanding += 1;
        t.parts += 1;
        let serial = next_generation(&mut self.part_generations, self.parts.vacant_key());
        self.parts.insert(Part {
            request,
            index,
            dispatcher,
            work,
            serial,
            tries: 0,
            live: [0; 2],
            live_count: 0,
            hedged: false,
            retry_pending: false,
            first_sent: self.now,
            last_delay: 0.0,
            retry_after: 0.0,
        }) as u32
    }

    /// Whether `agent` may be sent work now.
    #[inline]
    pub fn is_available(&self, agent: u32) -> bool {
        let a = agent as usize;
        available(
            &self.agents[a],
            &self.breakers[a],
            &self.s.resilience.circuit_breaker,
            self.now,
        )
    }

    /// The agent `dispatcher`'s balancer picks among the available `candidates` for a part of
    /// `request`, by live load (or by `view` instead, a peer's stale one); `None` if none is
    /// available. `also` narrows the choice further (an idle worker, another agent for a hedge).
    pub fn pick_where<F: Fn(u32, &[Agent], &[u64]) -> bool>(
        &mut self,
        dispatcher: usize,
        candidates: &[u32],
        request: u32,
        view: Option<&[u32]>,
        also: Option<F>,
    ) -> Option<u32> {
        let Core {
            agents,
            breakers,
            balancers,
            routing,
            load,
            speed,
            caps,
            requests,
            s,
            now,
            restricted,
            ..
        } = self;
        let kind_bit = 1u64 << requests[request as usize].kind;
        let config = &s.resilience.circuit_breaker;
        let scope = if also.is_some() {
            Scope::Narrowed
        } else if *restricted == 0 {
            Scope::All
        } else {
            Scope::Available
        };
        let eligible = |c: u32| {
            available(&agents[c as usize], &breakers[c as usize], config, *now)
                && also.as_ref().is_none_or(|f| f(c, agents, caps))
        };
        let view = View {
            load: view.unwrap_or(load),
            speed,
            capabilities: caps,
        };
        balancers.pick(
            dispatcher, candidates, eligible, scope, &view, kind_bit, routing,
        )
    }

    /// As [`Core::pick_where`], with nothing more to narrow.
    pub fn pick(&mut self, dispatcher: usize, candidates: &[u32], request: u32) -> Option<u32> {
        self.pick_where(
            dispatcher,
            candidates,
            request,
            None,
            None::<fn(u32, &[Agent], &[u64]) -> bool>,
        )
    }

    /// `k` distinct available agents for the parts of `request`, into `out`; `mark` and
    /// `stamp` flag those taken (see `Balancer::pick_distinct`).
    #[allow(clippy::too_many_arguments)]
    pub fn pick_distinct(
        &mut self,
        dispatcher: usize,
        candidates: &[u32],
        k: usize,
        request: u32,
        mark: &mut [u64],
        stamp: u64,
        out: &mut Vec<u32>,
    ) {
        let Core {
            agents,
            breakers,
            balancers,
            routing,
            load,
            speed,
            caps,
            requests,
            s,
            now,
            restricted,
            ..
        } = self;
        let kind_bit = 1u64 << requests[request as usize].kind;
        let config = &s.resilience.circuit_breaker;
        balancers.pick_distinct(
            dispatcher,
            candidates,
            k,
            |c| available(&agents[c as usize], &breakers[c as usize], config, *now),
            *restricted == 0,
            &View {
                load,
                speed,
                capabilities: caps,
            },
            kind_bit,
            routing,
            mark,
            stamp,
            out,
        );
    }

    /// Tells the balancers whether `agent` is open (up, in the pool, breaker closed) or
    /// ejected (up and in the pool, breaker not closed).
    pub(crate) fn refresh_state(&mut self, agent: u32) {
        let a = agent as usize;
        let (ag, b) = (&self.agents[a], &self.breakers[a]);
        let up = !ag.known_down && !ag.removed;
        let closed = matches!(b.state, BreakerState::Closed);
        self.balancers.set_state(agent, up && closed, up && !closed);
    }

    /// Takes `agent` out of the pool (to play a coordinator's role), or puts it back.
    pub fn set_removed(&mut self, agent: u32, removed: bool) {
        let ag = &mut self.agents[agent as usize];
        if ag.removed == removed {
            return;
        }
        ag.removed = removed;
        if removed {
            self.restricted += 1;
        } else {
            self.restricted -= 1;
        }
        self.refresh_state(agent);
    }

    /// The loads `agent` is known to have changed: the live ones feed the balancers' index.
    #[inline]
    fn load_changed(&mut self, agent: u32) {
        if !self.view_loads {
            self.balancers.set_load(agent, self.load[agent as usize]);
        }
    }

    /// The request is done, successfully or not; late parts of a resolved request run on.
    /// Its slot is freed here once nothing of it is left, so the caller must not touch it
    /// afterwards.
    pub fn resolve(&mut self, request: u32, outcome: Outcome) {
        let t = &mut self.requests[request as usize];
        if t.resolved {
            self.release(request);
            return;
        }
        let mut outcome = outcome;
        // A round answered, with more to go: the next starts (or the limit fails it).
        let good =
            outcome == Outcome::Complete || (outcome == Outcome::Partial && self.s.accept_partial);
        if let Some(c) = self.conversations.get(request as usize)
            && good
            && c.round < c.rounds
        {
            if self.s.max_rounds.is_some_and(|k| u32::from(c.round) >= k) {
                // The framework's recursion limit: the request fails, its calls wasted.
                self.round_limited += 1;
                outcome = Outcome::Failed;
            } else {
                self.next_round(request);
                return;
            }
        }
        let t = &mut self.requests[request as usize];
        t.resolved = true;
        let (latency, measured) = (self.now - t.arrival, t.measured);
        let tries = f64::from(t.attempts) / f64::from(t.parts.max(1));
        self.rec
            .departed(self.now, latency, outcome, measured, tries);
        if outcome == Outcome::Failed {
            self.counts.failed += 1;
        } else {
            self.counts.completed += 1;
        }
        // A request failed at the round limit used none of its calls.
        if good
            && outcome != Outcome::Failed
            && let Some(calls) = &mut self.calls
        {
            calls.used += self.conversations[request as usize].answered_cost;
        }
        self.release(request);
    }

    /// A round of the request is answered and it needs more: its next round starts now, in a
    /// slot of its own, so the late parts of the round before (a hedge, a shard past the
    /// quorum) cannot count in it. Its calls carry the conversation so far: `growth` more
    /// input tokens each round.
    fn next_round(&mut self, request: u32) {
        let growth = self.growth;
        let latency = self.calls.as_ref().and_then(|c| c.latency);
        let c = self.conversations[request as usize];
        let t = &mut self.requests[request as usize];
        t.resolved = true;
        let tokens = (c.tokens.0.saturating_add(growth), c.tokens.1);
        let work = latency.map_or(t.work, |l| {
            l.seconds(f64::from(tokens.0), f64::from(tokens.1))
        });
        let conversation = Conversation {
            round: c.round + 1,
            tokens,
            decision: (c.decision.0.saturating_add(growth), c.decision.1),
            ..c
        };
        let next = Request {
            work,
            outstanding: 0,
            done: 0,
            failed: 0,
            settled: false,
            resolved: false,
            ..t.clone()
        };
        self.work_drawn += work;
        self.later_rounds += 1;
        self.release(request);
        let generation = next_generation(&mut self.request_generations, self.requests.vacant_key());
        self.converse(self.requests.vacant_key(), conversation);
        let request = self.requests.insert(Request { generation, ..next }) as u32;
        self.events.schedule(
            self.now,
            Kind::Round {
                request,
                generation,
            },
        );
    }

    /// Whether the request is in its last round (always, without delegation loops).
    pub fn last_round(&self, request: u32) -> bool {
        self.conversations
            .get(request as usize)
            .is_none_or(|c| c.round >= c.rounds)
    }

    /// Keeps the conversation of the request about to take `slot`.
    fn converse(&mut self, slot: usize, conversation: Conversation) {
        if slot == self.conversations.len() {
            self.conversations.push(conversation);
        } else {
            self.conversations[slot] = conversation;
        }
    }

    /// The request's outcome is decided; it resolves after `delay` seconds (a merge of its
    /// results), during which its parts are no longer needed.
    pub fn settle(&mut self, request: u32, outcome: Outcome, delay: f64) {
        if delay <= 0.0 {
            self.resolve(request, outcome);
            return;
        }
        let t = &mut self.requests[request as usize];
        t.settled = true;
        let generation = t.generation;
        self.events.schedule(
            self.now + delay,
            Kind::Settle {
                request,
                generation,
                outcome,
            },
        );
    }

    /// Frees a request's slot once it is resolved and none of its parts is left.
    pub fn release(&mut self, request: u32) {
        let t = &self.requests[request as usize];
        if t.resolved && t.outstanding == 0 {
            self.requests.remove(request as usize);
        }
    }
}
