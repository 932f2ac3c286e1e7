//! Golden tests: reports of results shaped like the seeds' examples must
//! read exactly like the seeds (whose tabs are expanded to 8 columns).

use super::*;
use crate::engine::Settings;
use crate::trace::testing::T0;
use crate::trace::testing::{answered, ip, lost, router, silent};
use crate::trace::{TraceEnd, TraceResult};
use tracetcp_strategies::{ReplyKind, Unreachable};

fn expand_tabs(s: &str) -> String {
    let mut out = String::new();
    for line in s.split_inclusive('\n') {
        let mut col = 0;
        for c in line.chars() {
            if c == '\t' {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            } else {
                out.push(c);
                col = if c == '\n' { 0 } else { col + 1 };
            }
        }
    }
    out
}

fn run(host: &str, address: &str, settings: Settings) -> RunInfo {
    RunInfo {
        every_hop: false,
        host: host.to_string(),
        address: ip(address),
        source: ip("192.168.0.2"),
        flow: tracetcp_strategies::Flow::new(45123),
        settings,
    }
}

fn tcp(port: u16) -> TraceSpec {
    TraceSpec::new(Protocol::Tcp, port)
}

#[test]
fn classic_matches_the_seed_trace_to_ebay() {
    let dst = "66.135.192.41";
    let hops = vec![
        router(1, "192.168.0.1", &[1, 1, 2]),
        router(2, "10.78.128.1", &[10, 9, 11]),
        router(13, "66.135.207.174", &[166, 169, 171]),
        silent(14, 3),
        HopResult {
            ttl: 15,
            probes: vec![
                answered(0, dst, 170_000, ReplyKind::SynAck),
                answered(1, dst, 171_000, ReplyKind::SynAck),
                answered(2, dst, 172_000, ReplyKind::SynAck),
            ],
        },
    ];
    let result = TraceResult::new(
        tcp(80),
        hops,
        TraceEnd::Reached {
            ttl: 15,
            kind: ReplyKind::SynAck,
            from: ip(dst),
        },
    );
    let names: Names = [(ip("192.168.0.1"), "wintermute".to_string())]
        .into_iter()
        .collect();
    let text = Text::Classic.render(
        &run("www.ebay.co.uk", dst, Settings::default()),
        &[result],
        &names,
    );
    let expected = "\
Tracing route to 66.135.192.41 [www.ebay.co.uk] on port 80
Over a maximum of 30 hops.
All probes on one flow: 45123.
1       1 ms    1 ms    2 ms    192.168.0.1     [wintermute]
2       10 ms   9 ms    11 ms   10.78.128.1
13      166 ms  169 ms  171 ms  66.135.207.174
14      *       *       *       Request timed out.
15      Destination Reached in 170 ms. Connection established to 66.135.192.41
Trace Complete.
";
    assert_eq!(expand_tabs(&text), expected);
    assert!(text.contains("1\t1 ms\t1 ms\t2 ms\t192.168.0.1\t[wintermute]\n"));
}

#[test]
fn classic_header_for_an_address_literal_udp_and_icmp() {
    let r = run("207.250.14.6", "207.250.14.6", Settings::default());
    assert_eq!(
        classic::header(&r, &tcp(21)),
        "Tracing route to 207.250.14.6 on port 21\nOver a maximum of 30 hops.\nAll probes on one flow: 45123.\n"
    );
    assert!(classic::header(&r, &TraceSpec::new(Protocol::Udp, 53))
        .starts_with("Tracing route to 207.250.14.6 on UDP port 53\n"));
    assert!(classic::header(&r, &TraceSpec::new(Protocol::Icmp, 80))
        .starts_with("Tracing route to 207.250.14.6 with ICMP echo\n"));
    let r6 = run("2001:db8::2", "2001:db8::2", Settings::default());
    assert!(
        classic::header(&r6, &tcp(443)).starts_with("Tracing route to 2001:db8::2 on port 443\n")
    );
}

