//! How a packet finds its target: by the address it is about, looked up
//! among the targets running, never offered to each of them.
//!
//! Part of `many`: no I/O.

use std::net::IpAddr;
use tracetcp_strategies::wire::{IcmpView, IpView, Quoting};

/// The address a packet is about: a probe's destination (from our
/// `source`), the destination quoted by an ICMP error, or the target
/// that answered.
pub(super) fn about(packet: &[u8], source: IpAddr) -> Option<IpAddr> {
    let ip = IpView::parse(packet, Quoting::Whole).ok()?;
    if ip.src == source {
        return Some(ip.dst);
    }
    if ip.protocol == ip.icmp_protocol() {
        let icmp = IcmpView::parse(ip.payload).ok()?;
        let error = if ip.is_v6() {
            icmp.icmp_type < 128
        } else {
            matches!(icmp.icmp_type, 3 | 11 | 12)
        };
        if error {
            return IpView::parse(icmp.body, Quoting::Quoted)
                .ok()
                .map(|q| q.dst);
        }
    }
    Some(ip.src)
}
