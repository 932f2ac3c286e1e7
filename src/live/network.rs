//! Where a live run meets the network, chosen once: libpcap's capture
//! with raw sockets (or injection) behind it, or, without privileges,
//! ordinary sockets (`sockets/`). The driver sees only a source and a
//! sender either way. Owns the choice, what it changes in the settings,
//! the one note that says so, and opening and closing either side.

use super::Config;
use crate::capture::early::Opening;
use crate::capture::{CaptureSource, CaptureThread, Frame};
use crate::driver::PacketSource;
use crate::engine::{Paths, Settings, Transport};
use crate::error::{Error, Result};
use crate::send::{InjectSender, RawSender, SendMethod, Sender};
use crate::sockets::{self, SocketSender, SocketSource};
use tracetcp_strategies::{Protocol, Session};

/// The probes traceroute -T keeps in flight (its -N default).
const TRACEROUTE_T_AT_ONCE: u32 = 16;

/// Raw IP, as recorded by a run through ordinary sockets: its probes and
/// rebuilt answers have no link-layer header.
const LINKTYPE_RAW: i32 = 101;

/// How a run will meet the network, before it is opened.
pub enum Network {
    /// The capture, being opened on `device` since it was known.
    Capture {
        device: String,
        opening: Opening,
    },
    Sockets,
}

/// Whether `config` traces through ordinary sockets: asked for, or the
/// only way without CAP_NET_RAW when nothing else was asked for.
pub fn through_sockets(config: &Config) -> bool {
    match config.send {
        SendMethod::Sockets => true,
        SendMethod::Raw => !sockets::raw_sockets_allowed(),
        SendMethod::Inject { .. } => false,
    }
}

/// Readies `settings` for a run through ordinary sockets: checks the
/// system allows what `config` asks, and says once what differs.
pub fn unprivileged(config: &Config, settings: &mut Settings, v6: bool) -> Result<()> {
    let has = |p: Protocol| config.specs.iter().any(|s| s.protocol == p);
    if settings.mtu.is_some() && has(Protocol::Tcp) {
        return Err(Error::Unprivileged {
            missing:
                "--mtu with TCP probes needs CAP_NET_RAW (without it the kernel builds the SYN, \
                      at its own size)"
                    .into(),
            instead: format!("trace with -P udp or -P icmp, or {}", privileges_hint()),
        });
    }
    if has(Protocol::Tcp) {
        tcp_error_queue(sockets::kernel_version())?;
    }
    if has(Protocol::Icmp) {
        sockets::ping_sockets_allowed(v6).map_err(|gid| Error::Unprivileged {
            missing: format!(
                "ICMP probes without privileges need ping sockets, which net.ipv4.ping_group_range \
                 does not allow for your group ({gid})"
            ),
            instead: "allow them with: sudo sysctl -w net.ipv4.ping_group_range='0 2147483647', \
                      or trace with -P udp"
                .into(),
        })?;
    }
    settings.transport = Transport::Sockets;
    if has(Protocol::Tcp) {
        // A probe that reaches the target is a connection its application
        // sees: no more in flight past the farthest answer than
        // traceroute -T sends SYNs at once.
        settings.ahead = TRACEROUTE_T_AT_ONCE;
    }
    // A TCP connection holds its 4-tuple: probes of one flow could only
    // take turns, a second each.
    let own_flows = has(Protocol::Tcp) && settings.paths == Paths::OneFlow;
    if own_flows {
        settings.paths = Paths::PerProbe;
    }
    let why = match config.send {
        SendMethod::Sockets => "--unprivileged",
        _ => "no CAP_NET_RAW",
    };
    eprintln!(
        "tracetcp: note: {why}: tracing through ordinary sockets. What differs: no capture (-w keeps \
         only the probes and the answers the kernel reported, rebuilt); the routers' quotes are not \
         seen (no rewrite or NAT findings), nor ICMP extensions (MPLS); the TTL of a TCP answer is \
         not known{}.",
        if own_flows { "; each TCP probe takes a flow of its own" } else { "" },
    );
    Ok(())
}

