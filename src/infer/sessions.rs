//! Probes grouped into sessions and answers matched to them, one packet
//! at a time: a session is the probes of one kind from one source to one
//! destination with small TTLs (at least two different ones), until it
//! pauses for longer than `GAP`. A session that goes back to its lowest
//! TTL after higher ones starts a new round (mtr's and trippy's rounds,
//! or one traceroute after another). What each round found becomes the
//! same `TraceResult` a live run gives, with the settings it showed.

use super::packet::{classify, Answer, ProbeId, Seen};
use crate::time::Timestamp;
use crate::trace::{self, Outcome, ProbeResult};
pub use session::{Hops, Round, Session};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;
use tracetcp_strategies::{Flow, Protocol, ReplyKind};

/// Probes with a higher TTL are ordinary traffic, not a traceroute's.
pub const MAX_PROBE_TTL: u8 = 40;

/// A session of one kind toward one destination ends after this long
/// without a probe; the next probe starts another.
pub const GAP: Duration = Duration::from_secs(10);

/// Unless the next probe goes on from the TTL the session was at, up to
/// this long after: a tool that waits at silent hops, or for a slow name
/// look-up between hops (Windows tracert), is one session.
pub const SLOW_GAP: Duration = Duration::from_secs(120);

/// A probe still waiting this long for its answer is lost.
const WAIT: Duration = Duration::from_secs(30);

/// Probes kept per hop of a round at most.
const PER_HOP: usize = 255;

#[derive(Debug, Clone, Copy)]
struct Waiting {
    session: usize,
    round: usize,
    ttl: u8,
    at: usize,
    ident: u16,
}

/// What a packet was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Probe {
        session: usize,
        round: usize,
        ttl: u8,
    },
    Answer {
        session: usize,
        round: usize,
        ttl: u8,
    },
    /// A packet no session has (yet).
    Nothing,
}

/// Sessions found so far in a stream of packets.
#[derive(Debug, Default)]
pub struct Finder {
    sessions: Vec<Session>,
    /// The open session of each (source, destination, kind).
    open: HashMap<(IpAddr, IpAddr, Protocol), usize>,
    /// Probes waiting for an answer, by what answers echo (several when a
    /// tool repeats its fields): session, round, TTL, position in the
    /// hop, IPv4 identification.
    pending: HashMap<ProbeId, Vec<Waiting>>,
    /// The probes waiting, by kind, destination and destination port (or
    /// echo sequence): where to look for the probe of an ICMP error whose
    /// quote a middlebox rewrote (a NAT's checksum or identifier, a
    /// firewall's sequence number), or whose probe was captured with a
    /// partial checksum (transmit offload).
    by_port: HashMap<(Protocol, IpAddr, u16), Vec<ProbeId>>,
    seen: u64,
}

impl Finder {
    /// Takes in one IP packet captured at `ts`.
    pub fn packet(&mut self, ts: Timestamp, ip: &[u8]) -> Taken {
        self.seen += 1;
        if self.seen.is_multiple_of(4096) {
            self.expire(ts);
        }
        match classify(ip) {
            Seen::Probe(p) if (1..=MAX_PROBE_TTL).contains(&p.ttl) => {
                let session = self.session_for(ts, p.id, p.hashed, p.ttl);
                let s = &mut self.sessions[session];
                if s.restarts_at(p.ttl) {
                    s.rounds.push(Round {
                        start: ts,
                        hops: Hops::new(),
                    });
                }
                s.lowest = s.lowest.min(p.ttl);
                s.latest = p.ttl;
                let round = s.rounds.len() - 1;
                let hop = s.rounds[round].hops.entry(p.ttl).or_default();
                if hop.len() >= PER_HOP {
                    return Taken::Nothing;
                }
                hop.push(ProbeResult {
                    index: hop.len() as u8,
                    sent: ts,
                    flow: flow_of(&p.id),
                    fields: None,
                    size: None,
                    outcome: Outcome::Lost,
                });
                let loose = self
                    .by_port
                    .entry((p.id.protocol, p.id.dst, p.id.b))
                    .or_default();
                if !loose.contains(&p.id) {
                    loose.push(p.id);
                }
                self.pending.entry(p.id).or_default().push(Waiting {
                    session,
                    round,
                    ttl: p.ttl,
                    at: hop.len() - 1,
                    ident: p.ident,
                });
                Taken::Probe {
                    session,
                    round,
                    ttl: p.ttl,
                }
            }
            Seen::Answer(a) => self.answer(ts, a),
            _ => Taken::Nothing,
        }
    }

