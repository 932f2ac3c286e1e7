//! The path MTU benchmark: `tracetcp --mtu` against tracepath
//! (iputils-tracepath) and `traceroute --mtu` on the lab's two MTU paths:
//! a link of MTU 1400 after r2 whose router answers "fragmentation
//! needed", and the same with those answers dropped (a black hole). Run by
//! hand, as root, after `apt-get install iputils-tracepath traceroute`:
//!
//!     cargo run --release --example bench-mtu
//!
//! For each tool and path: median wall time, probes sent (counted on the
//! client's link, our kernel's RSTs left out), the path MTU it reports,
//! the hop where it says the size changes, and whether it names the
//! black hole (and with which bounds). Runs are stopped after
//! `LIMIT_SECS`.

#[path = "mod.rs"]
mod lab;

use lab::tcpdump::run_counted;
use lab::Lab;
use serde_json::Value;

use std::time::Duration;

const RUNS: usize = 3;

/// What a tool said: path MTU, hop where the size changed, black hole.
#[derive(Default)]
struct Said {
    pmtu: Option<u64>,
    hop: Option<u64>,
    hole: Option<String>,
}

/// Longest a run may take: traceroute --mtu retries a black hole's size
/// for minutes.
const LIMIT_SECS: u64 = 90;

/// Runs `script` in the client, counting what it sends; a run past
/// `LIMIT_SECS` is stopped (its output so far is read).
fn run(lab: &Lab, script: &str) -> (f64, usize, String) {
    run_counted(lab, "east", &format!("timeout {LIMIT_SECS} {script}"))
}

fn from_tracetcp(out: &str) -> Said {
    let doc: Value = serde_json::from_str(out).unwrap_or(Value::Null);
    let m = &doc["traces"][0]["mtu"];
    let h = &m["black_hole"];
    Said {
        pmtu: m["path_mtu"].as_u64(),
        hop: m["changes"][0]["at_hop"].as_u64().or(h["at_hop"].as_u64()),
        hole: h["passes"]
            .as_u64()
            .map(|p| format!("passes {p}, dropped {}", h["dropped"])),
    }
}

/// tracepath: "3:  198.18.1.2  0.071ms pmtu 1400", "Resume: pmtu 1400".
fn from_tracepath(out: &str) -> Said {
    let pmtu_of = |l: &str| {
        let at = l.find("pmtu ")? + 5;
        l[at..].split_whitespace().next()?.parse::<u64>().ok()
    };
    let hop = out
        .lines()
        .filter(|l| !l.contains("LOCALHOST") && !l.contains("Resume"))
        .find(|l| pmtu_of(l).is_some())
        .and_then(|l| l.trim().split(['?', ':']).next()?.parse().ok());
    let resume = out.lines().find(|l| l.contains("Resume"));
    Said {
        pmtu: resume.and_then(pmtu_of),
        hop,
        hole: None,
    }
}

/// traceroute --mtu: "3  198.18.2.2  0.015 ms F=1400 ...".
fn from_traceroute(out: &str) -> Said {
    let f_of = |l: &str| {
        let at = l.find("F=")? + 2;
        l[at..].split_whitespace().next()?.parse::<u64>().ok()
    };
    let changes: Vec<(u64, u64)> = out
        .lines()
        .filter_map(|l| Some((l.split_whitespace().next()?.parse().ok()?, f_of(l)?)))
        .collect();
    Said {
        pmtu: changes.last().map(|c| c.1),
        hop: changes.get(1).map(|c| c.0),
        hole: None,
    }
}

fn show(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

fn main() {
    if let Some(why) = lab::unavailable() {
        eprintln!("bench: {why}");
        std::process::exit(1);
    }
    let bin = lab::tracetcp_beside_me();
    let bin = bin.to_str().unwrap().to_string();
    println!("| path | tool | median s | probes | path MTU | change at hop | black hole named |");
    println!("|---|---|---|---|---|---|---|");
    for name in ["mtu", "mtu-black-hole"] {
        let scenario = lab::scenarios::ALL.iter().find(|s| s.name == name).unwrap();
        let lab = scenario.build();
        let server = lab.server_addr(false);
        type Tool = (&'static str, &'static str, String, fn(&str) -> Said);
        let tools: Vec<Tool> = vec![
            (
                "tracetcp --mtu",
                "true",
                format!("{bin} {server}:80 --mtu -n --json -t 1000"),
                from_tracetcp,
            ),
            (
                "tracetcp --mtu -F",
                "true",
                format!("{bin} {server}:80 --mtu -F -n --json -t 1000"),
                from_tracetcp,
            ),
            (
                "tracepath -n",
                "tracepath",
                format!("tracepath -n {server}"),
                from_tracepath,
            ),
            (
                "traceroute --mtu",
                "traceroute",
                format!("traceroute -n --mtu {server}"),
                from_traceroute,
            ),
            (
                "traceroute -T --mtu",
                "traceroute",
                format!("traceroute -n -T --mtu {server}"),
                from_traceroute,
            ),
        ];
        for (tool, program, script, parse) in tools {
            if !lab::installed(program) {
                println!("| {name} | {tool} | not installed | | | | |");
                continue;
            }
            let mut samples: Vec<(f64, usize, Said)> = (0..RUNS)
                .map(|_| {
                    let (secs, probes, out) = run(&lab, &script);
                    std::thread::sleep(Duration::from_millis(1500));
                    (secs, probes, parse(&out))
                })
                .collect();
            samples.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (secs, probes, said) = &samples[RUNS / 2];
            let stopped = if *secs >= LIMIT_SECS as f64 - 0.5 {
                " (stopped)"
            } else {
                ""
            };
            println!(
                "| {name} | {tool} | {secs:.2}{stopped} | {probes} | {} | {} | {} |",
                show(said.pmtu),
                show(said.hop),
                said.hole.as_deref().unwrap_or("no")
            );
        }
    }
}
