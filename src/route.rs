//! Which source address and which interface reach a destination.
//!
//! Owns routing look-ups for a live run; must not depend on the engine or
//! the reports.

use crate::error::{Error, Result};
use std::net::{IpAddr, SocketAddr, UdpSocket};

/// The source address the kernel would use toward `dst`: connect a UDP
/// socket (which sends nothing) and read its local address.
pub fn source_for(dst: IpAddr) -> Result<IpAddr> {
    let bind: SocketAddr = if dst.is_ipv6() {
        "[::]:0".parse().expect("literal")
    } else {
        "0.0.0.0:0".parse().expect("literal")
    };
    let sock = UdpSocket::bind(bind).map_err(|e| Error::Network(format!("socket: {e}")))?;
    sock.connect(SocketAddr::new(dst, 9))
        .map_err(|e| Error::Network(format!("no route to {dst}: {e}")))?;
    let local = sock
        .local_addr()
        .map_err(|e| Error::Network(format!("no route to {dst}: {e}")))?;
    Ok(local.ip())
}

/// The device of the default route (IPv6's with `v6`), lowest metric
/// first: where a host name will most likely route, guessed before the
/// name resolves. `None` without one.
pub fn default_device(v6: bool) -> Option<String> {
    if v6 {
        default_in_v6(&std::fs::read_to_string("/proc/net/ipv6_route").ok()?)
    } else {
        default_in_v4(&std::fs::read_to_string("/proc/net/route").ok()?)
    }
}

/// A route is up (RTF_UP), and not a reject route (RTF_REJECT).
const RTF_UP: u32 = 0x0001;
const RTF_REJECT: u32 = 0x0200;

/// The interface of the default route in /proc/net/route's text:
/// `Iface Destination Gateway Flags RefCnt Use Metric Mask ...`, in hex.
fn default_in_v4(table: &str) -> Option<String> {
    let routes = table.lines().skip(1).filter_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let flags = u32::from_str_radix(f.get(3)?, 16).ok()?;
        let metric: u32 = f.get(6)?.parse().ok()?;
        let default = f.get(1)? == &"00000000" && f.get(7)? == &"00000000";
        let usable = flags & RTF_UP != 0 && flags & RTF_REJECT == 0;
        (default && usable).then(|| (metric, f[0].to_string()))
    });
    routes.min().map(|(_, device)| device)
}

/// The interface of the default route in /proc/net/ipv6_route's text:
/// `dest plen src plen next-hop metric refcnt use flags iface`, in hex.
fn default_in_v6(table: &str) -> Option<String> {
    let routes = table.lines().filter_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let metric = u32::from_str_radix(f.get(5)?, 16).ok()?;
        let flags = u32::from_str_radix(f.get(8)?, 16).ok()?;
        let device = f.get(9)?;
        let default = f[0].bytes().all(|b| b == b'0') && f[1] == "00";
        let usable = flags & RTF_UP != 0 && flags & RTF_REJECT == 0;
        (default && usable).then(|| (metric, device.to_string()))
    });
    routes.min().map(|(_, device)| device)
}

/// The capture device: the one named, or the one holding `src`; for a
/// target on this host (its own address, or loopback), the loopback
/// device, where the kernel hands such packets.
pub fn device_for(src: IpAddr, dst: IpAddr, name: Option<&str>) -> Result<String> {
    let devices = interfaces()?;
    let local = dst.is_loopback() || devices.iter().any(|d| d.addresses.contains(&dst));
    let loopback = || devices.iter().find(|d| d.loopback);
    match name {
        // libpcap's pseudo-device: every interface.
        Some("any") => Ok("any".to_string()),
        Some(n) => {
            let d = devices
                .iter()
                .find(|d| d.name == n)
                .ok_or_else(|| Error::NoSuchInterface(n.to_string()))?;
            if d.loopback && !local {
                return Err(Error::Usage(format!(
                    "-i {n}: the loopback device carries only this host's own traffic, \
                     and {dst} is not on this host"
                )));
            }
            Ok(d.name.clone())
        }
        None if local => loopback().map(|d| d.name.clone()).ok_or_else(|| {
            Error::Network(format!("{dst} is on this host, but no loopback device"))
        }),
        None => devices
            .iter()
            .find(|d| d.addresses.contains(&src))
            .map(|d| d.name.clone())
            .ok_or_else(|| {
                Error::Network(format!(
                    "no interface holds the source address {src} (use -i)"
                ))
            }),
    }
}

/// An interface, its addresses, and whether it is the loopback.
#[derive(Debug, Default)]
struct Interface {
    name: String,
    loopback: bool,
    addresses: Vec<IpAddr>,
}

