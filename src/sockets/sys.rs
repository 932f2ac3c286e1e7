//! The system calls of traces without privileges (Linux): ordinary
//! sockets opened with the options the error queue needs, sent with a
//! TTL and don't-fragment as the probe has them, waited on; what the
//! kernel reports on them is read in `queue.rs`.
//!
//! Owns the libc calls of the sockets transport but reading; knows
//! nothing of probes.

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

pub(super) fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
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
pub(super) fn address_in(bytes: &[u8]) -> Option<IpAddr> {
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

/// A socket of `kind` bound to `src` (and to `device`, if given),
/// non-blocking, with the kernel's errors queued (`IP_RECVERR`), answers'
/// TTLs and arrival times on.
pub fn open(kind: Kind, src: SocketAddr, device: Option<&str>) -> io::Result<OwnedFd> {
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
    if let Some(device) = device {
        // Allowed to ordinary users since Linux 5.7.
        let name = device.as_bytes();
        let len = name.len() as libc::socklen_t;
        check(unsafe {
            libc::setsockopt(
                raw,
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                name.as_ptr().cast(),
                len,
            )
        })?;
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
    fn the_kernel_version_is_read() {
        let (major, _) = kernel_version().unwrap();
        assert!(major >= 3);
    }
}
