//! The benchmark of runs with many targets: tracetcp against scamper on
//! the same list at the same rate, in the namespace lab (N addresses of
//! the server behind three routers, ICMP rate limits lifted). Run by
//! hand, as root:
//!
//!     cargo run --release --example bench-many [TARGETS...]
//!
//! It prints, for each list size (100 and 2,000 by default), each tool's
//! wall time, the probes it sent (counted on the client's link), the
//! targets it reached, and its peak RSS.

#[path = "mod.rs"]
mod lab;

use lab::tcpdump::Tcpdump;
use lab::Lab;
use std::process::Command;
use std::time::Instant;

const RATE: u32 = 1000;

struct Row {
    tool: &'static str,
    secs: f64,
    probes: usize,
    reached: usize,
    rss_mb: f64,
}

/// Runs `program args` in the client under GNU time; its output, wall
/// time, peak RSS and the probes captured on the client's link.
fn timed(lab: &Lab, program: &str, args: &[String]) -> (String, f64, f64, usize) {
    let dump = Tcpdump::start(lab.client(), "east", "icmp[icmptype] == icmp-echo");
    let rss = std::env::temp_dir().join(format!("bench-many-rss-{}", std::process::id()));
    let started = Instant::now();
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            lab.client(),
            "/usr/bin/time",
            "-f",
            "%M",
            "-o",
        ])
        .arg(&rss)
        .arg(program)
        .args(args)
        .output()
        .expect("run");
    let secs = started.elapsed().as_secs_f64();
    let probes = dump.count();
    let kb: f64 = std::fs::read_to_string(&rss)
        .ok()
        .and_then(|s| s.trim().lines().last()?.trim().parse().ok())
        .unwrap_or(0.0);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        secs,
        kb / 1024.0,
        probes,
    )
}

fn bench(n: usize) -> Vec<Row> {
    let lab = Lab::new(3);
    // The addresses go in with one `ip -batch` (a command line would be
    // too long for thousands).
    let mut batch = String::new();
    let mut list = String::new();
    for k in 0..n {
        let addr = format!("198.18.{}.{}", 4 + k / 250, 1 + k % 250);
        batch.push_str(&format!("addr add {addr}/32 dev west\n"));
        list.push_str(&addr);
        list.push('\n');
    }
    let batch_file = std::env::temp_dir().join(format!("bench-many-ip-{n}.txt"));
    std::fs::write(&batch_file, batch).unwrap();
    let script = format!(
        "sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000; ip -batch {}",
        batch_file.display()
    );
    let out = lab.sh(lab.server(), &script);
    assert!(
        out.status.success(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&batch_file);
    // The routers' default routes lead to the server: nothing to add.
    let file = std::env::temp_dir().join(format!("bench-many-{n}.txt"));
    std::fs::write(&file, &list).unwrap();
    let path = file.to_str().unwrap().to_string();
    let bin = lab::tracetcp_beside_me();
    let rate = RATE.to_string();
    let (out, secs, rss_mb, probes) = timed(
        &lab,
        bin.to_str().unwrap(),
        &[
            "--targets",
            &path,
            "-P",
            "icmp",
            "-p",
            "1",
            "-n",
            "--jsonl",
            "--rate",
            &rate,
            "-t",
            "1000",
        ]
        .map(String::from),
    );
    let reached = out
        .lines()
        .filter(|l| l.contains("\"reason\":\"reached\""))
        .count();
    let mut rows = vec![Row {
        tool: "tracetcp --targets -p 1",
        secs,
        probes,
        reached,
        rss_mb,
    }];
    let (out, secs, rss_mb, probes) = timed(
        &lab,
        "scamper",
        &[
            "-c",
            "trace -P icmp-paris -q 1 -w 1",
            "-p",
            &rate,
            "-O",
            "json",
            "-f",
            &path,
        ]
        .map(String::from),
    );
    let reached = out
        .lines()
        .filter(|l| l.contains("\"type\":\"trace\"") && l.contains("\"stop_reason\":\"COMPLETED\""))
        .count();
    rows.push(Row {
        tool: "scamper trace -P icmp-paris -q 1",
        secs,
        probes,
        reached,
        rss_mb,
    });
    let _ = std::fs::remove_file(&file);
    rows
}

fn main() {
    if let Some(why) = lab::unavailable() {
        eprintln!("bench: {why}");
        std::process::exit(1);
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100, 2000]
    } else {
        sizes
    };
    println!(
        "lab: client - r1..r3 - server with N addresses; ICMP; {RATE} probes/s for both tools\n"
    );
    println!(
        "{:>7} {:<28} {:>9} {:>8} {:>8} {:>8}",
        "targets", "tool", "seconds", "probes", "reached", "RSS MB"
    );
    for n in sizes {
        for r in bench(n) {
            println!(
                "{n:>7} {:<28} {:>9.2} {:>8} {:>8} {:>8.1}",
                r.tool, r.secs, r.probes, r.reached, r.rss_mb
            );
        }
    }
}
