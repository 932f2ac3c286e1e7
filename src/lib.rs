//! tracetcp: traceroute with TCP SYN, UDP or ICMP echo probes, answers
//! received through libpcap, sessions recorded to and replayed from .pcap.

pub mod engine;
pub mod report;
pub mod time;
pub mod trace;
