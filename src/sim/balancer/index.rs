//! The least-loaded picks of a large fleet in O(log n): segment trees keyed by each agent's
//! score, kept current as loads, availability and learned service times change. Every pick
//! gives exactly what the linear pass of [`super::scan`] gives (the same minimum, the same
//! ties in candidate order, the same random draw), so results do not depend on the fleet
//! size crossing the threshold; a property test holds the two to each other.
//!
//! Agents that are down or taken out of the pool are absent from the trees. Agents whose
//! circuit breaker is not closed are kept aside ("ejected"): whether they may take a request
//! depends on the breaker at the instant of the pick, so each pick checks them one by one.
//! They are few (at most the ejection cap), and the trees hold everyone else.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use super::BalancerKind;
use super::tree::{ABSENT, MinTree, count_at, nth_at};

/// Above this many agents, picks go through the index.
pub const THRESHOLD: usize = 64;

/// What the predictive balancer has learned, for the keys.
pub struct Learned<'a> {
    pub estimate: &'a [f64],
    pub observed: &'a [bool],
}

enum Trees {
    /// least_connections: load.
    Load(MinTree),
    /// capability_based: (load + 1) / speed, over all agents and over each kind's.
    PerSpeed { all: MinTree, kinds: Vec<MinTree> },
    /// predictive: (load + 1) x learned time for observed agents, load for the others, and
    /// presence (every unobserved agent ties before anything is learned).
    Expected {
        observed: MinTree,
        unobserved: MinTree,
        open: MinTree,
    },
    /// random and power_of_two: presence, to count and enumerate the eligible.
    Open(MinTree),
}

pub struct LoadIndex {
    trees: Trees,
    load: Vec<u32>,
    /// Not down, not out of the pool, breaker closed.
    open: Vec<bool>,
    /// Already picked for the request being scattered.
    excluded: Vec<bool>,
    /// Agents whose breaker is not closed (and that are neither down nor out), sorted.
    ejected: Vec<u32>,
    /// Ejected agents eligible now with their keys, and the ties, reused by every pick.
    extra: Vec<(u32, u64)>,
    ties: Vec<u32>,
}

#[inline]
fn per_speed(load: u32, speed: f64) -> u64 {
    (f64::from(load + 1) / speed).to_bits()
}

impl LoadIndex {
    /// An index for `kind` over `n` agents with `kinds` task kinds (0 without kinds), or
    /// `None` when the algorithm gains nothing from one.
    pub fn new(kind: BalancerKind, n: usize, kinds: usize) -> Option<Self> {
        let trees = match kind {
            BalancerKind::LeastConnections => Trees::Load(MinTree::new(n)),
            BalancerKind::CapabilityBased => Trees::PerSpeed {
                all: MinTree::new(n),
                kinds: (0..kinds).map(|_| MinTree::new(n)).collect(),
            },
            BalancerKind::Predictive => Trees::Expected {
                observed: MinTree::new(n),
                unobserved: MinTree::new(n),
                open: MinTree::new(n),
            },
            BalancerKind::Random | BalancerKind::PowerOfTwo => Trees::Open(MinTree::new(n)),
            BalancerKind::RoundRobin | BalancerKind::WeightedRoundRobin => return None,
        };
        Some(LoadIndex {
            trees,
            load: vec![0; n],
            open: vec![true; n],
            excluded: vec![false; n],
            ejected: Vec::new(),
            extra: Vec::new(),
            ties: Vec::new(),
        })
    }

