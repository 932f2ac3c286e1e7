//! A live run with many targets (`--targets`, several hosts): the
//! targets looked up on a thread of their own as the run reaches them,
//! one capture (or, without privileges, one set of sockets) for all of
//! them with a filter that does not grow with the list, `many::Many`
//! driving them at the set rate, each target's report printed as it
//! finishes (`output/many.rs`), and with `-w` the whole run recorded. A
//! target that cannot be traced gets one line with where it came from,
//! and the others go on; the exit code says so.
//!
//! Must not depend on the command line.

use super::network::{self, Opened};
use super::recorded::Recorded;
use super::{session_for, traced};
use crate::driver::Ending;
use crate::engine::{Settings, Transport};
use crate::error::{Error, Result};
use crate::many::targets::{Target, TargetList};
use crate::many::{self, Journal, Many, Next, Waiting};
use crate::output::many::{ManyPrinter, NameSource};
use crate::output::progress::ProgressLine;
use crate::record::{self, ManyInfo, Recording};
use crate::report::RunInfo;
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use tracetcp_strategies::Session;

/// A run with many targets: the list, and how a target's text becomes
/// its config (the command line's flags), used as the run reaches it.
#[derive(Clone)]
pub struct ManyConfig {
    pub targets: TargetList,
    pub config_for: ConfigFor,
    /// At most this many probes a second in all.
    pub rate: u32,
    /// One JSON document per target, a line each.
    pub jsonl: bool,
    /// Hops an earlier target's trace found are not probed again (off
    /// with --no-stop-set).
    pub stop_sets: bool,
}

/// A target's config from its text, or why it has none.
pub type ConfigFor = Arc<dyn Fn(&str) -> std::result::Result<super::Config, String> + Send + Sync>;

impl std::fmt::Debug for ManyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManyConfig")
            .field("targets", &self.targets)
            .field("rate", &self.rate)
            .field("jsonl", &self.jsonl)
            .field("stop_sets", &self.stop_sets)
            .finish()
    }
}

/// The rate of a run with many targets when none is given.
pub const DEFAULT_RATE: u32 = 100;

