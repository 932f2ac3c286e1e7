//! Reads a capture once, front to back, from any stream: a file, standard
//! input, a pipe. A tracetcp recording (pcapng) has its session first (the
//! section header), then the interface and the packets, one at a time; the
//! names and how the session ended come last (the closing block), and are
//! known once the packets are. Any other capture reads the same way, its
//! packets and their link types only: pcapng of either byte order, with
//! several interfaces and sections (enhanced, simple and obsolete packet
//! blocks), and classic pcap in micro- or nanoseconds, either byte order.
//! A file cut in the middle of a block gives every complete packet before
//! the cut and says it ended early.
//!
//! Pure file format: must not depend on anything else of the crate.

use super::pcapng::{annotate, le32, Annotations, BYTE_ORDER_MAGIC, EPB, IDB, NRB, SHB};
use std::io::{self, BufReader, Read};

/// Blocks larger than this are not ours to read (a damaged length).
const MAX_BLOCK: usize = 16 << 20;

/// What the first bytes of a stream say it is, when not a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotARecording {
    /// Not a capture at all (why).
    NotACapture(String),
    Io(io::ErrorKind, String),
}

const PCAP_MICRO: u32 = 0xa1b2_c3d4;
const PCAP_NANO: u32 = 0xa1b2_3c4d;
/// Obsolete pcapng packet block, and the simple packet block.
const PB: u32 = 0x0000_0002;
const SPB: u32 = 0x0000_0003;

/// Which file format, and its byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Pcapng,
    /// Classic pcap: one link type, one timestamp unit.
    Pcap {
        linktype: u16,
        unit_ns: u64,
    },
}

/// An interface of the current pcapng section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u16,
    unit_ns: u64,
}

fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let v = [*b.get(at)?, *b.get(at + 1)?];
    Some(if big {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    })
}

fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let v: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    })
}

/// A recording being read.
pub struct Reader<R: Read> {
    r: BufReader<R>,
    /// The section header's comment (the session).
    pub section_comment: Option<String>,
    layout: Layout,
    /// The current section's byte order (pcapng), or the file's (pcap).
    big: bool,
    /// The current section's interfaces, in order (pcapng).
    interfaces: Vec<Interface>,
    /// The link type of the packet read last (or of the first interface).
    linktype: Option<u16>,
    annotations: Annotations,
    packets: usize,
    ended_early: bool,
    block: Vec<u8>,
    /// The packet read last: timestamp, link type, length.
    current: (u64, u16, usize),
}

impl<R: Read> Reader<R> {
    /// Reads the file header (pcap) or the first section header (pcapng).
    pub fn open(stream: R) -> Result<Self, NotARecording> {
        let mut r = BufReader::new(stream);
        let mut head = [0u8; 12];
        let got = read_up_to(&mut r, &mut head)
            .map_err(|e| NotARecording::Io(e.kind(), e.to_string()))?;
        if got < 12 {
            return Err(NotARecording::NotACapture(format!("only {got} bytes")));
        }
        let magic = le32(&head, 0).unwrap_or(0);
        let mut reader = Reader {
            r,
            section_comment: None,
            layout: Layout::Pcapng,
            big: false,
            interfaces: Vec::new(),
            linktype: None,
            annotations: Annotations::default(),
            packets: 0,
            ended_early: false,
            block: Vec::new(),
            current: (0, 0, 0),
        };
        for (value, big) in [(magic, false), (magic.swap_bytes(), true)] {
            if value == PCAP_MICRO || value == PCAP_NANO {
                let mut rest = [0u8; 12];
                if read_up_to(&mut reader.r, &mut rest).unwrap_or(0) < 12 {
                    return Err(NotARecording::NotACapture("a truncated pcap header".into()));
                }
                // The link type is the low 16 bits (the rest: FCS flags).
                let linktype = (u32_at(&rest, 8, big).unwrap_or(0) & 0xffff) as u16;
                let unit_ns = if value == PCAP_NANO { 1 } else { 1000 };
                reader.layout = Layout::Pcap { linktype, unit_ns };
                reader.big = big;
                reader.linktype = Some(linktype);
                return Ok(reader);
            }
        }
        if magic != SHB {
            return Err(NotARecording::NotACapture("unknown file format".into()));
        }
        let comment = reader
            .section(&head)
            .map_err(|e| NotARecording::NotACapture(e.to_string()))?;
        reader.section_comment = comment;
        Ok(reader)
    }

