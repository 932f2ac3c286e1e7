//! Next hop and its MAC address, for injected frames.
//!
//! Builds and reads ARP and neighbour discovery through the strategies
//! crate's wire views; must not depend on the engine.

use crate::error::{Error, Result};
use pcap::{Active, Capture};
use std::net::IpAddr;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::{Duration, Instant};
use tracetcp_strategies::wire::neighbor::{
    ethertype, Arp, EthernetHeader, EthernetView, Mac, Neighbor, BROADCAST,
};
use tracetcp_strategies::wire::{proto, IpHeader, IpView, Quoting};

pub fn mac_text(m: &Mac) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn parse_mac(s: &str) -> Option<Mac> {
    let bytes: Vec<u8> = s
        .split(':')
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    bytes.try_into().ok()
}

pub fn interface_mac(device: &str) -> Result<Mac> {
    let path = format!("/sys/class/net/{device}/address");
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| parse_mac(s.trim()))
        .ok_or_else(|| Error::Network(format!("no MAC address for {device}")))
}

fn ip_command(args: &[&str]) -> Result<String> {
    let out = Command::new("ip").args(args).output().map_err(|e| {
        Error::Network(format!(
            "running ip {}: {e} (install iproute2)",
            args.join(" ")
        ))
    })?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The gateway the routing table names for `dst`, or `dst` when on-link.
pub fn next_hop(dst: IpAddr) -> Result<IpAddr> {
    let text = ip_command(&["route", "get", &dst.to_string()])?;
    let words: Vec<&str> = text.split_whitespace().collect();
    let via = words
        .windows(2)
        .find(|w| w[0] == "via")
        .and_then(|w| w[1].parse().ok());
    if words.is_empty() {
        return Err(Error::Network(format!("no route to {dst}")));
    }
    Ok(via.unwrap_or(dst))
}

/// The MAC of `addr`: from the neighbour table, else by asking on the link.
pub fn resolve(
    cap: &mut Capture<Active>,
    device: &str,
    own: Mac,
    src: IpAddr,
    addr: IpAddr,
) -> Result<Mac> {
    let text = ip_command(&["neigh", "show", "to", &addr.to_string(), "dev", device])?;
    let known = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[0] == "lladdr")
        .and_then(|w| parse_mac(w[1]));
    if let Some(mac) = known {
        return Ok(mac);
    }
    solicit(cap, own, src, addr)
}

/// How often a wait for an answer looks at the capture.
const POLL: Duration = Duration::from_millis(10);

/// ARP request (IPv4) or neighbour solicitation (IPv6), three tries a
/// second apart. `cap` must be non-blocking (libpcap in immediate mode
/// may wait forever for a packet on a quiet link): a gateway that never
/// answers costs three seconds.
fn solicit(cap: &mut Capture<Active>, own: Mac, src: IpAddr, target: IpAddr) -> Result<Mac> {
    let filter = if target.is_ipv6() {
        "icmp6 and ip6[40] == 136"
    } else {
        "arp"
    };
    cap.filter(filter, true)
        .map_err(|e| Error::Capture(format!("BPF filter '{filter}': {e}")))?;
    let request = match (src, target) {
        (IpAddr::V4(s), IpAddr::V4(t)) => arp_request(own, s, t),
        (IpAddr::V6(s), IpAddr::V6(t)) => neighbour_solicitation(own, s, t),
        _ => {
            return Err(Error::Usage(
                "gateway and target are of different families".into(),
            ))
        }
    };
    for _ in 0..3 {
        cap.sendpacket(request.as_slice())
            .map_err(|e| Error::Network(format!("asking for the gateway's MAC address: {e}")))?;
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            match cap.next_packet() {
                Ok(p) => {
                    if let Some(mac) = answer_mac(p.data, target) {
                        return Ok(mac);
                    }
                }
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                    std::thread::sleep(POLL)
                }
                Err(e) => {
                    return Err(Error::Capture(format!(
                        "waiting for the gateway's MAC address: {e}"
                    )))
                }
            }
        }
    }
    Err(Error::Network(format!(
        "{target} did not answer ARP / neighbour discovery after 3 tries in 3 s \
         (a dead gateway? give another with -g, or send with -R)"
    )))
}

