//! End-to-end tests: the built binary traces real paths through the
//! namespace lab (real kernel routers). They need root, so the harness
//! reports them as ignored unless asked for with `--include-ignored`
//! (tests/test.sh, as root, always asks); asked for without root, they
//! fail and say what is missing.

mod lab;

use lab::{rules, Lab};
use serde_json::Value;
use std::net::IpAddr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn tracetcp(lab: &Lab, args: &[&str]) -> Run {
    let run = finish(lab.command(BIN).args(args).output().expect("run tracetcp"));
    assert!(!run.stderr.contains("panicked"), "panic: {}", run.stderr);
    run
}

/// A trace as JSON (with -n); asserts that it ran to its end.
fn json(lab: &Lab, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--json", "-n"]);
    let run = tracetcp(lab, &all);
    assert_eq!(run.code, 0, "tracetcp {args:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout))
}

fn target(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V6(a) => format!("[{a}]:{port}"),
        IpAddr::V4(a) => format!("{a}:{port}"),
    }
}

/// The first responder of each hop of trace `t` ("*" when silent).
fn hops(doc: &Value, t: usize) -> Vec<String> {
    doc["traces"][t]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["responders"][0]["address"]
                .as_str()
                .unwrap_or("*")
                .to_string()
        })
        .collect()
}

fn end(doc: &Value, t: usize) -> (String, u64, String) {
    let e = &doc["traces"][t]["end"];
    (
        e["reason"].as_str().unwrap_or("").to_string(),
        e["ttl"].as_u64().unwrap_or(0),
        e["kind"]
            .as_str()
            .or(e["flag"].as_str())
            .unwrap_or("")
            .to_string(),
    )
}

fn routers(lab: &Lab, v6: bool) -> Vec<String> {
    (1..=lab.routers())
        .map(|k| lab.router_addr(k, v6).to_string())
        .collect()
}

/// A lab of three routers with the server listening on port 80.
fn lab3() -> Lab {
    lab::require();
    let mut lab = Lab::new(3);
    let server = lab.server().to_string();
    lab.listen(&server, &[80]);
    lab
}

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
fn unreachable_answers_end_the_trace_with_their_flag() {
    let lab = lab3();
    lab.nft(lab.router(2), &rules::reject_port(8081, "admin-prohibited"));
    lab.nft(lab.router(2), &rules::reject_port(8082, "no-route"));
    lab.nft(lab.router(2), &rules::reject_port(8443, "port-unreachable"));
    lab.nft(lab.router(2), &rules::reset_port(8444));
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let r2 = lab.router_addr(2, v6).to_string();
        // A port unreachable from a router is a reject there, not the
        // target's closed port.
        let p = json(&lab, &[&target(server, 8443)]);
        assert_eq!(
            end(&p, 0),
            ("unreachable".into(), 3, "!U".into()),
            "v6={v6}"
        );
        assert_eq!(p["traces"][0]["end"]["address"], r2.as_str());
        let text = p["diagnosis"][0]["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("A firewall at hop 3 ({r2}) rejects tcp:8443")),
            "{text}"
        );
        // A reset in the target's name from router 2: a middlebox.
        let r = json(&lab, &[&target(server, 8444)]);
        let kinds: Vec<&str> = r["diagnosis"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["kind"].as_str())
            .collect();
        assert!(
            kinds.contains(&"transparent-proxy"),
            "v6={v6}: {:#}",
            r["diagnosis"]
        );
        assert!(!kinds.contains(&"reached"), "v6={v6}: {:#}", r["diagnosis"]);
        let word = if v6 { "hop limit" } else { "TTL" };
        assert!(
            r["diagnosis"].to_string().contains(word),
            "{:#}",
            r["diagnosis"]
        );
    }
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let r2 = lab.router_addr(2, v6).to_string();
        let x = json(&lab, &[&target(server, 8081)]);
        assert_eq!(
            end(&x, 0),
            ("unreachable".into(), 3, "!X".into()),
            "v6={v6}"
        );
        assert_eq!(x["traces"][0]["end"]["address"], r2.as_str());
        assert_eq!(hops(&x, 0).len(), 3);
        let n = json(&lab, &[&target(server, 8082)]);
        assert_eq!(
            end(&n, 0),
            ("unreachable".into(), 3, "!N".into()),
            "v6={v6}"
        );
        let text = tracetcp(&lab, &[&target(server, 8081), "-n"]);
        assert!(text.stdout.contains(" ms !X\t"), "{}", text.stdout);
        assert!(
            text.stdout.contains(&format!("\t{r2}\nTrace Complete.\n")),
            "{}",
            text.stdout
        );
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

