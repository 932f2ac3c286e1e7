//! What the routers' answers say of their ICMP rate limits: each
//! router's probes (when they left, when their answers came) and the
//! judgement of a probe still unanswered at its suspect time. Only
//! capture timestamps count, so that a replay judges as the live run did.
//!
//! A rate limit loses probes in the order they arrive: Linux answers a
//! peer 6 at once, then 1 a second (its global limit: 50 at once, then
//! 1,000 a second). A firewall loses them by port, wherever they are in
//! that order. So a probe is taken for a rate limit's loss only where
//! the answers look like a limit's:
//!
//! - the router answered 50 or more in the second (Linux's global limit);
//! - or it answered at most 7 in the second (6 at once, 1 more a second
//!   later), none of the probes sent after this one, and either 6 before
//!   it, or, with fewer (a limit spent before the run), none after a
//!   probe it left unanswered.
//!
//! Between 8 and 49 answers a second, or with an answer after a loss, the
//! losses are a filter's (or a limit tracetcp does not know): only their
//! timeouts count. A firewall passing only the first ports answers as a
//! limit spent before the run: the probes sent again to that router tell
//! (most unanswered: it is given up, see `sent_again`).
//!
//! Part of the engine: no I/O, no clock.

use crate::time::Timestamp;
use std::collections::HashMap;
use std::time::Duration;

/// Probes a router answers a peer at once before its limit shows
/// (Linux: 6).
const BURST: usize = 6;
/// Answers at once under Linux's global limit (`icmp_msgs_burst`).
const GLOBAL_BURST: usize = 50;
/// The span over which probes to a router are counted.
const SPAN: Duration = Duration::from_secs(1);
/// A probe is given this many of its router's longest round trips...
const RTTS: u32 = 4;
/// ...and at least this long, before it is taken for a rate-limit loss.
const FLOOR: Duration = Duration::from_millis(50);

/// A probe to a router: the engine's id for it (ids grow in the order
/// probes leave, which is the order they reach the router), when it
/// left, when its answer came.
#[derive(Debug, Clone, Copy)]
struct Probe {
    id: usize,
    sent: Timestamp,
    answered: Option<Timestamp>,
}

/// What has been seen of one router (one TTL).
#[derive(Debug, Default)]
struct Router {
    /// Its probes in the order they were seen leaving.
    probes: Vec<Probe>,
    /// Its answers in the order they came: when, and the longest round
    /// trip so far.
    answers: Vec<(Timestamp, Duration)>,
    /// When it was first seen limiting.
    limited_since: Option<Timestamp>,
    /// Probes sent again to it, answered and lost.
    again_answered: usize,
    again_lost: usize,
    /// Its probes sent again went unanswered: it was not limiting.
    given_up: bool,
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
    /// Probe `id` to the router at `ttl` left at `at`: when to judge it
    /// if still unanswered (`None`: it had fewer than `BURST` before it).
    pub fn sent(&mut self, ttl: u8, id: usize, at: Timestamp) -> Option<Timestamp> {
        let r = self.routers.entry(ttl).or_default();
        let recent = r.probes.len() - r.probes.partition_point(|p| at.since(p.sent) > SPAN);
        r.probes.push(Probe {
            id,
            sent: at,
            answered: None,
        });
        (recent >= BURST).then(|| at.after(FLOOR))
    }

    /// The router at `ttl` answered at `at` probe `id`, which left at
    /// `sent`.
    pub fn answered(&mut self, ttl: u8, id: usize, sent: Timestamp, at: Timestamp) {
        let r = self.routers.entry(ttl).or_default();
        let rtt = at.since(sent);
        let longest = r.answers.last().map_or(rtt, |&(_, l)| l.max(rtt));
        r.answers.push((at, longest));
        if let Some(p) = r.probe_mut(id) {
            p.answered = Some(at);
        }
    }

