//! What middleboxes and router hardware do to ICMP errors that Linux
//! routers never do: reshape the quote of the probe. For the lab's
//! NFQUEUE rewriter, the simulator and fixtures; never used by a send
//! path. Each reshaping edits an ICMP error (a whole IP packet) in place,
//! keeping its outer header, and fixes the checksums and lengths it
//! touched.

use crate::strategy::error_kind;
use crate::wire::extension::{self, MplsEntry};
use crate::wire::{checksum, IcmpView, IpView, Quoting};

/// One way the quote comes back changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reshape {
    /// A NAT that did not restore what it rewrote: the quoted transport
    /// checksum is another value, and so is the quoted IPv4
    /// identification.
    QuoteRewritten,
    /// Hardware that quotes the probe after decrementing its TTL: 0.
    QuotedTtlZero,
    /// RFC 792's minimum: the IP header and 8 bytes of the probe, nothing
    /// after (no extensions either).
    Rfc792Quote,
    /// An MPLS router older than RFC 4884: the quote padded (or cut) to
    /// 128 bytes, an extension structure with the label stack after it,
    /// and no length field.
    MplsPre4884,
    /// An MPLS router whose length field gives the quote's own length in
    /// 32-bit words (17: 68 bytes) though the structure sits at byte 128.
    MplsLengthDisagrees,
}

/// The label a reshaped answer's router reports: 24000 and the last byte
/// of its address.
pub fn label_of(router: std::net::IpAddr) -> u32 {
    let last = match router {
        std::net::IpAddr::V4(a) => a.octets()[3],
        std::net::IpAddr::V6(a) => a.octets()[15],
    };
    24000 + u32::from(last)
}

/// Rewrites the transport checksum of `segment` (a TCP, UDP or ICMP
/// header, of `protocol`) to another value, as a NAT that does not
/// restore it leaves it; a segment too short to hold it is left alone.
pub fn rewrite_checksum(segment: &mut [u8], protocol: u8) {
    let at = match protocol {
        6 => 16,
        17 => 6,
        _ => 2,
    };
    if let Some(c) = segment.get_mut(at..at + 2) {
        let old = u16::from_be_bytes([c[0], c[1]]);
        c.copy_from_slice(&(old ^ 0x5a5a).to_be_bytes());
    }
}

