//! Path MTU discovery in the engine, on the simulator: a narrower link
//! that announces its MTU, one that does not (a black hole), and the
//! replay of each giving the same result.

use super::*;
use crate::driver::sim::{Hop, Narrow, Sim};
use crate::driver::{self, Io, NoSender, PacketClock, Script};
use crate::mtu;
use crate::trace::{TraceEnd, TraceResult};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracetcp_strategies::Instance;

const R1: &str = "198.18.1.1";
const R2: &str = "198.18.2.1";
const R3: &str = "198.18.3.1";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn settings() -> Settings {
    Settings {
        max_hops: 10,
        timeout: Duration::from_millis(300),
        pacing: false,
        mtu: Some(1500),
        ..Settings::default()
    }
}

fn session() -> Session {
    Session::new(
        ip("198.18.0.1"),
        ip("198.18.9.2"),
        Instance::new(0x4242).unwrap(),
    )
    .unwrap()
}

fn run_info() -> crate::report::RunInfo {
    crate::report::RunInfo {
        every_hop: false,
        host: "198.18.9.2".into(),
        address: ip("198.18.9.2"),
        source: ip("198.18.0.1"),
        flow: session().flow(),
        settings: settings(),
    }
}

fn specs(protocol: Protocol) -> Vec<TraceSpec> {
    vec![TraceSpec::new(protocol, 80)]
}

/// client - R1 - R2 - R3 - server (a closed port), a link of `mtu`
/// after hop `after`.
fn narrowed(after: u8, mtu: u16, announced: bool) -> Sim {
    let path = vec![
        Hop::Router(R1),
        Hop::Router(R2),
        Hop::Router(R3),
        Hop::Closed,
    ];
    let mut sim = Sim::new(path);
    sim.narrow = Some(Narrow {
        after,
        mtu,
        announced,
    });
    sim
}

/// A live run over client - R1 - R2 - R3 - server with a link of 1400
/// after R2, then its replay from what the wire carried.
fn run(protocol: Protocol, announced: bool) -> (TraceResult, TraceResult, Sim) {
    let mut sim = narrowed(2, 1400, announced);
    let mut live = Engine::live(settings(), session(), specs(protocol));
    sim.run(&mut live);
    let mut replay = Engine::replay(settings(), session(), specs(protocol));
    let mut source = Script::new(sim.log.clone());
    let io = Io {
        source: &mut source,
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    driver::run(&mut replay, io, &mut (), &AtomicBool::new(false)).unwrap();
    (live.result(0), replay.result(0), sim)
}

#[test]
fn an_announced_mtu_is_followed_from_the_hop_past_its_router() {
    for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Icmp] {
        let (live, replayed, _) = run(protocol, true);
        assert_eq!(live, replayed, "{protocol}");
        assert!(
            matches!(live.end, TraceEnd::Reached { ttl: 4, .. }),
            "{protocol}: {:?}",
            live.end
        );
        // Every hop answered: the probes refused were sent again smaller.
        assert!(
            live.hops.iter().all(|h| h.lost() == 0),
            "{protocol}: {live:?}"
        );
        let m = mtu::analyse(&live, false).unwrap();
        assert_eq!(m.changes.len(), 1, "{protocol}: {m:?}");
        let c = m.changes[0];
        assert_eq!(
            (c.at, c.from, c.to, c.by, c.announced),
            (3, 1500, 1400, ip(R2), true)
        );
        assert_eq!((m.at_hop(2), m.at_hop(3), m.path()), (1500, 1400, 1400));
        assert!(m.hole.is_none(), "{protocol}: {m:?}");
    }
}

#[test]
fn a_router_without_the_mtu_field_means_the_next_plateau() {
    assert_eq!(mtu::next_size(1500, 0, false), Some(1492));
    assert_eq!(mtu::next_size(1500, 1400, false), Some(1400));
    assert_eq!(mtu::next_size(1400, 1500, false), None);
    // IPv6 links carry at least 1280 bytes.
    assert_eq!(mtu::next_size(1500, 1000, true), Some(1280));
}

