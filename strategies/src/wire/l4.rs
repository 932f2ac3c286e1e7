//! TCP as tracetcp reads it: the first 8 bytes (ports and sequence, all a
//! router must quote) and, for whole segments, acknowledgement and flags.
//!
//! Pure bytes.

use super::{be16, be32, need, WireError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const ACK: u8 = 0x10;

    pub fn has(self, bits: u8) -> bool {
        self.0 & bits == bits
    }
}

/// A validated TCP header: a whole one (20 bytes or more, data offset
/// checked) or the 8-byte prefix quoted in an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpView {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    /// Present only in whole segments.
    pub ack: Option<u32>,
    pub flags: Option<TcpFlags>,
}

impl TcpView {
    /// The quoted prefix: ports and sequence number.
    pub fn parse_quoted(bytes: &[u8]) -> Result<Self, WireError> {
        need(bytes, 8)?;
        Ok(TcpView {
            src_port: be16(bytes, 0)?,
            dst_port: be16(bytes, 2)?,
            seq: be32(bytes, 4)?,
            ack: None,
            flags: None,
        })
    }

    /// A whole segment as seen on the wire.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        need(bytes, 20)?;
        let offset = usize::from(bytes[12] >> 4) * 4;
        if offset < 20 || offset > bytes.len() {
            return Err(WireError::BadLength {
                field: offset,
                have: bytes.len(),
            });
        }
        Ok(TcpView {
            ack: Some(be32(bytes, 8)?),
            flags: Some(TcpFlags(bytes[13])),
            ..Self::parse_quoted(bytes)?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN_ACK: [u8; 20] = [
        0x00, 0x50, 0x80, 0x01, 0x00, 0x00, 0x00, 0x09, 0xab, 0xcd, 0x00, 0x08, 0x50, 0x12, 0xff,
        0xff, 0, 0, 0, 0,
    ];

    #[test]
    fn reads_whole_and_quoted() {
        let t = TcpView::parse(&SYN_ACK).unwrap();
        assert_eq!((t.src_port, t.dst_port, t.seq), (80, 0x8001, 9));
        assert_eq!(t.ack, Some(0xabcd_0008));
        assert!(t.flags.unwrap().has(TcpFlags::SYN | TcpFlags::ACK));
        let q = TcpView::parse_quoted(&SYN_ACK[..8]).unwrap();
        assert_eq!((q.ack, q.flags), (None, None));
        assert!(TcpView::parse(&SYN_ACK[..19]).is_err());
        let mut bad = SYN_ACK;
        bad[12] = 0x60; // data offset 24 > 20 bytes present
        assert!(TcpView::parse(&bad).is_err());
    }
}
