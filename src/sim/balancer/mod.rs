//! Load balancers: how a dispatcher picks the agent for a job.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_pcg::Pcg64Mcg;
use serde::Serialize;

use crate::names::{closest, normalize, suggest};

mod index;
mod scan;
mod tree;

use index::{Learned, LoadIndex};
use scan::min_by_score;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BalancerKind {
    RoundRobin,
    WeightedRoundRobin,
    LeastConnections,
    CapabilityBased,
    Predictive,
    Random,
    PowerOfTwo,
}

impl BalancerKind {
    pub const ALL: [BalancerKind; 7] = [
        BalancerKind::RoundRobin,
        BalancerKind::WeightedRoundRobin,
        BalancerKind::LeastConnections,
        BalancerKind::CapabilityBased,
        BalancerKind::Predictive,
        BalancerKind::Random,
        BalancerKind::PowerOfTwo,
    ];

    pub fn id(self) -> &'static str {
        match self {
            BalancerKind::RoundRobin => "round_robin",
            BalancerKind::WeightedRoundRobin => "weighted_round_robin",
            BalancerKind::LeastConnections => "least_connections",
            BalancerKind::CapabilityBased => "capability_based",
            BalancerKind::Predictive => "predictive",
            BalancerKind::Random => "random",
            BalancerKind::PowerOfTwo => "power_of_two",
        }
    }

    /// The catalog entry this balancer simulates; `random` and `power_of_two` are baselines outside it.
    pub fn catalog_id(self) -> Option<&'static str> {
        match self {
            BalancerKind::Predictive => Some("predictive_load_balancing"),
            BalancerKind::Random | BalancerKind::PowerOfTwo => None,
            other => Some(other.id()),
        }
    }
}

impl fmt::Display for BalancerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for BalancerKind {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, String> {
        let wanted = normalize(name);
        let found = BalancerKind::ALL.into_iter().find(|b| {
            b.id() == wanted
                || b.catalog_id() == Some(wanted.as_str())
                || (wanted == "power_of_two_choices" && *b == BalancerKind::PowerOfTwo)
        });
        found.ok_or_else(|| {
            let ids: Vec<&str> = BalancerKind::ALL.iter().map(|b| b.id()).collect();
            format!(
                "unknown balancer '{name}'{}; balancers are: {}",
                suggest(&closest(name, ids.iter().copied())),
                ids.join(", ")
            )
        })
    }
}

/// What a dispatcher knows when it picks: the agents' load (possibly stale), speeds and capabilities.
pub struct View<'a> {
    /// Jobs queued plus in service, per agent.
    pub load: &'a [u32],
    pub speed: &'a [f64],
    /// Bit set of task kinds each agent can serve.
    pub capabilities: &'a [u64],
}

/// Which candidates a pick may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every candidate is available: no eligibility test at all.
    All,
    /// Some agents are down, out of the pool or ejected by their breaker.
    Available,
    /// A further test narrows the choice (an idle worker, another agent than a hedge's first).
    Narrowed,
}

/// Of two agents, the less loaded; a tie is a coin toss.
#[inline]
fn lighter(a: u32, b: u32, view: &View, rng: &mut Pcg64Mcg) -> u32 {
    match view.load[a as usize].cmp(&view.load[b as usize]) {
        std::cmp::Ordering::Less => a,
        std::cmp::Ordering::Greater => b,
        std::cmp::Ordering::Equal => {
            if rng.random::<bool>() {
                a
            } else {
                b
            }
        }
    }
}

/// Smoothing of the predictive balancer's running estimate of each agent's service time.
const PREDICTIVE_ALPHA: f64 = 0.1;

/// The balancing algorithm of every dispatcher of a replication. Each dispatcher keeps only
/// its round-robin cursor; what the algorithms learn and credit is per agent and kept once
/// for the fleet (dispatchers whose candidates overlap share it: the peers), and a large
/// fleet is indexed so that least-loaded picks cost O(log n).
pub struct Balancers {
    pub kind: BalancerKind,
    /// Round-robin cursor, per dispatcher.
    cursor: Vec<usize>,
    /// The group whose learning each dispatcher shares: its own, or the peers' common one.
    group: Vec<usize>,
    /// Smooth weighted round robin's running credit, per agent.
    current: Vec<f64>,
    /// Estimated seconds per job at each agent, learned from completions (predictive).
    estimate: Vec<f64>,
    observed: Vec<bool>,
    /// Per group: the sum of its estimates and how many agents it has observed.
    estimate_sum: Vec<f64>,
    observed_count: Vec<usize>,
    index: Option<LoadIndex>,
    speed: Vec<f64>,
    caps: Vec<u64>,
}

