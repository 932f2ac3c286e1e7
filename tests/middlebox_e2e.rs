//! Middleboxes as the Internet has them, made of the lab's real kernel
//! routers: r1 reshapes the ICMP errors it forwards as hardware and NATs
//! do (a quote whose checksum and IP ID were rewritten and not restored,
//! a quoted TTL of 0, RFC 792's 8-byte quote), or translates the source
//! statelessly and never the quotes. Every hop past r1 still answers, for
//! TCP, UDP and ICMP over IPv4 and IPv6, and the replay of the recording
//! says what the live run said. Need root: ignored unless asked for with
//! `--include-ignored` (tests/test.sh asks), failing loudly without it.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::reshape::Reshaper;
use lab::Lab;
use serde_json::Value;
use tracetcp_strategies::reshape::Reshape;

const KINDS: [(&str, u16); 3] = [("tcp", 80), ("udp", 33434), ("icmp", 80)];

/// Traces every kind over both families through `lab`, recorded, and
/// checks each hop past r1 and the destination answered, the replay
/// equal; `skip` names a (kind, v6) that cannot survive this middlebox.
fn every_kind_gets_through(lab: &Lab, name: &str, skip: &[(&str, bool)]) -> Vec<Value> {
    let mut docs = Vec::new();
    for v6 in [false, true] {
        for (kind, port) in KINDS {
            if skip.contains(&(kind, v6)) {
                continue;
            }
            let what = format!("{name}: {kind} v6={v6}");
            let file = temp_pcap(&format!("{name}-{kind}-{v6}"));
            let to = target(lab.server_addr(v6), port);
            let doc = json(
                lab,
                &[
                    &to,
                    "-P",
                    kind,
                    "-m",
                    "6",
                    "-t",
                    "500",
                    "-w",
                    file.to_str().unwrap(),
                ],
            );
            let hops = hops(&doc, 0);
            assert_eq!(end(&doc, 0).0, "reached", "{what}: {hops:?}");
            assert!(hops.iter().all(|h| h != "*"), "{what}: {hops:?}");
            // The recording's own format is JSON: the replay prints it.
            let replayed = replay_unprivileged(&file);
            assert_eq!(replayed.code, 0, "{what}: {}", replayed.stderr);
            let replayed: Value = serde_json::from_str(&replayed.stdout).expect("replay JSON");
            assert_eq!(
                replayed["traces"],
                doc["traces"],
                "{what}: the replay differs ({})",
                file.display()
            );
            assert_eq!(replayed["diagnosis"], doc["diagnosis"], "{what}");
            let _ = std::fs::remove_file(&file);
            docs.push(doc);
        }
    }
    docs
}

fn reshaped(how: Reshape) -> (Lab, Reshaper) {
    let lab = lab3();
    let reshaper = Reshaper::start(&lab, 1, how);
    (lab, reshaper)
}

/// The quote's checksum and IPv4 identification rewritten and not
/// restored (a home NAT): TCP keeps its key in the sequence, ICMP in the
/// echo sequence, UDP in the payload marker (Linux quotes it whole); the
/// quotes name the rewrite.
#[test]
#[ignore = "needs root (network namespaces, NFQUEUE): cargo test -- --include-ignored"]
fn a_quote_rewritten_and_not_restored_hides_no_hop() {
    let (lab, _r) = reshaped(Reshape::QuoteRewritten);
    for doc in every_kind_gets_through(&lab, "rewritten", &[]) {
        let changes = doc["traces"][0]["changes"].to_string();
        assert!(
            changes.contains("checksum") || changes.contains("IP ID"),
            "{changes}"
        );
    }
}

#[test]
#[ignore = "needs root (network namespaces, NFQUEUE): cargo test -- --include-ignored"]
fn a_quoted_ttl_of_zero_is_an_ordinary_answer() {
    let (lab, _r) = reshaped(Reshape::QuotedTtlZero);
    for doc in every_kind_gets_through(&lab, "ttl0", &[]) {
        let text = doc["diagnosis"].to_string();
        assert!(!text.contains("raised"), "{text}");
    }
}

#[test]
#[ignore = "needs root (network namespaces, NFQUEUE): cargo test -- --include-ignored"]
fn eight_byte_quotes_are_enough() {
    let (lab, _r) = reshaped(Reshape::Rfc792Quote);
    every_kind_gets_through(&lab, "rfc792", &[]);
}

/// A stateless NAT at r1: probes go on from r1's address, answers to that
/// address are sent on to the client, quotes are never translated back.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_stateless_nat_hides_no_hop_and_is_named() {
    let lab = lab3();
    lab.nft(
        lab.router(1),
        "table ip stateless {
  chain pre { type filter hook prerouting priority -300;
    iifname \"east\" ip daddr 198.18.1.1 notrack ip daddr set 198.18.0.1
  }
  chain out { type filter hook postrouting priority 300;
    oifname \"east\" ip saddr 198.18.0.1 ip saddr set 198.18.1.1
  }
  chain raw { type filter hook prerouting priority -400;
    iifname \"west\" notrack
  }
}",
    );
    // IPv4 only: stateless NAT66 is not what home and carrier NATs do.
    let skip = [("tcp", true), ("udp", true), ("icmp", true)];
    for doc in every_kind_gets_through(&lab, "stateless", &skip) {
        let changes = doc["traces"][0]["changes"].to_string();
        assert!(changes.contains("\"source\""), "{changes}");
        let text = doc["diagnosis"].to_string();
        assert!(text.contains("NAT"), "{text}");
        assert!(!text.contains("does not send ICMP"), "{text}");
    }
}

/// The label stack of each answer past r1, as JSON gives it.
fn labels(doc: &Value) -> Vec<Vec<u64>> {
    doc["traces"][0]["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ttl"].as_u64() > Some(1) && p["reply"]["kind"] == "time-exceeded")
        .map(|p| {
            p["reply"]["mpls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["label"].as_u64().unwrap())
                .collect()
        })
        .collect()
}

/// MPLS routers older than RFC 4884 (no length field), and routers whose
/// length field disagrees with where the structure is: the label stack of
/// every router past r1 shows, live and replayed.
#[test]
#[ignore = "needs root (network namespaces, NFQUEUE): cargo test -- --include-ignored"]
fn mpls_stacks_show_whatever_the_length_field_says() {
    for how in [Reshape::MplsPre4884, Reshape::MplsLengthDisagrees] {
        let (lab, _r) = reshaped(how);
        for doc in every_kind_gets_through(&lab, &format!("{how:?}"), &[]) {
            let stacks = labels(&doc);
            assert!(!stacks.is_empty(), "{how:?}");
            for stack in &stacks {
                assert_eq!(stack.len(), 1, "{how:?}: {stacks:?}");
                assert!((24000..24256).contains(&stack[0]), "{how:?}: {stacks:?}");
            }
        }
    }
}
