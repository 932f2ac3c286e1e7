//! The vocabulary shared by strategies, the engine and the reports.
//!
//! Plain data; depends only on the wire module.

use crate::fields::Fields;
use crate::flow::Flow;
pub use crate::ident::{Instance, ProbeKey, KEY_SPAN};
use crate::wire::extension::{InterfaceInfo, MplsEntry};
use crate::wire::{ExtensionProblem, WireError};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// What kind of packet is sent as a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP SYN to the destination port.
    Tcp,
    /// A small UDP datagram to the destination port.
    Udp,
    /// ICMP (or ICMPv6) echo request.
    Icmp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        }
    }

    /// Whether probes of this kind go to a port.
    pub fn has_port(self) -> bool {
        self != Protocol::Icmp
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "icmp" | "icmp6" | "icmpv6" => Ok(Protocol::Icmp),
            other => Err(format!("unknown protocol '{other}' (use tcp, udp or icmp)")),
        }
    }
}

/// The fixed facts of one tracing session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    src: IpAddr,
    dst: IpAddr,
    instance: Instance,
    flow: Flow,
    /// Probes carry their key as the first release did (session format
    /// 1): in the source port (TCP, UDP) or the echo sequence (ICMP), the
    /// instance in the UDP checksum or the echo identifier. Only to
    /// replay its recordings.
    first_release: bool,
}

impl Session {
    /// A session whose traces keep the flow its instance picks; `None`
    /// when the two addresses are of different families.
    pub fn new(src: IpAddr, dst: IpAddr, instance: Instance) -> Option<Self> {
        (src.is_ipv6() == dst.is_ipv6()).then_some(Session {
            src,
            dst,
            instance,
            flow: Flow::ephemeral(instance),
            first_release: false,
        })
    }

    /// The same session reading probes as the first release wrote them.
    pub fn with_first_release_keys(self) -> Self {
        Session {
            first_release: true,
            ..self
        }
    }

    /// Whether probes carry their key as the first release's did.
    pub fn first_release_keys(&self) -> bool {
        self.first_release
    }

    /// The same session with its traces on `flow` (`--flow`).
    pub fn with_flow(self, flow: Flow) -> Self {
        Session { flow, ..self }
    }

    pub fn src(&self) -> IpAddr {
        self.src
    }

    pub fn dst(&self) -> IpAddr {
        self.dst
    }

    pub fn instance(&self) -> Instance {
        self.instance
    }

    /// The flow every probe of a trace keeps (unless told otherwise).
    pub fn flow(&self) -> Flow {
        self.flow
    }

    pub fn is_v6(&self) -> bool {
        self.dst.is_ipv6()
    }
}

/// One probe to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSpec {
    pub ttl: u8,
    pub key: ProbeKey,
    /// Destination port (ignored by ICMP).
    pub dst_port: u16,
    pub flow: Flow,
    /// Path MTU discovery: the IP packet's total length, reached with
    /// zero padding (TCP: data in the SYN), and don't-fragment set on
    /// IPv4. A size below the probe's own is its own; `None`: the bare
    /// probe, DF clear.
    pub size: Option<u16>,
}

impl ProbeSpec {
    /// The zero bytes to append to a transport message of `l4_len` bytes
    /// so that the IP packet has the size asked for. Zero padding adds
    /// nothing to a ones'-complement sum: the probe's checksum (and with
    /// it an ICMP probe's flow) depends on its length only.
    pub fn padding(&self, v6: bool, l4_len: usize) -> usize {
        let header = if v6 { 40 } else { 20 };
        self.size
            .map_or(0, |size| usize::from(size).saturating_sub(header + l4_len))
    }
}

/// An ICMP type and code as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpCode {
    pub icmp_type: u8,
    pub code: u8,
}

/// Why a destination-unreachable (or packet-too-big) answer was sent,
/// named as Linux traceroute flags them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    Network,
    Host,
    Protocol,
    /// Fragmentation needed (IPv4) or packet too big (IPv6), with the MTU.
    FragmentationNeeded {
        mtu: u16,
    },
    SourceRoute,
    AdminProhibited,
    HostPrecedence,
    PrecedenceCutoff,
    /// A port unreachable from a hop that is not the target: a firewall
    /// rejecting the probe (`reject with icmp port-unreachable`).
    Port,
    Other(u8),
}

