//! End-to-end tests of `--as`: who owns each hop, from a real DNS server
//! (dnsmasq, started by the test in the lab's client namespace, serving
//! TXT records in Team Cymru's format and PTR records) and from local
//! databases; a server that is down or silent; a recording replayed with
//! no server at all. Need root, like every lab test: ignored unless asked
//! for with `--include-ignored` (tests/test.sh asks), failing loudly
//! without root or dnsmasq.

#[path = "support/cli.rs"]
mod cli;
mod lab;

use cli::*;
use lab::Lab;
use serde_json::Value;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const ZONES: &str = "dns:origin.lab,origin6.lab,names.lab";
const PORT: u16 = 5353;

/// dnsmasq in the client namespace on 127.0.0.1:5353 and [::1]:5353,
/// answering only from its own records; its queries logged to `log`.
struct Dnsmasq {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The records: hop k of lab3 (198.18.k-1.2, 2001:db8:k-1::2) in AS 64500
/// (hop 1), 64501 (hops 2-3), and the server in a prefix of two origins,
/// 64502 and 64503, its TXT record in two character-strings.
fn records(lab: &Lab) -> Vec<String> {
    let mut r = Vec::new();
    for (k, asns) in [(1, "64500"), (2, "64501"), (3, "64501"), (4, "64502 64503")] {
        for v6 in [false, true] {
            let addr = if k == 4 {
                lab.server_addr(v6)
            } else {
                lab.router_addr(k, v6)
            };
            let (zone, prefix) = match v6 {
                false => ("origin.lab", format!("198.18.{}.0/24", k - 1)),
                true => ("origin6.lab", format!("2001:db8:{}::/64", k - 1)),
            };
            let name = format!("{}.{zone}", reversed(addr));
            if k == 4 {
                r.push(format!(
                    "--txt-record={name},{asns} | {prefix} ,| ZZ | lab | 2026-12-01"
                ));
            } else {
                r.push(format!(
                    "--txt-record={name},{asns} | {prefix} | ZZ | lab | 2026-12-01"
                ));
            }
            r.push(format!("--ptr-record={},hop{k}.lab", ptr(addr)));
            if k == 1 && !v6 {
                // Covering prefixes enough to pass UDP's 512 bytes: the
                // answer comes truncated, and again over TCP.
                for len in 8..24 {
                    r.push(format!(
                        "--txt-record={name},64496 | 198.0.0.0/{len} | ZZ | lab | 2026-12-01 | covering"
                    ));
                }
            }
        }
    }
    for (asn, name) in [
        (64500, "LAB-ACCESS"),
        (64501, "LAB-TRANSIT"),
        (64502, "LAB-EDGE-A"),
    ] {
        r.push(format!(
            "--txt-record=AS{asn}.names.lab,{asn} | ZZ | lab | 2026-12-01 | {name}"
        ));
    }
    r
}

fn reversed(addr: std::net::IpAddr) -> String {
    match addr {
        std::net::IpAddr::V4(a) => {
            let [w, x, y, z] = a.octets();
            format!("{z}.{y}.{x}.{w}")
        }
        std::net::IpAddr::V6(a) => a
            .octets()
            .iter()
            .rev()
            .flat_map(|b| [b & 0xf, b >> 4])
            .map(|n| format!("{n:x}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

fn ptr(addr: std::net::IpAddr) -> String {
    let zone = if addr.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{zone}", reversed(addr))
}

fn dnsmasq(lab: &Lab) -> Dnsmasq {
    assert!(
        lab::installed("dnsmasq"),
        "dnsmasq is not installed (tests/setup.sh --for-tests installs it)"
    );
    let log = std::env::temp_dir().join(format!("tracetcp-dnsmasq-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let child = lab
        .command("dnsmasq")
        .args([
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
        ])
        .args([
            "--listen-address=127.0.0.1,::1",
            "--user=root",
            "--pid-file=",
        ])
        .arg(format!("--port={PORT}"))
        .args(["--log-queries", "--log-facility"])
        .arg(&log)
        .args(records(lab))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq");
    // Ready once it says it started.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("started") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Dnsmasq { child, log }
}

fn dns_at(v6: bool) -> String {
    if v6 {
        format!("[::1]:{PORT}")
    } else {
        format!("127.0.0.1:{PORT}")
    }
}

/// Each hop's AS numbers, from a JSON report.
fn owners(doc: &Value) -> Vec<Vec<u64>> {
    doc["traces"][0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["responders"][0]["as"]
                .as_array()
                .map(|a| a.iter().map(|o| o["number"].as_u64().unwrap()).collect())
                .unwrap_or_default()
        })
        .collect()
}

const WANT: [&[u64]; 4] = [&[64500], &[64501], &[64501], &[64502, 64503]];

/// Both families, from the lab's DNS server: each hop's AS, the AS path,
/// the AS names, several origins, TXT strings joined, an answer too long
/// for UDP (hop 1's, asked again over TCP); the reverse names through
/// --dns-server too.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn each_hop_has_its_owner_from_a_dns_server() {
    let lab = lab3();
    let _dns = dnsmasq(&lab);
    for v6 in [false, true] {
        let to = target(lab.server_addr(v6), 80);
        let doc = json(
            &lab,
            &[&to, "--as-source", ZONES, "--dns-server", &dns_at(v6)],
        );
        assert_eq!(owners(&doc), WANT, "v6={v6}: {doc:#}");
        assert_eq!(
            doc["traces"][0]["as_path"],
            serde_json::json!([[64500], [64501], [64502, 64503]])
        );
        let hop2 = &doc["traces"][0]["hops"][1]["responders"][0]["as"][0];
        assert_eq!(hop2["name"], "LAB-TRANSIT", "{hop2}");
        let prefix = if v6 {
            "2001:db8:1::/64"
        } else {
            "198.18.1.0/24"
        };
        assert_eq!(hop2["prefix"], prefix);
        assert_eq!(hop2["country"], "ZZ");
        assert_eq!(hop2["registry"], "lab");
        // Two strings, joined: the prefix read whole.
        let last = &doc["traces"][0]["hops"][3]["responders"][0]["as"][0];
        let prefix = if v6 {
            "2001:db8:3::/64"
        } else {
            "198.18.3.0/24"
        };
        assert_eq!(last["prefix"], prefix, "{last}");
        // Names too (no -n here).
        let text = tracetcp(
            &lab,
            &[&to, "--as-source", ZONES, "--dns-server", &dns_at(v6)],
        );
        assert_eq!(text.code, 0, "{}", text.stderr);
        assert!(
            text.stdout.contains("[hop1.lab] [AS64500]"),
            "{}",
            text.stdout
        );
        assert!(text.stdout.contains("[AS64502/AS64503]"), "{}", text.stdout);
        assert!(
            text.stdout
                .contains("AS path: 64500 -> 64501 -> 64502/64503"),
            "{}",
            text.stdout
        );
    }
}

/// The default source, Team Cymru's, is never asked about the lab's
/// special-purpose addresses.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn special_addresses_are_never_sent_to_the_public_provider() {
    let lab = lab3();
    let dns = dnsmasq(&lab);
    let to = target(lab.server_addr(false), 80);
    let doc = json(&lab, &[&to, "--as", "--dns-server", &dns_at(false)]);
    assert!(owners(&doc).iter().all(|o| o.is_empty()), "{doc:#}");
    let log = std::fs::read_to_string(&dns.log).unwrap_or_default();
    assert!(!log.contains("cymru"), "{log}");
    // The zones the user names are asked about everything.
    let _ = json(
        &lab,
        &[&to, "--as-source", ZONES, "--dns-server", &dns_at(false)],
    );
    let log = std::fs::read_to_string(&dns.log).unwrap_or_default();
    assert!(log.contains("origin.lab"), "{log}");
}

/// A DNS server that is down, or silent, costs at most its deadline and
/// one line; the trace is whole.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_server_down_or_silent_costs_its_deadline_and_one_line() {
    let lab = lab3();
    lab.nft(
        lab.router(1),
        "table inet silence {\n chain input { type filter hook input priority 0; udp dport 53 drop; }\n}",
    );
    let to = target(lab.server_addr(false), 80);
    // Nothing listens on the server's port 5353 (down); the router drops
    // port 53 (silent).
    let down = target(lab.server_addr(false), PORT);
    let silent = target(lab.router_addr(1, false), 53);
    for dns in [down, silent] {
        let started = Instant::now();
        let run = tracetcp(
            &lab,
            &[&to, "-n", "--as-source", ZONES, "--dns-server", &dns],
        );
        let took = started.elapsed();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("Connection established"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains("[AS"), "{}", run.stdout);
        assert_eq!(
            run.stderr.matches("did not answer").count(),
            1,
            "{}",
            run.stderr
        );
        assert!(took < Duration::from_secs(15), "{dns}: {took:?}");
    }
}

/// Local databases: iptoasn's TSV, CAIDA's prefix-to-AS and an .mmdb.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn local_databases_give_the_same_owners() {
    let lab = lab3();
    let dir = std::env::temp_dir();
    let tsv = dir.join(format!("tracetcp-ip2asn-{}.tsv", std::process::id()));
    let mut lines = String::new();
    let mut caida = String::new();
    for (k, asn) in [(1, "64500"), (2, "64501"), (3, "64501"), (4, "64502_64503")] {
        let first = asn.split('_').next().unwrap();
        lines.push_str(&format!(
            "198.18.{0}.0\t198.18.{0}.255\t{first}\tZZ\tLAB-{first}\n",
            k - 1
        ));
        lines.push_str(&format!(
            "2001:db8:{0}::\t2001:db8:{0}::ffff\t{first}\tZZ\tLAB-{first}\n",
            k - 1
        ));
        caida.push_str(&format!(
            "198.18.{}.0\t24\t{asn}\n2001:db8:{}::\t64\t{asn}\n",
            k - 1,
            k - 1
        ));
    }
    std::fs::write(&tsv, lines).unwrap();
    let pfx = dir.join(format!("tracetcp-pfx2as-{}.txt", std::process::id()));
    std::fs::write(&pfx, caida).unwrap();
    for v6 in [false, true] {
        let to = target(lab.server_addr(v6), 80);
        let from_tsv = json(&lab, &[&to, "--as-source", tsv.to_str().unwrap()]);
        assert_eq!(
            owners(&from_tsv),
            [vec![64500], vec![64501], vec![64501], vec![64502]],
            "v6={v6}"
        );
        let hop1 = &from_tsv["traces"][0]["hops"][0]["responders"][0]["as"][0];
        assert_eq!(hop1["name"], "LAB-64500");
        let from_caida = json(&lab, &[&to, "--as-source", pfx.to_str().unwrap()]);
        assert_eq!(owners(&from_caida), WANT, "v6={v6}");
    }
    // An .mmdb (tests/data/make_mmdb.py): hops 1 to 3 in it.
    let mmdb = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/as-lab.mmdb");
    for v6 in [false, true] {
        let to = target(lab.server_addr(v6), 80);
        let from_mmdb = json(&lab, &[&to, "--as-source", mmdb]);
        let want: [&[u64]; 4] = [&[64500], &[64501], &[64501], &[]];
        assert_eq!(owners(&from_mmdb), want, "v6={v6}");
    }
    let bad = tracetcp(
        &lab,
        &[
            &lab.server_addr(false).to_string(),
            "--as-source",
            "/nonexistent/db",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    let _ = std::fs::remove_file(&tsv);
    let _ = std::fs::remove_file(&pfx);
}

/// A recording keeps the owners: its replay shows them with no server.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn a_recording_replays_its_owners_offline() {
    let lab = lab3();
    let record = temp_pcap("owners");
    let _ = std::fs::remove_file(&record);
    let to = target(lab.server_addr(false), 80);
    let live = {
        let _dns = dnsmasq(&lab);
        tracetcp(
            &lab,
            &[
                &to,
                "-n",
                "--as-source",
                ZONES,
                "--dns-server",
                &dns_at(false),
                "-w",
                record.to_str().unwrap(),
            ],
        )
    };
    assert_eq!(live.code, 0, "{}", live.stderr);
    assert!(live.stdout.contains("[AS64501]"), "{}", live.stdout);
    let replayed = replay_unprivileged(&record);
    assert_eq!(replayed.code, 0, "{}", replayed.stderr);
    assert_eq!(replayed.stdout, live.stdout);
    // The packet view's report shows them too.
    let packets = tracetcp(
        &lab,
        &["--replay", record.to_str().unwrap(), "--show-packets", "-n"],
    );
    assert!(packets.stdout.contains("[AS64501]"), "{}", packets.stdout);
    let _ = std::fs::remove_file(&record);
}

/// The diagnosis says whose network a port stops in.
#[test]
#[ignore = "needs root (network namespaces): cargo test -- --include-ignored"]
fn the_diagnosis_names_the_owner_where_a_port_stops() {
    let lab = lab3();
    let _dns = dnsmasq(&lab);
    lab.nft(lab.router(3), &lab::rules::block_port(135));
    let server = lab.server_addr(false).to_string();
    let run = tracetcp(
        &lab,
        &[
            "--compare=tcp:80,tcp:135",
            &server,
            "-n",
            "-m",
            "6",
            "--as-source",
            ZONES,
            "--dns-server",
            &dns_at(false),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let diagnosis = &run.stdout[run.stdout.find("Diagnosis:").expect("a diagnosis")..];
    assert!(
        diagnosis.contains("is in AS64501 (LAB-TRANSIT)"),
        "{diagnosis}"
    );
    assert!(
        diagnosis.contains("from AS64500 (LAB-ACCESS)"),
        "{diagnosis}"
    );
    eprintln!("{diagnosis}");
}
