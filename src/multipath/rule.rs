//! The stopping rule, hop by hop: which hops are worked on, which flows
//! pass which vertex, and the probes each vertex still needs.

use super::{Discovery, HopState, Seen, Via, BATCH, GAP_LIMIT, LOOKAHEAD};
use std::collections::HashSet;
use std::net::IpAddr;
use tracetcp_strategies::Flow;

impl Discovery {
    pub(super) fn hop_state(&self, trace: usize, ttl: u8) -> HopState {
        if ttl == self.first_ttl {
            return HopState::Open;
        }
        let routers_from = |from: u8| {
            (from..=self.last_ttl).any(|t| {
                self.hop(trace, t)
                    .is_some_and(|h| h.values().any(|s| s.router().is_some()))
            })
        };
        // A router answered here, before (at the previous hop) or beyond:
        // the path goes through this hop.
        if routers_from(ttl - 1) {
            return HopState::Open;
        }
        let prev = self.hop(trace, ttl - 1);
        let settled = |h: Option<&std::collections::HashMap<Flow, Seen>>| {
            h.is_some_and(|h| !h.is_empty() && h.values().all(|s| *s != Seen::Pending))
        };
        let ended = prev.is_some_and(|h| h.values().any(|s| matches!(s, Seen::End(_))));
        if ended && settled(prev) {
            return HopState::Closed;
        }
        let silent = |t: u8| {
            settled(self.hop(trace, t))
                && self
                    .hop(trace, t)
                    .is_some_and(|h| h.values().all(|s| *s == Seen::Lost))
        };
        let gap = (self.first_ttl..ttl)
            .rev()
            .take_while(|&t| silent(t))
            .count();
        if gap > 0 && usize::from(GAP_LIMIT) > gap && silent(ttl - 1) {
            return HopState::Open;
        }
        let farthest_router = (self.first_ttl..=self.last_ttl)
            .rev()
            .find(|&t| routers_from(t))
            .unwrap_or(self.first_ttl - 1);
        if gap == 0 && u16::from(ttl) <= u16::from(farthest_router) + u16::from(LOOKAHEAD) + 1 {
            HopState::Speculative
        } else {
            HopState::Closed
        }
    }

    /// The flows whose path ended (destination, unreachable) below `ttl`.
    pub(super) fn ended_below(&self, trace: usize, ttl: u8, flow: Flow) -> bool {
        (self.first_ttl..ttl).any(|t| matches!(self.seen(trace, t, flow), Some(Seen::End(_))))
    }

    /// The vertices of the previous hop and the flows known to pass each.
    fn groups(&self, trace: usize, ttl: u8) -> Vec<(Via, Vec<Flow>)> {
        let flows: Vec<Flow> = self.traces[trace]
            .flows
            .iter()
            .copied()
            .filter(|&f| !self.ended_below(trace, ttl, f))
            .collect();
        if ttl == self.first_ttl {
            return vec![(Via::Any, flows)];
        }
        let mut vertices: Vec<IpAddr> = Vec::new();
        for &f in &flows {
            if let Some(a) = self.seen(trace, ttl - 1, f).and_then(Seen::router) {
                if !vertices.contains(&a) {
                    vertices.push(a);
                }
            }
        }
        if vertices.is_empty() {
            // Nothing answered before (a silent hop): any flow will do.
            return vec![(Via::Any, flows)];
        }
        if vertices.len() == 1 {
            // Every flow passes the one interface before; those seen there
            // first, so that what they find here also proves the link.
            let mut flows = flows;
            flows.sort_by_key(|&f| {
                self.seen(trace, ttl - 1, f)
                    .and_then(Seen::router)
                    .is_none()
            });
            return vec![(Via::Any, flows)];
        }
        vertices
            .into_iter()
            .map(|a| {
                let through = flows
                    .iter()
                    .copied()
                    .filter(|&f| self.seen(trace, ttl - 1, f) == Some(Seen::Router(a)))
                    .collect();
                (Via::Interface(a), through)
            })
            .collect()
    }

