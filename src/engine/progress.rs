//! The engine's progress: hops reported final in order, traces done (after
//! their flow check, if they need one), probes given up at their timeout.

use super::{Engine, Event, Mode, Planned, ProbeState};
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::time::Duration;

/// How far a run has come, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// `done` of `total` units (`None`: no end is known).
    pub done: u64,
    pub total: Option<u64>,
    /// What is counted: "traces", "hops", "rounds".
    pub unit: &'static str,
    /// Probes sent so far.
    pub sent: u64,
    /// How long pacing needs, at least, to send what is planned.
    pub paced: Duration,
    /// Every probe key of the run is used: traces end where their probes
    /// do.
    pub out_of_keys: bool,
}

impl Engine {
    /// How far the run has come at `now`: traces done of several, or
    /// hops final of one trace.
    pub fn progress(&self, now: Timestamp) -> Progress {
        let (done, total, unit) = match &self.traces[..] {
            [t] => {
                let first = self.settings.first_ttl;
                let last = t.end.unwrap_or(self.settings.last_ttl());
                let hops = u64::from(last.saturating_sub(first)) + 1;
                let done = if t.done { hops } else { t.emitted as u64 };
                (done, hops, "hops")
            }
            traces => {
                let done = traces.iter().filter(|t| t.done).count();
                (done as u64, traces.len() as u64, "traces")
            }
        };
        // Probes sent again to a router count once it answered one: until
        // then its limit may be a firewall's pattern (see `limits.rs`).
        let counted = |ttl: u8, queue: &VecDeque<Planned>| {
            let limits = self.rate_limits.as_ref();
            if limits.is_none_or(|r| r.confirmed(ttl)) {
                return queue.len();
            }
            queue.iter().filter(|p| !p.again).count()
        };
        let waiting: usize = self.plan.iter().map(|(&ttl, q)| counted(ttl, q)).sum();
        let paced = self
            .plan
            .iter()
            .filter_map(|(&ttl, queue)| {
                let trace = queue.front()?.trace;
                let responder = self.responder(ttl, self.traces[trace].spec.protocol);
                let n = counted(ttl, queue);
                Some(self.pacer.time_for(responder, n, waiting, now))
            })
            .max()
            .unwrap_or_default();
        Progress {
            done,
            total: Some(total),
            unit,
            sent: self.probes.len() as u64,
            paced,
            out_of_keys: self.out_of_keys,
        }
    }

    /// Reports the hops of `trace` that have become final, in order.
    pub(super) fn advance(&mut self, trace: usize) {
        let first = self.settings.first_ttl;
        let per_hop = usize::from(self.settings.probes_per_hop);
        // Nothing more comes: the end of a recording, or of the keys.
        let eof = self.mode == Mode::Replay { eof: true } || self.out_of_keys;
        let discovered = self.discovery_end(trace);
        let t = &mut self.traces[trace];
        if self.discovery.is_some() {
            // Multipath: every hop is final at once, when nothing more is
            // needed.
            let Some(end) = discovered else { return };
            if !t.done {
                t.end = end;
                let last = end.unwrap_or(first.saturating_sub(1));
                for ttl in first + t.emitted as u8..=last {
                    self.events.push_back(Event::Hop { trace, ttl });
                }
                t.emitted = usize::from(last.saturating_sub(first)) + 1;
                t.done = true;
                self.events.push_back(Event::TraceDone { trace });
            }
            return;
        }
        let mut last = t.end.unwrap_or(self.settings.last_ttl());
        if eof {
            // A recording says nothing of hops (or traces) no probe went
            // to: they end where its probes do.
            match t.probed_until(first) {
                Some(probed) => last = last.min(probed),
                None => {
                    t.done = true;
                    self.events.push_back(Event::TraceDone { trace });
                    return;
                }
            }
        }
        let mut finishing = false;
        while !t.done {
            let ttl = usize::from(first) + t.emitted;
            if ttl > usize::from(last) {
                finishing = true;
                break;
            }
            let ids = t.ids(t.emitted);
            // Probes a router said were too big are sent again: they do
            // not count, and their replacements are waited for.
            let counted = ids
                .iter()
                .filter(|&&id| !self.probes[id].state.sent_again())
                .count();
            let complete = counted >= per_hop || eof || t.short_hop == Some(ttl as u8);
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
        if finishing {
            self.finish_trace(trace);
        }
    }

    /// Every hop of `trace` is final: it is done, unless its flow check is
    /// needed or still waits for answers.
    pub(super) fn finish_trace(&mut self, trace: usize) {
        if self.traces[trace].check.is_none() && !self.out_of_keys {
            if let Some(ttl) = self.check_hop(trace) {
                match self.mode {
                    Mode::Live => self.plan_check(trace, ttl),
                    // The live run checked here: the recording holds the
                    // check's probes, to its end.
                    Mode::Replay { .. } => self.traces[trace].check = Some(ttl),
                }
            }
        }
        let waiting = match self.mode {
            Mode::Live => self.check_pending(trace),
            Mode::Replay { eof } => !eof && self.traces[trace].check.is_some(),
        };
        if waiting || (!self.out_of_keys && self.search_pending(trace)) {
            return;
        }
        self.traces[trace].done = true;
        self.events.push_back(Event::TraceDone { trace });
    }

    /// Gives up on every probe whose timeout passed before `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.judge_suspects(now);
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
            if self.is_sent_again(id) {
                self.sent_again_fate(id, false);
            }
            let trace = self.probes[id].trace;
            if self.discovery.is_some() {
                self.discovered(id);
            }
            self.advance(trace);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, TraceSpec};
    use super::*;
    use crate::driver::sim::{Hop, Sim};
    use crate::trace::TraceEnd;
    use tracetcp_strategies::{Instance, Protocol, Session};

    /// A run that uses every key it has stops sending and ends, its traces
    /// where their probes did (a port range too wide for one run hung).
    #[test]
    fn a_run_out_of_keys_ends_where_its_probes_do() {
        let session = Session::new(
            "198.18.0.1".parse().unwrap(),
            "198.18.9.2".parse().unwrap(),
            Instance::new(0x4444).unwrap(),
        )
        .unwrap();
        let specs = (130..134)
            .map(|p| TraceSpec::new(Protocol::Tcp, p))
            .collect();
        let settings = Settings {
            max_hops: 5,
            ..Settings::default()
        };
        let mut e = Engine::live(settings, session, specs).keys_below(20);
        let path = ["198.18.1.1", "198.18.2.1", "198.18.3.1", "198.18.4.1"];
        let mut sim = Sim::new(path.iter().map(|a| Hop::Router(a)).collect());
        sim.run(&mut e);
        assert!(e.is_finished());
        assert_eq!(sim.sent, 20);
        assert!(e.progress(sim.now).out_of_keys);
        let hops: Vec<usize> = e.results().iter().map(|r| r.hops.len()).collect();
        assert!(hops.iter().all(|&h| h < 5), "{hops:?}");
        assert!(e.results().iter().all(|r| r.end == TraceEnd::Interrupted));
    }
}
