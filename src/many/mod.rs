//! Many targets in one run (issue 33): one engine per target, under one
//! rate for the whole run. `Many` is a prober like any other: it starts
//! targets as the rate allows, hands out their probes no faster than the
//! rate (a token bucket holding a 400th of a second's worth), and hands
//! every packet to the one engine it concerns, found by lookup on the
//! address the packet is about (a probe's destination, the destination a
//! router's error quotes, or the target that answered), never by offering
//! it to every engine. A finished target's results are taken out and its
//! engine dropped, so memory follows the targets in flight, not the list.
//!
//! Owns admission, pacing across targets and the routing; must not depend
//! on I/O, the reports or the command line.

mod bucket;
mod feed;
mod job;
mod lookup;
mod replay;
pub mod routers;
pub mod stopset;
pub mod targets;

use crate::driver::Prober;
use crate::engine::{Ignored, Paths, Progress, Settings, Transmit, Transport, Verdict};
use crate::record::TargetNote;
use crate::run::RunInfo;
use crate::time::Timestamp;
use crate::trace::TraceResult;
pub use bucket::Bucket;
use feed::FEED_AGAIN;
pub use feed::{Feed, Next, Waiting};
use job::Job;
use lookup::about;
use routers::Routers;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;
use stopset::StopSet;
use tracetcp_strategies::{NotOurs, ReplyKind};

/// The targets' notes of a recording, in the order they are written
/// (live: by `Many`, to the file) or read (replay: from the file, by
/// `Many`).
pub type Journal = std::rc::Rc<std::cell::RefCell<VecDeque<TargetNote>>>;

/// A target that finished, with its results (its engines dropped).
pub struct Finished {
    pub number: usize,
    pub run: RunInfo,
    pub results: Vec<TraceResult>,
}

/// The prober of a run with many targets.
pub struct Many {
    feed: Box<dyn Feed>,
    /// The next target, taken from the feed but not started yet.
    next: Option<Waiting>,
    /// The feed had nothing at this time; `None` once it is done.
    feed_waits: Option<Timestamp>,
    feed_done: bool,
    now: Timestamp,
    /// When the first target started (with stop sets, alone for a while),
    /// and until when the others wait for it.
    pilot_since: Option<Timestamp>,
    pilot_wait: Option<Timestamp>,
    /// The run's source address: a packet from it is a probe.
    source: IpAddr,
    settings: Settings,
    /// At most this many targets run at once: the in-flight cap over what
    /// one target sends before its first answers.
    max_running: usize,
    running: Vec<Job>,
    /// The running engine of each target address.
    by_target: HashMap<IpAddr, usize>,
    bucket: Bucket,
    /// At most this many probes in flight across targets, from the rate
    /// and the timeout: what the rate sends while a probe waits.
    in_flight_cap: usize,
    /// Round-robin position among the running targets.
    turn: usize,
    finished: VecDeque<Finished>,
    /// The routers seen, for targets of one trace each (off with
    /// --no-stop-set).
    stops: Option<StopSet>,
    /// The routers by address: their rate limits, across targets.
    routers: Routers,
    /// When a probe held for its router may go.
    router_wait: Option<Timestamp>,
    /// Live: where the targets' notes go (a recording); replay: where
    /// they come from.
    journal: Option<Journal>,
    /// A replay: the hops of the targets finished, which later ones may
    /// have learned.
    replaying: Option<replay::Replaying>,
    sent: u64,
    done: u64,
    /// Targets in the list, when known (not for standard input).
    total: Option<u64>,
}

