//! The replay of a run with many targets (`-w` of several hosts or
//! `--targets`): the recording's notes start and end each target
//! (`many/replay.rs`), every packet goes to its target by lookup as it did
//! live, and each target's report is printed in the order the live run
//! printed them, once the names in the closing block are known.

use super::{PacketLines, Playback, ReplayConfig};
use crate::driver::{self, Io, NoSender, Observer, Packet, PacketClock};
use crate::engine::Verdict;
use crate::error::{Error, Result};
use crate::many::{Journal, Many};
use crate::output::many::{ManyPrinter, NameSource};
use crate::record::reader::Reader;
use crate::record::ManyInfo;
use crate::report::{Format, RunInfo};
use crate::time::Timestamp;
use crate::trace::TraceResult;
use std::io::{Read, Write};
use std::sync::atomic::AtomicBool;

/// The packet view, and every target's results as it finished.
struct Collected<'a, W: Write> {
    lines: PacketLines<'a, W>,
    finished: Vec<(RunInfo, Vec<TraceResult>)>,
}

impl<W: Write> Observer<Many> for Collected<'_, W> {
    fn verdict(&mut self, packet: &Packet<'_>, verdict: &Verdict) -> Result<()> {
        Observer::<Many>::verdict(&mut self.lines, packet, verdict)
    }

    fn step(&mut self, many: &mut Many) -> Result<()> {
        while let Some(f) = many.take_finished() {
            self.finished.push((f.run, f.results));
        }
        Ok(())
    }
}

pub(super) fn run(
    mut reader: Reader<Box<dyn Read>>,
    shown: &str,
    config: &ReplayConfig,
    info: ManyInfo,
    mut out: impl Write,
) -> Result<()> {
    if config.session.is_some() {
        return Err(Error::Usage(format!(
            "--session picks one traceroute rebuilt from another tool's capture; {shown} is \
             a tracetcp recording of many targets, each shown: leave --session out"
        )));
    }
    let journal = Journal::default();
    let mut many = Many::replay(
        info.source,
        info.settings.clone(),
        info.targets,
        journal.clone(),
        config.every_hop,
    );
    let mut source = Playback {
        reader: &mut reader,
        path: shown.to_string(),
        last: Timestamp::default(),
        journal: Some((journal, info.source)),
    };
    let mut collected = Collected {
        lines: PacketLines {
            out: &mut out,
            specs: &[],
            show: config.show_packets,
        },
        finished: Vec::new(),
    };
    let io = Io {
        source: &mut source,
        clock: &PacketClock::default(),
        sender: &mut NoSender,
    };
    driver::run(&mut many, io, &mut collected, &AtomicBool::new(false))?;
    let finished = collected.finished;
    if let Some(packets) = reader.ended_early() {
        let _ = writeln!(
            std::io::stderr(),
            "tracetcp: note: {shown} ends early, in the middle of a block (a cut or \
             unfinished recording): replayed its {packets} complete packets; the targets \
             it had not finished end there"
        );
    }
    if config.show_packets {
        out.write_all(b"\n").map_err(Error::output)?;
    }
    let names = super::recorded_names(&reader, config.numeric);
    let format = config.format.unwrap_or(info.format);
    let jsonl = info.jsonl && config.format.is_none_or(|f| f == Format::Json);
    let names = NameSource::Recorded(names);
    let mut printer = ManyPrinter::new(out, format, jsonl, config.diagnosis, names);
    for (run, results) in finished {
        printer.print(run, results)?;
    }
    printer.finish()
}
