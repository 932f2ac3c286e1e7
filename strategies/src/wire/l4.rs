//! TCP and UDP headers: checked views and their emitters. A TCP view is a
//! whole header (data offset checked, options readable) or the 8 bytes a
//! router must quote (ports and sequence number); a UDP view is the
//! 8-byte header, whole or quoted.
//!
//! Pure bytes.

use super::{be16, be32, checksum, need, WireError};

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

/// TCP option kinds tracetcp writes or names.
pub mod tcp_option {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WINDOW_SCALE: u8 = 3;
    pub const SACK_PERMITTED: u8 = 4;
    pub const TIMESTAMPS: u8 = 8;
}

/// One TCP option: its kind and the bytes after kind and length (none
/// for END and NOP, which are one byte long).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOption<'a> {
    pub kind: u8,
    pub data: &'a [u8],
}

/// The options of a TCP header, in order; a malformed length ends them.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a>(&'a [u8]);

impl<'a> Iterator for TcpOptions<'a> {
    type Item = TcpOption<'a>;

    fn next(&mut self) -> Option<TcpOption<'a>> {
        let (&kind, rest) = self.0.split_first()?;
        if kind == tcp_option::END || kind == tcp_option::NOP {
            self.0 = rest;
            return Some(TcpOption { kind, data: &[] });
        }
        let len = usize::from(*rest.first()?);
        let data = self.0.get(2..len.max(2))?;
        self.0 = &self.0[len.max(2)..];
        Some(TcpOption { kind, data })
    }
}

/// A validated TCP header: a whole one (20 bytes or more, data offset
/// checked) or the 8-byte prefix quoted in an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpView<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    /// Present only in whole segments (and quotes long enough).
    pub ack: Option<u32>,
    pub flags: Option<TcpFlags>,
    /// Header length in bytes, window, checksum, urgent pointer.
    pub header_len: Option<usize>,
    pub window: Option<u16>,
    pub checksum: Option<u16>,
    pub urgent: Option<u16>,
    /// The option bytes (empty when not present or not quoted).
    pub option_bytes: &'a [u8],
    /// What follows the header.
    pub payload: &'a [u8],
}

impl<'a> TcpView<'a> {
    /// The quoted prefix: ports and sequence number.
    pub fn parse_quoted(bytes: &'a [u8]) -> Result<Self, WireError> {
        need(bytes, 8)?;
        Ok(TcpView {
            src_port: be16(bytes, 0)?,
            dst_port: be16(bytes, 2)?,
            seq: be32(bytes, 4)?,
            ack: None,
            flags: None,
            header_len: None,
            window: None,
            checksum: None,
            urgent: None,
            option_bytes: &[],
            payload: &[],
        })
    }

    /// A whole segment as seen on the wire.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
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
            header_len: Some(offset),
            window: Some(be16(bytes, 14)?),
            checksum: Some(be16(bytes, 16)?),
            urgent: Some(be16(bytes, 18)?),
            option_bytes: &bytes[20..offset],
            payload: &bytes[offset..],
            ..Self::parse_quoted(bytes)?
        })
    }

    pub fn options(&self) -> TcpOptions<'a> {
        TcpOptions(self.option_bytes)
    }

    /// The emitter fields that rebuild this (whole) header.
    pub fn header<'o>(&self, options: &'o [TcpOption<'o>]) -> TcpHeader<'o> {
        TcpHeader {
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack.unwrap_or(0),
            flags: self.flags.map_or(0, |f| f.0),
            window: self.window.unwrap_or(0),
            urgent: self.urgent.unwrap_or(0),
            options,
        }
    }
}

/// The fields a TCP segment is built with (the emitter of [`TcpView`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub urgent: u16,
    /// Written in order, then padded with END to a multiple of 4 bytes.
    pub options: &'a [TcpOption<'a>],
}

impl TcpHeader<'_> {
    /// The segment around `payload`; the checksum starts from `pseudo`,
    /// the pseudo-header sum of its IP packet.
    pub fn segment(&self, payload: &[u8], pseudo: impl FnOnce(usize) -> u32) -> Vec<u8> {
        let mut opts = Vec::new();
        for o in self.options {
            opts.push(o.kind);
            if o.kind != tcp_option::END && o.kind != tcp_option::NOP {
                opts.push((2 + o.data.len()) as u8);
                opts.extend_from_slice(o.data);
            }
        }
        while opts.len() % 4 != 0 {
            opts.push(tcp_option::END);
        }
        let header_len = 20 + opts.len();
        let mut t = Vec::with_capacity(header_len + payload.len());
        t.extend_from_slice(&self.src_port.to_be_bytes());
        t.extend_from_slice(&self.dst_port.to_be_bytes());
        t.extend_from_slice(&self.seq.to_be_bytes());
        t.extend_from_slice(&self.ack.to_be_bytes());
        t.extend_from_slice(&[((header_len / 4) as u8) << 4, self.flags]);
        t.extend_from_slice(&self.window.to_be_bytes());
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&self.urgent.to_be_bytes());
        t.extend_from_slice(&opts);
        t.extend_from_slice(payload);
        let sum = checksum::finish(checksum::sum(pseudo(t.len()), &t));
        t[16..18].copy_from_slice(&sum.to_be_bytes());
        t
    }
}

