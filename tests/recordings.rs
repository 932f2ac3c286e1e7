//! Recordings from elsewhere: cut short, read from a stream, with
//! hostile names, claiming more than their packets, contradicting
//! themselves, or from a path through an MPLS core. Needs no privileges
//! and no network.

#[path = "support/recordings.rs"]
mod recordings;

use recordings::*;
use std::process::Command;
use tracetcp::report::Format;

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

/// A recording cut in the middle of a packet replays every complete
/// packet and says once, on stderr, that it ends early; its traces end
/// there, interrupted, never "Trace Complete." with a diagnosis of hops
/// the file does not reach.
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
    assert!(stdout.contains("Trace interrupted."), "{stdout}");
    assert!(!stdout.contains("Trace Complete."), "{stdout}");
    for wrong in ["blocked", "No answer from hop", "does not answer"] {
        assert!(!stdout.contains(wrong), "{wrong}: {stdout}");
    }
}

/// A directory given as the recording gets one line that says so.
#[test]
fn a_directory_is_not_a_recording() {
    let out = Command::new(BIN)
        .args(["--replay", ".", "-n"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "tracetcp: . is a directory, not a recording (give a .pcap or .pcapng file)"
    );
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
/// their label stacks (RFC 4950) after a padded quote, hop 2's router
/// naming its interface too (RFC 5837). captures/mpls-core.pcap is
/// crafted from the tcp-open fixture's probes (Linux routers send no
/// extensions; `lab craft-mpls` rebuilds it) and replays with the stacks
/// on their hops, in text and JSON.
#[test]
fn a_path_through_an_mpls_core_shows_its_labels() {
    let file = captures().join("mpls-core.pcap");
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

/// Every recording a past release wrote replays, with every later one:
/// captures/format1/ keeps the first release's (session format 1, a flow
/// per probe, the key in the source port), each beside the JSON that
/// release printed. The replay finds the same responders at every hop,
/// the same probes answered, and the same end.
#[test]
fn first_release_recordings_replay_as_they_ran() {
    let dir = captures().join("format1");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let pcap = entry.unwrap().path();
        if pcap.extension().is_none_or(|e| e != "pcap") {
            continue;
        }
        seen += 1;
        let truth = pcap.with_extension("first-release.json");
        let truth: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
        let got: serde_json::Value =
            serde_json::from_str(&replay(&pcap, Format::Json, false).unwrap()).unwrap();
        // Compared as values: the first release wrote keys in another order.
        let view = |doc: &serde_json::Value| -> Vec<serde_json::Value> {
            doc["traces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let hops: Vec<serde_json::Value> = t["hops"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|h| {
                            // The fields the first release wrote (later
                            // ones, like "as", are not in its truth).
                            let responders: Vec<serde_json::Value> = h["responders"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|r| serde_json::json!([r["address"], r["name"], r["probes"]]))
                                .collect();
                            serde_json::json!([h["ttl"], responders])
                        })
                        .collect();
                    serde_json::json!([t["protocol"], t["port"], t["end"], hops])
                })
                .collect()
        };
        assert_eq!(view(&got), view(&truth), "{}", pcap.display());
    }
    assert!(seen >= 7, "captures/format1 holds {seen} recordings");
}

/// A recording of many targets cut in the middle replays what it holds:
/// the targets it finished as they were, the others cut, one note.
#[test]
fn a_cut_recording_of_many_targets_gives_what_it_holds() {
    let good = std::fs::read(captures().join("many-stop-sets.pcap")).unwrap();
    let cut = temp("many-cut", &good[..good.len() * 2 / 3 + 5]);
    let out = Command::new(BIN)
        .arg("--replay")
        .arg(&cut)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("ends early"), "{stderr}");
    assert!(stdout.contains("Trace Complete."), "{stdout}");
    assert!(stdout.contains("Trace interrupted."), "{stdout}");
    let whole = std::fs::read_to_string(captures().join("many-stop-sets.classic")).unwrap();
    let first = whole.split("\n\n\n").next().unwrap_or("");
    assert!(
        stdout.starts_with(first.split("Diagnosis").next().unwrap()),
        "{stdout}"
    );
}
