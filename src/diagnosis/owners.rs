//! Whose network: with `--as`, a finding about a hop (where a path or a
//! port stops, a firewall, a silent router, a rewrite) gains the
//! autonomous system that hop is in and how far into it the path was
//! ("hop 3 is in AS64501 (LAB-TRANSIT), 2 hops after the path entered it
//! from AS64500"). A hop with no owner of its own (a private address, a
//! silent router) is placed in an AS only when the hops on both sides of
//! it are in that same AS, and the sentence says so.
//!
//! Reads the findings, the results and what was found of the addresses;
//! no I/O.

use super::{Finding, Kind};
use crate::run::{Names, Origin};
use crate::trace::TraceResult;
use crate::words;

/// The owners of each hop of `r` (those of its first responder with any).
fn hop_owners<'a>(r: &TraceResult, names: &'a Names) -> Vec<(u8, Option<&'a [Origin]>)> {
    r.hops
        .iter()
        .map(|h| {
            let o = h
                .responders()
                .into_iter()
                .map(|(a, _)| names.owners(&a))
                .find(|o| !o.is_empty());
            (h.ttl, o)
        })
        .collect()
}

fn numbers(o: &[Origin]) -> Vec<u32> {
    o.iter().map(|o| o.number).collect()
}

/// "AS64501 (LAB-TRANSIT)", "AS64502/AS64503".
fn said(o: &[Origin]) -> String {
    let n: Vec<String> = o.iter().map(|o| format!("AS{}", o.number)).collect();
    match (o.len(), o.first().and_then(|o| o.name.as_deref())) {
        (1, Some(name)) => format!("{} ({name})", n[0]),
        _ => n.join("/"),
    }
}

/// Where hop `ttl` of a trace whose hops' owners are `hops` lies.
fn whose(hops: &[(u8, Option<&[Origin]>)], ttl: u8) -> Option<String> {
    let at = hops.iter().position(|(t, _)| *t == ttl)?;
    if let Some(own) = hops[at].1 {
        let mine = numbers(own);
        // Back to where the path entered this AS.
        let mut entered = at;
        let mut from = None;
        for k in (0..at).rev() {
            match hops[k].1 {
                Some(o) if numbers(o) == mine => entered = k,
                Some(o) => {
                    from = Some(o);
                    break;
                }
                None => {}
            }
        }
        let into = hops[at].0 - hops[entered].0;
        let how_far = match (into, from) {
            (0, Some(f)) => format!(", where the path entered it from {}", said(f)),
            (0, None) => ", the path's first AS".to_string(),
            (n, Some(f)) => format!(
                ", {} after the path entered it from {}",
                words::count(n.into(), "hop"),
                said(f)
            ),
            (n, None) => format!(
                ", {} into the path's first AS",
                words::count(n.into(), "hop")
            ),
        };
        return Some(format!("Hop {ttl} is in {}{how_far}.", said(own)));
    }
    let before = hops[..at]
        .iter()
        .rev()
        .find_map(|(t, o)| o.map(|o| (*t, o)));
    let after = hops[at + 1..].iter().find_map(|(t, o)| o.map(|o| (*t, o)));
    match (before, after) {
        (Some((b, o)), Some((a, p))) if numbers(o) == numbers(p) => Some(format!(
            "Hop {ttl} has no AS of its own; hops {b} and {a} on both sides of it are in {}, so it is most likely inside it.",
            said(o)
        )),
        (Some((b, o)), None) => Some(format!(
            "Hop {ttl} has no AS of its own; the last hop with one before it, hop {b}, is in {}.",
            said(o)
        )),
        _ => None,
    }
}

/// Adds to each finding about a hop of one trace the AS that hop is in.
pub fn annotate(findings: &mut [Finding], results: &[TraceResult], names: &Names) {
    for f in findings.iter_mut() {
        let about_a_hop = !matches!(
            f.kind,
            Kind::Reached | Kind::TooFewRounds | Kind::LoadBalancing
        );
        let (Some(hop), Some(&trace), true) = (f.hop, f.traces.first(), about_a_hop) else {
            continue;
        };
        let Some(r) = results.get(trace) else {
            continue;
        };
        if let Some(line) = whose(&hop_owners(r, names), hop) {
            f.text.push(' ');
            f.text.push_str(&line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(number: u32, name: &str) -> Origin {
        Origin {
            number,
            prefix: None,
            name: Some(name.into()),
            country: None,
            registry: None,
        }
    }

    #[test]
    fn a_hop_is_placed_in_its_as_and_how_far_into_it() {
        let a = [origin(64500, "LAB-ACCESS")];
        let b = [origin(64501, "LAB-TRANSIT")];
        let hops: Vec<(u8, Option<&[Origin]>)> = vec![
            (1, Some(&a)),
            (2, Some(&b)),
            (3, None),
            (4, Some(&b)),
            (5, None),
        ];
        assert_eq!(
            whose(&hops, 4).unwrap(),
            "Hop 4 is in AS64501 (LAB-TRANSIT), 2 hops after the path entered it from AS64500 (LAB-ACCESS)."
        );
        assert_eq!(
            whose(&hops, 2).unwrap(),
            "Hop 2 is in AS64501 (LAB-TRANSIT), where the path entered it from AS64500 (LAB-ACCESS)."
        );
        assert_eq!(
            whose(&hops, 1).unwrap(),
            "Hop 1 is in AS64500 (LAB-ACCESS), the path's first AS."
        );
        let inside = whose(&hops, 3).unwrap();
        assert!(
            inside.contains("hops 2 and 4 on both sides of it are in AS64501"),
            "{inside}"
        );
        let past = whose(&hops, 5).unwrap();
        assert!(
            past.contains("the last hop with one before it, hop 4, is in AS64501"),
            "{past}"
        );
        // Between two ASes, a hop with none is not placed.
        let hops: Vec<(u8, Option<&[Origin]>)> = vec![(1, Some(&a)), (2, None), (3, Some(&b))];
        assert_eq!(whose(&hops, 2), None);
    }
}
