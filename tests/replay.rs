//! Replays every recording in captures/ and compares each report with the
//! expected output recorded beside it; checks that bad recordings get one
//! clear error. Needs no privileges and no network.

mod lab;

#[path = "support/recordings.rs"]
mod recordings;

use recordings::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use tracetcp::error::Error;
use tracetcp::record::{pcapng, reader, SessionInfo};
use tracetcp::report::Format;

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

fn fixtures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(captures())
        .expect("captures/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    all.sort();
    all
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
    assert!(read("blocked-port", "classic").contains("\n3-6\t*\tNo answer from hop 3 to hop 6.\n"));
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
    // Many targets: later ones take hops 1 and 2 from the first; r2's own
    // address, nearer than where they start, probed below it.
    let many = read("many-stop-sets", "classic");
    assert_eq!(many.matches("Tracing route to").count(), 5, "{many}");
    assert_eq!(
        many.matches("Hops 1 to 2: as the trace to 198.18.3.2 found them")
            .count(),
        3,
        "{many}"
    );
    assert!(many.contains("\n2\tDestination Reached in <0.01 ms. Echo reply from 198.18.1.2\n"));
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
        answer("3").contains("; quote: DSCP 0->8, MSS 1460->1200, checksum 0x"),
        "{text}"
    );
}

/// A silent tail is one line; `--all-hops` lists each of its hops, in
/// classic and condensed output alike.
#[test]
fn all_hops_lists_every_hop_of_a_silent_tail() {
    let pcap = captures().join("blocked-port.pcap");
    let run = |flags: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracetcp"))
            .arg("--replay")
            .arg(&pcap)
            .arg("-n")
            .args(flags)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&[]).contains("\n3-6\t*\tNo answer from hop 3 to hop 6.\nTrace Complete.\n"));
    let all = run(&["--all-hops"]);
    for ttl in 3..=6 {
        assert!(
            all.contains(&format!("\n{ttl}\t*\t*\t*\tRequest timed out.\n")),
            "{all}"
        );
    }
    assert!(run(&["-c"]).contains("[198.18.3.2:135]  3-6\t*\tNo answer from hop 3 to hop 6.\n"));
    assert!(
        run(&["-c", "--all-hops"]).contains("[198.18.3.2:135]  6\t*\t*\t*\tRequest timed out.\n")
    );
}
