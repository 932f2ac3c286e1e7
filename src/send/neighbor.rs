//! Next hop and its MAC address, for injected frames.
//!
//! Builds and reads ARP and neighbour discovery through the strategies
//! crate's wire views; must not depend on the engine.

use crate::error::{Error, Result};
use pcap::{Active, Capture};
use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};
use tracetcp_strategies::answer::ip_packet;
use tracetcp_strategies::wire::{checksum, proto};

pub type Mac = [u8; 6];

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

/// ARP request (IPv4) or neighbour solicitation (IPv6), three tries.
fn solicit(cap: &mut Capture<Active>, own: Mac, src: IpAddr, target: IpAddr) -> Result<Mac> {
    let filter = if target.is_ipv6() {
        "icmp6 and ip6[40] == 136"
    } else {
        "arp"
    };
    cap.filter(filter, true)
        .map_err(|e| Error::Capture(format!("BPF filter '{filter}': {e}")))?;
    let request = match (src, target) {
        (IpAddr::V4(s), IpAddr::V4(t)) => arp_request(own, s.octets(), t.octets()),
        (IpAddr::V6(_), IpAddr::V6(_)) => neighbour_solicitation(own, src, target),
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
                Err(pcap::Error::TimeoutExpired) => {}
                Err(e) => {
                    return Err(Error::Capture(format!(
                        "waiting for the gateway's MAC address: {e}"
                    )))
                }
            }
        }
    }
    Err(Error::Network(format!(
        "{target} did not answer ARP / neighbour discovery (use -R or -g)"
    )))
}

fn arp_request(own: Mac, src: [u8; 4], target: [u8; 4]) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&own);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f.extend_from_slice(&own);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target);
    f
}

fn neighbour_solicitation(own: Mac, src: IpAddr, target: IpAddr) -> Vec<u8> {
    let IpAddr::V6(t) = target else {
        return Vec::new();
    };
    let t = t.octets();
    let group: IpAddr = std::net::Ipv6Addr::from([
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15],
    ])
    .into();
    let mut m = vec![135, 0, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&t);
    m.extend_from_slice(&[1, 1]);
    m.extend_from_slice(&own);
    let sum = checksum::finish(checksum::sum(
        checksum::pseudo_header(src, group, proto::ICMPV6, m.len()),
        &m,
    ));
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    let mut packet = ip_packet(src, group, proto::ICMPV6, &m);
    packet[7] = 255; // neighbour discovery requires hop limit 255
    let mut f = vec![0x33, 0x33, 0xff, t[13], t[14], t[15]];
    f.extend_from_slice(&own);
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&packet);
    f
}

/// The MAC in an ARP reply or neighbour advertisement for `target`.
fn answer_mac(frame: &[u8], target: IpAddr) -> Option<Mac> {
    match target {
        IpAddr::V4(t) => {
            let arp = frame.get(14..42)?;
            (arp[7] == 2 && arp[14..18] == t.octets()).then(|| arp[8..14].try_into().ok())?
        }
        IpAddr::V6(t) => {
            let icmp = frame.get(54..)?;
            if icmp.first() != Some(&136) || icmp.get(8..24)? != t.octets() {
                return None;
            }
            // options after the 24-byte message: type 2 = target link-layer address
            let mut at = 24;
            while let (Some(&kind), Some(&len)) = (icmp.get(at), icmp.get(at + 1)) {
                if kind == 2 {
                    return icmp.get(at + 2..at + 8)?.try_into().ok();
                }
                if len == 0 {
                    break;
                }
                at += usize::from(len) * 8;
            }
            // no option: the frame's own source address
            frame.get(6..12)?.try_into().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_round_trip() {
        let own = [2, 0, 0, 0, 0, 1];
        let req = arp_request(own, [198, 18, 0, 1], [198, 18, 0, 2]);
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
        let f = neighbour_solicitation(
            own,
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        assert_eq!(&f[..6], &[0x33, 0x33, 0xff, 0, 0, 2]);
        assert_eq!(f[14 + 7], 255);
        assert_eq!(f[54], 135);
        assert_eq!(parse_mac("02:00:00:00:00:0a"), Some([2, 0, 0, 0, 0, 10]));
    }
}
