//! The diagnosis rules on hand-built results.

use super::*;
use crate::engine::{Settings, SCAN_TTL};
use crate::trace::testing::{answered, ip, lost, router, silent};
use crate::trace::HopResult;
use crate::trace::TraceSpec;
use tracetcp_strategies::Protocol;

const DST: &str = "198.18.3.2";

fn run(max_hops: u8) -> RunInfo {
    RunInfo {
        every_hop: false,
        host: DST.into(),
        address: ip(DST),
        source: ip("198.18.0.1"),
        flow: tracetcp_strategies::Flow::new(45123),
        settings: Settings {
            max_hops,
            ..Settings::default()
        },
    }
}

fn trace(protocol: Protocol, port: u16, hops: Vec<HopResult>, end: TraceEnd) -> TraceResult {
    TraceResult::new(TraceSpec::new(protocol, port), hops, end)
}

fn reached(ttl: u8, kind: ReplyKind) -> (HopResult, TraceEnd) {
    let hop = HopResult {
        ttl,
        probes: (0..3).map(|i| answered(i, DST, 100, kind)).collect(),
    };
    (
        hop,
        TraceEnd::Reached {
            ttl,
            kind,
            from: ip(DST),
        },
    )
}

fn kinds(f: &[Finding]) -> Vec<Kind> {
    f.iter().map(|f| f.kind).collect()
}

#[test]
fn a_silent_hop_between_answering_ones() {
    let (dest, end) = reached(4, ReplyKind::SynAck);
    let r = trace(
        Protocol::Tcp,
        80,
        vec![
            router(1, "198.18.0.2", &[1, 1, 1]),
            silent(2, 3),
            router(3, "198.18.2.2", &[1, 1, 1]),
            dest,
        ],
        end,
    );
    let f = diagnose(&run(30), &[r]);
    assert_eq!(kinds(&f), vec![Kind::SilentRouter, Kind::Reached]);
    assert_eq!(f[0].hop, Some(2));
    assert!(
        f[0].text
            .starts_with("Hop 2 sent no answer, but hop 3 (198.18.2.2) did"),
        "{}",
        f[0].text
    );
}

#[test]
fn a_silent_tail_is_a_firewall_unless_the_trace_ran_out_of_hops() {
    let hops = vec![
        router(1, "198.18.0.2", &[1, 1, 1]),
        router(2, "198.18.1.2", &[1, 1, 1]),
        silent(3, 3),
        silent(4, 3),
    ];
    let f = diagnose(
        &run(4),
        &[trace(Protocol::Tcp, 135, hops.clone(), TraceEnd::MaxHops)],
    );
    assert_eq!(kinds(&f), vec![Kind::NoAnswerPast]);
    assert_eq!((f[0].hop, f[0].address), (Some(2), Some(ip("198.18.1.2"))));
    assert_eq!(f[0].evidence, "hops 3-4 silent");
    // -m 2: every probed hop answered; nothing to say about silence, but
    // that the trace stopped at the maximum asked for.
    let f = diagnose(
        &run(2),
        &[trace(
            Protocol::Tcp,
            135,
            hops[..2].to_vec(),
            TraceEnd::MaxHops,
        )],
    );
    assert_eq!(kinds(&f), vec![Kind::MaxHops], "{f:?}");
    assert!(f[0]
        .text
        .starts_with("tcp:135 stopped at the maximum of 2 hops"));
}

#[test]
fn the_last_responder_in_the_targets_subnet_is_its_local_router() {
    let hops = vec![
        router(1, "198.18.0.2", &[1, 1, 1]),
        router(2, "198.18.3.1", &[1, 1, 1]),
        silent(3, 3),
    ];
    let f = diagnose(
        &run(3),
        &[trace(Protocol::Tcp, 80, hops, TraceEnd::MaxHops)],
    );
    assert_eq!(kinds(&f), vec![Kind::DestinationSilent]);
    assert!(f[0].text.contains("198.18.3.1 at hop 2"));
}

