//! The answers that hosts on a path send to a probe, built from the
//! probe's bytes: for tests, fixtures and benchmarks that need realistic
//! packets without a network.
//!
//! Never used by a send path: tracetcp's own packets are built by the
//! strategies and the wire emitters. Traces without privileges rebuild
//! the answers the kernel reports on a socket with these (the answer's
//! facts from the kernel, the rest from the probe), then `set_ttl`.

use crate::wire::{
    checksum, proto, IcmpMessage, IcmpView, IpHeader, IpView, Quoting, TcpFlags, TcpHeader, TcpView,
};
use std::net::IpAddr;

/// TTL (hop limit) of the answers built here.
pub const ANSWER_TTL: u8 = 63;

/// An IP packet from `src` to `dst` around `payload`, as a kernel sends
/// it; empty if the families differ.
pub fn ip_packet(src: IpAddr, dst: IpAddr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    IpHeader {
        ident: 0xbeef,
        tos: 0xc0,
        ..IpHeader::plain(src, dst, protocol, ANSWER_TTL)
    }
    .packet(payload)
}

/// Sets the TTL (hop limit) of the IP packet `packet` to `ttl`, the IPv4
/// header checksum with it. A packet too short to have one is left alone.
pub fn set_ttl(packet: &mut [u8], ttl: u8) {
    let Ok(ip) = IpView::parse(packet, Quoting::Whole) else {
        return;
    };
    if ip.is_v6() {
        packet[7] = ttl;
        return;
    }
    let header = packet.len() - ip.payload.len();
    packet[8] = ttl;
    packet[10..12].fill(0);
    let sum = checksum::finish(checksum::sum(0, &packet[..header]));
    packet[10..12].copy_from_slice(&sum.to_be_bytes());
}

/// An ICMP (or ICMPv6) message from `from` to `to`, checksum included.
fn icmp_packet(from: IpAddr, to: IpAddr, message: IcmpMessage) -> Vec<u8> {
    let protocol = if from.is_ipv6() {
        proto::ICMPV6
    } else {
        proto::ICMP
    };
    let m = message.emit(|len| {
        if from.is_ipv6() {
            checksum::pseudo_header(from, to, protocol, len)
        } else {
            0
        }
    });
    ip_packet(from, to, protocol, &m)
}

/// An ICMP error from `from` about `probe`, quoting its IP header and
/// `quote_len` bytes after it (8 is RFC 792's minimum; routers may quote
/// more). The quoted TTL is worn down to 1, as a router saw it.
pub fn icmp_error(
    from: IpAddr,
    probe: &[u8],
    quote_len: usize,
    icmp_type: u8,
    code: u8,
    rest: [u8; 4],
) -> Option<Vec<u8>> {
    let ip = IpView::parse(probe, Quoting::Whole).ok()?;
    let header = probe.len() - ip.payload.len();
    let mut quote = probe[..(header + quote_len).min(probe.len())].to_vec();
    quote[if ip.is_v6() { 7 } else { 8 }] = 1;
    let m = IcmpMessage {
        icmp_type,
        code,
        rest,
        body: &quote,
    };
    Some(icmp_packet(from, ip.src, m))
}

/// Time exceeded in transit, from the router at `router`.
pub fn time_exceeded(router: IpAddr, probe: &[u8], quote_len: usize) -> Option<Vec<u8>> {
    let t = if router.is_ipv6() { 3 } else { 11 };
    icmp_error(router, probe, quote_len, t, 0, [0; 4])
}

/// Time exceeded from `router` quoting the whole `probe`, padded to 128
/// bytes and followed by the RFC 4884 extension structure `extensions`,
/// as routers in an MPLS core send it.
pub fn time_exceeded_extended(router: IpAddr, probe: &[u8], extensions: &[u8]) -> Option<Vec<u8>> {
    let t = if router.is_ipv6() { 3 } else { 11 };
    error_extended(router, probe, t, extensions)
}

