//! Findings from the quotes: what the path rewrites in the probes, and
//! between which hops (see `quotes`).
//!
//! Reads results only; must not depend on the reports.

use super::{Finding, Kind};
use crate::quotes::{self, Change, Field};
use crate::trace::TraceResult;
use tracetcp_strategies::ReplyKind;

pub(super) fn rewrites(i: usize, r: &TraceResult, name: &str, out: &mut Vec<Finding>) {
    quoted_ttl(i, r, name, out);
    for c in quotes::changes(r) {
        let responder = |ttl: u8| {
            r.hops
                .iter()
                .find(|h| h.ttl == ttl)
                .and_then(|h| h.first_responder())
        };
        let place = match c.after {
            Some(a) => format!(
                "between hop {a}{} and hop {}{}",
                responder(a).map(|x| format!(" ({x})")).unwrap_or_default(),
                c.at,
                responder(c.at)
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            ),
            None => format!("before hop {}", c.at),
        };
        let what = what(&c);
        let partial = if c.partial {
            " (some hops before quoted too little to tell)"
        } else {
            ""
        };
        out.push(Finding {
            kind: Kind::PathRewrite,
            hop: Some(c.at),
            address: responder(c.at),
            traces: vec![i],
            text: format!("{name}: {what} {place}{partial}."),
            evidence: format!(
                "{} sent {}, quoted {} from hop {} on",
                c.field.name(),
                c.sent,
                c.seen,
                c.at
            ),
        });
    }
}

/// What a change means, as a clause.
fn what(c: &Change) -> String {
    let (s, q) = (&c.sent, &c.seen);
    match c.field {
        Field::Mss => format!("a middlebox clamps the MSS {s} -> {q}"),
        Field::Dscp => format!("the DSCP is rewritten {s} -> {q}"),
        Field::Ecn => format!("the ECN bits are rewritten {s} -> {q}"),
        Field::Source | Field::SourcePort => {
            format!("a NAT rewrites the {} {s} -> {q}", c.field.name())
        }
        Field::Sequence => {
            format!("a stateful firewall rewrites the sequence numbers ({s} -> {q})")
        }
        Field::Window => format!("the TCP window is rewritten {s} -> {q}"),
        Field::Options => format!("a middlebox changes the TCP options {s} -> {q}"),
        Field::Flags => format!("a middlebox changes the TCP flags {s} -> {q}"),
        Field::DontFragment => format!("the don't-fragment flag is changed {s} -> {q}"),
    }
}

/// A router quotes the probe as it received it, its TTL run down to 1 (0
/// on some). Another value means the TTL was raised on the way, or the
/// answer does not come from where the TTL ran out.
fn quoted_ttl(i: usize, r: &TraceResult, name: &str, out: &mut Vec<Finding>) {
    let odd = r.hops.iter().find_map(|h| {
        h.probes
            .iter()
            .filter_map(|p| p.answer())
            .find_map(|(a, _)| {
                let ttl = a.quoted_ttl.filter(|&t| t > 1)?;
                (a.kind == ReplyKind::TimeExceeded).then_some((h.ttl, a.from, ttl))
            })
    });
    if let Some((hop, from, ttl)) = odd {
        out.push(Finding {
            kind: Kind::PathRewrite,
            hop: Some(hop),
            address: Some(from),
            traces: vec![i],
            text: format!(
                "{name}: hop {hop} ({from}) quotes the probe with TTL {ttl}, not 1: a middlebox \
                 raised its TTL on the way, or the answer does not come from where it ran out."
            ),
            evidence: format!("quoted TTL {ttl} in a time-exceeded from hop {hop}"),
        });
    }
}
