//! A live run: resolve the target, pick source and interface, open the
//! network side (`network.rs`: the capture and a sender, or ordinary
//! sockets without privileges), then hand the engine to the session
//! driver with that source, the wall clock and that sender. Owns the live
//! run's settings (Config); must not depend on the command line.

pub mod many;
mod network;
mod recorded;

use crate::capture;
use crate::capture::early::Opening;
use crate::dns::Resolver;
use crate::driver::{self, Ending, Io, Observer, Prober, WallClock};
use crate::engine::{Engine, Settings, Transport};
use crate::error::{Error, Result};
use crate::output::progress::ProgressLine;
use crate::output::rounds::RoundsPrinter;
use crate::output::view::TerminalView;
use crate::output::{LivePrinter, Printer};
use crate::owners::{self, Owners};
use crate::record::{self, Recording, SessionInfo};
use crate::report::{Format, RunInfo};
use crate::route;
use crate::send::SendMethod;
use crate::target::resolve_host;
use crate::target::Family;
use crate::time::Timestamp;
use crate::trace::TraceSpec;
use crate::watch::{Rounds, Schedule};
use network::{Network, Opened};
use recorded::Recorded;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tracetcp_strategies::{Flow, Instance, Session};

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub family: Option<Family>,
    pub specs: Vec<TraceSpec>,
    pub settings: Settings,
    pub format: Format,
    pub numeric: bool,
    pub send: SendMethod,
    pub interface: Option<String>,
    pub source: Option<IpAddr>,
    pub write: Option<PathBuf>,
    pub diagnosis: bool,
    /// List every silent hop of a trace's tail (`--all-hops`).
    pub every_hop: bool,
    /// The flow every trace keeps (`--flow`); picked at random if `None`.
    pub flow: Option<Flow>,
    /// Rounds (`--cycles`, `--watch`) instead of one trace.
    pub rounds: Option<Schedule>,
    /// Where to look up the hops' autonomous systems (`--as`), if at all.
    pub owners: Option<owners::Source>,
    /// The DNS server for AS look-ups (`--dns-server`), else the system's.
    pub dns_server: Option<std::net::SocketAddr>,
}

/// The session a config asks for: target, source, instance.
pub fn session_for(config: &Config) -> Result<(Session, RunInfo)> {
    let dst = resolve_host(&config.host, config.family)?;
    let src = match config.source {
        Some(s) => s,
        None => route::source_for(dst)?,
    };
    let seed = u64::from(std::process::id()) << 32 ^ Timestamp::now().as_nanos();
    let session = Session::new(src, dst, Instance::from_seed(seed)).ok_or_else(|| {
        Error::Usage(format!(
            "source {src} and target {dst} are of different families"
        ))
    })?;
    let session = match config.flow {
        Some(flow) => session.with_flow(flow),
        None => session,
    };
    let run = RunInfo::of(
        config.host.clone(),
        &session,
        config.settings.clone(),
        config.every_hop,
    );
    Ok((session, run))
}

/// The names (and, with `--as`, owners) of what answers, looked up as
/// `config` asks.
pub(crate) fn resolver_for(config: &Config) -> Result<Resolver> {
    let resolver = Resolver::new(!config.numeric, config.dns_server);
    Ok(match &config.owners {
        Some(source) => {
            let server = crate::dns::conf::pick(config.dns_server);
            resolver.with_owners(Owners::start(source.clone(), server).map_err(Error::Usage)?)
        }
        None => resolver,
    })
}

/// Runs `prober` through the session driver on the network side
/// `opened`, with `TRACING` set meanwhile.
fn traced<P: Prober, O: Observer<P>>(
    opened: &mut Opened,
    prober: &mut P,
    observer: &mut O,
    interrupted: &AtomicBool,
) -> Result<driver::Finish> {
    let (source, sender) = opened.io();
    let io = Io {
        source,
        clock: &WallClock,
        sender,
    };
    TRACING.store(true, std::sync::atomic::Ordering::SeqCst);
    let finished = driver::run(prober, io, observer, interrupted);
    TRACING.store(false, std::sync::atomic::Ordering::SeqCst);
    finished
}

/// Set while the session driver runs: before it, nothing has been found
/// that an interruption should print, and a blocking stage (a name
/// lookup, a gateway's MAC address) may simply be abandoned.
pub static TRACING: AtomicBool = AtomicBool::new(false);

