//! ICMP and ICMPv6 echo probes. The sequence number carries the probe's
//! tag; the identifier is chosen so that identifier and sequence add up
//! to the flow, which keeps the checksum (hashed by load balancers) the
//! same for every probe of a flow.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::flow::{self, Flow};
use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{icmp_protocol, pseudo_sum, Ident, ProbeFormat};
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

fn ident(s: &Session, m: &IcmpView, want_type: u8) -> Result<Ident, NotOurs> {
    if m.icmp_type != want_type {
        return Err(NotOurs::NotAProbe);
    }
    // The first release's probes: identifier = instance, sequence = key.
    let key = if s.first_release_keys() {
        (m.echo_id() == s.instance().get())
            .then(|| ProbeKey::new(m.echo_seq()))
            .flatten()
    } else {
        flow::key_of_tag(s.instance(), m.echo_seq())
    };
    let key = key.ok_or(NotOurs::OtherInstance)?;
    Ok(Ident {
        key,
        dst_port: 0,
        flow: Flow::of_echo(m.echo_id(), m.echo_seq()),
        also: None,
    })
}

impl ProbeFormat for IcmpEcho {
    const PROTOCOL: Protocol = Protocol::Icmp;

    fn ip_protocol(v6: bool) -> u8 {
        icmp_protocol(v6)
    }

    fn build_l4(s: &Session, spec: &ProbeSpec) -> Vec<u8> {
        let (request, _) = echo_types(s.is_v6());
        let sequence = flow::tag(s.instance(), spec.key);
        let [id_hi, id_lo] = spec.flow.echo_identifier(sequence).to_be_bytes();
        let [seq_hi, seq_lo] = sequence.to_be_bytes();
        let mut body = PAYLOAD.to_vec();
        body.resize(
            PAYLOAD.len() + spec.padding(s.is_v6(), 8 + PAYLOAD.len()),
            0,
        );
        IcmpMessage {
            icmp_type: request,
            code: 0,
            rest: [id_hi, id_lo, seq_hi, seq_lo],
            body: &body,
        }
        .emit(|len| {
            if s.is_v6() {
                pseudo_sum(s, icmp_protocol(true), len)
            } else {
                0
            }
        })
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<Ident, NotOurs> {
        let (request, _) = echo_types(s.is_v6());
        ident(s, &IcmpView::parse(l4)?, request)
    }

    fn quoted(s: &Session, quote: &IpView) -> Result<Ident, NotOurs> {
        Self::outgoing(s, quote.payload)
    }

    fn direct(s: &Session, ip: &IpView) -> Result<(Ident, ReplyKind), NotOurs> {
        let (_, reply) = echo_types(s.is_v6());
        let id = ident(s, &IcmpView::parse(ip.payload)?, reply)?;
        Ok((id, ReplyKind::EchoReply))
    }

    fn filter(s: &Session) -> String {
        let icmp = if s.is_v6() { "icmp6" } else { "icmp" };
        format!("{icmp} and src host {} and dst host {}", s.src(), s.dst())
    }
}
