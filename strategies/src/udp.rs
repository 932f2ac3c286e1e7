//! UDP probes. The flow is the source port; the key travels in the UDP
//! checksum itself, made so by two adjustment bytes of payload (Paris
//! traceroute's way). Both are in the 8 bytes every ICMP error quotes.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::flow::{self, Flow};
use crate::probe::{NotOurs, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, Ident, ProbeFormat};
use crate::wire::{checksum, proto, IpView, UdpHeader, UdpView};

pub(crate) struct UdpDatagram;

fn ident(s: &Session, l4: &[u8]) -> Result<Ident, NotOurs> {
    let udp = UdpView::parse(l4)?;
    let key = flow::key_of_tag(s.instance(), udp.checksum).ok_or(NotOurs::OtherInstance)?;
    Ok(Ident {
        key,
        dst_port: udp.dst_port,
        flow: Flow::new(udp.src_port),
    })
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
        let mut data = vec![0u8; 2 + spec.padding(s.is_v6(), 10)];
        let draft = header.datagram_with_checksum(&data, target);
        let acc = checksum::sum(pseudo_sum(s, proto::UDP, draft.len()), &draft[..6]);
        let word = checksum::word_for_target(acc, target);
        data[..2].copy_from_slice(&word.to_be_bytes());
        header.datagram_with_checksum(&data, target)
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<Ident, NotOurs> {
        ident(s, l4)
    }

    fn quoted(s: &Session, l4: &[u8]) -> Result<Ident, NotOurs> {
        ident(s, l4)
    }

    fn direct(_s: &Session, _ip: &IpView) -> Result<(Ident, ReplyKind), NotOurs> {
        // A datagram back from the service says nothing a trace uses.
        Err(NotOurs::OtherProtocol)
    }

    fn filter(s: &Session) -> String {
        format!("udp and src host {} and dst host {}", s.src(), s.dst())
    }
}
