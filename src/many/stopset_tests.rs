//! The stop set: which hops it stands for, and where traces start.

use super::*;
use crate::trace::testing::{answered, ip, router, silent};
use crate::trace::TraceEnd;
use crate::trace::TraceSpec;
use tracetcp_strategies::{Protocol, ReplyKind};

fn reached(ttl: u8, target: &str) -> HopResult {
    HopResult {
        ttl,
        probes: vec![answered(0, target, 900, ReplyKind::EchoReply)],
    }
}

fn trace(hops: Vec<HopResult>) -> TraceResult {
    TraceResult::new(TraceSpec::new(Protocol::Icmp, 0), hops, TraceEnd::MaxHops)
}

#[test]
fn the_first_trace_teaches_its_routers_and_where_the_next_starts() {
    let mut stops = StopSet::default();
    assert_eq!(stops.start(), 1);
    let first = trace(vec![
        router(1, "198.18.1.1", &[1]),
        silent(2, 1),
        router(3, "198.18.3.1", &[3]),
        reached(4, "198.18.4.1"),
    ]);
    stops.learn(ip("198.18.4.1"), 0, &first);
    // The deepest router of the first trace.
    assert_eq!(stops.start(), 3);
    // A later trace meeting the same router at 3 takes hops 1 and 2.
    let (hops, learned, numbers) = stops.below(&router(3, "198.18.3.1", &[7])).unwrap();
    assert_eq!(hops, first.hops[..2].to_vec());
    assert_eq!(numbers, [0, 0]);
    assert_eq!(
        learned,
        Learned {
            hops: 2,
            from: ip("198.18.4.1")
        }
    );
    // Another router, another TTL, the destination or silence: no.
    assert!(stops.below(&router(3, "198.18.9.9", &[7])).is_none());
    assert!(stops.below(&router(2, "198.18.3.1", &[7])).is_none());
    assert!(stops.below(&reached(3, "198.18.3.1")).is_none());
    assert!(stops.below(&silent(3, 3)).is_none());
}

#[test]
fn the_start_falls_to_where_paths_part_and_never_for_a_nearer_target() {
    let mut stops = StopSet::default();
    stops.learn(
        ip("198.18.4.1"),
        0,
        &trace(vec![
            router(1, "198.18.1.1", &[1]),
            router(2, "198.18.2.1", &[1]),
            router(3, "198.18.3.1", &[1]),
            reached(4, "198.18.4.1"),
        ]),
    );
    assert_eq!(stops.start(), 3);
    // A nearer target behind the same routers: the start stays.
    stops.learn(
        ip("198.18.2.9"),
        1,
        &trace(vec![
            router(1, "198.18.1.1", &[1]),
            reached(2, "198.18.2.9"),
        ]),
    );
    assert_eq!(stops.start(), 3);
    // A path that parts after hop 2: traces start at 2.
    stops.learn(
        ip("198.18.8.1"),
        2,
        &trace(vec![
            router(1, "198.18.1.1", &[1]),
            router(2, "198.18.2.1", &[1]),
            router(3, "198.18.7.1", &[1]),
            reached(4, "198.18.8.1"),
        ]),
    );
    assert_eq!(stops.start(), 2);
    // Its new router stands for hops 1 and 2 too, as the trace that saw it.
    let (hops, learned, numbers) = stops.below(&router(3, "198.18.7.1", &[1])).unwrap();
    assert_eq!(hops.len(), 2);
    // Hops 1 and 2 are the first trace's: its nodes stand for them.
    assert_eq!(numbers, [0, 0]);
    assert_eq!(learned.from, ip("198.18.8.1"));
}

#[test]
fn a_trace_not_from_ttl_1_or_without_routers_teaches_nothing() {
    let mut stops = StopSet::default();
    stops.learn(
        ip("198.18.4.1"),
        0,
        &trace(vec![
            router(2, "198.18.2.1", &[1]),
            reached(3, "198.18.4.1"),
        ]),
    );
    stops.learn(
        ip("198.18.4.2"),
        0,
        &trace(vec![silent(1, 3), silent(2, 3)]),
    );
    assert_eq!(stops.start(), 1);
    assert!(stops.below(&router(2, "198.18.2.1", &[1])).is_none());
}

#[test]
fn a_silent_hop_on_the_shared_path_keeps_the_start_and_is_kept_once() {
    let mut stops = StopSet::default();
    let path = |target: &str| {
        trace(vec![
            router(1, "198.18.1.1", &[1]),
            silent(2, 3),
            router(3, "198.18.3.1", &[1]),
            reached(4, target),
        ])
    };
    stops.learn(ip("198.18.4.1"), 0, &path("198.18.4.1"));
    assert_eq!(stops.start(), 3);
    for n in 1..50 {
        stops.learn(ip("198.18.4.9"), n, &path("198.18.4.9"));
    }
    // Silence does not part paths: the start stays, and the silent hop
    // is one node however many traces crossed it.
    assert_eq!(stops.start(), 3);
    assert_eq!(stops.nodes.len(), 3);
    let (hops, _, numbers) = stops.below(&router(3, "198.18.3.1", &[1])).unwrap();
    assert!(hops[1].all_lost());
    assert_eq!(numbers, [0, 0]);
}
