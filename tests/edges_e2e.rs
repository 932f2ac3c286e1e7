//! End-to-end tests of the edges: rejects at a hop, a reset in the
//! target's name, this host itself, a dead gateway, privileges, a full
//! disk, and what the path does to the probe. Need root, like every lab
//! test: ignored unless asked for with `--include-ignored` (tests/test.sh
//! asks), and failing loudly when asked for without root.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::rules;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
        // UDP and ICMP probes show the DSCP rewrite too, and only it.
        for kind in ["udp", "icmp"] {
            let doc = json(&lab, &[&server.to_string(), "-P", kind, "-t", "500"]);
            let changes = doc["traces"][0]["changes"].as_array().unwrap();
            assert_eq!(changes.len(), 1, "{kind} v6={v6}: {changes:?}");
            assert_eq!(
                (changes[0]["field"].as_str(), changes[0]["at_hop"].as_u64()),
                (Some("DSCP"), Some(3)),
                "{kind} v6={v6}"
            );
        }
    }
}

/// A router that strips an option from forwarded SYNs (nftables `reset
/// tcp option sack-perm` turns it into NOPs): the option list of the
/// quotes changes between its hop and the next, and nothing else does
/// (the checksum the kernel fixes follows the option), live and
/// replayed; UDP and ICMP probes through it show no change.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_stripped_tcp_option_shows_at_the_right_hop_live_and_replayed() {
    let lab = lab3();
    lab.nft(
        lab.router(2),
        "table inet strip {
  chain transit { type filter hook forward priority -150;
    tcp flags syn reset tcp option sack-perm
  }
}",
    );
    let record = temp_pcap("strip");
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        let _ = std::fs::remove_file(&record);
        let live = json(
            &lab,
            &[
                &target(server, 80),
                "-t",
                "500",
                "-w",
                record.to_str().unwrap(),
            ],
        );
        let replayed = tracetcp(
            &lab,
            &["--replay", record.to_str().unwrap(), "--json", "-n"],
        );
        assert_eq!(replayed.code, 0, "{}", replayed.stderr);
        let replayed: serde_json::Value = serde_json::from_str(&replayed.stdout).unwrap();
        for doc in [&live, &replayed] {
            let changes = doc["traces"][0]["changes"].as_array().unwrap();
            assert_eq!(changes.len(), 1, "v6={v6}: {changes:?}");
            let c = &changes[0];
            assert_eq!(
                (
                    c["field"].as_str(),
                    c["after_hop"].as_u64(),
                    c["at_hop"].as_u64()
                ),
                (Some("TCP options"), Some(2), Some(3)),
                "v6={v6}: {c}"
            );
            assert!(
                c["sent"].as_str().unwrap().contains("SACK-permitted")
                    && !c["seen"].as_str().unwrap().contains("SACK-permitted"),
                "{c}"
            );
            let text = doc["diagnosis"].to_string();
            assert!(text.contains("-SACK-permitted"), "{text}");
        }
        for kind in ["udp", "icmp"] {
            let doc = json(&lab, &[&server.to_string(), "-P", kind, "-t", "500"]);
            assert_eq!(
                doc["traces"][0]["changes"],
                serde_json::json!([]),
                "{kind} v6={v6}"
            );
        }
    }
    let _ = std::fs::remove_file(&record);
}

/// A router that masquerades (source NAT) toward the server: Linux writes
/// the quotes of the ICMP errors back (RFC 5508), so the hops behind it
/// answer as usual and the quotes show no false rewrite, over IPv4 and
/// IPv6, for TCP and UDP.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_nat_on_the_way_loses_no_hop_and_invents_no_rewrite() {
    let lab = lab3();
    lab.nft(
        lab.router(1),
        "table inet nat {
  chain post { type nat hook postrouting priority 100;
    oifname \"east\" masquerade
  }
}",
    );
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        for (kind, port) in [("tcp", 80), ("udp", 33434)] {
            let doc = json(&lab, &[&target(server, port), "-P", kind, "-t", "500"]);
            assert_eq!(end(&doc, 0).0, "reached", "{kind} v6={v6}");
            let hops = hops(&doc, 0);
            assert!(hops.iter().all(|h| h != "*"), "{kind} v6={v6}: {hops:?}");
            assert_eq!(
                doc["traces"][0]["changes"],
                serde_json::json!([]),
                "{kind} v6={v6}"
            );
        }
    }
}
