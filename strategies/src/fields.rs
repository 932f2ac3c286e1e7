//! The header fields of a probe that a path may rewrite, read alike from
//! the probe as it left and from the quote an ICMP error carries of it, so
//! that the two can be compared. A quote too short to hold a field leaves
//! it unknown (`None`), never "unchanged".
//!
//! Depends only on the wire views.

use crate::wire::{proto, tcp_option, IpView, Quoting, TcpView, UdpView};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    /// IPv4 TOS or IPv6 traffic class: DSCP (high 6 bits) and ECN.
    pub tos: u8,
    pub total_len: u16,
    pub dont_fragment: bool,
    pub src: IpAddr,
    /// TCP or UDP source port.
    pub src_port: Option<u16>,
    /// TCP sequence number.
    pub seq: Option<u32>,
    /// TCP window (a whole TCP header quoted).
    pub window: Option<u16>,
    /// TCP MSS option, when the options were quoted (`Some(None)`: quoted,
    /// no MSS option in them).
    pub mss: Option<Option<u16>>,
    /// The kinds of the TCP options (bit k: kind k, for kinds below 64),
    /// when they were quoted.
    pub option_kinds: Option<u64>,
    /// TCP flags (a whole TCP header quoted).
    pub tcp_flags: Option<u8>,
}

impl Fields {
    /// The fields of a whole probe (`Quoting::Whole`) or of a quote.
    pub fn of(packet: &[u8], quoting: Quoting) -> Option<Fields> {
        let ip = IpView::parse(packet, quoting).ok()?;
        let mut f = Fields {
            tos: ip.tos,
            total_len: ip.total_len.min(usize::from(u16::MAX)) as u16,
            dont_fragment: ip.dont_fragment,
            src: ip.src,
            src_port: None,
            seq: None,
            window: None,
            mss: None,
            option_kinds: None,
            tcp_flags: None,
        };
        match ip.protocol {
            proto::TCP => {
                let whole = TcpView::parse(ip.payload).ok();
                let tcp = whole.or_else(|| TcpView::parse_quoted(ip.payload).ok())?;
                f.src_port = Some(tcp.src_port);
                f.seq = Some(tcp.seq);
                if let Some(whole) = whole {
                    f.window = whole.window;
                    f.tcp_flags = whole.flags.map(|fl| fl.0);
                    f.option_kinds = Some(
                        whole
                            .options()
                            .filter(|o| o.kind > tcp_option::NOP && o.kind < 64)
                            .fold(0u64, |m, o| m | 1 << o.kind),
                    );
                    f.mss = Some(
                        whole
                            .options()
                            .find(|o| o.kind == tcp_option::MSS)
                            .and_then(|o| o.data.get(..2))
                            .map(|b| u16::from_be_bytes([b[0], b[1]])),
                    );
                }
            }
            proto::UDP => f.src_port = UdpView::parse(ip.payload).ok().map(|u| u.src_port),
            _ => {}
        }
        Some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{strategy_for, Flow, Instance, ProbeKey, ProbeSpec, Protocol, Session};

    fn probe(protocol: Protocol) -> Vec<u8> {
        let s = Session::new(
            "198.18.0.1".parse().unwrap(),
            "198.18.9.2".parse().unwrap(),
            Instance::new(0x4242).unwrap(),
        )
        .unwrap();
        strategy_for(protocol, s).build_probe(&ProbeSpec {
            ttl: 3,
            key: ProbeKey::new(7).unwrap(),
            dst_port: 80,
            flow: Flow::new(45000),
        })
    }

    #[test]
    fn a_whole_quote_shows_every_field_a_short_one_fewer() {
        let syn = probe(Protocol::Tcp);
        let f = Fields::of(&syn, Quoting::Whole).unwrap();
        assert_eq!(
            (f.src_port, f.window, f.mss),
            (Some(45000), Some(64240), Some(Some(1460)))
        );
        // A quote of the IP header and 8 bytes: ports and sequence only.
        let short = Fields::of(&syn[..28], Quoting::Quoted).unwrap();
        assert_eq!((short.src_port, short.seq), (f.src_port, f.seq));
        assert_eq!((short.window, short.mss), (None, None));
        let udp = Fields::of(&probe(Protocol::Udp), Quoting::Whole).unwrap();
        assert_eq!((udp.src_port, udp.mss), (Some(45000), None));
    }
}
