//! What a packet of any capture is, for rebuilding traceroutes that
//! another tool (or tracetcp without -w) sent: a probe (an outgoing TCP
//! SYN, UDP datagram or ICMP echo request, with its TTL), an answer to one
//! (an ICMP error quoting it, a SYN-ACK or RST to its SYN, an echo reply),
//! or neither. Probes and answers meet through `ProbeId`: the fields a
//! probe carries and an answer gives back. Pure: checked wire views only.

use std::net::IpAddr;
use tracetcp_strategies::wire::icmp::{v4, v6};
use tracetcp_strategies::wire::{proto, IcmpView, IpView, Quoting, TcpView, UdpView};
use tracetcp_strategies::{error_kind, IcmpCode, MplsStack, Protocol, ReplyKind, Unreachable};

/// What ties an answer to its probe: addresses, kind and the fields every
/// answer echoes (TCP: ports and sequence; UDP: ports and checksum; ICMP:
/// identifier and sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProbeId {
    pub protocol: Protocol,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Source port, or the echo identifier.
    pub a: u16,
    /// Destination port, or the echo sequence.
    pub b: u16,
    /// TCP sequence number, or the UDP checksum; 0 for ICMP.
    pub c: u32,
}

impl ProbeId {
    /// The destination port (0 for ICMP).
    pub fn port(&self) -> u16 {
        match self.protocol {
            Protocol::Icmp => 0,
            _ => self.b,
        }
    }
}

/// A probe seen leaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub id: ProbeId,
    pub ttl: u8,
    /// Its IPv4 identification (0 for IPv6): tells apart probes whose
    /// other fields repeat (tcptraceroute keeps ports and sequence).
    pub ident: u16,
    /// What a load balancer hashes besides addresses and ports: the ICMP
    /// checksum of an echo request (Paris traceroute keeps it), else 0.
    pub hashed: u16,
}

/// An answer, and the probe it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub id: ProbeId,
    pub from: IpAddr,
    pub kind: ReplyKind,
    pub icmp: Option<IcmpCode>,
    pub reply_ttl: u8,
    /// The probe's TTL left when the router quoted it.
    pub quoted_ttl: Option<u8>,
    /// The quoted probe's IPv4 identification, when quoted (not 0).
    pub quoted_ident: Option<u16>,
    /// The MPLS label stack the router reported (RFC 4950), in either
    /// extension layout.
    pub mpls: MplsStack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Probe(Probe),
    Answer(Answer),
    Other,
}

/// The fields of a packet as sent (whole, or quoted in an ICMP error).
fn id_of(ip: &IpView, quoted: bool) -> Option<(ProbeId, Option<u8>)> {
    let (protocol, a, b, c, flags) = match ip.protocol {
        proto::TCP => {
            let t = match quoted {
                true => TcpView::parse_quoted(ip.payload).ok()?,
                false => TcpView::parse(ip.payload).ok()?,
            };
            (Protocol::Tcp, t.src_port, t.dst_port, t.seq, t.flags)
        }
        proto::UDP => {
            let u = UdpView::parse(ip.payload).ok()?;
            (
                Protocol::Udp,
                u.src_port,
                u.dst_port,
                u32::from(u.checksum),
                None,
            )
        }
        proto::ICMP | proto::ICMPV6 => {
            let m = IcmpView::parse(ip.payload).ok()?;
            let request = if ip.is_v6() {
                v6::ECHO_REQUEST
            } else {
                v4::ECHO_REQUEST
            };
            if m.icmp_type != request {
                return None;
            }
            (Protocol::Icmp, m.echo_id(), m.echo_seq(), 0, None)
        }
        _ => return None,
    };
    // A TCP probe is a SYN alone.
    if flags.is_some_and(|f| !f.has(0x02) || f.has(0x10)) {
        return None;
    }
    let id = ProbeId {
        protocol,
        src: ip.src,
        dst: ip.dst,
        a,
        b,
        c,
    };
    Some((id, Some(ip.ttl)))
}

/// What `packet` (an IP packet) is.
pub fn classify(packet: &[u8]) -> Seen {
    let Ok(ip) = IpView::parse(packet, Quoting::Whole) else {
        return Seen::Other;
    };
    let v6 = ip.is_v6();
    match ip.protocol {
        proto::ICMP | proto::ICMPV6 => icmp(&ip, v6),
        proto::TCP => tcp(&ip),
        _ => probe(&ip),
    }
}

fn probe(ip: &IpView) -> Seen {
    // A fragment after the first has no header to read: the probe is its
    // first fragment (which quotes give back).
    if ip.later_fragment {
        return Seen::Other;
    }
    match id_of(ip, false) {
        Some((id, _)) => Seen::Probe(Probe {
            id,
            ttl: ip.ttl,
            ident: ip.ident,
            hashed: match id.protocol {
                Protocol::Icmp => IcmpView::parse(ip.payload).map_or(0, |m| m.checksum),
                _ => 0,
            },
        }),
        None => Seen::Other,
    }
}

fn tcp(ip: &IpView) -> Seen {
    let Ok(t) = TcpView::parse(ip.payload) else {
        return Seen::Other;
    };
    let (Some(flags), Some(ack)) = (t.flags, t.ack) else {
        return Seen::Other;
    };
    // A SYN-ACK or an RST(-ACK) answers the SYN whose sequence it acks.
    let kind = match (flags.has(0x02), flags.has(0x04), flags.has(0x10)) {
        (true, false, true) => ReplyKind::SynAck,
        (false, true, true) => ReplyKind::Rst,
        _ => return probe(ip),
    };
    Seen::Answer(Answer {
        id: ProbeId {
            protocol: Protocol::Tcp,
            src: ip.dst,
            dst: ip.src,
            a: t.dst_port,
            b: t.src_port,
            c: ack.wrapping_sub(1),
        },
        from: ip.src,
        kind,
        icmp: None,
        reply_ttl: ip.ttl,
        quoted_ttl: None,
        quoted_ident: None,
        mpls: MplsStack::default(),
    })
}

