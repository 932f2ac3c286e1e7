//! Which packets are answers, on the engine alone: duplicates, late and
//! foreign answers, garbage, translated quotes, and a replay of the wire
//! giving the live result.

use super::tests::*;
use super::*;
use crate::driver::sim::{Hop, Sim, T0};
use crate::driver::{self, Io, NoSender, PacketClock, Script};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracetcp_strategies::{answer, Instance, NotOurs, ProbeKey, ProbeSpec};

/// Live engine with one probe out; returns the engine and that probe.
fn one_probe() -> (Engine, Transmit, Timestamp) {
    let s = Settings {
        max_hops: 1,
        probes_per_hop: 1,
        timeout: ms(500),
        ..Settings::default()
    };
    let mut e = Engine::live(s, session(), vec![TraceSpec::new(Protocol::Tcp, 80)]);
    let t0 = Timestamp::from_nanos(T0);
    let tx = e.poll_transmit(t0).unwrap();
    assert!(e.poll_transmit(t0).is_none());
    assert!(matches!(
        e.handle_packet(t0, &tx.packet),
        Verdict::Probe {
            ttl: 1,
            index: 0,
            ..
        }
    ));
    (e, tx, t0)
}

/// A recording with every packet written twice (a capture on "any")
/// replays as if each was written once: no probe turns into "*".
#[test]
fn a_recording_with_every_packet_twice_replays_the_same() {
    let (live, sim) = trace(vec![Hop::Router(R1), Hop::Router(R2), Hop::Closed], 30);
    let mut doubled = Vec::new();
    for (ts, bytes) in &sim.log {
        doubled.push((*ts, bytes.clone()));
        doubled.push((ts.after(Duration::from_micros(20)), bytes.clone()));
    }
    let mut e = Engine::replay(
        settings(30),
        session(),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let mut source = Script::new(doubled);
    let io = Io {
        source: &mut source,
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    driver::run(&mut e, io, &mut (), &AtomicBool::new(false)).unwrap();
    assert_eq!(e.result(0), live);
}

#[test]
fn a_duplicate_answer_counts_once() {
    let (mut e, tx, t0) = one_probe();
    let te = answer::time_exceeded(ip(R1), &tx.packet, 8).unwrap();
    assert!(matches!(
        e.handle_packet(t0.after(ms(1)), &te),
        Verdict::Answer { .. }
    ));
    // The same bytes again within a millisecond: the packet captured twice.
    assert_eq!(
        e.handle_packet(t0.after(Duration::from_micros(1500)), &te),
        Verdict::Ignored(Ignored::DuplicatePacket)
    );
    // Later: a second answer to an answered probe.
    assert_eq!(
        e.handle_packet(t0.after(ms(5)), &te),
        Verdict::Ignored(Ignored::Duplicate)
    );
    let hop = e.hop(0, 1);
    assert_eq!(hop.probes.len(), 1);
    assert_eq!(hop.probes[0].answer().unwrap().1, ms(1));
    assert!(e.is_finished());
}

#[test]
fn an_answer_after_the_timeout_is_ignored() {
    let (mut e, tx, t0) = one_probe();
    let te = answer::time_exceeded(ip(R1), &tx.packet, 8).unwrap();
    // Arrives late, before the engine noticed the timeout: still ignored.
    assert_eq!(
        e.handle_packet(t0.after(ms(501)), &te),
        Verdict::Ignored(Ignored::Late)
    );
    e.handle_timeout(t0.after(ms(502)));
    assert!(e.hop(0, 1).all_lost());
    assert!(e.is_finished());
    assert_eq!(
        e.handle_packet(t0.after(ms(503)), &te),
        Verdict::Ignored(Ignored::Late)
    );
}

#[test]
fn another_runs_answer_is_not_ours() {
    let (mut e, _, t0) = one_probe();
    let other = Session::new(ip(SRC), ip(DST), Instance::new(0x1111).unwrap()).unwrap();
    let foreign = strategy_for(Protocol::Tcp, other).build_probe(&ProbeSpec {
        ttl: 1,
        key: ProbeKey::new(0).unwrap(),
        dst_port: 80,
        flow: other.flow(),
        size: None,
    });
    let te = answer::time_exceeded(ip(R1), &foreign, 8).unwrap();
    assert_eq!(
        e.handle_packet(t0.after(ms(1)), &te),
        Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherInstance))
    );
    assert_eq!(
        e.handle_packet(t0, &foreign),
        Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherInstance))
    );
    assert!(e.hop(0, 1).probes[0].answer().is_none());
    assert!(!e.is_finished());
}

#[test]
fn garbage_changes_nothing() {
    let (mut e, _, t0) = one_probe();
    for junk in [&[][..], &[0x45][..], &[0x60; 39][..], &[0xff; 80][..]] {
        assert!(matches!(
            e.handle_packet(t0, junk),
            Verdict::Ignored(Ignored::NotOurs(_))
        ));
    }
    assert!(!e.is_finished());
}

#[test]
fn replaying_the_packets_gives_the_same_result() {
    let path = vec![
        Hop::Router(R1),
        Hop::Balanced(R3, R3B),
        Hop::Silent,
        Hop::Router(R3),
        Hop::Closed,
    ];
    let mut live = Engine::live(
        settings(30),
        session(),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let mut sim = Sim::new(path);
    sim.run(&mut live);
    let mut replay = Engine::replay(
        settings(30),
        session(),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let io = Io {
        source: &mut Script::new(sim.log.clone()),
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    driver::run(&mut replay, io, &mut (), &AtomicBool::new(false)).unwrap();
    assert!(replay.is_finished());
    assert_eq!(replay.results(), live.results());
}

/// A NAT that does not write the quotes of ICMP errors back (RFC 5508):
/// the quote shows another source, and another source port (the flow).
/// The answer is still matched to its probe by its key, and the quote
/// shows the rewrite.
#[test]
fn an_answer_quoting_a_translated_probe_is_still_ours() {
    let (mut e, tx, t0) = one_probe();
    let mut natted = tx.packet.clone();
    natted[12..16].copy_from_slice(&[198, 18, 77, 1]);
    natted[20..22].copy_from_slice(&40000u16.to_be_bytes());
    let mut te = answer::time_exceeded(ip(R1), &natted, 28).unwrap();
    // The NAT wrote the answer's destination back to us, not its quote.
    te[16..20].copy_from_slice(&ip_octets(SRC));
    assert!(matches!(
        e.handle_packet(t0.after(ms(1)), &te),
        Verdict::Answer { ttl: 1, .. }
    ));
    let r = e.result(0);
    let changes = crate::quotes::changes(&r);
    let fields: Vec<&str> = changes.iter().map(|c| c.field.name()).collect();
    assert_eq!(fields, vec!["source", "source port"], "{changes:?}");
    assert_eq!(changes[0].seen, "198.18.77.1");
}
