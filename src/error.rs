//! Typed errors of the tracer, each with the exit code it ends the
//! program with. main turns them into one "tracetcp: ..." line.

use std::fmt;

/// Exit codes, as documented in README.md.
pub mod exit {
    /// Every trace ran to its end.
    pub const OK: u8 = 0;
    /// The network or the capture failed while tracing.
    pub const RUNTIME: u8 = 1;
    /// A bad option, host, port, service, interface or file.
    pub const USAGE: u8 = 2;
    /// Missing privileges (raw sockets and capture need them).
    pub const PRIVILEGES: u8 = 3;
    /// Stopped by Ctrl-C, after printing what was found.
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug)]
pub enum Error {
    /// Something the user typed or gave is wrong.
    Usage(String),
    /// The tracer lacks a privilege; the text says which and how to grant it.
    Privileges(String),
    /// The system or network failed.
    Runtime(String),
    /// Whoever read our output went away (`| head`): stop quietly.
    OutputClosed,
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Privileges(_) => exit::PRIVILEGES,
            Error::Runtime(_) => exit::RUNTIME,
            Error::OutputClosed => exit::OK,
        }
    }

    /// A failure to write the report.
    pub fn output(err: std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::OutputClosed
        } else {
            Error::Runtime(format!("writing output: {err}"))
        }
    }

    /// The error for an operation that failed with `err`: a privilege
    /// error when the system said "not permitted".
    pub fn from_io(what: &str, err: &std::io::Error) -> Error {
        if err.kind() == std::io::ErrorKind::PermissionDenied
            || err.raw_os_error() == Some(libc::EPERM)
        {
            Error::Privileges(privilege_text(what))
        } else {
            Error::Runtime(format!("{what}: {err}"))
        }
    }
}

/// What is missing, and the two ways to grant it.
pub fn privilege_text(what: &str) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "tracetcp".into());
    format!(
        "{what} needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities: run as root, \
         or grant them once with: sudo setcap cap_net_raw,cap_net_admin+eip {exe}"
    )
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(s) | Error::Privileges(s) | Error::Runtime(s) => f.write_str(s),
            Error::OutputClosed => f.write_str("output closed"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
