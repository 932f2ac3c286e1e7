//! Habits from traceroute, mtr and tcpdump that clash with the original
//! tool's flags get one line with a hint and exit code 2, before anything
//! is sent. No privileges needed.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

#[test]
fn clashing_habits_answer_with_a_hint() {
    for (args, hint) in [
        (&["198.18.9.2", "-w", "2"][..], "-w writes a capture file"),
        (&["198.18.9.2", "-p", "443"], "the port goes in host:port"),
        (&["-help"], "help is --help or -?"),
        (&["198.18.9.2", "-h"], "help is --help or -?"),
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("tracetcp: ") && stderr.contains(hint),
            "{args:?}: {stderr}"
        );
    }
}
