//! The engine's side of multipath discovery (`--multipath`): the probes
//! the discovery asks for go into the send plan, each settled probe is
//! told to it, and a trace ends when it needs nothing more.

use super::{Engine, Mode, Planned, ProbeState};
use crate::multipath::{Seen, Topology};
use crate::trace::{TraceEnd, TraceResult};

impl Engine {
    /// Live: queues every probe the discovery now needs.
    pub(super) fn refill(&mut self) {
        if self.mode != Mode::Live {
            return;
        }
        let Some(d) = self.discovery.as_mut() else {
            return;
        };
        for trace in 0..self.traces.len() {
            for (ttl, flow) in d.requests(trace) {
                self.plan.entry(ttl).or_default().push_back(Planned {
                    trace,
                    index: 0,
                    flow: Some(flow),
                    check: false,
                    size: None,
                    sizing: false,
                    again: false,
                });
            }
        }
    }

    /// Tells the discovery what probe `id` found (or that it is on its
    /// way), then asks it for more.
    pub(super) fn discovered(&mut self, id: usize) {
        let p = &self.probes[id];
        let seen = match p.state {
            ProbeState::Pending => Seen::Pending,
            ProbeState::Answered(a) if a.kind.ends_trace() => Seen::End(a.from),
            ProbeState::Answered(a) => Seen::Router(a.from),
            ProbeState::Lost
            | ProbeState::Abandoned
            | ProbeState::Superseded
            | ProbeState::TooBig(_)
            | ProbeState::RateLimited { .. } => Seen::Lost,
        };
        let (trace, ttl, flow) = (p.trace, p.ttl, p.flow);
        if let Some(d) = self.discovery.as_mut() {
            d.settled(trace, ttl, flow, seen);
        }
        self.refill();
    }

    /// Multipath: whether `trace` is finished (nothing pending and
    /// nothing more needed, or the recording is over), and if so where
    /// it ends.
    pub(super) fn discovery_end(&self, trace: usize) -> Option<Option<u8>> {
        let d = self.discovery.as_ref()?;
        let finished = match self.mode {
            Mode::Live => d.idle(trace),
            // A recording is finished when it has nothing more.
            Mode::Replay { eof } => eof,
        };
        finished.then(|| self.discovered_end(trace, d.last_probed(trace)))
    }

    /// Where a finished multipath trace ends: the farthest hop that shows
    /// something by the topology's rules, else the farthest probed.
    fn discovered_end(&self, trace: usize, last_probed: Option<u8>) -> Option<u8> {
        let last = last_probed?;
        let first = self.settings.first_ttl;
        let probed = TraceResult::new(
            self.traces[trace].spec,
            (first..=last).map(|ttl| self.hop(trace, ttl)).collect(),
            TraceEnd::MaxHops,
        );
        Topology::of(&probed).last_answered().or(Some(last))
    }
}
