//! IPv4 and IPv6 headers as one checked view.
//!
//! Pure bytes.

use super::{array, be16, need, proto, WireError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How strictly the length fields are held to the bytes present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// A packet seen on the wire: its length field must fit the bytes
    /// (trailing link padding is cut off).
    Whole,
    /// A packet quoted inside an ICMP error: routers may quote only the
    /// header and the first 8 bytes of the payload (RFC 792), so the
    /// payload may be shorter than the length field says.
    Quoted,
}

/// IPv6 extension headers that are skipped to find the upper layer.
const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const DEST_OPTS: u8 = 60;
const FRAGMENT: u8 = 44;

/// A validated IPv4 or IPv6 header with its upper-layer payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpView<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// Upper-layer protocol, after any skipped IPv6 extension headers.
    pub protocol: u8,
    /// IPv4 identification; 0 for IPv6.
    pub ident: u16,
    /// IPv4 type of service or IPv6 traffic class (DSCP << 2 | ECN).
    pub tos: u8,
    /// IPv6 flow label; 0 for IPv4.
    pub flow: u32,
    /// IPv4 "don't fragment"; IPv6 never fragments in flight.
    pub dont_fragment: bool,
    /// The length the header announces for the whole packet.
    pub total_len: usize,
    /// The upper-layer bytes present (possibly fewer than announced when
    /// quoted).
    pub payload: &'a [u8],
    /// A fragment after the first: its payload is no upper-layer header.
    pub later_fragment: bool,
    /// IPv6: the extension-header chain, and the type of its first header.
    chain: &'a [u8],
    chain_first: u8,
}

/// One IPv6 extension header: its type and the bytes after its two-byte
/// (next header, length) prefix; `2 + data.len()` is a multiple of 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    pub kind: u8,
    pub data: &'a [u8],
}

/// The extension headers of an IPv6 view, in order.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    rest: &'a [u8],
    kind: u8,
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        let [next, len] = array::<2>(self.rest, 0).ok()?;
        let end = (usize::from(len) + 1) * 8;
        let data = self.rest.get(2..end)?;
        let ext = Extension {
            kind: self.kind,
            data,
        };
        self.rest = &self.rest[end..];
        self.kind = next;
        Some(ext)
    }
}

impl<'a> IpView<'a> {
    /// Reads an IP packet of either version.
    pub fn parse(bytes: &'a [u8], quoting: Quoting) -> Result<Self, WireError> {
        need(bytes, 1)?;
        match bytes[0] >> 4 {
            4 => Self::parse_v4(bytes, quoting),
            6 => Self::parse_v6(bytes, quoting),
            v => Err(WireError::BadVersion(v)),
        }
    }

    fn parse_v4(bytes: &'a [u8], quoting: Quoting) -> Result<Self, WireError> {
        need(bytes, 20)?;
        let header_len = usize::from(bytes[0] & 0x0f) * 4;
        if header_len < 20 {
            return Err(WireError::BadHeaderLength(header_len));
        }
        need(bytes, header_len)?;
        let total = usize::from(be16(bytes, 2)?);
        if total < header_len {
            return Err(WireError::BadLength {
                field: total,
                have: bytes.len(),
            });
        }
        let end = match quoting {
            Quoting::Whole if total > bytes.len() => {
                return Err(WireError::BadLength {
                    field: total,
                    have: bytes.len(),
                })
            }
            _ => total.min(bytes.len()),
        };
        Ok(IpView {
            src: IpAddr::V4(Ipv4Addr::from(array::<4>(bytes, 12)?)),
            dst: IpAddr::V4(Ipv4Addr::from(array::<4>(bytes, 16)?)),
            ttl: bytes[8],
            protocol: bytes[9],
            ident: be16(bytes, 4)?,
            tos: bytes[1],
            flow: 0,
            dont_fragment: bytes[6] & 0x40 != 0,
            total_len: total,
            payload: &bytes[header_len..end],
            later_fragment: be16(bytes, 6)? & 0x1fff != 0,
            chain: &[],
            chain_first: bytes[9],
        })
    }

    fn parse_v6(bytes: &'a [u8], quoting: Quoting) -> Result<Self, WireError> {
        need(bytes, 40)?;
        let payload_len = usize::from(be16(bytes, 4)?);
        let total = 40 + payload_len;
        let end = match quoting {
            Quoting::Whole if total > bytes.len() => {
                return Err(WireError::BadLength {
                    field: total,
                    have: bytes.len(),
                })
            }
            _ => total.min(bytes.len()),
        };
        let mut next = bytes[6];
        let mut at = 40;
        let mut later_fragment = false;
        while matches!(next, HOP_BY_HOP | ROUTING | DEST_OPTS | FRAGMENT) {
            let ext = array::<2>(&bytes[..end], at)?;
            if next == FRAGMENT {
                // Fixed 8 bytes; the offset in the top 13 bits of 2..4.
                later_fragment = be16(&bytes[..end], at + 2)? >> 3 != 0;
                next = ext[0];
                at += 8;
            } else {
                next = ext[0];
                at += (usize::from(ext[1]) + 1) * 8;
            }
            need(&bytes[..end], at)?;
        }
        let word = u32::from_be_bytes(array::<4>(bytes, 0)?);
        Ok(IpView {
            src: IpAddr::V6(Ipv6Addr::from(array::<16>(bytes, 8)?)),
            dst: IpAddr::V6(Ipv6Addr::from(array::<16>(bytes, 24)?)),
            ttl: bytes[7],
            protocol: next,
            ident: 0,
            tos: (word >> 20) as u8,
            flow: word & 0xfffff,
            dont_fragment: false,
            total_len: total,
            payload: &bytes[at..end],
            later_fragment,
            chain: &bytes[40..at],
            chain_first: bytes[6],
        })
    }