    /// Sets every agent's load at once (a peer's view refreshed), in O(n).
    pub fn rebuild(&mut self, load: &[u32], speed: &[f64], caps: &[u64], learned: &Learned) {
        self.load.copy_from_slice(load);
        let part = |a: usize| self.open[a] && !self.excluded[a];
        let n = load.len();
        match &mut self.trees {
            Trees::Load(t) => {
                t.rebuild((0..n).map(|a| if part(a) { load[a].into() } else { ABSENT }))
            }
            Trees::PerSpeed { all, kinds } => {
                let key = |a: usize| per_speed(load[a], speed[a]);
                all.rebuild((0..n).map(|a| if part(a) { key(a) } else { ABSENT }));
                for (k, t) in kinds.iter_mut().enumerate() {
                    t.rebuild((0..n).map(|a| {
                        if part(a) && caps[a] & (1 << k) != 0 {
                            key(a)
                        } else {
                            ABSENT
                        }
                    }));
                }
            }
            Trees::Expected {
                observed,
                unobserved,
                open,
            } => {
                observed.rebuild((0..n).map(|a| {
                    if part(a) && learned.observed[a] {
                        (f64::from(load[a] + 1) * learned.estimate[a]).to_bits()
                    } else {
                        ABSENT
                    }
                }));
                unobserved.rebuild((0..n).map(|a| {
                    if part(a) && !learned.observed[a] {
                        load[a].into()
                    } else {
                        ABSENT
                    }
                }));
                open.rebuild((0..n).map(|a| if part(a) { 0 } else { ABSENT }));
            }
            Trees::Open(t) => t.rebuild((0..n).map(|a| if part(a) { 0 } else { ABSENT })),
        }
    }

    /// Recomputes agent `a`'s keys.
    pub fn update(&mut self, a: usize, speed: &[f64], caps: &[u64], learned: &Learned) {
        let part = self.open[a] && !self.excluded[a];
        let load = self.load[a];
        match &mut self.trees {
            Trees::Load(t) => t.set(a, if part { load.into() } else { ABSENT }),
            Trees::PerSpeed { all, kinds } => {
                let key = if part {
                    per_speed(load, speed[a])
                } else {
                    ABSENT
                };
                all.set(a, key);
                for (k, t) in kinds.iter_mut().enumerate() {
                    t.set(a, if caps[a] & (1 << k) != 0 { key } else { ABSENT });
                }
            }
            Trees::Expected {
                observed,
                unobserved,
                open,
            } => {
                let seen = learned.observed[a];
                observed.set(
                    a,
                    if part && seen {
                        (f64::from(load + 1) * learned.estimate[a]).to_bits()
                    } else {
                        ABSENT
                    },
                );
                unobserved.set(a, if part && !seen { load.into() } else { ABSENT });
                open.set(a, if part { 0 } else { ABSENT });
            }
            Trees::Open(t) => t.set(a, if part { 0 } else { ABSENT }),
        }
    }

    /// Agent `a`'s load is now `load`.
    pub fn set_load(
        &mut self,
        a: usize,
        load: u32,
        speed: &[f64],
        caps: &[u64],
        learned: &Learned,
    ) {
        if self.load[a] != load {
            self.load[a] = load;
            if !matches!(self.trees, Trees::Open(_)) {
                self.update(a, speed, caps, learned);
            }
        }
    }

    /// Agent `a` is open (down or out of the pool: neither; breaker not closed: ejected).
    #[allow(clippy::too_many_arguments)]
    pub fn set_state(
        &mut self,
        a: usize,
        open: bool,
        ejected: bool,
        speed: &[f64],
        caps: &[u64],
        learned: &Learned,
    ) {
        let pos = self.ejected.binary_search(&(a as u32));
        match (ejected, pos) {
            (true, Err(i)) => self.ejected.insert(i, a as u32),
            (false, Ok(i)) => {
                self.ejected.remove(i);
            }
            _ => {}
        }
        if self.open[a] != open {
            self.open[a] = open;
            self.update(a, speed, caps, learned);
        }
    }

    /// Leaves agent `a` out of (or back into) the picks, for distinct picks.
    pub fn exclude(&mut self, a: usize, out: bool, speed: &[f64], caps: &[u64], learned: &Learned) {
        if self.excluded[a] != out {
            self.excluded[a] = out;
            self.update(a, speed, caps, learned);
        }
    }

