//! The Strategy trait, and the part of every strategy that is the same:
//! IP headers, ICMP errors and their quotes, and the routing of a captured
//! packet to the right check.
//!
//! Must not depend on the probe kinds (tcp, udp, icmp): they depend on it,
//! and the crate root picks among them.

use crate::fields::Fields;
use crate::flow::Flow;
use crate::probe::{
    Classification, IcmpCode, MplsStack, NamedInterface, NotOurs, ProbeKey, ProbeSpec, Protocol,
    Reply, ReplyKind, SeenProbe, Session, Unreachable,
};
use crate::wire::{checksum, icmp, proto, IcmpView, IpHeader, IpView, Quoting};
use std::fmt;
use std::marker::PhantomData;

/// Builds the probes of one kind for a session and recognises their answers.
pub trait Strategy: Send + Sync + fmt::Debug {
    fn protocol(&self) -> Protocol;

    fn session(&self) -> &Session;

    /// The whole IP packet of one probe, checksums included.
    fn build_probe(&self, spec: &ProbeSpec) -> Vec<u8>;

    /// A BPF expression matching this strategy's answers and its own
    /// outgoing probes (so that recordings hold both).
    fn filter(&self) -> String;

    /// What one captured IP packet (no link-layer header) is to this session.
    fn classify(&self, packet: &[u8]) -> Classification;
}

/// Which probe a packet is or answers: its key, destination port (0 for
/// ICMP) and flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ident {
    pub key: ProbeKey,
    pub dst_port: u16,
    pub flow: Flow,
    /// Another key the packet may be for, when the places that carry the
    /// key disagree (a middlebox rewrote one of them).
    pub also: Option<ProbeKey>,
}

/// What differs between TCP, UDP and ICMP probes.
pub(crate) trait ProbeFormat: Send + Sync + 'static {
    const PROTOCOL: Protocol;

    /// The upper-layer protocol number of the probes.
    fn ip_protocol(v6: bool) -> u8;

    /// The upper-layer bytes of a probe, checksum included.
    fn build_l4(session: &Session, spec: &ProbeSpec) -> Vec<u8>;

    /// The identity of an outgoing probe (a whole segment).
    fn outgoing(session: &Session, l4: &[u8]) -> Result<Ident, NotOurs>;

    /// The identity of a probe from its quote in an ICMP error (the IP
    /// header and at least 8 bytes after it).
    fn quoted(session: &Session, quote: &IpView) -> Result<Ident, NotOurs>;

    /// A direct answer from the destination: SYN-ACK, RST, echo reply.
    fn direct(session: &Session, ip: &IpView) -> Result<(Ident, ReplyKind), NotOurs>;

    /// BPF for outgoing probes and direct answers (ICMP errors are added).
    fn filter(session: &Session) -> String;
}

pub(crate) struct Prober<F> {
    session: Session,
    format: PhantomData<F>,
}

impl<F> Prober<F> {
    pub(crate) fn new(session: Session) -> Self {
        Prober {
            session,
            format: PhantomData,
        }
    }
}

impl<F> fmt::Debug for Prober<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prober")
            .field("session", &self.session)
            .finish()
    }
}

impl<F: ProbeFormat> Strategy for Prober<F> {
    fn protocol(&self) -> Protocol {
        F::PROTOCOL
    }

    fn session(&self) -> &Session {
        &self.session
    }

    fn build_probe(&self, spec: &ProbeSpec) -> Vec<u8> {
        let l4 = F::build_l4(&self.session, spec);
        let protocol = F::ip_protocol(self.session.is_v6());
        ip_packet(&self.session, spec, protocol, &l4)
    }

    fn filter(&self) -> String {
        let icmp = if self.session.is_v6() {
            "icmp6"
        } else {
            "icmp"
        };
        format!(
            "({}) or ({icmp} and dst host {})",
            F::filter(&self.session),
            self.session.src()
        )
    }

    fn classify(&self, packet: &[u8]) -> Classification {
        match classify::<F>(&self.session, packet) {
            Ok(c) => c,
            Err(reason) => Classification::NotOurs(reason),
        }
    }
}

