//! End-to-end tests of rounds (`--cycles`, `--watch`) in the lab: a router
//! that rate-limits its ICMP (r2) before a router that drops a fifth of
//! what it forwards (r3), so that the loss at hop 2 does not carry forward
//! and the loss from hop 4 does; IPv4 and IPv6, live and replayed from the
//! recording; `--watch` without a terminal stopped by Ctrl-C. Need root:
//! ignored unless asked for with `--include-ignored` (tests/test.sh asks),
//! failing loudly without it.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::{rules, Lab};
use serde_json::Value;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

/// client - r1 - r2 - r3 - r4 - server: r2 answers one ICMP error every
/// 2 s (after a burst of 6), r3 drops 20% of what it forwards.
fn lossy() -> Lab {
    lab::require();
    let mut lab = Lab::new(4);
    let server = lab.server().to_string();
    lab.listen(&server, &[80]);
    lab.icmp_ratelimit(2, 2000);
    lab.nft(lab.router(3), &rules::drop_share(20));
    lab
}

fn hop(doc: &Value, ttl: usize) -> &Value {
    &doc["traces"][0]["hops"][ttl - 1]
}

fn loss(doc: &Value, ttl: usize) -> f64 {
    hop(doc, ttl)["loss_percent"].as_f64().unwrap()
}

fn findings(doc: &Value) -> Vec<(String, Option<u64>)> {
    doc["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().to_string(), f["hop"].as_u64()))
        .collect()
}

/// 30 unpaced rounds 0.3 s apart, recorded, then replayed as JSON, text
/// and CSV.
fn watched(v6: bool) {
    let lab = lossy();
    let record = temp_pcap(if v6 { "rounds6" } else { "rounds4" });
    let to = target(lab.server_addr(v6), 80);
    let live = json(
        &lab,
        &[
            &to,
            "--cycles",
            "30",
            "--interval",
            "0.3",
            "-F",
            "-w",
            record.to_str().unwrap(),
        ],
    );
    let file = record.to_str().unwrap();
    let replayed = tracetcp(&lab, &["--replay", file, "--json", "-n"]);
    assert_eq!(replayed.code, 0, "{}", replayed.stderr);
    let replayed: Value = serde_json::from_str(&replayed.stdout).unwrap();
    assert_eq!(live["traces"], replayed["traces"], "the replay differs");
    assert_eq!(live["diagnosis"], replayed["diagnosis"]);
    assert_eq!(live["rounds"]["completed"], 30);
    let t = &live["traces"][0];
    assert_eq!(t["destination_ttl"], 5, "{t}");
    for ttl in 1..=5 {
        assert_eq!(
            hop(&live, ttl)["sent"],
            30,
            "hop {ttl}: {}",
            hop(&live, ttl)
        );
    }
    // r2 answers 6 at once and then one every 2 s: most of its 30.
    assert!(loss(&live, 2) >= 30.0, "hop 2: {}", hop(&live, 2));
    assert_eq!(loss(&live, 1), 0.0);
    assert_eq!(loss(&live, 3), 0.0, "r3 answers what it does not forward");
    assert!(loss(&live, 4) >= 5.0 && loss(&live, 5) >= 5.0, "{t}");
    let f = findings(&live);
    assert!(f.contains(&("icmp-limited".into(), Some(2))), "{f:?}");
    assert!(f.contains(&("path-loss".into(), Some(4))), "{f:?}");
    assert!(
        !f.iter().any(|(k, h)| k == "path-loss" && *h == Some(2)),
        "{f:?}"
    );
    let csv = tracetcp(&lab, &["--replay", file, "--csv", "-n"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(csv.stdout.lines().count(), 6, "{}", csv.stdout);
    let text = tracetcp(&lab, &["--replay", file, "--classic", "-n"]);
    assert!(text.stdout.contains("Loss%"), "{}", text.stdout);
    assert!(
        text.stdout.contains("not loss on the path"),
        "{}",
        text.stdout
    );
    let _ = std::fs::remove_file(&record);
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn rounds_tell_a_routers_limit_from_loss_on_the_path_ipv4() {
    watched(false);
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn rounds_tell_a_routers_limit_from_loss_on_the_path_ipv6() {
    watched(true);
}

#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn watch_without_a_terminal_prints_plain_round_lines_until_ctrl_c() {
    let lab = lab3();
    let to = target(lab.server_addr(false), 80);
    let mut child = lab
        .command(BIN)
        .args([&to, "--watch", "--interval", "0.2", "-n"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (third, seen) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            all.extend_from_slice(&buf[..n]);
            if all.windows(8).any(|w| w == b"round 3 ") {
                let _ = third.send(());
            }
        }
        all
    });
    seen.recv_timeout(Duration::from_secs(30))
        .expect("three rounds printed");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut out = child.wait_with_output().unwrap();
    out.stdout = reader.join().unwrap();
    let run = finish(out);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(
        !run.stdout.contains('\x1b'),
        "no escape codes: {}",
        run.stdout
    );
    let first = run.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("round 1 tcp:80: 1 198.18.0.2 ") && first.ends_with("[reached]"),
        "{first}"
    );
    assert!(
        run.stdout.contains("Destination reached in"),
        "{}",
        run.stdout
    );
}

/// Six rounds of three kinds through r3 dropping a fifth of what it
/// forwards, at random: whatever the counts, no finding blames a router's
/// own answers or one kind of probe (six probes a hop cannot carry that at
/// 95% over the hops compared); differences the counts show are told as
/// such, with the rounds that would tell.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn six_rounds_of_random_loss_claim_no_cause_they_cannot_carry() {
    lab::require();
    let mut lab = Lab::new(4);
    let server = lab.server().to_string();
    lab.listen(&server, &[80]);
    lab.nft(lab.router(3), &rules::drop_share(20));
    let to = target(lab.server_addr(false), 80);
    let live = json(
        &lab,
        &[
            &to,
            "--compare=tcp:80,udp,icmp",
            "--cycles",
            "6",
            "--interval",
            "0.1",
            "-m",
            "6",
        ],
    );
    for f in live["diagnosis"].as_array().unwrap() {
        let (kind, text) = (f["kind"].as_str().unwrap(), f["text"].as_str().unwrap());
        assert!(
            !matches!(kind, "icmp-limited" | "kind-limited"),
            "{kind}: {text}"
        );
        if kind == "too-few-rounds" {
            assert!(text.contains("rounds"), "{text}");
            assert!(f["evidence"].as_str().unwrap().contains("not significant"));
        }
    }
}
