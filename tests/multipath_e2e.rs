//! End-to-end tests on per-flow load-balanced paths (tests/lab/diamond.rs:
//! diamonds of width 4 at hop 2 and width 2 at hop 5, real kernel ECMP).
//! Need root, like every lab test: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), and failing loudly when asked
//! for without root.

mod lab;

use lab::diamond::{diamonds, truth};
use lab::{rules, Lab};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;

const BIN: &str = env!("CARGO_BIN_EXE_tracetcp");

fn json(lab: &Lab, args: &[&str]) -> Value {
    let out = lab
        .command(BIN)
        .args(args)
        .args(["--json", "-n", "-t", "1000"])
        .output()
        .expect("run tracetcp");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tracetcp {args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn target(lab: &Lab, v6: bool, port: Option<u16>) -> String {
    match (lab.server_addr(v6), port) {
        (IpAddr::V6(a), Some(p)) => format!("[{a}]:{p}"),
        (a, Some(p)) => format!("{a}:{p}"),
        (a, None) => a.to_string(),
    }
}

/// Every responder of every hop of trace `t`.
fn responders(doc: &Value, t: usize) -> Vec<Vec<IpAddr>> {
    doc["traces"][t]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["responders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["address"].as_str().unwrap().parse().unwrap())
                .collect()
        })
        .collect()
}

const KINDS: [(&str, Option<u16>); 3] = [("tcp", Some(80)), ("udp", Some(33434)), ("icmp", None)];

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn one_flow_per_trace_shows_one_real_path_for_every_kind_and_family() {
    lab::require();
    let lab = diamonds();
    for v6 in [false, true] {
        let (interfaces, links) = truth(v6);
        for (kind, port) in KINDS {
            let doc = json(&lab, &[&target(&lab, v6, port), "-P", kind, "-p", "6"]);
            let hops = responders(&doc, 0);
            assert_eq!(hops.len(), 7, "{kind} v6={v6}: {hops:?}");
            for (ttl, (seen, all)) in hops.iter().zip(&interfaces).enumerate() {
                assert_eq!(seen.len(), 1, "{kind} v6={v6} hop {}: {seen:?}", ttl + 1);
                assert!(all.contains(&seen[0]), "{kind} v6={v6} hop {}", ttl + 1);
            }
            let last = &doc["traces"][0]["hops"][6];
            assert_eq!(
                last["lost"], 0,
                "{kind} v6={v6}: every probe at the destination answered"
            );
            for pair in hops.windows(2) {
                assert!(
                    links.contains(&(pair[0][0], pair[1][0])),
                    "{kind} v6={v6}: no such link {} -> {}",
                    pair[0][0],
                    pair[1][0]
                );
            }
        }
    }
    // Six SYNs of one 4-tuple reached the server per trace; our kernel
    // reset every SYN-ACK: no half-open connection is left.
    let out = lab.sh(lab.server(), "ss -Htan state syn-recv | wc -l");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn another_flow_walks_another_path_and_the_same_flow_the_same() {
    lab::require();
    let lab = diamonds();
    let dst = target(&lab, false, Some(80));
    let path = |flow: u16| -> Vec<IpAddr> {
        let doc = json(&lab, &[&dst, "--flow", &flow.to_string(), "-p", "2"]);
        assert_eq!(doc["flow"], flow);
        responders(&doc, 0).into_iter().map(|h| h[0]).collect()
    };
    let first = path(40000);
    assert_eq!(path(40000), first, "one flow, one path");
    let paths: BTreeSet<Vec<IpAddr>> = (40001..40009).map(path).collect();
    assert!(
        paths.iter().any(|p| p != &first),
        "eight other flows all took the first one's path"
    );
}

fn topology(doc: &Value, t: usize) -> (Vec<Vec<IpAddr>>, Vec<(IpAddr, IpAddr)>) {
    let trace = &doc["traces"][t];
    let addr = |v: &Value| v.as_str().unwrap().parse::<IpAddr>().unwrap();
    let hops = trace["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let mut v: Vec<IpAddr> = h["interfaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| addr(&i["address"]))
                .collect();
            v.sort();
            v
        })
        .collect();
    let mut links: Vec<(IpAddr, IpAddr)> = trace["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (addr(&l["from"]), addr(&l["to"])))
        .collect();
    links.sort();
    (hops, links)
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn multipath_finds_every_interface_and_only_true_links() {
    lab::require();
    let lab = diamonds();
    for v6 in [false, true] {
        let want = truth(v6);
        // -F: the lab's routers have no ICMP rate limit. The stopping rule
        // is a confidence, not a certainty: a run may miss a branch (at
        // 99%, rarely), so a second run must then find it all.
        let run = || {
            let args = [
                &target(&lab, v6, Some(80)),
                "--multipath",
                "--confidence",
                "99",
                "-F",
            ];
            json(&lab, &[args.as_slice(), &["--compare=tcp:80,udp"]].concat())
        };
        let mut doc = run();
        if (0..2).any(|t| topology(&doc, t) != want) {
            eprintln!("v6={v6}: first run missed part of the topology; running again");
            doc = run();
        }
        for t in 0..2 {
            assert_eq!(topology(&doc, t), want, "v6={v6} trace {t}");
        }
        let kinds: Vec<&str> = doc["diagnosis"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["text"].as_str())
            .collect();
        assert!(
            kinds
                .iter()
                .any(|t| t.contains("Hop 2: 4 routers share the load")),
            "{kinds:?}"
        );
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_blocked_port_behind_the_diamonds_is_still_found() {
    lab::require();
    let lab = diamonds();
    // r4 (node 10, hop 6) drops TCP port 135.
    lab.nft(lab.node(10), &rules::block_port(135));
    let dst = target(&lab, false, None);
    let doc = json(&lab, &[&dst, "--compare=tcp:80,tcp:135", "-m", "9"]);
    let blocked: Vec<&Value> = doc["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "blocked-port")
        .collect();
    assert_eq!(blocked.len(), 1, "{:#}", doc["diagnosis"]);
    assert_eq!(blocked[0]["traces"][0], "tcp:135");
    assert_eq!(blocked[0]["hop"], 6);
    // And with every path: blocked on all of them.
    let doc = json(
        &lab,
        &[
            &dst,
            "--compare=tcp:80,tcp:135",
            "-m",
            "9",
            "--multipath",
            "-F",
        ],
    );
    let text = doc["diagnosis"].to_string();
    assert!(text.contains("on every path found"), "{text}");
}

/// One flow per trace: tcp:135 hashes to the one branch of the diamond
/// that drops it, while tcp:80 hashes to another. Before calling it a
/// blocked port, the silent kind is tried on other flows at the hop the
/// other got an answer from: they get through, so the diagnosis names
/// the path, not the port.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_stop_on_one_branch_is_the_path_not_the_port() {
    lab::require();
    let lab = diamonds();
    // a2 (node 3, hop 2) drops TCP port 135; the other three branches pass it.
    lab.nft(lab.node(3), &rules::block_port(135));
    let dst = target(&lab, false, None);
    let mut found = None;
    for flow in 40000..40060u16 {
        let doc = json(
            &lab,
            &[
                &dst,
                "--compare=tcp:80,tcp:135",
                "-m",
                "9",
                "--flow",
                &flow.to_string(),
            ],
        );
        if !doc["traces"][1]["check"].is_null() {
            found = Some((flow, doc));
            break;
        }
    }
    let (flow, doc) =
        found.expect("no flow sent tcp:135 down the dropping branch and tcp:80 another");
    let check = &doc["traces"][1]["check"];
    assert!(
        check["lost"].as_u64().unwrap() < check["sent"].as_u64().unwrap(),
        "{check:#}"
    );
    let findings = doc["diagnosis"].as_array().unwrap();
    assert!(
        !findings.iter().any(|f| f["kind"] == "blocked-port"),
        "{:#}",
        doc["diagnosis"]
    );
    assert!(
        findings.iter().any(|f| f["text"]
            .as_str()
            .unwrap()
            .contains("its port gets through")),
        "{:#}",
        doc["diagnosis"]
    );
    // Recorded, the check replays as it ran.
    let file = std::env::temp_dir().join(format!("tracetcp-check-{}.pcapng", std::process::id()));
    let flow = flow.to_string();
    let live = json(
        &lab,
        &[
            &dst,
            "--compare=tcp:80,tcp:135",
            "-m",
            "9",
            "--flow",
            &flow,
            "-w",
            file.to_str().unwrap(),
        ],
    );
    let out = std::process::Command::new(BIN)
        .arg("--replay")
        .arg(&file)
        .args(["--json", "-n"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let replayed: Value = serde_json::from_slice(&out.stdout).expect("replay JSON");
    assert!(!live["traces"][1]["check"].is_null());
    assert_eq!(replayed["traces"], live["traces"]);
    assert_eq!(replayed["diagnosis"], live["diagnosis"]);
}
