//! The report of `--multipath`: every interface of every hop, the
//! interfaces of the hop before that lead to it, and the load-balanced
//! stretches (diamonds) with their width.
//!
//! ```text (columns are separated by tabs)
//! Tracing route to 198.18.14.2 on port 80
//! Over a maximum of 30 hops.
//! Every path: flows from 45123 on, 95% confidence.
//! 1  198.18.0.2  0.05 ms  6 flows
//! 2  198.18.1.2  0.04 ms  7 flows  from 198.18.0.2
//!   198.18.2.2  0.05 ms  6 flows  from 198.18.0.2
//! 3  198.18.5.2  0.06 ms  26 flows  from 198.18.1.2, 198.18.2.2
//! 4  198.18.14.2  0.07 ms  6 flows  from 198.18.5.2  destination: port open
//! Trace Complete. 2 paths; load balanced at hop 2 (2 interfaces).
//! ```
//!
//! Renders from data alone; never resolves names, never reads the engine.

use super::{address, classic, rtt, Names, RunInfo};
use crate::multipath::{Interface, Topology};
use crate::trace::{TraceEnd, TraceResult};
use std::time::Duration;
use tracetcp_strategies::ReplyKind;

/// The whole multipath report of one trace.
pub fn render_trace(run: &RunInfo, r: &TraceResult, names: &Names) -> String {
    let topology = Topology::of(r);
    let mut out = classic::header(run, &r.spec);
    for (ttl, interfaces) in &topology.hops {
        if interfaces.is_empty() {
            out += &format!("{ttl}\t*\tno answer\n");
        }
        for (n, i) in interfaces.iter().enumerate() {
            let lead = if n == 0 {
                ttl.to_string()
            } else {
                String::new()
            };
            out += &format!("{lead}\t{}\n", line(i, r, *ttl, names));
        }
    }
    out += &summary(&topology, &r.end);
    out
}

fn line(i: &Interface, r: &TraceResult, ttl: u8, names: &Names) -> String {
    let mut cols = vec![
        address(i.addr, names),
        median_rtt(r, ttl, i).map_or_else(|| "-".into(), rtt),
        crate::words::count(i.flows.len() as u64, "flow"),
    ];
    if !i.from.is_empty() {
        let from: Vec<String> = i.from.iter().map(|a| a.to_string()).collect();
        cols.push(format!("from {}", from.join(", ")));
    }
    if i.end {
        cols.push(end_phrase(r, ttl, i));
    }
    cols.join("\t")
}

/// The median RTT of the interface's answers at this hop.
fn median_rtt(r: &TraceResult, ttl: u8, i: &Interface) -> Option<Duration> {
    let mut rtts: Vec<Duration> = r
        .hops
        .iter()
        .filter(|h| h.ttl == ttl)
        .flat_map(|h| &h.probes)
        .filter(|p| i.flows.contains(&p.flow))
        .filter_map(|p| p.answer())
        .filter(|(a, _)| a.from == i.addr)
        .map(|(_, t)| t)
        .collect();
    rtts.sort();
    rtts.get(rtts.len() / 2).copied()
}

/// What an interface that ends paths answered.
fn end_phrase(r: &TraceResult, ttl: u8, i: &Interface) -> String {
    let kind = r
        .hops
        .iter()
        .filter(|h| h.ttl == ttl)
        .flat_map(|h| &h.probes)
        .filter_map(|p| p.answer())
        .find(|(a, _)| a.from == i.addr && a.kind.ends_trace())
        .map(|(a, _)| a.kind);
    match kind {
        Some(ReplyKind::SynAck) => "destination: port open".into(),
        Some(ReplyKind::Rst) => "destination: port closed".into(),
        Some(ReplyKind::PortUnreachable) => "destination: port unreachable".into(),
        Some(ReplyKind::EchoReply) => "destination: echo reply".into(),
        Some(ReplyKind::Unreachable(u)) => format!("{} {}", u.flag(), u.describe()),
        _ => "end".into(),
    }
}

fn summary(t: &Topology, end: &TraceEnd) -> String {
    let head = match end {
        TraceEnd::Interrupted => "Trace interrupted.",
        _ => "Trace Complete.",
    };
    let diamonds = t.diamonds();
    if diamonds.is_empty() {
        return format!("{head} One path: no load balancing seen.\n");
    }
    let parts: Vec<String> = diamonds
        .iter()
        .map(|&(from, to, width)| {
            let hops = if from == to {
                format!("hop {from}")
            } else {
                format!("hops {from}-{to}")
            };
            format!("{hops} ({width} interfaces)")
        })
        .collect();
    format!(
        "{head} {}; load balanced at {}.\n",
        crate::words::count(t.links.len() as u64, "link"),
        parts.join(", ")
    )
}

/// Every trace's multipath report, one after another.
pub fn render(run: &RunInfo, results: &[TraceResult], names: &Names) -> String {
    let parts: Vec<String> = results
        .iter()
        .map(|r| render_trace(run, r, names))
        .collect();
    parts.join("\n")
}
