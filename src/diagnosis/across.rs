//! Findings that need two traces: a port blocked where another kind gets
//! through, and a "destination" that answers closer on one kind than on
//! another (a transparent proxy).
//!
//! Reads results only; must not depend on the reports.

use super::{about_hops, hops_back, reach, stopped_by_place, ttl_word, Finding, Kind};
use crate::trace::{HopResult, TraceEnd, TraceResult};
use std::net::IpAddr;

/// Findings that need two traces: blocked ports and transparent proxies.
pub(super) fn across(
    results: &[TraceResult],
    names: &[String],
    multipath: bool,
    out: &mut Vec<Finding>,
) {
    blocked(results, names, multipath, out);
    let Some((j, b_hop)) = furthest(results) else {
        return;
    };
    for (i, a) in results.iter().enumerate() {
        // A "destination" that answers closer on one kind than on another.
        let TraceEnd::Reached {
            ttl: a_hop,
            from,
            kind,
        } = a.end
        else {
            continue;
        };
        if a_hop >= b_hop {
            continue;
        }
        let after = a
            .hops
            .iter()
            .rev()
            .find_map(|h| {
                (h.ttl < a_hop)
                    .then(|| h.first_responder().map(|x| (h.ttl, x)))
                    .flatten()
            })
            .map(|(t, x)| format!(", right after hop {t} ({x})"))
            .unwrap_or_default();
        let ttl = a
            .hops
            .iter()
            .find(|h| h.ttl == a_hop)
            .and_then(|h| h.destination())
            .and_then(|(x, _)| Some((x.from, x.arrived_ttl()?)))
            .map(|(from, t)| {
                format!(
                    "; its answer came with {} {t} ({})",
                    ttl_word(from),
                    about_hops(hops_back(t))
                )
            })
            .unwrap_or_default();
        out.push(Finding {
            kind: Kind::TransparentProxy,
            hop: Some(a_hop),
            address: Some(from),
            traces: vec![i, j],
            text: format!(
                "{} 'reaches' {from} at hop {a_hop}, but {} needs {b_hop} hops: something at hop {a_hop}{after} \
                 answers in the destination's name on {}: a transparent proxy. Its answer says \
                 nothing of the port on {from} itself.",
                names[i], names[j], names[i]
            ),
            evidence: format!(
                "{}: {} at hop {a_hop}{ttl}{}; {}: answers up to hop {b_hop}",
                names[i],
                kind.name(),
                quote_note(a, a_hop),
                names[j]
            ),
        });
    }
}

/// The quote evidence for an answer in the destination's name at `hop`,
/// as a clause.
pub(super) fn quote_note(r: &TraceResult, hop: u8) -> String {
    super::rewrites::quote_evidence(r, hop)
        .map(|e| format!("; {e}"))
        .unwrap_or_default()
}

/// The trace that got furthest (the first of equals), and how far.
pub(super) fn furthest(results: &[TraceResult]) -> Option<(usize, u8)> {
    results
        .iter()
        .enumerate()
        .filter_map(|(j, b)| reach(b).map(|r| (j, r)))
        .max_by_key(|&(j, r)| (r, std::cmp::Reverse(j)))
}

/// Traces that go silent while another kind gets further, grouped by where
/// they stop: "tcp:135, tcp:137 stop after hop 2 (...) while tcp:80 ...".
fn blocked(results: &[TraceResult], names: &[String], multipath: bool, out: &mut Vec<Finding>) {
    let Some((far, far_reach)) = furthest(results) else {
        return;
    };
    let groups = stopped_by_place(results, |stop| stop.map_or(0, |(t, _)| t) < far_reach);
    for (stop, mut list) in groups {
        // Traces the flow check showed getting further on other flows:
        // their stop is their flow's path, not their port.
        list.retain(|&i| match &results[i].check {
            Some(check) if !check.responders().is_empty() => {
                out.push(path_not_port(results, names, i, far, check));
                false
            }
            _ => true,
        });
        if list.is_empty() {
            continue;
        }
        let who = super::names::joined(list.iter().map(|&i| names[i].as_str()));
        let (verb, pronoun) = if list.len() == 1 {
            ("stops", who.clone())
        } else {
            ("stop", "they are".to_string())
        };
        let pronoun = if list.len() == 1 {
            format!("{pronoun} is")
        } else {
            pronoun
        };
        let k = stop.map_or(0, |(t, _)| t);
        let at = match stop {
            Some((t, addr)) => format!("after hop {t} ({addr})"),
            None => "before the first hop".to_string(),
        };
        let checked: Vec<&TraceResult> = list
            .iter()
            .map(|&i| &results[i])
            .filter(|r| r.check.is_some())
            .collect();
        let paths = if multipath {
            " on every path found".to_string()
        } else if let Some(check) = checked.first().and_then(|r| r.check.as_ref()) {
            format!(
                " (and on {} other flows tried at hop {}: none got an answer)",
                check.probes.len(),
                check.ttl
            )
        } else {
            list.iter()
                .find_map(|&i| diverges(&results[i], &results[far], k))
                .map(|(t, a, b)| {
                    format!(
                        " (but from hop {t} they took different load-balanced paths, {a} and {b}: \
                         the stop may belong to that path, not to the port; --multipath or another \
                         --flow tells)"
                    )
                })
                .unwrap_or_default()
        };
        out.push(Finding {
            kind: Kind::BlockedPort,
            hop: stop.map(|(t, _)| t),
            address: stop.map(|(_, a)| a),
            traces: list,
            text: format!(
                "{who} {verb} {at}{paths} while {} gets through to hop {far_reach}: {pronoun} blocked just past hop {k}.",
                names[far]
            ),
            evidence: format!("{who}: silent from hop {}; {}: answers up to hop {far_reach}", k + 1, names[far]),
        });
    }
}

/// Trace `i` went silent on its flow where trace `far` got further, but
/// its flow check got answers on other flows: the stop is the path.
fn path_not_port(
    results: &[TraceResult],
    names: &[String],
    i: usize,
    far: usize,
    check: &HopResult,
) -> Finding {
    let answered = check.probes.len() - check.lost();
    let via = diverges(&results[i], &results[far], check.ttl)
        .map(|(t, a, b)| {
            format!(
                " (from hop {t}, {} went via {a}, {} via {b})",
                names[i], names[far]
            )
        })
        .unwrap_or_default();
    Finding {
        kind: Kind::LoadBalancing,
        hop: Some(check.ttl),
        address: check.first_responder(),
        traces: vec![i, far],
        text: format!(
            "{} goes silent on its own flow, but {answered} of {} other flows of it got answers at hop {}: \
             its port gets through; the load-balanced path its flow hashes to is what stops it{via}.",
            names[i],
            check.probes.len(),
            check.ttl
        ),
        evidence: format!(
            "flow check at hop {}: {answered}/{} answered",
            check.ttl,
            check.probes.len()
        ),
    }
}

/// The first hop, up to `upto`, where two traces got their answers from
/// different addresses (and which): they hashed to different paths.
fn diverges(a: &TraceResult, b: &TraceResult, upto: u8) -> Option<(u8, IpAddr, IpAddr)> {
    a.hops.iter().filter(|h| h.ttl <= upto).find_map(|ha| {
        let hb = b.hops.iter().find(|h| h.ttl == ha.ttl)?;
        let (x, y) = (ha.first_responder()?, hb.first_responder()?);
        (x != y).then_some((ha.ttl, x, y))
    })
}
