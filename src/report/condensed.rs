//! Condensed output (-c): one line per hop, the target and port first.
//!
//! ```text
//! [66.135.192.41:135]  3  *       Request timed out.
//! [192.168.0.1:21]  1     Dest. in 1 ms. Port OPEN on 192.168.0.1
//! ```
//!
//! Traces of several hops are separated by a blank line.
//!
//! Renders from data alone; never resolves names, never reads the engine.

use super::{address, cells, rtt, Names, RunInfo};
use crate::trace::HopResult;
use crate::trace::TraceSpec;
use std::net::IpAddr;
use tracetcp_strategies::{Protocol, ReplyKind};

/// "[198.18.9.2:80]", "[[2001:db8::2]:80]", "[198.18.9.2:53/udp]", "[198.18.9.2/icmp]".
pub fn label(addr: IpAddr, spec: &TraceSpec) -> String {
    let host = match addr {
        IpAddr::V6(a) => format!("[{a}]"),
        IpAddr::V4(a) => a.to_string(),
    };
    match spec.protocol {
        Protocol::Tcp => format!("[{host}:{}]", spec.port),
        Protocol::Udp => format!("[{host}:{}/udp]", spec.port),
        Protocol::Icmp => format!("[{host}/icmp]"),
    }
}

pub fn hop(run: &RunInfo, spec: &TraceSpec, h: &HopResult, names: &Names) -> String {
    let body = if let Some((a, t)) = h.destination() {
        let what = match a.kind {
            ReplyKind::SynAck => "Port OPEN on",
            ReplyKind::EchoReply => "Echo reply from",
            _ => "Port CLOSED on",
        };
        format!("Dest. in {}. {what} {}", rtt(t), a.from)
    } else {
        let all = cells(h, run.settings.probes_per_hop).join("\t");
        let responders: Vec<String> = h
            .responders()
            .iter()
            .map(|(addr, _)| address(*addr, names))
            .collect();
        if responders.is_empty() {
            format!("{all}\tRequest timed out.")
        } else {
            format!("{all}\t{}", responders.join("\t"))
        }
    };
    format!("{}  {}\t{body}\n", label(run.address, spec), h.ttl)
}

/// Blank lines go between traces only when each has several hops.
pub fn separates_traces(run: &RunInfo) -> bool {
    run.settings.max_hops > 1
}
