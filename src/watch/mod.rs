//! Watching a path over time (`--cycles`, `--watch`): rounds of traces on
//! one flow, folded into mtr's statistics per hop. The rounds prober runs
//! through the same session driver as a single trace, live and replayed.
//! Owns: the schedule, the rounds prober, the statistics. Must not depend
//! on the command line, reports or the diagnosis (they read `Summary`).

mod prober;
pub mod stats;
pub mod summary;

pub use prober::{round_instance, Rounds};
pub use stats::HopStats;
pub use summary::{RouteChange, Summary, TraceStats};

use std::time::Duration;

/// When rounds run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How many rounds; `None`: until stopped (`--watch`).
    pub cycles: Option<u64>,
    /// From the start of one round to the start of the next.
    pub interval: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            cycles: Some(10),
            interval: Duration::from_secs(1),
        }
    }
}