#[test]
fn ports_blocked_at_the_same_hop_make_one_finding() {
    let stop = |port| {
        trace(
            Protocol::Tcp,
            port,
            vec![router(1, "198.18.0.2", &[1]), silent(2, 1), silent(3, 1)],
            TraceEnd::MaxHops,
        )
    };
    let (dest, end) = reached(3, ReplyKind::Rst);
    let open = trace(
        Protocol::Tcp,
        136,
        vec![
            router(1, "198.18.0.2", &[1]),
            router(2, "198.18.1.2", &[1]),
            dest,
        ],
        end,
    );
    let f = diagnose(&run(3), &[stop(135), open, stop(137)]);
    assert_eq!(kinds(&f), vec![Kind::BlockedPort, Kind::Reached]);
    assert_eq!(
        f[0].text,
        "tcp:135, tcp:137 stop after hop 1 (198.18.0.2) while tcp:136 gets through to hop 3: they are blocked just past hop 1."
    );
    assert_eq!(f[0].traces, vec![0, 2]);
}

#[test]
fn a_destination_closer_on_one_port_is_a_proxy() {
    let (near, near_end) = reached(2, ReplyKind::SynAck);
    let proxied = trace(
        Protocol::Tcp,
        80,
        vec![router(1, "198.18.0.2", &[1, 1, 1]), near],
        near_end,
    );
    let (far, far_end) = reached(4, ReplyKind::Rst);
    let direct = trace(
        Protocol::Tcp,
        21,
        vec![
            router(1, "198.18.0.2", &[1, 1, 1]),
            router(2, "198.18.1.2", &[1, 1, 1]),
            router(3, "198.18.2.2", &[1, 1, 1]),
            far,
        ],
        far_end,
    );
    let f = diagnose(&run(30), &[proxied, direct]);
    assert_eq!(f[0].kind, Kind::TransparentProxy);
    assert_eq!((f[0].hop, f[0].traces.clone()), (Some(2), vec![0, 1]));
    assert!(
        f[0].text.contains("right after hop 1 (198.18.0.2)"),
        "{}",
        f[0].text
    );
    assert!(f[0].evidence.contains("TTL 250"), "{}", f[0].evidence);
    assert!(
        !f[0].evidence.contains("quotes"),
        "no quotes, no quote evidence: {}",
        f[0].evidence
    );
}

/// The quotes before a proxy say how the probe reached it: unchanged, or
/// redirected to another port.
#[test]
fn a_proxy_finding_carries_the_quotes_evidence() {
    use crate::trace::testing::{quoting, syn_fields};
    let proxied = |quote: tracetcp_strategies::Fields| {
        let mut hop1 = router(1, "198.18.0.2", &[1]);
        hop1.probes[0] = quoting(hop1.probes[0], syn_fields(), quote);
        let (near, near_end) = reached(2, ReplyKind::SynAck);
        trace(Protocol::Tcp, 80, vec![hop1, near], near_end)
    };
    let (far, far_end) = reached(4, ReplyKind::Rst);
    let hops = (1..4).map(|t| router(t, &format!("198.18.{}.2", t - 1), &[1]));
    let direct = trace(Protocol::Tcp, 21, hops.chain([far]).collect(), far_end);
    let f = diagnose(&run(30), &[proxied(syn_fields()), direct.clone()]);
    assert!(
        f[0].evidence
            .contains("hop 1's quotes show the probe unchanged"),
        "{}",
        f[0].evidence
    );
    let mut redirected = syn_fields();
    redirected.dst_port = Some(3128);
    let f = diagnose(&run(30), &[proxied(redirected), direct]);
    assert!(
        f[0].evidence
            .contains("quotes before it show DNAT 80->3128 from hop 1"),
        "{}",
        f[0].evidence
    );
}

