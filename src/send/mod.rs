//! Putting probes on the wire: raw IP sockets (the default on Linux) or
//! Ethernet frames injected through libpcap (the original tool's way).

mod inject;
mod neighbor;
mod raw;

pub use inject::InjectSender;
pub use raw::RawSender;

use crate::error::Result;
use std::net::IpAddr;

/// Sends whole IP packets (our own headers included).
pub trait Sender: Send {
    fn send(&mut self, packet: &[u8], dst: IpAddr) -> Result<()>;
}
