//! The benchmark of runs with many targets: tracetcp against scamper on
//! the same list at the same rate, in the namespace lab (N addresses of
//! the server behind three routers, ICMP rate limits lifted). Run by
//! hand, as root:
//!
//!     cargo run --release --example bench-many [TARGETS...]
//!
//! It prints, for each list size (100 and 2,000 by default), each tool's
//! wall time, the probes it sent (counted on the client's link), the
//! targets it reached, the targets whose hops (the address answering at
//! each TTL) are the ones scamper found, and its peak RSS. tracetcp runs
//! with its stop sets (the default) and without (--no-stop-set).

#[path = "mod.rs"]
mod lab;

use lab::tcpdump::Tcpdump;
use lab::Lab;
use serde_json::Value;
use std::collections::BTreeMap;

const RATE: u32 = 1000;

struct Row {
    tool: &'static str,
    secs: f64,
    probes: usize,
    reached: usize,
    /// Targets whose hops are scamper's.
    same: usize,
    rss_mb: f64,
}

/// Each target's path: the address that answered at each TTL.
type Paths = BTreeMap<String, Vec<(u64, String)>>;

/// The paths in tracetcp's --jsonl documents.
fn tracetcp_paths(out: &str) -> Paths {
    let mut paths = Paths::new();
    for doc in out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let target = doc["target"]["address"].as_str().unwrap_or("").to_string();
        let hops = doc["traces"][0]["hops"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let path = hops
            .iter()
            .filter_map(|h| {
                let addr = h["responders"][0]["address"].as_str()?;
                Some((h["ttl"].as_u64()?, addr.to_string()))
            })
            .collect();
        paths.insert(target, path);
    }
    paths
}

/// The paths in scamper's JSON trace records.
fn scamper_paths(out: &str) -> Paths {
    let mut paths = Paths::new();
    for doc in out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        if doc["type"] != "trace" {
            continue;
        }
        let target = doc["dst"].as_str().unwrap_or("").to_string();
        let hops = doc["hops"].as_array().cloned().unwrap_or_default();
        let mut path: Vec<(u64, String)> = hops
            .iter()
            .filter_map(|h| Some((h["probe_ttl"].as_u64()?, h["addr"].as_str()?.to_string())))
            .collect();
        path.dedup_by_key(|(ttl, _)| *ttl);
        paths.insert(target, path);
    }
    paths
}

fn same(a: &Paths, b: &Paths) -> usize {
    a.iter().filter(|(t, p)| b.get(*t) == Some(p)).count()
}

/// Runs `program args` in the client under GNU time; its output, wall
/// time, peak RSS (MB) and the probes captured on the client's link.
fn timed(lab: &Lab, program: &str, args: &[String]) -> (String, f64, f64, usize) {
    let dump = Tcpdump::start(lab.client(), "east", "icmp[icmptype] == icmp-echo");
    let t = lab::timed::timed(lab, program, args, dump, 600);
    (t.stdout, t.secs, t.rss_kb as f64 / 1024.0, t.counted)
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
    let scamper = scamper_paths(&out);
    let mut rows = vec![Row {
        tool: "scamper trace -P icmp-paris -q 1",
        secs,
        probes,
        reached,
        same: scamper.len(),
        rss_mb,
    }];
    for (tool, extra) in [
        ("tracetcp --targets -p 1", None),
        ("tracetcp ... --no-stop-set", Some("--no-stop-set")),
    ] {
        let mut args: Vec<String> = [
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
        .map(String::from)
        .to_vec();
        args.extend(extra.map(String::from));
        let (out, secs, rss_mb, probes) = timed(&lab, bin.to_str().unwrap(), &args);
        let reached = out
            .lines()
            .filter(|l| l.contains("\"reason\":\"reached\""))
            .count();
        rows.push(Row {
            tool,
            secs,
            probes,
            reached,
            same: same(&tracetcp_paths(&out), &scamper),
            rss_mb,
        });
    }
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
        "{:>7} {:<33} {:>8} {:>7} {:>8} {:>6} {:>7}",
        "targets", "tool", "seconds", "probes", "reached", "same", "RSS MB"
    );
    for n in sizes {
        for r in bench(n) {
            println!(
                "{n:>7} {:<33} {:>8.2} {:>7} {:>8} {:>6} {:>7.1}",
                r.tool, r.secs, r.probes, r.reached, r.same, r.rss_mb
            );
        }
    }
}
