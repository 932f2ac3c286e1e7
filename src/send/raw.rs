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
        probe_mtu(tx.socket.fd, v6)?;
        Ok(RawSender { tx })
    }
}

/// Path MTU probing on the socket (`IP_PMTUDISC_PROBE`, as tracepath
/// sets it): the kernel sends a probe of any size up to the interface's
/// MTU as built, ignoring the path MTU it learnt from "fragmentation
/// needed" / "packet too big" (without it, a bigger probe to a
/// destination it learnt a smaller MTU for fails with EMSGSIZE, or is
/// dropped on the way out).
fn probe_mtu(fd: libc::c_int, v6: bool) -> Result<()> {
    let (level, name, value) = if v6 {
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_PROBE,
        )
    } else {
        (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_PROBE,
        )
    };
    let set = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if set != 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::from_io(
            "setting path MTU probing on the raw socket",
            &e,
        ));
    }
    Ok(())
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
