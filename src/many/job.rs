//! One target of a run with many targets, running: its engine, and with
//! stop sets (`stopset.rs`) the second engine that probes the hops below
//! the start when the stop set could not stand for them. Both keep to
//! their own block of keys (another instance, the same flow: the same
//! path), so a packet goes to the one whose probe it concerns.
//!
//! A replay makes the same engines from the target's note (its start
//! hop), learning their probes from the recording; what stood for the
//! hops below is read from the note that ends the target.
//!
//! Part of `many`: no I/O.

use super::stopset::StopSet;
use crate::engine::{Engine, Event, Ignored, Settings, Transmit, Verdict};
use crate::record::BelowNote;
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
    /// Other traces' hops, and whose (each hop's target number).
    Learned(Vec<HopResult>, Learned, Vec<usize>),
    /// Probed by this engine.
    Probed(Box<Engine>),
    /// A replay: the engine learns whatever probes below the start the
    /// recording has; the target's last note says what stood for them.
    Recorded(Box<Engine>),
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
        let engine = from_start(settings, start, |s| Engine::live(s, session, specs));
        let below = match start {
            1 => Below::Nothing,
            _ => Below::Unknown,
        };
        Job::with(number, run, engine, below, start)
    }

    /// A recorded target's job, its trace from `start`.
    pub fn replay(
        number: usize,
        run: RunInfo,
        settings: &Settings,
        session: Session,
        specs: Vec<TraceSpec>,
        start: u8,
    ) -> Self {
        let engine = from_start(settings, start, |s| Engine::replay(s, session, specs));
        let below = match start {
            1 => Below::Nothing,
            _ => Below::Recorded(Box::new(prefix_engine(&engine, start, Engine::replay))),
        };
        Job::with(number, run, engine, below, start)
    }

    fn with(number: usize, run: RunInfo, engine: Engine, below: Below, start: u8) -> Self {
        Job {
            number,
            run,
            engine,
            below,
            start,
            sent_at: HashMap::new(),
        }
    }

    /// The hop its trace starts at.
    pub fn start(&self) -> u8 {
        self.start
    }

    /// What stood for the hops below the start, for the recording.
    pub fn below_note(&self) -> BelowNote {
        match &self.below {
            Below::Nothing | Below::Unknown => BelowNote::Nothing,
            Below::Probed(_) | Below::Recorded(_) => BelowNote::Probed,
            Below::Learned(_, learned, targets) => BelowNote::Learned {
                from: learned.from,
                targets: targets.clone(),
            },
        }
    }

    /// A replay: the recording says the target ended here, with `below`
    /// (and for learned hops, those hops: `hops`).
    pub fn end_as_recorded(&mut self, below: &BelowNote, hops: Vec<HopResult>) {
        let prefix = std::mem::replace(&mut self.below, Below::Nothing);
        self.below = match (below, prefix) {
            (BelowNote::Probed, Below::Recorded(e) | Below::Probed(e)) => Below::Probed(e),
            (BelowNote::Learned { from, targets }, _) => {
                let learned = Learned {
                    hops: self.start - 1,
                    from: *from,
                };
                Below::Learned(hops, learned, targets.clone())
            }
            _ => Below::Nothing,
        };
        self.end_of_input();
    }

    /// Whether the job's engines are all done.
    pub fn is_finished(&self) -> bool {
        self.engine.is_finished()
            && match &self.below {
                Below::Probed(e) | Below::Recorded(e) => e.is_finished(),
                Below::Unknown => false,
                _ => true,
            }
    }

    pub fn in_flight(&self) -> usize {
        self.engine.in_flight() + self.prefix().map_or(0, Engine::in_flight)
    }

    fn prefix(&self) -> Option<&Engine> {
        match &self.below {
            Below::Probed(e) | Below::Recorded(e) => Some(e),
            _ => None,
        }
    }

    fn prefix_mut(&mut self) -> Option<&mut Engine> {
        match &mut self.below {
            Below::Probed(e) | Below::Recorded(e) => Some(e),
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
        self.end_with(Engine::interrupt);
    }

    /// The input ended (a recording's end): every engine ends.
    pub fn end_of_input(&mut self) {
        self.end_with(Engine::end_of_recording);
    }

    /// Ends every engine with `end`; what stands for the hops below the
    /// start, if not known yet, will not be.
    fn end_with(&mut self, end: fn(&mut Engine)) {
        end(&mut self.engine);
        match &mut self.below {
            Below::Probed(e) | Below::Recorded(e) => end(e),
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
            Some((hops, learned, numbers)) => Below::Learned(hops, learned, numbers),
            None => Below::Probed(Box::new(prefix_engine(
                &self.engine,
                self.start,
                Engine::live,
            ))),
        };
    }

    /// The target's results: the hops below the start (learned or
    /// probed) and the trace from it.
    pub fn results(&self) -> Vec<TraceResult> {
        let mut results = self.engine.results();
        let below = match &self.below {
            Below::Nothing | Below::Unknown => return results,
            Below::Learned(hops, learned, _) => (
                TraceResult::new(self.engine.spec(0), hops.clone(), TraceEnd::MaxHops),
                Some(*learned),
            ),
            Below::Probed(e) | Below::Recorded(e) => (e.result(0), None),
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

/// The engine of a trace from `start` (in a block of keys of its own
/// when there are hops below it), made by `make`.
fn from_start(settings: &Settings, start: u8, make: impl FnOnce(Settings) -> Engine) -> Engine {
    let mut settings = settings.clone();
    if start == 1 {
        return make(settings);
    }
    settings.max_hops = settings.max_hops.saturating_sub(start - 1).max(1);
    settings.first_ttl = start;
    let block = block_for(&settings, 1);
    make(settings).keys_below(block)
}

/// The engine of hops 1 to start - 1 below `engine`'s, in the block of
/// keys after its own (another instance, the same flow), made by `make`
/// (`Engine::live` or `Engine::replay`).
fn prefix_engine(
    engine: &Engine,
    start: u8,
    make: fn(Settings, Session, Vec<TraceSpec>) -> Engine,
) -> Engine {
    let mut settings = engine.settings().clone();
    let block = block_for(&settings, 1);
    settings.first_ttl = 1;
    settings.max_hops = start - 1;
    let s = engine.session();
    let session = Session::new(s.src(), s.dst(), round_instance(s.instance(), 1, block))
        .expect("same families")
        .with_flow(s.flow());
    make(settings, session, engine.specs()).keys_below(block)
}
