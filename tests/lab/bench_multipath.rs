//! The multipath benchmark: `tracetcp --multipath` against scamper's
//! tracelb and dublin-traceroute on the load-balanced lab (diamonds of
//! width 4 and 2, per-flow ECMP, link delay on every router). Run by hand,
//! as root, after `apt-get install scamper dublin-traceroute`:
//!
//!     cargo run --release --example bench-multipath [TOOL-NAME-PART...]
//!
//! For each tool: median wall time, probes sent (counted on the client's
//! link, our kernel's RSTs left out), interfaces and links found against
//! the lab's truth, and links claimed that do not exist.

#[path = "delay.rs"]
mod delay;
#[path = "mod.rs"]
mod lab;

use delay::DelayLine;
use lab::diamond::{diamonds, truth};
use lab::tcpdump::run_counted;
use lab::Lab;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

const DELAY: Duration = Duration::from_millis(5);

type Links = BTreeSet<(IpAddr, IpAddr)>;

struct Found {
    interfaces: BTreeSet<IpAddr>,
    links: Links,
}

struct Sample {
    secs: f64,
    probes: usize,
    found: Found,
}

fn addr(v: &Value) -> Option<IpAddr> {
    v.as_str()?.parse().ok()
}

fn from_tracetcp(out: &str) -> Found {
    let doc: Value = serde_json::from_str(out).unwrap_or(Value::Null);
    let t = &doc["traces"][0];
    let mut interfaces = BTreeSet::new();
    for h in t["interfaces"].as_array().into_iter().flatten() {
        for i in h["interfaces"].as_array().into_iter().flatten() {
            interfaces.extend(addr(&i["address"]));
        }
    }
    let links = t["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| Some((addr(&l["from"])?, addr(&l["to"])?)))
        .collect();
    Found { interfaces, links }
}

/// scamper's tracelb text: "A -> B" and "A -> (B, C) -> D" lines.
fn from_scamper(out: &str) -> Found {
    let mut interfaces = BTreeSet::new();
    let mut links = Links::new();
    for line in out.lines().filter(|l| l.contains("->")) {
        let groups: Vec<Vec<IpAddr>> = line
            .split("->")
            .map(|g| {
                g.trim()
                    .trim_matches(['(', ')'])
                    .split(',')
                    .filter_map(|a| a.trim().parse().ok())
                    .collect()
            })
            .collect();
        for pair in groups.windows(2) {
            for &a in &pair[0] {
                for &b in &pair[1] {
                    links.insert((a, b));
                }
            }
        }
        interfaces.extend(groups.into_iter().flatten());
    }
    Found { interfaces, links }
}

/// dublin-traceroute's trace.json: per flow, the hops by TTL.
fn from_dublin(json: &str) -> Found {
    let doc: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let mut interfaces = BTreeSet::new();
    let mut links = Links::new();
    for hops in doc["flows"]
        .as_object()
        .into_iter()
        .flat_map(|f| f.values())
    {
        let mut by_ttl: Vec<(u64, Option<IpAddr>)> = hops
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                let ttl = h["sent"]["ip"]["ttl"].as_u64().unwrap_or(0);
                (ttl, addr(&h["received"]["ip"]["src"]))
            })
            .collect();
        by_ttl.sort();
        interfaces.extend(by_ttl.iter().filter_map(|(_, a)| *a));
        for pair in by_ttl.windows(2) {
            if let ((t, Some(a)), (u, Some(b))) = (pair[0], pair[1]) {
                if t + 1 == u && a != b {
                    links.insert((a, b));
                }
            }
        }
    }
    Found { interfaces, links }
}

fn measure(lab: &Lab, runs: usize, script: &str, parse: fn(&str) -> Found) -> Vec<Sample> {
    (0..runs)
        .map(|_| {
            let (secs, probes, out) = run_counted(lab, "l0", script);
            // BENCH_KEEP=DIR keeps every run's output there, to look into.
            if let Ok(dir) = std::env::var("BENCH_KEEP") {
                let n = std::fs::read_dir(&dir).map_or(0, |d| d.count());
                let _ = std::fs::write(format!("{dir}/run-{n}.out"), &out);
            }
            std::thread::sleep(Duration::from_millis(1500));
            Sample {
                secs,
                probes,
                found: parse(&out),
            }
        })
        .collect()
}