    /// The ejected agents in `[lo, hi)` that `eligible` allows now, with their keys.
    fn gather<E: Fn(u32) -> bool, K: Fn(u32) -> u64>(
        &mut self,
        lo: usize,
        hi: usize,
        eligible: &E,
        key: K,
    ) {
        self.extra.clear();
        let start = self.ejected.partition_point(|&a| (a as usize) < lo);
        for &a in &self.ejected[start..] {
            if a as usize >= hi {
                break;
            }
            // Excluded (already taken by this fan-out) is out of the trees; an ejected agent
            // is gathered here, so it is left out here, whatever `eligible` knows.
            if !self.excluded[a as usize] && eligible(a) {
                self.extra.push((a, key(a)));
            }
        }
    }

    /// One of the leaves matching `trees` and the ties in `self.ties`, uniformly at random,
    /// in candidate order as the linear pass draws it.
    fn choose(&self, trees: &[(&MinTree, u64)], lo: usize, hi: usize, rng: &mut Pcg64Mcg) -> u32 {
        let in_trees = if trees.is_empty() {
            0
        } else {
            count_at(trees, lo, hi)
        };
        let ties = in_trees + self.ties.len() as u32;
        let k = if ties > 1 {
            rng.random_range(0..ties)
        } else {
            0
        };
        self.select(trees, lo, hi, k)
    }

    /// The `k`-th (from 0), in candidate order, of the tree leaves and `self.ties`.
    fn select(&self, trees: &[(&MinTree, u64)], lo: usize, hi: usize, k: u32) -> u32 {
        for (i, &x) in self.ties.iter().enumerate() {
            let before = if trees.is_empty() {
                0
            } else {
                count_at(trees, lo, x as usize)
            };
            let pos = before + i as u32;
            if k == pos {
                return x;
            }
            if k < pos {
                return nth_at(trees, lo, hi, k - i as u32).expect("counted") as u32;
            }
        }
        nth_at(trees, lo, hi, k - self.ties.len() as u32).expect("counted") as u32
    }

    /// Keeps the extras whose key is `best` as ties.
    fn ties_at(&mut self, best: u64) {
        self.ties.clear();
        self.ties.extend(
            self.extra
                .iter()
                .filter(|(_, k)| *k == best)
                .map(|(a, _)| *a),
        );
    }

    /// least_connections.
    pub fn least_load<E: Fn(u32) -> bool>(
        &mut self,
        lo: usize,
        hi: usize,
        eligible: &E,
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        let load = std::mem::take(&mut self.load);
        self.gather(lo, hi, eligible, |a| load[a as usize].into());
        self.load = load;
        let Trees::Load(t) = &self.trees else {
            unreachable!("a least_connections index");
        };
        let in_tree = t.min_in(lo, hi);
        let best = self.extra.iter().map(|e| e.1).fold(in_tree, u64::min);
        if best == ABSENT {
            return None;
        }
        self.ties_at(best);
        let Trees::Load(t) = &self.trees else {
            unreachable!();
        };
        let trees: &[(&MinTree, u64)] = if in_tree == best { &[(t, best)] } else { &[] };
        Some(self.choose(trees, lo, hi, rng))
    }

