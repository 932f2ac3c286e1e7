//! What it takes to reach the next hop on an Ethernet link: Ethernet II
//! headers, ARP (RFC 826) and IPv6 neighbour solicitations and
//! advertisements (RFC 4861). Each is a checked view and an emitter.
//!
//! Pure bytes.

use super::{array, be16, checksum, need, proto, WireError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub type Mac = [u8; 6];

pub const BROADCAST: Mac = [0xff; 6];

/// EtherTypes tracetcp reads or writes.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const IPV6: u16 = 0x86dd;
}

/// An Ethernet II header (no VLAN tag) and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetView<'a> {
    pub dst: Mac,
    pub src: Mac,
    pub ethertype: u16,
    pub payload: &'a [u8],
}

impl<'a> EthernetView<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        need(bytes, 14)?;
        Ok(EthernetView {
            dst: array::<6>(bytes, 0)?,
            src: array::<6>(bytes, 6)?,
            ethertype: be16(bytes, 12)?,
            payload: &bytes[14..],
        })
    }
}

/// The emitter of [`EthernetView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthernetHeader {
    pub dst: Mac,
    pub src: Mac,
    pub ethertype: u16,
}

impl EthernetHeader {
    pub fn bytes(&self) -> [u8; 14] {
        let mut h = [0u8; 14];
        h[..6].copy_from_slice(&self.dst);
        h[6..12].copy_from_slice(&self.src);
        h[12..].copy_from_slice(&self.ethertype.to_be_bytes());
        h
    }

    pub fn frame(&self, payload: &[u8]) -> Vec<u8> {
        let mut f = self.bytes().to_vec();
        f.extend_from_slice(payload);
        f
    }
}

/// An ARP packet for IPv4 over Ethernet: read and written alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    pub sender_mac: Mac,
    pub sender_ip: Ipv4Addr,
    pub target_mac: Mac,
    pub target_ip: Ipv4Addr,
}

impl Arp {
    pub const REQUEST: u16 = 1;
    pub const REPLY: u16 = 2;

    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        need(bytes, 28)?;
        if be16(bytes, 0)? != 1 || be16(bytes, 2)? != ethertype::IPV4 || bytes[4..6] != [6, 4] {
            return Err(WireError::BadLength {
                field: usize::from(bytes[4]),
                have: 6,
            });
        }
        Ok(Arp {
            op: be16(bytes, 6)?,
            sender_mac: array::<6>(bytes, 8)?,
            sender_ip: Ipv4Addr::from(array::<4>(bytes, 14)?),
            target_mac: array::<6>(bytes, 18)?,
            target_ip: Ipv4Addr::from(array::<4>(bytes, 24)?),
        })
    }

    pub fn bytes(&self) -> [u8; 28] {
        let mut a = [0u8; 28];
        a[..8].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 0]);
        a[6..8].copy_from_slice(&self.op.to_be_bytes());
        a[8..14].copy_from_slice(&self.sender_mac);
        a[14..18].copy_from_slice(&self.sender_ip.octets());
        a[18..24].copy_from_slice(&self.target_mac);
        a[24..28].copy_from_slice(&self.target_ip.octets());
        a
    }
}

/// A neighbour solicitation (135) or advertisement (136) with its one
/// link-layer address option: read and written alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbor {
    pub icmp_type: u8,
    /// Advertisements: router, solicited, override bits (top 3 of the word).
    pub flags: u32,
    pub target: Ipv6Addr,
    /// Source (in a solicitation) or target (in an advertisement)
    /// link-layer address.
    pub link_addr: Option<Mac>,
}

impl Neighbor {
    pub const SOLICITATION: u8 = 135;
    pub const ADVERTISEMENT: u8 = 136;

    /// Reads an ICMPv6 message (checksum not checked: the kernel did).
    pub fn parse(message: &[u8]) -> Result<Self, WireError> {
        need(message, 24)?;
        let icmp_type = message[0];
        if icmp_type != Self::SOLICITATION && icmp_type != Self::ADVERTISEMENT {
            return Err(WireError::BadVersion(icmp_type));
        }
        let mut link_addr = None;
        let mut at = 24;
        while let Ok([kind, units]) = array::<2>(message, at) {
            let end = at + usize::from(units) * 8;
            if units == 0 || end > message.len() {
                break;
            }
            if kind == 1 || kind == 2 {
                link_addr = array::<6>(message, at + 2).ok();
            }
            at = end;
        }
        Ok(Neighbor {
            icmp_type,
            flags: u32::from_be_bytes(array::<4>(message, 4)?),
            target: Ipv6Addr::from(array::<16>(message, 8)?),
            link_addr,
        })
    }

