//! Link-layer headers in front of captured IP packets.
//!
//! Pure byte offsets; must not depend on libpcap handles, the engine or
//! the reports.

/// libpcap link types tracetcp reads (DLT values as live handles report
/// them, and LINKTYPE values as files store them).
pub mod linktype {
    pub const NULL: i32 = 0;
    pub const ETHERNET: i32 = 1;
    pub const PPP: i32 = 9;
    pub const RAW_DLT: i32 = 12;
    /// DLT_RAW as OpenBSD numbers it.
    pub const RAW_OPENBSD: i32 = 14;
    /// PPP in HDLC-like framing (RFC 1662), as serial links capture it.
    pub const PPP_HDLC: i32 = 50;
    pub const RAW: i32 = 101;
    /// Cisco HDLC: address, control, then an Ethernet type.
    pub const C_HDLC: i32 = 104;
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
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;

pub fn is_supported(linktype: i32) -> bool {
    use linktype::*;
    matches!(
        linktype,
        NULL | LOOP
            | ETHERNET
            | PPP
            | RAW_DLT
            | RAW_OPENBSD
            | PPP_HDLC
            | RAW
            | C_HDLC
            | LINUX_SLL
            | IPV4
            | IPV6
            | LINUX_SLL2
    )
}

/// The name of a link type, for messages (tcpdump's names).
pub fn name(linktype: i32) -> &'static str {
    use linktype::*;
    match linktype {
        NULL => "BSD loopback",
        ETHERNET => "Ethernet",
        PPP => "PPP",
        RAW_DLT | RAW_OPENBSD | RAW => "raw IP",
        PPP_HDLC => "PPP in HDLC framing",
        C_HDLC => "Cisco HDLC",
        LOOP => "OpenBSD loopback",
        LINUX_SLL => "Linux cooked v1",
        IPV4 => "raw IPv4",
        IPV6 => "raw IPv6",
        LINUX_SLL2 => "Linux cooked v2",
        6 => "Token Ring",
        10 => "FDDI",
        105 => "IEEE 802.11",
        127 => "802.11 radiotap",
        147..=162 => "user-defined",
        192 => "PPI",
        _ => "unknown",
    }
}

/// A PPP protocol number's IP version: 0x0021 IPv4, 0x0057 IPv6.
fn ppp_is_ip(protocol: u16) -> bool {
    matches!(protocol, 0x0021 | 0x0057)
}

/// Where IP starts behind a PPP header: the address and control bytes
/// (0xff 0x03) may be left out, and the protocol compressed to one byte.
fn ppp_offset(frame: &[u8]) -> Option<usize> {
    let at = if frame.get(..2)? == [0xff, 0x03] {
        2
    } else {
        0
    };
    let first = *frame.get(at)?;
    if first & 1 == 1 {
        // One byte: 0x21 or 0x57.
        ppp_is_ip(u16::from(first)).then_some(at + 1)
    } else {
        ppp_is_ip(be16(frame, at)?).then_some(at + 2)
    }
}

