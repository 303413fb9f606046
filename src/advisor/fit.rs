//! Settings fitted to the user's workload: the balancer, timeouts, retries, stages, fan-out
//! and heartbeats worked out from the work's distribution, the fleet's speeds, the traffic and
//! the objective, with the catalog's value beside each and why it was kept or changed.
//! Stations' loads come from the scenario's own analytic model, so a stage count or a fan-out
//! that would overload an agent is never advised.

use serde::Serialize;

use crate::number::{round_up, secs};
use crate::sim::distribution::{Quantiles, Service};
use crate::sim::resilience::{BreakerKind, RetryKind};
use crate::sim::scenario::{Defaults, Names, Seconds, ShardWork, Timeout};
use crate::sim::{BalancerKind, Model, Scenario, ScenarioError, ScenarioInput};

use super::advice::Advice;
use super::{Request, Trait};

/// Share of requests in flight that retries may take, as Envoy's `retry_budget` (20% there,
/// with a floor of 3) and the SRE book's per-client budget of 10% advise.
pub const RETRY_BUDGET: f64 = 0.1;

/// Peers from this many get power-of-two choices: near least-loaded, without least-loaded's
/// herding on views a heartbeat old. A central dispatcher keeps least_connections, whose pick
/// is indexed (O(log n)) and whose queues stay far shorter near capacity.
pub const LARGE_FLEET: u32 = 1000;

/// A station loaded beyond this is not advised: queues grow steeply past it.
const STABLE: f64 = 0.9;

/// How the agents' speeds differ, from the speeds or from `--heterogeneous-agents`.
fn speed_range(slowest: f64, fastest: f64) -> String {
    if fastest > slowest {
        format!(
            "agents differ in speed ({} to {})",
            crate::number::round_sig(slowest),
            crate::number::round_sig(fastest)
        )
    } else {
        "--heterogeneous-agents says agents differ in speed".to_string()
    }
}

/// "1 shard", "3 shards".
fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Where an advised value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The catalog's value, kept because the workload gives no reason to change it.
    Catalog,
    /// Worked out from the workload; the catalog's value is shown beside it.
    Fitted,
    /// Given by the user, so not advised.
    Yours,
}

/// One advised setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub setting: &'static str,
    pub advised: String,
    pub catalog: String,
    pub source: Source,
    pub reason: String,
}

/// The settings fitted to one pattern on the workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub pattern: String,
    pub balancer: BalancerKind,
    pub settings: Vec<Setting>,
    /// Loads at or above capacity that no advice can remove (the workload's own flags).
    pub warnings: Vec<String>,
    /// The advised values, to lay over the workload.
    #[serde(skip)]
    pub input: ScenarioInput,
}

/// What the fit reads off the workload.
struct Work {
    mean: f64,
    p99: f64,
    /// Squared coefficient of variation.
    scv: f64,
}

impl Work {
    fn of(service: &Service) -> Work {
        Work {
            mean: service.mean(),
            p99: work_quantile(service, 0.99),
            scv: service.scv(),
        }
    }
}

/// The `q` quantile of the work (see [`Quantiles`]).
pub fn work_quantile(service: &Service, q: f64) -> f64 {
    Quantiles::of(service).at(q)
}

/// The workload as the pattern would run it with `overlay` laid over it.
fn build(
    workload: &ScenarioInput,
    model: Model,
    overlay: ScenarioInput,
    defaults: &Defaults,
) -> Result<Scenario, ScenarioError> {
    let probe = ScenarioInput {
        pattern: Some(Names(vec![model.name().to_string()])),
        balancer: Some(Names(vec!["round_robin".into()])),
        tasks: Some(1000),
        duration: None,
        replications: Some(1),
        timeline: None,
        ..ScenarioInput::default()
    };
    let mut base = workload.clone();
    base.tasks = None;
    base.duration = None;
    Scenario::build(base.overlaid(overlay).overlaid(probe), defaults)
}