impl Balancers {
    /// `dispatchers` dispatchers over `speed.len()` agents; with `shared`, they all pick from
    /// the same agents and share what is learned. `kinds` is the number of task kinds.
    /// Round-robin cursors start at a random agent and weighted round robin with random
    /// credit, from `rng`, as Envoy and gRPC do: dispatchers that all started at agent 0 would
    /// send their first requests to the same agents.
    pub fn new(
        kind: BalancerKind,
        dispatchers: usize,
        shared: bool,
        speed: &[f64],
        caps: &[u64],
        kinds: usize,
        rng: &mut Pcg64Mcg,
    ) -> Self {
        let n = speed.len();
        let groups = if shared { 1 } else { dispatchers };
        let predictive = kind == BalancerKind::Predictive;
        let mut balancers = Self {
            kind,
            cursor: (0..dispatchers)
                .map(|_| {
                    if kind == BalancerKind::RoundRobin {
                        rng.random::<u32>() as usize
                    } else {
                        0
                    }
                })
                .collect(),
            group: (0..dispatchers)
                .map(|d| if shared { 0 } else { d })
                .collect(),
            current: if kind == BalancerKind::WeightedRoundRobin {
                speed.iter().map(|w| rng.random::<f64>() * w).collect()
            } else {
                Vec::new()
            },
            estimate: if predictive { vec![0.0; n] } else { Vec::new() },
            observed: if predictive {
                vec![false; n]
            } else {
                Vec::new()
            },
            estimate_sum: vec![0.0; groups],
            observed_count: vec![0; groups],
            index: (n > index::THRESHOLD)
                .then(|| LoadIndex::new(kind, n, kinds))
                .flatten(),
            speed: speed.to_vec(),
            caps: caps.to_vec(),
        };
        balancers.reindex(&vec![0; n]);
        balancers
    }

    /// Learns from a job that took `seconds` of service at `agent`, dispatched by
    /// `dispatcher`; only the predictive balancer listens.
    #[inline]
    pub fn observe(&mut self, dispatcher: usize, agent: u32, seconds: f64) {
        if self.kind != BalancerKind::Predictive {
            return;
        }
        let (a, g) = (agent as usize, self.group[dispatcher]);
        let before = self.estimate[a];
        if self.observed[a] {
            self.estimate[a] += PREDICTIVE_ALPHA * (seconds - before);
        } else {
            self.estimate[a] = seconds;
            self.observed[a] = true;
            self.observed_count[g] += 1;
        }
        self.estimate_sum[g] += self.estimate[a] - before;
        if let Some(ix) = &mut self.index {
            let learned = Learned {
                estimate: &self.estimate,
                observed: &self.observed,
            };
            ix.update(a, &self.speed, &self.caps, &learned);
        }
    }

    /// The index is kept on these loads (the live ones; a peer's view when it refreshes).
    pub fn reindex(&mut self, load: &[u32]) {
        if let Some(ix) = &mut self.index {
            let learned = Learned {
                estimate: &self.estimate,
                observed: &self.observed,
            };
            ix.rebuild(load, &self.speed, &self.caps, &learned);
        }
    }

    /// `agent`'s load, as the index sees it, is now `load`.
    #[inline]
    pub fn set_load(&mut self, agent: u32, load: u32) {
        if let Some(ix) = &mut self.index {
            let learned = Learned {
                estimate: &self.estimate,
                observed: &self.observed,
            };
            ix.set_load(agent as usize, load, &self.speed, &self.caps, &learned);
        }
    }

    /// `agent` is `open` (up, in the pool, breaker closed) or, with `ejected`, up and in the
    /// pool with a breaker that is not closed.
    pub fn set_state(&mut self, agent: u32, open: bool, ejected: bool) {
        if let Some(ix) = &mut self.index {
            let learned = Learned {
                estimate: &self.estimate,
                observed: &self.observed,
            };
            ix.set_state(
                agent as usize,
                open,
                ejected,
                &self.speed,
                &self.caps,
                &learned,
            );
        }
    }