/// Past any 802.1Q / 802.1ad tags from the Ethernet type at `at`: where
/// IP starts, if that is what it carries.
fn after_tags(frame: &[u8], mut at: usize) -> Option<usize> {
    let mut t = be16(frame, at)?;
    while matches!(t, ETHERTYPE_VLAN | ETHERTYPE_QINQ) {
        at += 4;
        t = be16(frame, at)?;
    }
    if matches!(t, ETHERTYPE_MPLS | ETHERTYPE_MPLS_MULTICAST) {
        // Label stack entries up to the bottom of the stack, then IP
        // (captured inside an MPLS core).
        at += 2;
        while frame.get(at + 2)? & 1 == 0 {
            at += 4;
        }
        let next = at + 4;
        return matches!(frame.get(next)? >> 4, 4 | 6).then_some(next);
    }
    matches!(t, ETHERTYPE_IPV4 | ETHERTYPE_IPV6).then_some(at + 2)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Where the IP packet starts in a frame of this link type; `None` when
/// the frame carries no IPv4 or IPv6 packet.
pub fn ip_offset(linktype: i32, frame: &[u8]) -> Option<usize> {
    use linktype::*;
    let offset = match linktype {
        RAW_DLT | RAW_OPENBSD | RAW | IPV4 | IPV6 => 0,
        PPP | PPP_HDLC => ppp_offset(frame)?,
        C_HDLC => after_tags(frame, 2)?,
        NULL | LOOP => {
            // The address family in host (NULL) or network (LOOP) byte
            // order: 2 (AF_INET) or 10/24/28/30 (AF_INET6)
            let af = u32::from_ne_bytes(frame.get(..4)?.try_into().ok()?);
            let af = if af > 0xffff { af.swap_bytes() } else { af };
            matches!(af, 2 | 10 | 24 | 28 | 30).then_some(4)?
        }
        ETHERNET => after_tags(frame, 12)?,
        // Cooked captures keep a VLAN tag after the header, the protocol
        // field then saying 802.1Q.
        LINUX_SLL => match be16(frame, 14)? {
            ETHERTYPE_VLAN | ETHERTYPE_QINQ => after_tags(frame, 18)?,
            t => matches!(t, ETHERTYPE_IPV4 | ETHERTYPE_IPV6).then_some(16)?,
        },
        LINUX_SLL2 => match be16(frame, 0)? {
            ETHERTYPE_VLAN | ETHERTYPE_QINQ => after_tags(frame, 22)?,
            t => matches!(t, ETHERTYPE_IPV4 | ETHERTYPE_IPV6).then_some(20)?,
        },
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
        // PPP, with and without address and control, protocol compressed.
        let ppp = [&[0xff, 0x03, 0x00, 0x21][..], &ip].concat();
        assert_eq!(ip_offset(linktype::PPP, &ppp), Some(4));
        assert_eq!(ip_offset(linktype::PPP_HDLC, &ppp), Some(4));
        let bare = [&[0x00, 0x57][..], &ip].concat();
        assert_eq!(ip_offset(linktype::PPP, &bare), Some(2));
        let short = [&[0x21][..], &ip].concat();
        assert_eq!(ip_offset(linktype::PPP, &short), Some(1));
        let lcp = [&[0xff, 0x03, 0xc0, 0x21][..], &ip].concat();
        assert_eq!(ip_offset(linktype::PPP, &lcp), None);
        let chdlc = [&[0x0f, 0x00, 0x08, 0x00][..], &ip].concat();
        assert_eq!(ip_offset(linktype::C_HDLC, &chdlc), Some(4));
        assert_eq!(ip_offset(linktype::RAW_OPENBSD, &ip), Some(0));
        // Cooked, a VLAN tag kept.
        let mut sll_vlan = vec![0u8; 14];
        sll_vlan.extend_from_slice(&[0x81, 0x00, 0, 7, 0x08, 0x00]);
        sll_vlan.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::LINUX_SLL, &sll_vlan), Some(20));
        let mut sll2_vlan = vec![0x81, 0x00];
        sll2_vlan.extend_from_slice(&[0; 18]);
        sll2_vlan.extend_from_slice(&[0, 7, 0x86, 0xdd]);
        sll2_vlan.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::LINUX_SLL2, &sll2_vlan), Some(24));
        for lt in [linktype::PPP, linktype::C_HDLC, linktype::LINUX_SLL2] {
            for len in 0..ppp.len() {
                let _ = ip_offset(lt, &ppp[..len]);
                let _ = ip_offset(lt, &sll2_vlan[..len]);
            }
        }
        assert!(is_supported(linktype::PPP) && is_supported(linktype::C_HDLC));
        // Ethernet carrying MPLS: two labels, then IP.
        let mut mpls = vec![0u8; 12];
        mpls.extend_from_slice(&[0x88, 0x47, 0, 0x01, 0x20, 0x40, 0, 0x01, 0x31, 0x40]);
        mpls.extend_from_slice(&ip);
        assert_eq!(ip_offset(linktype::ETHERNET, &mpls), Some(22));
        for len in 0..mpls.len() {
            let _ = ip_offset(linktype::ETHERNET, &mpls[..len]);
        }
        assert_eq!(name(9), "PPP");
        assert_eq!(name(127), "802.11 radiotap");
        for len in 0..eth.len() {
            let _ = ip_offset(linktype::ETHERNET, &eth[..len]);
            let _ = ip_offset(linktype::LINUX_SLL2, &sll2[..len.min(sll2.len())]);
        }
    }
}
