//! Stop sets (Doubletree, Donnet et al. 2005): targets behind shared hops
//! need not probe those hops again. A trace of a run with many targets
//! starts at the `start` TTL; when the router that answers there was
//! already seen at that TTL by an earlier trace, the hops below it are
//! that trace's (the path to a router is the path to it, whatever lies
//! beyond), and only the hops from `start` on are probed. When it was not
//! (a new router, silence, or the target itself), the hops below are
//! probed as usual, and `start` comes down to the depth the paths were
//! seen to share: it only ever falls, so a list whose paths part early
//! costs at most one probe a target more than no stop set.
//!
//! Memory follows the routers seen, not the targets: each (TTL, router)
//! is one node holding its hop as first seen and the node below it.
//!
//! Part of `many`: no I/O.

use crate::trace::{HopResult, Learned, TraceResult};
use std::collections::HashMap;
use std::net::IpAddr;

struct Node {
    hop: HopResult,
    /// The node of the hop below, on the path this one was seen on.
    below: Option<usize>,
    /// The target whose trace has this hop, and its number in the list.
    target: IpAddr,
    number: usize,
}

/// The routers seen at each TTL, and the TTL traces start at.
#[derive(Default)]
pub struct StopSet {
    nodes: Vec<Node>,
    /// The node of each router answering at a TTL.
    routers: HashMap<(u8, IpAddr), usize>,
    /// The node of a silent hop at a TTL above a node (paths that agree
    /// share their silent hops too: memory follows the paths).
    silent: HashMap<(u8, Option<usize>), usize>,
    /// Where traces start: 1 until a trace has finished, then the depth
    /// the paths were seen to share.
    start: Option<u8>,
}

/// The router that answered a hop (not the destination, not silence).
pub fn router_of(hop: &HopResult) -> Option<IpAddr> {
    hop.probes
        .iter()
        .filter_map(|p| p.answer())
        .find(|(a, _)| a.kind == tracetcp_strategies::ReplyKind::TimeExceeded)
        .map(|(a, _)| a.from)
}

impl StopSet {
    /// The TTL the next trace starts at.
    pub fn start(&self) -> u8 {
        self.start.unwrap_or(1)
    }

    /// The hops below `hop` (at TTL `start`), when its router was seen
    /// there before: copies of the hops 1 to start - 1 on the path it was
    /// seen on, which trace saw it, and whose hop each copy is (the
    /// target's number in the list).
    pub fn below(&self, hop: &HopResult) -> Option<(Vec<HopResult>, Learned, Vec<usize>)> {
        let router = router_of(hop)?;
        let &id = self.routers.get(&(hop.ttl, router))?;
        let mut hops = Vec::new();
        let mut numbers = Vec::new();
        let mut next = self.nodes[id].below;
        while let Some(k) = next {
            hops.push(self.nodes[k].hop.clone());
            numbers.push(self.nodes[k].number);
            next = self.nodes[k].below;
        }
        hops.reverse();
        numbers.reverse();
        let from = self.nodes[id].target;
        // Only a whole chain from TTL 1 stands for the hops below.
        let whole = hops
            .iter()
            .enumerate()
            .all(|(i, h)| h.ttl as usize == i + 1);
        (whole && hops.len() + 1 == usize::from(hop.ttl)).then(|| {
            let learned = Learned {
                hops: hop.ttl - 1,
                from,
            };
            (hops, learned, numbers)
        })
    }

    /// Learns the routers of a finished trace to `target` (number
    /// `number` in the list; hops from TTL 1), and lowers the start to
    /// the depth it shared with earlier ones.
    pub fn learn(&mut self, target: IpAddr, number: usize, trace: &TraceResult) {
        let hops = &trace.hops;
        if hops.first().is_none_or(|h| h.ttl != 1) {
            return;
        }
        // Up to the last router: a silent tail or the destination is
        // nobody else's path.
        let Some(last) = hops.iter().rposition(|h| router_of(h).is_some()) else {
            return;
        };
        // The deepest known router before the path parts from the known
        // ones (a new router); silent hops do not part it.
        let mut shared = 0;
        let mut parted = false;
        let mut below = None;
        for hop in &hops[..=last] {
            let router = router_of(hop);
            let known = match router {
                Some(r) => self.routers.get(&(hop.ttl, r)).copied(),
                None => self.silent.get(&(hop.ttl, below)).copied(),
            };
            parted |= router.is_some() && known.is_none();
            if router.is_some() && !parted {
                shared = hop.ttl;
            }
            let id = known.unwrap_or_else(|| {
                let id = self.nodes.len();
                self.nodes.push(Node {
                    hop: hop.clone(),
                    below,
                    target,
                    number,
                });
                match router {
                    Some(r) => self.routers.insert((hop.ttl, r), id),
                    None => self.silent.insert((hop.ttl, below), id),
                };
                id
            });
            below = Some(id);
        }
        let deepest = last as u8 + 1;
        let depth = match self.start {
            // The first trace: every router of it may be shared.
            None => deepest,
            // A path that parted from the known ones: traces start no
            // deeper than where it parted. One that only ended sooner
            // (a nearer target) says nothing of that.
            Some(_) if deepest > shared => shared.max(1),
            Some(start) => start,
        };
        self.start = Some(self.start.map_or(depth, |s| s.min(depth)));
    }
}

#[cfg(test)]
#[path = "stopset_tests.rs"]
mod tests;
