//! Replay: a recorded session through the same engine, with time taken
//! from the packet timestamps. No privileges, no network.

use crate::capture::{link, timestamp};
use crate::engine::{Engine, Verdict};
use crate::error::{Error, Result};
use crate::record::{pcapng, Closing, SessionInfo};
use crate::report::{self, packets, Format, Names, RunInfo};
use crate::time::Timestamp;
use pcap::{Capture, Precision};
use std::io::Write;
use std::path::PathBuf;

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
    let file =
        std::fs::File::open(path).map_err(|e| Error::Usage(format!("cannot read {shown}: {e}")))?;
    let annotations = pcapng::annotations_of(std::io::BufReader::new(file)).unwrap_or_default();
    let info = match annotations
        .section_comment
        .as_deref()
        .and_then(SessionInfo::from_json)
    {
        Some(info) => info?,
        None => {
            // Let libpcap say what is wrong with files that are not captures.
            open(config)?;
            return Err(Error::Usage(format!(
                "{shown} holds no tracetcp session (record one with -w FILE)"
            )));
        }
    };
    let closing = annotations
        .closing_comment
        .as_deref()
        .and_then(Closing::from_json);
    let mut cap = open(config)?;
    let linktype = cap.get_datalink().0;
    if !link::is_supported(linktype) {
        return Err(Error::Usage(format!(
            "{shown}: unsupported link type {linktype}"
        )));
    }
    let mut engine = Engine::replay(info.settings.clone(), info.session, info.specs.clone());
    loop {
        let packet = match cap.next_packet() {
            Ok(p) => p,
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => {
                return Err(Error::Usage(format!(
                    "{shown} is damaged or truncated: {e}"
                )))
            }
        };
        let ts = timestamp(packet.header);
        engine.handle_timeout(ts);
        let verdict = match link::ip_offset(linktype, packet.data) {
            Some(at) => engine.handle_packet(ts, &packet.data[at..]),
            None => Verdict::NotIp,
        };
        if config.show_packets {
            out.write_all(packets::line(ts, &verdict, &info.specs).as_bytes())
                .map_err(Error::output)?;
        }
    }
    match closing {
        Some(c) if c.interrupted => {
            engine.handle_timeout(Timestamp::from_nanos(c.expired_until_ns));
            engine.interrupt();
        }
        _ => engine.end_of_recording(),
    }
    if config.show_packets {
        out.write_all(b"\n").map_err(Error::output)?;
    }
    let run = RunInfo {
        host: info.host.clone(),
        address: info.session.dst(),
        source: info.session.src(),
        settings: engine.settings().clone(),
    };
    let names: Names = if config.numeric {
        Names::new()
    } else {
        annotations.names.into_iter().collect()
    };
    let format = config.format.unwrap_or(info.format);
    let report = report::render(format, &run, &engine.results(), &names, config.diagnosis);
    out.write_all(report.as_bytes()).map_err(Error::output)?;
    out.flush().map_err(Error::output)
}

fn open(config: &ReplayConfig) -> Result<Capture<pcap::Offline>> {
    Capture::from_file_with_precision(&config.path, Precision::Nano).map_err(|e| {
        Error::Usage(format!(
            "{} is not a capture file: {e}",
            config.path.display()
        ))
    })
}
