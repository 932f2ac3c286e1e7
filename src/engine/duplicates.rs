//! A packet captured twice (a capture on "any" sees it on two
//! interfaces; a duplicating tap; a recording written so) must count
//! once: the same bytes within a millisecond are one packet.
//!
//! Part of the engine: no I/O, no clock.

use crate::time::Timestamp;
use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// How close in time two captures of one packet are.
const WINDOW: Duration = Duration::from_millis(1);

/// The packets of the last millisecond, by a hash of their bytes.
#[derive(Debug, Default)]
pub struct Recent {
    seen: VecDeque<(Timestamp, u64, usize)>,
}

impl Recent {
    /// Whether these bytes were seen within the window before `ts`;
    /// remembers them either way.
    pub fn seen_again(&mut self, ts: Timestamp, packet: &[u8]) -> bool {
        while let Some(&(at, _, _)) = self.seen.front() {
            if ts.since(at) > WINDOW {
                self.seen.pop_front();
            } else {
                break;
            }
        }
        let mut h = DefaultHasher::new();
        packet.hash(&mut h);
        let key = (h.finish(), packet.len());
        let again = self.seen.iter().any(|&(_, k, n)| (k, n) == key);
        if !again {
            self.seen.push_back((ts, key.0, key.1));
        }
        again
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_within_a_millisecond_are_one_packet() {
        let t0 = Timestamp::from_nanos(1_000_000_000);
        let mut r = Recent::default();
        assert!(!r.seen_again(t0, b"probe"));
        assert!(r.seen_again(t0.after(Duration::from_micros(300)), b"probe"));
        assert!(!r.seen_again(t0.after(Duration::from_micros(400)), b"other"));
        // Later than a millisecond: a packet of its own.
        assert!(!r.seen_again(t0.after(Duration::from_millis(5)), b"probe"));
    }
}
