//! Raw IP sockets through pnet. IPv4: IPPROTO_RAW, which implies
//! IP_HDRINCL (the kernel fills only the total length, the checksum and a
//! zero identification). IPv6: an AF_INET6 IPPROTO_RAW socket, which Linux
//! treats as header-included, so our hop limit and flow label go out as
//! built. Both sockets only send: IPPROTO_RAW receives nothing.
//!
//! Must not depend on the engine or the reports.

use super::Sender;
use crate::error::{Error, Result};
use pnet::packet::ip::IpNextHeaderProtocol;
use pnet::packet::ipv4::Ipv4Packet;
use pnet::packet::ipv6::Ipv6Packet;
use pnet::transport::{
    transport_channel, TransportChannelType, TransportProtocol, TransportSender,
};
use std::net::IpAddr;

const IPPROTO_RAW: u8 = 255;

pub struct RawSender {
    tx: TransportSender,
}

impl RawSender {
    pub fn open(v6: bool) -> Result<Self> {
        let proto = IpNextHeaderProtocol(IPPROTO_RAW);
        let kind = if v6 {
            TransportChannelType::Layer4(TransportProtocol::Ipv6(proto))
        } else {
            TransportChannelType::Layer3(proto)
        };
        let (tx, _rx) =
            transport_channel(0, kind).map_err(|e| Error::from_io("opening a raw socket", &e))?;
        Ok(RawSender { tx })
    }
}

impl Sender for RawSender {
    fn send(&mut self, packet: &[u8], dst: IpAddr) -> Result<()> {
        let short = || Error::Network("probe shorter than an IP header".into());
        let sent = match dst {
            IpAddr::V4(_) => self
                .tx
                .send_to(Ipv4Packet::new(packet).ok_or_else(short)?, dst),
            IpAddr::V6(_) => self
                .tx
                .send_to(Ipv6Packet::new(packet).ok_or_else(short)?, dst),
        };
        sent.map(|_| ())
            .map_err(|e| Error::from_io(&format!("sending to {dst}"), &e))
    }
}
