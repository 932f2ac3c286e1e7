//! Rounds folded into figures: per trace, each hop's statistics, how
//! often the destination was reached, and the route changes seen between
//! rounds (with the path before and after the first and the latest).
//! Constant memory whatever the number of rounds. Pure.

use super::stats::HopStats;
use crate::trace::{TraceEnd, TraceResult, TraceSpec};
use std::net::IpAddr;

/// A hop's responder changed between two rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChange {
    /// The round (counted from 1) that first showed the new responder.
    pub round: u64,
    pub ttl: u8,
    pub from: IpAddr,
    pub to: IpAddr,
    /// The first responder of each hop (from the first hop probed) in the
    /// rounds before and at the change; `None`: no answer known yet.
    pub before: Vec<Option<IpAddr>>,
    pub after: Vec<Option<IpAddr>>,
}

/// One trace's figures over the rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStats {
    pub spec: TraceSpec,
    pub first_ttl: u8,
    /// Indexed by `ttl - first_ttl`.
    pub hops: Vec<HopStats>,
    pub rounds: u64,
    /// Rounds whose probes reached the destination.
    pub reached: u64,
    /// The destination's hop: the lowest TTL it answered at since the
    /// path last changed length.
    pub destination_ttl: Option<u8>,
    /// Each hop's responder as last seen (kept through lost rounds).
    path: Vec<Option<IpAddr>>,
    /// How many times each hop's responder changed from one round to a
    /// later one.
    pub changes: Vec<u64>,
    pub first_change: Option<RouteChange>,
    pub last_change: Option<RouteChange>,
}

impl TraceStats {
    pub fn new(spec: TraceSpec, first_ttl: u8) -> Self {
        TraceStats {
            spec,
            first_ttl,
            hops: Vec::new(),
            rounds: 0,
            reached: 0,
            destination_ttl: None,
            path: Vec::new(),
            changes: Vec::new(),
            first_change: None,
            last_change: None,
        }
    }

    /// Folds in one finished round of this trace.
    pub fn fold(&mut self, result: &TraceResult) {
        self.rounds += 1;
        // The destination's hop is the lowest TTL it answered at: a round
        // whose probe to it was lost reaches it one TTL on. A router
        // answering at or past it means the path grew: start again.
        let reached = match result.end {
            TraceEnd::Reached { ttl, .. } => Some(ttl),
            _ => None,
        };
        let grew = self.destination_ttl.is_some_and(|d| {
            result.hops.iter().filter(|h| h.ttl >= d).any(|h| {
                h.probes
                    .iter()
                    .any(|p| p.answer().is_some_and(|(a, _)| !a.kind.is_destination()))
            })
        });
        if grew {
            self.destination_ttl = reached;
        } else if let Some(ttl) = reached {
            self.destination_ttl = Some(self.destination_ttl.map_or(ttl, |d| d.min(ttl)));
        }
        self.reached += u64::from(reached.is_some());
        let before = self.path.clone();
        let mut changed = Vec::new();
        for hop in &result.hops {
            let Some(offset) = usize::from(hop.ttl).checked_sub(usize::from(self.first_ttl)) else {
                continue;
            };
            while self.hops.len() <= offset {
                let ttl = self.first_ttl + self.hops.len() as u8;
                self.hops.push(HopStats::new(ttl));
                self.path.push(None);
                self.changes.push(0);
            }
            for p in &hop.probes {
                self.hops[offset].add(p.answer().map(|(a, rtt)| (a.from, rtt)));
            }
            if let Some(now) = hop.first_responder() {
                if let Some(was) = self.path[offset].filter(|&was| was != now) {
                    self.changes[offset] += 1;
                    changed.push((hop.ttl, was, now));
                }
                self.path[offset] = Some(now);
            }
        }
        if let Some(&(ttl, from, to)) = changed.first() {
            let change = RouteChange {
                round: self.rounds,
                ttl,
                from,
                to,
                before,
                after: self.path.clone(),
            };
            self.first_change.get_or_insert_with(|| change.clone());
            self.last_change = Some(change);
        }
    }

    /// The hops to show: up to the destination, or, when it was never
    /// reached, up to the first silent hop after the last that ever
    /// answered (where the path goes dark, as mtr shows it): never the
    /// rest of a tail that nothing answered.
    pub fn shown(&self) -> &[HopStats] {
        let end = match self.destination_ttl {
            Some(ttl) => usize::from(ttl - self.first_ttl) + 1,
            None => self
                .hops
                .iter()
                .rposition(|h| h.received > 0)
                .map_or(1, |i| i + 2),
        };
        &self.hops[..end.min(self.hops.len())]
    }
}

/// Every trace's figures: what a report or the live view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub traces: Vec<TraceStats>,
    /// Rounds folded in.
    pub rounds: u64,
}

impl Summary {
    pub fn new(specs: &[TraceSpec], first_ttl: u8) -> Self {
        Summary {
            traces: specs
                .iter()
                .map(|&s| TraceStats::new(s, first_ttl))
                .collect(),
            rounds: 0,
        }
    }

    /// Folds in one finished round: one result per trace, in order.
    pub fn fold(&mut self, results: &[TraceResult]) {
        self.rounds += 1;
        for (stats, result) in self.traces.iter_mut().zip(results) {
            stats.fold(result);
        }
    }

