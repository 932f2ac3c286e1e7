//! One session rebuilt from a capture: its rounds of probes by TTL, and
//! what they become: the `TraceResult`s, settings and schedule a live run
//! would have had.

use super::*;
use crate::engine::Settings;
use crate::trace::{HopResult, TraceEnd, TraceResult, TraceSpec};
use crate::watch::Schedule;
use std::collections::BTreeMap;

/// The probes of one round, by TTL.
pub type Hops = BTreeMap<u8, Vec<ProbeResult>>;

/// One pass over the TTLs.
#[derive(Debug, Clone)]
pub struct Round {
    pub start: Timestamp,
    pub hops: Hops,
}

/// One session, as found so far.
#[derive(Debug, Clone)]
pub struct Session {
    pub protocol: Protocol,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The destination port of its first probe (0 for ICMP), and the flow
    /// (source port or echo identifier) it started on.
    pub port: u16,
    pub flow: Flow,
    /// Whether its probes changed destination port (traceroute -U walks
    /// them) or source port or echo checksum (a flow per probe).
    pub ports_vary: bool,
    pub flows_vary: bool,
    /// The first probe's ICMP checksum (0 for TCP and UDP).
    pub(super) hashed: u16,
    pub first: Timestamp,
    pub last: Timestamp,
    pub rounds: Vec<Round>,
    /// The lowest TTL probed, and the TTL of the latest probe: a probe at
    /// the lowest after higher ones starts a round.
    pub(super) lowest: u8,
    pub(super) latest: u8,
}

impl Session {
    /// Whether every probe went on one flow: the same ports (or echo
    /// checksum) throughout.
    pub fn one_flow(&self) -> bool {
        !self.flows_vary && !self.ports_vary
    }

    pub(super) fn hops(&self) -> impl Iterator<Item = (&u8, &Vec<ProbeResult>)> {
        self.rounds.iter().flat_map(|r| &r.hops)
    }

    /// Whether a probe at `ttl` starts a new round.
    pub(super) fn restarts_at(&self, ttl: u8) -> bool {
        ttl <= self.lowest
            && self.latest > ttl
            && self
                .rounds
                .last()
                .is_some_and(|r| r.hops.contains_key(&ttl))
    }

    /// The longest any answer took, the least a timeout can have been.
    fn slowest(&self) -> Duration {
        let rtts = self
            .hops()
            .flat_map(|(_, probes)| probes)
            .filter_map(|p| p.answer().map(|(_, t)| t));
        rtts.max().unwrap_or_default()
    }

    /// Probes at the TTL probed most in a round.
    pub fn probes_per_hop(&self) -> usize {
        self.hops().map(|(_, p)| p.len()).max().unwrap_or(0)
    }

    /// The rounds' schedule: how many, and the mean time from the start
    /// of one to the start of the next.
    pub fn schedule(&self) -> Schedule {
        let n = self.rounds.len() as u32;
        let span = match (self.rounds.first(), self.rounds.last()) {
            (Some(a), Some(b)) => b.start.since(a.start),
            _ => Duration::ZERO,
        };
        Schedule {
            cycles: Some(u64::from(n)),
            interval: span / n.saturating_sub(1).max(1),
        }
    }

    /// The settings the session showed: TTLs, probes per hop, a timeout
    /// no shorter than its slowest answer.
    pub fn settings(&self) -> Settings {
        let first = self.lowest;
        let last = self.hops().map(|(&t, _)| t).max().unwrap_or(first);
        let slowest = self.slowest();
        let timeout = Duration::from_secs(slowest.as_secs() + 1);
        Settings {
            first_ttl: first,
            max_hops: last - first + 1,
            probes_per_hop: self.probes_per_hop().clamp(1, 16) as u8,
            timeout,
            pacing: false,
            ..Settings::default()
        }
    }

    /// What each round found, as traces.
    pub fn results(&self) -> Vec<TraceResult> {
        self.rounds.iter().map(|r| self.result(&r.hops)).collect()
    }

    /// What a round found, as a trace: hops up to the destination's (or
    /// the first unreachable), how it ended.
    fn result(&self, hops: &Hops) -> TraceResult {
        // The first TTL with an answer that ends a trace; at it, the
        // destination's answer before an unreachable.
        let end = hops
            .iter()
            .find_map(|(&ttl, probes)| {
                let answers = || {
                    probes
                        .iter()
                        .filter(|p| !too_big(p))
                        .filter_map(|p| p.answer())
                        .map(|(a, _)| *a)
                };
                let a = answers()
                    .find(|a| a.kind.is_destination())
                    .or_else(|| answers().find(|a| a.kind.ends_trace()))?;
                Some(match a.kind {
                    ReplyKind::Unreachable(reason) => TraceEnd::Unreachable {
                        ttl,
                        reason,
                        from: a.from,
                    },
                    kind => TraceEnd::Reached {
                        ttl,
                        kind,
                        from: a.from,
                    },
                })
            })
            .unwrap_or(TraceEnd::MaxHops);
        let last = match end {
            TraceEnd::Reached { ttl, .. } | TraceEnd::Unreachable { ttl, .. } => ttl,
            _ => u8::MAX,
        };
        let first = hops.keys().next().copied().unwrap_or(1);
        let hops = (first..=hops.keys().last().copied().unwrap_or(first).min(last))
            .map(|ttl| HopResult {
                ttl,
                // A probe "too big" for a link is sent again smaller (as
                // tracepath does): that answer is no hop's.
                probes: hops
                    .get(&ttl)
                    .map(|probes| probes.iter().filter(|p| !too_big(p)).cloned().collect())
                    .unwrap_or_default(),
            })
            .collect();
        TraceResult::new(TraceSpec::new(self.protocol, self.port), hops, end)
    }
}

fn too_big(p: &ProbeResult) -> bool {
    p.answer().is_some_and(|(a, _)| {
        matches!(
            a.kind,
            ReplyKind::Unreachable(tracetcp_strategies::Unreachable::FragmentationNeeded { .. })
        )
    })
}
