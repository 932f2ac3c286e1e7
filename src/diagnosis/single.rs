//! Findings from one trace alone: the destination reached or not, silent
//! routers, partial loss, load balancing, unreachables. Reads results
//! only; must not depend on the reports.

use super::{
    about_hops, hop_range, hops_back, thin, ttl_word, unreachable_meaning, what_reached, Finding,
    Kind,
};
use crate::engine::Paths;
use crate::run::RunInfo;
use crate::trace::{TraceEnd, TraceResult};
use tracetcp_strategies::{Protocol, ReplyKind, Unreachable};

/// Findings from one trace alone.
pub(super) fn single(run: &RunInfo, i: usize, r: &TraceResult, name: &str, out: &mut Vec<Finding>) {
    match r.end {
        TraceEnd::Reached { ttl, kind, from } => {
            let answer = r
                .hops
                .iter()
                .find(|h| h.ttl == ttl)
                .and_then(|h| h.destination());
            let ttl_word = ttl_word(from);
            let arrived = answer.and_then(|(a, _)| a.arrived_ttl());
            let ttl_note = arrived
                .map(|t| {
                    format!(
                        "; its answer arrived with {ttl_word} {t} ({})",
                        about_hops(hops_back(t))
                    )
                })
                .unwrap_or_default();
            // An answer in the target's name that came back from fewer
            // hops than it took to get it: something before the target
            // answered for it (a firewall's TCP reset, a proxy).
            let closer = arrived
                .map(hops_back)
                .filter(|&back| back < ttl && kind != ReplyKind::EchoReply);
            if let Some(back) = closer {
                out.push(Finding {
                    kind: Kind::TransparentProxy,
                    hop: Some(ttl),
                    address: Some(from),
                    traces: vec![i],
                    text: format!(
                        "{name} 'reaches' {from} at hop {ttl}, but its {} came back from {}: \
                         something at about hop {back} answers in the target's name (a firewall \
                         rejecting with a TCP reset, or a proxy), so the target's own answer is unknown.",
                        kind.name(),
                        about_hops(back)
                    ),
                    evidence: format!(
                        "{} at hop {ttl}{ttl_note}{}",
                        kind.name(),
                        super::across::quote_note(r, ttl)
                    ),
                });
                return single_rest(run, i, r, out);
            }
            let this_host = from == run.source || from.is_loopback();
            out.push(Finding {
                kind: Kind::Reached,
                hop: Some(ttl),
                address: Some(from),
                traces: vec![i],
                text: if this_host {
                    format!(
                        "{from} is this host: the probes went over the loopback device and no \
                         router, so there is no path to trace; {name}: {}.",
                        what_reached(kind)
                    )
                } else {
                    format!(
                        "{name} reaches {from} at hop {ttl}: {}.",
                        what_reached(kind)
                    )
                },
                evidence: format!("{} at hop {ttl}{ttl_note}", kind.name()),
            });
        }
        TraceEnd::Unreachable { ttl, reason, from } => out.push(Finding {
            kind: Kind::Unreachable,
            hop: Some(ttl),
            address: Some(from),
            traces: vec![i],
            text: match reason {
                // Only a UDP probe's closed port answers port unreachable:
                // a router traced by its loopback answers from the
                // interface it sends on, another address.
                Unreachable::Port if r.spec.protocol == Protocol::Udp => format!(
                    "{name} stops at hop {ttl}: {from} answers port unreachable for {} ({}): a \
                     firewall there rejects these probes, or {from} is the destination itself \
                     answering from another of its addresses (as routers do).",
                    run.address,
                    reason.flag()
                ),
                Unreachable::Port | Unreachable::AdminProhibited => format!(
                    "A firewall at hop {ttl} ({from}) rejects {name}: it answers {} ({}).",
                    reason.describe(),
                    reason.flag()
                ),
                _ => format!(
                    "{name} stops at hop {ttl}: {from} answers {} ({}): {}.",
                    reason.describe(),
                    reason.flag(),
                    unreachable_meaning(reason)
                ),
            },
            evidence: format!(
                "ICMP destination unreachable {} from {from} at hop {ttl}",
                reason.flag()
            ),
        }),
        TraceEnd::MaxHops => {
            if let Some((t, a)) = r
                .last_answer()
                .filter(|&(t, _)| t == run.settings.last_ttl())
            {
                out.push(Finding {
                    kind: Kind::MaxHops,
                    hop: Some(t),
                    address: Some(a),
                    traces: vec![i],
                    text: format!(
                        "{name} stopped at the maximum of {} (-m) with answers to the last, \
                         {a} at hop {t}: {} is further away.",
                        crate::words::count(run.settings.max_hops.into(), "hop"),
                        run.address
                    ),
                    evidence: format!("an answer at hop {t}, the last probed"),
                });
            }
        }
        TraceEnd::Interrupted => {}
    }
    single_rest(run, i, r, out);
}

