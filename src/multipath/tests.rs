//! Multipath discovery on the driver's simulator: per-flow load
//! balancers, the engine sending what the discovery asks for.

use super::*;
use crate::driver::sim::{Hop, Sim};
use crate::engine::{Engine, Paths, Settings};
use crate::trace::TraceSpec;
use std::time::Duration;
use tracetcp_strategies::{Instance, Protocol, Session};

const A: &[&str] = &["198.18.2.1", "198.18.2.2", "198.18.2.3", "198.18.2.4"];
const B: &[&str] = &["198.18.5.1", "198.18.5.2"];
const DST: &str = "198.18.9.2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn session() -> Session {
    Session::new(ip("198.18.0.1"), ip(DST), Instance::new(0x4242).unwrap()).unwrap()
}

fn discover(path: Vec<Hop>, pacing: bool, protocol: Protocol) -> (Topology, Sim) {
    let settings = Settings {
        timeout: Duration::from_millis(500),
        pacing,
        paths: Paths::All {
            confidence: Confidence::Percent95,
        },
        ..Settings::default()
    };
    let port = if protocol == Protocol::Icmp { 0 } else { 80 };
    let mut e = Engine::live(settings, session(), vec![TraceSpec::new(protocol, port)]);
    let mut sim = Sim::new(path);
    sim.run(&mut e);
    assert!(e.is_finished());
    (Topology::of(&e.result(0)), sim)
}

fn two_diamonds() -> Vec<Hop> {
    vec![
        Hop::Router("198.18.1.1"),
        Hop::PerFlow(A),
        Hop::Router("198.18.3.1"),
        Hop::Router("198.18.4.1"),
        Hop::PerFlow(B),
        Hop::Router("198.18.6.1"),
        Hop::Open,
    ]
}

fn interfaces(t: &Topology, ttl: u8) -> Vec<IpAddr> {
    t.hops
        .iter()
        .find(|(h, _)| *h == ttl)
        .map(|(_, i)| i.iter().map(|i| i.addr).collect())
        .unwrap_or_default()
}

#[test]
fn finds_every_interface_and_only_true_links() {
    let (t, sim) = discover(two_diamonds(), false, Protocol::Tcp);
    let want = |list: &[&str]| list.iter().map(|a| ip(a)).collect::<Vec<_>>();
    assert_eq!(interfaces(&t, 2), want(A));
    assert_eq!(interfaces(&t, 5), want(B));
    assert_eq!(interfaces(&t, 7), want(&[DST]));
    assert_eq!(t.hops.len(), 7, "{:?}", t.hops);
    let mut expected = Vec::new();
    for a in A {
        expected.push(Link {
            ttl: 1,
            from: ip("198.18.1.1"),
            to: ip(a),
        });
        expected.push(Link {
            ttl: 2,
            from: ip(a),
            to: ip("198.18.3.1"),
        });
    }
    expected.push(Link {
        ttl: 3,
        from: ip("198.18.3.1"),
        to: ip("198.18.4.1"),
    });
    for b in B {
        expected.push(Link {
            ttl: 4,
            from: ip("198.18.4.1"),
            to: ip(b),
        });
        expected.push(Link {
            ttl: 5,
            from: ip(b),
            to: ip("198.18.6.1"),
        });
    }
    expected.push(Link {
        ttl: 6,
        from: ip("198.18.6.1"),
        to: ip(DST),
    });
    expected.sort();
    assert_eq!(t.links, expected);
    assert_eq!(t.diamonds(), vec![(2, 2, 4), (5, 5, 2)]);
    eprintln!("probes {} in {:?}", sim.sent, sim.elapsed());
    // A few round trips and one timeout (for the probes beyond the
    // destination), not one per probe.
    assert!(
        sim.elapsed() < Duration::from_secs(2),
        "{:?}",
        sim.elapsed()
    );
    assert!(sim.sent < 200, "{} probes", sim.sent);
}

/// Balancers that hash alike send the flows of half the first diamond
/// down one branch of the second: flows from every branch of the first
/// are tried there, so neither branch is missed.
#[test]
fn balancers_that_hash_alike_still_show_every_branch() {
    let path = vec![
        Hop::Router("198.18.1.1"),
        Hop::PerFlowAlike(A),
        Hop::Router("198.18.3.1"),
        Hop::Router("198.18.4.1"),
        Hop::PerFlowAlike(B),
        Hop::Router("198.18.6.1"),
        Hop::Open,
    ];
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        let (t, _) = discover(path.clone(), false, protocol);
        let want: Vec<IpAddr> = B.iter().map(|a| ip(a)).collect();
        assert_eq!(interfaces(&t, 5), want, "{protocol}");
        assert_eq!(interfaces(&t, 2).len(), 4, "{protocol}");
    }
}

/// An uneven split (three flows in four to one router) and a diamond
/// nested right after another (hop 2 then hop 3, each of its own width):
/// every interface is still found, and only links one flow proves.
#[test]
fn uneven_and_back_to_back_diamonds() {
    const UNEVEN: &[&str] = &["198.18.2.1", "198.18.2.1", "198.18.2.1", "198.18.2.2"];
    const NEXT: &[&str] = &["198.18.3.1", "198.18.3.2", "198.18.3.3"];
    let path = vec![
        Hop::Router("198.18.1.1"),
        Hop::PerFlow(UNEVEN),
        Hop::PerFlow(NEXT),
        Hop::Router("198.18.4.1"),
        Hop::Open,
    ];
    let (t, _) = discover(path, false, Protocol::Tcp);
    assert_eq!(interfaces(&t, 2), vec![ip("198.18.2.1"), ip("198.18.2.2")]);
    assert_eq!(interfaces(&t, 3).len(), 3);
    // Hop 3 is hashed on its own: each interface of hop 2 leads to every
    // one of hop 3 (a mesh); every link claimed was seen by one flow.
    for l in &t.links {
        let from = t.hops.iter().find(|(h, _)| *h == l.ttl).unwrap();
        assert!(from.1.iter().any(|i| i.addr == l.from));
    }
    assert_eq!(
        t.links.iter().filter(|l| l.ttl == 2).count(),
        6,
        "{:?}",
        t.links
    );
}

#[test]
#[ignore]
fn probe_breakdown() {
    let (t, _) = discover(two_diamonds(), false, Protocol::Tcp);
    for (ttl, i) in &t.hops {
        let flows: usize = i.iter().map(|i| i.flows.len()).sum();
        eprintln!("ttl {ttl}: {} interfaces, {flows} answered", i.len());
    }
}
