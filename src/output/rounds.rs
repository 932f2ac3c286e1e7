//! Live output of rounds when stdout is not a terminal (or a report is
//! asked for): a plain line per finished round under `--watch`, then the
//! statistics report. Names are looked up as responders appear.

use super::Printer;
use crate::dns::Resolver;
use crate::driver::Observer;
use crate::error::{Error, Result};
use crate::report::{self, rounds::round_line, Format, Names, RunInfo};
use crate::watch::Rounds;
use std::io::{self, Write};
use std::net::IpAddr;

pub struct RoundsPrinter<W: Write> {
    out: W,
    format: Format,
    diagnosis: bool,
    run: RunInfo,
    resolver: Resolver,
    /// A line per round (`--watch` without a terminal).
    lines: bool,
}

impl<W: Write> RoundsPrinter<W> {
    pub fn new(
        out: W,
        format: Format,
        diagnosis: bool,
        run: RunInfo,
        resolver: Resolver,
        lines: bool,
    ) -> Self {
        RoundsPrinter {
            out,
            format,
            diagnosis,
            run,
            resolver,
            lines,
        }
    }
}

/// Every responder of the figures.
fn responders(rounds: &Rounds) -> impl Iterator<Item = IpAddr> + '_ {
    let hops = rounds.summary().traces.iter().flat_map(|t| &t.hops);
    hops.flat_map(|h| h.responders.iter().map(|(a, _)| *a))
}

/// Starts a lookup for every responder of the figures (each is looked up
/// once), so that names are there for the report.
pub fn look_up(resolver: &Resolver, rounds: &Rounds) {
    for a in responders(rounds) {
        resolver.request(a);
    }
}

/// The final report of `rounds`, once names had their chance.
pub fn report(
    format: Format,
    diagnosis: bool,
    run: &RunInfo,
    resolver: &Resolver,
    rounds: &Rounds,
) -> String {
    let addrs: Vec<IpAddr> = responders(rounds).collect();
    resolver.wait(&addrs);
    report::render_rounds(
        format,
        run,
        rounds.schedule(),
        rounds.summary(),
        &resolver.names(),
        diagnosis,
    )
}

impl<W: Write> Observer<Rounds> for RoundsPrinter<W> {
    fn step(&mut self, rounds: &mut Rounds) -> Result<()> {
        let folded: Vec<_> = rounds.take_folded().collect();
        if folded.is_empty() {
            return Ok(());
        }
        look_up(&self.resolver, rounds);
        if self.lines {
            for (n, results) in folded {
                for r in &results {
                    self.out
                        .write_all(round_line(n, r).as_bytes())
                        .map_err(Error::output)?;
                }
            }
            self.out.flush().map_err(Error::output)?;
        }
        Ok(())
    }
}

impl<W: Write> Printer<Rounds> for RoundsPrinter<W> {
    fn finish(&mut self, rounds: &Rounds) -> io::Result<()> {
        let text = report(
            self.format,
            self.diagnosis,
            &self.run,
            &self.resolver,
            rounds,
        );
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }

    fn names(&self) -> Names {
        self.resolver.names()
    }
}
