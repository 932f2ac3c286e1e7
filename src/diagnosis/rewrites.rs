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

/// What the quotes of hops before `hop` say of the probes that reached
/// it: the rewrites they show, or that the last quoting hop saw the probe
/// unchanged (then whatever answers at `hop` saw it as sent). `None`
/// when no hop before it quoted a probe.
pub(super) fn quote_evidence(r: &TraceResult, hop: u8) -> Option<String> {
    let changes: Vec<String> = quotes::changes(r)
        .iter()
        .filter(|c| c.at < hop)
        .map(|c| format!("{} from hop {}", c.field.mark(&c.sent, &c.seen), c.at))
        .collect();
    if !changes.is_empty() {
        return Some(format!("quotes before it show {}", changes.join(", ")));
    }
    let last = r
        .hops
        .iter()
        .filter(|h| h.ttl < hop)
        .filter(|h| {
            h.probes
                .iter()
                .any(|p| p.answer().is_some_and(|(a, _)| a.quote.is_some()))
        })
        .map(|h| h.ttl)
        .max()?;
    Some(format!("hop {last}'s quotes show the probe unchanged"))
}

/// What a change means, as a clause.
fn what(c: &Change) -> String {
    let (s, q) = (&c.sent, &c.seen);
    let name = c.field.name();
    match c.field {
        Field::Mss => format!("a middlebox clamps the MSS {s} -> {q}"),
        Field::Dscp => format!("the DSCP is rewritten {s} -> {q}"),
        Field::Ecn if q == "0" => format!("the ECN bits are bleached {s} -> {q}"),
        Field::Ecn => format!("the ECN bits are rewritten {s} -> {q}"),
        // RFC 6296 prefix translation keeps the interface identifier.
        Field::Source if s.contains(':') => {
            format!("a NAT66 or prefix translation (NPTv6) rewrites the source {s} -> {q}")
        }
        Field::Source | Field::SourcePort => format!("a NAT rewrites the {name} {s} -> {q}"),
        Field::Destination | Field::DestinationPort => {
            format!("a redirect (destination NAT) rewrites the {name} {s} -> {q}")
        }
        Field::Sequence => {
            format!("a stateful firewall rewrites the sequence numbers ({s} -> {q})")
        }
        Field::Options => format!(
            "a middlebox changes the TCP options ({}: {s} -> {q})",
            quotes::options_delta(s, q)
        ),
        Field::TotalLength | Field::UdpLength | Field::DataOffset => {
            format!("a middlebox changes the {name} {s} -> {q} (it adds or strips bytes)")
        }
        Field::Checksum => format!(
            "a middlebox changes the checksum {s} -> {q} with no change the quote shows: a NAT \
             that writes the address back into its ICMP errors but not the checksum, or bytes \
             rewritten beyond the quote; the answers were matched by the probe's other marks"
        ),
        Field::DontFragment => format!("the don't-fragment flag is changed {s} -> {q}"),
        _ => format!("a middlebox rewrites the {name} {s} -> {q}"),
    }
}

/// A router quotes the probe as it received it, its TTL run down to 1 (0
/// on some). Another value means the TTL was raised on the way, or the
/// answer does not come from where the TTL ran out. Inside an MPLS
/// tunnel (an answer with a label stack) the label's TTL ran out, not the
/// IP header's, which the routers of the tunnel leave alone: no finding.
fn quoted_ttl(i: usize, r: &TraceResult, name: &str, out: &mut Vec<Finding>) {
    let odd = r.hops.iter().find_map(|h| {
        h.probes
            .iter()
            .filter_map(|p| p.answer())
            .find_map(|(a, _)| {
                let ttl = a.quoted_ttl.filter(|&t| t > 1)?;
                (a.kind == ReplyKind::TimeExceeded && a.mpls.is_empty())
                    .then_some((h.ttl, a.from, ttl))
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
