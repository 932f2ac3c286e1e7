//! Engine tests: scripted paths, a fake clock, packets built by
//! `tracetcp_strategies::answer` exactly as kernels send them.

use super::*;
use crate::trace::{HopResult, TraceEnd, TraceResult};
use std::time::Duration;
use tracetcp_strategies::{answer, Instance, ReplyKind, Unreachable};

const SRC: &str = "198.18.0.1";
const DST: &str = "198.18.9.2";
const T0: u64 = 1_700_000_000_000_000_000;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn session() -> Session {
    Session::new(ip(SRC), ip(DST), Instance::new(0x4242).unwrap()).unwrap()
}

/// What sits at one hop of a scripted path.
#[derive(Clone, Copy)]
enum Hop {
    Router(&'static str),
    /// Answers from one of two routers, alternating per probe.
    Balanced(&'static str, &'static str),
    Silent,
    Unreachable(&'static str, u8),
    /// The destination: SYN-ACK (open), RST (closed) or nothing.
    Open,
    Closed,
    Mute,
}

/// A discrete-event simulation of a path: every probe is seen leaving at
/// once and its answer arrives `rtt * ttl` later.
struct Sim {
    path: Vec<Hop>,
    rtt: Duration,
    now: Timestamp,
    queue: BinaryHeap<Reverse<(Timestamp, u64, Vec<u8>)>>,
    seq: u64,
    sent: u64,
    /// Every packet delivered, for replaying.
    log: Vec<(Timestamp, Vec<u8>)>,
    events: Vec<Event>,
}

impl Sim {
    fn new(path: Vec<Hop>) -> Self {
        Sim {
            path,
            rtt: ms(1),
            now: Timestamp::from_nanos(T0),
            queue: BinaryHeap::new(),
            seq: 0,
            sent: 0,
            log: Vec::new(),
            events: Vec::new(),
        }
    }

    fn push(&mut self, at: Timestamp, bytes: Vec<u8>) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, bytes)));
    }

    fn answer(&self, ttl: u8, probe: &[u8], nth: u64) -> Option<Vec<u8>> {
        // Every TTL at or beyond the last hop reaches the destination.
        let hop = *self.path.get(usize::from(ttl) - 1).or(self.path.last())?;
        match hop {
            Hop::Router(a) => answer::time_exceeded(ip(a), probe, 8),
            Hop::Balanced(a, b) => {
                answer::time_exceeded(ip(if nth.is_multiple_of(2) { a } else { b }), probe, 8)
            }
            Hop::Silent | Hop::Mute => None,
            Hop::Unreachable(a, code) => answer::unreachable(ip(a), probe, code),
            Hop::Open => answer::tcp_answer(probe, 0x02),
            Hop::Closed => answer::tcp_answer(probe, 0x04),
        }
    }

    fn run(&mut self, engine: &mut Engine) {
        for _ in 0..1_000_000 {
            while let Some(tx) = engine.poll_transmit(self.now) {
                self.sent += 1;
                let seen = self.now.after(Duration::from_micros(10));
                self.push(seen, tx.packet.clone());
                if let Some(a) = self.answer(tx.ttl, &tx.packet, u64::from(tx.index)) {
                    self.push(seen.after(self.rtt * u32::from(tx.ttl)), a);
                }
            }
            self.drain(engine);
            if engine.is_finished() {
                return;
            }
            let next_packet = self.queue.peek().map(|Reverse((t, _, _))| *t);
            let wake = engine
                .next_wakeup()
                .map(|t| t.after(Duration::from_nanos(1)));
            self.now = match (next_packet, wake) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).expect("engine stalled: nothing to wait for"),
            };
            while let Some(Reverse((t, _, bytes))) = self.queue.peek().cloned() {
                if t > self.now {
                    break;
                }
                self.queue.pop();
                engine.handle_packet(t, &bytes);
                self.log.push((t, bytes));
            }
            engine.handle_timeout(self.now);
            self.drain(engine);
        }
        panic!("simulation did not finish");
    }

    fn drain(&mut self, engine: &mut Engine) {
        while let Some(e) = engine.poll_event() {
            self.events.push(e);
        }
    }

    fn elapsed(&self) -> Duration {
        self.now.since(Timestamp::from_nanos(T0))
    }
}

