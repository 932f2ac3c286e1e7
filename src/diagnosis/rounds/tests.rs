//! The rounds diagnosis on statistics folded from hand-built rounds.

use super::*;
use crate::run::testing::run_info;
use crate::trace::TraceSpec;
use crate::watch::summary::testing::summary_of;
use tracetcp_strategies::Protocol;

fn tcp() -> Vec<TraceSpec> {
    vec![TraceSpec::new(Protocol::Tcp, 80)]
}

const ROUTERS: [&str; 4] = ["198.18.1.1", "198.18.2.1", "198.18.3.1", "198.18.9.2"];

fn kinds(findings: &[Finding]) -> Vec<(Kind, Option<u8>)> {
    findings.iter().map(|f| (f.kind, f.hop)).collect()
}

#[test]
fn loss_at_one_hop_only_is_the_router_not_the_path() {
    let s = summary_of(&tcp(), 40, |_, r, ttl| {
        (ttl != 2 || r % 5 != 0).then_some((ROUTERS[usize::from(ttl) - 1], 5))
    });
    let f = diagnose(&run_info(), &s);
    assert_eq!(
        kinds(&f),
        vec![(Kind::IcmpLimited, Some(2)), (Kind::Reached, None)]
    );
    assert!(f[0].text.contains("hop 2 left 20%"), "{}", f[0].text);
    assert!(f[0].text.contains("not loss on the path"), "{}", f[0].text);
    assert!(
        f[0].evidence.starts_with(
            "hop 2: 20% of 40 lost; hop 3: 0% of 40 lost; Fisher's exact test p = 2.65e-3, \
             significant at 95% over 4 comparisons"
        ),
        "{}",
        f[0].evidence
    );
}

#[test]
fn loss_that_lasts_to_the_destination_is_the_paths() {
    // From hop 3 on, every fourth round is lost (a lossy link into hop 3).
    let s = summary_of(&tcp(), 40, |_, r, ttl| {
        (ttl < 3 || r % 4 != 0).then_some((ROUTERS[usize::from(ttl) - 1], 5))
    });
    let f = diagnose(&run_info(), &s);
    assert_eq!(f[0].kind, Kind::PathLoss);
    assert_eq!(f[0].hop, Some(3));
    assert!(f[0]
        .text
        .contains("loss starts at hop 3 and lasts to hop 4 (25% there)"));
    assert!(f[0]
        .evidence
        .starts_with("hop 2: 0% of 40 lost; hop 3: 25%"));
    assert!(!kinds(&f).iter().any(|(k, _)| *k == Kind::IcmpLimited));
}

#[test]
fn a_latency_step_that_lasts_is_a_slow_link_and_one_that_does_not_is_the_router() {
    let s = summary_of(&tcp(), 10, |_, _, ttl| {
        let ms = match ttl {
            1 => 1,
            2 => 40, // slow to answer, but hop 3 is not
            3 => 5,
            _ => 65, // the link into hop 4 adds 60 ms
        };
        Some((ROUTERS[usize::from(ttl) - 1], ms))
    });
    let f = diagnose(&run_info(), &s);
    let k = kinds(&f);
    assert!(k.contains(&(Kind::SlowReplies, Some(2))), "{k:?}");
    assert!(k.contains(&(Kind::SlowLink, Some(4))), "{k:?}");
    assert_eq!(k.len(), 3, "{k:?}");
    let slow = f.iter().find(|f| f.kind == Kind::SlowLink).unwrap();
    assert!(
        slow.text.contains("rises by 60 ms between hop 3 and hop 4"),
        "{}",
        slow.text
    );
}

