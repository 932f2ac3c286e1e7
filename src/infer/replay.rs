//! The replay of a capture with no tracetcp session in it: every packet
//! through the session finder, then each session found (or the one
//! `--session N` picks) through the same reports and diagnosis as a live
//! run, each said to be inferred, with the settings it showed.

use super::sessions::{Finder, Session, Taken};
use crate::capture::link;
use crate::engine::Paths;
use crate::error::{Error, Result};
use crate::record::reader::Reader;
use crate::report::{self, json, rounds_json, Format, Names, RunInfo};
use crate::time::Timestamp;
use crate::trace::TraceSpec;
use crate::watch::Summary;
use serde_json::{json, Value};
use std::io::{Read, Write};

/// What a session is, in one line.
fn about(s: &Session) -> String {
    let settings = s.settings();
    let port = match s.protocol.has_port() {
        true if s.ports_vary => format!(" ports from {}", s.port),
        true => format!(" port {}", s.port),
        false => String::new(),
    };
    let rounds = match s.rounds.len() {
        1 => String::new(),
        n => format!(", {n} rounds"),
    };
    format!(
        "{} probes from {} to {}{port}, TTL {} to {}, {} per hop, {}{rounds}",
        s.protocol,
        s.src,
        s.dst,
        settings.first_ttl,
        settings.last_ttl(),
        settings.probes_per_hop,
        if s.one_flow() {
            "one flow"
        } else {
            "a flow per probe"
        },
    )
}

fn run_info(s: &Session, every_hop: bool) -> RunInfo {
    let mut settings = s.settings();
    settings.paths = if s.one_flow() {
        Paths::OneFlow
    } else {
        Paths::PerProbe
    };
    RunInfo {
        host: s.dst.to_string(),
        address: s.dst,
        source: s.src,
        flow: s.flow,
        settings,
        every_hop,
    }
}

/// A session's rounds folded into mtr's statistics.
fn summary(s: &Session, run: &RunInfo) -> Summary {
    let mut summary = Summary::new(
        &[TraceSpec::new(s.protocol, s.port)],
        run.settings.first_ttl,
    );
    for r in s.results() {
        summary.fold(&[r]);
    }
    summary
}

/// A session's report: its trace, or with several rounds their
/// statistics, as live runs show them.
fn report(s: &Session, format: Format, names: &Names, asked: &Asked) -> String {
    let (run, diagnosis) = (run_info(s, asked.every_hop), asked.diagnosis);
    match s.rounds.len() {
        1 => report::render(format, &run, &s.results(), names, diagnosis),
        _ => {
            let summary = summary(s, &run);
            report::render_rounds(format, &run, &s.schedule(), &summary, names, diagnosis)
        }
    }
}

/// A session's JSON document, said to be inferred.
fn document(s: &Session, number: usize, names: &Names, diagnosis: bool) -> Value {
    let run = run_info(s, false);
    let mut doc = match s.rounds.len() {
        1 => {
            let results = s.results();
            let findings = match diagnosis {
                true => crate::diagnosis::diagnose(&run, &results),
                false => Vec::new(),
            };
            json::document(&run, &results, names, &findings)
        }
        _ => {
            let summary = summary(s, &run);
            let findings = match diagnosis {
                true => crate::diagnosis::rounds::diagnose(&run, &summary),
                false => Vec::new(),
            };
            rounds_json::document(&run, &s.schedule(), &summary, names, &findings)
        }
    };
    doc["inferred"] = json!({ "session": number, "about": about(s) });
    doc
}

/// What the replay of a capture asks for.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub format: Option<Format>,
    pub show_packets: bool,
    pub diagnosis: bool,
    pub every_hop: bool,
    /// The session to show (from 1); all when `None`.
    pub session: Option<usize>,
}

/// Replays `reader` (no session in it) by inference.
pub fn run(
    mut reader: Reader<Box<dyn Read>>,
    shown: &str,
    config: Asked,
    out: &mut dyn Write,
) -> Result<()> {
    let damaged = |e: std::io::Error| Error::Damaged {
        path: shown.to_string(),
        reason: e.to_string(),
    };
    let mut finder = Finder::default();
    let mut unknown_link = None;
    while reader.advance().map_err(damaged)? {
        let (ts, linktype, frame) = reader.packet();
        let ts = Timestamp::from_nanos(ts);
        let linktype = i32::from(linktype);
        let taken = match link::ip_offset(linktype, frame) {
            Some(at) => finder.packet(ts, &frame[at..]),
            None => {
                if !link::is_supported(linktype) {
                    unknown_link = Some(linktype);
                }
                Taken::Nothing
            }
        };
        if config.show_packets {
            let which = |session: usize, round: usize| match round {
                0 => format!("session {}", session + 1),
                r => format!("session {}, round {}", session + 1, r + 1),
            };
            let line = match taken {
                Taken::Probe {
                    session,
                    round,
                    ttl,
                } => format!("{ts} probe ttl {ttl} ({})\n", which(session, round)),
                Taken::Answer {
                    session,
                    round,
                    ttl,
                } => format!("{ts} answer to ttl {ttl} ({})\n", which(session, round)),
                Taken::Nothing => format!("{ts} not part of any session\n"),
            };
            out.write_all(line.as_bytes()).map_err(Error::output)?;
        }
    }
    if let Some(packets) = reader.ended_early() {
        eprintln!(
            "tracetcp: note: {shown} ends early, in the middle of a packet: read its {packets} \
             complete packets"
        );
    }
    let sessions = finder.finish();
    if sessions.is_empty() {
        return Err(match unknown_link {
            Some(linktype) => Error::UnsupportedLinkType {
                what: shown.to_string(),
                linktype,
                name: crate::capture::link::name(linktype),
            },
            None => Error::NoSession {
                path: shown.to_string(),
            },
        });
    }
    let chosen: Vec<(usize, &Session)> = match config.session {
        Some(n) if n == 0 || n > sessions.len() => {
            return Err(Error::Usage(format!(
                "--session {n}: {shown} holds {} ({})",
                crate::words::count(sessions.len() as u64, "traceroute session"),
                crate::words::range(1, sessions.len())
            )))
        }
        Some(n) => vec![(n - 1, &sessions[n - 1])],
        None => sessions.iter().enumerate().collect(),
    };
    let format = config.format.unwrap_or(Format::Classic);
    let names = Names::new();
    let text = if matches!(format, Format::Atlas | Format::Scamper | Format::Dot) {
        chosen
            .iter()
            .map(|(_, s)| report(s, format, &names, &config))
            .collect()
    } else if format == Format::Json {
        let docs: Vec<Value> = chosen
            .iter()
            .map(|(i, s)| document(s, i + 1, &names, config.diagnosis))
            .collect();
        let all =
            json!({ "schema_version": json::SCHEMA_VERSION, "inferred": true, "sessions": docs });
        serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"
    } else {
        let mut text = String::new();
        for (n, (i, s)) in chosen.iter().enumerate() {
            if n > 0 {
                text.push('\n');
            }
            text += &format!(
                "Session {} of {}, inferred from the capture: {}.\n",
                i + 1,
                sessions.len(),
                about(s)
            );
            text += &report(s, format, &names, &config);
        }
        text
    };
    out.write_all(text.as_bytes()).map_err(Error::output)?;
    out.flush().map_err(Error::output)
}
