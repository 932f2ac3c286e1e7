//! Loss in rounds: loss that a hop shows but later hops do not is the
//! router limiting its own answers, not the path; loss that starts at a hop
//! and lasts to the destination is the path's; across kinds, a loss one
//! kind shows and another not is about that kind. A finding that one hop
//! or kind loses more than another holds at the confidence
//! `significance` states, or says what the counts show instead.

use super::significance::{self, Counts, Level, CONFIDENCE};
use super::{finding, MIN_SENT};
use crate::diagnosis::{Finding, Kind};
use crate::watch::{HopStats, Summary, TraceStats};

/// Loss worth telling: at least 5% and at least two probes.
fn lossy(h: &HopStats) -> bool {
    h.sent >= MIN_SENT && h.lost() >= 2 && h.loss_percent() >= 5.0
}

/// A hop that answers (at least once) and whose loss is below telling.
fn clean(h: &HopStats) -> bool {
    h.sent >= MIN_SENT && h.received > 0 && !lossy(h)
}

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

pub(super) fn loss(level: Level, i: usize, t: &TraceStats, name: &str, out: &mut Vec<Finding>) {
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

/// Kinds compared at each hop: one loses where another does not.
pub(super) fn across(level: Level, summary: &Summary, out: &mut Vec<Finding>) {
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