pub fn run(config: &Config, interrupted: &AtomicBool, out: impl Write) -> Result<Ending> {
    log::debug!("start");
    let sockets = network::through_sockets(config);
    let early = (!sockets)
        .then(|| likely_device(config))
        .flatten()
        .map(|d| Opening::start(&d, capture::SNAPLEN));
    let (session, mut run) = session_for(config)?;
    let (settings, network) = network_for(config, &session, sockets, early)?;
    run.settings = settings.clone();
    let info = SessionInfo {
        host: config.host.clone(),
        session,
        specs: config.specs.clone(),
        settings: settings.clone(),
        format: config.format,
        rounds: config.rounds,
    };
    let live = Live {
        config,
        info,
        network,
    };
    let resolver = resolver_for(config)?;
    match config.rounds {
        None => {
            let mut engine = Engine::live(settings, session, config.specs.clone());
            let filter = engine.filter();
            let traces = config.specs.len();
            let printer =
                LivePrinter::new(out, config.format, config.diagnosis, run, resolver, traces);
            drive(live, &filter, &mut engine, printer, interrupted)
        }
        Some(schedule) => {
            let mut rounds = Rounds::live(settings, session, config.specs.clone(), schedule);
            if let Some(note) = schedule.beyond_rate_limits(config.specs.len(), &config.settings) {
                eprintln!("tracetcp: note: {note}");
            }
            let filter = rounds.filter();
            let text = matches!(config.format, Format::Classic | Format::Compare);
            if text && std::io::stdout().is_terminal() {
                rounds.tick_every(Duration::from_millis(100));
                let names = !config.numeric;
                // Names are looked up for the view (n shows or hides them).
                let view_resolver = match config.numeric {
                    true => Resolver::new(true, config.dns_server).with_owners_of(&resolver),
                    false => resolver.clone(),
                };
                let view = TerminalView::open(
                    out,
                    config.format,
                    config.diagnosis,
                    run,
                    names,
                    view_resolver,
                )?;
                return drive(live, &filter, &mut rounds, view, interrupted);
            }
            // A line per round only before a text report: JSON and CSV
            // stay one document.
            let lines = schedule.cycles.is_none() && text;
            let printer =
                RoundsPrinter::new(out, config.format, config.diagnosis, run, resolver, lines);
            drive(live, &filter, &mut rounds, printer, interrupted)
        }
    }
}

/// A live run's session, set up: what drives it needs besides the prober.
struct Live<'a> {
    config: &'a Config,
    info: SessionInfo,
    network: Network,
}

/// The network side of a run from `session`'s source (`sockets`: without
/// privileges), not yet open, and the settings it makes: the path MTU
/// from the device (--mtu), what ordinary sockets allow. `early`: a
/// capture already opening on the device the run will most likely use.
fn network_for(
    config: &Config,
    session: &Session,
    sockets: bool,
    early: Option<Opening>,
) -> Result<(Settings, Network)> {
    let mut settings = config.settings.clone();
    let device = route::device_for(session.src(), session.dst(), config.interface.as_deref())?;
    log::debug!("target, source and device found");
    if settings.mtu.is_some() {
        settings.mtu = Some(route::mtu_of(&device, session.is_v6())?);
    }
    let network = if sockets {
        network::unprivileged(config, &mut settings, session.is_v6())?;
        Network::Sockets
    } else {
        let snaplen = capture::snaplen_for(settings.mtu);
        let opening = match early {
            Some(early) => early.on(&device, snaplen),
            None => Opening::start(&device, snaplen),
        };
        Network::Capture { device, opening }
    };
    Ok((settings, network))
}

/// The device a run will most likely capture on, known before its target
/// is: the one named with -i, or for a host name (not with --mtu, whose
/// capture length depends on the device) the default route's.
fn likely_device(config: &Config) -> Option<String> {
    if config.settings.mtu.is_some() {
        return None;
    }
    if config.interface.is_some() {
        return config.interface.clone();
    }
    if config.host.parse::<IpAddr>().is_ok() {
        return None;
    }
    route::default_device(config.family == Some(Family::V6))
}

/// Opens the capture and the sender, runs `prober` through the session
/// driver with `printer` watching, and closes it all in the right order.
fn drive<P: Prober, V: Printer<P>>(
    live: Live<'_>,
    filter: &str,
    prober: &mut P,
    mut printer: V,
    interrupted: &AtomicBool,
) -> Result<Ending> {
    let Live {
        config,
        info,
        network,
    } = live;
    let info = &info;
    let mut opened = Opened::open(network, config, info.session, filter, &info.settings)?;
    let recording = match &config.write {
        Some(path) => {
            let (linktype, snaplen) = opened.framing();
            Some(Recording::Whole(record::create(
                path,
                linktype,
                snaplen,
                &info.to_json(),
            )?))
        }
        None => None,
    };
    let stderr = std::io::stderr();
    let draw = stderr.is_terminal() && !V::OWNS_TERMINAL;
    let mut progress = ProgressLine::new(&mut printer, stderr, draw);
    let rebuilt = info.settings.transport == Transport::Sockets;
    let mut recorded = Recorded::new(&mut progress, recording, &info.specs, rebuilt);
    let finished = traced(&mut opened, prober, &mut recorded, interrupted);
    let recording = recorded.recording;
    progress.clear();
    let finish = match finished {
        Ok(finish) => finish,
        Err(e) => return Err(opened.failed(e)),
    };
    log::debug!("trace finished");
    // The report first, then the capture stops: waiting for its thread
    // (up to a read timeout) only when a recording wants its last frames.
    let printed = printer.finish(prober).map_err(Error::output);
    let rest = opened.close(recording.is_some())?;
    log::debug!("capture stopped");
    printed?;
    if let Some(r) = recording {
        recorded::close(r, rest, &printer.names(), &finish, config)?;
    }
    Ok(finish.ending)
}
