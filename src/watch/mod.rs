//! Watching a path over time (`--cycles`, `--watch`): rounds of traces on
//! one flow, folded into mtr's statistics per hop. The rounds prober runs
//! through the same session driver as a single trace, live and replayed.
//! Owns: the schedule, the rounds prober, the statistics. Must not depend
//! on the command line, reports or the diagnosis (they read `Summary`).

mod prober;
pub mod stats;
pub mod summary;

pub use prober::{block_for, round_instance, Rounds};
pub use stats::HopStats;
pub use summary::{RouteChange, Summary, TraceStats};

use crate::engine::Settings;
use std::time::Duration;

/// When rounds run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How many rounds; `None`: until stopped (`--watch`).
    pub cycles: Option<u64>,
    /// From the start of one round to the start of the next.
    pub interval: Duration,
}

/// The interval when none is given: mtr's.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// What a Linux router answers to one source, sustained: about one ICMP
/// error a second (after a burst of six).
pub const ROUTER_ANSWERS_PER_SECOND: f64 = 1.0;

impl Schedule {
    /// Probes a round sends to each router: one per kind and probe.
    fn per_router(kinds: usize, settings: &Settings) -> usize {
        kinds * usize::from(settings.probes_per_hop.max(1))
    }

    /// When rounds would ask a router for more answers than it gives, what
    /// to tell the user: pacing stretches the rounds (or, with -F, the
    /// limit shows as loss at every router), and the interval that fits.
    pub fn beyond_rate_limits(&self, kinds: usize, settings: &Settings) -> Option<String> {
        let per_round = Self::per_router(kinds, settings);
        let rate = per_round as f64 / self.interval.as_secs_f64();
        if rate <= ROUTER_ANSWERS_PER_SECOND {
            return None;
        }
        let fits = (per_round as f64 / ROUTER_ANSWERS_PER_SECOND).ceil();
        let effect = if settings.pacing {
            "pacing will space rounds out to stay under it"
        } else {
            "without pacing (-F), the limit shows as loss at every router"
        };
        Some(format!(
            "{per_round} probes per router every {} s is more than routers answer (Linux: about \
             1 ICMP error a second per source, after a burst of 6); {effect}. --interval {fits} \
             keeps within it.",
            self.interval.as_secs_f64()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_beyond_what_routers_answer_are_told() {
        let s = Schedule {
            cycles: Some(10),
            interval: DEFAULT_INTERVAL,
        };
        let one = Settings {
            probes_per_hop: 1,
            ..Settings::default()
        };
        assert_eq!(s.beyond_rate_limits(1, &one), None);
        let note = s.beyond_rate_limits(3, &one).unwrap();
        assert!(note.starts_with("3 probes per router every 1 s"), "{note}");
        assert!(note.ends_with("--interval 3 keeps within it."), "{note}");
        let slow = Schedule {
            interval: Duration::from_secs(3),
            ..s
        };
        assert_eq!(slow.beyond_rate_limits(3, &one), None);
    }
}
