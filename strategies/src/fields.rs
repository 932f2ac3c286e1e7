//! The header fields of a probe that a path may rewrite, read alike from
//! the probe as it left and from the quote an ICMP error carries of it, so
//! that the two can be compared. A quote too short to hold a field leaves
//! it unknown (`None`), never "unchanged".
//!
//! Depends only on the wire views.

use crate::wire::{proto, tcp_option, IcmpView, IpView, Quoting, TcpView, UdpView};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    /// IPv4 TOS or IPv6 traffic class: DSCP (high 6 bits) and ECN.
    pub tos: u8,
    pub total_len: u16,
    /// IPv4 identification (`None` for IPv6).
    pub ident: Option<u16>,
    pub dont_fragment: bool,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TCP or UDP ports.
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    /// TCP sequence number.
    pub seq: Option<u32>,
    /// TCP acknowledgement number, data offset (header bytes), window and
    /// flags: a whole TCP header quoted.
    pub ack: Option<u32>,
    pub data_offset: Option<u8>,
    pub window: Option<u16>,
    pub tcp_flags: Option<u8>,
    /// The TCP, UDP or ICMP checksum, when quoted.
    pub checksum: Option<u16>,
    /// The UDP length field.
    pub udp_length: Option<u16>,
    /// ICMP echo identifier and sequence.
    pub icmp_id: Option<u16>,
    pub icmp_seq: Option<u16>,
    /// The TCP options, when they were quoted.
    pub options: Option<TcpOptionFields>,
}

/// What the TCP options of a probe hold, field by field (`None`: no such
/// option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpOptionFields {
    /// The kinds present (bit k: kind k, for kinds 2 to 63).
    pub kinds: u64,
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    /// The timestamp value (TSval).
    pub timestamp: Option<u32>,
}

impl TcpOptionFields {
    fn of(tcp: &TcpView) -> Self {
        let mut o = TcpOptionFields::default();
        for opt in tcp.options() {
            if opt.kind > tcp_option::NOP && opt.kind < 64 {
                o.kinds |= 1 << opt.kind;
            }
            let d = opt.data;
            match (opt.kind, d.len()) {
                (tcp_option::MSS, 2) => o.mss = Some(u16::from_be_bytes([d[0], d[1]])),
                (tcp_option::WINDOW_SCALE, 1) => o.window_scale = Some(d[0]),
                (tcp_option::TIMESTAMPS, 8) => {
                    o.timestamp = Some(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
                }
                _ => {}
            }
        }
        o
    }
}

impl Fields {
    /// The fields of a whole probe (`Quoting::Whole`) or of a quote.
    pub fn of(packet: &[u8], quoting: Quoting) -> Option<Fields> {
        let ip = IpView::parse(packet, quoting).ok()?;
        let mut f = Fields {
            tos: ip.tos,
            total_len: ip.total_len.min(usize::from(u16::MAX)) as u16,
            ident: (!ip.is_v6()).then_some(ip.ident),
            dont_fragment: ip.dont_fragment,
            src: ip.src,
            dst: ip.dst,
            src_port: None,
            dst_port: None,
            seq: None,
            ack: None,
            data_offset: None,
            window: None,
            tcp_flags: None,
            checksum: None,
            udp_length: None,
            icmp_id: None,
            icmp_seq: None,
            options: None,
        };
        match ip.protocol {
            proto::TCP => {
                let whole = TcpView::parse(ip.payload).ok();
                let tcp = whole.or_else(|| TcpView::parse_quoted(ip.payload).ok())?;
                f.src_port = Some(tcp.src_port);
                f.dst_port = Some(tcp.dst_port);
                f.seq = Some(tcp.seq);
                if let Some(whole) = whole {
                    f.ack = whole.ack;
                    f.data_offset = whole.header_len.map(|l| l as u8);
                    f.window = whole.window;
                    f.tcp_flags = whole.flags.map(|fl| fl.0);
                    f.checksum = whole.checksum;
                    f.options = Some(TcpOptionFields::of(&whole));
                }
            }
            proto::UDP => {
                if let Ok(u) = UdpView::parse(ip.payload) {
                    f.src_port = Some(u.src_port);
                    f.dst_port = Some(u.dst_port);
                    f.udp_length = Some(u.length);
                    f.checksum = Some(u.checksum);
                }
            }
            p if p == ip.icmp_protocol() => {
                if let Ok(m) = IcmpView::parse(ip.payload) {
                    f.checksum = Some(m.checksum);
                    f.icmp_id = Some(m.echo_id());
                    f.icmp_seq = Some(m.echo_seq());
                }
            }
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
            size: None,
        })
    }

    #[test]
    fn a_whole_quote_shows_every_field_a_short_one_fewer() {
        let syn = probe(Protocol::Tcp);
        let f = Fields::of(&syn, Quoting::Whole).unwrap();
        assert_eq!(
            (f.src_port, f.window, f.options.map(|o| o.mss)),
            (Some(45000), Some(64240), Some(Some(1460)))
        );
        // A quote of the IP header and 8 bytes: ports and sequence only.
        let short = Fields::of(&syn[..28], Quoting::Quoted).unwrap();
        assert_eq!((short.src_port, short.seq), (f.src_port, f.seq));
        assert_eq!(
            (short.window, short.options, short.checksum),
            (None, None, None)
        );
        let udp = Fields::of(&probe(Protocol::Udp), Quoting::Whole).unwrap();
        assert_eq!((udp.src_port, udp.options), (Some(45000), None));
        assert!(udp.checksum.is_some() && udp.udp_length.is_some());
        let echo = Fields::of(&probe(Protocol::Icmp), Quoting::Whole).unwrap();
        assert!(echo.icmp_id.is_some() && echo.checksum.is_some() && echo.src_port.is_none());
    }
}
