//! The rounds prober: one engine per round, on one flow, started every
//! interval (live) or when a recording shows the next round's first
//! probe (replay), all pacing together. A finished round is folded into
//! the `Summary` and dropped, so memory follows the rounds in flight, not
//! the rounds run.

use super::summary::Summary;
use super::Schedule;
use crate::driver::Prober;
use crate::engine::{Engine, Ignored, Pacer, Progress, Settings, Transmit, Verdict};
use crate::time::Timestamp;
use crate::trace::{TraceResult, TraceSpec};
use std::collections::VecDeque;
use std::time::Duration;
use tracetcp_strategies::{Instance, NotOurs, Session, KEY_SPAN};

/// The instance of round `n` (from 0) of a run whose instance is `base`,
/// each round `block` keys on from the last: TCP carries the instance
/// itself, UDP and ICMP carry key + instance, so each round's probes are
/// a block of their own on the wire and a late answer is never taken for
/// another round's. The flow stays the run's.
pub fn round_instance(base: Instance, n: u64, block: u16) -> Instance {
    let span = 0xfffe_u64;
    let step = (n % span) * u64::from(block) % span;
    let value = (u64::from(base.get()) - 1 + step) % span + 1;
    Instance::new(value as u16).expect("1..=0xfffe")
}

/// The keys a round may use: twice what it plans (probes sent again, flow
/// checks), at most half of every key there is.
pub fn block_for(settings: &Settings, kinds: usize) -> u16 {
    let planned = usize::from(settings.max_hops) * usize::from(settings.probes_per_hop) * kinds;
    (planned * 2 + 64).min(usize::from(KEY_SPAN / 2)) as u16
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
    /// Keys per round (see `round_instance`).
    block: u16,
    pacer: Pacer,
    /// Rounds started and not yet folded, oldest first.
    active: VecDeque<Round>,
    /// Replay: the engine of the round that comes next, waiting for its
    /// first probe.
    waiting: Option<Round>,
    started: u64,
    next_start: Option<Timestamp>,
    summary: Summary,
    /// The latest rounds folded, for a printer to show (see `take_folded`).
    folded: VecDeque<(u64, Vec<TraceResult>)>,
    paused: bool,
    stopped: bool,
    /// A watcher (the live view) wants to be woken this often at least.
    tick: Option<Duration>,
    /// The latest time the driver told.
    now: Timestamp,
    /// Probes sent, in all rounds.
    sent: u64,
}

/// How many folded rounds wait for a printer at most: the figures keep
/// every round; only the per-round lines of a printer that fell this far
/// behind would be skipped.
const FOLDED_KEPT: usize = 16;

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
            block: block_for(&settings, specs.len()),
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
            folded: VecDeque::new(),
            paused: false,
            stopped: false,
            tick: None,
            now: Timestamp::default(),
            sent: 0,
        }
    }

    fn round(&self, number: u64) -> Round {
        let session = Session::new(
            self.session.src(),
            self.session.dst(),
            round_instance(self.session.instance(), number, self.block),
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
            engine: engine.pacing_with(&self.pacer).keys_below(self.block),
        }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The rounds folded since the last call, numbered from 1, with
    /// their results.
    pub fn take_folded(&mut self) -> impl Iterator<Item = (u64, Vec<TraceResult>)> + '_ {
        self.folded.drain(..)
    }

    /// The BPF filter that captures every round's probes and answers.
    pub fn filter(&self) -> String {
        self.round(0).engine.filter()
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
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

    /// The live view's quit key: stops as Ctrl-C does, but as the end the
    /// user asked for.
    pub fn stop(&mut self) {
        Prober::interrupt(self);
    }

    /// Wakes the driver at least every `tick` (a live view reads keys).
    pub fn tick_every(&mut self, tick: Duration) {
        self.tick = Some(tick);
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
        let blocks = usize::from(KEY_SPAN / self.block);
        ((self.settings.timeout.as_nanos() / per) as usize + 2).min(blocks)
    }

    /// Folds every finished round at the front, in the order they started.
    fn fold_finished(&mut self) {
        while self.active.front().is_some_and(|r| r.engine.is_finished()) {
            let round = self.active.pop_front().expect("checked");
            log::debug!("round {} folded", round.number + 1);
            let results = round.engine.results();
            self.summary.fold(&results);
            if self.folded.len() == FOLDED_KEPT {
                self.folded.pop_front();
            }
            self.folded.push_back((round.number + 1, results));
        }
    }

    /// Whether a new round may start once its time comes: while too many
    /// wait for answers, the next starts when one of them is folded.
    fn may_start(&self) -> bool {
        self.live
            && !self.paused
            && !self.stopped
            && !self.all_started()
            && self.active.len() < self.max_active()
    }

    fn start_due(&mut self, now: Timestamp) {
        if !self.may_start() || self.next_start.is_some_and(|t| now < t) {
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

/// The verdict of a packet for a round it is not of (another instance,
/// or a key the round never gave): try another round.
fn other_round(v: &Verdict) -> bool {
    matches!(
        v,
        Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherInstance) | Ignored::UnknownProbe)
    )
}

impl Prober for Rounds {
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        self.now = self.now.max(now);
        self.start_due(now);
        let tx = self
            .active
            .iter_mut()
            .find_map(|r| r.engine.poll_transmit(now));
        self.sent += u64::from(tx.is_some());
        tx
    }

    fn progress(&self, now: Timestamp) -> Progress {
        let mut p = Progress {
            done: self.started - self.active.len() as u64,
            total: self.schedule.cycles,
            unit: "rounds",
            sent: self.sent,
            paced: Duration::ZERO,
            out_of_keys: false,
        };
        for round in self.active.iter().map(|r| r.engine.progress(now)) {
            p.paced = p.paced.max(round.paced);
            p.out_of_keys |= round.out_of_keys;
        }
        p
    }

    fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        // No round's, unless one says more ("no probe of ours has this
        // key now" beats "another run's").
        let mut verdict = Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherInstance));
        for r in self.active.iter_mut().rev() {
            let v = r.engine.handle_packet(ts, packet);
            if !other_round(&v) {
                return v;
            }
            if v == Verdict::Ignored(Ignored::UnknownProbe) {
                verdict = v;
            }
        }
        if let Some(mut next) = self.waiting.take() {
            let v = next.engine.handle_packet(ts, packet);
            if other_round(&v) || self.all_started() {
                self.waiting = Some(next);
            } else {
                verdict = v;
                self.started = next.number + 1;
                self.waiting = Some(self.round(self.started));
                self.active.push_back(next);
            }
        }
        verdict
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        for r in &mut self.active {
            r.engine.handle_timeout(now);
        }
        self.fold_finished();
    }

    fn next_wakeup(&self) -> Option<Timestamp> {
        let engines = self.active.iter().filter_map(|r| r.engine.next_wakeup());
        let start = self.next_start.filter(|_| self.may_start());
        let tick = self.tick.map(|t| self.now.after(t));
        engines.chain(start).chain(tick).min()
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
