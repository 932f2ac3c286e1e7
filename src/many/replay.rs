//! A run with many targets, replayed: the targets come from the notes the
//! recording holds (`record/many.rs`), read before the packets they
//! concern: a target starts with its note's session and start hop, its
//! engines learning their probes from the packets, and ends where its
//! last note is, with the hops below its start as that note says (its
//! own probes, or hops of targets finished before it, kept for that).
//! Nothing is sent; no stop set is kept (the notes say what it decided).
//!
//! Part of `many`: no I/O.

use super::job::Job;
use super::{Journal, Many};
use crate::engine::Settings;
use crate::record::{BelowNote, TargetNote};
use crate::run::RunInfo;
use crate::trace::{HopResult, TraceResult};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// What a replay keeps besides the running targets.
pub(super) struct Replaying {
    every_hop: bool,
    /// The hops of each finished target's first trace.
    hops_of: HashMap<usize, Vec<HopResult>>,
}

impl Replaying {
    pub(super) fn finished(&mut self, number: usize, results: &[TraceResult]) {
        if let Some(first) = results.first() {
            self.hops_of.insert(number, first.hops.clone());
        }
    }

    /// The hops a note says a target learned: hop k of target
    /// `targets[k - 1]`; `None` if one of them is not in the recording.
    fn learned(&self, targets: &[usize]) -> Option<Vec<HopResult>> {
        targets
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let ttl = k as u8 + 1;
                self.hops_of.get(n)?.iter().find(|h| h.ttl == ttl).cloned()
            })
            .collect()
    }
}

impl Many {
    /// The replay of a run from `source` with `settings`, of `total`
    /// targets (when known), whose notes `journal` gets as the recording is read.
    pub fn replay(
        source: IpAddr,
        settings: Settings,
        total: Option<usize>,
        journal: Journal,
        every_hop: bool,
    ) -> Self {
        let mut many = Many::new(Box::new(VecDeque::new()), total, source, settings, 1, false);
        many.journal = Some(journal);
        many.replaying = Some(Replaying {
            every_hop,
            hops_of: HashMap::new(),
        });
        many
    }

    /// A replay: starts and ends targets as the notes read so far say.
    pub(super) fn read_notes(&mut self) {
        let (Some(replaying), Some(journal)) = (&self.replaying, &self.journal) else {
            return;
        };
        let notes: Vec<TargetNote> = journal.borrow_mut().drain(..).collect();
        let every_hop = replaying.every_hop;
        for note in notes {
            match note {
                TargetNote::Started {
                    number,
                    host,
                    session,
                    specs,
                    start,
                } => {
                    let run = RunInfo::of(host, &session, self.settings.clone(), every_hop);
                    let job = Job::replay(number, run, &self.settings, session, specs, start);
                    self.by_target.insert(session.dst(), self.running.len());
                    self.running.push(job);
                }
                TargetNote::Finished { number, below } => {
                    let Some(k) = self.running.iter().position(|j| j.number == number) else {
                        continue;
                    };
                    let hops = match (&below, &self.replaying) {
                        (BelowNote::Learned { targets, .. }, Some(r)) => r.learned(targets),
                        _ => Some(Vec::new()),
                    };
                    // Hops the recording does not have are not made up.
                    let below = match hops {
                        Some(_) => below,
                        None => BelowNote::Nothing,
                    };
                    self.running[k].end_as_recorded(&below, hops.unwrap_or_default());
                    self.retire_job(k);
                }
            }
        }
    }
}
