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