    /// Starts again from no rounds (the live view's reset).
    pub fn reset(&mut self) {
        let specs: Vec<TraceSpec> = self.traces.iter().map(|t| t.spec).collect();
        let first = self.traces.first().map_or(1, |t| t.first_ttl);
        *self = Summary::new(&specs, first);
    }
}

/// Summaries folded from rounds built by hand, for tests of what reads
/// them.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::trace::testing::{answered, lost};
    use crate::trace::HopResult;
    use tracetcp_strategies::ReplyKind;

    /// `rounds` rounds of a 4-hop path; `answer(round, ttl)` gives the
    /// responder and RTT in ms of each probe, or `None` when it is lost.
    pub fn summary_of(
        specs: &[TraceSpec],
        rounds: u64,
        answer: impl Fn(usize, u64, u8) -> Option<(&'static str, u64)>,
    ) -> Summary {
        let mut s = Summary::new(specs, 1);
        for round in 0..rounds {
            let results: Vec<TraceResult> = specs
                .iter()
                .enumerate()
                .map(|(t, spec)| {
                    let hops: Vec<HopResult> = (1..=4u8)
                        .map(|ttl| {
                            let kind = match ttl {
                                4 => ReplyKind::SynAck,
                                _ => ReplyKind::TimeExceeded,
                            };
                            let probe = match answer(t, round, ttl) {
                                Some((from, ms)) => answered(0, from, ms * 1000, kind),
                                None => lost(0),
                            };
                            HopResult {
                                ttl,
                                probes: vec![probe],
                            }
                        })
                        .collect();
                    let end = match hops[3].destination() {
                        Some((a, _)) => TraceEnd::Reached {
                            ttl: 4,
                            kind: a.kind,
                            from: a.from,
                        },
                        None => TraceEnd::MaxHops,
                    };
                    TraceResult::new(*spec, hops, end)
                })
                .collect();
            s.fold(&results);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::testing::{answered, ip, router, silent};
    use crate::trace::HopResult;
    use tracetcp_strategies::{Protocol, ReplyKind};

    fn spec() -> TraceSpec {
        TraceSpec::new(Protocol::Tcp, 80)
    }

    /// A round: routers at TTL 1 and 2 (`second` answers hop 2, or it is
    /// silent), the destination at 3.
    fn round(second: Option<&str>, ms: u64) -> TraceResult {
        let dest = HopResult {
            ttl: 3,
            probes: vec![answered(0, "198.18.9.2", ms * 1000, ReplyKind::SynAck)],
        };
        TraceResult::new(
            spec(),
            vec![
                router(1, "198.18.1.1", &[1]),
                second.map_or_else(|| silent(2, 1), |a| router(2, a, &[ms])),
                dest,
            ],
            TraceEnd::Reached {
                ttl: 3,
                kind: ReplyKind::SynAck,
                from: ip("198.18.9.2"),
            },
        )
    }

    #[test]
    fn rounds_fold_into_per_hop_figures() {
        let mut s = Summary::new(&[spec()], 1);
        s.fold(&[round(Some("198.18.2.1"), 10)]);
        s.fold(&[round(None, 20)]);
        s.fold(&[round(Some("198.18.2.1"), 30)]);
        let t = &s.traces[0];
        assert_eq!((s.rounds, t.rounds, t.reached), (3, 3, 3));
        assert_eq!(t.destination_ttl, Some(3));
        assert_eq!(t.shown().len(), 3);
        let h2 = &t.hops[1];
        assert_eq!((h2.sent, h2.received), (3, 2));
        assert_eq!(t.hops[2].avg_ms(), Some(20.0));
        // A silent round is no change of route.
        assert_eq!(t.changes, vec![0, 0, 0]);
        assert!(t.first_change.is_none());
    }

    #[test]
    fn a_new_responder_is_a_route_change_with_both_paths() {
        let mut s = Summary::new(&[spec()], 1);
        s.fold(&[round(Some("198.18.2.1"), 10)]);
        s.fold(&[round(Some("198.18.2.1"), 10)]);
        s.fold(&[round(Some("198.18.2.9"), 10)]);
        s.fold(&[round(Some("198.18.2.1"), 10)]);
        let t = &s.traces[0];
        assert_eq!(t.changes, vec![0, 2, 0]);
        let first = t.first_change.as_ref().unwrap();
        assert_eq!((first.round, first.ttl), (3, 2));
        assert_eq!((first.from, first.to), (ip("198.18.2.1"), ip("198.18.2.9")));
        assert_eq!(first.before[1], Some(ip("198.18.2.1")));
        assert_eq!(first.after[1], Some(ip("198.18.2.9")));
        assert_eq!(t.last_change.as_ref().unwrap().round, 4);
        s.reset();
        assert_eq!(s.rounds, 0);
        assert!(s.traces[0].hops.is_empty());
    }

    #[test]
    fn a_silent_tail_shows_only_its_first_hop() {
        let mut s = Summary::new(&[spec()], 1);
        let mut r = round(Some("198.18.2.1"), 10);
        r.hops.truncate(2);
        r.hops.push(silent(3, 1));
        r.hops.push(silent(4, 1));
        r.end = TraceEnd::MaxHops;
        s.fold(&[r]);
        assert_eq!(s.traces[0].hops.len(), 4);
        assert_eq!(s.traces[0].shown().len(), 3, "hop 3: where it goes dark");
    }
}
