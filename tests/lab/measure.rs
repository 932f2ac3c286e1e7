//! How the benchmark measures one tool: wall time and peak RSS under GNU
//! time in the client's namespace, the answers it lost, and the TCP SYNs
//! that reached the server; a row of the table per tool and scenario.

use super::lab::tcpdump::Tcpdump;
use super::lab::Lab;
use std::time::Duration;

struct Sample {
    secs: f64,
    rss_kb: u64,
    out: String,
    ok: bool,
    /// TCP SYNs that reached the server.
    syns_at_target: usize,
}

/// Starts counting the TCP SYNs that reach the server.
fn count_syns(lab: &Lab) -> Tcpdump {
    let filter = format!(
        "dst host {} and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
        lab.server_addr(false)
    );
    Tcpdump::start(lab.server(), "west", &filter)
}

/// Runs `program args` in the client namespace under GNU time.
fn timed(lab: &Lab, program: &str, args: &[String]) -> Sample {
    let t = super::lab::timed::timed(lab, program, args, count_syns(lab), 180);
    Sample {
        secs: t.secs,
        rss_kb: t.rss_kb,
        syns_at_target: t.counted,
        ok: t.ok,
        out: t.stdout + &t.stderr,
    }
}

/// Answers lost: "*" (and mtr's "???") among the lines up to the one that
/// names `stop` (the destination, or the last hop that should answer).
fn lost(out: &str, stop: &str) -> usize {
    let mut n = 0;
    for line in out.lines() {
        n += line
            .split_whitespace()
            .filter(|w| *w == "*" || *w == "???")
            .count();
        if line.contains(stop)
            && !line.starts_with("Tracing")
            && !line.starts_with("traceroute")
            && !line.starts_with("Starting")
            && !line.contains("HOST:")
            && !line.contains("Selected")
        {
            break;
        }
    }
    n
}

pub struct Row {
    pub scenario: &'static str,
    pub tool: String,
    pub median: f64,
    pub rss_kb: u64,
    pub lost: String,
    pub runs: usize,
    /// Runs that exited with an error (or were cut off at 180 s).
    pub failed: usize,
    /// TCP SYNs that reached the server (the most of any run).
    pub syns: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times one tool `runs` times (once, if the first run takes over 20 s).
pub fn measure(
    scenario: &'static str,
    lab: &Lab,
    tool: &str,
    program: &str,
    args: Vec<String>,
    runs: usize,
    stop: Option<&str>,
) -> Row {
    let mut secs = Vec::new();
    let mut rss = 0;
    let mut lost_counts = Vec::new();
    let mut failed = 0;
    let mut syns = 0;
    for _ in 0..runs {
        let s = timed(lab, program, &args);
        syns = syns.max(s.syns_at_target);
        if !s.ok {
            failed += 1;
            eprintln!(
                "{tool} failed:\n{}",
                s.out.lines().take(5).collect::<Vec<_>>().join("\n")
            );
        }
        secs.push(s.secs);
        rss = rss.max(s.rss_kb);
        if let Some(stop) = stop {
            lost_counts.push(lost(&s.out, stop));
        }
        if s.secs > 20.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1200)); // let routers' ICMP budgets refill
    }
    let lost = lost_counts
        .iter()
        .max()
        .map_or("-".to_string(), |n| n.to_string());
    Row {
        scenario,
        tool: tool.to_string(),
        runs: secs.len(),
        failed,
        median: median(secs),
        rss_kb: rss,
        lost,
        syns,
    }
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The table's header.
pub fn print_header() {
    println!(
        "{:<28} {:<30} {:>10} {:>8} {:>11} {:>6} {:>5} {:>6} {:>12}",
        "scenario",
        "tool",
        "median s",
        "ratio",
        "peak RSS MB",
        "lost",
        "runs",
        "failed",
        "SYNs@target"
    );
}

/// A scenario's rows, each time also as a ratio to the first row's.
pub fn print_rows(rows: &[Row]) {
    let base = rows.first().map_or(1.0, |r| r.median);
    for r in rows {
        println!(
            "{:<28} {:<30} {:>10.3} {:>8.2} {:>11.1} {:>6} {:>5} {:>6} {:>12}",
            r.scenario,
            r.tool,
            r.median,
            r.median / base,
            r.rss_kb as f64 / 1024.0,
            r.lost,
            r.runs,
            r.failed,
            r.syns
        );
    }
}