/// Name, program (to check it is installed), shell script, how to read
/// its output, runs.
type Tool<'a> = (&'a str, &'a str, String, fn(&str) -> Found, usize);

fn main() {
    if let Some(why) = lab::unavailable() {
        eprintln!("bench: {why}");
        std::process::exit(1);
    }
    let lab = diamonds();
    let _delay = DelayLine::start(&lab, DELAY);
    let server = lab.server_addr(false);
    let (hops, links) = truth(false);
    let truth_interfaces: BTreeSet<IpAddr> = hops.into_iter().flatten().collect();
    let truth_links: Links = links.into_iter().collect();
    let bin = lab::tracetcp_beside_me();
    let bin = bin.to_str().unwrap();
    let dir = std::env::temp_dir().join(format!("bench-dublin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let dublin = format!(
        "cd {} && dublin-traceroute {server} >/dev/null 2>&1; cat trace.json",
        dir.display()
    );
    let tools: Vec<Tool> = vec![
        (
            "tracetcp --multipath",
            bin,
            format!("{bin} {server}:80 --multipath -n --json"),
            from_tracetcp,
            3,
        ),
        (
            "tracetcp --multipath -F",
            bin,
            format!("{bin} {server}:80 --multipath -F -n --json"),
            from_tracetcp,
            3,
        ),
        (
            "tracetcp --multipath -P udp",
            bin,
            format!("{bin} {server} -P udp --multipath -n --json"),
            from_tracetcp,
            3,
        ),
        (
            "scamper tracelb tcp-sport",
            "scamper",
            format!("scamper -O text -c 'tracelb -P tcp-sport -d 80' -i {server} 2>/dev/null"),
            from_scamper,
            2,
        ),
        (
            "scamper tracelb udp-dport",
            "scamper",
            format!("scamper -O text -c 'tracelb -P udp-dport' -i {server} 2>/dev/null"),
            from_scamper,
            2,
        ),
        (
            "dublin-traceroute (20 paths)",
            "dublin-traceroute",
            dublin,
            from_dublin,
            2,
        ),
    ];
    println!(
        "lab: client - r1 - 4 routers - r2 - r3 - 2 routers - r4 - server (7 hops), {} ms per router each way; truth: {} interfaces, {} links\n",
        DELAY.as_millis(),
        truth_interfaces.len(),
        truth_links.len()
    );
    println!(
        "{:<30} {:>9} {:>7} {:>11} {:>7} {:>11} {:>5}",
        "tool", "median s", "probes", "interfaces", "links", "false links", "runs"
    );
    let only: Vec<String> = std::env::args().skip(1).collect();
    for (name, program, script, parse, runs) in tools {
        if !only.is_empty() && !only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        if !lab::installed(program) {
            println!("{name:<30} (not installed)");
            continue;
        }
        let samples = measure(&lab, runs, &script, parse);
        let mut secs: Vec<f64> = samples.iter().map(|s| s.secs).collect();
        secs.sort_by(|a, b| a.total_cmp(b));
        let mut probes: Vec<usize> = samples.iter().map(|s| s.probes).collect();
        probes.sort();
        let worst = samples
            .iter()
            .min_by_key(|s| s.found.links.intersection(&truth_links).count())
            .unwrap();
        let found_i = worst
            .found
            .interfaces
            .intersection(&truth_interfaces)
            .count();
        let found_l = worst.found.links.intersection(&truth_links).count();
        let false_l = worst.found.links.difference(&truth_links).count();
        println!(
            "{name:<30} {:>9.3} {:>7} {:>11} {:>7} {:>11} {:>5}",
            secs[secs.len() / 2],
            probes[probes.len() / 2],
            format!("{found_i}/{}", truth_interfaces.len()),
            format!("{found_l}/{}", truth_links.len()),
            false_l,
            samples.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
