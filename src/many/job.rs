//! One target of a run with many targets, running: its engine, and with
//! stop sets (`stopset.rs`) the second engine that probes the hops below
//! the start when the stop set could not stand for them. Both keep to
//! their own block of keys (another instance, the same flow: the same
//! path), so a packet goes to the one whose probe it concerns.
//!
//! Part of `many`: no I/O.

use super::stopset::StopSet;
use crate::engine::{Engine, Event, Ignored, Settings, Transmit, Verdict};
use crate::run::RunInfo;
use crate::time::Timestamp;
use crate::trace::TraceSpec;
use crate::trace::{HopResult, Learned, TraceEnd, TraceResult};
use crate::watch::{block_for, round_instance};
use std::collections::HashMap;
use std::time::Duration;
use tracetcp_strategies::Session;

/// What stands for the hops below the start.
enum Below {
    /// The trace starts at TTL 1: nothing.
    Nothing,
    /// Not known yet: the start's hop is not final.
    Unknown,
    /// Another trace's hops.
    Learned(Vec<HopResult>, Learned),
    /// Probed by this engine.
    Probed(Box<Engine>),
}

pub struct Job {
    pub number: usize,
    pub run: RunInfo,
    pub engine: Engine,
    below: Below,
    start: u8,
    /// When the last probe of each TTL left (round trips of the answers
    /// for `routers.rs`).
    sent_at: HashMap<u8, Timestamp>,
}

impl Job {
    /// A target's job: with a stop set, its trace starts at the set's
    /// start (a target of one trace only).
    pub fn new(
        number: usize,
        run: RunInfo,
        settings: &Settings,
        session: Session,
        specs: Vec<TraceSpec>,
        stops: Option<&StopSet>,
    ) -> Self {
        let start = stops.map_or(1, StopSet::start);
        let mut settings = settings.clone();
        let (engine, below) = match start {
            1 => (Engine::live(settings, session, specs), Below::Nothing),
            _ => {
                settings.max_hops = settings.max_hops.saturating_sub(start - 1).max(1);
                settings.first_ttl = start;
                let block = block_for(&settings, 1);
                let engine = Engine::live(settings, session, specs).keys_below(block);
                (engine, Below::Unknown)
            }
        };
        Job {
            number,
            run,
            engine,
            below,
            start,
            sent_at: HashMap::new(),
        }
    }

    /// Whether the job's engines are all done.
    pub fn is_finished(&self) -> bool {
        self.engine.is_finished()
            && match &self.below {
                Below::Probed(e) => e.is_finished(),
                Below::Unknown => false,
                _ => true,
            }
    }

    pub fn in_flight(&self) -> usize {
        self.engine.in_flight() + self.prefix().map_or(0, Engine::in_flight)
    }

    fn prefix(&self) -> Option<&Engine> {
        match &self.below {
            Below::Probed(e) => Some(e),
            _ => None,
        }
    }

    fn prefix_mut(&mut self) -> Option<&mut Engine> {
        match &mut self.below {
            Below::Probed(e) => Some(e),
            _ => None,
        }
    }

