//! The capture thread: a libpcap live handle on the device that routes to
//! the target, in immediate mode with nanosecond timestamps and the
//! strategies' BPF filter, handing every packet to the tracer over a
//! crossbeam channel (the driver's side records them, with its verdicts).
//!
//! Owns the live packet source (CaptureSource) and the live interface
//! checks; must not depend on the engine, the reports or the command line.

pub mod early;
pub mod link;
mod release;

use crate::driver::{Input, Packet, PacketSource};
use crate::error::{Error, Result};
use crate::time::Timestamp;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use pcap::{Active, Capture, Precision};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A frame as captured, link-layer header included (for recordings).
#[derive(Debug, Clone)]
pub struct Frame {
    pub ts: Timestamp,
    pub data: Vec<u8>,
    /// Where the IP packet starts in `data`, if it holds one.
    pub ip_offset: Option<usize>,
}

/// What the capture thread hands over.
enum Captured {
    Frame(Frame),
    /// libpcap had nothing more at this time: every frame captured
    /// before it has been handed over.
    Caught(Timestamp),
}

/// The capture thread's frames as the driver's packet source.
pub struct CaptureSource {
    frames: Receiver<Captured>,
    current: Option<Frame>,
    /// Every frame captured before this time has been handed over (a
    /// capture thread kept off the CPU falls behind the wall clock).
    caught_up: Timestamp,
}

/// Packets reach the driver a little after their capture timestamp: a
/// probe's timeout is judged only this long after it passed, so that an
/// answer already captured in time is never taken for a loss.
const CAPTURE_GRACE: Duration = Duration::from_millis(25);
/// The driver looks at Ctrl-C at least this often.
const MAX_WAIT: Duration = Duration::from_millis(100);
/// Frames reach the ring in the order of their timestamps, give or take
/// this much (packets timestamped on different CPUs).
const ORDER_SKEW: Duration = Duration::from_millis(1);

impl CaptureSource {
    fn lend(&mut self, frame: Frame) -> Input<'_> {
        // Frames come in order: those captured before this one are in.
        self.caught_up = self.caught_up.max(frame.ts.before(ORDER_SKEW));
        let frame = self.current.insert(frame);
        Input::Packet(Packet {
            ts: frame.ts,
            frame: &frame.data,
            ip_offset: frame.ip_offset,
        })
    }

    /// The frames captured but not handed over (the run ended first),
    /// once the thread has stopped: they belong in the recording too.
    pub fn rest(self) -> impl Iterator<Item = Frame> {
        self.frames.into_iter().filter_map(|c| match c {
            Captured::Frame(f) => Some(f),
            Captured::Caught(_) => None,
        })
    }

    fn stopped() -> Error {
        Error::Capture("the capture stopped unexpectedly".into())
    }
}

impl PacketSource for CaptureSource {
    /// Waits for a frame, or until the wake-up `until` is settled (the
    /// capture has handed over everything before it, and the grace has
    /// passed), at most `MAX_WAIT`.
    fn next(&mut self, until: Option<Timestamp>) -> Result<Input<'_>> {
        let give_up = Timestamp::now().after(MAX_WAIT);
        loop {
            let now = Timestamp::now();
            if until.is_some_and(|t| self.settled(now) >= t) || now >= give_up {
                return Ok(Input::Idle);
            }
            // Past the wake-up, the capture is behind: wait for its word.
            let wait = until
                .map(|t| t.after(CAPTURE_GRACE).since(now))
                .filter(|d| !d.is_zero())
                .unwrap_or(MAX_WAIT)
                .min(give_up.since(now));
            match self.frames.recv_timeout(wait) {
                Ok(Captured::Frame(frame)) => return Ok(self.lend(frame)),
                Ok(Captured::Caught(t)) => self.caught_up = self.caught_up.max(t),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(Self::stopped()),
            }
        }
    }

    fn poll(&mut self) -> Result<Input<'_>> {
        loop {
            match self.frames.try_recv() {
                Ok(Captured::Frame(frame)) => return Ok(self.lend(frame)),
                Ok(Captured::Caught(t)) => self.caught_up = self.caught_up.max(t),
                Err(TryRecvError::Empty) => return Ok(Input::Idle),
                Err(TryRecvError::Disconnected) => return Err(Self::stopped()),
            }
        }
    }

    fn lag(&self) -> Duration {
        CAPTURE_GRACE
    }

    /// The grace after the wall clock, and no later than the capture has
    /// caught up: a probe is never judged lost while its answer may still
    /// be in the ring.
    fn settled(&self, now: Timestamp) -> Timestamp {
        now.before(CAPTURE_GRACE).min(self.caught_up)
    }
}

