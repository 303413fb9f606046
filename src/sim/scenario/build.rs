//! From input to scenario: every value checked, every unset parameter filled from the
//! defaults, and each pattern's share of the fleet and of the load worked out.

use super::value::{Buffer, Parts, Seconds, ShardWork, Timeout};
use super::{
    CatalogLookup, CatalogPattern, DEFAULT_AGENTS, DEFAULT_CONSENSUS_FRACTION,
    DEFAULT_DISPATCH_OVERHEAD, DEFAULT_HOP_LATENCY, DEFAULT_LOAD, DEFAULT_MISMATCH_PENALTY,
    DEFAULT_REPLICATIONS, DEFAULT_SEED, DEFAULT_STAGES, DEFAULT_TASKS, DEFAULT_WARMUP, Defaults,
    Model, PatternParams, QueueMode, Resilience, Scenario, ScenarioError, ScenarioInput, invalid,
};
use crate::names::{closest, normalize, short_name, suggest};
use crate::sim::balancer::BalancerKind;
use crate::sim::distribution::{Arrivals, Service};
use crate::sim::engine::{Pattern, Shape, ShapeInput};
use crate::sim::llm::Llm;
use crate::sim::pattern::Visit;
use crate::sim::recorder::MAX_TIMELINE_BUCKETS;
use crate::sim::resilience::{BreakerConfig, BreakerKind, RetryKind, RetryPolicy};

/// A pattern's layout on the fleet.
struct ShapeOf<'a>(ShapeInput<'a>);

/// Failure events per request beyond which a run would simulate failures, not requests.
const MAX_FAILURE_EVENTS_PER_REQUEST: f64 = 10_000.0;

impl Visit for ShapeOf<'_> {
    type Output = Result<Shape, ScenarioError>;
    fn visit<P: Pattern>(self) -> Self::Output {
        P::shape(&self.0)
    }
}

/// The loads of a pattern's coordination station and of its busiest station.
struct Loads<'a>(&'a Scenario, &'a PatternParams);

/// What the pattern makes of the rate: its coordination and peak loads, its bottleneck.
struct Derived {
    coordination_load: Option<f64>,
    peak_load: f64,
    bottleneck: String,
    hedges: bool,
}

impl Visit for Loads<'_> {
    type Output = Derived;
    fn visit<P: Pattern>(self) -> Derived {
        let Loads(s, p) = self;
        Derived {
            coordination_load: P::coordination_load(s, p),
            peak_load: P::peak_load(s, p),
            bottleneck: P::bottleneck(s, p),
            hedges: P::HEDGES,
        }
    }
}

