//! Path MTU discovery in the engine (`--mtu`): the size each probe goes
//! at, probes a router says are too big sent again smaller, and the
//! black-hole search once a trace's hops are final. What the sizes mean
//! is `crate::mtu`'s; this is only what to send and where to file it.
//!
//! Part of the engine: no I/O, no clock.

use super::{Engine, Mode, Planned, ProbeState};
use crate::mtu::{self, search};
use crate::trace::{Answer, MtuProbes};
use tracetcp_strategies::{ReplyKind, Unreachable};

impl Engine {
    /// The size a planned probe goes at; `None` without `--mtu`.
    pub(super) fn size_of(&self, planned: &Planned) -> Option<u16> {
        self.settings.mtu?;
        Some(planned.size.unwrap_or(self.traces[planned.trace].size))
    }

    /// A router answered probe `id` that it does not fit the next link.
    /// Returns whether that made it a probe to send again smaller (then
    /// it leaves its hop, and its trace continues at the smaller size).
    pub(super) fn too_big(&mut self, id: usize, answer: Answer) -> bool {
        let p = &self.probes[id];
        let ReplyKind::Unreachable(Unreachable::FragmentationNeeded { mtu: announced }) =
            answer.kind
        else {
            return false;
        };
        let Some(size) = p.size.filter(|_| !p.check && !p.sizing) else {
            return false;
        };
        let Some(smaller) = mtu::next_size(size, announced, self.session.is_v6()) else {
            return false;
        };
        let (trace, ttl, index) = (p.trace, p.ttl, p.index);
        self.probes[id].state = ProbeState::TooBig(answer);
        self.in_flight -= 1;
        let t = &mut self.traces[trace];
        t.size = t.size.min(smaller);
        if self.mode == Mode::Live {
            let again = Planned::again(trace, index);
            self.plan.entry(ttl).or_default().push_front(again);
        }
        true
    }

    /// Path MTU discovery: the index a probe of the hop at `ttl` takes
    /// when seen leaving, live and in a replay alike: the lowest not held
    /// by another probe of the hop seen leaving and not too big. (A probe
    /// sent again smaller takes the place of the one it replaces.)
    pub(super) fn free_index(&self, trace: usize, ttl: u8, id: usize) -> u8 {
        let offset = usize::from(ttl - self.settings.first_ttl);
        let held: Vec<u8> = self.traces[trace]
            .ids(offset)
            .iter()
            .filter(|&&other| other != id)
            .map(|&other| &self.probes[other])
            .filter(|p| p.sent.is_some() && !p.state.sent_again())
            .map(|p| p.index)
            .collect();
        (0..=u8::MAX).find(|i| !held.contains(i)).unwrap_or(u8::MAX)
    }

    /// Probes of the hop at `offset` that count for it (not too big).
    pub(super) fn counted(&self, trace: usize, offset: usize) -> usize {
        self.traces[trace]
            .ids(offset)
            .iter()
            .filter(|&&id| !self.probes[id].state.sent_again())
            .count()
    }

    /// The black-hole search of `trace`, once its hops are final: plans
    /// its next round (live) and says whether the trace must wait for it.
    pub(super) fn search_pending(&mut self, trace: usize) -> bool {
        if self.settings.mtu.is_none() {
            return false;
        }
        let pending = self
            .plan
            .values()
            .flatten()
            .any(|p| p.trace == trace && p.sizing)
            || self.traces[trace]
                .sizing
                .iter()
                .any(|&id| self.probes[id].state == ProbeState::Pending);
        if pending {
            return true;
        }
        let result = self.result(trace);
        let Some(suspect) = search::suspect(&result) else {
            return false;
        };
        match self.mode {
            // The live run searched: the recording holds its probes.
            Mode::Replay { eof } => {
                self.traces[trace].search = Some(suspect.at);
                !eof
            }
            Mode::Live => {
                let bounds = search::bounds_at(&result, suspect.at);
                let rounds = self.traces[trace].sizing.len() / (search::PER_ROUND * search::COPIES);
                let next = bounds.next_round();
                if next.is_empty() || rounds >= search::ROUNDS {
                    return false;
                }
                self.traces[trace].search = Some(suspect.at);
                let queue = self.plan.entry(suspect.at).or_default();
                for copy in 0..search::COPIES {
                    for &size in &next {
                        queue.push_back(Planned {
                            trace,
                            index: copy as u8,
                            flow: None,
                            check: false,
                            size: Some(size),
                            sizing: true,
                            again: false,
                        });
                    }
                }
                true
            }
        }
    }

    /// What path MTU discovery sent for `trace` besides its hops.
    pub(super) fn mtu_probes(&self, trace: usize) -> Option<MtuProbes> {
        let start = self.settings.mtu?;
        let t = &self.traces[trace];
        let too_big = t
            .hops
            .iter()
            .flatten()
            .filter(|&&id| matches!(self.probes[id].state, ProbeState::TooBig(_)))
            .map(|&id| (self.probes[id].ttl, self.probe_result(id)))
            .collect();
        let search = t.search.map(|ttl| self.hop_of(ttl, &t.sizing));
        Some(MtuProbes {
            start,
            too_big,
            search,
        })
    }
}
