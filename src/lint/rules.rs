//! The rules. Each reads the built scenario and pushes its findings; thresholds are named
//! where they are defined and explained in docs/lint.md.

use super::{Finding, Rule, Severity};
use crate::names::short_name;
use crate::number::{round_sig, round_up, secs};
use crate::sim::distribution::Quantiles;
use crate::sim::resilience::{BreakerKind, RetryKind};
use crate::sim::scenario::{PatternParams, QueueMode, Seconds, ShardWork, Timeout};
use crate::sim::{BalancerKind, Model, Scenario, ScenarioInput};

pub const TIMEOUT: Rule = Rule {
    id: "J001",
    name: "timeout-below-work",
};
pub const RETRY_BUDGET: Rule = Rule {
    id: "J002",
    name: "retries-without-budget",
};
pub const ATTEMPTS_MULTIPLY: Rule = Rule {
    id: "J003",
    name: "attempts-multiply",
};
pub const GATHER: Rule = Rule {
    id: "J004",
    name: "gather-timeout-below-shards",
};
pub const MASTER: Rule = Rule {
    id: "J005",
    name: "master-below-arrivals",
};
pub const OVERLOAD: Rule = Rule {
    id: "J006",
    name: "station-overloaded",
};
pub const ELECTION: Rule = Rule {
    id: "J007",
    name: "election-timing",
};
pub const BREAKER: Rule = Rule {
    id: "J008",
    name: "breaker-trips-on-normal-traffic",
};
pub const SPEED_BLIND: Rule = Rule {
    id: "J009",
    name: "speed-blind-balancer-overloads",
};
pub const LAYERS: Rule = Rule {
    id: "J010",
    name: "retries-multiply-across-layers",
};
pub const QUOTA: Rule = Rule {
    id: "J011",
    name: "provider-quota-below-arrivals",
};

/// Every rule, in id order.
pub const RULES: &[Rule] = &[
    TIMEOUT,
    RETRY_BUDGET,
    ATTEMPTS_MULTIPLY,
    GATHER,
    MASTER,
    OVERLOAD,
    ELECTION,
    BREAKER,
    SPEED_BLIND,
    LAYERS,
    QUOTA,
];

/// Rules whose verdict depends on the fleet's size, which `plan` chooses.
pub const FLEET_RULES: &[Rule] = &[RETRY_BUDGET, OVERLOAD, BREAKER, SPEED_BLIND];

/// A load the advice aims under: queues grow steeply above it.
const TARGET_LOAD: f64 = 0.8;
/// A coordinator above this load has little headroom left.
const HEADROOM: f64 = 0.9;
/// "Much less than" in Raft's timing requirement: an order of magnitude.
const MUCH_LESS: f64 = 10.0;
/// The most dispatches at once `--master-concurrency` takes.
const MAX_CONCURRENCY: f64 = 10_000.0;
/// Breaker openings per agent-hour under normal traffic worth a warning.
const OPENS_PER_HOUR: f64 = 1.0;

pub fn check(s: &Scenario, given: &ScenarioInput) -> Vec<Finding> {
    let work = Quantiles::of(&s.service);
    let mut out = Vec::new();
    timeout(s, given, &work, &mut out);
    retries(s, &mut out);
    gather(s, &mut out);
    stations(s, given, &mut out);
    speed_blind(s, &mut out);
    election(s, &mut out);
    breaker(s, &work, &mut out);
    quota(s, &mut out);
    out
}

/// J011: the provider's quota serves fewer requests than arrive, whatever the fleet.
fn quota(s: &Scenario, out: &mut Vec<Finding>) {
    for p in &s.per_pattern {
        let Some(ceiling) = p.provider_ceiling else {
            continue;
        };
        let share = s.rate / ceiling;
        let severity = if share >= 1.0 {
            Severity::Error
        } else if share >= TARGET_LOAD {
            Severity::Warning
        } else {
            continue;
        };
        out.push(
            Finding::new(
                QUOTA,
                severity,
                format!(
                    "{}: the provider's quota serves at most {} requests/s of this work, and {} arrive ({}% of it): {}",
                    name(p),
                    crate::number::number(ceiling, 3),
                    crate::number::number(s.rate, 3),
                    crate::number::number(100.0 * share, 0),
                    if share >= 1.0 {
                        "calls beyond it get 429s, and more agents do not help"
                    } else {
                        "bursts will meet 429s"
                    }
                ),
            )
            .patterns(vec![name(p)])
            .number("provider_ceiling", ceiling, "requests/s")
            .number("arrival_rate", s.rate, "requests/s")
            .fix(
                format!(
                    "a larger quota (rpm and tpm at least {}% of today's), fewer calls or tokens per request, or a pattern that makes fewer calls",
                    round_up(100.0 * share / TARGET_LOAD)
                ),
                None,
            ),
        );
    }
}

