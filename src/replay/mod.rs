//! Replay: a recorded session through the same engine and the same
//! session driver as a live run, with the recording as packet source, its
//! timestamps as clock and no sender. No privileges, no network. Owns the
//! replay's settings (ReplayConfig); must not depend on the command line.

use crate::capture::link;
use crate::driver::{self, Input, Io, NoSender, Observer, Packet, PacketClock, PacketSource};
use crate::engine::{Engine, Verdict};
use crate::error::{Error, Result};
use crate::record::reader::{NotARecording, Reader};
use crate::record::{Closing, ManyInfo, SessionInfo, Unreadable};
use crate::report::{self, packets, Format, Names, RunInfo};
use crate::run::printable;
use crate::time::Timestamp;
use crate::trace::{TraceResult, TraceSpec};
use crate::watch::Rounds;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

mod many;

/// A replay: the session comes from the file; only the view is chosen.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub path: PathBuf,
    /// The report, when the command line names one (-c, --json).
    pub format: Option<Format>,
    pub numeric: bool,
    pub show_packets: bool,
    pub diagnosis: bool,
    /// List every silent hop of a trace's tail (`--all-hops`).
    pub every_hop: bool,
    /// A capture with no session of ours: the inferred session to show
    /// (from 1); all when `None`.
    pub session: Option<usize>,
}

/// The stream a replay reads: the file, or standard input for "-".
fn input(path: &Path) -> Result<Box<dyn Read>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    // A directory opens, and fails only at the first read.
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::NotAFile {
            path: path.display().to_string(),
        });
    }
    Ok(Box::new(file))
}

/// Replays the recording and prints its report. An interrupted session
/// replays as interrupted, but the replay itself completed: no error. The
/// recording is read once, front to back, so that pipes and standard
/// input replay too.
pub fn run(config: &ReplayConfig, out: impl Write) -> Result<()> {
    let path = &config.path;
    let shown = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    run_stream(input(path)?, &shown, config, out)
}

/// Replays the recording read from `stream` (`shown` names it in
/// messages); `config.path` is not opened.
pub fn run_stream(
    stream: Box<dyn Read>,
    shown: &str,
    config: &ReplayConfig,
    mut out: impl Write,
) -> Result<()> {
    let shown = shown.to_string();
    let mut reader = match Reader::open(stream) {
        Ok(r) => r,
        Err(NotARecording::NotACapture(reason)) => {
            return Err(Error::NotACapture {
                path: shown,
                reason,
            })
        }
        Err(NotARecording::Io(_, reason)) => {
            return Err(Error::Damaged {
                path: shown,
                reason,
            })
        }
    };
    let comment = reader.section_comment.as_deref();
    match comment.and_then(ManyInfo::from_json) {
        Some(Ok(info)) => return many::run(reader, &shown, config, info, out),
        Some(Err(Some(format))) => {
            return Err(Error::OldRecording {
                path: shown,
                format,
                reads: crate::record::MANY_FORMAT,
            })
        }
        Some(Err(None)) => {
            return Err(Error::Damaged {
                path: shown,
                reason: "its description of a run with many targets cannot be read".into(),
            })
        }
        None => {}
    }
    let info = match comment.map(SessionInfo::from_json) {
        Some(Some(Ok(_))) if config.session.is_some() => {
            return Err(Error::Usage(format!(
                "--session picks one traceroute rebuilt from another tool's capture; {shown} is \
                 a tracetcp recording, which holds one session: leave --session out"
            )))
        }
        Some(Some(Ok(info))) => info,
        Some(Some(Err(Unreadable::Damaged))) => {
            return Err(Error::Damaged {
                path: shown,
                reason: "its session description cannot be read".into(),
            })
        }
        Some(Some(Err(Unreadable::Refused(reason)))) => {
            return Err(Error::Refused {
                path: shown,
                reason,
            })
        }
        Some(Some(Err(Unreadable::OldFormat(format)))) => {
            return Err(Error::OldRecording {
                path: shown,
                format,
                reads: crate::record::FORMAT,
            })
        }
        // Not ours: rebuild what traceroutes it holds.
        Some(None) | None => {
            let asked = crate::infer::replay::Asked {
                format: config.format,
                show_packets: config.show_packets,
                diagnosis: config.diagnosis,
                every_hop: config.every_hop,
                session: config.session,
            };
            return crate::infer::replay::run(reader, &shown, asked, &mut out);
        }
    };
    let mut source = Playback {
        reader: &mut reader,
        path: shown.clone(),
        last: Timestamp::default(),
        journal: None,
    };
    let mut view = PacketLines {
        out: &mut out,
        specs: &info.specs,
        show: config.show_packets,
    };
    let io = Io {
        source: &mut source,
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    let (info, session) = (&info, info.session);
    let run = |settings: &crate::engine::Settings| {
        RunInfo::of(
            info.host.clone(),
            &session,
            settings.clone(),
            config.every_hop,
        )
    };
    let (run, report) = match info.rounds {
        None => {
            let mut engine = Engine::replay(info.settings.clone(), session, info.specs.clone());
            driver::run(&mut engine, io, &mut view, &AtomicBool::new(false))?;
            (run(engine.settings()), Report::Traces(recorded(&engine)))
        }
        Some(schedule) => {
            let specs = info.specs.clone();
            let mut rounds = Rounds::replay(info.settings.clone(), session, specs, schedule);
            driver::run(&mut rounds, io, &mut view, &AtomicBool::new(false))?;
            (run(rounds.settings()), Report::Rounds(Box::new(rounds)))
        }
    };
    if let Some(packets) = reader.ended_early() {
        let _ = writeln!(
            std::io::stderr(),
            "tracetcp: note: {shown} ends early, in the middle of a block (a cut or \
             unfinished recording): replayed its {packets} complete packets; its traces end there"
        );
    }
    if config.show_packets {
        out.write_all(b"\n").map_err(Error::output)?;
    }
    let names = recorded_names(&reader, config.numeric);
    let format = config.format.unwrap_or(info.format);
    let report = match report {
        Report::Traces(results) => report::render(format, &run, &results, &names, config.diagnosis),
        Report::Rounds(rounds) => report::render_rounds(
            format,
            &run,
            rounds.schedule(),
            rounds.summary(),
            &names,
            config.diagnosis,
        ),
    };
    out.write_all(report.as_bytes()).map_err(Error::output)?;
    out.flush().map_err(Error::output)
}

/// The names a recording keeps (none with -n), with the owners found
/// live (--as) from its closing block.
fn recorded_names(reader: &Reader<Box<dyn Read>>, numeric: bool) -> Names {
    let annotations = reader.annotations();
    let mut names: Names = match numeric {
        true => Names::new(),
        false => annotations
            .names
            .iter()
            .map(|(addr, name)| (*addr, printable(name)))
            .collect(),
    };
    let closing = annotations
        .closing_comment
        .as_deref()
        .and_then(Closing::from_json);
    for (addr, origins) in closing.map(|c| c.owners).unwrap_or_default() {
        names.set_owners(addr, origins);
    }
    names
}

/// What a replay found: traces, or the figures of rounds.
enum Report {
    Traces(Vec<TraceResult>),
    Rounds(Box<Rounds>),
}

/// The results of the traces the recording has packets of. A session
/// description may claim more (every port, 255 hops): traces no packet
/// speaks of cost nothing and are left out, with a note on stderr.
fn recorded(engine: &Engine) -> Vec<TraceResult> {
    let all = engine.specs().len();
    let probed: Vec<usize> = (0..all).filter(|&t| engine.probed(t)).collect();
    if probed.is_empty() {
        return engine.results();
    }
    if probed.len() < all {
        let _ = writeln!(
            std::io::stderr(),
            "tracetcp: note: {} of the {all} traces the recording describes have no packet in it; \
             they are left out",
            all - probed.len()
        );
    }
    probed.into_iter().map(|t| engine.result(t)).collect()
}

/// A recording as the driver's packet source. At its end, the closing
/// block (read by then) says whether the live run was interrupted.
struct Playback<'r> {
    reader: &'r mut Reader<Box<dyn Read>>,
    path: String,
    /// The last packet's time.
    last: Timestamp,
    /// A run with many targets (from this source): where the targets'
    /// notes go as they are read, before the packets after them.
    journal: Option<(crate::many::Journal, std::net::IpAddr)>,
}

