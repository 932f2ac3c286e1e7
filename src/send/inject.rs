//! Ethernet frames injected through a libpcap handle: the original tool's
//! way of sending. The frame goes to the next hop's MAC address (the
//! gateway from -g or the routing table, resolved through the neighbour
//! table or an ARP / neighbour-discovery exchange).
//!
//! Must not depend on the engine or the reports.

use super::neighbor;
use super::Sender;
use crate::capture::check_device;
use crate::error::{Error, Result};
use pcap::{Active, Capture};
use std::net::IpAddr;

pub struct InjectSender {
    cap: Capture<Active>,
    header: [u8; 14],
}

impl InjectSender {
    /// A sender on `device` toward `dst` from `src`, through `gateway` if given.
    pub fn open(device: &str, src: IpAddr, dst: IpAddr, gateway: Option<IpAddr>) -> Result<Self> {
        let what = format!("injecting on {device}");
        check_device(device, &what)?;
        let mut cap = Capture::from_device(device)
            // Non-blocking: asking for the gateway's MAC address polls.
            .and_then(|c| c.immediate_mode(true).timeout(50).open()?.setnonblock())
            .map_err(|e| Error::Capture(format!("{what}: {e}")))?;
        if cap.get_datalink().0 != crate::capture::link::linktype::ETHERNET {
            return Err(Error::Usage(format!(
                "{device} is not an Ethernet interface: frames cannot be injected there (use -R)"
            )));
        }
        let own = neighbor::interface_mac(device)?;
        let next_hop = match gateway {
            Some(g) => g,
            None => neighbor::next_hop(dst)?,
        };
        let theirs = neighbor::resolve(&mut cap, device, own, src, next_hop)?;
        let mut header = [0u8; 14];
        header[..6].copy_from_slice(&theirs);
        header[6..12].copy_from_slice(&own);
        let ethertype: u16 = if dst.is_ipv6() { 0x86dd } else { 0x0800 };
        header[12..].copy_from_slice(&ethertype.to_be_bytes());
        log::info!(
            "injecting on {device} to {next_hop} ({})",
            neighbor::mac_text(&theirs)
        );
        Ok(InjectSender { cap, header })
    }
}

impl Sender for InjectSender {
    fn send(&mut self, packet: &[u8], dst: IpAddr) -> Result<()> {
        let mut frame = Vec::with_capacity(14 + packet.len());
        frame.extend_from_slice(&self.header);
        frame.extend_from_slice(packet);
        self.cap
            .sendpacket(frame)
            .map_err(|e| Error::Network(format!("injecting a probe to {dst}: {e}")))
    }
}