/// `error` reshaped, or `None` when it is not an ICMP error quoting an
/// IP packet.
pub fn reshape(error: &[u8], how: Reshape) -> Option<Vec<u8>> {
    let ip = IpView::parse(error, Quoting::Whole).ok()?;
    let v6 = ip.is_v6();
    let message = IcmpView::parse(ip.payload).ok()?;
    error_kind(v6, &message)?;
    let icmp_at = error.len() - ip.payload.len();
    let quote_at = icmp_at + 8;
    let quoted = IpView::parse(&error[quote_at..], Quoting::Quoted).ok()?;
    let l4_at = error.len() - quoted.payload.len();
    let mut p = error.to_vec();
    match how {
        Reshape::QuoteRewritten => {
            rewrite_checksum(&mut p[l4_at..], quoted.protocol);
            if !v6 {
                p[quote_at + 4..quote_at + 6].copy_from_slice(&0x1d2cu16.to_be_bytes());
            }
        }
        Reshape::QuotedTtlZero => p[quote_at + if v6 { 7 } else { 8 }] = 0,
        Reshape::Rfc792Quote => {
            p.truncate((l4_at + 8).min(p.len()));
            // No room for extensions: the RFC 4884 length goes too.
            p[icmp_at + if v6 { 4 } else { 5 }] = 0;
        }
        Reshape::MplsPre4884 | Reshape::MplsLengthDisagrees => {
            let entry = MplsEntry {
                label: label_of(ip.src),
                tc: 0,
                bottom: true,
                ttl: 1,
            };
            let stack = extension::mpls_stack(&[entry]);
            let structure = extension::emit(&[(extension::CLASS_MPLS, 1, &stack)]);
            p.resize(quote_at + 128, 0);
            p.extend_from_slice(&structure);
            p[icmp_at + if v6 { 4 } else { 5 }] = match how {
                Reshape::MplsPre4884 => 0,
                _ => 17,
            };
        }
    }
    let len = p.len();
    if v6 {
        p[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
    } else {
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    }
    // The ICMP checksum (over a pseudo-header for ICMPv6), then IPv4's.
    p[icmp_at + 2..icmp_at + 4].fill(0);
    let pseudo = if v6 {
        checksum::pseudo_header(ip.src, ip.dst, ip.protocol, p.len() - icmp_at)
    } else {
        0
    };
    let sum = checksum::finish(checksum::sum(pseudo, &p[icmp_at..]));
    p[icmp_at + 2..icmp_at + 4].copy_from_slice(&sum.to_be_bytes());
    if !v6 {
        let header = usize::from(p[0] & 0x0f) * 4;
        p[10..12].fill(0);
        let sum = checksum::finish(checksum::sum(0, &p[..header]));
        p[10..12].copy_from_slice(&sum.to_be_bytes());
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer;
    use crate::wire::proto;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn probe(v6: bool) -> Vec<u8> {
        let (src, dst) = if v6 {
            (ip("2001:db8::1"), ip("2001:db8:9::2"))
        } else {
            (ip("198.18.0.1"), ip("198.18.9.2"))
        };
        let udp = [0xc2, 0x49, 0x82, 0x9a, 0, 14, 0x42, 0x4a, 1, 2, 3, 4, 5, 6];
        crate::wire::IpHeader::plain(src, dst, proto::UDP, 1).packet(&udp)
    }

    /// A router's time exceeded about `probe(v6)`, quoting 14 bytes.
    fn error(v6: bool) -> Vec<u8> {
        let router = if v6 {
            ip("2001:db8:3::1")
        } else {
            ip("198.18.3.1")
        };
        answer::time_exceeded(router, &probe(v6), 14).unwrap()
    }

    fn valid(p: &[u8]) -> bool {
        let ip = IpView::parse(p, Quoting::Whole).unwrap();
        let icmp_at = p.len() - ip.payload.len();
        let pseudo = if ip.is_v6() {
            checksum::pseudo_header(ip.src, ip.dst, ip.protocol, ip.payload.len())
        } else {
            0
        };
        let header_ok = ip.is_v6() || checksum::verify(0, &p[..20]);
        header_ok && checksum::verify(pseudo, &p[icmp_at..]) && ip.total_len == p.len()
    }

    #[test]
    fn each_reshaping_changes_what_it_says_and_keeps_the_packet_valid() {
        for v6 in [false, true] {
            let error = error(v6);
            let quote_at = error.len() - 14 - if v6 { 40 } else { 20 };
            let l4 = error.len() - 14;
            let rewritten = reshape(&error, Reshape::QuoteRewritten).unwrap();
            assert!(valid(&rewritten));
            assert_eq!(&rewritten[l4 + 6..l4 + 8], &[0x42 ^ 0x5a, 0x4a ^ 0x5a]);
            if !v6 {
                assert_eq!(&rewritten[quote_at + 4..quote_at + 6], &[0x1d, 0x2c]);
            }
            let zero = reshape(&error, Reshape::QuotedTtlZero).unwrap();
            assert!(valid(&zero));
            assert_eq!(zero[quote_at + if v6 { 7 } else { 8 }], 0);
            let short = reshape(&error, Reshape::Rfc792Quote).unwrap();
            assert!(valid(&short));
            assert_eq!(short.len(), l4 + 8);
            assert_eq!(&short[..l4 + 8][l4..], &error[l4..l4 + 8]);
        }
        // MPLS extensions at byte 128, with no length field or a wrong
        // one: still valid packets, the stack where the structure is.
        for how in [Reshape::MplsPre4884, Reshape::MplsLengthDisagrees] {
            for v6 in [false, true] {
                let m = reshape(&error(v6), how).unwrap();
                assert!(valid(&m), "{how:?}");
                let header = if v6 { 40 } else { 20 };
                let icmp = IcmpView::parse(&m[header..]).unwrap();
                let labels: Vec<u32> = icmp
                    .extensions(v6)
                    .and_then(|e| e.objects().find_map(|o| o.mpls()))
                    .map(|s| s.map(|e| e.label).collect())
                    .unwrap_or_default();
                assert_eq!(labels, vec![24001], "{how:?} v6={v6}");
            }
        }
        // Not an ICMP error: left alone.
        assert_eq!(reshape(&probe(false), Reshape::Rfc792Quote), None);
    }
}
