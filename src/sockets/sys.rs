//! The system calls of traces without privileges (Linux): ordinary
//! sockets opened with the options the error queue needs, sent with a
//! TTL, and what the kernel reports on them: queued ICMP errors with
//! their facts (`sock_extended_err`, the offender, the answer's TTL and
//! arrival time), echo replies on ping sockets, connects' outcomes.
//!
//! Owns every libc call of the sockets transport; knows nothing of probes.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The three kinds of ordinary socket a probe can leave by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A datagram socket (UDP probes).
    Udp,
    /// A ping socket (ICMP echo probes): the kernel sets the identifier to
    /// the port it is bound to, and the checksum.
    Ping,
    /// A stream socket whose connect sends the SYN.
    Tcp,
}

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

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    let len = size_of::<libc::c_int>() as libc::socklen_t;
    let ret =
        unsafe { libc::setsockopt(fd, level, name, (&value as *const libc::c_int).cast(), len) };
    check(ret).map(|_| ())
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// The address in a socket address the kernel wrote (`bytes` long).
fn address_in(bytes: &[u8]) -> Option<IpAddr> {
    let family = libc::sa_family_t::from_ne_bytes(bytes.get(..2)?.try_into().ok()?);
    match i32::from(family) {
        libc::AF_INET => {
            let a: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(a)))
        }
        libc::AF_INET6 => {
            let a: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

/// A socket of `kind` bound to `src`, non-blocking, with the kernel's
/// errors queued (`IP_RECVERR`), answers' TTLs and arrival times on.
pub fn open(kind: Kind, src: SocketAddr) -> io::Result<OwnedFd> {
    let v6 = src.is_ipv6();
    let domain = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    let (ty, protocol) = match kind {
        Kind::Udp => (libc::SOCK_DGRAM, 0),
        Kind::Ping if v6 => (libc::SOCK_DGRAM, libc::IPPROTO_ICMPV6),
        Kind::Ping => (libc::SOCK_DGRAM, libc::IPPROTO_ICMP),
        Kind::Tcp => (libc::SOCK_STREAM, 0),
    };
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    let fd = check(unsafe { libc::socket(domain, ty | flags, protocol) })?;
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let raw = fd.as_raw_fd();
    if kind != Kind::Ping {
        set_int(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    }
    if v6 {
        set_int(raw, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, 1)?;
        set_int(raw, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)?;
    } else {
        set_int(raw, libc::IPPROTO_IP, libc::IP_RECVERR, 1)?;
        set_int(raw, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)?;
    }
    set_int(raw, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)?;
    if kind == Kind::Tcp {
        // Closing sends a reset at once: the target's application sees
        // no connection linger.
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        let len = size_of::<libc::linger>() as libc::socklen_t;
        let ret = unsafe {
            libc::setsockopt(
                raw,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                len,
            )
        };
        check(ret)?;
    }
    let (addr, len) = sockaddr(src);
    check(unsafe { libc::bind(raw, (&addr as *const libc::sockaddr_storage).cast(), len) })?;
    Ok(fd)
}

/// The TTL (hop limit) of the socket's next packets.
pub fn set_ttl(fd: &OwnedFd, v6: bool, ttl: u8) -> io::Result<()> {
    let ttl = libc::c_int::from(ttl);
    if v6 {
        set_int(
            fd.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS,
            ttl,
        )
    } else {
        set_int(fd.as_raw_fd(), libc::IPPROTO_IP, libc::IP_TTL, ttl)
    }
}

/// Whether the socket's next packets go with don't-fragment set, whatever
/// path MTU the kernel learnt (`IP_PMTUDISC_PROBE`, as tracepath sets
/// it), or may be fragmented (`IP_PMTUDISC_DONT`). IPv6 never fragments
/// on the way: its packets always go as built.
pub fn set_dont_fragment(fd: &OwnedFd, v6: bool, df: bool) -> io::Result<()> {
    if v6 {
        return set_int(
            fd.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_PROBE,
        );
    }
    let mode = if df {
        libc::IP_PMTUDISC_PROBE
    } else {
        libc::IP_PMTUDISC_DONT
    };
    set_int(
        fd.as_raw_fd(),
        libc::IPPROTO_IP,
        libc::IP_MTU_DISCOVER,
        mode,
    )
}

/// Connects `fd` to `dst`; a connect still under way is no error.
pub fn connect(fd: &OwnedFd, dst: SocketAddr) -> io::Result<()> {
    let (addr, len) = sockaddr(dst);
    let ret = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    match check(ret) {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Sends `data` to `dst` (or, with `None`, to the connected peer).
pub fn send(fd: &OwnedFd, data: &[u8], dst: Option<SocketAddr>) -> io::Result<()> {
    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    let ret = match dst {
        None => unsafe { libc::send(fd.as_raw_fd(), data.as_ptr().cast(), data.len(), flags) },
        Some(dst) => {
            let (addr, len) = sockaddr(dst);
            let to = (&addr as *const libc::sockaddr_storage).cast();
            unsafe {
                libc::sendto(
                    fd.as_raw_fd(),
                    data.as_ptr().cast(),
                    data.len(),
                    flags,
                    to,
                    len,
                )
            }
        }
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The socket's pending error (`SO_ERROR`), which reading clears.
pub fn take_error(fd: &OwnedFd) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    let ret = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    check(ret)?;
    Ok(value)
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

/// Waits until one of `fds` is ready or `timeout_ms` passes; the ready
/// ones have `revents` set.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> io::Result<()> {
    let ret = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    match check(ret) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Lets this process open as many files as its hard limit allows: a
/// socket a TCP probe, a port scan has a thousand in flight (the usual
/// soft limit is 1024).
pub fn raise_open_files() {
    let mut limit: libc::rlimit = unsafe { zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0
        && limit.rlim_cur < limit.rlim_max
    {
        limit.rlim_cur = limit.rlim_max;
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    }
}

/// Whether this process may open raw sockets (CAP_NET_RAW).
pub fn raw_sockets_allowed() -> bool {
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::IPPROTO_TCP,
        )
    };
    if fd < 0 {
        return false;
    }
    unsafe { libc::close(fd) };
    true
}

/// The running kernel's version (major, minor).
pub fn kernel_version() -> Option<(u32, u32)> {
    let mut uts: libc::utsname = unsafe { zeroed() };
    if unsafe { libc::uname(&mut uts) } != 0 {
        return None;
    }
    let release: Vec<u8> = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    let release = String::from_utf8_lossy(&release);
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_are_read_back_for_both_families() {
        for text in ["198.18.0.1:80", "[2001:db8::1]:443"] {
            let addr: SocketAddr = text.parse().unwrap();
            let (storage, len) = sockaddr(addr);
            let bytes = unsafe {
                std::slice::from_raw_parts(
                    (&storage as *const libc::sockaddr_storage).cast::<u8>(),
                    len as usize,
                )
            };
            assert_eq!(address_in(bytes), Some(addr.ip()));
        }
        assert_eq!(address_in(&[0; 1]), None);
        assert_eq!(address_in(&[0; 16]), None);
    }

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

    #[test]
    fn the_kernel_version_is_read() {
        let (major, _) = kernel_version().unwrap();
        assert!(major >= 3);
    }
}
