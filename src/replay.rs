//! Replay: a recorded session through the same engine and the same
//! session driver as a live run, with the recording as packet source, its
//! timestamps as clock and no sender. No privileges, no network. Owns the
//! replay's settings (ReplayConfig); must not depend on the command line.

use crate::capture::{link, timestamp};
use crate::driver::{self, Input, Io, NoSender, Observer, Packet, PacketClock, PacketSource};
use crate::engine::{Engine, Verdict};
use crate::error::{Error, Result};
use crate::record::{pcapng, Closing, SessionInfo, Unreadable};
use crate::report::{self, packets, Format, Names, RunInfo};
use crate::run::printable;
use crate::time::Timestamp;
use crate::trace::{TraceResult, TraceSpec};
use pcap::{Capture, Offline, Precision};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// A replay: the session comes from the file; only the view is chosen.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub path: PathBuf,
    /// The report, when the command line names one (-c, --json).
    pub format: Option<Format>,
    pub numeric: bool,
    pub show_packets: bool,
    pub diagnosis: bool,
}

/// Replays the recording and prints its report. An interrupted session
/// replays as interrupted, but the replay itself completed: no error.
pub fn run(config: &ReplayConfig, mut out: impl Write) -> Result<()> {
    let path = &config.path;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let annotations = pcapng::annotations_of(std::io::BufReader::new(file)).unwrap_or_default();
    let info = match annotations
        .section_comment
        .as_deref()
        .and_then(SessionInfo::from_json)
    {
        Some(Ok(info)) => info,
        Some(Err(Unreadable::Damaged)) => {
            return Err(Error::Damaged {
                path: shown.to_string(),
                reason: "its session description cannot be read".into(),
            })
        }
        Some(Err(Unreadable::Refused(reason))) => {
            return Err(Error::Refused {
                path: shown.to_string(),
                reason,
            })
        }
        Some(Err(Unreadable::OldFormat(format))) => {
            return Err(Error::OldRecording {
                path: shown.to_string(),
                format,
            })
        }
        None => {
            // Let libpcap say what is wrong with files that are not captures.
            open(config)?;
            return Err(Error::NoSession {
                path: shown.to_string(),
            });
        }
    };
    let closing = annotations
        .closing_comment
        .as_deref()
        .and_then(Closing::from_json);
    let cap = open(config)?;
    let linktype = cap.get_datalink().0;
    if !link::is_supported(linktype) {
        return Err(Error::UnsupportedLinkType {
            what: shown.to_string(),
            linktype,
        });
    }
    let mut source = Recording {
        cap,
        linktype,
        interrupted_at: closing
            .filter(|c| c.interrupted)
            .map(|c| Timestamp::from_nanos(c.expired_until_ns)),
        path: shown.to_string(),
    };
    let mut engine = Engine::replay(info.settings.clone(), info.session, info.specs.clone());
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
    driver::run(&mut engine, io, &mut view, &AtomicBool::new(false))?;
    if config.show_packets {
        out.write_all(b"\n").map_err(Error::output)?;
    }
    let run = RunInfo {
        host: info.host.clone(),
        address: info.session.dst(),
        source: info.session.src(),
        flow: info.session.flow(),
        settings: engine.settings().clone(),
    };
    let names: Names = if config.numeric {
        Names::new()
    } else {
        annotations
            .names
            .into_iter()
            .map(|(addr, name)| (addr, printable(&name)))
            .collect()
    };
    let format = config.format.unwrap_or(info.format);
    let report = report::render(format, &run, &recorded(&engine), &names, config.diagnosis);
    out.write_all(report.as_bytes()).map_err(Error::output)?;
    out.flush().map_err(Error::output)
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

/// A recording as the driver's packet source.
struct Recording {
    cap: Capture<Offline>,
    linktype: i32,
    /// When the recorded run was stopped by the user, if it was.
    interrupted_at: Option<Timestamp>,
    path: String,
}

impl PacketSource for Recording {
    fn next(&mut self, _until: Option<Timestamp>) -> Result<Input<'_>> {
        self.poll()
    }

    fn poll(&mut self) -> Result<Input<'_>> {
        match self.cap.next_packet() {
            Ok(p) => Ok(Input::Packet(Packet {
                ts: timestamp(p.header),
                ip_offset: link::ip_offset(self.linktype, p.data),
                frame: p.data,
            })),
            Err(pcap::Error::NoMorePackets) => Ok(Input::End {
                interrupted_at: self.interrupted_at,
            }),
            Err(e) => Err(Error::Damaged {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
        }
    }
}

/// The debug view (--show-packets): a line per packet and its verdict.
struct PacketLines<'a, W: Write> {
    out: W,
    specs: &'a [TraceSpec],
    show: bool,
}

impl<W: Write> Observer<Engine> for PacketLines<'_, W> {
    fn verdict(&mut self, ts: Timestamp, verdict: &Verdict) -> Result<()> {
        if self.show {
            let line = packets::line(ts, verdict, self.specs);
            self.out.write_all(line.as_bytes()).map_err(Error::output)?;
        }
        Ok(())
    }
}

fn open(config: &ReplayConfig) -> Result<Capture<Offline>> {
    Capture::from_file_with_precision(&config.path, Precision::Nano).map_err(|e| {
        Error::NotACapture {
            path: config.path.display().to_string(),
            reason: e.to_string(),
        }
    })
}