    pub fn is_v6(&self) -> bool {
        self.src.is_ipv6()
    }

    /// The IPv6 extension headers skipped to find the upper layer.
    pub fn extensions(&self) -> Extensions<'a> {
        Extensions {
            rest: self.chain,
            kind: self.chain_first,
        }
    }

    /// The ICMP protocol number of this packet's family.
    pub fn icmp_protocol(&self) -> u8 {
        if self.is_v6() {
            proto::ICMPV6
        } else {
            proto::ICMP
        }
    }
}

/// The fields an IP packet is built with (the emitter of [`IpView`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// IPv4 identification.
    pub ident: u16,
    /// IPv4 type of service or IPv6 traffic class.
    pub tos: u8,
    /// IPv6 flow label (20 bits).
    pub flow: u32,
    /// IPv4 "don't fragment".
    pub dont_fragment: bool,
    /// IPv6 extension headers, in order (each `2 + data.len()` a
    /// multiple of 8).
    pub extensions: &'a [Extension<'a>],
}

impl IpHeader<'_> {
    /// A plain header: TOS 0, identification 0, flow label 0, DF clear,
    /// no extension headers.
    pub fn plain(src: IpAddr, dst: IpAddr, protocol: u8, ttl: u8) -> Self {
        IpHeader {
            src,
            dst,
            protocol,
            ttl,
            ident: 0,
            tos: 0,
            flow: 0,
            dont_fragment: false,
            extensions: &[],
        }
    }

    /// The whole packet around `payload`, IPv4 header checksum included;
    /// empty if the two addresses are of different families.
    pub fn packet(&self, payload: &[u8]) -> Vec<u8> {
        let mut p = Vec::with_capacity(40 + payload.len());
        match (self.src, self.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let flags: u8 = if self.dont_fragment { 0x40 } else { 0 };
                p.extend_from_slice(&[0x45, self.tos]);
                p.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
                p.extend_from_slice(&self.ident.to_be_bytes());
                p.extend_from_slice(&[flags, 0, self.ttl, self.protocol, 0, 0]);
                p.extend_from_slice(&src.octets());
                p.extend_from_slice(&dst.octets());
                let sum = super::checksum::finish(super::checksum::sum(0, &p));
                p[10..12].copy_from_slice(&sum.to_be_bytes());
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let chain: usize = self.extensions.iter().map(|e| 2 + e.data.len()).sum();
                let first = self.extensions.first().map_or(self.protocol, |e| e.kind);
                let word = 0x6000_0000 | u32::from(self.tos) << 20 | (self.flow & 0xfffff);
                p.extend_from_slice(&word.to_be_bytes());
                p.extend_from_slice(&((chain + payload.len()) as u16).to_be_bytes());
                p.extend_from_slice(&[first, self.ttl]);
                p.extend_from_slice(&src.octets());
                p.extend_from_slice(&dst.octets());
                for (i, e) in self.extensions.iter().enumerate() {
                    let next = self.extensions.get(i + 1).map_or(self.protocol, |n| n.kind);
                    let units = ((2 + e.data.len()) / 8).saturating_sub(1) as u8;
                    p.extend_from_slice(&[next, units]);
                    p.extend_from_slice(e.data);
                }
            }
            _ => return Vec::new(),
        }
        p.extend_from_slice(payload);
        p
    }
}