/// Enough for any header a trace reads, with ICMP quotes.
pub const SNAPLEN: i32 = 512;
/// How often an idle read returns to look at the stop flag. pcap_breakloop
/// does not wake pcap_next_ex's poll here (libpcap 1.10, immediate mode):
/// measured, a 50 ms timeout kept every trace alive 30 ms after its end.
const READ_TIMEOUT_MS: i32 = 5;
/// 512 KiB of ring (libpcap's default is 2 MiB) holds about 800 frames of
/// SNAPLEN, far more than a trace has in flight. (Opening and closing the
/// capture cost 15-40 ms each here whatever the size: the kernel waits for
/// an RCU grace period when a packet socket gets its ring and when it
/// closes.)
const BUFFER_BYTES: i32 = 512 * 1024;

/// The capture length a run needs: `SNAPLEN`, or with `--mtu` the
/// biggest probe, and an answer quoting it whole, with room for a link
/// header.
pub fn snaplen_for(mtu: Option<u16>) -> i32 {
    mtu.map_or(SNAPLEN, |m| (i32::from(m) + 128).max(SNAPLEN))
}

/// Opens a live capture on `device`, keeping `snaplen` bytes of each
/// packet and taking none until [`set_filter`] says which.
pub fn activate(device: &str, snaplen: i32) -> Result<Capture<Active>> {
    let what = format!("capturing on {device}");
    check_device(device, &what)?;
    let failed = |e: pcap::Error| Error::Capture(format!("{what}: {e}"));
    let mut cap = Capture::from_device(device)
        .map_err(failed)?
        .immediate_mode(true)
        .precision(Precision::Nano)
        .snaplen(snaplen)
        .buffer_size(BUFFER_BYTES.max(snaplen * 64))
        .timeout(READ_TIMEOUT_MS)
        .open()
        .map_err(failed)?;
    let linktype = cap.get_datalink().0;
    if !link::is_supported(linktype) {
        return Err(Error::UnsupportedLinkType {
            what: device.to_string(),
            linktype,
            name: link::name(linktype),
        });
    }
    // Nothing until the target is known (the ring would fill with the
    // device's other traffic while a name resolves).
    set_filter(&mut cap, "less 1")?;
    Ok(cap)
}

/// Takes the packets `filter` matches from now on. libpcap filters what
/// the ring already holds with it too.
pub fn set_filter(cap: &mut Capture<Active>, filter: &str) -> Result<()> {
    cap.filter(filter, true)
        .map_err(|e| Error::Capture(format!("BPF filter '{filter}': {e}")))
}

/// What libpcap would fail on, checked first so that the error is known
/// by its code, not by libpcap's words: the interface exists, and the
/// process holds CAP_NET_RAW (packet sockets need it). The capability is
/// read with capget(2): opening and closing a packet socket to find out
/// would cost a kernel RCU grace period (8-24 ms measured here).
pub fn check_device(device: &str, what: &str) -> Result<()> {
    let name =
        std::ffi::CString::new(device).map_err(|_| Error::NoSuchInterface(device.to_string()))?;
    // SAFETY: `name` is a valid NUL-terminated string.
    if unsafe { libc::if_nametoindex(name.as_ptr()) } == 0 && device != "any" {
        return Err(Error::NoSuchInterface(device.to_string()));
    }
    if !has_cap_net_raw() {
        return Err(Error::Privileges { what: what.into() });
    }
    Ok(())
}