#[test]
fn classic_closed_port_unreachable_and_sub_millisecond() {
    let names = Names::new();
    let closed = HopResult {
        ttl: 3,
        probes: vec![answered(0, "198.18.9.2", 50, ReplyKind::Rst)],
    };
    assert_eq!(
        classic::hop(&closed, 3, &names),
        "3\tDestination Reached in 0.05 ms. Port closed on 198.18.9.2\n"
    );
    let x = ReplyKind::Unreachable(Unreachable::AdminProhibited);
    let rejected = HopResult {
        ttl: 2,
        probes: vec![
            answered(0, "198.18.2.1", 120, x),
            lost(1),
            answered(2, "198.18.2.1", 2400, x),
        ],
    };
    assert_eq!(
        classic::hop(&rejected, 3, &names),
        "2\t0.12 ms !X\t*\t2 ms !X\t198.18.2.1\n"
    );
}

#[test]
fn classic_shows_every_responder_of_a_hop() {
    let te = ReplyKind::TimeExceeded;
    let h = HopResult {
        ttl: 2,
        probes: vec![
            answered(0, "198.18.3.1", 1000, te),
            answered(1, "198.18.33.1", 1000, te),
            lost(2),
        ],
    };
    assert_eq!(
        classic::hop(&h, 3, &Names::new()),
        "2\t1 ms\t-\t*\t198.18.3.1\n\t-\t1 ms\t-\t198.18.33.1\n"
    );
}

#[test]
fn classic_footer_of_an_interrupted_trace() {
    assert_eq!(
        classic::footer(&TraceEnd::Interrupted),
        "Trace interrupted.\n"
    );
    assert_eq!(classic::footer(&TraceEnd::MaxHops), "Trace Complete.\n");
}

#[test]
fn condensed_matches_the_seed_port_range() {
    // tracetcp www.ebay.co.uk -h 3 -m 1 -p 1 -t 500 -c -r 130 140 -n
    let settings = Settings {
        first_ttl: 3,
        max_hops: 1,
        probes_per_hop: 1,
        ..Settings::default()
    };
    let r = run("www.ebay.co.uk", "66.135.192.41", settings);
    let results: Vec<TraceResult> = [
        (130, Some(11)),
        (134, Some(13)),
        (135, None),
        (140, Some(11)),
    ]
    .into_iter()
    .map(|(port, ms)| {
        TraceResult::new(
            tcp(port),
            vec![match ms {
                Some(ms) => router(3, "62.30.193.33", &[ms]),
                None => silent(3, 1),
            }],
            TraceEnd::MaxHops,
        )
    })
    .collect();
    let expected = "\
[66.135.192.41:130]  3  11 ms   62.30.193.33
[66.135.192.41:134]  3  13 ms   62.30.193.33
[66.135.192.41:135]  3  *       Request timed out.
[66.135.192.41:140]  3  11 ms   62.30.193.33
";
    assert_eq!(
        expand_tabs(&Text::Condensed.render(&r, &results, &Names::new())),
        expected
    );
}

#[test]
fn condensed_separates_multi_hop_traces_and_reports_open_ports() {
    let settings = Settings {
        first_ttl: 1,
        max_hops: 2,
        probes_per_hop: 3,
        ..Settings::default()
    };
    let r = run("192.168.0.1", "192.168.0.1", settings);
    let open = TraceResult::new(
        tcp(21),
        vec![HopResult {
            ttl: 1,
            probes: vec![answered(0, "192.168.0.1", 1000, ReplyKind::SynAck)],
        }],
        TraceEnd::Reached {
            ttl: 1,
            kind: ReplyKind::SynAck,
            from: ip("192.168.0.1"),
        },
    );
    let filtered = TraceResult::new(tcp(20), vec![silent(1, 3), silent(2, 3)], TraceEnd::MaxHops);
    let expected = "\
[192.168.0.1:20]  1     *       *       *       Request timed out.
[192.168.0.1:20]  2     *       *       *       Request timed out.

[192.168.0.1:21]  1     Dest. in 1 ms. Port OPEN on 192.168.0.1
";
    assert_eq!(
        expand_tabs(&Text::Condensed.render(&r, &[filtered, open], &Names::new())),
        expected
    );
}

#[test]
fn condensed_labels_for_each_family_and_protocol() {
    assert_eq!(
        condensed::label(ip("2001:db8::2"), &tcp(80)),
        "[[2001:db8::2]:80]"
    );
    assert_eq!(
        condensed::label(ip("198.18.9.2"), &TraceSpec::new(Protocol::Udp, 53)),
        "[198.18.9.2:53/udp]"
    );
    assert_eq!(
        condensed::label(ip("198.18.9.2"), &TraceSpec::new(Protocol::Icmp, 0)),
        "[198.18.9.2/icmp]"
    );
}

