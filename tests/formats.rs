//! Formats other tools read, checked with those tools: `--atlas-json`
//! lines parsed by RIPE Atlas's own parser (ripe.atlas.sagan, strict:
//! any part it cannot read fails) and converted by pantrace to scamper's
//! warts, which scamper's sc_warts2json reads back to the trace that
//! `--scamper-json` prints; for tracetcp's recordings of each probe kind
//! and for captures made by others. Needs python3 with ripe.atlas.sagan,
//! pantrace and scamper (tests/setup.sh --for-tests installs them):
//! ignored unless asked for, failing loudly without them.

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

/// What sagan reads of each line: destination, hops, success, protocol.
const READ: &str = r#"
import json, sys
from ripe.atlas.sagan import TracerouteResult
for line in sys.stdin:
    t = TracerouteResult(json.loads(line), on_error=TracerouteResult.ACTION_FAIL)
    last = [p.origin for p in t.hops[-1].packets if p.origin]
    print(t.destination_address, t.total_hops, t.is_success, t.protocol, ",".join(sorted(set(last))))
"#;

fn sagan(lines: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", READ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ripe.atlas.sagan could not read it (tests/setup.sh --for-tests installs it): {}\n{lines}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn atlas(capture: &str) -> String {
    let path = format!("{}/captures/{capture}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(BIN)
        .args(["--replay", &path, "--atlas-json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs python3 with ripe.atlas.sagan (tests/setup.sh --for-tests): cargo test -- --include-ignored"]
fn atlas_results_are_read_by_ripe_atlas_sagan() {
    for (capture, want) in [
        ("tcp-open.pcap", "198.18.3.2 4 True TCP 198.18.3.2"),
        ("udp.pcap", "198.18.3.2 4 True UDP 198.18.3.2"),
        ("icmp.pcap", "198.18.3.2 4 True ICMP 198.18.3.2"),
        (
            "internet/windows-tracert-mpls.pcapng",
            "4.2.2.1 9 True ICMP 4.2.2.1",
        ),
        (
            "internet/linux-traceroute-parallel.pcap",
            "173.194.34.242 8 True UDP 173.194.34.242",
        ),
    ] {
        let lines = atlas(capture);
        assert_eq!(lines.lines().count(), 1, "{capture}: {lines}");
        assert_eq!(sagan(&lines).trim(), want, "{capture}");
    }
    // A comparison: a result per kind.
    let lines = atlas("compare-blocked-port.pcap");
    let read = sagan(&lines);
    assert_eq!(read.lines().count(), lines.lines().count(), "{read}");
    assert!(read.lines().count() >= 2, "{read}");
}

/// `--atlas-json` read by pantrace (converted to scamper's warts) and
/// that read by scamper's own sc_warts2json: the trace scamper's tools
/// see is the one `--scamper-json` prints (source, destination, every
/// answer's address and probe TTL).
#[test]
#[ignore = "needs pantrace and scamper's sc_warts2json (tests/setup.sh --for-tests): cargo test -- --include-ignored"]
fn scamper_s_tools_see_the_trace_scamper_json_prints() {
    let dir = std::env::temp_dir();
    for capture in [
        "udp.pcap",
        "icmp.pcap",
        "tcp-open.pcap",
        "internet/windows-tracert-mpls.pcapng",
    ] {
        let atlas_file = dir.join(format!("tracetcp-atlas-{}.jsonl", std::process::id()));
        let warts = dir.join(format!("tracetcp-{}.warts", std::process::id()));
        std::fs::write(&atlas_file, atlas(capture)).unwrap();
        let pantrace = Command::new("pantrace")
            .args([
                "--standalone",
                "--from",
                "atlas",
                "--to",
                "scamper-trace-warts",
                "--input",
            ])
            .arg(&atlas_file)
            .arg("--output")
            .arg(&warts)
            .output()
            .expect("pantrace (tests/setup.sh --for-tests installs it)");
        assert!(
            pantrace.status.success(),
            "{capture}: {}",
            String::from_utf8_lossy(&pantrace.stderr)
        );
        let dumped = Command::new("sc_warts2json")
            .arg(&warts)
            .output()
            .expect("sc_warts2json (scamper)");
        assert!(dumped.status.success(), "{capture}");
        let theirs = String::from_utf8_lossy(&dumped.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|v| v["type"] == "trace")
            .unwrap_or_else(|| panic!("{capture}: no trace record"));
        let path = format!("{}/captures/{capture}", env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(BIN)
            .args(["--replay", &path, "--scamper-json"])
            .output()
            .unwrap();
        let ours: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let view = |v: &serde_json::Value| {
            let mut hops: Vec<(String, u64)> = v["hops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h["addr"].as_str().unwrap().to_string(),
                        h["probe_ttl"].as_u64().unwrap(),
                    )
                })
                .collect();
            hops.sort();
            (v["src"].clone(), v["dst"].clone(), hops)
        };
        assert_eq!(view(&ours), view(&theirs), "{capture}");
        assert_eq!(ours["stop_reason"], "COMPLETED", "{capture}");
        let _ = std::fs::remove_file(&atlas_file);
        let _ = std::fs::remove_file(&warts);
    }
}

/// `--dot` is drawn by Graphviz, with every address that answered in the
/// picture: a path with a silent router, and every path of a multipath
/// run (its diamonds).
#[test]
#[ignore = "needs graphviz's dot (tests/setup.sh --for-tests): cargo test -- --include-ignored"]
fn dot_graphs_are_drawn_with_every_address() {
    for capture in ["silent-router.pcap", "multipath.pcap", "ecmp.pcap"] {
        let path = format!("{}/captures/{capture}", env!("CARGO_MANIFEST_DIR"));
        let graph = Command::new(BIN)
            .args(["--replay", &path, "--dot"])
            .output()
            .unwrap();
        assert!(graph.status.success(), "{capture}");
        let json = Command::new(BIN)
            .args(["--replay", &path, "--json", "-n"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dot (graphviz)");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&graph.stdout)
            .unwrap();
        let svg = child.wait_with_output().unwrap();
        assert!(
            svg.status.success(),
            "{capture}: {}",
            String::from_utf8_lossy(&svg.stderr)
        );
        let svg = String::from_utf8_lossy(&svg.stdout);
        for t in doc["traces"].as_array().unwrap() {
            for h in t["hops"].as_array().unwrap() {
                for r in h["responders"].as_array().unwrap() {
                    let a = r["address"].as_str().unwrap();
                    assert!(svg.contains(a), "{capture}: {a} not drawn");
                }
            }
        }
    }
}
