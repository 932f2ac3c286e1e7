//! Middleboxes that reshape the quotes of ICMP errors, on the simulator:
//! a router that rewrites the transport checksum and writes nothing back,
//! and a stateless NAT (source address, port and checksum rewritten, the
//! quotes never translated back). Every hop past them still answers, for
//! every probe kind; the quotes name the rewrite; a replay of the packets
//! says the same.

use super::tests::{addrs, ip, session, settings, R1, R2, R3};
use super::*;
use crate::driver::sim::{Hop, Sim};
use crate::driver::{self, Io, NoSender, PacketClock, Script};
use crate::trace::TraceEnd;
use std::sync::atomic::AtomicBool;

const KINDS: [(Protocol, u16); 3] = [
    (Protocol::Tcp, 80),
    (Protocol::Udp, 33434),
    (Protocol::Icmp, 0),
];

/// Traces `path` with each kind, live and replayed; the live results.
fn through(path: &[Hop]) -> Vec<(Protocol, crate::trace::TraceResult)> {
    KINDS
        .iter()
        .map(|&(protocol, port)| {
            let specs = vec![TraceSpec::new(protocol, port)];
            let mut live = Engine::live(settings(8), session(), specs.clone());
            let mut sim = Sim::new(path.to_vec());
            sim.run(&mut live);
            let mut replay = Engine::replay(settings(8), session(), specs);
            let io = Io {
                source: &mut Script::new(sim.log.clone()),
                clock: &PacketClock::default(),
                sender: &mut NoSender,
            };
            driver::run(&mut replay, io, &mut (), &AtomicBool::new(false)).unwrap();
            assert_eq!(replay.results(), live.results(), "{protocol}: replay");
            (protocol, live.result(0))
        })
        .collect()
}

fn fields_changed(r: &crate::trace::TraceResult) -> Vec<&'static str> {
    crate::quotes::changes(r)
        .iter()
        .map(|c| c.field.name())
        .collect()
}

/// Traces every kind through `middlebox` at hop 2; asserts that hop 3 and
/// the destination answered every probe; the live results.
fn past(middlebox: Hop) -> Vec<(Protocol, crate::trace::TraceResult)> {
    let results = through(&[Hop::Router(R1), middlebox, Hop::Router(R3), Hop::Closed]);
    for (protocol, r) in &results {
        assert_eq!(addrs(&r.hops[2]), vec![ip(R3)], "{protocol}");
        assert!(
            r.hops[2].probes.iter().all(|p| p.answer().is_some()),
            "{protocol}"
        );
        assert!(
            matches!(r.end, TraceEnd::Reached { ttl: 4, .. }),
            "{protocol}: {:?}",
            r.end
        );
    }
    results
}

#[test]
fn a_router_rewriting_the_checksum_hides_no_hop_beyond_it() {
    for (protocol, r) in past(Hop::RewritesChecksum(R2)) {
        // An 8-byte quote holds UDP's and ICMP's checksum, not TCP's.
        let seen = if protocol == Protocol::Tcp {
            vec![]
        } else {
            vec!["checksum"]
        };
        assert_eq!(fields_changed(&r), seen, "{protocol}");
        if protocol != Protocol::Tcp {
            let marks = crate::quotes::marks(&crate::quotes::changes(&r), 3);
            assert_eq!(marks, " [checksum rewritten]", "{protocol}");
        }
    }
}

#[test]
fn a_stateless_nat_hides_no_hop_beyond_it_and_is_named() {
    for (protocol, r) in past(Hop::StatelessNat(R2)) {
        let changed = fields_changed(&r);
        assert!(changed.contains(&"source"), "{protocol}: {changed:?}");
        let marks = crate::quotes::marks(&crate::quotes::changes(&r), 3);
        assert!(marks.contains("[NAT]"), "{protocol}: {marks}");
    }
}

/// The diagnosis names the rewrite where it shows, and calls no hop past
/// it silent.
#[test]
fn the_diagnosis_names_the_rewrite_not_a_silent_router() {
    use crate::run::testing::run_info;
    let (_, udp) = past(Hop::RewritesChecksum(R2)).remove(1);
    let findings = crate::diagnosis::diagnose(&run_info(), &[udp]);
    let kinds: Vec<&str> = findings.iter().map(|f| f.kind.name()).collect();
    assert!(kinds.contains(&"path-rewrite"), "{kinds:?}");
    assert!(!kinds.contains(&"silent-router"), "{kinds:?}");
    assert!(!kinds.contains(&"no-answer-past"), "{kinds:?}");
    let rewrite = findings
        .iter()
        .find(|f| f.kind.name() == "path-rewrite")
        .unwrap();
    assert!(rewrite.text.contains("checksum"), "{}", rewrite.text);
}