    /// capability_based: the least (load + 1) / speed among capable agents, else among all.
    #[allow(clippy::too_many_arguments)]
    pub fn least_per_speed<E: Fn(u32) -> bool>(
        &mut self,
        lo: usize,
        hi: usize,
        eligible: &E,
        kind_bit: u64,
        speed: &[f64],
        caps: &[u64],
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        let kind = kind_bit.trailing_zeros() as usize;
        for capable_only in [true, false] {
            let load = std::mem::take(&mut self.load);
            let capable = |a: u32| !capable_only || caps[a as usize] & kind_bit != 0;
            self.gather(lo, hi, &|a| eligible(a) && capable(a), |a| {
                per_speed(load[a as usize], speed[a as usize])
            });
            self.load = load;
            let Trees::PerSpeed { all, kinds } = &self.trees else {
                unreachable!("a capability_based index");
            };
            let tree = if capable_only && !kinds.is_empty() {
                &kinds[kind]
            } else {
                all
            };
            let in_tree = tree.min_in(lo, hi);
            let best = self.extra.iter().map(|e| e.1).fold(in_tree, u64::min);
            if best == ABSENT {
                continue;
            }
            self.ties_at(best);
            let Trees::PerSpeed { all, kinds } = &self.trees else {
                unreachable!();
            };
            let tree = if capable_only && !kinds.is_empty() {
                &kinds[kind]
            } else {
                all
            };
            let trees: &[(&MinTree, u64)] = if in_tree == best {
                &[(tree, best)]
            } else {
                &[]
            };
            return Some(self.choose(trees, lo, hi, rng));
        }
        None
    }

    /// predictive: the least (load + 1) x expected time, where an agent not yet observed is
    /// expected to take `prior`.
    pub fn least_expected<E: Fn(u32) -> bool>(
        &mut self,
        lo: usize,
        hi: usize,
        eligible: &E,
        prior: f64,
        learned: &Learned,
        rng: &mut Pcg64Mcg,
    ) -> Option<u32> {
        let load = std::mem::take(&mut self.load);
        let score = |a: u32| {
            let a = a as usize;
            let per_job = if learned.observed[a] {
                learned.estimate[a]
            } else {
                prior
            };
            (f64::from(load[a] + 1) * per_job).to_bits()
        };
        self.gather(lo, hi, eligible, score);
        self.load = load;
        let Trees::Expected {
            observed,
            unobserved,
            ..
        } = &self.trees
        else {
            unreachable!("a predictive index");
        };
        let seen = observed.min_in(lo, hi);
        let least_unseen = unobserved.min_in(lo, hi);
        let unseen = if least_unseen == ABSENT {
            ABSENT
        } else {
            (f64::from(least_unseen as u32 + 1) * prior).to_bits()
        };
        let best = self
            .extra
            .iter()
            .map(|e| e.1)
            .fold(seen.min(unseen), u64::min);
        if best == ABSENT {
            return None;
        }
        self.ties_at(best);
        let Trees::Expected {
            observed,
            unobserved,
            open,
        } = &self.trees
        else {
            unreachable!();
        };
        let mut trees: [(&MinTree, u64); 2] = [(observed, seen), (unobserved, least_unseen)];
        let used = match (seen == best, unseen == best) {
            // Before anything is learned every unobserved agent scores 0, whatever its load.
            (_, true) if prior == 0.0 => {
                trees[0] = (open, 0);
                1
            }
            (true, true) => 2,
            (true, false) => 1,
            (false, true) => {
                trees[0] = trees[1];
                1
            }
            (false, false) => 0,
        };
        Some(self.choose(&trees[..used], lo, hi, rng))
    }

    /// random and power_of_two: how many agents in `[lo, hi)` are eligible now.
    pub fn eligible_count<E: Fn(u32) -> bool>(
        &mut self,
        lo: usize,
        hi: usize,
        eligible: &E,
    ) -> u32 {
        self.gather(lo, hi, eligible, |_| 0);
        self.ties.clear();
        self.ties.extend(self.extra.iter().map(|e| e.0));
        let Trees::Open(t) = &self.trees else {
            unreachable!("a random or power_of_two index");
        };
        count_at(&[(t, 0)], lo, hi) + self.ties.len() as u32
    }

    /// The `k`-th eligible agent in `[lo, hi)`, after [`LoadIndex::eligible_count`].
    pub fn nth_eligible(&self, lo: usize, hi: usize, k: u32) -> u32 {
        let Trees::Open(t) = &self.trees else {
            unreachable!("a random or power_of_two index");
        };
        self.select(&[(t, 0)], lo, hi, k)
    }
}
