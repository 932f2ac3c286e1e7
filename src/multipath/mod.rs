//! Multipath discovery: which probes to send to find every interface at
//! every hop of a load-balanced route, and the links between them (the
//! Multipath Detection Algorithm of Augustin et al. and Veitch et al.,
//! as scamper's tracelb runs it).
//!
//! Each flow follows one path; varying the flow across probes walks the
//! others. At a hop reached through interface A (the vertex at the TTL
//! before), once k distinct next-hop interfaces have been seen behind A,
//! probes keep going through A on new flows until n_k of them have been
//! sent; if no new interface appears by then, A's successors are all
//! found (at the chosen confidence). Flows known to pass A are reused;
//! when they run out, new flows are tried at A's TTL and the next at
//! once. Hops are worked on in parallel, a few TTLs ahead of the farthest
//! answer, so the run takes a few timeouts, not one per hop.
//!
//! Called by the engine (which sends, matches and times out the probes);
//! depends only on the trace model and the strategies' flows.

mod topology;

pub use topology::{Interface, Link, Topology};

use std::collections::HashMap;
use std::net::IpAddr;
use tracetcp_strategies::Flow;

/// The confidence of the stopping rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    Percent95,
    Percent99,
}

impl Confidence {
    pub fn percent(self) -> u8 {
        match self {
            Confidence::Percent95 => 95,
            Confidence::Percent99 => 99,
        }
    }

    pub fn from_percent(percent: u8) -> Option<Self> {
        match percent {
            95 => Some(Confidence::Percent95),
            99 => Some(Confidence::Percent99),
            _ => None,
        }
    }

    /// n_k: how many probes must have been sent through a vertex with k
    /// successors seen before no more are expected (for the confidence
    /// over a whole trace; k beyond 8 grows by the last step).
    pub fn probes_needed(self, k: usize) -> usize {
        let table: [usize; 8] = match self {
            Confidence::Percent95 => [6, 11, 16, 21, 27, 33, 38, 44],
            Confidence::Percent99 => [8, 15, 21, 28, 36, 43, 51, 58],
        };
        let k = k.max(1);
        match table.get(k - 1) {
            Some(&n) => n,
            None => table[7] + (k - 8) * (table[7] - table[6]),
        }
    }
}

/// What one probe (a flow at a TTL) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Sent (or asked for), not yet answered.
    Pending,
    /// A router on the way (time exceeded).
    Router(IpAddr),
    /// An answer that ends the flow's path: the destination, or an
    /// unreachable.
    End(IpAddr),
    Lost,
}

impl Seen {
    fn router(self) -> Option<IpAddr> {
        match self {
            Seen::Router(a) => Some(a),
            _ => None,
        }
    }

    fn responder(self) -> Option<IpAddr> {
        match self {
            Seen::Router(a) | Seen::End(a) => Some(a),
            _ => None,
        }
    }
}

/// Hops probed ahead of the farthest one answered by a router.
const LOOKAHEAD: u8 = 2;
/// Consecutive silent hops after which a path is taken to end.
const GAP_LIMIT: u8 = 3;
/// New flows tried at once for one vertex, at most.
const BATCH: usize = 16;
/// Flows one trace may use in all.
const MAX_FLOWS: usize = 4096;

/// The discovery state of one trace.
#[derive(Debug, Default)]
struct Trace {
    /// Per hop (`ttl - first_ttl`): what each flow found there.
    hops: Vec<HashMap<Flow, Seen>>,
    /// Every flow used, in the order first used.
    flows: Vec<Flow>,
}

/// Multipath discovery for every trace of a run.
#[derive(Debug)]
pub struct Discovery {
    confidence: Confidence,
    first_ttl: u8,
    last_ttl: u8,
    base: Flow,
    traces: Vec<Trace>,
}

/// The vertex a group of flows passed at the previous TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The first TTL, or a previous hop with one interface (or none that
    /// answered): every flow passes it.
    Any,
    Interface(IpAddr),
    /// Several interfaces, none seen to lead to more than one next hop:
    /// the hop-level rule (MDA-Lite) counts their flows together.
    Spread,
}

impl Discovery {
    pub fn new(
        confidence: Confidence,
        first_ttl: u8,
        last_ttl: u8,
        base: Flow,
        traces: usize,
    ) -> Self {
        let hops = usize::from(last_ttl - first_ttl) + 1;
        Discovery {
            confidence,
            first_ttl,
            last_ttl,
            base,
            traces: (0..traces)
                .map(|_| Trace {
                    hops: vec![HashMap::new(); hops],
                    flows: Vec::new(),
                })
                .collect(),
        }
    }

    fn slot(&mut self, trace: usize, ttl: u8) -> Option<&mut HashMap<Flow, Seen>> {
        let i = usize::from(ttl.checked_sub(self.first_ttl)?);
        self.traces.get_mut(trace)?.hops.get_mut(i)
    }

