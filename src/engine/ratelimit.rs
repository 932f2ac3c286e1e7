//! Adaptive pacing: probes go at full speed until a router's answers go
//! missing in the pattern of an ICMP rate limit; then that router is
//! paced (see `pacing.rs`) and the probes it left unanswered are sent
//! again, once.
//!
//! The pattern: a probe that was at least the 7th to its router within a
//! second (a Linux router answers 6 at once, then 1 a second) is still
//! unanswered four of the router's longest round trips after it left,
//! while the router has answered others. Fewer probes are never
//! suspected: a default trace (3 a hop) keeps its losses as losses. Once
//! a router was seen limiting, it is paced to the answers a second it
//! gave over its burst (Linux's per-peer limit: 1; its global limit:
//! about 1,000), and the probes sent to it later are not suspected again.
//! (A firewall dropping some ports through a router answering everything
//! else looks the same: its probes are sent again once, in vain, at the
//! router's full rate.)
//!
//! Every judgement is made at a probe's suspect time from what was
//! captured before that time, never from when the engine got to it:
//! a replay (which judges as soon as a later packet shows the time has
//! passed) marks the same probes as the live run (which judges a capture
//! lag later). The probes of a hop are numbered in the order they were
//! seen leaving, the ones sent again last, live and in a replay alike.
//!
//! Part of the engine: no I/O, no clock.

use super::{Engine, Mode, Planned, ProbeState, Responder};
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Probes a router answers at once before its limit shows (Linux: 6).
const BURST: usize = 6;
/// The span over which probes to a router are counted.
const SPAN: Duration = Duration::from_secs(1);
/// A probe is given this many of its router's longest round trips...
const RTTS: u32 = 4;
/// ...and at least this long, before it is taken for a rate-limit loss.
const FLOOR: Duration = Duration::from_millis(50);

/// What has been seen of one router (one TTL).
#[derive(Debug, Default)]
struct Router {
    /// When the probes of the last `SPAN` left.
    sent: VecDeque<Timestamp>,
    /// Its answers in the order they came: when, and the longest round
    /// trip so far.
    answers: Vec<(Timestamp, Duration)>,
    /// When it was first seen limiting.
    limited_since: Option<Timestamp>,
}

/// What a probe's suspect time says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// Lost to its router's rate limit: send it again.
    Limited,
    /// Too early to tell: look again then.
    Later(Timestamp),
    /// Not a rate limit's loss: only its timeout counts.
    Cleared,
}

/// The routers' answers so far, by TTL.
#[derive(Debug, Default)]
pub struct RateLimits {
    routers: HashMap<u8, Router>,
}

impl RateLimits {
    /// A probe to the router at `ttl` left at `at`: when to judge it if
    /// still unanswered (`None`: it had fewer than `BURST` before it).
    pub fn sent(&mut self, ttl: u8, at: Timestamp) -> Option<Timestamp> {
        let r = self.routers.entry(ttl).or_default();
        while r.sent.front().is_some_and(|&t| at.since(t) > SPAN) {
            r.sent.pop_front();
        }
        let suspect = (r.sent.len() >= BURST).then(|| at.after(FLOOR));
        r.sent.push_back(at);
        suspect
    }

    /// The router at `ttl` answered at `at` a probe that left at `sent`.
    pub fn answered(&mut self, ttl: u8, sent: Timestamp, at: Timestamp) {
        let r = self.routers.entry(ttl).or_default();
        let rtt = at.since(sent);
        let longest = r.answers.last().map_or(rtt, |&(_, l)| l.max(rtt));
        r.answers.push((at, longest));
    }

