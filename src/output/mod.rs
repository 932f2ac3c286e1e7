//! Live output: hops print as soon as they, and every hop before them,
//! are final; several traces print one after another in their order. The
//! printer watches the session driver (an Observer of the engine) and
//! starts a reverse lookup for every address that answers. Must not
//! depend on the command line.

use crate::diagnosis;
use crate::dns::Resolver;
use crate::driver::{Observer, Packet};
use crate::engine::{Engine, Event, Verdict};
use crate::error::{Error, Result};
use crate::report::{self, Format, Names, RunInfo, Text};
use std::io::{self, Write};

pub mod many;
pub mod progress;
pub mod rounds;
pub mod view;

/// What prints a live run: it watches the session driver, then prints
/// what is left at the end, and knows the names it found (a recording
/// keeps them).
pub trait Printer<P>: Observer<P> {
    /// It draws the whole terminal (no progress line beside it).
    const OWNS_TERMINAL: bool = false;
    fn finish(&mut self, prober: &P) -> io::Result<()>;
    fn names(&self) -> Names;
}

impl<W: Write> Printer<Engine> for LivePrinter<W> {
    fn finish(&mut self, engine: &Engine) -> io::Result<()> {
        LivePrinter::finish(self, engine)
    }
    fn names(&self) -> Names {
        LivePrinter::names(self)
    }
}

pub struct LivePrinter<W: Write> {
    out: W,
    format: Format,
    diagnosis: bool,
    run: RunInfo,
    resolver: Resolver,
    /// The trace being printed.
    cursor: usize,
    started: bool,
    /// Hops printed, hops final, and whether done, per trace.
    printed: Vec<usize>,
    final_hops: Vec<usize>,
    done: Vec<bool>,
}

impl<W: Write> LivePrinter<W> {
    pub fn new(
        out: W,
        format: Format,
        diagnosis: bool,
        run: RunInfo,
        resolver: Resolver,
        traces: usize,
    ) -> Self {
        LivePrinter {
            out,
            format,
            diagnosis,
            run,
            resolver,
            cursor: 0,
            started: false,
            printed: vec![0; traces],
            final_hops: vec![0; traces],
            done: vec![false; traces],
        }
    }

    /// The names resolved so far (for the recording).
    pub fn names(&self) -> Names {
        self.resolver.names()
    }

    /// The hop-by-hop text report, if this run prints one (a multipath
    /// report is whole at the end).
    fn text(&self) -> Option<Text> {
        if self.run.multipath() {
            return None;
        }
        match self.format {
            Format::Classic | Format::Csv => Some(Text::Classic),
            Format::Condensed => Some(Text::Condensed),
            Format::Json | Format::Compare | Format::Atlas | Format::Scamper | Format::Dot => None,
        }
    }

    fn on_event(&mut self, e: Event) {
        match e {
            Event::Hop { trace, .. } => self.final_hops[trace] += 1,
            Event::TraceDone { trace } => self.done[trace] = true,
        }
    }

    /// Prints whatever has become final, in order.
    pub fn flush(&mut self, engine: &Engine) -> io::Result<()> {
        let resolver = &self.resolver;
        let Some(text) = self.text() else {
            return Ok(());
        };
        while self.cursor < self.printed.len() {
            let i = self.cursor;
            let spec = engine.spec(i);
            if !self.started {
                write!(self.out, "{}", text.trace_start(&self.run, i, &spec))?;
                self.started = true;
            }
            if !self.done[i] {
                self.print_final_hops(engine, text, i)?;
                break;
            }
            // The rest at once, as a report of the finished trace shows it
            // (its silent tail as one line).
            let r = engine.result(i);
            for h in r.hops.iter().skip(self.printed[i]) {
                resolver.wait(&h.addresses());
            }
            let names = resolver.names();
            let rest = text.hops(&self.run, &r, &names, self.printed[i]);
            write!(self.out, "{rest}{}", text.trace_end(&self.run, &r, &names))?;
            self.cursor += 1;
            self.started = false;
        }
        self.out.flush()
    }

    /// Prints the final hops of unfinished trace `i`, but holds back a run
    /// of silent hops that no later final hop follows yet: it may be the
    /// trace's silent tail, shown as one line once the trace is done.
    fn print_final_hops(&mut self, engine: &Engine, text: Text, i: usize) -> io::Result<()> {
        let first = engine.settings().first_ttl;
        let spec = engine.spec(i);
        let hop = |k: usize| engine.hop(i, first + k as u8);
        // Up to the last final hop that answered (all of them with
        // --all-hops).
        let end = match self.run.every_hop {
            true => self.final_hops[i],
            false => (self.printed[i]..self.final_hops[i])
                .rev()
                .find(|&k| !hop(k).all_lost())
                .map_or(self.printed[i], |k| k + 1),
        };
        // What the path rewrote, from the hops final so far: once per
        // flush, not once per hop printed.
        let marks =
            (self.printed[i] < end).then(|| report::HopMarks::of(&self.run, &engine.result(i)));
        while self.printed[i] < end {
            let h = hop(self.printed[i]);
            self.resolver.wait(&h.addresses());
            let marks = marks.as_ref().map(|m| m.at(&h)).unwrap_or_default();
            let line = text.hop(&self.run, &spec, &h, &self.resolver.names(), &marks);
            write!(self.out, "{line}")?;
            self.printed[i] += 1;
        }
        Ok(())
    }

    /// Prints the rest: the whole report for JSON and comparisons; for
    /// text, what the unfinished traces found so far (after Ctrl-C); then
    /// the diagnosis.
    pub fn finish(&mut self, engine: &Engine) -> io::Result<()> {
        self.flush(engine)?;
        let resolver = &self.resolver;
        let results = engine.results();
        let Some(text) = self.text() else {
            for h in results.iter().flat_map(|r| &r.hops) {
                resolver.wait(&h.addresses());
            }
            let all = report::render(
                self.format,
                &self.run,
                &results,
                &resolver.names(),
                self.diagnosis,
            );
            write!(self.out, "{all}")?;
            return self.out.flush();
        };
        for (i, r) in results.iter().enumerate().skip(self.cursor) {
            if !self.started {
                write!(self.out, "{}", text.trace_start(&self.run, i, &r.spec))?;
            }
            let names = resolver.names();
            let rest = text.hops(&self.run, r, &names, self.printed[i]);
            write!(self.out, "{rest}{}", text.trace_end(&self.run, r, &names))?;
            self.started = false;
        }
        self.cursor = results.len();
        if self.diagnosis {
            let mut findings = diagnosis::diagnose(&self.run, &results);
            diagnosis::owners::annotate(&mut findings, &results, &resolver.names());
            write!(self.out, "{}", diagnosis::render(&findings))?;
        }
        self.out.flush()
    }
}

impl<W: Write> Observer<Engine> for LivePrinter<W> {
    fn verdict(&mut self, _packet: &Packet<'_>, verdict: &Verdict) -> Result<()> {
        if let Verdict::Answer { reply, .. } = verdict {
            self.resolver.request(reply.from);
        }
        Ok(())
    }

    fn step(&mut self, engine: &mut Engine) -> Result<()> {
        while let Some(event) = engine.poll_event() {
            self.on_event(event);
        }
        self.flush(engine).map_err(Error::output)
    }
}
