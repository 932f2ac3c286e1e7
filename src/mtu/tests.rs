use super::search::{bounds, PER_ROUND};
use super::*;
use crate::trace::testing::{answered, lost};
use crate::trace::HopResult;

/// A hop with probes of these sizes, answered or lost.
fn hop(ttl: u8, probes: &[(u16, bool)]) -> HopResult {
    HopResult {
        ttl,
        probes: probes
            .iter()
            .enumerate()
            .map(|(i, &(size, ok))| {
                let mut p = if ok {
                    answered(i as u8, "198.18.3.1", 100, ReplyKind::TimeExceeded)
                } else {
                    lost(i as u8)
                };
                p.size = Some(size);
                p
            })
            .collect(),
    }
}

#[test]
fn the_first_round_tries_the_favourite_mtus_then_checks_the_one_found() {
    let h = hop(3, &[(1500, false), (60, true), (1500, false)]);
    let b = bounds([&h], &[]);
    assert_eq!((b.passes, b.dropped), (60, Some(1500)));
    let first = b.next_round();
    assert_eq!(first, vec![576, 1280, 1400, 1460, 1480, 1492]);
    // 1400 passes, 1460 is dropped twice: is it exactly 1400?
    let round: Vec<(u16, bool)> = first.iter().flat_map(|&s| [(s, s <= 1400); 2]).collect();
    let searched = hop(3, &round);
    let b = bounds([&h, &searched], &[]);
    assert_eq!((b.passes, b.dropped), (1400, Some(1460)));
    let second = b.next_round();
    assert_eq!(second.len(), PER_ROUND);
    assert_eq!(second[0], 1401);
    let more = hop(3, &[(1401, false), (1401, false)]);
    let b = bounds([&h, &searched, &more], &[]);
    assert!(b.exact() && b.next_round().is_empty());
}

/// One copy lost is not enough to call a size dropped: it is tried again.
#[test]
fn a_size_lost_once_is_tried_again() {
    let h = hop(
        3,
        &[(1500, false), (60, true), (1500, false), (1400, false)],
    );
    let b = bounds([&h], &[]);
    assert_eq!(b.dropped, Some(1500));
    assert!(b.next_round().contains(&1400), "{:?}", b.next_round());
}

/// A hop silent for every size is no black hole; a big probe lost once
/// where a small one passed is ordinary loss until it repeats.
#[test]
fn silence_and_one_loss_are_not_black_holes() {
    let result = |hops: Vec<HopResult>| {
        TraceResult::new(
            crate::trace::TraceSpec::new(tracetcp_strategies::Protocol::Tcp, 80),
            hops,
            crate::trace::TraceEnd::MaxHops,
        )
    };
    let silent = result(vec![
        hop(1, &[(1500, true), (60, true), (1500, true)]),
        hop(2, &[(1500, false), (60, false), (1500, false)]),
    ]);
    assert!(search::suspect(&silent).is_none());
    let once = result(vec![
        hop(1, &[(1500, true), (60, true), (1500, true)]),
        hop(2, &[(1500, false), (60, true), (1500, true)]),
    ]);
    assert!(search::suspect(&once).is_none());
    let hole = result(vec![
        hop(1, &[(1500, true), (60, true), (1500, true)]),
        hop(2, &[(1500, false), (60, true), (1500, false)]),
    ]);
    let s = search::suspect(&hole).unwrap();
    assert_eq!((s.after, s.at), (Some(1), 2));
}
