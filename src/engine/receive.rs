//! The engine's receive path: a captured packet classified by the
//! strategies, matched to its probe (or, in a replay, learnt as a probe),
//! and an answer that ends a trace.

use super::{Engine, Ignored, Mode, Paths, ProbeRecord, ProbeState, Transport, Verdict};
use crate::time::Timestamp;
use crate::trace::{Answer, TraceSpec};
use std::cmp::Reverse;
use tracetcp_strategies::wire::Quoting;
use tracetcp_strategies::{
    Classification, Fields, Flow, NotOurs, ProbeKey, Protocol, Reply, ReplyKind, SeenProbe,
};

impl Engine {
    /// Takes in one captured IP packet with its capture timestamp.
    pub fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        // Everything captured before this packet is in: a live run, too,
        // judges its suspects now, as its replay will.
        self.judge_suspects(ts);
        if self.recent.seen_again(ts, packet) {
            return Verdict::Ignored(Ignored::DuplicatePacket);
        }
        let mut first_reason = None;
        for s in &self.strategies {
            match s.classify(packet) {
                Classification::NotOurs(why) => {
                    first_reason.get_or_insert(why);
                }
                Classification::Probe(seen) => {
                    let protocol = s.protocol();
                    let verdict = self.on_probe(ts, protocol, seen);
                    // The probe as it left, to compare its quotes with
                    // (which a run through ordinary sockets never sees).
                    if let Some(&id) = self.by_key.get(&seen.key) {
                        let quotes_seen = self.settings.transport == Transport::Capture;
                        if quotes_seen && matches!(verdict, Verdict::Probe { .. }) {
                            self.probes[id].fields = Fields::of(packet, Quoting::Whole);
                        }
                    }
                    return verdict;
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

    /// The probe with `key`, if it belongs to a `protocol` trace to `port`
    /// and went on `flow` (any flow when `None`).
    fn probe_for(
        &self,
        key: ProbeKey,
        protocol: Protocol,
        port: u16,
        flow: Option<Flow>,
    ) -> Option<usize> {
        let id = *self.by_key.get(&key)?;
        let p = &self.probes[id];
        let spec = self.traces[p.trace].spec;
        let same_flow = flow.is_none_or(|f| f == p.flow);
        (spec.protocol == protocol && spec.port == port && same_flow).then_some(id)
    }

    fn on_probe(&mut self, ts: Timestamp, protocol: Protocol, seen: SeenProbe) -> Verdict {
        let known = self
            .probe_for(seen.key, protocol, seen.dst_port, Some(seen.flow))
            .filter(|&id| self.probes[id].ttl == seen.ttl && self.probes[id].sent.is_none());
        let id = match (known, self.mode) {
            (Some(id), _) => {
                self.probes[id].sent = Some(ts);
                let p = &self.probes[id];
                let (trace, ttl, hop_probe) = (p.trace, p.ttl, !p.check && !p.sizing);
                if hop_probe && self.rate_limits.is_some() {
                    self.suspect(id);
                    self.number_as_seen(id);
                }
                self.deadlines.push(Reverse((self.deadline(id), id)));
                let p = &self.probes[id];
                if p.size.is_some() && hop_probe {
                    self.probes[id].index = self.free_index(trace, ttl, id);
                }
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
            again: self.is_sent_again(id),
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
            flow,
            ..
        } = seen;
        if key.get() >= self.key_limit {
            // Another engine's block (the next round's probes).
            return Err(Ignored::NotOurs(NotOurs::OtherInstance));
        }
        let trace = *self
            .trace_of
            .get(&TraceSpec::new(protocol, port))
            .ok_or(Ignored::NoSuchTrace)?;
        if ttl < self.settings.first_ttl || ttl > self.settings.last_ttl() {
            return Err(Ignored::NoSuchTrace);
        }
        let t = &self.traces[trace];
        if t.end.is_some_and(|end| ttl > end) {
            return Ok(self.learn_left(ts, trace, seen, ProbeState::Abandoned));
        }
        // A SYN of the hop a SYN-ACK made moot, seen leaving after it: the
        // live run had sent it before the SYN-ACK came, and dropped it
        // (see `supersede`): whenever its capture was read late (a slow
        // capture, an answer overtaking the routers' on the way). With
        // --mtu a full-size probe takes longer to go out than the bare one
        // answered first. (Recordings made before supersede existed hold
        // SYNs sent after the SYN-ACK while the trace went on, and keep
        // them: they do not say `moot_syns_dropped`.)
        let moot = t.short_hop == Some(ttl) && flow == self.session.flow();
        if moot && (t.done || self.settings.mtu.is_some() || self.settings.moot_syns_dropped) {
            return Ok(self.learn_left(ts, trace, seen, ProbeState::Superseded));
        }
        if t.done {
            return Err(Ignored::BeyondEnd);
        }
        // With one flow per trace, a probe on another flow is the flow
        // check's (see check.rs).
        let check = self.settings.paths == Paths::OneFlow && flow != self.session.flow();
        let mut sizing = false;
        let index = if check {
            let index = self.check_index(flow).ok_or(Ignored::NoSuchTrace)?;
            if t.checks.iter().any(|&id| self.probes[id].index == index) {
                return Err(Ignored::NoSuchTrace);
            }
            usize::from(index)
        } else if self.rate_limits.is_some() {
            let nth = t.ids(usize::from(ttl - self.settings.first_ttl)).len();
            usize::from(
                self.nth_index(trace, ttl, nth)
                    .ok_or(Ignored::NoSuchTrace)?,
            )
        } else {
            let index = self.counted(trace, usize::from(ttl - self.settings.first_ttl));
            let multipath = self.discovery.is_some();
            if index >= usize::from(self.settings.probes_per_hop) && !multipath {
                // A full hop: with --mtu, the black-hole search's probe.
                if self.settings.mtu.is_none() {
                    return Err(Ignored::NoSuchTrace);
                }
                sizing = true;
                t.sizing.len()
            } else {
                index
            }
        };
        if check {
            self.traces[trace].check = Some(ttl);
        }
        let id = self.probes.len();
        self.probes.push(ProbeRecord {
            trace,
            ttl,
            index: index.min(255) as u8,
            flow,
            check,
            sizing,
            size: self.settings.mtu.map(|_| seen.size),
            fields: None,
            requested: None,
            sent: Some(ts),
            suspect: None,
            state: ProbeState::Pending,
        });
        if !check && !sizing {
            self.suspect(id);
        }
        self.register(id, key);
        if self.settings.mtu.is_some() && !check && !sizing {
            self.probes[id].index = self.free_index(trace, ttl, id);
        }
        if let Some(d) = self.discovery.as_mut() {
            d.sent(trace, ttl, flow);
        }
        Ok(id)
    }

    /// Replay: a probe seen leaving after the live run had left it (in
    /// `state`): beyond its trace's end (abandoned: filed under its hop,
    /// which is never shown), or on a hop a SYN-ACK made moot (superseded:
    /// dropped from its hop). The live run sent it before it knew, and
    /// called it its probe; its answer is ignored.
    fn learn_left(
        &mut self,
        ts: Timestamp,
        trace: usize,
        seen: SeenProbe,
        state: ProbeState,
    ) -> usize {
        let SeenProbe { key, ttl, flow, .. } = seen;
        let offset = usize::from(ttl - self.settings.first_ttl);
        let id = self.probes.len();
        // Numbered as the live run had it: after the hop's probes, or with
        // --mtu (whose probes take the lowest index free when seen
        // leaving) the lowest index the hop's probes leave free.
        let superseded = state == ProbeState::Superseded;
        let sized =
            (superseded && self.settings.mtu.is_some()).then(|| self.free_index(trace, ttl, id));
        let t = &mut self.traces[trace];
        let index = match (state, sized) {
            (_, Some(free)) => usize::from(free),
            (ProbeState::Superseded, None) => {
                t.superseded_seen += 1;
                t.ids(offset).len() + t.superseded_seen - 1
            }
            (_, None) => {
                t.ids_mut(offset).push(id);
                t.ids(offset).len() - 1
            }
        };
        let index = index.min(255) as u8;
        self.probes.push(ProbeRecord {
            trace,
            ttl,
            index,
            flow,
            check: false,
            sizing: false,
            size: self.settings.mtu.map(|_| seen.size),
            fields: None,
            requested: None,
            sent: Some(ts),
            suspect: None,
            state,
        });
        self.by_key.insert(key, id);
        id
    }

    fn on_reply(&mut self, ts: Timestamp, protocol: Protocol, reply: Reply) -> Verdict {
        // A NAT on the way rewrote the probe's source (and with it, maybe,
        // the port that is its flow): its key alone says which it was.
        let translated = reply.quote.is_some_and(|q| q.src != self.session.src());
        let flow = (!translated).then_some(reply.flow);
        // Where the quote's places for the key disagree (a middlebox
        // rewrote one), the other one's probe.
        let found = self
            .probe_for(reply.key, protocol, reply.dst_port, flow)
            .or_else(|| {
                let also = reply.also?;
                self.probe_for(also, protocol, reply.dst_port, flow)
            });
        let Some(id) = found else {
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
            ProbeState::Superseded => return Verdict::Ignored(Ignored::Superseded),
            ProbeState::TooBig(_) => return Verdict::Ignored(Ignored::Duplicate),
            ProbeState::RateLimited { .. } => return Verdict::Ignored(Ignored::Late),
        }
        let answer = Answer {
            at: ts,
            from: reply.from,
            kind: reply.kind,
            icmp: reply.icmp,
            reply_ttl: reply.ttl,
            quoted_ttl: reply.quoted_ttl,
            quote: reply.quote,
            mpls: reply.mpls,
        };
        let (trace, ttl, index) = (p.trace, p.ttl, p.index);
        let verdict = Verdict::Answer {
            trace,
            ttl,
            index,
            reply,
            sent: p.fields,
        };
        if self.too_big(id, answer) {
            // Sent again smaller: not this hop's answer.
            self.advance(trace);
            return verdict;
        }
        let p = &mut self.probes[id];
        p.state = ProbeState::Answered(answer);
        self.in_flight -= 1;
        if p.check || p.sizing {
            // A check's (or the black-hole search's) answer says nothing
            // of this trace's hops.
            self.advance(trace);
            return verdict;
        }
        let rtt = ts.since(p.sent_or_requested());
        self.window.answered(ttl, ts, rtt);
        if let Some(limits) = self.rate_limits.as_mut() {
            limits.answered(ttl, id, ts.before(rtt), ts);
            if self.is_sent_again(id) {
                self.sent_again_fate(id, true);
            }
        }
        if reply.kind.is_destination() {
            self.destination_ttl = Some(self.destination_ttl.map_or(ttl, |d| d.min(ttl)));
        }
        if reply.kind == ReplyKind::SynAck && self.settings.paths == Paths::OneFlow {
            self.supersede(id);
        }
        if self.discovery.is_some() {
            self.discovered(id);
        } else if reply.kind.ends_trace() {
            self.end_trace_at(trace, ttl);
        }
        self.advance(trace);
        verdict
    }

    /// A SYN-ACK answered probe `answered`. The other SYNs of its flow
    /// already on their way to the same hop met a server in SYN-RECEIVED
    /// for this 4-tuple, which answers them with a bare ACK or not at all:
    /// their results would be false losses, and any more SYNs of the flow
    /// would meet the same. They are dropped from the hop, which keeps the
    /// one probe that tells the port is open (a hop line shows one time
    /// for the destination anyway), and the target gets no more SYNs.
    fn supersede(&mut self, answered: usize) {
        let (trace, ttl, flow) = {
            let p = &self.probes[answered];
            (p.trace, p.ttl, p.flow)
        };
        let offset = usize::from(ttl - self.settings.first_ttl);
        let probes = &mut self.probes;
        let mut dropped = 0;
        self.traces[trace].ids_mut(offset).retain(|&id| {
            let p = &mut probes[id];
            let collides = id != answered && p.flow == flow && p.state == ProbeState::Pending;
            if collides {
                p.state = ProbeState::Superseded;
                dropped += 1;
            }
            !collides
        });
        self.in_flight -= dropped;
        // Nor are the SYNs of this hop not sent yet.
        if let Some(queue) = self.plan.get_mut(&ttl) {
            queue.retain(|p| p.trace != trace);
        }
        self.traces[trace].short_hop = Some(ttl);
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
}
