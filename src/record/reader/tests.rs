//! The capture reader on byte fixtures: recordings of ours, classic pcap
//! of both units and byte orders, pcapng of both byte orders with several
//! interfaces and sections, cut files.
use super::*;
use crate::record::pcapng::Writer;

fn recording() -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), 1, 512, "{\"s\":1}").unwrap();
    // A packet comment (what a live recording has) changes nothing read.
    w.packet(1_700_000_000_123_456_789, &[0xaa; 17], Some("probe #0"))
        .unwrap();
    w.packet(1_700_000_000_223_456_789, &[0xbb; 40], None)
        .unwrap();
    let names = vec![("198.18.0.2".parse().unwrap(), "r1.lab".to_string())];
    w.finish(&names, "{\"closing\":1}").unwrap()
}

#[test]
fn round_trip_of_annotations() {
    let mut w = Writer::new(Vec::new(), 1, 512, "{\"session\":1}").unwrap();
    w.packet(1_700_000_000_123_456_789, &[0xaa; 17], None)
        .unwrap();
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
    let cut = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert!(matches!(
        Reader::open(&cut[..]),
        Err(NotARecording::NotACapture(_))
    ));
}

/// `v` in the byte order a fixture is written in.
fn w32(big: bool, v: u32) -> [u8; 4] {
    if big {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}

fn w16(big: bool, v: u16) -> [u8; 2] {
    if big {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}

/// A classic pcap file: magic, version 2.4, zone, sigfigs, snaplen, link
/// type; then the packets (seconds, fraction, captured, original length).
fn pcap(big: bool, nanos: bool, linktype: u32, packets: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut f = w32(big, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }).to_vec();
    f.extend(w16(big, 2));
    f.extend(w16(big, 4));
    f.extend(w32(big, 0));
    f.extend(w32(big, 0));
    f.extend(w32(big, 65535));
    f.extend(w32(big, linktype));
    for (secs, frac, data) in packets {
        f.extend(w32(big, *secs));
        f.extend(w32(big, *frac));
        f.extend(w32(big, data.len() as u32));
        f.extend(w32(big, data.len() as u32));
        f.extend_from_slice(data);
    }
    f
}

#[test]
fn classic_pcap_of_every_unit_and_byte_order() {
    for big in [false, true] {
        for nanos in [false, true] {
            let file = pcap(
                big,
                nanos,
                113,
                &[(1_700_000_000, 5, &[1, 2, 3]), (1_700_000_001, 7, &[4; 9])],
            );
            let mut r = Reader::open(file.as_slice()).unwrap();
            assert!(!r.is_pcapng());
            let unit = if nanos { 1 } else { 1000 };
            let (ts, linktype, data) = r.next_packet().unwrap().unwrap();
            assert_eq!(
                (ts, linktype, data),
                (1_700_000_000_000_000_000 + 5 * unit, 113, &[1u8, 2, 3][..])
            );
            assert_eq!(r.next_packet().unwrap().unwrap().2, &[4u8; 9][..]);
            assert!(r.next_packet().unwrap().is_none());
            assert_eq!(r.ended_early(), None);
            // Cut in the second record: the first packet, and a note.
            let mut r = Reader::open(&file[..file.len() - 3]).unwrap();
            assert!(r.next_packet().unwrap().is_some());
            assert!(r.next_packet().unwrap().is_none());
            assert_eq!(r.ended_early(), Some(1));
        }
    }
}

/// A pcapng block in either byte order: type, length, body, length.
fn block(big: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let total = 12 + body.len() as u32;
    let mut b = w32(big, kind).to_vec();
    b.extend(w32(big, total));
    b.extend(body);
    b.extend(w32(big, total));
    b
}

fn section(big: bool) -> Vec<u8> {
    let mut body = w32(big, 0x1A2B_3C4D).to_vec();
    body.extend(w16(big, 1));
    body.extend(w16(big, 0));
    body.extend([0xff; 8]);
    block(big, 0x0A0D_0D0A, &body)
}

/// An interface of `linktype`, timestamps in 10^-`resol` s when given.
fn interface(big: bool, linktype: u16, resol: Option<u8>) -> Vec<u8> {
    let mut body = w16(big, linktype).to_vec();
    body.extend(w16(big, 0));
    body.extend(w32(big, 65535));
    if let Some(r) = resol {
        body.extend(w16(big, 9));
        body.extend(w16(big, 1));
        body.extend([r, 0, 0, 0]);
        body.extend([0; 4]);
    }
    block(big, 1, &body)
}

fn enhanced(big: bool, iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let mut body = w32(big, iface).to_vec();
    body.extend(w32(big, (ts >> 32) as u32));
    body.extend(w32(big, ts as u32));
    body.extend(w32(big, data.len() as u32));
    body.extend(w32(big, data.len() as u32));
    body.extend_from_slice(data);
    block(big, 6, &body)
}

#[test]
fn pcapng_of_both_byte_orders_several_interfaces_and_sections() {
    let mut file = Vec::new();
    // A big-endian section: Ethernet in microseconds, cooked v2 in ns.
    file.extend(section(true));
    file.extend(interface(true, 1, None));
    file.extend(interface(true, 276, Some(9)));
    file.extend(enhanced(true, 1, 1_700_000_000_000_000_001, &[0xaa; 5]));
    file.extend(enhanced(true, 0, 1_700_000_000_000_002, &[0xbb; 6]));
    // Then a little-endian one, whose interface 0 is raw IP; a simple
    // packet block keeps the timestamp before it.
    file.extend(section(false));
    file.extend(interface(false, 101, None));
    file.extend(enhanced(false, 0, 1_700_000_000_000_003, &[0xcc; 7]));
    let mut spb = (8u32).to_le_bytes().to_vec();
    spb.extend([0xdd; 8]);
    file.extend(block(false, 3, &spb));
    let mut r = Reader::open(file.as_slice()).unwrap();
    let mut got = Vec::new();
    while let Some((ts, linktype, data)) = r.next_packet().unwrap() {
        got.push((ts, linktype, data.to_vec()));
    }
    assert_eq!(
        got,
        vec![
            (1_700_000_000_000_000_001, 276, vec![0xaa; 5]),
            (1_700_000_000_000_002_000, 1, vec![0xbb; 6]),
            (1_700_000_000_000_003_000, 101, vec![0xcc; 7]),
            (1_700_000_000_000_003_000, 101, vec![0xdd; 8]),
        ]
    );
    // A packet of an interface never described is skipped, not a panic;
    // every cut reads without one.
    let mut bad = section(false);
    bad.extend(enhanced(false, 3, 1, &[1; 4]));
    let mut r = Reader::open(bad.as_slice()).unwrap();
    assert!(r.next_packet().unwrap().is_none());
    for len in 0..file.len() {
        if let Ok(mut r) = Reader::open(&file[..len]) {
            while let Ok(Some(_)) = r.next_packet() {}
        }
    }
}
