//! Checked views of the headers tracetcp reads and writes.
//!
//! Every view validates lengths once, when it is made; after that no
//! accessor can panic. Views copy the few header fields they expose, and
//! keep a borrowed slice of the payload.
//!
//! Pure bytes: must not depend on the strategies, sessions or anything
//! that does I/O.

pub mod checksum;
pub mod extension;
pub mod icmp;
mod ip;
mod l4;
pub mod neighbor;

pub use icmp::{ExtensionProblem, IcmpMessage, IcmpView};
pub use ip::{Extension, Extensions, IpHeader, IpView, Quoting};
pub use l4::{tcp_option, TcpFlags, TcpHeader, TcpOption, TcpView, UdpHeader, UdpView};

use std::fmt;

/// IANA protocol numbers that tracetcp deals with.
pub mod proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ICMPV6: u8 = 58;
}

/// Why bytes could not be read as the header they claim to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than the header needs.
    Truncated { need: usize, have: usize },
    /// The IP version nibble is neither 4 nor 6.
    BadVersion(u8),
    /// An IPv4 header length below 20 bytes.
    BadHeaderLength(usize),
    /// A length field that disagrees with the bytes present.
    BadLength { field: usize, have: usize },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { need, have } => {
                write!(f, "truncated: needs {need} bytes, has {have}")
            }
            WireError::BadVersion(v) => write!(f, "IP version {v}"),
            WireError::BadHeaderLength(l) => write!(f, "IPv4 header length {l}"),
            WireError::BadLength { field, have } => {
                write!(f, "length field says {field} bytes, {have} present")
            }
        }
    }
}

impl std::error::Error for WireError {}

/// `bytes[at..at + N]` as an array, or a `Truncated` error.
pub(crate) fn array<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], WireError> {
    bytes
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or(WireError::Truncated {
            need: at + N,
            have: bytes.len(),
        })
}

pub(crate) fn be16(bytes: &[u8], at: usize) -> Result<u16, WireError> {
    array::<2>(bytes, at).map(u16::from_be_bytes)
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> Result<u32, WireError> {
    array::<4>(bytes, at).map(u32::from_be_bytes)
}

pub(crate) fn need(bytes: &[u8], len: usize) -> Result<(), WireError> {
    if bytes.len() < len {
        Err(WireError::Truncated {
            need: len,
            have: bytes.len(),
        })
    } else {
        Ok(())
    }
}
