//! Adaptive pacing: probes go at full speed until a router's answers go
//! missing in the pattern of an ICMP rate limit; then that router is
//! paced (see `pacing.rs`) and the probes it left unanswered are sent
//! again, once.
//!
//! The pattern: a probe that was at least the 7th to its router within a
//! second (a Linux router answers 6 at once, then 1 a second) is still
//! unanswered four of the router's longest round trips after it left,
//! while the router has answered others, and the answers look like a
//! limit's, not a firewall's (see `limits.rs`). Fewer probes are never
//! suspected: a default trace (3 a hop) keeps its losses as losses. Once
//! a router was seen limiting, it is paced to the answers a second it
//! gave over its burst (Linux's per-peer limit: 1; its global limit:
//! about 1,000), and the probes sent to it later are not suspected again.
//! Where most of its probes sent again go unanswered too, it was not
//! limiting: what it left is lost, and nothing more is sent again to it.
//!
//! Every judgement is made at a probe's suspect time from what was
//! captured before that time, never from when the engine got to it:
//! a replay (which judges as soon as a later packet shows the time has
//! passed) marks the same probes as the live run (which judges a capture
//! lag later). The probes of a hop are numbered in the order they were
//! seen leaving, the ones sent again last, live and in a replay alike.
//!
//! Part of the engine: no I/O, no clock.

use super::limits::Judgement;
use super::{Engine, Mode, Planned, ProbeState, Responder};
use crate::time::Timestamp;
use std::cmp::Reverse;

impl Engine {
    /// Hop probe `id` was just seen leaving: files when it is to be
    /// judged if still unanswered. Never when only its timeout counts:
    /// pacing does not adapt, its answer is the destination's (not rate
    /// limited), or its router had few probes.
    pub(super) fn suspect(&mut self, id: usize) {
        let p = &self.probes[id];
        let (trace, ttl) = (p.trace, p.ttl);
        let Some(sent) = p.sent else { return };
        let protocol = self.traces[trace].spec.protocol;
        let free = self.responder(ttl, protocol) == Responder::DestinationFree;
        let Some(limits) = self.rate_limits.as_mut() else {
            return;
        };
        let suspect = limits.sent(ttl, id, sent).filter(|_| !free);
        self.suspect_again(id, suspect);
    }

    /// Files `at` as when probe `id` is judged next (before its timeout).
    fn suspect_again(&mut self, id: usize, at: Option<Timestamp>) {
        let timeout = self.deadline(id);
        let at = at.filter(|&t| t < timeout);
        self.probes[id].suspect = at;
        if let Some(t) = at {
            self.suspects.push(Reverse((t, id)));
        }
    }

    /// Judges every probe whose suspect time is before `now`, in order.
    pub(super) fn judge_suspects(&mut self, now: Timestamp) {
        while let Some(&Reverse((at, id))) = self.suspects.peek() {
            if at >= now {
                break;
            }
            self.suspects.pop();
            let p = &self.probes[id];
            if p.state != ProbeState::Pending || p.suspect != Some(at) {
                continue;
            }
            let (ttl, sent) = (p.ttl, p.sent_or_requested());
            let judgement = self
                .rate_limits
                .as_ref()
                .map_or(Judgement::Cleared, |r| r.judge(ttl, id, sent, at));
            match judgement {
                Judgement::Limited => self.rate_limited(id, at),
                Judgement::Later(then) => self.suspect_again(id, Some(then)),
                Judgement::Cleared => self.suspect_again(id, None),
            }
        }
    }

