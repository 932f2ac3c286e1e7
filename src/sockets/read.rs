//! What came back on a socket: the errors the kernel queued (each an
//! answer of a router or of the target, tied to the probe it quotes),
//! echo replies, and a connect's outcome; each rebuilt as a packet.
//! Owns which probe of a socket an answer is for.

use super::queue;
use super::rebuild;
use super::sys::{self, Kind};
use super::Conn;
use crate::time::Timestamp;
use std::os::fd::OwnedFd;

/// Reads what `conn` has (`revents` said it has something) into `found`.
pub(super) fn collect(
    conn: &mut Conn,
    revents: libc::c_short,
    found: &mut Vec<(Timestamp, Vec<u8>)>,
) -> std::io::Result<()> {
    let ping = conn.kind == Kind::Ping;
    while let Some(got) = queue::recv(&conn.fd, true)? {
        let Some(e) = got.error.filter(|e| e.from_icmp) else {
            continue;
        };
        let waiting = conn.probes.iter().filter(|p| !p.answered).count();
        let probe = conn.probes.iter_mut().find(|p| match conn.kind {
            Kind::Tcp => true,
            // An empty quote tells one waiting probe from no other.
            _ if got.data.is_empty() => waiting == 1 && !p.answered,
            _ => rebuild::quotes(&p.packet, &got.data, ping),
        });
        let Some(probe) = probe else {
            log::debug!("an error on a socket quotes no probe of it: {e:?}");
            continue;
        };
        probe.answered = true;
        if let Some(packet) = rebuild::error_about(&probe.packet, &e, &got.data, got.ttl) {
            found.push((arrival(got.arrived_ns), packet));
        }
        if conn.kind == Kind::Tcp {
            conn.connecting = false;
            conn.close_at = Timestamp::default();
        }
    }
    if ping {
        while let Some(got) = received(&conn.fd)? {
            if let Some(probe) = conn
                .probes
                .iter_mut()
                .find(|p| rebuild::replies_to(&p.packet, &got.data))
            {
                probe.answered = true;
                if let Some(packet) = rebuild::echo_reply(&probe.packet, got.ttl) {
                    found.push((arrival(got.arrived_ns), packet));
                }
            }
        }
    } else if conn.kind == Kind::Udp {
        // A service's own answer: the port is open; the engine reads no
        // UDP payloads, so it is let go.
        while received(&conn.fd)?.is_some() {}
    }
    if conn.connecting && revents & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) != 0 {
        let open = match sys::take_error(&conn.fd)? {
            0 => Some(true),
            libc::ECONNREFUSED => Some(false),
            _ => None,
        };
        conn.connecting = false;
        // Closing at once resets the connection (SO_LINGER 0).
        conn.close_at = Timestamp::default();
        if let (Some(open), Some(probe)) = (open, conn.probes.first_mut()) {
            probe.answered = true;
            if let Some(packet) = rebuild::tcp_answer(&probe.packet, open) {
                found.push((Timestamp::now(), packet));
            }
        }
    }
    Ok(())
}

/// The next datagram on `fd`'s receive queue. An error an answer left on
/// the socket since its error queue was read comes first; it is no
/// failure: the next look at the error queue reads its answer.
fn received(fd: &OwnedFd) -> std::io::Result<Option<queue::Received>> {
    match queue::recv(fd, false) {
        Err(e) if left_by_an_answer(&e) => Ok(None),
        other => other,
    }
}

/// Whether a call failed with an error an answer left on the socket
/// (ICMP unreachable, time exceeded), rather than one of its own.
pub(super) fn left_by_an_answer(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::ECONNREFUSED
                | libc::EHOSTDOWN
                | libc::EPROTO
                | libc::ENOPROTOOPT
        )
    )
}

fn arrival(ns: Option<u64>) -> Timestamp {
    ns.map(Timestamp::from_nanos).unwrap_or_else(Timestamp::now)
}
