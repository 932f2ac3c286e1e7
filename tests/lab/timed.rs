//! One tool's run in the lab's client namespace, as the benchmarks
//! measure it: wall time and peak RSS under GNU time, what it printed,
//! and the packets a capture started beforehand counted meanwhile.

use super::tcpdump::Tcpdump;
use super::Lab;
use std::process::Command;
use std::time::Instant;

/// What one run cost and printed.
pub struct Timed {
    pub secs: f64,
    pub rss_kb: u64,
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
    /// Packets `counting` captured during the run.
    pub counted: usize,
}

/// Runs `program args` in the client namespace under GNU time, stopped
/// with SIGINT after `limit_secs`, while `counting` captures.
pub fn timed(
    lab: &Lab,
    program: &str,
    args: &[String],
    counting: Tcpdump,
    limit_secs: u32,
) -> Timed {
    let rss_file = std::env::temp_dir().join(format!("bench-rss-{}", std::process::id()));
    let started = Instant::now();
    let out = Command::new("ip")
        .args(["netns", "exec", lab.client(), "timeout", "-s", "INT"])
        .arg(limit_secs.to_string())
        .args(["/usr/bin/time", "-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .output()
        .expect("run");
    let secs = started.elapsed().as_secs_f64();
    let rss_kb = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().lines().last()?.trim().parse().ok())
        .unwrap_or(0);
    let _ = std::fs::remove_file(&rss_file);
    Timed {
        secs,
        rss_kb,
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        counted: counting.count(),
    }
}