    /// Judges, at `now`, probe `id` to the router at `ttl`, which left at
    /// `sent` and is still unanswered.
    pub fn judge(&self, ttl: u8, id: usize, sent: Timestamp, now: Timestamp) -> Judgement {
        let Some(r) = self.routers.get(&ttl) else {
            return Judgement::Cleared;
        };
        if r.given_up || r.limited_since.is_some_and(|t| t < sent) {
            return Judgement::Cleared;
        }
        let before = r.answers.partition_point(|&(at, _)| at < now);
        let Some(&(_, longest)) = before.checked_sub(1).and_then(|i| r.answers.get(i)) else {
            // No answer from it yet: a slow router, or a silent one.
            return Judgement::Later(sent.after(now.since(sent) * 2));
        };
        let wait = (longest * RTTS).max(FLOOR);
        let due = sent.after(wait);
        if now < due {
            return Judgement::Later(due);
        }
        if r.looks_limited(id, now, wait) {
            Judgement::Limited
        } else {
            Judgement::Cleared
        }
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

    /// A probe sent again to the router at `ttl` was answered (`true`) or
    /// lost. Whether that gives the router up: its probes sent again go
    /// unanswered, at least two and most of them, though paced to what it
    /// answered. Then it was not limiting: a firewall dropping ports after
    /// the first few answers in the order a limit spent before the run
    /// would. (Under Linux's global limit a few go missing, not most.)
    pub fn sent_again(&mut self, ttl: u8, answered: bool) -> bool {
        let r = self.routers.entry(ttl).or_default();
        if answered {
            r.again_answered += 1;
        } else {
            r.again_lost += 1;
        }
        let give_up = !r.given_up && r.again_lost >= 2 && r.again_lost > r.again_answered;
        r.given_up |= give_up;
        give_up
    }

    /// Whether the router at `ttl` answered a probe sent again to it: its
    /// limit is no guess, and pacing to it worth a word.
    pub fn confirmed(&self, ttl: u8) -> bool {
        self.routers.get(&ttl).is_some_and(|r| r.again_answered > 0)
    }

    /// The router at `ttl` was seen limiting at `at`.
    pub fn limited(&mut self, ttl: u8, at: Timestamp) {
        let r = self.routers.entry(ttl).or_default();
        r.limited_since = Some(r.limited_since.map_or(at, |t| t.min(at)));
    }
}

impl Router {
    /// Probe `id`, if it was seen leaving.
    fn probe_mut(&mut self, id: usize) -> Option<&mut Probe> {
        let at = self.probes.partition_point(|p| p.id < id);
        match self.probes.get(at) {
            Some(p) if p.id == id => self.probes.get_mut(at),
            // Seen leaving out of order: look it up.
            _ => self.probes.iter_mut().find(|p| p.id == id),
        }
    }

