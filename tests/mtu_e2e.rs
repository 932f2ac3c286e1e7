//! End-to-end tests of `--mtu` in the lab: a link of MTU 1400 (IPv6:
//! 1280) after r2, whose router answers "fragmentation needed" / "packet
//! too big" as Linux does, and the same with those answers dropped (an
//! MTU black hole); TCP, UDP and ICMP probes, IPv4 and IPv6, live and
//! replayed from the recording. Need root: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), failing loudly without it.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::{rules, Lab};
use serde_json::Value;

/// client - r1 - r2 - r3 - server, the link r2 - r3 narrowed.
fn narrowed(black_hole: bool) -> Lab {
    let lab = lab3();
    lab.narrow_link(2, 1400, 1280);
    if black_hole {
        lab.nft(lab.router(2), rules::NO_TOO_BIG);
    }
    lab
}

/// Each kind and family traced with --mtu (recorded), and its replay.
/// Unpaced (-F): the lab's routers do not rate-limit ICMP, and a paced
/// search sends about one probe a second to a router once its burst is
/// spent.
fn traces(lab: &Lab, name: &str) -> Vec<(String, bool, Value, Value)> {
    let record = temp_pcap(name);
    let mut out = Vec::new();
    for v6 in [false, true] {
        let server = lab.server_addr(v6);
        for (kind, port) in [("tcp", 80), ("udp", 33434), ("icmp", 0)] {
            let _ = std::fs::remove_file(&record);
            let to = if kind == "icmp" {
                server.to_string()
            } else {
                target(server, port)
            };
            let args = [&to, "-P", kind, "--mtu", "-m", "8", "-t", "500", "-F"];
            let live = json(
                lab,
                &[&args[..], &["-w", record.to_str().unwrap()]].concat(),
            );
            let replayed = tracetcp(lab, &["--replay", record.to_str().unwrap(), "--json", "-n"]);
            assert_eq!(replayed.code, 0, "{kind} v6={v6}: {}", replayed.stderr);
            let replayed = serde_json::from_str(&replayed.stdout).unwrap();
            out.push((kind.to_string(), v6, live, replayed));
        }
    }
    let _ = std::fs::remove_file(&record);
    out
}

fn kinds(doc: &Value) -> Vec<String> {
    doc["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn an_announced_mtu_is_found_at_the_right_hop() {
    let lab = narrowed(false);
    for (kind, v6, live, replayed) in traces(&lab, "mtu-announced") {
        let what = format!("{kind} v6={v6}");
        assert_eq!(live["traces"], replayed["traces"], "{what}: replay differs");
        let t = &live["traces"][0];
        assert_eq!(
            t["end"]["kind"].as_str().map(|_| t["end"]["ttl"].as_u64()),
            Some(Some(4)),
            "{what}: {}",
            t["end"]
        );
        let m = &t["mtu"];
        let want = if v6 { 1280 } else { 1400 };
        assert_eq!(m["path_mtu"], want, "{what}: {m}");
        assert_eq!(m["black_hole"], Value::Null, "{what}: {m}");
        let c = &m["changes"][0];
        // r2 said so; hop 3 is the first past its narrow link.
        let r2 = t["hops"][1]["responders"][0]["address"].clone();
        assert_eq!(
            (c["at_hop"].as_u64(), c["to"].as_u64(), &c["by"]),
            (Some(3), Some(want), &r2),
            "{what}: {m}"
        );
        assert_eq!(c["announced"], true, "{what}");
        assert_eq!(
            (t["hops"][1]["mtu"].as_u64(), t["hops"][2]["mtu"].as_u64()),
            (Some(1500), Some(want)),
            "{what}"
        );
        assert!(
            kinds(&live).contains(&"path-mtu".to_string()),
            "{what}: {:?}",
            kinds(&live)
        );
        assert!(
            !kinds(&live).contains(&"mtu-black-hole".to_string()),
            "{what}"
        );
    }
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_black_hole_is_named_with_its_hop_and_exact_size() {
    let lab = narrowed(true);
    for (kind, v6, live, replayed) in traces(&lab, "mtu-hole") {
        let what = format!("{kind} v6={v6}");
        assert_eq!(live["traces"], replayed["traces"], "{what}: replay differs");
        let t = &live["traces"][0];
        // The bare probes get through: the trace reaches the server.
        assert_eq!(t["end"]["ttl"].as_u64(), Some(4), "{what}: {}", t["end"]);
        let m = &t["mtu"];
        let want: u64 = if v6 { 1280 } else { 1400 };
        let h = &m["black_hole"];
        assert_eq!(
            (
                h["after_hop"].as_u64(),
                h["at_hop"].as_u64(),
                h["passes"].as_u64(),
                h["dropped"].as_u64()
            ),
            (Some(2), Some(3), Some(want), Some(want + 1)),
            "{what}: {m}"
        );
        assert_eq!(m["path_mtu"], want, "{what}");
        assert!(
            m["search"].as_array().unwrap().len() <= 36,
            "{what}: {}",
            m["search"]
        );
        let k = kinds(&live);
        assert!(k.contains(&"mtu-black-hole".to_string()), "{what}: {k:?}");
        assert!(!k.contains(&"partial-loss".to_string()), "{what}: {k:?}");
        let text = live["diagnosis"].to_string();
        assert!(
            text.contains(&format!(
                "packets larger than {want} bytes are silently dropped after hop 2"
            )),
            "{what}: {text}"
        );
    }
}

/// With --compare, each kind finds the path MTU on its own.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn every_kind_of_a_comparison_finds_the_black_hole() {
    let lab = narrowed(true);
    let to = target(lab.server_addr(false), 80);
    let doc = json(
        &lab,
        &[&to, "--compare", "--mtu", "-m", "6", "-t", "500", "-F"],
    );
    let traces = doc["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 3);
    for t in traces {
        let h = &t["mtu"]["black_hole"];
        assert_eq!(
            (
                h["passes"].as_u64(),
                h["dropped"].as_u64(),
                h["after_hop"].as_u64()
            ),
            (Some(1400), Some(1401), Some(2)),
            "{}: {}",
            t["protocol"],
            t["mtu"]
        );
    }
}