/// tracetcp with `args`, stopped by SIGINT (Ctrl-C) as soon as it has
/// printed its first hop.
fn interrupted(lab: &Lab, args: &[&str]) -> Run {
    stopped(lab, args, libc::SIGINT)
}

/// tracetcp with `args`, sent `signal` as soon as it has printed its
/// first hop.
fn stopped(lab: &Lab, args: &[&str], signal: i32) -> Run {
    use std::io::Read;
    let mut child = lab
        .command(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (first_hop, printed) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            all.extend_from_slice(&buf[..n]);
            if all.windows(3).any(|w| w == b"\n1\t") {
                let _ = first_hop.send(());
            }
        }
        all
    });
    printed
        .recv_timeout(Duration::from_secs(30))
        .expect("tracetcp printed its first hop");
    // ip netns exec runs tracetcp in place (exec), so the pid is its own.
    unsafe { libc::kill(child.id() as i32, signal) };
    let mut out = child.wait_with_output().unwrap();
    out.stdout = reader.join().unwrap();
    finish(out)
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

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn without_privileges_it_says_what_is_missing() {
    let lab = lab3();
    let server = lab.server_addr(false).to_string();
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            lab.client(),
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            BIN,
            &server,
        ])
        .output()
        .expect("setpriv (util-linux)");
    let run = finish(out);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("run as root") && run.stderr.contains("setcap cap_net_raw+ep"),
        "{}",
        run.stderr
    );
}

/// CAP_NET_RAW alone is enough: an unprivileged user traces with raw
/// sockets, with injection, and records, with only that capability.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn cap_net_raw_alone_is_enough() {
    let lab = lab3();
    let bin = std::env::temp_dir().join(format!("tracetcp-cap-{}", std::process::id()));
    std::fs::copy(BIN, &bin).unwrap();
    let setcap = Command::new("setcap")
        .args(["cap_net_raw+ep"])
        .arg(&bin)
        .status()
        .expect("setcap (libcap2-bin)");
    assert!(setcap.success());
    let record = temp_pcap("cap");
    let _ = std::fs::remove_file(&record);
    let server = lab.server_addr(false).to_string();
    for extra in [
        vec![],
        vec!["--inject"],
        vec!["-w", record.to_str().unwrap()],
    ] {
        let out = Command::new("ip")
            .args(["netns", "exec", lab.client(), "setpriv", "--reuid=65534"])
            .args(["--regid=65534", "--clear-groups", "--inh-caps=-all"])
            .arg(&bin)
            .args([server.as_str(), "-n", "-t", "500"])
            .args(&extra)
            .output()
            .expect("setpriv");
        let run = finish(out);
        assert_eq!(run.code, 0, "{extra:?}: {}", run.stderr);
        assert!(
            run.stdout.contains("Connection established"),
            "{}",
            run.stdout
        );
    }
    let _ = std::fs::remove_file(&bin);
    let _ = std::fs::remove_file(&record);
}

fn temp_pcap(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tracetcp-lab-{}-{name}.pcap", std::process::id()))
}

