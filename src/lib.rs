//! tracetcp: traceroute with TCP SYN, UDP or ICMP echo probes, answers
//! received through libpcap, sessions recorded to and replayed from .pcap.
//!
//! Layers, one direction: cli -> live/replay -> driver -> engine -> trace;
//! capture, send and record plug into the driver; report and diagnosis
//! read results. See ARCHITECTURE.md.

pub mod capture;
pub mod cli;
pub mod diagnosis;
pub mod dns;
pub mod driver;
pub mod engine;
pub mod error;
pub mod infer;
pub mod live;
pub mod many;
pub mod mtu;
pub mod multipath;
pub mod output;
pub mod owners;
pub mod quotes;
pub mod record;
pub mod replay;
pub mod report;
pub mod route;
pub mod run;
pub mod send;
pub mod sockets;
pub mod target;
pub mod time;
pub mod trace;
pub mod watch;
pub mod words;
