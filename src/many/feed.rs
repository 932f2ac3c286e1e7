//! Where the targets of a run come from: one at a time as the run starts
//! them, so that a long list costs no more memory than the targets in
//! flight.
//!
//! Part of `many`: no I/O.

use crate::run::RunInfo;
use crate::trace::TraceSpec;
use std::collections::VecDeque;
use std::time::Duration;
use tracetcp_strategies::Session;

/// A target ready to start: its engine is made when it starts.
pub struct Waiting {
    pub number: usize,
    pub session: Session,
    pub specs: Vec<TraceSpec>,
    /// What its report says of the run.
    pub run: RunInfo,
}

/// Where the targets come from, one at a time as they start, so that a
/// long list costs no more memory than the targets in flight (a list
/// resolved in the background: `live/many.rs`).
pub trait Feed {
    fn next(&mut self) -> Next;
}

/// What a feed has now.
pub enum Next {
    Ready(Waiting),
    /// Nothing yet (a name being looked up): ask again soon.
    NotYet,
    /// Nothing more, ever.
    Done,
}

/// A feed of targets already known (tests, a run's first target).
impl Feed for VecDeque<Waiting> {
    fn next(&mut self) -> Next {
        self.pop_front().map_or(Next::Done, Next::Ready)
    }
}

/// How soon a feed that had nothing yet is asked again.
pub(super) const FEED_AGAIN: Duration = Duration::from_millis(10);
