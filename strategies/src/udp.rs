//! UDP probes. The flow is the source port. The key travels in three
//! places an ICMP error quotes back, none of them hashed by load
//! balancers: the UDP checksum itself, made so by two adjustment bytes of
//! payload (Paris traceroute's way); the IPv4 identification; and a marker
//! in the payload naming the run and the probe. A NAT that rewrites the
//! checksum (translating the source) and does not restore it in the
//! quote leaves the others: the answer is matched by whichever survived.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::flow::{self, Flow};
use crate::ident::{self, ProbeKey};
use crate::probe::{NotOurs, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, Ident, ProbeFormat};
use crate::wire::{checksum, proto, IpView, UdpHeader, UdpView};

pub(crate) struct UdpDatagram;

/// Payload: two adjustment bytes, then the marker.
const MARKER_AT: usize = 2;
const DATA_LEN: usize = MARKER_AT + 4;

/// The probe's key from the places that carry it. The marker, when
/// quoted, is the run's own and decides. Otherwise the checksum's key and
/// the IPv4 identification's: one when they agree or only one reads as
/// ours; when they disagree, the checksum's first (recordings made before
/// the identification carried the key) and the other as `also`.
fn key_of(s: &Session, udp: &UdpView, ip_ident: Option<u16>) -> Result<Ident, NotOurs> {
    if s.first_release_keys() {
        return first_release_key(s, udp);
    }
    let data = udp.payload.get(MARKER_AT..).unwrap_or_default();
    let marked = ident::key_of_marker(s.instance(), data);
    let summed = flow::key_of_tag(s.instance(), udp.checksum);
    let identified = ip_ident.and_then(|id| ident::key_of_ip_ident(s.instance(), id));
    let (key, also): (ProbeKey, Option<ProbeKey>) = match (marked, summed, identified) {
        (Some(k), _, _) => (k, None),
        (None, Some(a), Some(b)) if a == b => (a, None),
        (None, Some(a), b) => (a, b),
        (None, None, Some(b)) => (b, None),
        (None, None, None) => return Err(NotOurs::OtherInstance),
    };
    Ok(Ident {
        key,
        dst_port: udp.dst_port,
        flow: Flow::new(udp.src_port),
        also,
    })
}

/// The first release's probes (session format 1): the key in the source
/// port (`Flow::per_probe`), the instance as the checksum.
fn first_release_key(s: &Session, udp: &UdpView) -> Result<Ident, NotOurs> {
    let key = flow::key_of_per_probe(s.instance(), udp.src_port);
    match key {
        Some(key) if udp.checksum == s.instance().get() => Ok(Ident {
            key,
            dst_port: udp.dst_port,
            flow: Flow::new(udp.src_port),
            also: None,
        }),
        _ => Err(NotOurs::OtherInstance),
    }
}

impl ProbeFormat for UdpDatagram {
    const PROTOCOL: Protocol = Protocol::Udp;

    fn ip_protocol(_v6: bool) -> u8 {
        proto::UDP
    }

    fn build_l4(s: &Session, spec: &ProbeSpec) -> Vec<u8> {
        let header = UdpHeader {
            src_port: spec.flow.get(),
            dst_port: spec.dst_port,
        };
        // The checksum field holds the probe's tag; the two data bytes
        // are chosen so that it is the datagram's real checksum.
        let target = flow::tag(s.instance(), spec.key);
        let mut data = vec![0u8; DATA_LEN + spec.padding(s.is_v6(), 8 + DATA_LEN)];
        data[MARKER_AT..DATA_LEN].copy_from_slice(&ident::marker(s.instance(), spec.key));
        let draft = header.datagram_with_checksum(&data, target);
        let acc = checksum::sum(pseudo_sum(s, proto::UDP, draft.len()), &draft[..6]);
        let acc = checksum::sum(acc, &draft[8..]);
        let word = checksum::word_for_target(acc, target);
        data[..2].copy_from_slice(&word.to_be_bytes());
        header.datagram_with_checksum(&data, target)
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<Ident, NotOurs> {
        // Our own probe as it left: the checksum is as we wrote it (or,
        // captured with transmit offload, a partial sum): the marker and
        // the checksum say the same, the marker first.
        key_of(s, &UdpView::parse(l4)?, None)
    }

    fn quoted(s: &Session, quote: &IpView) -> Result<Ident, NotOurs> {
        let ip_ident = (!quote.is_v6()).then_some(quote.ident);
        key_of(s, &UdpView::parse(quote.payload)?, ip_ident)
    }

    fn direct(_s: &Session, _ip: &IpView) -> Result<(Ident, ReplyKind), NotOurs> {
        // A datagram back from the service says nothing a trace uses.
        Err(NotOurs::OtherProtocol)
    }

    fn filter(s: &Session) -> String {
        format!("udp and src host {} and dst host {}", s.src(), s.dst())
    }
}
