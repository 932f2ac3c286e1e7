//! A live run: resolve the target, pick source and interface, start the
//! capture thread, then drive the engine with the wall clock, sending its
//! probes and feeding it every captured packet.

use crate::capture::{self, CaptureThread};
use crate::dns::Resolver;
use crate::engine::Settings;
use crate::engine::{Engine, Verdict};
use crate::error::{Error, Result};
use crate::output::LivePrinter;
use crate::record::{self, Closing, SessionInfo};
use crate::report::Format;
use crate::report::RunInfo;
use crate::route;
use crate::send::{InjectSender, RawSender, SendMethod, Sender};
use crate::target::resolve_host;
use crate::target::Family;
use crate::time::Timestamp;
use crate::trace::TraceSpec;
use crossbeam_channel::RecvTimeoutError;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracetcp_strategies::{Instance, Session};

/// Packets reach the engine a little after their capture timestamp: a
/// probe's timeout is judged only this long after it passed, so that an
/// answer already captured in time is never taken for a loss.
const CAPTURE_GRACE: Duration = Duration::from_millis(25);
/// The loop looks at Ctrl-C at least this often.
const MAX_SLEEP: Duration = Duration::from_millis(100);

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
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    Interrupted,
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
    let run = RunInfo {
        host: config.host.clone(),
        address: dst,
        source: src,
        settings: config.settings.clone(),
    };
    Ok((session, run))
}

pub fn run(config: &Config, interrupted: &AtomicBool, out: impl Write) -> Result<Ending> {
    log::debug!("start");
    let (session, run) = session_for(config)?;
    let device = route::device_for(session.src(), config.interface.as_deref())?;
    log::debug!("target, source and device found");
    let mut engine = Engine::live(config.settings.clone(), session, config.specs.clone());
    let cap = capture::open(&device, &engine.filter())?;
    log::debug!("capture open");
    let mut sender: Box<dyn Sender> = match config.send {
        SendMethod::Raw => Box::new(RawSender::open(session.is_v6())?),
        SendMethod::Inject { gateway } => Box::new(InjectSender::open(
            &device,
            session.src(),
            session.dst(),
            gateway,
        )?),
    };
    log::info!(
        "tracing {} from {} on {device}; filter: {}",
        session.dst(),
        session.src(),
        engine.filter()
    );
    let recorder = match &config.write {
        Some(path) => {
            let info = SessionInfo {
                host: config.host.clone(),
                session,
                specs: engine.specs(),
                settings: engine.settings().clone(),
                format: config.format,
            };
            let linktype = cap.get_datalink().0;
            Some(record::create(
                path,
                linktype,
                capture::SNAPLEN as u32,
                &info,
            )?)
        }
        None => None,
    };
    let (capture, frames) = CaptureThread::start(cap, recorder);
    let resolver = Resolver::new(!config.numeric);
    let mut printer = LivePrinter::new(
        out,
        config.format,
        config.diagnosis,
        run,
        config.specs.len(),
    );

    let mut ending = Ending::Finished;
    let mut failure = None;
    let mut expired_until = Timestamp::default();
    loop {
        if interrupted.load(Ordering::SeqCst) {
            engine.interrupt();
            ending = Ending::Interrupted;
            break;
        }
        let now = Timestamp::now();
        while let Some(tx) = engine.poll_transmit(now) {
            log::debug!(
                "{now} send ttl {} probe {} of trace {}",
                tx.ttl,
                tx.index,
                tx.trace
            );
            if let Err(e) = sender.send(&tx.packet, tx.destination) {
                match e {
                    Error::Privileges(_) => return Err(e),
                    other => log::warn!("probe ttl {} not sent: {other}", tx.ttl),
                }
            }
        }
        let wait = engine
            .next_wakeup()
            .map_or(MAX_SLEEP, |t| t.after(CAPTURE_GRACE).since(now))
            .min(MAX_SLEEP);
        let mut handle = |frame: capture::Frame| {
            let verdict = engine.handle_packet(frame.ts, frame.ip());
            log::debug!("{} {verdict:?}", frame.ts);
            if let Verdict::Answer { reply, .. } = verdict {
                resolver.request(reply.from);
            }
        };
        match frames.recv_timeout(wait) {
            Ok(frame) => handle(frame),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                failure = Some(Error::Runtime("the capture stopped unexpectedly".into()));
                break;
            }
        }
        while let Ok(frame) = frames.try_recv() {
            handle(frame);
        }
        expired_until = Timestamp::now().before(CAPTURE_GRACE);
        engine.handle_timeout(expired_until);
        while let Some(event) = engine.poll_event() {
            printer.on_event(event);
        }
        printer.flush(&engine, &resolver).map_err(Error::output)?;
        if engine.is_finished() {
            break;
        }
    }
    log::debug!("trace finished");
    if let Some(e) = failure {
        return Err(capture.stop().err().unwrap_or(e));
    }
    // The report first: closing the capture's packet socket waits for a
    // kernel RCU grace period (tens of milliseconds).
    let printed = printer.finish(&engine, &resolver).map_err(Error::output);
    let recorder = capture.stop()?;
    log::debug!("capture stopped");
    printed?;
    if let Some(r) = recorder {
        let mut names: Vec<_> = resolver.names().into_iter().collect();
        names.sort();
        let closing = Closing {
            interrupted: ending == Ending::Interrupted,
            expired_until_ns: expired_until.as_nanos(),
        };
        r.finish(&names, &closing.to_json())
            .map_err(|e| Error::Runtime(format!("writing the recording: {e}")))?;
    }
    Ok(ending)
}
