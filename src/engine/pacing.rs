//! Pacing: send fast, but never so fast that answers are lost to the ICMP
//! rate limits of the routers on the path.
//!
//! Adaptive pacing (a single trace or a port range, without --mtu or
//! --multipath): no router is held to the limit below until its answers
//! went missing in the pattern of one (see `ratelimit.rs`); only the
//! global bucket holds the others.
//!
//! Linux (and most routers) limit the ICMP errors they send to one peer:
//! a token bucket of 6 messages, refilled at 1 per second. Every TTL below
//! the destination is one router, so each gets such a bucket here. Once
//! the destination's hop is known, TTLs at or beyond it reach the
//! destination: its TCP answers and echo replies are not rate limited,
//! its UDP port-unreachables are (one bucket for the host). A global
//! bucket keeps the total rate sane.
//!
//! Part of the engine: no I/O, no clock.

use crate::time::Timestamp;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

/// A token bucket, in nanoseconds of credit.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    credit_ns: u64,
    stamp: Timestamp,
}

#[derive(Debug, Clone, Copy)]
struct Limit {
    burst: u64,
    per_token: Duration,
}

impl Limit {
    fn capacity(&self) -> u64 {
        self.burst * self.per_token.as_nanos() as u64
    }
}

impl Bucket {
    fn full(limit: Limit, now: Timestamp) -> Self {
        Bucket {
            credit_ns: limit.capacity(),
            stamp: now,
        }
    }

    fn refill(&mut self, limit: Limit, now: Timestamp) {
        let gained = now.since(self.stamp).as_nanos() as u64;
        self.credit_ns = (self.credit_ns.saturating_add(gained)).min(limit.capacity());
        self.stamp = self.stamp.max(now);
    }

    /// When a token will be there (now if one is).
    fn ready_at(&self, limit: Limit) -> Timestamp {
        let cost = limit.per_token.as_nanos() as u64;
        self.stamp
            .after(Duration::from_nanos(cost.saturating_sub(self.credit_ns)))
    }

    fn take(&mut self, limit: Limit) {
        self.credit_ns = self
            .credit_ns
            .saturating_sub(limit.per_token.as_nanos() as u64);
    }
}

/// Which responder a probe will most likely make answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Responder {
    /// The router at this TTL.
    Router(u8),
    /// The destination, answering with an ICMP error (UDP port unreachable).
    DestinationIcmp,
    /// The destination, answering with something not rate limited.
    DestinationFree,
}

/// Linux's per-peer ICMP error limit: burst 6, then 1 per second.
const ROUTER: Limit = Limit {
    burst: 6,
    per_token: Duration::from_secs(1),
};

/// The whole run: bursts of 64, then 4,000 probes a second.
const GLOBAL: Limit = Limit {
    burst: 64,
    per_token: Duration::from_micros(250),
};

/// The pacing of a run. Cloning it shares it: engines run one after
/// another (rounds) pace together, as the routers count their probes
/// together.
#[derive(Debug, Clone)]
pub struct Pacer(Rc<RefCell<Buckets>>);

#[derive(Debug)]
struct Buckets {
    enabled: bool,
    /// Routers are held to their limit only once seen limiting.
    adaptive: bool,
    /// The routers seen limiting, and the rate each is held to.
    limited: HashMap<Responder, Limit>,
    global: Option<Bucket>,
    responders: HashMap<Responder, Bucket>,
}

impl Pacer {
    /// Pacing every router to its limit from the start.
    pub fn new(enabled: bool) -> Self {
        Pacer(Rc::new(RefCell::new(Buckets {
            enabled,
            adaptive: false,
            limited: HashMap::new(),
            global: None,
            responders: HashMap::new(),
        })))
    }

    /// Pacing a router only once its answers went missing as a rate
    /// limit's do (see `limit`).
    pub fn adaptive(enabled: bool) -> Self {
        let pacer = Pacer::new(enabled);
        pacer.0.borrow_mut().adaptive = true;
        pacer
    }

    pub fn is_adaptive(&self) -> bool {
        self.0.borrow().adaptive
    }

    /// `responder` was seen limiting its answers at `now`, having given
    /// `answers_per_second` over its burst: from now on it is held to
    /// that (at least Linux's 1 a second), starting with an empty bucket
    /// (it has just spent it). Whether it was already.
    pub fn limit(&self, responder: Responder, now: Timestamp, answers_per_second: u32) -> bool {
        let mut b = self.0.borrow_mut();
        if !b.adaptive || b.limited.contains_key(&responder) {
            return true;
        }
        let limit = Limit {
            burst: ROUTER.burst,
            per_token: ROUTER.per_token / answers_per_second.max(1),
        };
        b.limited.insert(responder, limit);
        b.responders.insert(
            responder,
            Bucket {
                credit_ns: 0,
                stamp: now,
            },
        );
        false
    }

    /// When a probe toward `responder` may be sent (at or before `now`
    /// means at once). `width` routers share its probes (a load-balanced
    /// hop: each has its own limit).
    pub fn ready_at(&self, responder: Responder, width: usize, now: Timestamp) -> Timestamp {
        self.0.borrow_mut().ready_at(responder, width, now)
    }

    /// How long pacing needs from `now` to let `n` more probes go toward
    /// `responder` (as one of the `total` probes waiting in all).
    pub fn time_for(
        &self,
        responder: Responder,
        n: usize,
        total: usize,
        now: Timestamp,
    ) -> Duration {
        let b = self.0.borrow();
        if !b.enabled {
            return Duration::ZERO;
        }
        let time = |limit: Limit, bucket: Option<&Bucket>, n: usize| {
            let per_token = limit.per_token.as_nanos() as u64;
            let credit = bucket.map_or(limit.capacity(), |b| {
                let mut b = *b;
                b.refill(limit, now);
                b.credit_ns
            });
            let short = (n as u64).saturating_sub(credit / per_token.max(1));
            Duration::from_nanos(short.saturating_mul(per_token))
        };
        let global = time(GLOBAL, b.global.as_ref(), total);
        let own = b.limit_of(responder, 1).map_or(Duration::ZERO, |limit| {
            time(limit, b.responders.get(&responder), n)
        });
        global.max(own)
    }

