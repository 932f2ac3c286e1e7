//! What rounds mean (`--cycles`, `--watch`), read from the statistics
//! alone: loss that a hop shows but later hops do not is the router
//! limiting its own answers, not the path; loss that starts at a hop and
//! lasts to the destination is the path's; a latency step that lasts is a
//! slow link; a new responder is a route change, and responders that
//! alternate on one flow are per-packet load balancing. Across kinds, a
//! loss one kind shows and another not is about that kind. Each finding
//! quotes its figures and claims no more than they show. Loss findings
//! are in `loss.rs`, the test they pass in `significance.rs`.

use super::{Finding, Kind};
use crate::engine::Paths;
use crate::run::RunInfo;
use crate::watch::{HopStats, RouteChange, Summary, TraceStats};
use loss::{across, loss};
use significance::Level;
use std::net::IpAddr;

/// Fewer probes than this at a hop say nothing about its loss.
pub const MIN_SENT: u64 = 5;

/// A latency step worth telling, in ms.
const STEP_MS: f64 = 10.0;

/// Every finding over the rounds of `summary`.
pub fn diagnose(run: &RunInfo, summary: &Summary) -> Vec<Finding> {
    let mut out = Vec::new();
    // Each hop of each kind may be compared: the confidence is corrected
    // for all of them.
    let level = Level {
        comparisons: summary
            .traces
            .iter()
            .map(|t| t.shown().iter().filter(|h| h.sent > 0).count())
            .sum(),
    };
    for (i, t) in summary.traces.iter().enumerate() {
        let name = t.spec.name();
        reached(i, t, &name, &mut out);
        loss(level, i, t, &name, &mut out);
        latency(i, t, &name, &mut out);
        routes(run, i, t, &name, &mut out);
    }
    across(level, summary, &mut out);
    out.sort_by_key(|f| f.kind.rank());
    out
}

fn finding(
    kind: Kind,
    trace: usize,
    hop: Option<&HopStats>,
    text: String,
    evidence: String,
) -> Finding {
    Finding {
        kind,
        hop: hop.map(|h| h.ttl),
        address: hop.and_then(HopStats::main_responder),
        traces: vec![trace],
        text,
        evidence,
    }
}

/// What "reached" counts when the destination's hop lost probes: a round
/// reaches it by any probe, those sent further included.
pub fn beyond(t: &TraceStats, ttl: u8) -> String {
    match t.hops.get(usize::from(ttl.saturating_sub(t.first_ttl))) {
        Some(h) if h.lost() > 0 => format!(
            ", where {} of {} were lost; a round counts when any of its probes reached it, \
             those sent further too",
            h.lost(),
            crate::words::count(h.sent, "probe")
        ),
        _ => String::new(),
    }
}

fn reached(i: usize, t: &TraceStats, name: &str, out: &mut Vec<Finding>) {
    let text = match t.destination_ttl {
        Some(ttl) => format!(
            "{name}: the destination answered in {} of {} (hop {ttl}{}).",
            t.reached,
            crate::words::count(t.rounds, "round"),
            beyond(t, ttl)
        ),
        None => format!(
            "{name}: the destination never answered in {}.",
            crate::words::count(t.rounds, "round")
        ),
    };
    let kind = match t.reached {
        0 => Kind::DestinationSilent,
        _ => Kind::Reached,
    };
    let rounds = crate::words::count(t.rounds, "round");
    out.push(finding(kind, i, None, text, rounds));
}

fn latency(i: usize, t: &TraceStats, name: &str, out: &mut Vec<Finding>) {
    let hops: Vec<(&HopStats, f64)> = t
        .shown()
        .iter()
        .filter(|h| h.received >= MIN_SENT.min(h.sent).max(1))
        .filter_map(|h| h.avg_ms().map(|a| (h, a)))
        .collect();
    // The hop steps are measured from: the last one that was not merely
    // slow to answer itself.
    let Some(&(mut p, mut before)) = hops.first() else {
        return;
    };
    for w in 1..hops.len() {
        let (k, avg) = hops[w];
        let step = avg - before;
        if step < STEP_MS {
            (p, before) = (k, avg);
            continue;
        }
        let later = &hops[w + 1..];
        let lasts = later.iter().all(|(_, a)| *a >= before + 0.75 * step);
        let evidence = format!(
            "avg {before:.1} ms at hop {}, {avg:.1} ms at hop {}{}",
            p.ttl,
            k.ttl,
            later
                .last()
                .map(|(l, a)| format!(", {a:.1} ms at hop {}", l.ttl))
                .unwrap_or_default()
        );
        let (kind, text) = if lasts {
            (
                Kind::SlowLink,
                format!(
                    "{name}: the round-trip time rises by {step:.0} ms between hop {} and hop {} \
                     and stays up to the end: a slow (long or queueing) link there.",
                    p.ttl, k.ttl
                ),
            )
        } else {
            (
                Kind::SlowReplies,
                format!(
                    "{name}: hop {} answers {step:.0} ms slower than hop {}, but later hops do \
                     not: that router is slow to answer (its ICMP is deprioritised), the path is \
                     not slower.",
                    k.ttl, p.ttl
                ),
            )
        };
        out.push(finding(kind, i, Some(k), text, evidence));
        if lasts {
            (p, before) = (k, avg);
        }
    }
}

/// A path as "a, b, *, d".
fn path(p: &[Option<IpAddr>]) -> String {
    let names: Vec<String> = p
        .iter()
        .map(|a| a.map_or("*".to_string(), |a| a.to_string()))
        .collect();
    names.join(", ")
}

fn routes(run: &RunInfo, i: usize, t: &TraceStats, name: &str, out: &mut Vec<Finding>) {
    let one_flow = run.settings.paths == Paths::OneFlow;
    let mut flapping = Vec::new();
    for (n, &changes) in t.changes.iter().enumerate() {
        let h = &t.hops[n];
        if changes >= 3 && h.responders.len() >= 2 && one_flow {
            let who: Vec<String> = h
                .responders
                .iter()
                .map(|(a, c)| format!("{a} ({c})"))
                .collect();
            flapping.push(h.ttl);
            out.push(finding(
                Kind::PerPacketBalancing,
                i,
                Some(h),
                format!(
                    "{name}: hop {} changed responder {changes} times in {} on one flow: \
                     per-packet load balancing (a per-flow balancer keeps a flow on one path).",
                    h.ttl,
                    crate::words::count(t.rounds, "round")
                ),
                format!("answers at hop {}: {}", h.ttl, who.join(", ")),
            ));
        }
    }
    let changed = |c: &RouteChange| !flapping.contains(&c.ttl);
    let Some(first) = t.first_change.as_ref().filter(|c| changed(c)) else {
        return;
    };
    let mut evidence = format!(
        "round {}: hop {} {} -> {}; before: {}; after: {}",
        first.round,
        first.ttl,
        first.from,
        first.to,
        path(&first.before),
        path(&first.after)
    );
    if let Some(last) = t.last_change.as_ref().filter(|l| l.round != first.round) {
        evidence += &format!(
            "; latest, round {}: hop {} {} -> {}",
            last.round, last.ttl, last.from, last.to
        );
    }
    out.push(Finding {
        kind: Kind::RouteChange,
        hop: Some(first.ttl),
        address: Some(first.to),
        traces: vec![i],
        text: format!(
            "{name}: the route changed in round {} at hop {} ({} -> {}).",
            first.round, first.ttl, first.from, first.to
        ),
        evidence,
    });
}

mod loss;
mod significance;
#[cfg(test)]
mod tests;
