//! What the kernel reports on a socket, read with `recvmsg`: a datagram
//! from its receive queue, or an error from its error queue (`IP_RECVERR`)
//! with its facts (`sock_extended_err`: errno, origin, ICMP type and code,
//! MTU; the offender's address after it), and from the control messages
//! the answer's TTL (hop limit) and arrival time.
//!
//! Owns the reading; knows nothing of probes.

use super::sys::address_in;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};

/// An error the kernel queued on a socket (`MSG_ERRQUEUE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedError {
    /// The errno it stands for (EHOSTUNREACH, ECONNREFUSED, EMSGSIZE...).
    pub errno: i32,
    /// Whether an ICMP (or ICMPv6) message caused it, rather than the
    /// local stack.
    pub from_icmp: bool,
    pub icmp_type: u8,
    pub code: u8,
    /// The MTU of a "fragmentation needed" / "packet too big".
    pub info: u32,
    /// Who sent the ICMP message.
    pub offender: Option<IpAddr>,
}

/// One message read from a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// For an error: the quoted bytes after the socket's own header (UDP:
    /// the payload; ping: the echo header on; TCP: the TCP header on).
    /// Otherwise the datagram (ping: the echo reply, header included).
    pub data: Vec<u8>,
    /// The TTL (hop limit) the answer arrived with, if the kernel said.
    pub ttl: Option<u8>,
    /// When it arrived (ns since the epoch), if the kernel said.
    pub arrived_ns: Option<u64>,
    pub error: Option<QueuedError>,
    /// The sender of a datagram.
    pub from: Option<IpAddr>,
}

/// The next message on `fd`, from its error queue or its receive queue;
/// `None` when there is none.
pub fn recv(fd: &OwnedFd, error_queue: bool) -> io::Result<Option<Received>> {
    let mut data = vec![0u8; 2048];
    let mut control = [0u64; 64];
    let mut name: libc::sockaddr_storage = unsafe { zeroed() };
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of::<[u64; 64]>() as _;
    let flags = libc::MSG_DONTWAIT | if error_queue { libc::MSG_ERRQUEUE } else { 0 };
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN) => Ok(None),
            _ => Err(e),
        };
    }
    data.truncate(n as usize);
    let name_bytes = unsafe {
        std::slice::from_raw_parts(
            (&name as *const libc::sockaddr_storage).cast::<u8>(),
            msg.msg_namelen as usize,
        )
    };
    let mut got = Received {
        data,
        ttl: None,
        arrived_ns: None,
        error: None,
        from: address_in(name_bytes),
    };
    read_control(&msg, &mut got);
    Ok(Some(got))
}

/// The control messages of `msg`: TTL, arrival time, queued error.
fn read_control(msg: &libc::msghdr, got: &mut Received) {
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        let header = unsafe { &*cmsg };
        let data = unsafe { libc::CMSG_DATA(cmsg) };
        let len = header.cmsg_len as usize - (data as usize - cmsg as usize);
        let bytes = unsafe { std::slice::from_raw_parts(data, len) };
        let int = || {
            bytes
                .get(..4)
                .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
        };
        match (header.cmsg_level, header.cmsg_type) {
            (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                got.ttl = int().and_then(|t| u8::try_from(t).ok());
            }
            (libc::SOL_SOCKET, libc::SO_TIMESTAMPNS) if bytes.len() >= 16 => {
                let secs = i64::from_ne_bytes(bytes[..8].try_into().unwrap());
                let nanos = i64::from_ne_bytes(bytes[8..16].try_into().unwrap());
                got.arrived_ns = u64::try_from(secs * 1_000_000_000 + nanos).ok();
            }
            (libc::IPPROTO_IP, libc::IP_RECVERR) | (libc::IPPROTO_IPV6, libc::IPV6_RECVERR) => {
                got.error = queued_error(bytes);
            }
            _ => {}
        }
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
}

/// A `sock_extended_err` and the offender's address after it.
fn queued_error(bytes: &[u8]) -> Option<QueuedError> {
    let size = size_of::<libc::sock_extended_err>();
    let head = bytes.get(..size)?;
    let errno = u32::from_ne_bytes(head[..4].try_into().ok()?);
    let origin = head[4];
    Some(QueuedError {
        errno: errno as i32,
        from_icmp: origin == libc::SO_EE_ORIGIN_ICMP || origin == libc::SO_EE_ORIGIN_ICMP6,
        icmp_type: head[5],
        code: head[6],
        info: u32::from_ne_bytes(head[8..12].try_into().ok()?),
        offender: address_in(&bytes[size..]),
    })
}

#[cfg(test)]
mod tests {
    use super::super::sys::sockaddr;
    use super::*;

    #[test]
    fn a_queued_error_is_read_with_its_offender() {
        let mut bytes = vec![0u8; size_of::<libc::sock_extended_err>()];
        bytes[..4].copy_from_slice(&(libc::EHOSTUNREACH as u32).to_ne_bytes());
        bytes[4] = libc::SO_EE_ORIGIN_ICMP;
        bytes[5] = 11;
        bytes[8..12].copy_from_slice(&1400u32.to_ne_bytes());
        let (storage, len) = sockaddr("198.18.0.9:0".parse().unwrap());
        let addr = unsafe {
            std::slice::from_raw_parts(
                (&storage as *const libc::sockaddr_storage).cast::<u8>(),
                len as usize,
            )
        };
        bytes.extend_from_slice(addr);
        let e = queued_error(&bytes).unwrap();
        assert_eq!(
            (e.errno, e.from_icmp, e.icmp_type, e.code, e.info),
            (libc::EHOSTUNREACH, true, 11, 0, 1400)
        );
        assert_eq!(e.offender, Some("198.18.0.9".parse().unwrap()));
        assert_eq!(queued_error(&bytes[..3]), None);
    }
}
