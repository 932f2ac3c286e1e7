//! Putting probes on the wire: raw IP sockets (the default on Linux) or
//! Ethernet frames injected through libpcap (the original tool's way).
//!
//! Owns the Sender seam and SendMethod; must not depend on the engine, the
//! driver or the reports.

mod inject;
mod neighbor;
mod raw;

pub use inject::InjectSender;
pub use raw::RawSender;

use crate::error::Result;
use std::net::IpAddr;

/// How probes leave the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMethod {
    /// Raw IP sockets: the kernel routes and resolves the next hop.
    Raw,
    /// Ethernet frames injected through libpcap, to `gateway` if given.
    Inject { gateway: Option<IpAddr> },
    /// Ordinary sockets, as a user without privileges may (`sockets/`).
    Sockets,
}

/// Sends whole IP packets (our own headers included).
pub trait Sender {
    fn send(&mut self, packet: &[u8], dst: IpAddr) -> Result<()>;
}
