//! Fixtures and answer builders shared by the strategy tests.
#![allow(dead_code)]

pub mod seeded;

use std::net::IpAddr;
use tracetcp_strategies::wire::checksum;
use tracetcp_strategies::{
    Classification, Flow, Instance, ProbeKey, ProbeSpec, Protocol, Reply, Session,
};

pub const V4_TCP: &str = "4500003cc24500000306604fc6120001c6120902c24900504242000700000000a002faf069c20000020405b40402080a420007420000000001030307";
pub const V4_UDP: &str = "45000022c24500000311605ec6120001c6120902c2490050000e424a237d42420007";
pub const V4_ICMP: &str =
    "45000024c24500000301606cc6120001c6120902080096fb7fff424a7472616365746370";
pub const V6_TCP: &str = "6000c2490028060320010db800000000000000000000000120010db8000900000000000000000002c24900504242000700000000a002faf0a3800000020405a00402080a420007420000000001030307";
pub const V6_UDP: &str = "6000c249000e110320010db800000000000000000000000120010db8000900000000000000000002c2490050000e424a5d2742420007";
pub const V6_ICMP: &str = "6000c24900103a0320010db800000000000000000000000120010db80009000000000000000000028000c3327fff424a7472616365746370";

pub const ROUTER_V4: &str = "198.18.3.1";
pub const ROUTER_V6: &str = "2001:db8:3::1";

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn session(v6: bool) -> Session {
    let instance = Instance::new(0x4242).unwrap();
    if v6 {
        Session::new(ip("2001:db8::1"), ip("2001:db8:9::2"), instance).unwrap()
    } else {
        Session::new(ip("198.18.0.1"), ip("198.18.9.2"), instance).unwrap()
    }
}

pub fn spec() -> ProbeSpec {
    ProbeSpec {
        ttl: 3,
        key: ProbeKey::new(7).unwrap(),
        dst_port: 80,
        flow: Flow::new(0xc249),
        size: None,
    }
}

pub fn cases() -> Vec<(Protocol, bool, &'static str)> {
    vec![
        (Protocol::Tcp, false, V4_TCP),
        (Protocol::Udp, false, V4_UDP),
        (Protocol::Icmp, false, V4_ICMP),
        (Protocol::Tcp, true, V6_TCP),
        (Protocol::Udp, true, V6_UDP),
        (Protocol::Icmp, true, V6_ICMP),
    ]
}

pub use tracetcp_strategies::answer::ip_packet;

pub fn icmp_error(
    from: IpAddr,
    probe: &[u8],
    quote_len: usize,
    t: u8,
    code: u8,
    rest: [u8; 4],
) -> Vec<u8> {
    tracetcp_strategies::answer::icmp_error(from, probe, quote_len, t, code, rest).unwrap()
}

pub fn time_exceeded(from: IpAddr, probe: &[u8], quote_len: usize) -> Vec<u8> {
    tracetcp_strategies::answer::time_exceeded(from, probe, quote_len).unwrap()
}

/// A TCP segment from the destination's port 80 back to the probe's port.
pub fn tcp_answer(v6: bool, flags: u8, ack: u32) -> Vec<u8> {
    let s = session(v6);
    let mut t = vec![0x00, 0x50, 0xc2, 0x49, 0x12, 0x34, 0x56, 0x78];
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    let sum = checksum::finish(checksum::sum(
        checksum::pseudo_header(s.dst(), s.src(), 6, t.len()),
        &t,
    ));
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    ip_packet(s.dst(), s.src(), 6, &t)
}

/// The reply a classification must be.
pub fn reply(c: Classification) -> Reply {
    match c {
        Classification::Reply(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// An RFC 4884 extension structure holding one MPLS label stack entry
/// (label 24001, bottom of stack, TTL 1), as an MPLS core's router sends.
pub fn mpls_extension() -> Vec<u8> {
    use tracetcp_strategies::wire::extension::{self, MplsEntry, CLASS_MPLS};
    let stack = [MplsEntry {
        label: 24001,
        tc: 0,
        bottom: true,
        ttl: 1,
    }];
    extension::emit(&[(CLASS_MPLS, 1, &extension::mpls_stack(&stack))])
}