    /// Picks one of `candidates` (a run of consecutive agent ids) for which `eligible` holds,
    /// for `dispatcher`; `None` if there is none.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn pick<E: Fn(u32) -> bool>(
        &mut self,
        dispatcher: usize,
        candidates: &[u32],
        eligible: E,
        scope: Scope,
        view: &View,
        kind_bit: u64,
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        if candidates.is_empty() {
            return None;
        }
        if self.index.is_some() && scope != Scope::Narrowed && self.indexed(scope) {
            return self.pick_indexed(
                dispatcher, candidates, &eligible, scope, view, kind_bit, rng,
            );
        }
        self.pick_scan(
            dispatcher,
            candidates,
            eligible,
            scope == Scope::All,
            view,
            kind_bit,
            rng,
        )
    }

    /// Whether the index serves this algorithm's picks in `scope` (random picks among all
    /// agents need no index).
    #[inline]
    fn indexed(&self, scope: Scope) -> bool {
        match self.kind {
            BalancerKind::RoundRobin | BalancerKind::WeightedRoundRobin => false,
            BalancerKind::Random | BalancerKind::PowerOfTwo => scope == Scope::Available,
            _ => true,
        }
    }

    /// A pick through the index, in O(log n): the same answer and draws as [`Balancers::pick_scan`].
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn pick_indexed<E: Fn(u32) -> bool>(
        &mut self,
        dispatcher: usize,
        candidates: &[u32],
        eligible: &E,
        scope: Scope,
        view: &View,
        kind_bit: u64,
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        let n = candidates.len();
        let lo = candidates[0] as usize;
        let hi = lo + n;
        debug_assert_eq!(
            candidates[n - 1] as usize,
            hi - 1,
            "candidates are consecutive"
        );
        let g = self.group[dispatcher];
        let prior = self.prior(g);
        let Balancers {
            kind,
            estimate,
            observed,
            index,
            ..
        } = self;
        let ix = index.as_mut().expect("an index");
        match kind {
            BalancerKind::LeastConnections => ix.least_load(lo, hi, eligible, rng),
            BalancerKind::CapabilityBased => ix.least_per_speed(
                lo,
                hi,
                eligible,
                kind_bit,
                view.speed,
                view.capabilities,
                rng,
            ),
            BalancerKind::Predictive => ix.least_expected(
                lo,
                hi,
                eligible,
                prior,
                &Learned { estimate, observed },
                rng,
            ),
            BalancerKind::Random => {
                debug_assert_eq!(scope, Scope::Available);
                let count = ix.eligible_count(lo, hi, eligible);
                if count == 0 {
                    return None;
                }
                let nth = rng.random_range(0..count);
                Some(ix.nth_eligible(lo, hi, nth))
            }
            BalancerKind::PowerOfTwo => {
                let count = ix.eligible_count(lo, hi, eligible);
                let (a, b) = match count {
                    0 => return None,
                    1 => return Some(ix.nth_eligible(lo, hi, 0)),
                    _ => {
                        let i = rng.random_range(0..count);
                        let mut j = rng.random_range(0..count - 1);
                        if j >= i {
                            j += 1;
                        }
                        (
                            ix.nth_eligible(lo, hi, i.min(j)),
                            ix.nth_eligible(lo, hi, i.max(j)),
                        )
                    }
                };
                Some(lighter(a, b, view, rng))
            }
            BalancerKind::RoundRobin | BalancerKind::WeightedRoundRobin => {
                unreachable!("round robin keeps no index")
            }
        }
    }

    /// The predictive balancer's guess for an agent not yet observed: the average of those
    /// the group has observed, or 0 (try it first) before any.
    #[inline]
    fn prior(&self, group: usize) -> f64 {
        if self.observed_count.get(group).is_none_or(|&c| c == 0) {
            0.0
        } else {
            self.estimate_sum[group] / self.observed_count[group] as f64
        }
    }

    /// A pick by one pass over the candidates.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn pick_scan<E: Fn(u32) -> bool>(
        &mut self,
        dispatcher: usize,
        candidates: &[u32],
        eligible: E,
        all_eligible: bool,
        view: &View,
        kind_bit: u64,
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        let n = candidates.len();
        match self.kind {
            BalancerKind::RoundRobin => {
                let next = &mut self.cursor[dispatcher];
                for step in 0..n {
                    let c = candidates[(*next + step) % n];
                    if all_eligible || eligible(c) {
                        *next = (*next + step + 1) % n;
                        return Some(c);
                    }
                }
                None
            }
            BalancerKind::WeightedRoundRobin => {
                // Smooth weighted round robin (nginx): add each weight, take the largest, subtract the total.
                let mut total = 0.0;
                let mut best: Option<u32> = None;
                for &c in candidates {
                    if !(all_eligible || eligible(c)) {
                        continue;
                    }
                    let a = c as usize;
                    self.current[a] += view.speed[a];
                    total += view.speed[a];
                    if best.is_none_or(|b| self.current[a] > self.current[b as usize]) {
                        best = Some(c);
                    }
                }
                let b = best?;
                self.current[b as usize] -= total;
                Some(b)
            }
            BalancerKind::LeastConnections => {
                min_by_score(candidates, &eligible, all_eligible, rng, |a| view.load[a])
            }
            BalancerKind::CapabilityBased => {
                let capable = |c: u32| {
                    (all_eligible || eligible(c)) && view.capabilities[c as usize] & kind_bit != 0
                };
                let score = |a: usize| f64::from(view.load[a] + 1) / view.speed[a];
                min_by_score(candidates, &capable, false, rng, score)
                    .or_else(|| min_by_score(candidates, &eligible, all_eligible, rng, score))
            }
            BalancerKind::Predictive => {
                // Unobserved agents are assumed average, or tried first before anything is known.
                let prior = self.prior(self.group[dispatcher]);
                let (estimate, observed) = (&self.estimate, &self.observed);
                min_by_score(candidates, &eligible, all_eligible, rng, |a| {
                    let per_job = if observed[a] { estimate[a] } else { prior };
                    f64::from(view.load[a] + 1) * per_job
                })
            }
            BalancerKind::Random => {
                if all_eligible {
                    return Some(candidates[rng.random_range(0..n)]);
                }
                let count = candidates.iter().filter(|&&c| eligible(c)).count();
                if count == 0 {
                    return None;
                }
                let nth = rng.random_range(0..count);
                candidates.iter().copied().filter(|&c| eligible(c)).nth(nth)
            }
            BalancerKind::PowerOfTwo => {
                let (a, b) = if all_eligible {
                    if n == 1 {
                        return Some(candidates[0]);
                    }
                    let i = rng.random_range(0..n);
                    let mut j = rng.random_range(0..n - 1);
                    if j >= i {
                        j += 1;
                    }
                    (candidates[i], candidates[j])
                } else {
                    let count = candidates.iter().filter(|&&c| eligible(c)).count();
                    match count {
                        0 => return None,
                        1 => return candidates.iter().copied().find(|&c| eligible(c)),
                        _ => {
                            let i = rng.random_range(0..count);
                            let mut j = rng.random_range(0..count - 1);
                            if j >= i {
                                j += 1;
                            }
                            let mut it = candidates.iter().copied().filter(|&c| eligible(c));
                            let (lo, hi) = (i.min(j), i.max(j));
                            let first = it.nth(lo).expect("counted");
                            let second = it.nth(hi - lo - 1).expect("counted");
                            (first, second)
                        }
                    }
                };
                Some(lighter(a, b, view, rng))
            }
        }
    }

    /// Picks `k` distinct eligible agents into `out`, using `taken[agent] == stamp` to mark
    /// those already picked. Smooth weighted round robin credits every agent `k` times its
    /// weight once and takes the `k` highest, so each agent gets `k w / W` of the picks; the
    /// other algorithms pick one at a time among those not yet taken.
    #[allow(clippy::too_many_arguments)]
    pub fn pick_distinct<E: Fn(u32) -> bool>(
        &mut self,
        dispatcher: usize,
        candidates: &[u32],
        k: usize,
        eligible: E,
        all_eligible: bool,
        view: &View,
        kind_bit: u64,
        rng: &mut Pcg64Mcg,
        taken: &mut [u64],
        stamp: u64,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        if all_eligible && k == candidates.len() {
            // Every agent gets a pick: nothing to choose.
            for &c in candidates {
                taken[c as usize] = stamp;
                out.push(c);
            }
            return;
        }
        if self.kind == BalancerKind::WeightedRoundRobin {
            let mut total = 0.0;
            for &c in candidates {
                if all_eligible || eligible(c) {
                    self.current[c as usize] += k as f64 * view.speed[c as usize];
                    total += view.speed[c as usize];
                }
            }
            for _ in 0..k {
                let best = candidates
                    .iter()
                    .copied()
                    .filter(|&c| taken[c as usize] != stamp && (all_eligible || eligible(c)))
                    .max_by(|&a, &b| {
                        self.current[a as usize]
                            .total_cmp(&self.current[b as usize])
                            .then(b.cmp(&a))
                    });
                let Some(b) = best else { break };
                self.current[b as usize] -= total;
                taken[b as usize] = stamp;
                out.push(b);
            }
            return;
        }
        for i in 0..k {
            let picked = {
                let taken = &*taken;
                let scope = if i == 0 && all_eligible {
                    Scope::All
                } else {
                    Scope::Available
                };
                self.pick(
                    dispatcher,
                    candidates,
                    |c| taken[c as usize] != stamp && (all_eligible || eligible(c)),
                    scope,
                    view,
                    kind_bit,
                    rng,
                )
            };
            let Some(a) = picked else { break };
            taken[a as usize] = stamp;
            out.push(a);
            self.exclude(a, true);
        }
        for &a in out.iter() {
            self.exclude(a, false);
        }
    }

    /// Whether it has an index (more than `index::THRESHOLD` agents).
    #[cfg(test)]
    pub(crate) fn has_index(&self) -> bool {
        self.index.is_some()
    }

    /// The same balancers picking by linear passes only, to hold the index to them.
    #[cfg(test)]
    pub(crate) fn drop_index(&mut self) {
        self.index = None;
    }

    /// Leaves `agent` out of the index's picks, or lets it back in.
    fn exclude(&mut self, agent: u32, out: bool) {
        if let Some(ix) = &mut self.index {
            let learned = Learned {
                estimate: &self.estimate,
                observed: &self.observed,
            };
            ix.exclude(agent as usize, out, &self.speed, &self.caps, &learned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn view<'a>(load: &'a [u32], speed: &'a [f64], caps: &'a [u64]) -> View<'a> {
        View {
            load,
            speed,
            capabilities: caps,
        }
    }

    /// Balancers that start as if never used: cursor at 0, no credit.
    fn balancers(kind: BalancerKind, v: &View) -> Balancers {
        let mut b = Balancers::new(
            kind,
            1,
            false,
            v.speed,
            v.capabilities,
            0,
            &mut Pcg64Mcg::seed_from_u64(0),
        );
        b.cursor.fill(0);
        b.current.fill(0.0);
        b
    }

    fn picks(kind: BalancerKind, v: &View, n: usize) -> Vec<u32> {
        let mut b = balancers(kind, v);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let candidates: Vec<u32> = (0..v.load.len() as u32).collect();
        (0..n)
            .map(|_| {
                b.pick(0, &candidates, |_| true, Scope::All, v, 1, &mut rng)
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn round_robin_cycles_and_skips_ineligible() {
        let v = view(&[0; 3], &[1.0; 3], &[1; 3]);
        assert_eq!(picks(BalancerKind::RoundRobin, &v, 4), [0, 1, 2, 0]);
        let mut b = balancers(BalancerKind::RoundRobin, &v);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let got: Vec<u32> = (0..3)
            .map(|_| {
                b.pick(0, &[0, 1, 2], |c| c != 1, Scope::Available, &v, 1, &mut rng)
                    .unwrap()
            })
            .collect();
        assert_eq!(got, [0, 2, 0]);
    }

    #[test]
    fn smooth_weighted_round_robin_follows_the_weights() {
        let v = view(&[0; 3], &[5.0, 1.0, 1.0], &[1; 3]);
        // nginx's documented sequence for weights 5, 1, 1.
        assert_eq!(
            picks(BalancerKind::WeightedRoundRobin, &v, 7),
            [0, 0, 1, 0, 2, 0, 0]
        );
    }

    /// Picks `k` distinct agents per task for many tasks and returns each agent's share.
    fn distinct_shares(kind: BalancerKind, speed: &[f64], k: usize) -> Vec<f64> {
        let n = speed.len();
        let load = vec![0u32; n];
        let caps = vec![1u64; n];
        let v = view(&load, speed, &caps);
        let mut b = balancers(kind, &v);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let candidates: Vec<u32> = (0..n as u32).collect();
        let (mut taken, mut out, mut counts) = (vec![0u64; n], Vec::new(), vec![0u64; n]);
        let tasks = 100_000;
        for t in 1..=tasks {
            b.pick_distinct(
                0,
                &candidates,
                k,
                |_| true,
                true,
                &v,
                1,
                &mut rng,
                &mut taken,
                t,
                &mut out,
            );
            assert_eq!(out.len(), k);
            let mut sorted = out.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), k, "picks are distinct");
            for &a in &out {
                counts[a as usize] += 1;
            }
        }
        counts
            .iter()
            .map(|&c| c as f64 / (tasks * k as u64) as f64)
            .collect()
    }

    #[test]
    fn distinct_picks_keep_each_algorithm_fair() {
        for kind in [
            BalancerKind::WeightedRoundRobin,
            BalancerKind::RoundRobin,
            BalancerKind::Random,
            BalancerKind::PowerOfTwo,
        ] {
            let shares = distinct_shares(kind, &[1.0; 8], 3);
            for s in &shares {
                assert!((s - 0.125).abs() < 0.005, "{kind}: {shares:?}");
            }
        }
        let shares = distinct_shares(BalancerKind::WeightedRoundRobin, &[1.0, 1.0, 2.0, 4.0], 2);
        for (s, w) in shares.iter().zip([1.0, 1.0, 2.0, 4.0]) {
            assert!((s - w / 8.0).abs() < 0.002, "{shares:?}");
        }
    }

    #[test]
    fn least_connections_and_power_of_two_prefer_short_queues() {
        let v = view(&[3, 0, 5, 0], &[1.0; 4], &[1; 4]);
        let lc = picks(BalancerKind::LeastConnections, &v, 200);
        assert!(lc.iter().all(|&a| a == 1 || a == 3));
        assert!(
            lc.contains(&1) && lc.contains(&3),
            "ties are broken at random"
        );
        let p2 = picks(BalancerKind::PowerOfTwo, &v, 2000);
        let to_longest = p2.iter().filter(|&&a| a == 2).count();
        assert_eq!(to_longest, 0, "the longest queue never wins a pair");
    }

    #[test]
    fn capability_based_keeps_to_capable_agents_by_load_per_speed() {
        let v = view(&[0, 0, 1], &[1.0, 1.0, 4.0], &[0b10, 0b01, 0b01]);
        let mut b = balancers(BalancerKind::CapabilityBased, &v);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let pick = b.pick(0, &[0, 1, 2], |_| true, Scope::All, &v, 0b01, &mut rng);
        assert_eq!(pick, Some(2), "(1+1)/4 beats (0+1)/1");
        let pick = b.pick(0, &[0, 1, 2], |_| true, Scope::All, &v, 0b100, &mut rng);
        assert!(pick.is_some(), "with no capable agent it falls back to all");
    }

    #[test]
    fn predictive_learns_which_agent_is_faster() {
        let v = view(&[0, 0], &[1.0, 1.0], &[1; 2]);
        let mut b = balancers(BalancerKind::Predictive, &v);
        b.observe(0, 0, 4.0);
        b.observe(0, 1, 1.0);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(
            b.pick(0, &[0, 1], |_| true, Scope::All, &v, 1, &mut rng),
            Some(1)
        );
        let loaded = view(&[0, 5], &[1.0, 1.0], &[1; 2]);
        assert_eq!(
            b.pick(0, &[0, 1], |_| true, Scope::All, &loaded, 1, &mut rng),
            Some(0)
        );
    }

    #[test]
    fn names_resolve_with_aliases_and_suggestions() {
        assert_eq!(
            "Least-Connections".parse(),
            Ok(BalancerKind::LeastConnections)
        );
        assert_eq!(
            "predictive_load_balancing".parse(),
            Ok(BalancerKind::Predictive)
        );
        let err = "least_conections".parse::<BalancerKind>().unwrap_err();
        assert!(err.contains("did you mean least_connections?"), "{err}");
    }

    /// The index gives exactly the picks of the linear pass (and draws the same random
    /// numbers), whatever the loads (one at a time, or a whole new view as peers get at a
    /// heartbeat), availability, ejected agents, learning per dispatcher group and ranges.
    #[test]
    fn indexed_picks_are_the_linear_picks() {
        let mut draw = Pcg64Mcg::seed_from_u64(7);
        for case in 0..120 {
            let n = index::THRESHOLD + 1 + draw.random_range(0..60);
            let kind = [
                BalancerKind::LeastConnections,
                BalancerKind::CapabilityBased,
                BalancerKind::Predictive,
                BalancerKind::Random,
                BalancerKind::PowerOfTwo,
            ][case % 5];
            let speed: Vec<f64> = (0..n)
                .map(|_| [0.5, 1.0, 2.0, 4.0][draw.random_range(0..4)])
                .collect();
            let kinds = 3;
            let caps: Vec<u64> = (0..n)
                .map(|_| {
                    draw.random_range(0..8u64)
                        | if draw.random::<f64>() < 0.1 {
                            u64::MAX
                        } else {
                            0
                        }
                })
                .collect();
            // Three dispatchers, each its own group with its own prior for unseen agents.
            let dispatchers = 3;
            let new = || {
                let mut start = Pcg64Mcg::seed_from_u64(case as u64);
                Balancers::new(kind, dispatchers, false, &speed, &caps, kinds, &mut start)
            };
            let (mut fast, mut slow) = (new(), new());
            slow.drop_index();
            assert!(fast.index.is_some());
            let mut load = vec![0u32; n];
            // 0 open, 1 down or out, 2 ejected and refused, 3 ejected and allowed
            let mut state = vec![0u8; n];
            let (mut rng_a, mut rng_b) = (
                Pcg64Mcg::seed_from_u64(case as u64),
                Pcg64Mcg::seed_from_u64(case as u64),
            );
            let mut taken = vec![0u64; n];
            let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
            // Each dispatcher picks among its own agents, as the engine's do (pipeline stages;
            // other patterns have one dispatcher, or share one group).
            let share = n.div_ceil(dispatchers);
            let own = |d: usize| (d * share).min(n)..((d + 1) * share).min(n);
            for step in 0..300u64 {
                let d = draw.random_range(0..dispatchers);
                let range = own(d);
                if range.is_empty() {
                    continue;
                }
                match draw.random_range(0..11) {
                    10 => {
                        for l in load.iter_mut() {
                            *l = draw.random_range(0..4);
                        }
                        fast.reindex(&load);
                    }
                    0..=3 => {
                        let a = draw.random_range(0..n);
                        load[a] = draw.random_range(0..4);
                        fast.set_load(a as u32, load[a]);
                    }
                    4 => {
                        let a = draw.random_range(0..n);
                        state[a] = draw.random_range(0..4);
                        fast.set_state(a as u32, state[a] == 0, state[a] >= 2);
                    }
                    5 => {
                        let a = draw.random_range(range.clone()) as u32;
                        let t = [0.5, 1.0, 1.5][draw.random_range(0..3)];
                        fast.observe(d, a, t);
                        slow.observe(d, a, t);
                    }
                    _ => {
                        let lo = draw.random_range(range.clone());
                        let hi = draw.random_range(lo + 1..=range.end);
                        let candidates: Vec<u32> = (lo as u32..hi as u32).collect();
                        let eligible = |c: u32| state[c as usize] == 0 || state[c as usize] == 3;
                        let scope = if state.iter().all(|&s| s == 0) {
                            Scope::All
                        } else {
                            Scope::Available
                        };
                        let view = View {
                            load: &load,
                            speed: &speed,
                            capabilities: &caps,
                        };
                        let kind_bit = 1u64 << draw.random_range(0..kinds);
                        if draw.random::<f64>() < 0.8 {
                            let a = fast.pick(
                                d,
                                &candidates,
                                eligible,
                                scope,
                                &view,
                                kind_bit,
                                &mut rng_a,
                            );
                            let b = slow.pick(
                                d,
                                &candidates,
                                eligible,
                                scope,
                                &view,
                                kind_bit,
                                &mut rng_b,
                            );
                            assert_eq!(a, b, "case {case} step {step} {kind}");
                        } else {
                            let k = draw.random_range(1..=candidates.len().min(5));
                            let stamp = step + 1;
                            let all = scope == Scope::All;
                            fast.pick_distinct(
                                d,
                                &candidates,
                                k,
                                eligible,
                                all,
                                &view,
                                kind_bit,
                                &mut rng_a,
                                &mut taken,
                                stamp,
                                &mut out_a,
                            );
                            slow.pick_distinct(
                                d,
                                &candidates,
                                k,
                                eligible,
                                all,
                                &view,
                                kind_bit,
                                &mut rng_b,
                                &mut taken,
                                stamp + 1_000_000,
                                &mut out_b,
                            );
                            assert_eq!(out_a, out_b, "case {case} step {step} {kind}");
                        }
                        assert_eq!(rng_a.random::<u64>(), rng_b.random::<u64>(), "same draws");
                    }
                }
            }
        }
    }
}
