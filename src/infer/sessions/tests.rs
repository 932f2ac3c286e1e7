//! Sessions found in hand-built captures: a traceroute's probes among
//! unrelated traffic, two kinds at once, one session after another.

use super::*;
use tracetcp_strategies::{answer, strategy_for, Instance, ProbeKey, ProbeSpec};

const T0: u64 = 1_700_000_000_000_000_000;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_nanos(T0 + ms * 1_000_000)
}

fn probe(protocol: Protocol, ttl: u8, key: u16) -> Vec<u8> {
    let s = tracetcp_strategies::Session::new(
        "198.18.0.1".parse().unwrap(),
        "198.18.3.2".parse().unwrap(),
        Instance::new(9).unwrap(),
    )
    .unwrap();
    strategy_for(protocol, s).build_probe(&ProbeSpec {
        ttl,
        key: ProbeKey::new(key).unwrap(),
        dst_port: 80,
        flow: Flow::new(40_000 + key),
        size: None,
    })
}

/// A traceroute of `protocol` over r1 - r2 - r3(silent) - server, 3
/// probes a hop from TTL 1 to 5, starting at `start` ms; answers 1 ms on.
fn traceroute(f: &mut Finder, protocol: Protocol, start: u64, key0: u16) {
    for ttl in 1..=5u8 {
        for n in 0..3u16 {
            let key = key0 + u16::from(ttl) * 3 + n;
            let t = start + u64::from(ttl) * 10 + u64::from(n);
            let p = probe(protocol, ttl, key);
            assert!(matches!(f.packet(at(t), &p), Taken::Probe { .. }));
            let reply = match ttl {
                1 | 2 => {
                    answer::time_exceeded(format!("198.18.{}.2", ttl - 1).parse().unwrap(), &p, 8)
                }
                3 => None,
                _ => match protocol {
                    Protocol::Tcp => answer::tcp_answer(&p, 0x02),
                    Protocol::Udp => answer::unreachable("198.18.3.2".parse().unwrap(), &p, 3),
                    Protocol::Icmp => answer::echo_reply(&p),
                },
            };
            if let Some(r) = reply {
                assert!(matches!(f.packet(at(t + 1), &r), Taken::Answer { .. }));
            }
        }
    }
}

#[test]
fn a_traceroute_among_other_traffic_is_rebuilt() {
    let mut f = Finder::default();
    // Ordinary traffic: a SYN with TTL 64, its SYN-ACK, garbage.
    let ordinary = probe(Protocol::Tcp, 64, 1);
    assert_eq!(f.packet(at(0), &ordinary), Taken::Nothing);
    assert_eq!(
        f.packet(at(0), &answer::tcp_answer(&ordinary, 0x02).unwrap()),
        Taken::Nothing
    );
    assert_eq!(f.packet(at(0), &[0x45, 0, 1]), Taken::Nothing);
    traceroute(&mut f, Protocol::Tcp, 100, 100);
    traceroute(&mut f, Protocol::Icmp, 100, 200);
    let sessions = f.finish();
    assert_eq!(sessions.len(), 2);
    for s in &sessions {
        let [r] = &s.results()[..] else {
            panic!("one round")
        };
        assert_eq!(
            r.hops.len(),
            4,
            "{:?}: to the destination's hop",
            s.protocol
        );
        assert!(
            matches!(r.end, TraceEnd::Reached { ttl: 4, .. }),
            "{:?}",
            r.end
        );
        assert_eq!(
            r.hops[0].first_responder(),
            Some("198.18.0.2".parse().unwrap())
        );
        assert!(r.hops[2].all_lost());
        let (_, rtt) = r.hops[1].probes[0].answer().unwrap();
        assert_eq!(rtt, Duration::from_millis(1));
        let settings = s.settings();
        assert_eq!(
            (
                settings.first_ttl,
                settings.max_hops,
                settings.probes_per_hop
            ),
            (1, 5, 3)
        );
        assert!(s.flows_vary, "each probe on its own source port here");
    }
    assert_eq!(sessions[0].protocol, Protocol::Tcp);
    assert_eq!(sessions[0].port, 80);
}

#[test]
fn a_pause_longer_than_the_gap_starts_another_session() {
    let mut f = Finder::default();
    traceroute(&mut f, Protocol::Udp, 0, 100);
    traceroute(&mut f, Protocol::Udp, 20_000, 300);
    let sessions = f.finish();
    assert_eq!(sessions.len(), 2);
    assert!(sessions[1].first.since(sessions[0].last) > GAP);
    assert!(matches!(
        sessions[1].results()[0].end,
        TraceEnd::Reached { ttl: 4, .. }
    ));
}

#[test]
fn going_back_to_the_lowest_ttl_starts_a_round() {
    let mut f = Finder::default();
    traceroute(&mut f, Protocol::Tcp, 0, 100);
    traceroute(&mut f, Protocol::Tcp, 1_000, 300);
    traceroute(&mut f, Protocol::Tcp, 2_000, 500);
    let sessions = f.finish();
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(s.rounds.len(), 3);
    let results = s.results();
    assert!(results
        .iter()
        .all(|r| matches!(r.end, TraceEnd::Reached { ttl: 4, .. }) && r.hops[0].probes.len() == 3));
    assert_eq!(s.schedule().cycles, Some(3));
    assert_eq!(s.schedule().interval, Duration::from_secs(1));
    assert_eq!(s.settings().probes_per_hop, 3, "per hop of a round");
}

#[test]
fn ttls_going_down_in_one_pass_are_one_round() {
    // nmap: TTL 6 down to 1, then again at 2 (a retry): one round.
    let mut f = Finder::default();
    for (n, ttl) in [6u8, 5, 4, 3, 2, 1, 2].into_iter().enumerate() {
        let taken = f.packet(at(n as u64), &probe(Protocol::Tcp, ttl, 10 + n as u16));
        assert!(matches!(taken, Taken::Probe { round: 0, .. }), "{taken:?}");
    }
    let sessions = f.finish();
    assert_eq!(sessions[0].rounds.len(), 1);
    assert_eq!(sessions[0].settings().first_ttl, 1);
}
