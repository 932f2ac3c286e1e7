//! Path MTU, hop by hop (`--mtu`): probes start at the outgoing
//! interface's MTU with don't-fragment set; a router that answers
//! "fragmentation needed" (IPv4) or "packet too big" (IPv6) makes the
//! hops past it continue at the size it announces (an RFC 1191 plateau
//! when it announces none). Where probes above some size vanish with no
//! such answer while smaller ones pass, a black hole is searched for
//! (see `search`). This module reads results only: what the reports and
//! the diagnosis show, and what the engine's search plans from.

pub mod search;

use crate::trace::TraceResult;
use std::net::IpAddr;
use tracetcp_strategies::{ReplyKind, Unreachable};

/// RFC 1191 plateaus, for routers that announce no next-hop MTU.
const PLATEAUS: [u16; 11] = [
    65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
];

/// Whether an answer says the probe does not fit the next link.
pub fn too_big(kind: ReplyKind) -> bool {
    matches!(
        kind,
        ReplyKind::Unreachable(Unreachable::FragmentationNeeded { .. })
    )
}

/// The size to send after a router said a probe of `probe` bytes does
/// not fit, announcing `announced` (0: none given). `None` when the
/// answer gives no reason to shrink (it announces at least the probe's
/// size).
pub fn next_size(probe: u16, announced: u16, v6: bool) -> Option<u16> {
    let min = if v6 { 1280 } else { 68 };
    let size = if announced >= probe {
        return None;
    } else if announced >= min {
        announced
    } else if v6 {
        // Below the IPv6 minimum: no IPv6 link is that small.
        min
    } else {
        // None, or one no link may have: the next plateau down.
        PLATEAUS.iter().copied().find(|&p| p < probe)?.max(min)
    };
    (size < probe).then_some(size)
}

/// Where the size changed: the first hop probed at `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtuChange {
    pub at: u8,
    pub from: u16,
    pub to: u16,
    /// The router that said the bigger size does not fit.
    pub by: IpAddr,
    /// Whether it announced the size (or a plateau was assumed).
    pub announced: bool,
}

/// Sizes that vanish with no answer past a hop while smaller ones pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlackHole {
    /// The last hop a probe of the vanishing size was answered at.
    pub after: Option<u8>,
    /// The first hop where it vanished (the search's TTL).
    pub at: u8,
    /// The largest size answered there.
    pub passes: u16,
    /// The smallest size lost there in every copy.
    pub dropped: u16,
    /// `dropped == passes + 1`.
    pub exact: bool,
}

/// A trace's path MTU, hop by hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMtu {
    /// The size probes started at (the interface MTU).
    pub start: u16,
    /// Announced changes, in the order sizes fell.
    pub changes: Vec<MtuChange>,
    pub hole: Option<BlackHole>,
}

impl PathMtu {
    /// The MTU of the path up to hop `ttl`.
    pub fn at_hop(&self, ttl: u8) -> u16 {
        let announced = self
            .changes
            .iter()
            .filter(|c| c.at <= ttl)
            .map(|c| c.to)
            .fold(self.start, u16::min);
        match self.hole {
            Some(h) if h.at <= ttl => announced.min(h.passes),
            _ => announced,
        }
    }

    /// The path MTU: the largest size that passed the whole path probed.
    pub fn path(&self) -> u16 {
        self.at_hop(u8::MAX)
    }
}

/// The path MTU a `--mtu` trace found; `None` for a trace without.
pub fn analyse(r: &TraceResult, v6: bool) -> Option<PathMtu> {
    let m = r.mtu.as_ref()?;
    let mut changes: Vec<MtuChange> = Vec::new();
    let mut falls: Vec<(u16, IpAddr, bool, u8)> = m
        .too_big
        .iter()
        .filter_map(|(ttl, p)| {
            let (a, _) = p.answer()?;
            let ReplyKind::Unreachable(Unreachable::FragmentationNeeded { mtu }) = a.kind else {
                return None;
            };
            let to = next_size(p.size?, mtu, v6)?;
            Some((to, a.from, mtu == to, *ttl))
        })
        .collect();
    falls.sort_by_key(|f| (std::cmp::Reverse(f.0), f.3));
    let mut size = m.start;
    for (to, by, announced, ttl) in falls {
        if to >= size {
            continue;
        }
        // The first hop at the new size is the one past the router that
        // said so (where it answered for its own hop), else the lowest
        // TTL it said so for.
        let own = r
            .hops
            .iter()
            .find(|h| h.addresses().contains(&by))
            .map(|h| h.ttl + 1);
        changes.push(MtuChange {
            at: own.map_or(ttl, |o| o.min(ttl)),
            from: size,
            to,
            by,
            announced,
        });
        size = to;
    }
    let hole = search::suspect(r).and_then(|s| {
        let b = search::bounds_at(r, s.at);
        Some(BlackHole {
            after: s.after,
            at: s.at,
            passes: b.passes,
            dropped: b.dropped?,
            exact: b.exact(),
        })
    });
    Some(PathMtu {
        start: m.start,
        changes,
        hole,
    })
}

#[cfg(test)]
mod tests;