/// Says why a target is not traced, and where it came from.
fn skip(origin: &str, text: &str, why: &str) {
    let line = match why.contains(text) {
        _ if origin.is_empty() => format!("tracetcp: {why}"),
        true => format!("tracetcp: {origin}: {why}"),
        false => format!("tracetcp: {origin}: {text}: {why}"),
    };
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A target of the list, looked up: its config, session and run, or why
/// it cannot be traced.
struct Resolved {
    number: usize,
    target: Target,
    outcome: std::result::Result<(Box<super::Config>, Session, RunInfo), String>,
}

/// Reads the targets and looks them up in order, ahead of the run (a
/// slow name holds back only those after it), no more than
/// `LOOKED_UP_AHEAD` ahead.
fn look_up(list: TargetList, config_for: ConfigFor, tx: Sender<Resolved>) {
    for (number, target) in list.read().enumerate() {
        let (target, outcome) = match target {
            Ok(target) => {
                let outcome = config_for(&target.text).and_then(|c| {
                    let (session, run) = session_for(&c).map_err(|e| e.to_string())?;
                    Ok((Box::new(c), session, run))
                });
                (target, outcome)
            }
            // The list cannot be read further: why, where.
            Err(why) => (Target::default(), Err(why)),
        };
        if tx
            .send(Resolved {
                number,
                target,
                outcome,
            })
            .is_err()
        {
            return;
        }
    }
}

const LOOKED_UP_AHEAD: usize = 64;

/// The targets as they are looked up, for `Many`: those that cannot be
/// traced are said on standard error and counted.
struct Feed {
    rx: Receiver<Resolved>,
    first: Option<Waiting>,
    source: IpAddr,
    settings: Settings,
    tally: Rc<Tally>,
}

/// The targets read so far, and those that could not be traced.
#[derive(Default)]
struct Tally {
    read: Cell<usize>,
    failed: Cell<usize>,
}

impl Tally {
    fn saw(&self, r: &Resolved) {
        self.read.set(self.read.get().max(r.number + 1));
    }

    fn skipped(&self, target: &Target, why: &str) {
        skip(&target.origin, &target.text, why);
        self.failed.set(self.failed.get() + 1);
    }

    /// The run's error when some targets could not be traced.
    fn error(&self, total: Option<usize>) -> Error {
        Error::TargetsFailed {
            failed: self.failed.get(),
            total: total.unwrap_or(self.read.get()),
        }
    }
}

impl Feed {
    /// A target that can be traced in this run, or why not.
    fn accept(&self, r: Resolved) -> std::result::Result<Waiting, (Target, String)> {
        let (config, session, mut run) = r.outcome.map_err(|e| (r.target.clone(), e))?;
        if session.src() != self.source {
            let why = format!(
                "it is traced from {}, not {} as the first target: trace it in a run of its own",
                session.src(),
                self.source
            );
            return Err((r.target, why));
        }
        run.settings = self.settings.clone();
        Ok(Waiting {
            number: r.number,
            session,
            specs: config.specs,
            run,
        })
    }
}

impl many::Feed for Feed {
    fn next(&mut self) -> Next {
        if let Some(w) = self.first.take() {
            return Next::Ready(w);
        }
        loop {
            match self.rx.try_recv() {
                Ok(r) => {
                    self.tally.saw(&r);
                    match self.accept(r) {
                        Ok(w) => return Next::Ready(w),
                        Err((target, why)) => self.tally.skipped(&target, &why),
                    }
                }
                Err(TryRecvError::Empty) => return Next::NotYet,
                Err(TryRecvError::Disconnected) => return Next::Done,
            }
        }
    }
}

pub fn run(many: ManyConfig, interrupted: &AtomicBool, out: impl Write) -> Result<Ending> {
    let total = many.targets.total;
    let (tx, rx) = crossbeam_channel::bounded(LOOKED_UP_AHEAD);
    let (list, config_for) = (many.targets, many.config_for);
    std::thread::Builder::new()
        .name("targets".into())
        .spawn(move || look_up(list, config_for, tx))
        .map_err(|e| Error::Network(e.to_string()))?;
    // The first target that can be traced sets the run up.
    let tally = Rc::new(Tally::default());
    let (number, config, session, run) = loop {
        let Ok(r) = rx.recv() else {
            return Err(match tally.read.get() {
                0 => Error::Usage("the target list holds no target".into()),
                _ => tally.error(total),
            });
        };
        tally.saw(&r);
        match r.outcome {
            Ok((config, session, run)) => break (r.number, config, session, run),
            Err(e) => tally.skipped(&r.target, &e),
        }
    };
    let config = &*config;
    let sockets = network::through_sockets(config);
    let (settings, network) = super::network_for(config, &session, sockets, None)?;
    let mut first = run;
    first.settings = settings.clone();
    let feed = Feed {
        rx,
        first: Some(Waiting {
            number,
            session,
            specs: config.specs.clone(),
            run: first,
        }),
        source: session.src(),
        settings: settings.clone(),
        tally: tally.clone(),
    };

    // Every probe kind, from and to our address: the same filter for ten
    // targets or ten thousand.
    let filter = format!("(tcp or udp or icmp or icmp6) and host {}", session.src());
    let mut opened = Opened::open(network, config, session, &filter, &settings)?;
    let names = NameSource::Looked(super::resolver_for(config)?);
    let mut printer = ManyPrinter::new(out, config.format, many.jsonl, config.diagnosis, names);
    let mut prober = Many::new(
        Box::new(feed),
        total,
        session.src(),
        settings.clone(),
        many.rate,
        many.stop_sets,
    );
    // With -w, the whole run: its description, then every packet, each
    // target's notes before its packets.
    let journal = Journal::default();
    let recording = match &config.write {
        Some(path) => {
            let (linktype, snaplen) = opened.framing();
            let info = ManyInfo {
                source: session.src(),
                settings: settings.clone(),
                format: config.format,
                jsonl: many.jsonl,
                targets: total,
            };
            prober = prober.journaling(journal.clone());
            let file = record::create(path, linktype, snaplen, &info.to_json())?;
            Some(Recording::Whole(file))
        }
        None => None,
    };
    // On a terminal, a progress line: targets done of all, probes, rate.
    let stderr = std::io::stderr();
    let draw = stderr.is_terminal();
    let mut progress = ProgressLine::new(&mut printer, stderr, draw);
    let rebuilt = settings.transport == Transport::Sockets;
    let mut recorded = Recorded::new(&mut progress, recording, &[], rebuilt).with_journal(journal);
    let finished = traced(&mut opened, &mut prober, &mut recorded, interrupted);
    let recording = recorded.recording;
    progress.clear();
    let finish = match finished {
        Ok(f) => f,
        Err(e) => return Err(opened.failed(e)),
    };
    let rest = opened.close(recording.is_some())?;
    printer.finish()?;
    if let Some(r) = recording {
        super::recorded::close(r, rest, &printer.names(), &finish, config)?;
    }
    if tally.failed.get() > 0 && finish.ending == Ending::Finished {
        return Err(tally.error(total));
    }
    Ok(finish.ending)
}