impl Many {
    /// The targets of `feed` (in the list's order; `total` of them when
    /// known), all from
    /// `source`, traced with `settings`, at most `rate` probes a second
    /// in all; with `stop_sets`, hops already seen are not probed again
    /// where that can stand (one flow, from TTL 1, with raw sockets).
    pub fn new(
        feed: Box<dyn Feed>,
        total: Option<usize>,
        source: IpAddr,
        settings: Settings,
        rate: u32,
        stop_sets: bool,
    ) -> Self {
        let per_timeout = (f64::from(rate.max(1)) * settings.timeout.as_secs_f64()).ceil() as usize;
        let first_burst = (settings.ahead as usize).max(1);
        let stops = (stop_sets
            && settings.first_ttl == 1
            && settings.paths == Paths::OneFlow
            && settings.mtu.is_none()
            && settings.transport == Transport::Capture)
            .then(StopSet::default);
        let routers = Routers::new(settings.pacing);
        Many {
            source,
            feed,
            next: None,
            feed_waits: None,
            feed_done: false,
            now: Timestamp::default(),
            pilot_since: None,
            pilot_wait: None,
            settings,
            max_running: (per_timeout / first_burst).max(1),
            running: Vec::new(),
            by_target: HashMap::new(),
            bucket: Bucket::new(rate),
            in_flight_cap: per_timeout.max(1),
            turn: 0,
            finished: VecDeque::new(),
            stops,
            routers,
            router_wait: None,
            journal: None,
            replaying: None,
            sent: 0,
            done: 0,
            total: total.map(|t| t as u64),
        }
    }

    /// The same run, writing its targets' notes to `journal` (for a
    /// recording).
    pub fn journaling(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// What the run has to tell of the routers (each once).
    pub fn take_notes(&mut self) -> Vec<String> {
        self.routers.take_notes()
    }

    /// The next target that finished, with its results.
    pub fn take_finished(&mut self) -> Option<Finished> {
        self.finished.pop_front()
    }

    fn in_flight(&self) -> usize {
        self.running.iter().map(Job::in_flight).sum()
    }

    /// Starts waiting targets while the rate has room for their probes.
    /// A target already running is not started twice at once. With stop
    /// sets, the first target runs alone, so that the others learn from
    /// it, for at most two timeouts (a trace with a silent hop takes one;
    /// a slow one holds nobody up longer).
    fn admit(&mut self) {
        let since = *self.pilot_since.get_or_insert(self.now);
        let alone_until = since.after(self.settings.timeout * 2);
        let pilot = self.stops.is_some() && self.done == 0 && self.now < alone_until;
        // Woken when the others may start.
        self.pilot_wait = pilot.then_some(alone_until);
        while self.running.is_empty()
            || (!pilot
                && self.running.len() < self.max_running
                && self.in_flight() < self.in_flight_cap)
        {
            if self.next.is_none() && !self.feed_done {
                match self.feed.next() {
                    Next::Ready(w) => self.next = Some(w),
                    Next::NotYet => {
                        self.feed_waits = Some(self.now.after(FEED_AGAIN));
                        return;
                    }
                    Next::Done => self.feed_done = true,
                }
            }
            self.feed_waits = None;
            let Some(next) = &self.next else {
                return;
            };
            let dst = next.session.dst();
            if self.by_target.contains_key(&dst) {
                return;
            }
            let Some(w) = self.next.take() else {
                return;
            };
            self.by_target.insert(dst, self.running.len());
            let stops = self.stops.as_ref().filter(|_| w.specs.len() == 1);
            let job = Job::new(
                w.number,
                w.run,
                &self.settings,
                w.session,
                w.specs.clone(),
                stops,
            );
            if let Some(journal) = &self.journal {
                journal.borrow_mut().push_back(TargetNote::Started {
                    number: w.number,
                    host: job.run.host.clone(),
                    session: w.session,
                    specs: w.specs,
                    start: job.start(),
                });
            }
            self.running.push(job);
        }
    }

    /// Moves finished engines out (their results kept, the rest dropped);
    /// with `all`, every one (the run was interrupted).
    fn retire(&mut self, all: bool) {
        let mut k = 0;
        while k < self.running.len() {
            if all || self.running[k].is_finished() {
                self.retire_job(k);
            } else {
                k += 1;
            }
        }
    }

    /// Moves the `k`th running job out, its results kept.
    fn retire_job(&mut self, k: usize) {
        let job = self.running.swap_remove(k);
        let results = job.results();
        if let (Some(stops), [trace]) = (self.stops.as_mut(), &results[..]) {
            stops.learn(job.engine.session().dst(), job.number, trace);
        }
        match (&mut self.replaying, &self.journal) {
            (Some(replaying), _) => replaying.finished(job.number, &results),
            (None, Some(journal)) => journal.borrow_mut().push_back(TargetNote::Finished {
                number: job.number,
                below: job.below_note(),
            }),
            (None, None) => {}
        }
        self.finished.push_back(Finished {
            number: job.number,
            run: job.run,
            results,
        });
        self.done += 1;
        self.reindex();
    }

    fn reindex(&mut self) {
        self.by_target = self
            .running
            .iter()
            .enumerate()
            .map(|(i, j)| (j.engine.session().dst(), i))
            .collect();
    }
}

impl Prober for Many {
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        self.now = now;
        self.admit();
        self.router_wait = None;
        if self.running.is_empty() {
            return None;
        }
        for _ in 0..self.running.len() {
            self.turn = (self.turn + 1) % self.running.len();
            if self.bucket.next_token().is_some_and(|t| t > now) {
                return None;
            }
            // Held while its router is paced.
            let job = &mut self.running[self.turn];
            if let Some(ready) = job.next_ttl().map(|ttl| self.routers.ready_at(ttl, now)) {
                if ready > now {
                    self.router_wait = Some(self.router_wait.map_or(ready, |t| t.min(ready)));
                    continue;
                }
            }
            // A token only for a probe that goes.
            let mut probe = None;
            if self.bucket.take(now) {
                probe = job.poll_transmit(now);
                if probe.is_none() {
                    self.bucket.give_back();
                }
            }
            if let Some(tx) = probe {
                self.routers.sent(tx.ttl, now);
                self.sent += 1;
                return Some(tx);
            }
        }
        None
    }

    fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        self.read_notes();
        let engine = about(packet, self.source).and_then(|a| self.by_target.get(&a).copied());
        match engine {
            Some(k) => {
                let job = &mut self.running[k];
                let verdict = job.handle_packet(ts, packet, self.stops.as_ref());
                if let Verdict::Answer { ttl, reply, .. } = &verdict {
                    if reply.kind == ReplyKind::TimeExceeded {
                        let rtt = job.since_sent(*ttl, ts);
                        self.routers.answered(reply.from, *ttl, ts, rtt);
                    }
                }
                verdict
            }
            None => Verdict::Ignored(Ignored::NotOurs(NotOurs::OtherHosts)),
        }
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.now = now;
        self.read_notes();
        for j in &mut self.running {
            j.handle_timeout(now, self.stops.as_ref());
        }
        if self.replaying.is_none() {
            self.retire(false);
        }
    }

    fn next_wakeup(&self) -> Option<Timestamp> {
        self.running.iter().filter_map(Job::next_wakeup).min()
    }

    fn next_send(&self) -> Option<Timestamp> {
        [self.bucket.next_token(), self.router_wait, self.pilot_wait]
            .into_iter()
            .flatten()
            .min()
    }

    fn is_finished(&self) -> bool {
        self.feed_done && self.next.is_none() && self.running.is_empty()
    }

    fn interrupt(&mut self) {
        self.feed = Box::new(VecDeque::new());
        self.next = None;
        self.feed_done = true;
        self.feed_waits = None;
        self.read_notes();
        for j in &mut self.running {
            j.interrupt();
        }
        // Every target's report, as far as it got.
        self.retire(true);
    }

    fn end_of_input(&mut self) {
        self.read_notes();
        for j in &mut self.running {
            j.end_of_input();
        }
        self.retire(true);
    }

    fn progress(&self, _now: Timestamp) -> Progress {
        Progress {
            done: self.done,
            total: self.total,
            unit: "targets",
            sent: self.sent,
            paced: Duration::ZERO,
            out_of_keys: false,
        }
    }
}

#[cfg(test)]
mod tests;
