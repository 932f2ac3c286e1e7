//! The trace model: what a trace asks for (TraceSpec) and what it found,
//! hop by hop (answers, hop and trace results). Plain data shared by the
//! engine, the reports and the diagnosis; it depends on none of them.

use crate::time::Timestamp;
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::{Fields, Flow, IcmpCode, MplsStack, Protocol, ReplyKind, Unreachable};

/// One trace of a run: a probe kind and, for TCP and UDP, a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceSpec {
    pub protocol: Protocol,
    /// Destination port; 0 for ICMP.
    pub port: u16,
}

impl TraceSpec {
    pub fn new(protocol: Protocol, port: u16) -> Self {
        let port = if protocol.has_port() { port } else { 0 };
        TraceSpec { protocol, port }
    }

    /// The trace's name: "tcp:80", "udp:33434", "icmp".
    pub fn name(&self) -> String {
        if self.protocol.has_port() {
            format!("{}:{}", self.protocol, self.port)
        } else {
            self.protocol.to_string()
        }
    }
}

/// An answer as it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub at: Timestamp,
    pub from: IpAddr,
    pub kind: ReplyKind,
    pub icmp: Option<IcmpCode>,
    /// TTL of the answer as it arrived; 0 when it is not known (an
    /// answer rebuilt from what the kernel said: see `sockets/`).
    pub reply_ttl: u8,
    /// TTL left in our probe, as the ICMP error quoted it.
    pub quoted_ttl: Option<u8>,
    /// Our probe's fields as the ICMP error quoted them.
    pub quote: Option<Fields>,
    /// The MPLS label stack the router reported (RFC 4950), if any.
    pub mpls: MplsStack,
}

impl Answer {
    /// The TTL the answer arrived with, if known.
    pub fn arrived_ttl(&self) -> Option<u8> {
        (self.reply_ttl != 0).then_some(self.reply_ttl)
    }
}

// Most probes are answered; boxing the answer would allocate for each.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered { answer: Answer, rtt: Duration },
    Lost,
}

/// One probe of a hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeResult {
    /// 0-based position of the probe within its hop.
    pub index: u8,
    /// When it was seen leaving (or, failing that, handed to the sender).
    pub sent: Timestamp,
    /// The flow it took.
    pub flow: Flow,
    /// Its fields as it left (to compare with the quotes of it).
    pub fields: Option<Fields>,
    /// Its IP total length, when the run sized its probes (`--mtu`).
    pub size: Option<u16>,
    pub outcome: Outcome,
}

impl ProbeResult {
    pub fn answer(&self) -> Option<(&Answer, Duration)> {
        match &self.outcome {
            Outcome::Answered { answer, rtt } => Some((answer, *rtt)),
            Outcome::Lost => None,
        }
    }
}

/// Every probe sent with one TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopResult {
    pub ttl: u8,
    pub probes: Vec<ProbeResult>,
}

impl HopResult {
    /// Each distinct address that answered, in the order of the probes,
    /// with the probes it answered.
    pub fn responders(&self) -> Vec<(IpAddr, Vec<&ProbeResult>)> {
        let mut out: Vec<(IpAddr, Vec<&ProbeResult>)> = Vec::new();
        for p in &self.probes {
            if let Some((a, _)) = p.answer() {
                match out.iter_mut().find(|(addr, _)| *addr == a.from) {
                    Some((_, list)) => list.push(p),
                    None => out.push((a.from, vec![p])),
                }
            }
        }
        out
    }

    /// The address that answered first, if any did.
    pub fn first_responder(&self) -> Option<IpAddr> {
        self.probes
            .iter()
            .find_map(|p| p.answer().map(|(a, _)| a.from))
    }

    /// Every distinct address that answered.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.responders().into_iter().map(|(a, _)| a).collect()
    }

    /// The first probe the destination answered, if any.
    pub fn destination(&self) -> Option<(&Answer, Duration)> {
        self.probes
            .iter()
            .filter_map(ProbeResult::answer)
            .find(|(a, _)| a.kind.is_destination())
    }

    pub fn all_lost(&self) -> bool {
        self.probes.iter().all(|p| p.answer().is_none())
    }

    pub fn lost(&self) -> usize {
        self.probes.iter().filter(|p| p.answer().is_none()).count()
    }
}

/// Why a trace ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceEnd {
    /// The destination (or something answering for it) answered at `ttl`.
    Reached {
        ttl: u8,
        kind: ReplyKind,
        from: IpAddr,
    },
    /// A router at `ttl` answered destination unreachable.
    Unreachable {
        ttl: u8,
        reason: Unreachable,
        from: IpAddr,
    },
    /// Every TTL up to the maximum was probed without reaching it.
    MaxHops,
    /// Stopped before it could finish (Ctrl-C).
    Interrupted,
}