fn classify<F: ProbeFormat>(s: &Session, packet: &[u8]) -> Result<Classification, NotOurs> {
    let ip = IpView::parse(packet, Quoting::Whole)?;
    if ip.is_v6() != s.is_v6() {
        return Err(NotOurs::OtherFamily);
    }
    let protocol = F::ip_protocol(s.is_v6());
    if ip.src == s.src() && ip.dst == s.dst() && ip.protocol == protocol {
        match F::outgoing(s, ip.payload) {
            Ok(id) => {
                return Ok(Classification::Probe(SeenProbe {
                    key: id.key,
                    ttl: ip.ttl,
                    dst_port: id.dst_port,
                    flow: id.flow,
                    size: ip.total_len.min(usize::from(u16::MAX)) as u16,
                }))
            }
            // Tracing this host's own address, answers go the same way
            // as probes: read it as an answer.
            Err(NotOurs::NotAProbe) if s.src() == s.dst() => {}
            Err(e) => return Err(e),
        }
    }
    if ip.dst != s.src() {
        return Err(NotOurs::OtherHosts);
    }
    let mut icmp = None;
    if ip.protocol == ip.icmp_protocol() {
        let message = IcmpView::parse(ip.payload)?;
        if let Some(kind) = error_kind(s.is_v6(), &message) {
            return quoted_reply::<F>(s, &ip, &message, kind).map(Classification::Reply);
        }
        if ip.protocol != protocol {
            return Err(NotOurs::OtherMessage {
                icmp_type: message.icmp_type,
            });
        }
        icmp = Some(IcmpCode {
            icmp_type: message.icmp_type,
            code: message.code,
        });
    } else if ip.protocol != protocol {
        return Err(NotOurs::OtherProtocol);
    }
    let (id, kind) = F::direct(s, &ip)?;
    Ok(Classification::Reply(Reply {
        key: id.key,
        also: id.also,
        dst_port: id.dst_port,
        flow: id.flow,
        from: ip.src,
        kind,
        icmp,
        ttl: ip.ttl,
        quoted_ttl: None,
        quote: None,
        mpls: MplsStack::default(),
        interface: None,
        ignored: None,
    }))
}

fn quoted_reply<F: ProbeFormat>(
    s: &Session,
    ip: &IpView,
    message: &IcmpView,
    kind: ReplyKind,
) -> Result<Reply, NotOurs> {
    let quoted = IpView::parse(message.body, Quoting::Quoted)?;
    // A quote of a probe whose source a NAT rewrote (and did not write
    // back, as RFC 5508 asks) is still ours when its identity says so:
    // the answer came to us, about our destination.
    if quoted.dst != s.dst() || ip.dst != s.src() {
        return Err(NotOurs::OtherHosts);
    }
    if quoted.protocol != F::ip_protocol(s.is_v6()) {
        return Err(NotOurs::OtherProtocol);
    }
    let id = with_ip_ident::<F>(s, &quoted, F::quoted(s, &quoted))?;
    // A structure whose checksum is wrong says nothing.
    let extensions = || {
        message
            .extensions(s.is_v6())
            .filter(|e| e.checksum_ok)
            .into_iter()
            .flat_map(|e| e.objects())
    };
    // Only the target's port unreachable says its port is closed; from
    // any other hop (or for probes without ports) it is a reject.
    let kind = match kind {
        ReplyKind::PortUnreachable if ip.src != s.dst() || !F::PROTOCOL.has_port() => {
            ReplyKind::Unreachable(Unreachable::Port)
        }
        other => other,
    };
    Ok(Reply {
        key: id.key,
        also: id.also,
        dst_port: id.dst_port,
        flow: id.flow,
        from: ip.src,
        kind,
        icmp: Some(IcmpCode {
            icmp_type: message.icmp_type,
            code: message.code,
        }),
        ttl: ip.ttl,
        quoted_ttl: Some(quoted.ttl),
        quote: Fields::of(message.quote(s.is_v6()), Quoting::Quoted),
        mpls: MplsStack::new(extensions().filter_map(|o| o.mpls()).flatten()),
        interface: extensions()
            .find_map(|o| o.interface())
            .map(|i| NamedInterface::new(&i)),
        ignored: message.extension_problem(s.is_v6()),
    })
}