/// Silent routers, partial loss and load balancing along one trace.
fn single_rest(run: &RunInfo, i: usize, r: &TraceResult, out: &mut Vec<Finding>) {
    let dst = run.address;
    // With --mtu, probes bigger than the path carries up to their hop are
    // lost for their size (a black hole), not by a busy router.
    let mtu = crate::mtu::analyse(r, dst.is_ipv6());
    let lost_of = |hop: &crate::trace::HopResult| {
        hop.probes
            .iter()
            .filter(|p| p.answer().is_none())
            .filter(|p| {
                mtu.as_ref()
                    .is_none_or(|m| p.size <= Some(m.at_hop(hop.ttl)))
            })
            .count()
    };
    let last = r.last_answer();
    let upto = last.map_or(0, |(t, _)| t);
    let mut h = 0;
    while h < r.hops.len() {
        let hop = &r.hops[h];
        if hop.all_lost() && hop.ttl < upto {
            let start = hop.ttl;
            while h + 1 < r.hops.len() && r.hops[h + 1].all_lost() {
                h += 1;
            }
            let end = r.hops[h].ttl;
            let next = r
                .hops
                .get(h + 1)
                .and_then(|n| n.first_responder().map(|a| (n.ttl, a)));
            let (nt, na) = next.unwrap_or((end + 1, dst));
            out.push(Finding {
                kind: Kind::SilentRouter,
                hop: Some(start),
                address: None,
                traces: vec![i],
                text: format!(
                    "{} sent no answer, but hop {nt} ({na}) did: the router{} there do{} not send ICMP \
                     time-exceeded (or filter{} it); the path itself goes on.",
                    hop_range(start, end),
                    if start == end { "" } else { "s" },
                    if start == end { "es" } else { "" },
                    if start == end { "s" } else { "" },
                ),
                evidence: format!("every probe lost at {}{}", hop_range(start, end).to_lowercase(), thin(run)),
            });
        } else if !hop.all_lost() {
            let lost = lost_of(hop);
            let later_complete = r.hops[h + 1..]
                .iter()
                .any(|n| lost_of(n) == 0 && !n.probes.is_empty());
            if lost > 0 && hop.destination().is_none() && later_complete {
                let addr = hop.first_responder();
                out.push(Finding {
                    kind: Kind::PartialLoss,
                    hop: Some(hop.ttl),
                    address: addr,
                    traces: vec![i],
                    text: format!(
                        "Hop {} ({}) left {lost} of {} probes unanswered while later hops answered every probe: \
                         a busy router or ICMP rate limiting there, not loss on the path.",
                        hop.ttl,
                        addr.map(|a| a.to_string()).unwrap_or_default(),
                        hop.probes.len()
                    ),
                    evidence: format!("{lost}/{} lost at hop {}{}", hop.probes.len(), hop.ttl, thin(run)),
                });
            }
            let mut addrs = hop.addresses();
            addrs.sort();
            if addrs.len() > 1 {
                let list: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
                let (ttl, n, list) = (hop.ttl, list.len(), list.join(", "));
                let text = match run.settings.paths {
                    Paths::All { .. } => format!("Hop {ttl}: {n} routers share the load ({list})."),
                    Paths::OneFlow => format!(
                        "Hop {ttl} answers from {n} addresses ({list}) although every probe of the trace \
                         kept one flow: per-packet load balancing, or the route changed during the trace."
                    ),
                    Paths::PerProbe => format!(
                        "Hop {ttl} answers from {n} addresses ({list}): load balancing over equal-cost \
                         paths (each probe took a flow of its own), or a route change."
                    ),
                };
                out.push(Finding {
                    kind: Kind::LoadBalancing,
                    hop: Some(ttl),
                    address: Some(addrs[0]),
                    traces: vec![i],
                    text,
                    evidence: format!("{n} responders at hop {ttl}"),
                });
            }
        }
        h += 1;
    }
}
