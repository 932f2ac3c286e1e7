//! End-to-end tests of runs with many targets: a few hundred addresses
//! behind one lab path traced at a set rate, the probe rate measured on
//! the client's link, a bad line reported without losing the others.
//! Need root, like every lab test: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), failing loudly without root.

#[path = "support/cli.rs"]
mod cli;
mod lab;
#[path = "support/many.rs"]
mod many;

use cli::*;
use lab::tcpdump::Tcpdump;
use many::*;

const TARGETS: usize = 200;
const RATE: u32 = 400;

/// The most probes in any 100 ms.
fn busiest_tenth(times: &[f64]) -> usize {
    let mut most = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= 0.1 {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_few_hundred_targets_at_a_set_rate_each_reach_their_target() {
    let lab = lab3();
    // A bad name fails at once (no DNS server in the lab).
    lab.no_dns();
    // The targets: addresses of the server; its echo replies unlimited.
    let targets = server_addresses(&lab, TARGETS);
    let list = std::env::temp_dir().join(format!("tracetcp-targets-{}.txt", std::process::id()));
    let mut text = String::from("# a few hundred targets behind one path\n");
    for (k, t) in targets.iter().enumerate() {
        text.push_str(&format!("{t}\n"));
        if k == 7 {
            text.push_str("no.such.host.invalid\n");
        }
    }
    std::fs::write(&list, text).unwrap();
    let dump = Tcpdump::start(lab.client(), "east", "icmp[icmptype] == icmp-echo");
    let rate = RATE.to_string();
    let started = std::time::Instant::now();
    let run = tracetcp(
        &lab,
        &[
            "--targets",
            list.to_str().unwrap(),
            "-P",
            "icmp",
            "-n",
            "--jsonl",
            "--rate",
            &rate,
            "-t",
            "1000",
        ],
    );
    let took = started.elapsed();
    let pcap = dump.stop();
    // The bad line is said, with its line number, and the rest traced.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("{}:10: ", list.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("1 of {} targets could not be traced", TARGETS + 1)),
        "{}",
        run.stderr
    );
    let docs = documents(&run.stdout);
    assert_eq!(docs.len(), TARGETS);
    let mut reached = reached(&docs);
    reached.dedup();
    assert_eq!(reached.len(), TARGETS, "every trace reaches its target");
    // The rate on the wire: never 10 % over the set rate in any 100 ms.
    let times = probe_times(&pcap);
    let busiest = busiest_tenth(&times);
    let allowed = (f64::from(RATE) * 0.1 * 1.1).floor() as usize;
    eprintln!(
        "{} probes in {took:?}; at most {busiest} in 100 ms (allowed {allowed})",
        times.len()
    );
    assert!(times.len() >= TARGETS * 4, "{} probes", times.len());
    assert!(
        busiest <= allowed,
        "{busiest} probes in 100 ms at --rate {RATE}"
    );
    // The same targets as RIPE Atlas results, a line each, read back.
    let atlas = tracetcp(
        &lab,
        &[
            "--targets",
            list.to_str().unwrap(),
            "-P",
            "icmp",
            "-n",
            "--atlas-json",
            "--rate",
            "2000",
            "-t",
            "1000",
        ],
    );
    assert_eq!(atlas.code, 1, "{}", atlas.stderr);
    let results = documents(&atlas.stdout);
    assert_eq!(results.len(), TARGETS);
    for r in &results {
        assert_eq!(r["type"], "traceroute");
        let last = r["result"].as_array().unwrap().last().unwrap();
        assert_eq!(last["result"][0]["from"], r["dst_addr"], "{r}");
    }
    let _ = std::fs::remove_file(&list);
    let _ = std::fs::remove_file(&pcap);
}

/// With many targets, `--dot` draws one graph: the hops their paths share
/// are drawn once.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn many_targets_make_one_graph_with_shared_hops_once() {
    let lab = lab3();
    let server = lab.server_addr(false).to_string();
    let r3 = lab.router_addr(3, false).to_string();
    let run = tracetcp(&lab, &[&server, &r3, "-P", "icmp", "-n", "--dot"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r1 = lab.router_addr(1, false).to_string();
    let declared = run.stdout.matches(&format!("\"{r1}\" [label")).count();
    assert_eq!(declared, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("\"{r3}\" [label=\"{r3}\", shape=doublecircle]")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "\"{server}\" [label=\"{server}\", shape=doublecircle]"
        )),
        "{}",
        run.stdout
    );
}

