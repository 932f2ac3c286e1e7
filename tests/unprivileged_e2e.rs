//! End-to-end tests of traces without privileges: tracetcp run as nobody
//! (no capabilities) in the lab's client namespace traces through
//! ordinary sockets (UDP sockets, ping sockets, TCP connects with the
//! error queue), and finds what the capture mode finds. Need root to
//! build the lab, like every lab test: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), failing loudly without root.

#[path = "support/cli.rs"]
mod cli;
#[path = "lab/delay.rs"]
mod delay;
mod lab;

use cli::*;
use delay::DelayLine;
use lab::Lab;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const NOTE: &str = "tracing through ordinary sockets";

/// Lets the client namespace's users open ping sockets (Linux's default
/// range lets no one).
fn allow_ping(lab: &Lab, allowed: bool) {
    let range = if allowed { "0 2147483647" } else { "1 0" };
    let out = lab.sh(
        lab.client(),
        &format!("sysctl -qw net.ipv4.ping_group_range='{range}'"),
    );
    assert!(out.status.success(), "{out:?}");
}

/// Both modes trace each path in turn: the server's port unreachables
/// must not run out under its rate limit (the lab lifts only the
/// routers').
fn both_modes_in_turn(lab: &Lab) {
    let out = lab.sh(
        lab.server(),
        "sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0",
    );
    assert!(out.status.success(), "{out:?}");
}

/// tracetcp with `args` as nobody, with no capabilities at all.
fn as_nobody(lab: &Lab, args: &[&str]) -> Run {
    let out = Command::new("ip")
        .args(["netns", "exec", lab.client(), "setpriv", "--reuid=65534"])
        .args(["--regid=65534", "--clear-groups", "--inh-caps=-all", BIN])
        .args(args)
        .output()
        .expect("setpriv (util-linux)");
    let run = finish(out);
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

/// `as_nobody` with --json -n, which must succeed.
fn nobody_json(lab: &Lab, args: &[&str]) -> (Value, String) {
    let mut all = args.to_vec();
    all.extend(["--json", "-n"]);
    let run = as_nobody(lab, &all);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    let doc = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout));
    (doc, run.stderr)
}

/// Every kind, both families: the hops and the end found without
/// privileges are the capture mode's, the run says once how it traced,
/// and its JSON says so too.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn every_kind_and_family_finds_what_the_capture_finds() {
    let lab = lab3();
    allow_ping(&lab, true);
    both_modes_in_turn(&lab);
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        for (kind, target) in [
            ("tcp", target(server, 80)),
            ("udp", server.to_string()),
            ("icmp", server.to_string()),
        ] {
            let args = [target.as_str(), "-P", kind, "-t", "1000"];
            let captured = json(&lab, &args);
            let (sockets, stderr) = nobody_json(&lab, &args);
            let what = format!("{kind} v6={v6}");
            assert_eq!(hops(&sockets, 0), hops(&captured, 0), "{what}");
            assert_eq!(end(&sockets, 0), end(&captured, 0), "{what}");
            assert_eq!(stderr.matches(NOTE).count(), 1, "{what}: {stderr}");
            assert!(stderr.contains("no CAP_NET_RAW"), "{what}: {stderr}");
            assert_eq!(sockets["settings"]["transport"], "sockets", "{what}");
            assert_eq!(captured["settings"]["transport"], "capture", "{what}");
        }
    }
}