/// Whether a kernel of `version` queues routers' answers on a connecting
/// TCP socket (Linux 5.8, "tcp: allow traceroute -Mtcp for unpriv users").
fn tcp_error_queue(version: Option<(u32, u32)>) -> Result<()> {
    match version {
        Some((major, minor)) if (major, minor) < (5, 8) => Err(Error::Unprivileged {
            missing: format!(
                "TCP probes without privileges need Linux 5.8 or later (this is {major}.{minor}): \
                 before it, routers' answers to a connecting socket never reach it"
            ),
            instead: format!("trace with -P udp or -P icmp, or {}", privileges_hint()),
        }),
        _ => Ok(()),
    }
}

fn privileges_hint() -> String {
    format!("grant CAP_NET_RAW once: {}", crate::error::setcap_command())
}

/// The network side of a run, open.
pub enum Opened {
    Capture {
        thread: CaptureThread,
        source: CaptureSource,
        sender: Box<dyn Sender>,
        linktype: i32,
        snaplen: u32,
    },
    Sockets {
        source: SocketSource,
        sender: SocketSender,
    },
}

impl Opened {
    /// Opens `network` for `session`, capturing what `filter` passes.
    pub fn open(
        network: Network,
        config: &Config,
        session: Session,
        filter: &str,
        settings: &Settings,
    ) -> Result<Opened> {
        let (device, opening) = match network {
            Network::Sockets => {
                let (sender, source) = sockets::open(settings.timeout, config.interface.clone());
                return Ok(Opened::Sockets { source, sender });
            }
            Network::Capture { device, opening } => (device, opening),
        };
        let snaplen = opening.snaplen() as u32;
        let cap = opening.finish(filter)?;
        log::debug!("capture open");
        let sender: Box<dyn Sender> = match config.send {
            SendMethod::Inject { gateway } => Box::new(InjectSender::open(
                &device,
                session.src(),
                session.dst(),
                gateway,
            )?),
            SendMethod::Raw | SendMethod::Sockets => Box::new(RawSender::open(session.is_v6())?),
        };
        log::info!(
            "tracing {} from {} on {device}; filter: {filter}",
            session.dst(),
            session.src(),
        );
        let linktype = cap.get_datalink().0;
        let (thread, source) = CaptureThread::start(cap)?;
        Ok(Opened::Capture {
            thread,
            source,
            sender,
            linktype,
            snaplen,
        })
    }

    /// The link type and snapshot length a recording of it has.
    pub fn framing(&self) -> (i32, u32) {
        match self {
            Opened::Capture {
                linktype, snaplen, ..
            } => (*linktype, *snaplen),
            Opened::Sockets { .. } => (LINKTYPE_RAW, u16::MAX.into()),
        }
    }

    /// The source and the sender, for the driver.
    pub fn io(&mut self) -> (&mut dyn PacketSource, &mut dyn Sender) {
        match self {
            Opened::Capture { source, sender, .. } => (source, sender.as_mut()),
            Opened::Sockets { source, sender } => (source, sender),
        }
    }

    /// The error a failed run ends with: the capture thread's own says
    /// more than "it stopped".
    pub fn failed(self, e: Error) -> Error {
        match self {
            Opened::Capture { thread, .. } => thread.stop().err().unwrap_or(e),
            Opened::Sockets { .. } => e,
        }
    }

    /// Closes it; with `rest`, after the capture's last frames, which it
    /// returns (waiting for the capture thread up to a read timeout).
    pub fn close(self, rest: bool) -> Result<Vec<Frame>> {
        match self {
            Opened::Capture { thread, source, .. } if rest => {
                thread.stop()?;
                Ok(source.rest().collect())
            }
            Opened::Capture { thread, .. } => {
                thread.leave();
                Ok(Vec::new())
            }
            Opened::Sockets { .. } => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_without_privileges_needs_linux_5_8() {
        let old = tcp_error_queue(Some((5, 4))).unwrap_err().to_string();
        assert!(old.contains("Linux 5.8 or later (this is 5.4)"), "{old}");
        assert!(
            old.contains("-P udp") && old.contains("setcap cap_net_raw+ep"),
            "{old}"
        );
        for fine in [Some((5, 8)), Some((6, 18)), None] {
            assert!(tcp_error_queue(fine).is_ok(), "{fine:?}");
        }
    }
}
