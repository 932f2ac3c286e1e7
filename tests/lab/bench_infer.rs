//! The any-capture benchmark: a million-packet tcpdump file (Ethernet,
//! classic pcap) of ordinary traffic (TCP data and SYNs, UDP, pings, all
//! with TTL 64) with four other tools' traceroutes
//! from captures/foreign merged in at their own pace, replayed by
//! `tracetcp --replay` (inference: every packet classified, sessions
//! rebuilt), beside `tcpdump -r` reading the same file. No privileges:
//!
//!     cargo run --release --example bench-infer [PACKETS]
//!
//! Prints per reader: wall time, CPU, peak RSS, and what tracetcp found.

#[path = "mod.rs"]
mod lab;

use lab::usage::reap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;
use tracetcp::record::reader::Reader;

/// The traceroutes merged in, from captures/foreign.
const TRACES: [&str; 4] = [
    "traceroute-T-clean",
    "mtr-U-silent-router",
    "nmap-blocked-port",
    "scamper-icmp-paris-clean",
];

/// The packets of a corpus capture (Ethernet, as tcpdump writes them
/// here): (microseconds from its first packet, frame).
fn packets(file: &Path) -> Vec<(u64, Vec<u8>)> {
    let f = std::fs::File::open(file).expect("corpus capture");
    let mut reader = Reader::open(f).expect("a capture");
    let mut out = Vec::new();
    let mut t0 = None;
    while let Some((ns, linktype, frame)) = reader.next_packet().expect("readable") {
        assert_eq!(linktype, 1, "{}: Ethernet", file.display());
        let start = *t0.get_or_insert(ns);
        out.push(((ns - start) / 1000, frame.to_vec()));
    }
    out
}

/// Ordinary traffic between hosts outside the traces, as Ethernet
/// frames with TTL 64: a TCP segment with data, a SYN, a DNS-sized UDP
/// datagram and a ping (the last three look like probes until their TTL
/// is read).
fn ordinary() -> Vec<Vec<u8>> {
    let frame = |protocol: u8, l4: &[u8]| {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00]);
        let [hi, lo] = ((20 + l4.len()) as u16).to_be_bytes();
        // Version 4, length, identification, DF, TTL 64, no checksum.
        f.extend([0x45, 0, hi, lo, 0x12, 0x34, 0x40, 0, 64, protocol, 0, 0]);
        f.extend([198, 18, 0, 1, 198, 18, 9, 9]);
        f.extend(l4);
        f
    };
    let tcp = |flags: u8, data: usize| {
        let mut t = vec![
            0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 0x10, 0,
        ];
        t.extend([0, 0, 0, 0]);
        t.extend(std::iter::repeat_n(0x61, data));
        t
    };
    let mut udp = vec![0xd4, 0x31, 0, 53, 0, 40, 0, 0];
    udp.extend([0x62; 32]);
    let mut ping = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1];
    ping.extend([0x63; 56]);
    vec![
        frame(6, &tcp(0x10, 100)),
        frame(6, &tcp(0x02, 0)),
        frame(17, &udp),
        frame(1, &ping),
    ]
}

fn write_capture(path: &Path, count: u64) -> u64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/foreign");
    // Each trace at its share of the file, at its own pace; ordinary
    // packets every 100 µs around them (10,000 a second: a million in
    // 100 s, the traces 20 s apart).
    let spacing = 100;
    // At least 15 s between one trace's end and the next's start: one
    // kind toward one destination within 10 s would be rounds of one
    // session.
    let mut foreign: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut free = 0;
    for (i, name) in TRACES.iter().enumerate() {
        let share = count * spacing * (i as u64 + 1) / (TRACES.len() as u64 + 1);
        let start = share.max(free);
        let trace = packets(&dir.join(format!("{name}.pcap")));
        free = start + trace.last().map_or(0, |(t, _)| *t) + 15_000_000;
        foreign.extend(trace.into_iter().map(|(t, f)| (start + t, f)));
    }
    foreign.sort_by_key(|(t, _)| *t);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("capture"));
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    for v in [0u32, 0, 65535, 1] {
        header.extend(v.to_le_bytes());
    }
    out.write_all(&header).unwrap();
    let mut record = |us: u64, frame: &[u8]| {
        let us = us + 1_700_000_000_000_000;
        for v in [
            us / 1_000_000,
            us % 1_000_000,
            frame.len() as u64,
            frame.len() as u64,
        ] {
            out.write_all(&(v as u32).to_le_bytes()).unwrap();
        }
        out.write_all(frame).unwrap();
    };
    let background = ordinary();
    let background = |n: u64| &background[n as usize % background.len()];
    let mut next = foreign.iter().peekable();
    let mut written = 0;
    for n in 0..count.saturating_sub(foreign.len() as u64) {
        let t = n * spacing;
        while let Some((ft, f)) = next.next_if(|(ft, _)| *ft <= t) {
            record(*ft, f);
            written += 1;
        }
        record(t, background(n));
        written += 1;
    }
    for (ft, f) in next {
        record(*ft, f);
        written += 1;
    }
    written
}

/// Wall seconds, CPU seconds, peak RSS (MiB) and stdout of a command.
fn measure(program: &Path, args: &[&str]) -> (f64, f64, f64, String) {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run");
    let (cpu, rss, out) = reap(child);
    (
        started.elapsed().as_secs_f64(),
        cpu,
        rss as f64 / 1024.0,
        out,
    )
}

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let file = std::env::temp_dir().join(format!("bench-infer-{}.pcap", std::process::id()));
    let written = write_capture(&file, count);
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let f = file.to_str().unwrap();
    println!(
        "capture: {written} packets, {:.0} MiB, {} traceroutes inside ({})",
        size as f64 / (1 << 20) as f64,
        TRACES.len(),
        TRACES.join(", ")
    );
    println!(
        "{:<34} {:>8} {:>8} {:>10}",
        "reader", "wall s", "CPU s", "peak MiB"
    );
    let tracetcp = lab::tracetcp_beside_me();
    let (wall, cpu, rss, out) = measure(&tracetcp, &["--replay", f, "-n"]);
    println!(
        "{:<34} {wall:>8.2} {cpu:>8.2} {rss:>10.1}",
        "tracetcp --replay -n"
    );
    let (wall2, cpu2, rss2, _) = measure(&tracetcp, &["--replay", f, "-n", "--json"]);
    println!(
        "{:<34} {wall2:>8.2} {cpu2:>8.2} {rss2:>10.1}",
        "tracetcp --replay -n --json"
    );
    let (wall3, cpu3, rss3, lines) = measure(&tracetcp, &["--replay", f, "-n", "--show-packets"]);
    println!(
        "{:<34} {wall3:>8.2} {cpu3:>8.2} {rss3:>10.1}",
        "tracetcp --replay --show-packets"
    );
    let taken = lines.lines().filter(|l| l.contains(" (session ")).count();
    assert!(
        lines.lines().count() >= written as usize,
        "--show-packets saw every packet"
    );
    if lab::installed("tcpdump") {
        let (w, c, r, _) = measure(Path::new("tcpdump"), &["-nn", "-r", f]);
        println!(
            "{:<34} {w:>8.2} {c:>8.2} {r:>10.1}",
            "tcpdump -nn -r (to a pipe)"
        );
    }
    println!(
        "tracetcp: {:.1} M packets/s; sessions found:",
        written as f64 / wall / 1e6
    );
    println!("  {taken} packets taken for probes or answers");
    for line in out.lines().filter(|l| l.starts_with("Session ")) {
        println!("  {line}");
    }
    let _ = std::fs::remove_file(&file);
}
