//! Traces without privileges: probes leave through ordinary sockets (UDP
//! datagram sockets, ping sockets, non-blocking TCP connects) with their
//! TTL set, and answers come back as the kernel reports them (the error
//! queue of `IP_RECVERR`, echo replies, connects' outcomes). The transport
//! meets the driver at the same seam as raw sockets and libpcap: a
//! `Sender` for the engine's probes and a `PacketSource` that hands over
//! each probe as it left and each answer rebuilt as a packet
//! (`rebuild.rs`), so the engine matches them as it matches captured ones.
//!
//! The sender and the source share the open sockets. Owns: which socket a
//! probe leaves by, how long it stays open, reading it. Must not depend on
//! the engine or the reports.

mod queue;
mod read;
pub(crate) mod rebuild;
mod sys;

pub use sys::{kernel_version, raw_sockets_allowed};

use crate::driver::{Input, Packet, PacketSource};
use crate::error::{Error, Result};
use crate::send::Sender;
use crate::time::Timestamp;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;
use sys::Kind;
use tracetcp_strategies::wire::{proto, IpView, Quoting};

/// A TCP probe's socket is closed this long after its SYN if nothing
/// came: before the kernel sends the SYN again (its first retransmission
/// is a second after).
const TCP_KEEP: Duration = Duration::from_millis(900);
/// How often a send is tried again when an answer's error got in first.
const SEND_TRIES: usize = 16;
/// How long a source waits in one poll, so that expired sockets close.
const MAX_POLL: Duration = Duration::from_millis(50);
/// How long after an answer arrived it may still be unread.
const GRACE: Duration = Duration::from_millis(10);

/// Opens the transport: the sender of probes and the source of what came
/// back, sharing the sockets. Sockets for UDP and ICMP stay open `keep`
/// after their last probe (the engine's timeout).
/// With `device`, every socket is bound to that interface (`-i`).
pub fn open(keep: Duration, device: Option<String>) -> (SocketSender, SocketSource) {
    sys::raise_open_files();
    let shared = Rc::new(RefCell::new(Sockets {
        conns: Vec::new(),
        ready: VecDeque::new(),
        keep,
        device,
        drained_at: Timestamp::default(),
    }));
    (
        SocketSender(shared.clone()),
        SocketSource {
            shared,
            lent: Vec::new(),
        },
    )
}

/// One probe sent on a socket.
struct Sent {
    packet: Vec<u8>,
    at: Timestamp,
    answered: bool,
}

/// An open socket and the probes that left by it.
struct Conn {
    fd: OwnedFd,
    kind: Kind,
    v6: bool,
    /// The local port (UDP, TCP) or echo identifier (ping) and the peer's
    /// port it is for.
    ports: (u16, u16),
    probes: Vec<Sent>,
    close_at: Timestamp,
    /// A TCP connect still under way.
    connecting: bool,
}

struct Sockets {
    conns: Vec<Conn>,
    /// What happened, for the driver, oldest first.
    ready: VecDeque<(Timestamp, Vec<u8>)>,
    keep: Duration,
    /// The interface every socket is bound to (`-i`), if any.
    device: Option<String>,
    /// Everything that arrived before this was read.
    drained_at: Timestamp,
}

/// Sends the engine's probes through ordinary sockets.
pub struct SocketSender(Rc<RefCell<Sockets>>);

/// What came back on the sockets, as packets.
pub struct SocketSource {
    shared: Rc<RefCell<Sockets>>,
    lent: Vec<u8>,
}

/// What a probe is, for the socket it leaves by.
struct Leaving<'a> {
    kind: Kind,
    src: SocketAddr,
    dst: SocketAddr,
    ttl: u8,
    dont_fragment: bool,
    /// What the socket is given to send (a TCP probe: nothing).
    data: &'a [u8],
}

