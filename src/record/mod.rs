//! Sessions as files: what a recording says about its session, so that a
//! replay needs no option retyped.
//!
//! Owns the recording file as a run writes it (cut back to its last
//! complete block when the disk fills); the session description it
//! carries is `session.rs`. Must not depend on the command line, the
//! engine's internals or the reports.

mod many;
pub mod pcapng;
pub mod reader;
mod session;

pub use many::{BelowNote, ManyInfo, TargetNote, MANY_FORMAT};
pub use session::{Closing, SessionInfo, Unreadable, FORMAT};

use crate::error::{Error, Result};
use std::net::IpAddr;

/// A live session's file, written by the capture thread.
pub type Recorder = pcapng::Writer<std::io::BufWriter<std::fs::File>>;

/// How a live session's recording ended up.
pub enum Recording {
    /// Every packet is in it: close it with the names and how it ended.
    Whole(Recorder),
    /// A write failed (a full disk): the file holds the first `packets`
    /// packets as complete blocks, and no closing block.
    Stopped { packets: u64, error: std::io::Error },
}

impl Recording {
    /// Writes a packet with what the tracer made of it; when that fails,
    /// cuts the file back to its last complete block and stops, so that
    /// it stays readable.
    pub fn packet(&mut self, ts_ns: u64, data: &[u8], comment: Option<&str>) {
        if let Recording::Whole(r) = self {
            if let Err(error) = r.packet(ts_ns, data, comment) {
                self.stop(error);
            }
        }
    }

    /// Writes a note between packets (a block of its own), as
    /// `packet` does.
    pub fn note(&mut self, comment: &str) {
        if let Recording::Whole(r) = self {
            if let Err(error) = r.close(&[], comment) {
                self.stop(error);
            }
        }
    }

    /// Closes the file with the names and how the session ended; `Err`
    /// with the packets it holds and why, when it could not be written
    /// whole.
    pub fn close(
        mut self,
        names: &[(IpAddr, String)],
        closing: &Closing,
    ) -> std::result::Result<(), (u64, std::io::Error)> {
        if let Recording::Whole(r) = &mut self {
            match r.close(names, &closing.to_json()) {
                Ok(()) => return Ok(()),
                Err(error) => self.stop(error),
            }
        }
        match self {
            Recording::Whole(_) => Ok(()),
            Recording::Stopped { packets, error } => Err((packets, error)),
        }
    }

    /// Cuts the file back to its last complete block after `error`.
    fn stop(&mut self, error: std::io::Error) {
        let placeholder = Recording::Stopped {
            packets: 0,
            error: std::io::Error::other("stopped"),
        };
        let Recording::Whole(r) = std::mem::replace(self, placeholder) else {
            return;
        };
        let (good, packets) = (r.written(), r.packets());
        let (file, _unwritten) = r.into_inner().into_parts();
        let error = file.set_len(good).map_or_else(|e| e, |()| error);
        *self = Recording::Stopped { packets, error };
    }
}

/// Creates `path` and writes the header blocks of the session `info`
/// describes (its JSON).
pub fn create(path: &std::path::Path, linktype: i32, snaplen: u32, info: &str) -> Result<Recorder> {
    let what = |e: std::io::Error| Error::write(path, e);
    let file = std::fs::File::create(path).map_err(what)?;
    pcapng::Writer::new(
        std::io::BufWriter::new(file),
        linktype as u16,
        snaplen,
        info,
    )
    .map_err(what)
}
