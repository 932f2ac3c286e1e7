//! RFC 4884 ICMP extension structures and their objects, with the RFC 4950
//! MPLS label stack: checked views and emitters.
//!
//! Structure: a 4-byte header (version 2 in the top 4 bits, 12 reserved
//! bits, a checksum over the whole structure), then objects: a 16-bit
//! length (header included), class-num, C-type, data.
//!
//! Pure bytes.

use super::{be16, be32, checksum, need, WireError};

/// Extension version (RFC 4884).
pub const VERSION: u8 = 2;
/// RFC 4950: MPLS label stack, class 1, C-type 1.
pub const CLASS_MPLS: u8 = 1;
/// RFC 5837: interface information, class 2.
pub const CLASS_INTERFACE: u8 = 2;

/// A validated extension structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extensions<'a> {
    pub version: u8,
    pub checksum: u16,
    /// Whether the checksum is right (0 means "not computed").
    pub checksum_ok: bool,
    objects: &'a [u8],
}

impl<'a> Extensions<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        need(bytes, 4)?;
        let version = bytes[0] >> 4;
        if version != VERSION {
            return Err(WireError::BadVersion(version));
        }
        let sum = be16(bytes, 2)?;
        Ok(Extensions {
            version,
            checksum: sum,
            checksum_ok: sum == 0 || checksum::verify(0, bytes),
            objects: &bytes[4..],
        })
    }

    pub fn objects(&self) -> Objects<'a> {
        Objects(self.objects)
    }

    /// Whether the objects fill the structure exactly (no object's length
    /// runs past its end or stops short of it).
    pub fn well_formed(&self) -> bool {
        let mut objects = self.objects();
        while objects.next().is_some() {}
        objects.0.is_empty()
    }
}

/// One extension object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    pub class: u8,
    pub ctype: u8,
    pub data: &'a [u8],
}

impl<'a> Object<'a> {
    /// The MPLS label stack, if this is one.
    pub fn mpls(&self) -> Option<impl Iterator<Item = MplsEntry> + 'a> {
        (self.class == CLASS_MPLS && self.ctype == 1).then(|| {
            self.data
                .chunks_exact(4)
                .map(|c| MplsEntry::from_word(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        })
    }
}

/// RFC 5837 interface information: which interface of the router (its
/// role), and whichever of ifIndex, IP address, name and MTU it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceInfo<'a> {
    /// 0 incoming IP interface, 1 sub-IP component of it, 2 outgoing IP
    /// interface, 3 IP next hop.
    pub role: u8,
    pub if_index: Option<u32>,
    pub addr: Option<std::net::IpAddr>,
    pub name: Option<&'a [u8]>,
    pub mtu: Option<u32>,
}

impl<'a> Object<'a> {
    /// The interface information, if this is one; `None` when its parts
    /// do not fit the object.
    pub fn interface(&self) -> Option<InterfaceInfo<'a>> {
        if self.class != CLASS_INTERFACE {
            return None;
        }
        let c = self.ctype;
        let data = self.data;
        let mut at = 0;
        let mut info = InterfaceInfo {
            role: c >> 6,
            if_index: None,
            addr: None,
            name: None,
            mtu: None,
        };
        if c & 0x08 != 0 {
            info.if_index = Some(be32(data, at).ok()?);
            at += 4;
        }
        if c & 0x04 != 0 {
            let afi = be16(data, at).ok()?;
            let addr = match afi {
                1 => std::net::IpAddr::from(<[u8; 4]>::try_from(data.get(at + 4..at + 8)?).ok()?),
                2 => std::net::IpAddr::from(<[u8; 16]>::try_from(data.get(at + 4..at + 20)?).ok()?),
                _ => return None,
            };
            info.addr = Some(addr);
            at += if afi == 1 { 8 } else { 20 };
        }
        if c & 0x02 != 0 {
            let len = usize::from(*data.get(at)?);
            if len < 4 || len % 4 != 0 {
                return None;
            }
            let name = data.get(at + 1..at + len)?;
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            info.name = Some(&name[..end]);
            at += len;
        }
        if c & 0x01 != 0 {
            info.mtu = Some(be32(data, at).ok()?);
        }
        Some(info)
    }
}

/// The objects of a structure, in order; a bad length ends them.
#[derive(Debug, Clone)]
pub struct Objects<'a>(&'a [u8]);

impl<'a> Iterator for Objects<'a> {
    type Item = Object<'a>;

    fn next(&mut self) -> Option<Object<'a>> {
        let len = usize::from(be16(self.0, 0).ok()?);
        if len < 4 {
            return None;
        }
        let whole = self.0.get(..len)?;
        self.0 = &self.0[len..];
        Some(Object {
            class: whole[2],
            ctype: whole[3],
            data: &whole[4..],
        })
    }
}

/// One label stack entry (RFC 3032): label, traffic class, bottom of
/// stack, TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MplsEntry {
    pub label: u32,
    pub tc: u8,
    pub bottom: bool,
    pub ttl: u8,
}