/// Replays `file` as nobody: no privileges needed.
fn replay_unprivileged(file: &std::path::Path) -> Run {
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            BIN,
            "--replay",
        ])
        .arg(file)
        .arg("-n")
        .output()
        .expect("setpriv");
    finish(out)
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

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn tracing_this_host_says_what_it_is() {
    let lab = lab3();
    let own = lab.router_addr(1, false); // r1's address on the client's link
    let client = match own {
        IpAddr::V4(a) => IpAddr::from([a.octets()[0], a.octets()[1], a.octets()[2], 1]),
        v6 => v6,
    };
    for dst in [client.to_string(), "127.0.0.1".into(), "::1".into()] {
        let doc = json(&lab, &[&dst, "-t", "500"]);
        let hops = hops(&doc, 0);
        assert_eq!(hops.len(), 1, "{dst}: {hops:?}");
        assert_eq!(end(&doc, 0).0, "reached", "{dst}");
        let text = doc["diagnosis"][0]["text"].as_str().unwrap();
        assert!(text.contains("is this host"), "{dst}: {text}");
    }
    // The loopback device carries nothing to another host.
    let server = lab.server_addr(false).to_string();
    let run = tracetcp(&lab, &[&server, "-i", "lo"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not on this host"), "{}", run.stderr);
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_dead_gateway_gets_one_line_and_ctrl_c_stops_the_wait() {
    let lab = lab3();
    for (dst, gateway) in [
        (lab.server_addr(false), "198.18.0.99"),
        (lab.server_addr(true), "2001:db8::99"),
    ] {
        let started = Instant::now();
        let run = tracetcp(&lab, &[&dst.to_string(), "-g", gateway, "-n"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("did not answer ARP"), "{}", run.stderr);
        assert!(started.elapsed() < Duration::from_secs(6));
    }
    // Ctrl-C while it asks: stops at once, exit 130.
    let mut child = lab
        .command(BIN)
        .args([&lab.server_addr(false).to_string(), "-g", "198.18.0.99"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let asked = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(asked.elapsed() < Duration::from_millis(500));
}

/// A disk that fills up while recording: the trace finishes and reports,
/// the recording stops with one line naming the file and its packets,
/// the file replays (complete blocks only), and the exit code is 4.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_full_disk_stops_the_recording_not_the_trace() {
    let lab = lab3();
    let dir = std::env::temp_dir().join(format!("tracetcp-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k", "tmpfs"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount tmpfs");
    let file = dir.join("rec.pcapng");
    let server = lab.server_addr(false).to_string();
    let run = tracetcp(
        &lab,
        &[
            &server,
            "-r",
            "80",
            "99",
            "-m",
            "5",
            "-p",
            "1",
            "-F",
            "-t",
            "300",
            "-n",
            "-w",
            file.to_str().unwrap(),
        ],
    );
    let replayed = replay_unprivileged(&file);
    let _ = Command::new("umount").arg(&dir).status();
    let _ = std::fs::remove_dir(&dir);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("no space left") && run.stderr.contains("holds the first"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("on port 99\n"), "{}", run.stdout);
    assert_eq!(replayed.code, 0, "{}", replayed.stderr);
    assert!(
        replayed.stdout.contains("on port 80\n"),
        "{}",
        replayed.stdout
    );
}

/// What the path does to the probe: a router that clamps the MSS of
/// forwarded SYNs and rewrites DSCP shows in the quotes of the hops after
/// it, placed between its hop and the next; a clean path shows nothing.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn quotes_show_an_mss_clamp_and_a_dscp_rewrite_at_the_right_hop() {
    let lab = lab3();
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let clean = json(&lab, &[&target(server, 80), "-t", "500"]);
        assert_eq!(
            clean["traces"][0]["changes"],
            serde_json::json!([]),
            "v6={v6}"
        );
    }
    lab.nft(lab.router(2), rules::MANGLE);
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let doc = json(&lab, &[&target(server, 80), "-t", "500"]);
        let changes = doc["traces"][0]["changes"].as_array().unwrap().clone();
        let find = |field: &str| {
            changes
                .iter()
                .find(|c| c["field"] == field)
                .unwrap_or_else(|| panic!("v6={v6}: no {field} change in {changes:?}"))
                .clone()
        };
        let mss = find("MSS");
        assert_eq!(
            (
                mss["seen"].as_str(),
                mss["after_hop"].as_u64(),
                mss["at_hop"].as_u64()
            ),
            (Some("1200"), Some(2), Some(3)),
            "v6={v6}"
        );
        let dscp = find("DSCP");
        assert_eq!(
            (
                dscp["sent"].as_str(),
                dscp["seen"].as_str(),
                dscp["at_hop"].as_u64()
            ),
            (Some("0"), Some("8"), Some(3)),
            "v6={v6}"
        );
        assert_eq!(changes.len(), 2, "v6={v6}: {changes:?}");
        let text = doc["diagnosis"].to_string();
        assert!(
            text.contains("clamps the MSS 1460 -> 1200")
                || text.contains("clamps the MSS 1440 -> 1200"),
            "{text}"
        );
        let classic = tracetcp(&lab, &[&target(server, 80), "-t", "500", "-n"]);
        let line = classic
            .stdout
            .lines()
            .find(|l| l.starts_with("3\t"))
            .unwrap_or_default();
        assert!(
            line.contains("[MSS ") && line.contains("[DSCP 0->8]"),
            "{}",
            classic.stdout
        );
        // UDP probes show the DSCP rewrite too.
        let udp = json(&lab, &[&server.to_string(), "-P", "udp", "-t", "500"]);
        assert_eq!(udp["traces"][0]["changes"][0]["field"], "DSCP", "v6={v6}");
    }
}