    /// Starts a section from its header block's first 12 bytes: its byte
    /// order, no interfaces yet; its comment (little-endian sections only:
    /// ours).
    fn section(&mut self, head: &[u8; 12]) -> io::Result<Option<String>> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        self.big = match le32(head, 8) {
            Some(BYTE_ORDER_MAGIC) => false,
            Some(m) if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
            _ => return Err(bad("a damaged section header")),
        };
        let total = u32_at(head, 4, self.big).unwrap_or(0) as usize;
        if total < 28 || !total.is_multiple_of(4) || total > MAX_BLOCK {
            return Err(bad("a damaged section header"));
        }
        let mut rest = vec![0u8; total - 12];
        if read_up_to(&mut self.r, &mut rest)? < rest.len() {
            return Err(bad("a truncated section header"));
        }
        self.interfaces.clear();
        if self.big {
            return Ok(None);
        }
        let mut body = head[8..].to_vec();
        body.extend_from_slice(&rest[..rest.len() - 4]);
        let mut annotations = Annotations::default();
        annotate(&mut annotations, SHB, &body);
        Ok(annotations.section_comment)
    }

    /// Reads the next packet (see `packet`); `false` at the end of the
    /// stream (or where it was cut).
    pub fn advance(&mut self) -> io::Result<bool> {
        match self.layout {
            Layout::Pcap { linktype, unit_ns } => self.advance_pcap(linktype, unit_ns),
            Layout::Pcapng => self.advance_pcapng(),
        }
    }

    fn advance_pcap(&mut self, linktype: u16, unit_ns: u64) -> io::Result<bool> {
        let mut head = [0u8; 16];
        match read_up_to(&mut self.r, &mut head)? {
            0 => return Ok(false),
            16 => {}
            _ => return Ok(self.cut()),
        }
        let field = |at| u32_at(&head, at, self.big).unwrap_or(0);
        let (secs, frac, len) = (field(0), field(4), field(8) as usize);
        if len > MAX_BLOCK {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a packet claims {len} bytes"),
            ));
        }
        self.block.resize(20 + len, 0);
        if read_up_to(&mut self.r, &mut self.block[20..])? < len {
            return Ok(self.cut());
        }
        self.packets += 1;
        let ts = u64::from(secs) * 1_000_000_000 + u64::from(frac) * unit_ns;
        self.current = (ts, linktype, len);
        Ok(true)
    }

    fn advance_pcapng(&mut self) -> io::Result<bool> {
        loop {
            let mut head = [0u8; 8];
            match read_up_to(&mut self.r, &mut head)? {
                0 => return Ok(false),
                8 => {}
                _ => return Ok(self.cut()),
            }
            let kind = u32_at(&head, 0, self.big).unwrap_or(0);
            if kind == SHB {
                // A new section: its own byte order, its own interfaces.
                let mut full = [0u8; 12];
                full[..8].copy_from_slice(&head);
                if read_up_to(&mut self.r, &mut full[8..])? < 4 {
                    return Ok(self.cut());
                }
                self.section(&full)?;
                continue;
            }
            let total = u32_at(&head, 4, self.big).unwrap_or(0) as usize;
            if total < 12 || !total.is_multiple_of(4) || total > MAX_BLOCK {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a block claims {total} bytes"),
                ));
            }
            self.block.resize(total - 8, 0);
            if read_up_to(&mut self.r, &mut self.block)? < total - 8 {
                return Ok(self.cut());
            }
            let body_len = total - 12;
            let big = self.big;
            let body = &self.block[..body_len];
            match kind {
                IDB => {
                    let linktype = u16_at(body, 0, big).unwrap_or(0);
                    self.interfaces.push(Interface {
                        linktype,
                        unit_ns: ts_unit_ns(body, big),
                    });
                    self.linktype.get_or_insert(linktype);
                }
                NRB if !big => annotate(&mut self.annotations, NRB, body),
                EPB | PB => {
                    // EPB: interface (4), ts (8), captured (4), length (4);
                    // PB: interface (2), drops (2), then the same.
                    let id = match kind {
                        EPB => u32_at(body, 0, big).map(|i| i as usize),
                        _ => u16_at(body, 0, big).map(usize::from),
                    };
                    let (Some(id), Some(hi), Some(lo), Some(len)) = (
                        id,
                        u32_at(body, 4, big),
                        u32_at(body, 8, big),
                        u32_at(body, 12, big),
                    ) else {
                        continue;
                    };
                    let len = len as usize;
                    if 20 + len > body.len() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "a packet longer than its block",
                        ));
                    }
                    let Some(i) = self.interfaces.get(id).copied() else {
                        continue;
                    };
                    self.packets += 1;
                    let ts = ((u64::from(hi) << 32) | u64::from(lo)).saturating_mul(i.unit_ns);
                    self.linktype = Some(i.linktype);
                    self.current = (ts, i.linktype, len);
                    return Ok(true);
                }
                SPB => {
                    // No timestamp (the previous packet's), interface 0,
                    // the data after the original length.
                    let (Some(i), Some(orig)) =
                        (self.interfaces.first().copied(), u32_at(body, 0, big))
                    else {
                        continue;
                    };
                    let len = (orig as usize).min(body.len().saturating_sub(4));
                    // Move the data to where `packet` reads it (offset 20).
                    if self.block.len() < 20 + len {
                        self.block.resize(20 + len, 0);
                    }
                    self.block.copy_within(4..4 + len, 20);
                    self.packets += 1;
                    self.linktype = Some(i.linktype);
                    self.current = (self.current.0, i.linktype, len);
                    return Ok(true);
                }
                // Other blocks (statistics, custom) say nothing a replay
                // uses.
                _ => {}
            }
        }
    }

    fn cut(&mut self) -> bool {
        self.ended_early = true;
        false
    }

    /// The packet `advance` read: its timestamp in nanoseconds, the link
    /// type of its interface and its bytes.
    pub fn packet(&self) -> (u64, u16, &[u8]) {
        let (ts, linktype, len) = self.current;
        (ts, linktype, &self.block[20..20 + len])
    }

    /// Whether the capture is a pcapng file (a recording of ours is).
    pub fn is_pcapng(&self) -> bool {
        self.layout == Layout::Pcapng
    }

    /// The next packet, if any (`advance` then `packet`).
    pub fn next_packet(&mut self) -> io::Result<Option<(u64, u16, &[u8])>> {
        Ok(if self.advance()? {
            Some(self.packet())
        } else {
            None
        })
    }

    /// The link type of the interface, once its block was read.
    pub fn linktype(&self) -> Option<u16> {
        self.linktype
    }

    /// The comments of name resolution blocks read since the last call
    /// (notes written between packets, and the closing block's).
    pub fn take_notes(&mut self) -> std::collections::VecDeque<String> {
        std::mem::take(&mut self.annotations.notes)
    }

    /// The names and closing comment read so far (all of them at the end).
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// Whether the stream ended in the middle of a block, and how many
    /// complete packets came before.
    pub fn ended_early(&self) -> Option<usize> {
        self.ended_early.then_some(self.packets)
    }
}

/// The annotations of a whole recording in memory; `None` when it is not
/// one.
pub fn annotations(file: &[u8]) -> Option<Annotations> {
    let mut r = Reader::open(file).ok()?;
    while let Ok(Some(_)) = r.next_packet() {}
    let mut a = r.annotations().clone();
    a.section_comment = r.section_comment.take();
    Some(a)
}

/// Reads until `buf` is full or the stream ends; how much was read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Nanoseconds per timestamp unit, from an interface block's if_tsresol
/// (default microseconds).
fn ts_unit_ns(idb: &[u8], big: bool) -> u64 {
    let resolution = super::pcapng::options(idb, 8, big)
        .into_iter()
        .find(|(code, _)| *code == super::pcapng::IF_TSRESOL)
        .and_then(|(_, v)| v.first().copied());
    match resolution {
        // 10^-v seconds, v up to 9.
        Some(v) if v & 0x80 == 0 && v <= 9 => 10u64.pow(9 - u32::from(v)),
        // Finer than nanoseconds, or powers of two: nanoseconds is the
        // best a timestamp here holds.
        Some(_) => 1,
        None => 1000,
    }
}

#[cfg(test)]
mod tests;
