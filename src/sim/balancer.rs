//! Load balancers: how a dispatcher picks the agent for a job.

use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_pcg::Pcg64Mcg;
use serde::Serialize;

use crate::names::{closest, normalize, suggest};

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

/// Smoothing of the predictive balancer's running estimate of each agent's service time.
const PREDICTIVE_ALPHA: f64 = 0.1;

/// One dispatcher's balancer, with whatever state its algorithm keeps.
#[derive(Debug, Clone)]
pub struct Balancer {
    pub kind: BalancerKind,
    next: usize,
    current: Vec<f64>,
    /// Estimated seconds per job at each agent, learned from completions (predictive).
    estimate: Vec<f64>,
    observed: Vec<bool>,
    estimate_sum: f64,
    observed_count: usize,
}

impl Balancer {
    pub fn new(kind: BalancerKind, agents: usize) -> Self {
        Self {
            kind,
            next: 0,
            current: vec![0.0; agents],
            estimate: vec![0.0; agents],
            observed: vec![false; agents],
            estimate_sum: 0.0,
            observed_count: 0,
        }
    }

    /// Learns from a job that took `seconds` of service at `agent`; only the predictive balancer listens.
    #[inline]
    pub fn observe(&mut self, agent: u32, seconds: f64) {
        if self.kind != BalancerKind::Predictive {
            return;
        }
        let a = agent as usize;
        let before = self.estimate[a];
        if self.observed[a] {
            self.estimate[a] += PREDICTIVE_ALPHA * (seconds - before);
        } else {
            self.estimate[a] = seconds;
            self.observed[a] = true;
            self.observed_count += 1;
        }
        self.estimate_sum += self.estimate[a] - before;
    }

    /// Picks one of `candidates` for which `eligible` holds; `None` if there is none.
    /// `all_eligible` promises that `eligible` is always true, enabling the constant-time paths.
    #[inline]
    pub fn pick<E: Fn(u32) -> bool>(
        &mut self,
        candidates: &[u32],
        eligible: E,
        all_eligible: bool,
        view: &View,
        kind_bit: u64,
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        let n = candidates.len();
        if n == 0 {
            return None;
        }
        match self.kind {
            BalancerKind::RoundRobin => {
                for step in 0..n {
                    let c = candidates[(self.next + step) % n];
                    if all_eligible || eligible(c) {
                        self.next = (self.next + step + 1) % n;
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
                let prior = if self.observed_count == 0 {
                    0.0
                } else {
                    self.estimate_sum / self.observed_count as f64
                };
                let estimate = &self.estimate;
                let observed = &self.observed;
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
                let (la, lb) = (view.load[a as usize], view.load[b as usize]);
                Some(match la.cmp(&lb) {
                    std::cmp::Ordering::Less => a,
                    std::cmp::Ordering::Greater => b,
                    std::cmp::Ordering::Equal => {
                        if rng.random::<bool>() {
                            a
                        } else {
                            b
                        }
                    }
                })
            }
        }
    }
}

impl Balancer {
    /// Picks `k` distinct eligible agents into `out`, using `taken[agent] == stamp` to mark
    /// those already picked. Smooth weighted round robin credits every agent `k` times its
    /// weight once and takes the `k` highest, so each agent gets `k w / W` of the picks; the
    /// other algorithms pick one at a time among those not yet taken.
    #[allow(clippy::too_many_arguments)]
    pub fn pick_distinct<E: Fn(u32) -> bool>(
        &mut self,
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
                self.pick(
                    candidates,
                    |c| taken[c as usize] != stamp && (all_eligible || eligible(c)),
                    i == 0 && all_eligible,
                    view,
                    kind_bit,
                    rng,
                )
            };
            let Some(a) = picked else { break };
            taken[a as usize] = stamp;
            out.push(a);
        }
    }
}

