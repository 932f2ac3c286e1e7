//! End-to-end tests of how a run behaves, in the namespace lab: both ways
//! of sending (raw sockets, injected frames), pacing under real ICMP rate
//! limits, reverse DNS and -n, Ctrl-C, bad input and missing privileges.
//! They need root, so the harness reports them as ignored unless asked for
//! with `--include-ignored` (tests/test.sh, as root, always asks); asked
//! for without root, they fail and say what is missing.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::rules;

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn raw_sockets_and_injection_both_trace() {
    let lab = lab3();
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let gateway = if v6 { "2001:db8:0::2" } else { "198.18.0.2" };
        // Make injection ask for the gateway's MAC (ARP / neighbour
        // discovery) instead of finding it in the neighbour table.
        lab.sh(lab.client(), &format!("ip neigh del {gateway} dev east"));
        for how in [vec!["-R"], vec!["--inject"], vec!["-g", gateway]] {
            let mut args = vec![target(server, 80)];
            args.extend(how.iter().map(|s| s.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let doc = json(&lab, &args);
            assert_eq!(
                end(&doc, 0),
                ("reached".into(), 4, "syn-ack".into()),
                "{how:?} v6={v6}"
            );
            assert_eq!(hops(&doc, 0)[..3], routers(&lab, v6)[..], "{how:?}");
        }
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn pacing_keeps_answers_under_real_icmp_rate_limits() {
    let lab = lab3();
    let fresh = lab3();
    for k in 1..=3 {
        lab.default_icmp_ratelimit(k);
        fresh.default_icmp_ratelimit(k);
    }
    // 8 ports at hops 1 and 2: each router may answer 6 at once, then one
    // a second. Paced, nothing is lost.
    let server = lab.server_addr(false).to_string();
    let run = tracetcp(
        &lab,
        &[
            &server,
            "-h",
            "1",
            "-m",
            "2",
            "-p",
            "1",
            "-t",
            "500",
            "-c",
            "-r",
            "130",
            "137",
            "-n",
            "--no-diagnosis",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().filter(|l| !l.is_empty()).count(),
        16,
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("Request timed out"),
        "answers lost:\n{}",
        run.stdout
    );
    // A default trace loses nothing either. (On its own lab: the range
    // above rightly drained each router's budget for a few seconds.)
    let doc = json(&fresh, &[&server]);
    assert!(
        doc["traces"][0]["hops"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["lost"] == 0),
        "{doc}"
    );
}

/// Routers that answer everything (the lab's, rate limits off) are not
/// held to Linux's budget: 40 ports at three routers go at full speed,
/// with no note about pacing and nothing lost.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn pacing_goes_full_speed_where_routers_answer_everything() {
    let lab = lab3();
    let server = lab.server_addr(false).to_string();
    let args = [
        "-r",
        "1",
        "40",
        "-m",
        "3",
        "-p",
        "1",
        "-c",
        "-n",
        "--no-diagnosis",
    ];
    let run = tracetcp(&lab, &[&[server.as_str()][..], &args[..]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("\t198.18.").count(),
        120,
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('*'), "{}", run.stdout);
    assert!(!run.stderr.contains("pacing"), "{}", run.stderr);
}

/// A firewall that lets one port of a range through loses the others'
/// probes past it, the way a rate limit would lose them, but by port:
/// they are not taken for a rate limit's losses, nor sent again, paced,
/// at the one answer a second the router gave (which took 34 s here).
/// With the one port first, the answers look like a limit spent before
/// the run: probes are sent again to each router, paced, until two have
/// gone unanswered (a third may be on its way by then), and the other 32
/// a router left are given up.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn ports_a_firewall_drops_are_not_sent_again() {
    let lab = lab3();
    lab.nft(
        lab.router(1),
        "table inet only80 {\n chain transit { type filter hook forward priority 0; \
         tcp dport != 80 drop; }\n}",
    );
    let server = lab.server_addr(false).to_string();
    for (first, last, most_sent_again) in [("60", "100", 0), ("80", "120", 2 * 3)] {
        let file = temp_pcap(&format!("firewall-not-limit-{first}"));
        let args = [
            "-r", first, last, "-h", "1", "-m", "3", "-p", "1", "-t", "1000",
        ];
        let mut all = vec![server.as_str(), "-n", "-w", file.to_str().unwrap()];
        all.extend(args);
        let run = tracetcp(&lab, &all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout
                .contains("stop after hop 1 (198.18.0.2) while tcp:80 gets through to hop 3"),
            "{}",
            run.stdout
        );
        let comments = packet_comments(&file);
        let _ = std::fs::remove_file(&file);
        let probes: Vec<&String> = comments
            .iter()
            .filter(|c| c.starts_with("probe "))
            .collect();
        let again = probes.iter().filter(|c| c.contains("sent again")).count();
        assert_eq!(probes.len(), 41 * 3 + again, "{comments:#?}");
        assert!(
            again <= most_sent_again,
            "{again} sent again: {comments:#?}"
        );
        assert!(!run.stderr.contains("pacing"), "{}", run.stderr);
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn names_come_from_reverse_dns_unless_n() {
    let lab = lab3();
    lab.name_hosts();
    let server = lab.server_addr(false).to_string();
    let named = tracetcp(&lab, &[&server]);
    assert!(named
        .stdout
        .starts_with(&format!("Tracing route to {server} on port 80\n")));
    assert!(
        named.stdout.contains("\t198.18.0.2\t[r1.lab]\n"),
        "{}",
        named.stdout
    );
    let numeric = tracetcp(&lab, &[&server, "-n"]);
    assert!(!numeric.stdout.contains("r1.lab"));
    let by_name = tracetcp(&lab, &["server.lab:80", "-n"]);
    assert!(
        by_name.stdout.starts_with(&format!(
            "Tracing route to {server} [server.lab] on port 80\n"
        )),
        "{}",
        by_name.stdout
    );
}

/// While a host name resolves, the capture opens on the default route's
/// device; when the name's route leads elsewhere, it opens again there.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_name_is_traced_whichever_device_its_route_takes() {
    let lab = lab3();
    lab.name_hosts();
    let debug = |lab: &lab::Lab| {
        let out = lab
            .command(BIN)
            .args(["server.lab", "-n"])
            .env("RUST_LOG", "tracetcp=debug")
            .output()
            .expect("run tracetcp");
        finish(out)
    };
    let reached = |run: &Run| run.stdout.contains("Destination Reached in");
    let reopened = |run: &Run| run.stderr.contains("capture opened early on");
    let guessed = debug(&lab);
    assert!(reached(&guessed), "{}", guessed.stdout);
    assert!(!reopened(&guessed), "{}", guessed.stderr);
    // The default route now leads to another device (one end of a veth
    // pair); the lab's addresses keep their route through east.
    lab.sh(
        lab.client(),
        "ip link add decoy type veth peer name decoy-end && ip link set decoy up && \
         ip link set decoy-end up && ip route add 198.18.0.0/15 via 198.18.0.2 && \
         ip route replace default dev decoy",
    );
    let elsewhere = debug(&lab);
    assert!(reached(&elsewhere), "{}", elsewhere.stdout);
    assert!(
        elsewhere
            .stderr
            .contains("capture opened early on decoy, but the target needs east"),
        "{}",
        elsewhere.stderr
    );
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn ctrl_c_prints_what_was_found_and_exits_130() {
    let lab = lab3();
    lab.nft(lab.router(2), &rules::block_port(80));
    let server = lab.server_addr(false).to_string();
    // SIGTERM (timeout, systemd, kill) and SIGHUP (the terminal went away)
    // stop a run as Ctrl-C does.
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let run = stopped(&lab, &[&server, "-n", "-t", "10000"], signal);
        assert_eq!(run.code, 130, "signal {signal}: {}", run.stderr);
        assert!(run.stdout.contains("\n1\t"), "{}", run.stdout);
        assert!(
            run.stdout.ends_with("Trace interrupted.\n"),
            "signal {signal}: {}",
            run.stdout
        );
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn bad_input_gets_one_line_and_a_nonzero_exit() {
    let lab = lab3();
    let server = lab.server_addr(false).to_string();
    for (args, code, needle) in [
        (vec!["no-such-host.invalid"], 2, "unknown host"),
        (vec!["198.18.3.2:99999"], 2, "bad port"),
        (vec!["198.18.3.2:nosuchservice"], 2, "unknown service"),
        (
            vec![server.as_str(), "-i", "nosuchif0"],
            2,
            "unknown interface",
        ),
        (vec![server.as_str(), "--bogus"], 2, "--bogus"),
        (vec![server.as_str(), "-m", "0"], 2, "-m"),
        (vec![], 2, "no target"),
    ] {
        let run = tracetcp(&lab, &args);
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("tracetcp: ") && run.stderr.contains(needle),
            "{args:?}: {}",
            run.stderr
        );
    }
}