fn leaving(packet: &[u8]) -> Result<Leaving<'_>> {
    let bad = || Error::Network("a probe the sockets transport cannot send".into());
    let ip = IpView::parse(packet, Quoting::Whole).map_err(|_| bad())?;
    let t = ip.payload;
    let port = |at: usize| t.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let (kind, sport, dport, data) = match ip.protocol {
        proto::UDP => (Kind::Udp, port(0), port(2), t.get(8..)),
        proto::TCP => (Kind::Tcp, port(0), port(2), Some(&t[..0])),
        proto::ICMP | proto::ICMPV6 => (Kind::Ping, port(4), Some(0), Some(t)),
        _ => return Err(bad()),
    };
    let (Some(sport), Some(dport), Some(data)) = (sport, dport, data) else {
        return Err(bad());
    };
    Ok(Leaving {
        kind,
        src: SocketAddr::new(ip.src, sport),
        dst: SocketAddr::new(ip.dst, dport),
        ttl: ip.ttl,
        dont_fragment: ip.dont_fragment,
        data,
    })
}

/// Whether this user may open ping sockets; if not, the group id that
/// `net.ipv4.ping_group_range` leaves out.
pub fn ping_sockets_allowed(v6: bool) -> std::result::Result<(), u32> {
    let any: IpAddr = if v6 {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv4Addr::UNSPECIFIED.into()
    };
    match sys::open(Kind::Ping, SocketAddr::new(any, 0), None) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => {
            Err(unsafe { libc::getgid() })
        }
        _ => Ok(()),
    }
}

fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::from_io(what, &e)
}

impl Sockets {
    /// The socket `p` leaves by: a UDP flow's, a ping identifier's, or a
    /// new connection.
    fn conn_for(&mut self, p: &Leaving<'_>) -> Result<&mut Conn> {
        let ports = (p.src.port(), p.dst.port());
        let found = self
            .conns
            .iter()
            .position(|c| c.kind == p.kind && c.kind != Kind::Tcp && c.ports == ports);
        let at = match found {
            Some(at) => at,
            None => {
                let fd = sys::open(p.kind, p.src, self.device.as_deref()).map_err(|e| {
                    match e.raw_os_error() {
                        Some(libc::EACCES) if p.src.port() < 1024 => Error::Unprivileged {
                            missing: format!("source port {} is below 1024", p.src.port()),
                            instead: "choose a --flow of 1024 or more".into(),
                        },
                        _ => io_error(&format!("binding {}", p.src), e),
                    }
                })?;
                if p.kind == Kind::Udp {
                    sys::connect(&fd, p.dst)
                        .map_err(|e| io_error("connecting the UDP socket", e))?;
                }
                self.conns.push(Conn {
                    fd,
                    kind: p.kind,
                    v6: p.src.is_ipv6(),
                    ports,
                    probes: Vec::new(),
                    close_at: Timestamp::default(),
                    connecting: false,
                });
                self.conns.len() - 1
            }
        };
        Ok(&mut self.conns[at])
    }

    /// Reads everything waiting on the sockets, waiting at most `wait`
    /// for the first of it; closes the sockets whose time is up.
    fn drain(&mut self, wait: Duration) -> Result<()> {
        let mut fds: Vec<libc::pollfd> = self
            .conns
            .iter()
            .map(|c| libc::pollfd {
                fd: c.fd.as_raw_fd(),
                events: if c.connecting {
                    libc::POLLIN | libc::POLLOUT
                } else {
                    libc::POLLIN
                },
                revents: 0,
            })
            .collect();
        let before = Timestamp::now();
        if !fds.is_empty() || !wait.is_zero() {
            let ms = wait.as_millis().min(i32::MAX as u128) as i32;
            sys::poll(&mut fds, ms).map_err(|e| io_error("waiting on the sockets", e))?;
        }
        let mut found = Vec::new();
        for (conn, fd) in self.conns.iter_mut().zip(&fds) {
            if fd.revents != 0 {
                read::collect(conn, fd.revents, &mut found)
                    .map_err(|e| io_error("reading a socket", e))?;
            }
        }
        // In the order things happened: an answer that came before a
        // probe still waiting here went out goes first.
        self.ready.extend(found);
        self.ready.make_contiguous().sort_by_key(|(ts, _)| *ts);
        self.drained_at = self.drained_at.max(before);
        let now = Timestamp::now();
        let keep = self.keep;
        self.conns.retain_mut(|c| {
            c.probes.retain(|p| now.since(p.at) < keep);
            now < c.close_at
        });
        Ok(())
    }
}

