//! Replays every recording in captures/ and compares each report with the
//! expected output recorded beside it; checks that bad recordings get one
//! clear error. Needs no privileges and no network.

mod lab;

use std::path::{Path, PathBuf};
use std::process::Command;
use tracetcp::error::Error;
use tracetcp::record::{pcapng, reader, SessionInfo};
use tracetcp::replay::ReplayConfig;
use tracetcp::report::Format;

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn fixtures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(captures())
        .expect("captures/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    all
}

fn replay(path: &Path, format: Format, show_packets: bool) -> Result<String, Error> {
    replay_as(path, Some(format), show_packets)
}

fn replay_as(path: &Path, format: Option<Format>, show_packets: bool) -> Result<String, Error> {
    let config = ReplayConfig {
        path: path.to_path_buf(),
        format,
        diagnosis: true,
        numeric: true,
        show_packets,
    };
    let mut out = Vec::new();
    tracetcp::replay::run(&config, &mut out)?;
    Ok(String::from_utf8(out).expect("utf-8"))
}

#[test]
fn every_fixture_replays_to_its_expected_reports() {
    let all = fixtures();
    assert!(
        all.len() >= 12,
        "captures/ holds only {} recordings",
        all.len()
    );
    for pcap in all {
        for (format, ext) in [
            (Format::Classic, "classic"),
            (Format::Condensed, "condensed"),
            (Format::Json, "json"),
        ] {
            let expected = std::fs::read_to_string(pcap.with_extension(ext))
                .unwrap_or_else(|e| panic!("{}: {e}", pcap.with_extension(ext).display()));
            let got =
                replay(&pcap, format, false).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
            assert_eq!(got, expected, "{} as {ext}", pcap.display());
        }
        if let Ok(expected) = std::fs::read_to_string(pcap.with_extension("compare")) {
            assert_eq!(
                replay_as(&pcap, None, false).unwrap(),
                expected,
                "{} as recorded",
                pcap.display()
            );
        }
    }
}

#[test]
fn fixtures_show_what_they_are_about() {
    let read = |name: &str, ext: &str| {
        std::fs::read_to_string(captures().join(format!("{name}.{ext}"))).unwrap()
    };
    assert!(read("tcp-open", "classic").contains("Connection established to 198.18.3.2"));
    assert!(read("tcp-closed", "classic").contains("Port closed on 198.18.3.2"));
    assert!(read("silent-router", "classic").contains("\n2\t*\t*\t*\tRequest timed out.\n3\t"));
    assert!(read("blocked-port", "classic").contains("\n3\t*\t*\t*\tRequest timed out.\n"));
    assert!(read("proxy", "classic").contains("\n2\tDestination Reached in"));
    assert!(read("admin-prohibited", "classic").contains(" !X\t"));
    assert!(read("udp", "classic").contains("Port closed on 198.18.3.2"));
    assert!(read("icmp", "classic").contains("Echo reply from 198.18.3.2"));
    assert!(read("ipv6", "classic").contains("Connection established to 2001:db8:3::2"));
    assert!(
        read("port-range", "condensed").contains("[198.18.3.2:135]  3\t*\tRequest timed out.\n")
    );
    assert!(read("scan", "condensed").contains("Port OPEN on 198.18.3.2"));
    assert!(
        read("ecmp", "classic").contains("\n\t-\t"),
        "two responders at one hop"
    );
}

#[test]
fn every_scenario_has_a_fixture_with_the_diagnosis_it_must_yield() {
    for s in lab::scenarios::ALL {
        let json = std::fs::read_to_string(captures().join(format!("{}.json", s.name)))
            .unwrap_or_else(|e| {
                panic!(
                    "{}: no fixture ({e}); record them (captures/README.md)",
                    s.name
                )
            });
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let kinds: Vec<&str> = doc["diagnosis"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["kind"].as_str())
            .collect();
        for want in s.expect {
            assert!(
                kinds.contains(want),
                "{}: diagnosis {kinds:?} lacks {want}",
                s.name
            );
        }
        for f in doc["diagnosis"].as_array().unwrap() {
            assert!(
                !f["text"].as_str().unwrap().is_empty()
                    && !f["evidence"].as_str().unwrap().is_empty()
            );
        }
    }
}

