//! The path MTU in reports (`--mtu`): a mark where the size changes, a
//! line after the trace, and the JSON object.
//!
//! Renders from data alone.

use crate::mtu::PathMtu;
use crate::trace::TraceResult;
use serde_json::{json, Value};

/// The mark ending hop `ttl`'s first line: the size probes started at on
/// the first hop (" [MTU 1500]"), the new size where one was announced
/// (" [MTU 1400]"), like traceroute's `F=`.
pub fn marks(m: &PathMtu, ttl: u8, first_ttl: u8) -> String {
    if ttl == first_ttl {
        return format!(" [MTU {}]", m.at_hop(ttl));
    }
    m.changes
        .iter()
        .filter(|c| c.at == ttl)
        .map(|c| format!(" [MTU {}]", c.to))
        .collect()
}

/// The line after a trace: "Path MTU: 1400 (198.18.2.1 announced 1400
/// for the link after hop 2)." or what a black hole left of it.
pub fn summary(m: &PathMtu, r: &TraceResult) -> String {
    let mut why: Vec<String> = m
        .changes
        .iter()
        .map(|c| {
            let said = if c.announced {
                format!("announced {}", c.to)
            } else {
                format!("announced no size, so the plateau {} was tried", c.to)
            };
            format!("{} {said} for the link before hop {}", c.by, c.at)
        })
        .collect();
    if let Some(h) = m.hole {
        let after = h
            .after
            .map_or("on the way".into(), |a| format!("after hop {a}"));
        let bound = if h.exact {
            format!("above {} bytes", h.passes)
        } else {
            format!("of {} bytes and more ({} passes)", h.dropped, h.passes)
        };
        why.push(format!(
            "packets {bound} vanish {after} with no answer: a black hole"
        ));
    }
    let partial = if matches!(r.end, crate::trace::TraceEnd::Reached { .. }) {
        ""
    } else {
        " up to the last hop that answered"
    };
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({})", why.join("; "))
    };
    format!("Path MTU{partial}: {}{why}.\n", m.path())
}

/// The `mtu` object of a trace in JSON.
pub fn json(m: &PathMtu) -> Value {
    json!({
        "start": m.start,
        "path_mtu": m.path(),
        "changes": m.changes.iter().map(|c| json!({
            "at_hop": c.at, "from": c.from, "to": c.to,
            "by": c.by.to_string(), "announced": c.announced,
        })).collect::<Vec<_>>(),
        "black_hole": m.hole.map(|h| json!({
            "after_hop": h.after, "at_hop": h.at,
            "passes": h.passes, "dropped": h.dropped, "exact": h.exact,
        })),
    })
}
