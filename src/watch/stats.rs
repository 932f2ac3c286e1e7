//! Statistics of rounds, per hop, as mtr users read them: Loss%, Snt,
//! Last, Avg, Best, Wrst, StDev, and jitter (Jttr, Javg, Jmax, Jint as in
//! RFC 3550). Every figure is kept incrementally, so memory stays the same
//! however many rounds are folded in. Pure: no clock, no I/O.

use std::net::IpAddr;
use std::time::Duration;

/// How many distinct responders a hop keeps by name; any more are
/// counted together (a hop answered by thousands of addresses is not a
/// hop, and memory must not follow it).
pub const RESPONDERS_KEPT: usize = 16;

/// How many of the latest RTTs a hop keeps for the live view's sparkline.
pub const RECENT_KEPT: usize = 64;

/// One hop's figures over every round folded in so far.
#[derive(Debug, Clone, PartialEq)]
pub struct HopStats {
    pub ttl: u8,
    /// Probes sent at this TTL (mtr's Snt).
    pub sent: u64,
    /// Probes answered.
    pub received: u64,
    pub last: Option<Duration>,
    pub best: Option<Duration>,
    pub worst: Option<Duration>,
    /// Welford's running mean and sum of squared deviations, in ms.
    mean_ms: f64,
    m2: f64,
    /// |this RTT - the previous one| for the latest pair (mtr's Jttr).
    pub jitter: Option<Duration>,
    jitter_sum_ms: f64,
    jitter_count: u64,
    pub jitter_max: Option<Duration>,
    /// RFC 3550's interarrival jitter, J += (|D| - J) / 16, in ms.
    jint_ms: f64,
    /// Who answered, with how many answers, in the order first seen.
    pub responders: Vec<(IpAddr, u64)>,
    /// Answers from responders past the first `RESPONDERS_KEPT`.
    pub other_responders: u64,
    /// The latest RTTs (`None`: lost), oldest first.
    pub recent: std::collections::VecDeque<Option<Duration>>,
}

impl HopStats {
    pub fn new(ttl: u8) -> Self {
        HopStats {
            ttl,
            sent: 0,
            received: 0,
            last: None,
            best: None,
            worst: None,
            mean_ms: 0.0,
            m2: 0.0,
            jitter: None,
            jitter_sum_ms: 0.0,
            jitter_count: 0,
            jitter_max: None,
            jint_ms: 0.0,
            responders: Vec::new(),
            other_responders: 0,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// One probe of this hop: answered by `from` after `rtt`, or lost.
    pub fn add(&mut self, answer: Option<(IpAddr, Duration)>) {
        self.sent += 1;
        if self.recent.len() == RECENT_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(answer.map(|(_, rtt)| rtt));
        let Some((from, rtt)) = answer else {
            return;
        };
        self.received += 1;
        let ms = millis(rtt);
        if let Some(previous) = self.last {
            let d = rtt.abs_diff(previous);
            self.jitter = Some(d);
            self.jitter_sum_ms += millis(d);
            self.jitter_count += 1;
            self.jitter_max = self.jitter_max.max(Some(d));
            self.jint_ms += (millis(d) - self.jint_ms) / 16.0;
        }
        self.last = Some(rtt);
        self.best = Some(self.best.map_or(rtt, |b| b.min(rtt)));
        self.worst = self.worst.max(Some(rtt));
        let delta = ms - self.mean_ms;
        self.mean_ms += delta / self.received as f64;
        self.m2 += delta * (ms - self.mean_ms);
        let kept = self.responders.len();
        match self.responders.iter_mut().find(|(a, _)| *a == from) {
            Some((_, n)) => *n += 1,
            None if kept < RESPONDERS_KEPT => self.responders.push((from, 1)),
            None => self.other_responders += 1,
        }
    }

    pub fn lost(&self) -> u64 {
        self.sent - self.received
    }

    /// Loss in percent of the probes sent (0 when none was).
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        100.0 * self.lost() as f64 / self.sent as f64
    }

    /// Mean RTT in ms, once any probe was answered.
    pub fn avg_ms(&self) -> Option<f64> {
        (self.received > 0).then_some(self.mean_ms)
    }

    /// Standard deviation of the RTTs in ms (population, as mtr).
    pub fn stdev_ms(&self) -> Option<f64> {
        (self.received > 0).then(|| (self.m2 / self.received as f64).sqrt())
    }

    /// Mean difference between consecutive RTTs in ms (mtr's Javg).
    pub fn jitter_avg_ms(&self) -> Option<f64> {
        (self.jitter_count > 0).then(|| self.jitter_sum_ms / self.jitter_count as f64)
    }

    /// RFC 3550 interarrival jitter in ms (mtr's Jint).
    pub fn jitter_interarrival_ms(&self) -> Option<f64> {
        (self.jitter_count > 0).then_some(self.jint_ms)
    }

    /// The responder that answered most, if any answered.
    pub fn main_responder(&self) -> Option<IpAddr> {
        // The first seen among equals.
        let most = self.responders.iter().map(|(_, n)| *n).max()?;
        self.responders
            .iter()
            .find(|(_, n)| *n == most)
            .map(|(a, _)| *a)
    }
}

/// Milliseconds as a float, the unit every figure is shown in.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const A: &str = "198.18.1.1";
    const B: &str = "198.18.1.2";