    /// Records a probe sent toward `responder`; call only when `ready_at`
    /// said it may go.
    pub fn take(&self, responder: Responder, width: usize) {
        self.0.borrow_mut().take(responder, width)
    }
}

impl Buckets {
    fn ready_at(&mut self, responder: Responder, width: usize, now: Timestamp) -> Timestamp {
        if !self.enabled {
            return now;
        }
        let global = self.global.get_or_insert_with(|| Bucket::full(GLOBAL, now));
        global.refill(GLOBAL, now);
        let mut at = global.ready_at(GLOBAL);
        if let Some(limit) = self.limit_of(responder, width) {
            let b = self
                .responders
                .entry(responder)
                .or_insert_with(|| Bucket::full(limit, now));
            b.refill(limit, now);
            at = at.max(b.ready_at(limit));
        }
        at
    }

    fn take(&mut self, responder: Responder, width: usize) {
        if !self.enabled {
            return;
        }
        if let Some(g) = self.global.as_mut() {
            g.take(GLOBAL);
        }
        let limit = self.limit_of(responder, width);
        if let (Some(limit), Some(b)) = (limit, self.responders.get_mut(&responder)) {
            b.take(limit);
        }
    }
}

impl Buckets {
    /// The limit `responder` is held to, if any.
    fn limit_of(&self, responder: Responder, width: usize) -> Option<Limit> {
        match self.adaptive {
            true => self.limited.get(&responder).copied(),
            false => limit_of(responder, width),
        }
    }
}

fn limit_of(responder: Responder, width: usize) -> Option<Limit> {
    let width = width.clamp(1, 64) as u32;
    match responder {
        Responder::Router(_) | Responder::DestinationIcmp => Some(Limit {
            burst: ROUTER.burst * u64::from(width),
            per_token: ROUTER.per_token / width,
        }),
        Responder::DestinationFree => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::at_ms;

    #[test]
    fn six_per_router_then_one_per_second() {
        let p = Pacer::new(true);
        let r = Responder::Router(3);
        for _ in 0..6 {
            assert!(p.ready_at(r, 1, at_ms(0)) <= at_ms(0));
            p.take(r, 1);
        }
        assert_eq!(p.ready_at(r, 1, at_ms(0)), at_ms(1000));
        assert!(p.ready_at(Responder::Router(4), 1, at_ms(0)) <= at_ms(0));
        assert!(p.ready_at(r, 1, at_ms(1000)) <= at_ms(1000));
    }

    #[test]
    fn the_time_pacing_needs_for_what_waits() {
        let p = Pacer::new(true);
        let r = Responder::Router(1);
        let secs = |n, total| p.time_for(r, n, total, at_ms(0)).as_secs_f64();
        assert_eq!(secs(6, 6), 0.0);
        assert_eq!(secs(16, 16), 10.0);
        // 64 at once, then 4,000 a second.
        assert_eq!(secs(0, 4_064), 1.0);
        assert!(p.ready_at(r, 1, at_ms(0)) <= at_ms(0));
        p.take(r, 1);
        assert_eq!(secs(6, 6), 1.0);
        assert_eq!(
            p.time_for(Responder::DestinationFree, 50, 50, at_ms(0)),
            Duration::ZERO
        );
        assert_eq!(
            Pacer::new(false).time_for(r, 100, 100, at_ms(0)),
            Duration::ZERO
        );
    }

    #[test]
    fn adaptive_pacing_holds_a_router_only_once_it_limits() {
        let p = Pacer::adaptive(true);
        let r = Responder::Router(2);
        for _ in 0..20 {
            assert!(p.ready_at(r, 1, at_ms(0)) <= at_ms(0));
            p.take(r, 1);
        }
        assert!(!p.limit(r, at_ms(10), 1));
        assert!(p.limit(r, at_ms(10), 1), "already limited");
        assert_eq!(p.ready_at(r, 1, at_ms(10)), at_ms(1010));
        assert!(p.ready_at(Responder::Router(3), 1, at_ms(10)) <= at_ms(10));
        // One that gave 100 answers a second over its burst: 10 ms apart.
        let r4 = Responder::Router(4);
        assert!(!p.limit(r4, at_ms(10), 100));
        assert_eq!(p.ready_at(r4, 1, at_ms(10)), at_ms(20));
        // Not adaptive: limit changes nothing.
        let fixed = Pacer::new(true);
        assert!(fixed.limit(r, at_ms(0), 1));
    }

    #[test]
    fn destination_tcp_answers_are_not_limited_per_router() {
        let p = Pacer::new(true);
        for i in 0..64 {
            assert!(
                p.ready_at(Responder::DestinationFree, 1, at_ms(0)) <= at_ms(0),
                "probe {i}"
            );
            p.take(Responder::DestinationFree, 1);
        }
        // the global bucket is empty now: 250 us per probe
        let next = p.ready_at(Responder::DestinationFree, 1, at_ms(0));
        assert_eq!(next.since(at_ms(0)), Duration::from_micros(250));
    }

    #[test]
    fn disabled_pacing_never_waits() {
        let p = Pacer::new(false);
        for _ in 0..100 {
            assert_eq!(p.ready_at(Responder::Router(1), 1, at_ms(5)), at_ms(5));
            p.take(Responder::Router(1), 1);
        }
    }
}