/// Finds a catalog pattern as `Catalog::pattern` does: by id, else by short name, with
/// suggestions when nothing matches.
fn lookup<'a>(patterns: &'a [CatalogPattern], name: &str) -> Result<&'a CatalogPattern, String> {
    let wanted = normalize(name);
    if let Some(p) = patterns.iter().find(|p| p.id == wanted) {
        return Ok(p);
    }
    let matches: Vec<&CatalogPattern> = patterns
        .iter()
        .filter(|p| short_name(&p.id) == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut suggestions: Vec<String> = Vec::new();
            for s in closest(
                name,
                patterns
                    .iter()
                    .flat_map(|p| [p.id.as_str(), short_name(&p.id)]),
            ) {
                let id = patterns
                    .iter()
                    .find(|p| p.id == s || short_name(&p.id) == s)
                    .map_or(s, |p| p.id.clone());
                if !suggestions.contains(&id) {
                    suggestions.push(id);
                }
            }
            Err(format!("unknown pattern '{name}'{}", suggest(&suggestions)))
        }
        many => Err(format!(
            "'{name}' matches several entries: {}; give one of them",
            many.iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Resolves `--pattern` names (or `all`) to simulated patterns.
fn resolve_patterns(
    patterns: &[CatalogPattern],
    names: &[String],
) -> Result<Vec<(String, Model)>, ScenarioError> {
    let mut out: Vec<(String, Model)> = Vec::new();
    for name in names {
        if normalize(name) == "all" {
            for p in patterns {
                if let Some(model) = p.model
                    && !out.iter().any(|(id, _)| *id == p.id)
                {
                    out.push((p.id.clone(), model));
                }
            }
            continue;
        }
        let pattern =
            lookup(patterns, name).map_err(|e| CatalogLookup(format!("--pattern: {e}")))?;
        let model = pattern.model.ok_or_else(|| {
            CatalogLookup(format!(
                "--pattern: {} has no simulation model; simulated patterns are master_slave, peer_to_peer, pipeline and scatter_gather",
                pattern.id
            ))
        })?;
        if !out.iter().any(|(id, _)| *id == pattern.id) {
            out.push((pattern.id.clone(), model));
        }
    }
    Ok(out)
}

/// The pattern ids that `--pattern` names (or `all`) stand for, in the order simulated.
pub fn pattern_ids(defaults: &Defaults, names: &[String]) -> Result<Vec<String>, ScenarioError> {
    Ok(resolve_patterns(&defaults.patterns, names)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// The balancers that `--balancer` names (or `all`) stand for, in the order simulated.
pub fn resolve_balancers(names: &[String]) -> Result<Vec<BalancerKind>, ScenarioError> {
    let mut out = Vec::new();
    for name in names {
        if normalize(name) == "all" {
            for b in BalancerKind::ALL {
                if !out.contains(&b) {
                    out.push(b);
                }
            }
            continue;
        }
        let b: BalancerKind = name
            .parse()
            .map_err(|e: String| CatalogLookup(format!("--balancer: {e}")))?;
        if !out.contains(&b) {
            out.push(b);
        }
    }
    Ok(out)
}

/// Repeats a per-agent list to `n` entries; longer than `n` is an error.
fn cycled<T: Clone>(list: &[T], n: usize, flag: &str) -> Result<Vec<T>, ScenarioError> {
    if list.len() > n {
        return Err(invalid(
            flag,
            format!(
                "{} values for {n} agents; give at most one per agent (a shorter list repeats)",
                list.len()
            ),
        ));
    }
    Ok((0..n).map(|i| list[i % list.len()].clone()).collect())
}

/// Splits `workers` over stages in proportion to their work (largest remainder), then gives
/// each stage left without a worker one from the stage with the most workers per unit of work.
pub fn stage_workers(workers: u32, weights: &[f64]) -> Vec<u32> {
    let k = weights.len();
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| w / total * f64::from(workers))
        .collect();
    let mut counts: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut left = workers - counts.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a].fract(), exact[b].fract());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    while let Some(empty) = counts.iter().position(|&c| c == 0) {
        let donor = (0..k)
            .filter(|&i| counts[i] > 1)
            .max_by(|&a, &b| {
                (f64::from(counts[a]) / weights[a])
                    .total_cmp(&(f64::from(counts[b]) / weights[b]))
                    .then(b.cmp(&a))
            })
            .expect("at least as many workers as stages");
        counts[donor] -= 1;
        counts[empty] += 1;
    }
    counts
}

/// Flags given that change nothing in what is simulated: a pattern's setting when that
/// pattern is not simulated, a mechanism's parameter without the mechanism.
/// The LLM settings, each checked against the others; None when none is given.
fn llm(input: &ScenarioInput) -> Result<Option<Llm>, ScenarioError> {
    let llm = Llm {
        tokens_in: input.tokens_in.clone(),
        tokens_out: input.tokens_out.clone(),
        dispatch_tokens_in: input.dispatch_tokens_in.clone(),
        dispatch_tokens_out: input.dispatch_tokens_out.clone(),
        latency: input.llm_latency,
        provider: input.provider,
        price: input.price,
        agent_cost: input.agent_cost,
        merge_tokens_in: input.merge_tokens_in.clone(),
        merge_tokens_out: input.merge_tokens_out.clone(),
        context_growth: input.context_growth,
    };
    if llm.tokens_in.is_none()
        && llm.tokens_out.is_none()
        && llm.dispatch_tokens_in.is_none()
        && llm.dispatch_tokens_out.is_none()
        && llm.latency.is_none()
        && llm.provider.is_none()
        && llm.price.is_none()
        && llm.agent_cost.is_none()
        && llm.merge_tokens_in.is_none()
        && llm.merge_tokens_out.is_none()
        && llm.context_growth.is_none()
    {
        return Ok(None);
    }
    let dispatch = llm.dispatch_tokens_in.is_some() || llm.dispatch_tokens_out.is_some();
    if dispatch && llm.latency.is_none() {
        return Err(invalid(
            "--dispatch-tokens-in",
            "a supervisor's decision takes its time from its tokens: give --llm-latency too",
        ));
    }
    let merge = llm.merge_tokens_in.is_some() || llm.merge_tokens_out.is_some();
    if merge && llm.latency.is_none() {
        return Err(invalid(
            "--merge-tokens-in",
            "a supervisor's final answer takes its time from its tokens: give --llm-latency too",
        ));
    }
    if merge && input.merge_work.is_some() {
        return Err(invalid(
            "--merge-tokens-in",
            "give --merge-work or --merge-tokens-in/out, not both: with tokens the merge is an LLM call",
        ));
    }
    if let Some(g) = llm.context_growth {
        if !(0.0..=MAX_MEAN_TOKENS).contains(&g) {
            return Err(invalid(
                "--context-growth",
                format!("expected from 0 to {MAX_MEAN_TOKENS} tokens a round, got {g}"),
            ));
        }
        if llm.tokens_in.is_none() && llm.dispatch_tokens_in.is_none() {
            return Err(invalid(
                "--context-growth",
                "the conversation grows in input tokens: give --tokens-in too",
            ));
        }
        if input.rounds.is_none() {
            return Err(invalid(
                "--context-growth",
                "the context grows from round to round: give --rounds too",
            ));
        }
    }
    for (flag, d) in [
        ("--tokens-in", &llm.tokens_in),
        ("--tokens-out", &llm.tokens_out),
        ("--dispatch-tokens-in", &llm.dispatch_tokens_in),
        ("--dispatch-tokens-out", &llm.dispatch_tokens_out),
        ("--merge-tokens-in", &llm.merge_tokens_in),
        ("--merge-tokens-out", &llm.merge_tokens_out),
    ] {
        if let Some(d) = d
            && d.mean() > MAX_MEAN_TOKENS
        {
            return Err(invalid(
                flag,
                format!(
                    "a mean of {} tokens is more than any model's context ({MAX_MEAN_TOKENS} at most)",
                    d.mean()
                ),
            ));
        }
    }
    let tokens = llm.tokens_in.is_some() || llm.tokens_out.is_some();
    let needs_tokens = [
        ("--llm-latency", llm.latency.is_some()),
        ("--provider", llm.provider.is_some_and(|q| q.tpm.is_some())),
        ("--price", llm.price.is_some()),
    ];
    if let Some((flag, _)) = needs_tokens.iter().find(|(_, needs)| *needs && !tokens) {
        return Err(invalid(
            flag,
            "needs the tokens of a request's call: give --tokens-in and --tokens-out (such as lognormal:2000:1 and exp:300)",
        ));
    }
    if llm.latency.is_some() && input.parts == Some(Parts::Independent) {
        return Err(invalid(
            "--parts",
            "independent parts draw their own work, but with --llm-latency a part's work is its share of the request's tokens: leave --parts out",
        ));
    }
    let (tokens_in, tokens_out) = llm.mean_tokens();
    if let Some(tpm) = llm.provider.and_then(|q| q.tpm)
        && tokens_in + tokens_out > tpm
    {
        return Err(invalid(
            "--provider",
            format!(
                "tpm={tpm} is less than a call's {} tokens on average: hardly a call would ever be served",
                tokens_in + tokens_out
            ),
        ));
    }
    if let Some(c) = llm.agent_cost
        && !(c.is_finite() && (0.0..=1e6).contains(&c))
    {
        return Err(invalid(
            "--agent-cost",
            format!("expected dollars per agent-hour from 0 to 1000000, got {c}"),
        ));
    }
    Ok(Some(llm))
}

/// Mean tokens of a call beyond which the input is a mistake: 10 M tokens.
const MAX_MEAN_TOKENS: f64 = 1e7;

fn unused_flags(input: &ScenarioInput, r: &Resilience, models: &[Model]) -> Vec<String> {
    let has = |m: Model| models.contains(&m);
    let mut out = Vec::new();
    let mut only = |given: bool, flag: &str, applies: bool, to: &str| {
        if given && !applies {
            out.push(format!(
                "{flag} applies to {to} only, which is not simulated here"
            ));
        }
    };
    let (scatter, pipeline, master, peers) = (
        has(Model::ScatterGather),
        has(Model::Pipeline),
        has(Model::MasterSlave),
        has(Model::PeerToPeer),
    );
    only(
        input.fan_out.is_some(),
        "--fan-out",
        scatter,
        "scatter_gather",
    );
    only(
        input.shard_work.is_some(),
        "--shard-work",
        scatter,
        "scatter_gather",
    );
    only(
        input.gather_timeout.is_some(),
        "--gather-timeout",
        scatter,
        "scatter_gather",
    );
    only(
        input.accept_partial.is_some(),
        "--accept-partial",
        scatter,
        "scatter_gather",
    );
    only(
        input.hedge_after_quantile.is_some(),
        "--hedge-after-quantile",
        scatter,
        "scatter_gather",
    );
    only(input.stages.is_some(), "--stages", pipeline, "pipeline");
    only(
        input.stage_work.is_some(),
        "--stage-work",
        pipeline,
        "pipeline",
    );
    only(input.buffer.is_some(), "--buffer", pipeline, "pipeline");
    only(
        input.dispatch_overhead.is_some(),
        "--dispatch-overhead",
        master,
        "master_slave",
    );
    only(
        input.dispatch_tokens_in.is_some() || input.dispatch_tokens_out.is_some(),
        "--dispatch-tokens-in/out",
        master,
        "master_slave",
    );
    only(
        input.master_concurrency.is_some(),
        "--master-concurrency",
        master,
        "master_slave",
    );
    only(input.queue.is_some(), "--queue", master, "master_slave");
    only(
        input.merge_tokens_in.is_some() || input.merge_tokens_out.is_some(),
        "--merge-tokens-in/out",
        master,
        "master_slave",
    );
    only(input.votes.is_some(), "--votes", peers, "peer_to_peer");
    only(
        input.consensus_fraction.is_some(),
        "--consensus-fraction",
        peers,
        "peer_to_peer",
    );
    only(
        input.consensus_work.is_some(),
        "--consensus-work",
        peers,
        "peer_to_peer",
    );
    only(
        input.merge_work.is_some(),
        "--merge-work",
        master || scatter,
        "master_slave and scatter_gather",
    );
    only(
        input.parts.is_some(),
        "--parts",
        pipeline || scatter,
        "pipeline and scatter_gather",
    );
    if input.max_rounds.is_some() && input.rounds.is_none() {
        out.push("--max-rounds changes nothing without --rounds".into());
    }
    let no_retry = r.retry.kind == RetryKind::None;
    for (given, flag) in [
        (input.jitter.is_some(), "--jitter"),
        (input.retry_budget.is_some(), "--retry-budget"),
    ] {
        if given && no_retry {
            out.push(format!("{flag} changes nothing without --retry"));
        }
    }
    if input.breaker_failure_rate.is_some() && r.circuit_breaker.kind != BreakerKind::FailureRate {
        out.push("--breaker-failure-rate applies to --circuit-breaker failure-rate only".into());
    }
    if input.max_ejection.is_some() && r.circuit_breaker.kind == BreakerKind::None {
        out.push("--max-ejection changes nothing without --circuit-breaker".into());
    }
    out
}

impl Scenario {
    /// Validates the input and fills every unset parameter from the defaults and the catalog.
    pub fn build(input: ScenarioInput, defaults: &Defaults) -> Result<Scenario, ScenarioError> {
        let (input, trace) = super::replay::prepare(input)?;
        let fitted_from = match (&trace, &input.trace) {
            (None, Some(path)) => Some(path.display().to_string()),
            _ => None,
        };
        let resilience = Self::resilience(
            &input,
            defaults,
            input.agents.unwrap_or(DEFAULT_AGENTS).max(1),
        )?;
        let pattern_names = input
            .pattern
            .as_ref()
            .map(|n| n.0.clone())
            .unwrap_or_else(|| vec!["all".into()]);
        let patterns = resolve_patterns(&defaults.patterns, &pattern_names)?;
        let models: Vec<Model> = patterns.iter().map(|(_, m)| *m).collect();
        let unused = unused_flags(&input, &resilience, &models);
        let llm = llm(&input)?;
        let balancers = resolve_balancers(
            &input
                .balancer
                .map(|n| n.0)
                .unwrap_or_else(|| vec!["all".into()]),
        )?;

        let agents = input.agents.unwrap_or(DEFAULT_AGENTS);
        if agents == 0 {
            return Err(invalid("--agents", "expected at least 1 agent"));
        }
        let positive = |flag: &str, v: Option<f64>| -> Result<Option<f64>, ScenarioError> {
            match v {
                Some(x) if !(x.is_finite() && x > 0.0) => Err(invalid(
                    flag,
                    format!("expected a positive number, got {x}"),
                )),
                other => Ok(other),
            }
        };
        let load = positive("--load", input.load)?;
        let rate = positive("--rate", input.rate)?;
        let arrivals = input.arrivals.unwrap_or(Arrivals::Poisson);
        // The default load applies, and is recorded, unless a rate is given or a bursty
        // process brings its own.
        let load = match (load, rate, arrivals.bursty_mean_rate()) {
            (None, None, None) => Some(DEFAULT_LOAD),
            _ => load,
        };
        if load.is_some() && rate.is_some() {
            return Err(invalid("--load", "give --load or --rate, not both"));
        }
        let service = match (
            llm.as_ref().and_then(|l| l.latency.map(|t| (l, t))),
            input.service,
        ) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "--llm-latency",
                    "give --service or --llm-latency, not both: with --llm-latency the work is the latency from each request's tokens",
                ));
            }
            (Some((l, latency)), None) => l.work(&latency),
            (None, service) => service.unwrap_or(Service::Exponential { mean: 1.0 }),
        };
        let speeds = input.speeds.map(|s| s.0).unwrap_or_else(|| vec![1.0]);
        let fleet = cycled(&speeds, agents as usize, "--speeds")?;
        let rounds = input.rounds;
        // A request's work over its rounds, in rounds of its first: the rounds, and the
        // prefill time of the input its calls gain as the conversation grows.
        let rounds_factor = rounds.map_or(1.0, |r| {
            let growth = llm.as_ref().map_or(0.0, |l| {
                l.latency.map_or(0.0, |t| t.per_in) * l.context_growth.unwrap_or(0.0)
            });
            let (n, steps) = r.run_moments(input.max_rounds);
            n + growth * steps / service.mean()
        });
        let votes = input.votes.unwrap_or(1);
        let rate = match (load, rate, arrivals.bursty_mean_rate()) {
            (Some(rho), _, _) => rho * fleet.iter().sum::<f64>() / (service.mean() * rounds_factor),
            (None, Some(rate), _) => rate,
            (None, None, Some(rate)) => rate,
            (None, None, None) => unreachable!("the default load is set above"),
        };
        if let (Some(mtbf), Some(mttr)) = (resilience.mtbf, resilience.mttr) {
            // Each failure takes a few events (fail, notice, repair, seen alive); beyond this
            // many per request the run would simulate failures, not requests.
            let per_request = 4.0 * f64::from(agents) / ((mtbf + mttr) * rate);
            if per_request > MAX_FAILURE_EVENTS_PER_REQUEST {
                return Err(invalid(
                    "--mtbf",
                    format!(
                        "{agents} agents that fail every {} s for {} s make {} failure events per request at {} requests/s, more than the {MAX_FAILURE_EVENTS_PER_REQUEST} a run can afford: give a failure cycle (MTBF + MTTR) of at least {} s",
                        crate::number::round_sig(mtbf),
                        crate::number::round_sig(mttr),
                        crate::number::round_sig(per_request),
                        crate::number::round_sig(rate),
                        crate::number::round_up(
                            4.0 * f64::from(agents) / (rate * MAX_FAILURE_EVENTS_PER_REQUEST)
                        )
                    ),
                ));
            }
        }
        let mismatch_penalty = input.mismatch_penalty.unwrap_or(DEFAULT_MISMATCH_PENALTY);
        if !(mismatch_penalty.is_finite() && mismatch_penalty >= 1.0) {
            return Err(invalid(
                "--mismatch-penalty",
                format!("expected a factor of at least 1, got {mismatch_penalty}"),
            ));
        }
        if input.capabilities.is_some() && input.kinds.is_none() {
            return Err(invalid(
                "--capabilities",
                "needs --kinds to say which task kinds exist",
            ));
        }
        if let (Some(kinds), Some(caps)) = (&input.kinds, &input.capabilities) {
            for set in &caps.0 {
                for k in set {
                    if k != "*" && !kinds.0.iter().any(|(n, _)| n == k) {
                        return Err(invalid(
                            "--capabilities",
                            format!(
                                "unknown kind '{k}'; kinds are {} (or * for all)",
                                kinds
                                    .0
                                    .iter()
                                    .map(|(n, _)| n.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if input.tasks.is_some() && input.duration.is_some() {
            return Err(invalid("--tasks", "give --tasks or --duration, not both"));
        }
        let tasks = match (input.tasks, input.duration) {
            (Some(0), _) => return Err(invalid("--tasks", "expected at least 1 task")),
            (Some(n), _) => Some(n),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TASKS),
        };
        let duration = match input.duration {
            Some(Seconds(d)) if d <= 0.0 => {
                return Err(invalid(
                    "--duration",
                    "expected a positive number of seconds",
                ));
            }
            other => other.map(|s| s.0),
        };
        let warmup = input.warmup.unwrap_or(DEFAULT_WARMUP);
        if !(0.0..1.0).contains(&warmup) {
            return Err(invalid(
                "--warmup",
                format!("expected a fraction from 0 up to (not including) 1, got {warmup}"),
            ));
        }
        let replications = input.replications.unwrap_or(DEFAULT_REPLICATIONS);
        if replications == 0 {
            return Err(invalid("--replications", "expected at least 1 replication"));
        }

        let dispatch_overhead = input
            .dispatch_overhead
            .map_or(DEFAULT_DISPATCH_OVERHEAD, |s| s.0);
        let master_concurrency = input.master_concurrency.unwrap_or(1);
        if !(1..=10_000).contains(&master_concurrency) {
            return Err(invalid(
                "--master-concurrency",
                format!("expected from 1 to 10000 dispatches at once, got {master_concurrency}"),
            ));
        }
        let merge_work = input.merge_work.map_or(0.0, |s| s.0);
        let consensus_work = input.consensus_work.map_or(0.0, |s| s.0);
        let heartbeat = input.heartbeat.map_or(defaults.heartbeat, |s| s.0);
        let consensus_fraction = input
            .consensus_fraction
            .unwrap_or(DEFAULT_CONSENSUS_FRACTION);
        if !(0.0..=1.0).contains(&consensus_fraction) {
            return Err(invalid(
                "--consensus-fraction",
                format!("expected a fraction from 0 to 1, got {consensus_fraction}"),
            ));
        }
        let hop_latency = input.hop_latency.map_or(DEFAULT_HOP_LATENCY, |s| s.0);
        let stages = input.stages.unwrap_or_else(|| match &input.stage_work {
            Some(w) => w.0.len() as u32,
            None => DEFAULT_STAGES.min(agents),
        });
        if stages == 0 {
            return Err(invalid("--stages", "expected at least 1 stage"));
        }
        if u64::from(stages) > super::input::MAX_STAGES {
            return Err(invalid(
                "--stage-work",
                format!(
                    "{stages} stages: a pipeline has at most {} stages",
                    super::input::MAX_STAGES
                ),
            ));
        }
        let stage_work = match input.stage_work {
            Some(w) if w.0.len() != stages as usize => {
                return Err(invalid(
                    "--stage-work",
                    format!(
                        "{} weights for {stages} stages; give one per stage",
                        w.0.len()
                    ),
                ));
            }
            Some(w) => w.0,
            None => vec![1.0; stages as usize],
        };
        let buffer = input.buffer.unwrap_or(Buffer::Items(defaults.stage_buffer));
        let gather_timeout = input
            .gather_timeout
            .map_or(defaults.gather_timeout, |s| s.0);
        if gather_timeout <= 0.0 {
            return Err(invalid(
                "--gather-timeout",
                "expected a positive number of seconds",
            ));
        }
        let failure_threshold = defaults.failure_threshold;
        let shard_work = input.shard_work.unwrap_or(ShardWork::Split);

        let mut per_pattern = Vec::new();
        for (pattern, model) in &patterns {
            let shape = model.visit(ShapeOf(ShapeInput {
                agents,
                fan_out: input.fan_out,
                shard_work,
                stages,
                stage_work: &stage_work,
            }))?;
            let workers = agents - shape.coordinators;
            let worker_speeds = fleet[shape.coordinators as usize..].to_vec();
            let votes = if *model == Model::PeerToPeer {
                votes
            } else {
                1
            };
            if votes > workers {
                return Err(invalid(
                    "--votes",
                    format!("{votes} votes need as many peers, and there are {workers}"),
                ));
            }
            let work_factor = shape.work_factor * f64::from(votes);
            let parts = shape
                .fan_out
                .unwrap_or(shape.stage_workers.len().max(1) as u32);
            let calls = parts * votes;
            // A request split into calls (stages, split shards) waits for a first token in each:
            // one more per part beyond the first, every round.
            let first_tokens = match llm.as_ref().and_then(|l| l.latency) {
                Some(t) if shape.work_factor == 1.0 => t.ttft * f64::from(parts - 1),
                _ => 0.0,
            };
            let rounds_run = rounds.map_or(1.0, |r| r.run_moments(input.max_rounds).0);
            let work_per_request =
                service.mean() * work_factor * rounds_factor + first_tokens * rounds_run;
            let load = rate * work_per_request / worker_speeds.iter().sum::<f64>();
            per_pattern.push(PatternParams {
                pattern: pattern.clone(),
                model: *model,
                workers,
                coordinators: shape.coordinators,
                speeds: worker_speeds,
                work_per_request,
                load,
                // Set below, once the scenario they depend on is whole.
                coordination_load: None,
                peak_load: load,
                provider_ceiling: llm.as_ref().and_then(|l| {
                    let supervisor = *model == Model::MasterSlave;
                    l.ceiling(
                        f64::from(calls),
                        work_factor,
                        supervisor,
                        rounds.as_ref().map(|r| (r, input.max_rounds)),
                        work_per_request,
                    )
                }),
                fan_out: shape.fan_out,
                stage_workers: shape.stage_workers,
                bottleneck: String::new(),
                hedges: false,
            });
        }
        if let Some(caps) = &input.capabilities
            && caps.0.len() > agents as usize
        {
            return Err(invalid(
                "--capabilities",
                format!(
                    "{} agent sets for {agents} agents; give at most one per agent (a shorter list repeats)",
                    caps.0.len()
                ),
            ));
        }

        let mut scenario = Scenario {
            patterns: patterns.into_iter().map(|(id, _)| id).collect(),
            balancers,
            agents,
            rate,
            load,
            arrivals,
            service,
            speeds,
            kinds: input.kinds,
            capabilities: input.capabilities,
            mismatch_penalty,
            tasks,
            duration,
            warmup,
            replications,
            seed: input.seed.unwrap_or(DEFAULT_SEED),
            dispatch_overhead,
            master_concurrency,
            merge_work,
            queue: input.queue.unwrap_or(QueueMode::PerAgent),
            failure_detection_timeout: defaults.failure_detection_timeout,
            heartbeat,
            consensus_fraction,
            consensus_work,
            hop_latency,
            leader_election_timeout: defaults.leader_election_timeout,
            stages,
            stage_work,
            buffer,
            checkpoint_frequency: defaults.checkpoint_frequency,
            fan_out: input.fan_out,
            llm,
            rounds,
            max_rounds: input.max_rounds,
            trace,
            fitted_from,
            votes,
            shard_work,
            gather_timeout,
            failure_threshold,
            accept_partial: input.accept_partial.unwrap_or(false),
            parts: input.parts.unwrap_or(Parts::Correlated),
            slo: input.slo,
            resilience,
            per_pattern,
            unused,
        };
        let derived: Vec<Derived> = scenario
            .per_pattern
            .iter()
            .map(|p| p.model.visit(Loads(&scenario, p)))
            .collect();
        for (p, d) in scenario.per_pattern.iter_mut().zip(derived) {
            p.coordination_load = d.coordination_load;
            p.peak_load = d.peak_load;
            p.bottleneck = d.bottleneck;
            p.hedges = d.hedges;
        }
        scenario.check_timeline()?;
        Ok(scenario)
    }

    /// A timeline of more buckets than anyone reads would only cost memory: refuse it.
    fn check_timeline(&self) -> Result<(), ScenarioError> {
        let Some(width) = self.resilience.timeline else {
            return Ok(());
        };
        let horizon = match (self.duration, self.tasks) {
            (Some(d), _) => d,
            (None, Some(n)) => n as f64 / self.rate,
            _ => return Ok(()),
        };
        if horizon / width > MAX_TIMELINE_BUCKETS as f64 {
            return Err(invalid(
                "--timeline",
                format!(
                    "buckets of {width} s over a run of about {} s would be more than {MAX_TIMELINE_BUCKETS}; use buckets of at least {} s",
                    crate::number::number(horizon, 0),
                    crate::number::number(horizon / MAX_TIMELINE_BUCKETS as f64, 3)
                ),
            ));
        }
        Ok(())
    }

    /// Failures and resilience settings: the catalog's parameters for each mechanism asked for.
    fn resilience(
        input: &ScenarioInput,
        defaults: &Defaults,
        agents: u32,
    ) -> Result<Resilience, ScenarioError> {
        let (mtbf, mttr) = match (input.mtbf, input.mttr) {
            (Some(Seconds(b)), Some(Seconds(r))) => {
                if b <= 0.0 {
                    return Err(invalid("--mtbf", "expected seconds above 0"));
                }
                if r <= 0.0 {
                    return Err(invalid("--mttr", "expected seconds above 0"));
                }
                (Some(b), Some(r))
            }
            (Some(_), None) => {
                return Err(invalid("--mtbf", "needs --mttr, the mean time to repair"));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "--mttr",
                    "needs --mtbf, the mean time between failures",
                ));
            }
            (None, None) => (None, None),
        };
        let outages = input.outage.clone().unwrap_or_default();
        if let Some(o) = outages.iter().find(|o| o.agent >= agents) {
            return Err(invalid(
                "--outage",
                format!(
                    "agent {} does not exist: agents are numbered 0 to {} (0 is the master or leader)",
                    o.agent,
                    agents - 1
                ),
            ));
        }
        let missed_heartbeats = input
            .missed_heartbeats
            .unwrap_or(defaults.missed_heartbeats);
        if missed_heartbeats == 0 {
            return Err(invalid("--missed-heartbeats", "expected at least 1"));
        }
        let retry = RetryPolicy::new(
            &defaults.retry,
            input.retry.unwrap_or(RetryKind::None),
            input.jitter,
        );
        if let Some(b) = input.retry_budget
            && !(b > 0.0 && b <= 1.0)
        {
            return Err(invalid(
                "--retry-budget",
                format!("expected a fraction above 0 and at most 1, got {b}"),
            ));
        }
        let b = &defaults.breaker;
        let failure_rate = input.breaker_failure_rate.unwrap_or(0.5);
        if !(failure_rate > 0.0 && failure_rate <= 1.0) {
            return Err(invalid(
                "--breaker-failure-rate",
                format!("expected a fraction above 0 and at most 1, got {failure_rate}"),
            ));
        }
        let circuit_breaker = BreakerConfig {
            kind: input.circuit_breaker.unwrap_or(BreakerKind::None),
            failure_threshold: b.failure_threshold,
            recovery_timeout: b.recovery_timeout,
            half_open_requests: b.half_open_requests,
            success_threshold: b.success_threshold,
            window: b.window,
            failure_rate,
            min_calls: 10,
            max_ejection: input.max_ejection.unwrap_or(1.0),
        };
        if !(circuit_breaker.max_ejection > 0.0 && circuit_breaker.max_ejection <= 1.0) {
            return Err(invalid(
                "--max-ejection",
                format!(
                    "expected a fraction above 0 and at most 1, got {}",
                    circuit_breaker.max_ejection
                ),
            ));
        }
        if let Some(q) = input.hedge_after_quantile
            && !(q > 0.0 && q < 1.0)
        {
            return Err(invalid(
                "--hedge-after-quantile",
                format!("expected a quantile between 0 and 1 such as 0.95, got {q}"),
            ));
        }
        if input.queue_limit == Some(0) {
            return Err(invalid(
                "--queue-limit",
                "expected at least 1 queued job per agent",
            ));
        }
        let timeline = match input.timeline {
            Some(Seconds(b)) if b <= 0.0 => {
                return Err(invalid(
                    "--timeline",
                    "expected a bucket of more than 0 seconds",
                ));
            }
            other => other.map(|s| s.0),
        };
        let mut spikes = input.spike.clone().unwrap_or_default();
        spikes.sort_by(|a, b| a.start.total_cmp(&b.start));
        if let Some(w) = spikes
            .windows(2)
            .find(|w| w[1].start < w[0].start + w[0].duration)
        {
            return Err(invalid(
                "--spike",
                format!(
                    "the spikes at {} s and {} s overlap; give windows that do not (one spike with the combined factor for the overlap)",
                    w[0].start, w[1].start
                ),
            ));
        }
        let faults = mtbf.is_some() || !outages.is_empty();
        // A client facing failures or asked to retry needs a timeout: without one, a request
        // lost in a short outage would wait forever. Plain runs stay pure queueing models.
        let wants_timeout =
            faults || retry.kind != RetryKind::None || circuit_breaker.kind != BreakerKind::None;
        let catalog_timeout = defaults.request_timeout;
        let timeout = match input.timeout {
            Some(Timeout::Seconds(t)) => Some(t),
            Some(Timeout::None) => None,
            None => wants_timeout.then_some(catalog_timeout),
        };
        Ok(Resilience {
            mtbf,
            mttr,
            outages,
            missed_heartbeats,
            timeout,
            retry,
            retry_budget: input.retry_budget,
            circuit_breaker,
            queue_limit: input.queue_limit,
            drop_expired: input.drop_expired.unwrap_or(false),
            hedge_after_quantile: input.hedge_after_quantile,
            spikes,
            timeline,
        })
    }
}