fn settings(max_hops: u8) -> Settings {
    Settings {
        max_hops,
        timeout: ms(500),
        ..Settings::default()
    }
}

fn trace(path: Vec<Hop>, max_hops: u8) -> (TraceResult, Sim) {
    let mut e = Engine::live(
        settings(max_hops),
        session(),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let mut sim = Sim::new(path);
    sim.run(&mut e);
    (e.result(0), sim)
}

fn addrs(hop: &HopResult) -> Vec<IpAddr> {
    hop.responders().into_iter().map(|(a, _)| a).collect()
}

const R1: &str = "198.18.1.1";
const R2: &str = "198.18.2.1";
const R3: &str = "198.18.3.1";
const R3B: &str = "198.18.33.1";

#[test]
fn clean_path_reaches_the_destination() {
    let (r, sim) = trace(
        vec![Hop::Router(R1), Hop::Router(R2), Hop::Router(R3), Hop::Open],
        30,
    );
    assert_eq!(r.hops.len(), 4);
    for (hop, want) in r.hops.iter().zip([R1, R2, R3]) {
        assert_eq!(addrs(hop), vec![ip(want)]);
        assert_eq!(hop.probes.len(), 3);
        for p in &hop.probes {
            let (_, rtt) = p.answer().unwrap();
            assert_eq!(rtt, ms(u64::from(hop.ttl)), "RTT from capture timestamps");
        }
    }
    assert_eq!(
        r.end,
        TraceEnd::Reached {
            ttl: 4,
            kind: ReplyKind::SynAck,
            from: ip(DST)
        }
    );
    // One round trip to the farthest answer; no timeout waited for.
    assert!(sim.elapsed() < ms(100), "took {:?}", sim.elapsed());
}

#[test]
fn rst_means_port_closed() {
    let (r, _) = trace(vec![Hop::Router(R1), Hop::Closed], 30);
    assert_eq!(
        r.end,
        TraceEnd::Reached {
            ttl: 2,
            kind: ReplyKind::Rst,
            from: ip(DST)
        }
    );
}

#[test]
fn a_silent_hop_shows_lost_probes_and_later_hops_answer() {
    let (r, _) = trace(
        vec![Hop::Router(R1), Hop::Silent, Hop::Router(R3), Hop::Open],
        30,
    );
    assert!(r.hops[1].all_lost());
    assert_eq!(r.hops[1].probes.len(), 3);
    assert_eq!(addrs(&r.hops[2]), vec![ip(R3)]);
    assert!(matches!(r.end, TraceEnd::Reached { ttl: 4, .. }));
}

#[test]
fn silence_after_hop_k_costs_one_timeout_whatever_the_max_hops() {
    let (r, sim) = trace(vec![Hop::Router(R1), Hop::Router(R2), Hop::Mute], 30);
    assert_eq!(r.hops.len(), 30);
    assert!(r.hops[2..].iter().all(HopResult::all_lost));
    assert_eq!(r.end, TraceEnd::MaxHops);
    assert!(sim.elapsed() < ms(500 + 100), "took {:?}", sim.elapsed());
    assert_eq!(sim.sent, 90);
}

#[test]
fn unreachable_ends_the_trace_with_its_flag() {
    for (code, reason) in [
        (0, Unreachable::Network),
        (13, Unreachable::AdminProhibited),
    ] {
        let (r, _) = trace(
            vec![Hop::Router(R1), Hop::Unreachable(R2, code), Hop::Open],
            30,
        );
        assert_eq!(r.hops.len(), 2);
        assert_eq!(
            r.end,
            TraceEnd::Unreachable {
                ttl: 2,
                reason,
                from: ip(R2)
            }
        );
    }
}

#[test]
fn two_responders_at_one_hop_are_both_kept() {
    let (r, _) = trace(vec![Hop::Router(R1), Hop::Balanced(R3, R3B), Hop::Open], 30);
    let responders = r.hops[1].responders();
    assert_eq!(responders.len(), 2);
    assert_eq!(responders[0].0, ip(R3));
    assert_eq!(
        responders[0].1.iter().map(|p| p.index).collect::<Vec<_>>(),
        vec![0, 2]
    );
    assert_eq!(
        responders[1].1.iter().map(|p| p.index).collect::<Vec<_>>(),
        vec![1]
    );
}

#[test]
fn only_the_lowest_ttl_the_destination_answers_counts() {
    // Probes with TTL 3..30 all reach the destination; only hop 3 shows.
    let (r, sim) = trace(vec![Hop::Router(R1), Hop::Router(R2), Hop::Open], 30);
    assert_eq!(r.hops.len(), 3);
    assert_eq!(
        r.end,
        TraceEnd::Reached {
            ttl: 3,
            kind: ReplyKind::SynAck,
            from: ip(DST)
        }
    );
    assert!(sim.sent > 9, "higher TTLs were in flight too");
}

#[test]
fn hops_are_reported_in_order_then_the_trace_is_done() {
    let (_, sim) = trace(
        vec![Hop::Router(R1), Hop::Silent, Hop::Router(R3), Hop::Open],
        30,
    );
    let hops: Vec<u8> = sim
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Hop { ttl, .. } => Some(*ttl),
            _ => None,
        })
        .collect();
    assert_eq!(hops, vec![1, 2, 3, 4]);
    assert_eq!(sim.events.last(), Some(&Event::TraceDone { trace: 0 }));
}

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