impl PacketSource for Playback<'_> {
    fn next(&mut self, _until: Option<Timestamp>) -> Result<Input<'_>> {
        self.poll()
    }

    fn poll(&mut self) -> Result<Input<'_>> {
        let damaged = |e: std::io::Error| Error::Damaged {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        let more = self.reader.advance().map_err(damaged)?;
        if let Some((journal, source)) = &self.journal {
            let notes = self.reader.take_notes();
            let notes = notes
                .iter()
                .filter_map(|n| crate::record::TargetNote::from_json(n, *source));
            journal.borrow_mut().extend(notes);
        }
        if let Some(linktype) = self.reader.linktype().map(i32::from) {
            if !link::is_supported(linktype) {
                return Err(Error::UnsupportedLinkType {
                    what: self.path.clone(),
                    linktype,
                    name: crate::capture::link::name(linktype),
                });
            }
        }
        match more {
            true => {
                let (ts, linktype, frame) = self.reader.packet();
                let linktype = i32::from(linktype);
                self.last = Timestamp::from_nanos(ts);
                Ok(Input::Packet(Packet {
                    ts: self.last,
                    ip_offset: link::ip_offset(linktype, frame),
                    frame,
                }))
            }
            false => {
                let closing = self
                    .reader
                    .annotations()
                    .closing_comment
                    .as_deref()
                    .and_then(Closing::from_json);
                // A cut recording tells nothing of what came after its
                // last packet: its traces end there, as an interrupted
                // run's do, never as complete.
                let cut = self.reader.ended_early().is_some().then_some(self.last);
                Ok(Input::End {
                    interrupted_at: closing
                        .filter(|c| c.interrupted)
                        .map(|c| Timestamp::from_nanos(c.expired_until_ns))
                        .or(cut),
                })
            }
        }
    }
}

/// The debug view (--show-packets): a line per packet and its verdict.
struct PacketLines<'a, W: Write> {
    out: W,
    specs: &'a [TraceSpec],
    show: bool,
}

impl<P, W: Write> Observer<P> for PacketLines<'_, W> {
    fn verdict(&mut self, packet: &Packet<'_>, verdict: &Verdict) -> Result<()> {
        if self.show {
            let line = packets::line(packet.ts, verdict, self.specs);
            self.out.write_all(line.as_bytes()).map_err(Error::output)?;
        }
        Ok(())
    }
}