#[test]
fn rtt_stays_readable() {
    assert_eq!(rtt(Duration::from_micros(50)), "0.05 ms");
    assert_eq!(rtt(Duration::from_micros(999)), "1.00 ms");
    assert_eq!(rtt(Duration::from_nanos(900)), "<0.01 ms");
    assert_eq!(rtt(Duration::from_micros(1_499)), "1 ms");
    assert_eq!(rtt(Duration::from_millis(170)), "170 ms");
}

#[test]
fn json_carries_every_probe_and_hop() {
    let hops = vec![
        router(1, "198.18.1.1", &[1, 2, 3]),
        silent(2, 3),
        HopResult {
            ttl: 3,
            probes: vec![
                answered(0, "198.18.9.2", 500, ReplyKind::SynAck),
                lost(1),
                lost(2),
            ],
        },
    ];
    let result = TraceResult::new(
        tcp(80),
        hops,
        TraceEnd::Reached {
            ttl: 3,
            kind: ReplyKind::SynAck,
            from: ip("198.18.9.2"),
        },
    );
    let r = run("server.lab", "198.18.9.2", Settings::default());
    let doc: serde_json::Value =
        serde_json::from_str(&json::render(&r, &[result], &Names::new(), &[])).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["target"]["name"], "server.lab");
    assert_eq!(doc["settings"]["timeout_ms"], 2000);
    let t = &doc["traces"][0];
    assert_eq!(t["protocol"], "tcp");
    assert_eq!(t["port"], 80);
    assert_eq!(t["end"]["reason"], "reached");
    assert_eq!(t["end"]["kind"], "syn-ack");
    assert_eq!(t["hops"].as_array().unwrap().len(), 3);
    assert_eq!(t["hops"][0]["rtt_ms"]["avg"], 2.0);
    assert_eq!(t["hops"][1]["lost"], 3);
    assert_eq!(t["hops"][1]["responders"].as_array().unwrap().len(), 0);
    assert_eq!(t["hops"][2]["destination"], true);
    let probes = t["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 9);
    assert_eq!(probes[0]["reply"]["kind"], "time-exceeded");
    assert_eq!(probes[0]["reply"]["icmp_type"], 11);
    assert_eq!(probes[0]["reply"]["rtt_ms"], 1.0);
    assert_eq!(probes[0]["sent_ns"], T0);
    assert_eq!(probes[3]["reply"], serde_json::Value::Null);
    assert_eq!(probes[6]["reply"]["rtt_ms"], 0.5);
}

/// With -m 3 and answers up to hop 3, a comparison says the trace stopped
/// at the maximum asked for, not that it went silent after it.
#[test]
fn compare_summary_of_a_trace_cut_by_max_hops() {
    let settings = Settings {
        max_hops: 3,
        ..Settings::default()
    };
    let r = TraceResult::new(
        tcp(80),
        vec![
            router(1, "198.18.0.2", &[1]),
            router(2, "198.18.1.2", &[1]),
            router(3, "198.18.2.2", &[1]),
        ],
        TraceEnd::MaxHops,
    );
    assert_eq!(
        compare::summary(&r, &settings),
        "stopped at the maximum of 3 hops; last answer from 198.18.2.2 at hop 3"
    );
    let mut short = r.clone();
    short.hops[2] = silent(3, 1);
    assert_eq!(
        compare::summary(&short, &settings),
        "silent from hop 3 on; last answer from 198.18.1.2 at hop 2"
    );
}

/// An interrupted port range: probes and ports never sent say so, and are
/// never shown as lost.
#[test]
fn an_interrupted_range_shows_what_was_not_probed() {
    let settings = Settings {
        max_hops: 1,
        first_ttl: 1,
        ..Settings::default()
    };
    let r = run("198.18.9.2", "198.18.9.2", settings);
    let started = TraceResult::new(
        tcp(80),
        vec![router(1, "198.18.0.2", &[1])],
        TraceEnd::Interrupted,
    );
    let never = TraceResult::new(tcp(81), vec![], TraceEnd::Interrupted);
    let text = Text::Condensed.render(&r, &[started, never], &Names::new());
    assert_eq!(
        text,
        "[198.18.9.2:80]  1\t1 ms\tnot sent\tnot sent\t198.18.0.2\n[198.18.9.2:81]  not probed\n"
    );
    assert!(!text.contains('*'));
}
