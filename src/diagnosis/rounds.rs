//! What rounds mean (`--cycles`, `--watch`), read from the statistics
//! alone: loss that a hop shows but later hops do not is the router
//! limiting its own answers, not the path; loss that starts at a hop and
//! lasts to the destination is the path's; a latency step that lasts is a
//! slow link; a new responder is a route change, and responders that
//! alternate on one flow are per-packet load balancing. Across kinds, a
//! loss one kind shows and another not is about that kind. Each finding
//! quotes its figures and claims no more than they show.

use super::{Finding, Kind};
use crate::engine::Paths;
use crate::run::RunInfo;
use crate::watch::{HopStats, RouteChange, Summary, TraceStats};
use significance::{Counts, Level, CONFIDENCE};
use std::net::IpAddr;

/// Fewer probes than this at a hop say nothing about its loss.
pub const MIN_SENT: u64 = 5;

/// Loss worth telling: at least 5% and at least two probes.
fn lossy(h: &HopStats) -> bool {
    h.sent >= MIN_SENT && h.lost() >= 2 && h.loss_percent() >= 5.0
}

/// A hop that answers (at least once) and whose loss is below telling.
fn clean(h: &HopStats) -> bool {
    h.sent >= MIN_SENT && h.received > 0 && !lossy(h)
}

/// A latency step worth telling, in ms.
const STEP_MS: f64 = 10.0;

fn figures(h: &HopStats) -> String {
    format!("hop {}: {:.0}% of {} lost", h.ttl, h.loss_percent(), h.sent)
}

fn counts(h: &HopStats) -> Counts {
    Counts {
        lost: h.lost(),
        sent: h.sent,
    }
}

/// The finding drawn from `a` losing more than `b`, when the counts carry
/// it at the stated confidence; otherwise what they show, and about how
/// many rounds would tell (`question`: what they cannot tell yet).
fn weighed(
    level: Level,
    rounds: u64,
    (a, b): (&HopStats, &HopStats),
    (a_name, b_name): (&str, &str),
    question: &str,
    carried: Finding,
) -> Finding {
    let p = significance::fisher_greater(counts(a), counts(b));
    let test = format!(
        "Fisher's exact test p = {p:.2e}, {} at {:.0}% over {}",
        if p < level.alpha() {
            "significant"
        } else {
            "not significant"
        },
        CONFIDENCE * 100.0,
        crate::words::count(level.comparisons as u64, "comparison")
    );
    if p < level.alpha() {
        return Finding {
            evidence: format!("{}; {test}", carried.evidence),
            ..carried
        };
    }
    let more = match level.rounds_to_tell(counts(a), counts(b), rounds) {
        Some(n) => format!(
            "about {} at these rates would tell",
            crate::words::count(n, "round")
        ),
        None => "more rounds may tell".to_string(),
    };
    Finding {
        kind: Kind::TooFewRounds,
        text: format!(
            "{a_name}hop {} lost {} of {}, {b_name}hop {} {} of {}: too few to tell {question} \
             ({:.0}% confidence); {more}.",
            a.ttl,
            a.lost(),
            a.sent,
            b.ttl,
            b.lost(),
            b.sent,
            CONFIDENCE * 100.0
        ),
        evidence: format!("{}; {test}", carried.evidence),
        ..carried
    }
}

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