    fn note_flow(&mut self, trace: usize, flow: Flow) {
        let t = &mut self.traces[trace];
        if !t.flows.contains(&flow) {
            t.flows.push(flow);
        }
    }

    /// A probe of `flow` at `ttl` is on its way (replay learns them here).
    pub fn sent(&mut self, trace: usize, ttl: u8, flow: Flow) {
        self.record(trace, ttl, flow, Seen::Pending);
    }

    /// What the probe of `flow` at `ttl` found.
    pub fn settled(&mut self, trace: usize, ttl: u8, flow: Flow, seen: Seen) {
        self.record(trace, ttl, flow, seen);
    }

    fn record(&mut self, trace: usize, ttl: u8, flow: Flow, seen: Seen) {
        if let Some(slot) = self.slot(trace, ttl) {
            slot.insert(flow, seen);
            self.note_flow(trace, flow);
        }
    }

    /// The probes `trace` needs now, as (TTL, flow); each is recorded as
    /// pending, so it is asked for once.
    pub fn requests(&mut self, trace: usize) -> Vec<(u8, Flow)> {
        let mut out = Vec::new();
        for ttl in self.first_ttl..=self.last_ttl {
            match self.hop_state(trace, ttl) {
                HopState::Closed => break,
                HopState::Speculative => {
                    let flow = self.flow_number(trace, 0);
                    if !self.has(trace, ttl, flow) {
                        self.ask(trace, ttl, flow, &mut out);
                    }
                }
                HopState::Open => {
                    self.needs_at(trace, ttl, &mut out);
                    self.cover_branches(trace, ttl, &mut out);
                    self.confirm_links(trace, ttl, &mut out);
                }
            }
        }
        out
    }

    /// Asks for the probe of `flow` at `ttl`, recorded as pending.
    fn ask(&mut self, trace: usize, ttl: u8, flow: Flow, out: &mut Vec<(u8, Flow)>) {
        self.record(trace, ttl, flow, Seen::Pending);
        out.push((ttl, flow));
    }

    /// No probe of `trace` is pending. Right after `requests`, this
    /// means that the trace needs nothing more: it is finished.
    pub fn idle(&self, trace: usize) -> bool {
        !self.traces[trace]
            .hops
            .iter()
            .any(|h| h.values().any(|s| *s == Seen::Pending))
    }

    /// How many interfaces answered at `ttl` so far (at least 1): the
    /// routers that share the probes sent there.
    pub fn width(&self, trace: usize, ttl: u8) -> usize {
        let Some(hop) = self.hop(trace, ttl) else {
            return 1;
        };
        let mut seen: Vec<IpAddr> = hop.values().filter_map(|s| s.responder()).collect();
        seen.sort();
        seen.dedup();
        seen.len().max(1)
    }

    /// The highest TTL probed, if any.
    pub fn last_probed(&self, trace: usize) -> Option<u8> {
        let t = &self.traces[trace];
        (0..t.hops.len())
            .rev()
            .find(|&i| !t.hops[i].is_empty())
            .map(|i| self.first_ttl + i as u8)
    }

    /// The `n`-th flow of the trace, creating it (and those before it).
    fn flow_number(&mut self, trace: usize, n: usize) -> Flow {
        let t = &mut self.traces[trace];
        while t.flows.len() <= n {
            let next = self.base.nth(t.flows.len() as u16);
            t.flows.push(next);
        }
        t.flows[n]
    }

    fn new_flow(&mut self, trace: usize) -> Option<Flow> {
        let t = &self.traces[trace];
        if t.flows.len() >= MAX_FLOWS {
            return None;
        }
        let mut n = t.flows.len();
        // Flows learnt from a recording may not be the base's numbering.
        while t.flows.contains(&self.base.nth(n as u16)) {
            n += 1;
        }
        let flow = self.base.nth(n as u16);
        self.traces[trace].flows.push(flow);
        Some(flow)
    }

    fn hop(&self, trace: usize, ttl: u8) -> Option<&HashMap<Flow, Seen>> {
        let i = usize::from(ttl.checked_sub(self.first_ttl)?);
        self.traces.get(trace)?.hops.get(i)
    }

    fn has(&self, trace: usize, ttl: u8, flow: Flow) -> bool {
        self.hop(trace, ttl).is_some_and(|h| h.contains_key(&flow))
    }

    fn seen(&self, trace: usize, ttl: u8, flow: Flow) -> Option<Seen> {
        self.hop(trace, ttl).and_then(|h| h.get(&flow).copied())
    }
}

/// Whether a hop is worked on yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HopState {
    /// Fully: the stopping rule runs for every vertex before it.
    Open,
    /// One probe, ahead of the answers.
    Speculative,
    /// Not (yet) needed.
    Closed,
}

mod rule;

#[cfg(test)]
mod tests;