impl<'a> IpView<'a> {
    /// The emitter fields that rebuild this header (extensions collected
    /// into `ext`).
    pub fn header<'e>(&self, ext: &'e [Extension<'e>]) -> IpHeader<'e> {
        IpHeader {
            src: self.src,
            dst: self.dst,
            protocol: self.protocol,
            ttl: self.ttl,
            ident: self.ident,
            tos: self.tos,
            flow: self.flow,
            dont_fragment: self.dont_fragment,
            extensions: ext,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4, IHL 5, total 28, id 0x1234, TTL 3, UDP, 198.18.0.1 -> 198.18.9.2.
    const V4_UDP: [u8; 28] = [
        0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x03, 0x11, 0x00, 0x00, 198, 18, 0, 1, 198,
        18, 9, 2, 0x82, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
    ];

    #[test]
    fn reads_v4_fields() {
        let ip = IpView::parse(&V4_UDP, Quoting::Whole).unwrap();
        assert_eq!(ip.src, "198.18.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(ip.dst, "198.18.9.2".parse::<IpAddr>().unwrap());
        assert_eq!((ip.ttl, ip.protocol, ip.ident), (3, proto::UDP, 0x1234));
        assert_eq!(ip.payload.len(), 8);
    }

    #[test]
    fn cuts_link_padding() {
        let mut padded = V4_UDP.to_vec();
        padded.extend_from_slice(&[0; 18]);
        let ip = IpView::parse(&padded, Quoting::Whole).unwrap();
        assert_eq!(ip.payload.len(), 8);
    }

    #[test]
    fn rejects_bad_v4_headers() {
        let mut b = V4_UDP;
        b[0] = 0x44;
        assert_eq!(
            IpView::parse(&b, Quoting::Whole),
            Err(WireError::BadHeaderLength(16))
        );
        b[0] = 0x4f; // 60-byte header in a 28-byte packet
        assert!(IpView::parse(&b, Quoting::Whole).is_err());
        let mut b = V4_UDP;
        b[3] = 0x40; // total length 64 > 28
        assert!(IpView::parse(&b, Quoting::Whole).is_err());
        assert_eq!(IpView::parse(&b, Quoting::Quoted).unwrap().payload.len(), 8);
        b[3] = 0x10; // total length 16 < header
        assert!(IpView::parse(&b, Quoting::Quoted).is_err());
        assert_eq!(
            IpView::parse(&[], Quoting::Whole).unwrap_err(),
            WireError::Truncated { need: 1, have: 0 }
        );
        assert_eq!(
            IpView::parse(&[0x50], Quoting::Whole),
            Err(WireError::BadVersion(5))
        );
    }

    #[test]
    fn every_prefix_is_safe() {
        for len in 0..V4_UDP.len() {
            let _ = IpView::parse(&V4_UDP[..len], Quoting::Whole);
            let _ = IpView::parse(&V4_UDP[..len], Quoting::Quoted);
        }
    }

    /// IPv4, TOS 0xb8 (DSCP EF), DF, id 0xabcd, TTL 64, UDP, 198.18.0.1 ->
    /// 198.18.9.2, checksum 0x0000 replaced by the real one below.
    fn v4_df() -> Vec<u8> {
        let mut b = vec![
            0x45, 0xb8, 0x00, 0x1c, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x11, 0, 0,
        ];
        b.extend_from_slice(&[198, 18, 0, 1, 198, 18, 9, 2]);
        let sum = crate::wire::checksum::finish(crate::wire::checksum::sum(0, &b));
        b[10..12].copy_from_slice(&sum.to_be_bytes());
        b.extend_from_slice(&[0x82, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00]);
        b
    }

    /// IPv6, traffic class 0x28, flow 0x12345, hop limit 9: hop-by-hop
    /// (PadN) and destination options (PadN) before UDP.
    fn v6_ext() -> Vec<u8> {
        let mut b = vec![0x62, 0x81, 0x23, 0x45, 0, 32, HOP_BY_HOP, 9];
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(&[DEST_OPTS, 0, 1, 4, 0, 0, 0, 0]);
        b.extend_from_slice(&[proto::UDP, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0x82, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00]);
        b
    }

    #[test]
    fn view_and_emitter_agree_both_ways() {
        for bytes in [V4_UDP.to_vec(), v4_df(), v6_ext()] {
            let ip = IpView::parse(&bytes, Quoting::Whole).unwrap();
            let ext: Vec<Extension> = ip.extensions().collect();
            let mut rebuilt = ip.header(&ext).packet(ip.payload);
            if !ip.is_v6() && bytes == V4_UDP {
                // the fixture's checksum field is zero; ours is real
                rebuilt[10..12].copy_from_slice(&[0, 0]);
            }
            assert_eq!(rebuilt, bytes);
        }
        let v4 = v4_df();
        let ip = IpView::parse(&v4, Quoting::Whole).unwrap();
        assert_eq!((ip.tos, ip.dont_fragment, ip.total_len), (0xb8, true, 28));
        let v6 = v6_ext();
        let ip = IpView::parse(&v6, Quoting::Whole).unwrap();
        assert_eq!((ip.tos, ip.flow, ip.total_len), (0x28, 0x12345, 72));
        let kinds: Vec<(u8, usize)> = ip.extensions().map(|e| (e.kind, e.data.len())).collect();
        assert_eq!(kinds, vec![(HOP_BY_HOP, 6), (DEST_OPTS, 14)]);
        assert_eq!(ip.protocol, proto::UDP);
    }

    #[test]
    fn skips_v6_extension_headers() {
        let mut b = vec![0x60, 0, 0, 0, 0, 16, HOP_BY_HOP, 64];
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(&[proto::UDP, 0, 1, 4, 0, 0, 0, 0]); // 8-byte hop-by-hop
        b.extend_from_slice(&[0x82, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00]);
        let ip = IpView::parse(&b, Quoting::Whole).unwrap();
        assert_eq!((ip.protocol, ip.ttl, ip.payload.len()), (proto::UDP, 64, 8));
        b[41] = 200; // extension length beyond the packet
        assert!(IpView::parse(&b, Quoting::Whole).is_err());
    }
}
