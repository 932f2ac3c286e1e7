//! Routers by address: which are limiting, and their pace.

use super::*;
use crate::time::at_ms;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_router_answering_at_most_half_is_noted_once_and_paced() {
    let r3 = ip("198.18.2.2");
    let mut routers = Routers::new(true);
    // Before any answer at TTL 3, its probes are no router's.
    routers.sent(3, at_ms(0));
    routers.answered(r3, 3, at_ms(1), Duration::from_millis(1));
    assert_eq!(routers.expected(3), Some(r3));
    // 40 probes in 400 ms; it answers its burst, then one every 100 ms.
    for k in 0..40u64 {
        let t = 10 * k;
        routers.sent(3, at_ms(t));
        if k < 6 || k % 10 == 0 {
            routers.answered(r3, 3, at_ms(t + 1), Duration::from_millis(1));
        }
        assert_eq!(routers.ready_at(4, at_ms(t)), at_ms(t), "another TTL");
    }
    let notes = routers.take_notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("198.18.2.2 (hop 3) answered"),
        "{}",
        notes[0]
    );
    // Paced: a probe for it waits its turn.
    let now = at_ms(400);
    let ready = routers.ready_at(3, now);
    assert!(ready > now, "{ready:?}");
    routers.sent(3, ready);
    assert!(routers.ready_at(3, ready) > ready);
    assert!(routers.take_notes().is_empty(), "noted once");
}

#[test]
fn a_router_answering_everything_is_left_alone_and_f_only_notes() {
    let r1 = ip("198.18.0.2");
    let mut routers = Routers::new(true);
    routers.answered(r1, 1, at_ms(0), Duration::from_millis(1));
    for k in 0..200u64 {
        routers.sent(1, at_ms(5 * k));
        routers.answered(r1, 1, at_ms(5 * k + 1), Duration::from_millis(1));
    }
    assert!(routers.take_notes().is_empty());
    assert_eq!(routers.ready_at(1, at_ms(1000)), at_ms(1000));
    // -F: said, not paced.
    let mut unpaced = Routers::new(false);
    unpaced.answered(r1, 1, at_ms(0), Duration::from_millis(1));
    for k in 0..40u64 {
        unpaced.sent(1, at_ms(10 * k));
    }
    let notes = unpaced.take_notes();
    assert!(notes[0].ends_with("(-F: it is not paced)"), "{notes:?}");
    assert_eq!(unpaced.ready_at(1, at_ms(400)), at_ms(400));
}

#[test]
fn a_paced_router_that_answers_every_probe_is_paced_faster() {
    let r3 = ip("198.18.2.2");
    let mut routers = Routers::new(true);
    routers.answered(r3, 3, at_ms(0), Duration::from_millis(1));
    for k in 0..40u64 {
        if routers.ready_at(3, at_ms(10 * k)) > at_ms(10 * k) {
            continue;
        }
        routers.sent(3, at_ms(10 * k));
        if k < 6 {
            routers.answered(r3, 3, at_ms(10 * k + 1), Duration::from_millis(1));
        }
    }
    assert_eq!(routers.take_notes().len(), 1);
    // Every paced probe answered, for ten seconds: the gaps shrink.
    let mut now = routers.ready_at(3, at_ms(400));
    let end = now.after(Duration::from_secs(10));
    let mut gaps = Vec::new();
    while now < end {
        routers.sent(3, now);
        routers.answered(
            r3,
            3,
            now.after(Duration::from_millis(1)),
            Duration::from_millis(1),
        );
        let next = routers.ready_at(3, now);
        gaps.push(next.since(now));
        now = next;
    }
    assert_eq!(gaps[0], Duration::from_secs(1));
    assert!(
        *gaps.last().unwrap() < Duration::from_millis(300),
        "{gaps:?}"
    );
}
