//! Adaptive pacing on the simulator: routers that answer everything are
//! probed at full speed; routers that limit their answers as Linux does
//! lose nothing (the probes they left unanswered are sent again, paced);
//! a default trace keeps its losses; and a replay of the wire, with or
//! without a live capture's lag, marks the same probes.

use super::*;
use crate::driver::sim::{Hop, Sim};
use crate::driver::{self, Io, NoSender, PacketClock, Script};
use crate::trace::{TraceEnd, TraceResult};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracetcp_strategies::Instance;

const R1: &str = "198.18.1.1";
const R2: &str = "198.18.2.1";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn session() -> Session {
    Session::new(
        ip("198.18.0.1"),
        ip("198.18.9.2"),
        Instance::new(0x4343).unwrap(),
    )
    .unwrap()
}

/// Twelve ports (a port range), one probe a hop, three hops.
fn range_settings(adaptive: bool) -> Settings {
    Settings {
        max_hops: 3,
        probes_per_hop: 1,
        timeout: Duration::from_millis(500),
        adaptive_pacing: adaptive,
        ..Settings::default()
    }
}

fn ports() -> Vec<TraceSpec> {
    (130..142)
        .map(|p| TraceSpec::new(Protocol::Tcp, p))
        .collect()
}

/// A live run on `path` (`rtt` a hop, packets reaching the engine `lag`
/// after their capture), then the replay of what the wire carried.
fn run_with(
    path: Vec<Hop>,
    settings: Settings,
    specs: Vec<TraceSpec>,
    rtt: Duration,
    lag: Duration,
) -> Run {
    let mut sim = Sim::new(path);
    sim.lag = lag;
    sim.rtt = rtt;
    let mut live = Engine::live(settings.clone(), session(), specs.clone());
    sim.run(&mut live);
    let mut replay = Engine::replay(settings, session(), specs);
    let mut source = Script::new(sim.log.clone());
    let io = Io {
        source: &mut source,
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    driver::run(&mut replay, io, &mut (), &AtomicBool::new(false)).unwrap();
    Run {
        live: live.results(),
        replayed: replay.results(),
        sim,
    }
}

fn run(path: Vec<Hop>, settings: Settings, specs: Vec<TraceSpec>, lag: Duration) -> Run {
    run_with(path, settings, specs, Duration::from_millis(1), lag)
}

struct Run {
    live: Vec<TraceResult>,
    replayed: Vec<TraceResult>,
    sim: Sim,
}

fn lost(results: &[TraceResult]) -> usize {
    results.iter().flat_map(|r| &r.hops).map(|h| h.lost()).sum()
}

#[test]
fn routers_that_answer_everything_are_probed_at_full_speed() {
    let path = vec![Hop::Router(R1), Hop::Router(R2), Hop::Closed];
    let fixed = run(path.clone(), range_settings(false), ports(), Duration::ZERO);
    let adaptive = run(path, range_settings(true), ports(), Duration::ZERO);
    assert_eq!((lost(&fixed.live), lost(&adaptive.live)), (0, 0));
    let ends = |r: &[TraceResult]| r.iter().map(|t| t.end).collect::<Vec<_>>();
    assert_eq!(ends(&adaptive.live), ends(&fixed.live));
    assert_eq!(adaptive.sim.sent, 36, "no probe sent twice");
    // Held to Linux's limit from the start, 12 ports at two routers take
    // 6 s; adapted, one round trip.
    assert!(
        fixed.sim.elapsed() >= Duration::from_secs(5),
        "{:?}",
        fixed.sim.elapsed()
    );
    assert!(
        adaptive.sim.elapsed() < Duration::from_millis(100),
        "{:?}",
        adaptive.sim.elapsed()
    );
    assert!(adaptive.live == adaptive.replayed, "the replay differs");
}

#[test]
fn probes_a_limiting_router_left_unanswered_are_sent_again_paced() {
    let path = vec![Hop::Limited(R1), Hop::Limited(R2), Hop::Closed];
    let ms = Duration::from_millis;
    for (rtt, lag) in [(ms(1), ms(0)), (ms(1), ms(25)), (ms(40), ms(25))] {
        let r = run_with(path.clone(), range_settings(true), ports(), rtt, lag);
        assert_eq!(lost(&r.live), 0, "lag {lag:?}, rtt {rtt:?}");
        for t in &r.live {
            assert!(matches!(t.end, TraceEnd::Reached { ttl: 3, .. }), "{t:?}");
            assert_eq!(t.hops[0].probes.len(), 1);
        }
        // Six answered at once at each router, six sent again.
        assert_eq!(r.sim.sent, 36 + 12, "lag {lag:?}, rtt {rtt:?}");
        assert!(
            r.live == r.replayed,
            "lag {lag:?}, rtt {rtt:?}: the replay differs"
        );
    }
}

#[test]
fn a_default_trace_keeps_its_losses() {
    // Three probes a hop never exceed a router's burst: a silent probe
    // is a loss, not a limit, and is not sent again.
    let path = vec![Hop::Router(R1), Hop::Silent, Hop::Closed];
    let settings = Settings {
        max_hops: 3,
        timeout: Duration::from_millis(500),
        adaptive_pacing: true,
        ..Settings::default()
    };
    let r = run(
        path,
        settings,
        vec![TraceSpec::new(Protocol::Tcp, 80)],
        Duration::ZERO,
    );
    assert_eq!(r.live[0].hops[1].lost(), 3);
    assert_eq!(r.sim.sent, 9);
    assert!(r.live == r.replayed, "the replay differs");
}

#[test]
fn ports_a_firewall_drops_are_not_taken_for_a_limits_losses() {
    // Past R1 only port 135 goes on: R2 answers it alone, after five
    // losses, so the six after it are a firewall's, not a limit's.
    let path = vec![Hop::Passes(R1, 135), Hop::Router(R2), Hop::Closed];
    let r = run(
        path,
        range_settings(true),
        ports(),
        Duration::from_millis(25),
    );
    assert_eq!(r.sim.sent, 36, "no probe sent again");
    assert!(
        r.sim.elapsed() < Duration::from_secs(1),
        "{:?}",
        r.sim.elapsed()
    );
    assert_eq!(lost(&r.live), 11 * 2);
    assert!(r.live == r.replayed, "the replay differs");
}

#[test]
fn a_router_whose_probes_sent_again_go_unanswered_is_given_up() {
    // Past R1 only port 130, the first, goes on: R2's one answer (and
    // the destination's) comes first, as from a limit spent before the
    // run. Their losses are taken for a limit's and sent again, paced; two
    // sent again in vain to each, and the rest are lost without being
    // sent again.
    let path = vec![Hop::Passes(R1, 130), Hop::Router(R2), Hop::Closed];
    let ms = Duration::from_millis;
    for lag in [ms(0), ms(25)] {
        let r = run(path.clone(), range_settings(true), ports(), lag);
        assert_eq!(r.sim.sent, 36 + 2 * 2, "lag {lag:?}");
        assert!(
            r.sim.elapsed() < Duration::from_secs(4),
            "{:?}",
            r.sim.elapsed()
        );
        assert_eq!(lost(&r.live), 11 * 2, "lag {lag:?}");
        assert!(r.live == r.replayed, "lag {lag:?}: the replay differs");
    }
}
