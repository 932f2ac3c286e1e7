//! Formats other tools read, checked with those tools: `--atlas-json`
//! lines parsed by RIPE Atlas's own parser (ripe.atlas.sagan, strict:
//! any part it cannot read fails), for tracetcp's recordings of each
//! probe kind and for captures made by others. Needs python3 with
//! ripe.atlas.sagan (tests/setup.sh --for-tests installs it): ignored
//! unless asked for, failing loudly without it.

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
