//! The comparison (--compare): one table, a column per probe kind or
//! port, rows aligned by hop; then a line per column saying how far it got
//! and why it stopped.
//!
//! ```text
//! Comparing tcp:80, udp:33434, icmp on the route to 198.18.3.2
//! Over a maximum of 30 hops.
//! hop  tcp:80             udp:33434            icmp
//! 1    198.18.0.2         198.18.0.2           198.18.0.2
//! 2    198.18.1.2 open    198.18.1.2           198.18.1.2
//! ...
//! tcp:80     reached 198.18.3.2 at hop 2: open
//! ```
//!
//! Renders from data alone; never resolves names, never reads the engine.

use super::{Names, RunInfo};
use crate::engine::Settings;
use crate::trace::{HopResult, TraceEnd, TraceResult};
use tracetcp_strategies::ReplyKind;

fn short(kind: ReplyKind) -> &'static str {
    match kind {
        ReplyKind::SynAck => "open",
        ReplyKind::Rst | ReplyKind::PortUnreachable => "closed",
        ReplyKind::EchoReply => "echo reply",
        _ => "",
    }
}

fn with_name(addr: std::net::IpAddr, names: &Names) -> String {
    names.label(addr, " ")
}

/// One hop of one column.
fn cell(h: &HopResult, names: &Names) -> String {
    if let Some((a, _)) = h.destination() {
        return format!("{} {}", with_name(a.from, names), short(a.kind));
    }
    let responders = h.responders();
    let Some((addr, answered)) = responders.first() else {
        return "*".to_string();
    };
    let mut s = with_name(*addr, names);
    if let Some((a, _)) = answered.first().and_then(|p| p.answer()) {
        if let ReplyKind::Unreachable(u) = a.kind {
            s += &format!(" {}", u.flag());
        }
    }
    if responders.len() > 1 {
        s += &format!(" (+{})", responders.len() - 1);
    }
    if h.lost() > 0 {
        s += &format!(" {}/{}", h.probes.len() - h.lost(), h.probes.len());
    }
    s
}

/// How far a column got, and why it stopped, by the run's settings.
pub fn summary(r: &TraceResult, settings: &Settings) -> String {
    let last_ttl = settings.last_ttl();
    match r.end {
        TraceEnd::Reached { ttl, kind, from } => {
            let how = match kind {
                ReplyKind::PortUnreachable => "closed (port unreachable)",
                ReplyKind::Rst => "closed (RST)",
                ReplyKind::SynAck => "open (SYN-ACK)",
                _ => short(kind),
            };
            format!("reached {from} at hop {ttl}: {how}")
        }
        TraceEnd::Unreachable { ttl, reason, from } => {
            format!(
                "stopped at hop {ttl}: {from} answered {} ({})",
                reason.describe(),
                reason.flag()
            )
        }
        TraceEnd::MaxHops | TraceEnd::Interrupted => {
            let last = r.last_answer();
            let why = if r.end == TraceEnd::Interrupted {
                "interrupted"
            } else {
                "silent"
            };
            match last {
                Some((t, a)) if t == last_ttl && r.end == TraceEnd::MaxHops => format!(
                    "stopped at the maximum of {}; last answer from {a} at hop {t}",
                    crate::words::count(settings.max_hops.into(), "hop")
                ),
                Some((t, a)) => format!(
                    "{why} from hop {} on; last answer from {a} at hop {t}",
                    t + 1
                ),
                None => format!("{why}: no hop answered"),
            }
        }
    }
}

pub fn render(run: &RunInfo, results: &[TraceResult], names: &Names) -> String {
    let titles: Vec<String> = results.iter().map(|r| r.spec.name()).collect();
    let host = run
        .host_name()
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default();
    let mut out = format!(
        "Comparing {} on the route to {}{host}\nOver a maximum of {}.\n{}",
        titles.join(", "),
        run.address,
        crate::words::count(run.settings.max_hops.into(), "hop"),
        run.flow_line()
    );
    let last = results
        .iter()
        .filter_map(|r| r.hops.last().map(|h| h.ttl))
        .max();
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("hop".to_string())
        .chain(titles.iter().cloned())
        .collect()];
    if let Some(last) = last {
        for ttl in run.settings.first_ttl..=last {
            let mut row = vec![ttl.to_string()];
            for r in results {
                row.push(
                    r.hops
                        .iter()
                        .find(|h| h.ttl == ttl)
                        .map(|h| cell(h, names))
                        .unwrap_or_default(),
                );
            }
            rows.push(row);
        }
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out += line.join("  ").trim_end();
        out.push('\n');
    }
    let name_width = titles.iter().map(String::len).max().unwrap_or(0);
    for (title, r) in titles.iter().zip(results) {
        out += &format!("{title:<name_width$}  {}\n", summary(r, &run.settings));
    }
    // --mtu: each kind's path MTU.
    for (title, r) in titles.iter().zip(results) {
        if let Some(m) = crate::mtu::analyse(r, run.address.is_ipv6()) {
            out += &format!("{title:<name_width$}  {}", super::mtu::summary(&m, r));
        }
    }
    out
}