    /// Asks for what the stopping rule still needs at `ttl`.
    ///
    /// After one interface the rule is per hop (MDA-Lite, Vermeulen et
    /// al. 2018): n_k probes at the hop, on flows that take turns among
    /// the interfaces before it, at least one through each (so that every
    /// link shows). When one interface before is seen to lead to two or
    /// more here (meshing, or an uneven split), the full rule runs: n_k
    /// probes through every interface before, each on its own.
    pub(super) fn needs_at(&mut self, trace: usize, ttl: u8, out: &mut Vec<(u8, Flow)>) {
        let groups = self.groups(trace, ttl);
        if groups.len() < 2 || self.meshed(trace, ttl, &groups) {
            for (via, flows) in groups {
                self.fill(trace, ttl, via, flows, out);
            }
            return;
        }
        for (via, flows) in &groups {
            if flows.iter().any(|&f| self.has(trace, ttl, f)) {
                continue;
            }
            match flows.iter().find(|&&f| !self.has(trace, ttl, f)) {
                Some(&f) => self.ask(trace, ttl, f, out),
                None => {
                    if let Via::Interface(a) = via {
                        self.flows_through(trace, ttl - 1, *a, 1, out);
                    }
                }
            }
        }
        let all = groups.into_iter().flat_map(|(_, f)| f).collect();
        self.fill(trace, ttl, Via::Spread, all, out);
    }

    fn pending_at(&self, trace: usize, ttl: u8) -> bool {
        self.hop(trace, ttl)
            .is_some_and(|h| h.values().any(|s| *s == Seen::Pending))
    }

    /// Whether an interface before `ttl` leads to several here.
    fn meshed(&self, trace: usize, ttl: u8, groups: &[(Via, Vec<Flow>)]) -> bool {
        groups.iter().any(|(_, flows)| {
            let mut next: Vec<IpAddr> = flows
                .iter()
                .filter_map(|&f| self.seen(trace, ttl, f).and_then(Seen::responder))
                .collect();
            next.sort();
            next.dedup();
            next.len() > 1
        })
    }

    /// Asks for the probes that `flows` (those through `via`) still need
    /// at `ttl`: n_k of them, k the interfaces they found there.
    fn fill(
        &mut self,
        trace: usize,
        ttl: u8,
        via: Via,
        flows: Vec<Flow>,
        out: &mut Vec<(u8, Flow)>,
    ) {
        let probed: Vec<Flow> = flows
            .iter()
            .copied()
            .filter(|&f| self.has(trace, ttl, f))
            .collect();
        let successors: HashSet<IpAddr> = probed
            .iter()
            .filter_map(|&f| self.seen(trace, ttl, f).and_then(Seen::responder))
            .collect();
        let need = self.confidence.probes_needed(successors.len());
        let Some(mut deficit) = need.checked_sub(probed.len()).filter(|&d| d > 0) else {
            return;
        };
        let unprobed: Vec<Flow> = flows
            .iter()
            .copied()
            .filter(|f| !probed.contains(f))
            .collect();
        for f in self.diverse(trace, ttl, unprobed) {
            if deficit == 0 {
                return;
            }
            self.ask(trace, ttl, f, out);
            deficit -= 1;
        }
        if deficit == 0 {
            return;
        }
        match via {
            Via::Any => {
                for _ in 0..deficit.min(BATCH) {
                    let Some(f) = self.new_flow(trace) else { break };
                    self.ask(trace, ttl, f, out);
                }
            }
            // New flows must show which way they went before, too; none
            // while flows there may yet add to these.
            Via::Spread if self.pending_at(trace, ttl - 1) => {}
            Via::Spread => {
                for _ in 0..deficit.min(BATCH) {
                    let Some(f) = self.new_flow(trace) else { break };
                    self.ask(trace, ttl - 1, f, out);
                    self.ask(trace, ttl, f, out);
                }
            }
            Via::Interface(a) => self.flows_through(trace, ttl - 1, a, deficit, out),
        }
    }

    /// `flows` reordered to take turns among the interfaces they passed
    /// at the nearest load-balanced hop before `ttl`. Load balancers on
    /// one path may hash alike (the same function and seed: Linux routers
    /// do), so that which way a flow went at one diamond decides which way
    /// it goes at the next; flows from every branch of the first find
    /// every branch of the second.
    fn diverse(&self, trace: usize, ttl: u8, flows: Vec<Flow>) -> Vec<Flow> {
        let Some((t, _)) = self.balanced_before(trace, ttl) else {
            return flows;
        };
        let mut buckets: Vec<(Option<IpAddr>, Vec<Flow>)> = Vec::new();
        for f in flows {
            let via = self.seen(trace, t, f).and_then(Seen::router);
            match buckets.iter_mut().find(|(v, _)| *v == via) {
                Some((_, list)) => list.push(f),
                None => buckets.push((via, vec![f])),
            }
        }
        // Flows of unknown way last.
        buckets.sort_by_key(|(v, _)| v.is_none());
        let mut out = Vec::new();
        let longest = buckets.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
        for i in 0..longest {
            out.extend(buckets.iter().filter_map(|(_, l)| l.get(i)));
        }
        out
    }