    /// Whether, as captured before `now`, the router's answers look like
    /// a rate limit's around probe `id`, unanswered (see the module's
    /// words). Probes are lost `wait` after they left.
    fn looks_limited(&self, id: usize, now: Timestamp, wait: Duration) -> bool {
        let from = self.probes.partition_point(|p| now.since(p.sent) > SPAN);
        let recent = self.probes[from..].iter().filter(|p| p.sent < now);
        let answered = |p: &Probe| p.answered.is_some_and(|a| a < now);
        let lost = |p: &Probe| !answered(p) && p.sent.after(wait) <= now;
        let answers = recent.clone().filter(|p| answered(p)).count();
        if answers >= GLOBAL_BURST {
            return true;
        }
        if answers > BURST + 1 || recent.clone().any(|p| p.id > id && answered(p)) {
            return false;
        }
        let earlier = recent.filter(|p| p.id < id);
        if earlier.clone().filter(|p| answered(p)).count() >= BURST {
            return true;
        }
        let mut loss_seen = false;
        for p in earlier {
            if lost(p) {
                loss_seen = true;
            } else if loss_seen && answered(p) {
                return false;
            }
        }
        true
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::at_ms;

    #[test]
    fn only_probes_past_a_routers_burst_are_suspected() {
        let mut r = RateLimits::default();
        for id in 0..6 {
            assert_eq!(r.sent(1, id, at_ms(0)), None);
        }
        assert_eq!(r.sent(1, 6, at_ms(5)), Some(at_ms(55)));
        // A second later the count starts again.
        assert_eq!(r.sent(1, 7, at_ms(1_100)), None);
    }

    #[test]
    fn a_suspect_is_judged_from_the_answers_before_its_time() {
        let mut r = RateLimits::default();
        // No answer yet: look again at twice the time.
        assert_eq!(r.judge(1, 1, at_ms(0), at_ms(50)), Judgement::Cleared);
        r.sent(1, 0, at_ms(0));
        assert_eq!(
            r.judge(1, 1, at_ms(0), at_ms(50)),
            Judgement::Later(at_ms(100))
        );
        // An answer after the judgement's time does not count.
        r.answered(1, 0, at_ms(0), at_ms(30 + 30));
        assert_eq!(
            r.judge(1, 1, at_ms(0), at_ms(50)),
            Judgement::Later(at_ms(100))
        );
        // Four of its round trips (60 ms).
        let judged = |at| r.judge(1, 1, at_ms(0), at_ms(at));
        assert_eq!(judged(100), Judgement::Later(at_ms(240)));
        assert_eq!(judged(240), Judgement::Limited);
        // Once it limits, what was sent later is not suspected.
        r.limited(1, at_ms(240));
        assert_eq!(r.judge(1, 2, at_ms(200), at_ms(500)), Judgement::Limited);
        assert_eq!(r.judge(1, 3, at_ms(250), at_ms(500)), Judgement::Cleared);
    }

    #[test]
    fn a_limiting_router_is_held_to_what_it_gave_over_its_burst() {
        let mut r = RateLimits::default();
        assert_eq!(r.rate_over_burst(1, at_ms(100)), 1);
        for i in 0..56 {
            r.answered(1, i as usize, at_ms(0), at_ms(i));
        }
        assert_eq!(r.rate_over_burst(1, at_ms(100)), 50);
        // Only the second before.
        assert_eq!(r.rate_over_burst(1, at_ms(1_040)), 10);
    }

    fn at_us(us: u64) -> Timestamp {
        Timestamp::from_nanos(1_000_000_000_000 + us * 1_000)
    }

    /// `n` probes 10 µs apart to the router at TTL 1; those in `answered`
    /// answered 10 ms after they left. Returns each probe's judgement
    /// 100 ms on (`None`: answered, or never suspected).
    fn judged(n: u64, answered: &[u64]) -> Vec<Option<Judgement>> {
        let mut r = RateLimits::default();
        let suspects: Vec<Option<Timestamp>> = (0..n)
            .map(|i| r.sent(1, i as usize, at_us(i * 10)))
            .collect();
        for &i in answered {
            r.answered(1, i as usize, at_us(i * 10), at_us(i * 10 + 10_000));
        }
        (0..n)
            .map(|i| {
                let suspect = suspects[i as usize]?;
                let now = suspect.after(Duration::from_millis(50));
                (!answered.contains(&i)).then(|| r.judge(1, i as usize, at_us(i * 10), now))
            })
            .collect()
    }

    fn limited(judgements: &[Option<Judgement>]) -> Vec<usize> {
        let limited = |j: &&Option<Judgement>| **j == Some(Judgement::Limited);
        let all = judgements.iter().enumerate();
        all.filter(|(_, j)| limited(j)).map(|(i, _)| i).collect()
    }

    #[test]
    fn a_linux_router_answers_six_then_loses_the_rest_to_its_limit() {
        let j = judged(12, &[0, 1, 2, 3, 4, 5]);
        assert_eq!(limited(&j), vec![6, 7, 8, 9, 10, 11]);
        // Its limit spent before the run: fewer answers, still first.
        let j = judged(12, &[0, 1]);
        assert_eq!(limited(&j), vec![6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn ports_a_firewall_drops_are_no_rate_limit() {
        // Answers after the losses: ports 7-9 dropped, 10 answered.
        let j = judged(11, &[0, 2, 3, 4, 6, 10]);
        assert_eq!(limited(&j), Vec::<usize>::new());
        assert!(j[7..10].iter().all(|j| *j == Some(Judgement::Cleared)));
        // One port of 81 gets through, in the middle: nothing before it
        // was answered, nothing after it is.
        let j = judged(81, &[40]);
        assert_eq!(limited(&j), Vec::<usize>::new());
        // Ten of 200 get through: more than a Linux peer limit answers.
        let through: Vec<u64> = (0..10).map(|k| k * 20 + 3).collect();
        assert_eq!(limited(&judged(200, &through)), Vec::<usize>::new());
    }

    #[test]
    fn a_router_is_given_up_when_most_probes_sent_again_are_lost() {
        let mut r = RateLimits::default();
        assert!(!r.sent_again(1, false));
        assert!(r.sent_again(1, false));
        // Once only; and from then on, nothing is taken for its limit's.
        assert!(!r.sent_again(1, false));
        r.sent(1, 0, at_ms(0));
        r.answered(1, 0, at_ms(0), at_ms(10));
        assert_eq!(r.judge(1, 1, at_ms(5), at_ms(100)), Judgement::Cleared);
        // Under a limit, most are answered.
        for _ in 0..5 {
            assert!(!r.sent_again(2, true));
        }
        assert!(!r.sent_again(2, false));
        assert!(!r.sent_again(2, false));
    }

    #[test]
    fn a_router_at_its_global_limit_loses_probes_between_answers() {
        // 50 at once, then one in four (1,000 a second at 4,000 sent).
        let answered: Vec<u64> = (0..50).chain((50..200).step_by(4)).collect();
        let j = judged(200, &answered);
        let lost: Vec<usize> = (50..200).filter(|i| (i - 50) % 4 != 0).collect();
        assert_eq!(limited(&j), lost);
    }
}
