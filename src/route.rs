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
    let devices =
        pcap::Device::list().map_err(|e| Error::Capture(format!("listing interfaces: {e}")))?;
    let local = dst.is_loopback()
        || devices
            .iter()
            .any(|d| d.addresses.iter().any(|a| a.addr == dst));
    let loopback = || devices.iter().find(|d| d.flags.is_loopback());
    match name {
        Some(n) => {
            let d = devices
                .iter()
                .find(|d| d.name == n)
                .ok_or_else(|| Error::NoSuchInterface(n.to_string()))?;
            if d.flags.is_loopback() && !local {
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
            .find(|d| d.addresses.iter().any(|a| a.addr == src))
            .map(|d| d.name.clone())
            .ok_or_else(|| {
                Error::Network(format!(
                    "no interface holds the source address {src} (use -i)"
                ))
            }),
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
