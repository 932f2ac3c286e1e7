//! The session driver: the one loop that runs a prober (the engine, or
//! anything built on it) against a packet source, on a clock, handing its
//! probes to a sender. Live runs, replays and the engine's tests differ
//! only in what they plug in:
//!
//! | run    | source                  | clock                | sender        |
//! |--------|-------------------------|----------------------|---------------|
//! | live   | the capture thread      | [`WallClock`]        | raw or inject |
//! | replay | the recording's packets | [`PacketClock`]      | [`NoSender`]  |
//! | tests  | [`Script`], a simulator | [`PacketClock`], fake| a simulator   |
//!
//! The prober decides its next probes from the answers so far (it is asked
//! for probes after every packet and every wake-up), so adaptive probing
//! and rounds need no loop of their own. Owns: the loop, its seams
//! (Prober, PacketSource, Clock, Observer) and the plain sources and
//! clocks. Must not depend on: the command line, reports, diagnosis,
//! libpcap.

mod script;
#[cfg(test)]
pub mod sim;

pub use script::Script;

use crate::engine::{Engine, Progress, Transmit, Verdict};
use crate::error::{Error, Result};
use crate::send::Sender;
use crate::time::Timestamp;
use std::cell::Cell;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A state machine that probes: told the time and the packets seen, it
/// says what to send and when to wake it. It does no I/O.
pub trait Prober {
    /// The next probe to send at `now`, if any may go now.
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit>;
    /// One captured IP packet with its capture timestamp.
    fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict;
    /// Every packet captured before `now` has been handed over.
    fn handle_timeout(&mut self, now: Timestamp);
    /// When it next needs the driver, if it waits for anything.
    fn next_wakeup(&self) -> Option<Timestamp>;
    /// When it may next send, if only a rate holds it back: the driver
    /// wakes for that on time, not after the source's lag as for
    /// judging probes.
    fn next_send(&self) -> Option<Timestamp> {
        None
    }
    fn is_finished(&self) -> bool;
    /// Stop where it is: send nothing more.
    fn interrupt(&mut self);
    /// The source has nothing more (the end of a recording).
    fn end_of_input(&mut self);
    /// How far it has come at `now`.
    fn progress(&self, now: Timestamp) -> Progress;
}

impl Prober for Engine {
    fn poll_transmit(&mut self, now: Timestamp) -> Option<Transmit> {
        Engine::poll_transmit(self, now)
    }
    fn handle_packet(&mut self, ts: Timestamp, packet: &[u8]) -> Verdict {
        Engine::handle_packet(self, ts, packet)
    }
    fn handle_timeout(&mut self, now: Timestamp) {
        Engine::handle_timeout(self, now)
    }
    fn next_wakeup(&self) -> Option<Timestamp> {
        Engine::next_wakeup(self)
    }
    fn is_finished(&self) -> bool {
        Engine::is_finished(self)
    }
    fn interrupt(&mut self) {
        Engine::interrupt(self)
    }
    fn end_of_input(&mut self) {
        Engine::end_of_recording(self)
    }
    fn progress(&self, now: Timestamp) -> Progress {
        Engine::progress(self, now)
    }
}

/// A captured frame, lent by its source until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub ts: Timestamp,
    /// The frame as captured, link-layer header included.
    pub frame: &'a [u8],
    /// Where the IP packet starts in `frame`; `None` if it holds none.
    pub ip_offset: Option<usize>,
}

impl<'a> Packet<'a> {
    pub fn ip(&self) -> Option<&'a [u8]> {
        self.frame.get(self.ip_offset?..)
    }
}

/// What a source has for the driver.
#[derive(Debug)]
pub enum Input<'a> {
    Packet(Packet<'a>),
    /// Nothing came while waiting.
    Idle,
    /// Nothing more will come. `interrupted_at`: the session the source
    /// holds was stopped by the user then (a recording of a Ctrl-C).
    End {
        interrupted_at: Option<Timestamp>,
    },
}

/// Where packets come from: a live capture, a recording, a script.
pub trait PacketSource {
    /// The next packet, waiting for one at most until `until` (or, with
    /// `None`, as long as the source itself allows).
    fn next(&mut self, until: Option<Timestamp>) -> Result<Input<'_>>;
    /// The next packet if one is already there; never waits.
    fn poll(&mut self) -> Result<Input<'_>>;
    /// How long after its capture timestamp a packet may reach the driver:
    /// a probe's timeout is judged only this long after it passed.
    fn lag(&self) -> Duration {
        Duration::ZERO
    }
    /// Until when everything captured has been handed over, at `now`: the
    /// time up to which probes may be judged.
    fn settled(&self, now: Timestamp) -> Timestamp {
        now.before(self.lag())
    }
}