    /// The ICMPv6 message from `src` to `dst`, checksum included.
    pub fn message(&self, src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
        let mut m = vec![self.icmp_type, 0, 0, 0];
        m.extend_from_slice(&self.flags.to_be_bytes());
        m.extend_from_slice(&self.target.octets());
        if let Some(mac) = self.link_addr {
            let kind = if self.icmp_type == Self::SOLICITATION {
                1
            } else {
                2
            };
            m.extend_from_slice(&[kind, 1]);
            m.extend_from_slice(&mac);
        }
        let pseudo =
            checksum::pseudo_header(IpAddr::V6(src), IpAddr::V6(dst), proto::ICMPV6, m.len());
        let sum = checksum::finish(checksum::sum(pseudo, &m));
        m[2..4].copy_from_slice(&sum.to_be_bytes());
        m
    }

    /// The solicited-node multicast group of `target`, and its MAC.
    pub fn solicited_node(target: Ipv6Addr) -> (Ipv6Addr, Mac) {
        let t = target.octets();
        let group = Ipv6Addr::from([
            0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15],
        ]);
        (group, [0x33, 0x33, 0xff, t[13], t[14], t[15]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: Mac = [2, 0, 0, 0, 0, 1];

    /// Who has 198.18.0.2? Tell 198.18.0.1 (02:00:00:00:00:01).
    const ARP_REQUEST: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4,
        0, 1, 2, 0, 0, 0, 0, 1, 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 198, 18, 0, 2,
    ];

    #[test]
    fn arp_view_and_emitter_agree_both_ways() {
        let eth = EthernetView::parse(&ARP_REQUEST).unwrap();
        assert_eq!(
            (eth.dst, eth.src, eth.ethertype),
            (BROADCAST, OWN, ethertype::ARP)
        );
        let arp = Arp::parse(eth.payload).unwrap();
        assert_eq!(arp.op, Arp::REQUEST);
        assert_eq!(arp.target_ip, Ipv4Addr::new(198, 18, 0, 2));
        let header = EthernetHeader {
            dst: eth.dst,
            src: eth.src,
            ethertype: eth.ethertype,
        };
        assert_eq!(header.frame(&arp.bytes()), ARP_REQUEST);
        assert!(Arp::parse(&ARP_REQUEST[14..41]).is_err());
        let mut not_ipv4 = ARP_REQUEST;
        not_ipv4[17] = 0xdd;
        assert!(Arp::parse(&not_ipv4[14..]).is_err());
    }

    /// A solicitation for 2001:db8::2 from 2001:db8::1 (02:00:00:00:00:01)
    /// to its solicited-node group.
    const SOLICITATION: [u8; 32] = [
        135, 0, 0x1c, 0x27, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
        1, 1, 2, 0, 0, 0, 0, 1,
    ];

    #[test]
    fn neighbor_discovery_view_and_emitter_agree_both_ways() {
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let target: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let (group, mac) = Neighbor::solicited_node(target);
        assert_eq!(group, "ff02::1:ff00:2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(mac, [0x33, 0x33, 0xff, 0, 0, 2]);
        let ns = Neighbor::parse(&SOLICITATION).unwrap();
        assert_eq!(
            ns,
            Neighbor {
                icmp_type: Neighbor::SOLICITATION,
                flags: 0,
                target,
                link_addr: Some(OWN),
            }
        );
        assert_eq!(ns.message(src, group), SOLICITATION);
        let na = Neighbor {
            icmp_type: Neighbor::ADVERTISEMENT,
            flags: 0x6000_0000,
            target,
            link_addr: Some([2, 0, 0, 0, 0, 2]),
        };
        assert_eq!(Neighbor::parse(&na.message(target, src)).unwrap(), na);
        assert!(Neighbor::parse(&SOLICITATION[..23]).is_err());
        let mut bad_option = SOLICITATION;
        bad_option[25] = 0; // an option of length 0 ends the options
        assert_eq!(Neighbor::parse(&bad_option).unwrap().link_addr, None);
    }
}