/// A reset in the target's name that came back from fewer hops than it
/// took to get it is a middlebox answering for the target, not the
/// target's closed port; the counts say "1 hop" and IPv6 says "hop limit".
#[test]
fn a_reset_from_closer_than_the_target_is_a_middlebox() {
    let mut hop3 = router(3, DST, &[1]);
    let rst = |ttl: u8| {
        let mut p = answered(0, DST, 100, ReplyKind::Rst);
        if let crate::trace::Outcome::Answered { answer, .. } = &mut p.outcome {
            answer.reply_ttl = ttl;
        }
        p
    };
    hop3.probes = vec![rst(63)];
    let end = TraceEnd::Reached {
        ttl: 3,
        kind: ReplyKind::Rst,
        from: ip(DST),
    };
    let r = trace(
        Protocol::Tcp,
        8443,
        vec![
            router(1, "198.18.0.2", &[1]),
            router(2, "198.18.1.2", &[1]),
            hop3.clone(),
        ],
        end,
    );
    let f = diagnose(&run(30), &[r]);
    assert_eq!(kinds(&f)[0], Kind::TransparentProxy, "{f:?}");
    assert!(
        f[0].text.contains("came back from about 2 hops back"),
        "{}",
        f[0].text
    );
    assert!(!f.iter().any(|x| x.kind == Kind::Reached));
    // From the target's own distance, it is the target's RST.
    hop3.probes = vec![rst(62)];
    let r = trace(
        Protocol::Tcp,
        8443,
        vec![
            router(1, "198.18.0.2", &[1]),
            router(2, "198.18.1.2", &[1]),
            hop3,
        ],
        end,
    );
    let f = diagnose(&run(30), &[r]);
    assert!(f
        .iter()
        .any(|x| x.kind == Kind::Reached && x.text.contains("closed")));
    let r = trace(
        Protocol::Tcp,
        80,
        vec![HopResult {
            ttl: 1,
            probes: vec![rst(64)],
        }],
        TraceEnd::Reached {
            ttl: 1,
            kind: ReplyKind::Rst,
            from: ip(DST),
        },
    );
    let f = diagnose(&run(30), &[r]);
    assert!(
        f[0].evidence.contains("(about 1 hop back)"),
        "{}",
        f[0].evidence
    );
}

#[test]
fn partial_loss_load_balancing_and_unreachables() {
    let busy = HopResult {
        ttl: 2,
        probes: vec![
            answered(0, "198.18.1.2", 100, ReplyKind::TimeExceeded),
            lost(1),
            lost(2),
        ],
    };
    let split = HopResult {
        ttl: 3,
        probes: vec![
            answered(0, "198.18.2.2", 100, ReplyKind::TimeExceeded),
            answered(1, "198.18.102.2", 100, ReplyKind::TimeExceeded),
            answered(2, "198.18.2.2", 100, ReplyKind::TimeExceeded),
        ],
    };
    let x = ReplyKind::Unreachable(Unreachable::AdminProhibited);
    let rejected = HopResult {
        ttl: 4,
        probes: (0..3).map(|i| answered(i, "198.18.3.1", 100, x)).collect(),
    };
    let end = TraceEnd::Unreachable {
        ttl: 4,
        reason: Unreachable::AdminProhibited,
        from: ip("198.18.3.1"),
    };
    let r = trace(
        Protocol::Tcp,
        8081,
        vec![router(1, "198.18.0.2", &[1, 1, 1]), busy, split, rejected],
        end,
    );
    let f = diagnose(&run(30), &[r]);
    assert_eq!(
        kinds(&f),
        vec![Kind::Unreachable, Kind::PartialLoss, Kind::LoadBalancing]
    );
    assert_eq!(
        f[0].text,
        "A firewall at hop 4 (198.18.3.1) rejects tcp:8081: it answers administratively prohibited (!X)."
    );
    assert!(f[1]
        .text
        .starts_with("Hop 2 (198.18.1.2) left 2 of 3 probes unanswered"));
    assert!(f[2].text.contains("198.18.2.2, 198.18.102.2"));
}