/// Many targets through ordinary sockets (no privileges): each reaches
/// its target, TCP and UDP alike.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn many_targets_through_ordinary_sockets_each_reach_their_target() {
    let lab = lab3();
    let targets: Vec<String> = [
        lab.server_addr(false),
        lab.router_addr(3, false),
        lab.router_addr(2, false),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    for kind in ["tcp", "udp"] {
        let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
        args.extend(["--unprivileged", "-P", kind, "-n", "--jsonl", "-t", "1000"]);
        let run = tracetcp(&lab, &args);
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let docs = documents(&run.stdout);
        for d in &docs {
            assert_eq!(d["settings"]["transport"], "sockets");
        }
        let reached = reached(&docs);
        let mut want = targets.clone();
        want.sort();
        assert_eq!(reached, want, "{kind}");
    }
}

/// -w records a whole run of many targets; --replay shows every trace of
/// it as the live run did, stop sets and all (learned hops, a target
/// nearer than the start), as text and as --jsonl.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_whole_run_recorded_replays_as_it_printed() {
    let lab = lab3();
    let mut targets = server_addresses(&lab, 20);
    targets.insert(4, lab.router_addr(2, false).to_string());
    let file = std::env::temp_dir().join(format!("tracetcp-many-{}.pcapng", std::process::id()));
    let path = file.to_str().unwrap();
    for (kind, extra) in [
        ("icmp", &[][..]),
        ("tcp", &["--jsonl"][..]),
        ("udp", &["-n"][..]),
    ] {
        let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
        args.extend(["-P", kind, "--rate", "400", "-t", "1000", "-w", path]);
        args.extend(extra);
        let started = std::time::Instant::now();
        let live = tracetcp(&lab, &args);
        eprintln!("{kind}: {:?}; {}", started.elapsed(), live.stderr);
        assert_eq!(live.code, 0, "{kind}: {}", live.stderr);
        let learned = ["not probed again", "\"learned\":{\"hops\":2"];
        assert!(
            learned.iter().any(|l| live.stdout.contains(l)),
            "{kind}: stop sets: {}",
            live.stdout
        );
        let replay = tracetcp(&lab, &["--replay", path]);
        assert_eq!(replay.code, 0, "{kind}: {}", replay.stderr);
        assert_eq!(replay.stdout, live.stdout, "{kind}");
    }
    let _ = std::fs::remove_file(&file);
}

/// Ctrl-C prints every target's report as far as it got: a target still
/// waiting on a silent hop is shown, cut where it was.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn ctrl_c_prints_every_target_as_far_as_it_got() {
    let lab = lab3();
    let server = lab.server_addr(false).to_string();
    // Nobody has 198.18.3.200: its hops from 4 on are silent a while.
    let args = [&server, "198.18.3.200", "-P", "icmp", "-n", "-t", "5000"];
    let run = interrupted(&lab, &[&args[..], &["--no-stop-set"]].concat());
    assert_eq!(run.code, 130, "{}", run.stderr);
    let whole = format!("Tracing route to {server} ");
    let (first, cut) = run
        .stdout
        .split_once("Tracing route to 198.18.3.200 ")
        .unwrap();
    assert!(
        first.contains(&whole) && first.contains("Trace Complete."),
        "{}",
        run.stdout
    );
    assert!(cut.contains("Trace interrupted."), "{}", run.stdout);
}

/// `--targets -` reads the list from standard input as the run goes: a
/// bad line is said with its line number, the rest traced, the count of
/// those that could not be traced out of those read.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_list_on_standard_input_is_read_as_the_run_goes() {
    use std::io::Write;
    let lab = lab3();
    lab.no_dns();
    let server = lab.server_addr(false).to_string();
    let r3 = lab.router_addr(3, false).to_string();
    let mut child = lab
        .command(BIN)
        .args(["--targets", "-", "-P", "icmp", "-n", "--jsonl"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let list = format!("{server}\nno.such.host.invalid\n# a comment\n{r3}\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let run = finish(child.wait_with_output().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("tracetcp: stdin:2: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("1 of 3 targets could not be traced"),
        "{}",
        run.stderr
    );
    let docs = documents(&run.stdout);
    let mut want = vec![server, r3];
    want.sort();
    assert_eq!(reached(&docs), want);
}