impl MplsEntry {
    pub fn from_word(w: u32) -> Self {
        MplsEntry {
            label: w >> 12,
            tc: ((w >> 9) & 0x7) as u8,
            bottom: (w >> 8) & 1 == 1,
            ttl: w as u8,
        }
    }

    pub fn word(&self) -> u32 {
        (self.label & 0xfffff) << 12
            | u32::from(self.tc & 0x7) << 9
            | u32::from(self.bottom) << 8
            | u32::from(self.ttl)
    }
}

/// An extension structure holding `objects` (class, C-type, data), with
/// its checksum.
pub fn emit(objects: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut e = vec![VERSION << 4, 0, 0, 0];
    for (class, ctype, data) in objects {
        e.extend_from_slice(&((4 + data.len()) as u16).to_be_bytes());
        e.extend_from_slice(&[*class, *ctype]);
        e.extend_from_slice(data);
    }
    let sum = checksum::finish(checksum::sum(0, &e));
    e[2..4].copy_from_slice(&sum.to_be_bytes());
    e
}

/// The data and C-type of an RFC 5837 interface information object with
/// ifIndex, an IPv4 address, a name and an MTU, for `role`.
pub fn interface_info(
    role: u8,
    if_index: u32,
    addr: std::net::Ipv4Addr,
    name: &str,
    mtu: u32,
) -> (u8, Vec<u8>) {
    let mut d = if_index.to_be_bytes().to_vec();
    d.extend_from_slice(&[0, 1, 0, 0]);
    d.extend_from_slice(&addr.octets());
    let len = (1 + name.len()).div_ceil(4) * 4;
    d.push(len as u8);
    d.extend_from_slice(name.as_bytes());
    d.resize(d.len() + len - 1 - name.len(), 0);
    d.extend_from_slice(&mtu.to_be_bytes());
    (role << 6 | 0x0f, d)
}

/// The data of an MPLS label stack object.
pub fn mpls_stack(entries: &[MplsEntry]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|e| e.word().to_be_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::icmp::IcmpMessage;
    use crate::wire::IcmpView;

    /// Label 24001, TC 0, bottom of stack, TTL 1: one object of class 1.
    const MPLS_EXT: [u8; 12] = [
        0x20, 0x00, 0xc8, 0x19, 0x00, 0x08, 0x01, 0x01, 0x05, 0xdc, 0x11, 0x01,
    ];

    #[test]
    fn extension_view_and_emitter_agree_both_ways() {
        let entry = MplsEntry {
            label: 24001,
            tc: 0,
            bottom: true,
            ttl: 1,
        };
        let stack = mpls_stack(&[entry]);
        assert_eq!(emit(&[(CLASS_MPLS, 1, &stack)]), MPLS_EXT);
        let ext = Extensions::parse(&MPLS_EXT).unwrap();
        assert!(ext.checksum_ok);
        let objects: Vec<Object> = ext.objects().collect();
        assert_eq!(objects.len(), 1);
        let labels: Vec<MplsEntry> = objects[0].mpls().unwrap().collect();
        assert_eq!(labels, vec![entry]);
        assert_eq!(MplsEntry::from_word(entry.word()), entry);
        let mut bad = MPLS_EXT;
        bad[11] ^= 1;
        assert!(!Extensions::parse(&bad).unwrap().checksum_ok);
        bad[4] = 0;
        bad[5] = 200; // an object longer than the structure
        assert_eq!(Extensions::parse(&bad).unwrap().objects().count(), 0);
        assert!(Extensions::parse(&[0x10, 0, 0, 0]).is_err());
    }

    #[test]
    fn icmp_errors_carry_extensions_after_a_padded_quote() {
        let quote = [0x45u8; 28];
        for v6 in [false, true] {
            let (rest, body) = IcmpMessage::extended_body(v6, [0; 4], &quote, &MPLS_EXT);
            assert_eq!(body.len(), 128 + MPLS_EXT.len());
            let m = IcmpMessage {
                icmp_type: if v6 { 3 } else { 11 },
                code: 0,
                rest,
                body: &body,
            }
            .emit(|_| 0);
            let view = IcmpView::parse(&m).unwrap();
            assert_eq!(view.original_len(v6), 128);
            assert_eq!(&view.quote(v6)[..28], &quote);
            let ext = view.extensions(v6).unwrap();
            let labels: Vec<MplsEntry> = ext.objects().next().unwrap().mpls().unwrap().collect();
            assert_eq!(labels[0].label, 24001);
            assert!(checksum::verify(0, &m));
        }
        // Older routers: no length field, the structure at byte 128.
        let mut body = vec![0u8; 128];
        body.extend_from_slice(&MPLS_EXT);
        let m = IcmpMessage {
            icmp_type: 11,
            code: 0,
            rest: [0; 4],
            body: &body,
        }
        .emit(|_| 0);
        let view = IcmpView::parse(&m).unwrap();
        assert!(view.extensions(false).is_some());
        // A plain quote has none.
        let plain = IcmpMessage {
            icmp_type: 11,
            code: 0,
            rest: [0; 4],
            body: &quote,
        }
        .emit(|_| 0);
        assert!(IcmpView::parse(&plain).unwrap().extensions(false).is_none());
    }
}
