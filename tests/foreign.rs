//! Captures tracetcp did not write: built here byte by byte (classic pcap
//! of raw IP packets, both byte orders), where the traceroute is rebuilt
//! among other traffic, in every format, and a capture with no traceroute
//! says so in one line; and the corpus of other tools' tcpdump captures
//! (captures/foreign/), each rebuilt as the tool printed it. Needs no
//! privileges and no network.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/recordings.rs"]
mod recordings;

use recordings::*;
use std::process::Command;
use tracetcp_strategies::{
    answer, strategy_for, Flow, Instance, ProbeKey, ProbeSpec, Protocol, Session,
};

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

/// A classic pcap of raw IP (link type 101) packets at `t` microseconds.
fn pcap(big: bool, packets: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let w32 = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = w32(0xa1b2_c3d4).to_vec();
    f.extend(if big { [0, 2, 0, 4] } else { [2, 0, 4, 0] });
    for v in [0, 0, 65535, 101] {
        f.extend(w32(v));
    }
    for (us, data) in packets {
        for v in [
            1_700_000_000 + us / 1_000_000,
            us % 1_000_000,
            data.len() as u32,
            data.len() as u32,
        ] {
            f.extend(w32(v));
        }
        f.extend_from_slice(data);
    }
    f
}

/// A TCP traceroute to 198.18.3.2:443 over two routers (the second
/// silent), two probes a hop, each probe on a new source port, with an
/// unrelated connection's packets around it.
fn traceroute() -> Vec<(u32, Vec<u8>)> {
    let s = Session::new(
        "198.18.0.1".parse().unwrap(),
        "198.18.3.2".parse().unwrap(),
        Instance::new(77).unwrap(),
    )
    .unwrap();
    let tcp = strategy_for(Protocol::Tcp, s);
    let mut out = Vec::new();
    let other = tcp.build_probe(&ProbeSpec {
        ttl: 64,
        key: ProbeKey::new(1).unwrap(),
        dst_port: 22,
        flow: Flow::new(51000),
        size: None,
    });
    out.push((0, other.clone()));
    out.push((300, answer::tcp_answer(&other, 0x02).unwrap()));
    for ttl in 1..=4u8 {
        for n in 0..2u16 {
            let key = u16::from(ttl) * 2 + n;
            let p = tcp.build_probe(&ProbeSpec {
                ttl,
                key: ProbeKey::new(key).unwrap(),
                dst_port: 443,
                flow: Flow::new(40_000 + key),
                size: None,
            });
            let t = 1000 * u32::from(key);
            let reply = match ttl {
                1 => answer::time_exceeded("198.18.0.2".parse().unwrap(), &p, 8),
                2 => None,
                _ => answer::tcp_answer(&p, 0x04),
            };
            out.push((t, p));
            if let Some(r) = reply {
                out.push((t + 250, r));
            }
        }
    }
    out
}

fn tracetcp(file: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("--replay")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_traceroute_in_a_plain_capture_is_rebuilt() {
    for big in [false, true] {
        let file = temp(&format!("foreign-{big}"), &pcap(big, &traceroute()));
        let (ok, text, err) = tracetcp(&file, &["-n"]);
        assert!(ok, "{err}");
        assert!(
            text.starts_with(
                "Session 1 of 1, inferred from the capture: tcp probes from 198.18.0.1 to \
                 198.18.3.2 port 443, TTL 1 to 4, 2 per hop, a flow per probe.\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n1\t0.25 ms\t0.25 ms\t198.18.0.2\n"),
            "{text}"
        );
        assert!(text.contains("\n2\t*\t*\tRequest timed out.\n"), "{text}");
        assert!(
            text.contains("3\tDestination Reached in 0.25 ms. Port closed on 198.18.3.2"),
            "{text}"
        );
        let (ok, json, _) = tracetcp(&file, &["-n", "--json"]);
        assert!(ok);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["inferred"], true);
        assert_eq!(doc["sessions"][0]["traces"][0]["end"]["ttl"], 3);
        let (ok, lines, _) = tracetcp(&file, &["-n", "--show-packets"]);
        assert!(ok);
        assert!(lines.starts_with(
            "1700000000.000000000 not part of any session\n1700000000.000300000 not part of any session\n"
        ), "{lines}");
        assert!(
            lines.contains("probe ttl 1 (session 1)")
                && lines.contains("answer to ttl 1 (session 1)")
        );
        let (ok, _, err) = tracetcp(&file, &["--session", "2"]);
        assert!(
            !ok && err.lines().count() == 1 && err.contains("holds 1 traceroute"),
            "{err}"
        );
    }
}

#[test]
fn a_capture_without_a_traceroute_says_so() {
    let other = traceroute().into_iter().take(2).collect::<Vec<_>>();
    let file = temp("foreign-none", &pcap(false, &other));
    let (ok, _, err) = tracetcp(&file, &[]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("holds no tracetcp session"), "{err}");
}