/// One trace: its probe kind, hops in TTL order, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceResult {
    pub spec: TraceSpec,
    pub hops: Vec<HopResult>,
    pub end: TraceEnd,
    /// When the trace went silent where another kind of the run got
    /// further along a path that had diverged from its own: probes of
    /// its port on other flows, at the hop the other got an answer from
    /// (is the stop the port, or only the path its flow hashes to?).
    pub check: Option<HopResult>,
    /// What path MTU discovery (`--mtu`) sent besides the hops' probes.
    pub mtu: Option<MtuProbes>,
    /// Hops not probed but taken from another target's trace (a run with
    /// many targets, stop sets: `many/stopset.rs`).
    pub learned: Option<Learned>,
}

/// Hops 1 to `hops` of a trace are another trace's: the router at the
/// next hop was seen there by the trace to `from`, so the path to it was
/// not probed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learned {
    pub hops: u8,
    pub from: IpAddr,
}

/// The probes of a path MTU discovery that are not a hop's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MtuProbes {
    /// The size the probes started at (the interface MTU).
    pub start: u16,
    /// Probes a router answered "fragmentation needed" or "packet too
    /// big" (sent again smaller), with their TTL.
    pub too_big: Vec<(u8, ProbeResult)>,
    /// The black-hole search's probes, all at one TTL, if one ran.
    pub search: Option<HopResult>,
}

impl TraceResult {
    /// A trace with no flow check and no path MTU probes besides its hops.
    pub fn new(spec: TraceSpec, hops: Vec<HopResult>, end: TraceEnd) -> Self {
        TraceResult {
            spec,
            hops,
            end,
            check: None,
            mtu: None,
            learned: None,
        }
    }

    /// The highest hop that answered, and who answered it first.
    pub fn last_answer(&self) -> Option<(u8, IpAddr)> {
        self.hops
            .iter()
            .rev()
            .find_map(|h| h.first_responder().map(|a| (h.ttl, a)))
    }
}

/// Results built by hand, for tests of what reads them.
#[cfg(test)]
pub mod testing {
    use super::*;

    pub const T0: u64 = 1_700_000_000_000_000_000;

    pub fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub fn answered(index: u8, from: &str, rtt_us: u64, kind: ReplyKind) -> ProbeResult {
        let sent = Timestamp::from_nanos(T0);
        let rtt = Duration::from_micros(rtt_us);
        ProbeResult {
            index,
            sent,
            flow: Flow::new(45123),
            fields: None,
            size: None,
            outcome: Outcome::Answered {
                answer: Answer {
                    at: sent.after(rtt),
                    from: ip(from),
                    kind,
                    icmp: Some(IcmpCode {
                        icmp_type: 11,
                        code: 0,
                    }),
                    reply_ttl: 250,
                    quoted_ttl: Some(1),
                    quote: None,
                    mpls: MplsStack::default(),
                },
                rtt,
            },
        }
    }

    /// The fields of a TCP SYN probe to 198.18.9.2:80, as it left.
    pub fn syn_fields() -> Fields {
        use tracetcp_strategies::{strategy_for, Instance, ProbeKey, ProbeSpec, Session};
        let s = Session::new(
            ip("198.18.0.1"),
            ip("198.18.9.2"),
            Instance::new(0x4242).unwrap(),
        );
        let probe = strategy_for(Protocol::Tcp, s.unwrap()).build_probe(&ProbeSpec {
            ttl: 1,
            key: ProbeKey::new(1).unwrap(),
            dst_port: 80,
            flow: Flow::new(45123),
            size: None,
        });
        Fields::of(&probe, tracetcp_strategies::wire::Quoting::Whole).unwrap()
    }

    /// `p` (answered) as having left with `sent` and been quoted as `quote`.
    pub fn quoting(mut p: ProbeResult, sent: Fields, quote: Fields) -> ProbeResult {
        p.fields = Some(sent);
        if let Outcome::Answered { answer, .. } = &mut p.outcome {
            answer.quote = Some(quote);
        }
        p
    }

    pub fn lost(index: u8) -> ProbeResult {
        ProbeResult {
            index,
            sent: Timestamp::from_nanos(T0),
            flow: Flow::new(45123),
            fields: None,
            size: None,
            outcome: Outcome::Lost,
        }
    }

    /// A hop whose probes all answered from `from`, with RTTs in ms.
    pub fn router(ttl: u8, from: &str, rtts_ms: &[u64]) -> HopResult {
        HopResult {
            ttl,
            probes: rtts_ms
                .iter()
                .enumerate()
                .map(|(i, ms)| answered(i as u8, from, ms * 1000, ReplyKind::TimeExceeded))
                .collect(),
        }
    }

    pub fn silent(ttl: u8, n: u8) -> HopResult {
        HopResult {
            ttl,
            probes: (0..n).map(lost).collect(),
        }
    }
}
