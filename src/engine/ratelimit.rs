//! Adaptive pacing: probes go at full speed until a router's answers go
//! missing in the pattern of an ICMP rate limit; then that router is
//! paced (see `pacing.rs`) and the probes it left unanswered are sent
//! again, once.
//!
//! The pattern: a probe that was at least the 7th to its router within a
//! second (a Linux router answers 6 at once, then 1 a second) is still
//! unanswered four of the router's longest round trips after it left,
//! while the router has answered others, but none sent just after it (a
//! token bucket, once empty, drops what follows too; a firewall dropping
//! some ports lets the next probe through). Fewer probes are never
//! suspected: a default trace (3 a hop) keeps its losses as losses. Once
//! a router was seen limiting, the probes sent to it later are paced and
//! not suspected again.
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
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::time::Duration;

/// Probes a router answers at once before its limit shows (Linux: 6).
const BURST: usize = 6;
/// The span over which probes to a router are counted.
const SPAN: Duration = Duration::from_secs(1);
/// A probe is given this many of its router's longest round trips...
const RTTS: u32 = 4;
/// ...and at least this long, before it is taken for a rate-limit loss.
const FLOOR: Duration = Duration::from_millis(50);
/// A probe sent this soon after one lost to a rate limit finds the bucket
/// still empty (Linux refills a token a second).
const STILL_EMPTY: Duration = Duration::from_millis(100);

/// What has been seen of one router (one TTL).
#[derive(Debug, Default)]
struct Router {
    /// When the probes of the last `SPAN` left.
    sent: VecDeque<Timestamp>,
    /// Its answers in the order they came: when, and the longest round
    /// trip so far.
    answers: Vec<(Timestamp, Duration)>,
    /// When the probes it answered left, and the earliest answer to one
    /// that left then.
    answered_sent: BTreeMap<Timestamp, Timestamp>,
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
        let first = r.answered_sent.entry(sent).or_insert(at);
        *first = (*first).min(at);
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
        // A probe that left just after it was answered: no empty bucket.
        let just_after = (
            Bound::Excluded(sent),
            Bound::Excluded(sent.after(STILL_EMPTY)),
        );
        if r.answered_sent.range(just_after).any(|(_, &at)| at < now) {
            return Judgement::Cleared;
        }
        Judgement::Limited
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
        if let Some(r) = self.rate_limits.as_mut() {
            r.limited(ttl, at);
        }
        let responder = self.responder(ttl, self.traces[trace].spec.protocol);
        if !self.pacer.limit(responder, at) {
            log::info!("the router at ttl {ttl} limits its answers: paced from now on");
        }
        if self.mode == Mode::Live {
            self.plan.entry(ttl).or_default().push_back(Planned {
                trace,
                index,
                flow: None,
                check: false,
                size: None,
                sizing: false,
            });
        }
        self.advance(trace);
    }

    /// Whether probe `id` replaces one lost to a rate limit: past its
    /// hop's own probes in the order seen.
    pub(super) fn is_sent_again(&self, id: usize) -> bool {
        let p = &self.probes[id];
        if self.rate_limits.is_none() || p.check || p.sizing {
            return false;
        }
        let offset = usize::from(p.ttl.saturating_sub(self.settings.first_ttl));
        let seen = self.traces[p.trace].ids(offset).iter();
        let nth = seen
            .filter(|&&o| self.probes[o].sent.is_some())
            .position(|&o| o == id);
        nth.is_some_and(|n| n >= usize::from(self.settings.probes_per_hop))
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
    fn a_probe_lost_while_the_next_one_was_answered_is_no_rate_limit() {
        let mut r = RateLimits::default();
        let sent = Timestamp::from_nanos(1_000_000_000_000);
        r.answered(2, sent.after(Duration::from_micros(5)), at_ms(1));
        assert_eq!(r.judge(2, sent, at_ms(50)), Judgement::Cleared);
        // One answered long after is no sign either way.
        let mut r = RateLimits::default();
        r.answered(2, at_ms(200), at_ms(201));
        assert_eq!(r.judge(2, sent, at_ms(300)), Judgement::Limited);
    }
}
