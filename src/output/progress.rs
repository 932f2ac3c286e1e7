//! Signs of life on stderr for long runs: a progress line on a terminal
//! (done of total, probes a second, time left), and one note, terminal or
//! not, when pacing to the routers' ICMP rate limits will hold a run for
//! long, saying what would make it shorter.
//!
//! It watches the run around the printer: it wipes its line before the
//! printer's turn, so that the report's lines never mix with it.

use crate::driver::{Observer, Packet, Prober};
use crate::engine::{Progress, Verdict};
use crate::error::Result;
use crate::time::Timestamp;
use std::io::Write;
use std::time::{Duration, Instant};

/// A run shows progress once it has taken this long.
const QUIET_FOR: Duration = Duration::from_millis(2500);
/// The line is worked out again at most this often.
const REFRESH: Duration = Duration::from_millis(250);
/// Pacing that will take longer than this is worth a note...
const LONG_PACING: Duration = Duration::from_secs(10);
/// ...told once the run has had this long to learn where the
/// destination is (past it, TCP answers are not rate limited), and as
/// soon as it is known after that.
const PACING_KNOWN_AFTER: Duration = Duration::from_secs(1);

/// The printer, with a progress line and the pacing note around it.
pub struct ProgressLine<'a, V, E: Write> {
    inner: &'a mut V,
    err: E,
    /// Draw the line (stderr is a terminal).
    draw: bool,
    started: Instant,
    /// The line on screen now, if any, and when it was worked out.
    shown: Option<(String, Instant)>,
    noted: bool,
    told_out_of_keys: bool,
}

impl<'a, V, E: Write> ProgressLine<'a, V, E> {
    /// Watches around `inner`, writing to `err`; `draw`: show the line
    /// (on a terminal), else only the note.
    pub fn new(inner: &'a mut V, err: E, draw: bool) -> Self {
        ProgressLine {
            inner,
            err,
            draw,
            started: Instant::now(),
            shown: None,
            noted: false,
            told_out_of_keys: false,
        }
    }

    /// Wipes the line (at the end of the run, before the report's rest).
    pub fn clear(&mut self) {
        if self.shown.take().is_some() {
            let _ = self.err.write_all(b"\r\x1b[K");
            let _ = self.err.flush();
        }
    }

    fn update(&mut self, progress: &Progress) {
        let elapsed = self.started.elapsed();
        if progress.out_of_keys && !self.told_out_of_keys {
            self.told_out_of_keys = true;
            let _ = writeln!(self.err, "tracetcp: note: {OUT_OF_KEYS}");
        }
        if !self.noted && elapsed >= PACING_KNOWN_AFTER && progress.paced > LONG_PACING {
            self.noted = true;
            let note = pacing_note(progress.paced);
            let _ = writeln!(self.err, "tracetcp: note: {note}");
        }
        if !self.draw || elapsed < QUIET_FOR {
            return;
        }
        let text = match self.shown.take() {
            Some((text, at)) if at.elapsed() < REFRESH => (text, at),
            _ => (line(progress, elapsed), Instant::now()),
        };
        let _ = write!(self.err, "\r\x1b[K{}", text.0);
        let _ = self.err.flush();
        self.shown = Some(text);
    }
}

impl<P: Prober, V: Observer<P>, E: Write> Observer<P> for ProgressLine<'_, V, E> {
    fn verdict(&mut self, packet: &Packet<'_>, verdict: &Verdict) -> Result<()> {
        self.inner.verdict(packet, verdict)
    }

    fn step(&mut self, prober: &mut P) -> Result<()> {
        // Wiped before the printer's turn, drawn again after it: a line
        // the printer writes starts at the left, on a clean line.
        if self.shown.is_some() {
            let _ = self.err.write_all(b"\r\x1b[K");
        }
        let printed = self.inner.step(prober);
        self.update(&prober.progress(Timestamp::now()));
        printed
    }
}

/// When a run has used every probe key it has (65,535; fewer a round).
const OUT_OF_KEYS: &str = "this run has used every probe key it has (65,535 a run): nothing \
     more is sent, and the traces end where their probes did (the rest show no hops); split \
     the range into smaller ones";