#[test]
fn a_black_hole_is_found_with_exact_bounds_in_few_probes() {
    for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Icmp] {
        let (live, replayed, sim) = run(protocol, false);
        assert_eq!(live, replayed, "{protocol}");
        // The bare probes got through: the trace still reaches the target.
        assert!(
            matches!(live.end, TraceEnd::Reached { ttl: 4, .. }),
            "{protocol}: {:?}",
            live.end
        );
        let m = mtu::analyse(&live, false).unwrap();
        let hole = m
            .hole
            .unwrap_or_else(|| panic!("{protocol}: no black hole in {m:?}"));
        assert_eq!(
            (hole.after, hole.at, hole.passes, hole.dropped, hole.exact),
            (Some(2), 3, 1400, 1401, true),
            "{protocol}"
        );
        assert_eq!(m.path(), 1400);
        let search = live.mtu.as_ref().unwrap().search.as_ref().unwrap();
        assert!(
            search.probes.len() <= 24,
            "{protocol}: {} search probes",
            search.probes.len()
        );
        assert!(sim.sent <= 60, "{protocol}: {} probes", sim.sent);
    }
}

/// Without a narrower link nothing is searched and the path MTU is the
/// interface's.
#[test]
fn a_clean_path_keeps_the_interface_mtu() {
    let path = vec![Hop::Router(R1), Hop::Router(R2), Hop::Closed];
    let mut sim = Sim::new(path);
    let mut e = Engine::live(settings(), session(), specs(Protocol::Tcp));
    sim.run(&mut e);
    let r = e.result(0);
    let m = mtu::analyse(&r, false).unwrap();
    assert_eq!((m.path(), m.changes.len(), m.hole), (1500, 0, None));
    assert!(r.mtu.unwrap().search.is_none());
    // The first and third probe of each hop were full size, the second bare.
    let sizes: Vec<Option<u16>> = r.hops[0].probes.iter().map(|p| p.size).collect();
    assert_eq!(sizes[0], Some(1500));
    assert!(sizes[1] < Some(100), "{sizes:?}");
}

/// The report of each: marks where the size changed, the path MTU line,
/// and the diagnosis naming the announcement or the black hole (and no
/// loss where only big probes vanished).
#[test]
fn the_reports_say_where_and_why() {
    use crate::report::{self, Format};
    let info = run_info();
    let names = Default::default();
    let (announced, _, _) = run(Protocol::Tcp, true);
    let text = report::render(Format::Classic, &info, &[announced], &names, true);
    let line = |n: &str| {
        text.lines()
            .find(|l| l.starts_with(n))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("1\t").ends_with("[MTU 1500]"), "{text}");
    assert!(line("3\t").ends_with("[MTU 1400]"), "{text}");
    assert!(
        text.contains("Path MTU: 1400 (198.18.2.1 announced 1400 for the link before hop 3)."),
        "{text}"
    );
    assert!(
        text.contains("the path MTU falls from 1500 to 1400 at hop 3"),
        "{text}"
    );
    let (hole, _, _) = run(Protocol::Udp, false);
    let text = report::render(Format::Classic, &info, &[hole], &names, true);
    assert!(
        text.contains(
            "packets larger than 1400 bytes are silently dropped after hop 2 (198.18.2.1)"
        ),
        "{text}"
    );
    assert!(text.contains("clamping the MSS to 1360"), "{text}");
    assert!(!text.contains("loss"), "{text}");
}

/// A middlebox that drops SYNs carrying data looks like a black hole just
/// above the bare SYN: the diagnosis says what it is.
#[test]
fn syns_with_data_dropped_are_not_called_an_mtu() {
    use crate::report::{self, Format};
    let mut sim = narrowed(1, 60, false);
    let mut e = Engine::live(settings(), session(), specs(Protocol::Tcp));
    sim.run(&mut e);
    let info = run_info();
    let text = report::render(
        Format::Classic,
        &info,
        &[e.result(0)],
        &Default::default(),
        true,
    );
    assert!(text.contains("a middlebox drops SYNs with data"), "{text}");
    assert!(
        !text.contains("clamping the MSS") && !text.contains("MSS, 1460"),
        "{text}"
    );
}
