//! End-to-end tests of what runs with many targets spare the network:
//! stop sets (hops an earlier trace found are not probed again, the same
//! hops shown), routers' ICMP limits learned by address across targets,
//! and a slow first target that holds the others up no longer than it
//! should. Need root, like every lab test: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), failing loudly without root.

#[path = "support/cli.rs"]
mod cli;
mod lab;
#[path = "support/many.rs"]
mod many;

use cli::*;
use lab::tcpdump::Tcpdump;
use many::*;

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn stop_sets_send_fewer_probes_for_the_same_hops() {
    stop_sets_case(lab3());
}

/// The same with r2 silent (no time-exceeded): a silent hop on the shared
/// path does not part it.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn stop_sets_see_through_a_silent_hop() {
    let lab = lab3();
    lab.nft(lab.router(2), lab::rules::SILENT_ROUTER);
    stop_sets_case(lab);
}

/// Twenty targets behind the lab's routers and one nearer than where
/// traces start, with stop sets and without: the same hops, far fewer
/// probes, ICMP and TCP.
fn stop_sets_case(lab: lab::Lab) {
    // Targets behind the three routers, and one nearer than the start:
    // the second router itself.
    let mut targets = server_addresses(&lab, 20);
    let near = lab.router_addr(2, false).to_string();
    targets.insert(5, near.clone());
    for kind in ["icmp", "tcp"] {
        let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
        args.extend(["-P", kind, "-n", "--jsonl", "--rate", "400", "-t", "1000"]);
        if kind == "tcp" {
            args.extend(["--port", "80"]);
        }
        let mut runs = Vec::new();
        for extra in [None, Some("--no-stop-set")] {
            let filter = "src host 198.18.0.1 and (icmp[icmptype] == icmp-echo \
                          or tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn)";
            let dump = Tcpdump::start(lab.client(), "east", filter);
            let mut all = args.clone();
            all.extend(extra);
            let run = tracetcp(&lab, &all);
            let probes = probe_times(&dump.stop()).len();
            assert_eq!(run.code, 0, "{kind} {extra:?}: {}", run.stderr);
            runs.push((documents(&run.stdout), probes, run.stdout));
        }
        let (with, without) = (&runs[0], &runs[1]);
        eprintln!(
            "{kind}: {} probes with stop sets, {} without",
            with.1, without.1
        );
        // The same hops for every target, the near one at its own hop.
        assert_eq!(hops_of(&with.0), hops_of(&without.0), "{kind}");
        assert_eq!(reached(&with.0).len(), targets.len(), "{kind}");
        let near_doc = with
            .0
            .iter()
            .find(|d| d["target"]["address"] == near.as_str());
        assert_eq!(near_doc.unwrap()["traces"][0]["end"]["ttl"], 2, "{kind}");
        // Learned hops are said so; probes: far fewer.
        let learned = with
            .0
            .iter()
            .filter(|d| d["traces"][0]["learned"]["hops"] == 2);
        assert!(learned.count() >= targets.len() - 3, "{kind}: {}", with.2);
        assert!(without
            .0
            .iter()
            .all(|d| d["traces"][0]["learned"].is_null()));
        assert!(
            with.1 * 3 < without.1 * 2,
            "{kind}: {} vs {}",
            with.1,
            without.1
        );
    }
}

/// A router limiting the errors it sends (5 a second here) is found by
/// its address across targets, said once, and paced: more of its hops
/// answer than with -F (not paced), where it is only said.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_router_limiting_its_answers_is_said_and_paced_by_its_address() {
    let lab = lab3();
    lab.sh(lab.router(3), "sysctl -qw net.ipv4.icmp_ratelimit=200");
    let targets = server_addresses(&lab, 40);
    let r3 = lab.router_addr(3, false).to_string();
    let mut answered = Vec::new();
    for extra in [None, Some("-F")] {
        let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
        args.extend(["-P", "icmp", "-p", "1", "-n", "--jsonl", "--rate", "400"]);
        args.extend(["-t", "1000", "--no-stop-set"]);
        args.extend(extra);
        let run = tracetcp(&lab, &args);
        assert_eq!(run.code, 0, "{extra:?}: {}", run.stderr);
        let docs = documents(&run.stdout);
        assert_eq!(reached(&docs).len(), targets.len(), "{extra:?}");
        let said = format!("tracetcp: note: {r3} (hop 3) answered");
        assert_eq!(run.stderr.matches(&said).count(), 1, "{}", run.stderr);
        let at_3 = hops_of(&docs)
            .values()
            .filter(|p| p.contains(&format!("3:{r3}")))
            .count();
        eprintln!(
            "{extra:?}: hop 3 answered for {at_3} of {} targets",
            targets.len()
        );
        answered.push(at_3);
    }
    assert!(answered[0] >= answered[1] + 10, "{answered:?}");
}

/// With stop sets the first target runs alone, but a slow one holds the
/// others up for no more than two timeouts: they finish before it.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_slow_first_target_holds_the_others_up_two_timeouts_at_most() {
    let lab = lab3();
    let server = lab.server_addr(false).to_string();
    let r3 = lab.router_addr(3, false).to_string();
    // Nobody has 198.18.3.200: its 117 silent hops take 3.5 s at 100
    // probes a second.
    let args = ["198.18.3.200", &server, &r3, "-P", "icmp", "-n", "--jsonl"];
    let args = [&args[..], &["-t", "1000", "--rate", "100", "-m", "120"]].concat();
    let run = tracetcp(&lab, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let order: Vec<String> = documents(&run.stdout)
        .iter()
        .map(|d| d["target"]["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order.len(), 3, "{order:?}");
    assert_eq!(order[2], "198.18.3.200", "{order:?}");
}
