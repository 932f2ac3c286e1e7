//! Outputs that cannot be written: a closed pipe (`tracetcp -? | true`,
//! `| head`), a full disk (`2>/dev/full`, `>/dev/full`). None may panic;
//! each keeps its documented exit code. No privileges needed.

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

/// The write end of a pipe whose read end is already closed.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    Stdio::from(unsafe { OwnedFd::from_raw_fd(fds[1]) })
}

fn full() -> Stdio {
    Stdio::from(
        File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

fn fixture() -> String {
    format!("{}/captures/tcp-open.pcap", env!("CARGO_MANIFEST_DIR"))
}

/// Every output format: (recording, flags).
fn formats() -> Vec<(String, Vec<&'static str>)> {
    let compare = format!(
        "{}/captures/compare-blocked-port.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let multipath = format!("{}/captures/multipath.pcap", env!("CARGO_MANIFEST_DIR"));
    vec![
        (fixture(), vec!["--classic"]),
        (fixture(), vec!["-c"]),
        (fixture(), vec!["--json"]),
        (fixture(), vec!["--show-packets"]),
        (compare, vec![]),
        (multipath, vec![]),
    ]
}

#[test]
fn help_into_a_closed_pipe_exits_0_without_a_panic() {
    for flag in ["-?", "--help", "-v"] {
        let out = Command::new(BIN)
            .arg(flag)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{flag}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{flag}: {stderr}");
    }
}

#[test]
fn a_report_into_a_closed_pipe_exits_0() {
    for (file, flags) in formats() {
        let out = Command::new(BIN)
            .args(["--replay", &file, "-n"])
            .args(&flags)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{file} {flags:?}: {stderr}");
    }
}

#[test]
fn errors_into_a_full_stderr_keep_their_exit_code() {
    // A bad option: exit 2, its line lost to the full disk, no panic
    // (which would exit 101).
    let bad = Command::new(BIN)
        .arg("--no-such-option")
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(bad.code(), Some(2));
    let missing = Command::new(BIN)
        .args(["--replay", "/nonexistent/recording.pcap"])
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(missing.code(), Some(2));
}

#[test]
fn a_report_onto_a_full_disk_is_a_runtime_error() {
    for (file, flags) in formats() {
        let out = Command::new(BIN)
            .args(["--replay", &file, "-n"])
            .args(&flags)
            .stdout(full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{flags:?}: {stderr}");
        assert_eq!(out.status.code(), Some(1), "{file} {flags:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        // With stderr full too: the same exit code, and no panic.
        let both = Command::new(BIN)
            .args(["--replay", &file, "-n"])
            .args(&flags)
            .stdout(full())
            .stderr(full())
            .status()
            .unwrap();
        assert_eq!(both.code(), Some(1), "{file} {flags:?}");
    }
}
