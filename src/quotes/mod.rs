//! What the path does to the probe: every ICMP error quotes the probe as
//! the router received it, so comparing each quote with the probe as it
//! left shows, hop by hop, where a field was rewritten (an MSS clamp, a
//! DSCP rewrite, a NAT, a firewall's sequence-number randomisation). A
//! change is placed between the last hop whose quote still shows the
//! original and the first hop whose quote shows the change; a quote too
//! short to hold a field says nothing about it.
//!
//! Reads the trace model only; used by the reports and the diagnosis.

use crate::trace::{HopResult, TraceResult};
use tracetcp_strategies::Fields;

mod field;
pub use field::{options_delta, Field};

/// One field rewritten on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: Field,
    pub sent: String,
    pub seen: String,
    /// The last hop before `at` whose quote still showed the original.
    pub after: Option<u8>,
    /// The first hop whose quote showed the change.
    pub at: u8,
    /// Some answer up to `at` quoted too little to show the field.
    pub partial: bool,
}

/// What one hop's quotes say of a field: (sent, seen) of the first quote
/// that shows a change, or that all that hold it show the original.
fn at_hop(hop: &HopResult, field: Field) -> (Option<(String, String)>, bool, bool) {
    let (mut changed, mut original, mut short) = (None, false, false);
    for p in &hop.probes {
        let (Some(sent), Some((a, _))) = (p.fields, p.answer()) else {
            continue;
        };
        let Some(quote) = a.quote else { continue };
        match (field.value(&sent), field.value(&quote)) {
            (Some(s), Some(q)) if s == q => original = true,
            (Some(s), Some(q)) => {
                changed.get_or_insert((s, q));
            }
            _ => short = true,
        }
    }
    (changed, original, short)
}

/// Every field the path rewrites, where the change first shows.
pub fn changes(r: &TraceResult) -> Vec<Change> {
    let mut out = Vec::new();
    for field in Field::ALL {
        let (mut after, mut partial) = (None, false);
        for hop in &r.hops {
            let (changed, original, short) = at_hop(hop, field);
            partial |= short;
            if let Some((sent, seen)) = changed {
                out.push(Change {
                    field,
                    sent,
                    seen,
                    after,
                    at: hop.ttl,
                    partial,
                });
                break;
            }
            if original {
                after = Some(hop.ttl);
            }
        }
    }
    // A changed checksum is news only when no field it covers changed
    // first (a middlebox that rewrote something the quote cannot show).
    let explained = |at: u8| out.iter().any(|c| c.field.in_checksum() && c.at <= at);
    if let Some(i) = out.iter().position(|c| c.field == Field::Checksum) {
        if explained(out[i].at) {
            out.remove(i);
        }
    }
    out
}

/// One quote against its probe, field by field, for the debug view:
/// "MSS 1460->1200, DSCP 0->8", "unchanged", and what it was too short
/// to show: " (not quoted: window, MSS)".
pub fn diff(sent: &Fields, quote: &Fields) -> String {
    let (mut changed, mut unknown) = (Vec::new(), Vec::new());
    for field in Field::ALL {
        match (field.value(sent), field.value(quote)) {
            (Some(s), Some(q)) if s != q => changed.push(format!("{} {s}->{q}", field.name())),
            (Some(_), None) => unknown.push(field.name()),
            _ => {}
        }
    }
    let mut out = if changed.is_empty() {
        "unchanged".to_string()
    } else {
        changed.join(", ")
    };
    if !unknown.is_empty() {
        out += &format!(" (not quoted: {})", unknown.join(", "));
    }
    out
}

/// The short marks for the hop where changes first show:
/// "[MSS 1460->1200]".
pub fn marks(changes: &[Change], ttl: u8) -> String {
    changes
        .iter()
        .filter(|c| c.at == ttl)
        .map(|c| format!(" [{}]", c.field.mark(&c.sent, &c.seen)))
        .fold(String::new(), |mut all, m| {
            // One NAT mark for a rewritten address and port.
            if !all.contains(&m) {
                all += &m;
            }
            all
        })
}

#[cfg(test)]
mod tests;
