//! ICMP and ICMPv6 echo probes: identifier = instance, sequence = key.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{icmp_protocol, pseudo_sum, ProbeFormat};
use crate::wire::icmp::{v4, v6};
use crate::wire::{IcmpMessage, IcmpView, IpView};

pub(crate) struct IcmpEcho;

const PAYLOAD: &[u8; 8] = b"tracetcp";

fn echo_types(v6: bool) -> (u8, u8) {
    if v6 {
        (v6::ECHO_REQUEST, v6::ECHO_REPLY)
    } else {
        (v4::ECHO_REQUEST, v4::ECHO_REPLY)
    }
}

fn key_of(s: &Session, m: &IcmpView, want_type: u8) -> Result<ProbeKey, NotOurs> {
    if m.icmp_type != want_type {
        return Err(NotOurs::NotAProbe);
    }
    if m.echo_id() != s.instance().get() {
        return Err(NotOurs::OtherInstance);
    }
    ProbeKey::new(m.echo_seq()).ok_or(NotOurs::OtherInstance)
}

impl ProbeFormat for IcmpEcho {
    const PROTOCOL: Protocol = Protocol::Icmp;

    fn ip_protocol(v6: bool) -> u8 {
        icmp_protocol(v6)
    }

    fn build_l4(s: &Session, spec: &ProbeSpec) -> Vec<u8> {
        let (request, _) = echo_types(s.is_v6());
        let [id_hi, id_lo] = s.instance().get().to_be_bytes();
        let [seq_hi, seq_lo] = spec.key.get().to_be_bytes();
        IcmpMessage {
            icmp_type: request,
            code: 0,
            rest: [id_hi, id_lo, seq_hi, seq_lo],
            body: PAYLOAD,
        }
        .emit(|len| {
            if s.is_v6() {
                pseudo_sum(s, icmp_protocol(true), len)
            } else {
                0
            }
        })
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
        Self::quoted(s, l4)
    }

    fn quoted(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
        let (request, _) = echo_types(s.is_v6());
        Ok((key_of(s, &IcmpView::parse(l4)?, request)?, 0))
    }

    fn direct(s: &Session, ip: &IpView) -> Result<(ProbeKey, u16, ReplyKind), NotOurs> {
        let (_, reply) = echo_types(s.is_v6());
        let key = key_of(s, &IcmpView::parse(ip.payload)?, reply)?;
        Ok((key, 0, ReplyKind::EchoReply))
    }

    fn filter(s: &Session) -> String {
        let icmp = if s.is_v6() { "icmp6" } else { "icmp" };
        format!("{icmp} and src host {} and dst host {}", s.src(), s.dst())
    }
}
