//! The rate of a run with many targets: one token bucket for every
//! probe of the run.
//!
//! Part of `many`: no I/O, no clock.

use crate::time::Timestamp;
use std::time::Duration;

/// The rate's bucket: at most `rate` probes a second, in a burst of at
/// most a 400th of a second's worth, so that no tenth of a second holds
/// more than a fortieth over the rate's share (the issue allows a tenth:
/// the rest is room for the send path's jitter).
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    at: Option<Timestamp>,
}

impl Bucket {
    pub fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        let capacity = (rate / 400.0).max(1.0);
        Bucket {
            rate,
            capacity,
            tokens: capacity,
            at: None,
        }
    }

    fn refill(&mut self, now: Timestamp) {
        if let Some(at) = self.at {
            let gained = now.since(at).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + gained).min(self.capacity);
        }
        self.at = Some(now);
    }

    /// Takes a token at `now`, if there is one.
    pub fn take(&mut self, now: Timestamp) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Gives back the token just taken (for a probe that did not go).
    pub fn give_back(&mut self) {
        self.tokens += 1.0;
    }

    /// When the next token comes.
    pub fn next_token(&self) -> Option<Timestamp> {
        let at = self.at?;
        (self.tokens < 1.0)
            .then(|| at.after(Duration::from_secs_f64((1.0 - self.tokens) / self.rate)))
    }
}