/// The eligible candidate with the lowest score; ties broken uniformly at random, so no agent is favoured by its index.
/// Three short passes (the lowest score, its ties, the chosen tie) compile to conditional
/// moves rather than branches, and take one random draw whatever the number of ties: at high
/// load most idle agents tie at zero.
#[inline]
fn min_by_score<T: PartialOrd + Copy, E: Fn(u32) -> bool, S: Fn(usize) -> T>(
    candidates: &[u32],
    eligible: &E,
    all_eligible: bool,
    rng: &mut Pcg64Mcg,
    score: S,
) -> Option<u32> {
    if all_eligible {
        let mut best = score(*candidates.first()? as usize);
        for &c in &candidates[1..] {
            let s = score(c as usize);
            best = if s < best { s } else { best };
        }
        let mut ties = 0;
        for &c in candidates {
            ties += u32::from(score(c as usize) == best);
        }
        let k = if ties > 1 {
            rng.random_range(0..ties)
        } else {
            0
        };
        let (mut chosen, mut seen) = (candidates[0], 0);
        for &c in candidates {
            let hit = score(c as usize) == best;
            chosen = if hit && seen == k { c } else { chosen };
            seen += u32::from(hit);
        }
        return Some(chosen);
    }
    let in_play = |c: &&u32| eligible(**c);
    let best = candidates
        .iter()
        .filter(in_play)
        .map(|&c| score(c as usize))
        .reduce(|a, b| if b < a { b } else { a })?;
    let at_best = |c: &&u32| in_play(c) && score(**c as usize) == best;
    let ties = candidates.iter().filter(at_best).count() as u32;
    let k = if ties > 1 {
        rng.random_range(0..ties)
    } else {
        0
    };
    candidates.iter().filter(at_best).nth(k as usize).copied()
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

    fn picks(kind: BalancerKind, v: &View, n: usize) -> Vec<u32> {
        let mut b = Balancer::new(kind, v.load.len());
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let candidates: Vec<u32> = (0..v.load.len() as u32).collect();
        (0..n)
            .map(|_| b.pick(&candidates, |_| true, true, v, 1, &mut rng).unwrap())
            .collect()
    }

    #[test]
    fn round_robin_cycles_and_skips_ineligible() {
        let v = view(&[0; 3], &[1.0; 3], &[1; 3]);
        assert_eq!(picks(BalancerKind::RoundRobin, &v, 4), [0, 1, 2, 0]);
        let mut b = Balancer::new(BalancerKind::RoundRobin, 3);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let got: Vec<u32> = (0..3)
            .map(|_| {
                b.pick(&[0, 1, 2], |c| c != 1, false, &v, 1, &mut rng)
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
        let mut b = Balancer::new(kind, n);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let candidates: Vec<u32> = (0..n as u32).collect();
        let (mut taken, mut out, mut counts) = (vec![0u64; n], Vec::new(), vec![0u64; n]);
        let tasks = 100_000;
        for t in 1..=tasks {
            b.pick_distinct(
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
        let mut b = Balancer::new(BalancerKind::CapabilityBased, 3);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let pick = b.pick(&[0, 1, 2], |_| true, true, &v, 0b01, &mut rng);
        assert_eq!(pick, Some(2), "(1+1)/4 beats (0+1)/1");
        let pick = b.pick(&[0, 1, 2], |_| true, true, &v, 0b100, &mut rng);
        assert!(pick.is_some(), "with no capable agent it falls back to all");
    }

    #[test]
    fn predictive_learns_which_agent_is_faster() {
        let v = view(&[0, 0], &[1.0, 1.0], &[1; 2]);
        let mut b = Balancer::new(BalancerKind::Predictive, 2);
        b.observe(0, 4.0);
        b.observe(1, 1.0);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(b.pick(&[0, 1], |_| true, true, &v, 1, &mut rng), Some(1));
        let loaded = view(&[0, 5], &[1.0, 1.0], &[1; 2]);
        assert_eq!(
            b.pick(&[0, 1], |_| true, true, &loaded, 1, &mut rng),
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
}
