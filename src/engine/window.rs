//! The TTL window: go easy on the target. Probes beyond the farthest
//! answer are held to 22 (counted hop by hop, in the order they go: all
//! probes of the next 7 hops and the first of the eighth, with 3 a hop):
//! each of them would reach the target if it were nearer than that, and
//! with one flow per trace they would all be one connection to it.
//! traceroute -T keeps 16 in flight and trippy 24; 22 lets the first
//! probe of a target 8 hops beyond the farthest answer go at once, and
//! that probe's answer is the one that ends the trace (the destination
//! line shows one round trip). The window moves with every answer;
//! when no answer has moved it for a few round trips (a silent stretch,
//! a silent target), the rest goes at once, so a silent tail still costs
//! about one timeout. Off with -F (every probe at once).
//!
//! Part of the engine: no I/O, no clock.

use crate::time::Timestamp;
use std::time::Duration;

/// Probes (of one trace) beyond the farthest answer: at most this many
/// can reach a target nearer than expected. Counting probes, not hops,
/// lets the first probe of the eighth hop ahead go with the seven hops
/// before it. The default of `Settings::ahead`.
pub const AHEAD: u32 = 22;

/// The least time without progress before the rest goes.
const QUIET_FLOOR: Duration = Duration::from_millis(50);

#[derive(Debug)]
pub struct Window {
    enabled: bool,
    /// At most this many probes beyond the farthest answer.
    ahead: u32,
    per_hop: u8,
    /// The farthest TTL that answered (first TTL - 1 before any answer).
    reach: u8,
    /// When the window last moved (or the first probe went).
    moved_at: Option<Timestamp>,
    /// The longest round trip seen.
    longest_rtt: Duration,
}

impl Window {
    pub fn new(enabled: bool, first_ttl: u8, per_hop: u8, ahead: u32) -> Self {
        Window {
            enabled,
            ahead,
            per_hop: per_hop.max(1),
            reach: first_ttl.saturating_sub(1),
            moved_at: None,
            longest_rtt: Duration::ZERO,
        }
    }

    /// How long without progress before the rest goes: a few of the
    /// longest round trips seen.
    fn quiet(&self) -> Duration {
        (self.longest_rtt * 3).max(QUIET_FLOOR)
    }

    /// When the rest goes, unless an answer moves the window first.
    fn lifted_at(&self) -> Option<Timestamp> {
        self.moved_at.map(|t| t.after(self.quiet()))
    }

    /// Whether probe `index` of the hop at `ttl` may go at `now`; if not,
    /// when to ask again.
    pub fn admits(&mut self, ttl: u8, index: u8, now: Timestamp) -> Result<(), Timestamp> {
        let hops_ahead = u32::from(ttl.saturating_sub(self.reach).saturating_sub(1));
        let ahead = hops_ahead * u32::from(self.per_hop) + u32::from(index) + 1;
        if !self.enabled || ttl <= self.reach || ahead <= self.ahead {
            self.moved_at.get_or_insert(now);
            return Ok(());
        }
        match self.lifted_at() {
            Some(at) if at <= now => Ok(()),
            Some(at) => Err(at),
            None => Ok(()),
        }
    }

    /// An answer from `ttl` arrived at `at`, `rtt` after its probe left.
    pub fn answered(&mut self, ttl: u8, at: Timestamp, rtt: Duration) {
        self.longest_rtt = self.longest_rtt.max(rtt);
        if ttl > self.reach {
            self.reach = ttl;
            self.moved_at = Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::at_ms;

    #[test]
    fn twenty_two_probes_go_ahead_of_the_answers() {
        let mut w = Window::new(true, 1, 3, AHEAD);
        assert!(w.admits(7, 2, at_ms(0)).is_ok());
        // The 22nd probe ahead: the first of the eighth hop.
        assert!(w.admits(8, 0, at_ms(0)).is_ok());
        assert_eq!(w.admits(8, 1, at_ms(0)), Err(at_ms(50)));
        w.answered(3, at_ms(20), Duration::from_millis(20));
        assert!(w.admits(11, 0, at_ms(20)).is_ok());
        assert_eq!(w.admits(11, 1, at_ms(20)), Err(at_ms(80)));
        // Below the reach, always.
        assert!(w.admits(2, 2, at_ms(20)).is_ok());
        // Nothing moved it for three round trips: the rest goes.
        assert!(w.admits(30, 2, at_ms(80)).is_ok());
    }

    #[test]
    fn one_probe_a_hop_goes_twenty_two_hops_ahead() {
        let mut w = Window::new(true, 1, 1, AHEAD);
        assert!(w.admits(22, 0, at_ms(0)).is_ok());
        assert_eq!(w.admits(23, 0, at_ms(0)), Err(at_ms(50)));
    }

    #[test]
    fn off_with_f() {
        let mut w = Window::new(false, 1, 3, AHEAD);
        assert!(w.admits(30, 2, at_ms(0)).is_ok());
    }
}