/// Rounds down to two significant digits, so a bound advised stays within its limit.
fn round_down(x: f64) -> f64 {
    let scale = 10f64.powf(x.log10().floor() - 1.0);
    (x / scale).floor() * scale
}

/// Seconds as a flag takes them: 300s, 0.25s.
fn flag_secs(x: f64) -> String {
    format!("{}s", round_sig(x))
}

fn percent(x: f64) -> String {
    format!("{}%", crate::number::number(100.0 * x, 1))
}

/// The largest share of a request's work one attempt carries in this pattern: the whole
/// request, a split shard, or the heaviest stage.
fn part_share(s: &Scenario, p: &PatternParams) -> f64 {
    match p.model {
        Model::MasterSlave | Model::PeerToPeer => 1.0,
        Model::ScatterGather => match s.shard_work {
            ShardWork::Split => 1.0 / f64::from(p.fan_out.unwrap_or(1)),
            ShardWork::Full => 1.0,
        },
        Model::Pipeline => {
            let total: f64 = s.stage_work.iter().sum();
            s.stage_work.iter().copied().fold(0.0, f64::max) / total
        }
    }
}

/// The pattern's short name, as users type it.
fn name(p: &PatternParams) -> String {
    short_name(&p.pattern).to_string()
}

fn slowest(p: &PatternParams) -> f64 {
    p.speeds.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Seconds of the largest attempt's work at the slowest worker, per unit of work.
fn part_scale(s: &Scenario, p: &PatternParams) -> f64 {
    part_share(s, p) / slowest(p)
}

/// The pattern whose attempts carry the most work at its slowest worker, and that scale.
fn heaviest(s: &Scenario) -> (&PatternParams, f64) {
    s.per_pattern
        .iter()
        .map(|p| (p, part_scale(s, p)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a scenario simulates at least one pattern")
}

/// J001: attempts whose own work outlasts the timeout time out on an idle fleet.
fn timeout(s: &Scenario, given: &ScenarioInput, work: &Quantiles, out: &mut Vec<Finding>) {
    let Some(t) = s.resilience.timeout else {
        return;
    };
    let (p, scale) = heaviest(s);
    let doomed = work.exceeding(t / scale);
    let (p90, p99) = (work.at(0.9) * scale, work.at(0.99) * scale);
    let severity = if t < p90 {
        Severity::Error
    } else if t < p99 {
        Severity::Warning
    } else {
        return;
    };
    let affected: Vec<String> = s
        .per_pattern
        .iter()
        .filter(|q| t < work.at(0.99) * part_scale(s, q))
        .map(name)
        .collect();
    let deadline = s.slo.map_or(0.0, |o| o.deadline);
    let advised = round_up((2.0 * p99).max(deadline));
    let whose = if given.timeout.is_some() {
        "the timeout"
    } else {
        "the catalog's default timeout"
    };
    out.push(
        Finding::new(
            TIMEOUT,
            severity,
            format!(
                "{whose} ({}) is below the work's own {} ({}) for one attempt at the slowest agent: {} of attempts time out however idle the fleet",
                secs(t),
                if severity == Severity::Error { "p90" } else { "p99" },
                secs(if severity == Severity::Error { p90 } else { p99 }),
                percent(doomed)
            ),
        )
        .patterns(affected)
        .number("timeout", t, "s")
        .number("work_p90", p90, "s")
        .number("work_p99", p99, "s")
        .number("attempts_timed_out_when_idle", doomed, "share")
        .number("slowest_speed", slowest(p), "")
        .fix(
            format!(
                "--timeout {} (twice the p99, so that only lost attempts time out{})",
                flag_secs(advised),
                if advised == round_up(deadline) && deadline > 2.0 * p99 {
                    ", and not before the objective's deadline"
                } else {
                    ""
                }
            ),
            Some(ScenarioInput {
                timeout: Some(Timeout::Seconds(advised)),
                ..ScenarioInput::default()
            }),
        ),
    );
}

/// J002 and J003: retries that nothing bounds, and attempts that multiply.
fn retries(s: &Scenario, out: &mut Vec<Finding>) {
    let r = &s.resilience;
    if r.retry.kind == RetryKind::None {
        return;
    }
    let retries = r.retry.max_retries();
    let attempts = 1.0 + f64::from(retries);
    if r.retry_budget.is_none() {
        let (load, pattern) = s
            .per_pattern
            .iter()
            .map(|p| (p.peak_load, short_name(&p.pattern)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .expect("a scenario simulates at least one pattern");
        let amplified = load * attempts;
        let severity = if amplified >= 1.0 {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push(
            Finding::new(
                RETRY_BUDGET,
                severity,
                format!(
                    "{} retries with no retry budget{}: up to {} attempts per request; at the busiest station's load of {:.2} ({pattern}), retries alone {} after any trigger (a metastable failure)",
                    r.retry.kind,
                    if r.drop_expired { "" } else { " and no deadline propagation" },
                    attempts,
                    load,
                    if amplified >= 1.0 {
                        format!("can hold it at {amplified:.2} of its capacity")
                    } else {
                        format!("raise it to {amplified:.2} of its capacity")
                    }
                ),
            )
            .number("max_retries", f64::from(retries), "")
            .number("peak_load", load, "")
            .number("peak_load_if_every_attempt_fails", amplified, "")
            .fix(
                format!(
                    "--retry-budget 0.1{} (retries at most 10% of the requests in flight, as Envoy's retry budget)",
                    if r.drop_expired { "" } else { " --drop-expired" }
                ),
                Some(ScenarioInput {
                    retry_budget: Some(0.1),
                    drop_expired: Some(true),
                    ..ScenarioInput::default()
                }),
            ),
        );
    }
    let hedged: Vec<String> = s
        .per_pattern
        .iter()
        .filter(|p| p.hedges)
        .map(name)
        .collect();
    if r.retry_budget.is_none() {
        let depth2 = attempts * attempts;
        out.push(
            Finding::new(
                LAYERS,
                Severity::Note,
                format!(
                    "jaegis simulates retries at one layer; if a caller retries as well, attempts multiply as (1 + r)^depth: {} per request at two layers, {} at three",
                    depth2,
                    depth2 * attempts
                ),
            )
            .number("attempts_one_layer", attempts, "")
            .number("attempts_two_layers", depth2, "")
            .fix(
                "retry at one layer only (usually the outermost), or give each layer a retry budget".into(),
                None,
            ),
        );
    }
    if r.hedge_after_quantile.is_some() && !hedged.is_empty() && r.retry_budget.is_none() {
        let most = 2.0 * attempts;
        out.push(
            Finding::new(
                ATTEMPTS_MULTIPLY,
                Severity::Warning,
                format!(
                    "hedging and {retries} retries both add attempts, and they multiply: each of a shard's 2 copies may be retried, up to {most} executions per shard"
                ),
            )
            .patterns(hedged)
            .number("max_retries", f64::from(retries), "")
            .number("executions_per_shard", most, "")
            .fix(
                "--retry-budget 0.1 (retries then a bounded share beside the hedges), or one mechanism only (drop --retry or --hedge-after-quantile)".into(),
                Some(ScenarioInput {
                    retry_budget: Some(0.1),
                    ..ScenarioInput::default()
                }),
            ),
        );
    }
}

/// J004: a gather that gives up before its slowest shard is typically back.
fn gather(s: &Scenario, out: &mut Vec<Finding>) {
    let Some(p) = s
        .per_pattern
        .iter()
        .find(|p| p.model == Model::ScatterGather)
    else {
        return;
    };
    let k = p.fan_out.unwrap_or(1);
    let shard = s.slowest_shard(k);
    let speed = slowest(p);
    let (median, p99) = (shard.median / speed, shard.p99 / speed);
    let g = s.gather_timeout;
    let severity = if g < median {
        Severity::Error
    } else if g < p99 {
        Severity::Warning
    } else {
        return;
    };
    let request_timeout = s.resilience.timeout.unwrap_or(0.0);
    let advised = round_up((2.0 * p99).max(request_timeout));
    out.push(
        Finding::new(
            GATHER,
            severity,
            format!(
                "the gather timeout ({}) is below the {} of the slowest of {k} shards ({}) at the slowest agent, before any queueing: {}",
                secs(g),
                if severity == Severity::Error { "median work" } else { "p99 work" },
                secs(if severity == Severity::Error { median } else { p99 }),
                if severity == Severity::Error {
                    "half the gathers or more give up with shards missing"
                } else {
                    "more than 1% of gathers give up with shards missing"
                }
            ),
        )
        .patterns(vec![name(p)])
        .number("gather_timeout", g, "s")
        .number("fan_out", f64::from(k), "")
        .number("slowest_shard_median", median, "s")
        .number("slowest_shard_p99", p99, "s")
        .fix(
            format!(
                "--gather-timeout {} (twice the slowest shard's p99, and no less than a shard's own timeout)",
                flag_secs(advised)
            ),
            Some(ScenarioInput {
                gather_timeout: Some(Seconds(advised)),
                ..ScenarioInput::default()
            }),
        ),
    );
}

/// J005 and J006: stations offered more than they serve.
fn stations(s: &Scenario, given: &ScenarioInput, out: &mut Vec<Finding>) {
    for p in &s.per_pattern {
        let coordination = p.coordination_load.unwrap_or(0.0);
        if p.model == Model::MasterSlave && coordination >= HEADROOM {
            master(s, p, coordination, out);
        }
        let coordinator_is_peak = coordination >= p.peak_load && p.load < 1.0;
        if p.peak_load < 1.0 || (p.model == Model::MasterSlave && coordinator_is_peak) {
            continue;
        }
        let mut finding = Finding::new(
            OVERLOAD,
            Severity::Error,
            if p.load >= 1.0 {
                format!(
                    "{}: its workers are offered {:.2} of their capacity at {} requests/s; queues grow without bound",
                    name(p),
                    p.load,
                    crate::number::number(s.rate, 3)
                )
            } else {
                format!(
                    "{}: {} is offered {:.2} of its capacity at {} requests/s; its queue grows without bound",
                    name(p),
                    p.bottleneck,
                    p.peak_load,
                    crate::number::number(s.rate, 3)
                )
            },
        )
        .patterns(vec![name(p)])
        .number("rate", s.rate, "1/s")
        .number("workers_load", p.load, "")
        .number("peak_load", p.peak_load, "");
        finding = if p.model == Model::PeerToPeer && coordinator_is_peak {
            finding.fix(
                "the leader is the limit, whatever the fleet: a smaller --consensus-fraction or less --consensus-work".into(),
                None,
            )
        } else {
            let needed = (f64::from(s.agents) * p.peak_load / TARGET_LOAD).ceil();
            let limit = crate::sim::scenario::input::MAX_AGENTS as f64;
            if needed > limit {
                finding.fix(
                    format!(
                        "no fleet within the {} agents jaegis simulates brings it to {TARGET_LOAD}: less traffic or less work per request",
                        crate::sim::scenario::input::MAX_AGENTS
                    ),
                    None,
                )
            } else {
                let agents = needed as u32;
                // More agents at the same traffic: a rate given as a load would grow with the
                // fleet, and a default fan-out too.
                let mut remedy = ScenarioInput {
                    agents: Some(agents),
                    ..ScenarioInput::default()
                };
                let mut flags = format!("--agents {agents}");
                if given.load.is_some() || given.rate.is_none() {
                    remedy.rate = Some(s.rate);
                    flags.push_str(&format!(" --rate {}", round_sig(s.rate)));
                    if given.load.is_some() {
                        flags.push_str(
                            " (in place of --load, which would grow the traffic with the fleet)",
                        );
                    }
                }
                if let Some(k) = p.fan_out.filter(|_| p.model == Model::ScatterGather) {
                    remedy.fan_out = Some(k);
                    flags.push_str(&format!(" --fan-out {k}"));
                }
                finding.fix(
                    format!(
                        "{flags} brings it to about {TARGET_LOAD}; jaegis plan finds the smallest fleet that meets an objective"
                    ),
                    Some(remedy),
                )
            }
        };
        out.push(finding);
    }
}

fn master(s: &Scenario, p: &PatternParams, load: f64, out: &mut Vec<Finding>) {
    let capacity = s.rate / load;
    let needed = (f64::from(s.master_concurrency) * load / TARGET_LOAD).ceil();
    let (fix, remedy) = if needed > MAX_CONCURRENCY {
        (
            format!(
                "even {MAX_CONCURRENCY} dispatches at once leave the master at {:.2}: less --dispatch-overhead or --merge-work",
                load * f64::from(s.master_concurrency) / MAX_CONCURRENCY
            ),
            None,
        )
    } else {
        let concurrency = needed as u32;
        (
            format!(
                "--master-concurrency {concurrency} (the master at about {TARGET_LOAD}), or less --dispatch-overhead"
            ),
            Some(ScenarioInput {
                master_concurrency: Some(concurrency),
                ..ScenarioInput::default()
            }),
        )
    };
    out.push(
        Finding::new(
            MASTER,
            if load >= 1.0 {
                Severity::Error
            } else {
                Severity::Warning
            },
            format!(
                "the master dispatches at most {} requests/s ({} at once, {} each at speed {}) against {} arriving: {}",
                crate::number::number(capacity, 3),
                s.master_concurrency,
                secs(s.dispatch_overhead + s.merge_work),
                round_sig(s.agent_speed(0)),
                crate::number::number(s.rate, 3),
                if load >= 1.0 {
                    "its backlog grows without bound, whatever the workers"
                } else {
                    "little headroom; its queue grows steeply near capacity"
                }
            ),
        )
        .patterns(vec![name(p)])
        .number("dispatch_capacity", capacity, "1/s")
        .number("rate", s.rate, "1/s")
        .number("master_load", load, "")
        .fix(fix, remedy),
    );
}

/// J007: Raft's timing requirement, broadcast time << election timeout << MTBF (section 5.6).
fn election(s: &Scenario, out: &mut Vec<Finding>) {
    let Some(p) = s.per_pattern.iter().find(|p| p.model == Model::PeerToPeer) else {
        return;
    };
    let broadcast = 2.0 * s.hop_latency;
    let election = s.leader_election_timeout;
    if broadcast * MUCH_LESS > election {
        out.push(
            Finding::new(
                ELECTION,
                Severity::Warning,
                format!(
                    "a vote's round trip ({}) is not well below the election timeout ({}): candidates start before they hear of each other, and votes split",
                    secs(broadcast),
                    secs(election)
                ),
            )
            .patterns(vec![name(p)])
            .number("broadcast", broadcast, "s")
            .number("election_timeout", election, "s")
            .fix(
                format!(
                    "a leader_election_timeout of at least {} in a --catalog file (Raft: broadcast << election timeout)",
                    secs(round_up(broadcast * MUCH_LESS))
                ),
                None,
            ),
        );
    }
    if let Some(mtbf) = s.resilience.mtbf {
        // Per leader failure: declared dead after up to k heartbeats, then an election of
        // up to twice the timeout.
        let leaderless = s.heartbeat * f64::from(s.resilience.missed_heartbeats) + 2.0 * election;
        if leaderless * MUCH_LESS > mtbf {
            let budget = mtbf / MUCH_LESS;
            let missed = f64::from(s.resilience.missed_heartbeats);
            let (fix, remedy) = if 2.0 * election >= budget {
                (
                    format!(
                        "a leader_election_timeout below {} in a --catalog file, and detection within the rest of {} (Raft: election timeout << MTBF)",
                        secs(budget / 2.0),
                        secs(budget)
                    ),
                    None,
                )
            } else {
                let heartbeat = round_down((budget - 2.0 * election) / missed);
                (
                    format!(
                        "--heartbeat {} (detection and election within a tenth of the MTBF, as Raft's election timeout << MTBF asks)",
                        flag_secs(heartbeat)
                    ),
                    Some(ScenarioInput {
                        heartbeat: Some(Seconds(heartbeat)),
                        ..ScenarioInput::default()
                    }),
                )
            };
            out.push(
                Finding::new(
                    ELECTION,
                    Severity::Warning,
                    format!(
                        "detecting a failed leader and electing another takes up to {} against an MTBF of {}: the peers may spend {} of their time without a leader",
                        secs(leaderless),
                        secs(mtbf),
                        percent((leaderless / mtbf).min(1.0))
                    ),
                )
                .patterns(vec![name(p)])
                .number("leaderless_per_failure", leaderless, "s")
                .number("mtbf", mtbf, "s")
                .fix(fix, remedy),
            );
        }
    }
}

/// J009: a balancer that shares requests out equally, whatever the speeds, overloads the
/// slowest agent before the fleet is full.
fn speed_blind(s: &Scenario, out: &mut Vec<Finding>) {
    let blind: Vec<&str> = s
        .balancers
        .iter()
        .filter(|b| matches!(b, BalancerKind::RoundRobin | BalancerKind::Random))
        .map(|b| b.id())
        .collect();
    if blind.is_empty() {
        return;
    }
    for p in &s.per_pattern {
        let late_binding = p.model == Model::MasterSlave && s.queue == QueueMode::Shared;
        if p.model == Model::Pipeline || late_binding || p.peak_load >= 1.0 {
            continue;
        }
        let speed = slowest(p);
        let load = s.rate * p.work_per_request / f64::from(p.workers) / speed;
        if load < 1.0 {
            continue;
        }
        out.push(
            Finding::new(
                SPEED_BLIND,
                Severity::Error,
                format!(
                    "{}: {} {} every agent an equal share whatever its speed: the slowest (speed {}) is offered {load:.2} of its capacity, though the fleet as a whole is at {:.2}",
                    name(p),
                    blind.join(" and "),
                    if blind.len() == 1 { "gives" } else { "give" },
                    round_sig(speed),
                    p.load
                ),
            )
            .patterns(vec![name(p)])
            .number("slowest_speed", speed, "")
            .number("slowest_agent_load", load, "")
            .number("workers_load", p.load, "")
            .fix(
                "--balancer weighted_round_robin (shares in proportion to speed), or least_connections".into(),
                Some(ScenarioInput {
                    balancer: Some(crate::sim::scenario::Names(vec![
                        BalancerKind::WeightedRoundRobin.id().to_string(),
                    ])),
                    ..ScenarioInput::default()
                }),
            ),
        );
    }
}

/// J008: a breaker that opens on the failures normal traffic produces.
fn breaker(s: &Scenario, work: &Quantiles, out: &mut Vec<Finding>) {
    let r = &s.resilience;
    let b = &r.circuit_breaker;
    if b.kind == BreakerKind::None {
        return;
    }
    let (p, scale) = heaviest(s);
    let timed_out = r.timeout.map_or(0.0, |t| work.exceeding(t / scale));
    let down = match (r.mtbf, r.mttr) {
        (Some(mtbf), Some(mttr)) => mttr / (mtbf + mttr),
        _ => 0.0,
    };
    let failing = 1.0 - (1.0 - timed_out) * (1.0 - down);
    if failing <= 0.0 {
        return;
    }
    let finding = match b.kind {
        BreakerKind::FailureRate if failing >= b.failure_rate / 2.0 => {
            let severity = if failing >= b.failure_rate {
                Severity::Error
            } else {
                Severity::Warning
            };
            let advised = round_up(2.0 * failing);
            Finding::new(
                BREAKER,
                severity,
                format!(
                    "at least {} of attempts fail under normal traffic (timeouts on the work itself, agents down), against a failure-rate threshold of {}: breakers {} on healthy agents",
                    percent(failing),
                    percent(b.failure_rate),
                    if severity == Severity::Error { "open" } else { "come close to opening" }
                ),
            )
            .number("normal_failure_rate", failing, "share")
            .number("breaker_failure_rate", b.failure_rate, "share")
            .fix(
                if advised < 1.0 {
                    format!(
                        "--breaker-failure-rate {advised} (twice the normal rate), or a timeout the work fits in"
                    )
                } else {
                    "a timeout the work fits in: most attempts fail before any fault".into()
                },
                (advised < 1.0).then(|| ScenarioInput {
                    breaker_failure_rate: Some(advised),
                    ..ScenarioInput::default()
                }),
            )
        }
        BreakerKind::Consecutive => {
            let k = b.failure_threshold;
            let per_agent = s.rate / f64::from(p.workers.max(1));
            // Runs of k failures start at rate a (1 - p) p^k per agent.
            let opens = per_agent * (1.0 - failing) * failing.powi(k as i32) * 3600.0;
            if opens < OPENS_PER_HOUR {
                return;
            }
            Finding::new(
                BREAKER,
                Severity::Warning,
                format!(
                    "at least {} of attempts fail under normal traffic; {k} in a row happen about {} times an hour per agent, and open its breaker on a healthy agent",
                    percent(failing),
                    crate::number::number(opens, 1)
                ),
            )
            .number("normal_failure_rate", failing, "share")
            .number("failure_threshold", f64::from(k), "")
            .number("opens_per_agent_hour", opens, "1/h")
            .fix(
                "a larger failure_threshold in a --catalog file, a failure-rate breaker (--circuit-breaker failure-rate), or a timeout the work fits in".into(),
                Some(ScenarioInput {
                    circuit_breaker: Some(BreakerKind::FailureRate),
                    ..ScenarioInput::default()
                }),
            )
        }
        _ => return,
    };
    out.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::lint::lint;

    /// The findings on a scenario file's text, as (id, severity).
    fn findings(toml: &str) -> Vec<(&'static str, Severity)> {
        let input = ScenarioInput::from_toml(toml, "case.toml").unwrap();
        let s = Scenario::build(input.clone(), &Catalog::embedded().simulation_defaults()).unwrap();
        lint(&s, &input)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect()
    }

    #[test]
    fn a_plain_configuration_is_clean() {
        assert_eq!(findings(""), []);
        assert_eq!(
            findings(
                "retry = \"exponential\"\nretry_budget = 0.1\ndrop_expired = true\nload = 0.5"
            ),
            []
        );
    }

    #[test]
    fn a_timeout_below_the_work_is_an_error_below_p90_and_a_warning_below_p99() {
        // exp:1: p90 = 2.30 s, p99 = 4.61 s.
        let toml = "pattern = \"master_slave\"\ntimeout = ";
        assert_eq!(findings(&format!("{toml}2")), [("J001", Severity::Error)]);
        assert_eq!(findings(&format!("{toml}3")), [("J001", Severity::Warning)]);
        assert_eq!(findings(&format!("{toml}5")), []);
        // A speed of 0.5 doubles every attempt's time.
        assert_eq!(
            findings(&format!(
                "{toml}5\nspeeds = [1, 0.5]\nbalancer = \"least_connections\""
            )),
            [("J001", Severity::Warning)]
        );
        // A split shard of scatter_gather carries an eighth of the work: 2 s is plenty.
        assert_eq!(findings("pattern = \"scatter_gather\"\ntimeout = 2"), []);
    }

    #[test]
    fn unbudgeted_retries_are_an_error_when_they_can_overload_the_fleet() {
        // Exponential backoff has 5 retries: 6 attempts; at load 0.1 they reach 0.6 only.
        // A note adds that a caller's retries would multiply them: 36 at two layers.
        assert_eq!(
            findings("retry = \"exponential\"\nload = 0.1"),
            [("J002", Severity::Warning), ("J010", Severity::Note)]
        );
        assert_eq!(
            findings("retry = \"exponential\"\nload = 0.5"),
            [("J002", Severity::Error), ("J010", Severity::Note)]
        );
        assert_eq!(
            findings("retry = \"exponential\"\nretry_budget = 0.1\nload = 0.5"),
            []
        );
    }

    #[test]
    fn hedges_and_retries_multiply() {
        let toml = "pattern = \"scatter_gather\"\nretry = \"exponential\"\nhedge_after_quantile = 0.95\nload = 0.1";
        let f = findings(toml);
        assert!(f.contains(&("J003", Severity::Warning)), "{f:?}");
        // Its fix, a retry budget, bounds them: no finding is left.
        assert_eq!(findings(&format!("{toml}\nretry_budget = 0.1")), []);
    }

    #[test]
    fn a_gather_timeout_below_the_slowest_shard_is_caught() {
        // 4 independent shards of exp(1/4): the largest has mean (1 + 1/2 + 1/3 + 1/4)/4 =
        // 0.52 s, median -ln(1 - 0.5^(1/4))/4 = 0.47 s and p99 -ln(1 - 0.99^(1/4))/4 = 1.50 s.
        let toml =
            "pattern = \"scatter_gather\"\nfan_out = 4\nparts = \"independent\"\ngather_timeout = ";
        assert_eq!(
            findings(&format!("{toml}0.45")),
            [("J004", Severity::Error)]
        );
        assert_eq!(
            findings(&format!("{toml}0.5")),
            [("J004", Severity::Warning)]
        );
        assert_eq!(
            findings(&format!("{toml}1.4")),
            [("J004", Severity::Warning)]
        );
        assert_eq!(findings(&format!("{toml}1.6")), []);
        let input = ScenarioInput::from_toml(&format!("{toml}1"), "c").unwrap();
        let s = Scenario::build(input.clone(), &Catalog::embedded().simulation_defaults()).unwrap();
        let shard = s.slowest_shard(4);
        assert!((shard.mean - 25.0 / 48.0).abs() < 0.02, "{shard:?}");
        let median = -(1.0 - 0.5f64.powf(0.25)).ln() / 4.0;
        assert!(
            (shard.median / median - 1.0).abs() < 0.03,
            "{shard:?} against {median}"
        );
        let p99 = -(1.0 - 0.99f64.powf(0.25)).ln() / 4.0;
        assert!(
            (shard.p99 / p99 - 1.0).abs() < 0.05,
            "{shard:?} against {p99}"
        );
    }

    #[test]
    fn stations_at_capacity_are_errors_with_the_agents_that_fix_them() {
        // The master dispatches 1 / 0.01 s = 100 requests/s.
        assert_eq!(
            findings("pattern = \"master_slave\"\nagents = 200\nrate = 120\nservice = \"exp:0.1\""),
            [("J005", Severity::Error)]
        );
        assert_eq!(
            findings("pattern = \"master_slave\"\nagents = 200\nrate = 95\nservice = \"exp:0.1\""),
            [("J005", Severity::Warning)]
        );
        // Three stages on 8 agents take 3, 3 and 2: the last is at 0.9 x 8/3 / 2 = 1.2.
        let input = ScenarioInput::from_toml("pattern = \"pipeline\"\nstages = 3\nload = 0.9", "c")
            .unwrap();
        let s = Scenario::build(input.clone(), &Catalog::embedded().simulation_defaults()).unwrap();
        let f = lint(&s, &input);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].id, f[0].severity), ("J006", Severity::Error));
        // The fix adds agents at the same rate.
        let fixed = input
            .clone()
            .overlaid(ScenarioInput {
                rate: Some(s.rate),
                ..ScenarioInput::default()
            })
            .overlaid(f[0].remedy.clone().unwrap());
        let s = Scenario::build(fixed.clone(), &Catalog::embedded().simulation_defaults()).unwrap();
        assert!(s.per_pattern[0].peak_load < 1.0, "{:?}", s.per_pattern[0]);
    }

    #[test]
    fn a_quota_below_the_arrivals_is_an_error_and_near_them_a_warning() {
        // rpm = 60: one call a second; peers make one call a request, with 3 votes three.
        let toml = "pattern = \"peer_to_peer\"\nagents = 16\nbalancer = \"least_connections\"\ntokens_in = \"det:100\"\ntokens_out = \"det:10\"\nllm_latency = \"ttft=0.5\"\nprovider = \"rpm=60\"\n";
        let quota = |extra: &str| {
            findings(&format!("{toml}{extra}"))
                .into_iter()
                .filter(|(id, _)| *id == "J011")
                .map(|(_, s)| s)
                .collect::<Vec<_>>()
        };
        assert_eq!(quota("rate = 0.5\n"), []);
        assert_eq!(quota("rate = 0.85\n"), [Severity::Warning]);
        assert_eq!(quota("rate = 1\n"), [Severity::Error]);
        assert_eq!(quota("rate = 0.5\nvotes = 3\n"), [Severity::Error]);
        assert_eq!(quota("rate = 0.3\nrounds = 3\n"), [Severity::Warning]);
    }

    #[test]
    fn a_speed_blind_balancer_overloads_the_slowest_agent() {
        // 8 peers of speeds 1 and 0.25 at load 0.5: rate 0.5 x 5 = 2.5/s, 0.31 per peer under
        // round robin, which a peer of speed 0.25 serves at most 0.25 of.
        let toml = "agents = 8\nspeeds = [1, 0.25]\nload = 0.5\nbalancer = ";
        assert_eq!(
            findings(&format!(
                "{toml}\"round_robin\"\npattern = \"peer_to_peer\""
            )),
            [("J009", Severity::Error)]
        );
        // Weighted round robin and least connections see the speeds; a shared queue binds late.
        for fine in ["weighted_round_robin", "least_connections"] {
            assert_eq!(
                findings(&format!("{toml}\"{fine}\"\npattern = \"peer_to_peer\"")),
                []
            );
        }
        assert_eq!(
            findings(&format!(
                "{toml}\"round_robin\"\npattern = \"master_slave\"\nqueue = \"shared\""
            )),
            []
        );
    }

    #[test]
    fn each_fix_removes_its_finding() {
        let defaults = Catalog::embedded().simulation_defaults();
        for toml in [
            "pattern = \"master_slave\"\ntimeout = 2",
            "pattern = \"all\"\nload = 1.2",
            "pattern = \"scatter_gather\"\nagents = 4\nshard_work = \"full\"\nrate = 1.2",
            "pattern = \"peer_to_peer\"\nmtbf = 500\nmttr = 10\ntimeout = 100\nheartbeat = 10",
            "pattern = \"scatter_gather\"\nfan_out = 4\nparts = \"independent\"\ngather_timeout = 0.4",
            "pattern = \"master_slave\"\nagents = 200\nrate = 120\nservice = \"exp:0.1\"",
            "agents = 8\nspeeds = [1, 0.25]\nload = 0.5\nbalancer = \"random\"\npattern = \"peer_to_peer\"",
            "pattern = \"peer_to_peer\"\ntimeout = 2\ncircuit_breaker = \"failure-rate\"\nbreaker_failure_rate = 0.2\nbalancer = \"least_connections\"",
        ] {
            let mut input = ScenarioInput::from_toml(toml, "case").unwrap();
            let s = Scenario::build(input.clone(), &defaults).unwrap();
            let found = lint(&s, &input);
            assert!(!found.is_empty(), "{toml}");
            for f in &found {
                let remedy = f.remedy.clone().unwrap_or_else(|| panic!("{toml}: {f:?}"));
                input = input.overlaid(remedy);
            }
            let s = Scenario::build(input.clone(), &defaults).unwrap();
            let left = lint(&s, &input);
            assert!(left.is_empty(), "{toml}: {left:#?}");
        }
    }

    #[test]
    fn election_timing_follows_raft() {
        // A 1 s hop against the catalog's 15 s election timeout: a round trip of 2 s.
        assert_eq!(
            findings("pattern = \"peer_to_peer\"\nhop_latency = 1"),
            [("J007", Severity::Warning)]
        );
        // Detection (3 x 5 s) and election (up to 30 s) against an MTBF of 300 s.
        assert_eq!(
            findings("pattern = \"peer_to_peer\"\nmtbf = 300\nmttr = 10\ntimeout = 100"),
            [("J007", Severity::Warning)]
        );
        assert_eq!(
            findings("pattern = \"peer_to_peer\"\nmtbf = 100000\nmttr = 10\ntimeout = 100"),
            []
        );
    }

    #[test]
    fn breakers_that_open_on_normal_traffic_are_caught() {
        // A 2 s timeout fails 13.5% of exp(1) attempts (e^-2): a 20% failure rate is close.
        let toml = "pattern = \"peer_to_peer\"\ntimeout = 2\ncircuit_breaker = \"failure-rate\"\nbreaker_failure_rate = ";
        let f = findings(&format!("{toml}0.2"));
        assert!(f.contains(&("J008", Severity::Warning)), "{f:?}");
        let f = findings(&format!("{toml}0.1"));
        assert!(f.contains(&("J008", Severity::Error)), "{f:?}");
        let f = findings(&format!("{toml}0.5"));
        assert!(!f.iter().any(|(id, _)| *id == "J008"), "{f:?}");
    }

    #[test]
    fn every_rule_has_a_section_in_the_docs() {
        let docs = std::fs::read_to_string("docs/lint.md").unwrap();
        for rule in RULES {
            let heading = format!("## {}: {}", rule.id, rule.name);
            assert!(docs.contains(&heading), "docs/lint.md lacks '{heading}'");
        }
    }
}
