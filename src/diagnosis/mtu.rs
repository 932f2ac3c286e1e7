//! Findings from path MTU discovery (`--mtu`): where the path MTU falls,
//! a black hole and its size bounds, and a SYN's MSS the path cannot
//! carry.
//!
//! Reads results only; must not depend on the reports.

use super::{Finding, Kind};
use crate::mtu::{self, PathMtu};
use crate::trace::TraceResult;
use std::net::IpAddr;
use tracetcp_strategies::Protocol;

/// The largest bare SYN tracetcp sends (IPv6 header, TCP with options).
const BARE_SYN: u16 = 80;

/// IP and TCP header bytes a segment carries besides its MSS.
fn headers(v6: bool) -> u16 {
    if v6 {
        60
    } else {
        40
    }
}

pub(super) fn findings(v6: bool, i: usize, r: &TraceResult, name: &str, out: &mut Vec<Finding>) {
    let Some(m) = mtu::analyse(r, v6) else { return };
    let responder = |ttl: u8| r.hops.iter().find(|h| h.ttl == ttl)?.first_responder();
    let too_big = if v6 {
        "'packet too big'"
    } else {
        "'fragmentation needed'"
    };
    for c in &m.changes {
        let said = if c.announced {
            format!("announced {}", c.to)
        } else {
            format!("announced no size; the plateau {} was tried", c.to)
        };
        out.push(Finding {
            kind: Kind::PathMtu,
            hop: Some(c.at),
            address: Some(c.by),
            traces: vec![i],
            text: format!(
                "{name}: the path MTU falls from {} to {} at hop {}: {} answered {too_big} and {said}; \
                 probes went on at {}.",
                c.from, c.to, c.at, c.by, c.to
            ),
            evidence: format!("{too_big} from {} for probes of {} bytes", c.by, c.from),
        });
    }
    let mut syn_data = false;
    if let Some(h) = m.hole {
        let after = h.after.map_or("on the way".to_string(), |k| {
            let who = responder(k).map(|a| format!(" ({a})")).unwrap_or_default();
            format!("after hop {k}{who}")
        });
        let sizes = if h.exact {
            format!("larger than {} bytes", h.passes)
        } else {
            format!(
                "of {} bytes and more (the largest seen passing: {})",
                h.dropped, h.passes
            )
        };
        let clamp = h.passes.saturating_sub(headers(v6));
        let lost = format!("{} bytes lost in every copy at hop {}", h.dropped, h.at);
        // Only the bare SYN passes: what is dropped is data in a SYN, not
        // a size (a middlebox that filters SYNs carrying data).
        syn_data = r.spec.protocol == Protocol::Tcp && h.passes <= BARE_SYN;
        let (text, evidence) = if syn_data {
            (
                format!(
                    "{name}: SYNs carrying data vanish {after} while bare SYNs pass: a middlebox \
                     drops SYNs with data, so --mtu cannot size TCP probes here (use -P udp or -P icmp)."
                ),
                format!("{lost}, the bare {} answered", h.passes),
            )
        } else {
            (
                format!(
                    "{name}: packets {sizes} are silently dropped {after}: an MTU black hole (the \
                     router does not send, or a firewall filters, ICMP {too_big}). TCP connections \
                     through it stall after the handshake; clamping the MSS to {clamp} would avoid it."
                ),
                format!("{lost}, {} answered there; no {too_big} came back", h.passes),
            )
        };
        out.push(Finding {
            kind: Kind::MtuBlackHole,
            hop: Some(h.at),
            address: h.after.and_then(responder),
            traces: vec![i],
            text,
            evidence,
        });
    }
    // (With SYN data dropped, the "path MTU" says nothing of segments.)
    if r.spec.protocol == Protocol::Tcp && !syn_data {
        mss(v6, i, r, name, &m, out);
    }
}

/// Our SYN's MSS, or the MSS the quotes show after a clamp, above what
/// the path MTU carries.
fn mss(v6: bool, i: usize, r: &TraceResult, name: &str, m: &PathMtu, out: &mut Vec<Finding>) {
    let fits = m.path().saturating_sub(headers(v6));
    let probes = || {
        r.hops
            .iter()
            .flat_map(|h| h.probes.iter().map(move |p| (h.ttl, p)))
    };
    let ours = probes().find_map(|(_, p)| p.fields?.options?.mss);
    let quoted: Option<(u8, u16, IpAddr)> = probes().rev().find_map(|(ttl, p)| {
        let (a, _) = p.answer()?;
        Some((ttl, a.quote?.options?.mss?, a.from))
    });
    let over = match (ours, quoted) {
        (_, Some((ttl, q, from))) if Some(q) != ours && q > fits => {
            format!("the MSS quoted by hop {ttl} ({from}) after a clamp, {q},")
        }
        (_, Some((_, q, _))) if Some(q) != ours => return,
        (Some(o), _) if o > fits => format!("our SYN's MSS, {o},"),
        _ => return,
    };
    out.push(Finding {
        kind: Kind::MssTooBig,
        hop: None,
        address: None,
        traces: vec![i],
        text: format!(
            "{name}: {over} is more than the path MTU of {} carries ({fits} bytes of data): \
             full-size segments need path MTU discovery to work on this path.",
            m.path()
        ),
        evidence: format!("path MTU {}, {} header bytes", m.path(), headers(v6)),
    });
}