/// The progress line: "12/30 hops, 90 probes (35/s), about 4 s left".
pub fn line(p: &Progress, elapsed: Duration) -> String {
    let counted = match p.total {
        Some(total) => format!("{}/{total} {}", p.done, p.unit),
        None => format!("{} {}", p.done, p.unit),
    };
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = p.sent as f64 / secs;
    let probes = crate::words::count(p.sent, "probe");
    let mut text = format!("tracetcp: {counted}, {probes} ({rate:.0}/s)");
    let by_rate = match p.total {
        Some(total) if p.done > 0 && total > p.done => {
            Some(elapsed.mul_f64((total - p.done) as f64 / p.done as f64))
        }
        _ => None,
    };
    let left = match (by_rate, p.paced) {
        (Some(t), paced) => Some(t.max(paced)),
        (None, paced) if paced > Duration::ZERO => Some(paced),
        (None, _) => None,
    };
    if let Some(left) = left {
        text += &format!(", about {} left", span(left));
    }
    text
}

/// The note for a run that pacing will hold for `paced`.
pub fn pacing_note(paced: Duration) -> String {
    format!(
        "pacing to the routers' ICMP rate limits (Linux answers 6 probes at once, then 1 a \
         second) will make this run take about {}: -F sends at full speed (the answers past \
         a router's limit are then lost); fewer probes per hop (-p), fewer ports or a later \
         first hop (-h) make it shorter",
        span(paced)
    )
}

/// A duration as people say it: "45 s", "3 min 20 s", "2 h 5 min".
pub fn span(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: u64, total: Option<u64>, sent: u64, paced: u64) -> Progress {
        Progress {
            done,
            total,
            unit: "traces",
            sent,
            paced: Duration::from_secs(paced),
            out_of_keys: false,
        }
    }

    #[test]
    fn the_line_says_done_of_total_rate_and_time_left() {
        let ten = Duration::from_secs(10);
        assert_eq!(
            line(&progress(25, Some(100), 300, 0), ten),
            "tracetcp: 25/100 traces, 300 probes (30/s), about 30 s left"
        );
        // Pacing that needs longer than the rate so far says so.
        assert_eq!(
            line(&progress(25, Some(100), 300, 3700), ten),
            "tracetcp: 25/100 traces, 300 probes (30/s), about 1 h 1 min left"
        );
        // Nothing done yet, nothing paced: no guess.
        assert_eq!(
            line(&progress(0, Some(100), 50, 0), ten),
            "tracetcp: 0/100 traces, 50 probes (5/s)"
        );
        // No end (--watch).
        assert_eq!(
            line(&progress(7, None, 70, 0), ten),
            "tracetcp: 7 traces, 70 probes (7/s)"
        );
    }

    #[test]
    fn spans_read_as_people_say_them() {
        let s = |secs| span(Duration::from_secs(secs));
        assert_eq!(
            (s(0), s(59), s(200)),
            ("0 s".into(), "59 s".into(), "3 min 20 s".into())
        );
        assert_eq!(s(196_605), "54 h 36 min");
    }

    /// A stand-in printer that writes a line at every step.
    struct Lines(Vec<u8>);

    impl<P> Observer<P> for Lines {
        fn step(&mut self, _: &mut P) -> Result<()> {
            self.0.extend_from_slice(b"hop\n");
            Ok(())
        }
    }

    #[test]
    fn the_line_is_wiped_before_the_printer_writes_and_at_the_end() {
        let mut printer = Lines(Vec::new());
        let mut err = Vec::new();
        let mut p = ProgressLine::new(&mut printer, &mut err, true);
        p.started = Instant::now() - Duration::from_secs(3);
        p.update(&progress(1, Some(4), 10, 0));
        assert!(p.shown.is_some());
        p.clear();
        assert!(p.shown.is_none());
        drop(p);
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.starts_with("\r\x1b[Ktracetcp: 1/4 traces, 10 probes"),
            "{err:?}"
        );
        assert!(err.ends_with("left\r\x1b[K"), "{err:?}");
    }

    #[test]
    fn long_pacing_is_noted_once_even_without_a_terminal() {
        let mut printer = Lines(Vec::new());
        let mut err = Vec::new();
        let mut p = ProgressLine::new(&mut printer, &mut err, false);
        p.started = Instant::now() - Duration::from_secs(5);
        p.update(&progress(0, Some(65535), 6, 196_599));
        p.update(&progress(0, Some(65535), 6, 196_599));
        drop(p);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(err.matches("tracetcp: note: pacing").count(), 1, "{err}");
        assert!(
            err.contains("about 54 h 36 min: -F sends at full speed"),
            "{err}"
        );
        assert!(!err.contains('\r'), "{err:?}");
    }
}