/// The IPv4 identification as another place for the key, for every kind:
/// a NAT may rewrite the field that carries it (a TCP sequence number, an
/// echo sequence, the UDP checksum) and leave this one. When both read and
/// differ, the identification's is the other candidate. When the kind's
/// own field no longer reads as ours, the identification's key is taken
/// only from a quote whose source a NAT translated: an untranslated quote
/// that is not ours by its own field is another run's.
fn with_ip_ident<F: ProbeFormat>(
    s: &Session,
    quote: &IpView,
    own: Result<Ident, NotOurs>,
) -> Result<Ident, NotOurs> {
    let ip_key = (!quote.is_v6())
        .then(|| crate::ident::key_of_ip_ident(s.instance(), quote.ident))
        .flatten();
    match (own, ip_key) {
        (Ok(id), Some(k)) if id.also.is_none() && k != id.key => Ok(Ident {
            also: Some(k),
            ..id
        }),
        (Err(NotOurs::OtherInstance), Some(key)) if quote.src != s.src() => {
            let p = quote.payload;
            let (dst_port, flow) = match F::PROTOCOL {
                Protocol::Icmp => {
                    let m = IcmpView::parse(p)?;
                    (0, Flow::of_echo(m.echo_id(), m.echo_seq()))
                }
                _ => {
                    let ports = p.get(..4).ok_or(NotOurs::OtherInstance)?;
                    (
                        u16::from_be_bytes([ports[2], ports[3]]),
                        Flow::new(u16::from_be_bytes([ports[0], ports[1]])),
                    )
                }
            };
            Ok(Ident {
                key,
                dst_port,
                flow,
                also: None,
            })
        }
        (own, _) => own,
    }
}

/// The meaning of an ICMP error, or `None` for anything else.
pub fn error_kind(v6: bool, m: &IcmpView) -> Option<ReplyKind> {
    let mtu = u16::from_be_bytes([m.rest[2], m.rest[3]]);
    let unreachable = |u| Some(ReplyKind::Unreachable(u));
    if v6 {
        match (m.icmp_type, m.code) {
            (icmp::v6::TIME_EXCEEDED, _) => Some(ReplyKind::TimeExceeded),
            (icmp::v6::PACKET_TOO_BIG, _) => {
                let mtu = u32::from_be_bytes(m.rest).min(u32::from(u16::MAX)) as u16;
                unreachable(Unreachable::FragmentationNeeded { mtu })
            }
            (icmp::v6::DEST_UNREACHABLE, code) => match code {
                0 => unreachable(Unreachable::Network),
                1 | 5 | 6 => unreachable(Unreachable::AdminProhibited),
                2 => unreachable(Unreachable::SourceRoute),
                3 => unreachable(Unreachable::Host),
                4 => Some(ReplyKind::PortUnreachable),
                other => unreachable(Unreachable::Other(other)),
            },
            _ => None,
        }
    } else {
        match (m.icmp_type, m.code) {
            (icmp::v4::TIME_EXCEEDED, _) => Some(ReplyKind::TimeExceeded),
            (icmp::v4::DEST_UNREACHABLE, code) => match code {
                0 | 6 | 11 => unreachable(Unreachable::Network),
                1 | 7 | 12 => unreachable(Unreachable::Host),
                2 => unreachable(Unreachable::Protocol),
                3 => Some(ReplyKind::PortUnreachable),
                4 => unreachable(Unreachable::FragmentationNeeded { mtu }),
                5 => unreachable(Unreachable::SourceRoute),
                9 | 10 | 13 => unreachable(Unreachable::AdminProhibited),
                14 => unreachable(Unreachable::HostPrecedence),
                15 => unreachable(Unreachable::PrecedenceCutoff),
                other => unreachable(Unreachable::Other(other)),
            },
            _ => None,
        }
    }
}

/// An IPv4 or IPv6 packet around `l4`.
fn ip_packet(s: &Session, spec: &ProbeSpec, protocol: u8, l4: &[u8]) -> Vec<u8> {
    IpHeader {
        ident: crate::ident::ip_ident(s.instance(), spec.key),
        // The flow label follows the flow, so that routers hashing it
        // keep every probe of a flow on one path.
        flow: u32::from(spec.flow.get()),
        dont_fragment: spec.size.is_some(),
        ..IpHeader::plain(s.src(), s.dst(), protocol, spec.ttl)
    }
    .packet(l4)
}

/// The pseudo-header sum for an upper-layer checksum of `len` bytes.
pub(crate) fn pseudo_sum(s: &Session, protocol: u8, len: usize) -> u32 {
    checksum::pseudo_header(s.src(), s.dst(), protocol, len)
}

/// The ICMP protocol number of the session's family.
pub(crate) fn icmp_protocol(v6: bool) -> u8 {
    if v6 {
        proto::ICMPV6
    } else {
        proto::ICMP
    }
}
