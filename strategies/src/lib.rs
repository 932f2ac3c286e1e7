//! Probe strategies for tracetcp: pure packet logic, no I/O.
//!
//! A [`Strategy`] builds the probes of one kind (TCP SYN, UDP, ICMP echo)
//! for a [`Session`], gives the BPF filter that captures their answers
//! and the probes themselves, and classifies any captured IP packet.
//! Every parse goes through the checked views of [`wire`], so no input
//! can make it panic.
//!
//! The crate knows nothing of pcap, sockets or clocks.

pub mod answer;
mod fields;
mod flow;
mod icmp;
mod ident;
mod probe;
pub mod reshape;
mod strategy;
mod tcp;
mod udp;
pub mod wire;

pub use fields::{Fields, TcpOptionFields};
pub use flow::Flow;
pub use probe::{
    Classification, IcmpCode, Instance, MplsStack, NamedInterface, NotOurs, ProbeKey, ProbeSpec,
    Protocol, Reply, ReplyKind, SeenProbe, Session, Unreachable, KEY_SPAN,
};
pub use strategy::{error_kind, Strategy};

use strategy::Prober;

/// The strategy for `protocol` in `session`.
pub fn strategy_for(protocol: Protocol, session: Session) -> Box<dyn Strategy> {
    match protocol {
        Protocol::Tcp => Box::new(Prober::<tcp::TcpSyn>::new(session)),
        Protocol::Udp => Box::new(Prober::<udp::UdpDatagram>::new(session)),
        Protocol::Icmp => Box::new(Prober::<icmp::IcmpEcho>::new(session)),
    }
}