/// Port ranges, comparisons and rounds go through the same seam.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn ranges_comparisons_and_rounds_work_without_privileges() {
    let mut lab = lab3();
    allow_ping(&lab, true);
    let server_ns = lab.server().to_string();
    lab.listen(&server_ns, &[81]);
    let server = lab.server_addr(false).to_string();
    let (range, _) = nobody_json(&lab, &[&server, "-r", "80", "82", "-t", "1000"]);
    let ends: Vec<_> = (0..3).map(|t| end(&range, t).0).collect();
    assert_eq!(ends, ["reached", "reached", "reached"], "{range:#}");
    let text = as_nobody(&lab, &[&server, "-r", "80", "82", "-t", "1000", "-n"]);
    assert!(
        text.stdout.contains("Connection established"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Port closed"), "{}", text.stdout);
    let compare = as_nobody(
        &lab,
        &["--compare=tcp:80,udp,icmp", &server, "-n", "-t", "1000"],
    );
    assert_eq!(compare.code, 0, "{}", compare.stderr);
    for kind in ["tcp:80", "udp:33434", "icmp"] {
        assert!(compare.stdout.contains(kind), "{kind}: {}", compare.stdout);
    }
    let (rounds, _) = nobody_json(
        &lab,
        &[
            &target(lab.server_addr(false), 80),
            "--cycles",
            "2",
            "-t",
            "500",
        ],
    );
    assert!(rounds.to_string().contains(&server), "{rounds:#}");
}

/// A recording made without privileges holds the probes and the answers
/// as the kernel reported them, rebuilt, and replays as it ran.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_recording_without_privileges_replays_as_it_ran() {
    let lab = lab3();
    allow_ping(&lab, true);
    for (kind, v6) in [("tcp", false), ("udp", true), ("icmp", false)] {
        let server = lab.server_addr(v6);
        let dest = if kind == "tcp" {
            target(server, 80)
        } else {
            server.to_string()
        };
        let file = temp_pcap(&format!("unprivileged-{kind}"));
        let _ = std::fs::remove_file(&file);
        let path = file.to_str().unwrap();
        let live = as_nobody(&lab, &[&dest, "-P", kind, "-t", "1000", "-n", "-w", path]);
        assert_eq!(live.code, 0, "{kind}: {}", live.stderr);
        let replayed = replay_unprivileged(&file);
        assert_eq!(replayed.code, 0, "{kind}: {}", replayed.stderr);
        assert_eq!(replayed.stdout, live.stdout, "{kind}");
        let comments = packet_comments(&file);
        assert!(comments.len() >= 3, "{kind}: {comments:?}");
        assert!(
            comments.iter().all(|c| c.contains("(rebuilt: ")),
            "{kind}: {comments:?}"
        );
        let _ = std::fs::remove_file(&file);
    }
}

/// SYNs that reach the server's port 80, counted by nftables there.
fn syns_at_target(lab: &Lab, run: impl FnOnce()) -> u64 {
    let ns = lab.server();
    lab.nft(
        ns,
        "table inet count {
  chain input { type filter hook input priority -10;
    tcp dport 80 tcp flags & (syn | ack) == syn counter
  }
}",
    );
    run();
    let out = lab.sh(ns, "nft list table inet count; nft delete table inet count");
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("packets ").expect("an nft counter");
    text[at + 8..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a packet count")
}