impl Sender for SocketSender {
    fn send(&mut self, packet: &[u8], _dst: IpAddr) -> Result<()> {
        let p = leaving(packet)?;
        let mut sockets = self.0.borrow_mut();
        let keep = sockets.keep;
        let conn = sockets.conn_for(&p)?;
        sys::set_ttl(&conn.fd, conn.v6, p.ttl).map_err(|e| io_error("setting the TTL", e))?;
        if p.kind != Kind::Tcp {
            sys::set_dont_fragment(&conn.fd, conn.v6, p.dont_fragment)
                .map_err(|e| io_error("setting don't-fragment", e))?;
        }
        let at = Timestamp::now();
        match p.kind {
            Kind::Tcp => {
                sys::connect(&conn.fd, p.dst)
                    .map_err(|e| io_error(&format!("connecting to {}", p.dst), e))?;
                conn.connecting = true;
                conn.close_at = at.after(TCP_KEEP);
            }
            Kind::Udp | Kind::Ping => {
                let to = (p.kind == Kind::Ping).then_some(p.dst);
                // A send first reports the error an earlier probe's answer
                // left on the socket (IP_RECVERR), and does not go: clear
                // it, and send again while answers keep arriving.
                let mut tries = 0;
                loop {
                    let _ = sys::take_error(&conn.fd);
                    match sys::send(&conn.fd, p.data, to) {
                        Ok(()) => break,
                        Err(e) if tries < SEND_TRIES && read::left_by_an_answer(&e) => tries += 1,
                        Err(e) => return Err(io_error(&format!("sending to {}", p.dst), e)),
                    }
                }
                conn.close_at = at.after(keep);
            }
        }
        conn.probes.push(Sent {
            packet: packet.to_vec(),
            at,
            answered: false,
        });
        sockets.ready.push_back((at, packet.to_vec()));
        Ok(())
    }
}

impl SocketSource {
    fn lend(&mut self) -> Option<Input<'_>> {
        let (ts, packet) = self.shared.borrow_mut().ready.pop_front()?;
        self.lent = packet;
        Some(Input::Packet(Packet {
            ts,
            frame: &self.lent,
            ip_offset: Some(0),
        }))
    }

    fn has_ready(&self) -> bool {
        !self.shared.borrow().ready.is_empty()
    }
}

impl PacketSource for SocketSource {
    fn next(&mut self, until: Option<Timestamp>) -> Result<Input<'_>> {
        loop {
            let now = Timestamp::now();
            let wait = until.map_or(MAX_POLL, |t| t.since(now).min(MAX_POLL));
            self.shared.borrow_mut().drain(Duration::ZERO)?;
            if self.has_ready() {
                break;
            }
            if until.is_some_and(|t| self.settled(now) >= t) {
                return Ok(Input::Idle);
            }
            self.shared
                .borrow_mut()
                .drain(wait.max(Duration::from_millis(1)))?;
            if self.has_ready() || until.is_none() {
                break;
            }
        }
        Ok(self.lend().unwrap_or(Input::Idle))
    }

    fn poll(&mut self) -> Result<Input<'_>> {
        if !self.has_ready() {
            self.shared.borrow_mut().drain(Duration::ZERO)?;
        }
        Ok(self.lend().unwrap_or(Input::Idle))
    }

    fn lag(&self) -> Duration {
        GRACE
    }

    fn settled(&self, now: Timestamp) -> Timestamp {
        now.before(GRACE).min(self.shared.borrow().drained_at)
    }
}