    /// Judges, at `now`, a probe to the router at `ttl` that left at
    /// `sent` and is still unanswered.
    pub fn judge(&self, ttl: u8, sent: Timestamp, now: Timestamp) -> Judgement {
        let Some(r) = self.routers.get(&ttl) else {
            return Judgement::Cleared;
        };
        if r.limited_since.is_some_and(|t| t < sent) {
            return Judgement::Cleared;
        }
        let before = r.answers.partition_point(|&(at, _)| at < now);
        let Some(&(_, longest)) = before.checked_sub(1).and_then(|i| r.answers.get(i)) else {
            // No answer from it yet: a slow router, or a silent one.
            return Judgement::Later(sent.after(now.since(sent) * 2));
        };
        let due = sent.after((longest * RTTS).max(FLOOR));
        if now < due {
            return Judgement::Later(due);
        }
        Judgement::Limited
    }

    /// The answers a second the router at `ttl` gave over a Linux burst
    /// in the second before `at` (at least 1): what it may be held to
    /// without losing more (a router under Linux's global limit gives
    /// about 1,000; under its per-peer limit, none).
    pub fn rate_over_burst(&self, ttl: u8, at: Timestamp) -> u32 {
        let Some(r) = self.routers.get(&ttl) else {
            return 1;
        };
        let recent = r
            .answers
            .iter()
            .rev()
            .skip_while(|&&(t, _)| t >= at)
            .take_while(|&&(t, _)| at.since(t) <= SPAN)
            .count();
        recent.saturating_sub(BURST).max(1) as u32
    }

    /// The router at `ttl` was seen limiting at `at`.
    pub fn limited(&mut self, ttl: u8, at: Timestamp) {
        let r = self.routers.entry(ttl).or_default();
        r.limited_since = Some(r.limited_since.map_or(at, |t| t.min(at)));
    }
}

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
        let suspect = limits.sent(ttl, sent).filter(|_| !free);
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
                .map_or(Judgement::Cleared, |r| r.judge(ttl, sent, at));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at_ms(ms: u64) -> Timestamp {
        Timestamp::from_nanos(1_000_000_000_000 + ms * 1_000_000)
    }

    #[test]
    fn only_probes_past_a_routers_burst_are_suspected() {
        let mut r = RateLimits::default();
        for _ in 0..6 {
            assert_eq!(r.sent(1, at_ms(0)), None);
        }
        assert_eq!(r.sent(1, at_ms(5)), Some(at_ms(55)));
        // A second later the count starts again.
        assert_eq!(r.sent(1, at_ms(1_100)), None);
    }

    #[test]
    fn a_suspect_is_judged_from_the_answers_before_its_time() {
        let mut r = RateLimits::default();
        // No answer yet: look again at twice the time.
        assert_eq!(r.judge(1, at_ms(0), at_ms(50)), Judgement::Cleared);
        r.sent(1, at_ms(0));
        assert_eq!(
            r.judge(1, at_ms(0), at_ms(50)),
            Judgement::Later(at_ms(100))
        );
        // An answer after the judgement's time does not count.
        r.answered(1, at_ms(0), at_ms(30 + 30));
        assert_eq!(
            r.judge(1, at_ms(0), at_ms(50)),
            Judgement::Later(at_ms(100))
        );
        // Four of its round trips (60 ms).
        let judged = |at| r.judge(1, at_ms(0), at_ms(at));
        assert_eq!(judged(100), Judgement::Later(at_ms(240)));
        assert_eq!(judged(240), Judgement::Limited);
        // Once it limits, what was sent later is not suspected.
        r.limited(1, at_ms(240));
        assert_eq!(r.judge(1, at_ms(200), at_ms(500)), Judgement::Limited);
        assert_eq!(r.judge(1, at_ms(250), at_ms(500)), Judgement::Cleared);
    }

    #[test]
    fn a_limiting_router_is_held_to_what_it_gave_over_its_burst() {
        let mut r = RateLimits::default();
        assert_eq!(r.rate_over_burst(1, at_ms(100)), 1);
        for i in 0..56 {
            r.answered(1, at_ms(0), at_ms(i));
        }
        assert_eq!(r.rate_over_burst(1, at_ms(100)), 50);
        // Only the second before.
        assert_eq!(r.rate_over_burst(1, at_ms(1_040)), 10);
    }
}