    fn session_for(&mut self, ts: Timestamp, id: ProbeId, hashed: u16, ttl: u8) -> usize {
        let key = (id.src, id.dst, id.protocol);
        if let Some(&i) = self.open.get(&key) {
            let s = &mut self.sessions[i];
            let gap = ts.since(s.last);
            if gap <= GAP
                || (gap <= SLOW_GAP && (ttl == s.latest || s.latest.checked_add(1) == Some(ttl)))
            {
                s.last = ts;
                s.ports_vary |= id.port() != s.port;
                s.flows_vary |= match id.protocol {
                    Protocol::Icmp => hashed != s.hashed,
                    _ => flow_of(&id) != s.flow,
                };
                return i;
            }
        }
        self.sessions.push(Session {
            protocol: id.protocol,
            src: id.src,
            dst: id.dst,
            port: id.port(),
            flow: flow_of(&id),
            ports_vary: false,
            flows_vary: false,
            hashed,
            first: ts,
            last: ts,
            rounds: vec![Round {
                start: ts,
                hops: Hops::new(),
            }],
            lowest: u8::MAX,
            latest: 0,
        });
        self.open.insert(key, self.sessions.len() - 1);
        self.sessions.len() - 1
    }

    fn answer(&mut self, ts: Timestamp, a: Answer) -> Taken {
        // The probe the answer quotes (by its identification), else the
        // latest with those fields; for an ICMP error whose quote differs
        // in them, a probe to that port and destination.
        let (id, which) = match self.pending.get(&a.id) {
            Some(waiting) => (
                a.id,
                match a.quoted_ident {
                    Some(ident) => waiting.iter().rposition(|w| w.ident == ident),
                    None => waiting.len().checked_sub(1),
                },
            ),
            None if a.quoted_ttl.is_some() => match self.rewritten(&a) {
                Some((id, at)) => (id, Some(at)),
                None => return Taken::Nothing,
            },
            None => return Taken::Nothing,
        };
        let Some(waiting) = self.pending.get_mut(&id) else {
            return Taken::Nothing;
        };
        let Some(Waiting {
            session,
            round,
            ttl,
            at,
            ..
        }) = which.map(|i| waiting.remove(i))
        else {
            return Taken::Nothing;
        };
        if waiting.is_empty() {
            self.pending.remove(&id);
        }
        let hops = &mut self.sessions[session].rounds[round].hops;
        let probe = &mut hops.get_mut(&ttl).expect("filed")[at];
        probe.outcome = Outcome::Answered {
            answer: trace::Answer {
                at: ts,
                from: a.from,
                kind: a.kind,
                icmp: a.icmp,
                reply_ttl: a.reply_ttl,
                quoted_ttl: a.quoted_ttl,
                quote: None,
                mpls: a.mpls,
            },
            rtt: ts.since(probe.sent),
        };
        Taken::Answer {
            session,
            round,
            ttl,
        }
    }

    /// The waiting probe an ICMP error about a rewritten (or offloaded)
    /// probe answers: one to its destination and port, whose quoted IPv4
    /// identification agrees if it can tell, else the first sent.
    fn rewritten(&self, a: &Answer) -> Option<(ProbeId, usize)> {
        let ids = self.by_port.get(&(a.id.protocol, a.id.dst, a.id.b))?;
        ids.iter()
            .filter_map(|id| Some((*id, self.pending.get(id)?)))
            .flat_map(|(id, waiting)| waiting.iter().enumerate().map(move |(i, w)| (id, i, w)))
            .min_by_key(|(_, _, w)| {
                let sent = self.sessions[w.session].rounds[w.round].hops[&w.ttl][w.at].sent;
                (a.quoted_ident.is_some_and(|q| q != w.ident), sent)
            })
            .map(|(id, i, _)| (id, i))
    }

    /// Forgets probes that waited too long: they stay lost.
    fn expire(&mut self, now: Timestamp) {
        let sessions = &self.sessions;
        self.pending.retain(|_, waiting| {
            waiting.retain(|w| {
                let hops = &sessions[w.session].rounds[w.round].hops;
                now.since(hops[&w.ttl][w.at].sent) < WAIT
            });
            !waiting.is_empty()
        });
        let pending = &self.pending;
        self.by_port.retain(|_, ids| {
            ids.retain(|id| pending.contains_key(id));
            !ids.is_empty()
        });
    }

    /// The sessions that are traceroutes: probes at two TTLs at least.
    pub fn finish(self) -> Vec<Session> {
        self.sessions
            .into_iter()
            .filter(|s| s.hops().any(|(&ttl, _)| ttl != s.lowest))
            .collect()
    }
}

fn flow_of(id: &ProbeId) -> Flow {
    match id.protocol {
        Protocol::Icmp => Flow::of_echo(id.a, id.b),
        _ => Flow::new(id.a),
    }
}

mod session;
#[cfg(test)]
mod tests;