/// Who has `target`? Tell `src` (broadcast).
fn arp_request(own: Mac, src: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let arp = Arp {
        op: Arp::REQUEST,
        sender_mac: own,
        sender_ip: src,
        target_mac: [0; 6],
        target_ip: target,
    };
    EthernetHeader {
        dst: BROADCAST,
        src: own,
        ethertype: ethertype::ARP,
    }
    .frame(&arp.bytes())
}

/// A neighbour solicitation for `target` to its solicited-node group.
fn neighbour_solicitation(own: Mac, src: Ipv6Addr, target: Ipv6Addr) -> Vec<u8> {
    let (group, group_mac) = Neighbor::solicited_node(target);
    let ns = Neighbor {
        icmp_type: Neighbor::SOLICITATION,
        flags: 0,
        target,
        link_addr: Some(own),
    };
    // neighbour discovery requires hop limit 255
    let packet = IpHeader::plain(IpAddr::V6(src), IpAddr::V6(group), proto::ICMPV6, 255)
        .packet(&ns.message(src, group));
    EthernetHeader {
        dst: group_mac,
        src: own,
        ethertype: ethertype::IPV6,
    }
    .frame(&packet)
}

/// The MAC in an ARP reply or neighbour advertisement for `target`.
fn answer_mac(frame: &[u8], target: IpAddr) -> Option<Mac> {
    let eth = EthernetView::parse(frame).ok()?;
    match (target, eth.ethertype) {
        (IpAddr::V4(t), ethertype::ARP) => {
            let arp = Arp::parse(eth.payload).ok()?;
            (arp.op == Arp::REPLY && arp.sender_ip == t).then_some(arp.sender_mac)
        }
        (IpAddr::V6(t), ethertype::IPV6) => {
            let ip = IpView::parse(eth.payload, Quoting::Whole).ok()?;
            let na = Neighbor::parse(ip.payload).ok()?;
            if ip.protocol != proto::ICMPV6
                || na.icmp_type != Neighbor::ADVERTISEMENT
                || na.target != t
            {
                return None;
            }
            // no target link-layer option: the frame's own source address
            Some(na.link_addr.unwrap_or(eth.src))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_round_trip() {
        let own = [2, 0, 0, 0, 0, 1];
        let req = arp_request(
            own,
            Ipv4Addr::new(198, 18, 0, 1),
            Ipv4Addr::new(198, 18, 0, 2),
        );
        assert_eq!(req.len(), 42);
        let mut reply = req.clone();
        reply[21] = 2; // oper: reply
        reply[22..28].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
        reply[28..32].copy_from_slice(&[198, 18, 0, 2]);
        assert_eq!(
            answer_mac(&reply, "198.18.0.2".parse().unwrap()),
            Some([2, 0, 0, 0, 0, 2])
        );
        assert_eq!(answer_mac(&reply, "198.18.0.3".parse().unwrap()), None);
        assert_eq!(answer_mac(&req[..20], "198.18.0.2".parse().unwrap()), None);
    }

    #[test]
    fn solicitation_is_well_formed() {
        let own = [2, 0, 0, 0, 0, 1];
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let target: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let f = neighbour_solicitation(own, src, target);
        assert_eq!(&f[..6], &[0x33, 0x33, 0xff, 0, 0, 2]);
        assert_eq!(f[14 + 7], 255);
        assert_eq!(f[54], 135);
        // An advertisement answering it, built by the same wire module.
        let na = Neighbor {
            icmp_type: Neighbor::ADVERTISEMENT,
            flags: 0x6000_0000,
            target,
            link_addr: Some([2, 0, 0, 0, 0, 2]),
        };
        let packet = IpHeader::plain(IpAddr::V6(target), IpAddr::V6(src), proto::ICMPV6, 255)
            .packet(&na.message(target, src));
        let frame = EthernetHeader {
            dst: own,
            src: [2, 0, 0, 0, 0, 2],
            ethertype: ethertype::IPV6,
        }
        .frame(&packet);
        assert_eq!(
            answer_mac(&frame, IpAddr::V6(target)),
            Some([2, 0, 0, 0, 0, 2])
        );
        assert_eq!(answer_mac(&frame, IpAddr::V6(src)), None);
        assert_eq!(parse_mac("02:00:00:00:00:0a"), Some([2, 0, 0, 0, 0, 10]));
    }
}
