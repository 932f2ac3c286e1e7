//! What multipath discovery found, read from a trace's results: every
//! interface at every hop with the flows that reached it, and the links
//! between consecutive hops that one flow proves.
//!
//! Plain data computed from the trace model; used by the reports and the
//! diagnosis.

use crate::trace::TraceResult;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use tracetcp_strategies::Flow;

/// One interface seen at a hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub addr: IpAddr,
    /// The flows whose probes it answered at this hop.
    pub flows: Vec<Flow>,
    /// The interfaces of the hop before that lead to it.
    pub from: Vec<IpAddr>,
    /// It answered as the destination (or with an unreachable): paths
    /// end here.
    pub end: bool,
}

/// A link one flow proves: seen at `from` with TTL `ttl` and at `to`
/// with TTL `ttl + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub ttl: u8,
    pub from: IpAddr,
    pub to: IpAddr,
}

/// Interfaces per hop and the links between them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// (TTL, interfaces at that TTL), every TTL probed.
    pub hops: Vec<(u8, Vec<Interface>)>,
    pub links: Vec<Link>,
}

impl Topology {
    /// The topology a trace's probes show. A flow that ended (the
    /// destination, an unreachable) says nothing about later TTLs; nor
    /// does a destination's answer beyond the lowest TTL it answered at,
    /// unless the same flow showed a router just before (a longer path):
    /// a probe sent ahead of the answers, on a flow whose own answer at
    /// the destination's hop was lost, reaches it too.
    pub fn of(result: &TraceResult) -> Topology {
        // (ttl, flow) -> (responder, ends)
        let mut seen: BTreeMap<(u8, Flow), (IpAddr, bool)> = BTreeMap::new();
        let mut ended: BTreeMap<Flow, u8> = BTreeMap::new();
        for hop in &result.hops {
            for p in &hop.probes {
                if ended.get(&p.flow).is_some_and(|&t| t < hop.ttl) {
                    continue;
                }
                if let Some((a, _)) = p.answer() {
                    let end = a.kind.ends_trace();
                    seen.insert((hop.ttl, p.flow), (a.from, end));
                    if end {
                        ended.entry(p.flow).or_insert(hop.ttl);
                    }
                }
            }
        }
        let first_end = seen
            .iter()
            .filter(|(_, (_, end))| *end)
            .map(|((t, _), _)| *t)
            .min();
        let beyond: Vec<(u8, Flow)> = seen
            .iter()
            .filter(|&(&(ttl, flow), &(_, end))| {
                end && first_end.is_some_and(|e| ttl > e)
                    && !matches!(seen.get(&(ttl - 1, flow)), Some((_, false)))
            })
            .map(|(&k, _)| k)
            .collect();
        for k in beyond {
            seen.remove(&k);
        }
        let mut links = BTreeSet::new();
        for (&(ttl, flow), &(to, _)) in &seen {
            if let Some(&(from, false)) = ttl
                .checked_sub(1)
                .and_then(|before| seen.get(&(before, flow)))
            {
                links.insert(Link {
                    ttl: ttl - 1,
                    from,
                    to,
                });
            }
        }
        let mut hops = Vec::new();
        for hop in &result.hops {
            let mut interfaces: Vec<Interface> = Vec::new();
            for (&(ttl, flow), &(addr, end)) in seen.range((hop.ttl, Flow::new(0))..) {
                if ttl != hop.ttl {
                    break;
                }
                match interfaces.iter_mut().find(|i| i.addr == addr) {
                    Some(i) => {
                        i.flows.push(flow);
                        i.end |= end;
                    }
                    None => interfaces.push(Interface {
                        addr,
                        flows: vec![flow],
                        from: Vec::new(),
                        end,
                    }),
                }
            }
            for i in &mut interfaces {
                i.from = links
                    .iter()
                    .filter(|l| l.ttl + 1 == hop.ttl && l.to == i.addr)
                    .map(|l| l.from)
                    .collect();
            }
            interfaces.sort_by_key(|i| i.addr);
            hops.push((hop.ttl, interfaces));
        }
        Topology {
            hops,
            links: links.into_iter().collect(),
        }
    }

    /// The highest TTL where something answered.
    pub fn last_answered(&self) -> Option<u8> {
        self.hops
            .iter()
            .rev()
            .find(|(_, i)| !i.is_empty())
            .map(|(t, _)| *t)
    }

    /// The most interfaces any hop has.
    pub fn max_width(&self) -> usize {
        self.hops.iter().map(|(_, i)| i.len()).max().unwrap_or(0)
    }

    /// Load-balanced stretches: (first TTL, last TTL, width) for every
    /// run of consecutive hops with more than one interface.
    pub fn diamonds(&self) -> Vec<(u8, u8, usize)> {
        let mut out: Vec<(u8, u8, usize)> = Vec::new();
        for (ttl, interfaces) in &self.hops {
            let width = interfaces.len();
            if width < 2 {
                continue;
            }
            match out.last_mut() {
                Some((_, last, w)) if *last + 1 == *ttl => {
                    *last = *ttl;
                    *w = (*w).max(width);
                }
                _ => out.push((*ttl, *ttl, width)),
            }
        }
        out
    }
}
