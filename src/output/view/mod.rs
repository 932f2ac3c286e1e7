//! The live terminal view of rounds (`--watch`, or `--cycles` on a
//! terminal): a table redrawn as rounds finish, keys read on a thread of
//! their own (q quit, p pause, r reset, n names, d display, tab next kind),
//! resizing followed. The terminal is restored on every way out: q, the
//! last round, Ctrl-C, an error (Drop) and a panic (ratatui's hook). The
//! final report is printed after, on the normal screen.

pub mod draw;

use super::rounds::{look_up, report};
use super::Printer;
use crate::dns::Resolver;
use crate::driver::Observer;
use crate::error::{Error, Result};
use crate::report::{Format, Names, RunInfo};
use crate::watch::Rounds;
use crossbeam_channel::Receiver;
use draw::{Display, Screen};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::DefaultTerminal;
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Quit,
    Pause,
    Reset,
    Names,
    Display,
    NextKind,
    Redraw,
}

fn key_of(e: Event) -> Option<Key> {
    match e {
        Event::Key(k) if k.kind != KeyEventKind::Release => match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Some(Key::Quit),
            KeyCode::Char('q') | KeyCode::Esc => Some(Key::Quit),
            KeyCode::Char('p') | KeyCode::Char(' ') => Some(Key::Pause),
            KeyCode::Char('r') => Some(Key::Reset),
            KeyCode::Char('n') => Some(Key::Names),
            KeyCode::Char('d') => Some(Key::Display),
            KeyCode::Tab => Some(Key::NextKind),
            _ => None,
        },
        Event::Resize(..) => Some(Key::Redraw),
        _ => None,
    }
}

/// Reads the terminal's events on a thread of its own; it ends with the
/// process.
fn keys() -> Receiver<Key> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let _ = std::thread::Builder::new()
        .name("keys".into())
        .spawn(move || {
            while let Ok(e) = event::read() {
                if let Some(k) = key_of(e) {
                    if tx.send(k).is_err() {
                        return;
                    }
                }
            }
        });
    rx
}

pub struct TerminalView<W: Write> {
    terminal: Option<DefaultTerminal>,
    keys: Receiver<Key>,
    screen: Screen,
    out: W,
    format: Format,
    diagnosis: bool,
    run: RunInfo,
    resolver: Resolver,
    drawn: Option<Instant>,
    rounds_drawn: u64,
}

/// How often the view redraws at least (a round may take longer).
const REFRESH: Duration = Duration::from_millis(500);

impl<W: Write> TerminalView<W> {
    /// Takes the terminal: raw mode, the alternate screen, a panic hook
    /// that gives it back.
    pub fn open(
        out: W,
        format: Format,
        diagnosis: bool,
        run: RunInfo,
        names: bool,
        resolver: Resolver,
    ) -> Result<Self> {
        let terminal = ratatui::try_init().map_err(Error::output)?;
        let title = format!("tracetcp {} ({})", run.host, run.address);
        Ok(TerminalView {
            terminal: Some(terminal),
            keys: keys(),
            screen: Screen {
                title,
                display: Display::Statistics,
                paused: false,
                names,
                trace: 0,
            },
            out,
            format,
            diagnosis,
            run,
            resolver,
            drawn: None,
            rounds_drawn: u64::MAX,
        })
    }

    fn names(&self) -> Names {
        match self.screen.names {
            true => self.resolver.names(),
            false => Names::new(),
        }
    }

    fn redraw(&mut self, rounds: &Rounds) -> Result<()> {
        let names = self.names();
        let screen = self.screen.clone();
        if let Some(t) = self.terminal.as_mut() {
            t.draw(|f| draw::draw(f, &screen, rounds.summary(), &names))
                .map_err(Error::output)?;
        }
        self.drawn = Some(Instant::now());
        self.rounds_drawn = rounds.summary().rounds;
        Ok(())
    }

    fn restore(&mut self) {
        if self.terminal.take().is_some() {
            ratatui::restore();
        }
    }
}

impl<W: Write> Drop for TerminalView<W> {
    fn drop(&mut self) {
        self.restore();
    }
}

impl<W: Write> Observer<Rounds> for TerminalView<W> {
    fn step(&mut self, rounds: &mut Rounds) -> Result<()> {
        let mut changed = false;
        let mut names_on = false;
        while let Ok(key) = self.keys.try_recv() {
            changed = true;
            match key {
                Key::Quit => rounds.stop(),
                Key::Pause => {
                    rounds.toggle_pause();
                    self.screen.paused = rounds.paused();
                }
                Key::Reset => rounds.reset(),
                Key::Names => {
                    self.screen.names = !self.screen.names;
                    names_on = self.screen.names;
                }
                Key::Display => self.screen.display = self.screen.display.next(),
                Key::NextKind => {
                    self.screen.trace = (self.screen.trace + 1) % rounds.specs().len().max(1)
                }
                Key::Redraw => {}
            }
        }
        // New responders come only with a folded round (the view wakes
        // every 100 ms: look up only then).
        let folded = rounds.take_folded().count() > 0;
        if self.screen.names && (folded || names_on) {
            look_up(&self.resolver, rounds);
        }
        let due = self.drawn.is_none_or(|t| t.elapsed() >= REFRESH);
        if changed || due || rounds.summary().rounds != self.rounds_drawn {
            self.redraw(rounds)?;
        }
        Ok(())
    }
}

impl<W: Write> Printer<Rounds> for TerminalView<W> {
    const OWNS_TERMINAL: bool = true;

    /// Gives the terminal back, then prints the report.
    fn finish(&mut self, rounds: &Rounds) -> io::Result<()> {
        self.restore();
        let resolver = match self.screen.names {
            true => self.resolver.clone(),
            false => Resolver::new(false, None).with_owners_of(&self.resolver),
        };
        let text = report(self.format, self.diagnosis, &self.run, &resolver, rounds);
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }

    fn names(&self) -> Names {
        TerminalView::names(self)
    }
}