/// Whether CAP_NET_RAW is in the effective set (true when it cannot be
/// told: libpcap then reports whatever goes wrong).
fn has_cap_net_raw() -> bool {
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_NET_RAW: u32 = 13;
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let mut header = Header {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget(2) with a version-3 header and room for two data
    // structs, as the kernel expects; both live through the call.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    r != 0 || data[0].effective & (1 << CAP_NET_RAW) != 0
}

/// The running capture thread.
pub struct CaptureThread {
    stop: Arc<AtomicBool>,
    breaker: pcap::BreakLoop,
    /// The capture's packet socket (see `release`).
    socket: RawFd,
    handle: Option<JoinHandle<Result<()>>>,
    pub linktype: i32,
}

impl CaptureThread {
    /// Starts reading `cap` on its own thread; frames arrive on the
    /// channel.
    pub fn start(cap: Capture<Active>) -> Result<(CaptureThread, CaptureSource)> {
        let (tx, rx) = crossbeam_channel::unbounded();
        // Non-blocking reads tell when libpcap has nothing more (in
        // immediate mode a blocking read never times out); the thread
        // waits on the socket itself between them.
        let mut cap = cap
            .setnonblock()
            .map_err(|e| Error::Capture(format!("non-blocking reads: {e}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        let breaker = cap.breakloop_handle();
        let socket = cap.as_raw_fd();
        let linktype = cap.get_datalink().0;
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || read_loop(&mut cap, linktype, &flag, &tx))
            .ok();
        Ok((
            CaptureThread {
                stop,
                breaker,
                socket,
                handle,
                linktype,
            },
            CaptureSource {
                frames: rx,
                current: None,
                caught_up: Timestamp::default(),
            },
        ))
    }

    /// Stops the thread and waits for it (up to a read timeout), so that
    /// every frame it captured is in the channel, and says how it ended.
    pub fn stop(mut self) -> Result<()> {
        self.signal_stop();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::Capture("the capture thread failed".into())),
            None => Err(Error::Capture("the capture thread did not start".into())),
        }
    }

    /// Stops the thread without waiting for it: the process is about to
    /// exit, and nothing more is wanted from the capture.
    pub fn leave(mut self) {
        self.signal_stop();
        self.handle.take();
    }

    /// Tells the thread to stop, first handing its socket's last close
    /// to a child process (see `release`) while the socket is surely
    /// still open: the thread's own close will not wait.
    fn signal_stop(&self) {
        if self.handle.as_ref().is_some_and(|h| !h.is_finished()) {
            release::close_later(self.socket);
        }
        self.stop.store(true, Ordering::SeqCst);
        self.breaker.breakloop();
    }
}

/// A packet header's timestamp; with nanosecond precision, tv_usec
/// holds nanoseconds.
pub fn timestamp(h: &pcap::PacketHeader) -> Timestamp {
    let (s, ns) = (h.ts.tv_sec.max(0) as u64, h.ts.tv_usec.max(0) as u64);
    Timestamp::from_nanos(s.saturating_mul(1_000_000_000).saturating_add(ns))
}

fn read_loop(
    cap: &mut Capture<Active>,
    linktype: i32,
    stop: &AtomicBool,
    tx: &Sender<Captured>,
) -> Result<()> {
    let fd = cap.as_raw_fd();
    while !stop.load(Ordering::SeqCst) {
        // Anything captured before this is in the ring now, or being put
        // there (give or take the timestamps' order).
        let asked = Timestamp::now().before(ORDER_SKEW);
        match cap.next_packet() {
            Ok(p) => {
                let frame = Frame {
                    ts: timestamp(p.header),
                    data: p.data.to_vec(),
                    ip_offset: link::ip_offset(linktype, p.data),
                };
                if tx.send(Captured::Frame(frame)).is_err() {
                    break;
                }
            }
            // Nothing more in the ring: everything captured before it was
            // asked is handed over. Then wait for the next frame.
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                if tx.send(Captured::Caught(asked)).is_err() {
                    break;
                }
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd, for the duration of the call.
                unsafe { libc::poll(&mut pfd, 1, READ_TIMEOUT_MS) };
            }
            Err(e) if stop.load(Ordering::SeqCst) => {
                log::debug!("capture ended: {e}");
                break;
            }
            Err(e) => return Err(Error::Capture(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_interface_is_known_before_libpcap_is_asked() {
        assert!(matches!(
            check_device("no-such-if0", "capturing"),
            Err(Error::NoSuchInterface(_))
        ));
        assert!(matches!(
            check_device("bad\0name", "capturing"),
            Err(Error::NoSuchInterface(_))
        ));
    }
}
