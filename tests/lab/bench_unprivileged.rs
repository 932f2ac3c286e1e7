//! The benchmark of traces without privileges: tracetcp through ordinary
//! sockets (as nobody, no capabilities) beside tracetcp with its capture
//! and beside the peers that trace without privileges (Linux traceroute's
//! UDP default) or need them (traceroute -T), in the namespace lab with
//! link delay. Run by hand, as root, after tests/bench.sh installed the
//! peers:
//!
//!     cargo run --release --example bench-unprivileged
//!
//! It prints each tool's median wall time, its ratio to tracetcp with its
//! capture, its peak RSS, the answers it lost and the TCP SYNs that
//! reached the target; then what keeping one TCP flow would cost without
//! privileges: a 4-tuple holds one connection, so the probes of a flow
//! would take turns, each holding it until its answer or until its
//! socket closes unanswered (0.9 s, before the kernel's SYN resend).

#[path = "delay.rs"]
mod delay;
#[path = "mod.rs"]
mod lab;
#[path = "measure.rs"]
mod measure;

use delay::DelayLine;
use lab::{rules, Lab};
use measure::{measure, print_header, print_rows, s, Row};
use std::process::Command;
use std::time::Duration;

/// Delay per router, each way.
const DELAY: Duration = Duration::from_millis(5);
/// How long a TCP probe's socket waits unanswered (sockets/mod.rs).
const TCP_KEEP_S: f64 = 0.9;
/// Runs as nobody, with no capabilities at all.
const NOBODY: [&str; 4] = [
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--inh-caps=-all",
];

fn as_nobody(program: &str, args: &[&str]) -> Vec<String> {
    let mut all = s(&NOBODY);
    all.push(program.into());
    all.extend(s(args));
    all
}

fn rows(scenario: &'static str, lab: &Lab, server: &str, stop: &str, runs: usize) -> Vec<Row> {
    let bin = lab::tracetcp_beside_me();
    let bin = bin.to_str().unwrap();
    let tcp = [server, "-n", "-t", "2000", "--no-diagnosis"];
    let udp = [server, "-n", "-P", "udp", "-t", "2000", "--no-diagnosis"];
    vec![
        measure(
            scenario,
            lab,
            "tracetcp (capture)",
            bin,
            s(&tcp),
            runs,
            Some(stop),
        ),
        measure(
            scenario,
            lab,
            "tracetcp, no privileges",
            "setpriv",
            as_nobody(bin, &tcp),
            runs,
            Some(stop),
        ),
        measure(
            scenario,
            lab,
            "tracetcp -P udp, no privileges",
            "setpriv",
            as_nobody(bin, &udp),
            runs,
            Some(stop),
        ),
        measure(
            scenario,
            lab,
            "traceroute -T (root)",
            "traceroute",
            s(&["-T", "-n", "-p", "80", "-w", "2", server]),
            runs,
            Some(stop),
        ),
        measure(
            scenario,
            lab,
            "traceroute (UDP), no privileges",
            "setpriv",
            as_nobody("traceroute", &["-n", "-w", "2", server]),
            runs,
            Some(stop),
        ),
    ]
}

/// What taking turns on one flow would have cost the run without
/// privileges: its probes one after another, each for its RTT or, lost,
/// for TCP_KEEP_S; against the run's own time with a flow per probe.
fn turns(lab: &Lab, server: &str) -> (f64, f64, usize) {
    let bin = lab::tracetcp_beside_me();
    let started = std::time::Instant::now();
    let out = Command::new("ip")
        .args(["netns", "exec", lab.client(), "setpriv"])
        .args(NOBODY)
        .arg(&bin)
        .args([server, "-n", "-t", "2000", "--json"])
        .output()
        .expect("tracetcp");
    let took = started.elapsed().as_secs_f64();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let probes = doc["traces"][0]["probes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let one_flow: f64 = probes
        .iter()
        .map(|p| {
            p["reply"]["rtt_ms"]
                .as_f64()
                .map_or(TCP_KEEP_S, |ms| ms / 1000.0)
        })
        .sum();
    (took, one_flow, probes.len())
}

fn delayed_lab(silent: bool) -> (Lab, DelayLine) {
    let mut lab = Lab::new(7);
    lab.name_hosts();
    let srv = lab.server().to_string();
    lab.listen(&srv, &[80]);
    if silent {
        lab.nft(
            lab.router(3),
            "table inet wall {\n chain transit { type filter hook forward priority 0; drop; }\n}",
        );
        lab.nft(lab.router(3), rules::SILENT_ROUTER);
    }
    let delay = DelayLine::start(&lab, DELAY);
    (lab, delay)
}

fn main() {
    if let Some(why) = lab::unavailable() {
        eprintln!("bench: {why}");
        std::process::exit(1);
    }
    println!(
        "lab: client - r1..r7 - server (8 hops), {} ms per router each way\n",
        DELAY.as_millis()
    );
    print_header();
    let mut estimates = Vec::new();
    for (name, silent) in [("clean 8 hops", false), ("silent after hop 2", true)] {
        let (lab, _delay) = delayed_lab(silent);
        let server = lab.server_addr(false).to_string();
        let stop = if silent {
            lab.router_addr(2, false).to_string()
        } else {
            server.clone()
        };
        let rows = rows(name, &lab, &server, &stop, if silent { 1 } else { 5 });
        print_rows(&rows);
        estimates.push((name, turns(&lab, &server)));
    }
    println!("\nTCP without privileges: a flow per probe (measured) against one flow taking turns (estimated)");
    for (name, (took, one_flow, probes)) in estimates {
        println!(
            "{name:<22} {probes:>4} probes: a flow each {took:.3} s; one flow taking turns about {one_flow:.1} s ({:.0}x)",
            one_flow / took
        );
    }
}
