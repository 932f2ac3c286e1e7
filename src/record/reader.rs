//! Reads a tracetcp recording once, front to back, from any stream: a
//! file, standard input, a pipe. The session comes first (the section
//! header), then the interface and the packets, one at a time; the names
//! and how the session ended come last (the closing block), and are known
//! once the packets are. A file cut in the middle of a block gives every
//! complete packet before the cut and says it ended early.
//!
//! Pure file format: must not depend on anything else of the crate.

use super::pcapng::{annotate, le16, le32, Annotations, BYTE_ORDER_MAGIC, EPB, IDB, NRB, SHB};
use std::io::{self, BufReader, Read};

/// Blocks larger than this are not ours to read (a damaged length).
const MAX_BLOCK: usize = 16 << 20;

/// What the first bytes of a stream say it is, when not a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotARecording {
    /// A capture, but classic pcap or another byte order: no session.
    OtherCapture,
    /// Not a capture at all (why).
    NotACapture(String),
    Io(io::ErrorKind, String),
}

/// A recording being read.
pub struct Reader<R: Read> {
    r: BufReader<R>,
    /// The section header's comment (the session).
    pub section_comment: Option<String>,
    linktype: Option<u16>,
    /// Nanoseconds per timestamp unit of the interface.
    unit_ns: u64,
    annotations: Annotations,
    packets: usize,
    ended_early: bool,
    block: Vec<u8>,
    /// The packet read last: timestamp, link type, length.
    current: (u64, u16, usize),
}

impl<R: Read> Reader<R> {
    /// Reads the section header.
    pub fn open(stream: R) -> Result<Self, NotARecording> {
        let mut r = BufReader::new(stream);
        let mut head = [0u8; 12];
        let got = read_up_to(&mut r, &mut head)
            .map_err(|e| NotARecording::Io(e.kind(), e.to_string()))?;
        let kind = le32(&head, 0).unwrap_or(0);
        if got < 12 {
            return Err(NotARecording::NotACapture(format!("only {got} bytes")));
        }
        if [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1].contains(&kind) {
            return Err(NotARecording::OtherCapture);
        }
        if kind != SHB {
            return Err(NotARecording::NotACapture("unknown file format".into()));
        }
        if le32(&head, 8) != Some(BYTE_ORDER_MAGIC) {
            return Err(NotARecording::OtherCapture);
        }
        let total = le32(&head, 4).unwrap_or(0) as usize;
        if total < 28 || !total.is_multiple_of(4) || total > MAX_BLOCK {
            return Err(NotARecording::NotACapture(
                "a damaged section header".into(),
            ));
        }
        let mut rest = vec![0u8; total - 12];
        r.read_exact(&mut rest)
            .map_err(|_| NotARecording::NotACapture("a truncated section header".into()))?;
        let mut body = head[8..].to_vec();
        body.extend_from_slice(&rest[..rest.len() - 4]);
        let mut annotations = Annotations::default();
        annotate(&mut annotations, SHB, &body);
        Ok(Reader {
            r,
            section_comment: annotations.section_comment.take(),
            linktype: None,
            unit_ns: 1000,
            annotations,
            packets: 0,
            ended_early: false,
            block: Vec::new(),
            current: (0, 0, 0),
        })
    }

