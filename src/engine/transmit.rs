//! The engine's send path: which planned probe goes next (the TTL window,
//! pacing, the in-flight limit), which flow it takes, and filing it under
//! its key, hop and deadline.

use super::{Engine, Mode, Paths, Planned, ProbeRecord, ProbeState, Responder, Transmit};
use crate::time::Timestamp;
use std::cmp::Reverse;
use tracetcp_strategies::{Flow, ProbeKey, ProbeSpec, Protocol, Strategy};

impl Engine {
    /// The next probe to send at `now`, if the window and pacing allow one.
    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        if self.mode != Mode::Live || self.interrupted {
            return None;
        }
        self.next_send = None;
        if self.in_flight >= self.settings.max_in_flight {
            return None;
        }
        if self.probes.len() >= usize::from(self.key_limit) {
            self.run_out_of_keys();
            return None;
        }
        let ttls: Vec<u8> = self.plan.keys().copied().collect();
        for ttl in ttls {
            let Some(planned) = self.next_planned(ttl) else {
                self.plan.remove(&ttl);
                continue;
            };
            if let Err(at) = self.window.admits(ttl, planned.index, now) {
                // Higher TTLs wait too.
                self.next_send = Some(self.next_send.map_or(at, |t| t.min(at)));
                break;
            }
            let protocol = self.traces[planned.trace].spec.protocol;
            let responder = self.responder(ttl, protocol);
            let width = self
                .discovery
                .as_ref()
                .map_or(1, |d| d.width(planned.trace, ttl));
            let ready = self.pacer.ready_at(responder, width, now);
            if ready > now {
                self.next_send = Some(self.next_send.map_or(ready, |t| t.min(ready)));
                continue;
            }
            self.pacer.take(responder, width);
            if let Some(q) = self.plan.get_mut(&ttl) {
                q.pop_front();
            }
            return Some(self.transmit(planned, ttl, now));
        }
        None
    }

    /// Every key is used: nothing more can be sent. The traces end where
    /// their probes do, as a recording's do at its end.
    fn run_out_of_keys(&mut self) {
        if self.out_of_keys {
            return;
        }
        log::debug!("every key of this engine's block is used: no more probes");
        self.out_of_keys = true;
        self.plan.clear();
        for trace in 0..self.traces.len() {
            self.advance(trace);
        }
    }

    /// The TTL of the next probe planned, if any (whether the window and
    /// pacing let it go now or not): what a run of many targets paces by.
    pub fn next_ttl(&self) -> Option<u8> {
        if self.mode != Mode::Live || self.interrupted {
            return None;
        }
        self.plan.iter().find_map(|(&ttl, queue)| {
            queue
                .iter()
                .any(|p| {
                    let t = &self.traces[p.trace];
                    !t.done && t.end.is_none_or(|end| ttl <= end)
                })
                .then_some(ttl)
        })
    }

    /// The first planned probe of `ttl` whose trace still wants it.
    pub(super) fn next_planned(&mut self, ttl: u8) -> Option<Planned> {
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

    pub(super) fn responder(&self, ttl: u8, protocol: Protocol) -> Responder {
        match self.destination_ttl {
            Some(d) if ttl >= d && protocol == Protocol::Udp => Responder::DestinationIcmp,
            Some(d) if ttl >= d => Responder::DestinationFree,
            _ => Responder::Router(ttl),
        }
    }

    pub(super) fn transmit(&mut self, planned: Planned, ttl: u8, now: Timestamp) -> Transmit {
        let id = self.probes.len();
        let key = ProbeKey::for_index(id as u64);
        let spec = self.traces[planned.trace].spec;
        let flow = match (planned.flow, self.settings.paths) {
            (Some(flow), _) => flow,
            (None, Paths::PerProbe) => Flow::per_probe(self.session.instance(), key),
            (None, _) => self.session.flow(),
        };
        let index = match planned.flow {
            // The black-hole search's probes are numbered as they go.
            _ if planned.sizing => self.traces[planned.trace].sizing.len().min(255) as u8,
            Some(_) if planned.check => planned.index,
            // Multipath: probes of a hop are numbered as they go.
            Some(_) => {
                let offset = usize::from(ttl - self.settings.first_ttl);
                self.traces[planned.trace].ids(offset).len().min(255) as u8
            }
            None => planned.index,
        };
        let size = self.size_of(&planned);
        let packet = self
            .strategy(spec.protocol)
            .map(|s| {
                s.build_probe(&ProbeSpec {
                    ttl,
                    key,
                    dst_port: spec.port,
                    flow,
                    size,
                })
            })
            .unwrap_or_default();
        self.probes.push(ProbeRecord {
            trace: planned.trace,
            ttl,
            index,
            flow,
            check: planned.check,
            sizing: planned.sizing,
            size: size.map(|_| packet.len().min(usize::from(u16::MAX)) as u16),
            fields: None,
            requested: Some(now),
            sent: None,
            suspect: None,
            state: ProbeState::Pending,
        });
        self.register(id, key);
        Transmit {
            trace: planned.trace,
            ttl,
            index,
            destination: self.session.dst(),
            packet,
        }
    }

    /// Files a new pending probe under its key, hop and deadline.
    pub(super) fn register(&mut self, id: usize, key: ProbeKey) {
        let p = &self.probes[id];
        let offset = usize::from(p.ttl - self.settings.first_ttl);
        if p.check {
            self.traces[p.trace].checks.push(id);
        } else if p.sizing {
            self.traces[p.trace].sizing.push(id);
        } else {
            self.traces[p.trace].ids_mut(offset).push(id);
        }
        self.by_key.insert(key, id);
        self.deadlines.push(Reverse((self.deadline(id), id)));
        self.in_flight += 1;
    }

    pub(super) fn deadline(&self, id: usize) -> Timestamp {
        self.probes[id]
            .sent_or_requested()
            .after(self.settings.timeout)
    }

    pub(super) fn strategy(&self, protocol: Protocol) -> Option<&dyn Strategy> {
        self.strategies
            .iter()
            .find(|s| s.protocol() == protocol)
            .map(|s| s.as_ref())
    }
}