#[test]
fn a_new_responder_is_a_route_change_and_alternation_is_per_packet_balancing() {
    let moved = summary_of(&tcp(), 10, |_, r, ttl| match (ttl, r) {
        (2, 6..) => Some(("198.18.2.9", 5)),
        _ => Some((ROUTERS[usize::from(ttl) - 1], 5)),
    });
    let f = diagnose(&run_info(), &moved);
    let change = f.iter().find(|f| f.kind == Kind::RouteChange).unwrap();
    assert_eq!(
        change.text,
        "tcp:80: the route changed in round 7 at hop 2 (198.18.2.1 -> 198.18.2.9)."
    );
    assert!(change.evidence.contains(
        "before: 198.18.1.1, 198.18.2.1, 198.18.3.1, 198.18.9.2; \
         after: 198.18.1.1, 198.18.2.9, 198.18.3.1, 198.18.9.2"
    ));
    let flapping = summary_of(&tcp(), 10, |_, r, ttl| match (ttl, r % 2) {
        (2, 1) => Some(("198.18.2.9", 5)),
        _ => Some((ROUTERS[usize::from(ttl) - 1], 5)),
    });
    let k = kinds(&diagnose(&run_info(), &flapping));
    assert!(k.contains(&(Kind::PerPacketBalancing, Some(2))), "{k:?}");
    assert!(!k.iter().any(|(k, _)| *k == Kind::RouteChange), "{k:?}");
}

#[test]
fn a_kind_lost_where_another_is_not_is_about_that_kind() {
    let specs = vec![
        TraceSpec::new(Protocol::Tcp, 443),
        TraceSpec::new(Protocol::Icmp, 0),
    ];
    let s = summary_of(&specs, 20, |t, r, ttl| {
        (t == 0 || ttl != 3 || r % 3 != 0).then_some((ROUTERS[usize::from(ttl) - 1], 5))
    });
    let f = diagnose(&run_info(), &s);
    let k = f.iter().find(|f| f.kind == Kind::KindLimited).unwrap();
    assert_eq!(k.hop, Some(3));
    assert!(
        k.text
            .starts_with("hop 3: icmp lost 35% while tcp:443 lost 0%"),
        "{}",
        k.text
    );
    assert_eq!(k.traces, vec![1, 0]);
}

#[test]
fn too_few_rounds_claim_nothing_about_loss() {
    let s = summary_of(&tcp(), 3, |_, r, ttl| {
        (ttl != 2 || r != 0).then_some((ROUTERS[usize::from(ttl) - 1], 5))
    });
    assert_eq!(
        kinds(&diagnose(&run_info(), &s)),
        vec![(Kind::Reached, None)]
    );
}

/// Six rounds through a router that drops a fifth of what it forwards at
/// random: half of hop 4's probes lost and none of hop 5's is chance at
/// that count, not a router limiting its answers; the finding says what
/// the counts show and how many rounds would tell.
#[test]
fn six_rounds_say_what_the_counts_show_not_a_cause() {
    let s = summary_of(&tcp(), 6, |_, r, ttl| {
        (ttl != 2 || r % 2 != 0).then_some((ROUTERS[usize::from(ttl) - 1], 5))
    });
    let f = diagnose(&run_info(), &s);
    assert_eq!(
        kinds(&f),
        vec![(Kind::TooFewRounds, Some(2)), (Kind::Reached, None)]
    );
    assert!(
        f[0].text.starts_with(
            "tcp:80: hop 2 lost 3 of 6, hop 3 0 of 6: too few to tell a router that limits its \
             answers from loss on the path (95% confidence); about "
        ),
        "{}",
        f[0].text
    );
    assert!(f[0].text.ends_with(" rounds at these rates would tell."));
    assert!(!f[0].text.contains("not loss on the path"));
    assert!(
        f[0].evidence.contains("not significant"),
        "{}",
        f[0].evidence
    );
    // As many rounds as it says, at the same rates, carry the finding.
    let n: u64 = f[0]
        .text
        .split("about ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let s = summary_of(&tcp(), n, |_, r, ttl| {
        (ttl != 2 || r % 2 != 0).then_some((ROUTERS[usize::from(ttl) - 1], 5))
    });
    let f = diagnose(&run_info(), &s);
    assert_eq!(f[0].kind, Kind::IcmpLimited, "{n} rounds: {}", f[0].text);
}
