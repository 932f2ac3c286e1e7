//! UDP probes. The key travels in the source port; the instance is the
//! UDP checksum itself, made so by two adjustment bytes of payload. Both
//! are in the 8 bytes every ICMP error quotes.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, ProbeFormat};
use crate::wire::{be16, checksum, need, proto, IpView};

pub(crate) struct UdpDatagram;

const LENGTH: u16 = 8 + 2;

fn key_of(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
    need(l4, 8)?;
    let key = s.key_for_port(be16(l4, 0)?).ok_or(NotOurs::OtherInstance)?;
    if be16(l4, 6)? != s.instance().get() {
        return Err(NotOurs::OtherInstance);
    }
    Ok((key, be16(l4, 2)?))
}

impl ProbeFormat for UdpDatagram {
    const PROTOCOL: Protocol = Protocol::Udp;

    fn ip_protocol(_v6: bool) -> u8 {
        proto::UDP
    }

    fn build_l4(s: &Session, spec: &ProbeSpec) -> Vec<u8> {
        let mut u = Vec::with_capacity(usize::from(LENGTH));
        u.extend_from_slice(&s.probe_port(spec.key).to_be_bytes());
        u.extend_from_slice(&spec.dst_port.to_be_bytes());
        u.extend_from_slice(&LENGTH.to_be_bytes());
        u.extend_from_slice(&[0, 0, 0, 0]); // checksum, adjustment word
        let acc = checksum::sum(pseudo_sum(s, proto::UDP, u.len()), &u);
        let target = s.instance().get();
        u[8..10].copy_from_slice(&checksum::word_for_target(acc, target).to_be_bytes());
        u[6..8].copy_from_slice(&target.to_be_bytes());
        u
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