impl Unreachable {
    /// The flag shown beside the time: !N !H !P !F-1400 !S !X !V !C !<code>.
    pub fn flag(self) -> String {
        match self {
            Unreachable::Network => "!N".into(),
            Unreachable::Host => "!H".into(),
            Unreachable::Protocol => "!P".into(),
            Unreachable::FragmentationNeeded { mtu } => format!("!F-{mtu}"),
            Unreachable::SourceRoute => "!S".into(),
            Unreachable::AdminProhibited => "!X".into(),
            Unreachable::HostPrecedence => "!V".into(),
            Unreachable::PrecedenceCutoff => "!C".into(),
            Unreachable::Port => "!U".into(),
            Unreachable::Other(code) => format!("!<{code}>"),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Unreachable::Network => "network unreachable",
            Unreachable::Host => "host unreachable",
            Unreachable::Protocol => "protocol unreachable",
            Unreachable::FragmentationNeeded { .. } => "fragmentation needed",
            Unreachable::SourceRoute => "source route failed",
            Unreachable::AdminProhibited => "administratively prohibited",
            Unreachable::HostPrecedence => "host precedence violation",
            Unreachable::PrecedenceCutoff => "precedence cutoff",
            Unreachable::Port => "port unreachable",
            Unreachable::Other(_) => "unreachable",
        }
    }
}

/// What an answer to a probe says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// ICMP time exceeded: a router on the way.
    TimeExceeded,
    /// ICMP destination unreachable (other than port) or packet too big.
    Unreachable(Unreachable),
    /// ICMP port unreachable: the destination has no UDP listener there.
    PortUnreachable,
    /// TCP SYN-ACK: the port is open.
    SynAck,
    /// TCP RST: the port is closed.
    Rst,
    /// ICMP echo reply.
    EchoReply,
}

impl ReplyKind {
    /// The answer comes from the destination (or something posing as it).
    pub fn is_destination(self) -> bool {
        matches!(
            self,
            ReplyKind::PortUnreachable | ReplyKind::SynAck | ReplyKind::Rst | ReplyKind::EchoReply
        )
    }

    /// No probe with a higher TTL needs to be shown after this answer.
    pub fn ends_trace(self) -> bool {
        self != ReplyKind::TimeExceeded
    }

    /// A stable name, used in JSON and the debug view.
    pub fn name(self) -> &'static str {
        match self {
            ReplyKind::TimeExceeded => "time-exceeded",
            ReplyKind::Unreachable(_) => "unreachable",
            ReplyKind::PortUnreachable => "port-unreachable",
            ReplyKind::SynAck => "syn-ack",
            ReplyKind::Rst => "rst",
            ReplyKind::EchoReply => "echo-reply",
        }
    }
}

/// One of our own probes, seen leaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenProbe {
    pub key: ProbeKey,
    pub ttl: u8,
    pub dst_port: u16,
    pub flow: Flow,
    /// Its IP total length.
    pub size: u16,
}

/// An answer to one of our probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The probe answered.
    pub key: ProbeKey,
    /// Another probe it may answer, when the quote's places for the key
    /// disagree (a middlebox rewrote one): tried when `key` is no probe.
    pub also: Option<ProbeKey>,
    /// The destination port of the probe answered (0 for ICMP).
    pub dst_port: u16,
    /// The flow of the probe answered.
    pub flow: Flow,
    /// Who answered.
    pub from: IpAddr,
    pub kind: ReplyKind,
    /// Type and code, when the answer is ICMP.
    pub icmp: Option<IcmpCode>,
    /// TTL (hop limit) of the answer as it arrived.
    pub ttl: u8,
    /// TTL left in the probe as quoted by an ICMP error.
    pub quoted_ttl: Option<u8>,
    /// The probe's fields as the ICMP error quotes them.
    pub quote: Option<Fields>,
    /// The MPLS label stack an ICMP extension (RFC 4950) reports.
    pub mpls: MplsStack,
    /// The interface an ICMP extension (RFC 5837) names, if any.
    pub interface: Option<NamedInterface>,
    /// Why the answer's ICMP extensions were ignored, if they were.
    pub ignored: Option<ExtensionProblem>,
}

