//! A live run's recording: every packet with what the tracer made of it
//! as its comment (which Wireshark shows), a run with many targets' notes
//! between them, and the closing block with the names, the owners and
//! how the run ended.
//!
//! Must not depend on the command line.

use super::Config;
use crate::capture::Frame;
use crate::driver::{Ending, Finish, Observer, Packet};
use crate::engine::Verdict;
use crate::error::{Error, Result};
use crate::many::Journal;
use crate::record::{Closing, Recording};
use crate::report::{packets, Names};
use crate::trace::TraceSpec;

/// What every packet of a run through ordinary sockets is.
const REBUILT: &str =
    " (rebuilt: a probe as tracetcp built it, which the kernel sent with its own \
                       headers; an answer from what the kernel reported of it)";

/// The comment of packets captured after the run's last look.
const UNREAD: &str = "not read: the run had ended";

/// The printer, and the recording: each packet goes to the file with
/// what the tracer made of it as its comment, which Wireshark shows.
pub(super) struct Recorded<'a, V> {
    printer: &'a mut V,
    pub(super) recording: Option<Recording>,
    specs: &'a [TraceSpec],
    /// The packets are rebuilt, not captured (a run through ordinary
    /// sockets): each comment says so.
    rebuilt: bool,
    /// The targets' notes of a run with many targets, written before the
    /// next packet.
    journal: Option<Journal>,
}

impl<'a, V> Recorded<'a, V> {
    pub(super) fn new(
        printer: &'a mut V,
        recording: Option<Recording>,
        specs: &'a [TraceSpec],
        rebuilt: bool,
    ) -> Self {
        Recorded {
            printer,
            recording,
            specs,
            rebuilt,
            journal: None,
        }
    }

    /// The same, writing the notes `journal` gets.
    pub(super) fn with_journal(mut self, journal: Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    fn write_notes(&mut self) {
        if let (Some(r), Some(journal)) = (&mut self.recording, &self.journal) {
            for note in journal.borrow_mut().drain(..) {
                r.note(&note.to_json());
            }
        }
    }
}

impl<P, V: Observer<P>> Observer<P> for Recorded<'_, V> {
    fn verdict(&mut self, packet: &Packet<'_>, verdict: &Verdict) -> Result<()> {
        // A recording that cannot be written any more (a full disk)
        // stops; the trace goes on.
        self.write_notes();
        if let Some(r) = &mut self.recording {
            let mut comment = packets::comment(verdict, self.specs);
            if self.rebuilt {
                comment.push_str(REBUILT);
            }
            r.packet(packet.ts.as_nanos(), packet.frame, Some(&comment));
        }
        self.printer.verdict(packet, verdict)
    }

    fn step(&mut self, prober: &mut P) -> Result<()> {
        self.write_notes();
        self.printer.step(prober)
    }
}

/// Closes the recording after the run: the capture's last frames, then
/// the names, the owners and how it ended.
pub(super) fn close(
    mut r: Recording,
    rest: Vec<Frame>,
    names: &Names,
    finish: &Finish,
    config: &Config,
) -> Result<()> {
    for frame in rest {
        r.packet(frame.ts.as_nanos(), &frame.data, Some(UNREAD));
    }
    let mut all: Vec<_> = names.iter().map(|(a, n)| (*a, n.clone())).collect();
    all.sort();
    let mut owners: Vec<_> = names.all_owners().map(|(a, o)| (*a, o.clone())).collect();
    owners.sort();
    let closing = Closing {
        interrupted: finish.ending == Ending::Interrupted,
        expired_until_ns: finish.expired_until.as_nanos(),
        owners,
    };
    // The trace and its report are whole either way; only the file is
    // not.
    if let Err((packets, error)) = r.close(&all, &closing) {
        return Err(Error::RecordingIncomplete {
            path: path_of(config).display().to_string(),
            packets,
            reason: Error::write(path_of(config), error).to_string(),
        });
    }
    Ok(())
}

/// The recording's path, for messages.
fn path_of(config: &Config) -> &std::path::Path {
    config
        .write
        .as_deref()
        .unwrap_or(std::path::Path::new("the recording"))
}
