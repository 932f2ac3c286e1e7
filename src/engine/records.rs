//! What the engine keeps of each probe and each trace, and a probe it
//! plans: the records the engine's parts share.

use crate::time::Timestamp;
use crate::trace::{Answer, TraceSpec};
use tracetcp_strategies::{Fields, Flow};

/// What became of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProbeState {
    Pending,
    Answered(Answer),
    Lost,
    /// Its trace ended below its TTL before it was answered.
    Abandoned,
    /// Sent again under a new key: another SYN of its flow reached the
    /// destination first, which leaves this one unanswered (see
    /// `supersede`).
    Superseded,
    /// A router answered that it does not fit the next link (path MTU
    /// discovery): sent again smaller, not shown in its hop.
    TooBig(Answer),
    /// Unanswered as its router's rate limit leaves probes (see
    /// `ratelimit.rs`): sent again, paced (`replaced` once seen leaving
    /// again), not shown in its hop.
    RateLimited {
        replaced: bool,
    },
}

impl ProbeState {
    /// The probe was sent again (too big, or lost to a rate limit): it
    /// counts for nothing in its hop.
    pub(super) fn sent_again(&self) -> bool {
        matches!(self, ProbeState::TooBig(_) | ProbeState::RateLimited { .. })
    }
}

/// A probe sent (live) or seen leaving (in a replay).
#[derive(Debug)]
pub(super) struct ProbeRecord {
    pub(super) trace: usize,
    pub(super) ttl: u8,
    pub(super) index: u8,
    pub(super) flow: Flow,
    /// A probe of the flow check (see `check.rs`), not of its hop.
    pub(super) check: bool,
    /// A probe of the black-hole search (see `sizes.rs`), not of its hop.
    pub(super) sizing: bool,
    /// Its IP total length, when the run sizes its probes (`--mtu`).
    pub(super) size: Option<u16>,
    /// Its fields as it left.
    pub(super) fields: Option<Fields>,
    /// When it was handed to the sender (live only).
    pub(super) requested: Option<Timestamp>,
    /// When the capture saw it leave.
    pub(super) sent: Option<Timestamp>,
    /// When, still unanswered, it is taken for a rate-limit loss (before
    /// its timeout), if it may be (see `ratelimit.rs`).
    pub(super) suspect: Option<Timestamp>,
    pub(super) state: ProbeState,
}

impl ProbeRecord {
    pub(super) fn sent_or_requested(&self) -> Timestamp {
        self.sent.or(self.requested).unwrap_or_default()
    }
}

/// One trace: its probes hop by hop, where it ends, what it reported.
#[derive(Debug)]
pub(super) struct TraceState {
    pub(super) spec: TraceSpec,
    /// Probe ids per hop, indexed by `ttl - first_ttl`.
    pub(super) hops: Vec<Vec<usize>>,
    /// The lowest TTL whose answer ends the trace.
    pub(super) end: Option<u8>,
    /// How many hops have been reported final.
    pub(super) emitted: usize,
    pub(super) done: bool,
    /// The hop whose other probes a SYN-ACK made moot (see `supersede`):
    /// final with fewer probes than asked.
    pub(super) short_hop: Option<u8>,
    /// Replay: the short hop's SYNs seen leaving after its SYN-ACK.
    pub(super) superseded_seen: usize,
    /// The hop its flow check probes (see `check.rs`), once planned.
    pub(super) check: Option<u8>,
    /// The flow check's probes.
    pub(super) checks: Vec<usize>,
    /// Path MTU discovery: the size of the hops' probes now.
    pub(super) size: u16,
    /// The black-hole search's probes, and its TTL once planned.
    pub(super) sizing: Vec<usize>,
    pub(super) search: Option<u8>,
}

impl TraceState {
    /// The probes of the hop at `offset` (`ttl - first_ttl`); none for a
    /// hop no probe was sent (or recorded) at.
    pub(super) fn ids(&self, offset: usize) -> &[usize] {
        self.hops.get(offset).map_or(&[], Vec::as_slice)
    }

    /// The probes of the hop at `offset`, growing the hops to hold it:
    /// memory follows the probes, not the hops a session may probe.
    pub(super) fn ids_mut(&mut self, offset: usize) -> &mut Vec<usize> {
        if self.hops.len() <= offset {
            self.hops.resize_with(offset + 1, Vec::new);
        }
        &mut self.hops[offset]
    }

    /// The highest TTL any probe went to, if any did.
    pub(super) fn probed_until(&self, first_ttl: u8) -> Option<u8> {
        (!self.hops.is_empty()).then(|| first_ttl + (self.hops.len() - 1) as u8)
    }
}

/// A probe planned for a hop, not sent yet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Planned {
    pub(super) trace: usize,
    pub(super) index: u8,
    /// The flow multipath discovery (or a flow check) asked for.
    pub(super) flow: Option<Flow>,
    /// A probe of the flow check.
    pub(super) check: bool,
    /// Its size (`Some(0)`: the bare probe, DF set); `None`: the trace's
    /// size now.
    pub(super) size: Option<u16>,
    /// A probe of the black-hole search.
    pub(super) sizing: bool,
    /// A hop probe sent again (see `Planned::again`).
    pub(super) again: bool,
}

impl Planned {
    /// Probe `index` of `trace`'s hop, sent again (smaller, or paced) at
    /// the trace's size now.
    pub(super) fn again(trace: usize, index: u8) -> Self {
        Planned {
            trace,
            index,
            flow: None,
            check: false,
            size: None,
            sizing: false,
            again: true,
        }
    }
}
