//! The trace engine: a sans-IO state machine. It is told the time and the
//! packets seen, and says which probes to send, when to wake it, and which
//! hops are final. Live tracing and replay drive the same engine.

mod pacing;
mod results;
mod settings;

pub use settings::Settings;

use crate::time::Timestamp;
use crate::trace::{Answer, TraceSpec};
use pacing::{Pacer, Responder};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use tracetcp_strategies::{
    strategy_for, Classification, NotOurs, ProbeKey, ProbeSpec, Protocol, Reply, SeenProbe,
    Session, Strategy,
};

/// A probe to put on the wire now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub trace: usize,
    pub ttl: u8,
    pub index: u8,
    pub destination: IpAddr,
    /// The whole IP packet.
    pub packet: Vec<u8>,
}

/// Something the caller may want to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// This hop and all before it in its trace are final.
    Hop { trace: usize, ttl: u8 },
    /// This trace shows nothing more.
    TraceDone { trace: usize },
}

/// What the engine made of one captured packet (the debug view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Probe {
        trace: usize,
        ttl: u8,
        index: u8,
    },
    Answer {
        trace: usize,
        ttl: u8,
        index: u8,
        reply: Reply,
    },
    Ignored(Ignored),
    /// A captured frame without an IP packet in it.
    NotIp,
}