/// A validated UDP header, whole or quoted (8 bytes either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpView<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    /// The length field (header and data).
    pub length: u16,
    pub checksum: u16,
    /// The data present after the header.
    pub payload: &'a [u8],
}

impl<'a> UdpView<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        need(bytes, 8)?;
        Ok(UdpView {
            src_port: be16(bytes, 0)?,
            dst_port: be16(bytes, 2)?,
            length: be16(bytes, 4)?,
            checksum: be16(bytes, 6)?,
            payload: &bytes[8..],
        })
    }
}

/// The fields a UDP datagram is built with (the emitter of [`UdpView`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpHeader {
    pub src_port: u16,
    pub dst_port: u16,
}

impl UdpHeader {
    /// The datagram with `checksum` written as given.
    pub fn datagram_with_checksum(&self, payload: &[u8], checksum: u16) -> Vec<u8> {
        let mut u = Vec::with_capacity(8 + payload.len());
        u.extend_from_slice(&self.src_port.to_be_bytes());
        u.extend_from_slice(&self.dst_port.to_be_bytes());
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&checksum.to_be_bytes());
        u.extend_from_slice(payload);
        u
    }

    /// The datagram with its real checksum, starting from `pseudo`.
    pub fn datagram(&self, payload: &[u8], pseudo: impl FnOnce(usize) -> u32) -> Vec<u8> {
        let mut u = self.datagram_with_checksum(payload, 0);
        let sum = match checksum::finish(checksum::sum(pseudo(u.len()), &u)) {
            0 => 0xffff, // RFC 768: a computed zero is sent as all ones
            s => s,
        };
        u[6..8].copy_from_slice(&sum.to_be_bytes());
        u
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

    /// A SYN with Linux's options (MSS 1460, SACK permitted, timestamps,
    /// NOP, window scale 7), checksum over pseudo-header sum 0x1234.
    const SYN: [u8; 40] = [
        0x80, 0x01, 0x00, 0x50, 0x42, 0x42, 0x00, 0x01, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0, 0x35,
        0x33, 0, 0, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x42, 0x00, 0x01, 0x42, 0, 0, 0, 0, 1, 3, 3, 7,
    ];

    #[test]
    fn tcp_view_and_emitter_agree_both_ways() {
        let t = TcpView::parse(&SYN).unwrap();
        let opts: Vec<TcpOption> = t.options().collect();
        let kinds: Vec<u8> = opts.iter().map(|o| o.kind).collect();
        assert_eq!(kinds, vec![2, 4, 8, 1, 3]);
        assert_eq!(opts[0].data, &[0x05, 0xb4]);
        assert_eq!((t.header_len, t.window), (Some(40), Some(0xfaf0)));
        let rebuilt = t.header(&opts).segment(t.payload, |_| 0x1234);
        assert_eq!(rebuilt, SYN);
        assert!(checksum::verify(0x1234, &SYN));
        // A malformed option length ends the options, without a panic.
        let mut bad = SYN;
        bad[21] = 0;
        let t = TcpView::parse(&bad).unwrap();
        assert_eq!(t.options().count(), 1);
        bad[21] = 200;
        assert_eq!(TcpView::parse(&bad).unwrap().options().count(), 0);
    }

    /// Ports 33333 -> 53, 2 bytes of data, checksum over pseudo sum 0.
    const UDP: [u8; 10] = [0x82, 0x35, 0x00, 0x35, 0x00, 0x0a, 0xd1, 0xbd, 0xab, 0xcd];

    #[test]
    fn udp_view_and_emitter_agree_both_ways() {
        let u = UdpView::parse(&UDP).unwrap();
        assert_eq!((u.src_port, u.dst_port, u.length), (33333, 53, 10));
        let h = UdpHeader {
            src_port: u.src_port,
            dst_port: u.dst_port,
        };
        assert_eq!(h.datagram(u.payload, |_| 0), UDP);
        assert_eq!(
            h.datagram_with_checksum(u.payload, u.checksum),
            UDP.to_vec()
        );
        assert!(UdpView::parse(&UDP[..7]).is_err());
    }
}
