//! The packets a capture would have held, rebuilt from what the kernel
//! reports on an ordinary socket: the answer's facts (who sent it, its
//! ICMP type and code, the MTU it announced, its TTL) from the kernel,
//! everything else from the probe as tracetcp built it. The engine then
//! reads them as it reads captured packets: one matching logic.
//!
//! What the kernel does not hand back is not made up: a quote is the
//! probe's own bytes (so the session says its quotes were not seen), an
//! unknown TTL is 0, and ICMP extensions (MPLS) are not there.
//!
//! Owns: which probe of a socket an answer is for, and the rebuilding.

use super::queue::QueuedError;
use std::net::IpAddr;
use tracetcp_strategies::answer;
use tracetcp_strategies::wire::{proto, IpView, Quoting};

/// The TTL of a rebuilt answer whose real TTL the kernel did not say.
pub const UNKNOWN_TTL: u8 = 0;

/// The ICMP error the kernel queued (`e`, with `quoted`: the bytes it
/// handed back after the socket's own header) about `probe`.
pub fn error_about(
    probe: &[u8],
    e: &QueuedError,
    quoted: &[u8],
    ttl: Option<u8>,
) -> Option<Vec<u8>> {
    let from = e.offender?;
    let ip = IpView::parse(probe, Quoting::Whole).ok()?;
    // How much of the probe the router quoted after its IP header.
    let quote_len = match ip.protocol {
        proto::UDP => 8 + quoted.len(),
        _ => quoted.len().max(8),
    };
    let rest = match (from, e.icmp_type, e.code) {
        (IpAddr::V4(_), 3, 4) => {
            let [hi, lo] = u16::try_from(e.info).unwrap_or(u16::MAX).to_be_bytes();
            [0, 0, hi, lo]
        }
        (IpAddr::V6(_), 2, _) => e.info.to_be_bytes(),
        _ => [0; 4],
    };
    let mut packet = answer::icmp_error(from, probe, quote_len, e.icmp_type, e.code, rest)?;
    answer::set_ttl(&mut packet, ttl.unwrap_or(UNKNOWN_TTL));
    Some(packet)
}

/// The destination's echo reply to an echo-request `probe`.
pub fn echo_reply(probe: &[u8], ttl: Option<u8>) -> Option<Vec<u8>> {
    let mut packet = answer::echo_reply(probe)?;
    answer::set_ttl(&mut packet, ttl.unwrap_or(UNKNOWN_TTL));
    Some(packet)
}

/// The destination's SYN-ACK (`open`) or reset to a SYN `probe`; the
/// kernel never says their TTL.
pub fn tcp_answer(probe: &[u8], open: bool) -> Option<Vec<u8>> {
    let flags = if open { 0x12 } else { 0x04 };
    let mut packet = answer::tcp_answer(probe, flags)?;
    answer::set_ttl(&mut packet, UNKNOWN_TTL);
    Some(packet)
}

/// The transport bytes of `probe` after its IP header.
pub fn transport(probe: &[u8]) -> &[u8] {
    match IpView::parse(probe, Quoting::Whole) {
        Ok(ip) => &probe[probe.len() - ip.payload.len()..],
        Err(_) => &[],
    }
}

/// Whether the bytes the kernel handed back with an error (`quoted`,
/// after the socket's own header) are from `probe`, sent on a socket of
/// the given kind: UDP by its payload, ping by its sequence number. An
/// empty quote (RFC 792's 8 bytes) matches any probe: the caller decides.
pub fn quotes(probe: &[u8], quoted: &[u8], ping: bool) -> bool {
    let t = transport(probe);
    if ping {
        return quoted.get(6..8).is_some_and(|seq| t.get(6..8) == Some(seq));
    }
    let payload = t.get(8..).unwrap_or(&[]);
    payload.starts_with(quoted) || quoted.starts_with(payload)
}

/// Whether an echo reply's bytes (ICMP header on) answer `probe`.
pub fn replies_to(probe: &[u8], reply: &[u8]) -> bool {
    let t = transport(probe);
    reply.get(6..8).is_some_and(|seq| t.get(6..8) == Some(seq))
}