/// Why a packet changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    NotOurs(NotOurs),
    /// Our key, but no probe of ours carries it now.
    UnknownProbe,
    /// A probe or port no trace of this run has.
    NoSuchTrace,
    /// The probe was already answered.
    Duplicate,
    /// The answer came after the probe's timeout.
    Late,
    /// The probe's trace had already ended below its TTL.
    BeyondEnd,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ignored::NotOurs(why) => write!(f, "not ours: {why}"),
            Ignored::UnknownProbe => f.write_str("no probe of ours has this key now"),
            Ignored::NoSuchTrace => f.write_str("no trace of this run sends such probes"),
            Ignored::Duplicate => f.write_str("duplicate: probe already answered"),
            Ignored::Late => f.write_str("late: after the probe's timeout"),
            Ignored::BeyondEnd => f.write_str("beyond the end of its trace"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeState {
    Pending,
    Answered(Answer),
    Lost,
    /// Its trace ended below its TTL before it was answered.
    Abandoned,
}

#[derive(Debug)]
struct ProbeRecord {
    trace: usize,
    ttl: u8,
    index: u8,
    /// When it was handed to the sender (live only).
    requested: Option<Timestamp>,
    /// When the capture saw it leave.
    sent: Option<Timestamp>,
    state: ProbeState,
}

impl ProbeRecord {
    fn sent_or_requested(&self) -> Timestamp {
        self.sent.or(self.requested).unwrap_or_default()
    }
}

#[derive(Debug)]
struct TraceState {
    spec: TraceSpec,
    /// Probe ids per hop, indexed by `ttl - first_ttl`.
    hops: Vec<Vec<usize>>,
    /// The lowest TTL whose answer ends the trace.
    end: Option<u8>,
    /// How many hops have been reported final.
    emitted: usize,
    done: bool,
}

#[derive(Debug, Clone, Copy)]
struct Planned {
    trace: usize,
    index: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Probes are planned and sent by the engine.
    Live,
    /// Probes are learnt from the packets seen (a recording); `eof` once
    /// the recording has nothing more.
    Replay { eof: bool },
}

/// The state machine of one run: one or more traces over one session.
pub struct Engine {
    settings: Settings,
    session: Session,
    strategies: Vec<Box<dyn Strategy>>,
    traces: Vec<TraceState>,
    /// Which trace sends which probes.
    trace_of: HashMap<TraceSpec, usize>,
    probes: Vec<ProbeRecord>,
    by_key: HashMap<ProbeKey, usize>,
    plan: BTreeMap<u8, VecDeque<Planned>>,
    deadlines: BinaryHeap<Reverse<(Timestamp, usize)>>,
    pacer: Pacer,
    next_send: Option<Timestamp>,
    in_flight: usize,
    /// Lowest TTL at which the destination answered, in any trace.
    destination_ttl: Option<u8>,
    events: VecDeque<Event>,
    interrupted: bool,
    mode: Mode,
}

impl Engine {
    /// An engine that plans and sends its probes.
    pub fn live(settings: Settings, session: Session, specs: Vec<TraceSpec>) -> Self {
        let mut e = Self::new(settings, session, specs, Mode::Live);
        let s = &e.settings;
        for ttl in s.first_ttl..=s.last_ttl() {
            let queue = e.plan.entry(ttl).or_default();
            for index in 0..s.probes_per_hop {
                for trace in 0..e.traces.len() {
                    queue.push_back(Planned { trace, index });
                }
            }
        }
        e
    }

    /// An engine that learns its probes from recorded packets.
    pub fn replay(settings: Settings, session: Session, specs: Vec<TraceSpec>) -> Self {
        Self::new(settings, session, specs, Mode::Replay { eof: false })
    }

    fn new(mut settings: Settings, session: Session, specs: Vec<TraceSpec>, mode: Mode) -> Self {
        settings.first_ttl = settings.first_ttl.max(1);
        settings.probes_per_hop = settings.probes_per_hop.max(1);
        settings.max_in_flight = settings
            .max_in_flight
            .clamp(1, usize::from(tracetcp_strategies::KEY_SPAN) / 2);
        let mut protocols: Vec<Protocol> = specs.iter().map(|s| s.protocol).collect();
        protocols.sort();
        protocols.dedup();
        let hops = usize::from(settings.last_ttl() - settings.first_ttl) + 1;
        let trace_of = specs.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        Engine {
            trace_of,
            strategies: protocols
                .into_iter()
                .map(|p| strategy_for(p, session))
                .collect(),
            traces: specs
                .into_iter()
                .map(|spec| TraceState {
                    spec,
                    hops: vec![Vec::new(); hops],
                    end: None,
                    emitted: 0,
                    done: false,
                })
                .collect(),
            pacer: Pacer::new(settings.pacing),
            settings,
            session,
            probes: Vec::new(),
            by_key: HashMap::new(),
            plan: BTreeMap::new(),
            deadlines: BinaryHeap::new(),
            next_send: None,
            in_flight: 0,
            destination_ttl: None,
            events: VecDeque::new(),
            interrupted: false,
            mode,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn specs(&self) -> Vec<TraceSpec> {
        self.traces.iter().map(|t| t.spec).collect()
    }

    pub fn spec(&self, trace: usize) -> TraceSpec {
        self.traces[trace].spec
    }

    /// The BPF filter that captures every strategy's probes and answers.
    pub fn filter(&self) -> String {
        let parts: Vec<String> = self
            .strategies
            .iter()
            .map(|s| format!("({})", s.filter()))
            .collect();
        parts.join(" or ")
    }

    /// Probes sent so far (live) or seen (replay).
    pub fn probes_sent(&self) -> usize {
        self.probes.len()
    }

    /// The next probe to send at `now`, if the window and pacing allow one.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        if self.mode != Mode::Live || self.interrupted {
            return None;
        }
        self.next_send = None;
        if self.in_flight >= self.settings.max_in_flight {
            return None;
        }
        let ttls: Vec<u8> = self.plan.keys().copied().collect();
        for ttl in ttls {
            let Some(planned) = self.next_planned(ttl) else {
                self.plan.remove(&ttl);
                continue;
            };
            let protocol = self.traces[planned.trace].spec.protocol;
            let responder = self.responder(ttl, protocol);
            let ready = self.pacer.ready_at(responder, now);
            if ready > now {
                self.next_send = Some(self.next_send.map_or(ready, |t| t.min(ready)));
                continue;
            }
            self.pacer.take(responder);
            if let Some(q) = self.plan.get_mut(&ttl) {
                q.pop_front();
            }
            return Some(self.transmit(planned, ttl, now));
        }
        None
    }

    /// The first planned probe of `ttl` whose trace still wants it.
    fn next_planned(&mut self, ttl: u8) -> Option<Planned> {
        let queue = self.plan.get_mut(&ttl)?;
        while let Some(p) = queue.front().copied() {
            let t = &self.traces[p.trace];
            if t.done || t.end.is_some_and(|end| ttl > end) {
                queue.pop_front();
            } else {
                return Some(p);
            }
        }
        None
    }

    fn responder(&self, ttl: u8, protocol: Protocol) -> Responder {
        match self.destination_ttl {
            Some(d) if ttl >= d && protocol == Protocol::Udp => Responder::DestinationIcmp,
            Some(d) if ttl >= d => Responder::DestinationFree,
            _ => Responder::Router(ttl),
        }
    }

    fn transmit(&mut self, planned: Planned, ttl: u8, now: Timestamp) -> Transmit {
        let id = self.probes.len();
        let key = ProbeKey::for_index(id as u64);
        let spec = self.traces[planned.trace].spec;
        self.probes.push(ProbeRecord {
            trace: planned.trace,
            ttl,
            index: planned.index,
            requested: Some(now),
            sent: None,
            state: ProbeState::Pending,
        });
        self.register(id, key);
        let packet = self
            .strategy(spec.protocol)
            .map(|s| {
                s.build_probe(&ProbeSpec {
                    ttl,
                    key,
                    dst_port: spec.port,
                })
            })
            .unwrap_or_default();
        Transmit {
            trace: planned.trace,
            ttl,
            index: planned.index,
            destination: self.session.dst(),
            packet,
        }
    }

    /// Files a new pending probe under its key, hop and deadline.
    fn register(&mut self, id: usize, key: ProbeKey) {
        let p = &self.probes[id];
        let offset = usize::from(p.ttl - self.settings.first_ttl);
        self.traces[p.trace].hops[offset].push(id);
        self.by_key.insert(key, id);
        self.deadlines.push(Reverse((self.deadline(id), id)));
        self.in_flight += 1;
    }

    fn deadline(&self, id: usize) -> Timestamp {
        self.probes[id]
            .sent_or_requested()
            .after(self.settings.timeout)
    }

    fn strategy(&self, protocol: Protocol) -> Option<&dyn Strategy> {
        self.strategies
            .iter()
            .find(|s| s.protocol() == protocol)
            .map(|s| s.as_ref())
    }

    /// Takes in one captured IP packet with its capture timestamp.
    pub fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        let mut first_reason = None;
        for s in &self.strategies {
            match s.classify(packet) {
                Classification::NotOurs(why) => {
                    first_reason.get_or_insert(why);
                }
                Classification::Probe(seen) => {
                    let protocol = s.protocol();
                    return self.on_probe(ts, protocol, seen);
                }
                Classification::Reply(reply) => {
                    let protocol = s.protocol();
                    return self.on_reply(ts, protocol, reply);
                }
            }
        }
        Verdict::Ignored(Ignored::NotOurs(
            first_reason.unwrap_or(NotOurs::OtherProtocol),
        ))
    }

    /// The probe with `key`, if it belongs to a `protocol` trace to `port`.
    fn probe_for(&self, key: ProbeKey, protocol: Protocol, port: u16) -> Option<usize> {
        let id = *self.by_key.get(&key)?;
        let spec = self.traces[self.probes[id].trace].spec;
        (spec.protocol == protocol && spec.port == port).then_some(id)
    }

    fn on_probe(&mut self, ts: Timestamp, protocol: Protocol, seen: SeenProbe) -> Verdict {
        let known = self
            .probe_for(seen.key, protocol, seen.dst_port)
            .filter(|&id| self.probes[id].ttl == seen.ttl && self.probes[id].sent.is_none());
        let id = match (known, self.mode) {
            (Some(id), _) => {
                self.probes[id].sent = Some(ts);
                self.deadlines.push(Reverse((self.deadline(id), id)));
                id
            }
            (None, Mode::Replay { .. }) => match self.learn_probe(ts, protocol, seen) {
                Ok(id) => id,
                Err(why) => return Verdict::Ignored(why),
            },
            (None, Mode::Live) => return Verdict::Ignored(Ignored::UnknownProbe),
        };
        let p = &self.probes[id];
        Verdict::Probe {
            trace: p.trace,
            ttl: p.ttl,
            index: p.index,
        }
    }

    /// Replay: a recorded probe becomes the next probe of its hop.
    fn learn_probe(
        &mut self,
        ts: Timestamp,
        protocol: Protocol,
        seen: SeenProbe,
    ) -> Result<usize, Ignored> {
        let SeenProbe {
            key,
            ttl,
            dst_port: port,
        } = seen;
        let trace = *self
            .trace_of
            .get(&TraceSpec::new(protocol, port))
            .ok_or(Ignored::NoSuchTrace)?;
        if ttl < self.settings.first_ttl || ttl > self.settings.last_ttl() {
            return Err(Ignored::NoSuchTrace);
        }
        let t = &self.traces[trace];
        if t.done || t.end.is_some_and(|end| ttl > end) {
            return Err(Ignored::BeyondEnd);
        }
        let index = t.hops[usize::from(ttl - self.settings.first_ttl)].len();
        if index >= usize::from(self.settings.probes_per_hop) {
            return Err(Ignored::NoSuchTrace);
        }
        let id = self.probes.len();
        self.probes.push(ProbeRecord {
            trace,
            ttl,
            index: index as u8,
            requested: None,
            sent: Some(ts),
            state: ProbeState::Pending,
        });
        self.register(id, key);
        Ok(id)
    }

    fn on_reply(&mut self, ts: Timestamp, protocol: Protocol, reply: Reply) -> Verdict {
        let Some(id) = self.probe_for(reply.key, protocol, reply.dst_port) else {
            return Verdict::Ignored(if self.by_key.contains_key(&reply.key) {
                Ignored::NoSuchTrace
            } else {
                Ignored::UnknownProbe
            });
        };
        let deadline = self.deadline(id);
        let p = &mut self.probes[id];
        match p.state {
            ProbeState::Pending if ts > deadline => return Verdict::Ignored(Ignored::Late),
            ProbeState::Pending if ts < p.sent_or_requested() => {
                return Verdict::Ignored(Ignored::UnknownProbe)
            }
            ProbeState::Pending => {}
            ProbeState::Answered(_) => return Verdict::Ignored(Ignored::Duplicate),
            ProbeState::Lost => return Verdict::Ignored(Ignored::Late),
            ProbeState::Abandoned => return Verdict::Ignored(Ignored::BeyondEnd),
        }
        p.state = ProbeState::Answered(Answer {
            at: ts,
            from: reply.from,
            kind: reply.kind,
            icmp: reply.icmp,
            reply_ttl: reply.ttl,
            quoted_ttl: reply.quoted_ttl,
        });
        self.in_flight -= 1;
        let (trace, ttl, index) = (p.trace, p.ttl, p.index);
        if reply.kind.is_destination() {
            self.destination_ttl = Some(self.destination_ttl.map_or(ttl, |d| d.min(ttl)));
        }
        if reply.kind.ends_trace() {
            self.end_trace_at(trace, ttl);
        }
        self.advance(trace);
        Verdict::Answer {
            trace,
            ttl,
            index,
            reply,
        }
    }

    /// Nothing beyond `ttl` is sent or shown for this trace any more.
    fn end_trace_at(&mut self, trace: usize, ttl: u8) {
        let t = &mut self.traces[trace];
        if t.end.is_some_and(|end| end <= ttl) {
            return;
        }
        t.end = Some(ttl);
        let beyond = usize::from(ttl - self.settings.first_ttl) + 1;
        for &id in t.hops.iter().skip(beyond).flatten() {
            if self.probes[id].state == ProbeState::Pending {
                self.probes[id].state = ProbeState::Abandoned;
                self.in_flight -= 1;
            }
        }
    }

    /// Reports the hops of `trace` that have become final, in order.
    fn advance(&mut self, trace: usize) {
        let first = self.settings.first_ttl;
        let per_hop = usize::from(self.settings.probes_per_hop);
        let eof = self.mode == Mode::Replay { eof: true };
        let t = &mut self.traces[trace];
        let last = t.end.unwrap_or(self.settings.last_ttl());
        while !t.done {
            let ttl = usize::from(first) + t.emitted;
            if ttl > usize::from(last) {
                t.done = true;
                self.events.push_back(Event::TraceDone { trace });
                break;
            }
            let ids = &t.hops[t.emitted];
            let complete = ids.len() >= per_hop || eof;
            let settled = ids
                .iter()
                .all(|&id| self.probes[id].state != ProbeState::Pending);
            if !(complete && settled) {
                break;
            }
            self.events.push_back(Event::Hop {
                trace,
                ttl: ttl as u8,
            });
            t.emitted += 1;
        }
    }

    /// Gives up on every probe whose timeout passed before `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if deadline >= now {
                break;
            }
            self.deadlines.pop();
            if self.probes[id].state != ProbeState::Pending || self.deadline(id) != deadline {
                continue;
            }
            self.probes[id].state = ProbeState::Lost;
            self.in_flight -= 1;
            let trace = self.probes[id].trace;
            self.advance(trace);
        }
    }

    /// When the engine next needs the caller: a probe's timeout or the
    /// moment pacing lets the next probe go.
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        let timeout = self.deadlines.peek().map(|Reverse((t, _))| *t);
        match (timeout, self.next_send) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn is_finished(&self) -> bool {
        self.traces.iter().all(|t| t.done)
    }

    /// Replay: the recording has nothing more. Every probe still waiting
    /// is lost, and hops with fewer probes than planned are final.
    pub fn end_of_recording(&mut self) {
        self.mode = Mode::Replay { eof: true };
        self.handle_timeout(Timestamp::from_nanos(u64::MAX));
        for trace in 0..self.traces.len() {
            self.advance(trace);
        }
    }

    /// Stops the run where it is (Ctrl-C): nothing more is sent, and the
    /// results show what was found so far.
    pub fn interrupt(&mut self) {
        self.interrupted = true;
    }
}

#[cfg(test)]
mod tests;
