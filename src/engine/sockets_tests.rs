//! The engine driven with both shapes of answer on the simulator: as a
//! capture holds them, and as the sockets transport rebuilds them from
//! the kernel's reports (a run without privileges: `sockets/`). The same
//! hops and ends for every kind; quotes never compared; a TCP answer's
//! TTL unknown, never guessed; a replay of the rebuilt packets says the
//! same.

use super::tests::{session, settings, R1, R2, R3, R3B};
use super::*;
use crate::driver::sim::{Hop, Sim};
use crate::driver::{self, Io, NoSender, PacketClock, Script};
use crate::trace::TraceResult;
use std::sync::atomic::AtomicBool;

const KINDS: [(Protocol, u16); 3] = [
    (Protocol::Tcp, 80),
    (Protocol::Udp, 33434),
    (Protocol::Icmp, 0),
];

/// Traces `path` with `protocol`, the answers in the sockets shape or
/// not; with the sockets shape, checks that the replay says the same.
fn trace(path: &[Hop], protocol: Protocol, port: u16, sockets: bool) -> TraceResult {
    let specs = vec![TraceSpec::new(protocol, port)];
    let transport = if sockets {
        Transport::Sockets
    } else {
        Transport::Capture
    };
    let s = Settings {
        transport,
        ..settings(8)
    };
    let mut live = Engine::live(s.clone(), session(), specs.clone());
    let mut sim = Sim::new(path.to_vec());
    sim.sockets = sockets;
    sim.run(&mut live);
    let mut replay = Engine::replay(s, session(), specs);
    let io = Io {
        source: &mut Script::new(sim.log.clone()),
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    driver::run(&mut replay, io, &mut (), &AtomicBool::new(false)).unwrap();
    assert_eq!(replay.results(), live.results(), "{protocol}: replay");
    live.result(0)
}

fn responders(r: &TraceResult) -> Vec<Vec<std::net::IpAddr>> {
    r.hops
        .iter()
        .map(|h| h.responders().into_iter().map(|(a, _)| a).collect())
        .collect()
}

#[test]
fn both_shapes_find_the_same_hops_and_end_for_every_kind() {
    let paths: [&[Hop]; 4] = [
        &[Hop::Router(R1), Hop::Router(R2), Hop::Router(R3), Hop::Open],
        &[Hop::Router(R1), Hop::Silent, Hop::Router(R3), Hop::Closed],
        &[Hop::Router(R1), Hop::Unreachable(R2, 13), Hop::Open],
        &[Hop::Router(R1), Hop::Balanced(R3, R3B), Hop::Mute],
    ];
    for (n, path) in paths.iter().enumerate() {
        for (protocol, port) in KINDS {
            let captured = trace(path, protocol, port, false);
            let rebuilt = trace(path, protocol, port, true);
            let what = format!("{protocol} on path {n}");
            assert_eq!(responders(&rebuilt), responders(&captured), "{what}");
            assert_eq!(rebuilt.end, captured.end, "{what}");
            assert!(crate::quotes::changes(&rebuilt).is_empty(), "{what}");
        }
    }
}

#[test]
fn a_rewriting_middlebox_is_not_claimed_from_rebuilt_quotes() {
    let path = [
        Hop::Router(R1),
        Hop::RewritesChecksum(R2),
        Hop::Router(R3),
        Hop::Closed,
    ];
    for (protocol, port) in KINDS {
        let captured = trace(&path, protocol, port, false);
        // An 8-byte quote holds UDP's and ICMP's checksum, not TCP's.
        let seen = !crate::quotes::changes(&captured).is_empty();
        assert_eq!(seen, protocol != Protocol::Tcp, "{protocol}");
        let rebuilt = trace(&path, protocol, port, true);
        assert!(crate::quotes::changes(&rebuilt).is_empty(), "{protocol}");
        assert_eq!(responders(&rebuilt), responders(&captured), "{protocol}");
    }
}

#[test]
fn the_ttl_of_a_rebuilt_tcp_answer_is_unknown_and_an_icmp_one_s_is_kept() {
    let path = [Hop::Router(R1), Hop::Open];
    let tcp = trace(&path, Protocol::Tcp, 80, true);
    let (reached, _) = tcp.hops[1].destination().unwrap();
    assert_eq!(reached.arrived_ttl(), None);
    let router = tcp.hops[0].probes[0].answer().unwrap();
    assert!(router.0.arrived_ttl().is_some());
    // The simulator's echo reply comes from a "closed" destination.
    let icmp = trace(&[Hop::Router(R1), Hop::Closed], Protocol::Icmp, 0, true);
    let (reply, _) = icmp
        .hops
        .iter()
        .find_map(|h| h.destination())
        .expect("{icmp:?}");
    assert!(reply.arrived_ttl().is_some());
}