    /// The nearest hop before `ttl` where several routers answered, with
    /// them.
    fn balanced_before(&self, trace: usize, ttl: u8) -> Option<(u8, Vec<IpAddr>)> {
        (self.first_ttl..ttl).rev().find_map(|t| {
            let mut seen: Vec<IpAddr> = self
                .hop(trace, t)
                .map(|h| h.values().filter_map(|s| s.router()).collect())
                .unwrap_or_default();
            seen.sort();
            seen.dedup();
            (seen.len() > 1).then_some((t, seen))
        })
    }

    /// For the same reason, some flow from every branch of the nearest
    /// diamond before `ttl` is probed at `ttl` before the hop counts as
    /// done.
    pub(super) fn cover_branches(&mut self, trace: usize, ttl: u8, out: &mut Vec<(u8, Flow)>) {
        let Some((t, branches)) = self.balanced_before(trace, ttl) else {
            return;
        };
        for branch in branches {
            let flows: Vec<Flow> = self.traces[trace]
                .flows
                .iter()
                .copied()
                .filter(|&f| self.seen(trace, t, f) == Some(Seen::Router(branch)))
                .filter(|&f| !self.ended_below(trace, ttl, f))
                .collect();
            if flows.iter().any(|&f| self.has(trace, ttl, f)) {
                continue;
            }
            // One that passed the hop before, if any (it proves a link).
            let pick = flows
                .iter()
                .find(|&&f| {
                    self.seen(trace, ttl - 1, f)
                        .and_then(Seen::router)
                        .is_some()
                })
                .or(flows.first());
            if let Some(&f) = pick {
                self.ask(trace, ttl, f, out);
            }
        }
    }

    /// Tries new flows at `ttl` hoping that `wanted` of them pass
    /// interface `a` there. Those that do are probed at the hop after in
    /// the next round (as flows known to pass `a`), so the hop after,
    /// often one router behind a whole diamond and the slowest to answer
    /// under its ICMP rate limit, gets only the probes it must.
    fn flows_through(
        &mut self,
        trace: usize,
        ttl: u8,
        a: IpAddr,
        wanted: usize,
        out: &mut Vec<(u8, Flow)>,
    ) {
        let Some(hop) = self.hop(trace, ttl) else {
            return;
        };
        let answered = hop.values().filter(|s| s.router().is_some()).count();
        let through = hop.values().filter(|s| **s == Seen::Router(a)).count();
        // The shares are estimated once the hop has settled: while probes
        // there are pending (its own stopping rule, or an earlier batch of
        // new flows), they may yet pass `a`.
        if self.pending_at(trace, ttl) || answered == 0 || through == 0 {
            return;
        }
        // expected passes = tries * through / answered
        let tries = (wanted * answered).div_ceil(through).min(BATCH);
        for _ in 0..tries {
            let Some(f) = self.new_flow(trace) else { break };
            self.ask(trace, ttl, f, out);
        }
    }

    /// A link A -> B is claimed only from one flow seen at A and then at
    /// B. For every interface at `ttl` that no flow links to the hop
    /// before yet, one of its flows is also probed there.
    pub(super) fn confirm_links(&mut self, trace: usize, ttl: u8, out: &mut Vec<(u8, Flow)>) {
        if ttl == self.first_ttl {
            return;
        }
        let Some(hop) = self.hop(trace, ttl) else {
            return;
        };
        let mut by_interface: Vec<(IpAddr, Vec<Flow>)> = Vec::new();
        for (&f, s) in hop {
            if self.ended_below(trace, ttl, f) {
                continue;
            }
            if let Some(a) = s.responder() {
                match by_interface.iter_mut().find(|(b, _)| *b == a) {
                    Some((_, list)) => list.push(f),
                    None => by_interface.push((a, vec![f])),
                }
            }
        }
        let prev_answers = self
            .hop(trace, ttl - 1)
            .is_some_and(|h| h.values().any(|s| s.router().is_some()));
        if !prev_answers {
            return;
        }
        for (_, mut flows) in by_interface {
            flows.sort();
            let before = |f: &Flow| self.seen(trace, ttl - 1, *f);
            let linked = flows
                .iter()
                .any(|f| matches!(before(f), Some(Seen::Router(_) | Seen::Pending)));
            if linked {
                continue;
            }
            if let Some(&f) = flows.iter().find(|f| before(f).is_none()) {
                self.ask(trace, ttl - 1, f, out);
            }
        }
    }
}