/// Fits the settings of `advice`'s pattern to the workload.
pub fn fit(
    workload: &ScenarioInput,
    request: &Request,
    advice: &Advice,
    defaults: &Defaults,
) -> Result<Fit, ScenarioError> {
    let model =
        Model::from_short_name(crate::names::short_name(&advice.pattern)).ok_or_else(|| {
            ScenarioError::Catalog(crate::sim::scenario::CatalogLookup(format!(
                "{} has no simulation model",
                advice.pattern
            )))
        })?;
    let base = build(workload, model, ScenarioInput::default(), defaults)?;
    let p = &base.per_pattern[0];
    let work = Work::of(&base.service);
    let slowest = p.speeds.iter().copied().fold(f64::INFINITY, f64::min);
    let fastest = p.speeds.iter().copied().fold(0.0, f64::max);
    let mut settings = Vec::new();
    let mut input = ScenarioInput::default();
    let mut warnings = Vec::new();

    // The balancer.
    let catalog_balancer = advice.balancer.balancer.clone();
    let varies = work.scv > 0.0 || request.has(Trait::VariableTaskDuration);
    let speeds_differ = fastest > slowest || request.has(Trait::HeterogeneousAgents);
    let (balancer, why) = if base.kinds.is_some() && base.capabilities.is_some()
        || request.has(Trait::SpecializedAgents)
    {
        (
            BalancerKind::CapabilityBased,
            "requests have kinds that only some agents serve well".to_string(),
        )
    } else if speeds_differ && model == Model::PeerToPeer {
        (
            BalancerKind::WeightedRoundRobin,
            "agents differ in speed: each peer shares out requests in proportion to speed (predictive's estimates, shared by the peers, herd them onto the same agents between heartbeats)".to_string(),
        )
    } else if speeds_differ && varies {
        (
            BalancerKind::Predictive,
            format!(
                "{} and the work varies (CV {:.2}): it learns each agent's speed and routes by expected time",
                speed_range(slowest, fastest),
                work.scv.sqrt()
            ),
        )
    } else if speeds_differ {
        (
            BalancerKind::WeightedRoundRobin,
            format!(
                "{} and every request is the same work: shares in proportion to speed",
                speed_range(slowest, fastest)
            ),
        )
    } else if p.workers >= LARGE_FLEET && model == Model::PeerToPeer {
        (
            BalancerKind::PowerOfTwo,
            format!(
                "{} agents: two random choices come close to least-loaded at a constant cost per pick",
                p.workers
            ),
        )
    } else if varies {
        (
            BalancerKind::LeastConnections,
            format!(
                "the work varies (CV {:.2}): the least-loaded agent avoids queueing behind long requests",
                work.scv.sqrt()
            ),
        )
    } else {
        (
            BalancerKind::RoundRobin,
            "equal agents and equal work: taking turns is as good as any".to_string(),
        )
    };
    input.balancer = Some(Names(vec![balancer.id().to_string()]));
    settings.push(Setting {
        setting: "load balancer",
        advised: balancer.id().to_string(),
        source: if catalog_balancer.starts_with(balancer.id()) {
            Source::Catalog
        } else {
            Source::Fitted
        },
        catalog: catalog_balancer,
        reason: why,
    });

    // The request timeout: never below a high quantile of the work itself.
    let catalog_timeout = defaults.request_timeout;
    // Never below twice the work's p99 at the slowest agent, and with an objective never
    // below its deadline: a timeout before the deadline gives up on requests that would
    // still have met it.
    let deadline = base.slo.map_or(0.0, |o| o.deadline);
    let floor = round_up((2.0 * work.p99 / slowest).max(deadline));
    if let Some(t) = workload.timeout {
        settings.push(Setting {
            setting: "timeout",
            advised: match t {
                Timeout::Seconds(s) => secs(s),
                Timeout::None => "none".into(),
            },
            catalog: secs(catalog_timeout),
            source: Source::Yours,
            reason: match t {
                Timeout::Seconds(s) if s < work.p99 / slowest => format!(
                    "yours; it is below the work's own p99 at the slowest agent ({}): those requests time out however idle the fleet",
                    secs(work.p99 / slowest)
                ),
                _ => "yours".into(),
            },
        });
    } else {
        let (advised, source, reason) = if floor > catalog_timeout {
            (
                floor,
                Source::Fitted,
                if deadline >= 2.0 * work.p99 / slowest {
                    format!(
                        "not before the objective's {} deadline: a timeout sooner gives up on requests that would still meet it",
                        secs(deadline)
                    )
                } else {
                    format!(
                        "the work's p99 is {} at the slowest agent's speed; twice that leaves room for queueing, so only lost attempts time out",
                        secs(work.p99 / slowest)
                    )
                },
            )
        } else {
            (
                catalog_timeout,
                Source::Catalog,
                format!(
                    "above twice the work's p99 at the slowest agent ({})",
                    secs(work.p99 / slowest)
                ),
            )
        };
        input.timeout = Some(Timeout::Seconds(advised));
        settings.push(Setting {
            setting: "timeout",
            advised: secs(advised),
            catalog: secs(catalog_timeout),
            source,
            reason,
        });
    }

    // Retries, always inside a budget and with deadline propagation.
    let catalog_retry = format!(
        "{}, {} retries, no budget",
        advice.retry.policy, advice.retry.max_retries
    );
    let kind = advice
        .retry
        .policy
        .parse()
        .unwrap_or(RetryKind::Exponential);
    if workload.retry.is_some() || workload.retry_budget.is_some() {
        settings.push(Setting {
            setting: "retry",
            advised: format!(
                "{}{}",
                workload.retry.unwrap_or(RetryKind::None),
                workload
                    .retry_budget
                    .map_or(String::new(), |b| format!(", budget {:.0}%", 100.0 * b))
            ),
            catalog: catalog_retry,
            source: Source::Yours,
            reason: if workload.retry.is_some_and(|r| r != RetryKind::None)
                && workload.retry_budget.is_none()
            {
                "yours; without a retry budget, retries multiply the load exactly when agents are slow (see the retry-storm example)".into()
            } else {
                "yours".into()
            },
        });
    } else {
        // The budget must cover the retries failures call for: about twice the share of
        // time an agent is down, at least the usual 10%.
        let down = match (base.resilience.mtbf, base.resilience.mttr) {
            (Some(f), Some(r)) => r / (f + r),
            _ => 0.0,
        };
        let budget = ((2.0 * down * 100.0).ceil() / 100.0).clamp(RETRY_BUDGET, 0.5);
        input.retry = Some(kind);
        input.retry_budget = Some(budget);
        settings.push(Setting {
            setting: "retry",
            advised: format!(
                "{}, {} retries, budget {:.0}%",
                advice.retry.policy,
                advice.retry.max_retries,
                100.0 * budget
            ),
            catalog: catalog_retry,
            source: Source::Fitted,
            reason: if budget > RETRY_BUDGET {
                format!(
                    "{}; agents are down {:.0}% of the time, so the budget allows retries up to {:.0}% of requests in flight: enough for failures, not enough to multiply the load when agents are merely slow",
                    advice.retry.settings,
                    100.0 * down,
                    100.0 * budget
                )
            } else {
                format!(
                    "{}; the budget keeps retries under {:.0}% of requests in flight, so slow agents do not multiply the load (as Envoy's retry_budget)",
                    advice.retry.settings,
                    100.0 * budget
                )
            },
        });
    }
    if workload.drop_expired.is_none() && workload.timeout != Some(Timeout::None) {
        input.drop_expired = Some(true);
        settings.push(Setting {
            setting: "deadline propagation",
            advised: "on (--drop-expired)".into(),
            catalog: "off".into(),
            source: Source::Fitted,
            reason: "agents skip work whose requester already gave up, so a timed-out attempt and its retry are not both served".into(),
        });
    }
    if workload.circuit_breaker.is_none() {
        input.circuit_breaker = Some(BreakerKind::Consecutive);
        let b = &advice.circuit_breaker;
        settings.push(Setting {
            setting: "circuit breaker",
            advised: format!(
                "consecutive, open after {} failures, {} s recovery",
                b.failure_threshold,
                crate::number::round_sig(b.recovery_timeout_s)
            ),
            catalog: format!(
                "open after {} failures, {} s recovery",
                b.failure_threshold,
                crate::number::round_sig(b.recovery_timeout_s)
            ),
            source: Source::Catalog,
            reason: b.reason.clone(),
        });
    }

    // Heartbeats on the workload's time scale.
    if model == Model::PeerToPeer && workload.heartbeat.is_none() {
        let catalog_hb = defaults.heartbeat;
        let mean_service = work.mean / (p.speeds.iter().sum::<f64>() / p.speeds.len() as f64);
        let mut hb = catalog_hb.min(round_up(mean_service.max(0.05)));
        let mut reason = if hb < catalog_hb {
            format!(
                "peers route on loads one heartbeat old; a mean request takes {}, so a {} heartbeat would let every peer herd onto the same agent",
                secs(mean_service),
                secs(catalog_hb)
            )
        } else {
            format!(
                "a mean request takes {}: loads a heartbeat old are still current",
                secs(mean_service)
            )
        };
        if let Some(mtbf) = base.resilience.mtbf {
            let detection_cap = mtbf / 10.0 / f64::from(base.resilience.missed_heartbeats);
            if hb > detection_cap {
                hb = round_up(detection_cap);
                reason = format!(
                    "detection ({} missed beats) must stay well under the mean time between failures ({}): broadcast << election timeout << MTBF",
                    base.resilience.missed_heartbeats,
                    secs(mtbf)
                );
            }
        }
        input.heartbeat = Some(Seconds(hb));
        settings.push(Setting {
            setting: "heartbeat",
            advised: secs(hb),
            catalog: secs(catalog_hb),
            source: if hb < catalog_hb {
                Source::Fitted
            } else {
                Source::Catalog
            },
            reason,
        });
    }

    // What no flag sets: kept from the catalog, and held against the failure rate.
    let detection = match model {
        Model::MasterSlave => Some((
            "failure detection",
            defaults.failure_detection_timeout,
            "a silent master is declared failed and its backup takes over",
        )),
        Model::PeerToPeer => Some((
            "election timeout",
            defaults.leader_election_timeout,
            "a lost leader is replaced by an election timing out",
        )),
        _ => None,
    };
    if let Some((setting, value, what)) = detection {
        settings.push(Setting {
            setting,
            advised: secs(value),
            catalog: secs(value),
            source: Source::Catalog,
            reason: format!(
                "{what} after {}; the simulator takes it from the catalog",
                secs(value)
            ),
        });
        if let Some(mtbf) = base.resilience.mtbf
            && value > mtbf / 10.0
        {
            warnings.push(format!(
                "{}: its {setting} ({}) is not well under the mean time between failures ({}): failures overlap their own recovery (Raft: broadcast << election timeout << MTBF)",
                p.pattern,
                secs(value),
                secs(mtbf)
            ));
        }
    }

    match model {
        Model::Pipeline => fit_stages(
            workload,
            model,
            defaults,
            &base,
            &mut input,
            &mut settings,
            &mut warnings,
        )?,
        Model::ScatterGather => fit_fan_out(
            workload,
            defaults,
            &base,
            slowest,
            &mut input,
            &mut settings,
            &mut warnings,
        )?,
        Model::MasterSlave | Model::PeerToPeer => {
            if p.peak_load >= 1.0 {
                warnings.push(format!(
                    "{}: {} is loaded at {:.2} of its capacity: no setting can keep up; it needs more agents or less work",
                    p.pattern, p.bottleneck, p.peak_load
                ));
            }
        }
    }
    Ok(Fit {
        pattern: advice.pattern.clone(),
        balancer,
        settings,
        warnings,
        input,
    })
}