/// Where "now" comes from.
pub trait Clock {
    fn now(&self) -> Timestamp;
    /// A packet with this timestamp was handed over.
    fn saw(&self, _ts: Timestamp) {}
}

/// The wall clock, for live runs.
#[derive(Debug, Default)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Time that moves with the packets: a recording's (or a script's)
/// timestamps, or a simulator's fake clock that it sets itself.
#[derive(Debug, Default)]
pub struct PacketClock(Cell<Timestamp>);

impl PacketClock {
    pub fn starting_at(t: Timestamp) -> Self {
        PacketClock(Cell::new(t))
    }

    /// Moves the clock to `t` (never backwards).
    pub fn advance_to(&self, t: Timestamp) {
        self.0.set(self.0.get().max(t));
    }
}

impl Clock for PacketClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
    fn saw(&self, ts: Timestamp) {
        self.advance_to(ts);
    }
}

/// The sender of a replay: it has nothing to send, and sends nothing.
#[derive(Debug, Default)]
pub struct NoSender;

impl Sender for NoSender {
    fn send(&mut self, _packet: &[u8], dst: IpAddr) -> Result<()> {
        log::warn!("a replay sends nothing (a probe to {dst} was dropped)");
        Ok(())
    }
}

/// Whoever watches the run: printers, the packet view, tests.
pub trait Observer<P> {
    /// What the prober made of one packet.
    fn verdict(&mut self, _packet: &Packet<'_>, _verdict: &Verdict) -> Result<()> {
        Ok(())
    }
    /// After every step: the prober's new events and results are there.
    fn step(&mut self, _prober: &mut P) -> Result<()> {
        Ok(())
    }
}

impl<P> Observer<P> for () {}

/// The three things a run plugs in.
pub struct Io<'a> {
    pub source: &'a mut dyn PacketSource,
    pub clock: &'a dyn Clock,
    pub sender: &'a mut dyn Sender,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    Interrupted,
}

/// What the driver tells its caller at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finish {
    pub ending: Ending,
    /// Every probe whose timeout passed before this instant was judged
    /// (a recording stores it, so that its replay cuts at the same point).
    pub expired_until: Timestamp,
}

/// Runs `prober` until it is finished, the source ends, or `stop` is set.
pub fn run<P: Prober, O: Observer<P>>(
    prober: &mut P,
    io: Io<'_>,
    observer: &mut O,
    stop: &AtomicBool,
) -> Result<Finish> {
    let Io {
        source,
        clock,
        sender,
    } = io;
    let lag = source.lag();
    let mut expired_until = Timestamp::default();
    let finish = |ending, expired_until| Finish {
        ending,
        expired_until,
    };
    loop {
        if stop.load(Ordering::SeqCst) {
            prober.interrupt();
            observer.step(prober)?;
            return Ok(finish(Ending::Interrupted, expired_until));
        }
        let now = clock.now();
        while let Some(tx) = prober.poll_transmit(now) {
            log::debug!(
                "{now} send ttl {} probe {} of trace {}",
                tx.ttl,
                tx.index,
                tx.trace
            );
            match sender.send(&tx.packet, tx.destination) {
                Ok(()) => {}
                Err(e @ (Error::Privileges { .. } | Error::Unprivileged { .. })) => return Err(e),
                Err(other) => log::warn!("probe ttl {} not sent: {other}", tx.ttl),
            }
        }
        let wake = [
            prober.next_wakeup(),
            prober.next_send().map(|t| t.before(lag)),
        ]
        .into_iter()
        .flatten()
        .min();
        let mut input = source.next(wake)?;
        loop {
            match input {
                Input::Idle => break,
                Input::End {
                    interrupted_at: Some(at),
                } => {
                    prober.handle_timeout(at);
                    prober.interrupt();
                    observer.step(prober)?;
                    return Ok(finish(Ending::Interrupted, at));
                }
                Input::End {
                    interrupted_at: None,
                } => {
                    prober.end_of_input();
                    observer.step(prober)?;
                    return Ok(finish(Ending::Finished, clock.now()));
                }
                Input::Packet(p) => {
                    clock.saw(p.ts);
                    // Everything captured before this packet is in.
                    prober.handle_timeout(p.ts.before(lag));
                    let verdict = match p.ip() {
                        Some(ip) => prober.handle_packet(p.ts, ip),
                        None => Verdict::NotIp,
                    };
                    log::debug!("{} {verdict:?}", p.ts);
                    observer.verdict(&p, &verdict)?;
                }
            }
            input = source.poll()?;
        }
        expired_until = source.settled(clock.now());
        prober.handle_timeout(expired_until);
        observer.step(prober)?;
        if prober.is_finished() {
            return Ok(finish(Ending::Finished, expired_until));
        }
    }
}

#[cfg(test)]
mod tests;
