//! TCP SYN probes. The key travels in the source port and in the sequence
//! number (instance in the high half, key in the low half): both are in
//! the first 8 bytes that every ICMP error quotes, and a SYN-ACK or RST
//! acknowledges the sequence number plus one.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, ProbeFormat};
use crate::wire::{proto, tcp_option, IpView, TcpFlags, TcpHeader, TcpOption, TcpView};

pub(crate) struct TcpSyn;

/// The SYN carries the options Linux sends, in its order: MSS, SACK
/// permitted, timestamps, NOP, window scale. Middleboxes drop option-less
/// SYNs.
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
        let mss = mss.to_be_bytes();
        let mut ts = [0u8; 8];
        ts[..4].copy_from_slice(&seq.rotate_left(8).to_be_bytes()); // TSval; TSecr 0
        let opt = |kind, data| TcpOption { kind, data };
        let options = [
            opt(tcp_option::MSS, &mss[..]),
            opt(tcp_option::SACK_PERMITTED, &[]),
            opt(tcp_option::TIMESTAMPS, &ts[..]),
            opt(tcp_option::NOP, &[]),
            opt(tcp_option::WINDOW_SCALE, &[7]),
        ];
        TcpHeader {
            src_port: s.probe_port(spec.key),
            dst_port: spec.dst_port,
            seq,
            ack: 0,
            flags: TcpFlags::SYN,
            window: WINDOW,
            urgent: 0,
            options: &options,
        }
        .segment(&[], |len| pseudo_sum(s, proto::TCP, len))
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