/// Whether the busiest station carries no more than a tenth above the fleet's own load, and
/// stays below its capacity.
fn balanced(p: &crate::sim::scenario::PatternParams) -> bool {
    p.peak_load <= p.load * 1.1 + 1e-9 && p.peak_load < 1.0
}

/// A stage count, and if need be a split of the work over the stages, that leave no stage
/// overloaded: the balanced count of at least two stages closest to the catalog's, else the
/// one with the least-loaded busiest stage, with the work split in proportion to each
/// stage's speed when the count alone cannot balance it.
fn fit_stages(
    workload: &ScenarioInput,
    model: Model,
    defaults: &Defaults,
    base: &Scenario,
    input: &mut ScenarioInput,
    settings: &mut Vec<Setting>,
    warnings: &mut Vec<String>,
) -> Result<(), ScenarioError> {
    let p = &base.per_pattern[0];
    let catalog = crate::sim::scenario::DEFAULT_STAGES;
    if workload.stages.is_some() || workload.stage_work.is_some() {
        if p.peak_load >= 1.0 {
            warnings.push(format!(
                "{}: your stages overload {} at {:.2} of its capacity: no setting can keep up",
                p.pattern, p.bottleneck, p.peak_load
            ));
        }
        return Ok(());
    }
    let mut options: Vec<(u32, Scenario)> = Vec::new();
    for k in 2.min(p.workers)..=p.workers.clamp(1, 16) {
        let overlay = ScenarioInput {
            stages: Some(k),
            ..ScenarioInput::default()
        };
        if let Ok(s) = build(workload, model, overlay, defaults) {
            options.push((k, s));
        }
    }
    let score = |(k, s): &(u32, Scenario)| {
        let q = &s.per_pattern[0];
        (!balanced(q), k.abs_diff(catalog), q.peak_load)
    };
    let Some((k, chosen)) = options.into_iter().min_by(|a, b| {
        let (x, y) = (score(a), score(b));
        x.0.cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.total_cmp(&y.2))
    }) else {
        return Ok(());
    };
    let default_k = p.stage_workers.len() as u32;
    let q = &chosen.per_pattern[0];
    input.stages = Some(k);
    settings.push(Setting {
        setting: "stages",
        advised: k.to_string(),
        catalog: default_k.to_string(),
        source: if k == default_k {
            Source::Catalog
        } else {
            Source::Fitted
        },
        reason: if k == default_k {
            format!(
                "{} over {} ({:?} per stage): the busiest stage is at {:.2} of its capacity",
                plural(k, "stage"),
                plural(p.workers, "agent"),
                q.stage_workers,
                q.peak_load
            )
        } else {
            format!(
                "{} over {} ({:?} per stage) load the busiest stage at {:.2}; {} ({:?}) bring it to {:.2}",
                plural(default_k, "stage"),
                plural(p.workers, "agent"),
                p.stage_workers,
                p.peak_load,
                plural(k, "stage"),
                q.stage_workers,
                q.peak_load
            )
        },
    });
    if balanced(q) {
        return Ok(());
    }
    // Agents of unequal speed: no count balances equal stages, so give each stage a share
    // of the work in proportion to its agents' total speed. Agents are given to stages in
    // proportion to their work, so the shares are refined a few times, keeping the best.
    let shares_of = |q: &crate::sim::scenario::PatternParams| -> Vec<f64> {
        let mut first = 0;
        q.stage_workers
            .iter()
            .map(|&n| {
                let speed: f64 = q.speeds[first..first + n as usize].iter().sum();
                first += n as usize;
                (speed * 100.0).round() / 100.0
            })
            .collect()
    };
    let mut best: Option<(Vec<f64>, f64)> = None;
    let mut shares = shares_of(q);
    for _ in 0..8 {
        let overlay = ScenarioInput {
            stages: Some(k),
            stage_work: Some(crate::sim::scenario::Numbers(shares.clone())),
            ..ScenarioInput::default()
        };
        let split = build(workload, model, overlay, defaults)?;
        let r = &split.per_pattern[0];
        if best
            .as_ref()
            .is_none_or(|(_, peak)| r.peak_load < *peak - 1e-9)
        {
            best = Some((shares.clone(), r.peak_load));
        }
        let next = shares_of(r);
        if next == shares {
            break;
        }
        shares = next;
    }
    let (shares, peak) = best.expect("at least one split was tried");
    if peak < q.peak_load {
        input.stage_work = Some(crate::sim::scenario::Numbers(shares.clone()));
        settings.push(Setting {
            setting: "stage split",
            advised: shares
                .iter()
                .map(|x| crate::number::round_sig(*x).to_string())
                .collect::<Vec<_>>()
                .join(","),
            catalog: "equal".into(),
            source: Source::Fitted,
            reason: format!(
                "the stages' agents differ in speed: equal stages load the busiest at {:.2}; work in proportion to each stage's speed brings it to {peak:.2}",
                q.peak_load
            ),
        });
    }
    if peak.min(q.peak_load) >= 1.0 {
        warnings.push(format!(
            "{}: every stage count overloads a stage (at best {:.2} of its capacity): a pipeline of {} agents cannot keep up with this traffic",
            p.pattern,
            peak.min(q.peak_load),
            p.workers
        ));
    }
    Ok(())
}