/// Every interface with its addresses, from getifaddrs(3): what libpcap's
/// device list says, without the 2-3 ms it spends probing for USB,
/// Bluetooth and netfilter capture devices.
fn interfaces() -> Result<Vec<Interface>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list freed below.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::Network(format!("listing interfaces: {e}")));
    }
    let mut found: Vec<Interface> = Vec::new();
    let mut at = head;
    while !at.is_null() {
        // SAFETY: `at` is an element of the list getifaddrs returned.
        let entry = unsafe { &*at };
        at = entry.ifa_next;
        if entry.ifa_name.is_null() {
            continue;
        }
        // SAFETY: a NUL-terminated name, owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.ifa_name) };
        let name = name.to_string_lossy().into_owned();
        let address = address_of(entry.ifa_addr);
        let i = match found.iter().position(|d| d.name == name) {
            Some(i) => i,
            None => {
                found.push(Interface {
                    name,
                    ..Interface::default()
                });
                found.len() - 1
            }
        };
        found[i].loopback |= entry.ifa_flags & libc::IFF_LOOPBACK as u32 != 0;
        found[i].addresses.extend(address);
    }
    // SAFETY: the list from getifaddrs, freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(found)
}

/// The IP address in a socket address from getifaddrs, if it holds one.
fn address_of(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: `sa` points at a sockaddr whose family says its real type.
    unsafe {
        match i32::from((*sa).sa_family) {
            libc::AF_INET => {
                let v4 = &*(sa as *const libc::sockaddr_in);
                Some(IpAddr::from(u32::from_be(v4.sin_addr.s_addr).to_be_bytes()))
            }
            libc::AF_INET6 => {
                let v6 = &*(sa as *const libc::sockaddr_in6);
                Some(IpAddr::from(v6.sin6_addr.s6_addr))
            }
            _ => None,
        }
    }
}

/// The MTU of `device` for the family of `dst` (Linux keeps an IPv6 MTU
/// per interface that may be lower than the link's): the size `--mtu`
/// probes start at.
pub fn mtu_of(device: &str, v6: bool) -> Result<u16> {
    let path = if v6 {
        format!("/proc/sys/net/ipv6/conf/{device}/mtu")
    } else {
        format!("/sys/class/net/{device}/mtu")
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::Network(format!(
            "--mtu: cannot read the MTU of {device} ({path}: {e})"
        ))
    })?;
    let mtu: u32 = text
        .trim()
        .parse()
        .map_err(|_| Error::Network(format!("--mtu: {path} holds no MTU")))?;
    Ok(mtu.min(u32::from(u16::MAX)) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_route_with_the_lowest_metric_names_the_device() {
        let v4 =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                  wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n\
                  eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                  eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                  blackhole\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n";
        assert_eq!(default_in_v4(v4).as_deref(), Some("eth0"));
        let none = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n\
                    eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
        assert_eq!(default_in_v4(none), None);
        assert_eq!(default_in_v4(""), None);
        let zeros = "00000000000000000000000000000000";
        let v6 = format!(
            "fd000000000000000000000000000000 40 {zeros} 00 {zeros} 00000100 00000001 00000000 00000001 eth0\n\
             {zeros} 00 {zeros} 00 {zeros} ffffffff 00000001 00000000 00200200 lo\n\
             {zeros} 00 {zeros} 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003 eth1\n"
        );
        assert_eq!(default_in_v6(&v6).as_deref(), Some("eth1"));
        assert_eq!(default_in_v6("garbage\n1 2 3\n"), None);
    }

    #[test]
    fn the_loopback_is_listed_with_its_address() {
        let all = interfaces().unwrap();
        let lo = all.iter().find(|d| d.loopback).expect("a loopback device");
        assert!(
            lo.addresses.contains(&IpAddr::from([127, 0, 0, 1])),
            "{lo:?}"
        );
        assert!(all
            .iter()
            .filter(|d| !d.loopback)
            .all(|d| !d.name.is_empty()));
    }

    #[test]
    fn a_target_on_this_host_is_captured_on_the_loopback() {
        let home = IpAddr::from([127, 0, 0, 1]);
        let lo = interfaces()
            .unwrap()
            .into_iter()
            .find(|d| d.loopback)
            .unwrap();
        assert_eq!(device_for(home, home, None).unwrap(), lo.name);
        assert_eq!(device_for(home, home, Some("any")).unwrap(), "any");
        assert!(matches!(
            device_for(home, home, Some("no-such-if0")),
            Err(Error::NoSuchInterface(_))
        ));
    }
}