/// An ICMP error of `icmp_type` (code 0) from `from` quoting the whole
/// `probe`, padded to 128 bytes, then `extensions`, the RFC 4884 length
/// field set.
pub fn error_extended(
    from: IpAddr,
    probe: &[u8],
    icmp_type: u8,
    extensions: &[u8],
) -> Option<Vec<u8>> {
    let ip = IpView::parse(probe, Quoting::Whole).ok()?;
    let (rest, body) = IcmpMessage::extended_body(from.is_ipv6(), [0; 4], probe, extensions);
    let message = IcmpMessage {
        icmp_type,
        code: 0,
        rest,
        body: &body,
    };
    Some(icmp_packet(from, ip.src, message))
}

/// "Fragmentation needed" (ICMPv4 type 3 code 4) or "packet too big"
/// (ICMPv6 type 2) from `from` about `probe`, announcing `mtu` (0: none,
/// as old routers send it).
pub fn too_big(from: IpAddr, probe: &[u8], mtu: u16) -> Option<Vec<u8>> {
    if from.is_ipv6() {
        icmp_error(from, probe, 8, 2, 0, u32::from(mtu).to_be_bytes())
    } else {
        let [hi, lo] = mtu.to_be_bytes();
        icmp_error(from, probe, 8, 3, 4, [0, 0, hi, lo])
    }
}

/// Destination unreachable with `code` (of the probe's family).
pub fn unreachable(from: IpAddr, probe: &[u8], code: u8) -> Option<Vec<u8>> {
    let t = if from.is_ipv6() { 1 } else { 3 };
    icmp_error(from, probe, 8, t, code, [0; 4])
}

/// The destination's TCP answer to a SYN probe: `flags` (SYN|ACK or
/// RST|ACK), acknowledging the probe's sequence number.
pub fn tcp_answer(probe: &[u8], flags: u8) -> Option<Vec<u8>> {
    let ip = IpView::parse(probe, Quoting::Whole).ok()?;
    let syn = TcpView::parse_quoted(ip.payload).ok()?;
    let t = TcpHeader {
        src_port: syn.dst_port,
        dst_port: syn.src_port,
        seq: 0x1234_5678,
        ack: syn.seq.wrapping_add(1),
        flags: flags | TcpFlags::ACK,
        window: 0xfaf0,
        urgent: 0,
        options: &[],
    }
    .segment(&[], |len| {
        checksum::pseudo_header(ip.dst, ip.src, proto::TCP, len)
    });
    Some(ip_packet(ip.dst, ip.src, proto::TCP, &t))
}

/// The destination's echo reply to an echo-request probe.
pub fn echo_reply(probe: &[u8]) -> Option<Vec<u8>> {
    let ip = IpView::parse(probe, Quoting::Whole).ok()?;
    let request = IcmpView::parse(ip.payload).ok()?;
    let m = IcmpMessage {
        icmp_type: if ip.is_v6() { 129 } else { 0 },
        code: 0,
        rest: request.rest,
        body: request.body,
    };
    Some(icmp_packet(ip.dst, ip.src, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_ttl_rewrites_the_ttl_and_keeps_the_header_checksum_right() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut p = ip_packet(v4("198.18.0.1"), v4("198.18.0.2"), proto::UDP, &[1, 2, 3]);
        set_ttl(&mut p, 7);
        assert_eq!(IpView::parse(&p, Quoting::Whole).unwrap().ttl, 7);
        assert!(checksum::verify(0, &p[..20]));
        let mut p6 = ip_packet(v4("2001:db8::1"), v4("2001:db8::2"), proto::UDP, &[1]);
        set_ttl(&mut p6, 0);
        assert_eq!(IpView::parse(&p6, Quoting::Whole).unwrap().ttl, 0);
        let mut short = vec![0x45, 0, 0];
        set_ttl(&mut short, 9);
        assert_eq!(short, [0x45, 0, 0]);
    }
}
