//! The answers that hosts on a path send to a probe, built from the
//! probe's bytes: for tests, fixtures and benchmarks that need realistic
//! packets without a network.
//!
//! Never used by a send path: tracetcp's own packets are built by the
//! strategies and the wire emitters.

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