fn icmp(ip: &IpView, v6: bool) -> Seen {
    let Ok(m) = IcmpView::parse(ip.payload) else {
        return Seen::Other;
    };
    let reply = if v6 { v6::ECHO_REPLY } else { v4::ECHO_REPLY };
    if m.icmp_type == reply {
        return Seen::Answer(Answer {
            id: ProbeId {
                protocol: Protocol::Icmp,
                src: ip.dst,
                dst: ip.src,
                a: m.echo_id(),
                b: m.echo_seq(),
                c: 0,
            },
            from: ip.src,
            kind: ReplyKind::EchoReply,
            icmp: None,
            reply_ttl: ip.ttl,
            quoted_ttl: None,
            quoted_ident: None,
            mpls: MplsStack::default(),
        });
    }
    let Some(mut kind) = error_kind(v6, &m) else {
        return probe(ip);
    };
    let Ok(inner) = IpView::parse(m.quote(v6), Quoting::Quoted) else {
        return Seen::Other;
    };
    let Some((id, quoted_ttl)) = id_of(&inner, true) else {
        return Seen::Other;
    };
    // A port unreachable from anyone but the destination is a firewall's.
    if kind == ReplyKind::PortUnreachable && ip.src != id.dst {
        kind = ReplyKind::Unreachable(Unreachable::Port);
    }
    Seen::Answer(Answer {
        id,
        from: ip.src,
        kind,
        icmp: Some(IcmpCode {
            icmp_type: m.icmp_type,
            code: m.code,
        }),
        reply_ttl: ip.ttl,
        quoted_ttl,
        quoted_ident: (inner.ident != 0).then_some(inner.ident),
        mpls: MplsStack::new(
            m.extensions(v6)
                .filter(|e| e.checksum_ok)
                .into_iter()
                .flat_map(|e| e.objects())
                .filter_map(|o| o.mpls())
                .flatten(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracetcp_strategies::{answer, strategy_for, Flow, Instance, ProbeKey, ProbeSpec, Session};

    fn probe_of(protocol: Protocol, dst: &str) -> Vec<u8> {
        let src = if dst.contains(':') {
            "2001:db8::1"
        } else {
            "198.18.0.1"
        };
        let s = Session::new(
            src.parse().unwrap(),
            dst.parse().unwrap(),
            Instance::new(7).unwrap(),
        )
        .unwrap();
        strategy_for(protocol, s).build_probe(&ProbeSpec {
            ttl: 3,
            key: ProbeKey::new(5).unwrap(),
            dst_port: 443,
            flow: Flow::new(40000),
            size: None,
        })
    }

    #[test]
    fn every_kind_of_probe_meets_its_answers() {
        for (protocol, dst) in [
            (Protocol::Tcp, "198.18.9.2"),
            (Protocol::Udp, "198.18.9.2"),
            (Protocol::Icmp, "198.18.9.2"),
            (Protocol::Tcp, "2001:db8:9::2"),
            (Protocol::Udp, "2001:db8:9::2"),
            (Protocol::Icmp, "2001:db8:9::2"),
        ] {
            let p = probe_of(protocol, dst);
            let Seen::Probe(seen) = classify(&p) else {
                panic!("{protocol:?} {dst}: not a probe");
            };
            assert_eq!((seen.ttl, seen.id.protocol), (3, protocol));
            let router: IpAddr = if dst.contains(':') {
                "2001:db8:1::2"
            } else {
                "198.18.1.2"
            }
            .parse()
            .unwrap();
            let te = answer::time_exceeded(router, &p, 64).unwrap();
            let Seen::Answer(a) = classify(&te) else {
                panic!("{protocol:?} {dst}: time exceeded not an answer");
            };
            assert_eq!(
                (a.id, a.from, a.kind),
                (seen.id, router, ReplyKind::TimeExceeded)
            );
            let direct = match protocol {
                Protocol::Tcp => answer::tcp_answer(&p, 0x02),
                Protocol::Udp => {
                    let port_unreachable = if dst.contains(':') { 4 } else { 3 };
                    answer::unreachable(dst.parse().unwrap(), &p, port_unreachable)
                }
                Protocol::Icmp => answer::echo_reply(&p),
            }
            .unwrap();
            let Seen::Answer(d) = classify(&direct) else {
                panic!("{protocol:?} {dst}: the destination's answer");
            };
            assert_eq!(d.id, seen.id, "{protocol:?} {dst}");
            assert!(d.kind.is_destination(), "{protocol:?} {dst}: {:?}", d.kind);
        }
    }

    #[test]
    fn other_packets_are_neither_and_never_panic() {
        assert_eq!(classify(&[]), Seen::Other);
        assert_eq!(classify(&[0x45; 19]), Seen::Other);
        let p = probe_of(Protocol::Tcp, "198.18.9.2");
        for len in 0..p.len() {
            let _ = classify(&p[..len]);
        }
        // A SYN-ACK is an answer, never a probe; an ACK is neither.
        let synack = answer::tcp_answer(&p, 0x02).unwrap();
        assert!(matches!(classify(&synack), Seen::Answer(_)));
    }
}
