//! What the engine says to its driver: probes to send, events, and the
//! verdict on each packet (the debug view). Plain data.

use std::fmt;
use std::net::IpAddr;
use tracetcp_strategies::{Fields, NotOurs, Reply};

/// A probe to put on the wire now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub trace: usize,
    pub ttl: u8,
    pub index: u8,
    pub destination: IpAddr,
    /// The whole IP packet.
    pub packet: Vec<u8>,
}

/// Something the caller may want to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// This hop and all before it in its trace are final.
    Hop { trace: usize, ttl: u8 },
    /// This trace shows nothing more.
    TraceDone { trace: usize },
}

/// What the engine made of one captured packet (the debug view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// One verdict lives at a time, per packet, on the stack: an answer's
// reply is large (quote fields, MPLS stack, interface), boxing it would
// allocate for every answer.
#[allow(clippy::large_enum_variant)]
pub enum Verdict {
    Probe {
        trace: usize,
        ttl: u8,
        index: u8,
        /// It replaces a probe its router left unanswered as a rate limit
        /// leaves probes (adaptive pacing).
        again: bool,
    },
    Answer {
        trace: usize,
        ttl: u8,
        index: u8,
        reply: Reply,
        /// The probe's fields as it left, to compare with the quote.
        sent: Option<Fields>,
    },
    Ignored(Ignored),
    /// A captured frame without an IP packet in it.
    NotIp,
}

/// Why a packet changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    NotOurs(NotOurs),
    /// Our key, but no probe of ours carries it now.
    UnknownProbe,
    /// A probe or port no trace of this run has.
    NoSuchTrace,
    /// The probe was already answered.
    Duplicate,
    /// The answer came after the probe's timeout.
    Late,
    /// The probe's trace had already ended below its TTL.
    BeyondEnd,
    /// The probe was dropped from its hop: another SYN of its flow reached
    /// the destination first, and the server answers the rest of the
    /// 4-tuple's SYNs with a bare ACK or not at all.
    Superseded,
    /// The same bytes were captured within the last millisecond (a
    /// capture on "any", a duplicating tap): counted once.
    DuplicatePacket,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ignored::NotOurs(why) => write!(f, "not ours: {why}"),
            Ignored::UnknownProbe => f.write_str("no probe of ours has this key now"),
            Ignored::NoSuchTrace => f.write_str("no trace of this run sends such probes"),
            Ignored::Duplicate => f.write_str("duplicate: probe already answered"),
            Ignored::Late => f.write_str("late: after the probe's timeout"),
            Ignored::BeyondEnd => f.write_str("beyond the end of its trace"),
            Ignored::Superseded => f.write_str("superseded: another SYN of its flow reached the destination first; its probe was dropped"),
            Ignored::DuplicatePacket => {
                f.write_str("the same packet again within 1 ms (captured twice): counted once")
            }
        }
    }
}
