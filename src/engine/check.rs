//! The flow check: with one flow per trace, two kinds of a run (tcp:80 and
//! tcp:135, say) hash to different load-balanced paths. When one goes
//! silent where the other got further, and their paths had diverged
//! before, the silence may belong to its path rather than its port. Before
//! anything calls it a block, the silent kind is probed again on a few
//! other flows at the hop the other got an answer from: if any of them is
//! answered, the stop is the path's.
//!
//! Part of the engine: no I/O, no clock.

use super::{Engine, Paths, Planned, ProbeState};
use crate::trace::HopResult;
use std::net::IpAddr;
use tracetcp_strategies::Flow;

/// Other flows tried: n_1 of the multipath stopping rule (95%).
pub(super) const CHECK_FLOWS: u16 = 6;
/// Runs with more traces than this (port ranges) are not checked.
const MAX_TRACES: usize = 8;

impl Engine {
    /// The hop to probe `trace` at on other flows, when it needs the
    /// check: a one-flow comparison, the trace silent from some hop on,
    /// another trace answered beyond it, and the two paths diverged before.
    pub(super) fn check_hop(&self, trace: usize) -> Option<u8> {
        let n = self.traces.len();
        if self.settings.paths != Paths::OneFlow
            || !(2..=MAX_TRACES).contains(&n)
            || self.traces[trace].end.is_some()
        {
            return None;
        }
        let first = self.settings.first_ttl;
        let last = self.settings.last_ttl();
        let responder =
            |t: usize, ttl: u8| -> Option<IpAddr> { self.hop(t, ttl).first_responder() };
        let reach = (first..=last)
            .rev()
            .find(|&ttl| responder(trace, ttl).is_some());
        let silent_from = reach.map_or(first, |k| k + 1);
        (0..n).filter(|&other| other != trace).find_map(|other| {
            let answered = (silent_from..=last).find(|&ttl| responder(other, ttl).is_some())?;
            let diverged = (first..silent_from).any(|ttl| {
                matches!((responder(trace, ttl), responder(other, ttl)), (Some(a), Some(b)) if a != b)
            });
            diverged.then_some(answered)
        })
    }

    /// Plans the check of `trace` at `ttl`.
    pub(super) fn plan_check(&mut self, trace: usize, ttl: u8) {
        let base = self.session.flow();
        let queue = self.plan.entry(ttl).or_default();
        // Ahead of the hop's other probes, in order: the first flow first.
        for index in (0..CHECK_FLOWS).rev() {
            queue.push_front(Planned {
                trace,
                index: index as u8,
                flow: Some(base.nth(index + 1)),
                check: true,
                size: None,
                sizing: false,
                again: false,
            });
        }
        self.traces[trace].check = Some(ttl);
    }

    /// The number of the check's probe on `flow`: its place among the other
    /// flows, read from the flow itself so that a replay numbers it as the
    /// live run did whatever order the probes were captured in.
    pub(super) fn check_index(&self, flow: Flow) -> Option<u8> {
        let base = self.session.flow();
        (0..CHECK_FLOWS)
            .find(|&index| base.nth(index + 1) == flow)
            .map(|index| index as u8)
    }

    /// Whether a check of `trace` is planned or waits for answers.
    pub(super) fn check_pending(&self, trace: usize) -> bool {
        let t = &self.traces[trace];
        let planned = self
            .plan
            .values()
            .flatten()
            .any(|p| p.trace == trace && p.check);
        planned
            || t.checks
                .iter()
                .any(|&id| self.probes[id].state == ProbeState::Pending)
    }

    /// The check's probes as a hop, if the trace was checked.
    pub(super) fn check_result(&self, trace: usize) -> Option<HopResult> {
        let t = &self.traces[trace];
        let ttl = t.check?;
        Some(self.hop_of(ttl, &t.checks))
    }
}
