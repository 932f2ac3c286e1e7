//! The output of a run with many targets, live or replayed: each
//! target's report as it finishes (text, or `--jsonl`: one JSON document
//! a line; with `--dot`, one graph of them all at the end), and the run's
//! notes of its routers on standard error. Must not depend on the command
//! line.

use crate::dns::Resolver;
use crate::driver::Observer;
use crate::error::{Error, Result};
use crate::many::Many;
use crate::report::{self, Format, Names, RunInfo};
use crate::trace::TraceResult;
use std::collections::VecDeque;
use std::io::Write;
use std::net::IpAddr;

/// Where the names of what answered come from.
pub enum NameSource {
    /// Looked up as the run goes (`--as` too).
    Looked(Resolver),
    /// A recording's.
    Recorded(Names),
}

/// Prints each target's report as it finishes.
pub struct ManyPrinter<W> {
    out: W,
    format: Format,
    jsonl: bool,
    diagnosis: bool,
    names: NameSource,
    printed: usize,
    /// Targets finished whose names are still being looked up: printed
    /// in the order they finished, each once its names are in (or have
    /// been waited for long enough), without holding the run up.
    waiting: VecDeque<(RunInfo, Vec<TraceResult>)>,
    /// With --dot: every target's traces, for one graph at the end.
    graph: Vec<(RunInfo, Vec<TraceResult>)>,
}

/// Every address that answered in `results`.
fn addresses(results: &[TraceResult]) -> Vec<IpAddr> {
    results
        .iter()
        .flat_map(|r| r.hops.iter().flat_map(|h| h.addresses()))
        .collect()
}

impl<W: Write> ManyPrinter<W> {
    pub fn new(out: W, format: Format, jsonl: bool, diagnosis: bool, names: NameSource) -> Self {
        ManyPrinter {
            out,
            format,
            jsonl,
            diagnosis,
            names,
            printed: 0,
            waiting: VecDeque::new(),
            graph: Vec::new(),
        }
    }

    /// The names known now (waiting a little for those of `addrs`).
    fn names_of(&self, addrs: &[IpAddr]) -> Names {
        match &self.names {
            NameSource::Looked(resolver) => {
                resolver.wait(addrs);
                resolver.names()
            }
            NameSource::Recorded(names) => names.clone(),
        }
    }

    /// Every name known (a recording keeps them).
    pub fn names(&self) -> Names {
        self.names_of(&[])
    }

    /// Prints the targets waiting whose names are in, in order; all of
    /// them (waiting for their names) with `all`.
    fn flush(&mut self, all: bool) -> Result<()> {
        while let Some((_, results)) = self.waiting.front() {
            let ready = match &self.names {
                NameSource::Looked(resolver) => all || resolver.ready(&addresses(results)),
                NameSource::Recorded(_) => true,
            };
            if !ready {
                break;
            }
            if let Some((run, results)) = self.waiting.pop_front() {
                self.print(run, results)?;
            }
        }
        Ok(())
    }

    /// After the run: the reports still waiting for names, and with
    /// --dot, the graph of every target.
    pub fn finish(&mut self) -> Result<()> {
        self.flush(true)?;
        if self.format == Format::Dot {
            let graph = report::dot::render(&self.graph, &self.names());
            self.out
                .write_all(graph.as_bytes())
                .map_err(Error::output)?;
            self.out.flush().map_err(Error::output)?;
        }
        Ok(())
    }
}

impl<W: Write> Observer<Many> for ManyPrinter<W> {
    fn step(&mut self, many: &mut Many) -> Result<()> {
        for note in many.take_notes() {
            let _ = writeln!(std::io::stderr(), "tracetcp: note: {note}");
        }
        while let Some(f) = many.take_finished() {
            if let NameSource::Looked(resolver) = &self.names {
                for a in addresses(&f.results) {
                    resolver.request(a);
                }
            }
            self.waiting.push_back((f.run, f.results));
        }
        self.flush(false)
    }
}

impl<W: Write> ManyPrinter<W> {
    /// A finished target's report.
    pub fn print(&mut self, run: RunInfo, results: Vec<TraceResult>) -> Result<()> {
        let names = self.names_of(&addresses(&results));
        if self.format == Format::Dot {
            self.graph.push((run, results));
            return Ok(());
        }
        let text = if self.jsonl {
            let doc = report::render(Format::Json, &run, &results, &names, self.diagnosis);
            let value: serde_json::Value =
                serde_json::from_str(&doc).map_err(|e| Error::Output(std::io::Error::other(e)))?;
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
                report::render(self.format, &run, &results, &names, self.diagnosis)
            )
        };
        self.out.write_all(text.as_bytes()).map_err(Error::output)?;
        self.out.flush().map_err(Error::output)?;
        self.printed += 1;
        Ok(())
    }
}