    /// Probe `id` was lost to its router's rate limit at `at`. From now
    /// on the router is paced, and (live) the probe is sent again, after
    /// the planned probes of its TTL, so that each hop's probes are seen
    /// in order: its own first, the ones sent again last.
    fn rate_limited(&mut self, id: usize, at: Timestamp) {
        let p = &mut self.probes[id];
        p.state = ProbeState::RateLimited { replaced: false };
        self.in_flight -= 1;
        let (trace, ttl, index) = (p.trace, p.ttl, p.index);
        let rate = self.rate_limits.as_mut().map_or(1, |r| {
            r.limited(ttl, at);
            r.rate_over_burst(ttl, at)
        });
        let responder = self.responder(ttl, self.traces[trace].spec.protocol);
        if !self.pacer.limit(responder, at, rate) {
            log::info!("the router at ttl {ttl} limits its answers: paced to {rate} a second");
        }
        if self.mode == Mode::Live {
            let again = Planned::again(trace, index);
            self.plan.entry(ttl).or_default().push_back(again);
        }
        self.advance(trace);
    }

    /// Probe `id`, sent again after a rate limit left its first, was
    /// answered (`true`) or lost at `at`: if its router's probes sent
    /// again mostly go unanswered, it was not limiting (see
    /// `RateLimits::sent_again`): what it left is lost, and nothing more
    /// is sent again to it.
    pub(super) fn sent_again_fate(&mut self, id: usize, answered: bool) {
        let ttl = self.probes[id].ttl;
        let gave_up = self
            .rate_limits
            .as_mut()
            .is_some_and(|r| r.sent_again(ttl, answered));
        if !gave_up {
            return;
        }
        log::info!("the router at ttl {ttl} was not limiting: its probes sent again got no answer");
        let mut traces = Vec::new();
        for p in self.probes.iter_mut().filter(|p| p.ttl == ttl) {
            if p.state == (ProbeState::RateLimited { replaced: false }) {
                p.state = ProbeState::Lost;
                traces.push(p.trace);
            }
        }
        if let Some(queue) = self.plan.get_mut(&ttl) {
            queue.retain(|planned| !planned.again);
        }
        traces.sort_unstable();
        traces.dedup();
        for trace in traces {
            self.advance(trace);
        }
    }

    /// Hop probe `id`'s place among the probes of its hop seen leaving.
    fn place_seen(&self, id: usize) -> Option<usize> {
        let p = &self.probes[id];
        let offset = usize::from(p.ttl.saturating_sub(self.settings.first_ttl));
        let seen = self.traces[p.trace].ids(offset).iter();
        seen.filter(|&&o| self.probes[o].sent.is_some())
            .position(|&o| o == id)
    }

    /// Live: numbers hop probe `id`, just seen leaving, as its replay
    /// will number it (see `nth_index`).
    pub(super) fn number_as_seen(&mut self, id: usize) {
        let (trace, ttl) = (self.probes[id].trace, self.probes[id].ttl);
        let Some(nth) = self.place_seen(id) else {
            return;
        };
        if let Some(index) = self.nth_index(trace, ttl, nth) {
            self.probes[id].index = index;
        }
    }

    /// Whether probe `id` replaces one lost to a rate limit: past its
    /// hop's own probes in the order seen.
    pub(super) fn is_sent_again(&self, id: usize) -> bool {
        let p = &self.probes[id];
        if self.rate_limits.is_none() || p.check || p.sizing {
            return false;
        }
        let per_hop = usize::from(self.settings.probes_per_hop);
        self.place_seen(id).is_some_and(|n| n >= per_hop)
    }

    /// The index a probe seen leaving as the `nth` of its hop takes, when
    /// pacing adapts: its place for the hop's own probes; past them, the
    /// lowest one lost to a rate limit and not yet sent again (`None` if
    /// there is none: not a probe of this run).
    pub(super) fn nth_index(&mut self, trace: usize, ttl: u8, nth: usize) -> Option<u8> {
        if nth < usize::from(self.settings.probes_per_hop) {
            return Some(nth as u8);
        }
        let offset = usize::from(ttl.saturating_sub(self.settings.first_ttl));
        let probes = &self.probes;
        let lost = self.traces[trace]
            .ids(offset)
            .iter()
            .copied()
            .filter(|&id| probes[id].state == ProbeState::RateLimited { replaced: false })
            .min_by_key(|&id| probes[id].index)?;
        self.probes[lost].state = ProbeState::RateLimited { replaced: true };
        Some(self.probes[lost].index)
    }
}
