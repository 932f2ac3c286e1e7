//! A live run with many targets (`--targets`, several hosts): each target
//! resolved and given its engine, one capture (or, without privileges,
//! one set of sockets) for all of them with a filter that does not grow
//! with the list, `many::Many` driving them at the set rate, and each
//! target's report printed as it finishes (text, or `--jsonl`: one JSON
//! document a line). A target that cannot be traced gets one line with
//! where it came from, and the others go on; the exit code says so.
//!
//! Must not depend on the command line.

use super::network::{self, Network, Opened};
use super::{session_for, traced};
use crate::capture::{self, early::Opening};
use crate::dns::Resolver;
use crate::driver::{Ending, Observer};
use crate::error::{Error, Result};
use crate::many::targets::Target;
use crate::many::Many;
use crate::output::progress::ProgressLine;
use crate::report::{self, Format, RunInfo};
use crate::route;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;

/// A run with many targets: each target's config, or why it has none.
#[derive(Debug, Clone)]
pub struct ManyConfig {
    pub targets: Vec<(Target, std::result::Result<super::Config, String>)>,
    /// At most this many probes a second in all.
    pub rate: u32,
    /// One JSON document per target, a line each.
    pub jsonl: bool,
    /// Hops an earlier target's trace found are not probed again (off
    /// with --no-stop-set).
    pub stop_sets: bool,
}

/// The rate of a run with many targets when none is given.
pub const DEFAULT_RATE: u32 = 100;

/// Prints each target's report as it finishes.
struct Printer<W> {
    out: W,
    runs: Vec<RunInfo>,
    format: Format,
    jsonl: bool,
    diagnosis: bool,
    resolver: Resolver,
    printed: usize,
    /// With --dot: every target's traces, for one graph at the end.
    graph: Vec<(RunInfo, Vec<crate::trace::TraceResult>)>,
}

impl<W: Write> Observer<Many> for Printer<W> {
    fn step(&mut self, many: &mut Many) -> Result<()> {
        while let Some(f) = many.take_finished() {
            let run = &self.runs[f.number];
            let addrs: Vec<IpAddr> = f
                .results
                .iter()
                .flat_map(|r| r.hops.iter().flat_map(|h| h.addresses()))
                .collect();
            self.resolver.wait(&addrs);
            let names = self.resolver.names();
            if self.format == Format::Dot {
                self.graph.push((run.clone(), f.results));
                continue;
            }
            let text = if self.jsonl {
                let doc = report::render(Format::Json, run, &f.results, &names, self.diagnosis);
                let value: serde_json::Value = serde_json::from_str(&doc)
                    .map_err(|e| Error::Output(std::io::Error::other(e)))?;
                format!("{value}\n")
            } else {
                // A blank line between text reports; Atlas results are
                // lines already.
                let lines = matches!(self.format, Format::Atlas | Format::Scamper);
                let gap = match self.printed > 0 && !lines {
                    true => "\n",
                    false => "",
                };
                format!(
                    "{gap}{}",
                    report::render(self.format, run, &f.results, &names, self.diagnosis)
                )
            };
            self.out.write_all(text.as_bytes()).map_err(Error::output)?;
            self.out.flush().map_err(Error::output)?;
            self.printed += 1;
        }
        Ok(())
    }
}

/// Says why a target is not traced, and where it came from.
fn skip(origin: &str, text: &str, why: &str) {
    let line = match why.contains(text) {
        true => format!("tracetcp: {origin}: {why}"),
        false => format!("tracetcp: {origin}: {text}: {why}"),
    };
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn run(many: &ManyConfig, interrupted: &AtomicBool, out: impl Write) -> Result<Ending> {
    let total = many.targets.len();
    let mut failed = 0;
    let mut engines = Vec::new();
    let mut runs = Vec::new();
    let mut first = None;
    for (target, config) in &many.targets {
        let config = match config {
            Ok(c) => c,
            Err(e) => {
                skip(&target.origin, &target.text, e);
                failed += 1;
                continue;
            }
        };
        let (session, run) = match session_for(config) {
            Ok(x) => x,
            Err(e) => {
                skip(&target.origin, &target.text, &e.to_string());
                failed += 1;
                continue;
            }
        };
        if let Some((_, s0)) = &first {
            let s0: &tracetcp_strategies::Session = s0;
            if s0.src() != session.src() {
                let why = format!(
                    "it is traced from {}, not {} as the first target: trace it in a run of its own",
                    session.src(),
                    s0.src()
                );
                skip(&target.origin, &target.text, &why);
                failed += 1;
                continue;
            }
        } else {
            first = Some((config, session));
        }
        engines.push((session, config.specs.clone()));
        runs.push(run);
    }
    let Some((config, session)) = first else {
        return Err(Error::TargetsFailed { failed, total });
    };
    let sockets = network::through_sockets(config);
    let device = route::device_for(session.src(), session.dst(), config.interface.as_deref())?;
    let mut settings = config.settings.clone();
    if settings.mtu.is_some() {
        settings.mtu = Some(route::mtu_of(&device, session.is_v6())?);
    }
    let network = if sockets {
        network::unprivileged(config, &mut settings, session.is_v6())?;
        Network::Sockets
    } else {
        let opening = Opening::start(&device, capture::snaplen_for(settings.mtu));
        Network::Capture { device, opening }
    };
    for run in &mut runs {
        run.settings = settings.clone();
    }

    // Every probe kind, from and to our address: the same filter for ten
    // targets or ten thousand.
    let filter = format!("(tcp or udp or icmp or icmp6) and host {}", session.src());
    let mut opened = Opened::open(network, config, session, &filter, &settings)?;
    let resolver = super::resolver_for(config)?;
    let mut printer = Printer {
        out,
        runs,
        format: config.format,
        jsonl: many.jsonl,
        diagnosis: config.diagnosis,
        resolver,
        printed: 0,
        graph: Vec::new(),
    };
    let mut prober = Many::new(engines, settings.clone(), many.rate, many.stop_sets);
    // On a terminal, a progress line: targets done of all, probes, rate.
    let stderr = std::io::stderr();
    let draw = stderr.is_terminal();
    let mut progress = ProgressLine::new(&mut printer, stderr, draw);
    let finished = traced(&mut opened, &mut prober, &mut progress, interrupted);
    progress.clear();
    let finish = match finished {
        Ok(f) => f,
        Err(e) => return Err(opened.failed(e)),
    };
    opened.close(false)?;
    if printer.format == Format::Dot {
        let graph = report::dot::render(&printer.graph, &printer.resolver.names());
        printer
            .out
            .write_all(graph.as_bytes())
            .map_err(Error::output)?;
        printer.out.flush().map_err(Error::output)?;
    }
    if failed > 0 && finish.ending == Ending::Finished {
        return Err(Error::TargetsFailed { failed, total });
    }
    Ok(finish.ending)
}
