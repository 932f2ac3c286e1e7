//! Link-layer headers in front of captured IP packets.
//!
//! Pure byte offsets; must not depend on libpcap handles, the engine or
//! the reports.

/// libpcap link types tracetcp reads (DLT values as live handles report
/// them, and LINKTYPE values as files store them).
pub mod linktype {
    pub const NULL: i32 = 0;
    pub const ETHERNET: i32 = 1;
    pub const RAW_DLT: i32 = 12;
    pub const RAW: i32 = 101;
    /// OpenBSD's loopback: NULL's header in network byte order.
    pub const LOOP: i32 = 108;
    pub const LINUX_SLL: i32 = 113;
    pub const IPV4: i32 = 228;
    pub const IPV6: i32 = 229;
    pub const LINUX_SLL2: i32 = 276;
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;

pub fn is_supported(linktype: i32) -> bool {
    use linktype::*;
    matches!(
        linktype,
        NULL | LOOP | ETHERNET | RAW_DLT | RAW | LINUX_SLL | IPV4 | IPV6 | LINUX_SLL2
    )
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Where the IP packet starts in a frame of this link type; `None` when
/// the frame carries no IPv4 or IPv6 packet.
pub fn ip_offset(linktype: i32, frame: &[u8]) -> Option<usize> {
    use linktype::*;
    let ip_type = |t: u16| matches!(t, ETHERTYPE_IPV4 | ETHERTYPE_IPV6);
    let offset = match linktype {
        RAW_DLT | RAW | IPV4 | IPV6 => 0,
        NULL | LOOP => {
            // The address family in host (NULL) or network (LOOP) byte
            // order: 2 (AF_INET) or 10/24/28/30 (AF_INET6)
            let af = u32::from_ne_bytes(frame.get(..4)?.try_into().ok()?);
            let af = if af > 0xffff { af.swap_bytes() } else { af };
            matches!(af, 2 | 10 | 24 | 28 | 30).then_some(4)?
        }
        ETHERNET => {
            let mut at = 12;
            let mut t = be16(frame, at)?;
            while matches!(t, ETHERTYPE_VLAN | ETHERTYPE_QINQ) {
                at += 4;
                t = be16(frame, at)?;
            }
            ip_type(t).then_some(at + 2)?
        }
        LINUX_SLL => ip_type(be16(frame, 14)?).then_some(16)?,
        LINUX_SLL2 => ip_type(be16(frame, 0)?).then_some(20)?,
        _ => return None,
    };
    (offset < frame.len()).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ip_behind_each_header() {
        let ip = [0x45u8, 0, 0, 20];
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::ETHERNET, &eth), Some(14));
        let mut vlan = vec![0u8; 12];
        vlan.extend_from_slice(&[0x81, 0x00, 0, 5, 0x86, 0xdd]);
        vlan.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::ETHERNET, &vlan), Some(18));
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 1, 2]);
        assert_eq!(ip_offset(linktype::ETHERNET, &arp), None);
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::LINUX_SLL, &sll), Some(16));
        let mut sll2 = vec![0x86, 0xdd];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::LINUX_SLL2, &sll2), Some(20));
        assert_eq!(ip_offset(linktype::RAW, &ip), Some(0));
        assert_eq!(ip_offset(linktype::RAW, &[]), None);
        let mut null = 2u32.to_ne_bytes().to_vec();
        null.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::NULL, &null), Some(4));
        let mut lo = 24u32.to_be_bytes().to_vec();
        lo.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::LOOP, &lo), Some(4));
        assert_eq!(ip_offset(147, &ip), None);
        for len in 0..eth.len() {
            let _ = ip_offset(linktype::ETHERNET, &eth[..len]);
            let _ = ip_offset(linktype::LINUX_SLL2, &sll2[..len.min(sll2.len())]);
        }
    }
}
