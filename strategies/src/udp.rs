//! UDP probes. The key travels in the source port; the instance is the
//! UDP checksum itself, made so by two adjustment bytes of payload. Both
//! are in the 8 bytes every ICMP error quotes.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, ProbeFormat};
use crate::wire::{checksum, proto, IpView, UdpHeader, UdpView};

pub(crate) struct UdpDatagram;

fn key_of(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
    let udp = UdpView::parse(l4)?;
    let key = s.key_for_port(udp.src_port).ok_or(NotOurs::OtherInstance)?;
    if udp.checksum != s.instance().get() {
        return Err(NotOurs::OtherInstance);
    }
    Ok((key, udp.dst_port))
}

impl ProbeFormat for UdpDatagram {
    const PROTOCOL: Protocol = Protocol::Udp;

    fn ip_protocol(_v6: bool) -> u8 {
        proto::UDP
    }

    fn build_l4(s: &Session, spec: &ProbeSpec) -> Vec<u8> {
        let header = UdpHeader {
            src_port: s.probe_port(spec.key),
            dst_port: spec.dst_port,
        };
        // The checksum field holds the instance; the two data bytes are
        // chosen so that it is the datagram's real checksum.
        let target = s.instance().get();
        let draft = header.datagram_with_checksum(&[0, 0], target);
        let acc = checksum::sum(pseudo_sum(s, proto::UDP, draft.len()), &draft[..6]);
        let word = checksum::word_for_target(acc, target);
        header.datagram_with_checksum(&word.to_be_bytes(), target)
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
        key_of(s, l4)
    }

    fn quoted(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
        key_of(s, l4)
    }

    fn direct(_s: &Session, _ip: &IpView) -> Result<(ProbeKey, u16, ReplyKind), NotOurs> {
        // A datagram back from the service says nothing a trace uses.
        Err(NotOurs::OtherProtocol)
    }

    fn filter(s: &Session) -> String {
        format!("udp and src host {} and dst host {}", s.src(), s.dst())
    }
}
