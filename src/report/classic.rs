//! The original tool's output:
//!
//! ```text
//! Tracing route to 66.135.192.41 [www.ebay.co.uk] on port 80
//! Over a maximum of 30 hops.
//! 1       1 ms    1 ms    2 ms    192.168.0.1     [wintermute]
//! 14      *       *       *       Request timed out.
//! 15      Destination Reached in 170 ms. Connection established to 66.135.192.41
//! Trace Complete.
//! ```
//!
//! A hop answered by several addresses gets one line per address: the
//! first carries the TTL, "*" for lost probes and "-" for those another
//! address answered; each further line shows only its own answers.
//!
//! Renders from data alone; never resolves names, never reads the engine.

use super::{address, cells, probe_phrase, reached_phrase, rtt, Names, RunInfo};
use crate::trace::TraceSpec;
use crate::trace::{HopResult, TraceEnd};

pub fn header(run: &RunInfo, spec: &TraceSpec) -> String {
    let name = run
        .host_name()
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default();
    format!(
        "Tracing route to {}{name} {}\nOver a maximum of {}.\n{}",
        run.address,
        probe_phrase(spec),
        crate::words::count(run.settings.max_hops.into(), "hop"),
        run.flow_line()
    )
}

pub fn hop(h: &HopResult, per_hop: u8, names: &Names) -> String {
    if let Some((a, t)) = h.destination() {
        return format!(
            "{}\tDestination Reached in {}. {} {}{}\n",
            h.ttl,
            rtt(t),
            reached_phrase(a.kind),
            a.from,
            names.owners_tag(a.from)
        );
    }
    let all = cells(h, per_hop);
    let responders = h.responders();
    if responders.is_empty() {
        return format!("{}\t{}\tRequest timed out.\n", h.ttl, all.join("\t"));
    }
    let mut out = String::new();
    for (n, (addr, answered)) in responders.iter().enumerate() {
        let row: Vec<String> = (0..per_hop)
            .map(|i| {
                if answered.iter().any(|p| p.index == i) {
                    all[usize::from(i)].clone()
                } else if n == 0 && all[usize::from(i)] == "*" {
                    "*".to_string()
                } else {
                    "-".to_string()
                }
            })
            .collect();
        let ttl = if n == 0 {
            h.ttl.to_string()
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{ttl}\t{}\t{}\n",
            row.join("\t"),
            address(*addr, names)
        ));
    }
    out
}

pub fn footer(end: &TraceEnd) -> &'static str {
    match end {
        TraceEnd::Interrupted => "Trace interrupted.\n",
        _ => "Trace Complete.\n",
    }
}