/// A fan-out that leaves out the agents a full fan-out would overload, and a gather timeout
/// above the p99 of the slowest of the k shards.
fn fit_fan_out(
    workload: &ScenarioInput,
    defaults: &Defaults,
    base: &Scenario,
    slowest: f64,
    input: &mut ScenarioInput,
    settings: &mut Vec<Setting>,
    warnings: &mut Vec<String>,
) -> Result<(), ScenarioError> {
    let p = &base.per_pattern[0];
    let mut k = p.fan_out.unwrap_or(1);
    if workload.fan_out.is_none() && p.peak_load >= STABLE {
        // The largest fan-out up to the default whose busiest agent, at the best spread of
        // shards over speeds, stays under STABLE; failing that, the least-loaded one.
        let peak_at = |k: u32| {
            let shard = p.work_per_request / f64::from(p.fan_out.unwrap_or(1))
                * match base.shard_work {
                    ShardWork::Split => f64::from(p.fan_out.unwrap_or(1)) / f64::from(k),
                    ShardWork::Full => 1.0,
                };
            base.rate * shard * crate::sim::scatter_water_level(&p.speeds, k)
        };
        let options: Vec<(u32, f64)> = (1..=k).map(|j| (j, peak_at(j))).collect();
        let least = options.iter().map(|o| o.1).fold(f64::INFINITY, f64::min);
        let (advised, peak) = options
            .iter()
            .rev()
            .find(|o| o.1 < STABLE)
            .or_else(|| options.iter().rev().find(|o| o.1 <= least + 1e-9))
            .copied()
            .expect("fan-out 1 is always an option");
        if advised != k {
            settings.push(Setting {
                setting: "fan-out",
                advised: advised.to_string(),
                catalog: k.to_string(),
                source: Source::Fitted,
                reason: format!(
                    "{} per request load the busiest agent at {:.2} at best; {} bring it to {peak:.2}",
                    plural(k, "shard"),
                    p.peak_load,
                    plural(advised, "shard")
                ),
            });
            k = advised;
            input.fan_out = Some(k);
        }
        if peak >= 1.0 {
            warnings.push(format!(
                "{}: every fan-out leaves an agent at {peak:.2} of its capacity or more: it cannot keep up with this traffic",
                p.pattern
            ));
        }
    } else if workload.fan_out.is_some() && p.peak_load >= 1.0 {
        warnings.push(format!(
            "{}: your fan-out loads {} at {:.2} of its capacity: no setting can keep up",
            p.pattern, p.bottleneck, p.peak_load
        ));
    }
    if workload.gather_timeout.is_none() {
        let shard_p99 = base.slowest_shard(k).p99;
        let catalog = defaults.gather_timeout;
        // A gather that gives up before a shard's own timeout could retry it wastes the retry.
        let request_timeout = match input.timeout.or(workload.timeout) {
            Some(Timeout::Seconds(t)) => t,
            _ => 0.0,
        };
        let floor = round_up((2.0 * shard_p99 / slowest).max(request_timeout));
        let (advised, source) = if floor > catalog {
            (floor, Source::Fitted)
        } else {
            (catalog, Source::Catalog)
        };
        input.gather_timeout = Some(Seconds(advised));
        settings.push(Setting {
            setting: "gather timeout",
            advised: secs(advised),
            catalog: secs(catalog),
            source,
            reason: format!(
                "the slowest of {} takes {} at p99 at the slowest agent's speed; the gather waits twice that, and no less than a shard's own timeout ({})",
                plural(k, "shard"),
                secs(shard_p99 / slowest),
                secs(request_timeout)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::advisor::advise;
    use crate::catalog::Catalog;

    /// The settings fitted to `pattern` on the workload in `toml`, by name.
    fn fitted(pattern: &str, toml: &str) -> Fit {
        let catalog = Catalog::embedded();
        let workload = ScenarioInput::from_toml(toml, "case").unwrap();
        let request = Request::new(workload.agents.unwrap_or(10));
        let advice = advise(&catalog, catalog.pattern(pattern).unwrap(), &request);
        fit(&workload, &request, &advice, &catalog.simulation_defaults()).unwrap()
    }

    fn advised<'a>(f: &'a Fit, setting: &str) -> Option<&'a Setting> {
        f.settings
            .iter()
            .find(|s| s.setting == setting && s.source == Source::Fitted)
    }

    #[test]
    fn fan_out_leaves_out_only_agents_it_would_overload() {
        // Equal agents with split work: every fan-out loads them alike, so it is kept.
        let f = fitted("scatter_gather", "agents = 10\nload = 0.92");
        assert!(advised(&f, "fan-out").is_none(), "{:?}", f.settings);
        // Unequal agents under a full fan-out: the slowest would carry 2.1 times its capacity.
        let f = fitted(
            "scatter_gather",
            "agents = 9\nspeeds = '4,4,2,2,1,1,0.5,0.5'\nload = 0.5",
        );
        let k: u32 = advised(&f, "fan-out").unwrap().advised.parse().unwrap();
        assert!((2..9).contains(&k), "{k}");
        // Full shards below the agent count: each shard is a whole request's work.
        let f = fitted(
            "scatter_gather",
            "agents = 20\nservice = 'lognormal:30:1'\nrate = 0.2\nshard_work = 'full'",
        );
        let k: u32 = advised(&f, "fan-out").unwrap().advised.parse().unwrap();
        assert!(k <= 2, "{k}");
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    #[test]
    fn stages_leave_no_stage_at_capacity() {
        let f = fitted("pipeline", "agents = 11\nload = 0.95");
        let stages = f.settings.iter().find(|s| s.setting == "stages").unwrap();
        assert_eq!(stages.advised, "11", "{:?}", f.settings);
        let f = fitted("pipeline", "agents = 6\nload = 0.8");
        assert_eq!(advised(&f, "stages").unwrap().advised, "3");
    }

    #[test]
    fn peers_of_unequal_speed_share_by_speed_not_by_shared_estimates() {
        let f = fitted("peer_to_peer", "agents = 50\nspeeds = '1,2'\nload = 0.7");
        assert_eq!(f.balancer, BalancerKind::WeightedRoundRobin);
        let f = fitted("master_slave", "agents = 50\nspeeds = '1,2'\nload = 0.7");
        assert_eq!(f.balancer, BalancerKind::Predictive);
    }

    #[test]
    fn the_retry_budget_covers_the_failures() {
        let f = fitted(
            "peer_to_peer",
            "agents = 20\nmtbf = 60\nmttr = 10\nload = 0.6",
        );
        assert!(
            advised(&f, "retry").unwrap().advised.contains("budget 29%"),
            "{:?}",
            f.settings
        );
        assert!(
            f.warnings[0].contains("election timeout"),
            "{:?}",
            f.warnings
        );
        let f = fitted("peer_to_peer", "agents = 20\nload = 0.6");
        assert!(advised(&f, "retry").unwrap().advised.contains("budget 10%"));
    }

    #[test]
    fn timeouts_cover_the_work_the_deadline_and_the_slowest_shard() {
        // lognormal(30, cv 1): p99 147 s, so 300 s.
        let f = fitted(
            "master_slave",
            "agents = 9\nservice = 'lognormal:30:1'\nload = 0.6",
        );
        assert_eq!(advised(&f, "timeout").unwrap().advised, "300 s");
        // An objective's deadline above that raises it.
        let f = fitted(
            "master_slave",
            "agents = 9\nservice = 'lognormal:30:1'\nload = 0.6\nslo = '600s@99%'",
        );
        assert_eq!(advised(&f, "timeout").unwrap().advised, "600 s");
        // Full shards with independent parts: the slowest of 10 draws, p99 near 280 s.
        let f = fitted(
            "scatter_gather",
            "agents = 20\nservice = 'lognormal:30:1'\nrate = 0.01\nshard_work = 'full'\nparts = 'independent'",
        );
        let gather = advised(&f, "gather timeout").unwrap();
        let seconds: f64 = gather.advised.trim_end_matches(" s").parse().unwrap();
        assert!(seconds >= 500.0, "{gather:?}");
    }

    #[test]
    fn work_quantiles_match_the_distribution() {
        let w = Work::of(&Service::Exponential { mean: 1.0 });
        // p99 of exp(1) is ln 100 = 4.61.
        assert!((w.p99 - 100f64.ln()).abs() < 0.25, "{}", w.p99);
        let w = Work::of(&Service::LogNormal {
            mean: 30.0,
            cv: 1.0,
        });
        // sigma^2 = ln 2, mu = ln 30 - sigma^2/2; p99 = exp(mu + 2.326 sigma) = 147 s.
        let sigma = 2f64.ln().sqrt();
        let p99 = (30f64.ln() - 0.5 * 2f64.ln() + 2.326 * sigma).exp();
        assert!((w.p99 / p99 - 1.0).abs() < 0.06, "{} against {p99}", w.p99);
    }
}
