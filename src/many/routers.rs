//! The routers of a run with many targets, by address: the ICMP errors a
//! router sends one source are rate limited (Linux: 6 at once, then 1 a
//! second by default), however many targets the probes are for. Each
//! engine paces the routers of its own trace; this paces them across
//! targets. A probe is taken to be for the router last seen answering at
//! its TTL (on paths that share their first hops, the router it meets).
//! A router that answered at most half the probes sent it over a second,
//! at least `SEEN` of them, is limiting: it gets a note (once), and from
//! then on its probes go no faster than the answers a second it gave over
//! its burst; every 4 probes the pace is looked at again: twice as fast
//! when they were answered (the last one's answer may be on its way),
//! half as fast when most went missing. Answers of the destination are not counted.
//!
//! Part of `many`: no I/O, no clock.

use crate::time::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

/// Probes in a second before a router's answers are judged.
const SEEN: usize = 10;
/// Answers a Linux router gives at once before its limit shows.
const BURST: usize = 6;
/// The span over which probes and answers are counted.
const SPAN: Duration = Duration::from_secs(1);
/// A probe is given this long (or four of the router's longest round
/// trips) before its answer counts as missing.
const FLOOR: Duration = Duration::from_millis(50);

#[derive(Default)]
struct Router {
    /// When probes for it left, the last `SPAN` and a grace.
    sent: VecDeque<Timestamp>,
    /// When its answers came, as long.
    answers: VecDeque<Timestamp>,
    longest_rtt: Duration,
    /// The TTL it was last seen at.
    ttl: u8,
    /// Seen limiting: its pace (the time a probe costs) and when the
    /// next may go.
    paced: Option<(Duration, Timestamp)>,
    /// Its probes and answers since its pace was last looked at.
    since_look: (usize, usize),
    /// Said limiting.
    noted: bool,
}

impl Router {
    fn grace(&self) -> Duration {
        (self.longest_rtt * 4).max(FLOOR)
    }

    fn forget_before(&mut self, now: Timestamp) {
        let horizon = SPAN + self.grace();
        while self.sent.front().is_some_and(|&t| now.since(t) > horizon) {
            self.sent.pop_front();
        }
        while self
            .answers
            .front()
            .is_some_and(|&t| now.since(t) > horizon)
        {
            self.answers.pop_front();
        }
    }
}

/// What the run has seen of each router, and which are paced.
pub struct Routers {
    /// Pace the routers seen limiting (off with -F).
    pacing: bool,
    routers: HashMap<IpAddr, Router>,
    /// The router last seen answering at each TTL.
    at_ttl: HashMap<u8, IpAddr>,
    notes: Vec<String>,
}

impl Routers {
    pub fn new(pacing: bool) -> Self {
        Routers {
            pacing,
            routers: HashMap::new(),
            at_ttl: HashMap::new(),
            notes: Vec::new(),
        }
    }

    /// The router a probe with `ttl` is taken to be for.
    pub fn expected(&self, ttl: u8) -> Option<IpAddr> {
        self.at_ttl.get(&ttl).copied()
    }

    /// When a probe with `ttl` may go (at or before `now`: at once).
    pub fn ready_at(&self, ttl: u8, now: Timestamp) -> Timestamp {
        self.expected(ttl)
            .and_then(|a| self.routers.get(&a)?.paced)
            .map_or(now, |(_, next)| next)
    }

    /// A probe with `ttl` left at `now`.
    pub fn sent(&mut self, ttl: u8, now: Timestamp) {
        let Some(addr) = self.expected(ttl) else {
            return;
        };
        let Some(r) = self.routers.get_mut(&addr) else {
            return;
        };
        r.forget_before(now);
        r.sent.push_back(now);
        r.since_look.0 += 1;
        if let Some((cost, next)) = &mut r.paced {
            *next = (*next).max(now).after(*cost);
        }
        self.judge(addr, now);
    }

    /// Router `from` answered at `at` a probe with `ttl` sent `rtt`
    /// before.
    pub fn answered(&mut self, from: IpAddr, ttl: u8, at: Timestamp, rtt: Duration) {
        self.at_ttl.insert(ttl, from);
        let r = self.routers.entry(from).or_default();
        r.forget_before(at);
        r.answers.push_back(at);
        r.since_look.1 += 1;
        r.ttl = ttl;
        r.longest_rtt = r.longest_rtt.max(rtt);
    }

    /// Whether `addr` answers as a rate limit does: over the second
    /// before its grace, at least `SEEN` probes, at most half answered.
    fn judge(&mut self, addr: IpAddr, now: Timestamp) {
        let Some(r) = self.routers.get_mut(&addr) else {
            return;
        };
        let until = now.before(r.grace());
        let span = |t: &&Timestamp| **t <= until && until.since(**t) <= SPAN;
        let sent = r.sent.iter().filter(span).count();
        let answers = r
            .answers
            .iter()
            .filter(|t| until.since(**t) <= SPAN)
            .count();
        if let Some((cost, _)) = &mut r.paced {
            // Every 4 probes (the last one's answer may be on its way).
            let (sent, answers) = r.since_look;
            if sent < 4 {
                return;
            }
            r.since_look = (0, 0);
            if answers + 1 >= sent {
                *cost = (*cost / 2).max(Duration::from_millis(1));
            } else if answers * 2 < sent {
                *cost = (*cost * 2).min(SPAN * 2);
            }
            return;
        }
        if r.noted || sent < SEEN || answers * 2 > sent {
            return;
        }
        r.noted = true;
        let per_second = answers.saturating_sub(BURST).max(1) as u32;
        let cost = SPAN / per_second;
        let next = now.after(cost);
        if self.pacing {
            r.paced = Some((cost, next));
            r.since_look = (0, 0);
        }
        self.notes.push(format!(
            "{addr} (hop {}) answered {answers} of {sent} probes in a second, about {per_second} a second after its first: \
             the rate is more than it answers, so hops it leaves silent show *{}",
            r.ttl,
            match self.pacing {
                true => "; probes for it now go no faster than that",
                false => " (-F: it is not paced)",
            }
        ));
    }

    /// Notes for the user, each once.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }
}

#[cfg(test)]
#[path = "routers_tests.rs"]
mod tests;