fn loss(level: Level, i: usize, t: &TraceStats, name: &str, out: &mut Vec<Finding>) {
    let hops: Vec<&HopStats> = t.shown().iter().filter(|h| h.sent > 0).collect();
    let Some(last) = hops.last().copied() else {
        return;
    };
    // Real loss: from the first hop where loss starts and lasts, every
    // answering hop after it loses too, the last one included.
    let mut start = None;
    if lossy(last) && last.received > 0 {
        for h in hops.iter().rev().filter(|h| h.received > 0) {
            if !lossy(h) {
                break;
            }
            start = Some(*h);
        }
    }
    if let Some(k) = start {
        let before = hops.iter().rev().find(|h| h.ttl < k.ttl && h.received > 0);
        let evidence: Vec<String> = before
            .into_iter()
            .chain(hops.iter().filter(|h| h.ttl >= k.ttl && h.received > 0))
            .map(|h| figures(h))
            .collect();
        // Where it starts is a claim of its own: the hop before must lose
        // less beyond chance.
        let starts = before.is_none_or(|b| level.loses_more(counts(k), counts(b)));
        let text = if starts {
            format!(
                "{name}: loss starts at hop {} and lasts to hop {} ({:.0}% there): probes are lost \
                 on the path at or after hop {} (the link into it, or beyond).",
                k.ttl,
                last.ttl,
                last.loss_percent(),
                k.ttl
            )
        } else {
            format!(
                "{name}: loss lasts from hop {} to hop {} ({:.0}% there): probes are lost on the \
                 path; whether it starts there or before, the counts do not tell yet ({:.0}% \
                 confidence).",
                k.ttl,
                last.ttl,
                last.loss_percent(),
                CONFIDENCE * 100.0
            )
        };
        out.push(finding(
            Kind::PathLoss,
            i,
            Some(k),
            text,
            evidence.join("; "),
        ));
    }
    for (n, h) in hops.iter().enumerate() {
        if start.is_some_and(|k| h.ttl >= k.ttl) || !lossy(h) {
            continue;
        }
        let Some(later) = hops[n + 1..].iter().find(|l| clean(l)) else {
            continue;
        };
        let (kind, text) = if h.received == 0 {
            (
                Kind::SilentRouter,
                format!(
                    "{name}: hop {} never answered in {} probes while hop {} did: that router \
                     does not send (or someone filters) its time-exceeded answers; the path \
                     through it works.",
                    h.ttl, h.sent, later.ttl
                ),
            )
        } else {
            (
                Kind::IcmpLimited,
                format!(
                    "{name}: hop {} left {:.0}% of its probes unanswered, but hop {} lost {:.0}%: \
                     the router at hop {} limits or deprioritises its own ICMP answers; this is \
                     not loss on the path.",
                    h.ttl,
                    h.loss_percent(),
                    later.ttl,
                    later.loss_percent(),
                    h.ttl
                ),
            )
        };
        let carried = finding(
            kind,
            i,
            Some(h),
            text,
            format!("{}; {}", figures(h), figures(later)),
        );
        let names = (format!("{name}: "), String::new());
        out.push(weighed(
            level,
            t.rounds,
            (h, later),
            (&names.0, &names.1),
            "a router that limits its answers from loss on the path",
            carried,
        ));
    }
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

/// Kinds compared at each hop: one loses where another does not.
fn across(level: Level, summary: &Summary, out: &mut Vec<Finding>) {
    let traces = &summary.traces;
    for (a, ta) in traces.iter().enumerate() {
        for ha in ta.shown().iter().filter(|h| lossy(h)) {
            let better = traces.iter().enumerate().find_map(|(b, tb)| {
                let hb = tb.hops.get(usize::from(ha.ttl - tb.first_ttl))?;
                (b != a && clean(hb)).then_some((b, tb, hb))
            });
            let Some((b, tb, hb)) = better else {
                continue;
            };
            let (na, nb) = (ta.spec.name(), tb.spec.name());
            let carried = Finding {
                kind: Kind::KindLimited,
                hop: Some(ha.ttl),
                address: ha.main_responder(),
                traces: vec![a, b],
                text: format!(
                    "hop {}: {na} lost {:.0}% while {nb} lost {:.0}%: {na} probes (or the \
                     answers to them) are limited or deprioritised there; the path is not losing \
                     {nb}.",
                    ha.ttl,
                    ha.loss_percent(),
                    hb.loss_percent()
                ),
                evidence: format!("{na} {}; {nb} {}", figures(ha), figures(hb)),
            };
            out.push(weighed(
                level,
                ta.rounds.min(tb.rounds),
                (ha, hb),
                (&format!("{na} at "), &format!("{nb} at ")),
                &format!("whether {na} probes are limited there"),
                carried,
            ));
        }
    }
}

mod significance;
#[cfg(test)]
mod tests;
