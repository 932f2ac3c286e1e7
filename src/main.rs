//! tracetcp: the command-line program. Every error ends here as one
//! "tracetcp: ..." line and a documented exit code.

use clap::error::ErrorKind;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tracetcp::cli::{Cli, Mode};
use tracetcp::driver::Ending;
use tracetcp::error::Error;
use tracetcp::live;

/// Exit codes, as documented in README.md.
mod exit {
    /// Every trace ran to its end.
    pub const OK: u8 = 0;
    /// The network, the capture or a file being written failed.
    pub const RUNTIME: u8 = 1;
    /// A bad option, host, port, service, interface or file.
    pub const USAGE: u8 = 2;
    /// Missing privileges (raw sockets and capture need them).
    pub const PRIVILEGES: u8 = 3;
    /// Stopped by Ctrl-C, after printing what was found.
    /// The trace ran and reported, but its recording is incomplete.
    pub const RECORDING_INCOMPLETE: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

/// The one place where failures become exit codes.
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Usage(_)
        | Error::NoSuchInterface(_)
        | Error::CannotRead { .. }
        | Error::NotAFile { .. }
        | Error::NotACapture { .. }
        | Error::NoSession { .. }
        | Error::Damaged { .. }
        | Error::OldRecording { .. }
        | Error::Refused { .. }
        | Error::UnsupportedLinkType { .. } => exit::USAGE,
        Error::Privileges { .. } | Error::Unprivileged { .. } => exit::PRIVILEGES,
        Error::DiskFull { .. }
        | Error::CannotWrite { .. }
        | Error::Network(_)
        | Error::TargetsFailed { .. }
        | Error::Capture(_)
        | Error::Output(_) => exit::RUNTIME,
        Error::RecordingIncomplete { .. } => exit::RECORDING_INCOMPLETE,
        Error::OutputClosed => exit::OK,
    }
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp_micros()
        .init();
    log::debug!("main");
    let args = match tracetcp::cli::habits::normalize(std::env::args_os()) {
        Ok(args) => args,
        Err(e) => {
            say(&format!("{e} {HINT}"));
            return ExitCode::from(exit::USAGE);
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // Help into a closed pipe (`tracetcp -? | true`) is no error.
            let _ = write!(std::io::stdout(), "{e}");
            return ExitCode::from(exit::OK);
        }
        Err(e) => {
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines.next().unwrap_or("bad command line").to_string();
            // "cannot be used with:" and "the following required arguments
            // were not provided:" list them on the next lines: name them all.
            if first.ends_with(':') {
                let listed: Vec<&str> = lines
                    .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("tip:"))
                    .collect();
                first = format!("{first} {}", listed.join(", "));
            }
            say(&format!("{} {HINT}", first.trim_start_matches("error: ")));
            return ExitCode::from(exit::USAGE);
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if matches!(e.downcast_ref::<Error>(), Some(Error::OutputClosed)) => {
            ExitCode::from(exit::OK)
        }
        Err(e) => {
            // Every usage error ends with the same hint, wherever it came from.
            match e.downcast_ref::<Error>() {
                Some(Error::Usage(_)) => say(&format!("{e:#} {HINT}")),
                _ => say(&format!("{e:#}")),
            }
            let code = e.downcast_ref::<Error>().map_or(exit::RUNTIME, exit_code);
            ExitCode::from(code)
        }
    }
}

/// How every usage error ends.
const HINT: &str = "(see tracetcp -?)";

/// The one error line on stderr. A stderr that cannot be written
/// (`2>/dev/full`, closed) loses the line, never the exit code.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "tracetcp: {line}");
}

/// The flag Ctrl-C, SIGTERM (timeout, systemd) and SIGHUP (a closed
/// terminal) set: all stop the run the same way, what was found printed,
/// the recording closed properly. Before the trace starts (a slow name
/// lookup, ...) there is nothing to print: it stops at once.
fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    ctrlc::set_handler(move || {
        flag.store(true, Ordering::SeqCst);
        if !live::TRACING.load(Ordering::SeqCst) {
            say("interrupted before the trace began");
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    })?;
    Ok(interrupted)
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    if let Some(what) = &cli.generate {
        tracetcp::cli::generate::generate(what, &mut std::io::stdout().lock())
            .map_err(tracetcp::error::Error::output)?;
        return Ok(exit::OK);
    }
    let ending = match cli.mode()? {
        Mode::Replay(config) => {
            tracetcp::replay::run(&config, std::io::stdout().lock())?;
            Ending::Finished
        }
        Mode::Live(config) => live::run(&config, &*stop_on_signals()?, std::io::stdout().lock())?,
        Mode::Many(config) => {
            live::many::run(config, &*stop_on_signals()?, std::io::stdout().lock())?
        }
    };
    Ok(match ending {
        Ending::Finished => exit::OK,
        Ending::Interrupted => exit::INTERRUPTED,
    })
}
