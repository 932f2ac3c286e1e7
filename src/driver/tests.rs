//! Driver tests: the seams plugged with scripts and the path simulator,
//! and probers other than the plain engine (rounds, adaptive probing)
//! running through the same loop.

use super::sim::{Hop, Sim, T0};
use super::*;
use crate::engine::Settings;
use crate::trace::{TraceEnd, TraceSpec};
use tracetcp_strategies::{
    strategy_for, Classification, Instance, ProbeKey, ProbeSpec, Protocol, ReplyKind, Session,
    Strategy,
};

const SRC: &str = "198.18.0.1";
const DST: &str = "198.18.9.2";

fn session(instance: u16) -> Session {
    Session::new(
        SRC.parse().unwrap(),
        DST.parse().unwrap(),
        Instance::new(instance).unwrap(),
    )
    .unwrap()
}

fn engine(instance: u16) -> Engine {
    let settings = Settings {
        timeout: Duration::from_millis(500),
        ..Settings::default()
    };
    Engine::live(
        settings,
        session(instance),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    )
}

fn path() -> Vec<Hop> {
    vec![
        Hop::Router("198.18.1.1"),
        Hop::Router("198.18.2.1"),
        Hop::Open,
    ]
}

/// Rounds: one engine after another, as a watch mode would run them.
struct Rounds {
    rounds: Vec<Engine>,
    current: usize,
}

impl Rounds {
    fn now(&mut self) -> &mut Engine {
        if self.rounds[self.current].is_finished() && self.current + 1 < self.rounds.len() {
            self.current += 1;
        }
        &mut self.rounds[self.current]
    }
}

impl Prober for Rounds {
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        self.now().poll_transmit(now)
    }
    fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        self.now().handle_packet(ts, packet)
    }
    fn handle_timeout(&mut self, now: Timestamp) {
        self.now().handle_timeout(now)
    }
    fn next_wakeup(&self) -> Option<Timestamp> {
        self.rounds[self.current].next_wakeup()
    }
    fn is_finished(&self) -> bool {
        self.rounds.iter().all(Engine::is_finished)
    }
    fn interrupt(&mut self) {
        self.now().interrupt()
    }
    fn end_of_input(&mut self) {
        self.now().end_of_recording()
    }
    fn progress(&self, now: Timestamp) -> Progress {
        self.rounds[self.current].progress(now)
    }
}

#[test]
fn rounds_run_through_the_same_driver() {
    let mut rounds = Rounds {
        rounds: vec![engine(0x101), engine(0x102), engine(0x103)],
        current: 0,
    };
    let mut sim = Sim::new(path());
    sim.run_prober(&mut rounds, &mut ());
    for e in &rounds.rounds {
        let r = e.result(0);
        assert_eq!(r.hops.len(), 3);
        assert!(matches!(r.end, TraceEnd::Reached { ttl: 3, .. }));
    }
    assert!(sim.sent >= 27, "three rounds of three hops: {}", sim.sent);
}

/// Adaptive probing: the next probe depends on the last answer (one TTL
/// at a time, the way the original tool walked the path).
struct OneByOne {
    strategy: Box<dyn Strategy>,
    ttl: u8,
    waiting: bool,
    done: bool,
    answers: Vec<(u8, ReplyKind)>,
}

impl Prober for OneByOne {
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        if self.waiting || self.done {
            return None;
        }
        self.waiting = true;
        let spec = ProbeSpec {
            ttl: self.ttl,
            key: ProbeKey::for_index(u64::from(self.ttl)),
            dst_port: 80,
            flow: self.strategy.session().flow(),
            size: None,
        };
        let _ = now;
        Some(Transmit {
            trace: 0,
            ttl: self.ttl,
            index: 0,
            destination: DST.parse().unwrap(),
            packet: self.strategy.build_probe(&spec),
        })
    }
    fn handle_packet(&mut self, _ts: Timestamp, packet: &[u8]) -> Verdict {
        if let Classification::Reply(reply) = self.strategy.classify(packet) {
            self.answers.push((self.ttl, reply.kind));
            self.done = reply.kind.is_destination();
            self.waiting = false;
            self.ttl += 1;
        }
        Verdict::NotIp
    }
    fn handle_timeout(&mut self, _now: Timestamp) {}
    fn next_wakeup(&self) -> Option<Timestamp> {
        None
    }
    fn is_finished(&self) -> bool {
        self.done
    }
    fn interrupt(&mut self) {
        self.done = true;
    }
    fn end_of_input(&mut self) {}
    fn progress(&self, _now: Timestamp) -> Progress {
        Progress {
            done: self.answers.len() as u64,
            total: None,
            unit: "hops",
            sent: u64::from(self.ttl),
            paced: Duration::ZERO,
            out_of_keys: false,
        }
    }
}

#[test]
fn a_prober_can_choose_its_next_probe_from_the_answers() {
    let mut prober = OneByOne {
        strategy: strategy_for(Protocol::Tcp, session(0x4242)),
        ttl: 1,
        waiting: false,
        done: false,
        answers: Vec::new(),
    };
    let mut sim = Sim::new(path());
    sim.run_prober(&mut prober, &mut ());
    assert_eq!(
        prober.answers,
        vec![
            (1, ReplyKind::TimeExceeded),
            (2, ReplyKind::TimeExceeded),
            (3, ReplyKind::SynAck)
        ]
    );
    assert_eq!(sim.sent, 3);
    // One probe at a time: 1 + 2 + 3 ms of round trips, plus send delays.
    assert!(
        sim.elapsed() >= Duration::from_millis(6),
        "{:?}",
        sim.elapsed()
    );
}

#[test]
fn a_recording_of_an_interrupted_run_ends_where_it_was_stopped() {
    let mut e = Engine::replay(
        Settings::default(),
        session(0x4242),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let at = Timestamp::from_nanos(T0 + 5_000);
    let io = Io {
        source: &mut Script::new(Vec::new()).interrupted_at(at),
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    let finish = run(&mut e, io, &mut (), &AtomicBool::new(false)).unwrap();
    assert_eq!(
        finish,
        Finish {
            ending: Ending::Interrupted,
            expired_until: at
        }
    );
    assert_eq!(e.result(0).end, TraceEnd::Interrupted);
}

#[test]
fn a_stop_request_sends_nothing_more() {
    let mut e = engine(0x4242);
    let io = Io {
        source: &mut Script::new(Vec::new()),
        clock: &PacketClock::starting_at(Timestamp::from_nanos(T0)),
        sender: &mut NoSender,
    };
    let finish = run(&mut e, io, &mut (), &AtomicBool::new(true)).unwrap();
    assert_eq!(finish.ending, Ending::Interrupted);
    assert_eq!(e.probes_sent(), 0);
}

#[test]
fn packets_without_ip_are_not_ip() {
    let p = Packet {
        ts: Timestamp::default(),
        frame: &[1, 2, 3],
        ip_offset: None,
    };
    assert_eq!(p.ip(), None);
    let p = Packet {
        ip_offset: Some(9),
        ..p
    };
    assert_eq!(p.ip(), None, "an offset past the frame holds no packet");
}
