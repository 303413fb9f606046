//! A segment tree over agents: each node keeps the least key among its leaves and how many
//! leaves have it, so the least-loaded agents of a range are found, counted and enumerated in
//! index order in O(log n). Keys are `u64`: loads, or the bits of non-negative scores (which
//! order as the scores do); [`ABSENT`] marks a leaf that takes no part.

/// The key of a leaf that takes no part (an unavailable agent).
pub const ABSENT: u64 = u64::MAX;

#[derive(Debug, Clone)]
pub struct MinTree {
    /// Leaves, a power of two.
    size: usize,
    min: Vec<u64>,
    /// Leaves at the node's least key; 0 when the least key is `ABSENT`.
    count: Vec<u32>,
}

impl MinTree {
    /// A tree of `n` absent leaves.
    pub fn new(n: usize) -> Self {
        let size = n.max(1).next_power_of_two();
        MinTree {
            size,
            min: vec![ABSENT; 2 * size],
            count: vec![0; 2 * size],
        }
    }

    #[inline]
    fn pull(&mut self, v: usize) {
        let (l, r) = (2 * v, 2 * v + 1);
        let (ml, mr) = (self.min[l], self.min[r]);
        self.min[v] = ml.min(mr);
        self.count[v] = if ml < mr {
            self.count[l]
        } else if mr < ml {
            self.count[r]
        } else {
            self.count[l] + self.count[r]
        };
    }

    pub fn set(&mut self, leaf: usize, key: u64) {
        let mut v = self.size + leaf;
        if self.min[v] == key {
            return;
        }
        self.min[v] = key;
        self.count[v] = u32::from(key != ABSENT);
        while v > 1 {
            v /= 2;
            self.pull(v);
        }
    }

    /// Sets every leaf at once, in O(n).
    pub fn rebuild(&mut self, keys: impl Iterator<Item = u64>) {
        for (leaf, key) in keys.enumerate() {
            let v = self.size + leaf;
            self.min[v] = key;
            self.count[v] = u32::from(key != ABSENT);
        }
        for v in (1..self.size).rev() {
            self.pull(v);
        }
    }

    /// The least key in `[lo, hi)`, `ABSENT` if there is none.
    pub fn min_in(&self, lo: usize, hi: usize) -> u64 {
        let (mut l, mut r) = (lo + self.size, hi + self.size);
        let mut best = ABSENT;
        while l < r {
            if l & 1 == 1 {
                best = best.min(self.min[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                best = best.min(self.min[r]);
            }
            l /= 2;
            r /= 2;
        }
        best
    }

    /// Leaves of node `v` whose key is `key`, given that no leaf below it is smaller.
    #[inline]
    fn at(&self, v: usize, key: u64) -> u32 {
        if key != ABSENT && self.min[v] == key {
            self.count[v]
        } else {
            0
        }
    }
}

/// Leaves in `[lo, hi)` whose key in its tree is the paired key, over several trees on the
/// same agents; each key must be the least of its tree in a range containing `[lo, hi)`.
pub fn count_at(trees: &[(&MinTree, u64)], lo: usize, hi: usize) -> u32 {
    let size = trees[0].0.size;
    let here = |v: usize| trees.iter().map(|(t, key)| t.at(v, *key)).sum::<u32>();
    let (mut l, mut r) = (lo + size, hi + size);
    let mut total = 0;
    while l < r {
        if l & 1 == 1 {
            total += here(l);
            l += 1;
        }
        if r & 1 == 1 {
            r -= 1;
            total += here(r);
        }
        l /= 2;
        r /= 2;
    }
    total
}

/// The `k`-th (from 0) such leaf in index order.
pub fn nth_at(trees: &[(&MinTree, u64)], lo: usize, hi: usize, k: u32) -> Option<usize> {
    let size = trees[0].0.size;
    let mut k = k;
    nth_in(trees, 1, 0, size, lo, hi, &mut k)
}

/// Walks the nodes meeting `[lo, hi)` left to right, from node `v` covering `[from, to)`.
fn nth_in(
    trees: &[(&MinTree, u64)],
    v: usize,
    from: usize,
    to: usize,
    lo: usize,
    hi: usize,
    k: &mut u32,
) -> Option<usize> {
    if to <= lo || hi <= from {
        return None;
    }
    let c: u32 = trees.iter().map(|(t, key)| t.at(v, *key)).sum();
    if lo <= from && to <= hi && *k >= c {
        *k -= c;
        return None;
    }
    if to - from == 1 {
        return Some(from);
    }
    let mid = (from + to) / 2;
    nth_in(trees, 2 * v, from, mid, lo, hi, k)
        .or_else(|| nth_in(trees, 2 * v + 1, mid, to, lo, hi, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_counts_and_enumerates_the_least_keys() {
        let keys = [5, 2, 7, 2, ABSENT, 2, 9];
        let mut t = MinTree::new(keys.len());
        t.rebuild(keys.iter().copied());
        assert_eq!(t.min_in(0, 7), 2);
        assert_eq!(t.min_in(2, 3), 7);
        assert_eq!(t.min_in(4, 5), ABSENT);
        let one = [(&t, 2)];
        assert_eq!(count_at(&one, 0, 7), 3);
        assert_eq!(nth_at(&one, 0, 7, 0), Some(1));
        assert_eq!(nth_at(&one, 0, 7, 2), Some(5));
        assert_eq!(nth_at(&one, 2, 7, 0), Some(3));
        assert_eq!(nth_at(&one, 0, 7, 3), None);
        t.set(1, 3);
        assert_eq!(count_at(&[(&t, 2)], 0, 7), 2);
        t.set(3, ABSENT);
        t.set(5, ABSENT);
        assert_eq!(t.min_in(0, 7), 3);
    }

    #[test]
    fn two_trees_enumerate_their_matches_in_index_order() {
        let mut a = MinTree::new(6);
        let mut b = MinTree::new(6);
        a.rebuild([1, ABSENT, 1, ABSENT, 4, ABSENT].into_iter());
        b.rebuild([ABSENT, 8, ABSENT, 8, ABSENT, 8].into_iter());
        let both = [(&a, 1), (&b, 8)];
        assert_eq!(count_at(&both, 0, 6), 5);
        let order: Vec<usize> = (0..5).filter_map(|k| nth_at(&both, 0, 6, k)).collect();
        assert_eq!(order, [0, 1, 2, 3, 5]);
    }
}