#[test]
fn a_scan_gets_one_summary_instead_of_a_line_per_port() {
    let results: Vec<TraceResult> = (1..=20u16)
        .map(|port| {
            let kind = if port % 5 == 0 {
                ReplyKind::SynAck
            } else {
                ReplyKind::Rst
            };
            let (dest, end) = reached(SCAN_TTL, kind);
            trace(Protocol::Tcp, port, vec![dest], end)
        })
        .collect();
    let mut results = results;
    results.push(trace(
        Protocol::Tcp,
        21,
        vec![silent(SCAN_TTL, 1)],
        TraceEnd::MaxHops,
    ));
    let mut scan = run(1);
    scan.settings.first_ttl = SCAN_TTL;
    let f = diagnose(&scan, &results);
    assert_eq!(kinds(&f), vec![Kind::Reached]);
    assert_eq!(
        f[0].text,
        "Scan of 198.18.3.2 (21 ports): open: tcp:5, tcp:10, tcp:15, tcp:20; closed: tcp:1-4, \
         tcp:6-9, tcp:11-14, tcp:16-19; filtered (no answer: dropped by a firewall, or nothing \
         there): tcp:21. Its answers arrived with TTL 250 (about 6 hops back)."
    );
    assert!(!f[0].text.contains("hop 1"));
    assert_eq!(f[0].traces.len(), 21);
}

#[test]
fn a_one_hop_trace_is_a_trace_not_a_scan() {
    // -m 1 (and -h 2 -m 1) on a path whose target is further away.
    for first in [1, 2] {
        let mut one_hop = run(1);
        one_hop.settings.first_ttl = first;
        let hop = router(first, "198.18.0.2", &[1, 1, 1]);
        let results = vec![trace(Protocol::Tcp, 80, vec![hop], TraceEnd::MaxHops)];
        let f = diagnose(&one_hop, &results);
        assert!(f.iter().all(|f| !f.text.contains("Scan of")), "{f:?}");
    }
}

#[test]
fn the_same_silent_hop_in_several_kinds_is_one_finding() {
    let t = |p, port| {
        let (dest, end) = reached(3, ReplyKind::EchoReply);
        trace(
            p,
            port,
            vec![router(1, "198.18.0.2", &[1, 1, 1]), silent(2, 3), dest],
            end,
        )
    };
    let f = diagnose(&run(30), &[t(Protocol::Tcp, 80), t(Protocol::Icmp, 0)]);
    let silent: Vec<&Finding> = f.iter().filter(|f| f.kind == Kind::SilentRouter).collect();
    assert_eq!(silent.len(), 1);
    assert_eq!(silent[0].traces, vec![0, 1]);
}

/// A quoted TTL other than 1 (0 on some routers) is a finding; 1 is not.
#[test]
fn a_quoted_ttl_above_one_is_a_finding() {
    let mut hop2 = router(2, "198.18.1.2", &[1]);
    if let crate::trace::Outcome::Answered { answer, .. } = &mut hop2.probes[0].outcome {
        answer.quoted_ttl = Some(5);
    }
    let r = trace(
        Protocol::Tcp,
        80,
        vec![router(1, "198.18.0.2", &[1]), hop2],
        TraceEnd::MaxHops,
    );
    let f = diagnose(&run(30), &[r]);
    let odd: Vec<&Finding> = f.iter().filter(|x| x.kind == Kind::PathRewrite).collect();
    assert_eq!(odd.len(), 1, "{f:?}");
    assert!(
        odd[0].text.contains("quotes the probe with TTL 5"),
        "{}",
        odd[0].text
    );
    let clean = trace(
        Protocol::Tcp,
        80,
        vec![router(1, "198.18.0.2", &[1])],
        TraceEnd::MaxHops,
    );
    assert!(!diagnose(&run(30), &[clean])
        .iter()
        .any(|x| x.kind == Kind::PathRewrite));
}