#[test]
fn the_debug_view_explains_every_packet() {
    let pcap = captures().join("silent-router.pcap");
    let text = replay(&pcap, Format::Classic, true).unwrap();
    let (packets, report) = text.split_once("\n\n").unwrap();
    let lines: Vec<&str> = packets.lines().collect();
    let mut cap = pcap::Capture::from_file(&pcap).unwrap();
    let mut count = 0;
    while cap.next_packet().is_ok() {
        count += 1;
    }
    assert_eq!(lines.len(), count, "one line per packet");
    assert!(
        lines[0].ends_with("probe   tcp:80 ttl 1 #0"),
        "{}",
        lines[0]
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("answer  tcp:80 ttl 1 #0: time-exceeded from 198.18.0.2 (icmp 11/0)")));
    assert!(lines
        .iter()
        .any(|l| l.contains("answer  tcp:80 ttl 4 #0: syn-ack from 198.18.3.2")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ignored not ours: our direction, but not a probe")),
        "the kernel's RSTs"
    );
    assert!(report.starts_with("Tracing route to 198.18.3.2 on port 80\n"));
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("tracetcp-test-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The error replaying `path` ends with, and its one line.
fn replay_error(path: &Path) -> (Error, String) {
    match replay(path, Format::Classic, false) {
        Err(e) => {
            let line = e.to_string();
            (e, line)
        }
        Ok(report) => panic!("{}: replayed, expected an error:\n{report}", path.display()),
    }
}

#[test]
fn bad_recordings_get_one_clear_error() {
    let good = std::fs::read(captures().join("tcp-open.pcap")).unwrap();
    let junk = temp("junk", b"this is not a capture");
    let (e, line) = replay_error(&junk);
    assert!(matches!(e, Error::NotACapture { .. }), "{e:?}");
    assert!(line.contains("not a capture file"));
    let empty = temp("empty", b"");
    assert!(matches!(replay_error(&empty).0, Error::NotACapture { .. }));
    let (e, line) = replay_error(Path::new("/nonexistent/x.pcap"));
    assert!(matches!(e, Error::CannotRead { .. }), "{e:?}");
    assert!(line.contains("cannot read"));

    // A classic pcap of unrelated traffic: no session in it.
    let classic =
        std::env::temp_dir().join(format!("tracetcp-test-{}-classic", std::process::id()));
    {
        let dead = pcap::Capture::dead(pcap::Linktype::ETHERNET).unwrap();
        let mut file = dead.savefile(&classic).unwrap();
        let header = pcap::PacketHeader {
            ts: libc::timeval {
                tv_sec: 1,
                tv_usec: 0,
            },
            caplen: 60,
            len: 60,
        };
        file.write(&pcap::Packet::new(&header, &[0u8; 60]));
    }
    let (e, line) = replay_error(&classic);
    assert!(matches!(e, Error::NoSession { .. }), "{e:?}");
    assert!(line.contains("holds no tracetcp session"));

    // A session on a link type tracetcp cannot read.
    let info = reader::annotations(&good).unwrap().section_comment.unwrap();
    assert!(SessionInfo::from_json(&info).is_some());
    let w = pcapng::Writer::new(Vec::new(), 147, 512, &info).unwrap();
    let odd = temp("linktype", &w.finish(&[], "{}").unwrap());
    let (e, line) = replay_error(&odd);
    assert!(
        matches!(e, Error::UnsupportedLinkType { linktype: 147, .. }),
        "{e:?}"
    );
    assert!(line.contains("unsupported link type 147"));

    // Through the binary: one line, exit code 2, no panic.
    for p in [&junk, &classic, &odd] {
        let out = Command::new(BIN).arg("--replay").arg(p).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("tracetcp: "), "{err}");
    }
    for p in [junk, empty, classic, odd] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
#[ignore = "needs tcpdump and tshark (tests/setup.sh installs them): cargo test -- --include-ignored"]
fn a_recording_opens_in_tcpdump_and_tshark() {
    let pcap = captures().join("tcp-open.pcap");
    for (tool, args) in [("tcpdump", vec!["-nn", "-r"]), ("tshark", vec!["-n", "-r"])] {
        let out = Command::new(tool)
            .args(&args)
            .arg(&pcap)
            .output()
            .unwrap_or_else(|e| panic!("{tool} cannot run ({e}): tests/setup.sh installs it"));
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("198.18.0.1") && text.lines().count() > 10,
            "{tool}: {text}"
        );
    }
}

/// A recording cut in the middle of a packet replays every complete
/// packet and says once, on stderr, that it ends early.
#[test]
fn a_truncated_recording_gives_what_it_holds() {
    let good = std::fs::read(captures().join("tcp-open.pcap")).unwrap();
    let cut = temp("truncated", &good[..good.len() / 2 + 3]);
    let out = Command::new(BIN)
        .arg("--replay")
        .arg(&cut)
        .arg("-n")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ends early") && stderr.contains("complete packets"),
        "{stderr}"
    );
    assert!(stdout.contains("\n1\t"), "{stdout}");
}