/// The interface a router names in an RFC 5837 extension: its role
/// (0 incoming, 1 sub-IP of incoming, 2 outgoing, 3 next hop) and what it
/// gives of ifIndex, address, name (the first `NamedInterface::NAME` bytes)
/// and MTU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedInterface {
    pub role: u8,
    pub if_index: Option<u32>,
    pub addr: Option<IpAddr>,
    pub mtu: Option<u32>,
    name: [u8; NamedInterface::NAME],
    name_len: u8,
}

impl NamedInterface {
    pub const NAME: usize = 32;

    pub fn new(info: &InterfaceInfo) -> Self {
        let mut name = [0u8; NamedInterface::NAME];
        let given = info.name.unwrap_or_default();
        let n = given.len().min(NamedInterface::NAME);
        name[..n].copy_from_slice(&given[..n]);
        NamedInterface {
            role: info.role,
            if_index: info.if_index,
            addr: info.addr,
            mtu: info.mtu,
            name,
            name_len: n as u8,
        }
    }

    /// The name, bytes that are not UTF-8 replaced.
    pub fn name(&self) -> Option<String> {
        (self.name_len > 0)
            .then(|| String::from_utf8_lossy(&self.name[..usize::from(self.name_len)]).into_owned())
    }

    pub fn role_name(&self) -> &'static str {
        match self.role {
            0 => "incoming",
            1 => "incoming sub-IP",
            2 => "outgoing",
            _ => "next hop",
        }
    }
}

/// An MPLS label stack as a router reports it (RFC 4950), the first
/// `MplsStack::MAX` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MplsStack {
    entries: [Option<MplsEntry>; MplsStack::MAX],
}

impl MplsStack {
    pub const MAX: usize = 4;

    pub fn new(entries: impl IntoIterator<Item = MplsEntry>) -> Self {
        let mut s = MplsStack::default();
        for (slot, e) in s.entries.iter_mut().zip(entries) {
            *slot = Some(e);
        }
        s
    }

    pub fn entries(&self) -> impl Iterator<Item = MplsEntry> + '_ {
        self.entries.iter().flatten().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.entries[0].is_none()
    }
}

/// Why a captured packet is not a probe of this session or an answer to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOurs {
    Malformed(WireError),
    OtherFamily,
    /// Neither from nor to this session's addresses in the way probes and
    /// answers are.
    OtherHosts,
    OtherProtocol,
    /// An ICMP message that is neither an error nor an echo reply.
    OtherMessage {
        icmp_type: u8,
    },
    /// The right shape, but the key says another run (or no probe) sent it.
    OtherInstance,
    /// Ours in direction, but not a probe (e.g. the kernel's RST after a
    /// SYN-ACK).
    NotAProbe,
}

impl fmt::Display for NotOurs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotOurs::Malformed(e) => write!(f, "malformed: {e}"),
            NotOurs::OtherFamily => f.write_str("other address family"),
            NotOurs::OtherHosts => f.write_str("other hosts"),
            NotOurs::OtherProtocol => f.write_str("other protocol"),
            NotOurs::OtherMessage { icmp_type } => write!(f, "ICMP type {icmp_type}"),
            NotOurs::OtherInstance => f.write_str("another run's probe or answer"),
            NotOurs::NotAProbe => f.write_str("our direction, but not a probe"),
        }
    }
}

impl From<WireError> for NotOurs {
    fn from(e: WireError) -> Self {
        NotOurs::Malformed(e)
    }
}

/// What one captured IP packet is, to a strategy.
// The reply, with its sent-vs-quoted fields, is the big variant and the
// common one: boxing it would allocate for every answer.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    Probe(SeenProbe),
    Reply(Reply),
    NotOurs(NotOurs),
}
