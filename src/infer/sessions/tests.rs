//! Sessions found in hand-built captures: a traceroute's probes among
//! unrelated traffic, two kinds at once, one session after another.

use super::*;
use crate::trace::TraceEnd;
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

/// A UDP probe as Linux traceroute sends it (a destination port per
/// probe), with `ident` as its IPv4 identification.
fn udp_probe(ttl: u8, port: u16, ident: u16) -> Vec<u8> {
    let udp = [0x9c, 0x40, (port >> 8) as u8, port as u8, 0, 40, 0x12, 0x34];
    let mut data = udp.to_vec();
    data.resize(40, 0);
    tracetcp_strategies::wire::IpHeader {
        ident,
        ..tracetcp_strategies::wire::IpHeader::plain(
            "198.18.0.1".parse().unwrap(),
            "198.18.3.2".parse().unwrap(),
            17,
            ttl,
        )
    }
    .packet(&data)
}

fn answered(s: &Session) -> Vec<(u8, usize)> {
    let [r] = &s.results()[..] else {
        panic!("one round")
    };
    r.hops
        .iter()
        .map(|h| {
            (
                h.ttl,
                h.probes.iter().filter(|p| p.answer().is_some()).count(),
            )
        })
        .collect()
}

/// A home NAT rewrote the quoted checksum and IP identification and
/// never restored them; another capture holds probes whose checksum the
/// sending host's card fills in (transmit offload: the capture has a
/// partial sum). Both match by destination and port.
#[test]
fn answers_whose_quote_differs_from_the_probe_still_match() {
    use tracetcp_strategies::reshape::{reshape, Reshape};
    for offload in [false, true] {
        let mut f = Finder::default();
        for ttl in 1..=3u8 {
            let port = 33433 + u16::from(ttl);
            let p = udp_probe(ttl, port, 0x100 + u16::from(ttl));
            let mut captured = p.clone();
            if offload {
                captured[26..28].copy_from_slice(&[0xab, 0xcd]);
            }
            assert!(matches!(
                f.packet(at(u64::from(ttl) * 10), &captured),
                Taken::Probe { .. }
            ));
            let router = format!("198.18.{}.2", ttl - 1).parse().unwrap();
            let te = answer::time_exceeded(router, &p, 8).unwrap();
            let te = if offload {
                te
            } else {
                reshape(&te, Reshape::QuoteRewritten).unwrap()
            };
            let t = at(u64::from(ttl) * 10 + 1);
            assert!(
                matches!(f.packet(t, &te), Taken::Answer { .. }),
                "offload={offload}"
            );
        }
        let sessions = f.finish();
        assert_eq!(answered(&sessions[0]), vec![(1, 1), (2, 1), (3, 1)]);
    }
}

/// A 2000-byte probe goes out in two fragments: one probe, and the
/// router's answer (quoting the first fragment) is its answer.
#[test]
fn a_fragmented_probe_is_one_probe() {
    let mut f = Finder::default();
    for ttl in 1..=2u8 {
        let whole = udp_probe(ttl, 33433 + u16::from(ttl), 0x200 + u16::from(ttl));
        let mut first = whole[..28].to_vec();
        first.extend_from_slice(&[0; 16]);
        first[2..4].copy_from_slice(&44u16.to_be_bytes());
        first[6] = 0x20; // more fragments
        let mut second = whole[..20].to_vec();
        second.extend_from_slice(&[0; 24]);
        second[2..4].copy_from_slice(&44u16.to_be_bytes());
        second[6..8].copy_from_slice(&3u16.to_be_bytes()); // offset 24 bytes
        let t = u64::from(ttl) * 10;
        assert!(matches!(f.packet(at(t), &first), Taken::Probe { .. }));
        assert_eq!(f.packet(at(t), &second), Taken::Nothing);
        let router = format!("198.18.{}.2", ttl - 1).parse().unwrap();
        let te = answer::time_exceeded(router, &first, 8).unwrap();
        assert!(matches!(f.packet(at(t + 1), &te), Taken::Answer { .. }));
    }
    let sessions = f.finish();
    assert_eq!(answered(&sessions[0]), vec![(1, 1), (2, 1)]);
}

/// Windows tracert looks up each hop's name before the next: a slow
/// look-up (here 15 s) between hops does not split the run.
#[test]
fn a_tool_that_waits_between_hops_is_one_session() {
    let mut f = Finder::default();
    for ttl in 1..=4u8 {
        let t = u64::from(ttl) * 15_000;
        let p = udp_probe(ttl, 33434, 0x300 + u16::from(ttl));
        assert!(matches!(f.packet(at(t), &p), Taken::Probe { .. }));
    }
    // After 15 s, going back to TTL 1 is another run.
    let again = udp_probe(1, 33434, 0x400);
    assert!(matches!(f.packet(at(75_000), &again), Taken::Probe { .. }));
    let sessions = f.finish();
    assert_eq!(sessions.len(), 1, "a session of the first run only");
    assert_eq!(sessions[0].results()[0].hops.len(), 4);
}

/// MPLS label stacks of routers that answer an inferred session show, in
/// the pre-RFC 4884 layout too.
#[test]
fn inferred_answers_keep_their_mpls_stacks() {
    use tracetcp_strategies::reshape::{reshape, Reshape};
    let mut f = Finder::default();
    let p = udp_probe(1, 33434, 0x500);
    let q = udp_probe(2, 33435, 0x501);
    assert!(matches!(f.packet(at(0), &p), Taken::Probe { .. }));
    assert!(matches!(f.packet(at(1), &q), Taken::Probe { .. }));
    for (probe, router, t) in [(&p, "198.18.0.2", 2), (&q, "198.18.1.2", 3)] {
        let te = answer::time_exceeded(router.parse().unwrap(), probe, 8).unwrap();
        let te = reshape(&te, Reshape::MplsPre4884).unwrap();
        assert!(matches!(f.packet(at(t), &te), Taken::Answer { .. }));
    }
    let sessions = f.finish();
    let r = &sessions[0].results()[0];
    for h in &r.hops {
        let (a, _) = h.probes[0].answer().unwrap();
        assert!(!a.mpls.is_empty(), "hop {}", h.ttl);
    }
}