    fn add(h: &mut HopStats, from: &str, rtt: u64) {
        h.add(Some((from.parse().unwrap(), ms(rtt))));
    }

    #[test]
    fn figures_match_the_definitions() {
        let mut h = HopStats::new(3);
        for rtt in [10, 14, 12] {
            add(&mut h, A, rtt);
        }
        h.add(None);
        assert_eq!((h.sent, h.received, h.lost()), (4, 3, 1));
        assert_eq!(h.loss_percent(), 25.0);
        assert_eq!(
            (h.last, h.best, h.worst),
            (Some(ms(12)), Some(ms(10)), Some(ms(14)))
        );
        assert!((h.avg_ms().unwrap() - 12.0).abs() < 1e-9);
        // Population deviation of 10, 14, 12: sqrt(8/3).
        assert!((h.stdev_ms().unwrap() - (8.0f64 / 3.0).sqrt()).abs() < 1e-9);
        // Consecutive differences 4 and 2.
        assert_eq!(h.jitter, Some(ms(2)));
        assert_eq!(h.jitter_max, Some(ms(4)));
        assert!((h.jitter_avg_ms().unwrap() - 3.0).abs() < 1e-9);
        // J = 0 + (4 - 0)/16 = 0.25; J = 0.25 + (2 - 0.25)/16.
        let j = 0.25 + (2.0 - 0.25) / 16.0;
        assert!((h.jitter_interarrival_ms().unwrap() - j).abs() < 1e-9);
        assert_eq!(
            h.recent.iter().copied().collect::<Vec<_>>(),
            vec![Some(ms(10)), Some(ms(14)), Some(ms(12)), None]
        );
    }

    #[test]
    fn a_hop_never_answered_has_loss_and_no_times() {
        let mut h = HopStats::new(5);
        h.add(None);
        h.add(None);
        assert_eq!(h.loss_percent(), 100.0);
        assert_eq!(
            (h.avg_ms(), h.stdev_ms(), h.jitter_avg_ms()),
            (None, None, None)
        );
        assert_eq!(h.main_responder(), None);
        assert_eq!(HopStats::new(1).loss_percent(), 0.0);
    }

    #[test]
    fn responders_are_counted_and_bounded() {
        let mut h = HopStats::new(2);
        add(&mut h, A, 1);
        add(&mut h, B, 1);
        add(&mut h, B, 1);
        assert_eq!(
            h.responders,
            vec![(A.parse().unwrap(), 1), (B.parse().unwrap(), 2)]
        );
        assert_eq!(h.main_responder(), Some(B.parse().unwrap()));
        for i in 0..40u8 {
            h.add(Some((IpAddr::from([198, 18, 2, i]), ms(1))));
        }
        assert_eq!(h.responders.len(), RESPONDERS_KEPT);
        assert_eq!(h.other_responders, 40 - (RESPONDERS_KEPT as u64 - 2));
    }

    #[test]
    fn memory_does_not_grow_with_rounds() {
        let mut h = HopStats::new(1);
        for i in 0..100_000u64 {
            h.add((i % 7 != 0).then(|| (A.parse().unwrap(), ms(i % 50))));
        }
        assert_eq!(h.recent.len(), RECENT_KEPT);
        assert_eq!(h.responders.len(), 1);
        assert_eq!(h.sent, 100_000);
        assert_eq!((h.best, h.worst), (Some(ms(0)), Some(ms(49))));
    }
}