/// What the sockets transport makes of `answer` to `probe`: the kernel's
/// report of it (its facts, the quoted bytes after the probe's own
/// header), rebuilt. For the simulator, which thereby drives the engine
/// with both shapes of answer.
#[cfg(test)]
pub fn as_reported(probe: &[u8], answer: &[u8]) -> Option<Vec<u8>> {
    use tracetcp_strategies::wire::IcmpView;
    let ip = IpView::parse(answer, Quoting::Whole).ok()?;
    let ttl = Some(ip.ttl);
    if ip.protocol == proto::TCP {
        let flags = answer.get(answer.len() - ip.payload.len() + 13)?;
        return tcp_answer(probe, flags & 0x02 != 0);
    }
    let icmp = IcmpView::parse(ip.payload).ok()?;
    if matches!(icmp.icmp_type, 0 | 129) {
        return echo_reply(probe, ttl);
    }
    let quote = IpView::parse(icmp.body, Quoting::Quoted).ok()?;
    let after_header = if quote.protocol == proto::UDP { 8 } else { 0 };
    let e = QueuedError {
        errno: 0,
        from_icmp: true,
        icmp_type: icmp.icmp_type,
        code: icmp.code,
        info: match (ip.is_v6(), icmp.icmp_type) {
            (false, 3) => u32::from(u16::from_be_bytes([icmp.rest[2], icmp.rest[3]])),
            (true, 2) => u32::from_be_bytes(icmp.rest),
            _ => 0,
        },
        offender: Some(ip.src),
    };
    error_about(
        probe,
        &e,
        quote.payload.get(after_header..).unwrap_or(&[]),
        ttl,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracetcp_strategies::wire::{IcmpView, TcpView};

    fn udp_probe() -> Vec<u8> {
        let mut udp = vec![0x9c, 0x40, 0x82, 0x9a, 0, 12, 0, 0];
        udp.extend_from_slice(b"tcpt");
        let src = "198.18.0.1".parse().unwrap();
        let dst = "198.18.9.9".parse().unwrap();
        let mut p = answer::ip_packet(src, dst, proto::UDP, &udp);
        answer::set_ttl(&mut p, 3);
        p
    }

    fn error(icmp_type: u8, code: u8, info: u32) -> QueuedError {
        QueuedError {
            errno: libc::EHOSTUNREACH,
            from_icmp: true,
            icmp_type,
            code,
            info,
            offender: Some("198.18.2.1".parse().unwrap()),
        }
    }

    #[test]
    fn a_queued_time_exceeded_becomes_the_router_s_answer_quoting_the_probe() {
        let probe = udp_probe();
        let answer = error_about(&probe, &error(11, 0, 0), b"tcpt", Some(62)).unwrap();
        let ip = IpView::parse(&answer, Quoting::Whole).unwrap();
        assert_eq!(
            (ip.src, ip.dst, ip.ttl),
            (
                "198.18.2.1".parse().unwrap(),
                "198.18.0.1".parse().unwrap(),
                62
            )
        );
        let icmp = IcmpView::parse(ip.payload).unwrap();
        assert_eq!((icmp.icmp_type, icmp.code), (11, 0));
        // The quote is the probe, worn down to TTL 1 as a router saw it.
        let quote = IpView::parse(icmp.body, Quoting::Quoted).unwrap();
        assert_eq!((quote.ttl, quote.payload), (1, &probe[20..]));
    }

    #[test]
    fn fragmentation_needed_keeps_its_mtu_and_no_ttl_is_unknown() {
        let answer = error_about(&udp_probe(), &error(3, 4, 1400), b"", None).unwrap();
        let ip = IpView::parse(&answer, Quoting::Whole).unwrap();
        assert_eq!(ip.ttl, UNKNOWN_TTL);
        let icmp = IcmpView::parse(ip.payload).unwrap();
        assert_eq!(icmp.rest, [0, 0, 0x05, 0x78]);
        assert!(error_about(
            &udp_probe(),
            &QueuedError {
                offender: None,
                ..error(11, 0, 0)
            },
            b"",
            None
        )
        .is_none());
    }

    #[test]
    fn answers_are_told_apart_by_what_the_kernel_hands_back() {
        let probe = udp_probe();
        assert!(quotes(&probe, b"tcpt", false));
        assert!(quotes(&probe, b"tc", false));
        assert!(quotes(&probe, b"", false));
        assert!(!quotes(&probe, b"tcpx", false));
        let echo = [8, 0, 0, 0, 0x12, 0x34, 0, 7];
        let src = "198.18.0.1".parse().unwrap();
        let ping = answer::ip_packet(src, "198.18.9.9".parse().unwrap(), proto::ICMP, &echo);
        assert!(quotes(&ping, &[8, 0, 9, 9, 0x43, 0x21, 0, 7], true));
        assert!(!quotes(&ping, &[8, 0, 9, 9, 0x43, 0x21, 0, 8], true));
        assert!(replies_to(&ping, &[0, 0, 1, 1, 0x43, 0x21, 0, 7, 1]));
        assert!(!replies_to(&ping, &[0, 0]));
    }

    #[test]
    fn a_connect_becomes_a_syn_ack_or_a_reset_with_no_ttl() {
        let syn = [
            0x9c, 0x40, 0, 80, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        ];
        let src = "198.18.0.1".parse().unwrap();
        let probe = answer::ip_packet(src, "198.18.9.9".parse().unwrap(), proto::TCP, &syn);
        for (open, flags) in [(true, 0x12), (false, 0x14)] {
            let answer = tcp_answer(&probe, open).unwrap();
            let ip = IpView::parse(&answer, Quoting::Whole).unwrap();
            assert_eq!(
                (ip.src, ip.ttl),
                ("198.18.9.9".parse().unwrap(), UNKNOWN_TTL)
            );
            let tcp = TcpView::parse(ip.payload).unwrap();
            assert_eq!((tcp.flags.map(|f| f.0), tcp.ack), (Some(flags), Some(10)));
        }
    }
}
