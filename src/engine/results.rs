//! What the engine hands to reports: hop and trace results as they stand.
//!
//! Part of the engine: builds the trace model's results from its state.

use super::{Engine, ProbeState};
use crate::trace::{HopResult, Outcome, ProbeResult, TraceEnd, TraceResult};

impl Engine {
    /// The result of one hop as it stands.
    pub fn hop(&self, trace: usize, ttl: u8) -> HopResult {
        let offset = usize::from(ttl.saturating_sub(self.settings.first_ttl));
        self.hop_of(ttl, self.traces[trace].ids(offset))
    }

    /// The probes `ids`, all sent with `ttl`, as a hop (without those a
    /// router said were too big: they were sent again).
    pub(super) fn hop_of(&self, ttl: u8, ids: &[usize]) -> HopResult {
        let mut probes: Vec<ProbeResult> = ids
            .iter()
            .filter(|&&id| !self.probes[id].state.sent_again())
            .map(|&id| self.probe_result(id))
            .collect();
        probes.sort_by_key(|p| p.index);
        HopResult { ttl, probes }
    }

    pub(super) fn probe_result(&self, id: usize) -> ProbeResult {
        let p = &self.probes[id];
        let sent = p.sent_or_requested();
        let outcome = match p.state {
            ProbeState::Answered(answer) | ProbeState::TooBig(answer) => Outcome::Answered {
                answer,
                rtt: answer.at.since(sent),
            },
            _ => Outcome::Lost,
        };
        ProbeResult {
            index: p.index,
            sent,
            flow: p.flow,
            fields: p.fields,
            size: p.size,
            outcome,
        }
    }

    /// The result of one trace: every hop up to where it ended (or, when
    /// interrupted, up to the last hop that answered).
    pub fn result(&self, trace: usize) -> TraceResult {
        let t = &self.traces[trace];
        let first = self.settings.first_ttl;
        let emitted = (t.emitted > 0).then(|| first + (t.emitted - 1) as u8);
        let last_shown = if t.done {
            emitted.unwrap_or(first.saturating_sub(1))
        } else {
            // Only hops a probe went to can have answered.
            let until = t
                .end
                .unwrap_or(self.settings.last_ttl())
                .min(t.probed_until(first).unwrap_or(first));
            let answered = (first..=until)
                .filter(|&ttl| !self.hop(trace, ttl).all_lost())
                .max();
            answered.max(emitted).unwrap_or(first.saturating_sub(1))
        };
        let hops: Vec<HopResult> = (first..=last_shown)
            .map(|ttl| self.hop(trace, ttl))
            .collect();
        // Cut short by the run's keys running out, it did not get there.
        let cut_short = self.out_of_keys
            && t.probed_until(first)
                .is_none_or(|p| p < self.settings.last_ttl());
        let end = match (t.done, t.end) {
            (true, Some(ttl)) => end_at(&self.hop(trace, ttl)),
            (true, None) if cut_short => TraceEnd::Interrupted,
            (true, None) => TraceEnd::MaxHops,
            (false, _) => TraceEnd::Interrupted,
        };
        TraceResult {
            spec: t.spec,
            hops,
            end,
            check: self.check_result(trace),
            mtu: self.mtu_probes(trace),
            learned: None,
        }
    }

    pub fn results(&self) -> Vec<TraceResult> {
        (0..self.traces.len()).map(|t| self.result(t)).collect()
    }
}

/// How a trace that ended at this hop ended.
fn end_at(hop: &HopResult) -> TraceEnd {
    if let Some((a, _)) = hop.destination() {
        return TraceEnd::Reached {
            ttl: hop.ttl,
            kind: a.kind,
            from: a.from,
        };
    }
    for p in &hop.probes {
        if let Some((a, _)) = p.answer() {
            if let tracetcp_strategies::ReplyKind::Unreachable(reason) = a.kind {
                return TraceEnd::Unreachable {
                    ttl: hop.ttl,
                    reason,
                    from: a.from,
                };
            }
        }
    }
    TraceEnd::MaxHops
}
