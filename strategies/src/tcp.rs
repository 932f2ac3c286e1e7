//! TCP SYN probes. The flow is the source port; the key travels in the
//! sequence number (instance in the high half, key in the low half), which
//! is in the first 8 bytes that every ICMP error quotes and which a
//! SYN-ACK or RST acknowledges plus one.
//!
//! Implements ProbeFormat; must not depend on the other probe kinds.

use crate::flow::Flow;
use crate::probe::{NotOurs, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session};
use crate::strategy::{pseudo_sum, Ident, ProbeFormat};
use crate::wire::{proto, tcp_option, IpView, TcpFlags, TcpHeader, TcpOption, TcpView};

pub(crate) struct TcpSyn;

/// The SYN carries the options Linux sends, in its order: MSS, SACK
/// permitted, timestamps, NOP, window scale. Middleboxes drop option-less
/// SYNs.
const WINDOW: u16 = 64240;

fn sequence(s: &Session, key: ProbeKey) -> u32 {
    (u32::from(s.instance().get()) << 16) | u32::from(key.get())
}

/// The probe with this source port, sequence number and destination port.
fn ident(s: &Session, src_port: u16, seq: u32, dst_port: u16) -> Result<Ident, NotOurs> {
    if seq >> 16 != u32::from(s.instance().get()) {
        return Err(NotOurs::OtherInstance);
    }
    let key = ProbeKey::new(seq as u16).ok_or(NotOurs::OtherInstance)?;
    Ok(Ident {
        key,
        dst_port,
        flow: Flow::new(src_port),
        also: None,
    })
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
        // 20 header bytes and 20 of options.
        let data = vec![0u8; spec.padding(s.is_v6(), 40)];
        TcpHeader {
            src_port: spec.flow.get(),
            dst_port: spec.dst_port,
            seq,
            ack: 0,
            flags: TcpFlags::SYN,
            window: WINDOW,
            urgent: 0,
            options: &options,
        }
        .segment(&data, |len| pseudo_sum(s, proto::TCP, len))
    }

    fn outgoing(s: &Session, l4: &[u8]) -> Result<Ident, NotOurs> {
        let tcp = TcpView::parse(l4)?;
        let flags = tcp.flags.unwrap_or(TcpFlags(0));
        if !flags.has(TcpFlags::SYN) || flags.has(TcpFlags::ACK) {
            return Err(NotOurs::NotAProbe);
        }
        ident(s, tcp.src_port, tcp.seq, tcp.dst_port)
    }

    fn quoted(s: &Session, quote: &IpView) -> Result<Ident, NotOurs> {
        let tcp = TcpView::parse_quoted(quote.payload)?;
        // A firewall that randomises sequence numbers leaves the
        // timestamp option, which carries the same (rotated), when the
        // quote is long enough to hold it.
        ident(s, tcp.src_port, tcp.seq, tcp.dst_port).or_else(|e| {
            // The whole header, when quoted, holds the options.
            let whole = TcpView::parse(quote.payload).map_err(|_| e)?;
            whole
                .options()
                .find(|o| o.kind == tcp_option::TIMESTAMPS && o.data.len() == 8)
                .map(|o| u32::from_be_bytes([o.data[0], o.data[1], o.data[2], o.data[3]]))
                .map_or(Err(e), |tsval| {
                    ident(s, tcp.src_port, tsval.rotate_right(8), tcp.dst_port)
                })
        })
    }

    fn direct(s: &Session, ip: &IpView) -> Result<(Ident, ReplyKind), NotOurs> {
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
        // Only the acknowledgment number says which probe is answered: a
        // bare RST acknowledges nothing, and with one flow per trace the
        // ports no longer tell probes apart.
        match (flags.has(TcpFlags::ACK), tcp.ack) {
            (true, Some(ack)) => Ok((
                ident(s, tcp.dst_port, ack.wrapping_sub(1), tcp.src_port)?,
                kind,
            )),
            _ => Err(NotOurs::NotAProbe),
        }
    }

    fn filter(s: &Session) -> String {
        format!("tcp and host {} and host {}", s.src(), s.dst())
    }
}
