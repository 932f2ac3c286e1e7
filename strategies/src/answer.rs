//! The answers that hosts on a path send to a probe, built from the
//! probe's bytes: for tests, fixtures and benchmarks that need realistic
//! packets without a network.
//!
//! Never used by a send path: tracetcp's own packets are built by the
//! strategies and the wire emitters.

use crate::wire::{checksum, proto, IpHeader, IpView, Quoting, TcpFlags};
use std::net::IpAddr;

/// TTL (hop limit) of the answers built here.
pub const ANSWER_TTL: u8 = 63;

/// An IP packet from `src` to `dst` around `payload`, as a kernel sends
/// it; empty if the families differ.
pub fn ip_packet(src: IpAddr, dst: IpAddr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    IpHeader {
        src,
        dst,
        protocol,
        ttl: ANSWER_TTL,
        ident: 0xbeef,
        tos: 0xc0,
        flow: 0,
        dont_fragment: false,
        extensions: &[],
    }
    .packet(payload)
}

/// An ICMP (or ICMPv6) message from `from` to `to`, checksum included.
fn icmp_packet(from: IpAddr, to: IpAddr, mut message: Vec<u8>) -> Vec<u8> {
    let protocol = if from.is_ipv6() {
        proto::ICMPV6
    } else {
        proto::ICMP
    };
    let initial = if from.is_ipv6() {
        checksum::pseudo_header(from, to, protocol, message.len())
    } else {
        0
    };
    let sum = checksum::finish(checksum::sum(initial, &message));
    message[2..4].copy_from_slice(&sum.to_be_bytes());
    ip_packet(from, to, protocol, &message)
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
    let mut m = vec![icmp_type, code, 0, 0];
    m.extend_from_slice(&rest);
    m.extend_from_slice(&quote);
    Some(icmp_packet(from, ip.src, m))
}

/// Time exceeded in transit, from the router at `router`.
pub fn time_exceeded(router: IpAddr, probe: &[u8], quote_len: usize) -> Option<Vec<u8>> {
    let t = if router.is_ipv6() { 3 } else { 11 };
    icmp_error(router, probe, quote_len, t, 0, [0; 4])
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
    let syn = ip.payload.get(..8)?;
    let seq = u32::from_be_bytes([syn[4], syn[5], syn[6], syn[7]]);
    let mut t = Vec::with_capacity(20);
    t.extend_from_slice(&syn[2..4]);
    t.extend_from_slice(&syn[0..2]);
    t.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    t.extend_from_slice(&seq.wrapping_add(1).to_be_bytes());
    t.extend_from_slice(&[0x50, flags | TcpFlags::ACK, 0xfa, 0xf0, 0, 0, 0, 0]);
    let pseudo = checksum::pseudo_header(ip.dst, ip.src, proto::TCP, t.len());
    let sum = checksum::finish(checksum::sum(pseudo, &t));
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    Some(ip_packet(ip.dst, ip.src, proto::TCP, &t))
}

/// The destination's echo reply to an echo-request probe.
pub fn echo_reply(probe: &[u8]) -> Option<Vec<u8>> {
    let ip = IpView::parse(probe, Quoting::Whole).ok()?;
    let mut m = ip.payload.to_vec();
    *m.first_mut()? = if ip.is_v6() { 129 } else { 0 };
    m.get_mut(2..4)?.copy_from_slice(&[0, 0]);
    Some(icmp_packet(ip.dst, ip.src, m))
}
