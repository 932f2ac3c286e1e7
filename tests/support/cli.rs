//! Running the built binary in the lab, for the end-to-end tests: its
//! exit code and output, JSON documents, targets, signals, replays.
#![allow(dead_code)]

use super::lab::Lab;
use serde_json::Value;
use std::net::IpAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn tracetcp(lab: &Lab, args: &[&str]) -> Run {
    let run = finish(lab.command(BIN).args(args).output().expect("run tracetcp"));
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

/// A trace as JSON (with -n); asserts that it ran to its end.
pub fn json(lab: &Lab, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--json", "-n"]);
    let run = tracetcp(lab, &all);
    assert_eq!(run.code, 0, "tracetcp {args:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout))
}

pub fn target(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V6(a) => format!("[{a}]:{port}"),
        IpAddr::V4(a) => format!("{a}:{port}"),
    }
}

/// The first responder of each hop of trace `t` ("*" when silent).
pub fn hops(doc: &Value, t: usize) -> Vec<String> {
    doc["traces"][t]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["responders"][0]["address"]
                .as_str()
                .unwrap_or("*")
                .to_string()
        })
        .collect()
}

pub fn end(doc: &Value, t: usize) -> (String, u64, String) {
    let e = &doc["traces"][t]["end"];
    (
        e["reason"].as_str().unwrap_or("").to_string(),
        e["ttl"].as_u64().unwrap_or(0),
        e["kind"]
            .as_str()
            .or(e["flag"].as_str())
            .unwrap_or("")
            .to_string(),
    )
}

pub fn routers(lab: &Lab, v6: bool) -> Vec<String> {
    (1..=lab.routers())
        .map(|k| lab.router_addr(k, v6).to_string())
        .collect()
}

/// A lab of three routers with the server listening on port 80.
pub fn lab3() -> Lab {
    super::lab::require();
    let mut lab = Lab::new(3);
    let server = lab.server().to_string();
    lab.listen(&server, &[80]);
    lab
}

/// tracetcp with `args`, stopped by SIGINT (Ctrl-C) as soon as it has
/// printed its first hop.
pub fn interrupted(lab: &Lab, args: &[&str]) -> Run {
    stopped(lab, args, libc::SIGINT)
}

/// tracetcp with `args`, sent `signal` as soon as it has printed its
/// first hop.
pub fn stopped(lab: &Lab, args: &[&str], signal: i32) -> Run {
    use std::io::Read;
    let mut child = lab
        .command(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (first_hop, printed) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            all.extend_from_slice(&buf[..n]);
            if all.windows(3).any(|w| w == b"\n1\t") {
                let _ = first_hop.send(());
            }
        }
        all
    });
    printed
        .recv_timeout(Duration::from_secs(30))
        .expect("tracetcp printed its first hop");
    // ip netns exec runs tracetcp in place (exec), so the pid is its own.
    unsafe { libc::kill(child.id() as i32, signal) };
    let mut out = child.wait_with_output().unwrap();
    out.stdout = reader.join().unwrap();
    finish(out)
}

pub fn temp_pcap(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tracetcp-lab-{}-{name}.pcap", std::process::id()))
}

/// Each packet's comment in a recording, as tshark reads it.
pub fn packet_comments(file: &std::path::Path) -> Vec<String> {
    tshark_field(file, "frame.comment")
}

/// One field of each packet of a capture, as tshark reads it.
pub fn tshark_field(file: &std::path::Path, field: &str) -> Vec<String> {
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(file)
        .args(["-T", "fields", "-e", field])
        .output()
        .expect("tshark (tests/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Replays `file` as nobody: no privileges needed.
pub fn replay_unprivileged(file: &std::path::Path) -> Run {
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            BIN,
            "--replay",
        ])
        .arg(file)
        .arg("-n")
        .output()
        .expect("setpriv");
    finish(out)
}
