//! Typed errors of the tracer: one variant for each failure a user can
//! meet, decided from error codes or from checks made beforehand, never
//! from an error message's text. main turns each into one "tracetcp: ..."
//! line and maps it to its documented exit code. Depends on nothing else
//! of the crate.

use std::fmt;
use std::io;
use std::path::Path;

#[derive(Debug)]
pub enum Error {
    /// A bad option, option value, host, port or service.
    Usage(String),
    /// A privilege the operation needs is missing; `what` needed it.
    Privileges { what: String },
    /// What a run without privileges cannot do here (`missing`), and what
    /// works instead.
    Unprivileged { missing: String, instead: String },
    /// Some targets of a run with many could not be traced (each said
    /// why on its own line).
    TargetsFailed { failed: usize, total: usize },
    /// No network interface has this name.
    NoSuchInterface(String),
    /// A file could not be opened or read.
    CannotRead { path: String, source: io::Error },
    /// A directory (or other non-file) where a recording was expected.
    NotAFile { path: String },
    /// The file is not a capture file (libpcap's reason).
    NotACapture { path: String, reason: String },
    /// A capture file without a tracetcp session in it.
    NoSession { path: String },
    /// A capture whose blocks or session description are damaged, or that
    /// ends in the middle of a packet.
    Damaged { path: String, reason: String },
    /// A recording whose session description claims what no live run
    /// does, or contradicts itself.
    Refused { path: String, reason: String },
    /// A recording made by an older tracetcp whose session format this
    /// one no longer reads.
    /// `reads`: the format this version replays.
    OldRecording {
        path: String,
        format: u64,
        reads: u64,
    },
    /// A capture or interface whose link-layer framing tracetcp cannot read.
    /// `name`: what the link type is (tcpdump's name), if known.
    UnsupportedLinkType {
        what: String,
        linktype: i32,
        name: &'static str,
    },
    /// The disk (or quota) is full while writing `path`.
    DiskFull { path: String },
    /// The trace ran to its end, but its recording could not be written
    /// whole (a full disk): the file holds the first `packets` packets.
    RecordingIncomplete {
        path: String,
        packets: u64,
        reason: String,
    },
    /// A file could not be written, for another reason.
    CannotWrite { path: String, source: io::Error },
    /// The network failed: no route, no gateway, a send that failed.
    Network(String),
    /// The live capture failed.
    Capture(String),
    /// Whoever read our output went away (`| head`): stop quietly.
    OutputClosed,
    /// Our output could not be written (a full disk on stdout, ...).
    Output(io::Error),
}

impl Error {
    /// A failure to write the report.
    pub fn output(err: io::Error) -> Error {
        if err.kind() == io::ErrorKind::BrokenPipe {
            Error::OutputClosed
        } else {
            Error::Output(err)
        }
    }

    /// `what` failed with `err`: a missing privilege when the system
    /// said "not permitted" (EPERM) or "access denied" (EACCES).
    pub fn from_io(what: &str, err: &io::Error) -> Error {
        if is_permission(err) {
            Error::Privileges { what: what.into() }
        } else {
            Error::Network(format!("{what}: {err}"))
        }
    }

    /// Writing `path` failed with `err`.
    pub fn write(path: &Path, err: io::Error) -> Error {
        let path = path.display().to_string();
        if err.raw_os_error() == Some(libc::ENOSPC) || err.raw_os_error() == Some(libc::EDQUOT) {
            Error::DiskFull { path }
        } else {
            Error::CannotWrite { path, source: err }
        }
    }

    /// Reading `path` failed with `err`.
    pub fn read(path: &Path, err: io::Error) -> Error {
        Error::CannotRead {
            path: path.display().to_string(),
            source: err,
        }
    }
}

/// Whether the system refused for want of a privilege.
fn is_permission(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES))
        || err.kind() == io::ErrorKind::PermissionDenied
}

/// What is missing, and the two ways to grant it.
/// The command that grants this binary CAP_NET_RAW.
pub fn setcap_command() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "tracetcp".into());
    format!("sudo setcap cap_net_raw+ep {exe}")
}

fn privilege_text(what: &str) -> String {
    format!(
        "{what} needs the CAP_NET_RAW capability: run as root, or grant it once with: \
         {} (cap_net_raw,cap_net_admin+eip works too)",
        setcap_command()
    )
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(s) | Error::Network(s) => f.write_str(s),
            Error::Privileges { what } => f.write_str(&privilege_text(what)),
            Error::Unprivileged { missing, instead } => write!(f, "{missing}; {instead}"),
            Error::TargetsFailed { failed, total } => write!(
                f,
                "{failed} of {} could not be traced (each said why above)",
                crate::words::count(*total as u64, "target")
            ),
            Error::NoSuchInterface(name) => write!(f, "unknown interface '{name}'"),
            Error::CannotRead { path, source } => write!(f, "cannot read {path}: {source}"),
            Error::NotAFile { path } => {
                write!(f, "{path} is a directory, not a recording (give a .pcap or .pcapng file)")
            }
            Error::NotACapture { path, reason } => {
                write!(f, "{path} is not a capture file: {reason}")
            }
            Error::NoSession { path } => write!(
                f,
                "{path} holds no tracetcp session and no traceroute to rebuild (record one with -w FILE)"
            ),
            Error::Damaged { path, reason } => {
                write!(f, "{path} is damaged or truncated: {reason}")
            }
            Error::Refused { path, reason } => write!(f, "{path} is refused: {reason}"),
            Error::OldRecording {
                path,
                format,
                reads,
            } => write!(
                f,
                "{path} says it is in session format {format}; this version replays formats 1 \
                 to {reads} (a newer tracetcp reads newer ones)"
            ),
            Error::UnsupportedLinkType {
                what,
                linktype,
                name,
            } => write!(
                f,
                "{what}: unsupported link type {linktype} ({name}); tracetcp reads Ethernet, \
                 Linux cooked, raw IP, PPP, Cisco HDLC and loopback captures"
            ),
            Error::DiskFull { path } => write!(f, "writing {path}: no space left on the device"),
            Error::CannotWrite { path, source } => write!(f, "cannot write {path}: {source}"),
            Error::RecordingIncomplete {
                path,
                packets,
                reason,
            } => write!(
                f,
                "the recording stopped ({reason}): {path} holds the first {} \
                 of the session and replays as cut short; the report above is whole",
                crate::words::count(*packets, "packet")
            ),
            Error::Capture(s) => write!(f, "capture: {s}"),
            Error::OutputClosed => f.write_str("output closed"),
            Error::Output(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_come_from_error_codes() {
        let full = io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(matches!(
            Error::write(Path::new("x.pcap"), full),
            Error::DiskFull { .. }
        ));
        let denied = io::Error::from_raw_os_error(libc::EACCES);
        assert!(matches!(
            Error::write(Path::new("x.pcap"), denied),
            Error::CannotWrite { .. }
        ));
        let eperm = io::Error::from_raw_os_error(libc::EPERM);
        let e = Error::from_io("opening a raw socket", &eperm);
        assert!(matches!(e, Error::Privileges { .. }));
        let line = e.to_string();
        assert!(
            line.contains("CAP_NET_RAW") && line.contains("setcap"),
            "{line}"
        );
        let unreachable = io::Error::from_raw_os_error(libc::ENETUNREACH);
        assert!(matches!(
            Error::from_io("sending", &unreachable),
            Error::Network(_)
        ));
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(matches!(Error::output(pipe), Error::OutputClosed));
    }
}
