//! The rounds prober on the path simulator, live and replayed.

use super::*;
use crate::driver::sim::{Hop, Sim, T0};
use crate::driver::{self, Io, NoSender, PacketClock, Script};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracetcp_strategies::Protocol;

fn session() -> Session {
    Session::new(
        "198.18.0.1".parse().unwrap(),
        "198.18.9.2".parse().unwrap(),
        Instance::new(0xfffd).unwrap(),
    )
    .unwrap()
}

fn settings() -> Settings {
    Settings {
        probes_per_hop: 1,
        timeout: Duration::from_millis(500),
        ..Settings::default()
    }
}

fn schedule(cycles: u64) -> Schedule {
    Schedule {
        cycles: Some(cycles),
        interval: Duration::from_secs(1),
    }
}

fn specs() -> Vec<TraceSpec> {
    vec![
        TraceSpec::new(Protocol::Tcp, 80),
        TraceSpec::new(Protocol::Icmp, 0),
    ]
}

fn path() -> Vec<Hop> {
    vec![
        Hop::Router("198.18.1.1"),
        Hop::Silent,
        Hop::Balanced("198.18.3.1", "198.18.3.2"),
        // A closed port: RST to TCP, an echo reply to ICMP.
        Hop::Closed,
    ]
}

#[test]
fn instances_differ_per_round_and_skip_the_special_values() {
    let base = Instance::new(0xfffd).unwrap();
    let values: Vec<u16> = (0..4).map(|n| round_instance(base, n, 1).get()).collect();
    assert_eq!(values, vec![0xfffd, 0xfffe, 1, 2]);
    assert_eq!(round_instance(base, 0xfffe, 1), base);
    let spaced: Vec<u16> = (0..3).map(|n| round_instance(base, n, 100).get()).collect();
    assert_eq!(spaced, vec![0xfffd, 99, 199]);
}

#[test]
fn rounds_run_on_schedule_and_fold_their_figures() {
    let mut rounds = Rounds::live(settings(), session(), specs(), schedule(5));
    let mut sim = Sim::new(path());
    sim.run_prober(&mut rounds, &mut ());
    let s = rounds.summary();
    assert_eq!(s.rounds, 5);
    for t in &s.traces {
        assert_eq!((t.rounds, t.reached, t.destination_ttl), (5, 5, Some(4)));
        let sent: Vec<u64> = t.hops.iter().map(|h| h.sent).collect();
        let received: Vec<u64> = t.hops.iter().map(|h| h.received).collect();
        assert_eq!(sent[..4], [5, 5, 5, 5], "{}", t.spec.name());
        assert_eq!(received[..4], [5, 0, 5, 5], "{}", t.spec.name());
    }
    // The balanced hop alternates per packet: between them, the two
    // traces saw both routers.
    let mut third: Vec<_> = s
        .traces
        .iter()
        .flat_map(|t| t.hops[2].responders.clone())
        .collect();
    third.sort();
    third.dedup_by_key(|(a, _)| *a);
    assert_eq!(third.len(), 2, "{third:?}");
    // Five rounds one second apart, the last one waiting at most its
    // timeout.
    let took = sim.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

#[test]
fn a_replay_of_the_rounds_gives_the_same_figures() {
    let mut live = Rounds::live(settings(), session(), specs(), schedule(4));
    let mut sim = Sim::new(path());
    sim.run_prober(&mut live, &mut ());
    let mut replay = Rounds::replay(settings(), session(), specs(), schedule(4));
    let io = Io {
        source: &mut Script::new(sim.log.clone()),
        clock: &PacketClock::starting_at(crate::time::Timestamp::from_nanos(T0)),
        sender: &mut NoSender,
    };
    driver::run(&mut replay, io, &mut (), &AtomicBool::new(false)).unwrap();
    assert_eq!(replay.summary(), live.summary());
    assert_eq!(replay.started(), 4);
}

#[test]
fn an_interrupted_run_counts_whole_rounds_only() {
    let mut rounds = Rounds::live(
        settings(),
        session(),
        specs(),
        Schedule {
            cycles: None,
            interval: Duration::from_secs(1),
        },
    );
    let mut sim = Sim::new(path());
    // Stop after about three rounds, whatever is in flight.
    struct StopAfter(u64);
    impl crate::driver::Observer<Rounds> for StopAfter {
        fn step(&mut self, r: &mut Rounds) -> crate::error::Result<()> {
            if r.summary().rounds >= self.0 {
                r.interrupt();
            }
            Ok(())
        }
    }
    sim.run_prober(&mut rounds, &mut StopAfter(3));
    let s = rounds.summary();
    assert_eq!(s.rounds, 3);
    assert!(s.traces.iter().all(|t| t.hops[0].sent == 3));
}

#[test]
fn rounds_faster_than_routers_answer_are_paced_not_lost() {
    let specs = vec![
        TraceSpec::new(Protocol::Tcp, 80),
        TraceSpec::new(Protocol::Udp, 33434),
        TraceSpec::new(Protocol::Icmp, 0),
    ];
    let fast = Schedule {
        cycles: Some(6),
        interval: Duration::from_millis(500),
    };
    let mut rounds = Rounds::live(settings(), session(), specs, fast);
    let mut sim = Sim::new(vec![Hop::Router("198.18.1.1"), Hop::Closed]);
    sim.run_prober(&mut rounds, &mut ());
    for t in &rounds.summary().traces {
        let h = &t.hops[0];
        assert_eq!((h.sent, h.received), (6, 6), "{}", t.spec.name());
    }
    // 18 probes to the router: 6 at once, then one a second.
    assert!(
        sim.elapsed() >= Duration::from_secs(11),
        "{:?}",
        sim.elapsed()
    );
}