/// Every tool of the corpus (captures/foreign/) in every scenario, and
/// several at once among other traffic: the hops rebuilt from the bare
/// tcpdump capture are the hops each tool printed.
#[test]
fn other_tools_captures_show_the_hops_they_printed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/foreign");
    let mut failures = Vec::new();
    for place in corpus::PLACES {
        for tool in corpus::TOOLS {
            let name = corpus::capture_name(tool, place);
            let pcap = dir.join(format!("{name}.pcap"));
            let printed = std::fs::read_to_string(pcap.with_extension("out"))
                .unwrap_or_else(|e| panic!("{name}.out: {e} (lab record-foreign)"));
            let (ok, json, err) = tracetcp(&pcap, &["-n", "--json"]);
            assert!(ok, "{name}: {err}");
            let doc = serde_json::from_str(&json).unwrap();
            if let Err(e) = corpus::check(tool, &printed, &doc) {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    let mixed = dir.join(format!("{}.pcap", corpus::MIXED_NAME));
    let (ok, json, err) = tracetcp(&mixed, &["-n", "--json"]);
    assert!(ok, "{err}");
    let printed = std::fs::read_to_string(mixed.with_extension("out")).unwrap();
    if let Err(e) = corpus::check_mixed(&printed, &serde_json::from_str(&json).unwrap()) {
        failures.push(e);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The same tools' captures converted by editcap (fuzz/corpus/recording):
/// pcapng, nanosecond pcap, and two pcapng sections one after the other
/// (`cat a.pcapng b.pcapng`) rebuild what the tools printed.
#[test]
fn other_formats_of_the_corpus_rebuild_the_same_hops() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let printed = |name: &str| {
        std::fs::read_to_string(root.join(format!("captures/foreign/{name}.out"))).unwrap()
    };
    let traceroute = corpus::tool_named("traceroute-T");
    let replayed = |file: &str| {
        let (ok, json, err) = tracetcp(
            &root.join("fuzz/corpus/recording").join(file),
            &["-n", "--json"],
        );
        assert!(ok, "{file}: {err}");
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    };
    for file in ["foreign-pcapng.pcapng", "foreign-nsec.pcap"] {
        let doc = replayed(file);
        corpus::check(traceroute, &printed("traceroute-T-silent-router"), &doc)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let doc = replayed("foreign-two-sections.pcapng");
    corpus::check_session(
        traceroute,
        &printed("traceroute-T-silent-router"),
        &doc["sessions"][0],
    )
    .unwrap();
    corpus::check_session(
        corpus::tool_named("tcptraceroute"),
        &printed("tcptraceroute-clean"),
        &doc["sessions"][1],
    )
    .unwrap();
}

/// A link-layer header for a frame (given `[1]` for IPv6, `[0]` for IPv4).
type LinkHeader = dyn Fn(&[u8]) -> Vec<u8>;

/// `capture` (classic little-endian pcap of Ethernet frames) with every
/// frame's Ethernet header replaced as `frame` says, and link type `lt`.
fn relinked(capture: &[u8], lt: u32, frame: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = capture[..20].to_vec();
    out.extend_from_slice(&lt.to_le_bytes());
    let mut at = 24;
    while at + 16 <= capture.len() {
        let len = u32::from_le_bytes(capture[at + 8..at + 12].try_into().unwrap()) as usize;
        let data = &capture[at + 16..at + 16 + len];
        let ethertype = u16::from_be_bytes([data[12], data[13]]);
        let v6 = ethertype == 0x86dd;
        let new = [frame(&[u8::from(v6)]), data[14..].to_vec()].concat();
        out.extend_from_slice(&capture[at..at + 8]);
        out.extend_from_slice(&(new.len() as u32).to_le_bytes());
        out.extend_from_slice(&(new.len() as u32).to_le_bytes());
        out.extend_from_slice(&new);
        at += 16 + len;
    }
    out
}

/// Traceroute captures come in every link type serial lines, tunnels and
/// BSDs give them: each rebuilds the same traceroute as the Ethernet
/// capture it was made from.
#[test]
fn every_link_type_of_traceroute_captures_replays_alike() {
    let name = "traceroute-T-clean.pcap";
    let ethernet = std::fs::read(captures().join("foreign").join(name)).unwrap();
    assert_eq!(u32::from_le_bytes(ethernet[20..24].try_into().unwrap()), 1);
    let expected = replay(
        &temp(name, &ethernet),
        tracetcp::report::Format::Json,
        false,
    )
    .unwrap();
    let ppp_proto = |v6: &[u8]| {
        if v6[0] == 1 {
            vec![0x00, 0x57]
        } else {
            vec![0x00, 0x21]
        }
    };
    let cases: Vec<(&str, u32, Box<LinkHeader>)> = vec![
        (
            "ppp",
            9,
            Box::new(move |v6: &[u8]| [vec![0xff, 0x03], ppp_proto(v6)].concat()),
        ),
        (
            "ppp-compressed",
            9,
            Box::new(|v6: &[u8]| vec![if v6[0] == 1 { 0x57 } else { 0x21 }]),
        ),
        (
            "ppp-hdlc",
            50,
            Box::new(move |v6: &[u8]| [vec![0xff, 0x03], ppp_proto(v6)].concat()),
        ),
        (
            "cisco-hdlc",
            104,
            Box::new(|v6: &[u8]| {
                vec![
                    0x0f,
                    0x00,
                    if v6[0] == 1 { 0x86 } else { 0x08 },
                    if v6[0] == 1 { 0xdd } else { 0x00 },
                ]
            }),
        ),
        ("raw", 101, Box::new(|_: &[u8]| vec![])),
        ("raw-openbsd", 14, Box::new(|_: &[u8]| vec![])),
        (
            "null",
            0,
            Box::new(|v6: &[u8]| if v6[0] == 1 { 24u32 } else { 2 }.to_le_bytes().to_vec()),
        ),
        (
            "cooked-vlan",
            113,
            Box::new(|v6: &[u8]| {
                let mut h = vec![0u8; 14];
                h.extend_from_slice(&[0x81, 0x00, 0x00, 0x07]);
                h.extend_from_slice(if v6[0] == 1 {
                    &[0x86, 0xdd]
                } else {
                    &[0x08, 0x00]
                });
                h
            }),
        ),
    ];
    for (what, lt, frame) in cases {
        let bytes = relinked(&ethernet, lt, frame);
        let got = replay(
            &temp(&format!("{what}.pcap"), &bytes),
            tracetcp::report::Format::Json,
            false,
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got, expected, "{what}");
    }
}
