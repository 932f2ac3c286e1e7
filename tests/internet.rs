//! Traceroute captures made by others on real networks (captures/
//! internet/), replayed by inference and checked against a truth taken
//! from their packets with tshark (captures/internet/README.md): the
//! responders of every hop and the hop the trace ends at. No privileges
//! or network needed; the tshark check is ignored unless asked for
//! (tests/test.sh asks), failing loudly without tshark.

#[path = "support/recordings.rs"]
mod recordings;

use recordings::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use tracetcp::report::Format;

fn corpus() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(captures().join("internet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .filter(|p| p.with_extension("truth").exists())
        .collect();
    all.sort();
    all
}

/// "TTL ADDRS" lines and the end TTL of a truth file.
fn truth(pcap: &std::path::Path) -> (BTreeMap<u64, String>, String) {
    let text = std::fs::read_to_string(pcap.with_extension("truth")).unwrap();
    let mut hops = BTreeMap::new();
    let mut end = String::new();
    for line in text.lines() {
        let (a, b) = line.split_once(' ').unwrap();
        match a {
            "end" => end = b.to_string(),
            ttl => {
                hops.insert(ttl.parse().unwrap(), b.to_string());
            }
        }
    }
    (hops, end)
}

#[test]
fn real_captures_replay_with_every_hop_where_it_was() {
    let all = corpus();
    assert!(
        all.len() >= 2,
        "captures/internet holds {} traceroutes",
        all.len()
    );
    for pcap in all {
        let (want, end) = truth(&pcap);
        let doc: serde_json::Value =
            serde_json::from_str(&replay(&pcap, Format::Json, false).unwrap()).unwrap();
        // One run of a tool is one session, however long it waited at
        // silent hops (Windows tracert: 3 s a probe).
        assert_eq!(
            doc["sessions"].as_array().unwrap().len(),
            1,
            "{}",
            pcap.display()
        );
        let t = &doc["sessions"][0]["traces"][0];
        let got: BTreeMap<u64, String> = t["hops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let mut addrs: Vec<&str> = h["responders"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["address"].as_str().unwrap())
                    .collect();
                addrs.sort();
                let addrs = if addrs.is_empty() {
                    "*".to_string()
                } else {
                    addrs.join(",")
                };
                (h["ttl"].as_u64().unwrap(), addrs)
            })
            .collect();
        assert_eq!(got, want, "{}", pcap.display());
        assert_eq!(
            t["end"]["ttl"].to_string(),
            end,
            "{}: {}",
            pcap.display(),
            t["end"]
        );
    }
}

/// The MPLS core of the Cisco capture shows its label stacks, and its
/// quoted TTL of 2 inside the tunnel is not taken for a middlebox.
#[test]
fn an_mpls_core_shows_its_labels_and_no_false_rewrite() {
    let pcap = captures().join("internet").join("cisco-udp-mpls.pcap");
    let text = replay(&pcap, Format::Classic, false).unwrap();
    assert!(text.contains("10.0.9.5 [MPLS: L=19"), "{text}");
    assert!(!text.contains("raised its TTL"), "{text}");
}

/// Windows tracerts across MPLS cores. In 2009 (AT&T) hop 5's
/// time-exceeded has its extension at byte 128 (version 2, checksum
/// right) while the byte where RFC 4884 puts the quote's length holds
/// 0x5d, a length that points elsewhere (tshark calls it malformed). The
/// stack is shown, not dropped.
#[test]
fn an_mpls_stack_behind_a_wrong_length_is_shown() {
    let pcap = captures()
        .join("internet")
        .join("windows-tracert-mpls.pcapng");
    let text = replay(&pcap, Format::Classic, false).unwrap();
    assert!(
        text.contains("12.122.133.110 [MPLS: L=19642 TC=0 S=1 TTL=255]"),
        "{text}"
    );
    // The same in 2023, with a length of 17 words and two labels.
    let pcap = captures()
        .join("internet")
        .join("windows-tracert-2023.pcapng");
    let text = replay(&pcap, Format::Classic, false).unwrap();
    assert!(
        text.contains("10.37.17.138 [MPLS: L=24018 TC=0 S=0 TTL=1] [MPLS: L=24033 TC=0 S=1 TTL=1]"),
        "{text}"
    );
}

/// Other link types of real captures are read (PPP, link type 9).
#[test]
fn a_ppp_capture_is_read() {
    let pcap = captures().join("internet").join("ppp-ping.pcap");
    let err = replay(&pcap, Format::Classic, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no traceroute to rebuild"), "{err}");
}

#[test]
#[ignore = "needs tshark (tests/setup.sh installs it): cargo test -- --include-ignored"]
fn each_truth_is_what_tshark_reads_from_the_packets() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus_truth.py");
    for pcap in corpus() {
        let out = Command::new("python3")
            .arg(script)
            .arg(&pcap)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stored = std::fs::read_to_string(pcap.with_extension("truth")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            stored,
            "{}",
            pcap.display()
        );
    }
}