/// The recording is read once, as a stream: standard input ("-" and
/// /dev/stdin) and a named pipe replay like the file.
#[test]
fn a_recording_replays_from_any_stream() {
    use std::io::Write;
    use std::process::Stdio;
    let path = captures().join("tcp-open.pcap");
    let bytes = std::fs::read(&path).unwrap();
    let expected = Command::new(BIN)
        .arg("--replay")
        .arg(&path)
        .arg("-n")
        .output()
        .unwrap();
    assert!(expected.status.success());
    for name in ["-", "/dev/stdin"] {
        let mut child = Command::new(BIN)
            .args(["--replay", name, "-n"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let feed = bytes.clone();
        let writer = std::thread::spawn(move || stdin.write_all(&feed));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, expected.stdout, "{name}");
    }
    let fifo = std::env::temp_dir().join(format!("tracetcp-test-{}-fifo", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, bytes))
    };
    let out = Command::new(BIN)
        .arg("--replay")
        .arg(&fifo)
        .arg("-n")
        .output()
        .unwrap();
    writer.join().unwrap().unwrap();
    let _ = std::fs::remove_file(&fifo);
    assert!(
        out.status.success(),
        "fifo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, expected.stdout, "fifo");
}

/// The fixture `name` with its session description changed by `edit`
/// and its names block replaced by `names`, as a temporary file.
fn rewritten(
    name: &str,
    edit: impl Fn(&mut serde_json::Value),
    names: &[(std::net::IpAddr, String)],
) -> PathBuf {
    let path = captures().join(name);
    let good = std::fs::read(&path).unwrap();
    let comment = reader::annotations(&good).unwrap().section_comment.unwrap();
    let mut session: serde_json::Value = serde_json::from_str(&comment).unwrap();
    edit(&mut session);
    let mut w = pcapng::Writer::new(Vec::new(), 1, 65535, &session.to_string()).unwrap();
    let mut cap = pcap::Capture::from_file(&path).unwrap();
    while let Ok(p) = cap.next_packet() {
        let ts = p.header.ts.tv_sec as u64 * 1_000_000_000 + p.header.ts.tv_usec as u64 * 1000;
        w.packet(ts, p.data).unwrap();
    }
    let bytes = w.finish(names, "{}").unwrap();
    let stem = format!("{}-{}", name, session.to_string().len());
    temp(&stem, &bytes)
}

/// A recording's host and names come from whoever made the file: control
/// characters in them (terminal escapes) are printed as escapes.
#[test]
fn hostile_names_in_a_recording_print_as_escapes() {
    let router: std::net::IpAddr = "198.18.0.2".parse().unwrap();
    let hostile = rewritten(
        "tcp-open.pcap",
        |s| s["host"] = "evil\u{1b}[2J.lab".into(),
        &[(router, "r1\u{1b}]0;pwned\u{7}".into())],
    );
    let out = Command::new(BIN)
        .arg("--replay")
        .arg(&hostile)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("[evil\\x1b[2J.lab]"), "{text}");
    assert!(text.contains("r1\\x1b]0;pwned\\x07"), "{text}");
}

/// Memory and time follow the packets, not the claims: a recording of one
/// 4-hop trace whose description claims every TCP port, 255 hops and 10
/// probes a hop replays at once, in a few MB, showing the one trace.
#[test]
fn a_recording_claiming_every_port_replays_what_it_holds() {
    let claims = rewritten(
        "tcp-open.pcap",
        |s| {
            s["traces"] = serde_json::json!([{ "protocol": "tcp", "from": 1, "to": 65535 }]);
            s["settings"]["max_hops"] = 255.into();
            s["settings"]["probes_per_hop"] = 10.into();
        },
        &[],
    );
    let started = std::time::Instant::now();
    let out = Command::new(BIN)
        .args(["--replay"])
        .arg(&claims)
        .args(["-n", "-c"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("[198.18.3.2:80]  1\t"),
        "{}",
        &stdout[..stdout.len().min(500)]
    );
    assert!(stdout.len() < 2000, "{} bytes of report", stdout.len());
    assert!(stderr.contains("65534 of the 65535 traces"), "{stderr}");
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert!(
        usage.ru_maxrss < 200 * 1024,
        "peak RSS {} KB",
        usage.ru_maxrss
    );
}

/// What no live run records is refused with one line: too many probes a
/// hop, a trace listed twice.
#[test]
fn contradicting_or_impossible_claims_are_refused() {
    let many = rewritten(
        "tcp-open.pcap",
        |s| s["settings"]["probes_per_hop"] = 200.into(),
        &[],
    );
    let twice = rewritten(
        "tcp-open.pcap",
        |s| {
            s["traces"] = serde_json::json!([
                { "protocol": "tcp", "from": 80, "to": 80 },
                { "protocol": "tcp", "from": 79, "to": 81 }
            ]);
        },
        &[],
    );
    for (file, needle) in [
        (many, "claims 200 probes a hop"),
        (twice, "lists the trace tcp:80 twice"),
    ] {
        let out = Command::new(BIN)
            .arg("--replay")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("is refused: ") && stderr.contains(needle),
            "{stderr}"
        );
    }
}