    /// Reads the next packet (see `packet`); `false` at the end of the
    /// stream (or where it was cut).
    pub fn advance(&mut self) -> io::Result<bool> {
        loop {
            let mut head = [0u8; 8];
            match read_up_to(&mut self.r, &mut head)? {
                0 => return Ok(false),
                8 => {}
                _ => return Ok(self.cut()),
            }
            let (kind, total) = (le32(&head, 0).unwrap_or(0), le32(&head, 4).unwrap_or(0));
            let total = total as usize;
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
            match kind {
                IDB => {
                    let body = &self.block[..body_len];
                    self.linktype = le16(body, 0);
                    self.unit_ns = ts_unit_ns(body);
                }
                NRB => annotate(&mut self.annotations, NRB, &self.block[..body_len]),
                EPB => {
                    let body = &self.block[..body_len];
                    let (Some(hi), Some(lo), Some(len)) =
                        (le32(body, 4), le32(body, 8), le32(body, 12))
                    else {
                        continue;
                    };
                    let len = len as usize;
                    if 20 + len > body.len() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "a packet longer than its block",
                        ));
                    }
                    self.packets += 1;
                    let ts = ((u64::from(hi) << 32) | u64::from(lo)).saturating_mul(self.unit_ns);
                    self.current = (ts, self.linktype.unwrap_or(0), len);
                    return Ok(true);
                }
                // Other blocks (statistics, another section) say nothing
                // a replay uses.
                _ => {}
            }
        }
    }

    fn cut(&mut self) -> bool {
        self.ended_early = true;
        false
    }

    /// The packet `advance` read: its timestamp in nanoseconds, the link
    /// type of its interface (0 when no interface block came before it)
    /// and its bytes.
    pub fn packet(&self) -> (u64, u16, &[u8]) {
        let (ts, linktype, len) = self.current;
        (ts, linktype, &self.block[20..20 + len])
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
fn ts_unit_ns(idb: &[u8]) -> u64 {
    let resolution = super::pcapng::options(idb, 8)
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
mod tests {
    use super::*;
    use crate::record::pcapng::Writer;

    fn recording() -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), 1, 512, "{\"s\":1}").unwrap();
        w.packet(1_700_000_000_123_456_789, &[0xaa; 17]).unwrap();
        w.packet(1_700_000_000_223_456_789, &[0xbb; 40]).unwrap();
        let names = vec![("198.18.0.2".parse().unwrap(), "r1.lab".to_string())];
        w.finish(&names, "{\"closing\":1}").unwrap()
    }

    #[test]
    fn round_trip_of_annotations() {
        let mut w = Writer::new(Vec::new(), 1, 512, "{\"session\":1}").unwrap();
        w.packet(1_700_000_000_123_456_789, &[0xaa; 17]).unwrap();
        let names = vec![
            ("198.18.0.2".parse().unwrap(), "r1.lab".to_string()),
            ("2001:db8::2".parse().unwrap(), "r1.lab".to_string()),
        ];
        let file = w.finish(&names, "{\"interrupted\":false}").unwrap();
        assert_eq!(file.len() % 4, 0);
        let a = annotations(&file).unwrap();
        assert_eq!(a.section_comment.as_deref(), Some("{\"session\":1}"));
        assert_eq!(a.names, names);
        assert_eq!(
            a.closing_comment.as_deref(),
            Some("{\"interrupted\":false}")
        );
        // Truncated anywhere: never a panic, the header still reads.
        for len in 0..file.len() {
            let _ = annotations(&file[..len]);
        }
        assert!(annotations(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]).is_none());
    }

    #[test]
    fn reads_session_packets_then_names_in_one_pass() {
        let file = recording();
        let mut r = Reader::open(file.as_slice()).unwrap();
        assert_eq!(r.section_comment.as_deref(), Some("{\"s\":1}"));
        let (ts, linktype, data) = r.next_packet().unwrap().unwrap();
        assert_eq!(
            (ts, linktype, data.len()),
            (1_700_000_000_123_456_789, 1, 17)
        );
        assert_eq!(r.next_packet().unwrap().unwrap().2, &[0xbb; 40][..]);
        assert!(r.next_packet().unwrap().is_none());
        assert_eq!(r.annotations().names.len(), 1);
        assert_eq!(
            r.annotations().closing_comment.as_deref(),
            Some("{\"closing\":1}")
        );
        assert_eq!(r.ended_early(), None);
    }

    #[test]
    fn a_cut_file_gives_its_complete_packets() {
        let file = recording();
        // Cut inside the second packet's block.
        for cut in [file.len() - 40, file.len() - 1] {
            let mut r = Reader::open(&file[..cut]).unwrap();
            assert!(r.next_packet().unwrap().is_some());
            let second = r.next_packet().unwrap().is_some();
            assert!(r.next_packet().unwrap().is_none());
            assert_eq!(r.ended_early(), Some(if second { 2 } else { 1 }));
        }
    }

    #[test]
    fn other_files_say_what_they_are() {
        assert!(matches!(
            Reader::open(&b"this is not a capture"[..]),
            Err(NotARecording::NotACapture(_))
        ));
        assert!(matches!(
            Reader::open(&b""[..]),
            Err(NotARecording::NotACapture(_))
        ));
        let classic = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            Reader::open(&classic[..]).err(),
            Some(NotARecording::OtherCapture)
        );
    }
}
