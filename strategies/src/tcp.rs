//! TCP SYN probes. The key travels in the source port and in the sequence
//! number (instance in the high half, key in the low half): both are in
//! the first 8 bytes that every ICMP error quotes, and a SYN-ACK or RST
//! acknowledges the sequence number plus one.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, ProbeFormat};
use crate::wire::{checksum, proto, IpView, TcpFlags, TcpView};

pub(crate) struct TcpSyn;

/// The SYN options Linux sends, in its order: MSS, SACK permitted,
/// timestamps, NOP, window scale. Middleboxes drop option-less SYNs.
const OPTIONS_LEN: usize = 20;
const HEADER_LEN: usize = 20 + OPTIONS_LEN;
const WINDOW: u16 = 64240;

fn sequence(s: &Session, key: ProbeKey) -> u32 {
    (u32::from(s.instance().get()) << 16) | u32::from(key.get())
}

/// The key of a probe with this source port and sequence number.
fn key_of(s: &Session, src_port: u16, seq: u32) -> Result<ProbeKey, NotOurs> {
    let key = s.key_for_port(src_port).ok_or(NotOurs::OtherInstance)?;
    if sequence(s, key) == seq {
        Ok(key)
    } else {
        Err(NotOurs::OtherInstance)
    }
}

impl ProbeFormat for TcpSyn {
    const PROTOCOL: Protocol = Protocol::Tcp;

    fn ip_protocol(_v6: bool) -> u8 {
        proto::TCP
    }

    fn build_l4(s: &Session, spec: &ProbeSpec) -> Vec<u8> {
        let seq = sequence(s, spec.key);
        let mss: u16 = if s.is_v6() { 1440 } else { 1460 };
        let mut t = Vec::with_capacity(HEADER_LEN);
        t.extend_from_slice(&s.probe_port(spec.key).to_be_bytes());
        t.extend_from_slice(&spec.dst_port.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(&[((HEADER_LEN / 4) as u8) << 4, TcpFlags::SYN]);
        t.extend_from_slice(&WINDOW.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        t.extend_from_slice(&[2, 4]);
        t.extend_from_slice(&mss.to_be_bytes());
        t.extend_from_slice(&[4, 2, 8, 10]);
        t.extend_from_slice(&seq.rotate_left(8).to_be_bytes()); // TSval
        t.extend_from_slice(&0u32.to_be_bytes()); // TSecr
        t.extend_from_slice(&[1, 3, 3, 7]);
        let sum = checksum::finish(checksum::sum(pseudo_sum(s, proto::TCP, t.len()), &t));
        t[16..18].copy_from_slice(&sum.to_be_bytes());
        t
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
        let tcp = TcpView::parse(l4)?;
        let flags = tcp.flags.unwrap_or(TcpFlags(0));
        if !flags.has(TcpFlags::SYN) || flags.has(TcpFlags::ACK) {
            return Err(NotOurs::NotAProbe);
        }
        Ok((key_of(s, tcp.src_port, tcp.seq)?, tcp.dst_port))
    }

    fn quoted(s: &Session, l4: &[u8]) -> Result<(ProbeKey, u16), NotOurs> {
        let tcp = TcpView::parse_quoted(l4)?;
        Ok((key_of(s, tcp.src_port, tcp.seq)?, tcp.dst_port))
    }

    fn direct(s: &Session, ip: &IpView) -> Result<(ProbeKey, u16, ReplyKind), NotOurs> {
        if ip.src != s.dst() {
            return Err(NotOurs::OtherHosts);
        }
        let tcp = TcpView::parse(ip.payload)?;
        let flags = tcp.flags.unwrap_or(TcpFlags(0));
        let kind = if flags.has(TcpFlags::SYN | TcpFlags::ACK) {
            ReplyKind::SynAck
        } else if flags.has(TcpFlags::RST) {
            ReplyKind::Rst
        } else {
            return Err(NotOurs::NotAProbe);
        };
        let key = match (flags.has(TcpFlags::ACK), tcp.ack) {
            (true, Some(ack)) => key_of(s, tcp.dst_port, ack.wrapping_sub(1))?,
            // A bare RST acknowledges nothing: the port is all we have.
            _ => s.key_for_port(tcp.dst_port).ok_or(NotOurs::OtherInstance)?,
        };
        Ok((key, tcp.src_port, kind))
    }

    fn filter(s: &Session) -> String {
        format!("tcp and host {} and host {}", s.src(), s.dst())
    }
}