    pub fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        // The hops below first: they are what the stop set missed.
        let tx = match self.prefix_mut().and_then(|e| e.poll_transmit(now)) {
            Some(tx) => Some(tx),
            None => self.engine.poll_transmit(now),
        };
        if let Some(tx) = &tx {
            self.sent_at.insert(tx.ttl, now);
        }
        tx
    }

    /// The TTL of the next probe planned.
    pub fn next_ttl(&self) -> Option<u8> {
        self.prefix()
            .and_then(Engine::next_ttl)
            .or_else(|| self.engine.next_ttl())
    }

    /// How long ago the last probe with `ttl` left, at `at`.
    pub fn since_sent(&self, ttl: u8, at: Timestamp) -> Duration {
        self.sent_at
            .get(&ttl)
            .map_or(Duration::ZERO, |&t| at.since(t))
    }

    pub fn handle_packet(
        &mut self,
        ts: Timestamp,
        packet: &[u8],
        stops: Option<&StopSet>,
    ) -> Verdict {
        let verdict = self.engine.handle_packet(ts, packet);
        let verdict = match (verdict, self.prefix_mut()) {
            (Verdict::Ignored(Ignored::NotOurs(_) | Ignored::UnknownProbe), Some(prefix)) => {
                prefix.handle_packet(ts, packet)
            }
            (v, _) => v,
        };
        self.settle(stops);
        verdict
    }

    pub fn handle_timeout(&mut self, now: Timestamp, stops: Option<&StopSet>) {
        self.engine.handle_timeout(now);
        if let Some(e) = self.prefix_mut() {
            e.handle_timeout(now);
        }
        self.settle(stops);
    }

    pub fn next_wakeup(&self) -> Option<Timestamp> {
        [
            self.engine.next_wakeup(),
            self.prefix().and_then(Engine::next_wakeup),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn interrupt(&mut self) {
        self.engine.interrupt();
        match &mut self.below {
            Below::Probed(e) => e.interrupt(),
            // Nothing below will be known.
            Below::Unknown => self.below = Below::Nothing,
            _ => {}
        }
    }

    /// The input ended (a recording's end): every engine ends.
    pub fn end_of_input(&mut self) {
        self.engine.end_of_recording();
        match &mut self.below {
            Below::Probed(e) => e.end_of_recording(),
            Below::Unknown => self.below = Below::Nothing,
            _ => {}
        }
    }

    /// Once the start's hop is final: the stop set stands for the hops
    /// below it, or they are probed.
    fn settle(&mut self, stops: Option<&StopSet>) {
        let Some(stops) = stops.filter(|_| matches!(self.below, Below::Unknown)) else {
            return;
        };
        let mut start_final = self.engine.is_finished();
        while let Some(event) = self.engine.poll_event() {
            if let Event::Hop { ttl, .. } = event {
                start_final |= ttl >= self.start;
            }
        }
        if !start_final {
            return;
        }
        let hop = self.engine.hop(0, self.start);
        self.below = match stops.below(&hop) {
            Some((hops, learned)) => Below::Learned(hops, learned),
            None => Below::Probed(Box::new(self.prefix_engine())),
        };
    }

    /// The engine of hops 1 to start - 1, in a block of keys of its own.
    fn prefix_engine(&self) -> Engine {
        let mut settings = self.engine.settings().clone();
        let block = block_for(&settings, 1);
        settings.first_ttl = 1;
        settings.max_hops = self.start - 1;
        let s = self.engine.session();
        let session = Session::new(s.src(), s.dst(), round_instance(s.instance(), 1, block))
            .expect("same families")
            .with_flow(s.flow());
        Engine::live(settings, session, self.engine.specs()).keys_below(block)
    }

    /// The target's results: the hops below the start (learned or
    /// probed) and the trace from it.
    pub fn results(&self) -> Vec<TraceResult> {
        let mut results = self.engine.results();
        let below = match &self.below {
            Below::Nothing | Below::Unknown => return results,
            Below::Learned(hops, learned) => (
                TraceResult::new(self.engine.spec(0), hops.clone(), TraceEnd::MaxHops),
                Some(*learned),
            ),
            Below::Probed(e) => (e.result(0), None),
        };
        let (prefix, learned) = below;
        let Some(trace) = results.first_mut() else {
            return results;
        };
        if matches!(
            prefix.end,
            TraceEnd::Reached { .. } | TraceEnd::Unreachable { .. }
        ) {
            // The target is nearer than the start: the trace ends below.
            *trace = prefix;
            return results;
        }
        let mut hops = prefix.hops;
        hops.append(&mut trace.hops);
        trace.hops = hops;
        trace.learned = learned;
        if prefix.end == TraceEnd::Interrupted {
            trace.end = TraceEnd::Interrupted;
        }
        results
    }
}
