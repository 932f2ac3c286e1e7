//! ICMP and ICMPv6 messages: the common 8-byte header and the body.
//!
//! Pure bytes.

use super::{array, need, WireError};

/// A validated ICMP or ICMPv6 message (they share this layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpView<'a> {
    pub icmp_type: u8,
    pub code: u8,
    /// Bytes 4..8: identifier and sequence of echo messages, the next-hop
    /// MTU of "fragmentation needed" / "packet too big", unused otherwise.
    pub rest: [u8; 4],
    /// What follows the 8-byte header: for errors, the quoted packet.
    pub body: &'a [u8],
}

impl<'a> IcmpView<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        need(bytes, 8)?;
        Ok(IcmpView {
            icmp_type: bytes[0],
            code: bytes[1],
            rest: array::<4>(bytes, 4)?,
            body: &bytes[8..],
        })
    }

    /// Identifier of an echo request or reply.
    pub fn echo_id(&self) -> u16 {
        u16::from_be_bytes([self.rest[0], self.rest[1]])
    }

    /// Sequence number of an echo request or reply.
    pub fn echo_seq(&self) -> u16 {
        u16::from_be_bytes([self.rest[2], self.rest[3]])
    }
}

/// ICMP (v4) types and codes tracetcp reads or writes.
pub mod v4 {
    pub const ECHO_REPLY: u8 = 0;
    pub const DEST_UNREACHABLE: u8 = 3;
    pub const ECHO_REQUEST: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
}

/// ICMPv6 types tracetcp reads or writes.
pub mod v6 {
    pub const DEST_UNREACHABLE: u8 = 1;
    pub const PACKET_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_echo_fields() {
        let b = [8, 0, 0xab, 0xcd, 0x12, 0x34, 0x00, 0x07, 0xee];
        let icmp = IcmpView::parse(&b).unwrap();
        assert_eq!((icmp.icmp_type, icmp.code), (8, 0));
        assert_eq!((icmp.echo_id(), icmp.echo_seq()), (0x1234, 7));
        assert_eq!(icmp.body, &[0xee]);
        assert!(IcmpView::parse(&b[..7]).is_err());
    }
}
