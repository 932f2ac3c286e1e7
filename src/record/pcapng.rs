//! A minimal pcapng writer and block reader.
//!
//! libpcap writes only classic pcap, which has no room for the session's
//! settings; pcapng carries them in standard blocks that tcpdump, tshark
//! and Wireshark read: the Section Header Block's comment (the session,
//! as JSON), an Interface Description Block with nanosecond resolution,
//! Enhanced Packet Blocks, and a closing Name Resolution Block (the names
//! resolved live, and a comment saying how the session ended).
//!
//! Pure file format: must not depend on anything else of the crate.

use std::io::{self, Write};
use std::net::IpAddr;

pub(super) const SHB: u32 = 0x0A0D_0D0A;
pub(super) const IDB: u32 = 0x0000_0001;
pub(super) const EPB: u32 = 0x0000_0006;
pub(super) const NRB: u32 = 0x0000_0004;
pub(super) const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
pub(super) const IF_TSRESOL: u16 = 9;
const NRB_IPV4: u16 = 1;
const NRB_IPV6: u16 = 2;

fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// One block: type, total length, body, total length again.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let total = (12 + pad4(body.len())) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + pad4(body.len()), 0);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(pad4(out.len()), 0);
}

fn end_options(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, 0, 0]);
}

/// Writes a pcapng file: one section, one interface, nanosecond timestamps.
pub struct Writer<W: Write> {
    out: W,
    /// Bytes of complete blocks written, and packets among them.
    written: u64,
    packets: u64,
}

impl<W: Write> Writer<W> {
    /// Starts the file: section header (with `comment`) and interface.
    pub fn new(mut out: W, linktype: u16, snaplen: u32, comment: &str) -> io::Result<Self> {
        let mut shb = Vec::new();
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        option(&mut shb, OPT_COMMENT, comment.as_bytes());
        let app = format!("tracetcp {}", env!("CARGO_PKG_VERSION"));
        option(&mut shb, SHB_USERAPPL, app.as_bytes());
        end_options(&mut shb);
        out.write_all(&block(SHB, &shb))?;
        let mut idb = Vec::new();
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        option(&mut idb, IF_TSRESOL, &[9]);
        end_options(&mut idb);
        let (shb, idb) = (block(SHB, &shb), block(IDB, &idb));
        out.write_all(&shb)?;
        out.write_all(&idb)?;
        out.flush()?;
        Ok(Writer {
            out,
            written: (shb.len() + idb.len()) as u64,
            packets: 0,
        })
    }

    /// Bytes of complete blocks written so far: where a file whose last
    /// write failed must be cut to stay readable.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// One packet, stamped in nanoseconds since the Unix epoch, with a
    /// comment (opt_comment: what Wireshark shows as the packet's
    /// comment, tshark as `frame.comment`).
    pub fn packet(&mut self, ts_ns: u64, data: &[u8], comment: Option<&str>) -> io::Result<()> {
        let comment = comment.map(|c| truncated(c, usize::from(u16::MAX)));
        let mut epb = Vec::with_capacity(32 + data.len() + comment.map_or(0, str::len));
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts_ns as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        epb.extend_from_slice(data);
        if let Some(comment) = comment {
            epb.resize(pad4(epb.len()), 0);
            option(&mut epb, OPT_COMMENT, comment.as_bytes());
            end_options(&mut epb);
        }
        let epb = block(EPB, &epb);
        self.out.write_all(&epb)?;
        self.out.flush()?;
        self.written += epb.len() as u64;
        self.packets += 1;
        Ok(())
    }

    /// Closes the session: the names resolved, and a comment on its end.
    pub fn finish(mut self, names: &[(IpAddr, String)], comment: &str) -> io::Result<W> {
        self.close(names, comment)?;
        Ok(self.out)
    }