#[test]
fn a_duplicate_answer_counts_once() {
    let (mut e, tx, t0) = one_probe();
    let te = answer::time_exceeded(ip(R1), &tx.packet, 8).unwrap();
    assert!(matches!(
        e.handle_packet(t0.after(ms(1)), &te),
        Verdict::Answer { .. }
    ));
    assert_eq!(
        e.handle_packet(t0.after(ms(2)), &te),
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
    for (ts, bytes) in &sim.log {
        replay.handle_packet(*ts, bytes);
        replay.handle_timeout(*ts);
    }
    replay.end_of_recording();
    assert!(replay.is_finished());
    assert_eq!(replay.results(), live.results());
}

#[test]
fn port_range_is_paced_under_router_icmp_limits() {
    // 11 ports, one probe each at TTL 1: a router answers 6 at once, then
    // one a second; the engine must not send faster than that.
    let s = Settings {
        max_hops: 1,
        probes_per_hop: 1,
        timeout: ms(500),
        ..Settings::default()
    };
    let specs = (130..=140)
        .map(|p| TraceSpec::new(Protocol::Tcp, p))
        .collect();
    let mut e = Engine::live(s.clone(), session(), specs);
    let t0 = Timestamp::from_nanos(T0);
    let mut at_once = 0;
    while e.poll_transmit(t0).is_some() {
        at_once += 1;
    }
    assert_eq!(at_once, 6);
    assert!(e.poll_transmit(t0.after(ms(999))).is_none());
    assert!(e.poll_transmit(t0.after(ms(1000))).is_some());

    let specs = (130..=140)
        .map(|p| TraceSpec::new(Protocol::Tcp, p))
        .collect();
    let mut unpaced = Engine::live(Settings { pacing: false, ..s }, session(), specs);
    let mut n = 0;
    while unpaced.poll_transmit(t0).is_some() {
        n += 1;
    }
    assert_eq!(n, 11, "-F sends every port at once");
}

#[test]
fn concurrent_traces_each_get_their_answers() {
    let specs = vec![
        TraceSpec::new(Protocol::Tcp, 80),
        TraceSpec::new(Protocol::Tcp, 443),
    ];
    let mut e = Engine::live(settings(30), session(), specs);
    let mut sim = Sim::new(vec![Hop::Router(R1), Hop::Open]);
    sim.run(&mut e);
    for r in e.results() {
        assert_eq!(r.hops.len(), 2);
        assert!(matches!(r.end, TraceEnd::Reached { ttl: 2, .. }));
    }
}

#[test]
fn interrupt_keeps_what_was_found() {
    let mut e = Engine::live(
        settings(30),
        session(),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let t0 = Timestamp::from_nanos(T0);
    let tx = e.poll_transmit(t0).unwrap();
    e.handle_packet(t0, &tx.packet);
    let te = answer::time_exceeded(ip(R1), &tx.packet, 8).unwrap();
    e.handle_packet(t0.after(ms(1)), &te);
    e.interrupt();
    assert!(e.poll_transmit(t0.after(ms(2))).is_none());
    let r = e.result(0);
    assert_eq!(r.end, TraceEnd::Interrupted);
    assert_eq!(r.hops.len(), 1);
    assert_eq!(addrs(&r.hops[0]), vec![ip(R1)]);
}