/// A path through an MPLS core: the routers of hops 2 and 3 answer with
/// their label stacks (RFC 4950) after a padded quote. A recording of it,
/// crafted from a lab fixture's probes (Linux routers send no extensions),
/// replays with the stacks on their hops, in text and JSON.
#[test]
fn a_path_through_an_mpls_core_shows_its_labels() {
    use tracetcp_strategies::wire::extension::{self, MplsEntry, CLASS_INTERFACE, CLASS_MPLS};
    use tracetcp_strategies::wire::{IcmpMessage, IpView, Quoting};
    let path = captures().join("tcp-open.pcap");
    let good = std::fs::read(&path).unwrap();
    let comment = reader::annotations(&good).unwrap().section_comment.unwrap();
    let session: serde_json::Value = serde_json::from_str(&comment).unwrap();
    let src: std::net::IpAddr = session["source"].as_str().unwrap().parse().unwrap();
    let mut w = pcapng::Writer::new(Vec::new(), 1, 65535, &comment).unwrap();
    let mut cap = pcap::Capture::from_file(&path).unwrap();
    let eth = [2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    while let Ok(p) = cap.next_packet() {
        let ts = p.header.ts.tv_sec as u64 * 1_000_000_000 + p.header.ts.tv_usec as u64 * 1000;
        let frame = p.data.to_vec();
        let ip = IpView::parse(&frame[14..], Quoting::Whole).unwrap();
        // Every time-exceeded from hops 2 and 3 gets a label stack.
        let label = match (ip.dst == src, ip.src.to_string().as_str()) {
            (true, "198.18.1.2") => Some(24001),
            (true, "198.18.2.2") => Some(24002),
            _ => None,
        };
        let Some(label) = label else {
            w.packet(ts, &frame).unwrap();
            continue;
        };
        let icmp = tracetcp_strategies::wire::IcmpView::parse(ip.payload).unwrap();
        let stack = [MplsEntry {
            label,
            tc: 0,
            bottom: true,
            ttl: 1,
        }];
        let (ctype, named) =
            extension::interface_info(0, 7, "198.18.1.2".parse().unwrap(), "ge-0/0/1", 1500);
        let mpls = extension::mpls_stack(&stack);
        let ext = if label == 24001 {
            extension::emit(&[(CLASS_MPLS, 1, &mpls), (CLASS_INTERFACE, ctype, &named)])
        } else {
            extension::emit(&[(CLASS_MPLS, 1, &mpls)])
        };
        let (rest, body) = IcmpMessage::extended_body(false, icmp.rest, icmp.body, &ext);
        let m = IcmpMessage {
            icmp_type: icmp.icmp_type,
            code: icmp.code,
            rest,
            body: &body,
        }
        .emit(|_| 0);
        let mut out = eth.to_vec();
        out.extend_from_slice(&tracetcp_strategies::answer::ip_packet(ip.src, src, 1, &m));
        w.packet(ts, &out).unwrap();
    }
    let file = temp("mpls", &w.finish(&[], "{}").unwrap());
    let text = replay(&file, Format::Classic, false).unwrap();
    let line = |n: &str| {
        text.lines()
            .find(|l| l.starts_with(n))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("2\t").ends_with(" [MPLS: L=24001 TC=0 S=1 TTL=1]"),
        "{text}"
    );
    assert!(
        line("3\t").ends_with(" [MPLS: L=24002 TC=0 S=1 TTL=1]"),
        "{text}"
    );
    assert!(!line("1\t").contains("MPLS"), "{text}");
    let json = replay(&file, Format::Json, false).unwrap();
    assert!(json.contains("\"label\": 24001"), "{json}");
    // The padded quotes still hide no rewrite.
    assert!(!text.contains("->"), "{text}");
    // The debug view names the interface hop 2's router gave (RFC 5837).
    let packets = replay(&file, Format::Classic, true).unwrap();
    assert!(
        packets.contains("[IF: ge-0/0/1 198.18.1.2 ifIndex 7 MTU 1500 incoming]"),
        "{packets}"
    );
}

/// --show-packets compares every answer's quote with its probe, field by
/// field.
#[test]
fn the_debug_view_shows_each_quote_against_its_probe() {
    let text = replay(&captures().join("path-rewrite.pcap"), Format::Classic, true).unwrap();
    let answer = |ttl: &str| {
        text.lines()
            .find(|l| l.contains(&format!("answer  tcp:80 ttl {ttl} #0: time-exceeded")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(answer("1").ends_with("; quote: unchanged"), "{text}");
    assert!(
        answer("3").ends_with("; quote: DSCP 0->8, MSS 1460->1200"),
        "{text}"
    );
}