    /// Writes a name resolution block with `names` and `comment`: the
    /// closing block, or (with no names) a note between packets. Keeps
    /// the writer (to cut the file back if it fails).
    pub fn close(&mut self, names: &[(IpAddr, String)], comment: &str) -> io::Result<()> {
        let mut nrb = Vec::new();
        for (addr, name) in names {
            let mut value = match addr {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            value.extend_from_slice(name.as_bytes());
            value.push(0);
            let kind = if addr.is_ipv6() { NRB_IPV6 } else { NRB_IPV4 };
            option(&mut nrb, kind, &value);
        }
        end_options(&mut nrb);
        option(&mut nrb, OPT_COMMENT, comment.as_bytes());
        end_options(&mut nrb);
        let nrb = block(NRB, &nrb);
        self.out.write_all(&nrb)?;
        self.out.flush()?;
        self.written += nrb.len() as u64;
        Ok(())
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// What the blocks of a tracetcp pcapng say besides its packets.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Annotations {
    /// The section header's comment.
    pub section_comment: Option<String>,
    /// Names from name resolution blocks.
    pub names: Vec<(IpAddr, String)>,
    /// The comment of the last name resolution block.
    pub closing_comment: Option<String>,
    /// The comments of name resolution blocks not yet taken (notes
    /// between packets: `Reader::take_notes`).
    pub notes: std::collections::VecDeque<String>,
}

pub(super) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Options from `at` in a block body of a section in that byte order
/// (`big`): (code, value) until the end marker.
pub(super) fn options(body: &[u8], mut at: usize, big: bool) -> Vec<(u16, &[u8])> {
    let word = |at: usize| {
        let v = [*body.get(at)?, *body.get(at + 1)?];
        Some(if big {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        })
    };
    let mut out = Vec::new();
    while let (Some(code), Some(len)) = (word(at), word(at + 2)) {
        if code == OPT_END {
            break;
        }
        let Some(value) = body.get(at + 4..at + 4 + usize::from(len)) else {
            break;
        };
        out.push((code, value));
        at += 4 + pad4(usize::from(len));
    }
    out
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v)
        .trim_end_matches('\0')
        .to_string()
}

/// Takes what a section header or name resolution block body says.
pub(super) fn annotate(a: &mut Annotations, kind: u32, body: &[u8]) {
    if kind == SHB {
        a.section_comment = comment(options(body, 16, false));
        return;
    }
    let mut rec = 0;
    while let (Some(code), Some(len)) = (le16(body, rec), le16(body, rec + 2)) {
        let value = body.get(rec + 4..rec + 4 + usize::from(len));
        rec += 4 + pad4(usize::from(len));
        let Some(value) = value else { break };
        let (addr, name): (Option<IpAddr>, _) = match code {
            NRB_IPV4 => (
                value
                    .get(..4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(IpAddr::from),
                value.get(4..),
            ),
            NRB_IPV6 => (
                value
                    .get(..16)
                    .and_then(|b| <[u8; 16]>::try_from(b).ok())
                    .map(IpAddr::from),
                value.get(16..),
            ),
            _ => break,
        };
        if let (Some(addr), Some(name)) = (addr, name) {
            a.names.push((addr, text(name)));
        }
    }
    a.closing_comment = comment(options(body, rec, false));
    a.notes.extend(a.closing_comment.clone());
}

fn comment(options: Vec<(u16, &[u8])>) -> Option<String> {
    options
        .into_iter()
        .find(|(c, _)| *c == OPT_COMMENT)
        .map(|(_, v)| text(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_block_layout() {
        let mut w = Writer::new(Vec::new(), 1, 512, "").unwrap();
        w.packet(0x1_0000_0002, &[1, 2, 3], None).unwrap();
        let file = w.out;
        // The last block is the EPB: 12 + 20 + 4 (3 bytes padded) = 36.
        let epb = &file[file.len() - 36..];
        assert_eq!(le32(epb, 0), Some(EPB));
        assert_eq!(le32(epb, 4), Some(36));
        assert_eq!((le32(epb, 12), le32(epb, 16)), (Some(1), Some(2)));
        assert_eq!(le32(epb, 20), Some(3));
        assert_eq!(&epb[28..31], &[1, 2, 3]);
        assert_eq!(le32(epb, 32), Some(36));
    }

    #[test]
    fn a_packet_comment_follows_the_padded_data() {
        let mut w = Writer::new(Vec::new(), 1, 512, "").unwrap();
        w.packet(7, &[1, 2, 3], Some("probe tcp:80 ttl 3 #2"))
            .unwrap();
        let file = w.out;
        // 12 + 20 + 4 (data) + 4 + 24 (21 bytes of comment, padded)
        // + 4 (end of options) = 68.
        let epb = &file[file.len() - 68..];
        assert_eq!((le32(epb, 0), le32(epb, 4)), (Some(EPB), Some(68)));
        assert_eq!(&epb[28..32], &[1, 2, 3, 0]);
        let options = options(epb, 32, false);
        assert_eq!(options, vec![(OPT_COMMENT, &b"probe tcp:80 ttl 3 #2"[..])]);
        assert_eq!(&epb[55..63], &[b'#', b'2', 0, 0, 0, 0, 0, 0]);
        assert_eq!(le32(epb, 64), Some(68));
    }

    #[test]
    fn a_comment_too_long_for_an_option_is_cut_at_a_character() {
        let long = "é".repeat(40_000);
        let cut = truncated(&long, usize::from(u16::MAX));
        assert_eq!(cut.len(), 65_534);
        assert!(long.starts_with(cut));
    }
}
