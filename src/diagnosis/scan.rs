//! Findings for a port scan (`-s`: every port at one TTL, 128): each port
//! is open, closed or filtered, and the answers' TTL tells how far away
//! the host is. A scan probes from a TTL far beyond the host (128), so
//! hop numbers say nothing and are never claimed.
//!
//! Reads results only; must not depend on the reports.

use super::{about_hops, hops_back, ttl_word, Finding, Kind};
use crate::run::RunInfo;
use crate::trace::{TraceEnd, TraceResult};
use tracetcp_strategies::ReplyKind;

/// Whether this run is a scan (not a one-hop trace such as `-m 1`).
pub(super) fn is_scan(run: &RunInfo) -> bool {
    run.settings.is_scan()
}

/// Up to this many ports are named in a finding.
const NAMED: usize = 20;

fn list(names: &[String]) -> String {
    let shown = super::names::joined(names.iter().take(NAMED).map(String::as_str));
    match names.len().saturating_sub(NAMED) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

pub(super) fn scan(run: &RunInfo, results: &[TraceResult], out: &mut Vec<Finding>) {
    let (mut open, mut closed, mut rejected, mut silent) = (vec![], vec![], vec![], vec![]);
    let mut reply_ttl = None;
    let mut indices = Vec::new();
    for (i, r) in results.iter().enumerate() {
        indices.push(i);
        let name = r.spec.name();
        match r.end {
            TraceEnd::Reached { kind, .. } => {
                let answer = r.hops.iter().find_map(|h| h.destination());
                if let Some((t, a)) = answer.and_then(|(a, _)| Some((a.arrived_ttl()?, a))) {
                    reply_ttl.get_or_insert((t, a.from));
                }
                match kind {
                    ReplyKind::SynAck | ReplyKind::EchoReply => open.push(name),
                    _ => closed.push(name),
                }
            }
            TraceEnd::Unreachable { reason, from, .. } => {
                rejected.push(format!("{name} ({} from {from})", reason.flag()))
            }
            TraceEnd::MaxHops | TraceEnd::Interrupted => silent.push(name),
        }
    }
    let mut parts = Vec::new();
    if !open.is_empty() {
        parts.push(format!("open: {}", list(&open)));
    }
    if !closed.is_empty() {
        parts.push(format!("closed: {}", list(&closed)));
    }
    if !rejected.is_empty() {
        parts.push(format!("rejected on the way: {}", list(&rejected)));
    }
    if !silent.is_empty() {
        parts.push(format!(
            "filtered (no answer: dropped by a firewall, or nothing there): {}",
            list(&silent)
        ));
    }
    let distance = reply_ttl
        .map(|(ttl, from)| {
            format!(
                " Its answers arrived with {} {ttl} ({}).",
                ttl_word(from),
                about_hops(hops_back(ttl))
            )
        })
        .unwrap_or_default();
    out.push(Finding {
        kind: Kind::Reached,
        hop: None,
        address: Some(run.address),
        traces: indices,
        text: format!(
            "Scan of {} ({}): {}.{distance}",
            run.address,
            crate::words::count(results.len() as u64, "port"),
            parts.join("; ")
        ),
        evidence: format!(
            "{} open, {} closed, {} rejected, {} unanswered",
            open.len(),
            closed.len(),
            rejected.len(),
            silent.len()
        ),
    });
}
