//! The trace engine: a sans-IO state machine. It is told the time and the
//! packets seen, and says which probes to send, when to wake it, and which
//! hops are final. Live tracing and replay drive the same engine.
//!
//! Owns probe planning, matching, timeouts and pacing. Does no I/O and
//! reads no clock; must not depend on the driver, capture, sending,
//! reports or the command line.

mod check;
mod discover;
mod duplicates;
mod limits;
mod pacing;
mod progress;
mod ratelimit;
mod receive;
mod records;
mod results;
mod settings;
mod sizes;
mod transmit;
mod verdict;
mod window;

pub use pacing::Pacer;
pub use progress::Progress;
pub use settings::{Confidence, Paths, Settings, Transport, SCAN_TTL};
pub use verdict::{Event, Ignored, Transmit, Verdict};

use crate::multipath::Discovery;
use crate::time::Timestamp;
use crate::trace::TraceSpec;
use limits::RateLimits;
use pacing::Responder;
use records::{Planned, ProbeRecord, ProbeState, TraceState};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use tracetcp_strategies::{strategy_for, ProbeKey, Protocol, Session, Strategy};
use window::Window;

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
    /// When probes are to be judged for a rate limit's loss (see
    /// `ratelimit.rs`).
    suspects: BinaryHeap<Reverse<(Timestamp, usize)>>,
    pacer: Pacer,
    window: Window,
    next_send: Option<Timestamp>,
    in_flight: usize,
    /// Lowest TTL at which the destination answered, in any trace.
    destination_ttl: Option<u8>,
    events: VecDeque<Event>,
    interrupted: bool,
    /// Every key was used: nothing more is sent (see `run_out_of_keys`).
    out_of_keys: bool,
    mode: Mode,
    /// Multipath discovery (`--multipath`), which then plans the probes.
    discovery: Option<Discovery>,
    /// Packets captured in the last millisecond, to count a packet
    /// captured twice once.
    recent: duplicates::Recent,
    /// Keys this engine gives (live) or learns (replay) are below this:
    /// engines run one after another (rounds) each keep to their block.
    key_limit: u16,
    /// What the routers' answers say of their rate limits, when pacing
    /// adapts to them.
    rate_limits: Option<RateLimits>,
}

impl Engine {
    /// An engine that plans and sends its probes.
    pub fn live(settings: Settings, session: Session, specs: Vec<TraceSpec>) -> Self {
        let mut e = Self::new(settings, session, specs, Mode::Live);
        if e.discovery.is_some() {
            e.refill();
            return e;
        }
        let s = &e.settings;
        for ttl in s.first_ttl..=s.last_ttl() {
            let queue = e.plan.entry(ttl).or_default();
            for index in 0..s.probes_per_hop {
                for trace in 0..e.traces.len() {
                    queue.push_back(Planned {
                        trace,
                        index,
                        flow: None,
                        check: false,
                        // With --mtu, the second probe of each hop is the
                        // bare one: what vanishes only when big is a black
                        // hole, not a silent hop.
                        size: (s.mtu.is_some() && index == 1).then_some(0),
                        sizing: false,
                        again: false,
                    });
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
        let trace_of = specs.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let discovery = match settings.paths {
            Paths::All { confidence } => Some(Discovery::new(
                confidence,
                settings.first_ttl,
                settings.last_ttl(),
                session.flow(),
                specs.len(),
            )),
            _ => None,
        };
        Engine {
            key_limit: tracetcp_strategies::KEY_SPAN,
            recent: duplicates::Recent::default(),
            discovery,
            trace_of,
            strategies: protocols
                .into_iter()
                .map(|p| strategy_for(p, session))
                .collect(),
            traces: specs
                .into_iter()
                .map(|spec| TraceState {
                    spec,
                    hops: Vec::new(),
                    end: None,
                    emitted: 0,
                    done: false,
                    short_hop: None,
                    superseded_seen: 0,
                    check: None,
                    checks: Vec::new(),
                    size: settings.mtu.unwrap_or(0),
                    sizing: Vec::new(),
                    search: None,
                })
                .collect(),
            pacer: match settings.adapts() {
                true => Pacer::adaptive(true),
                false => Pacer::new(settings.pacing),
            },
            rate_limits: settings.adapts().then(RateLimits::default),
            // Multipath discovery keeps its own window.
            window: Window::new(
                settings.pacing && !matches!(settings.paths, Paths::All { .. }),
                settings.first_ttl,
                settings.probes_per_hop,
                settings.ahead,
            ),
            settings,
            session,
            probes: Vec::new(),
            by_key: HashMap::new(),
            plan: BTreeMap::new(),
            deadlines: BinaryHeap::new(),
            suspects: BinaryHeap::new(),
            next_send: None,
            in_flight: 0,
            destination_ttl: None,
            events: VecDeque::new(),
            interrupted: false,
            out_of_keys: false,
            mode,
        }
    }

    /// The same engine pacing with `pacer` (shared with other engines of
    /// the run: rounds).
    pub fn pacing_with(mut self, pacer: &Pacer) -> Self {
        self.pacer = pacer.clone();
        if !pacer.is_adaptive() {
            self.rate_limits = None;
        }
        self
    }

    /// The same engine keeping its keys below `limit` (rounds: each
    /// round's keys are a block of their own on the wire).
    pub fn keys_below(mut self, limit: u16) -> Self {
        self.key_limit = limit.clamp(1, tracetcp_strategies::KEY_SPAN);
        self
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
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

    /// Probes sent whose fate is not known yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Probes sent so far (live) or seen (replay).
    pub fn probes_sent(&self) -> usize {
        self.probes.len()
    }

    /// When the engine next needs the caller: a probe's timeout or the
    /// moment pacing lets the next probe go.
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        let timeout = self.deadlines.peek().map(|Reverse((t, _))| *t);
        let suspect = self.suspects.peek().map(|Reverse((t, _))| *t);
        [timeout, suspect, self.next_send]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether any probe of `trace` was sent (or recorded).
    pub fn probed(&self, trace: usize) -> bool {
        !self.traces[trace].hops.is_empty()
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
mod answer_tests;
#[cfg(test)]
mod middlebox_tests;
#[cfg(test)]
mod mtu_tests;
#[cfg(test)]
mod ratelimit_tests;
#[cfg(test)]
mod sockets_tests;
#[cfg(test)]
mod tests;
