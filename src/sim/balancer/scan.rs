//! Picks by a linear pass over the candidates: the reference semantics, and the fastest way
//! for small fleets. [`super::index`] gives the same answers in O(log n) for large ones.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

/// The eligible candidate with the lowest score; ties broken uniformly at random, so no agent is favoured by its index.
/// One pass finds the lowest score, counts its ties and keeps the last to set it, in
/// conditional moves rather than branches; only when several tie (at high load most idle
/// agents tie at zero) does a second pass take one random draw and find the chosen tie.
#[inline(always)]
pub fn min_by_score<T: PartialOrd + Copy, E: Fn(u32) -> bool, S: Fn(usize) -> T>(
    candidates: &[u32],
    eligible: &E,
    all_eligible: bool,
    rng: &mut Pcg64Mcg,
    score: S,
) -> Option<u32> {
    if all_eligible {
        let (&first, rest) = candidates.split_first()?;
        let (mut best, mut ties, mut chosen) = (score(first as usize), 1, first);
        for &c in rest {
            let s = score(c as usize);
            let lower = s < best;
            ties = if lower {
                1
            } else {
                ties + u32::from(s == best)
            };
            chosen = if lower { c } else { chosen };
            best = if lower { s } else { best };
        }
        if ties == 1 {
            return Some(chosen);
        }
        let k = rng.random_range(0..ties);
        let mut seen = 0;
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
