//! The rounds prober: one engine per round, on one flow, started every
//! interval (live) or when a recording shows the next round's first
//! probe (replay), all pacing together. A finished round is folded into
//! the `Summary` and dropped, so memory follows the rounds in flight, not
//! the rounds run.

use super::summary::Summary;
use super::Schedule;
use crate::driver::Prober;
use crate::engine::{Engine, Ignored, Pacer, Settings, Transmit, Verdict};
use crate::time::Timestamp;
use crate::trace::TraceSpec;
use std::collections::VecDeque;
use tracetcp_strategies::{Instance, NotOurs, Session};

/// The instance of round `n` (from 0) of a run whose instance is `base`:
/// each round its own, so that a late answer is never taken for the
/// next round's, while the flow stays the run's.
pub fn round_instance(base: Instance, n: u64) -> Instance {
    let span = 0xfffe_u64;
    let value = (u64::from(base.get()) - 1 + n % span) % span + 1;
    Instance::new(value as u16).expect("1..=0xfffe")
}

struct Round {
    number: u64,
    engine: Engine,
}

pub struct Rounds {
    settings: Settings,
    session: Session,
    specs: Vec<TraceSpec>,
    schedule: Schedule,
    live: bool,
    pacer: Pacer,
    /// Rounds started and not yet folded, oldest first.
    active: VecDeque<Round>,
    /// Replay: the engine of the round that comes next, waiting for its
    /// first probe.
    waiting: Option<Round>,
    started: u64,
    next_start: Option<Timestamp>,
    summary: Summary,
    paused: bool,
    stopped: bool,
}

impl Rounds {
    /// Rounds that plan and send their probes.
    pub fn live(
        settings: Settings,
        session: Session,
        specs: Vec<TraceSpec>,
        schedule: Schedule,
    ) -> Self {
        Self::new(settings, session, specs, schedule, true)
    }

    /// Rounds learnt from a recording's packets.
    pub fn replay(
        settings: Settings,
        session: Session,
        specs: Vec<TraceSpec>,
        schedule: Schedule,
    ) -> Self {
        let mut r = Self::new(settings, session, specs, schedule, false);
        r.waiting = Some(r.round(0));
        r
    }

    fn new(
        settings: Settings,
        session: Session,
        specs: Vec<TraceSpec>,
        schedule: Schedule,
        live: bool,
    ) -> Self {
        Rounds {
            summary: Summary::new(&specs, settings.first_ttl),
            pacer: Pacer::new(settings.pacing),
            settings,
            session,
            specs,
            schedule,
            live,
            active: VecDeque::new(),
            waiting: None,
            started: 0,
            next_start: None,
            paused: false,
            stopped: false,
        }
    }

    fn round(&self, number: u64) -> Round {
        let session = Session::new(
            self.session.src(),
            self.session.dst(),
            round_instance(self.session.instance(), number),
        )
        .expect("same families")
        .with_flow(self.session.flow());
        let (settings, specs) = (self.settings.clone(), self.specs.clone());
        let engine = match self.live {
            true => Engine::live(settings, session, specs),
            false => Engine::replay(settings, session, specs),
        };
        Round {
            number,
            engine: engine.pacing_with(&self.pacer),
        }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn specs(&self) -> &[TraceSpec] {
        &self.specs
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Rounds started so far.
    pub fn started(&self) -> u64 {
        self.started
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The live view's pause key: no new round starts while paused.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
    }

    /// The live view's reset key: figures start again from here.
    pub fn reset(&mut self) {
        self.summary.reset();
    }

    /// Whether every round asked for was started.
    fn all_started(&self) -> bool {
        self.schedule.cycles.is_some_and(|n| self.started >= n)
    }

    /// How many rounds may wait for answers at once: a round lasts about
    /// one timeout, and one starts every interval.
    fn max_active(&self) -> usize {
        let per = self.schedule.interval.as_nanos().max(1);
        (self.settings.timeout.as_nanos() / per) as usize + 2
    }

    /// Folds every finished round at the front, in the order they started.
    fn fold_finished(&mut self) {
        while self.active.front().is_some_and(|r| r.engine.is_finished()) {
            let round = self.active.pop_front().expect("checked");
            log::debug!("round {} folded", round.number + 1);
            self.summary.fold(&round.engine.results());
        }
    }

    fn start_due(&mut self, now: Timestamp) {
        if !self.live || self.paused || self.stopped || self.all_started() {
            return;
        }
        if self.next_start.is_some_and(|t| now < t) || self.active.len() >= self.max_active() {
            return;
        }
        let round = self.round(self.started);
        self.active.push_back(round);
        self.started += 1;
        // Rounds keep their rhythm; one that could not start on time
        // (pausing, too many in flight) moves the next ones along.
        let due = self
            .next_start
            .filter(|&t| now.since(t) < self.schedule.interval)
            .unwrap_or(now);
        self.next_start = Some(due.after(self.schedule.interval));
    }
}

/// The verdict of a packet for a round whose instance is not the
/// packet's: try the next round.
fn other_round(v: &Verdict) -> bool {
    matches!(
        v,
        Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherInstance))
    )
}

impl Prober for Rounds {
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        self.start_due(now);
        self.active
            .iter_mut()
            .find_map(|r| r.engine.poll_transmit(now))
    }

    fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        let mut verdict = Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherInstance));
        for r in self.active.iter_mut().rev() {
            verdict = r.engine.handle_packet(ts, packet);
            if !other_round(&verdict) {
                return verdict;
            }
        }
        if let Some(mut next) = self.waiting.take() {
            verdict = next.engine.handle_packet(ts, packet);
            if other_round(&verdict) || self.all_started() {
                self.waiting = Some(next);
            } else {
                self.started = next.number + 1;
                self.waiting = Some(self.round(self.started));
                self.active.push_back(next);
            }
        }
        verdict
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        for r in &mut self.active {
            r.engine.handle_timeout(now);
        }
        self.fold_finished();
    }

    fn next_wakeup(&self) -> Option<Timestamp> {
        let engines = self.active.iter().filter_map(|r| r.engine.next_wakeup());
        let start = self
            .next_start
            .filter(|_| self.live && !self.paused && !self.stopped && !self.all_started());
        engines.chain(start).min()
    }

    fn is_finished(&self) -> bool {
        self.active.is_empty() && (self.stopped || (self.live && self.all_started()))
    }

    /// Stops: rounds still waiting for answers are left out of the figures
    /// (a round counts whole or not at all).
    fn interrupt(&mut self) {
        self.stopped = true;
        self.active.clear();
    }

    fn end_of_input(&mut self) {
        for r in &mut self.active {
            r.engine.end_of_recording();
        }
        self.fold_finished();
        self.stopped = true;
        self.active.clear();
    }
}

#[cfg(test)]
mod tests;
