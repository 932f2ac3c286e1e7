//! End-to-end tests: the built binary traces real paths through the
//! namespace lab (real kernel routers). They need root, so the harness
//! reports them as ignored unless asked for with `--include-ignored`
//! (tests/test.sh, as root, always asks); asked for without root, they
//! fail and say what is missing.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::rules;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn tcp_open_and_closed_ports_over_ipv4_and_ipv6() {
    let lab = lab3();
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let doc = json(&lab, &[&target(server, 80)]);
        let mut want = routers(&lab, v6);
        want.push(server.to_string());
        assert_eq!(hops(&doc, 0), want, "v6={v6}");
        assert_eq!(end(&doc, 0), ("reached".into(), 4, "syn-ack".into()));
        assert_eq!(doc["traces"][0]["hops"][0]["sent"], 3);
        assert_eq!(doc["traces"][0]["hops"][0]["lost"], 0);

        let text = tracetcp(&lab, &[&target(server, 81), "-n"]);
        assert_eq!(text.code, 0);
        assert!(
            text.stdout.contains("4\tDestination Reached in ")
                && text.stdout.contains(&format!("Port closed on {server}\n")),
            "{}",
            text.stdout
        );
        assert!(text.stdout.starts_with(&format!(
            "Tracing route to {server} on port 81\nOver a maximum of 30 hops.\n"
        )));
        assert!(
            text.stdout
                .contains("\nTrace Complete.\n\nDiagnosis:\n- tcp:81 reaches"),
            "{}",
            text.stdout
        );
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn udp_and_icmp_probes_reach_the_server() {
    let lab = lab3();
    for v6 in [false, true] {
        let server = lab.server_addr(v6).to_string();
        let udp = json(&lab, &["-P", "udp", &server]);
        assert_eq!(
            end(&udp, 0),
            ("reached".into(), 4, "port-unreachable".into()),
            "v6={v6}"
        );
        assert_eq!(hops(&udp, 0)[..3], routers(&lab, v6)[..]);
        let icmp = json(&lab, &["-P", "icmp", &server]);
        assert_eq!(
            end(&icmp, 0),
            ("reached".into(), 4, "echo-reply".into()),
            "v6={v6}"
        );
        assert_eq!(hops(&icmp, 0)[..3], routers(&lab, v6)[..]);
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_silent_router_shows_stars_and_later_hops_answer() {
    let lab = lab3();
    lab.nft(lab.router(2), rules::SILENT_ROUTER);
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let doc = json(&lab, &[&target(server, 80), "-t", "500"]);
        let r = routers(&lab, v6);
        assert_eq!(
            hops(&doc, 0),
            vec![r[0].clone(), "*".into(), r[2].clone(), server.to_string()]
        );
        assert_eq!(doc["traces"][0]["hops"][1]["lost"], 3);
        let text = tracetcp(&lab, &[&target(server, 80), "-t", "500", "-n"]);
        assert!(
            text.stdout.contains("\n2\t*\t*\t*\tRequest timed out.\n"),
            "{}",
            text.stdout
        );
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_firewall_blocks_one_port_while_another_gets_through() {
    let lab = lab3();
    lab.nft(lab.router(2), &rules::block_port(135));
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let blocked = json(&lab, &[&target(server, 135), "-m", "6", "-t", "500"]);
        let r = routers(&lab, v6);
        assert_eq!(
            hops(&blocked, 0),
            vec![
                r[0].clone(),
                r[1].clone(),
                "*".into(),
                "*".into(),
                "*".into(),
                "*".into()
            ]
        );
        assert_eq!(end(&blocked, 0).0, "max-hops");
        let open = json(&lab, &[&target(server, 80)]);
        assert_eq!(end(&open, 0), ("reached".into(), 4, "syn-ack".into()));
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_transparent_proxy_answers_for_the_server_early() {
    let mut lab = lab3();
    let r2 = lab.router(2).to_string();
    lab.listen(&r2, &[8080]);
    lab.nft(&r2, &rules::redirect(80, 8080));
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let proxied = json(&lab, &[&target(server, 80)]);
        assert_eq!(
            end(&proxied, 0),
            ("reached".into(), 2, "syn-ack".into()),
            "v6={v6}"
        );
        assert_eq!(
            proxied["traces"][0]["end"]["address"],
            server.to_string().as_str()
        );
        let direct = json(&lab, &[&target(server, 81)]);
        assert_eq!(end(&direct, 0), ("reached".into(), 4, "rst".into()));
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn port_range_finds_the_hop_where_a_port_is_blocked() {
    let lab = lab3();
    lab.nft(lab.router(2), &rules::block_port(135));
    let server = lab.server_addr(false);
    let started = Instant::now();
    let run = tracetcp(
        &lab,
        &[
            &server.to_string(),
            "-h",
            "1",
            "-m",
            "3",
            "-p",
            "1",
            "-t",
            "500",
            "-c",
            "-r",
            "134",
            "136",
            "-n",
            "--no-diagnosis",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = routers(&lab, false);
    let line = |port: u16, ttl: u8, rest: &str| format!("[{server}:{port}]  {ttl}\t{rest}\n");
    for port in [134, 136] {
        for ttl in 1..=3u8 {
            let prefix = format!("[{server}:{port}]  {ttl}\t");
            let found = run
                .stdout
                .lines()
                .find(|l| l.starts_with(&prefix))
                .unwrap_or("");
            assert!(
                found.ends_with(&format!("\t{}", r[usize::from(ttl) - 1])),
                "{found:?} in {}",
                run.stdout
            );
        }
    }
    assert!(
        run.stdout.contains(&line(135, 3, "*\tRequest timed out.")),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("\n\n").count(),
        2,
        "blank line between ports:\n{}",
        run.stdout
    );
    // All ports in flight together: about one timeout in all.
    assert!(
        started.elapsed() < Duration::from_millis(500 * 3),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn scan_reports_open_closed_and_filtered_ports() {
    let lab = lab3();
    lab.nft(lab.server(), &rules::drop_input_port(79));
    let server = lab.server_addr(false);
    let run = tracetcp(
        &lab,
        &[
            "-s",
            "79",
            "81",
            &server.to_string(),
            "-t",
            "500",
            "--no-diagnosis",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(
        lines[0],
        format!("[{server}:79]  128\t*\tRequest timed out.")
    );
    assert!(
        lines[1].starts_with(&format!("[{server}:80]  128\tDest. in "))
            && lines[1].ends_with(&format!("Port OPEN on {server}")),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(&format!("Port CLOSED on {server}")),
        "{}",
        lines[2]
    );
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn two_runs_at_once_each_get_their_own_answers() {
    let lab = lab3();
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let spawn = |port: u16| {
            lab.command(BIN)
                .args([&target(server, port), "--json", "-n"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (a, b) = (spawn(80), spawn(81));
        for (child, kind) in [(a, "syn-ack"), (b, "rst")] {
            let run = finish(child.wait_with_output().unwrap());
            assert_eq!(run.code, 0, "{}", run.stderr);
            let doc: Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(end(&doc, 0), ("reached".into(), 4, kind.into()), "v6={v6}");
            let probes = doc["traces"][0]["probes"].as_array().unwrap();
            let lost: Vec<&Value> = probes.iter().filter(|p| p["reply"].is_null()).collect();
            assert!(
                lost.is_empty(),
                "v6={v6} {kind}: lost {lost:?}\n{}",
                run.stderr
            );
        }
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn every_scenario_replays_exactly_as_it_ran_live() {
    lab::require();
    for s in lab::scenarios::ALL {
        let lab = s.build();
        let file = temp_pcap(s.name);
        let live = finish(
            lab.command(BIN)
                .args(s.args(&lab))
                .arg("-w")
                .arg(&file)
                .output()
                .unwrap(),
        );
        assert_eq!(live.code, 0, "{}: {}", s.name, live.stderr);
        let replayed = replay_unprivileged(&file);
        assert_eq!(replayed.code, 0, "{}: {}", s.name, replayed.stderr);
        assert_eq!(
            replayed.stdout, live.stdout,
            "{}: replay differs from live",
            s.name
        );
        let _ = std::fs::remove_file(file);
    }
}

/// Wireshark shows what each packet of a recording was: every packet
/// carries a comment, each probe of the report its "probe" line, each
/// answer its "answer to probe" line with who answered and how.
#[test]
#[ignore = "needs root (network namespaces) and tshark: cargo test -- --include-ignored"]
fn every_recorded_packet_says_what_it_was() {
    lab::require();
    let wanted = [
        "tcp-open",
        "udp",
        "icmp",
        "ipv6",
        "blocked-port",
        "mtu",
        "rate-limit-range",
    ];
    for s in lab::scenarios::ALL
        .iter()
        .filter(|s| wanted.contains(&s.name))
    {
        let lab = s.build();
        let file = temp_pcap(&format!("{}-comments", s.name));
        let file_arg = file.to_str().unwrap();
        // As JSON (the condensed output's -c cannot go with it).
        let mut args: Vec<String> = s.args(&lab).into_iter().filter(|a| a != "-c").collect();
        if !args.iter().any(|a| a == "--json") {
            args.push("--json".into());
        }
        args.extend(["-w", file_arg].map(String::from));
        let live = finish(lab.command(BIN).args(&args).output().unwrap());
        assert_eq!(live.code, 0, "{}: {}", s.name, live.stderr);
        let doc: Value = serde_json::from_str(&live.stdout).unwrap();
        let comments = packet_comments(&file);
        assert!(comments.len() > 10, "{}: {comments:?}", s.name);
        assert!(
            comments.iter().all(|c| !c.is_empty()),
            "{}: {comments:?}",
            s.name
        );
        for trace in doc["traces"].as_array().unwrap() {
            let name = match trace["port"].as_u64() {
                Some(port) => format!("{}:{port}", trace["protocol"].as_str().unwrap()),
                None => trace["protocol"].as_str().unwrap().to_string(),
            };
            for p in trace["probes"].as_array().unwrap() {
                let probe = format!("{name} ttl {} #{}", p["ttl"], p["index"]);
                let has = |c: &String| *c == format!("probe {probe}");
                assert!(
                    comments.iter().any(has),
                    "{}: {probe}: {comments:?}",
                    s.name
                );
                if let Some(reply) = p["reply"].as_object() {
                    let answer = format!(
                        "answer to probe {probe}: {} from {}",
                        reply["kind"].as_str().unwrap(),
                        reply["address"].as_str().unwrap()
                    );
                    let has = |c: &String| c.starts_with(&answer);
                    assert!(
                        comments.iter().any(has),
                        "{}: {answer}: {comments:?}",
                        s.name
                    );
                }
            }
        }
        // A replay says the same of each packet the live run read.
        let replayed = replay_verdicts(&file);
        let said = |c: &String| c.replacen("answer to probe ", "answer ", 1);
        let read: Vec<(String, &String)> = comments
            .iter()
            .map(|c| (said(c), c))
            .zip(&replayed)
            .filter(|((_, c), _)| !c.starts_with("not read"))
            .map(|((c, _), r)| (c, r))
            .collect();
        assert_eq!(replayed.len(), comments.len(), "{}: {replayed:#?}", s.name);
        for (live, replay) in read {
            assert_eq!(&live, replay, "{}", s.name);
        }
        let _ = std::fs::remove_file(file);
    }
}

/// What `--replay FILE --show-packets` says of each packet, in the
/// recording comments' words ("probe ...", "answer ...", "ignored: ...").
fn replay_verdicts(file: &std::path::Path) -> Vec<String> {
    let out = Command::new(BIN)
        .arg("--replay")
        .arg(file)
        .args(["--show-packets", "-n"])
        .output()
        .expect("replay");
    let words = |line: &str| {
        line.split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|t| t.contains('.') && t.parse::<f64>().is_ok())
        })
        .map(|l| words(l).replacen("ignored ", "ignored: ", 1))
        .collect()
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn an_interrupted_recording_is_valid_and_replays_as_interrupted() {
    let lab = lab3();
    lab.nft(lab.router(2), &rules::block_port(80));
    let file = temp_pcap("interrupted");
    let server = lab.server_addr(false).to_string();
    let live = interrupted(
        &lab,
        &[&server, "-n", "-t", "10000", "-w", file.to_str().unwrap()],
    );
    assert_eq!(live.code, 130, "{}", live.stderr);
    assert!(live.stdout.contains("\nTrace interrupted.\n"));
    let replayed = replay_unprivileged(&file);
    assert_eq!(replayed.code, 0, "{}", replayed.stderr);
    assert_eq!(replayed.stdout, live.stdout);
    let _ = std::fs::remove_file(file);
}