/// Gentle on the target: every connection a probe completes is reset at
/// once (none is left established), and on a path of 8 hops with 5 ms
/// links (answers arrive hop by hop, as on the Internet) the target sees
/// no more SYNs than traceroute -T keeps in flight (16). (The release
/// build in bench-unprivileged shows the difference the window makes:
/// 22 SYNs with the capture's window, 16 with this one.)
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn the_target_sees_no_more_connections_than_traceroute_t_makes() {
    lab::require();
    let mut lab = Lab::new(7);
    let server_ns = lab.server().to_string();
    lab.listen(&server_ns, &[80]);
    let _delay = DelayLine::start(&lab, Duration::from_millis(5));
    let server = lab.server_addr(false).to_string();
    let ours = syns_at_target(&lab, || {
        let run = as_nobody(
            &lab,
            &[&target(lab.server_addr(false), 80), "-n", "-t", "1000"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("Connection established"),
            "{}",
            run.stdout
        );
    });
    let established = lab.sh(lab.server(), "ss -Htn state established '( sport = :80 )'");
    let open = String::from_utf8_lossy(&established.stdout)
        .trim()
        .to_string();
    assert_eq!(open, "", "connections left open");
    assert!(
        lab::installed("traceroute"),
        "traceroute is not installed (tests/setup.sh --for-tests installs it)"
    );
    let theirs = syns_at_target(&lab, || {
        let out = lab
            .command("traceroute")
            .args(["-T", "-p", "80", "-n", &server])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    });
    let captured = syns_at_target(&lab, || {
        let run = tracetcp(
            &lab,
            &[&target(lab.server_addr(false), 80), "-n", "-t", "1000"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    });
    eprintln!(
        "SYNs at the target: tracetcp without privileges {ours}, with them {captured}, \
         traceroute -T {theirs}"
    );
    assert!(ours >= 1, "no SYN reached the target");
    assert!(
        ours <= 16 && ours <= theirs.max(16),
        "tracetcp without privileges: {ours} connections at the target; traceroute -T: {theirs} SYNs"
    );
}

/// What the system does not allow gets one line with what works instead;
/// as root, --unprivileged forces the mode and says it was asked for.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn clear_limits_and_a_forced_mode() {
    let lab = lab3();
    allow_ping(&lab, false);
    let server = lab.server_addr(false).to_string();
    let run = as_nobody(&lab, &[&server, "-P", "icmp", "-n"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    for needle in ["tracetcp: ", "ping_group_range", "-P udp"] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    let mtu = as_nobody(&lab, &[&server, "--mtu", "-n"]);
    assert_eq!(mtu.code, 3, "{}", mtu.stderr);
    assert!(
        mtu.stderr
            .contains("--mtu with TCP probes needs CAP_NET_RAW"),
        "{}",
        mtu.stderr
    );
    let low = as_nobody(&lab, &[&server, "-P", "udp", "--flow", "80", "-n"]);
    assert_eq!(low.code, 3, "{}", low.stderr);
    assert!(
        low.stderr
            .contains("source port 80 is below 1024; choose a --flow of 1024 or more"),
        "{}",
        low.stderr
    );
    // -i binds every socket to the interface.
    let on = as_nobody(
        &lab,
        &[&server, "-P", "udp", "-i", "east", "-n", "-t", "1000"],
    );
    assert_eq!(on.code, 0, "{}", on.stderr);
    assert!(on.stdout.contains("Port closed"), "{}", on.stdout);
    let nowhere = as_nobody(&lab, &[&server, "-P", "udp", "-i", "nosuch", "-n"]);
    assert_eq!(nowhere.code, 2, "{}", nowhere.stderr);
    // Injection has no unprivileged way: the capability is named.
    let inject = as_nobody(&lab, &[&server, "--inject", "-n"]);
    assert_eq!(inject.code, 3, "{}", inject.stderr);
    assert!(
        inject.stderr.contains("setcap cap_net_raw+ep"),
        "{}",
        inject.stderr
    );
    let forced = tracetcp(
        &lab,
        &[
            &target(lab.server_addr(false), 80),
            "--unprivileged",
            "-n",
            "-t",
            "1000",
        ],
    );
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        forced
            .stderr
            .contains("--unprivileged: tracing through ordinary sockets"),
        "{}",
        forced.stderr
    );
    assert!(
        forced.stdout.contains("Connection established"),
        "{}",
        forced.stdout
    );
}

/// Ctrl-C and SIGTERM stop a trace through sockets as they stop a
/// captured one.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn ctrl_c_stops_a_trace_through_sockets() {
    let lab = lab3();
    // Nothing gets past router 2: the trace would wait out 30 hops.
    lab.nft(lab.router(2), &lab::rules::block_all_to(33434));
    let server = lab.server_addr(false).to_string();
    let args = [&server, "--unprivileged", "-n", "-P", "udp", "-t", "3000"];
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let run = stopped(&lab, &args, signal);
        assert_eq!(run.code, 130, "signal {signal}: {}", run.stderr);
        assert!(run.stdout.contains("Trace interrupted"), "{}", run.stdout);
    }
}

/// --mtu where the kernel reports it: UDP and ICMP probes of the sizes
/// the engine builds, don't-fragment set through the socket; the path MTU
/// and the hop that announced it are the capture mode's.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn the_path_mtu_without_privileges_is_the_capture_s() {
    let lab = lab3();
    allow_ping(&lab, true);
    lab.narrow_link(2, 1400, 1280);
    both_modes_in_turn(&lab);
    for v6 in [false, true] {
        let server = lab.server_addr(v6).to_string();
        for kind in ["udp", "icmp"] {
            let args = [
                server.as_str(),
                "-P",
                kind,
                "--mtu",
                "-m",
                "8",
                "-t",
                "500",
                "-F",
            ];
            let captured = json(&lab, &args);
            let (sockets, _) = nobody_json(&lab, &args);
            let what = format!("{kind} v6={v6}");
            let mtu = |d: &Value| d["traces"][0]["mtu"]["path_mtu"].clone();
            assert_eq!(mtu(&sockets), mtu(&captured), "{what}");
            assert_eq!(mtu(&sockets), if v6 { 1280 } else { 1400 }, "{what}");
            assert_eq!(hops(&sockets, 0), hops(&captured, 0), "{what}");
        }
    }
}
