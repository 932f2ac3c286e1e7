//! Engine tests: scripted paths on the driver's simulator (a fake clock,
//! packets built by `tracetcp_strategies::answer` exactly as kernels send
//! them), and the helpers the other engine tests share. Which packets are
//! answers: `answer_tests.rs`.

use super::*;
use crate::driver::sim::{Hop, Sim};
use crate::trace::{HopResult, TraceEnd, TraceResult};
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::{answer, Instance, ReplyKind, Unreachable};

pub(super) const SRC: &str = "198.18.0.1";
pub(super) const DST: &str = "198.18.9.2";
use crate::driver::sim::T0;

pub(super) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn session() -> Session {
    Session::new(ip(SRC), ip(DST), Instance::new(0x4242).unwrap()).unwrap()
}

pub(super) fn settings(max_hops: u8) -> Settings {
    Settings {
        max_hops,
        timeout: ms(500),
        ..Settings::default()
    }
}

pub(super) fn trace(path: Vec<Hop>, max_hops: u8) -> (TraceResult, Sim) {
    let mut e = Engine::live(
        settings(max_hops),
        session(),
        vec![TraceSpec::new(Protocol::Tcp, 80)],
    );
    let mut sim = Sim::new(path);
    sim.run(&mut e);
    (e.result(0), sim)
}

pub(super) fn addrs(hop: &HopResult) -> Vec<IpAddr> {
    hop.responders().into_iter().map(|(a, _)| a).collect()
}

pub(super) const R1: &str = "198.18.1.1";
pub(super) const R2: &str = "198.18.2.1";
pub(super) const R3: &str = "198.18.3.1";
pub(super) const R3B: &str = "198.18.33.1";

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

/// One flow per trace: the SYNs of the destination's hop share a 4-tuple,
/// and the server (SYN-RECEIVED after the first) leaves the others
/// unanswered. The first SYN-ACK drops them from the hop, which ends with
/// its one answered probe, not "* *", and at once.
#[test]
fn an_open_port_on_one_flow_ends_its_hop_at_the_first_syn_ack() {
    let (r, sim) = trace(vec![Hop::Router(R1), Hop::Router(R2), Hop::Open], 30);
    let last = r.hops.last().unwrap();
    assert_eq!(last.ttl, 3);
    assert_eq!(last.probes.len(), 1, "{:?}", last.probes);
    assert_eq!(last.probes[0].answer().unwrap().0.kind, ReplyKind::SynAck);
    assert!(r.hops[..2]
        .iter()
        .all(|h| h.probes.len() == 3 && h.lost() == 0));
    // One round trip to the destination: nothing waits for the others.
    assert!(sim.elapsed() < ms(10), "took {:?}", sim.elapsed());
    // Every probe kept one source port.
    let ports: std::collections::BTreeSet<u16> = sim
        .log
        .iter()
        .filter(|(_, b)| b[12..16] == ip_octets(SRC))
        .map(|(_, b)| u16::from_be_bytes([b[20], b[21]]))
        .collect();
    assert_eq!(ports.len(), 1, "{ports:?}");
}

pub(super) fn ip_octets(s: &str) -> [u8; 4] {
    match ip(s) {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => unreachable!(),
    }
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

/// Go easy on the target: probes run only a few hops ahead of the answers,
/// so a target at hop 8 gets no more probes than the window holds (22;
/// traceroute -T sends it 16, trippy 24), while a silent tail still costs
/// about one timeout.
#[test]
fn the_target_gets_few_probes_and_a_silent_tail_one_timeout() {
    let mut path: Vec<Hop> = [R1, R2, R3, R1, R2, R3, R1]
        .iter()
        .map(|a| Hop::Router(a))
        .collect();
    path.push(Hop::Closed);
    let (r, sim) = trace(path, 30);
    assert!(
        matches!(r.end, TraceEnd::Reached { ttl: 8, .. }),
        "{:?}",
        r.end
    );
    let at_target = sim
        .log
        .iter()
        .filter(|(_, b)| b[12..16] == ip_octets(SRC) && b[8] >= 8)
        .count();
    assert!(at_target <= 22, "{at_target} probes reached the target");
    let (_, sim) = trace(vec![Hop::Router(R1), Hop::Router(R2), Hop::Mute], 30);
    let timeout = settings(30).timeout;
    assert!(
        sim.elapsed() <= timeout + ms(100),
        "a silent tail took {:?}",
        sim.elapsed()
    );
}
