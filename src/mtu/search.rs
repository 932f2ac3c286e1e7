//! The black-hole search: when probes above some size vanish past a hop
//! with no "fragmentation needed" / "packet too big" while smaller ones
//! are answered there, the largest size that passes is found by probing
//! several sizes at once, each twice, in few rounds.
//!
//! Pure: reads probe sizes and outcomes.

use crate::trace::{HopResult, TraceResult};
use std::collections::BTreeMap;

/// Sizes probed per round (each twice).
pub const PER_ROUND: usize = 6;
/// Copies of each size: a size is dropped only when every copy is lost.
pub const COPIES: usize = 2;
/// Rounds at most; the bounds found by then are reported as they are.
pub const ROUNDS: usize = 6;

/// MTUs found on real links, tried first (PPPoE 1492, tunnels 1480 to
/// 1400, the IPv6 minimum 1280, RFC 1191 plateaus).
const COMMON: [u16; 14] = [
    1500, 1492, 1480, 1472, 1460, 1450, 1440, 1420, 1400, 1380, 1280, 1006, 576, 508,
];

/// The MTUs black holes most often have, tried in the first round.
const FAVOURITES: [u16; PER_ROUND] = [1492, 1480, 1460, 1400, 1280, 576];

/// Sizes vanishing past a hop while smaller ones pass: where, and the
/// sizes seen there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspect {
    /// The last hop a probe of the vanishing size was answered at.
    pub after: Option<u8>,
    /// The first hop where that size vanished while a smaller one was
    /// answered: the search's TTL.
    pub at: u8,
}

/// What a hop's probes say by size: (answered, lost) counts.
fn by_size(hop: &HopResult) -> BTreeMap<u16, (usize, usize)> {
    let mut sizes: BTreeMap<u16, (usize, usize)> = BTreeMap::new();
    for p in &hop.probes {
        let Some(size) = p.size else { continue };
        let e = sizes.entry(size).or_default();
        // "Too big" is an answer that the size does not pass.
        let passed = p.answer().is_some_and(|(a, _)| !super::too_big(a.kind));
        if passed {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    sizes
}

/// Lost probes at `hop` bigger than every probe answered there (none when
/// nothing was answered: a hop silent for all sizes is not a black hole).
fn vanished(hop: &HopResult) -> Vec<u16> {
    let sizes = by_size(hop);
    let Some(&biggest) = sizes.iter().filter(|(_, c)| c.0 > 0).map(|(s, _)| s).max() else {
        return Vec::new();
    };
    sizes
        .iter()
        .filter(|&(&s, c)| s > biggest && c.1 > 0)
        .flat_map(|(&s, c)| std::iter::repeat_n(s, c.1))
        .collect()
}

/// Whether the trace's hops show a black hole worth searching: at least
/// two probes lost where smaller ones were answered at the same hop
/// (one could be ordinary loss).
pub fn suspect(r: &TraceResult) -> Option<Suspect> {
    let lost: usize = r.hops.iter().map(|h| vanished(h).len()).sum();
    if lost < COPIES {
        return None;
    }
    let at = r.hops.iter().find(|h| !vanished(h).is_empty())?;
    let big = vanished(at).into_iter().min()?;
    let after = r
        .hops
        .iter()
        .filter(|h| h.ttl < at.ttl)
        .filter(|h| {
            h.probes
                .iter()
                .any(|p| p.answer().is_some() && p.size >= Some(big))
        })
        .map(|h| h.ttl)
        .max();
    Some(Suspect { after, at: at.ttl })
}

/// What is known at the search's TTL: the largest size answered, the
/// smallest above it lost in every copy (at least two), and sizes tried
/// but not yet decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    pub passes: u16,
    pub dropped: Option<u16>,
    undecided: Vec<u16>,
    tried: Vec<u16>,
}

/// The bounds at `ttl` from every probe a trace sent there: the hop's
/// own, the search's, and those a router said were too big.
pub fn bounds_at(r: &TraceResult, ttl: u8) -> Bounds {
    let hop = r.hops.iter().find(|h| h.ttl == ttl);
    let m = r.mtu.as_ref();
    let searched = m.and_then(|m| m.search.as_ref()).filter(|h| h.ttl == ttl);
    let refused: Vec<u16> = m
        .iter()
        .flat_map(|m| &m.too_big)
        .filter(|(t, _)| *t == ttl)
        .filter_map(|(_, p)| p.size)
        .collect();
    bounds(hop.into_iter().chain(searched), &refused)
}

/// The bounds from these probes, all sent at one TTL, and sizes a router
/// said were too big (certainly dropped).
pub fn bounds<'a>(hops: impl IntoIterator<Item = &'a HopResult>, too_big: &[u16]) -> Bounds {
    let mut sizes: BTreeMap<u16, (usize, usize)> = BTreeMap::new();
    for h in hops {
        for (s, (a, l)) in by_size(h) {
            let e = sizes.entry(s).or_default();
            e.0 += a;
            e.1 += l;
        }
    }
    for &s in too_big {
        sizes.entry(s).or_default().1 += COPIES;
    }
    let passes = sizes
        .iter()
        .filter(|(_, c)| c.0 > 0)
        .map(|(&s, _)| s)
        .max()
        .unwrap_or(0);
    let dropped = sizes
        .iter()
        .filter(|&(&s, c)| s > passes && c.0 == 0 && c.1 >= COPIES)
        .map(|(&s, _)| s)
        .min();
    let undecided = sizes
        .iter()
        .filter(|&(&s, c)| s > passes && c.0 == 0 && c.1 < COPIES && dropped.is_none_or(|d| s < d))
        .map(|(&s, _)| s)
        .collect();
    Bounds {
        passes,
        dropped,
        undecided,
        tried: sizes.keys().copied().collect(),
    }
}

impl Bounds {
    /// Whether the largest size that passes is known exactly.
    pub fn exact(&self) -> bool {
        self.dropped.is_some_and(|d| d <= self.passes + 1)
    }

    /// The sizes to probe next (each `COPIES` times), or none when the
    /// search is over: exact, or nothing left to tell (no size is
    /// dropped in every copy: the loss was ordinary).
    pub fn next_round(&self) -> Vec<u16> {
        let Some(hi) = self.dropped else {
            return self.undecided.clone();
        };
        if self.exact() {
            return Vec::new();
        }
        let lo = self.passes;
        let fresh = |s: &u16| *s > lo && *s < hi && !self.tried.contains(s);
        let mut next: Vec<u16> = Vec::new();
        if COMMON.contains(&lo) {
            // The path's MTU is often a common value: is it exactly that?
            next.push(lo + 1);
        }
        next.extend(FAVOURITES.iter().copied().filter(fresh));
        // Then split what is left evenly, each point moved to a common
        // value near it.
        let parts = PER_ROUND as u32 + 1;
        let span = u32::from(hi - lo);
        let step = (span / parts) as u16;
        next.extend((1..parts).map(|i| {
            let x = lo + (span * i / parts) as u16;
            COMMON
                .iter()
                .copied()
                .filter(fresh)
                .filter(|c| c.abs_diff(x) <= step / 2)
                .min_by_key(|c| c.abs_diff(x))
                .unwrap_or(x)
        }));
        next.retain(fresh);
        // Sizes tried once and lost once are tried again first.
        next.splice(0..0, self.undecided.iter().copied());
        let mut chosen: Vec<u16> = Vec::new();
        for s in next {
            if chosen.len() < PER_ROUND && !chosen.contains(&s) {
                chosen.push(s);
            }
        }
        chosen.sort_unstable();
        chosen
    }
}
