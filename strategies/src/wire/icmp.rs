//! ICMP and ICMPv6 messages: the common 8-byte header and the body.
//!
//! Pure bytes.

use super::extension::Extensions;
use super::{array, be16, checksum, need, WireError};

/// A validated ICMP or ICMPv6 message (they share this layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpView<'a> {
    pub icmp_type: u8,
    pub code: u8,
    pub checksum: u16,
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
            checksum: be16(bytes, 2)?,
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

    /// RFC 4884: the length of the quoted datagram in bytes, as the
    /// error's length field gives it (ICMPv4 byte 5, in 32-bit words;
    /// ICMPv6 byte 4, in 64-bit words); 0 when the field is not used.
    pub fn original_len(&self, v6: bool) -> usize {
        if v6 {
            usize::from(self.rest[0]) * 8
        } else {
            usize::from(self.rest[1]) * 4
        }
    }

    /// The quoted datagram, without RFC 4884 padding and extensions (a
    /// length field that disagrees with where the extensions are is not
    /// believed: the quote is what comes before them).
    pub fn quote(&self, v6: bool) -> &'a [u8] {
        match self.extension_offset(v6) {
            Some(at) => {
                let n = self.original_len(v6);
                let end = if (MIN_QUOTE..=at).contains(&n) { n } else { at };
                self.body.get(..end).unwrap_or(self.body)
            }
            None => self.body,
        }
    }

    /// The RFC 4884 extension structure after the quote, if there is one:
    /// where the length field puts it, or (for older routers that send
    /// MPLS objects without the length field) at byte 128 of the body.
    pub fn extensions(&self, v6: bool) -> Option<Extensions<'a>> {
        Extensions::parse(self.body.get(self.extension_offset(v6)?..)?).ok()
    }

    /// Whether the message may carry extensions (RFC 4884: ICMPv4
    /// destination unreachable, time exceeded, parameter problem; ICMPv6
    /// destination unreachable and time exceeded).
    pub fn may_extend(&self, v6: bool) -> bool {
        if v6 {
            matches!(self.icmp_type, v6::DEST_UNREACHABLE | v6::TIME_EXCEEDED)
        } else {
            matches!(
                self.icmp_type,
                v4::DEST_UNREACHABLE | v4::TIME_EXCEEDED | 12
            )
        }
    }

    /// What in the message's RFC 4884 part a reader must ignore, if
    /// anything: the reason the extensions (or the length field) say
    /// nothing.
    pub fn extension_problem(&self, v6: bool) -> Option<ExtensionProblem> {
        if !self.may_extend(v6) {
            // A structure right after the quoted datagram's own length.
            let own = super::IpView::parse(self.body, super::Quoting::Quoted).ok()?;
            let tail = self.body.get(own.total_len.max(128)..)?;
            return (tail.len() >= 4 && tail[0] >> 4 == super::extension::VERSION)
                .then_some(ExtensionProblem::NotAllowed);
        }
        let n = self.original_len(v6);
        let disagrees = n > 0 && (n < MIN_QUOTE || n + 4 > self.body.len());
        let at = match self.extension_offset(v6) {
            Some(at) => at,
            None if disagrees => return Some(ExtensionProblem::BadLengthField),
            None => return None,
        };
        match Extensions::parse(&self.body[at..]) {
            Err(_) => Some(ExtensionProblem::Malformed),
            Ok(e) if !e.checksum_ok => Some(ExtensionProblem::BadChecksum),
            Ok(e) if !e.well_formed() => Some(ExtensionProblem::Malformed),
            Ok(_) => None,
        }
    }

    /// Where the extension structure starts: where the length field
    /// says; with no length field (routers older than RFC 4884, as MPLS
    /// backbones send them) at byte 128 when a version 2 header is there;
    /// with a length field that cannot be right (below 128 bytes, or past
    /// the message: some MPLS routers give the quote's own length, 17
    /// words, say) at byte 128 when a whole structure with a right
    /// checksum is there. Garbage is never read as extensions.
    fn extension_offset(&self, v6: bool) -> Option<usize> {
        if !self.may_extend(v6) {
            return None;
        }
        let version_2 = |at: usize| self.body.len() >= at + 4 && self.body[at] >> 4 == 2;
        let right = |at: usize| {
            version_2(at) && Extensions::parse(&self.body[at..]).is_ok_and(|e| e.checksum_ok)
        };
        match self.original_len(v6) {
            0 => version_2(MIN_QUOTE).then_some(MIN_QUOTE),
            n if n >= MIN_QUOTE && self.body.len() >= n + 4 => {
                Some(if !right(n) && right(MIN_QUOTE) {
                    MIN_QUOTE
                } else {
                    n
                })
            }
            _ => right(MIN_QUOTE).then_some(MIN_QUOTE),
        }
    }
}

/// RFC 4884's smallest quote before extensions (and where routers older
/// than it put them).
const MIN_QUOTE: usize = 128;

/// Why an error's extensions were ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionProblem {
    /// The RFC 4884 length field is below 128 bytes or past the message.
    BadLengthField,
    /// Not a version 2 structure, or its objects do not fill it exactly.
    Malformed,
    /// The structure's checksum is wrong.
    BadChecksum,
    /// A structure on a message that may not carry one.
    NotAllowed,
}

impl ExtensionProblem {
    pub fn describe(self) -> &'static str {
        match self {
            ExtensionProblem::BadLengthField => "RFC 4884 length field out of range",
            ExtensionProblem::Malformed => "malformed ICMP extension structure",
            ExtensionProblem::BadChecksum => "ICMP extension checksum wrong",
            ExtensionProblem::NotAllowed => "ICMP extensions on a message that may not carry them",
        }
    }
}

/// The fields an ICMP message is built with (the emitter of [`IcmpView`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpMessage<'a> {
    pub icmp_type: u8,
    pub code: u8,
    pub rest: [u8; 4],
    pub body: &'a [u8],
}

impl IcmpMessage<'_> {
    /// The message with its checksum; `pseudo` is the pseudo-header sum
    /// for ICMPv6 and 0 for ICMPv4.
    pub fn emit(&self, pseudo: impl FnOnce(usize) -> u32) -> Vec<u8> {
        let mut m = Vec::with_capacity(8 + self.body.len());
        m.extend_from_slice(&[self.icmp_type, self.code, 0, 0]);
        m.extend_from_slice(&self.rest);
        m.extend_from_slice(self.body);
        let sum = checksum::finish(checksum::sum(pseudo(m.len()), &m));
        m[2..4].copy_from_slice(&sum.to_be_bytes());
        m
    }

    /// An RFC 4884 error body: `quote` zero-padded to a multiple of the
    /// length unit and to at least 128 bytes, then `extensions` (an
    /// emitted extension structure). Returns the `rest` bytes with the
    /// length field set, and the body.
    pub fn extended_body(
        v6: bool,
        rest: [u8; 4],
        quote: &[u8],
        extensions: &[u8],
    ) -> ([u8; 4], Vec<u8>) {
        let unit = if v6 { 8 } else { 4 };
        let len = quote.len().max(128).div_ceil(unit) * unit;
        let mut body = quote.to_vec();
        body.resize(len, 0);
        body.extend_from_slice(extensions);
        let mut rest = rest;
        rest[usize::from(!v6)] = (len / unit) as u8;
        (rest, body)
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
